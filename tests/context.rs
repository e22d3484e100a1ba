//! The typed request context, the axum extractors and `ConnectInfo`: every value comes from the
//! event, never from headers a client could send.

use axum::{extract::ConnectInfo, routing::get, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use tower_lambda::extract::LambdaContext;
use tower_lambda::{EventSource, RequestContext, RequestExt, Serve, SourceContext};

fn fixture(path: &str) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    serde_json::from_slice(&std::fs::read(dir.join(format!("{path}.json"))).unwrap()).unwrap()
}

/// Answers with a JSON summary of what the request carries.
async fn summary(request: axum::extract::Request) -> axum::Json<Value> {
    let connect = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let Some(context) = request.request_context() else {
        return axum::Json(json!({"context": null}));
    };
    let mut stage_variables: Vec<_> = context.stage_variables().iter().collect();
    stage_variables.sort();
    let mut path_parameters: Vec<_> = context.path_parameters().iter().collect();
    path_parameters.sort();
    axum::Json(json!({
        "source": format!("{:?}", context.source()),
        "request_id": context.request_id(),
        "stage": context.stage(),
        "domain_name": context.domain_name(),
        "source_ip": context.source_ip().map(|ip| ip.to_string()),
        "connect_info": connect,
        "user_agent": context.user_agent(),
        "stage_variables": stage_variables,
        "path_parameters": path_parameters,
        "claim1": context.claim("claim1"),
        "scopes": context.scopes(),
        "authorizer_context": context.authorizer_context(),
        "iam_user_arn": context.iam_user_arn(),
        "typed_ok": context.typed().is_ok(),
    }))
}

