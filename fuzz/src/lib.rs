//! Invariant checks behind tower-lambda's cargo-fuzz targets.
//!
//! The same file is the library of the `tower-lambda-fuzz` crate (used by the libFuzzer targets
//! in `fuzz/fuzz_targets/`) and a module of the root crate's `tests/fuzz_regressions.rs` (through
//! `#[path]`), which replays every input in `fuzz/regressions/`. It therefore uses only
//! dependencies the root crate also has, and nothing from `libfuzzer-sys`.
//!
//! Every check runs events through [`Serve::invoke`], the production decode → service → encode
//! path. A violated invariant is a panic whose message names the invariant and shows the event.
//!
//! - [`check_raw_event`]: arbitrary bytes as an event.
//! - [`check_structured_event`]: a well-formed event of one source with arbitrary field values.
//! - [`check_service_response`]: an arbitrary service response, answered to every source.

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use tower_lambda::{
    BodyEncoding, ClientUrl, EventSource, PathMode, PathPrefix, RequestContext, Serve,
};

// ---------------------------------------------------------------------------------------------
// Shared machinery
// ---------------------------------------------------------------------------------------------

/// Findings reported to the library and not fixed yet. Under `cargo fuzz` (which builds with
/// `--cfg fuzzing`) the checks step around each one, so that fuzzing goes on to find new
/// problems; elsewhere (the regression tests) they are enforced, so the saved input fails until
/// the library is fixed. Add a variant when a finding is reported (and check
/// `tolerate(KnownIssue::...)` where the invariant fails); delete it once the fix is in.
///
/// None is open: both findings so far (`regressions/structured_event/*`) are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
enum KnownIssue {}

/// Whether the checks step around `issue` (only under `cargo fuzz`).
#[allow(dead_code, unexpected_cfgs)]
fn tolerate(issue: KnownIssue) -> bool {
    match issue {}
}

/// Runs a future on one current-thread runtime per process.
fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread tokio runtime")
        })
        .block_on(future)
}

/// Single-value `Set-Cookie` maps carry at most this many cookies (one per letter-case spelling
/// of `set-cookie`); the adapter documents that it drops the rest.
const SET_COOKIE_SPELLINGS: usize = 512;

/// `http::Uri` refuses to parse longer strings.
const URI_MAX_LEN: usize = u16::MAX as usize - 1;

/// A JSON value that keeps object keys in order, duplicates included, so that a key written
/// twice is caught (`serde_json::Value` would silently keep the last one).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a non-finite number"))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

/// The response shape an event source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// REST API and HTTP API 1.0: `multiValueHeaders`.
    MultiValue,
    /// REST API and HTTP API 1.0 with `single_value_headers`: `headers`.
    SingleValue,
    /// HTTP API 2.0 and Function URLs: `headers` and `cookies`.
    Payload20,
    /// ALB: `statusDescription`, and the header map the request used.
    Alb { multi: bool },
}

const ALL_SHAPES: [Shape; 5] = [
    Shape::MultiValue,
    Shape::SingleValue,
    Shape::Payload20,
    Shape::Alb { multi: false },
    Shape::Alb { multi: true },
];

impl Shape {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::MultiValue => &["statusCode", "multiValueHeaders", "body", "isBase64Encoded"],
            Self::SingleValue => &["statusCode", "headers", "body", "isBase64Encoded"],
            Self::Payload20 => &[
                "statusCode",
                "headers",
                "cookies",
                "body",
                "isBase64Encoded",
            ],
            Self::Alb { multi: false } => &[
                "statusCode",
                "statusDescription",
                "headers",
                "body",
                "isBase64Encoded",
            ],
            Self::Alb { multi: true } => &[
                "statusCode",
                "statusDescription",
                "multiValueHeaders",
                "body",
                "isBase64Encoded",
            ],
        }
    }

    /// The shape of a source's responses; `alb_multi` is `None` when it is not known whether an
    /// ALB request used multi-value headers.
    fn of(source: EventSource, single_value_headers: bool, alb_multi: Option<bool>) -> Vec<Self> {
        match source {
            EventSource::RestApi | EventSource::HttpApiV1 => {
                if single_value_headers {
                    vec![Self::SingleValue]
                } else {
                    vec![Self::MultiValue]
                }
            }
            EventSource::HttpApiV2 | EventSource::FunctionUrl => vec![Self::Payload20],
            EventSource::Alb => match alb_multi {
                Some(multi) => vec![Self::Alb { multi }],
                None => vec![Self::Alb { multi: false }, Self::Alb { multi: true }],
            },
            other => panic!("a new event source {other:?}: teach the fuzz checks its shape"),
        }
    }
}

/// A response JSON, read and checked against its shape.
#[derive(Debug)]
struct Reply {
    shape: Shape,
    status: u16,
    /// `headers` (single value).
    headers: Vec<(String, String)>,
    /// `multiValueHeaders`.
    multi: Vec<(String, Vec<String>)>,
    cookies: Vec<String>,
    body: String,
    base64: bool,
}

fn no_line_breaks(what: &str, value: &str, json: &str) {
    assert!(
        !value.contains(['\r', '\n']),
        "{what} {value:?} in the response JSON contains CR or LF\nresponse: {json}"
    );
}

fn expect_string<'j>(what: &str, value: &'j Json, json: &str) -> &'j str {
    match value {
        Json::String(s) => s,
        other => panic!("{what} is not a string but {other:?}\nresponse: {json}"),
    }
}

