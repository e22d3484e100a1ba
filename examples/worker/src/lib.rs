//! An order API, its queue consumer and a nightly job, in one function: the routes.
//!
//! With [`Serve::events_path`](tower_lambda::Serve::events_path) tower-lambda turns every event
//! that is not an HTTP event into `POST {events path}/{kind}` (here `/events/sqs`,
//! `/events/schedule`, ...), with the event's JSON as the body, so the consumer and the job are
//! ordinary axum routes next to the API:
//!
//! | Request | Comes from | What the route does | The invocation's result |
//! |---|---|---|---|
//! | `POST /orders` | an HTTP API | validates the order, puts it on the [`Queue`] | (an HTTP response: `202 {"messageId":"…"}`) |
//! | `POST /events/sqs` | the queue's event source mapping | records each valid order in the [`OrderStore`] | `{"batchItemFailures":[{"itemIdentifier":"…"}]}`: the messages SQS must deliver again |
//! | `POST /events/schedule` | an EventBridge schedule | the nightly report over the recorded orders | `{"date":"…","orders":N,"units":N}`, or a failed invocation (`500`) |
//! | `POST /events/authorizer` | API Gateway, as the REST API's TOKEN authorizer, before each protected request | compares the token with [`Worker::api_token`] | an IAM policy allowing the method, or `Unauthorized` (API Gateway answers `401`) |
//! | `POST /events/{kind}` | any other event (SNS, S3, a direct invoke, …) | logs it | `null` |
//!
//! The event routes take [`EventKind`], which refuses (`404`) a request that did not come from
//! a non-HTTP event. tower-lambda already answers `404`, without calling the router, to an HTTP
//! request for a path under the events path; the extractor keeps that true if the app ever turns
//! on [`Serve::events_reachable_over_http`](tower_lambda::Serve::events_reachable_over_http).
//!
//! A non-2xx answer to an event fails the invocation (error type `tower_lambda::Status<code>`,
//! the body as the message), which is what makes Lambda retry it, count it in the `Errors`
//! metric and, in the end, send it to a dead-letter queue or an on-failure destination. So:
//! a batch whose JSON cannot be read at all fails as a whole (axum answers `400`/`422`); one bad
//! message fails alone (a partial batch response, which needs `ReportBatchItemFailures` on the
//! event source mapping); a report that cannot run answers `500`.

pub mod backends;

use axum::{
    extract::{rejection::JsonRejection, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use tower_lambda::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use tower_lambda::aws_lambda_events::event::eventbridge::EventBridgeEvent;
use tower_lambda::aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use tower_lambda::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use tower_lambda::EventKind;

pub use backends::{
    BackendError, BoxFuture, MemoryQueue, MemoryStore, OrderStore, Queue, SentMessage, Summary,
};

/// Where events are routed when `TOWER_LAMBDA_EVENTS_PATH` does not say otherwise.
pub const EVENTS_PATH: &str = "/events";

/// The events path for the value of `TOWER_LAMBDA_EVENTS_PATH`: one leading `/` and no
/// trailing one, as tower-lambda reads it; [`EVENTS_PATH`] when the variable is not set or is
/// the root (which tower-lambda refuses: it would take every route).
pub fn events_path(configured: Option<&str>) -> String {
    match configured.map(|path| path.trim_matches('/')) {
        Some(path) if !path.is_empty() => format!("/{path}"),
        _ => EVENTS_PATH.to_owned(),
    }
}

/// An order, as `POST /orders` takes it and as it travels on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Who ordered.
    pub customer: String,
    /// What they ordered.
    pub sku: String,
    /// How many, at least 1.
    pub quantity: u32,
}

impl Order {
    /// Why the order cannot be taken, if it cannot.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.customer.trim().is_empty() {
            return Err("an order needs a customer");
        }
        if self.sku.trim().is_empty() {
            return Err("an order needs a sku");
        }
        if self.quantity == 0 {
            return Err("the quantity must be at least 1");
        }
        Ok(())
    }
}

