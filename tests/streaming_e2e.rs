//! Streaming mode end to end on the real `lambda_runtime` client against the in-test Runtime API:
//! the prelude and body bytes are exact, the first chunk reaches the Runtime API before the
//! service has produced the last one, a body failing part-way ends with the error trailers, and
//! sources that cannot stream are answered buffered.
//!
//! One test per binary: the runtime reads process-wide environment variables.

mod support;

use axum::{body::Body as AxumBody, http::header, response::AppendHeaders, routing::get, Router};
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;
use support::runtime_api::RuntimeApi;
use tokio::sync::Notify;
use tower_http::compression::CompressionLayer;

const NULS: [u8; 8] = [0; 8];

fn url_event(path: &str) -> String {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "u.lambda-url.us-east-1.on.aws", "accept-encoding": "gzip"},
        "requestContext": {"domainName": "u.lambda-url.us-east-1.on.aws", "http": {"method": "GET"}},
        "isBase64Encoded": false
    })
    .to_string()
}

fn app(signal: Arc<Notify>) -> Router {
    let big = "streamed and compressed ".repeat(5_000);
    Router::new()
        .route(
            "/signal",
            get(move || {
                let signal = Arc::clone(&signal);
                async move {
                    let stream = futures_util::stream::unfold(0, move |step| {
                        let signal = Arc::clone(&signal);
                        async move {
                            match step {
                                0 => Some((
                                    Ok::<_, std::io::Error>(Bytes::from_static(b"first ")),
                                    1,
                                )),
                                1 => {
                                    // Produced only once the test has seen the first chunk arrive.
                                    signal.notified().await;
                                    Some((Ok(Bytes::from_static(b"last")), 2))
                                }
                                _ => None,
                            }
                        }
                    });
                    (
                        AppendHeaders([
                            (header::CONTENT_TYPE, "text/plain"),
                            (header::SET_COOKIE, "a=1"),
                            (header::SET_COOKIE, "b=2"),
                        ]),
                        AxumBody::from_stream(stream),
                    )
                }
            }),
        )
        .route(
            "/fail-midway",
            get(|| async {
                let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(Bytes::from_static(b"partial")),
                    Err(std::io::Error::other("boom")),
                ];
                AxumBody::from_stream(futures_util::stream::iter(chunks))
            }),
        )
        .route(
            "/panic",
            get(|| async { panic!("no response at all") as &'static str }),
        )
        .route(
            "/busy",
            get(|| async {
                let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(Bytes::from_static(b"overloaded, ")),
                    Ok(Bytes::from_static(b"retry later")),
                ];
                (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    AxumBody::from_stream(futures_util::stream::iter(chunks)),
                )
            }),
        )
        .route(
            "/hop-by-hop",
            get(|| async {
                (
                    [
                        (header::TRANSFER_ENCODING, "chunked"),
                        (header::CONNECTION, "keep-alive"),
                        (header::CONTENT_TYPE, "text/plain"),
                    ],
                    "streamed",
                )
            }),
        )
        .route(
            "/account",
            get(|| async {
                (
                    [(header::SET_COOKIE, "session=1; Path=/admin")],
                    axum::response::Redirect::to("/login"),
                )
            }),
        )
        .route(
            "/gzip",
            get(move || {
                let big = big.clone();
                async move { big }
            })
            .layer(CompressionLayer::new()),
        )
}

