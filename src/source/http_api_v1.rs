//! API Gateway HTTP API with payload format 1.0.
//!
//! The same shape as a REST API event (see [`super::rest_api`] and [`super::payload_1_0`]) plus `"version": "1.0"`, and the
//! same response: `multiValueHeaders` carries every value.
//!
//! Identified by: `httpMethod` and a `requestContext` without `elb` (see
//! [`super::payload_1_0::is_api_gateway`]) with `"version": "1.0"`, and no `methodArn`. The version alone identifies
//! nothing: Lambda destination records, AWS Config rule events and Alexa skill requests say
//! `"version": "1.0"` too.

use http::Request;
use serde::Serializer;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_1_0::{self, Arrives};
use super::request::StageRule;
use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::response::LambdaResponse;
use crate::uri::Encoding;

pub(crate) struct HttpApiV1;

impl SourceCodec for HttpApiV1 {
    /// An explicit `"version": "1.0"` on the payload-1.0 envelope decides, even beside
    /// payload-2.0 fields.
    fn detect(event: &Event<'_>) -> Option<Source> {
        (event.version_is("1.0") && payload_1_0::is_api_gateway(event)).then_some(Source::HttpApiV1)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_1_0::decode(
            event,
            Source::HttpApiV1.name(),
            Arrives {
                path: Encoding::Decoded,
                query: Encoding::Decoded,
            },
            StageRule::InPath,
            config,
        )
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        payload_1_0::serialize(response, serializer)
    }
}