/// The app's state: where orders go, and where processed ones are recorded.
#[derive(Clone)]
pub struct Worker {
    /// Where `POST /orders` puts orders.
    pub queue: Arc<dyn Queue>,
    /// Where the consumer records orders and the report reads them.
    pub store: Arc<dyn OrderStore>,
    /// The bearer token the authorizer lets in (`Authorization: Bearer {token}`); `None` lets
    /// nobody in.
    pub api_token: Option<Arc<str>>,
}

impl Worker {
    /// A worker on these backends.
    pub fn new(queue: impl Queue + 'static, store: impl OrderStore + 'static) -> Self {
        Self {
            queue: Arc::new(queue),
            store: Arc::new(store),
            api_token: None,
        }
    }

    /// The same worker, whose authorizer lets in requests that carry `token`.
    pub fn with_api_token(mut self, token: impl Into<Arc<str>>) -> Self {
        self.api_token = Some(token.into());
        self
    }
}

/// The router: `POST /orders`, and the event routes under `events_path` (pass the path given
/// to [`Serve::events_path`](tower_lambda::Serve::events_path)).
///
/// # Panics
/// When `events_path` does not start with `/`, or is `/` (see [`events_path`]).
pub fn app(worker: Worker, events_path: &str) -> Router {
    let events = Router::new()
        .route("/sqs", post(consume_orders))
        .route("/schedule", post(nightly_report))
        .route("/authorizer", post(authorize))
        .route("/{kind}", post(ignore));
    Router::new()
        .route("/orders", post(enqueue))
        .nest(events_path, events)
        .with_state(worker)
}

/// An error as JSON, with its status.
fn error(status: StatusCode, message: impl fmt::Display) -> Response {
    let body = serde_json::json!({ "error": message.to_string() });
    (status, Json(body)).into_response()
}

/// `POST /orders`: validate the order and enqueue it; `202` with the message id.
async fn enqueue(
    State(worker): State<Worker>,
    order: Result<Json<Order>, JsonRejection>,
) -> Response {
    let order = match order {
        Ok(Json(order)) => order,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    if let Err(why) = order.validate() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, why);
    }
    // The message is the order as JSON, re-written (not the request's bytes): only what was
    // validated reaches the consumer.
    let body = match serde_json::to_string(&order) {
        Ok(body) => body,
        Err(failure) => return error(StatusCode::INTERNAL_SERVER_ERROR, failure),
    };
    match worker.queue.send_message(&body).await {
        Ok(message_id) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "messageId": message_id })),
        )
            .into_response(),
        Err(failure) => {
            tracing::error!(%failure, "could not enqueue the order");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the order could not be queued; try again",
            )
        }
    }
}

/// Why one SQS message could not be processed.
#[derive(Debug)]
enum MessageError {
    NotAnOrder(serde_json::Error),
    Invalid(&'static str),
    Store(BackendError),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnOrder(error) => write!(f, "the body is not an order: {error}"),
            Self::Invalid(why) => write!(f, "the order is not valid: {why}"),
            Self::Store(error) => write!(f, "the order could not be recorded: {error}"),
        }
    }
}

/// Processes one message: read the order from its body and record it.
async fn process(
    worker: &Worker,
    message_id: &str,
    message: &SqsMessage,
) -> Result<(), MessageError> {
    let body = message.body.as_deref().unwrap_or_default();
    let order: Order = serde_json::from_str(body).map_err(MessageError::NotAnOrder)?;
    order.validate().map_err(MessageError::Invalid)?;
    worker
        .store
        .record(message_id, &order)
        .await
        .map_err(MessageError::Store)?;
    tracing::info!(
        message_id,
        customer = order.customer,
        sku = order.sku,
        quantity = order.quantity,
        "processed an order"
    );
    Ok(())
}

