//! The worker through recorded events, in process: each event runs through exactly the path
//! production uses (decode → router → invocation result), as `Serve::invoke` runs it; and the
//! binary in local mode, where requests to the events path are taken as events.

#[path = "../../../tests/support/http.rs"]
mod client;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::Serve;
use worker::{
    app, events_path, BackendError, BoxFuture, MemoryQueue, MemoryStore, Order, OrderStore, Queue,
    Summary, Worker,
};

/// Recorded events (the `aws_lambda_events` crate's and AWS's examples), shared with
/// tower-lambda's own tests.
const SQS: &str = include_str!("../../../tests/fixtures/events/sqs.json");
const SCHEDULE: &str = include_str!("../../../tests/fixtures/events/schedule.json");
const SNS: &str = include_str!("../../../tests/fixtures/events/sns.json");
const DIRECT_INVOKE: &str = include_str!("../../../tests/fixtures/events/direct_invoke.json");
const TOKEN_AUTHORIZER: &str =
    include_str!("../../../tests/fixtures/events/authorizer_rest_token.json");

const ADA: &str = r#"{"customer":"ada","sku":"tea","quantity":2}"#;
const GRACE: &str = r#"{"customer":"grace","sku":"coffee","quantity":3}"#;

/// A worker on in-memory backends, and the backends, to look into.
fn in_memory() -> (Worker, MemoryQueue, MemoryStore) {
    let (queue, store) = (MemoryQueue::default(), MemoryStore::default());
    (Worker::new(queue.clone(), store.clone()), queue, store)
}

fn serve(worker: Worker) -> Serve<axum::Router> {
    Serve::new(app(worker, "/events")).events_path("/events")
}

/// The recorded SQS event, with one record (a copy of the recorded one) per message id and body.
fn sqs_event(messages: &[(&str, &str)]) -> String {
    let mut event: Value = serde_json::from_str(SQS).unwrap();
    let recorded = event["Records"][0].clone();
    event["Records"] = messages
        .iter()
        .map(|(id, body)| {
            let mut record = recorded.clone();
            record["messageId"] = json!(id);
            record["body"] = json!(body);
            record
        })
        .collect();
    event.to_string()
}

fn order(customer: &str, sku: &str, quantity: u32) -> Order {
    Order {
        customer: customer.into(),
        sku: sku.into(),
        quantity,
    }
}

/// A store that is down: every call fails, as the SDK would on throttling or missing
/// permissions.
struct Unavailable;

impl Queue for Unavailable {
    fn send_message<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async { Err(BackendError("QueueDoesNotExist".into())) })
    }
}

impl OrderStore for Unavailable {
    fn record<'a>(&'a self, _: &'a str, _: &'a Order) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async {
            Err(BackendError(
                "ProvisionedThroughputExceededException".into(),
            ))
        })
    }

    fn summary(&self) -> BoxFuture<'_, Result<Summary, BackendError>> {
        Box::pin(async { Err(BackendError("AccessDeniedException".into())) })
    }
}

#[tokio::test]
async fn the_recorded_sqs_message_is_not_an_order_so_it_is_reported_failed() {
    let (worker, _, store) = in_memory();
    let result = serve(worker).invoke(SQS).await.unwrap();
    assert_eq!(
        result,
        r#"{"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}"#
    );
    assert!(store.orders().is_empty());
}

#[tokio::test]
async fn a_bad_message_in_a_batch_is_the_only_one_reported() {
    let (worker, _, store) = in_memory();
    let event = sqs_event(&[
        ("059f36b4-87a3-44ab-83d2-661975830a7d", ADA),
        ("2e1424d4-f796-459a-8184-9c92662be6da", "not an order"),
    ]);
    let result = serve(worker).invoke(event).await.unwrap();
    assert_eq!(
        result,
        r#"{"batchItemFailures":[{"itemIdentifier":"2e1424d4-f796-459a-8184-9c92662be6da"}]}"#
    );
    assert_eq!(
        store.orders(),
        BTreeMap::from([(
            "059f36b4-87a3-44ab-83d2-661975830a7d".to_owned(),
            order("ada", "tea", 2)
        )])
    );
}

