//! The events each source sends for an ordinary HTTP request ([`EventBuilder`], [`Shape`]) and
//! the response JSON read back as HTTP ([`TestResponse`]): what local mode emulates sources with,
//! and what the public [`testing`](crate::testing) module hands tests. Below both, so that
//! neither production code nor tests import the other.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

use crate::context::EventSource;

/// Which source's event to build, and in which variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Shape {
    /// API Gateway REST API.
    RestApi,
    /// HTTP API, payload format 1.0.
    HttpApiV1,
    /// HTTP API, payload format 2.0.
    HttpApiV2,
    /// Lambda Function URL.
    FunctionUrl,
    /// ALB with multi-value headers off.
    Alb,
    /// ALB with multi-value headers on.
    AlbMultiValue,
    /// VPC Lattice, event structure version V1.
    VpcLatticeV1,
    /// VPC Lattice, event structure version V2.
    VpcLatticeV2,
    /// API Gateway WebSocket API. The builder's target names the route key (`/$connect?room=a`,
    /// `/sendmessage`, `/$disconnect`); `$connect` carries the headers and the query, a message
    /// the body.
    WebSocket,
}

impl From<EventSource> for Shape {
    fn from(source: EventSource) -> Self {
        match source {
            EventSource::RestApi => Self::RestApi,
            EventSource::HttpApiV1 => Self::HttpApiV1,
            EventSource::HttpApiV2 => Self::HttpApiV2,
            EventSource::FunctionUrl => Self::FunctionUrl,
            EventSource::Alb => Self::Alb,
            EventSource::VpcLatticeV1 => Self::VpcLatticeV1,
            EventSource::VpcLatticeV2 => Self::VpcLatticeV2,
            EventSource::WebSocket => Self::WebSocket,
        }
    }
}

/// Builds the event JSON a source sends for an HTTP request: stage, encoding, header and query
/// maps, cookies and base64 exactly where that source puts them.
///
/// ```
/// use tower_lambda::testing::{EventBuilder, Shape};
///
/// let event = EventBuilder::new(Shape::HttpApiV2, "POST", "/items?tag=a&tag=b")
///     .header("cookie", "session=1; theme=dark")
///     .body("{\"name\":\"widget\"}")
///     .stage("dev")
///     .build();
/// let json: serde_json::Value = serde_json::from_str(&event).unwrap();
/// assert_eq!(json["rawPath"], "/dev/items");
/// assert_eq!(json["rawQueryString"], "tag=a&tag=b");
/// assert_eq!(json["cookies"], serde_json::json!(["session=1", "theme=dark"]));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct EventBuilder {
    shape: Shape,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    base64: Option<bool>,
    stage: Option<String>,
    source_ip: String,
    connection_id: String,
}

impl EventBuilder {
    /// Every HTTP source's shape, for running one test across all of them. (WebSocket events
    /// are not HTTP requests for a path of the client's choosing: build them with
    /// [`Shape::WebSocket`].)
    pub const SOURCES: [Shape; 8] = [
        Shape::RestApi,
        Shape::HttpApiV1,
        Shape::HttpApiV2,
        Shape::FunctionUrl,
        Shape::Alb,
        Shape::AlbMultiValue,
        Shape::VpcLatticeV1,
        Shape::VpcLatticeV2,
    ];