fn split_prelude(data: &[u8]) -> (Value, &[u8]) {
    let at = data
        .windows(8)
        .position(|w| w == NULS)
        .expect("the prelude ends with 8 NUL bytes");
    (
        serde_json::from_slice(&data[..at]).unwrap(),
        &data[at + 8..],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_mode_through_the_real_runtime_client() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("TOWER_LAMBDA_RESPONSE_MODE", "streaming");
    std::env::set_var("TOWER_LAMBDA_ERROR_STATUS_CODES", "503");
    let signal = Arc::new(Notify::new());
    let server = tokio::spawn(tower_lambda::serve(app(Arc::clone(&signal))));

    // The first chunk arrives before the service produces the last one.
    api.send("s-1", url_event("/signal"));
    let mut data = Vec::new();
    let post_headers = loop {
        let posted = api.posted().await;
        match posted.kind.as_str() {
            "stream-chunk" => {
                data.extend_from_slice(&posted.body);
                if data.ends_with(b"first ") {
                    signal.notify_one();
                }
            }
            "stream-end" => break posted.headers,
            other => panic!("unexpected {other}"),
        }
    };
    let prelude =
        br#"{"statusCode":200,"headers":{"content-type":"text/plain"},"cookies":["a=1","b=2"]}"#;
    let mut expected = prelude.to_vec();
    expected.extend_from_slice(&NULS);
    expected.extend_from_slice(b"first last");
    assert_eq!(
        String::from_utf8_lossy(&data),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(
        post_headers["lambda-runtime-function-response-mode"],
        "streaming"
    );
    assert_eq!(
        post_headers["content-type"],
        "application/vnd.awslambda.http-integration-response"
    );

    // A body failing part-way: what was sent stays sent, and the error trailers follow.
    api.send("s-2", url_event("/fail-midway"));
    let (data, trailers, _) = api.streamed("s-2").await;
    let (prelude, body) = split_prelude(&data);
    assert_eq!(prelude["statusCode"], 200);
    assert_eq!(body, b"partial");
    let trailers = trailers.expect("error trailers");
    assert_eq!(
        trailers["lambda-runtime-function-error-type"],
        "tower_lambda::StreamError"
    );
    let message = base64::engine::general_purpose::STANDARD
        .decode(trailers["lambda-runtime-function-error-body"].as_bytes())
        .unwrap();
    assert!(String::from_utf8_lossy(&message).contains("boom"));

    // A service that panics before it has a response: a streamed 500.
    api.send("s-3", url_event("/panic"));
    let (data, trailers, _) = api.streamed("s-3").await;
    let (prelude, body) = split_prelude(&data);
    assert_eq!(
        prelude,
        json!({"statusCode": 500, "headers": {"content-type": "text/plain; charset=utf-8"}, "cookies": []})
    );
    assert_eq!(body, b"Internal Server Error");
    assert!(trailers.is_none());

    // A status TOWER_LAMBDA_ERROR_STATUS_CODES lists fails the invocation instead of streaming,
    // with the whole body as the message.
    api.send("s-7", url_event("/busy"));
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("s-7", "error")
    );
    let error: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        error,
        json!({"errorType": "tower_lambda::Status503", "errorMessage": "overloaded, retry later"})
    );

    // Compressed responses stream as raw bytes, not base64.
    api.send("s-4", url_event("/gzip"));
    let (data, _, _) = api.streamed("s-4").await;
    let (prelude, body) = split_prelude(&data);
    assert_eq!(prelude["headers"]["content-encoding"], "gzip");
    let mut decoded = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut decoded).unwrap();
    assert_eq!(decoded, "streamed and compressed ".repeat(5_000));

    // Hop-by-hop headers a service sets never reach the prelude.
    api.send("s-6", url_event("/hop-by-hop"));
    let (data, _, _) = api.streamed("s-6").await;
    let (prelude, body) = split_prelude(&data);
    assert_eq!(
        prelude,
        json!({"statusCode": 200, "headers": {"content-type": "text/plain", "content-length": "8"}, "cookies": []})
    );
    assert_eq!(body, b"streamed");

    // A REST API stage removed before routing is put back into the prelude's redirect and
    // cookie path.
    let rest = tower_lambda::testing::EventBuilder::new(
        tower_lambda::testing::Shape::RestApi,
        "GET",
        "/account",
    )
    .stage("prod")
    .build();
    api.send("s-8", rest);
    let (data, _, _) = api.streamed("s-8").await;
    let (prelude, _) = split_prelude(&data);
    assert_eq!(prelude["statusCode"], 303);
    assert_eq!(prelude["headers"]["location"], "/prod/login");
    assert_eq!(prelude["cookies"], json!(["session=1; Path=/prod/admin"]));

    // HTTP APIs cannot stream: answered buffered, in their own shape.
    let mut v2 = serde_json::from_str::<Value>(&url_event("/gzip")).unwrap();
    v2["requestContext"]["domainName"] = json!("abc.execute-api.us-east-1.amazonaws.com");
    v2["headers"]["host"] = json!("abc.execute-api.us-east-1.amazonaws.com");
    api.send("s-5", v2.to_string());
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("s-5", "response")
    );
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(response["isBase64Encoded"], true);
    assert_eq!(response["headers"]["content-encoding"], "gzip");

    assert!(!server.is_finished(), "serve keeps running");
    server.abort();
}
