//! One invocation, end to end: event bytes → request → service → response JSON.
//!
//! The Lambda runtime glue and the test helpers both go through [`invoke`], so what is tested is
//! what runs in production.

use bytes::Bytes;
use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use tower::{Service, ServiceExt};

use crate::binary::{self, BodyEncoding, Form};
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

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
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

/// A response body that did not fit the buffered limit.
#[derive(Debug)]
pub(crate) struct TooLarge {
    /// The size of the JSON, at least, when collecting stopped.
    pub(crate) reached: usize,
}

/// Reads a whole response body, stopping (and dropping the rest) as soon as the JSON it will
/// become is sure to exceed `limit` bytes: memory stays bounded whatever the service sends.
/// Errors and panics of the body become a [`Failure`].
///
/// Returns the body and how many bytes JSON escaping will add to it as text.
async fn collect_limited<B>(
    body: B,
    form: Form,
    overhead: usize,
    limit: usize,
) -> Result<Result<(Bytes, usize), TooLarge>, Failure>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let collect = async move {
        let mut body = std::pin::pin!(body);
        let mut chunks: Vec<Bytes> = Vec::new();
        let (mut len, mut escapes) = (0usize, 0usize);
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(|e| Failure::Body(e.into()))?.into_data() else {
                continue; // trailers carry nothing a gateway can send
            };
            len = len.saturating_add(data.len());
            if form == Form::TextIfUtf8 {
                escapes = escapes.saturating_add(binary::json_escape_overhead(&data));
            }
            // The smallest the body can end up as: text may still turn out not to be UTF-8.
            let encoded = match form {
                Form::Base64 => binary::base64_len(len),
                Form::TextIfUtf8 => len.saturating_add(escapes).min(binary::base64_len(len)),
            };
            let reached = overhead.saturating_add(encoded);
            if reached > limit {
                return Ok(Err(TooLarge { reached }));
            }
            chunks.push(data);
        }
        let bytes = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        Ok(Ok((bytes, escapes)))
    };
    AssertUnwindSafe(collect)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(Failure::Panic(panic_message(&*panic))))
}

/// An event made ready for the service: decoded, with its extensions.
pub(crate) enum Prepared {
    /// A request for the service.
    Request {
        source: Source,
        request: Request<Body>,
    },
    /// An answer made without the service (a `400` for a request that cannot be represented).
    Answer(LambdaResponse),
}

/// Reads an event and turns it into the request the service will see (without the Lambda
/// invocation context, which [`with_lambda_context`] adds).
///
/// # Errors
/// The invocation fails as a whole: the event is not JSON, not an HTTP event, or lacks a field
/// its source requires.
pub(crate) fn prepare(config: &Config, raw: Bytes) -> Result<Prepared, InvocationError> {
    let mut event = Event::parse(&raw)?;
    let source = Source::detect(&event).ok_or_else(|| EventError::unsupported(&raw))?;
    tracing::debug!(
        source = source.name(),
        domain = event.domain_name(),
        "read the event"
    );
    let context_ip = event
        .context_source_ip()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    let decoded = source.decode(&mut event, config);
    drop(event); // it borrows `raw`, which the request context takes over
    let mut request = match decoded {
        Ok(request) => request,
        Err(Rejected::Event(error)) => return Err(error.into()),
        Err(Rejected::Request(status, message)) => {
            tracing::warn!(source = source.name(), %status, "{message}; the service was not called");
            return Ok(Prepared::Answer(
                config.shape(LambdaResponse::plain(source, status, message)),
            ));
        }
    };
    let source_ip = source.client_ip(context_ip, request.headers());
    let extensions = request.extensions_mut();
    #[cfg(feature = "axum")]
    if let Some(ip) = source_ip {
        extensions.insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(ip, 0)));
    }
    extensions.insert(RequestContext::new(source.public(), raw, source_ip));
    Ok(Prepared::Request { source, request })
}

/// Adds the Lambda invocation context to a request; returns the Lambda request id.
pub(crate) fn with_lambda_context(
    request: &mut Request<Body>,
    context: lambda_runtime::Context,
) -> String {
    let request_id = context.request_id.clone();
    request.extensions_mut().insert(context);
    request_id
}

/// What a failed service leads to under the configured [`ErrorPolicy`]: a 500, or a failed
/// invocation.
pub(crate) fn on_failure(
    config: &Config,
    source: Source,
    request_id: Option<&str>,
    failure: &Failure,
) -> Result<LambdaResponse, InvocationError> {
    let request_id = request_id.unwrap_or("-");
    match config.error_policy {
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
    }
}

