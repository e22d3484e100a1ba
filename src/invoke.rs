//! One invocation, end to end: event bytes → request → service → response JSON.
//!
//! The Lambda runtime glue and the test helpers both go through [`invoke`], so what is tested is
//! what runs in production.

use bytes::Bytes;
use futures_util::future::Either;
use futures_util::FutureExt;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use tower::{Service, ServiceExt};

use crate::binary::{self, BodyEncoding, Form};
use crate::body::Body;
use crate::collect::{collect_limited, json_overhead, too_large_message, Collected};
use crate::config::{Config, ErrorPolicy};
use crate::context::{EventTraceHeader, RequestContext};
use crate::error::{panic_message, BoxError, ErrorType, Failure, InvocationError};
use crate::event::{identifying_fields, Event, EventError};
use crate::events::EventKind;
use crate::headers;
use crate::response::LambdaResponse;
use crate::restore::Restore;
use crate::source::{Rejected, Source};

/// What an invocation answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A response and the HTTP source it answers: written as that source's JSON (the
    /// serialization dispatch is [`Source::serialize`]).
    Http {
        source: Source,
        response: LambdaResponse,
    },
    /// A non-HTTP event's result: JSON, written as it is.
    Event(Box<RawValue>),
}

impl Reply {
    /// `response` for `source`, shaped by the options that concern the JSON.
    pub(crate) fn new(source: Source, mut response: LambdaResponse, config: &Config) -> Self {
        response.single_value_headers = config.single_value_headers;
        Self::Http { source, response }
    }
}

impl Reply {
    /// The HTTP status, for the invocation log line (none for a non-HTTP event's result).
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Http { response, .. } => Some(response.status.as_u16()),
            Self::Event(_) => None,
        }
    }

    /// The body's size as sent (base64 text for a binary body; the JSON of an event's result).
    pub(crate) fn size(&self) -> usize {
        match self {
            Self::Http { response, .. } => response.body.text.len(),
            Self::Event(result) => result.get().len(),
        }
    }
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Http { source, response } => source.serialize(response, serializer),
            Self::Event(result) => result.serialize(serializer),
        }
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
    /// A non-HTTP event as a request for the events path.
    Event {
        kind: EventKind,
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
    let mut event = match Event::parse(&raw) {
        Ok(event) => event,
        Err(error) => return unreadable(config, error, raw),
    };
    let Some(source) = Source::detect(&event) else {
        let kind = EventKind::of(&event);
        drop(event); // it borrows `raw`, which becomes the body
        return not_a_request(config, kind, raw);
    };
    if event.has_inexact_number() {
        drop(event);
        return Ok(inexact_number(config, source));
    }
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
    let from_websocket = source == Source::WebSocket;
    if let Some(guarded) = config.aws_only_path(request.uri().path(), from_websocket) {
        return Ok(refuse_aws_only_path(config, source, &request, guarded));
    }
    let source_ip = source.client_ip(context_ip, request.headers());
    let extensions = request.extensions_mut();
    #[cfg(feature = "axum")]
    if let Some(ip) = source_ip {
        extensions.insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(ip, 0)));
    }
    extensions.insert(RequestContext::new(source.public(), raw, source_ip));
    Ok(Prepared::Request { source, request })
}

/// The `404` for a request from an HTTP source to a path only AWS may reach (the events path,
/// the WebSocket path): an event it may not forge.
#[cold]
#[inline(never)]
fn refuse_aws_only_path(
    config: &Config,
    source: Source,
    request: &Request<Body>,
    guarded: &str,
) -> Prepared {
    tracing::warn!(
        source = source.name(),
        path = request.uri().path(),
        guarded,
        "an HTTP request for a path only AWS may reach; answered 404 without calling the service"
    );
    let response = LambdaResponse::plain(StatusCode::NOT_FOUND, "Not Found");
    Prepared::Answer(Reply::new(source, response, config))
}

/// The `400` for an HTTP event whose map held a JSON number whose text is lost (see
/// [`Pairs`](crate::event::Pairs)): changing the client's value into another is not an option.
#[cold]
#[inline(never)]
fn inexact_number(config: &Config, source: Source) -> Prepared {
    let message = "a header or query value in the event is a JSON number that cannot be kept as written (a fraction, an exponent or an integer past 64 bits); send it as a string";
    tracing::warn!(
        source = source.name(),
        "{message}; the service was not called"
    );
    let response = LambdaResponse::plain(StatusCode::BAD_REQUEST, message);
    Prepared::Answer(Reply::new(source, response, config))
}

