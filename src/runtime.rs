//! Glue to the Lambda runtime (`lambda_runtime`).
//!
//! `lambda_runtime` would deserialize each event into the handler's payload type through
//! `serde_path_to_error`, which allocates a string per JSON key. We want the raw bytes instead,
//! so that [`Event::parse`](crate::event::Event) reads them once, borrowing. A runtime layer
//! ([`InvocationLayer`]) takes the event bytes out of each invocation and decodes them. Then:
//!
//! - buffered responses: the decoded request goes to our [`Handler`] through a thread-local slot,
//!   and `null` is left for `lambda_runtime` to deserialize; `lambda_runtime` posts what the
//!   handler returns. The slot is filled and emptied within one synchronous `call` on one thread
//!   (`lambda_runtime` calls the handler's `call` directly from the layer's), so no request can
//!   reach another invocation; the end-to-end tests hold this in place.
//! - streamed responses ([`ResponseMode::Streaming`] and a source that can stream): the layer
//!   answers the invocation itself through [`crate::streaming`], because `lambda_runtime` 1.x
//!   reports a body that fails mid-stream as more body bytes rather than as the Runtime API's
//!   error trailers.

use bytes::Bytes;
use futures_util::future::Either;
use http::{Request, Response};
use lambda_runtime::{layers::TracingLayer, Diagnostic, LambdaEvent, LambdaInvocation};
use serde::de::{Deserialize, Deserializer, IgnoredAny};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::body::Body;
use crate::config::{Config, Misconfigured, ResponseMode};
use crate::error::{panic_message, BoxError, Error, ErrorType, InvocationError};
use crate::invoke::{
    fail_on_status, prepare, respond_buffered, respond_event_boxed, with_lambda_context, Prepared,
    Reply,
};
use crate::logging::{Line, Logged, Outcome};
use crate::shutdown::{self, Hook, InFlight, Tracked};
use crate::snapstart::Reconnect;
use crate::streaming;
use lambda_runtime::SnapStartResource;
use std::panic::AssertUnwindSafe;

/// What [`Invocation`] hands [`Handler`]: the prepared event, and where to report how the
/// invocation ended (when the invocation log line is on).
type Slot = (Result<Prepared, InvocationError>, Option<Arc<Outcome>>);

thread_local! {
    static PREPARED: Cell<Option<Slot>> = const { Cell::new(None) };
}

/// The environment `lambda_runtime` reads (it panics when one is missing; we report instead).
const REQUIRED_ENV: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Runs `runtime` (see [`run`]) as a task of its own rather than in the caller's future, which
/// is usually `main`'s `block_on`, outside the runtime's worker threads. As a task it runs on a
/// worker beside the Runtime API client's connection task, so an invocation's HTTP exchanges need
/// no wake-up of another thread: measured end to end, this halves the CPU time per invocation
/// (`benches/e2e.rs`). Dropping the returned future stops the task.
pub(crate) async fn in_own_task(
    runtime: impl Future<Output = Result<(), Error>> + Send + 'static,
) -> Result<(), Error> {
    let task = AbortOnDrop(tokio::spawn(runtime.instrument(tracing::Span::current())));
    match task.join().await {
        Ok(result) => result,
        Err(error) => Err(Error::Runtime(match error.try_into_panic() {
            Ok(panic) => format!(
                "the Lambda runtime loop panicked: {}",
                panic_message(&*panic)
            )
            .into(),
            Err(error) => Box::new(error),
        })),
    }
}

