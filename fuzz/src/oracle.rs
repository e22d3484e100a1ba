//! The oracle the three targets share: running an event through [`Serve::invoke`] with a
//! recording service, reading the response JSON back (its shape, headers and body), and the
//! checks every target makes of the request URI and of the reply.
//!
//! The adapter's own rules that the checks need (which `Set-Cookie` values a single-value map
//! carries, which domains are Function URLs, which cookies join the `Cookie` header) are not
//! copied here: they come from `tower_lambda::__rules`, so the oracle follows any change to them.
//!
//! [`Serve::invoke`]: tower_lambda::Serve::invoke

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine;
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use tower_lambda::__rules::SET_COOKIE_SPELLINGS;
use tower_lambda::{BodyEncoding, ClientUrl, EventSource, PathPrefix, RequestContext};

/// Findings reported to the library and not fixed yet. Under `cargo fuzz` (which builds with
/// `--cfg fuzzing`) the checks step around each one, so that fuzzing goes on to find new
/// problems; elsewhere (the regression tests) they are enforced, so the saved input fails until
/// the library is fixed. Add a variant when a finding is reported (and check
/// `tolerate(KnownIssue::...)` where the invariant fails); delete it once the fix is in.
///
/// None is open. The two findings of the first runs (`regressions/structured_event/*`) are
/// fixed, and so is the third (a `Connection` value with a non-ASCII byte hid the headers it
/// named from the hop-by-hop rule; `tests/it/fuzz_regressions.rs`'s
/// `a_connection_value_with_non_ascii_bytes_still_removes_what_it_names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum KnownIssue {}

/// Whether the checks step around `issue` (only under `cargo fuzz`).
#[allow(dead_code, unexpected_cfgs)]
pub(crate) fn tolerate(issue: KnownIssue) -> bool {
    match issue {}
}

/// Runs a future on one current-thread runtime per process.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread tokio runtime")
        })
        .block_on(future)
}

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
pub(crate) enum Shape {
    /// REST API and HTTP API 1.0: `multiValueHeaders`.
    MultiValue,
    /// REST API and HTTP API 1.0 with `single_value_headers`: `headers`.
    SingleValue,
    /// HTTP API 2.0 and Function URLs: `headers` and `cookies`.
    Payload20,
    /// ALB: `statusDescription`, and the header map the request used.
    Alb { multi: bool },
    /// VPC Lattice (V1 and V2) and WebSocket APIs: `headers` only (one string per name, repeats
    /// joined with `", "`, each `Set-Cookie` under its own letter-case spelling), `body` always a
    /// string; no `statusDescription`, `multiValueHeaders` or `cookies`.
    Folded,
}

pub(crate) const ALL_SHAPES: [Shape; 6] = [
    Shape::MultiValue,
    Shape::SingleValue,
    Shape::Payload20,
    Shape::Alb { multi: false },
    Shape::Alb { multi: true },
    Shape::Folded,
];

impl Shape {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::MultiValue => &["statusCode", "multiValueHeaders", "body", "isBase64Encoded"],
            Self::SingleValue | Self::Folded => {
                &["statusCode", "headers", "body", "isBase64Encoded"]
            }
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
    pub(crate) fn of(
        source: EventSource,
        single_value_headers: bool,
        alb_multi: Option<bool>,
    ) -> Vec<Self> {
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
            EventSource::VpcLatticeV1 | EventSource::VpcLatticeV2 | EventSource::WebSocket => {
                vec![Self::Folded]
            }
            other => panic!("a new event source {other:?}: teach the fuzz checks its shape"),
        }
    }
}

/// A response JSON, read and checked against its shape.
#[derive(Debug)]
pub(crate) struct Reply {
    shape: Shape,
    pub(crate) status: u16,
    /// `headers` (single value).
    headers: Vec<(String, String)>,
    /// `multiValueHeaders`.
    multi: Vec<(String, Vec<String>)>,
    cookies: Vec<String>,
    body: String,
    pub(crate) base64: bool,
}

/// Checks that no key of the map `field` is written twice.
fn no_key_twice(field: &str, map: &[(String, Json)], json: &str) {
    let mut names: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(
        before,
        names.len(),
        "`{field}` has a key twice\nresponse: {json}"
    );
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
pub(crate) fn parse_reply(json: &str, allowed: &[Shape]) -> Reply {
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
                no_key_twice("headers", headers, json);
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
                no_key_twice("multiValueHeaders", headers, json);
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

/// The hop-by-hop headers (RFC 9110 §7.6.1, and the `Keep-Alive` and `Proxy-Connection` of older
/// HTTP/1.x): meaningful for one connection only, never forwarded to a gateway.
pub(crate) const HOP_BY_HOP: &[&str] = &[
    "connection",
    "transfer-encoding",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

/// `headers` as a gateway may receive them: without the hop-by-hop headers, nor the headers the
/// `Connection` header names (its comma-separated elements, optional whitespace around them;
/// an element that is not a header name names nothing).
pub(crate) fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    let listed = connection_options(headers.get_all(CONNECTION));
    let mut kept = HeaderMap::new();
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && !listed.contains(name) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// The header names that `Connection` values name.
fn connection_options<'v>(values: impl IntoIterator<Item = &'v HeaderValue>) -> Vec<HeaderName> {
    values
        .into_iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b','))
        .filter_map(|element| HeaderName::from_bytes(element.trim_ascii()).ok())
        .collect()
}