/// Parses a response JSON and checks that it has exactly the keys of one of `allowed` shapes,
/// each with the right type, no key twice, and no header value with CR or LF.
fn parse_reply(json: &str, allowed: &[Shape]) -> Reply {
    let parsed: Json = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("the response is not valid JSON: {e}\nresponse: {json}"));
    let Json::Object(entries) = parsed else {
        panic!("the response is not a JSON object\nresponse: {json}");
    };
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    let before = keys.len();
    keys.dedup();
    assert_eq!(
        before,
        keys.len(),
        "the response has a key twice\nresponse: {json}"
    );
    assert!(
        !(keys.contains(&"headers") && keys.contains(&"multiValueHeaders")),
        "the response has both `headers` and `multiValueHeaders`\nresponse: {json}"
    );
    let shape = allowed
        .iter()
        .copied()
        .find(|shape| {
            let mut want = shape.keys().to_vec();
            want.sort_unstable();
            want == keys
        })
        .unwrap_or_else(|| {
            panic!("the response keys {keys:?} are not those of {allowed:?}\nresponse: {json}")
        });

    let mut reply = Reply {
        shape,
        status: 0,
        headers: Vec::new(),
        multi: Vec::new(),
        cookies: Vec::new(),
        body: String::new(),
        base64: false,
    };
    for (key, value) in &entries {
        match key.as_str() {
            "statusCode" => {
                let status = match value {
                    Json::Number(n) => n.as_u64(),
                    _ => None,
                };
                let status = status
                    .filter(|s| (100..=999).contains(s))
                    .unwrap_or_else(|| {
                        panic!(
                            "statusCode {value:?} is not a number in 100..=999\nresponse: {json}"
                        )
                    });
                reply.status = u16::try_from(status).expect("checked to be at most 999");
            }
            "statusDescription" => {
                expect_string("statusDescription", value, json);
            }
            "headers" => {
                let Json::Object(headers) = value else {
                    panic!("`headers` is not an object\nresponse: {json}");
                };
                for (name, value) in headers {
                    let value = expect_string("a `headers` value", value, json);
                    no_line_breaks("the header name", name, json);
                    no_line_breaks("the header value", value, json);
                    reply.headers.push((name.clone(), value.to_owned()));
                }
                let mut names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
                names.sort_unstable();
                let before = names.len();
                names.dedup();
                assert_eq!(
                    before,
                    names.len(),
                    "`headers` has a key twice\nresponse: {json}"
                );
            }
            "multiValueHeaders" => {
                let Json::Object(headers) = value else {
                    panic!("`multiValueHeaders` is not an object\nresponse: {json}");
                };
                for (name, values) in headers {
                    let Json::Array(values) = values else {
                        panic!("`multiValueHeaders[{name:?}]` is not an array\nresponse: {json}");
                    };
                    let values: Vec<String> = values
                        .iter()
                        .map(|v| {
                            let v = expect_string("a `multiValueHeaders` value", v, json);
                            no_line_breaks("the header value", v, json);
                            v.to_owned()
                        })
                        .collect();
                    no_line_breaks("the header name", name, json);
                    reply.multi.push((name.clone(), values));
                }
                let mut names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
                names.sort_unstable();
                let before = names.len();
                names.dedup();
                assert_eq!(
                    before,
                    names.len(),
                    "`multiValueHeaders` has a key twice\nresponse: {json}"
                );
            }
            "cookies" => {
                let Json::Array(cookies) = value else {
                    panic!("`cookies` is not an array\nresponse: {json}");
                };
                for cookie in cookies {
                    let cookie = expect_string("a `cookies` entry", cookie, json);
                    no_line_breaks("the cookie", cookie, json);
                    reply.cookies.push(cookie.to_owned());
                }
            }
            "body" => reply.body = expect_string("body", value, json).to_owned(),
            "isBase64Encoded" => {
                let Json::Bool(b) = value else {
                    panic!("isBase64Encoded is not a boolean\nresponse: {json}");
                };
                reply.base64 = *b;
            }
            other => unreachable!("key {other:?} was checked against the shape"),
        }
    }
    if let Shape::Alb { .. } = shape {
        let description = entries
            .iter()
            .find(|(k, _)| k == "statusDescription")
            .map(|(_, v)| expect_string("statusDescription", v, json))
            .unwrap_or_default();
        let status = StatusCode::from_u16(reply.status).expect("checked to be in 100..=999");
        let want = format!(
            "{} {}",
            reply.status,
            status.canonical_reason().unwrap_or("Unknown")
        );
        assert_eq!(description, want, "ALB statusDescription\nresponse: {json}");
    }
    reply
}

fn lossy(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

/// Checks that the reply carries every header of `headers` in its source's shape, and every
/// `Set-Cookie` value exactly once.
fn check_reply_headers(reply: &Reply, headers: &HeaderMap, json: &str) {
    let set_cookies: Vec<String> = headers.get_all(SET_COOKIE).iter().map(lossy).collect();
    let joined = |separator: &str| -> BTreeMap<String, String> {
        headers
            .keys()
            .filter(|name| **name != SET_COOKIE)
            .map(|name| {
                let values: Vec<String> = headers.get_all(name).iter().map(lossy).collect();
                (name.as_str().to_owned(), values.join(separator))
            })
            .collect()
    };
    match reply.shape {
        Shape::MultiValue | Shape::Alb { multi: true } => {
            let want: BTreeMap<String, Vec<String>> = headers
                .keys()
                .map(|name| {
                    let values = headers.get_all(name).iter().map(lossy).collect();
                    (name.as_str().to_owned(), values)
                })
                .collect();
            let got: BTreeMap<String, Vec<String>> = reply.multi.iter().cloned().collect();
            assert_eq!(
                got, want,
                "multiValueHeaders must hold every header value, Set-Cookie included\nresponse: {json}"
            );
        }
        Shape::SingleValue | Shape::Alb { multi: false } => {
            let (cookie_entries, others): (Vec<_>, Vec<_>) = reply
                .headers
                .iter()
                .cloned()
                .partition(|(name, _)| name.eq_ignore_ascii_case("set-cookie"));
            let got: BTreeMap<String, String> = others.into_iter().collect();
            assert_eq!(
                got,
                joined(", "),
                "single-value headers must hold every header, repeats joined with \", \"\nresponse: {json}"
            );
            let mut got: Vec<String> = cookie_entries.into_iter().map(|(_, v)| v).collect();
            let mut want = set_cookies;
            want.truncate(SET_COOKIE_SPELLINGS);
            got.sort();
            want.sort();
            assert_eq!(
                got, want,
                "every Set-Cookie value must appear exactly once, under a letter-case variant of `set-cookie`\nresponse: {json}"
            );
        }
        Shape::Payload20 => {
            assert!(
                !reply
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("set-cookie")),
                "payload 2.0 `headers` must not carry Set-Cookie (it goes to `cookies`)\nresponse: {json}"
            );
            let got: BTreeMap<String, String> = reply.headers.iter().cloned().collect();
            assert_eq!(
                got,
                joined(","),
                "payload 2.0 headers must hold every header, repeats joined with \",\"\nresponse: {json}"
            );
            assert_eq!(
                reply.cookies, set_cookies,
                "every Set-Cookie value must appear exactly once, in order, in `cookies`\nresponse: {json}"
            );
        }
    }
}

