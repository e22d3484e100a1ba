//! API Gateway REST API (Lambda proxy integration, payload format 1.0).
//!
//! Request: `httpMethod`, `path`, `multiValueHeaders` (every value) and
//! `multiValueQueryStringParameters`, whose values API Gateway has already percent-decoded and
//! which are therefore re-encoded one by one, so `a=1%262` stays one parameter. No `version`
//! field: that is what tells it from HTTP API payload 1.0.
//!
//! Response: `statusCode`, `multiValueHeaders`, `body`, `isBase64Encoded`. With
//! [`single_value_headers`](crate::Serve::single_value_headers) (for gateways such as Netlify
//! that read only `headers`) a `headers` map is written instead, each `Set-Cookie` under its own
//! letter-case spelling so that none is lost.

use http::Request;
use serde::ser::{SerializeStruct, Serializer};

use super::{decode_payload_1_0, Rejected, Source, SourceCodec, StageRule};
use crate::config::Config;
use crate::event::Event;
use crate::headers::{MultiValue, SingleValue};
use crate::response::LambdaResponse;
use crate::uri::Encoding;
use crate::Body;

pub(crate) struct RestApi;

impl SourceCodec for RestApi {
    fn detect(event: &Event<'_>) -> Option<Source> {
        event.http_method.is_some().then_some(Source::RestApi)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        decode_payload_1_0(
            event,
            Source::RestApi.name(),
            Encoding::Encoded,
            Encoding::Decoded,
            StageRule::InContextPath,
            config,
        )
    }

    fn serialize<S: Serializer>(
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serialize_payload_1_0(response, serializer)
    }
}

/// The payload-1.0 response, read by REST APIs and by HTTP APIs using payload 1.0.
pub(super) fn serialize_payload_1_0<S: Serializer>(
    response: &LambdaResponse,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut out = serializer.serialize_struct("Response", 4)?;
    out.serialize_field("statusCode", &response.status.as_u16())?;
    if response.single_value_headers {
        out.serialize_field("headers", &SingleValue::folded(&response.headers))?;
    } else {
        out.serialize_field("multiValueHeaders", &MultiValue(&response.headers))?;
    }
    out.serialize_field("body", &response.body.text)?;
    out.serialize_field("isBase64Encoded", &response.body.base64)?;
    out.end()
}