#[tokio::test]
async fn every_kind_of_bad_message_fails_alone() {
    let (worker, _, store) = in_memory();
    let event = sqs_event(&[
        ("good", GRACE),
        ("not-json", "{"),
        ("wrong-shape", r#"{"customer":"ada"}"#),
        (
            "no-quantity",
            r#"{"customer":"ada","sku":"tea","quantity":0}"#,
        ),
        (
            "no-customer",
            r#"{"customer":" ","sku":"tea","quantity":1}"#,
        ),
    ]);
    let result: Value = serde_json::from_str(&serve(worker).invoke(event).await.unwrap()).unwrap();
    assert_eq!(
        result,
        json!({"batchItemFailures": [
            {"itemIdentifier": "not-json"},
            {"itemIdentifier": "wrong-shape"},
            {"itemIdentifier": "no-quantity"},
            {"itemIdentifier": "no-customer"},
        ]})
    );
    assert_eq!(store.orders().keys().collect::<Vec<_>>(), ["good"]);
}

#[tokio::test]
async fn a_batch_that_succeeds_reports_no_failures_and_a_redelivery_counts_once() {
    let (worker, _, store) = in_memory();
    let serve = serve(worker);
    let event = sqs_event(&[("m-1", ADA), ("m-2", GRACE)]);
    assert_eq!(
        serve.invoke(&event).await.unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
    // SQS delivers at least once: the same messages again change nothing.
    assert_eq!(
        serve.invoke(&event).await.unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(store.orders().len(), 2);
}

#[tokio::test]
async fn a_store_failure_fails_each_message_not_the_batch() {
    let serve = serve(Worker::new(MemoryQueue::default(), Unavailable));
    let event = sqs_event(&[("m-1", ADA), ("m-2", GRACE)]);
    assert_eq!(
        serve.invoke(event).await.unwrap(),
        r#"{"batchItemFailures":[{"itemIdentifier":"m-1"},{"itemIdentifier":"m-2"}]}"#
    );
}

#[tokio::test]
async fn a_batch_that_cannot_be_read_fails_the_invocation() {
    let (worker, _, _) = in_memory();
    // An SQS event (so routed to /events/sqs) that is not an `SqsEvent`.
    let event = r#"{"Records":[{"eventSource":"aws:sqs","messageId":7}]}"#;
    let failed = serve(worker).invoke(event).await.unwrap_err();
    assert_eq!(failed.error_type(), "tower_lambda::Status422", "{failed}");
    assert!(failed.message().contains("messageId"), "{failed}");
}

#[tokio::test]
async fn the_nightly_report_counts_the_processed_orders() {
    let (worker, _, _) = in_memory();
    let serve = serve(worker);
    assert_eq!(
        serve.invoke(SCHEDULE).await.unwrap(),
        r#"{"date":"2015-10-08","orders":0,"units":0}"#
    );
    let batch = sqs_event(&[("m-1", ADA), ("m-2", GRACE), ("m-3", "oops")]);
    serve.invoke(batch).await.unwrap();
    assert_eq!(
        serve.invoke(SCHEDULE).await.unwrap(),
        r#"{"date":"2015-10-08","orders":2,"units":5}"#
    );
}

#[tokio::test]
async fn a_report_that_cannot_run_fails_the_invocation() {
    let serve = serve(Worker::new(MemoryQueue::default(), Unavailable));
    let failed = serve.invoke(SCHEDULE).await.unwrap_err();
    assert_eq!(
        (failed.error_type(), failed.message()),
        (
            "tower_lambda::Status500",
            "the nightly report could not run: AccessDeniedException"
        )
    );
}

fn post_order(body: &str) -> String {
    EventBuilder::new(Shape::HttpApiV2, "POST", "/orders")
        .header("content-type", "application/json")
        .body(body)
        .build()
}

#[tokio::test]
async fn post_orders_enqueues_and_the_consumer_records_what_was_queued() {
    let (worker, queue, store) = in_memory();
    let serve = serve(worker);
    let response = serve.invoke_decoded(post_order(ADA)).await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text());
    assert_eq!(response.text(), r#"{"messageId":"msg-1"}"#);
    let sent = queue.sent();
    assert_eq!(
        (
            sent.len(),
            sent[0].message_id.as_str(),
            sent[0].body.as_str()
        ),
        (1, "msg-1", ADA)
    );
    assert!(store.orders().is_empty(), "queued, not processed yet");
    // What SQS would then deliver to the function.
    let delivered = sqs_event(&[(&sent[0].message_id, &sent[0].body)]);
    assert_eq!(
        serve.invoke(delivered).await.unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(store.orders()["msg-1"], order("ada", "tea", 2));
}

#[tokio::test]
async fn post_orders_refuses_what_is_not_a_valid_order() {
    let (worker, queue, _) = in_memory();
    let serve = serve(worker);
    let invalid = serve
        .invoke_decoded(post_order(r#"{"customer":"ada","sku":"tea","quantity":0}"#))
        .await
        .unwrap();
    assert_eq!(
        (invalid.status().as_u16(), invalid.text().into_owned()),
        (
            422,
            r#"{"error":"the quantity must be at least 1"}"#.to_owned()
        )
    );
    let not_json = serve.invoke_decoded(post_order("{")).await.unwrap();
    assert_eq!(not_json.status(), 400, "{}", not_json.text());
    let wrong_shape = serve
        .invoke_decoded(post_order(r#"{"customer":"ada"}"#))
        .await
        .unwrap();
    assert_eq!(wrong_shape.status(), 422, "{}", wrong_shape.text());
    let no_type = EventBuilder::new(Shape::HttpApiV2, "POST", "/orders")
        .body(ADA)
        .build();
    let no_type = serve.invoke_decoded(no_type).await.unwrap();
    assert_eq!(no_type.status(), 415, "{}", no_type.text());
    assert!(queue.sent().is_empty());
}

#[tokio::test]
async fn post_orders_answers_503_when_the_queue_is_down() {
    let serve = serve(Worker::new(Unavailable, MemoryStore::default()));
    let response = serve.invoke_decoded(post_order(ADA)).await.unwrap();
    assert_eq!(
        (response.status().as_u16(), response.text().into_owned()),
        (
            503,
            r#"{"error":"the order could not be queued; try again"}"#.to_owned()
        )
    );
}

#[tokio::test]
async fn an_http_client_cannot_reach_the_event_routes() {
    let forged = sqs_event(&[("forged", ADA)]);
    for target in ["/events/sqs", "/events/schedule", "/events/sns"] {
        let event = EventBuilder::new(Shape::HttpApiV2, "POST", target)
            .header("content-type", "application/json")
            .body(forged.clone())
            .build();
        // tower-lambda answers 404 without calling the router...
        let (worker, _, store) = in_memory();
        let response = serve(worker).invoke_decoded(&event).await.unwrap();
        assert_eq!(response.status(), 404, "{target}");
        assert!(store.orders().is_empty(), "{target}");
        // ... and with the events path open to HTTP, the routes' `EventKind` still refuses.
        let (worker, _, store) = in_memory();
        let response = serve(worker)
            .events_reachable_over_http(true)
            .invoke_decoded(&event)
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{target}: {}", response.text());
        assert!(store.orders().is_empty(), "{target}");
    }
}

#[tokio::test]
async fn other_kinds_of_events_are_acknowledged_with_null() {
    let (worker, _, _) = in_memory();
    let serve = serve(worker);
    assert_eq!(serve.invoke(SNS).await.unwrap(), "null");
    assert_eq!(serve.invoke(DIRECT_INVOKE).await.unwrap(), "null");
}

#[tokio::test]
async fn the_events_path_follows_the_environment_variable() {
    assert_eq!(events_path(None), "/events");
    assert_eq!(events_path(Some("/jobs")), "/jobs");
    assert_eq!(events_path(Some("jobs/")), "/jobs");
    assert_eq!(events_path(Some("/")), "/events", "the root is refused");
    assert_eq!(events_path(Some("")), "/events");
    let (worker, _, _) = in_memory();
    let serve = Serve::new(app(worker, "/jobs")).events_path("/jobs");
    assert_eq!(
        serve.invoke(SQS).await.unwrap(),
        r#"{"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}"#
    );
    let forged = EventBuilder::new(Shape::HttpApiV2, "POST", "/jobs/sqs")
        .header("content-type", "application/json")
        .body(SQS)
        .build();
    assert_eq!(serve.invoke_decoded(forged).await.unwrap().status(), 404);
}

/// `curl -X POST localhost:3000/events/sqs -d @event.json` against `cargo run -p worker`.
#[tokio::test]
async fn local_mode_takes_requests_to_the_events_path_as_events() {
    let json = [("content-type", "application/json")];
    for (variable, path) in [(None, "/events"), (Some("/jobs"), "/jobs")] {
        let envs: Vec<(&str, &str)> = match variable {
            Some(value) => vec![("TOWER_LAMBDA_EVENTS_PATH", value)],
            None => vec![],
        };
        let (mut child, address) = client::spawn_local(env!("CARGO_BIN_EXE_worker"), &envs).await;
        let queued = client::send(address, "POST", "/orders", &json, ADA.as_bytes()).await;
        assert_eq!(
            (queued.status, queued.text()),
            (202, r#"{"messageId":"msg-1"}"#.to_owned())
        );
        let sqs = format!("{path}/sqs");
        let recorded = client::send(address, "POST", &sqs, &json, SQS.as_bytes()).await;
        assert_eq!(
            (recorded.status, recorded.text()),
            (
                200,
                r#"{"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}"#.to_owned()
            ),
            "{path}"
        );
        let batch = sqs_event(&[("msg-1", ADA)]);
        let processed = client::send(address, "POST", &sqs, &json, batch.as_bytes()).await;
        assert_eq!(processed.text(), r#"{"batchItemFailures":[]}"#, "{path}");
        let schedule = format!("{path}/schedule");
        let report = client::send(address, "POST", &schedule, &json, SCHEDULE.as_bytes()).await;
        assert_eq!(
            (report.status, report.text()),
            (
                200,
                r#"{"date":"2015-10-08","orders":1,"units":2}"#.to_owned()
            ),
            "{path}"
        );
        child.kill().unwrap();
        let _ = child.wait();
    }
}

#[tokio::test]
async fn the_authorizer_allows_the_token_and_answers_unauthorized_to_any_other() {
    let (worker, queue, _) = in_memory();
    let locked = serve(worker.with_api_token("s3cret"));
    let with_token = |token: &str| {
        let mut event: Value = serde_json::from_str(TOKEN_AUTHORIZER).unwrap();
        event["authorizationToken"] = json!(token);
        event.to_string()
    };
    let policy: Value =
        serde_json::from_str(&locked.invoke(with_token("Bearer s3cret")).await.unwrap()).unwrap();
    let recorded: Value = serde_json::from_str(TOKEN_AUTHORIZER).unwrap();
    assert_eq!(policy["principalId"], "api-client");
    assert_eq!(
        policy["policyDocument"]["Statement"],
        json!([{"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [recorded["methodArn"]]}])
    );
    for token in ["Bearer wrong", "s3cret", ""] {
        let error = locked.invoke(with_token(token)).await.unwrap_err();
        assert_eq!(error.message(), "Unauthorized", "{token:?}");
    }
    // Without a configured token nobody is let in; no order was ever enqueued.
    let (worker, _, _) = in_memory();
    let error = serve(worker)
        .invoke(with_token("Bearer s3cret"))
        .await
        .unwrap_err();
    assert_eq!(error.message(), "Unauthorized");
    assert!(queue.sent().is_empty());
}