/// A task that is aborted when its handle is dropped, as a future would be.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the Lambda runtime loop until the runtime stops or a shutdown signal came.
///
/// What is wrong before the first event (a missing Lambda variable, an option or a variable with
/// a value that cannot be used) is reported to `/runtime/init/error` and returned.
pub(crate) async fn run<S, B>(
    service: S,
    config: Result<Config, Misconfigured>,
    on_shutdown: Option<Hook>,
    snapstart: Vec<Arc<dyn SnapStartResource>>,
) -> Result<(), Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (config, streaming) = match start_up(config) {
        Ok(started) => started,
        Err(error) => {
            report_init_error(&error).await;
            return Err(error);
        }
    };
    let handler = Handler {
        service: service.clone(),
        config: Arc::clone(&config),
    };
    let in_flight = InFlight::default();
    let extension = match on_shutdown {
        Some(_) => shutdown::register_extension().await,
        None => None,
    };
    let reconnect = Reconnect {
        streaming: streaming.clone(),
        extension,
    };
    let signal = shutdown::signal();
    // Ours first: after a restore it runs before the application's hooks, which may need the
    // Runtime API connections it rebuilds.
    let runtime = std::iter::once(Arc::new(reconnect) as Arc<dyn SnapStartResource>)
        .chain(snapstart)
        .fold(lambda_runtime::Runtime::new(handler), |runtime, hook| {
            runtime.register_snapstart_resource(hook)
        })
        .layer(TracingLayer::new())
        .layer(InvocationLayer {
            service,
            config,
            streaming,
            in_flight: in_flight.clone(),
        })
        .run_concurrent();
    tokio::pin!(runtime);
    tokio::select! {
        // The runtime first: its first poll sends the first `/next`; the signal handlers are
        // installed right after (see `shutdown::signal`).
        biased;
        stopped = &mut runtime => return stopped.map_err(Error::Runtime),
        () = signal => {}
    }
    // Keep driving the runtime, so work in flight finishes and is answered, but no longer than
    // Lambda waits.
    let drained = tokio::time::timeout(shutdown::LAMBDA_GRACE, in_flight.drained());
    tokio::select! {
        stopped = &mut runtime => stopped.map_err(Error::Runtime)?,
        finished = drained => {
            if finished.is_err() {
                tracing::warn!("in-flight invocations did not finish within {:?}", shutdown::LAMBDA_GRACE);
            }
        }
    }
    if let Some(hook) = on_shutdown {
        hook().await;
    }
    Ok(())
}

/// Checks what the runtime needs before the first event: the Lambda environment
/// `lambda_runtime` reads (it would panic on a missing variable), and the options; makes the
/// streaming client in streaming mode.
fn start_up(
    config: Result<Config, Misconfigured>,
) -> Result<(Arc<Config>, Option<Arc<streaming::Client>>), Error> {
    streaming::endpoint()?;
    for variable in REQUIRED_ENV {
        if std::env::var_os(variable).is_none() {
            return Err(Error::LambdaEnvironment {
                variable,
                problem: "is not set",
            });
        }
    }
    if std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_ok_and(|m| m.parse::<i32>().is_err()) {
        return Err(Error::LambdaEnvironment {
            variable: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            problem: "is not a number",
        });
    }
    let config = Arc::new(config?);
    let streaming = match config.response_mode {
        ResponseMode::Streaming => Some(Arc::new(streaming::Client::from_env()?)),
        ResponseMode::Buffered => None,
    };
    Ok((config, streaming))
}

/// Reports a start-up error to the Runtime API's `/runtime/init/error`, so that Lambda shows it
/// as the function's init error (`Runtime.InitError` in the invoke result, the message in the
/// logs) rather than as an exit without a reason. Best effort: a report that cannot be sent is
/// logged, and the error is returned either way.
async fn report_init_error(error: &Error) {
    tracing::error!(%error, "tower-lambda could not start");
    let Ok(endpoint) = streaming::endpoint() else {
        return;
    };
    let error_type = match error {
        Error::Configuration { .. } => ErrorType::Configuration,
        Error::LambdaEnvironment { .. } => ErrorType::LambdaEnvironment,
        _ => ErrorType::InitError,
    };
    let body = serde_json::json!({
        "errorType": error_type.static_name(),
        "errorMessage": error.to_string(),
    });
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri("/2018-06-01/runtime/init/error")
        .header(
            "lambda-runtime-function-error-type",
            error_type.static_name(),
        )
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(lambda_runtime_api_client::body::Body::from(
            body.to_string(),
        ));
    let Ok(request) = request else {
        return;
    };
    let client = lambda_runtime_api_client::PooledClient::builder()
        .with_endpoint(endpoint)
        .build();
    match tokio::time::timeout(std::time::Duration::from_secs(2), client.call(request)).await {
        Ok(Ok(answer)) if answer.status().is_success() => {}
        Ok(Ok(answer)) => {
            tracing::warn!(status = %answer.status(), "the Runtime API refused the init error report");
        }
        Ok(Err(report_error)) => {
            tracing::warn!(error = %report_error, "the init error could not be reported to the Runtime API");
        }
        Err(_) => tracing::warn!("the Runtime API did not take the init error report within 2 s"),
    }
}

/// Decodes each invocation's event; streams the response itself or hands the request to
/// [`Handler`].
#[derive(Clone)]
struct InvocationLayer<S> {
    service: S,
    config: Arc<Config>,
    /// Present in streaming mode.
    streaming: Option<Arc<streaming::Client>>,
    in_flight: InFlight,
}

impl<Inner, S: Clone> Layer<Inner> for InvocationLayer<S> {
    type Service = Invocation<Inner, S>;

