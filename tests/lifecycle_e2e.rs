//! The function's lifecycle on the real `lambda_runtime` client, against the in-test Runtime API:
//! SnapStart (hooks in order, a restore that leaves every earlier connection dead, buffered and
//! streamed answers after it, failing hooks reported) and errors found at start, reported to
//! `/runtime/init/error`.
//!
//! The tests set process-wide environment, so they take turns (`TURN`).

mod support;

use http::{Request, Response};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use support::runtime_api::{Restore, RuntimeApi};
use tower_lambda::lambda_runtime::{BoxFuture, SnapStartResource};
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{Body, Error, Serve};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type Log = Arc<Mutex<Vec<&'static str>>>;

async fn app(request: Request<Body>) -> Result<Response<String>, std::convert::Infallible> {
    Ok(Response::builder()
        .header("content-type", "text/plain")
        .body(format!("{} after the restore", request.uri().path()))
        .unwrap())
}

/// A resource whose hooks write to the log.
struct Pool(Log);

impl SnapStartResource for Pool {
    fn before_snapshot(&self) -> BoxFuture<'_, Result<(), tower_lambda::lambda_runtime::Error>> {
        self.0.lock().unwrap().push("pool: before snapshot");
        Box::pin(async { Ok(()) })
    }

    fn after_restore(&self) -> BoxFuture<'_, Result<(), tower_lambda::lambda_runtime::Error>> {
        self.0.lock().unwrap().push("pool: after restore");
        Box::pin(async { Ok(()) })
    }
}

fn hook(
    log: &Log,
    entry: &'static str,
) -> impl Fn() -> std::future::Ready<Result<(), std::io::Error>> + Send + Sync + 'static {
    let log = Arc::clone(log);
    move || {
        log.lock().unwrap().push(entry);
        std::future::ready(Ok(()))
    }
}

/// The next lifecycle call, which must be `kind`, and its JSON body.
async fn reported(api: &mut RuntimeApi, kind: &str) -> (Option<String>, Value) {
    let reported = api.lifecycle().await;
    assert_eq!(reported.kind, kind);
    let body = serde_json::from_slice(&reported.body).unwrap();
    (reported.error_type, body)
}

