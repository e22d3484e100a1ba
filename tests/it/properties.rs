//! Property tests: for arbitrary client paths and query strings (reserved characters, `%`,
//! spaces, non-ASCII, empty segments), an event built the way each source builds it decodes to
//! the client's original path and query, the query never splits differently, and the authority
//! never comes from the path. For WebSocket APIs, an arbitrary route key becomes exactly one
//! path segment under `/ws/` that decodes back to the key.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{ClientUrl, PathPrefix, Serve};

/// How a client encodes a path segment or a query component: everything but unreserved
/// characters.
const CLIENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
const HOST: &str = "api.example.com";

/// Text made of letters, reserved and unsafe characters, non-ASCII, and runs that look like
/// percent escapes (`%41`, `%2F`) or almost do (`%zz`, a lone `%`).
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z').prop_map(String::from),
            proptest::sample::select(vec![
                "/", "?", "#", "%", "&", "=", "+", " ", ";", ":", "@", "[", "]", "!", "$", "'",
                "(", ")", "*", ",", "\"", "<", ">", "\\", "^", "`", "{", "|", "}", "~", ".", "-",
                "é", "日", "😀", "\t", "%41", "%2F", "%2f", "%25", "%zz", "%%", "..", "//",
            ])
            .prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|tokens| tokens.concat())
}

#[derive(Debug, Clone)]
struct ClientRequest {
    /// The path as the client sent it (encoded).
    path: String,
    /// The decoded query pairs, in order.
    pairs: Vec<(String, String)>,
}

impl ClientRequest {
    fn query(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, CLIENT),
                    utf8_percent_encode(v, CLIENT)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    (
        proptest::collection::vec(text(), 1..5),
        proptest::collection::vec((text(), text()), 0..5),
    )
        .prop_map(|(segments, pairs)| ClientRequest {
            path: segments
                .iter()
                .map(|s| format!("/{}", utf8_percent_encode(s, CLIENT)))
                .collect(),
            pairs,
        })
}

fn decode(s: &str) -> Vec<u8> {
    percent_decode_str(s).collect()
}

fn decoded_pairs(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    if query.is_empty() {
        return vec![];
    }
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Groups pairs into a JSON map of lists (what multi-value maps carry), and reads the pairs back
/// in the map's order, which is the order the event's JSON has.
fn multi_map(pairs: &[(String, String)]) -> (Value, Vec<(String, String)>) {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.entry(k.clone())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(v));
    }
    let ordered = map
        .iter()
        .flat_map(|(k, vs)| {
            vs.as_array()
                .unwrap()
                .iter()
                .map(move |v| (k.clone(), v.as_str().unwrap().to_owned()))
        })
        .collect();
    (Value::Object(map), ordered)
}

fn encode_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                utf8_percent_encode(k, CLIENT).to_string(),
                utf8_percent_encode(v, CLIENT).to_string(),
            )
        })
        .collect()
}

struct Seen {
    method: http::Method,
    uri: http::Uri,
    prefix: String,
    client_url: http::Uri,
}

