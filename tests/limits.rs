//! The buffered-mode guard: a response whose JSON would exceed Lambda's 6 MB (base64 inflation
//! included) is not collected past the limit and is answered with a documented error; responses
//! just under the limit pass; memory stays bounded whatever the service streams.

mod support;

use axum::{body::Body as AxumBody, http::header, routing::get, Router};
use base64::Engine;
use bytes::Bytes;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::http::resident_bytes;
use tower_http::compression::CompressionLayer;
use tower_lambda::{Serve, BUFFERED_RESPONSE_LIMIT};

const MB: usize = 1_000_000;
const CHUNK: usize = 64 * 1024;

fn v2_get(path: &str) -> String {
    serde_json::json!({
        "version": "2.0", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "x.lambda-url.us-east-1.on.aws", "accept-encoding": "gzip"},
        "requestContext": {"http": {"method": "GET"}, "domainName": "x.lambda-url.us-east-1.on.aws"},
        "isBase64Encoded": false
    })
    .to_string()
}

/// A body of `total` bytes of `fill`, produced lazily in 64 KiB chunks; counts what was pulled.
fn lazy_body(total: usize, fill: u8, pulled: Arc<AtomicUsize>) -> AxumBody {
    let chunk = Bytes::from(vec![fill; CHUNK]);
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let chunk = chunk.clone();
        let pulled = Arc::clone(&pulled);
        async move {
            if sent >= total {
                return None;
            }
            let n = CHUNK.min(total - sent);
            pulled.fetch_add(n, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(chunk.slice(..n)), sent + n))
        }
    });
    AxumBody::from_stream(stream)
}

fn app(total: usize, content_type: &'static str, fill: u8, pulled: Arc<AtomicUsize>) -> Router {
    Router::new().route(
        "/",
        get(move || {
            let pulled = Arc::clone(&pulled);
            async move {
                (
                    [(header::CONTENT_TYPE, content_type)],
                    lazy_body(total, fill, pulled),
                )
            }
        }),
    )
}

async fn invoke(serve: &Serve<Router>) -> Value {
    serde_json::from_str(&serve.invoke(v2_get("/")).await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_7_mb_response_gets_the_documented_error_without_being_collected() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let serve = Serve::new(app(7 * MB, "text/plain", b'a', Arc::clone(&pulled)));
    let response = invoke(&serve).await;
    assert_eq!(response["statusCode"], 500);
    assert_eq!(
        response["headers"]["content-type"],
        "text/plain; charset=utf-8"
    );
    let body = response["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "Response Too Large: the response exceeded the buffered limit of 6291456 bytes"
        ),
        "{body}"
    );
    assert!(body.contains("streaming mode lifts it"), "{body}");
    assert!(
        pulled.load(Ordering::SeqCst) <= BUFFERED_RESPONSE_LIMIT + CHUNK,
        "collection stopped at the limit"
    );
}

#[tokio::test]
async fn memory_stays_bounded_whatever_the_service_streams() {
    let pulled = Arc::new(AtomicUsize::new(0));
    // 2 GB that would never fit; only about 6 MB of it may ever be read.
    let serve = Serve::new(app(
        2_000 * MB,
        "application/octet-stream",
        0,
        Arc::clone(&pulled),
    ));
    let before = resident_bytes();
    let response = invoke(&serve).await;
    let grown = resident_bytes().saturating_sub(before);
    assert_eq!(response["statusCode"], 500);
    // Binary bodies count as base64: 6 MiB of JSON is reached after about 4.7 MB of body.
    assert!(pulled.load(Ordering::SeqCst) <= BUFFERED_RESPONSE_LIMIT * 3 / 4 + CHUNK);
    assert!(
        grown < 64 * 1024 * 1024,
        "resident memory grew by {grown} bytes"
    );
}

#[tokio::test]
async fn a_5_9_mb_text_response_passes_whole() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let total = 5_900_000;
    let response = invoke(&Serve::new(app(total, "text/plain", b'a', pulled))).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["isBase64Encoded"], false);
    let body = response["body"].as_str().unwrap();
    assert_eq!(body.len(), total);
    assert!(body.bytes().all(|b| b == b'a'));
}

#[tokio::test]
async fn a_4_4_mb_binary_response_passes_whole_in_base64() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let total = 4_400_000; // 5,866,668 bytes of base64: just under the limit
    let response = invoke(&Serve::new(app(total, "image/png", 0x89, pulled))).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["isBase64Encoded"], true);
    let body = base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(body.len(), total);
    assert!(body.iter().all(|&b| b == 0x89));
}

#[tokio::test]
async fn escaping_counts_towards_the_limit() {
    // 3.5 MB of quotes become 7 MB of JSON (`\"`), over the limit although the body is not.
    let pulled = Arc::new(AtomicUsize::new(0));
    let response = invoke(&Serve::new(app(3_500_000, "text/plain", b'"', pulled))).await;
    assert_eq!(response["statusCode"], 500);
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let serve = Serve::new(app(2 * MB, "text/plain", b'a', pulled)).buffered_response_limit(MB);
    let response = invoke(&serve).await;
    assert_eq!(response["statusCode"], 500);
    assert!(response["body"]
        .as_str()
        .unwrap()
        .contains("buffered limit of 1000000 bytes"));
}

#[tokio::test]
async fn a_compressed_response_travels_as_base64_and_decompresses_to_the_original() {
    let text = "tower-lambda ".repeat(10_000);
    let expected = text.clone();
    let app = Router::new()
        .route("/", get(move || async move { text }))
        .layer(CompressionLayer::new());
    let response = invoke(&Serve::new(app)).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["headers"]["content-encoding"], "gzip");
    assert_eq!(response["isBase64Encoded"], true);
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().unwrap())
        .unwrap();
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, expected);
}
