//! The event sources: one module each, owning both directions for that source.
//!
//! Every source implements [`SourceCodec`]: *detect* (is this already-parsed event mine?),
//! *decode* (event → [`http::Request`]) and *serialize* (response → the JSON that source reads).
//! What the sources share lives here: the payload-1.0 request shape (REST, HTTP API 1.0 and ALB
//! all use it), the body, and the final assembly of the request.

mod alb;
mod function_url;
mod http_api_v1;
mod http_api_v2;
mod rest_api;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use serde::Serializer;
use std::borrow::Cow;

use crate::config::{Config, PathMode};
use crate::context::{ClientUrl, EventSource, PathPrefix};
use crate::event::{Event, EventError, Pairs, Str};
use crate::headers;
use crate::response::LambdaResponse;
use crate::uri::{self, Encoding, Query};
use crate::Body;

pub(crate) use alb::Alb;
pub(crate) use function_url::FunctionUrl;
pub(crate) use http_api_v1::HttpApiV1;
pub(crate) use http_api_v2::HttpApiV2;
pub(crate) use rest_api::RestApi;

/// The event source an invocation came from, with what its response shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    RestApi,
    HttpApiV1,
    HttpApiV2,
    FunctionUrl,
    Alb { multi_value_headers: bool },
}

/// One event source: both directions, on one screen.
pub(crate) trait SourceCodec {
    /// Is this event from this source? Looks only at fields already parsed.
    fn detect(event: &Event<'_>) -> Option<Source>;

    /// The request the service sees.
    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected>;

    /// The JSON this source reads back.
    fn serialize<S: Serializer>(
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error>;
}

impl Source {
    /// Finds the source of an event from the fields that identify it. Order matters: ALB events
    /// also have `httpMethod`, and Function URL events are HTTP API 2.0 events.
    pub(crate) fn detect(event: &Event<'_>) -> Option<Self> {
        Alb::detect(event)
            .or_else(|| FunctionUrl::detect(event))
            .or_else(|| HttpApiV2::detect(event))
            .or_else(|| HttpApiV1::detect(event))
            .or_else(|| RestApi::detect(event))
    }

    pub(crate) fn decode(
        self,
        event: &mut Event<'_>,
        config: &Config,
    ) -> Result<Request<Body>, Rejected> {
        match self {
            Self::RestApi => RestApi::decode(event, config),
            Self::HttpApiV1 => HttpApiV1::decode(event, config),
            Self::HttpApiV2 => HttpApiV2::decode(event, config),
            Self::FunctionUrl => FunctionUrl::decode(event, config),
            Self::Alb { .. } => Alb::decode(event, config),
        }
    }

    /// The public name of this source.
    pub(crate) fn public(self) -> EventSource {
        match self {
            Self::RestApi => EventSource::RestApi,
            Self::HttpApiV1 => EventSource::HttpApiV1,
            Self::HttpApiV2 => EventSource::HttpApiV2,
            Self::FunctionUrl => EventSource::FunctionUrl,
            Self::Alb { .. } => EventSource::Alb,
        }
    }

    /// The client's IP address as the event source saw it: from the event's request context,
    /// or for ALB (which has none) from the decoded request's headers.
    pub(crate) fn client_ip(
        self,
        context_ip: Option<std::net::IpAddr>,
        headers: &HeaderMap,
    ) -> Option<std::net::IpAddr> {
        match self {
            Self::Alb { .. } => alb::client_ip(headers),
            _ => context_ip,
        }
    }

    /// A short name for logs and messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::RestApi => "API Gateway REST API",
            Self::HttpApiV1 => "API Gateway HTTP API (payload 1.0)",
            Self::HttpApiV2 => "API Gateway HTTP API (payload 2.0)",
            Self::FunctionUrl => "Lambda Function URL",
            Self::Alb { .. } => "Application Load Balancer",
        }
    }
}

pub(crate) fn serialize_response<S: Serializer>(
    response: &LambdaResponse,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match response.source {
        Source::RestApi => RestApi::serialize(response, serializer),
        Source::HttpApiV1 => HttpApiV1::serialize(response, serializer),
        Source::HttpApiV2 => HttpApiV2::serialize(response, serializer),
        Source::FunctionUrl => FunctionUrl::serialize(response, serializer),
        Source::Alb { .. } => Alb::serialize(response, serializer),
    }
}

