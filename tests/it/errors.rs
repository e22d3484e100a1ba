//! What happens with events that are not HTTP events, requests that cannot be represented, and
//! services that fail — through the same path production uses.

use axum::{body::Body as AxumBody, routing::get, Router};
use bytes::Bytes;
use http::{Request, Response};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower_lambda::{Body, ErrorPolicy, Serve};

fn rest_event(method: &str, path: &str) -> Value {
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "api.example.com"},
        "multiValueHeaders": {"Host": ["api.example.com"]},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "requestContext": {"stage": "prod", "requestId": "r-1", "domainName": "api.example.com"},
        "body": null,
        "isBase64Encoded": false
    })
}

fn http_v2_event(path: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "GET", "path": path, "sourceIp": "192.0.2.1"},
            "stage": "$default"
        },
        "isBase64Encoded": false
    })
}

/// Counts calls and answers "ok".
fn counting() -> (Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app = Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "ok" }
    });
    (app, calls)
}

async fn invoke_json(serve: &Serve<Router>, event: &Value) -> Value {
    let json = serve
        .invoke(event.to_string())
        .await
        .expect("invocation succeeds");
    serde_json::from_str(&json).unwrap()
}

#[tokio::test]
async fn not_json_fails_the_invocation_saying_so() {
    let (app, calls) = counting();
    let error = Serve::new(app).invoke("{not json").await.unwrap_err();
    assert_eq!(error.error_type(), "tower_lambda::UnsupportedEvent");
    assert!(error.message().contains("not valid JSON"), "{error}");
    assert!(
        error.message().contains("expected an HTTP event"),
        "{error}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn json_that_is_not_an_object_fails_naming_what_it_is() {
    let (app, _) = counting();
    let serve = Serve::new(app);
    for (event, kind) in [
        ("[1,2]", "an array"),
        ("\"GET /\"", "a string"),
        ("null", "null"),
        ("42", "a number"),
    ] {
        let error = serve.invoke(event).await.unwrap_err();
        assert!(
            error
                .message()
                .contains(&format!("the event is {kind}, not a JSON object")),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_non_http_event_fails_listing_its_top_level_keys() {
    let (app, calls) = counting();
    let sqs = json!({"Records": [{"messageId": "1", "body": "hi", "eventSource": "aws:sqs"}]});
    let error = Serve::new(app).invoke(sqs.to_string()).await.unwrap_err();
    assert_eq!(error.error_type(), "tower_lambda::UnsupportedEvent");
    assert!(
        error
            .message()
            .contains("expected an HTTP event from API Gateway"),
        "{error}"
    );
    assert!(
        error.message().contains("top-level keys are [\"Records\"]"),
        "{error}"
    );
    assert!(
        !error.message().contains("did not match any variant"),
        "{error}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_v2_event_without_a_method_fails_naming_the_field() {
    let (app, _) = counting();
    let mut event = http_v2_event("/");
    event["requestContext"]["http"] = json!({"path": "/"});
    let error = Serve::new(app).invoke(event.to_string()).await.unwrap_err();
    assert!(
        error.message().contains("requestContext.http.method"),
        "{error}"
    );
}

#[tokio::test]
async fn a_field_of_the_wrong_type_fails_the_invocation() {
    let (app, _) = counting();
    let mut event = rest_event("GET", "/");
    event["multiValueHeaders"] = json!(["not", "a", "map"]);
    let error = Serve::new(app).invoke(event.to_string()).await.unwrap_err();
    assert!(error.message().contains("wrong type"), "{error}");
    assert!(
        error.message().contains("`multiValueHeaders`"),
        "names the field: {error}"
    );
}

#[tokio::test]
async fn invalid_base64_gets_400_in_the_source_shape_without_calling_the_service() {
    let (app, calls) = counting();
    let serve = Serve::new(app);

    let mut rest = rest_event("POST", "/upload");
    rest["body"] = json!("not base64!!");
    rest["isBase64Encoded"] = json!(true);
    let response = invoke_json(&serve, &rest).await;
    assert_eq!(response["statusCode"], 400);
    assert_eq!(
        response["multiValueHeaders"]["content-type"],
        json!(["text/plain; charset=utf-8"])
    );
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("not valid base64"));
    assert_eq!(response["isBase64Encoded"], false);

    let mut v2 = http_v2_event("/upload");
    v2["body"] = json!("%%%");
    v2["isBase64Encoded"] = json!(true);
    let response = invoke_json(&serve, &v2).await;
    assert_eq!(response["statusCode"], 400);
    assert_eq!(response["cookies"], json!([]));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_invalid_method_gets_400() {
    let (app, calls) = counting();
    let response = invoke_json(&Serve::new(app), &rest_event("GE T", "/")).await;
    assert_eq!(response["statusCode"], 400);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("invalid HTTP method"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

fn failing_app() -> Router {
    Router::new()
        .route("/panic", get(|| async { panic!("boom") as &'static str }))
        .route("/ok", get(|| async { "fine" }))
}

#[tokio::test]
async fn a_service_error_becomes_500_or_a_failed_invocation() {
    let service = tower::service_fn(|_req: Request<Body>| async {
        Err::<Response<String>, _>(std::io::Error::other("database is down"))
    });
    let json = Serve::new(service)
        .invoke(rest_event("GET", "/").to_string())
        .await
        .unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        response,
        json!({
            "statusCode": 500,
            "multiValueHeaders": {"content-type": ["text/plain; charset=utf-8"]},
            "body": "Internal Server Error",
            "isBase64Encoded": false
        })
    );

    let error = Serve::new(service)
        .error_policy(ErrorPolicy::FailInvocation)
        .invoke(rest_event("GET", "/").to_string())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "tower_lambda::ServiceError");
    assert!(error.message().contains("database is down"), "{error}");
}

#[tokio::test]
async fn a_panicking_service_gets_500_and_the_next_request_is_served() {
    let serve = Serve::new(failing_app());
    let response = invoke_json(&serve, &http_v2_event("/panic")).await;
    assert_eq!(response["statusCode"], 500);
    assert_eq!(response["body"], "Internal Server Error");
    let response = invoke_json(&serve, &http_v2_event("/ok")).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["body"], "fine");

    let error = Serve::new(failing_app())
        .error_policy(ErrorPolicy::FailInvocation)
        .invoke(http_v2_event("/panic").to_string())
        .await
        .unwrap_err();
    assert!(error.message().contains("panicked: boom"), "{error}");
}

#[tokio::test]
async fn a_panic_in_call_itself_is_caught() {
    #[derive(Clone)]
    struct PanicsInCall;
    impl tower::Service<Request<Body>> for PanicsInCall {
        type Response = Response<String>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response<String>, Infallible>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Infallible>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: Request<Body>) -> Self::Future {
            panic!("panicked before returning a future")
        }
    }
    let json = Serve::new(PanicsInCall)
        .invoke(rest_event("GET", "/").to_string())
        .await
        .unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(response["statusCode"], 500);
}

#[tokio::test]
async fn a_body_that_fails_midway_gets_500() {
    let app = Router::new().route(
        "/",
        get(|| async {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"partial ")),
                Err(std::io::Error::other("stream broke")),
            ];
            AxumBody::from_stream(futures_util::stream::iter(chunks))
        }),
    );
    let response = invoke_json(&Serve::new(app), &rest_event("GET", "/")).await;
    assert_eq!(response["statusCode"], 500);
    assert_eq!(response["body"], "Internal Server Error");
}

#[tokio::test]
async fn statuses_listed_in_fail_on_status_fail_the_invocation_with_the_body_as_message() {
    let app = Router::new()
        .route(
            "/busy",
            get(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "try again in 5 s") }),
        )
        .route("/gone", get(|| async { http::StatusCode::GONE }))
        .route("/teapot", get(|| async { http::StatusCode::IM_A_TEAPOT }))
        .route("/ok", get(|| async { "fine" }))
        .route("/panic", get(|| async { panic!("boom") as &'static str }));
    let serve = Serve::new(app)
        .fail_on_status(500..=599)
        .fail_on_status(410..411);

    let error = serve
        .invoke(rest_event("GET", "/busy").to_string())
        .await
        .unwrap_err();
    assert_eq!(
        (error.error_type(), error.message()),
        ("tower_lambda::Status503", "try again in 5 s")
    );
    // An empty body: the reason phrase.
    let error = serve
        .invoke(http_v2_event("/gone").to_string())
        .await
        .unwrap_err();
    assert_eq!(
        (error.error_type(), error.message()),
        ("tower_lambda::Status410", "Gone")
    );
    // The adapter's own 500 (a panicking service) and 400 (an unusable request) count too.
    let error = serve
        .invoke(http_v2_event("/panic").to_string())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "tower_lambda::Status500");
    let error = Serve::new(Router::new())
        .fail_on_status(400..=400)
        .invoke(rest_event("GE T", "/").to_string())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "tower_lambda::Status400");
    assert!(error.message().contains("invalid HTTP method"), "{error}");
    // Statuses not listed are answered as usual.
    assert_eq!(
        invoke_json(&serve, &http_v2_event("/teapot")).await["statusCode"],
        418
    );
    assert_eq!(
        invoke_json(&serve, &http_v2_event("/ok")).await["statusCode"],
        200
    );
    // Without the option nothing fails.
    let plain = Serve::new(Router::new().route(
        "/busy",
        get(|| async { (http::StatusCode::SERVICE_UNAVAILABLE, "try again in 5 s") }),
    ));
    assert_eq!(
        invoke_json(&plain, &http_v2_event("/busy")).await["statusCode"],
        503
    );
}

#[tokio::test]
async fn an_option_set_to_a_value_that_cannot_be_used_is_refused_naming_it() {
    for (serve, setting, value) in [
        (
            Serve::new(Router::new()).binary_media_types(["image/png", "image /png"]),
            "Serve::binary_media_types",
            "image /png",
        ),
        (
            Serve::new(Router::new()).binary_media_types([""]),
            "Serve::binary_media_types",
            "",
        ),
        (
            Serve::new(Router::new()).buffered_response_limit(0),
            "Serve::buffered_response_limit",
            "0",
        ),
        (
            Serve::new(Router::new()).events_path("/"),
            "Serve::events_path",
            "/",
        ),
    ] {
        let error = serve
            .invoke(http_v2_event("/").to_string())
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "tower_lambda::Configuration");
        assert!(
            error
                .message()
                .starts_with(&format!("{setting} is {value:?}, but it takes ")),
            "{error}"
        );
    }
    // Valid patterns pass.
    let serve = Serve::new(Router::new()).binary_media_types([
        "image/*",
        "*/*",
        "application/vnd.api+json; q=1",
        "font",
    ]);
    assert_eq!(
        invoke_json(&serve, &http_v2_event("/")).await["statusCode"],
        404
    );
}
