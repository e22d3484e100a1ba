//! The event sources: one module each, owning both directions for that source.
//!
//! Every source implements [`EventSource`]: *detect* (is this already-parsed event mine?),
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

use crate::event::{Event, EventError, Str};
use crate::headers;
use crate::response::LambdaResponse;
use crate::uri::{self, Encoding, PathAndQueryBuilder};
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
pub(crate) trait EventSource {
    /// Is this event from this source? Looks only at fields already parsed.
    fn detect(event: &Event<'_>) -> Option<Source>;

    /// The request the service sees.
    fn decode(event: Event<'_>) -> Result<Request<Body>, Rejected>;

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

    pub(crate) fn decode(self, event: Event<'_>) -> Result<Request<Body>, Rejected> {
        match self {
            Self::RestApi => RestApi::decode(event),
            Self::HttpApiV1 => HttpApiV1::decode(event),
            Self::HttpApiV2 => HttpApiV2::decode(event),
            Self::FunctionUrl => FunctionUrl::decode(event),
            Self::Alb { .. } => Alb::decode(event),
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
    Ok(Bytes::from(body.0.into_owned()))
}

/// Assembles the request from decoded parts.
pub(crate) fn assemble(
    method: Method,
    path_and_query: PathAndQueryBuilder,
    headers: HeaderMap,
    domain_name: Option<&str>,
    body: Bytes,
) -> Result<Request<Body>, Rejected> {
    let invalid =
        |error: http::Error| Rejected::bad_request(format!("the request URI is invalid: {error}"));
    let path_and_query = path_and_query.finish().map_err(invalid)?;
    let uri = uri::build(&headers, domain_name, path_and_query).map_err(invalid)?;
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The payload-1.0 request shape shared by REST APIs, HTTP API 1.0 and ALB: `httpMethod`,
/// `path`, (`multiValue`)`headers` and (`multiValue`)`queryStringParameters`.
///
/// The multi-value maps hold every value and win when present; `query_encoding` says whether
/// the gateway decoded the query values (API Gateway) or passed them on encoded (ALB).
pub(crate) fn decode_payload_1_0(
    mut event: Event<'_>,
    source: &'static str,
    query_encoding: Encoding,
) -> Result<Request<Body>, Rejected> {
    let method = method(event.http_method.as_ref(), source, "httpMethod")?;
    let body = body(&mut event)?;

    let header_pairs = event
        .multi_value_headers
        .as_ref()
        .or(event.headers.as_ref());
    let mut headers = HeaderMap::with_capacity(header_pairs.map_or(0, |p| p.len()));
    if let Some(pairs) = header_pairs {
        headers::append_pairs(&mut headers, pairs.iter());
    }

    let path = event.path.as_ref().map_or("/", Str::as_str);
    let mut path_and_query = PathAndQueryBuilder::new(path, Encoding::Encoded);
    let query = event
        .multi_value_query_string_parameters
        .as_ref()
        .or(event.query_string_parameters.as_ref());
    for (key, value) in query.into_iter().flat_map(|pairs| pairs.iter()) {
        path_and_query.param(key, value, query_encoding);
    }

    assemble(method, path_and_query, headers, event.domain_name(), body)
}
