//! What every source is: the [`Source`] an event came from, the [`SourceCodec`] each source
//! module implements, and why an event may not become a request ([`Rejected`]).

use http::{Request, StatusCode};
use serde::Serializer;

use crate::body::Body;
use crate::config::Config;
use crate::context::EventSource;
use crate::event::{Event, EventError};
use crate::response::LambdaResponse;

/// The event source an invocation came from, with what its response shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    RestApi,
    HttpApiV1,
    HttpApiV2,
    FunctionUrl,
    Alb { multi_value_headers: bool },
    VpcLatticeV1,
    VpcLatticeV2,
    WebSocket,
}

impl Source {
    /// The public name of this source.
    pub(crate) fn public(self) -> EventSource {
        match self {
            Self::RestApi => EventSource::RestApi,
            Self::HttpApiV1 => EventSource::HttpApiV1,
            Self::HttpApiV2 => EventSource::HttpApiV2,
            Self::FunctionUrl => EventSource::FunctionUrl,
            Self::Alb { .. } => EventSource::Alb,
            Self::VpcLatticeV1 => EventSource::VpcLatticeV1,
            Self::VpcLatticeV2 => EventSource::VpcLatticeV2,
            Self::WebSocket => EventSource::WebSocket,
        }
    }

    /// The identifier the invocation log line names the source by.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::RestApi => "rest_api",
            Self::HttpApiV1 => "http_api_v1",
            Self::HttpApiV2 => "http_api_v2",
            Self::FunctionUrl => "function_url",
            Self::Alb { .. } => "alb",
            Self::VpcLatticeV1 => "vpc_lattice_v1",
            Self::VpcLatticeV2 => "vpc_lattice_v2",
            Self::WebSocket => "websocket",
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
            Self::VpcLatticeV1 => "VPC Lattice (payload V1)",
            Self::VpcLatticeV2 => "VPC Lattice (payload V2)",
            Self::WebSocket => "API Gateway WebSocket API",
        }
    }
}

/// One event source: both directions, on one screen.
///
/// `detect` and `decode` see the event; `serialize` is called on the source's value, which
/// carries what the response shape depends on (ALB's multi-value mode).
pub(crate) trait SourceCodec {
    /// Is this event from this source? Looks only at fields already parsed.
    fn detect(event: &Event<'_>) -> Option<Source>;

    /// The request the service sees.
    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected>;

    /// The JSON this source reads back.
    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error>;
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
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::Request(StatusCode::BAD_REQUEST, message.into())
    }

    pub(crate) fn too_many_headers() -> Self {
        Self::Request(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "the request has more header values than can be represented".to_owned(),
        )
    }
}