/// Checks that the reply's body decodes to exactly `body`, and the documented parts of the
/// text/base64 rule.
fn check_reply_body(
    reply: &Reply,
    body: &[u8],
    headers: &HeaderMap,
    choice: Option<BodyEncoding>,
    json: &str,
) {
    let decoded = if reply.base64 {
        base64::engine::general_purpose::STANDARD
            .decode(&reply.body)
            .unwrap_or_else(|e| {
                panic!("isBase64Encoded but the body is not base64: {e}\nresponse: {json}")
            })
    } else {
        reply.body.as_bytes().to_vec()
    };
    assert!(
        decoded == body,
        "the response body does not decode to the bytes the service sent ({} bytes sent: {:?})\nresponse: {json}",
        body.len(),
        String::from_utf8_lossy(body)
    );
    if body.is_empty() {
        assert!(
            !reply.base64,
            "an empty body is sent as empty text\nresponse: {json}"
        );
        return;
    }
    let utf8 = std::str::from_utf8(body).is_ok();
    if !utf8 {
        assert!(
            reply.base64,
            "a non-UTF-8 body must be base64\nresponse: {json}"
        );
    }
    match choice {
        Some(BodyEncoding::Base64) => {
            assert!(
                reply.base64,
                "BodyEncoding::Base64 must give base64\nresponse: {json}"
            )
        }
        Some(BodyEncoding::Text) => assert!(
            !utf8 || !reply.base64,
            "BodyEncoding::Text with a UTF-8 body must give text\nresponse: {json}"
        ),
        Some(_) => {}
        None => {
            let encoded = headers
                .get_all(CONTENT_ENCODING)
                .iter()
                .any(|coding| !coding.as_bytes().eq_ignore_ascii_case(b"identity"));
            if encoded {
                assert!(
                    reply.base64,
                    "a body with a Content-Encoding must be base64\nresponse: {json}"
                );
            } else if utf8 && !headers.contains_key(CONTENT_TYPE) {
                assert!(
                    !reply.base64,
                    "a UTF-8 body without Content-Type or Content-Encoding must be text\nresponse: {json}"
                );
            }
        }
    }
}

/// `%XX` escapes decoded; a `%` that does not start one is kept as it is.
fn percent_decode(s: &str) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn with_leading_slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Exercises every accessor of the request context (they parse `requestContext` lazily).
fn exercise_context(context: &RequestContext) -> EventSource {
    let _ = context.raw_event().len();
    let _ = context.typed().map(|typed| format!("{typed:?}"));
    let _ = context.request_id();
    let _ = context.stage();
    let _ = context.domain_name();
    let _ = context.user_agent();
    let _ = context.stage_variables().len();
    let _ = context.path_parameters().len();
    let _ = context.claim("sub");
    let _ = context.scopes();
    let _ = context.authorizer_context().map(|fields| fields.len());
    let _ = context.iam_user_arn();
    let _ = context.source_ip();
    let _ = format!("{context:?}");
    context.source()
}

/// What the service saw of one request.
#[derive(Debug)]
struct Seen {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    source: Option<EventSource>,
    prefix: Option<String>,
    client_url: Option<Uri>,
    /// False when the service did not get to its end (it panicked; the adapter then answers 500).
    finished: bool,
}

type Slot = Arc<Mutex<Option<Seen>>>;

fn take(slot: &Slot) -> Option<Seen> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// What the service saw. Assertions cannot run inside the service (the adapter catches its
/// panics and answers 500): it records, and the checks run once `invoke` returns.
async fn record(request: Request<tower_lambda::Body>) -> Seen {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => Bytes::from(format!("<the request body failed: {error}>")),
    };
    let extensions = &parts.extensions;
    Seen {
        source: extensions.get::<RequestContext>().map(exercise_context),
        prefix: extensions
            .get::<PathPrefix>()
            .map(|p| p.as_str().to_owned()),
        client_url: extensions.get::<ClientUrl>().map(|c| c.0.clone()),
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        finished: false,
    }
}

fn store(slot: &Slot, mut seen: Seen) {
    seen.finished = true;
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(seen);
}

/// Checks the request URI: a valid URI whose path starts with `/`, that reads back the same, and
/// whose authority is `want_authority`.
fn check_uri(uri: &Uri, want_authority: Option<&str>, what: &str, event: &str) {
    assert!(
        uri.path().starts_with('/'),
        "the {what} path {:?} does not start with '/'\nevent: {event}",
        uri.path()
    );
    let text = uri.to_string();
    if text.len() < URI_MAX_LEN {
        let reparsed: Result<Uri, _> = text.parse();
        assert!(
            matches!(&reparsed, Ok(again) if again == uri),
            "the {what} {text:?} does not read back as the same URI: {reparsed:?}\nevent: {event}"
        );
    }
    assert_eq!(
        uri.authority().map(Authority::as_str),
        want_authority,
        "the {what} authority must be the Host header when valid, else the domainName, never the path or query\nuri: {uri}\nevent: {event}"
    );
    if uri.authority().is_some() {
        assert!(
            uri.scheme().is_some(),
            "the {what} {uri} has an authority but no scheme\nevent: {event}"
        );
    }
}

/// The authority the request must have: the first `Host` header when it is a valid authority,
/// else the domain name when it is one, else none.
fn expected_authority(host: Option<&HeaderValue>, domain: Option<&str>) -> Option<String> {
    host.and_then(|h| Authority::try_from(h.as_bytes()).ok())
        .or_else(|| domain.and_then(|d| Authority::try_from(d).ok()))
        .map(|a| a.as_str().to_owned())
}

/// A response body made of several frames, optionally followed by trailers.
struct Frames {
    chunks: VecDeque<Bytes>,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(chunk))));
        }
        Poll::Ready(
            this.trailers
                .take()
                .map(|t| Ok(http_body::Frame::trailers(t))),
        )
    }
}

/// Pieces that make paths, queries, header values and names interesting: reserved and unsafe
/// characters, escapes and near-escapes, non-ASCII, control characters, stage- and host-like
/// words.
const PIECES: &[&str] = &[
    "/",
    "//",
    "/",
    "a",
    "b",
    "?",
    "#",
    "%",
    "%2F",
    "%2f",
    "%25",
    "%41",
    "%zz",
    "%%",
    "%2",
    "&",
    "=",
    "+",
    " ",
    ";",
    ",",
    ":",
    "@",
    "[",
    "]",
    "!",
    "$",
    "'",
    "(",
    ")",
    "*",
    "\"",
    "<",
    ">",
    "\\",
    "^",
    "`",
    "{",
    "|",
    "}",
    "~",
    ".",
    "..",
    "-",
    "_",
    "é",
    "日本",
    "😀",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "v1",
    "dev",
    "prod",
    "$default",
    "items",
    "(none)",
    "example.com",
    "api.example.com",
    "evil.example",
    "http://",
    "https://evil.example",
    ":8080",
    "user@",
    "[::1]",
    "lambda-url",
    ".on.aws",
    "http",
    "HTTP",
    "https",
    "a=1",
    "b=2",
    "; ",
    "Path=/",
    "x-forwarded-prefix",
];

