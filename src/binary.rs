//! The binary-media rule: whether a response body travels as text or as base64.
//!
//! Gateways carry a response body inside a JSON string, so bytes that are not text must be
//! base64-encoded and flagged with `isBase64Encoded: true`. A body goes as text when it is valid
//! UTF-8 and its content type is textual (or absent); a `Content-Encoding` (gzip, br, ...), a
//! non-textual content type, or a match in [`Serve::binary_media_types`](crate::Serve::binary_media_types)
//! makes it binary. A response can decide for itself with the [`BodyEncoding`] extension.

use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::HeaderMap;

/// A per-response override of the binary-media rule, set as a response extension.
///
/// The rule: a response body is sent as text when it is valid UTF-8 and its `Content-Type` is
/// textual (`text/*`, `application/json`, `application/javascript`, `application/xml`,
/// `application/yaml`, `application/graphql`, `application/x-www-form-urlencoded`, any `+json` or
/// `+xml` type) or absent. A `Content-Encoding`, any other content type, or a match in
/// [`Serve::binary_media_types`](crate::Serve::binary_media_types) sends it base64-encoded with
/// `isBase64Encoded: true`. This extension overrides the rule for one response.
///
/// ```
/// use tower_lambda::BodyEncoding;
///
/// let mut response = http::Response::new("plain text, but send it as base64");
/// response.extensions_mut().insert(BodyEncoding::Base64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyEncoding {
    /// Send the body as text. A body that is not valid UTF-8 is still sent as base64, since a
    /// JSON string cannot carry it unchanged.
    Text,
    /// Send the body base64-encoded with `isBase64Encoded: true`.
    Base64,
}

/// A media-type pattern: `image/png`, `image/*` or `*/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaPattern {
    kind: String,
    subtype: Option<String>,
}

impl MediaPattern {
    /// Whether `pattern` is a media type pattern: `type/subtype`, `type/*`, `*/*` or `type`
    /// (read as `type/*`), each part an HTTP token, parameters allowed.
    pub(crate) fn is_valid(pattern: &str) -> bool {
        let token = |part: &str| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        };
        let essence = essence(pattern);
        match essence.split_once('/') {
            Some((kind, subtype)) => token(kind) && token(subtype),
            None => token(essence),
        }
    }

    pub(crate) fn parse(pattern: &str) -> Self {
        let essence = essence(pattern).to_ascii_lowercase();
        let (kind, subtype) = essence.split_once('/').unwrap_or((&essence, "*"));
        Self {
            kind: kind.to_owned(),
            subtype: (subtype != "*").then(|| subtype.to_owned()),
        }
    }

    fn matches(&self, essence: &str) -> bool {
        let (kind, subtype) = essence.split_once('/').unwrap_or((essence, ""));
        (self.kind == "*" || self.kind.eq_ignore_ascii_case(kind))
            && self
                .subtype
                .as_deref()
                .is_none_or(|want| want.eq_ignore_ascii_case(subtype))
    }
}

/// The media type without parameters: `text/html; charset=utf-8` → `text/html`.
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

fn is_textual(essence: &str) -> bool {
    let lower = essence.to_ascii_lowercase();
    lower.starts_with("text/")
        || lower.ends_with("+json")
        || lower.ends_with("+xml")
        || matches!(
            lower.as_str(),
            "application/json"
                | "application/javascript"
                | "application/ecmascript"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
        )
}

/// A response body ready for the JSON: its text, or its base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodedBody {
    pub(crate) text: String,
    pub(crate) base64: bool,
}

impl EncodedBody {
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            base64: false,
        }
    }
}

/// How a response body will travel, decided from its headers before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// As text, provided it turns out to be valid UTF-8 (else base64).
    TextIfUtf8,
    /// Base64-encoded.
    Base64,
}

/// The binary-media rule, from the response headers and the per-response override.
pub(crate) fn form(
    headers: &HeaderMap,
    binary_media_types: &[MediaPattern],
    choice: Option<BodyEncoding>,
) -> Form {
    let as_text = match choice {
        Some(BodyEncoding::Base64) => false,
        Some(BodyEncoding::Text) => true,
        None => {
            let content_type = headers
                .get(CONTENT_TYPE)
                .map(|v| essence(v.to_str().unwrap_or("")));
            // `identity` is the one content coding that leaves the bytes as they are.
            let encoded = headers
                .get_all(CONTENT_ENCODING)
                .iter()
                .any(|coding| !coding.as_bytes().eq_ignore_ascii_case(b"identity"));
            !encoded
                && match content_type {
                    None => true,
                    Some(essence) => {
                        is_textual(essence)
                            && !binary_media_types.iter().any(|p| p.matches(essence))
                    }
                }
        }
    };
    if as_text {
        Form::TextIfUtf8
    } else {
        Form::Base64
    }
}