/// An event that is no request: to the events path when there is one, else a failed invocation
/// that says what it was.
#[cold]
#[inline(never)]
fn not_a_request(
    config: &Config,
    kind: EventKind,
    raw: Bytes,
) -> Result<Prepared, InvocationError> {
    match (&config.events_path, kind) {
        (Some(_), kind) => event_request(config, kind, raw),
        (None, EventKind::Authorizer) => Err(EventError::Authorizer.into()),
        (None, _) => Err(EventError::unsupported(&raw).into()),
    }
}

/// An event that could not be read whole. An HTTP event with a field of the wrong type fails
/// the invocation (its request cannot be told); any other event (a direct invoke may hold any
/// JSON) goes to the events path when there is one, as the kind its identifying fields say.
/// Detection decides, on those fields alone ([`identifying_fields`]).
#[cold]
#[inline(never)]
fn unreadable(config: &Config, error: EventError, raw: Bytes) -> Result<Prepared, InvocationError> {
    if !matches!(
        error,
        EventError::InvalidField(_) | EventError::NotAnObject(_)
    ) {
        return Err(error.into());
    }
    let fields = identifying_fields(&raw);
    let identified = fields.as_ref().and_then(|fields| {
        let event = Event::parse(fields).ok()?;
        Some(Source::detect(&event).ok_or_else(|| EventKind::of(&event)))
    });
    match (identified, error) {
        (Some(Ok(source)), EventError::InvalidField(error)) => Err(EventError::Malformed {
            source: source.name(),
            error,
        }
        .into()),
        (Some(Err(kind)), _) if config.events_path.is_some() => event_request(config, kind, raw),
        (None, _) if config.events_path.is_some() => event_request(config, EventKind::Unknown, raw),
        (_, error) => Err(error.into()),
    }
}

/// A non-HTTP event as `POST {events_path}/{kind}`, its bytes (shared, not copied) the body.
/// Kept out of line: HTTP invocations never take this path.
#[cold]
#[inline(never)]
fn event_request(
    config: &Config,
    kind: EventKind,
    raw: Bytes,
) -> Result<Prepared, InvocationError> {
    let events_path = config.events_path.as_deref().unwrap_or_default();
    let mut path = String::with_capacity(events_path.len() + 16);
    path.push_str(events_path);
    path.push('/');
    path.push_str(kind.path_segment());
    let uri = http::Uri::try_from(path).map_err(|error| {
        InvocationError::new(
            ErrorType::Internal,
            format!("the events path is not a valid path: {error}"),
        )
    })?;
    tracing::debug!(kind = kind.path_segment(), "read a non-HTTP event");
    let mut request = Request::new(Body::from(raw));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    request
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    request.extensions_mut().insert(kind);
    Ok(Prepared::Event { kind, request })
}