/// Why an event could not become a request.
#[derive(Debug)]
pub(crate) enum Rejected {
    /// The event is not usable at all: a failed invocation.
    Event(EventError),
    /// The client's request cannot be represented: answered with this status (400) and message,
    /// without calling the service.
    Request(StatusCode, String),
}

impl Rejected {
    fn bad_request(message: impl Into<String>) -> Self {
        Self::Request(StatusCode::BAD_REQUEST, message.into())
    }

    pub(crate) fn too_many_headers() -> Self {
        Self::Request(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "the request has more header values than can be represented".to_owned(),
        )
    }
}

pub(crate) fn method(
    method: Option<&Str<'_>>,
    source: &'static str,
    field: &'static str,
) -> Result<Method, Rejected> {
    let method = method.ok_or(Rejected::Event(EventError::Missing { source, field }))?;
    Method::from_bytes(method.as_str().as_bytes())
        .map_err(|_| Rejected::bad_request(format!("invalid HTTP method {:?}", method.as_str())))
}

/// The event body as bytes, base64-decoded when the event says so.
pub(crate) fn body(event: &mut Event<'_>) -> Result<Bytes, Rejected> {
    let Some(body) = event.body.take() else {
        return Ok(Bytes::new());
    };
    if event.is_base64_encoded == Some(true) {
        const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        return LENIENT
            .decode(body.as_str())
            .map(Bytes::from)
            .map_err(|error| {
                Rejected::bad_request(format!("the request body is not valid base64: {error}"))
            });
    }
    Ok(match body.0 {
        Cow::Borrowed(text) => event.share(text),
        Cow::Owned(text) => Bytes::from(text),
    })
}

/// Where an event source puts the API Gateway stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StageRule {
    /// No stages (Function URLs, ALB).
    None,
    /// A named stage starts the event's path (HTTP APIs).
    InPath,
    /// The event's path never has the stage, but `requestContext.path` (the path the client
    /// requested) has it when the API was called on its `execute-api` domain (REST APIs).
    InContextPath,
}

/// The event's path split into what the service routes on and the prefix removed from it.
pub(crate) struct Routed<'p> {
    /// What the service routes on.
    pub(crate) route: &'p str,
    /// What was removed in front of it (stage, base path); empty when nothing was.
    pub(crate) prefix: String,
    /// The whole path the client requested.
    pub(crate) requested: Cow<'p, str>,
}

/// Removes the stage and the base path from `path`, each once and only on a segment boundary.
///
/// A base path the event names (`requestContext.customDomain.basePathMatched`, REST APIs; its
/// `(none)` means the root mapping) is authoritative; [`Config::strip_base_path`] applies only to
/// events that name none.
pub(crate) fn route<'p>(
    path: &'p str,
    event: &Event<'_>,
    stage_rule: StageRule,
    config: &Config,
) -> Routed<'p> {
    let mut routed = Routed {
        route: path,
        prefix: String::new(),
        requested: Cow::Borrowed(path),
    };
    match stage_rule {
        StageRule::InPath => {
            // Stage names have no `/`; trimming keeps an odd one from leaving the prefix and the
            // stripped path out of step.
            let stage = event
                .named_stage()
                .map(|s| s.trim_end_matches('/'))
                .filter(|s| !s.is_empty());
            let rest = stage.and_then(|s| uri::strip_segments(path.strip_prefix('/')?, s));
            if let (Some(stage), Some(rest)) = (stage, rest) {
                routed.prefix = format!("/{stage}");
                routed.route = rest;
            }
        }
        StageRule::InContextPath => {
            if let Some(requested) = event.context_path() {
                let in_front = requested_prefix(requested, path);
                if !in_front.is_empty() {
                    routed.prefix = in_front.to_owned();
                    // Exactly what the client requested, trailing slash and all.
                    routed.requested = Cow::Owned(requested.to_owned());
                }
            }
        }
        StageRule::None => {}
    }
    let base_path = match event.base_path_matched() {
        Some(matched) if matched.is_empty() || matched == "(none)" => None,
        Some(matched) => Some(Cow::Owned(format!("/{}", matched.trim_matches('/')))),
        None => config.strip_base_path.as_deref().map(Cow::Borrowed),
    };
    // Never twice: a prefix read from `requestContext.path` may already hold the base path.
    let base_path = base_path.filter(|base| !routed.prefix.ends_with(base.trim_end_matches('/')));
    if let Some(base_path) = base_path {
        if let Some(rest) = uri::strip_segments(routed.route, &base_path) {
            routed.prefix.push_str(base_path.trim_end_matches('/'));
            routed.route = rest;
        }
    }
    routed
}

