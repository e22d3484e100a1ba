//! The event sources: one module each, owning both directions for that source.
//!
//! Every source implements [`SourceCodec`](codec::SourceCodec): *detect* (is this already-parsed
//! event mine?), *decode* (event → [`http::Request`]) and *serialize* (response → the JSON that
//! source reads). This module is the table of contents and the dispatch, nothing more: what the
//! sources share lives in modules of its own, which the sources import and this one does not
//! hold:
//!
//! - [`codec`]: the [`Source`] an event came from, the trait, and [`Rejected`];
//! - [`request`]: method, body, route (stage and base path), header map, final assembly;
//! - [`payload_1_0`] and [`payload_2_0`]: the two API Gateway payload shapes, both directions.
//!
//! A new source is one new file here, a variant of [`Source`], and one line in each dispatch.

mod codec;
mod payload_1_0;
mod payload_2_0;
mod request;

mod alb;
mod function_url;
mod http_api_v1;
mod http_api_v2;
mod rest_api;
mod vpc_lattice;
mod websocket;

use http::{HeaderMap, Request};
use serde::Serializer;
use std::net::IpAddr;

use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::response::LambdaResponse;

use alb::Alb;
use codec::SourceCodec;
use function_url::FunctionUrl;
use http_api_v1::HttpApiV1;
use http_api_v2::HttpApiV2;
use rest_api::RestApi;
use vpc_lattice::VpcLattice;
use websocket::WebSocket;

pub(crate) use codec::{Rejected, Source};
#[cfg(feature = "__internal")]
pub use function_url::is_function_url_domain;
#[cfg(feature = "__internal")]
pub use payload_2_0::cookie_to_add;

impl Source {
    /// Finds the source of an event from the combination of fields that only that source
    /// sends (each source module's documentation names them); never from one field that another
    /// payload may carry too. An event with `methodArn` or `routeArn` is an API Gateway Lambda
    /// authorizer's input, which carries a request's fields but is never a request to serve.
    /// `version` only chooses between payload formats once the envelope is identified. The
    /// combinations do not overlap; the order puts the cheapest tests first.
    pub(crate) fn detect(event: &Event<'_>) -> Option<Self> {
        if event.has_authorizer_arn() {
            return None;
        }
        Alb::detect(event)
            .or_else(|| VpcLattice::detect(event))
            .or_else(|| WebSocket::detect(event))
            .or_else(|| FunctionUrl::detect(event))
            .or_else(|| HttpApiV2::detect(event))
            .or_else(|| HttpApiV1::detect(event))
            .or_else(|| RestApi::detect(event))
    }

    /// The request the service sees.
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
            Self::VpcLatticeV1 => VpcLattice::decode_version(event, config, false),
            Self::VpcLatticeV2 => VpcLattice::decode_version(event, config, true),
            Self::WebSocket => WebSocket::decode(event, config),
        }
    }

    /// Writes `response` as the JSON this source reads.
    pub(crate) fn serialize<S: Serializer>(
        self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match self {
            Self::RestApi => RestApi.serialize(response, serializer),
            Self::HttpApiV1 => HttpApiV1.serialize(response, serializer),
            Self::HttpApiV2 => HttpApiV2.serialize(response, serializer),
            Self::FunctionUrl => FunctionUrl.serialize(response, serializer),
            Self::Alb {
                multi_value_headers,
            } => Alb {
                multi_value_headers,
            }
            .serialize(response, serializer),
            Self::VpcLatticeV1 | Self::VpcLatticeV2 => VpcLattice.serialize(response, serializer),
            Self::WebSocket => WebSocket.serialize(response, serializer),
        }
    }

    /// The client's IP address as the event source saw it: from the event's request context,
    /// or for ALB and VPC Lattice (which have none) from the decoded request's headers.
    pub(crate) fn client_ip(
        self,
        context_ip: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Option<IpAddr> {
        match self {
            Self::Alb { .. } | Self::VpcLatticeV1 | Self::VpcLatticeV2 => {
                request::forwarded_client_ip(headers)
            }
            _ => context_ip,
        }
    }
}
