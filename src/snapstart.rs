//! SnapStart: the application's hooks around the snapshot and the restore, and tower-lambda's
//! own, which rebuilds every connection it holds to the Runtime API after a restore (a restored
//! microVM finds them all dead).
//!
//! `lambda_runtime` drives the lifecycle when `AWS_LAMBDA_INITIALIZATION_TYPE` is `snap-start`:
//! `before_snapshot` hooks in reverse order, `/restore/next`, its own connection pool rebuilt,
//! then `after_restore` hooks in order; a failing hook is reported to `/init/error` (before the
//! snapshot) or `/restore/error` (after the restore), and the runtime stops.

use lambda_runtime::{BoxFuture, SnapStartResource};
use std::future::Future;
use std::sync::Arc;

use crate::error::BoxError;
use crate::shutdown::Extension;
use crate::streaming;

/// A plain async closure run before the snapshot ([`Serve::before_snapshot`](crate::Serve::before_snapshot)).
pub(crate) struct BeforeSnapshot<F>(pub(crate) F);

/// A plain async closure run after the restore ([`Serve::after_restore`](crate::Serve::after_restore)).
pub(crate) struct AfterRestore<F>(pub(crate) F);

impl<F, Fut, E> SnapStartResource for BeforeSnapshot<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    fn before_snapshot(&self) -> BoxFuture<'_, Result<(), lambda_runtime::Error>> {
        let hook = (self.0)();
        Box::pin(async move { hook.await.map_err(Into::into) })
    }
}

impl<F, Fut, E> SnapStartResource for AfterRestore<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    fn after_restore(&self) -> BoxFuture<'_, Result<(), lambda_runtime::Error>> {
        let hook = (self.0)();
        Box::pin(async move { hook.await.map_err(Into::into) })
    }
}

/// tower-lambda's own connections to the Runtime API, rebuilt after a restore. Registered before
/// the application's hooks, so that it runs first after the restore.
pub(crate) struct Reconnect {
    pub(crate) streaming: Option<Arc<streaming::Client>>,
    pub(crate) extension: Option<Extension>,
}

impl SnapStartResource for Reconnect {
    fn after_restore(&self) -> BoxFuture<'_, Result<(), lambda_runtime::Error>> {
        if let Some(client) = &self.streaming {
            client.reset_pool();
        }
        if let Some(extension) = &self.extension {
            extension.restored();
        }
        tracing::debug!("restored from a SnapStart snapshot: Runtime API connections rebuilt");
        Box::pin(async { Ok(()) })
    }
}
