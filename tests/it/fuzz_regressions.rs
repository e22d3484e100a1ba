//! The cargo-fuzz targets' invariant checks as ordinary tests: every input saved in
//! `fuzz/regressions/<target>/` (inputs that once broke a target) is replayed, together with a
//! handful of built-in inputs so that no test is ever empty.
//!
//! The checks are `fuzz/src/lib.rs`, shared with the fuzz targets. Structured inputs are built
//! from a file's bytes exactly as `libfuzzer-sys` builds them (`Arbitrary::arbitrary_take_rest`),
//! so a crash artifact copied into `fuzz/regressions/<target>/` replays here unchanged.

#[path = "../../fuzz/src/lib.rs"]
mod checks;

use arbitrary::{Arbitrary, Unstructured};
use checks::{
    BodyForm, ContentTypeChoice, ContextPath, Domain, EncodingChoice, EventOptions, LatticeForm,
    MapForm, MethodChoice, NameChoice, ResponseName, ResponseValue, RouteKey, ServiceResponse,
    SourceKind, StructuredEvent, Text, WebSocketForm, WebSocketRoute,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The saved inputs of one target, by file name (hidden files such as `.gitkeep` skipped).
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            (!name.starts_with('.')).then(|| {
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                (format!("{target}/{name}"), bytes)
            })
        })
        .collect();
    inputs.sort();
    inputs
}

/// Runs every case, then fails naming each case that failed.
fn run_all(cases: Vec<(String, Box<dyn FnOnce() + '_>)>) {
    let total = cases.len();
    let failed: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, case)| catch_unwind(AssertUnwindSafe(case)).err().map(|_| name))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {total} inputs broke an invariant (see the panic messages above): {failed:?}",
        failed.len()
    );
}

/// Byte patterns that `arbitrary` turns into varied structured inputs.
fn byte_patterns() -> Vec<(String, Vec<u8>)> {
    vec![
        ("empty".to_owned(), Vec::new()),
        ("zeros".to_owned(), vec![0; 64]),
        ("ones".to_owned(), vec![0xff; 256]),
        ("counting".to_owned(), (0..=255).collect()),
        ("counting down".to_owned(), (0..=255).rev().collect()),
        (
            "text".to_owned(),
            b"GET /prod/items?a=1&b=%zz Host: api.example.com; Cookie: a=1".repeat(4),
        ),
    ]
}

fn structured<'a, T: Arbitrary<'a>>(bytes: &'a [u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(bytes)).ok()
}

fn text(s: &str) -> Text {
    Text(s.to_owned())
}

#[test]
fn raw_event_regressions() {
    let mut inputs: Vec<(String, Vec<u8>)> = [
        ("rest_api", &include_bytes!("../../fuzz/events/rest_api.json")[..]),
        ("http_api_v1", include_bytes!("../../fuzz/events/http_api_v1.json")),
        ("http_api_v2", include_bytes!("../../fuzz/events/http_api_v2.json")),
        ("function_url", include_bytes!("../../fuzz/events/function_url.json")),
        ("alb", include_bytes!("../../fuzz/events/alb.json")),
        ("alb_multi", include_bytes!("../../fuzz/events/alb_multi.json")),
        ("vpc_lattice_v1", include_bytes!("../../fuzz/events/vpc_lattice_v1.json")),
        ("vpc_lattice_v2", include_bytes!("../../fuzz/events/vpc_lattice_v2.json")),
        ("websocket", include_bytes!("../../fuzz/events/websocket.json")),
        ("empty", b""),
        ("object", b"{}"),
        ("array", b"[1, 2]"),
        ("null", b"null"),
        ("truncated", b"{\"httpMethod\": \"GE"),
        ("method only", b"{\"httpMethod\": \"GET\"}"),
        (
            "alb with bad base64",
            b"{\"requestContext\": {\"elb\": {}}, \"httpMethod\": \"POST\", \"body\": \"%%%\", \"isBase64Encoded\": true}",
        ),
        (
            "v2 authority-like path",
            b"{\"version\": \"2.0\", \"rawPath\": \"//evil.example/x\", \"requestContext\": {\"http\": {\"method\": \"GET\"}}}",
        ),
        (
            "lattice v1 base64 body, domainName ignored",
            b"{\"raw_path\": \"//evil.example/a?b=%2F#c\", \"method\": \"PUT\", \"headers\": {\"te\": \"trailers\", \"connection\": \"te\"}, \"requestContext\": {\"domainName\": \"evil.example\"}, \"body\": \"AP8=\", \"is_base64_encoded\": true}",
        ),
        (
            "lattice v2 looks like an HTTP API 2.0 event",
            b"{\"version\": \"2.0\", \"path\": \"/x\", \"method\": \"GET\", \"rawPath\": \"/y\", \"requestContext\": {\"http\": {\"method\": \"POST\"}}}",
        ),
        (
            "websocket message with a route key that looks like a path",
            b"{\"requestContext\": {\"routeKey\": \"../a/b?c#d\", \"eventType\": \"MESSAGE\", \"connectionId\": \"x=\", \"domainName\": \"d.example\"}, \"body\": \"{}\"}",
        ),
    ]
    .into_iter()
    .map(|(name, bytes)| (format!("built-in {name}"), bytes.to_vec()))
    .collect();
    inputs.extend(regressions("raw_event"));
    run_all(
        inputs
            .iter()
            .map(|(name, bytes)| {
                let case: Box<dyn FnOnce()> = Box::new(move || checks::check_raw_event(bytes));
                (name.clone(), case)
            })
            .collect(),
    );
}

