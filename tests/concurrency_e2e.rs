//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY` > 1 events are served
//! concurrently by clones of the service. 10,000 events with 8 in flight: every response goes to
//! its own request id with its own body.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use http::{Request, Response};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::runtime_api::RuntimeApi;
use tower_lambda::{Body, RequestExt};

const EVENTS: usize = 10_000;
const IN_FLIGHT: usize = 8;

fn event(i: usize) -> String {
    json!({
        "version": "2.0", "rawPath": format!("/item/{i}"), "rawQueryString": format!("n={i}"),
        "headers": {"host": "u.lambda-url.us-east-1.on.aws", "x-n": i.to_string()},
        "requestContext": {"domainName": "u.lambda-url.us-east-1.on.aws", "http": {"method": "GET"}},
        "body": format!("body-{i}"), "isBase64Encoded": false
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_events_eight_in_flight_each_answered_to_its_own_request() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", IN_FLIGHT.to_string());

    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (a, m) = (Arc::clone(&active), Arc::clone(&most));
    let service = tower::service_fn(move |request: Request<Body>| {
        let (active, most) = (Arc::clone(&a), Arc::clone(&m));
        async move {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let request_id = request
                .lambda_context()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            let uri = request.uri().to_string();
            let n = request.headers()["x-n"].to_str().unwrap_or("").to_owned();
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await?
                .to_bytes();
            // Give the other workers time to overlap.
            tokio::time::sleep(Duration::from_micros(200)).await;
            active.fetch_sub(1, Ordering::SeqCst);
            let text = format!("{request_id}|{uri}|{n}|{}", String::from_utf8_lossy(&body));
            Ok::<_, tower_lambda::BoxError>(Response::new(text))
        }
    });
    let server = tokio::spawn(tower_lambda::serve(service));

    for i in 0..EVENTS {
        api.send(&format!("req-{i}"), event(i));
    }
    let mut answered = HashSet::new();
    for _ in 0..EVENTS {
        let posted = api.posted().await;
        assert_eq!(posted.kind, "response");
        let i: usize = posted
            .request_id
            .strip_prefix("req-")
            .unwrap()
            .parse()
            .unwrap();
        let response: Value = serde_json::from_slice(&posted.body).unwrap();
        assert_eq!(
            response["body"],
            format!("req-{i}|/item/{i}?n={i}|{i}|body-{i}"),
            "request id {} got someone else's answer",
            posted.request_id
        );
        assert!(answered.insert(i), "answered twice: {i}");
    }
    assert_eq!(answered.len(), EVENTS);
    let most = most.load(Ordering::SeqCst);
    assert!(
        most > 1 && most <= IN_FLIGHT,
        "at most {IN_FLIGHT} in flight, and more than one: {most}"
    );
    server.abort();
}
