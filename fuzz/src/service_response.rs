//! The `service_response` target: an arbitrary service response, answered to one valid event of
//! every source.

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use tower_lambda::{BodyEncoding, Serve};

use super::oracle::{
    block_on, check_reply_body, check_reply_headers, parse_reply, Frames, Shape, Text,
};

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum ResponseName {
    Known(u8),
    Other(Vec<u8>),
}

const RESPONSE_NAMES: &[&str] = &[
    "set-cookie",
    "Set-Cookie",
    "content-type",
    "content-encoding",
    "location",
    "cache-control",
    "vary",
    "x-custom",
    "SET-COOKIE",
    "set_cookie",
    // Hop-by-hop: never in a reply (nor what `Connection` names).
    "connection",
    "Connection",
    "transfer-encoding",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum ResponseValue {
    Known(u8),
    Bytes(Vec<u8>),
    Text(Text),
}

const RESPONSE_VALUES: &[&[u8]] = &[
    b"id=1; Path=/; HttpOnly",
    b"a=2",
    b"gzip",
    b"identity",
    b"IDENTITY",
    b"text/html; charset=utf-8",
    b"image/png",
    b"application/json",
    b"",
    b" spaced ",
    b"caf\xc3\xa9",
    b"\xff\xfe",
    b"a\tb",
    b"a\r\nb",
    b"\"quoted\\\"",
    // For `Connection`: names of other headers, and the usual options.
    b"close",
    b"keep-alive",
    b"x-custom, Vary",
    b" location ,, set-cookie",
    b"chunked",
    b"upgrade",
];

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum ContentTypeChoice {
    Known(u8),
    Other(Vec<u8>),
}

const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/html; charset=utf-8",
    "TEXT/CSV",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "image/png",
    "image/svg+xml",
    "application/octet-stream",
    "application/pdf",
    "",
    ";",
    "*/*",
];

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    Text,
    Base64,
}

