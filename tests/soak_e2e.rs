//! Soak: 100,000 invocations through the real `lambda_runtime` client and the in-test Runtime
//! API; resident memory after warm-up must grow by less than 1 MB.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use http::{Request, Response};
use serde_json::{json, Value};
use support::http::resident_bytes;
use support::runtime_api::RuntimeApi;
use tower_lambda::Body;

const WARM_UP: usize = 10_000;
const TOTAL: usize = 100_000;
const BATCH: usize = 100;

async fn run_batch(api: &mut RuntimeApi, events: &[String], start: usize) {
    for (offset, event) in events.iter().enumerate() {
        api.send(&format!("r{}", start + offset), event.clone());
    }
    for _ in 0..events.len() {
        let posted = api.posted().await;
        assert_eq!(posted.kind, "response");
        let response: Value = serde_json::from_slice(&posted.body).unwrap();
        assert_eq!(response["statusCode"], 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_invocations_do_not_grow_memory() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let service = tower::service_fn(|request: Request<Body>| async move {
        let body = http_body_util::BodyExt::collect(request.into_body())
            .await?
            .to_bytes();
        Ok::<_, tower_lambda::BoxError>(Response::new(format!("{} bytes", body.len())))
    });
    let server = tokio::spawn(tower_lambda::serve(service));

    let event = |i: usize| {
        json!({
            "httpMethod": "POST", "path": format!("/soak/{i}"),
            "multiValueHeaders": {"Host": ["api.example.com"], "X-Repeat": ["a", "b"], "Cookie": ["a=1; b=2"]},
            "multiValueQueryStringParameters": {"q": ["x y", "1&2"]},
            "requestContext": {"stage": "prod", "path": format!("/prod/soak/{i}"), "requestId": "r"},
            "body": "aGVsbG8gd29ybGQ=", "isBase64Encoded": true
        })
        .to_string()
    };
    let events: Vec<String> = (0..BATCH).map(event).collect();

    let mut done = 0;
    while done < WARM_UP {
        run_batch(&mut api, &events, done).await;
        done += BATCH;
    }
    let after_warm_up = resident_bytes();
    while done < TOTAL {
        run_batch(&mut api, &events, done).await;
        done += BATCH;
    }
    let at_end = resident_bytes();
    let grown = at_end.saturating_sub(after_warm_up);
    println!(
        "soak: {TOTAL} invocations; resident {} KiB after warm-up, {} KiB at the end (+{} KiB)",
        after_warm_up / 1024,
        at_end / 1024,
        grown / 1024
    );
    assert!(
        grown < 1024 * 1024,
        "resident memory grew by {grown} bytes after warm-up"
    );
    server.abort();
}
