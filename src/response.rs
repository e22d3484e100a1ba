//! The response on its way back to the gateway: collected, shaped by the binary-media rule, and
//! serialized in the shape its event source reads.

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Serialize, Serializer};

use crate::binary::EncodedBody;
use crate::source::{self, Source};

/// A response ready to be written as the JSON its event source reads.
///
/// Its [`Serialize`] implementation writes that JSON directly from the header map: there is no
/// intermediate map or value.
#[derive(Debug)]
pub(crate) struct LambdaResponse {
    pub(crate) source: Source,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: EncodedBody,
    /// Write one string per header name even where the source reads `multiValueHeaders`.
    pub(crate) single_value_headers: bool,
}

/// The body of the adapter's own answer to a failed service.
pub(crate) const INTERNAL_SERVER_ERROR: &str = "Internal Server Error";

/// The headers of the adapter's own plain-text answers.
pub(crate) fn plain_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(1);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers
}

impl LambdaResponse {
    /// A plain-text response made by the adapter itself (400 for a bad request, 500 for a failed
    /// service).
    pub(crate) fn plain(source: Source, status: StatusCode, message: impl Into<String>) -> Self {
        let headers = plain_headers();
        Self {
            source,
            status,
            headers,
            body: EncodedBody::text(message),
            single_value_headers: false,
        }
    }

    pub(crate) fn internal_server_error(source: Source) -> Self {
        Self::plain(
            source,
            StatusCode::INTERNAL_SERVER_ERROR,
            INTERNAL_SERVER_ERROR,
        )
    }
}

impl Serialize for LambdaResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        source::serialize_response(self, serializer)
    }
}