async fn summarize(event: &Value) -> Value {
    let app = Router::new().fallback(summary);
    let json = Serve::new(app).invoke(event.to_string()).await.unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn rest_api_context() {
    let got = summarize(&fixture("rest_api/proxy_request")).await;
    assert_eq!(
        got,
        json!({
            "source": "RestApi",
            "request_id": "deef4878-7910-11e6-8f14-25afc3e9ae33",
            "stage": "testStage",
            "domain_name": "gy415nuibc.execute-api.us-east-2.amazonaws.com",
            "source_ip": "192.168.196.186",
            "connect_info": "192.168.196.186:0",
            "user_agent": "PostmanRuntime/2.4.5",
            "stage_variables": [["stageVariableName", "stageVariableValue"]],
            "path_parameters": [["proxy", "hello/world"]],
            "claim1": null,
            "scopes": null,
            "authorizer_context": {"principalId": "admin", "clientId": 1, "clientName": "Exata"},
            "iam_user_arn": "theUserArn",
            "typed_ok": true
        })
    );
}

#[tokio::test]
async fn http_api_jwt_context() {
    let got = summarize(&fixture("http_api_v2/jwt_authorizer_no_host")).await;
    assert_eq!(got["source"], "HttpApiV2");
    assert_eq!(got["request_id"], "id");
    assert_eq!(got["stage"], "$default");
    // The recorded event's `sourceIp` is the placeholder "IP": not an address, so none is claimed.
    assert_eq!(got["source_ip"], Value::Null);
    assert_eq!(got["connect_info"], Value::Null);
    assert_eq!(got["claim1"], "value1");
    assert_eq!(got["scopes"], json!(["scope1", "scope2"]));
    assert_eq!(
        got["stage_variables"],
        json!([["stageVariable1", "value1"], ["stageVariable2", "value2"]])
    );
    assert_eq!(got["path_parameters"], json!([["proxy", "hello/world"]]));
}

#[tokio::test]
async fn function_url_iam_context() {
    let got = summarize(&fixture("function_url/doc_example_iam_no_host")).await;
    assert_eq!(got["source"], "FunctionUrl");
    assert_eq!(got["source_ip"], "123.123.123.123");
    assert_eq!(got["connect_info"], "123.123.123.123:0");
    assert_eq!(
        got["iam_user_arn"],
        "arn:aws:iam::111122223333:user/example-user"
    );
    assert_eq!(got["stage"], Value::Null);
}

#[tokio::test]
async fn alb_source_ip_is_the_entry_alb_appended() {
    let mut event = fixture("alb/request");
    event["headers"]["x-forwarded-for"] = json!("6.6.6.6, 72.21.198.66");
    let got = summarize(&event).await;
    assert_eq!(got["source"], "Alb");
    assert_eq!(
        got["source_ip"], "72.21.198.66",
        "the client-supplied first entry is ignored"
    );
    assert_eq!(got["request_id"], Value::Null);
    assert_eq!(got["typed_ok"], true);
}

#[tokio::test]
async fn look_alike_headers_change_nothing() {
    let honest = summarize(&fixture("http_api_v2/jwt_authorizer_no_host")).await;
    let mut forged = fixture("http_api_v2/jwt_authorizer_no_host");
    let headers = forged["headers"].as_object_mut().unwrap();
    for (name, value) in [
        (
            "x-amzn-request-context",
            r#"{"stage":"admin","authorizer":{"jwt":{"claims":{"claim1":"forged"}}}}"#,
        ),
        (
            "x-amzn-apigateway-event",
            r#"{"requestContext":{"requestId":"forged"}}"#,
        ),
        ("x-amzn-lambda-context", r#"{"request_id":"forged"}"#),
        ("x-apigateway-context", r#"{"stage":"forged"}"#),
        ("x-forwarded-for", "6.6.6.6"),
        ("x-real-ip", "6.6.6.6"),
        ("lambda-runtime-aws-request-id", "forged"),
    ] {
        headers.insert(name.to_owned(), json!(value));
    }
    assert_eq!(summarize(&forged).await, honest);
}

#[tokio::test]
async fn typed_context_matches_the_source() {
    let app = Router::new().fallback(|request: axum::extract::Request| async move {
        match request.request_context().map(RequestContext::typed) {
            Some(Ok(SourceContext::HttpApiV2(c))) => {
                format!("v2 {}", c.route_key.as_deref().unwrap_or(""))
            }
            Some(Ok(SourceContext::RestApi(c))) => {
                format!("rest {}", c.resource_path.as_deref().unwrap_or(""))
            }
            other => format!("other {other:?}"),
        }
    });
    let serve = Serve::new(app);
    let body = |json: String| serde_json::from_str::<Value>(&json).unwrap()["body"].clone();
    let v2 = serve
        .invoke(fixture("http_api_v2/no_authorizer").to_string())
        .await
        .unwrap();
    assert_eq!(body(v2), "v2 $default");
    let rest = serve
        .invoke(fixture("rest_api/proxy_request").to_string())
        .await
        .unwrap();
    assert_eq!(body(rest), "rest /{proxy+}");
}

#[tokio::test]
async fn extractors_give_the_context_or_say_what_is_missing() {
    let app = Router::new()
        .route(
            "/context",
            get(|context: RequestContext| async move {
                format!("{:?}", context.source() == EventSource::HttpApiV2)
            }),
        )
        .route(
            "/lambda",
            get(|LambdaContext(c): LambdaContext| async move { c.request_id }),
        );
    let event = |path: &str| {
        json!({
            "version": "2.0", "rawPath": path, "rawQueryString": "",
            "requestContext": {"http": {"method": "GET"}, "domainName": "x.example", "timeEpoch": 0},
        })
        .to_string()
    };
    let serve = Serve::new(app);
    let context: Value =
        serde_json::from_str(&serve.invoke(event("/context")).await.unwrap()).unwrap();
    assert_eq!(
        (context["statusCode"].as_u64(), context["body"].as_str()),
        (Some(200), Some("true"))
    );
    // `Serve::invoke` runs without the Lambda runtime, so there is no invocation context.
    let lambda: Value =
        serde_json::from_str(&serve.invoke(event("/lambda")).await.unwrap()).unwrap();
    assert_eq!(lambda["statusCode"], 500);
    assert!(
        lambda["body"]
            .as_str()
            .unwrap()
            .contains("missing the Lambda invocation context"),
        "{lambda}"
    );
}

#[tokio::test]
async fn http_api_v1_jwt_claims_and_scopes() {
    let mut event = fixture("http_api_v1/doc_example");
    event["requestContext"]["authorizer"] =
        json!({"claims": {"claim1": "v1-claim"}, "scopes": ["read", "write"]});
    let got = summarize(&event).await;
    assert_eq!(got["source"], "HttpApiV1");
    assert_eq!(got["claim1"], "v1-claim");
    assert_eq!(got["scopes"], json!(["read", "write"]));
}