/// Calls the service with a non-HTTP event and makes its response the invocation's result: a
/// 2xx body as JSON (as it is when it is JSON, as a JSON string when it is other text, `null`
/// when empty); a non-2xx status, an `Err`, a panic or a body past the buffered limit fail the
/// invocation. An authorizer's `401` fails it with the message `Unauthorized`.
pub(crate) async fn respond_event<S, B>(
    service: S,
    config: &Config,
    kind: EventKind,
    request: Request<Body>,
) -> Result<Reply, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let authorizer = kind == EventKind::Authorizer;
    let kind = kind.path_segment();
    let budget = time_budget(&request, config);
    // The service and the body are wrapped (at no cost) so that this path gets instances of
    // `call_service` and `collect_limited` of its own: sharing the HTTP path's would make the
    // compiler stop inlining them there, which costs every HTTP round trip.
    let service = service.map_response(|response: Response<B>| {
        response.map(|body| http_body_util::BodyExt::map_err(body, Into::<BoxError>::into))
    });
    let work = async {
        let response = call_service(service, request).await?;
        let (parts, body) = response.into_parts();
        let collected = collect_limited(body, Form::TextIfUtf8, 0, config.buffered_limit).await?;
        Ok::<_, Failure>((parts.status, collected))
    };
    let outcome = match budget {
        None => work.await,
        Some(budget) => match tokio::time::timeout(budget, work).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::error!(
                    kind,
                    "the service did not answer the event before the invocation's deadline"
                );
                return Err(InvocationError::new(
                    ErrorType::Timeout,
                    "the service did not answer before the invocation's deadline",
                ));
            }
        },
    };
    let (status, body) = match outcome {
        Ok((status, Collected::Body { bytes, .. })) => (status, bytes),
        Ok((_, Collected::TooLarge { reached })) => {
            tracing::error!(kind, reached, "the event's result is too large");
            return Err(InvocationError::new(
                ErrorType::ResultTooLarge,
                format!(
                    "the result exceeded the limit of {} bytes",
                    config.buffered_limit
                ),
            ));
        }
        Err(failure) => {
            tracing::error!(kind, error = %failure, "failed the invocation");
            return Err(InvocationError::new(
                ErrorType::ServiceError,
                failure.to_string(),
            ));
        }
    };
    let text = String::from_utf8_lossy(&body);
    if authorizer && status == StatusCode::UNAUTHORIZED {
        // API Gateway answers its client `401` for exactly this error message.
        tracing::info!(kind, "the authorizer answered 401: Unauthorized");
        return Err(InvocationError::new(
            ErrorType::Unauthorized,
            "Unauthorized",
        ));
    }
    if !status.is_success() {
        return Err(status_failure(status, &text, kind));
    }
    let json = if body.iter().all(u8::is_ascii_whitespace) {
        "null".to_owned()
    } else if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
        text.into_owned()
    } else {
        serde_json::Value::String(text.into_owned()).to_string()
    };
    RawValue::from_string(json)
        .map(Reply::Event)
        .map_err(|error| {
            InvocationError::new(
                ErrorType::Internal,
                format!("the result could not be written as JSON: {error}"),
            )
        })
}

/// [`respond_event`], boxed by a plain function that is never inlined: built inside the caller,
/// the unboxed future would take room in the caller's frame and state, and every HTTP
/// invocation, which never takes this path, would pay for moving that room around (measured:
/// about a thousand instructions per round trip).
#[inline(never)]
pub(crate) fn respond_event_boxed<'a, S, B>(
    service: S,
    config: &'a Config,
    kind: EventKind,
    request: Request<Body>,
) -> Pin<Box<impl Future<Output = Result<Reply, InvocationError>> + 'a>>
where
    S: Service<Request<Body>, Response = Response<B>> + 'a,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + 'a,
    B::Error: Into<BoxError>,
{
    Box::pin(respond_event(service, config, kind, request))
}

/// A failed invocation for a response whose status fails it: a non-2xx answer to a non-HTTP
/// event, or a status [`Serve::fail_on_status`](crate::Serve::fail_on_status) lists. The error
/// type names the status (`tower_lambda::Status503`), the message is the body (its reason phrase
/// when the body is empty); the body is logged too.
#[cold]
pub(crate) fn status_failure(status: StatusCode, body: &str, what: &str) -> InvocationError {
    tracing::error!(
        status = status.as_u16(),
        body,
        what,
        "the service answered with a status that fails the invocation; failed the invocation"
    );
    let message = if body.trim().is_empty() {
        status.canonical_reason().unwrap_or("no reason").to_owned()
    } else {
        body.to_owned()
    };
    InvocationError::new(ErrorType::Status(status), message)
}

/// Fails the invocation when the reply's status is one
/// [`Serve::fail_on_status`](crate::Serve::fail_on_status) lists.
#[inline]
pub(crate) fn fail_on_status(config: &Config, reply: Reply) -> Result<Reply, InvocationError> {
    match &reply {
        Reply::Http { response, .. } => match failing_status(config, response) {
            Some(error) => Err(error),
            None => Ok(reply),
        },
        Reply::Event(_) => Ok(reply),
    }
}

/// The failed invocation for a response whose status
/// [`Serve::fail_on_status`](crate::Serve::fail_on_status) lists; `None` for any other.
#[inline(always)]
pub(crate) fn failing_status(
    config: &Config,
    response: &LambdaResponse,
) -> Option<InvocationError> {
    if !config.fail_on_status.contains(response.status.as_u16()) {
        return None;
    }
    Some(listed_status_failure(response))
}