/// The body of the response sent instead of one that is too large for buffered mode.
pub(crate) fn too_large_message(limit: usize) -> String {
    format!(
        "Response Too Large: the response exceeded the buffered limit of {limit} bytes of JSON \
         (Lambda's 6 MB payload limit; binary bodies grow by a third in base64). \
         tower-lambda's streaming mode lifts it (Function URLs with invoke mode RESPONSE_STREAM, \
         REST APIs with response transfer mode STREAM)."
    )
}

/// How long the service may take before the adapter answers `504`: the time left until the
/// invocation's deadline less [`Config::deadline_margin`]; `None` when the option is off or there
/// is no deadline (tests, local mode).
pub(crate) fn time_budget(request: &Request<Body>, config: &Config) -> Option<std::time::Duration> {
    let margin = config.deadline_margin?;
    let deadline = request
        .extensions()
        .get::<lambda_runtime::Context>()?
        .deadline();
    let left = deadline
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(left.saturating_sub(margin))
}

/// The adapter's answer when the service runs into the deadline margin.
pub(crate) fn deadline_response(
    config: &Config,
    source: Source,
    request_id: Option<&str>,
) -> LambdaResponse {
    let margin = config.deadline_margin.unwrap_or_default();
    tracing::error!(
        request_id = request_id.unwrap_or("-"),
        margin_ms = margin.as_millis() as u64,
        "the service did not answer before the invocation's deadline; answered 504"
    );
    let message = format!(
        "Gateway Timeout: the service did not answer within the Lambda invocation's time limit \
         (tower-lambda answers {} ms before the deadline instead of letting Lambda end the \
         invocation without a response).",
        margin.as_millis()
    );
    config.shape(LambdaResponse::plain(
        source,
        StatusCode::GATEWAY_TIMEOUT,
        message,
    ))
}

/// Calls the service and collects its response for a buffered reply, within the time budget
/// (see [`time_budget`]).
pub(crate) async fn respond_buffered<S, B>(
    service: S,
    config: &Config,
    source: Source,
    request: Request<Body>,
    request_id: Option<&str>,
) -> Result<LambdaResponse, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let budget = time_budget(&request, config);
    let work = respond_buffered_unbounded(service, config, source, request, request_id);
    match budget {
        None => work.await,
        Some(budget) => match tokio::time::timeout(budget, work).await {
            Ok(result) => result,
            Err(_) => Ok(deadline_response(config, source, request_id)),
        },
    }
}

async fn respond_buffered_unbounded<S, B>(
    service: S,
    config: &Config,
    source: Source,
    request: Request<Body>,
    request_id: Option<&str>,
) -> Result<LambdaResponse, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let response = match call_service(service, request).await {
        Ok(response) => response,
        Err(failure) => return on_failure(config, source, request_id, &failure),
    };
    let (parts, body) = response.into_parts();
    let form = binary::form(
        &parts.headers,
        &config.binary_media_types,
        parts.extensions.get::<BodyEncoding>().copied(),
    );
    let overhead = json_overhead(&parts.headers);
    let too_large = |reached: usize| {
        tracing::error!(
            request_id = request_id.unwrap_or("-"),
            limit = config.buffered_limit,
            reached,
            "the response is too large for buffered mode; answered 500"
        );
        let message = too_large_message(config.buffered_limit);
        Ok(config.shape(LambdaResponse::plain(
            source,
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
        )))
    };
    let (bytes, escapes) = match collect_limited(body, form, overhead, config.buffered_limit).await
    {
        Ok(Ok(collected)) => collected,
        Ok(Err(TooLarge { reached })) => return too_large(reached),
        Err(failure) => return on_failure(config, source, request_id, &failure),
    };
    let body = binary::encode_as(bytes, form);
    // Exact now that the form is known: text that needed much escaping may not fit after all.
    let escaped = if body.base64 { 0 } else { escapes };
    let reached = overhead
        .saturating_add(body.text.len())
        .saturating_add(escaped);
    if reached > config.buffered_limit {
        return too_large(reached);
    }
    Ok(config.shape(LambdaResponse {
        source,
        status: parts.status,
        headers: parts.headers,
        body,
        single_value_headers: false,
    }))
}

/// The JSON a response needs besides its body: the status, the header names and values with
/// their quoting, and the fixed keys, over-estimated a little.
fn json_overhead(headers: &http::HeaderMap) -> usize {
    const FIXED: usize = 128;
    headers.iter().fold(FIXED, |total, (name, value)| {
        total.saturating_add(name.as_str().len() + value.len() * 2 + 8)
    })
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
) -> Result<LambdaResponse, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match prepare(config, raw)? {
        Prepared::Answer(response) => Ok(response),
        Prepared::Request { source, request } => {
            respond_buffered(service, config, source, request, None).await
        }
    }
}
