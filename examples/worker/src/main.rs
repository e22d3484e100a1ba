//! An order API, its SQS consumer and a nightly EventBridge job in one function (the routes are
//! in `lib.rs`).
//!
//! ## Run it locally
//!
//! `cargo run -p worker` serves `http://127.0.0.1:3000`. In local mode a request to the events
//! path is taken as the event its body holds, run as on Lambda (the kind detected from the
//! body, not from the path), and answered with the invocation's result as JSON (`200`), or a
//! failed invocation's `errorType` and `errorMessage` (`502`). From the repository's root:
//!
//! ```sh
//! curl -i localhost:3000/orders -H 'content-type: application/json' \
//!     -d '{"customer":"ada","sku":"tea","quantity":2}'
//! curl -X POST localhost:3000/events/sqs -H 'content-type: application/json' \
//!     -d @tests/fixtures/events/sqs.json          # {"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}
//! curl -X POST localhost:3000/events/schedule -H 'content-type: application/json' \
//!     -d @tests/fixtures/events/schedule.json     # {"date":"2015-10-08","orders":0,"units":0}
//! ```
//!
//! (The recorded SQS message's body, `Message Body`, is not an order, hence the failure; with
//! an order as its body, `"body": "{\"customer\":\"ada\",\"sku\":\"tea\",\"quantity\":2}"`,
//! the order is recorded and the report counts it.)
//! Nothing delivers the queued orders back locally: [`worker::MemoryQueue`] logs them.
//! Through cargo-lambda's emulator instead: `cargo lambda watch -p worker`, then
//! `cargo lambda invoke worker --data-file tests/fixtures/events/sqs.json` (or
//! `--data-example sqs-event`).
//!
//! ## Deploy it
//!
//! `deploy/worker/template.yaml` (SAM) creates all of this; by hand:
//!
//! 1. `cargo lambda build --release -p worker`, then `cargo lambda deploy worker`.
//! 2. An SQS queue for the orders, with a redrive policy to a dead-letter queue (a message that
//!    is not an order fails every time), and a visibility timeout at least six times the
//!    function's timeout.
//! 3. An **event source mapping** from the queue to the function with
//!    `FunctionResponseTypes: [ReportBatchItemFailures]`
//!    (`aws lambda create-event-source-mapping --function-name worker --event-source-arn <queue arn> --function-response-types ReportBatchItemFailures`):
//!    without it Lambda ignores `batchItemFailures`, and a batch counts as processed whatever
//!    failed in it.
//! 4. An **EventBridge schedule rule** (`cron(0 2 * * ? *)`) targeting the function, and the
//!    permission for `events.amazonaws.com` to invoke it.
//! 5. An HTTP API (payload 2.0) in front of the function for `POST /orders`. Every path may
//!    reach the function: tower-lambda answers `404` to an HTTP request for `/events/...`
//!    without calling the router, so no client can forge a queue message or a schedule.
//!
//! The events path is `/events`; `TOWER_LAMBDA_EVENTS_PATH` changes it (this binary reads it
//! and routes under it, so the routes and tower-lambda agree). The queue and the store are
//! in-memory stand-ins (see `backends.rs`): a deployment puts `aws_sdk_sqs` and a DynamoDB
//! table in their place, since warm instances do not share memory.

use worker::{app, events_path, MemoryQueue, MemoryStore, Worker};

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    let events = events_path(std::env::var("TOWER_LAMBDA_EVENTS_PATH").ok().as_deref());
    let mut worker = Worker::new(MemoryQueue::default(), MemoryStore::default());
    // The bearer token the TOKEN authorizer (`POST /events/authorizer`) lets in.
    if let Ok(token) = std::env::var("WORKER_API_TOKEN") {
        worker = worker.with_api_token(token);
    }
    tower_lambda::Serve::new(app(worker, &events))
        .events_path(events)
        .await
}