#[cold]
#[inline(never)]
fn listed_status_failure(response: &LambdaResponse) -> InvocationError {
    let body = if response.body.base64 {
        format!(
            "({} bytes of base64-encoded body)",
            response.body.text.len()
        )
    } else {
        response.body.text.clone()
    };
    status_failure(response.status, &body, "http")
}

/// `X-Amzn-Trace-Id`, the X-Ray trace header.
const X_AMZN_TRACE_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-trace-id");

/// Adds the Lambda invocation context to a request.
///
/// The invocation's X-Ray trace header (`Root=…;Parent=…;Sampled=…`, from the runtime's
/// `Lambda-Runtime-Trace-Id`) becomes the request's one `X-Amzn-Trace-Id`, so that the service's
/// outgoing calls continue Lambda's trace; other values the event carried move to the
/// [`EventTraceHeader`] extension.
pub(crate) fn with_lambda_context(request: &mut Request<Body>, context: lambda_runtime::Context) {
    if let Some(trace) = context
        .xray_trace_id
        .as_deref()
        .and_then(|trace| HeaderValue::from_str(trace).ok())
    {
        let carried = match request.headers_mut().entry(X_AMZN_TRACE_ID) {
            http::header::Entry::Occupied(mut entry) => entry
                .insert_mult(trace.clone())
                .filter(|value| *value != trace)
                .collect(),
            http::header::Entry::Vacant(entry) => {
                entry.insert(trace);
                Vec::new()
            }
        };
        if !carried.is_empty() {
            request.extensions_mut().insert(EventTraceHeader(carried));
        }
    }
    request.extensions_mut().insert(context);
}