/// Text made of [`PIECES`] and arbitrary strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut text = String::new();
        for _ in 0..u.int_in_range(0..=8u8)? {
            if u.ratio(1u8, 5)? {
                text.push_str(<&str>::arbitrary(u)?);
            } else {
                text.push_str(u.choose(PIECES)?);
            }
        }
        Ok(Self(text))
    }
}

impl Text {
    fn as_str(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Raw events
// ---------------------------------------------------------------------------------------------

/// Arbitrary bytes as an event, under the default options and under every option at once.
///
/// Invariants: no panic; `Ok` is a JSON object of a known response shape with a numeric
/// `statusCode`; `Err` is an `InvocationError` with a type and a non-empty message. When the
/// service is called (it echoes the request's headers and body back): the URI is valid, its path
/// starts with `/`, its authority is the `Host` header or the `domainName`; a base64 body
/// arrives decoded; and the response JSON has the source's shape and carries back exactly the
/// echoed headers and body.
pub fn check_raw_event(data: &[u8]) {
    check_raw_with(data, false);
    check_raw_with(data, true);
}

fn check_raw_with(data: &[u8], all_options: bool) {
    let slot: Slot = Arc::default();
    let service = {
        let slot = slot.clone();
        tower::service_fn(move |request: Request<tower_lambda::Body>| {
            let slot = slot.clone();
            async move {
                let seen = record(request).await;
                let mut response = Response::new(Full::new(seen.body.clone()));
                *response.headers_mut() = seen.headers.clone();
                store(&slot, seen);
                Ok::<_, Infallible>(response)
            }
        })
    };
    let mut serve = Serve::new(service);
    if all_options {
        serve = serve
            .single_value_headers(true)
            .strip_base_path("/v1")
            .path_mode(PathMode::AsRequested)
            .forwarded_prefix_header(true)
            .binary_media_types(["image/*", "application/octet-stream"]);
    }
    let event = String::from_utf8_lossy(data);
    let json = match block_on(serve.invoke(data)) {
        Ok(json) => json,
        Err(error) => {
            assert!(
                !error.message().is_empty() && !error.error_type().is_empty(),
                "an InvocationError without a type or message: {error:?}\nevent: {event}"
            );
            assert!(
                take(&slot).is_none(),
                "the invocation failed after the service answered\nevent: {event}"
            );
            return;
        }
    };
    let Some(seen) = take(&slot) else {
        // The adapter answered by itself (400 or 431): some source's shape, as text.
        let reply = parse_reply(&json, &ALL_SHAPES);
        assert!(
            (400..500).contains(&reply.status) && !reply.base64,
            "a request refused without calling the service gets a 4xx text answer\nresponse: {json}\nevent: {event}"
        );
        return;
    };
    assert!(
        seen.finished,
        "the service did not finish (it panicked)\nevent: {event}"
    );
    let source = seen
        .source
        .unwrap_or_else(|| panic!("the request has no RequestContext\nevent: {event}"));

    // What serde_json makes of the event (it may refuse what the adapter accepted, such as
    // numbers out of f64 range in ignored fields: then these checks are skipped).
    let value: Option<serde_json::Value> = serde_json::from_slice(data).ok();
    let field = |name: &str| value.as_ref().and_then(|v| v.get(name));
    let alb_multi = value.as_ref().map(|_| {
        ["multiValueHeaders", "multiValueQueryStringParameters"]
            .iter()
            .any(|key| field(key).is_some_and(|v| !v.is_null()))
    });
    let domain = value
        .as_ref()
        .and_then(|v| v.pointer("/requestContext/domainName"))
        .and_then(serde_json::Value::as_str);

    let want_authority = if value.is_some() {
        expected_authority(seen.headers.get(HOST), domain)
    } else {
        // Without the domain name, the authority is at least the Host header when valid.
        match seen
            .headers
            .get(HOST)
            .map(|h| Authority::try_from(h.as_bytes()))
        {
            Some(Ok(host)) => Some(host.as_str().to_owned()),
            _ => seen.uri.authority().map(|a| a.as_str().to_owned()),
        }
    };
    check_uri(&seen.uri, want_authority.as_deref(), "request URI", &event);
    let client = seen
        .client_url
        .as_ref()
        .unwrap_or_else(|| panic!("the request has no ClientUrl\nevent: {event}"));
    check_uri(client, want_authority.as_deref(), "ClientUrl", &event);
    let prefix = seen
        .prefix
        .as_deref()
        .unwrap_or_else(|| panic!("no PathPrefix\nevent: {event}"));
    if all_options {
        assert!(
            prefix.is_empty() && *client == seen.uri,
            "PathMode::AsRequested: the request URI is the client URL and nothing is removed\nevent: {event}"
        );
    }

    if let Some(value) = &value {
        // `isBase64Encoded` is a boolean, or (from some test tools) the string "true"/"false".
        let base64 = match value.get("isBase64Encoded") {
            Some(serde_json::Value::Bool(flag)) => *flag,
            Some(serde_json::Value::String(flag)) => flag.eq_ignore_ascii_case("true"),
            _ => false,
        };
        if let Some(body) = value.get("body").and_then(serde_json::Value::as_str) {
            let want = if base64 {
                lenient_base64().decode(body).ok()
            } else {
                Some(body.as_bytes().to_vec())
            };
            if let Some(want) = want {
                assert!(
                    seen.body == want,
                    "the service must see the event body (base64-decoded when flagged)\nevent: {event}"
                );
            }
        }
    }

    let reply = parse_reply(&json, &Shape::of(source, all_options, alb_multi));
    assert_eq!(
        reply.status, 200,
        "the service's status\nresponse: {json}\nevent: {event}"
    );
    check_reply_headers(&reply, &seen.headers, &json);
    check_reply_body(&reply, &seen.body, &seen.headers, None, &json);
}

/// Standard base64, padding optional: how API Gateway's base64 bodies are read.
fn lenient_base64() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}

// ---------------------------------------------------------------------------------------------
// 2. Structured events
// ---------------------------------------------------------------------------------------------

/// Which event source, and in what form, a structured event is written as.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    RestApi,
    HttpApiV1,
    HttpApiV2,
    FunctionUrl,
    /// ALB, target group without multi-value headers.
    Alb,
    /// ALB, target group with multi-value headers.
    AlbMulti,
}

