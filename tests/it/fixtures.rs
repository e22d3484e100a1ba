//! Recorded and hand-written events for every source, each with the exact request the service
//! must see, and responses with the exact JSON each source must receive.
//!
//! Layout: `tests/fixtures/<source>/<case>.json` (the event) next to `<case>.expected.json`
//! (method, uri, headers, body; the `prefix` removed before routing and the `client_url` when they
//! are not the defaults; the `config` the case runs with), and
//! `tests/fixtures/<source>/responses/<case>.json` (the request case it answers, options, the
//! service's response, and the expected JSON). Adding a case is adding files.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::Value;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower_lambda::{Body, BodyEncoding, ClientUrl, PathMode, PathPrefix, RequestContext, Serve};

const SOURCES: [&str; 9] = [
    "rest_api",
    "http_api_v1",
    "http_api_v2",
    "function_url",
    "alb",
    "alb_multi",
    "vpc_lattice_v1",
    "vpc_lattice_v2",
    "websocket",
];
const MIN_CASES: usize = 6;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedRequest {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    /// The `PathPrefix` extension (the stage and/or base path removed before routing).
    #[serde(default)]
    prefix: Option<String>,
    /// The `ClientUrl` extension (the full URL the client used).
    #[serde(default)]
    client_url: Option<String>,
    /// Options the case runs with.
    #[serde(default)]
    config: ConfigCase,
}

impl ExpectedRequest {
    fn body(&self) -> Vec<u8> {
        match (&self.body, &self.body_base64) {
            (_, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, None) => Vec::new(),
        }
    }
}

#[derive(Debug, PartialEq)]
struct SeenRequest {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    prefix: Option<String>,
    client_url: Option<String>,
    /// `RequestContext::source()`, as `Debug`.
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseCase {
    request: String,
    #[serde(default)]
    config: ConfigCase,
    response: ServiceResponse,
    expected: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigCase {
    #[serde(default)]
    binary_media_types: Vec<String>,
    #[serde(default)]
    single_value_headers: bool,
    #[serde(default)]
    strip_base_path: Option<String>,
    /// `"routed"` (default) or `"as_requested"`.
    #[serde(default)]
    path_mode: Option<String>,
    #[serde(default)]
    forwarded_prefix_header: bool,
}

impl ConfigCase {
    fn apply<S>(&self, serve: Serve<S>) -> Serve<S> {
        let mut serve = serve
            .binary_media_types(&self.binary_media_types)
            .single_value_headers(self.single_value_headers)
            .forwarded_prefix_header(self.forwarded_prefix_header);
        if let Some(base_path) = &self.strip_base_path {
            serve = serve.strip_base_path(base_path.as_str());
        }
        match self.path_mode.as_deref() {
            None | Some("routed") => serve,
            Some("as_requested") => serve.path_mode(PathMode::AsRequested),
            Some(other) => panic!("unknown path_mode {other:?}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceResponse {
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default)]
    body_encoding: Option<String>,
}

impl ServiceResponse {
    fn build(&self) -> Response<Full<Bytes>> {
        let body = match (&self.body, &self.body_base64) {
            (_, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            (Some(text), None) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap();
        for (name, value) in &self.headers {
            response.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        match self.body_encoding.as_deref() {
            None => {}
            Some("base64") => {
                response.extensions_mut().insert(BodyEncoding::Base64);
            }
            Some("text") => {
                response.extensions_mut().insert(BodyEncoding::Text);
            }
            Some(other) => panic!("unknown body_encoding {other:?}"),
        }
        response
    }
}

/// Headers sorted by name, keeping the order of the values of each name.
fn normalized(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    for (name, _) in &mut headers {
        *name = name.to_ascii_lowercase();
    }
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    headers
}

/// A service that records the request it sees and answers with `response`.
type Seen = Arc<Mutex<Option<SeenRequest>>>;

fn recording(
    response: ServiceResponse,
) -> (
    impl tower::Service<Request<Body>, Response = Response<Full<Bytes>>, Error = Infallible> + Clone,
    Seen,
) {
    let seen = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&seen);
    let service = tower::service_fn(move |request: Request<Body>| {
        let slot = Arc::clone(&slot);
        let response = response.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await.unwrap().to_bytes().to_vec();
            let headers = parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            *slot.lock().unwrap() = Some(SeenRequest {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers,
                body,
                prefix: parts.extensions.get::<PathPrefix>().map(|p| p.0.clone()),
                client_url: parts.extensions.get::<ClientUrl>().map(|u| u.0.to_string()),
                source: parts
                    .extensions
                    .get::<RequestContext>()
                    .map(|c| format!("{:?}", c.source())),
            });
            Ok::<_, Infallible>(response.build())
        }
    });
    (service, seen)
}

fn ok_response() -> ServiceResponse {
    ServiceResponse {
        status: 200,
        headers: vec![],
        body: Some("ok".into()),
        body_base64: None,
        body_encoding: None,
    }
}

fn request_cases(dir: &Path) -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let case = name.strip_suffix(".json")?;
            (!case.ends_with(".expected")).then(|| case.to_owned())
        })
        .collect();
    cases.sort();
    cases
}

/// The `EventSource` each fixture directory's events must be detected as.
fn detected_as(source: &str) -> &'static str {
    match source {
        "rest_api" => "RestApi",
        "http_api_v1" => "HttpApiV1",
        "http_api_v2" => "HttpApiV2",
        "function_url" => "FunctionUrl",
        "alb" | "alb_multi" => "Alb",
        "vpc_lattice_v1" => "VpcLatticeV1",
        "vpc_lattice_v2" => "VpcLatticeV2",
        "websocket" => "WebSocket",
        other => panic!("unknown source {other}"),
    }
}

