//! One invocation, end to end: event bytes → request → service → response JSON.
//!
//! The Lambda runtime glue and the test helpers both go through [`invoke`], so what is tested is
//! what runs in production.

use bytes::Bytes;
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::BodyExt;
use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use tower::{Service, ServiceExt};

use crate::binary::{self, BodyEncoding};
use crate::config::{Config, ErrorPolicy};
use crate::context::RequestContext;
use crate::event::{Event, EventError};
use crate::response::LambdaResponse;
use crate::source::{Rejected, Source};
use crate::{Body, BoxError};

/// An invocation that fails as a whole: on Lambda it is reported to the Runtime API's `/error`
/// endpoint (and the gateway answers `502`). Returned by [`Serve::invoke`](crate::Serve::invoke).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

impl InvocationError {
    /// The error type reported to Lambda, such as `tower_lambda::UnsupportedEvent`.
    pub fn error_type(&self) -> &str {
        self.error_type
    }

    /// What went wrong, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for InvocationError {}

impl From<EventError> for InvocationError {
    fn from(error: EventError) -> Self {
        Self {
            error_type: "tower_lambda::UnsupportedEvent",
            message: error.to_string(),
        }
    }
}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(error: InvocationError) -> Self {
        Self {
            error_type: error.error_type.to_owned(),
            error_message: error.message,
        }
    }
}

/// How a service failed to produce a response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The service returned `Err` (or was not ready).
    Service(BoxError),
    /// The response body failed while it was read.
    Body(BoxError),
    /// The service or its body panicked.
    Panic(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(error) => write!(f, "the service returned an error: {error}"),
            Self::Body(error) => write!(f, "the response body failed: {error}"),
            Self::Panic(message) => write!(f, "the service panicked: {message}"),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}

/// Drives the service to a response, turning `Err` and panics (in `call` or in its future) into
/// a [`Failure`].
pub(crate) async fn call_service<S, B>(
    mut service: S,
    request: Request<Body>,
) -> Result<Response<B>, Failure>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let call = async move {
        let ready = service
            .ready()
            .await
            .map_err(|e| Failure::Service(e.into()))?;
        ready
            .call(request)
            .await
            .map_err(|e| Failure::Service(e.into()))
    };
    AssertUnwindSafe(call)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(Failure::Panic(panic_message(&*panic))))
}

/// Reads a whole response body, turning its errors and panics into a [`Failure`].
async fn collect_body<B>(body: B) -> Result<Bytes, Failure>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match AssertUnwindSafe(body.collect()).catch_unwind().await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) => Err(Failure::Body(error.into())),
        Err(panic) => Err(Failure::Panic(panic_message(&*panic))),
    }
}

/// Runs one event through decode → service → encode.
///
/// `Ok` is a response for the gateway (including the adapter's own 400 and 500 responses);
/// `Err` fails the invocation: the event is not an HTTP event, or the service failed under
/// [`ErrorPolicy::FailInvocation`].
pub(crate) async fn invoke<S, B>(
    service: S,
    config: &Config,
    raw: Bytes,
    context: Option<lambda_runtime::Context>,
) -> Result<LambdaResponse, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let event = Event::parse(&raw)?;
    let source = Source::detect(&event).ok_or_else(|| EventError::unsupported(&raw))?;
    let source_ip = source.client_ip(&event);
    let mut request = match source.decode(event, config) {
        Ok(request) => request,
        Err(Rejected::Event(error)) => return Err(error.into()),
        Err(Rejected::Request(status, message)) => {
            tracing::warn!(source = source.name(), %status, "{message}; the service was not called");
            return Ok(config.shape(LambdaResponse::plain(source, status, message)));
        }
    };
    let request_id = context.as_ref().map(|c| c.request_id.clone());
    let extensions = request.extensions_mut();
    if let Some(context) = context {
        extensions.insert(context);
    }
    #[cfg(feature = "axum")]
    if let Some(ip) = source_ip {
        extensions.insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(ip, 0)));
    }
    extensions.insert(RequestContext::new(source.public(), raw, source_ip));

    let result = match call_service(service, request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            collect_body(body).await.map(|bytes| (parts, bytes))
        }
        Err(failure) => Err(failure),
    };
    let (parts, bytes) = match result {
        Ok(ok) => ok,
        Err(failure) => {
            let request_id = request_id.as_deref().unwrap_or("-");
            return match config.error_policy {
                ErrorPolicy::InternalServerError => {
                    tracing::error!(request_id, error = %failure, "answered 500 Internal Server Error");
                    Ok(config.shape(LambdaResponse::internal_server_error(source)))
                }
                ErrorPolicy::FailInvocation => {
                    tracing::error!(request_id, error = %failure, "failed the invocation");
                    Err(InvocationError {
                        error_type: "tower_lambda::ServiceError",
                        message: failure.to_string(),
                    })
                }
            };
        }
    };

    let choice = parts.extensions.get::<BodyEncoding>().copied();
    let body = binary::encode(bytes, &parts.headers, &config.binary_media_types, choice);
    Ok(config.shape(LambdaResponse {
        source,
        status: parts.status,
        headers: parts.headers,
        body,
        single_value_headers: false,
    }))
}
