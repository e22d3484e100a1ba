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
pub(crate) struct InFlight(Arc<(AtomicUsize, Notify)>);

impl InFlight {
    /// Tracks `future` until it completes or is dropped.
    pub(crate) fn track<F>(&self, future: F) -> Tracked<F> {
        self.0 .0.fetch_add(1, Ordering::SeqCst);
        Tracked {
            future,
            guard: Guard(self.clone()),
        }
    }

    /// Resolves once nothing is in flight.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.0 .1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0 .0.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

struct Guard(InFlight);

impl Drop for Guard {
    fn drop(&mut self) {
        if (self.0).0 .0.fetch_sub(1, Ordering::SeqCst) == 1 {
            (self.0).0 .1.notify_waiters();
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

/// Lambda sends SIGTERM only to functions that have an extension; registers a no-op one so that
/// a shutdown hook can run (cargo feature `graceful-shutdown`).
pub(crate) async fn register_extension() {
    #[cfg(feature = "graceful-shutdown")]
    {
        let registered = lambda_extension::Extension::new()
            .with_events(&[])
            .with_extension_name("_tower-lambda-graceful-shutdown")
            .register()
            .await;
        match registered {
            Ok(extension) => {
                tokio::spawn(async move {
                    // It never receives an event; it only keeps Lambda's extension contract.
                    let _ = extension.run().await;
                });
            }
            Err(error) => tracing::warn!(
                %error,
                "could not register the no-op extension that makes Lambda send SIGTERM; the shutdown hook runs only on signals sent otherwise"
            ),
        }
    }
    #[cfg(not(feature = "graceful-shutdown"))]
    tracing::warn!(
        "a shutdown hook is set, but Lambda sends SIGTERM only to functions with an extension: enable tower-lambda's `graceful-shutdown` feature to register one"
    );
}
