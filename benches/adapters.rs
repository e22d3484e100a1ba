//! tower-lambda and lambda_http side by side, in the same run: decode only, encode only and the
//! full round trip through a trivial service, for every source with a realistic and a heavy
//! event; and the floor (parsing the same bytes into `IgnoredAny` and writing a minimal
//! response).
//!
//! `cargo bench --bench adapters` (add `-- <filter>` to run a part, e.g. `-- realistic`).

mod support;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use http::{Request, Response};
use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, TransformResponse};
use std::convert::Infallible;
use std::hint::black_box;
use support::events::{event, SOURCES};
use tower::Service;

const RESPONSE_BODY: &str = r#"{"id":42,"name":"widget","tags":["a","b"]}"#;

fn tower_lambda_response() -> Response<String> {
    Response::builder()
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(String::from(RESPONSE_BODY))
        .unwrap_or_default()
}

fn lambda_http_response() -> Response<lambda_http::Body> {
    Response::builder()
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(lambda_http::Body::from(RESPONSE_BODY))
        .unwrap_or_default()
}

fn trivial(
    _: Request<tower_lambda::Body>,
) -> std::future::Ready<Result<Response<String>, Infallible>> {
    std::future::ready(Ok(tower_lambda_response()))
}

fn trivial_lambda_http(
    _: lambda_http::Request,
) -> std::future::Ready<Result<Response<lambda_http::Body>, Infallible>> {
    std::future::ready(Ok(lambda_http_response()))
}

fn lambda_http_origin(raw: &[u8]) -> lambda_http::request::RequestOrigin {
    serde_json::from_slice::<LambdaRequest>(raw)
        .map(|r| r.request_origin())
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let serve = tower_lambda::Serve::new(tower::service_fn(trivial));
    for weight in ["realistic", "heavy"] {
        let mut group = c.benchmark_group(weight);
        if weight == "heavy" {
            group.sample_size(20);
        }
        for source in SOURCES {
            let raw = Bytes::from(event(source, weight == "heavy"));

            group.bench_with_input(BenchmarkId::new("floor", source), &raw, |b, raw| {
                b.iter(|| {
                    serde_json::from_slice::<serde::de::IgnoredAny>(black_box(raw)).unwrap();
                    serde_json::to_string(
                        &serde_json::json!({"statusCode": 200, "body": RESPONSE_BODY}),
                    )
                    .unwrap()
                })
            });

            group.bench_with_input(
                BenchmarkId::new("tower_lambda/decode", source),
                &raw,
                |b, raw| b.iter(|| tower_lambda::__bench::decode(black_box(raw.clone())).unwrap()),
            );
            group.bench_with_input(
                BenchmarkId::new("lambda_http/decode", source),
                &raw,
                |b, raw| {
                    b.iter(|| {
                        let payload: LambdaRequest =
                            serde_json::from_slice(black_box(raw)).unwrap();
                        lambda_http::Request::from(payload)
                    })
                },
            );

            let decoded = tower_lambda::__bench::decode(raw.clone()).unwrap();
            group.bench_function(BenchmarkId::new("tower_lambda/encode", source), |b| {
                b.iter(|| {
                    runtime
                        .block_on(tower_lambda::__bench::encode(
                            &decoded,
                            tower_lambda_response(),
                        ))
                        .unwrap()
                })
            });
            let origin = lambda_http_origin(&raw);
            group.bench_function(BenchmarkId::new("lambda_http/encode", source), |b| {
                b.iter(|| {
                    let future =
                        TransformResponse::<'_, Response<lambda_http::Body>, Infallible>::Response(
                            origin.clone(),
                            lambda_http::IntoResponse::into_response(lambda_http_response()),
                        );
                    let response = runtime.block_on(future).unwrap();
                    serde_json::to_string(&response).unwrap()
                })
            });

            group.bench_with_input(
                BenchmarkId::new("tower_lambda/round_trip", source),
                &raw,
                |b, raw| {
                    b.iter(|| {
                        runtime
                            .block_on(tower_lambda::__bench::round_trip(
                                &serve,
                                black_box(raw.clone()),
                            ))
                            .unwrap()
                    })
                },
            );
            let mut adapter: Adapter<'_, _, _> =
                Adapter::from(tower::service_fn(trivial_lambda_http));
            group.bench_with_input(
                BenchmarkId::new("lambda_http/round_trip", source),
                &raw,
                |b, raw| {
                    b.iter(|| {
                        let payload: LambdaRequest =
                            serde_json::from_slice(black_box(raw)).unwrap();
                        let future = adapter.call(LambdaEvent::new(payload, Context::default()));
                        let response = runtime.block_on(future).unwrap();
                        serde_json::to_string(&response).unwrap()
                    })
                },
            );
        }
        group.finish();
    }
}

criterion_group!(adapters, benches);
criterion_main!(adapters);
