//! Round trips in a loop, for counting instructions with callgrind (repeatable, unlike time on
//! a shared VM): `bash benches/instructions.sh` runs it for every source and adapter and prints
//! instructions per round trip and the ratios.
//!
//! `INSTRUCTIONS_SIDE` is `tower-lambda`, `lambda_http` or `floor`; `INSTRUCTIONS_SOURCE` one of
//! the sources in `support/events.rs`; `INSTRUCTIONS_N` the number of round trips. Without
//! `INSTRUCTIONS_SIDE` (as under `cargo bench`) it does nothing.

mod support;

use bytes::Bytes;
use http::{Request, Response};
use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context};
use std::convert::Infallible;
use std::hint::black_box;
use tower::Service;

const RESPONSE_BODY: &str = r#"{"id":42,"name":"widget","tags":["a","b"]}"#;

// The same trivial service as `benches/adapters.rs`, for each adapter.
fn trivial(
    _: Request<tower_lambda::Body>,
) -> std::future::Ready<Result<Response<String>, Infallible>> {
    std::future::ready(Ok(Response::builder()
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(String::from(RESPONSE_BODY))
        .unwrap_or_default()))
}

fn trivial_lambda_http(
    _: lambda_http::Request,
) -> std::future::Ready<Result<Response<lambda_http::Body>, Infallible>> {
    std::future::ready(Ok(Response::builder()
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(lambda_http::Body::from(RESPONSE_BODY))
        .unwrap_or_default()))
}

fn main() {
    let Ok(side) = std::env::var("INSTRUCTIONS_SIDE") else {
        println!("benches/instructions.rs: run through benches/instructions.sh");
        return;
    };
    let source = std::env::var("INSTRUCTIONS_SOURCE").unwrap_or_else(|_| "rest_api".into());
    let n: usize = std::env::var("INSTRUCTIONS_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let raw = Bytes::from(support::events::event(&source, false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut written = 0;
    match side.as_str() {
        "tower-lambda" => {
            let mut serve = tower_lambda::Serve::new(tower::service_fn(trivial));
            if source == "sqs" {
                // Only the non-HTTP event needs the events path (which HTTP events are checked
                // against when it is set).
                serve = serve.events_path("/events");
            }
            for _ in 0..n {
                let json = runtime
                    .block_on(tower_lambda::__bench::round_trip(
                        &serve,
                        black_box(raw.clone()),
                    ))
                    .unwrap();
                written += json.len();
            }
        }
        "lambda_http" => {
            let mut adapter: Adapter<'_, _, _> =
                Adapter::from(tower::service_fn(trivial_lambda_http));
            for _ in 0..n {
                let payload: LambdaRequest = serde_json::from_slice(black_box(&raw)).unwrap();
                let future = adapter.call(LambdaEvent::new(payload, Context::default()));
                let response = runtime.block_on(future).unwrap();
                written += serde_json::to_string(&response).unwrap().len();
            }
        }
        "floor" => {
            for _ in 0..n {
                serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&raw)).unwrap();
                let json = serde_json::to_string(
                    &serde_json::json!({"statusCode": 200, "body": RESPONSE_BODY}),
                )
                .unwrap();
                written += json.len();
            }
        }
        other => panic!("unknown INSTRUCTIONS_SIDE {other:?}"),
    }
    println!("{written}");
}