/// Which maps of a payload-1.0 event carry the headers or the query.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapForm {
    Single,
    Multi,
    Both,
}

/// How the body travels in the event.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyForm {
    /// The bytes as text (lossy UTF-8), `isBase64Encoded: false`.
    Text,
    /// The bytes base64-encoded, `isBase64Encoded: true`.
    Base64,
    /// Text, but `isBase64Encoded: true` (a broken sender).
    FlaggedNotEncoded,
    /// Base64 text, `isBase64Encoded: false`: the service sees the base64 text.
    EncodedNotFlagged,
    /// Text, no `isBase64Encoded` key.
    Unflagged,
    /// `"body": null`.
    Null,
}

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum MethodChoice {
    Known(u8),
    Other(Text),
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "get",
    "M-SEARCH", "PROPFIND", "",
];

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum NameChoice {
    Known(u8),
    Other(Text),
}

const HEADER_NAMES: &[&str] = &[
    "host",
    "Host",
    "HOST",
    "cookie",
    "Cookie",
    "x-forwarded-proto",
    "X-Forwarded-Proto",
    "x-forwarded-prefix",
    "X-Forwarded-Prefix",
    "x-forwarded-for",
    "content-type",
    "set-cookie",
    "accept",
    "bad name",
];

/// `requestContext.path` of a REST API event: the path the client requested.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum ContextPath {
    Absent,
    SameAsPath,
    /// `/{stage}{path}`, as on the `execute-api` domain.
    StageThenPath,
    Other(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Absent,
    Name(Text),
    /// `{id}.lambda-url.{region}.on.aws`.
    LambdaUrl(Text, Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct EventOptions {
    pub strip_base_path: Option<Text>,
    pub as_requested: bool,
    pub forwarded_prefix_header: bool,
    pub single_value_headers: bool,
}

/// A well-formed event of one source with arbitrary field values; see [`check_structured_event`].
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct StructuredEvent {
    pub source: SourceKind,
    pub method: MethodChoice,
    pub path: Option<Text>,
    pub stage: Option<Text>,
    /// HTTP APIs: put `/{stage}` in front of the path, as a named stage does.
    pub stage_in_path: bool,
    /// Put `/{segment}` in front of the path (a custom domain's base path).
    pub base_path_in_path: Option<Text>,
    pub context_path: ContextPath,
    pub base_path_matched: Option<Text>,
    pub domain: Domain,
    /// HTTP API 2.0: leave out `"version"` (detected from `requestContext.http`).
    pub omit_version: bool,
    pub header_form: MapForm,
    pub headers: Vec<(NameChoice, Text)>,
    pub query_form: MapForm,
    pub query: Vec<(Text, Text)>,
    pub raw_query: Text,
    pub cookies: Option<Vec<Text>>,
    pub source_ip: Option<Text>,
    pub options: EventOptions,
    pub body_form: BodyForm,
    pub body: Vec<u8>,
}

const MAX_HEADERS: usize = 48;
const MAX_QUERY: usize = 48;
const MAX_COOKIES: usize = 16;

fn js(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A JSON object written by hand, so that keys may repeat.
#[derive(Default)]
struct Obj(Vec<String>);

impl Obj {
    fn raw(&mut self, key: &str, raw: String) -> &mut Self {
        self.0.push(format!("{}:{raw}", js(key)));
        self
    }

    fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.raw(key, js(value))
    }

    fn build(&self) -> String {
        format!("{{{}}}", self.0.join(","))
    }
}

/// `{"k": "v", ...}`, one key per pair (repeated keys are written twice).
fn single_map(pairs: &[(String, String)]) -> String {
    let mut obj = Obj::default();
    for (k, v) in pairs {
        obj.str(k, v);
    }
    obj.build()
}

/// `{"k": ["v1", "v2"], ...}`, consecutive pairs with the same key in one list.
fn multi_map(pairs: &[(String, String)]) -> String {
    let mut obj = Obj::default();
    let mut i = 0;
    while i < pairs.len() {
        let key = &pairs[i].0;
        let mut values = Vec::new();
        while i < pairs.len() && pairs[i].0 == *key {
            values.push(js(&pairs[i].1));
            i += 1;
        }
        obj.raw(key, format!("[{}]", values.join(",")));
    }
    obj.build()
}

/// The domains that make a payload 2.0 event a Function URL event: `<id>.lambda-url.<region>.on.aws`,
/// and local emulators' `localhost` / loopback addresses (with or without a port).
fn is_function_url_domain(domain: &str) -> bool {
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => domain,
    };
    (domain.contains(".lambda-url.") && domain.ends_with(".on.aws"))
        || host.eq_ignore_ascii_case("localhost")
        || host == "127.0.0.1"
        || host == "[::1]"
}

impl StructuredEvent {
    fn payload_1_0(&self) -> bool {
        matches!(
            self.source,
            SourceKind::RestApi | SourceKind::HttpApiV1 | SourceKind::Alb | SourceKind::AlbMulti
        )
    }

    fn method_str(&self) -> &str {
        match &self.method {
            MethodChoice::Known(i) => METHODS[usize::from(*i) % METHODS.len()],
            MethodChoice::Other(text) => text.as_str(),
        }
    }

    fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .take(MAX_HEADERS)
            .map(|(name, value)| {
                let name = match name {
                    NameChoice::Known(i) => HEADER_NAMES[usize::from(*i) % HEADER_NAMES.len()],
                    NameChoice::Other(text) => text.as_str(),
                };
                (name.to_owned(), value.0.clone())
            })
            .collect()
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .iter()
            .take(MAX_QUERY)
            .map(|(k, v)| (k.0.clone(), v.0.clone()))
            .collect()
    }

    fn cookie_list(&self) -> Option<Vec<String>> {
        self.cookies
            .as_ref()
            .map(|c| c.iter().take(MAX_COOKIES).map(|t| t.0.clone()).collect())
    }

    fn header_form(&self) -> MapForm {
        match (self.source, self.header_form) {
            (SourceKind::Alb, _) => MapForm::Single,
            (SourceKind::AlbMulti, MapForm::Single) => MapForm::Multi,
            (_, form) => form,
        }
    }

    fn query_form(&self) -> MapForm {
        match (self.source, self.query_form) {
            (SourceKind::Alb, _) => MapForm::Single,
            (SourceKind::AlbMulti, MapForm::Single) => MapForm::Multi,
            (_, form) => form,
        }
    }

    fn domain_name(&self) -> Option<String> {
        match (&self.domain, self.source) {
            (Domain::LambdaUrl(id, region), _) => {
                Some(format!("{}.lambda-url.{}.on.aws", id.0, region.0))
            }
            (_, SourceKind::FunctionUrl) => Some("abcdefgh.lambda-url.us-east-1.on.aws".to_owned()),
            (Domain::Absent, _) => None,
            (Domain::Name(name), _) => Some(name.0.clone()),
        }
    }

    fn writes_version(&self) -> bool {
        !(self.source == SourceKind::HttpApiV2 && self.omit_version)
    }

    /// The source the adapter must detect.
    fn expected_source(&self) -> EventSource {
        match self.source {
            SourceKind::RestApi => EventSource::RestApi,
            SourceKind::HttpApiV1 => EventSource::HttpApiV1,
            SourceKind::HttpApiV2 => {
                let lambda_url = self
                    .domain_name()
                    .is_some_and(|d| is_function_url_domain(&d));
                if self.writes_version() && lambda_url {
                    EventSource::FunctionUrl
                } else {
                    EventSource::HttpApiV2
                }
            }
            SourceKind::FunctionUrl => EventSource::FunctionUrl,
            SourceKind::Alb | SourceKind::AlbMulti => EventSource::Alb,
        }
    }

    /// The event's `path` / `rawPath`, if it has one.
    fn event_path(&self) -> Option<String> {
        let mut path = String::new();
        if matches!(self.source, SourceKind::HttpApiV1 | SourceKind::HttpApiV2)
            && self.stage_in_path
        {
            if let Some(stage) = &self.stage {
                path.push('/');
                path.push_str(stage.as_str());
            }
        }
        if let Some(segment) = &self.base_path_in_path {
            path.push('/');
            path.push_str(segment.as_str());
        }
        match &self.path {
            Some(rest) => path.push_str(rest.as_str()),
            None if path.is_empty() => return None,
            None => {}
        }
        Some(path)
    }

    fn context_path(&self) -> Option<String> {
        if !matches!(self.source, SourceKind::RestApi | SourceKind::HttpApiV1) {
            return None;
        }
        let path = self.event_path();
        match &self.context_path {
            ContextPath::Absent => None,
            ContextPath::SameAsPath => Some(path.unwrap_or_else(|| "/".to_owned())),
            ContextPath::StageThenPath => {
                let stage = self.stage.as_ref().map_or("prod", Text::as_str);
                Some(format!("/{stage}{}", path.unwrap_or_default()))
            }
            ContextPath::Other(text) => Some(text.0.clone()),
        }
    }

    /// The body as the event carries it, and whether it is flagged as base64.
    fn event_body(&self) -> (Option<String>, Option<bool>) {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&self.body);
        match self.body_form {
            BodyForm::Text => (Some(text), Some(false)),
            BodyForm::Base64 => (Some(encoded), Some(true)),
            BodyForm::FlaggedNotEncoded => (Some(text), Some(true)),
            BodyForm::EncodedNotFlagged => (Some(encoded), Some(false)),
            BodyForm::Unflagged => (Some(text), None),
            BodyForm::Null => (None, Some(false)),
        }
    }

    /// The body the service must see: `Err` when the event's body is flagged base64 but is not.
    fn expected_body(&self) -> Result<Vec<u8>, ()> {
        match (self.body_form, self.event_body()) {
            (BodyForm::Base64, _) => Ok(self.body.clone()),
            (_, (None, _)) => Ok(Vec::new()),
            (_, (Some(body), Some(true))) => lenient_base64().decode(body).map_err(drop),
            (_, (Some(body), _)) => Ok(body.into_bytes()),
        }
    }

    /// The event JSON, written the way its source writes it.
    pub fn to_json(&self) -> String {
        let mut event = Obj::default();
        let mut context = Obj::default();
        let headers = self.header_pairs();
        let query = self.query_pairs();
        let method = self.method_str();
        let path = self.event_path();

        if self.payload_1_0() {
            event.str("httpMethod", method);
            if self.source == SourceKind::HttpApiV1 {
                event.str("version", "1.0");
            }
            if let Some(path) = &path {
                event.str("path", path);
            }
            match self.header_form() {
                MapForm::Single => event.raw("headers", single_map(&headers)),
                MapForm::Multi => event.raw("multiValueHeaders", multi_map(&headers)),
                MapForm::Both => event
                    .raw("headers", single_map(&headers))
                    .raw("multiValueHeaders", multi_map(&headers)),
            };
            match self.query_form() {
                MapForm::Single => event.raw("queryStringParameters", single_map(&query)),
                MapForm::Multi => event.raw("multiValueQueryStringParameters", multi_map(&query)),
                MapForm::Both => event
                    .raw("queryStringParameters", single_map(&query))
                    .raw("multiValueQueryStringParameters", multi_map(&query)),
            };
            if let Some(ip) = &self.source_ip {
                context.raw(
                    "identity",
                    Obj::default().str("sourceIp", ip.as_str()).build(),
                );
            }
        } else {
            if self.writes_version() {
                event.str("version", "2.0");
            }
            event.str("routeKey", "$default");
            if let Some(path) = &path {
                event.str("rawPath", path);
            }
            event.str("rawQueryString", self.raw_query.as_str());
            event.raw("headers", single_map(&headers));
            if let Some(cookies) = self.cookie_list() {
                let cookies: Vec<String> = cookies.iter().map(|c| js(c)).collect();
                event.raw("cookies", format!("[{}]", cookies.join(",")));
            }
            let mut http = Obj::default();
            http.str("method", method);
            if let Some(ip) = &self.source_ip {
                http.str("sourceIp", ip.as_str());
            }
            context.raw("http", http.build());
        }
        if matches!(self.source, SourceKind::Alb | SourceKind::AlbMulti) {
            context.raw(
                "elb",
                Obj::default()
                    .str("targetGroupArn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/6d0ecf831eec9f09")
                    .build(),
            );
        }
        if let Some(domain) = self.domain_name() {
            context.str("domainName", &domain);
        }
        if let Some(stage) = &self.stage {
            context.str("stage", stage.as_str());
        }
        if let Some(context_path) = self.context_path() {
            context.str("path", &context_path);
        }
        if let Some(matched) = &self.base_path_matched {
            context.raw(
                "customDomain",
                Obj::default()
                    .str("basePathMatched", matched.as_str())
                    .build(),
            );
        }
        context.str("requestId", "fuzz-request-id");
        event.raw("requestContext", context.build());

        let (body, flag) = self.event_body();
        match body {
            Some(body) => event.str("body", &body),
            None => event.raw("body", "null".to_owned()),
        };
        if let Some(flag) = flag {
            event.raw("isBase64Encoded", flag.to_string());
        }
        event.build()
    }
}

