//! End to end on the real Lambda runtime client: `tower_lambda::serve` and `lambda_http::run`
//! each answer N invocations from the same in-process Runtime API stub on loopback. Reports
//! invocations per second and process CPU time per invocation (the stub's share included, the
//! same for both).
//!
//! `cargo bench --bench e2e` (N = 20,000; set `E2E_INVOCATIONS` to change it).
//!
//! With `E2E_STARTUP_BINARIES=path1,path2` it also measures, for each binary, the time from
//! process start to its first `GET /next` (the end of Lambda's init phase).

#[path = "../tests/support/runtime_api.rs"]
mod runtime_api;
mod support;

use http::{Request, Response};
use runtime_api::RuntimeApi;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use support::events::event;

const RESPONSE_BODY: &str = r#"{"id":42,"name":"widget","tags":["a","b"]}"#;
const BATCH: usize = 100;

/// User plus system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10) // CLK_TCK is 100 on Linux
}

async fn drive(api: &mut RuntimeApi, raw: &[u8], invocations: usize) -> (Duration, Duration) {
    // Warm up.
    for i in 0..BATCH {
        api.send(&format!("w{i}"), raw.to_vec());
    }
    for _ in 0..BATCH {
        assert_eq!(api.posted().await.kind, "response");
    }
    let (wall, cpu) = (Instant::now(), cpu_time());
    let mut sent = 0;
    while sent < invocations {
        for i in 0..BATCH {
            api.send(&format!("r{}", sent + i), raw.to_vec());
        }
        for _ in 0..BATCH {
            assert_eq!(api.posted().await.kind, "response");
        }
        sent += BATCH;
    }
    (wall.elapsed(), cpu_time().saturating_sub(cpu))
}

fn report(name: &str, invocations: usize, (wall, cpu): (Duration, Duration)) -> f64 {
    let per_second = invocations as f64 / wall.as_secs_f64();
    let cpu_us = cpu.as_secs_f64() * 1e6 / invocations as f64;
    println!("| {name} | {invocations} | {per_second:.0} | {cpu_us:.1} |");
    cpu_us
}

async fn startup(binary: &str) -> Duration {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "startup")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut first = [0u8; 64];
    let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut first).await;
    let elapsed = started.elapsed();
    assert!(
        first.starts_with(b"GET /2018-06-01/runtime/invocation/next"),
        "{}",
        String::from_utf8_lossy(&first)
    );
    let _ = child.kill().await;
    elapsed
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list`
    }
    let invocations: usize = std::env::var("E2E_INVOCATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let raw = event("rest_api", false);

    println!("| Adapter | Invocations | Invocations/s | CPU µs per invocation |");
    println!("|---|---|---|---|");
    // Each runtime runs in this task beside the driver (`lambda_http::run`'s future is not
    // `Send`), and stops when the driver is done.
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let ours = tower_lambda::serve(tower::service_fn(|_: Request<tower_lambda::Body>| async {
        Ok::<_, Infallible>(
            Response::builder()
                .header("content-type", "application/json")
                .body(String::from(RESPONSE_BODY))
                .unwrap_or_default(),
        )
    }));
    let measured = tokio::select! {
        measured = drive(&mut api, &raw, invocations) => measured,
        stopped = ours => panic!("tower-lambda stopped: {stopped:?}"),
    };
    let tower_lambda_cpu = report("tower-lambda", invocations, measured);

    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let theirs = lambda_http::run(tower::service_fn(|_: lambda_http::Request| async {
        Ok::<_, Infallible>(
            Response::builder()
                .header("content-type", "application/json")
                .body(lambda_http::Body::from(RESPONSE_BODY))
                .unwrap_or_default(),
        )
    }));
    let measured = tokio::select! {
        measured = drive(&mut api, &raw, invocations) => measured,
        stopped = theirs => panic!("lambda_http stopped: {stopped:?}"),
    };
    let lambda_http_cpu = report("lambda_http", invocations, measured);
    println!(
        "\nCPU per invocation, tower-lambda / lambda_http: {:.2}",
        tower_lambda_cpu / lambda_http_cpu
    );

    if let Ok(binaries) = std::env::var("E2E_STARTUP_BINARIES") {
        println!("\n| Binary | Start-up to first /next (median of 9) |\n|---|---|");
        for binary in binaries.split(',') {
            let mut runs = Vec::new();
            for _ in 0..9 {
                runs.push(startup(binary).await);
            }
            runs.sort();
            println!("| {binary} | {:.1} ms |", runs[4].as_secs_f64() * 1e3);
        }
    }
}