impl From<EncodingChoice> for BodyEncoding {
    fn from(choice: EncodingChoice) -> Self {
        match choice {
            EncodingChoice::Text => Self::Text,
            EncodingChoice::Base64 => Self::Base64,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum MediaTypeChoice {
    Known(u8),
    Other(Text),
}

const MEDIA_TYPES: &[&str] = &[
    "image/*",
    "*/*",
    "text/csv",
    "application/json",
    "text/*",
    "application/*",
    "*",
    "",
];

/// An arbitrary service response; see [`check_service_response`].
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct ServiceResponse {
    /// Mapped into 100..=999.
    pub status: u16,
    pub headers: Vec<(ResponseName, ResponseValue)>,
    pub content_type: Option<ContentTypeChoice>,
    pub encoding: Option<EncodingChoice>,
    pub binary_media_types: Vec<MediaTypeChoice>,
    pub trailers: bool,
    /// The body, one frame per chunk.
    pub chunks: Vec<Vec<u8>>,
}

const MAX_RESPONSE_HEADERS: usize = 64;

/// One small valid event per source, and its response shape.
const EVENTS: &[(&str, &str)] = &[
    ("rest_api", include_str!("../events/rest_api.json")),
    ("http_api_v1", include_str!("../events/http_api_v1.json")),
    ("http_api_v2", include_str!("../events/http_api_v2.json")),
    ("function_url", include_str!("../events/function_url.json")),
    ("alb", include_str!("../events/alb.json")),
    ("alb_multi", include_str!("../events/alb_multi.json")),
    (
        "vpc_lattice_v1",
        include_str!("../events/vpc_lattice_v1.json"),
    ),
    (
        "vpc_lattice_v2",
        include_str!("../events/vpc_lattice_v2.json"),
    ),
    ("websocket", include_str!("../events/websocket.json")),
];

impl ServiceResponse {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(100 + self.status % 900).expect("100..=999 is a valid status")
    }

    /// The headers, built only through `HeaderName::from_bytes` / `HeaderValue::from_bytes`
    /// (what `http` refuses cannot be in a response).
    fn header_map(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers.iter().take(MAX_RESPONSE_HEADERS) {
            let name = match name {
                ResponseName::Known(i) => {
                    RESPONSE_NAMES[usize::from(*i) % RESPONSE_NAMES.len()].as_bytes()
                }
                ResponseName::Other(bytes) => bytes.as_slice(),
            };
            let value = match value {
                ResponseValue::Known(i) => RESPONSE_VALUES[usize::from(*i) % RESPONSE_VALUES.len()],
                ResponseValue::Bytes(bytes) => bytes.as_slice(),
                ResponseValue::Text(text) => text.as_str().as_bytes(),
            };
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                headers.append(name, value);
            }
        }
        let content_type = self.content_type.as_ref().map(|choice| match choice {
            ContentTypeChoice::Known(i) => {
                CONTENT_TYPES[usize::from(*i) % CONTENT_TYPES.len()].as_bytes()
            }
            ContentTypeChoice::Other(bytes) => bytes.as_slice(),
        });
        if let Some(Ok(value)) = content_type.map(HeaderValue::from_bytes) {
            headers.insert(CONTENT_TYPE, value);
        }
        headers
    }

    fn media_types(&self) -> Vec<String> {
        self.binary_media_types
            .iter()
            .take(8)
            .map(|choice| match choice {
                MediaTypeChoice::Known(i) => {
                    MEDIA_TYPES[usize::from(*i) % MEDIA_TYPES.len()].to_owned()
                }
                MediaTypeChoice::Other(text) => text.0.clone(),
            })
            .collect()
    }

    fn response(&self) -> Response<Frames> {
        let chunks: VecDeque<Bytes> = self
            .chunks
            .iter()
            .take(16)
            .map(|c| Bytes::copy_from_slice(c))
            .collect();
        let trailers = self.trailers.then(|| {
            let mut trailers = HeaderMap::new();
            trailers.insert("x-checksum", HeaderValue::from_static("abc"));
            trailers
        });
        let mut response = Response::new(Frames { chunks, trailers });
        *response.status_mut() = self.status_code();
        *response.headers_mut() = self.header_map();
        if let Some(choice) = self.encoding {
            response.extensions_mut().insert(BodyEncoding::from(choice));
        }
        response
    }

    fn body(&self) -> Vec<u8> {
        self.chunks.iter().take(16).flatten().copied().collect()
    }
}

/// An arbitrary service response, answered to one valid event of every source (REST API and
/// HTTP API 1.0 both with and without `single_value_headers`).
///
/// Invariants: valid JSON of the source's shape with the service's status; `body` decodes back
/// to exactly the bytes sent (base64 when `isBase64Encoded`, else the UTF-8 text), following the
/// documented text/base64 rule; every header is carried in the source's form, every
/// `Set-Cookie` value exactly once, no hop-by-hop header nor one that `Connection` names; no
/// header value in the JSON contains CR or LF.
pub fn check_service_response(input: &ServiceResponse) {
    let input = Arc::new(input.clone());
    let headers = input.header_map();
    let body = input.body();
    let media_types = input.media_types();
    for (name, event) in EVENTS {
        let singles: &[bool] = match *name {
            "rest_api" | "http_api_v1" => &[false, true],
            _ => &[false],
        };
        for &single_value_headers in singles {
            let service = {
                let input = input.clone();
                tower::service_fn(move |_request: Request<tower_lambda::Body>| {
                    let response = input.response();
                    async move { Ok::<_, Infallible>(response) }
                })
            };
            let serve = Serve::new(service)
                .binary_media_types(&media_types)
                .single_value_headers(single_value_headers);
            if let Some(refused) = media_types
                .iter()
                .find(|pattern| !tower_lambda::__rules::is_media_pattern(pattern))
            {
                // An unusable pattern is refused, naming it, and nothing is answered.
                let error = block_on(serve.invoke(event))
                    .expect_err("an invalid media type pattern is refused");
                assert_eq!(error.error_type(), "tower_lambda::Configuration");
                assert!(
                    error.message().starts_with(&format!(
                        "Serve::binary_media_types is {refused:?}, but it takes "
                    )),
                    "{error}"
                );
                return;
            }
            let json = block_on(serve.invoke(event)).unwrap_or_else(|error| {
                panic!("the {name} event failed the invocation: {error}\nresponse: {input:?}")
            });
            let shape = match *name {
                "rest_api" | "http_api_v1" if single_value_headers => Shape::SingleValue,
                "rest_api" | "http_api_v1" => Shape::MultiValue,
                "http_api_v2" | "function_url" => Shape::Payload20,
                "alb" => Shape::Alb { multi: false },
                "alb_multi" => Shape::Alb { multi: true },
                _ => Shape::Folded,
            };
            let reply = parse_reply(&json, &[shape]);
            assert_eq!(
                reply.status,
                input.status_code().as_u16(),
                "the service's status ({name})\nresponse: {json}"
            );
            check_reply_headers(&reply, &headers, &json);
            check_reply_body(
                &reply,
                &body,
                &headers,
                input.encoding.map(BodyEncoding::from),
                &json,
            );
        }
    }
}
