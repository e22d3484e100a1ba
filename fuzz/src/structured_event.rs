//! The `structured_event` target: a well-formed event of one source, written the way that
//! source writes it, with arbitrary field values.
//!
//! Structured inputs saved in `regressions/structured_event/` decode field by field in the order
//! below (`Arbitrary`): new fields go into the variant data of a new [`SourceKind`] (read only
//! when that variant is chosen), so that older saved inputs keep their meaning; only the variant
//! count changes their first four bytes' mapping, and those were re-encoded when it changed.

use arbitrary::Arbitrary;
use base64::Engine;
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE, COOKIE, HOST, SET_COOKIE, TRANSFER_ENCODING};
use http::{HeaderName, HeaderValue, Method, Request, Response};
use http_body_util::Full;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use tower_lambda::__rules::{cookie_to_add, is_function_url_domain};
use tower_lambda::{EventSource, PathMode, Serve};

use super::oracle::{
    block_on, check_reply_body, check_reply_headers, check_uri, expected_authority, lenient_base64,
    parse_reply, record, store, take, Seen, Shape, Slot, Text,
};

/// Which event source, and in what form, a structured event is written as.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    RestApi,
    HttpApiV1,
    HttpApiV2,
    FunctionUrl,
    /// ALB, target group without multi-value headers.
    Alb,
    /// ALB, target group with multi-value headers.
    AlbMulti,
    /// VPC Lattice, event structure V1: snake-case keys (`raw_path`, `query_string_parameters`,
    /// `is_base64_encoded`), `headers` and the query map one string per key, no request context.
    VpcLatticeV1(LatticeForm),
    /// VPC Lattice, event structure V2: `"version": "2.0"`, `path`, `headers` and
    /// `queryStringParameters` as lists of values, a `requestContext`.
    VpcLatticeV2(LatticeForm),
    /// An API Gateway WebSocket API event: no method or path, a `requestContext` with `routeKey`,
    /// `eventType` and `connectionId`.
    WebSocket(WebSocketForm),
}

/// How a VPC Lattice event carries the query and repeated headers.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatticeForm {
    /// The path is followed by `?{raw_query}`, as Lattice passes the client's query on (the
    /// path may also hold a `?` of its own); the query map carries `query` either way.
    pub query_in_path: bool,
    /// V1: one `headers` key per name with its values joined by `", "`, as Lattice writes
    /// repeated headers; else one key per value (a hand-written event).
    pub join_repeats: bool,
}

/// An API Gateway WebSocket event and the `Serve::websocket_path` it is served under.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct WebSocketForm {
    pub route: WebSocketRoute,
    /// An index into [`WEBSOCKET_PATHS`] for `Serve::websocket_path`; `None`: the default.
    pub websocket_path: Option<u8>,
}

/// The WebSocket event type and route key.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum WebSocketRoute {
    /// `$connect` (`CONNECT`): the handshake's header maps and query maps, no body.
    Connect,
    /// A message (`MESSAGE`) on a route key: the frame is the body; no headers.
    Message(RouteKey),
    /// `$disconnect` (`DISCONNECT`): header maps, no body.
    Disconnect,
}

#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum RouteKey {
    Known(u8),
    Other(Text),
}

const ROUTE_KEYS: &[&str] = &[
    "$default",
    "sendmessage",
    "$connect",
    "$disconnect",
    "a/b",
    "",
    ".",
    "..",
    "%41",
    "%2F",
    "?x=1#y",
    "caf\u{e9} \u{1f600}",
];

/// `Serve::websocket_path` values: the default, the root, and spellings with extra slashes.
pub const WEBSOCKET_PATHS: &[&str] = &["/ws", "", "/", "/chat", "chat/", "/a/b/", "//x//"];

impl WebSocketForm {
    fn route_key(&self) -> String {
        match &self.route {
            WebSocketRoute::Connect => "$connect".to_owned(),
            WebSocketRoute::Disconnect => "$disconnect".to_owned(),
            WebSocketRoute::Message(RouteKey::Known(i)) => {
                ROUTE_KEYS[usize::from(*i) % ROUTE_KEYS.len()].to_owned()
            }
            WebSocketRoute::Message(RouteKey::Other(text)) => text.0.clone(),
        }
    }

