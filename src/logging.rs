//! Logging set-up for [`Serve::run`](crate::Serve::run).

/// Installs `lambda_runtime`'s default `tracing` subscriber (CloudWatch-friendly, honouring
/// `AWS_LAMBDA_LOG_LEVEL`/`RUST_LOG` and `AWS_LAMBDA_LOG_FORMAT`) unless the application has
/// installed its own.
pub(crate) fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if !tracing::dispatcher::has_been_set() {
            lambda_runtime::tracing::init_default_subscriber();
        }
    });
}