fn run(event: Value) -> Seen {
    let slot = Arc::new(Mutex::new(None));
    let recorder = Arc::clone(&slot);
    let service = tower::service_fn(move |request: http::Request<tower_lambda::Body>| {
        *recorder.lock().unwrap() = Some(Seen {
            method: request.method().clone(),
            uri: request.uri().clone(),
            prefix: request.extensions().get::<PathPrefix>().unwrap().0.clone(),
            client_url: request.extensions().get::<ClientUrl>().unwrap().0.clone(),
        });
        async { Ok::<_, std::convert::Infallible>(http::Response::new(String::new())) }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // These properties are about how any client path reaches the service; a generated path
    // under the WebSocket path (`/ws`, `/WS/x`, `/a/../ws`) would be refused by the guard, which
    // `detection.rs` tests on its own.
    let serve = Serve::new(service).websocket_reachable_over_http(true);
    let json = runtime.block_on(serve.invoke(event.to_string())).unwrap();
    let seen = slot.lock().unwrap().take();
    seen.unwrap_or_else(|| panic!("the service was not called: {json}"))
}

fn assert_origin(seen: &Seen) {
    assert_eq!(
        seen.uri.authority(),
        None,
        "the request URI is in origin form"
    );
    assert_eq!(
        seen.client_url.host(),
        Some(HOST),
        "the authority comes from the Host header only"
    );
    assert_eq!(seen.client_url.scheme_str(), Some("https"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn rest_api(client in client_request()) {
        let (multi, ordered) = multi_map(&client.pairs);
        let event = json!({
            "httpMethod": "GET", "path": client.path,
            "multiValueHeaders": {"Host": [HOST]},
            "multiValueQueryStringParameters": multi,
            "requestContext": {"stage": "prod", "path": format!("/prod{}", client.path)},
            "body": null, "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        let expected: Vec<_> = ordered.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), expected);
        prop_assert_eq!(seen.prefix, "/prod");
        prop_assert_eq!(seen.client_url.path(), format!("/prod{}", client.path));
    }

    #[test]
    fn http_api_v1(client in client_request()) {
        let (multi, ordered) = multi_map(&client.pairs);
        let decoded_path = String::from_utf8(decode(&client.path)).unwrap();
        let event = json!({
            "version": "1.0", "httpMethod": "GET", "path": decoded_path,
            "headers": {"host": HOST}, "multiValueQueryStringParameters": multi,
            "requestContext": {"stage": "$default"}, "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(decode(seen.uri.path()), decode(&client.path));
        let expected: Vec<_> = ordered.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), expected);
    }

    #[test]
    fn http_api_v2(client in client_request()) {
        let decoded_path = String::from_utf8(decode(&client.path)).unwrap();
        let event = json!({
            "version": "2.0", "rawPath": decoded_path, "rawQueryString": client.query(),
            "headers": {"host": HOST},
            "requestContext": {"http": {"method": "GET"}, "stage": "$default", "domainName": HOST},
            "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(decode(seen.uri.path()), decode(&client.path));
        prop_assert_eq!(seen.uri.query().unwrap_or(""), client.query());
    }

    #[test]
    fn http_api_v2_named_stage(client in client_request()) {
        let decoded_path = String::from_utf8(decode(&client.path)).unwrap();
        let event = json!({
            "version": "2.0", "rawPath": format!("/dev{decoded_path}"), "rawQueryString": client.query(),
            "headers": {"host": HOST},
            "requestContext": {"http": {"method": "GET"}, "stage": "dev", "domainName": HOST},
            "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(decode(seen.uri.path()), decode(&client.path), "the stage is removed once");
        prop_assert_eq!(seen.prefix, "/dev");
        prop_assert_eq!(decode(seen.client_url.path()), decode(&format!("/dev{}", client.path)));
        prop_assert_eq!(seen.client_url.query().unwrap_or(""), client.query());
    }

    #[test]
    fn function_url(client in client_request()) {
        let event = json!({
            "version": "2.0", "rawPath": client.path, "rawQueryString": client.query(),
            "headers": {"host": HOST},
            "requestContext": {"http": {"method": "GET"}, "domainName": "x.lambda-url.us-east-1.on.aws"},
            "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        prop_assert_eq!(seen.uri.query().unwrap_or(""), client.query());
    }

    #[test]
    fn alb_multi_value(client in client_request()) {
        let (multi, ordered) = multi_map(&encode_pairs(&client.pairs));
        let event = json!({
            "httpMethod": "GET", "path": client.path,
            "multiValueHeaders": {"host": [HOST]}, "multiValueQueryStringParameters": multi,
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
            "body": "", "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        let expected: Vec<_> = ordered.iter().map(|(k, v)| (decode(k), decode(v))).collect();
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), expected);
    }

    #[test]
    fn alb_single_value(client in client_request()) {
        // Single-value mode keeps the last value of a repeated key.
        let mut map = Map::new();
        for (k, v) in encode_pairs(&client.pairs) {
            map.insert(k, json!(v));
        }
        let expected: Vec<_> = map.iter().map(|(k, v)| (decode(k), decode(v.as_str().unwrap()))).collect();
        let event = json!({
            "httpMethod": "GET", "path": client.path,
            "headers": {"host": HOST}, "queryStringParameters": map,
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}},
            "body": "", "isBase64Encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), expected);
    }
}

/// The pairs of a JSON map of strings (what single-value maps carry: the last value of a
/// repeated key) in the map's order.
fn last_value_map(pairs: &[(String, String)]) -> (Value, Vec<(String, String)>) {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.clone(), json!(v));
    }
    let ordered = map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    (Value::Object(map), ordered)
}

fn decoded(pairs: &[(String, String)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    pairs.iter().map(|(k, v)| (decode(k), decode(v))).collect()
}

fn client_pairs(client: &ClientRequest) -> Vec<(Vec<u8>, Vec<u8>)> {
    client
        .pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

const LATTICE_CONTEXT: &str = r#"{
    "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0bf3f2882e9cc805a",
    "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0a40eebed65f8d69c",
    "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-6d0ecf831eec9f09",
    "identity": {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339"},
    "region": "us-east-1", "timeEpoch": "1700000000000000"
}"#;

/// A WebSocket event of `event_type` on `route_key`, as API Gateway writes it.
fn websocket_event(route_key: &str, event_type: &str) -> Value {
    json!({
        "requestContext": {
            "routeKey": route_key, "eventType": event_type, "connectionId": "R0oXAdfD0kwCH6w=",
            "messageId": "Fzr0zflBoAMCI2g=", "connectedAt": 1_700_000_000_000u64,
            "domainName": HOST, "stage": "production", "apiId": "abc123",
            "requestId": "Fzr0zGmvoAMFa5A=", "identity": {"sourceIp": "203.0.113.7"}
        },
        "body": "{\"action\": \"x\"}", "isBase64Encoded": false
    })
}

/// Route keys: arbitrary text (`/`, `?`, `#`, `%`, spaces, non-ASCII, dots), and the built-in
/// and usual ones.
fn route_key() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        proptest::sample::select(vec![
            "$default",
            "$connect",
            "$disconnect",
            "sendmessage",
            "a/b",
            "?q=1",
            "#x",
            "%2F",
            "%41",
            "%",
            " ",
            "caf\u{e9}",
            "..",
            "",
        ])
        .prop_map(String::from),
    ]
}

// The new sources: fewer cases (CI time).
proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// VPC Lattice, V1 and V2, as Lattice writes them (through `EventBuilder`): `raw_path` /
    /// `path` carries the query, which is taken from there (every pair, in order), not from
    /// the maps.
    #[test]
    fn vpc_lattice_query_in_path(client in client_request()) {
        let target = format!("{}?{}", client.path, client.query());
        for shape in [Shape::VpcLatticeV1, Shape::VpcLatticeV2] {
            let event = EventBuilder::new(shape, "GET", &target).header("host", HOST).build();
            let seen = run(serde_json::from_str(&event).unwrap());
            assert_origin(&seen);
            prop_assert_eq!(seen.uri.path(), client.path.as_str());
            prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), client_pairs(&client));
            prop_assert_eq!(seen.prefix, "");
            prop_assert_eq!(seen.client_url.path_and_query(), seen.uri.path_and_query());
        }
    }

    /// VPC Lattice V1 with no `?` in `raw_path`: the query comes from `query_string_parameters`
    /// (values still encoded; the last value of a repeated key, as Lattice keeps it).
    #[test]
    fn vpc_lattice_v1_query_from_map(client in client_request()) {
        let (map, ordered) = last_value_map(&encode_pairs(&client.pairs));
        let event = json!({
            "raw_path": client.path, "method": "GET",
            "headers": {"host": HOST, "x-forwarded-for": "10.0.2.100"},
            "query_string_parameters": map, "body": "", "is_base64_encoded": false
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), decoded(&ordered));
    }

    /// VPC Lattice V2 with no `?` in `path`: the query comes from `queryStringParameters` (lists
    /// of still-encoded values, every value kept).
    #[test]
    fn vpc_lattice_v2_query_from_map(client in client_request()) {
        let (multi, ordered) = multi_map(&encode_pairs(&client.pairs));
        let event = json!({
            "version": "2.0", "path": client.path, "method": "GET",
            "headers": {"host": [HOST], "x-forwarded-for": ["10.0.2.100"]},
            "queryStringParameters": multi, "body": "", "isBase64Encoded": false,
            "requestContext": serde_json::from_str::<Value>(LATTICE_CONTEXT).unwrap()
        });
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(seen.uri.path(), client.path.as_str());
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), decoded(&ordered));
    }

    /// A WebSocket message on any route key: `POST /ws/{key}`, the key exactly one
    /// percent-encoded segment that decodes back to it; never another segment, never a query.
    #[test]
    fn websocket_route_key_is_one_segment(key in route_key()) {
        let seen = run(websocket_event(&key, "MESSAGE"));
        assert_origin(&seen);
        prop_assert_eq!(&seen.method, &http::Method::POST);
        let segment = seen.uri.path().strip_prefix("/ws/").unwrap_or_else(|| {
            panic!("the path {:?} is not under /ws/", seen.uri.path())
        });
        prop_assert!(!segment.contains('/'), "{:?} is more than one segment", segment);
        prop_assert_eq!(decode(segment), key.as_bytes().to_vec());
        prop_assert_eq!(seen.uri.query(), None);
        prop_assert_eq!(seen.prefix, "");
        prop_assert_eq!(seen.client_url.path_and_query(), seen.uri.path_and_query());
    }

    /// `$connect`: `GET /ws/$connect` with the handshake's query, decoded from the maps API
    /// Gateway fills (every value of the multi-value map, in order).
    #[test]
    fn websocket_connect_query(client in client_request()) {
        let (multi, ordered) = multi_map(&client.pairs);
        let (single, _) = last_value_map(&client.pairs);
        let mut event = websocket_event("$connect", "CONNECT");
        let object = event.as_object_mut().unwrap();
        object.remove("body");
        object.insert("headers".into(), json!({"Host": HOST, "Sec-WebSocket-Version": "13"}));
        object.insert("multiValueHeaders".into(), json!({"Host": [HOST], "Sec-WebSocket-Version": ["13"]}));
        object.insert("queryStringParameters".into(), single);
        object.insert("multiValueQueryStringParameters".into(), multi);
        let seen = run(event);
        assert_origin(&seen);
        prop_assert_eq!(&seen.method, &http::Method::GET);
        prop_assert_eq!(seen.uri.path(), "/ws/$connect");
        let expected: Vec<_> = ordered.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        prop_assert_eq!(decoded_pairs(seen.uri.query().unwrap_or("")), expected);
    }
}
