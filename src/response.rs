//! The response on its way back to the gateway, collected and shaped by the binary-media rule but
//! in no source's JSON yet: each source writes it in its own shape (see
//! [`Source::serialize`](crate::source::Source)).

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::binary::EncodedBody;

/// A response ready to be written as the JSON its event source reads.
#[derive(Debug)]
pub(crate) struct LambdaResponse {
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
    pub(crate) fn plain(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            headers: plain_headers(),
            body: EncodedBody::text(message),
            single_value_headers: false,
        }
    }

    pub(crate) fn internal_server_error() -> Self {
        Self::plain(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_SERVER_ERROR)
    }
}
