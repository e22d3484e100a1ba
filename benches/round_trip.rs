//! The adapter's own cost per invocation: event bytes → request → trivial service → response
//! JSON, for one realistic recorded event per source, next to the floor (parsing the same bytes
//! into `serde::de::IgnoredAny` and writing a minimal response).
//!
//! `cargo bench --bench round_trip`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::{Request, Response};
use std::convert::Infallible;
use std::hint::black_box;
use tower_lambda::{Body, Serve};

const EVENTS: [(&str, &str); 6] = [
    ("rest_api", "tests/fixtures/rest_api/proxy_request.json"),
    ("http_api_v1", "tests/fixtures/http_api_v1/doc_example.json"),
    (
        "http_api_v2",
        "tests/fixtures/http_api_v2/no_authorizer.json",
    ),
    (
        "function_url",
        "tests/fixtures/function_url/cookies_and_joined_headers.json",
    ),
    ("alb", "tests/fixtures/alb/request.json"),
    (
        "alb_multi",
        "tests/fixtures/alb_multi/multi_value_request.json",
    ),
];

fn trivial(_request: Request<Body>) -> std::future::Ready<Result<Response<String>, Infallible>> {
    std::future::ready(Ok(Response::builder()
        .header("content-type", "application/json")
        .body(String::from(r#"{"ok":true}"#))
        .unwrap_or_default()))
}

fn round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let serve = Serve::new(tower::service_fn(trivial));
    let mut group = c.benchmark_group("round_trip");
    for (source, path) in EVENTS {
        let event = bytes::Bytes::from(std::fs::read(path).unwrap());
        group.throughput(Throughput::Bytes(event.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("tower_lambda", source),
            &event,
            |b, event| {
                b.iter(|| {
                    runtime
                        .block_on(tower_lambda::__bench::round_trip(
                            &serve,
                            black_box(event.clone()),
                        ))
                        .unwrap()
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("floor", source), &event, |b, event| {
            b.iter(|| {
                serde_json::from_slice::<serde::de::IgnoredAny>(black_box(event)).unwrap();
                serde_json::to_string(
                    &serde_json::json!({"statusCode": 200, "body": r#"{"ok":true}"#}),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