/// The headers the service sees of `pairs`: those `http` accepts, in order.
fn valid_headers(pairs: &[(String, String)]) -> Vec<(HeaderName, HeaderValue)> {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_bytes(value.as_bytes()).ok()?,
            ))
        })
        .collect()
}

/// A well-formed event of one source with arbitrary field values.
///
/// Invariants: no panic and no failed invocation; the service is called unless the method is
/// invalid or a body flagged as base64 is not (then: 400); when called, the source is the one
/// the event was written as, the method and every valid header arrive unchanged, the body is
/// exactly the original bytes (base64-decoded when sent so), the URI is valid with a path
/// starting with `/` and an authority that is the `Host` header when valid, else the
/// `domainName`, never anything from the path or query; the path and query decode to what the
/// client sent; `PathPrefix` + path is the client's path; `cookies[]` join the `Cookie` header
/// without losing it; and the response JSON has the source's shape.
pub fn check_structured_event(input: &StructuredEvent) {
    let event = input.to_json();
    let source = input.expected_source();
    let options = &input.options;
    let shape = match (source, input.source) {
        (EventSource::Alb, kind) => vec![Shape::Alb {
            multi: kind == SourceKind::AlbMulti,
        }],
        (source, _) => Shape::of(source, options.single_value_headers, None),
    };

    let slot: Slot = Arc::default();
    let service = {
        let slot = slot.clone();
        tower::service_fn(move |request: Request<tower_lambda::Body>| {
            let slot = slot.clone();
            async move {
                let seen = record(request).await;
                store(&slot, seen);
                Ok::<_, Infallible>(structured_response())
            }
        })
    };
    let mut serve = Serve::new(service)
        .single_value_headers(options.single_value_headers)
        .forwarded_prefix_header(options.forwarded_prefix_header);
    if options.as_requested {
        serve = serve.path_mode(PathMode::AsRequested);
    }
    if let Some(base) = &options.strip_base_path {
        serve = serve.strip_base_path(base.as_str());
    }

    let json = block_on(serve.invoke(&event)).unwrap_or_else(|error| {
        panic!("a well-formed {source:?} event failed the invocation: {error}\nevent: {event}")
    });
    let reply = parse_reply(&json, &shape);

    let method_valid = Method::from_bytes(input.method_str().as_bytes()).is_ok();
    let want_body = input.expected_body();
    let Some(seen) = take(&slot) else {
        assert!(
            !method_valid || want_body.is_err(),
            "the service was not called for a representable request (valid method and body)\nresponse: {json}\nevent: {event}"
        );
        assert!(
            reply.status == 400 && !reply.base64,
            "a request that cannot be represented gets a 400 text answer\nresponse: {json}\nevent: {event}"
        );
        return;
    };
    assert!(seen.finished, "the service did not finish\nevent: {event}");
    assert!(
        method_valid,
        "the service was called with an invalid method {:?}\nevent: {event}",
        input.method_str()
    );
    assert_eq!(
        seen.source,
        Some(source),
        "the event source detected\nevent: {event}"
    );
    assert_eq!(
        seen.method.as_str(),
        input.method_str(),
        "the method\nevent: {event}"
    );
    match &want_body {
        Ok(want) => assert!(
            seen.body == *want,
            "the service must see exactly the original body bytes ({:?} sent as {:?}, seen {:?})\nevent: {event}",
            want,
            input.body_form,
            seen.body
        ),
        Err(()) => panic!("the service was called although the base64 body is invalid\nevent: {event}"),
    }

    check_structured_headers(input, &seen, &event);
    check_structured_uri(input, source, &seen, &event);

    assert_eq!(
        reply.status, 200,
        "the service's status\nresponse: {json}\nevent: {event}"
    );
    let response = structured_response();
    check_reply_headers(&reply, response.headers(), &json);
    check_reply_body(&reply, b"ok", response.headers(), None, &json);
}