    fn event_type(&self) -> &'static str {
        match self.route {
            WebSocketRoute::Connect => "CONNECT",
            WebSocketRoute::Message(_) => "MESSAGE",
            WebSocketRoute::Disconnect => "DISCONNECT",
        }
    }

    fn websocket_path(&self) -> Option<&'static str> {
        self.websocket_path
            .map(|i| WEBSOCKET_PATHS[usize::from(i) % WEBSOCKET_PATHS.len()])
    }

    /// The path the route keys go under: one leading `/`, no trailing one, `""` for the root.
    fn expected_prefix(&self) -> String {
        let trimmed = self.websocket_path().unwrap_or("/ws").trim_matches('/');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        }
    }
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

impl StructuredEvent {
    fn payload_1_0(&self) -> bool {
        matches!(
            self.source,
            SourceKind::RestApi | SourceKind::HttpApiV1 | SourceKind::Alb | SourceKind::AlbMulti
        )
    }

    /// HTTP API 2.0 and Function URLs: `rawPath`, `rawQueryString`, `cookies[]`.
    fn payload_2_0(&self) -> bool {
        matches!(self.source, SourceKind::HttpApiV2 | SourceKind::FunctionUrl)
    }

    /// The Lattice form, and whether the event is V2.
    fn lattice(&self) -> Option<(LatticeForm, bool)> {
        match &self.source {
            SourceKind::VpcLatticeV1(form) => Some((*form, false)),
            SourceKind::VpcLatticeV2(form) => Some((*form, true)),
            _ => None,
        }
    }

    fn websocket(&self) -> Option<&WebSocketForm> {
        match &self.source {
            SourceKind::WebSocket(form) => Some(form),
            _ => None,
        }
    }

