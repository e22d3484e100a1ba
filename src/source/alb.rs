//! Application Load Balancer (Lambda target group).
//!
//! Request: payload-1.0 shape with `requestContext.elb`. A target group with multi-value headers
//! on sends `multiValueHeaders` + `multiValueQueryStringParameters`, otherwise `headers` +
//! `queryStringParameters`. Either way ALB passes query keys and values on *still
//! percent-encoded*, so they are used as they are, never encoded twice. Health checks come with
//! almost no headers and no `Host`.
//!
//! Response: `statusCode`, `statusDescription` (`"200 OK"`), `body`, `isBase64Encoded`, and
//! exactly the header map the request used: `multiValueHeaders` in multi-value mode, otherwise
//! `headers`, where repeated names are joined with `", "` and every `Set-Cookie` gets its own
//! letter-case spelling of the name (ALB treats names case-insensitively, JSON does not), so that
//! every cookie reaches the client.
//!
//! Identified by: `httpMethod` and `requestContext.elb.targetGroupArn`.

use http::{Request, StatusCode};
use serde::ser::{SerializeStruct, Serializer};

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_1_0::{self, Arrives};
use super::request::StageRule;
use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::headers::{MultiValue, SingleValue};
use crate::response::LambdaResponse;
use crate::uri::Encoding;

/// An ALB target group, with multi-value headers on or off.
pub(crate) struct Alb {
    pub(crate) multi_value_headers: bool,
}

impl SourceCodec for Alb {
    fn detect(event: &Event<'_>) -> Option<Source> {
        event.http_method.as_ref()?;
        event
            .request_context
            .as_ref()?
            .elb
            .as_ref()?
            .target_group_arn?;
        let multi_value_headers = event.multi_value_headers.is_some()
            || event.multi_value_query_string_parameters.is_some();
        Some(Source::Alb {
            multi_value_headers,
        })
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_1_0::decode(
            event,
            Source::Alb {
                multi_value_headers: false,
            }
            .name(),
            Arrives {
                path: Encoding::Encoded,
                query: Encoding::Encoded,
            },
            StageRule::None,
            config,
        )
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Response", 5)?;
        out.serialize_field("statusCode", &response.status.as_u16())?;
        out.serialize_field("statusDescription", &status_line(response.status))?;
        if self.multi_value_headers {
            out.serialize_field("multiValueHeaders", &MultiValue(&response.headers))?;
        } else {
            out.serialize_field("headers", &SingleValue::folded(&response.headers))?;
        }
        out.serialize_field("body", &response.body.text)?;
        out.serialize_field("isBase64Encoded", &response.body.base64)?;
        out.end()
    }
}

/// The status line ALB wants in `statusDescription`, e.g. `200 OK`.
fn status_line(status: StatusCode) -> StatusLine {
    StatusLine(status)
}

struct StatusLine(StatusCode);

impl std::fmt::Display for StatusLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = self.0.canonical_reason().unwrap_or("Unknown");
        write!(f, "{} {reason}", self.0.as_str())
    }
}

impl serde::Serialize for StatusLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