/// What a failed service leads to under the configured [`ErrorPolicy`]: a 500, or a failed
/// invocation.
pub(crate) fn on_failure(
    config: &Config,
    failure: &Failure,
) -> Result<LambdaResponse, InvocationError> {
    match config.error_policy {
        ErrorPolicy::InternalServerError => {
            tracing::error!(error = %failure, "answered 500 Internal Server Error");
            Ok(LambdaResponse::internal_server_error())
        }
        ErrorPolicy::FailInvocation => {
            tracing::error!(error = %failure, "failed the invocation");
            Err(InvocationError::new(
                ErrorType::ServiceError,
                failure.to_string(),
            ))
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
pub(crate) fn deadline_response(config: &Config) -> LambdaResponse {
    let margin = config.deadline_margin.unwrap_or_default();
    tracing::error!(
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

/// What the response head needs from the request, taken before the service consumes it: the
/// removed path prefix to put back ([`Restore`]), unless
/// [`Serve::restore_path_prefix`](crate::Serve::restore_path_prefix) is off.
pub(crate) fn restore_for(request: &Request<Body>, config: &Config) -> Option<Box<Restore>> {
    if config.restore_prefix {
        Restore::of(request)
    } else {
        None
    }
}

/// The one step both response modes run on the service's response headers: hop-by-hop headers
/// out (the gateway owns the connection), the removed path prefix back into `Location`,
/// `Content-Location` and cookie paths.
pub(crate) fn response_head(headers: &mut http::HeaderMap, restore: Option<&Restore>) {
    headers::remove_hop_by_hop(headers);
    if let Some(restore) = restore {
        restore.apply(headers);
    }
}

/// Calls the service and collects its response for a buffered reply, within the time budget
/// (see [`time_budget`]).
///
/// A plain function choosing between two futures, not an `async fn`: one layer of future less
/// to move the request through.
pub(crate) fn respond_buffered<'a, S, B>(
    service: S,
    config: &'a Config,
    request: Request<Body>,
) -> impl Future<Output = Result<LambdaResponse, InvocationError>> + 'a
where
    S: Service<Request<Body>, Response = Response<B>> + 'a,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + 'a,
    B::Error: Into<BoxError>,
{
    match time_budget(&request, config) {
        None => Either::Left(respond_buffered_unbounded(service, config, request)),
        Some(budget) => {
            let work = respond_buffered_unbounded(service, config, request);
            Either::Right(async move {
                match tokio::time::timeout(budget, work).await {
                    Ok(result) => result,
                    Err(_) => Ok(deadline_response(config)),
                }
            })
        }
    }
}

async fn respond_buffered_unbounded<S, B>(
    service: S,
    config: &Config,
    request: Request<Body>,
) -> Result<LambdaResponse, InvocationError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let restore = restore_for(&request, config);
    let response = match call_service(service, request).await {
        Ok(response) => response,
        Err(failure) => return on_failure(config, &failure),
    };
    let (mut parts, body) = response.into_parts();
    response_head(&mut parts.headers, restore.as_deref());
    let form = binary::form(
        &parts.headers,
        &config.binary_media_types,
        parts.extensions.get::<BodyEncoding>().copied(),
    );
    let overhead = json_overhead(&parts.headers);
    let too_large = |reached: usize| {
        tracing::error!(
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
        Ok(Collected::Body { bytes, escapes }) => (bytes, escapes),
        Ok(Collected::TooLarge { reached }) => return too_large(reached),
        Err(failure) => return on_failure(config, &failure),
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
///
/// The event is prepared before the future is built, and the HTTP path's future gets only the
/// request: a branch of one future for every outcome made the compiler copy the whole state of
/// every HTTP invocation at its start, and an `async fn` preparing the event inside returned a
/// future of about 1.8 KB, copied whole twice before it ran. The other outcomes are one boxed
/// future of their own.
pub(crate) fn invoke<'a, S, B>(
    service: S,
    config: &'a Config,
    raw: Bytes,
) -> impl Future<Output = Result<Reply, InvocationError>> + 'a
where
    S: Service<Request<Body>, Response = Response<B>> + 'a,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + 'a,
    B::Error: Into<BoxError>,
{
    match prepare(config, raw) {
        Ok(Prepared::Request { source, request }) => Either::Left(
            respond_buffered(service, config, request).map(move |response| {
                let response = response?;
                match failing_status(config, &response) {
                    Some(error) => Err(error),
                    None => Ok(Reply::new(source, response, config)),
                }
            }),
        ),
        other => Either::Right(not_http(service, config, other)),
    }
}

/// [`invoke`] for everything else (a non-HTTP event, an answer made without the service, a
/// failed invocation): boxed and built out of line, so that its state takes no room in the HTTP
/// path's.
#[cold]
#[inline(never)]
fn not_http<'a, S, B>(
    service: S,
    config: &'a Config,
    prepared: Result<Prepared, InvocationError>,
) -> Pin<Box<impl Future<Output = Result<Reply, InvocationError>> + 'a>>
where
    S: Service<Request<Body>, Response = Response<B>> + 'a,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + 'a,
    B::Error: Into<BoxError>,
{
    Box::pin(async move {
        match prepared? {
            Prepared::Event { kind, request } => {
                respond_event(service, config, kind, request).await
            }
            Prepared::Answer(reply) => fail_on_status(config, reply),
            Prepared::Request { .. } => Err(InvocationError::new(
                ErrorType::Internal,
                "an HTTP request reached the non-HTTP path",
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What detection makes of an event: its HTTP source (not the ALB header mode, which the
    /// maps decide), or the kind of other event.
    fn classify(raw: &Bytes) -> Option<Result<crate::context::EventSource, EventKind>> {
        let event = Event::parse(raw).ok()?;
        Some(
            Source::detect(&event)
                .map(Source::public)
                .ok_or_else(|| EventKind::of(&event)),
        )
    }

    #[test]
    fn the_identifying_fields_alone_are_detected_as_the_whole_event() {
        // Held together on every recorded event: a field detection reads that the fallback for
        // unreadable events does not copy would show here.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut checked = 0;
        for folder in std::fs::read_dir(&root).unwrap() {
            let folder = folder.unwrap().path();
            if !folder.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&folder).unwrap() {
                let path = file.unwrap().path();
                let name = path.to_string_lossy().into_owned();
                if !name.ends_with(".json") || name.ends_with(".expected.json") {
                    continue;
                }
                let raw = Bytes::from(std::fs::read(&path).unwrap());
                let Some(whole) = classify(&raw) else {
                    continue;
                };
                let Some(fields) = identifying_fields(&raw) else {
                    continue;
                };
                assert_eq!(classify(&fields), Some(whole), "{name}");
                checked += 1;
            }
        }
        assert!(checked > 150, "{checked}");
    }
}