    /// A request for `target` (a path with an optional query, percent-encoded as a client sends
    /// it, e.g. `/search?q=caf%C3%A9`).
    pub fn new(shape: impl Into<Shape>, method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            shape: shape.into(),
            method: method.to_owned(),
            path: if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            },
            query: query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            base64: None,
            stage: None,
            source_ip: "203.0.113.7".to_owned(),
            connection_id: "R0oXAdfD0kwCH6w=".to_owned(),
        }
    }

    /// Adds a header (repeat it for several values).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The request body. It is sent base64-encoded when it is not UTF-8 (see [`Self::base64`]).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Forces the body to be sent base64-encoded (`true`) or as text (`false`, UTF-8 only).
    pub fn base64(mut self, base64: bool) -> Self {
        self.base64 = Some(base64);
        self
    }

    /// The API Gateway stage the request came through, as part of the URL (REST APIs and HTTP
    /// APIs; ignored by Function URLs and ALB).
    pub fn stage(mut self, stage: &str) -> Self {
        self.stage = Some(stage.to_owned());
        self
    }

    /// The WebSocket connection the event is on ([`Shape::WebSocket`] only; default
    /// `R0oXAdfD0kwCH6w=`), to test what one connection sends another.
    pub fn connection_id(mut self, id: &str) -> Self {
        self.connection_id = id.to_owned();
        self
    }

    /// The client's IP address as the source records it.
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    fn host(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str())
    }

    fn body_json(&self) -> (Value, bool) {
        if self.body.is_empty() {
            return (Value::Null, false);
        }
        match (self.base64, std::str::from_utf8(&self.body)) {
            (Some(false) | None, Ok(text)) => (json!(text), false),
            _ => (
                json!(base64::engine::general_purpose::STANDARD.encode(&self.body)),
                true,
            ),
        }
    }

    /// The event, as JSON text.
    pub fn build(&self) -> String {
        let (body, is_base64) = self.body_json();
        let event = match self.shape {
            Shape::RestApi | Shape::HttpApiV1 => self.payload_1_0(body, is_base64),
            Shape::HttpApiV2 | Shape::FunctionUrl => self.payload_2_0(body, is_base64),
            Shape::Alb | Shape::AlbMultiValue => self.alb(body, is_base64),
            Shape::VpcLatticeV1 | Shape::VpcLatticeV2 => self.vpc_lattice(body, is_base64),
            Shape::WebSocket => self.websocket(body, is_base64),
        };
        event.to_string()
    }

    /// The target as the client sent it: the path and, when there is one, the query.
    fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    fn vpc_lattice(&self, body: Value, is_base64: bool) -> Value {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        // Lattice adds the client's address to every request.
        headers.push(("x-forwarded-for".to_owned(), self.source_ip.clone()));
        // The documented path carries the query as sent; the maps hold it too.
        let pairs: Vec<(String, String)> = split_query(&self.query)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if self.shape == Shape::VpcLatticeV1 {
            return json!({
                "raw_path": self.target(),
                "method": self.method,
                "headers": single_map(&headers, ", "),
                "query_string_parameters": last_value_map(&pairs),
                "body": if body.is_null() { json!("") } else { body },
                "is_base64_encoded": is_base64
            });
        }
        json!({
            "version": "2.0",
            "path": self.target(),
            "method": self.method,
            "headers": multi_map(&headers),
            "queryStringParameters": multi_map(&pairs),
            "body": body,
            "isBase64Encoded": is_base64,
            "requestContext": {
                "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0bf3f2882e9cc805a",
                "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0a40eebed65f8d69c",
                "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-6d0ecf831eec9f09",
                "identity": {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339"},
                "region": "us-east-1",
                "timeEpoch": "1700000000000000"
            }
        })
    }

    fn websocket(&self, body: Value, is_base64: bool) -> Value {
        let route_key = decode(self.path.trim_start_matches('/'));
        let event_type = match route_key.as_str() {
            "$connect" => "CONNECT",
            "$disconnect" => "DISCONNECT",
            _ => "MESSAGE",
        };
        let domain = self
            .host()
            .unwrap_or("abc123.execute-api.us-east-1.amazonaws.com")
            .to_owned();
        let mut context = json!({
            "routeKey": route_key, "eventType": event_type, "connectionId": self.connection_id,
            "connectedAt": 1_700_000_000_000u64, "requestTimeEpoch": 1_700_000_000_500u64,
            "requestTime": "14/Nov/2023:22:13:20 +0000", "messageDirection": "IN",
            "domainName": domain, "stage": self.stage.as_deref().unwrap_or("production"),
            "apiId": "abc123", "requestId": "Fzr0zGmvoAMFa5A=", "extendedRequestId": "Fzr0zGmvoAMFa5A=",
            "identity": {"sourceIp": self.source_ip, "userAgent": self.header_value("user-agent")}
        });
        let mut event = json!({"requestContext": {}, "isBase64Encoded": false});
        match event_type {
            "MESSAGE" => {
                context["messageId"] = json!("Fzr0zflBoAMCI2g=");
                event["body"] = body;
                event["isBase64Encoded"] = json!(is_base64);
            }
            _ => {
                event["headers"] = single_map(&self.headers, ", ");
                event["multiValueHeaders"] = multi_map(&self.headers);
                if event_type == "DISCONNECT" {
                    context["disconnectStatusCode"] = json!(1005);
                    context["disconnectReason"] = json!("Client-side close frame status not set");
                } else {
                    let pairs = decoded_query(&self.query, true);
                    if !pairs.is_empty() {
                        event["queryStringParameters"] = last_value_map(&pairs);
                        event["multiValueQueryStringParameters"] = multi_map(&pairs);
                    }
                }
            }
        }
        event["requestContext"] = context;
        event
    }

    fn payload_1_0(&self, body: Value, is_base64: bool) -> Value {
        let rest = self.shape == Shape::RestApi;
        let stage = self.stage.clone().unwrap_or_else(|| {
            if rest {
                "prod".into()
            } else {
                "$default".into()
            }
        });
        let domain = self
            .host()
            .unwrap_or("abc123.execute-api.us-east-1.amazonaws.com")
            .to_owned();
        let stage_prefix = match &self.stage {
            Some(stage) => format!("/{stage}"),
            None => String::new(),
        };
        // REST: `path` as sent, without the stage (which `requestContext.path` has). HTTP API
        // 1.0: `path` decoded, with the stage.
        let (path, context_path) = if rest {
            (self.path.clone(), format!("{stage_prefix}{}", self.path))
        } else {
            let decoded = format!("{stage_prefix}{}", decode(&self.path));
            (decoded.clone(), decoded)
        };
        let pairs = decoded_query(&self.query, true);
        let mut event = json!({
            "resource": "/{proxy+}",
            "path": path,
            "httpMethod": self.method,
            "headers": single_map(&self.headers, ", "),
            "multiValueHeaders": multi_map(&self.headers),
            "queryStringParameters": if pairs.is_empty() { Value::Null } else { last_value_map(&pairs) },
            "multiValueQueryStringParameters": if pairs.is_empty() { Value::Null } else { multi_map(&pairs) },
            "pathParameters": {"proxy": path.trim_start_matches('/')},
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc123", "resourceId": "a1b2c3",
                "resourcePath": "/{proxy+}", "httpMethod": self.method, "stage": stage,
                "path": context_path, "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "domainName": domain, "protocol": "HTTP/1.1", "requestTimeEpoch": 1_700_000_000_000u64,
                "identity": {"sourceIp": self.source_ip, "userAgent": self.header_value("user-agent")}
            },
            "body": body,
            "isBase64Encoded": is_base64
        });
        if !rest {
            event["version"] = json!("1.0");
        }
        event
    }

    fn payload_2_0(&self, body: Value, is_base64: bool) -> Value {
        let url = self.shape == Shape::FunctionUrl;
        let domain = self.host().map(str::to_owned).unwrap_or_else(|| {
            if url {
                "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws".into()
            } else {
                "abc123.execute-api.us-east-1.amazonaws.com".into()
            }
        });
        let (raw_path, stage) = match (&self.stage, url) {
            (Some(stage), false) => (format!("/{stage}{}", decode(&self.path)), stage.clone()),
            (_, false) => (decode(&self.path), "$default".to_owned()),
            // Function URLs pass the path on as sent.
            (_, true) => (self.path.clone(), "$default".to_owned()),
        };
        let cookies: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';').map(str::trim).filter(|c| !c.is_empty()))
            .collect();
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("cookie"))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        let pairs = decoded_query(&self.query, false);
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": self.query,
            "headers": single_map(&headers, ","),
            "queryStringParameters": if pairs.is_empty() { Value::Null } else { single_map(&pairs, ",") },
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc123", "domainName": domain,
                "domainPrefix": domain.split('.').next().unwrap_or(""),
                "http": {"method": self.method, "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": self.source_ip, "userAgent": self.header_value("user-agent")},
                "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": stage,
                "time": "14/Nov/2023:22:13:20 +0000", "timeEpoch": 1_700_000_000_000u64
            },
            "body": body,
            "isBase64Encoded": is_base64
        });
        if !cookies.is_empty() {
            event["cookies"] = json!(cookies);
        }
        event
    }

    fn alb(&self, body: Value, is_base64: bool) -> Value {
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        // ALB passes query keys and values on still encoded.
        let pairs: Vec<(String, String)> = split_query(&self.query)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut event = json!({
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/0123456789abcdef"}},
            "httpMethod": self.method,
            "path": self.path,
            "body": if body.is_null() { json!("") } else { body },
            "isBase64Encoded": is_base64
        });
        if self.shape == Shape::AlbMultiValue {
            event["multiValueHeaders"] = multi_map(&headers);
            event["multiValueQueryStringParameters"] = multi_map(&pairs);
        } else {
            event["headers"] = single_map(&headers, ", ");
            event["queryStringParameters"] = last_value_map(&pairs);
        }
        event
    }

    fn header_value(&self, name: &str) -> Value {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Value::Null, |(_, v)| json!(v))
    }
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn split_query(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The query as API Gateway decodes it into its maps (`+` is a space there).
fn decoded_query(query: &str, plus_is_space: bool) -> Vec<(String, String)> {
    let decode_part = |part: &str| {
        let part: Cow<'_, str> = if plus_is_space {
            Cow::Owned(part.replace('+', " "))
        } else {
            Cow::Borrowed(part)
        };
        decode(&part)
    };
    split_query(query)
        .map(|(k, v)| (decode_part(k), decode_part(v)))
        .collect()
}