/// Encodes a collected body in the form decided for it.
pub(crate) fn encode_as(body: Bytes, form: Form) -> EncodedBody {
    if body.is_empty() {
        return EncodedBody::text(String::new());
    }
    let bytes = match form {
        Form::TextIfUtf8 => match String::from_utf8(body.into()) {
            Ok(text) => return EncodedBody::text(text),
            Err(error) => Bytes::from(error.into_bytes()),
        },
        Form::Base64 => body,
    };
    EncodedBody {
        text: base64::engine::general_purpose::STANDARD.encode(&bytes),
        base64: true,
    }
}

/// The length of `len` bytes in base64 (with padding).
pub(crate) fn base64_len(len: usize) -> usize {
    len.div_ceil(3).saturating_mul(4)
}

/// How many bytes JSON string escaping adds to `bytes` (`"` and `\` → 2 bytes, control
/// characters → 2 or 6).
pub(crate) fn json_escape_overhead(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the binary-media rule to a collected response body.
    fn encode(
        body: Bytes,
        headers: &HeaderMap,
        binary_media_types: &[MediaPattern],
        choice: Option<BodyEncoding>,
    ) -> EncodedBody {
        encode_as(body, form(headers, binary_media_types, choice))
    }

    fn enc(ct: Option<&str>, body: &'static [u8], patterns: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert(CONTENT_TYPE, ct.parse().unwrap());
        }
        let patterns: Vec<_> = patterns.iter().map(|p| MediaPattern::parse(p)).collect();
        encode(Bytes::from_static(body), &headers, &patterns, None).base64
    }

    #[test]
    fn textual_types_are_text_and_others_binary() {
        assert!(!enc(None, b"hi", &[]));
        assert!(enc(None, b"\xff\xfe", &[]));
        assert!(!enc(Some("text/html; charset=utf-8"), b"<p>", &[]));
        assert!(!enc(Some("application/problem+json"), b"{}", &[]));
        assert!(!enc(Some("image/svg+xml"), b"<svg/>", &[]));
        assert!(enc(Some("image/png"), b"PNG", &[]));
        assert!(enc(Some("application/octet-stream"), b"abc", &[]));
        assert!(enc(Some("text/plain"), b"\xff", &[]));
    }

    #[test]
    fn patterns_force_binary() {
        assert!(enc(Some("application/json"), b"{}", &["application/json"]));
        assert!(enc(Some("text/csv"), b"a,b", &["text/*"]));
        assert!(enc(Some("text/csv"), b"a,b", &["*/*"]));
        assert!(!enc(Some("text/csv"), b"a,b", &["image/*"]));
    }

    #[test]
    fn content_encoding_forces_binary() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        headers.insert(CONTENT_ENCODING, "gzip".parse().unwrap());
        let body = encode(Bytes::from_static(b"{}"), &headers, &[], None);
        assert_eq!(
            body,
            EncodedBody {
                text: "e30=".into(),
                base64: true
            }
        );
    }

    #[test]
    fn override_wins_but_never_corrupts() {
        let headers = HeaderMap::new();
        let b = encode(
            Bytes::from_static(b"hi"),
            &headers,
            &[],
            Some(BodyEncoding::Base64),
        );
        assert_eq!(
            b,
            EncodedBody {
                text: "aGk=".into(),
                base64: true
            }
        );
        let mut png = HeaderMap::new();
        png.insert(CONTENT_TYPE, "image/png".parse().unwrap());
        let b = encode(
            Bytes::from_static(b"hi"),
            &png,
            &[],
            Some(BodyEncoding::Text),
        );
        assert_eq!(b, EncodedBody::text("hi"));
        let b = encode(
            Bytes::from_static(b"\xff"),
            &png,
            &[],
            Some(BodyEncoding::Text),
        );
        assert_eq!(
            b,
            EncodedBody {
                text: "/w==".into(),
                base64: true
            }
        );
    }
}
