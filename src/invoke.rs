//! One invocation, end to end: event bytes → request → service → response JSON.
//!
//! The Lambda runtime glue and the test helpers both go through [`invoke`], so what is tested is
//! what runs in production.

use bytes::Bytes;
use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use serde::{Serialize, Serializer};
use std::panic::AssertUnwindSafe;
use tower::{Service, ServiceExt};

use crate::binary::{self, BodyEncoding};
use crate::body::Body;
use crate::collect::{collect_limited, json_overhead, too_large_message, TooLarge};
use crate::config::{Config, ErrorPolicy};
use crate::context::RequestContext;
use crate::error::{panic_message, BoxError, Failure, InvocationError};
use crate::event::{Event, EventError};
use crate::headers;
use crate::response::LambdaResponse;
use crate::source::{Rejected, Source};

/// A response and the source it answers: written as that source's JSON (the serialization
/// dispatch is [`Source::serialize`]).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) source: Source,
    pub(crate) response: LambdaResponse,
}

impl Reply {
    /// `response` for `source`, shaped by the options that concern the JSON.
    pub(crate) fn new(source: Source, mut response: LambdaResponse, config: &Config) -> Self {
        response.single_value_headers = config.single_value_headers;
        Self { source, response }
    }
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(&self.response, serializer)
    }
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

/// An event made ready for the service: decoded, with its extensions.
pub(crate) enum Prepared {
    /// A request for the service.
    Request {
        source: Source,
        request: Request<Body>,
    },
    /// An answer made without the service (a `400` for a request that cannot be represented).
    Answer(Reply),
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
            let response = LambdaResponse::plain(status, message);
            return Ok(Prepared::Answer(Reply::new(source, response, config)));
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
    request_id: Option<&str>,
    failure: &Failure,
) -> Result<LambdaResponse, InvocationError> {
    let request_id = request_id.unwrap_or("-");
    match config.error_policy {
        ErrorPolicy::InternalServerError => {
            tracing::error!(request_id, error = %failure, "answered 500 Internal Server Error");
            Ok(LambdaResponse::internal_server_error())
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
pub(crate) fn deadline_response(config: &Config, request_id: Option<&str>) -> LambdaResponse {
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
    LambdaResponse::plain(StatusCode::GATEWAY_TIMEOUT, message)
}

/// Calls the service and collects its response for a buffered reply, within the time budget
/// (see [`time_budget`]).
pub(crate) async fn respond_buffered<S, B>(
    service: S,
    config: &Config,
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
    let work = respond_buffered_unbounded(service, config, request, request_id);
    match budget {
        None => work.await,
        Some(budget) => match tokio::time::timeout(budget, work).await {
            Ok(result) => result,
            Err(_) => Ok(deadline_response(config, request_id)),
        },
    }
}

async fn respond_buffered_unbounded<S, B>(
    service: S,
    config: &Config,
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
        Err(failure) => return on_failure(config, request_id, &failure),
    };
    let (mut parts, body) = response.into_parts();
    headers::remove_hop_by_hop(&mut parts.headers);
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
        Ok(LambdaResponse::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
        ))
    };
    let (bytes, escapes) = match collect_limited(body, form, overhead, config.buffered_limit).await
    {
        Ok(Ok(collected)) => collected,
        Ok(Err(TooLarge { reached })) => return too_large(reached),
        Err(failure) => return on_failure(config, request_id, &failure),
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
    Ok(LambdaResponse {
        status: parts.status,
        headers: parts.headers,
        body,
        single_value_headers: false,
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
) -> Result<Reply, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match prepare(config, raw)? {
        Prepared::Answer(response) => Ok(response),
        Prepared::Request { source, request } => {
            let response = respond_buffered(service, config, request, None).await?;
            Ok(Reply::new(source, response, config))
        }
    }
}