    /// The method the service must see: the event's, or for WebSocket events `GET` for
    /// `$connect` and `POST` for every other event.
    fn expected_method(&self) -> &str {
        match self.websocket() {
            Some(ws) if ws.route == WebSocketRoute::Connect => "GET",
            Some(_) => "POST",
            None => self.method_str(),
        }
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

    /// The header pairs the event's maps carry: none on a WebSocket message; a Lattice V1 event
    /// that joins repeats has one pair per name (first-seen order), its values joined with `", "`.
    fn written_headers(&self) -> Vec<(String, String)> {
        let pairs = self.header_pairs();
        if let Some(ws) = self.websocket() {
            if let WebSocketRoute::Message(_) = ws.route {
                return Vec::new();
            }
        }
        match self.lattice() {
            Some((form, false)) if form.join_repeats => {
                let mut joined: Vec<(String, String)> = Vec::new();
                for (name, value) in pairs {
                    match joined.iter_mut().find(|(known, _)| *known == name) {
                        Some((_, values)) => {
                            values.push_str(", ");
                            values.push_str(&value);
                        }
                        None => joined.push((name, value)),
                    }
                }
                joined
            }
            _ => pairs,
        }
    }

    /// The query pairs the event's maps carry (a WebSocket event has them on `$connect` only).
    fn written_query(&self) -> Vec<(String, String)> {
        match self.websocket() {
            Some(ws) if ws.route != WebSocketRoute::Connect => Vec::new(),
            _ => self.query_pairs(),
        }
    }

    /// A Lattice event's path field (`raw_path` / `path`): the path, and `?{raw_query}` after it
    /// when the form says so.
    fn lattice_target(&self) -> Option<String> {
        let (form, _) = self.lattice()?;
        let path = self.event_path();
        if form.query_in_path {
            Some(format!(
                "{}?{}",
                path.unwrap_or_default(),
                self.raw_query.as_str()
            ))
        } else {
            path
        }
    }

    fn cookie_list(&self) -> Option<Vec<String>> {
        self.cookies
            .as_ref()
            .map(|c| c.iter().take(MAX_COOKIES).map(|t| t.0.clone()).collect())
    }

    fn header_form(&self) -> MapForm {
        match (&self.source, self.header_form) {
            (SourceKind::Alb, _) => MapForm::Single,
            (SourceKind::AlbMulti, MapForm::Single) => MapForm::Multi,
            (_, form) => form,
        }
    }

    fn query_form(&self) -> MapForm {
        match (&self.source, self.query_form) {
            (SourceKind::Alb, _) => MapForm::Single,
            (SourceKind::AlbMulti, MapForm::Single) => MapForm::Multi,
            (_, form) => form,
        }
    }

    /// `requestContext.domainName` as written (Lattice events have none).
    fn domain_name(&self) -> Option<String> {
        if self.lattice().is_some() {
            return None;
        }
        match (&self.domain, &self.source) {
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
        match &self.source {
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
            SourceKind::VpcLatticeV1(_) => EventSource::VpcLatticeV1,
            SourceKind::VpcLatticeV2(_) => EventSource::VpcLatticeV2,
            SourceKind::WebSocket(_) => EventSource::WebSocket,
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

    /// Whether the event has a `body` key: WebSocket `$connect` and `$disconnect` events have
    /// none (and `"isBase64Encoded": false`).
    fn writes_body(&self) -> bool {
        self.websocket()
            .is_none_or(|ws| matches!(ws.route, WebSocketRoute::Message(_)))
    }

    /// The body as the event carries it, and whether it is flagged as base64.
    fn event_body(&self) -> (Option<String>, Option<bool>) {
        if !self.writes_body() {
            return (None, Some(false));
        }
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
        if !self.writes_body() {
            return Ok(Vec::new());
        }
        match (self.body_form, self.event_body()) {
            (BodyForm::Base64, _) => Ok(self.body.clone()),
            (_, (None, _)) => Ok(Vec::new()),
            (_, (Some(body), Some(true))) => lenient_base64().decode(body).map_err(drop),
            (_, (Some(body), _)) => Ok(body.into_bytes()),
        }
    }

    /// The event JSON, written the way its source writes it.
    pub fn to_json(&self) -> String {
        match &self.source {
            SourceKind::VpcLatticeV1(_) | SourceKind::VpcLatticeV2(_) => self.lattice_json(),
            SourceKind::WebSocket(ws) => self.websocket_json(ws),
            _ => self.gateway_json(),
        }
    }

    /// `"body"` and the base64 flag under `flag_key`.
    fn write_body(&self, event: &mut Obj, flag_key: &str) {
        let (body, flag) = self.event_body();
        if self.writes_body() {
            match body {
                Some(body) => event.str("body", &body),
                None => event.raw("body", "null".to_owned()),
            };
        }
        if let Some(flag) = flag {
            event.raw(flag_key, flag.to_string());
        }
    }

    /// A VPC Lattice event, V1 or V2.
    fn lattice_json(&self) -> String {
        let (_, v2) = self.lattice().expect("a Lattice source");
        let mut event = Obj::default();
        let headers = self.written_headers();
        let query = self.written_query();
        let path_key = if v2 {
            event.str("version", "2.0");
            "path"
        } else {
            "raw_path"
        };
        if let Some(target) = self.lattice_target() {
            event.str(path_key, &target);
        }
        event.str("method", self.method_str());
        if v2 {
            event
                .raw("headers", multi_map(&headers))
                .raw("queryStringParameters", multi_map(&query));
            let mut identity = Obj::default();
            identity.str(
                "sourceVpcArn",
                "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339",
            );
            if let Some(principal) = &self.source_ip {
                identity
                    .str("type", "AWS_IAM")
                    .str("principal", principal.as_str());
            }
            let context = Obj::default()
                .str("serviceNetworkArn", "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0bf3f2882e9cc805a")
                .str("serviceArn", "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0a40eebed65f8d69c")
                .str("targetGroupArn", "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-6d0ecf831eec9f09")
                .raw("identity", identity.build())
                .str("region", "us-east-1")
                .str("timeEpoch", "1700000000000000")
                .build();
            event.raw("requestContext", context);
            self.write_body(&mut event, "isBase64Encoded");
        } else {
            event
                .raw("headers", single_map(&headers))
                .raw("query_string_parameters", single_map(&query));
            self.write_body(&mut event, "is_base64_encoded");
        }
        event.build()
    }

    /// An API Gateway WebSocket API event.
    fn websocket_json(&self, ws: &WebSocketForm) -> String {
        let mut event = Obj::default();
        let mut context = Obj::default();
        let headers = self.written_headers();
        let query = self.written_query();
        context
            .str("routeKey", &ws.route_key())
            .str("eventType", ws.event_type())
            .str("connectionId", "R0oXAdfD0kwCH6w=")
            .raw("connectedAt", "1700000000000".to_owned())
            .raw("requestTimeEpoch", "1700000000500".to_owned())
            .str("messageDirection", "IN")
            .str("apiId", "abc123")
            .str("requestId", "fuzz-request-id");
        if let Some(domain) = self.domain_name() {
            context.str("domainName", &domain);
        }
        if let Some(stage) = &self.stage {
            context.str("stage", stage.as_str());
        }
        if let Some(ip) = &self.source_ip {
            context.raw(
                "identity",
                Obj::default().str("sourceIp", ip.as_str()).build(),
            );
        }
        match ws.route {
            WebSocketRoute::Message(_) => {
                context.str("messageId", "Fzr0zflBoAMCI2g=");
            }
            WebSocketRoute::Connect | WebSocketRoute::Disconnect => {
                match self.header_form() {
                    MapForm::Single => event.raw("headers", single_map(&headers)),
                    MapForm::Multi => event.raw("multiValueHeaders", multi_map(&headers)),
                    MapForm::Both => event
                        .raw("headers", single_map(&headers))
                        .raw("multiValueHeaders", multi_map(&headers)),
                };
            }
        }
        if ws.route == WebSocketRoute::Connect {
            match self.query_form() {
                MapForm::Single => event.raw("queryStringParameters", single_map(&query)),
                MapForm::Multi => event.raw("multiValueQueryStringParameters", multi_map(&query)),
                MapForm::Both => event
                    .raw("queryStringParameters", single_map(&query))
                    .raw("multiValueQueryStringParameters", multi_map(&query)),
            };
        }
        if ws.route == WebSocketRoute::Disconnect {
            context
                .raw("disconnectStatusCode", "1005".to_owned())
                .str("disconnectReason", "Client-side close frame status not set");
        }
        event.raw("requestContext", context.build());
        self.write_body(&mut event, "isBase64Encoded");
        event.build()
    }

    /// An API Gateway (REST, HTTP API), Function URL or ALB event.
    fn gateway_json(&self) -> String {
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
        self.write_body(&mut event, "isBase64Encoded");
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
/// without losing it; and the response JSON has the source's shape, the service's cookies and
/// none of its hop-by-hop headers.
///
/// VPC Lattice: no `domainName` is ever the authority; the query is the path's when the path
/// field has a `?`, else the map's. WebSocket: the method is `GET` for `$connect` and `POST`
/// otherwise; the path is `{websocket_path}/` + the route key as exactly one percent-encoded
/// segment; the query comes from `$connect`'s maps; a message without `Content-Type` gets the
/// documented one.
pub fn check_structured_event(input: &StructuredEvent) {
    let event = input.to_json();
    let source = input.expected_source();
    let options = &input.options;
    let shape = match (source, &input.source) {
        (EventSource::Alb, kind) => vec![Shape::Alb {
            multi: *kind == SourceKind::AlbMulti,
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
    if let Some(path) = input.websocket().and_then(WebSocketForm::websocket_path) {
        serve = serve.websocket_path(path);
    }

    let json = block_on(serve.invoke(&event)).unwrap_or_else(|error| {
        panic!("a well-formed {source:?} event failed the invocation: {error}\nevent: {event}")
    });
    let reply = parse_reply(&json, &shape);

    let method_valid = Method::from_bytes(input.expected_method().as_bytes()).is_ok();
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
        input.expected_method()
    );
    assert_eq!(
        seen.source,
        Some(source),
        "the event source detected\nevent: {event}"
    );
    assert_eq!(
        seen.method.as_str(),
        input.expected_method(),
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

/// What the service answers every structured event with: two cookies, and hop-by-hop headers
/// (one that `Connection` names) that must not reach the gateway.
fn structured_response() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.append(SET_COOKIE, HeaderValue::from_static("s=1; Path=/"));
    headers.append(SET_COOKIE, HeaderValue::from_static("t=2"));
    headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, X-Hop"));
    headers.insert("x-hop", HeaderValue::from_static("1"));
    headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    response
}

fn check_structured_headers(input: &StructuredEvent, seen: &Seen, event: &str) {
    let options = &input.options;
    let pairs = input.written_headers();
    let valid = valid_headers(&pairs);
    let payload_2_0 = input.payload_2_0();
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
    if let Some(ws) = input.websocket() {
        // A message frame without a Content-Type (API Gateway sends none) gets one: JSON when it
        // parses as JSON, else text; bytes when the event flagged it as base64.
        let body = input.expected_body().unwrap_or_default();
        let message = matches!(ws.route, WebSocketRoute::Message(_));
        if message && !body.is_empty() && !want.contains_key(CONTENT_TYPE.as_str()) {
            let frame_type = if input.event_body().1 == Some(true) {
                "application/octet-stream"
            } else if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            want.insert(
                CONTENT_TYPE.as_str().to_owned(),
                vec![HeaderValue::from_static(frame_type)],
            );
        }
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
            .filter_map(|c| cookie_to_add(c).map(str::to_owned))
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
    let pairs = input.written_headers();
    let valid = valid_headers(&pairs);
    let host = valid.iter().find(|(name, _)| *name == HOST).map(|(_, v)| v);
    let domain = input.domain_name();
    let want_authority = expected_authority(host, domain.as_deref());
    // The request URI is in origin form; the authority is the ClientUrl's.
    check_uri(&seen.uri, None, "request URI", event);
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
            client.scheme_str(),
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
            prefix.is_empty() && client.path_and_query() == seen.uri.path_and_query(),
            "PathMode::AsRequested: the request URI has the client URL's path and query, and nothing is removed\nevent: {event}"
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
    // A Lattice event's path field holds the query after the first `?`.
    let lattice_target = input.lattice().map(|_| {
        let target = input.lattice_target().unwrap_or_else(|| "/".to_owned());
        match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (target, None),
        }
    });
    if let Some(ws) = input.websocket() {
        let prefix = ws.expected_prefix();
        let key = ws.route_key();
        let path = seen.uri.path();
        assert_eq!(
            client.path(),
            path,
            "a WebSocket request's ClientUrl path is its path\nevent: {event}"
        );
        let segment = path
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or_else(|| {
                panic!("the WebSocket path {path:?} is not under {prefix:?}/\nevent: {event}")
            });
        assert!(
            !segment.contains(['/', '?', '#']),
            "the route key {key:?} must be one path segment under {prefix:?}, not {segment:?}\nevent: {event}"
        );
        assert!(
            percent_decode(segment) == key.as_bytes(),
            "the path segment {segment:?} must decode to the route key {key:?}\nevent: {event}"
        );
    } else if let Some((path, _)) = &lattice_target {
        assert!(
            client_path == percent_decode(&with_leading_slash(path)),
            "a Lattice path (before its '?') must mean the same once escaped ({:?})\nevent: {event}",
            client.path()
        );
    } else if decoded_paths {
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
        EventSource::RestApi | EventSource::HttpApiV1 | EventSource::WebSocket => {
            let want: Vec<(Vec<u8>, Vec<u8>)> = input
                .written_query()
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
        EventSource::VpcLatticeV1 | EventSource::VpcLatticeV2 => {
            let (_, in_path) = lattice_target.expect("a Lattice source");
            let want = match in_path {
                Some(raw) => raw,
                None => joined_pairs(&input.written_query()),
            };
            assert_eq!(
                percent_decode(query.unwrap_or_default()),
                percent_decode(&want),
                "a Lattice query (the path's, else the map's) keeps its meaning ({query:?})\nevent: {event}"
            );
        }
        EventSource::Alb => {
            assert_eq!(
                percent_decode(query.unwrap_or_default()),
                percent_decode(&joined_pairs(&input.query_pairs())),
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

/// `k=v&k=v`, the pairs as they are.
fn joined_pairs(pairs: &[(String, String)]) -> String {
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    joined.join("&")
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
