//! End to end on the real `lambda_runtime` client: `serve(app)` polls an in-test Runtime API on
//! 127.0.0.1, and every event source's response is asserted as posted, together with a service
//! error, a service panic followed by a normal event, and an event that is not HTTP.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use http::{Request, Response};
use serde_json::{json, Value};
use std::path::Path;
use support::runtime_api::RuntimeApi;
use tower_lambda::{Body, Context};

fn fixture(path: &str) -> (Vec<u8>, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let event = std::fs::read(dir.join(format!("{path}.json"))).unwrap();
    let expected =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{path}.expected.json"))).unwrap())
            .unwrap();
    (event, expected)
}

/// Answers `METHOD URI request-id` with a cookie, panics on `/panic`, fails on `/fail`.
async fn app(request: Request<Body>) -> Result<Response<String>, std::io::Error> {
    match request.uri().path() {
        "/panic" => panic!("the handler panicked on purpose"),
        "/fail" => return Err(std::io::Error::other("the handler failed on purpose")),
        _ => {}
    }
    let request_id = request
        .extensions()
        .get::<Context>()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let body = format!("{} {} {request_id}", request.method(), request.uri());
    Ok(Response::builder()
        .header("content-type", "text/plain")
        .header("set-cookie", "a=1; Path=/")
        .header("set-cookie", "b=2")
        .body(body)
        .unwrap())
}

fn v2_event(path: &str) -> String {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "u.lambda-url.us-east-1.on.aws"},
        "requestContext": {"domainName": "u.lambda-url.us-east-1.on.aws", "http": {"method": "GET"}},
        "isBase64Encoded": false
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_every_source_through_the_real_runtime_client() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let server = tokio::spawn(tower_lambda::serve(tower::service_fn(app)));

    // Every source: the posted JSON is exactly that source's shape.
    let cases = [
        ("rest_api/proxy_request", "multi"),
        ("http_api_v1/doc_example", "multi"),
        ("http_api_v2/no_authorizer", "v2"),
        ("function_url/get_root_with_host", "v2"),
        ("alb/request", "alb"),
        ("alb_multi/multi_value_request", "alb-multi"),
    ];
    for (i, (path, shape)) in cases.iter().enumerate() {
        let (event, expected) = fixture(path);
        let id = format!("req-{i}");
        api.send(&id, event);
        let posted = api.posted().await;
        assert_eq!(
            (posted.request_id.as_str(), posted.kind.as_str()),
            (id.as_str(), "response"),
            "{path}"
        );
        let body = format!(
            "{} {} {id}",
            expected["method"].as_str().unwrap(),
            expected["uri"].as_str().unwrap()
        );
        let want = match *shape {
            "multi" => json!({
                "statusCode": 200,
                "multiValueHeaders": {"content-type": ["text/plain"], "set-cookie": ["a=1; Path=/", "b=2"]},
                "body": body, "isBase64Encoded": false
            }),
            "v2" => json!({
                "statusCode": 200, "headers": {"content-type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2"], "body": body, "isBase64Encoded": false
            }),
            "alb" => json!({
                "statusCode": 200, "statusDescription": "200 OK",
                "headers": {"content-type": "text/plain", "set-cookie": "a=1; Path=/", "Set-cookie": "b=2"},
                "body": body, "isBase64Encoded": false
            }),
            _ => json!({
                "statusCode": 200, "statusDescription": "200 OK",
                "multiValueHeaders": {"content-type": ["text/plain"], "set-cookie": ["a=1; Path=/", "b=2"]},
                "body": body, "isBase64Encoded": false
            }),
        };
        let got: Value = serde_json::from_slice(&posted.body).unwrap();
        assert_eq!(got, want, "{path}");
    }

    // A service error: 500, and the invocation itself succeeds.
    api.send("req-fail", v2_event("/fail"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("req-fail", "response")
    );
    let got: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        got,
        json!({"statusCode": 500, "headers": {"content-type": "text/plain; charset=utf-8"}, "cookies": [],
               "body": "Internal Server Error", "isBase64Encoded": false})
    );

    // A panic: 500, then the next event is served normally by the same process.
    api.send("req-panic", v2_event("/panic"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("req-panic", "response")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&posted.body).unwrap()["statusCode"],
        500
    );
    api.send("req-after-panic", v2_event("/still-alive"));
    let posted = api.posted().await;
    assert_eq!(posted.request_id, "req-after-panic");
    let got: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(got["statusCode"], 200);
    assert_eq!(got["body"], "GET /still-alive req-after-panic");

    // Not an HTTP event: a failed invocation naming what was expected and what arrived.
    api.send(
        "req-sqs",
        r#"{"Records":[{"eventSource":"aws:sqs","body":"hi"}]}"#,
    );
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("req-sqs", "error")
    );
    // lambda_runtime sends `Lambda-Runtime-Function-Error-Type: unhandled`; our type is in the body.
    assert!(posted.error_type.is_some());
    let diagnostic: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(diagnostic["errorType"], "tower_lambda::UnsupportedEvent");
    let message = diagnostic["errorMessage"].as_str().unwrap();
    assert!(message.contains("expected an HTTP event"), "{message}");
    assert!(message.contains("[\"Records\"]"), "{message}");

    // And it still serves after that.
    api.send("req-last", v2_event("/"));
    assert_eq!(api.posted().await.kind, "response");

    assert!(!server.is_finished(), "serve keeps running");

    // Dropping `serve`'s future stops the runtime loop (which runs as a task of its own): an
    // event sent afterwards is not answered.
    server.abort();
    assert!(server.await.unwrap_err().is_cancelled());
    api.send("req-after-drop", v2_event("/"));
    let late = tokio::time::timeout(std::time::Duration::from_millis(500), api.posted()).await;
    assert!(late.is_err(), "answered after serve was dropped: {late:?}");
}
