//! End to end on the real Lambda runtime client: `tower_lambda::serve` and `lambda_http::run`
//! each answer N invocations from the same in-process Runtime API stub on loopback. Reports
//! invocations per second and process CPU time per invocation (the stub's share included, the
//! same for both). Each side runs in its own process, alternating, three times; the medians are
//! reported.
//!
//! `cargo bench --bench e2e` (N = 20,000; set `E2E_INVOCATIONS` to change it).
//!
//! With `E2E_STARTUP_BINARIES=path1,path2` it also measures, for each binary, the time from
//! process start to its first `GET /next` (the end of Lambda's init phase): median of 21 starts,
//! the binaries taking turns.

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

/// User and system (kernel) CPU time of this process.
fn cpu_time() -> [Duration; 2] {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // CLK_TCK is 100 on Linux.
    let ticks = |i: usize| {
        Duration::from_millis(fields.get(i).and_then(|t| t.parse().ok()).unwrap_or(0) * 10)
    };
    [ticks(11), ticks(12)]
}

async fn drive(api: &mut RuntimeApi, raw: &[u8], invocations: usize) -> (Duration, [Duration; 2]) {
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
    let [user, sys] = cpu_time();
    (
        wall.elapsed(),
        [user.saturating_sub(cpu[0]), sys.saturating_sub(cpu[1])],
    )
}

/// Invocations per second, and user and system CPU µs per invocation.
fn rates(invocations: usize, (wall, cpu): (Duration, [Duration; 2])) -> [f64; 3] {
    let per_invocation = |d: Duration| d.as_secs_f64() * 1e6 / invocations as f64;
    [
        invocations as f64 / wall.as_secs_f64(),
        per_invocation(cpu[0]),
        per_invocation(cpu[1]),
    ]
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

const SIDES: [&str; 2] = ["tower-lambda", "lambda_http"];
const ROUNDS: usize = 3;

/// Runs one side in this process: see [`rates`].
async fn run_side(side: &str, invocations: usize) -> [f64; 3] {
    let raw = event("rest_api", false);
    // Each runtime runs in this task beside the driver (`lambda_http::run`'s future is not
    // `Send`), and stops when the driver is done.
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let measured = if side == "tower-lambda" {
        let ours = tower_lambda::serve(tower::service_fn(|_: Request<tower_lambda::Body>| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .header("content-type", "application/json")
                    .body(String::from(RESPONSE_BODY))
                    .unwrap_or_default(),
            )
        }));
        tokio::select! {
            measured = drive(&mut api, &raw, invocations) => measured,
            stopped = ours => panic!("tower-lambda stopped: {stopped:?}"),
        }
    } else {
        // The subscriber tower-lambda's `serve` installs, so that both sides log alike.
        lambda_runtime::tracing::init_default_subscriber();
        let theirs = lambda_http::run(tower::service_fn(|_: lambda_http::Request| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .header("content-type", "application/json")
                    .body(lambda_http::Body::from(RESPONSE_BODY))
                    .unwrap_or_default(),
            )
        }));
        tokio::select! {
            measured = drive(&mut api, &raw, invocations) => measured,
            stopped = theirs => panic!("lambda_http stopped: {stopped:?}"),
        }
    };
    rates(invocations, measured)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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

    // `E2E_ONLY=tower-lambda` or `E2E_ONLY=lambda_http` runs one side here (for a profiler).
    if let Ok(side) = std::env::var("E2E_ONLY") {
        let [per_second, user, sys] = run_side(&side, invocations).await;
        println!("{side} {per_second} {user} {sys}");
        return;
    }
    // Otherwise each side runs in a fresh process (nothing global, such as the subscriber or
    // the allocator's state, carries over from one to the other), alternating, ROUNDS times.
    let exe = std::env::current_exe().unwrap();
    let mut results: Vec<[Vec<f64>; 3]> = vec![Default::default(); SIDES.len()];
    for _ in 0..ROUNDS {
        for (side, result) in SIDES.iter().zip(results.iter_mut()) {
            let output = tokio::process::Command::new(&exe)
                .env("E2E_ONLY", side)
                .env("E2E_INVOCATIONS", invocations.to_string())
                .output()
                .await
                .unwrap();
            let line = String::from_utf8_lossy(&output.stdout);
            let fields: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            assert_eq!(fields.len(), 3, "{side}: {line}");
            for (values, field) in result.iter_mut().zip(fields) {
                values.push(field);
            }
        }
    }
    println!("| Adapter | Invocations | Invocations/s | CPU µs per invocation (user + system) |");
    println!("|---|---|---|---|");
    let mut medians = Vec::new();
    for (side, [per_second, user, sys]) in SIDES.iter().zip(results) {
        let (per_second, user, sys) = (median(per_second), median(user), median(sys));
        println!(
            "| {side} | {invocations} × {ROUNDS} | {per_second:.0} | {:.1} ({user:.1} + {sys:.1}) |",
            user + sys
        );
        medians.push((user, sys));
    }
    let ((our_user, our_sys), (their_user, their_sys)) = (medians[0], medians[1]);
    println!(
        "\nMedians of {ROUNDS} runs, each in its own process. tower-lambda / lambda_http: CPU {:.2}, user CPU {:.2}, system CPU {:.2}",
        (our_user + our_sys) / (their_user + their_sys),
        our_user / their_user,
        our_sys / their_sys
    );

    if let Ok(binaries) = std::env::var("E2E_STARTUP_BINARIES") {
        // The binaries take turns, so that a slow moment of the machine hits both alike.
        const STARTS: usize = 21;
        let binaries: Vec<&str> = binaries.split(',').collect();
        let mut runs = vec![Vec::new(); binaries.len()];
        for _ in 0..STARTS {
            for (binary, runs) in binaries.iter().zip(runs.iter_mut()) {
                runs.push(startup(binary).await);
            }
        }
        println!(
            "\n| Binary | Start-up to first /next (median of {STARTS}, taking turns) |\n|---|---|"
        );
        for (binary, mut runs) in binaries.iter().zip(runs) {
            runs.sort();
            println!(
                "| {binary} | {:.2} ms |",
                runs[STARTS / 2].as_secs_f64() * 1e3
            );
        }
    }
}