/// One representative event per source: base64 body, Host header, an authority-like path,
/// a query that must not split differently, cookies, a stage and a base path.
fn sample_event(source: SourceKind) -> StructuredEvent {
    StructuredEvent {
        source,
        method: MethodChoice::Other(text("POST")),
        path: Some(text("//evil.example/a%2Fb?c#d")),
        stage: Some(text("dev")),
        stage_in_path: true,
        base_path_in_path: Some(text("v1")),
        context_path: ContextPath::StageThenPath,
        base_path_matched: None,
        domain: Domain::Name(text("api.example.com")),
        omit_version: false,
        header_form: MapForm::Both,
        headers: vec![
            (NameChoice::Other(text("Host")), text("h.example:8443")),
            (NameChoice::Other(text("cookie")), text("a=1")),
            (
                NameChoice::Other(text("x-forwarded-prefix")),
                text("/forged"),
            ),
            (NameChoice::Other(text("x-multi")), text("1")),
            (NameChoice::Other(text("X-Multi")), text("2")),
            (NameChoice::Other(text("bad name")), text("dropped")),
        ],
        query_form: MapForm::Multi,
        query: vec![
            (text("a"), text("1&2")),
            (text("a"), text("x=y+z%")),
            (text("colors[]"), text("https://x/y?z")),
        ],
        raw_query: text("q=a%20b&r=%zz#frag"),
        cookies: Some(vec![text("b=2"), text("a=1"), text(" ")]),
        source_ip: Some(text("192.0.2.1")),
        options: EventOptions {
            strip_base_path: Some(text("/v1/")),
            as_requested: false,
            forwarded_prefix_header: true,
            single_value_headers: false,
        },
        body_form: BodyForm::Base64,
        body: vec![0, 159, 146, 150, 255, b'\r', b'\n'],
    }
}

#[test]
fn structured_event_regressions() {
    let lattice = LatticeForm {
        query_in_path: true,
        join_repeats: true,
    };
    let websocket = |route| {
        SourceKind::WebSocket(WebSocketForm {
            route,
            websocket_path: None,
        })
    };
    let mut samples: Vec<(String, StructuredEvent)> = [
        SourceKind::RestApi,
        SourceKind::HttpApiV1,
        SourceKind::HttpApiV2,
        SourceKind::FunctionUrl,
        SourceKind::Alb,
        SourceKind::AlbMulti,
        SourceKind::VpcLatticeV1(lattice),
        SourceKind::VpcLatticeV2(lattice),
        websocket(WebSocketRoute::Connect),
        websocket(WebSocketRoute::Message(RouteKey::Other(text(
            "a/b?c#d %41 é",
        )))),
        websocket(WebSocketRoute::Disconnect),
    ]
    .into_iter()
    .map(|source| (format!("built-in {source:?}"), sample_event(source)))
    .collect();
    let mut as_requested = sample_event(SourceKind::RestApi);
    as_requested.options.as_requested = true;
    as_requested.options.single_value_headers = true;
    as_requested.body_form = BodyForm::FlaggedNotEncoded;
    samples.push(("built-in as requested, bad base64".to_owned(), as_requested));
    let mut invalid_method = sample_event(SourceKind::HttpApiV2);
    invalid_method.method = MethodChoice::Other(text("GET /"));
    invalid_method.omit_version = true;
    invalid_method.domain = Domain::LambdaUrl(text("abc"), text("us-east-1"));
    samples.push(("built-in invalid method".to_owned(), invalid_method));
    let mut query_in_map = sample_event(SourceKind::VpcLatticeV1(LatticeForm {
        query_in_path: false,
        join_repeats: false,
    }));
    query_in_map.path = Some(text("/a%2Fb"));
    samples.push(("built-in Lattice query in the map".to_owned(), query_in_map));
    let mut json_frame = sample_event(SourceKind::WebSocket(WebSocketForm {
        route: WebSocketRoute::Message(RouteKey::Other(text("sendmessage"))),
        websocket_path: Some(5),
    }));
    json_frame.body_form = BodyForm::Text;
    json_frame.body = br#"{"action": "sendmessage", "data": "hi"}"#.to_vec();
    samples.push(("built-in WebSocket JSON frame".to_owned(), json_frame));

    let mut inputs = byte_patterns();
    inputs.extend(regressions("structured_event"));
    for (name, bytes) in &inputs {
        if let Some(event) = structured::<StructuredEvent>(bytes) {
            samples.push((name.clone(), event));
        }
    }
    run_all(
        samples
            .iter()
            .map(|(name, event)| {
                let case: Box<dyn FnOnce()> =
                    Box::new(move || checks::check_structured_event(event));
                (name.clone(), case)
            })
            .collect(),
    );
}