/// `POST /events/sqs`: a batch of queued orders. Each message is processed on its own; the
/// answer names the ones that failed, which SQS delivers again (after the visibility timeout)
/// until the queue's redrive policy moves them to the dead-letter queue. The others are deleted.
///
/// Needs `FunctionResponseTypes: [ReportBatchItemFailures]` on the event source mapping:
/// without it Lambda ignores the answer, and the whole batch counts as processed.
async fn consume_orders(
    _: EventKind,
    State(worker): State<Worker>,
    Json(event): Json<SqsEvent>,
) -> Json<SqsBatchResponse> {
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        // Without an id the message cannot be named; an empty identifier makes Lambda retry the
        // whole batch, the safe outcome.
        let message_id = message.message_id.as_deref().unwrap_or_default();
        if let Err(failure) = process(&worker, message_id, message).await {
            tracing::warn!(message_id, %failure, "the message failed; SQS will deliver it again");
            response.add_failure(message_id);
        }
    }
    Json(response)
}

/// What the nightly report answers.
#[derive(Debug, Serialize)]
struct Report {
    /// The day of the schedule's run (the event's `time`), `YYYY-MM-DD`.
    date: Option<String>,
    #[serde(flatten)]
    summary: Summary,
}

/// `POST /events/schedule`: the nightly report, run by an EventBridge schedule rule. The answer
/// is the invocation's result (which EventBridge, invoking asynchronously, does not read; an
/// on-success destination would receive it). A report that cannot run answers `500`, which
/// fails the invocation: Lambda retries it (twice, by default, for asynchronous invocations)
/// and counts it in the `Errors` metric an alarm can watch.
async fn nightly_report(
    _: EventKind,
    State(worker): State<Worker>,
    Json(event): Json<EventBridgeEvent>,
) -> Result<Json<Report>, (StatusCode, String)> {
    let rule = event
        .resources
        .as_deref()
        .and_then(<[String]>::first)
        .map_or("-", String::as_str);
    let summary = worker.store.summary().await.map_err(|failure| {
        tracing::error!(rule, %failure, "the nightly report could not run");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the nightly report could not run: {failure}"),
        )
    })?;
    let date = event.time.map(|time| time.date_naive().to_string());
    tracing::info!(
        rule,
        date,
        orders = summary.orders,
        units = summary.units,
        "nightly report"
    );
    Ok(Json(Report { date, summary }))
}

/// `POST /events/{kind}`: the events this worker does not handle (SNS, S3, a direct invoke,
/// ...) are logged and acknowledged (`200`, empty: the result `null`). Without this route axum
/// would answer `404`, which fails the invocation and has the event retried.
/// `POST /events/authorizer`: the REST API's TOKEN authorizer. API Gateway calls the function
/// with the token before each protected request (tower-lambda never serves that event as the
/// request itself); a policy allowing the method lets the request through, `401` (the
/// invocation error `Unauthorized`) makes API Gateway answer `401`.
async fn authorize(
    State(worker): State<Worker>,
    _: EventKind,
    Json(event): Json<ApiGatewayCustomAuthorizerRequest>,
) -> Result<Json<ApiGatewayCustomAuthorizerResponse>, StatusCode> {
    let expected = worker.api_token.ok_or(StatusCode::UNAUTHORIZED)?;
    let token = event.authorization_token.unwrap_or_default();
    if token.strip_prefix("Bearer ") != Some(&*expected) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    // The aws_lambda_events types are #[non_exhaustive]: built from their defaults.
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = vec![event.method_arn.unwrap_or_default()];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut answer = ApiGatewayCustomAuthorizerResponse::default();
    answer.principal_id = Some("api-client".to_owned());
    answer.policy_document = policy;
    Ok(Json(answer))
}

async fn ignore(kind: EventKind) -> StatusCode {
    tracing::info!(
        kind = kind.path_segment(),
        "an event this worker does not handle; ignored"
    );
    StatusCode::OK
}
