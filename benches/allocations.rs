//! Heap allocations per round trip (event bytes → request → trivial service → response JSON),
//! tower-lambda next to lambda_http, counted by a global allocator. Deterministic: run it
//! anywhere with `cargo bench --bench allocations`.

mod support;

use bytes::Bytes;
use http::{Request, Response};
use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context};
use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::events::{event, SOURCES};
use tower::Service;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RESPONSE_BODY: &str = r#"{"id":42,"name":"widget","tags":["a","b"]}"#;

fn counted<T>(f: impl FnOnce() -> T) -> (usize, usize) {
    let (a, b) = (
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    );
    let out = f();
    let counts = (
        ALLOCATIONS.load(Ordering::SeqCst) - a,
        BYTES.load(Ordering::SeqCst) - b,
    );
    drop(out);
    counts
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let serve =
        tower_lambda::Serve::new(tower::service_fn(|_: Request<tower_lambda::Body>| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .header("content-type", "application/json")
                    .header("set-cookie", "seen=1; Path=/")
                    .body(String::from(RESPONSE_BODY))
                    .unwrap_or_default(),
            )
        }));
    let mut adapter: Adapter<'_, _, _> =
        Adapter::from(tower::service_fn(|_: lambda_http::Request| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .header("content-type", "application/json")
                    .header("set-cookie", "seen=1; Path=/")
                    .body(lambda_http::Body::from(RESPONSE_BODY))
                    .unwrap_or_default(),
            )
        }));

    println!(
        "| Event | tower-lambda allocations (bytes) | lambda_http allocations (bytes) | ratio |"
    );
    println!("|---|---|---|---|");
    for weight in ["realistic", "heavy"] {
        for source in SOURCES {
            let raw = Bytes::from(event(source, weight == "heavy"));
            let ours = || {
                runtime
                    .block_on(tower_lambda::__bench::round_trip(&serve, raw.clone()))
                    .unwrap()
            };
            let mut theirs = || {
                let payload: LambdaRequest = serde_json::from_slice(&raw).unwrap();
                let response = runtime
                    .block_on(adapter.call(LambdaEvent::new(payload, Context::default())))
                    .unwrap();
                serde_json::to_string(&response).unwrap()
            };
            // Warm up (one-time initialisation is not per invocation), then count one.
            for _ in 0..3 {
                ours();
                theirs();
            }
            let (a, ab) = counted(ours);
            let (b, bb) = counted(theirs);
            println!(
                "| {source} {weight} | {a} ({ab}) | {b} ({bb}) | {:.2} |",
                a as f64 / b as f64
            );
        }
    }
}