/// What the service answers every structured event with.
fn structured_response() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.append(SET_COOKIE, HeaderValue::from_static("s=1; Path=/"));
    headers.append(SET_COOKIE, HeaderValue::from_static("t=2"));
    response
}

fn check_structured_headers(input: &StructuredEvent, seen: &Seen, event: &str) {
    let options = &input.options;
    let pairs = input.header_pairs();
    let valid = valid_headers(&pairs);
    let payload_2_0 = !input.payload_1_0();
    let exempt = |name: &HeaderName| {
        (payload_2_0 && *name == COOKIE)
            || (options.forwarded_prefix_header && name.as_str() == "x-forwarded-prefix")
    };
    let mut want: BTreeMap<String, Vec<HeaderValue>> = BTreeMap::new();
    for (name, value) in valid.iter().filter(|(name, _)| !exempt(name)) {
        want.entry(name.as_str().to_owned())
            .or_default()
            .push(value.clone());
    }
    let got: BTreeMap<String, Vec<HeaderValue>> = seen
        .headers
        .keys()
        .filter(|name| !exempt(name))
        .map(|name| {
            let values = seen.headers.get_all(name).iter().cloned().collect();
            (name.as_str().to_owned(), values)
        })
        .collect();
    assert_eq!(
        got, want,
        "every valid request header reaches the service, in order, and nothing else\nevent: {event}"
    );

    let prefix = seen.prefix.as_deref().unwrap_or_default();
    if options.forwarded_prefix_header {
        let got: Vec<&[u8]> = seen
            .headers
            .get_all("x-forwarded-prefix")
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let want: Vec<&[u8]> = if prefix.is_empty() {
            Vec::new()
        } else {
            vec![prefix.as_bytes()]
        };
        assert_eq!(
            got, want,
            "X-Forwarded-Prefix is exactly the removed prefix {prefix:?}, never the client's\nevent: {event}"
        );
    }

    if payload_2_0 {
        let original: Vec<&HeaderValue> = valid
            .iter()
            .filter(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value)
            .collect();
        let seen_cookies: Vec<&HeaderValue> = seen.headers.get_all(COOKIE).iter().collect();
        let added: Vec<String> = input
            .cookie_list()
            .unwrap_or_default()
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty() && HeaderValue::from_bytes(c.as_bytes()).is_ok())
            .collect();
        if added.is_empty() {
            assert_eq!(
                seen_cookies, original,
                "without cookies[] the Cookie headers are unchanged\nevent: {event}"
            );
        } else {
            assert_eq!(
                seen_cookies.len(),
                original.len().max(1),
                "cookies[] go into one Cookie header\nevent: {event}"
            );
            assert_eq!(
                seen_cookies[1..],
                original.get(1..).unwrap_or_default()[..],
                "Cookie headers after the first are unchanged\nevent: {event}"
            );
            let first = seen_cookies[0].as_bytes();
            if let Some(original) = original.first() {
                assert!(
                    first.starts_with(original.as_bytes()),
                    "the client's Cookie header {original:?} must be kept when cookies[] are added to it (got {:?})\nevent: {event}",
                    seen_cookies[0]
                );
            }
            for cookie in &added {
                assert!(
                    first
                        .windows(cookie.len())
                        .any(|w| w == cookie.as_bytes()),
                    "the cookie {cookie:?} of cookies[] is missing from the Cookie header {:?}\nevent: {event}",
                    seen_cookies[0]
                );
            }
        }
    }
}

