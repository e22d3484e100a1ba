//! A 50 MB generated download, far past Lambda's 6 MB buffered limit: with streaming on, the
//! body leaves in chunks as it is generated, and memory stays flat.
//!
//! - `cargo run -p download`, then `curl -o big.bin http://127.0.0.1:3000/big.bin`
//! - `cargo lambda deploy --enable-function-url download`, then
//!   `aws lambda update-function-url-config --function-name download --invoke-mode RESPONSE_STREAM`

use axum::{body::Body, http::header, response::IntoResponse, routing::get, Router};
use bytes::Bytes;
use futures_util::stream;
use std::convert::Infallible;
use tower_lambda::{ResponseMode, Serve};

/// The size of the download.
const SIZE: usize = 50 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// Chunk `n` of the file: bytes that depend on their position, so a client can check them.
fn chunk(n: usize) -> Bytes {
    let start = n * CHUNK;
    let len = CHUNK.min(SIZE - start);
    Bytes::from(
        (start..start + len)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    )
}

async fn big() -> impl IntoResponse {
    let chunks = stream::iter((0..SIZE.div_ceil(CHUNK)).map(|n| Ok::<_, Infallible>(chunk(n))));
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"big.bin\"".to_owned(),
            ),
            (header::CONTENT_LENGTH, SIZE.to_string()),
        ],
        Body::from_stream(chunks),
    )
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "GET /big.bin for a 50 MB download" }))
        .route("/big.bin", get(big))
}

#[tokio::main]
async fn main() -> Result<(), tower_lambda::Error> {
    Serve::new(app())
        .response_mode(ResponseMode::Streaming)
        .await
}
