//! `examples/hello` on lambda_http, to compare binary size and start-up (benches/size-and-startup.sh).

use axum::{
    extract::Path,
    http::header,
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
async fn main() -> Result<(), lambda_http::Error> {
    // tower-lambda's `serve` installs lambda_runtime's default subscriber; AWS's lambda_http
    // examples install the same one, so both binaries log alike.
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(app()).await
}
