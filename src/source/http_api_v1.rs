//! API Gateway HTTP API with payload format 1.0.
//!
//! The same shape as a REST API event (see [`super::rest_api`] and [`super::payload_1_0`]) plus `"version": "1.0"`, and the
//! same response: `multiValueHeaders` carries every value.

use http::Request;
use serde::Serializer;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_1_0;
use super::request::StageRule;
use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::response::LambdaResponse;
use crate::uri::Encoding;

pub(crate) struct HttpApiV1;

impl SourceCodec for HttpApiV1 {
    /// An explicit `"version": "1.0"` decides, even beside payload-2.0 fields; a missing
    /// `httpMethod` is then a clear error from `decode`.
    fn detect(event: &Event<'_>) -> Option<Source> {
        let version = event.version.as_ref()?;
        (version.as_str() == "1.0").then_some(Source::HttpApiV1)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_1_0::decode(
            event,
            Source::HttpApiV1.name(),
            Encoding::Decoded,
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
        payload_1_0::serialize(response, serializer)
    }
}