fn check_structured_uri(input: &StructuredEvent, source: EventSource, seen: &Seen, event: &str) {
    let options = &input.options;
    let pairs = input.header_pairs();
    let valid = valid_headers(&pairs);
    let host = valid.iter().find(|(name, _)| *name == HOST).map(|(_, v)| v);
    let domain = input.domain_name();
    let want_authority = expected_authority(host, domain.as_deref());
    check_uri(&seen.uri, want_authority.as_deref(), "request URI", event);
    let client = seen
        .client_url
        .as_ref()
        .unwrap_or_else(|| panic!("the request has no ClientUrl\nevent: {event}"));
    check_uri(client, want_authority.as_deref(), "ClientUrl", event);
    if want_authority.is_some() {
        let proto = valid
            .iter()
            .find(|(name, _)| name.as_str() == "x-forwarded-proto")
            .map(|(_, v)| v.as_bytes());
        let want = if proto.is_some_and(|p| p.eq_ignore_ascii_case(b"http")) {
            "http"
        } else {
            "https"
        };
        assert_eq!(
            seen.uri.scheme_str(),
            Some(want),
            "the scheme\nevent: {event}"
        );
    }

    // The path.
    let prefix = seen
        .prefix
        .as_deref()
        .unwrap_or_else(|| panic!("the request has no PathPrefix\nevent: {event}"));
    if options.as_requested {
        assert!(
            prefix.is_empty() && *client == seen.uri,
            "PathMode::AsRequested: the request URI is the client URL and nothing is removed\nevent: {event}"
        );
    } else {
        let composed = format!("{prefix}{}", seen.uri.path());
        assert!(
            client.path().trim_end_matches('/') == composed.trim_end_matches('/'),
            "PathPrefix {prefix:?} + the routed path {:?} must be the client's path {:?}\nevent: {event}",
            seen.uri.path(), client.path()
        );
    }
    let event_path = input.event_path().unwrap_or_else(|| "/".to_owned());
    let client_path = percent_decode(client.path());
    let decoded_paths = matches!(source, EventSource::HttpApiV1 | EventSource::HttpApiV2);
    if decoded_paths {
        assert!(
            client_path == with_leading_slash(&event_path).as_bytes(),
            "a decoded path must reach the client URL unchanged once decoded ({:?})\nevent: {event}",
            client.path()
        );
    } else {
        let mut candidates = vec![event_path];
        if source == EventSource::RestApi {
            candidates.extend(input.context_path());
        }
        assert!(
            candidates
                .iter()
                .any(|p| client_path == percent_decode(&with_leading_slash(p))),
            "an encoded path must mean the same once escaped ({:?})\nevent: {event}",
            client.path()
        );
    }

    // The query.
    assert_eq!(
        seen.uri.query(),
        client.query(),
        "the request URI and the client URL have the same query\nevent: {event}"
    );
    let query = seen.uri.query();
    match source {
        EventSource::RestApi | EventSource::HttpApiV1 => {
            let want: Vec<(Vec<u8>, Vec<u8>)> = input
                .query_pairs()
                .into_iter()
                .map(|(k, v)| (k.into_bytes(), v.into_bytes()))
                .collect();
            let got: Vec<(Vec<u8>, Vec<u8>)> = query
                .map(|q| {
                    q.split('&')
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').unwrap_or_else(|| {
                                panic!("query parameter {pair:?} has no '='\nevent: {event}")
                            });
                            (percent_decode(k), percent_decode(v))
                        })
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(
                got, want,
                "decoded query parameters must come back one for one ({query:?})\nevent: {event}"
            );
        }
        EventSource::Alb => {
            let joined: Vec<String> = input
                .query_pairs()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            assert_eq!(
                percent_decode(query.unwrap_or_default()),
                percent_decode(&joined.join("&")),
                "ALB query parameters keep their meaning ({query:?})\nevent: {event}"
            );
        }
        _ => {
            assert_eq!(
                percent_decode(query.unwrap_or_default()),
                percent_decode(input.raw_query.as_str()),
                "rawQueryString keeps its meaning ({query:?})\nevent: {event}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Service responses
// ---------------------------------------------------------------------------------------------

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
/// `Set-Cookie` value exactly once; no header value in the JSON contains CR or LF.
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
            let json = block_on(serve.invoke(event)).unwrap_or_else(|error| {
                panic!("the {name} event failed the invocation: {error}\nresponse: {input:?}")
            });
            let shape = match *name {
                "rest_api" | "http_api_v1" if single_value_headers => Shape::SingleValue,
                "rest_api" | "http_api_v1" => Shape::MultiValue,
                "http_api_v2" | "function_url" => Shape::Payload20,
                "alb" => Shape::Alb { multi: false },
                _ => Shape::Alb { multi: true },
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
