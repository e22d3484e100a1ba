//! Glue to the Lambda runtime (`lambda_runtime`).
//!
//! `lambda_runtime` would deserialize each event into the handler's payload type through
//! `serde_path_to_error`, which allocates a string per JSON key. We want the raw bytes instead,
//! so that [`Event::parse`](crate::event::Event) reads them once, borrowing. A runtime layer
//! ([`RawEventLayer`]) takes the event bytes out of the invocation, hands them to our handler
//! through a thread-local slot, and leaves `null` for `lambda_runtime` to deserialize. The slot is
//! filled and emptied within one synchronous `call` on one thread (`lambda_runtime` calls the
//! handler's `call` directly from the layer's), so no event can reach another invocation; the
//! end-to-end tests hold this in place.

use bytes::Bytes;
use http::{Request, Response};
use lambda_runtime::{layers::TracingLayer, Diagnostic, LambdaEvent, LambdaInvocation};
use serde::de::{Deserialize, Deserializer, IgnoredAny};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

use crate::config::Config;
use crate::invoke::invoke;
use crate::response::LambdaResponse;
use crate::{Body, BoxError, Error};

thread_local! {
    static RAW_EVENT: Cell<Option<Bytes>> = const { Cell::new(None) };
}

/// The environment `lambda_runtime` reads (it panics when one is missing; we report instead).
const REQUIRED_ENV: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

pub(crate) async fn run<S, B>(service: S, config: Config) -> Result<(), Error>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
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
    let handler = Handler {
        service,
        config: Arc::new(config),
    };
    lambda_runtime::Runtime::new(handler)
        .layer(TracingLayer::new())
        .layer(RawEventLayer)
        .run_concurrent()
        .await
        .map_err(Error::Runtime)
}

/// Moves each invocation's raw event bytes into [`RAW_EVENT`] for [`Handler::call`].
#[derive(Debug, Clone, Copy)]
struct RawEventLayer;

impl<S> Layer<S> for RawEventLayer {
    type Service = RawEvent<S>;

    fn layer(&self, inner: S) -> RawEvent<S> {
        RawEvent(inner)
    }
}

#[derive(Debug, Clone)]
struct RawEvent<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawEvent<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> S::Future {
        let raw = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        RAW_EVENT.with(|slot| slot.set(Some(raw)));
        let future = self.0.call(invocation);
        // Normally the handler has taken it; never let it outlive this invocation.
        RAW_EVENT.with(Cell::take);
        future
    }
}

/// What `lambda_runtime` deserializes in place of the event (the `null` left by [`RawEvent`]).
#[derive(Debug)]
struct Placeholder;

impl<'de> Deserialize<'de> for Placeholder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer)?;
        Ok(Placeholder)
    }
}

#[derive(Clone)]
struct Handler<S> {
    service: S,
    config: Arc<Config>,
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<LambdaResponse, Diagnostic>> + Send>>;

impl<S, B> Service<LambdaEvent<Placeholder>> for Handler<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = LambdaResponse;
    type Error = Diagnostic;
    type Future = HandlerFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Diagnostic>> {
        // The service's own readiness is awaited inside each invocation.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, event: LambdaEvent<Placeholder>) -> HandlerFuture {
        let raw = RAW_EVENT.with(Cell::take);
        let service = self.service.clone();
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let Some(raw) = raw else {
                return Err(Diagnostic {
                    error_type: "tower_lambda::Internal".to_owned(),
                    error_message: "the event bytes did not reach tower-lambda's handler"
                        .to_owned(),
                });
            };
            invoke(service, &config, raw, Some(event.context))
                .await
                .map_err(Diagnostic::from)
        })
    }
}