/// Checks that the reply carries every header of `headers` in its source's shape, every
/// `Set-Cookie` value exactly once, and no hop-by-hop header (nor one that `Connection` names).
pub(crate) fn check_reply_headers(reply: &Reply, headers: &HeaderMap, json: &str) {
    let hop_by_hop: Vec<&str> = reply
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(reply.multi.iter().map(|(name, _)| name.as_str()))
        .filter(|name| HOP_BY_HOP.iter().any(|hop| hop.eq_ignore_ascii_case(name)))
        .collect();
    assert!(
        hop_by_hop.is_empty(),
        "the reply carries the hop-by-hop headers {hop_by_hop:?}\nresponse: {json}"
    );
    let headers = &without_hop_by_hop(headers);
    let reply_headers: Vec<(String, String)> = reply.headers.clone();
    let reply_multi: Vec<(String, Vec<String>)> = reply.multi.clone();
    let reply_cookies: Vec<String> = reply.cookies.clone();
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
            let got: BTreeMap<String, Vec<String>> = reply_multi.iter().cloned().collect();
            assert_eq!(
                got, want,
                "multiValueHeaders must hold every header value, Set-Cookie included\nresponse: {json}"
            );
        }
        Shape::SingleValue | Shape::Alb { multi: false } | Shape::Folded => {
            let (cookie_entries, others): (Vec<_>, Vec<_>) = reply_headers
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
                !reply_headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("set-cookie")),
                "payload 2.0 `headers` must not carry Set-Cookie (it goes to `cookies`)\nresponse: {json}"
            );
            let got: BTreeMap<String, String> = reply_headers.iter().cloned().collect();
            assert_eq!(
                got,
                joined(","),
                "payload 2.0 headers must hold every header, repeats joined with \",\"\nresponse: {json}"
            );
            assert_eq!(
                reply_cookies, set_cookies,
                "every Set-Cookie value must appear exactly once, in order, in `cookies`\nresponse: {json}"
            );
        }
    }
}

/// Checks that the reply's body decodes to exactly `body`, and the documented parts of the
/// text/base64 rule.
pub(crate) fn check_reply_body(
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
    if let Some(ws) = context.websocket() {
        let _ = (
            ws.connection_id(),
            ws.route_key(),
            ws.event_type(),
            ws.message_id(),
        );
        let _ = (
            ws.connected_at(),
            ws.request_time_epoch(),
            ws.stage(),
            ws.domain_name(),
        );
        let _ = (
            ws.api_id(),
            ws.request_id(),
            ws.user_agent(),
            ws.iam_user_arn(),
        );
        let _ = (ws.disconnect_status_code(), ws.disconnect_reason());
        let _ = ws.authorizer_context().map(|fields| fields.len());
        let _ = (ws.callback_url_in(Some("us-east-1")), ws.connection_url());
    }
    if let Some(lattice) = context.vpc_lattice() {
        let _ = (lattice.service_network_arn(), lattice.service_arn());
        let _ = (lattice.target_group_arn(), lattice.region());
        let _ = lattice.time_epoch_micros();
        if let Some(id) = lattice.identity() {
            let _ = (id.source_vpc_arn(), id.identity_type(), id.principal());
            let _ = (
                id.principal_org_id(),
                id.session_name(),
                id.x509_issuer_ou(),
            );
            let _ = (id.x509_san_dns(), id.x509_san_name_cn(), id.x509_san_uri());
            let _ = id.x509_subject_cn();
        }
    }
    let _ = format!("{context:?}");
    context.source()
}

/// What the service saw of one request.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) source: Option<EventSource>,
    pub(crate) prefix: Option<String>,
    pub(crate) client_url: Option<Uri>,
    /// False when the service did not get to its end (it panicked; the adapter then answers 500).
    pub(crate) finished: bool,
}

pub(crate) type Slot = Arc<Mutex<Option<Seen>>>;

pub(crate) fn take(slot: &Slot) -> Option<Seen> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// What the service saw. Assertions cannot run inside the service (the adapter catches its
/// panics and answers 500): it records, and the checks run once `invoke` returns.
pub(crate) async fn record(request: Request<tower_lambda::Body>) -> Seen {
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

pub(crate) fn store(slot: &Slot, mut seen: Seen) {
    seen.finished = true;
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(seen);
}

/// Checks the request URI: a valid URI whose path starts with `/`, that reads back the same, and
/// whose authority is `want_authority`.
pub(crate) fn check_uri(uri: &Uri, want_authority: Option<&str>, what: &str, event: &str) {
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
pub(crate) fn expected_authority(
    host: Option<&HeaderValue>,
    domain: Option<&str>,
) -> Option<String> {
    host.and_then(|h| Authority::try_from(h.as_bytes()).ok())
        .or_else(|| domain.and_then(|d| Authority::try_from(d).ok()))
        .map(|a| a.as_str().to_owned())
}

/// A response body made of several frames, optionally followed by trailers.
pub(crate) struct Frames {
    pub(crate) chunks: VecDeque<Bytes>,
    pub(crate) trailers: Option<HeaderMap>,
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
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Standard base64, padding optional: how API Gateway's base64 bodies are read.
pub(crate) fn lenient_base64() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}
