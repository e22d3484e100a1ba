//! Graceful shutdown: on SIGTERM (or Ctrl-C) stop taking new work, let in-flight requests
//! finish, run the user's shutdown hook, and return from `serve`.

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Notify;

/// A shutdown hook given to [`Serve::on_shutdown`](crate::Serve::on_shutdown).
pub(crate) type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// How long in-flight work may take to finish once a shutdown signal came. Lambda allows an
/// environment with an internal extension 500 ms after SIGTERM; elsewhere there is more room.
pub(crate) const LAMBDA_GRACE: Duration = Duration::from_millis(450);

/// Counts work in progress, so shutdown can wait for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct InFlight(Arc<Counter>);

/// The count, and what wakes whoever waits for it to reach zero.
#[derive(Debug, Default)]
struct Counter {
    running: AtomicUsize,
    idle: Notify,
}

impl InFlight {
    /// Tracks `future` until it completes or is dropped.
    pub(crate) fn track<F>(&self, future: F) -> Tracked<F> {
        self.0.running.fetch_add(1, Ordering::SeqCst);
        Tracked {
            future,
            guard: Guard(self.clone()),
        }
    }

    /// Resolves once nothing is in flight.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.0.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct Guard(InFlight);

impl Drop for Guard {
    fn drop(&mut self) {
        let counter = &self.0 .0;
        if counter.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            counter.idle.notify_waiters();
        }
    }
}

pin_project! {
    /// A future counted by [`InFlight`].
    pub(crate) struct Tracked<F> {
        #[pin]
        future: F,
        guard: Guard,
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed on the first poll; until
/// then a signal has its default effect (it ends the process), as it had before `serve` ran.
// Nothing is registered until the future is first polled: callers poll their real work first,
// so that installing the handlers is not on the way to the first request.
pub(crate) async fn signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = terminate => tracing::info!("SIGTERM received: shutting down gracefully"),
        () = interrupt => tracing::info!("interrupted: shutting down gracefully"),
    }
}

/// The no-op extension that makes Lambda send SIGTERM; see [`register_extension`].
#[derive(Clone)]
pub(crate) struct Extension {
    restored: std::sync::Arc<tokio::sync::Notify>,
}

impl Extension {
    /// Tells the extension that the microVM was restored from a SnapStart snapshot: its pending
    /// request for the next event is on a dead connection, so it asks again on a new one.
    pub(crate) fn restored(&self) {
        self.restored.notify_one();
    }
}

/// Lambda sends SIGTERM only to functions that have an extension; registers a no-op one so that
/// a shutdown hook can run (cargo feature `graceful-shutdown`).
pub(crate) async fn register_extension() -> Option<Extension> {
    #[cfg(feature = "graceful-shutdown")]
    {
        let registered = lambda_extension::Extension::new()
            .with_events(&[])
            .with_extension_name("_tower-lambda-graceful-shutdown")
            .register()
            .await;
        match registered {
            Ok(extension) => {
                let handle = Extension {
                    restored: std::sync::Arc::default(),
                };
                tokio::spawn(wait_for_events(
                    extension.extension_id,
                    std::sync::Arc::clone(&handle.restored),
                ));
                return Some(handle);
            }
            Err(error) => tracing::warn!(
                %error,
                "could not register the no-op extension that makes Lambda send SIGTERM; the shutdown hook runs only on signals sent otherwise"
            ),
        }
        None
    }
    #[cfg(not(feature = "graceful-shutdown"))]
    {
        tracing::warn!(
            "a shutdown hook is set, but Lambda sends SIGTERM only to functions with an extension: enable tower-lambda's `graceful-shutdown` feature to register one"
        );
        None
    }
}

/// The extension's side of Lambda's contract: it keeps a request for its next event pending (it
/// registered for none, so none comes). After a SnapStart restore that request is on a dead
/// connection, so it is dropped and made again on a new client.
#[cfg(feature = "graceful-shutdown")]
async fn wait_for_events(extension_id: String, restored: std::sync::Arc<tokio::sync::Notify>) {
    let Ok(endpoint) = crate::streaming::endpoint() else {
        return;
    };
    let mut pause = Duration::from_millis(10);
    loop {
        let client = lambda_runtime_api_client::PooledClient::builder()
            .with_endpoint(endpoint.clone())
            .build();
        let request = lambda_runtime_api_client::build_request()
            .method(http::Method::GET)
            .header("lambda-extension-identifier", extension_id.as_str())
            .uri("/2020-01-01/extension/event/next")
            .body(lambda_runtime_api_client::body::Body::empty());
        let Ok(request) = request else {
            return;
        };
        tokio::select! {
            answer = client.call(request) => {
                match answer {
                    Ok(answer) if answer.status().is_success() => {
                        pause = Duration::from_millis(10);
                        continue;
                    }
                    Ok(answer) => tracing::warn!(status = %answer.status(), "the Extensions API refused the no-op extension's request for its next event"),
                    Err(error) => tracing::debug!(%error, "the no-op extension's request for its next event failed; asking again"),
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            () = restored.notified() => {}
        }
    }
}
