//! API Gateway REST API (Lambda proxy integration, payload format 1.0).
//!
//! Request: `httpMethod`, `path`, `multiValueHeaders` (every value) and
//! `multiValueQueryStringParameters`, whose values API Gateway has already percent-decoded and
//! which are therefore re-encoded one by one, so `a=1%262` stays one parameter. No `version`
//! field: that is what tells it from HTTP API payload 1.0.
//!
//! Identified by: `httpMethod` and a `requestContext` without `elb` (the payload-1.0 envelope of
//! API Gateway, see [`super::payload_1_0::is_api_gateway`]), no `version`, and no `methodArn`
//! (which a REQUEST authorizer's input adds to the same fields).
//!
//! Response: `statusCode`, `multiValueHeaders`, `body`, `isBase64Encoded`. With
//! [`single_value_headers`](crate::Serve::single_value_headers) (for gateways such as Netlify
//! that read only `headers`) a `headers` map is written instead, each `Set-Cookie` under its own
//! letter-case spelling so that none is lost.

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

pub(crate) struct RestApi;

impl SourceCodec for RestApi {
    fn detect(event: &Event<'_>) -> Option<Source> {
        (event.version.is_none() && payload_1_0::is_api_gateway(event)).then_some(Source::RestApi)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_1_0::decode(
            event,
            Source::RestApi.name(),
            Arrives {
                path: Encoding::Encoded,
                query: Encoding::Decoded,
            },
            StageRule::InContextPath,
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
