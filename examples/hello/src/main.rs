//! The tower-lambda hello example: one axum app, on Lambda or on your laptop.
//!
//! - `cargo run -p hello` serves it on http://127.0.0.1:3000
//! - `cargo lambda watch -p hello` runs it under cargo-lambda's emulator
//! - `cargo lambda build --release --compiler cargo -p hello` builds `target/lambda/hello/bootstrap`
//! - with `TOWER_LAMBDA_EVENTS_PATH=/events`, non-HTTP events (SQS, S3, schedules, ...) reach
//!   `POST /events/{kind}`, which answers with the kind and the event's size

use axum::{
    body::Bytes,
    extract::{Path, RawQuery},
    http::{header, HeaderMap},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use serde_json::Value;

/// A 1×1 transparent PNG, to show binary responses travelling base64-encoded.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello from tower-lambda!" }))
        .route("/hello/{name}", get(hello))
        .route("/echo", post(echo))
        .route("/pixel.png", get(pixel))
        .route("/inspect", post(inspect))
        .route("/events/{kind}", post(event))
}

/// A non-HTTP event (when `TOWER_LAMBDA_EVENTS_PATH=/events`): its kind, as tower-lambda
/// detected it, and its size. The answer is the invocation's result.
async fn event(request: axum::extract::Request) -> Json<Value> {
    let kind = request
        .extensions()
        .get::<tower_lambda::EventKind>()
        .map(|kind| kind.path_segment());
    let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .map_or(0, |body| body.len());
    Json(serde_json::json!({"kind": kind, "bytes": bytes}))
}

/// What arrived: the query as sent, the cookies, every value of `x-repeat`, and the body's size
/// and byte sum (so a binary body can be checked).
async fn inspect(RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes) -> String {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join("|")
    };
    let sum: u64 = body.iter().map(|&b| u64::from(b)).sum();
    format!(
        "query={}\ncookie={}\nx-repeat={}\nbody={} {sum}\n",
        query.unwrap_or_default(),
        values("cookie"),
        values("x-repeat"),
        body.len()
    )
}

async fn hello(Path(name): Path<String>) -> String {
    format!("Hello, {name}!")
}

async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

async fn pixel() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/png")], PIXEL_PNG)
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    tower_lambda::serve(app()).await
}
