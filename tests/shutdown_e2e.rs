//! Graceful shutdown on the real `lambda_runtime` client: on SIGTERM the invocation in flight
//! finishes and is answered, then the user's shutdown hook runs, then `serve` returns.
//!
//! One test per binary: it sends SIGTERM to its own process and sets process-wide environment.

mod support;

use http::{Request, Response};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::runtime_api::RuntimeApi;
use tokio::sync::Notify;
use tower_lambda::{Body, Serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_work_finish_then_runs_the_hook() {
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    let log = Arc::new(Mutex::new(Vec::<&'static str>::new()));
    let started = Arc::new(Notify::new());

    let (service_log, service_started) = (Arc::clone(&log), Arc::clone(&started));
    let service = tower::service_fn(move |_request: Request<Body>| {
        let (log, started) = (Arc::clone(&service_log), Arc::clone(&service_started));
        async move {
            started.notify_one();
            tokio::time::sleep(Duration::from_millis(200)).await;
            log.lock().unwrap().push("request finished");
            Ok::<_, std::convert::Infallible>(Response::new(String::from("finished")))
        }
    });
    let hook_log = Arc::clone(&log);
    let server = tokio::spawn(
        Serve::new(service)
            .on_shutdown(move || async move { hook_log.lock().unwrap().push("hook ran") })
            .run(),
    );

    let event = json!({
        "version": "2.0", "rawPath": "/slow", "rawQueryString": "",
        "requestContext": {"http": {"method": "GET"}, "domainName": "x.lambda-url.us-east-1.on.aws"}
    });
    api.send("in-flight", event.to_string());
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("in-flight", "response")
    );
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(
        response["body"], "finished",
        "the request in flight was answered"
    );

    let returned = tokio::time::timeout(Duration::from_secs(5), server).await;
    let returned = returned.expect("serve returned after SIGTERM").unwrap();
    assert!(returned.is_ok(), "{returned:?}");
    assert_eq!(*log.lock().unwrap(), ["request finished", "hook ran"]);
}