fn single_map(pairs: &[(String, String)], separator: &str) -> Value {
    let mut map: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        match map.get_mut(name) {
            Some(Value::String(joined)) => {
                joined.push_str(separator);
                joined.push_str(value);
            }
            _ => {
                map.insert(name.clone(), json!(value));
            }
        }
    }
    Value::Object(map)
}

fn last_value_map(pairs: &[(String, String)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn multi_map(pairs: &[(String, String)]) -> Value {
    let mut map: Map<String, Value> = Map::new();
    for (name, value) in pairs {
        if let Value::Array(values) = map.entry(name.clone()).or_insert_with(|| json!([])) {
            values.push(json!(value));
        }
    }
    Value::Object(map)
}

/// A response as the client receives it, read back from the JSON a source was sent.
#[derive(Debug, Clone)]
pub struct TestResponse {
    json: Value,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// Reads a response JSON of any source's shape: `statusCode`; `headers` and/or
    /// `multiValueHeaders` (every letter-case spelling of `set-cookie` included); `cookies`;
    /// `body`, base64-decoded when `isBase64Encoded`.
    ///
    /// # Errors
    /// When the JSON is not a response of one of those shapes.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let code = value["statusCode"]
            .as_u64()
            .ok_or("no numeric statusCode")?;
        let status = u16::try_from(code)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or_else(|| format!("invalid statusCode {code}"))?;
        let mut headers = HeaderMap::new();
        let mut add = |name: &str, value: &str| -> Result<(), String> {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("header {name:?}: {e}"))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| format!("header value {value:?}: {e}"))?;
            headers.append(name, value);
            Ok(())
        };
        // The header maps in the order the JSON has them (`Value` would sort the keys, and with
        // them the letter-case spellings of `set-cookie`, which carry cookies in order).
        let maps: HeaderMaps =
            serde_json::from_str(json).map_err(|e| format!("a header map: {e}"))?;
        for (name, values) in maps.multi_value_headers.into_iter().flatten() {
            for v in values.as_array().into_iter().flatten() {
                add(
                    &name,
                    v.as_str().ok_or("a header value that is not a string")?,
                )?;
            }
        }
        for (name, v) in maps.headers.into_iter().flatten() {
            add(
                &name,
                v.as_str().ok_or("a header value that is not a string")?,
            )?;
        }
        for cookie in value["cookies"].as_array().into_iter().flatten() {
            add(
                "set-cookie",
                cookie.as_str().ok_or("a cookie that is not a string")?,
            )?;
        }
        let text = value["body"].as_str().unwrap_or("");
        let body = if value["isBase64Encoded"].as_bool().unwrap_or(false) {
            Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("body is not base64: {e}"))?,
            )
        } else {
            Bytes::copy_from_slice(text.as_bytes())
        };
        Ok(Self {
            json: value,
            status,
            headers,
            body,
        })
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Every header, `Set-Cookie` included, as the client receives them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes (base64 already decoded).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The response JSON exactly as the source received it.
    pub fn json(&self) -> &Value {
        &self.json
    }
}

/// The header maps of a response JSON, each as its entries in order.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderMaps {
    #[serde(default, deserialize_with = "ordered")]
    headers: Option<Vec<(String, Value)>>,
    #[serde(default, deserialize_with = "ordered")]
    multi_value_headers: Option<Vec<(String, Value)>>,
}

fn ordered<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<(String, Value)>>, D::Error> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Option<Vec<(String, Value)>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map or null")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(Some(entries))
        }
    }
    deserializer.deserialize_option(Entries)
}
