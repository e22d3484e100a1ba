//! Non-HTTP events end to end on the real `lambda_runtime` client against the in-test Runtime
//! API, the events path turned on by `TOWER_LAMBDA_EVENTS_PATH` alone: an SQS batch's result is
//! what the handler answered, a failure status and a panic are failed invocations (`/error`),
//! the Lambda context travels with the event, and HTTP events keep working beside them.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use axum::{extract::Request, routing::post, Json, Router};
use serde_json::{json, Value};
use support::runtime_api::RuntimeApi;
use tower_lambda::{EventKind, RequestExt};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn app() -> Router {
    Router::new()
        .route(
            "/jobs/sqs",
            post(|request: Request| async move {
                let lambda = request.lambda_context().map(|c| c.request_id.clone());
                let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                    .await
                    .unwrap();
                let event: Value = serde_json::from_slice(&body).unwrap();
                let failed: Vec<Value> = event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|record| json!({"itemIdentifier": record["messageId"]}))
                    .collect();
                Json(json!({"batchItemFailures": failed, "lambdaRequestId": lambda}))
            }),
        )
        .route(
            "/jobs/schedule",
            post(|| async {
                (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "the report store is down",
                )
            }),
        )
        .route(
            "/jobs/{kind}",
            post(|kind: EventKind| async move {
                if kind == EventKind::S3 {
                    panic!("a bug in the S3 handler");
                }
                format!("{kind:?}")
            }),
        )
        .route("/hello", axum::routing::get(|| async { "hello" }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_through_the_real_runtime_client() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("TOWER_LAMBDA_EVENTS_PATH", "/jobs/");
    let server = tokio::spawn(tower_lambda::serve(app()));

    api.send("sqs-1", fixture("sqs.json"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("sqs-1", "response")
    );
    let result: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        result,
        json!({"batchItemFailures": [{"itemIdentifier": "MessageID_1"}], "lambdaRequestId": "sqs-1"})
    );

    api.send("schedule-1", fixture("schedule.json"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("schedule-1", "error")
    );
    let error: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(error["errorType"], "tower_lambda::Status503");
    assert_eq!(error["errorMessage"], "the report store is down");

    api.send("s3-1", fixture("s3.json"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("s3-1", "error")
    );
    let error: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(error["errorType"], "tower_lambda::ServiceError");
    assert!(error["errorMessage"]
        .as_str()
        .unwrap()
        .contains("a bug in the S3 handler"));

    api.send("direct-1", fixture("direct_invoke.json"));
    let posted = api.posted().await;
    assert_eq!(posted.kind, "response");
    assert_eq!(&posted.body[..], br#""Unknown""#);

    // HTTP events beside them, and an HTTP client cannot reach the events path.
    let http_event = |path: &str| {
        json!({
            "httpMethod": "POST", "path": path, "headers": {"Host": "api.example.com"},
            "requestContext": {"stage": "prod"}, "body": fixture("sqs.json"), "isBase64Encoded": false
        })
        .to_string()
    };
    api.send("http-1", http_event("/jobs/sqs"));
    let posted = api.posted().await;
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        (posted.kind.as_str(), &response["statusCode"]),
        ("response", &json!(404))
    );
    let mut hello: Value = serde_json::from_str(&http_event("/hello")).unwrap();
    hello["httpMethod"] = json!("GET");
    api.send("http-2", hello.to_string());
    let posted = api.posted().await;
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        (response["statusCode"].as_u64(), response["body"].as_str()),
        (Some(200), Some("hello"))
    );

    assert!(!server.is_finished(), "serve keeps running");
    server.abort();
}
