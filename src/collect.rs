//! Collecting a response body for a buffered answer, within Lambda's payload limit: the body is
//! read only as far as the JSON it becomes can still fit, so memory stays bounded whatever the
//! service sends.

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::BodyExt;
use std::panic::AssertUnwindSafe;

use crate::binary::{self, Form};
use crate::error::{panic_message, BoxError, Failure};

/// What collecting a body found: the whole body, or that it does not fit.
#[derive(Debug)]
pub(crate) enum Collected {
    /// The body, and how many bytes JSON escaping will add to it as text.
    Body { bytes: Bytes, escapes: usize },
    /// It does not fit the buffered limit: the size of the JSON, at least, when collecting
    /// stopped.
    TooLarge { reached: usize },
}

/// Reads a whole response body, stopping (and dropping the rest) as soon as the JSON it will
/// become is sure to exceed `limit` bytes: memory stays bounded whatever the service sends.
/// Errors and panics of the body become a [`Failure`].
///
/// Returns the body and how many bytes JSON escaping will add to it as text, or that it is too
/// large.
pub(crate) async fn collect_limited<B>(
    body: B,
    form: Form,
    overhead: usize,
    limit: usize,
) -> Result<Collected, Failure>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let collect = async move {
        let mut body = std::pin::pin!(body);
        let mut chunks: Vec<Bytes> = Vec::new();
        let (mut len, mut escapes) = (0usize, 0usize);
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(|e| Failure::Body(e.into()))?.into_data() else {
                continue; // trailers carry nothing a gateway can send
            };
            len = len.saturating_add(data.len());
            if form == Form::TextIfUtf8 {
                escapes = escapes.saturating_add(binary::json_escape_overhead(&data));
            }
            // The smallest the body can end up as: text may still turn out not to be UTF-8.
            let encoded = match form {
                Form::Base64 => binary::base64_len(len),
                Form::TextIfUtf8 => len.saturating_add(escapes).min(binary::base64_len(len)),
            };
            let reached = overhead.saturating_add(encoded);
            if reached > limit {
                return Ok(Collected::TooLarge { reached });
            }
            chunks.push(data);
        }
        let bytes = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        Ok(Collected::Body { bytes, escapes })
    };
    AssertUnwindSafe(collect)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(Failure::Panic(panic_message(&*panic))))
}

/// The body of the response sent instead of one that is too large for buffered mode.
pub(crate) fn too_large_message(limit: usize) -> String {
    format!(
        "Response Too Large: the response exceeded the buffered limit of {limit} bytes of JSON \
         (Lambda's 6 MB payload limit; binary bodies grow by a third in base64). \
         tower-lambda's streaming mode lifts it (Function URLs with invoke mode RESPONSE_STREAM, \
         REST APIs with response transfer mode STREAM)."
    )
}

/// The JSON a response needs besides its body: the status, the header names and values with
/// their quoting, and the fixed keys, over-estimated a little.
pub(crate) fn json_overhead(headers: &http::HeaderMap) -> usize {
    const FIXED: usize = 128;
    headers.iter().fold(FIXED, |total, (name, value)| {
        total.saturating_add(name.as_str().len() + value.len() * 2 + 8)
    })
}