/// What the client's path (`requested`) has in front of the event's `path`: `/prod` for
/// `/prod/items` and `/items`; empty when it has nothing more, or when the two do not line up on a
/// segment boundary.
fn requested_prefix<'r>(requested: &'r str, path: &str) -> &'r str {
    let requested = requested.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    match requested.strip_suffix(path) {
        Some(prefix) if prefix.starts_with('/') && (path.is_empty() || path.starts_with('/')) => {
            prefix
        }
        _ => "",
    }
}

/// `X-Forwarded-Prefix`, which frameworks read to build links behind a proxy.
const X_FORWARDED_PREFIX: http::HeaderName = http::HeaderName::from_static("x-forwarded-prefix");

/// Assembles the request from decoded parts, with the [`PathPrefix`] and [`ClientUrl`]
/// extensions.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
    method: Method,
    routed: Routed<'_>,
    path_encoding: Encoding,
    query: &Query,
    mut headers: HeaderMap,
    domain_name: Option<&str>,
    body: Bytes,
    config: &Config,
) -> Result<Request<Body>, Rejected> {
    let as_requested = config.path_mode == PathMode::AsRequested;
    let uris = uri::build(
        &headers,
        domain_name,
        &routed.requested,
        routed.route,
        path_encoding,
        query,
        as_requested,
    )
    .map_err(|error| Rejected::bad_request(format!("the request URI is invalid: {error}")))?;
    // The prefix as it appears in the client's URL (escaped like the path).
    let removed = if as_requested || routed.prefix.is_empty() {
        String::new()
    } else {
        let mut escaped = String::with_capacity(routed.prefix.len());
        uri::push_path(&mut escaped, &routed.prefix, path_encoding);
        escaped
    };
    if config.forwarded_prefix_header {
        // Whatever the client sent under this name must not be mistaken for ours.
        headers.remove(&X_FORWARDED_PREFIX);
        if let Ok(value) = http::HeaderValue::from_str(&removed) {
            if !removed.is_empty() {
                headers.insert(X_FORWARDED_PREFIX, value);
            }
        }
    }
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = uris.request;
    *request.headers_mut() = headers;
    request.extensions_mut().insert(PathPrefix(removed));
    request.extensions_mut().insert(ClientUrl(uris.client));
    Ok(request)
}

/// The request's header map from the event's pairs, every value kept; more values than `http`
/// can hold are refused (`431`). Values share the event's bytes (see [`Event::share`]).
pub(crate) fn header_map(
    pairs: Option<&Pairs<'_>>,
    event: &Event<'_>,
) -> Result<HeaderMap, Rejected> {
    // One more for the `Cookie` header payload 2.0 may add.
    let mut headers = headers::map_for(pairs.as_ref().map_or(0, |p| p.len()) + 1);
    if let Some(pairs) = pairs {
        headers::append_pairs(&mut headers, pairs.iter(), |value| event.share(value))
            .map_err(|_| Rejected::too_many_headers())?;
    }
    Ok(headers)
}

/// The payload-1.0 request shape shared by REST APIs, HTTP API 1.0 and ALB: `httpMethod`,
/// `path`, (`multiValue`)`headers` and (`multiValue`)`queryStringParameters`.
///
/// The multi-value maps hold every value and win when present. `path_encoding` and
/// `query_encoding` say whether the gateway decoded them (HTTP API paths, API Gateway query
/// values) or passed them on as the client sent them (REST and ALB paths, ALB query values).
pub(crate) fn decode_payload_1_0(
    event: &mut Event<'_>,
    source: &'static str,
    path_encoding: Encoding,
    query_encoding: Encoding,
    stage_rule: StageRule,
    config: &Config,
) -> Result<Request<Body>, Rejected> {
    let method = method(event.http_method.as_ref(), source, "httpMethod")?;
    let body = body(event)?;

    let headers = header_map(event.header_pairs(), event)?;

    let mut query = Query::default();
    for (key, value) in event.query_pairs().iter().flat_map(|pairs| pairs.iter()) {
        query.param(key, value, query_encoding);
    }

    let path = event.path.as_ref().map_or("/", Str::as_str);
    let routed = route(path, event, stage_rule, config);
    assemble(
        method,
        routed,
        path_encoding,
        &query,
        headers,
        event.domain_name(),
        body,
        config,
    )
}