    fn layer(&self, inner: Inner) -> Self::Service {
        Invocation {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
struct Invocation<Inner, S> {
    inner: Inner,
    layer: InvocationLayer<S>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<Inner, S, B> Service<LambdaInvocation> for Invocation<Inner, S>
where
    Inner: Service<LambdaInvocation, Response = (), Error = BoxError>,
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = ();
    type Error = BoxError;
    type Future = Tracked<Logged<Either<Inner::Future, BoxFuture<Result<(), BoxError>>>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let raw = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        // Decoding runs here, outside `lambda_runtime`'s panic guard: guard it too, so that even
        // a bug in a decoder fails one invocation rather than the runtime.
        let prepared =
            std::panic::catch_unwind(AssertUnwindSafe(|| prepare(&self.layer.config, raw)))
                .unwrap_or_else(|panic| {
                    Err(InvocationError::new(
                        ErrorType::Internal,
                        format!("decoding the event panicked: {}", panic_message(&*panic)),
                    ))
                });
        let mut line = Line::start(self.layer.config.invocation_log, &invocation.context);
        if let Some(line) = &mut line {
            line.describe(&prepared);
        }
        let outcome = line.as_ref().map(|line| Arc::clone(&line.outcome));
        let prepared = match (prepared, &self.layer.streaming) {
            (
                Ok(Prepared::Request {
                    source,
                    mut request,
                }),
                Some(client),
            ) if streaming::can_stream(source) => {
                let LambdaInvocation { parts, context, .. } = invocation;
                let span =
                    tracing::info_span!("Lambda runtime invoke", requestId = %context.request_id);
                let request_id = context.request_id.clone();
                with_lambda_context(&mut request, context);
                let answer = streaming::Answer {
                    client: Arc::clone(client),
                    request_id,
                    invocation_id: parts.headers.get(streaming::INVOCATION_ID).cloned(),
                    outcome,
                };
                let future = answer.respond(
                    self.layer.service.clone(),
                    Arc::clone(&self.layer.config),
                    request,
                );
                let future = Either::Right(Box::pin(future.instrument(span)) as BoxFuture<_>);
                return self.layer.in_flight.track(Logged::new(future, line));
            }
            (prepared, _) => prepared,
        };
        PREPARED.with(|slot| slot.set(Some((prepared, outcome))));
        let future = self.inner.call(invocation);
        // Normally the handler has taken it; never let it outlive this invocation.
        PREPARED.with(Cell::take);
        self.layer
            .in_flight
            .track(Logged::new(Either::Left(future), line))
    }
}

/// What `lambda_runtime` deserializes in place of the event (the `null` left by [`Invocation`]).
#[derive(Debug)]
struct Placeholder;

impl<'de> Deserialize<'de> for Placeholder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer)?;
        Ok(Placeholder)
    }
}

/// Answers buffered invocations; `lambda_runtime` posts the result.
#[derive(Clone)]
struct Handler<S> {
    service: S,
    config: Arc<Config>,
}

type HandlerFuture = BoxFuture<Result<Reply, Diagnostic>>;

impl<S, B> Service<LambdaEvent<Placeholder>> for Handler<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Reply;
    type Error = Diagnostic;
    type Future = HandlerFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Diagnostic>> {
        // The service's own readiness is awaited inside each invocation.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, event: LambdaEvent<Placeholder>) -> HandlerFuture {
        let prepared = PREPARED.with(Cell::take);
        let service = self.service.clone();
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let Some((prepared, outcome)) = prepared else {
                return Err(Diagnostic {
                    error_type: ErrorType::Internal.static_name().to_owned(),
                    error_message: "the event did not reach tower-lambda's handler".to_owned(),
                });
            };
            let result = match prepared {
                Ok(Prepared::Request {
                    source,
                    mut request,
                }) => {
                    with_lambda_context(&mut request, event.context);
                    match respond_buffered(service, &config, request).await {
                        Ok(response) => {
                            let reply = Reply::new(source, response, &config);
                            fail_on_status(&config, reply)
                        }
                        Err(error) => Err(error),
                    }
                }
                Ok(Prepared::Event { kind, mut request }) => {
                    with_lambda_context(&mut request, event.context);
                    respond_event_boxed(service, &config, kind, request).await
                }
                Ok(Prepared::Answer(reply)) => fail_on_status(&config, reply),
                Err(error) => Err(error),
            };
            if let Some(outcome) = outcome {
                match &result {
                    Ok(reply) => outcome.answered(reply.status(), reply.size()),
                    Err(error) => outcome.failed(error.error_type.clone()),
                }
            }
            result.map_err(Diagnostic::from)
        })
    }
}