/// The response keys that tell which shape (so which source) an event was answered in.
fn shape_of(source: &str) -> (&'static str, bool) {
    match source {
        "rest_api" | "http_api_v1" => ("multiValueHeaders", false),
        "http_api_v2" | "function_url" => ("cookies", false),
        "alb" => ("headers", true),
        "alb_multi" => ("multiValueHeaders", true),
        "vpc_lattice_v1" | "vpc_lattice_v2" | "websocket" => ("headers", false),
        other => panic!("unknown source {other}"),
    }
}

#[tokio::test]
async fn every_event_decodes_to_the_exact_request() {
    let mut failures = Vec::new();
    for source in SOURCES {
        let dir = fixtures().join(source);
        let cases = request_cases(&dir);
        assert!(
            cases.len() >= MIN_CASES,
            "{source}: only {} request fixtures",
            cases.len()
        );
        for case in cases {
            let event = std::fs::read(dir.join(format!("{case}.json"))).unwrap();
            let expected: ExpectedRequest = serde_json::from_slice(
                &std::fs::read(dir.join(format!("{case}.expected.json")))
                    .unwrap_or_else(|e| panic!("{source}/{case}.expected.json: {e}")),
            )
            .unwrap_or_else(|e| panic!("{source}/{case}.expected.json: {e}"));
            let (service, seen) = recording(ok_response());
            let json = match expected
                .config
                .apply(Serve::new(service))
                .invoke(&event)
                .await
            {
                Ok(json) => json,
                Err(error) => {
                    failures.push(format!("{source}/{case}: invocation failed: {error}"));
                    continue;
                }
            };
            let Some(seen) = seen.lock().unwrap().take() else {
                failures.push(format!(
                    "{source}/{case}: the service was not called; response {json}"
                ));
                continue;
            };
            let want = SeenRequest {
                method: expected.method.clone(),
                uri: expected.uri.clone(),
                headers: normalized(expected.headers.clone()),
                body: expected.body(),
                // Without an expectation, the default: nothing removed, the client URL is the URI.
                prefix: Some(expected.prefix.clone().unwrap_or_default()),
                client_url: Some(
                    expected
                        .client_url
                        .clone()
                        .unwrap_or_else(|| expected.uri.clone()),
                ),
                source: Some(detected_as(source).to_owned()),
            };
            let got = SeenRequest {
                headers: normalized(seen.headers),
                ..seen
            };
            if got != want {
                failures.push(format!("{source}/{case}:\n  want {want:?}\n  got  {got:?}"));
            }
            let response: Value = serde_json::from_str(&json).unwrap();
            let (header_key, alb) = shape_of(source);
            if response.get(header_key).is_none()
                || response.get("statusDescription").is_some() != alb
            {
                failures.push(format!(
                    "{source}/{case}: answered in the wrong shape: {json}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_response_encodes_to_the_exact_json() {
    let mut failures = Vec::new();
    for source in SOURCES {
        let dir = fixtures().join(source).join("responses");
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        cases.sort();
        assert!(
            cases.len() >= MIN_CASES,
            "{source}: only {} response fixtures",
            cases.len()
        );
        for path in cases {
            let name = format!(
                "{source}/responses/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            let case: ResponseCase = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let event = std::fs::read(
                fixtures()
                    .join(source)
                    .join(format!("{}.json", case.request)),
            )
            .unwrap_or_else(|e| panic!("{name}: request {}: {e}", case.request));
            let (service, _) = recording(case.response.clone());
            let serve = case.config.apply(Serve::new(service));
            match serve.invoke(&event).await {
                Ok(json) => {
                    let got: Value = serde_json::from_str(&json).unwrap();
                    if got != case.expected {
                        failures.push(format!("{name}:\n  want {}\n  got  {got}", case.expected));
                    }
                }
                Err(error) => failures.push(format!("{name}: invocation failed: {error}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
