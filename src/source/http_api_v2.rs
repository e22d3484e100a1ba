//! API Gateway HTTP API with payload format 2.0 (the shape: [`super::payload_2_0`]).
//!
//! Request: `requestContext.http.method`, `rawPath` (decoded by API Gateway, so a `%` in it is a
//! literal percent sign), `rawQueryString` exactly as the client sent it, `headers` whose repeated
//! values API Gateway has already joined with commas, and `cookies[]`, which becomes one `Cookie`
//! header joined with `"; "`. A named stage starts `rawPath`.
//!
//! Response: `statusCode`, `headers` (repeated names joined with `,`), every `Set-Cookie` in
//! `cookies[]`, `body`, `isBase64Encoded`.
//!
//! Identified by: `requestContext.http` with `"version": "2.0"` (or no `version`, as some test
//! tools send; see [`super::payload_2_0::is_payload_2_0`]), no `routeArn` (which an HTTP API
//! authorizer's input adds to the same fields), and a domain that is not a Function URL's.

use http::Request;
use serde::Serializer;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_2_0;
use super::request::StageRule;
use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::response::LambdaResponse;
use crate::uri::Encoding;

pub(crate) struct HttpApiV2;

impl SourceCodec for HttpApiV2 {
    fn detect(event: &Event<'_>) -> Option<Source> {
        payload_2_0::is_payload_2_0(event).then_some(Source::HttpApiV2)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_2_0::decode(
            event,
            Source::HttpApiV2.name(),
            Encoding::Decoded,
            StageRule::InPath,
            config,
        )
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        payload_2_0::serialize(response, serializer)
    }
}