#[test]
fn service_response_regressions() {
    let cookies = ServiceResponse {
        status: 302,
        headers: vec![
            (ResponseName::Known(0), ResponseValue::Known(0)),
            (ResponseName::Known(1), ResponseValue::Known(1)),
            (
                ResponseName::Other(b"Set-Cookie".to_vec()),
                ResponseValue::Bytes(b"caf\xc3\xa9=\xff".to_vec()),
            ),
            (
                ResponseName::Other(b"x-custom".to_vec()),
                ResponseValue::Bytes(b"a\r\nb".to_vec()),
            ),
            (ResponseName::Known(7), ResponseValue::Text(text("1"))),
            (ResponseName::Known(7), ResponseValue::Text(text("2"))),
        ],
        content_type: Some(ContentTypeChoice::Known(0)),
        encoding: None,
        binary_media_types: Vec::new(),
        trailers: true,
        chunks: vec![b"<p>caf".to_vec(), b"\xc3".to_vec(), b"\xa9</p>".to_vec()],
    };
    let binary = ServiceResponse {
        status: 1000,
        headers: vec![(ResponseName::Known(3), ResponseValue::Known(2))],
        content_type: Some(ContentTypeChoice::Other(b"image/png".to_vec())),
        encoding: Some(EncodingChoice::Text),
        binary_media_types: Vec::new(),
        trailers: false,
        chunks: vec![vec![0x89, b'P', b'N', b'G', 0, 0xff]],
    };
    let mut samples = vec![
        ("built-in cookies".to_owned(), cookies),
        ("built-in binary".to_owned(), binary),
    ];
    let mut inputs = byte_patterns();
    inputs.extend(regressions("service_response"));
    for (name, bytes) in &inputs {
        if let Some(response) = structured::<ServiceResponse>(bytes) {
            samples.push((name.clone(), response));
        }
    }
    run_all(
        samples
            .iter()
            .map(|(name, response)| {
                let case: Box<dyn FnOnce()> =
                    Box::new(move || checks::check_service_response(response));
                (name.clone(), case)
            })
            .collect(),
    );
}

/// A finding of the fuzz oracle, fixed: a `Connection` value with a non-ASCII byte
/// (`x-custom, café`) must still remove the headers it names (`x-custom`) from the response, as
/// RFC 9110 §7.6.1 says; the adapter read such a value as text and ignored it whole.
#[test]
fn a_connection_value_with_non_ascii_bytes_still_removes_what_it_names() {
    let response = ServiceResponse {
        status: 100,
        headers: vec![
            (
                ResponseName::Other(b"connection".to_vec()),
                ResponseValue::Bytes(b"x-custom, caf\xc3\xa9".to_vec()),
            ),
            (
                ResponseName::Other(b"x-custom".to_vec()),
                ResponseValue::Bytes(b"1".to_vec()),
            ),
        ],
        content_type: None,
        encoding: None,
        binary_media_types: Vec::new(),
        trailers: false,
        chunks: Vec::new(),
    };
    checks::check_service_response(&response);
}