fn clear_env() {
    for variable in [
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "TOWER_LAMBDA_RESPONSE_MODE",
        "TOWER_LAMBDA_ERROR_STATUS_CODES",
    ] {
        std::env::remove_var(variable);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapstart_hooks_run_in_order_and_both_response_modes_work_after_the_restore() {
    snapstart_round(Restore::LeaveDead).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_when_the_restore_closes_every_earlier_connection() {
    snapstart_round(Restore::Close).await;
}

/// Hooks, a restore that does `restore` to every connection the function held, then a buffered
/// and a streamed answer.
async fn snapstart_round(restore: Restore) {
    let _turn = TURN.lock().await;
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
    std::env::set_var("TOWER_LAMBDA_RESPONSE_MODE", "streaming");
    let log = Log::default();
    let serve = Serve::new(tower::service_fn(app))
        // A shutdown hook registers the no-op extension, whose connection must survive too.
        .on_shutdown(|| async {})
        .before_snapshot(hook(&log, "first: before snapshot"))
        .snapstart_resource(Arc::new(Pool(Arc::clone(&log))))
        .after_restore(hook(&log, "third: after restore"));
    let server = tokio::spawn(serve.run());

    // The extension registers and waits for its next event; the runtime runs the hooks and
    // waits for the restore (the order of the two waits is the scheduler's).
    assert_eq!(api.lifecycle().await.kind, "extension-register");
    let mut waits = vec![api.lifecycle().await.kind, api.lifecycle().await.kind];
    waits.sort();
    assert_eq!(waits, ["extension-next", "restore-next"]);
    assert_eq!(
        *log.lock().unwrap(),
        ["pool: before snapshot", "first: before snapshot"],
        "before the snapshot, in the reverse order of registration"
    );

    // Restored: every connection the function held is dead.
    api.restore_as(restore);
    let again = api.lifecycle().await;
    assert_eq!(
        again.kind, "extension-next",
        "the extension asks for its next event again, on a new connection"
    );
    assert_eq!(
        again
            .headers
            .get("lambda-extension-identifier")
            .and_then(|v| v.to_str().ok()),
        Some("extension-1")
    );

    // A buffered answer (HTTP APIs cannot stream) and a streamed one (Function URL).
    api.send(
        "buffered",
        EventBuilder::new(Shape::HttpApiV2, "GET", "/one").build(),
    );
    let posted = api.posted().await;
    assert_eq!(
        (posted.request_id.as_str(), posted.kind.as_str()),
        ("buffered", "response")
    );
    let response: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(response["body"], "/one after the restore");

    api.send(
        "streamed",
        EventBuilder::new(Shape::FunctionUrl, "GET", "/two").build(),
    );
    let (data, trailers, _) = api.streamed("streamed").await;
    assert!(trailers.is_none());
    assert!(
        data.ends_with(b"\0\0\0\0\0\0\0\0/two after the restore"),
        "{:?}",
        String::from_utf8_lossy(&data)
    );

    assert_eq!(
        *log.lock().unwrap(),
        [
            "pool: before snapshot",
            "first: before snapshot",
            "pool: after restore",
            "third: after restore"
        ],
        "after the restore, in the order of registration"
    );
    server.abort();
    clear_env();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_after_restore_hook_is_reported_to_restore_error_and_stops_serve() {
    let _turn = TURN.lock().await;
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
    let serve = Serve::new(tower::service_fn(app)).after_restore(|| async {
        Err::<(), _>(std::io::Error::other("the database is unreachable"))
    });
    let server = tokio::spawn(serve.run());
    assert_eq!(api.lifecycle().await.kind, "restore-next");
    api.restore();
    let (_, body) = reported(&mut api, "restore-error").await;
    assert_eq!(body["errorMessage"], "the database is unreachable");
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&stopped, Err(Error::Runtime(error)) if error.to_string() == "the database is unreachable"),
        "{stopped:?}"
    );
    clear_env();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_before_snapshot_hook_is_reported_to_init_error_and_no_restore_is_awaited() {
    let _turn = TURN.lock().await;
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();
    std::env::set_var("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
    let serve = Serve::new(tower::service_fn(app))
        .before_snapshot(|| async { Err::<(), _>(std::io::Error::other("cannot flush")) });
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), serve.run())
        .await
        .unwrap();
    assert!(matches!(stopped, Err(Error::Runtime(_))), "{stopped:?}");
    // The first lifecycle call: the runtime never asked for the restore.
    let (_, body) = reported(&mut api, "init-error").await;
    assert_eq!(body["errorMessage"], "cannot flush");
    clear_env();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misconfiguration_is_reported_to_init_error_and_returned() {
    let _turn = TURN.lock().await;
    let mut api = RuntimeApi::start().await;
    api.set_lambda_env();

    // An environment variable with a value that cannot be used.
    std::env::set_var("TOWER_LAMBDA_RESPONSE_MODE", "fast");
    let stopped = Serve::new(tower::service_fn(app)).run().await;
    let Err(Error::Configuration { setting, value, .. }) = &stopped else {
        panic!("{stopped:?}");
    };
    assert_eq!(
        (*setting, value.as_str()),
        ("TOWER_LAMBDA_RESPONSE_MODE", "fast")
    );
    let (error_type, body) = reported(&mut api, "init-error").await;
    assert_eq!(error_type.as_deref(), Some("tower_lambda::Configuration"));
    assert_eq!(body["errorType"], "tower_lambda::Configuration");
    assert_eq!(
        body["errorMessage"],
        "TOWER_LAMBDA_RESPONSE_MODE is \"fast\", but it takes `streaming` or `buffered`"
    );
    std::env::remove_var("TOWER_LAMBDA_RESPONSE_MODE");

    // An option set in code to a value that cannot be used.
    let stopped = Serve::new(tower::service_fn(app))
        .events_path("/")
        .run()
        .await;
    assert!(
        matches!(
            &stopped,
            Err(Error::Configuration {
                setting: "Serve::events_path",
                ..
            })
        ),
        "{stopped:?}"
    );
    let (_, body) = reported(&mut api, "init-error").await;
    assert!(
        body["errorMessage"]
            .as_str()
            .is_some_and(|m| m
                .starts_with("Serve::events_path is \"/\", but it takes a path other than `/`")),
        "{body}"
    );

    // A Lambda variable the runtime needs.
    std::env::remove_var("AWS_LAMBDA_FUNCTION_NAME");
    let stopped = Serve::new(tower::service_fn(app)).run().await;
    assert!(
        matches!(
            &stopped,
            Err(Error::LambdaEnvironment {
                variable: "AWS_LAMBDA_FUNCTION_NAME",
                ..
            })
        ),
        "{stopped:?}"
    );
    let (error_type, _) = reported(&mut api, "init-error").await;
    assert_eq!(
        error_type.as_deref(),
        Some("tower_lambda::LambdaEnvironment")
    );
    api.set_lambda_env();
    clear_env();
}
