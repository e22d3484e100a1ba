//! What the app sends back behind a removed prefix (an API Gateway stage, a custom domain's base
//! path, `strip_base_path`): `Location`, `Content-Location` and cookie paths get the prefix back,
//! on recorded events of every prefix kind, with axum's `Redirect`, tower-http's `ServeDir`
//! directory redirect and an external redirect; and the request URI is in origin form on every
//! source.

use axum::response::{AppendHeaders, Redirect};
use axum::routing::get;
use axum::Router;
use http::header::{CONTENT_LOCATION, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_lambda::testing::{EventBuilder, TestResponse};
use tower_lambda::Serve;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn app() -> Router {
    Router::new()
        .route(
            "/account",
            get(|| async { Redirect::to("/login?next=/account") }),
        )
        .route(
            "/elsewhere",
            get(|| async { Redirect::to("https://login.example.com/start") }),
        )
        .route("/relative", get(|| async { Redirect::to("docs/") }))
        .route(
            "/cookies",
            get(|| async {
                (
                    AppendHeaders([
                        (SET_COOKIE, "session=1; Path=/admin; HttpOnly"),
                        (SET_COOKIE, "theme=dark; Path=/"),
                        (SET_COOKIE, "lang=en"),
                        (CONTENT_LOCATION, "/cookies.json"),
                    ]),
                    "ok",
                )
            }),
        )
        // `/docs` is a directory of it: ServeDir redirects to `/docs/`.
        .fallback_service(ServeDir::new(fixtures().join("redirects")))
}

/// A recorded event of `folder/case`, asking for `path` instead, and the options its case runs
/// with (the `strip_base_path` of its expectation).
fn recorded(folder: &str, case: &str, path: &str) -> (String, Option<String>) {
    let dir = fixtures().join(folder);
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{case}.json"))).unwrap())
            .unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{case}.expected.json"))).unwrap(),
    )
    .unwrap();
    let prefix = expected["prefix"].as_str().unwrap().to_owned();
    // The path as the source carries it: REST `path` without the stage (which the request
    // context's path has), HTTP API `rawPath` with it, custom domains without the base path.
    if event.get("httpMethod").is_some() {
        event["path"] = Value::from(path);
        let context_path = format!("{prefix}{path}");
        event["requestContext"]["path"] = Value::from(context_path);
        event["httpMethod"] = Value::from("GET");
        for key in ["queryStringParameters", "multiValueQueryStringParameters"] {
            event[key] = Value::Null;
        }
    } else {
        let raw_path = event["rawPath"].as_str().unwrap();
        let kept = raw_path.strip_suffix(expected_route(&expected)).unwrap();
        event["rawPath"] = Value::from(format!("{kept}{path}"));
        event["rawQueryString"] = Value::from("");
        event["requestContext"]["http"]["method"] = Value::from("GET");
    }
    event["body"] = Value::Null;
    let strip = expected["config"]["strip_base_path"]
        .as_str()
        .map(str::to_owned);
    (event.to_string(), strip)
}

fn expected_route(expected: &Value) -> &str {
    let uri = expected["uri"].as_str().unwrap();
    uri.split('?').next().unwrap()
}

async fn get_recorded(
    folder: &str,
    case: &str,
    path: &str,
    restore: bool,
) -> (TestResponse, String) {
    let (event, strip) = recorded(folder, case, path);
    let mut serve = Serve::new(app()).restore_path_prefix(restore);
    if let Some(strip) = strip {
        serve = serve.strip_base_path(strip);
    }
    let response = serve.invoke_decoded(&event).await.unwrap();
    (response, event)
}

/// Every prefix kind, recorded: (folder, case, prefix, the client's origin).
const PREFIXED: [(&str, &str, &str, &str); 5] = [
    (
        "rest_api",
        "stage_execute_api_prod",
        "/prod",
        "https://r4nd0m1d23.execute-api.us-east-1.amazonaws.com",
    ),
    (
        "rest_api",
        "base_custom_domain_v1",
        "/v1",
        "https://api.example.com",
    ),
    (
        "http_api_v2",
        "stage_named_dev_execute_api",
        "/dev",
        "https://k3m9x2p7qa.execute-api.eu-central-1.amazonaws.com",
    ),
    (
        "http_api_v2",
        "base_strip_config_default_stage",
        "/v1",
        "https://api.example.com",
    ),
    (
        "function_url",
        "base_strip_v1",
        "/v1",
        "https://a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.us-east-1.on.aws",
    ),
];

#[tokio::test]
async fn redirects_get_the_removed_prefix_back() {
    for (folder, case, prefix, _) in PREFIXED {
        let (response, event) = get_recorded(folder, case, "/account", true).await;
        assert_eq!(response.status(), 303, "{folder}/{case}: {event}");
        assert_eq!(
            response.headers()[LOCATION],
            format!("{prefix}/login?next=/account"),
            "{folder}/{case}"
        );
    }
}

#[tokio::test]
async fn serve_dir_directory_redirects_get_the_prefix_back() {
    for (folder, case, prefix, _) in PREFIXED {
        let (response, _) = get_recorded(folder, case, "/docs", true).await;
        assert_eq!(response.status(), 307, "{folder}/{case}");
        // ServeDir builds the redirect from the request URI, in origin form.
        assert_eq!(
            response.headers()[LOCATION],
            format!("{prefix}/docs/"),
            "{folder}/{case}"
        );
        // And the file it redirects to is served.
        let (response, _) = get_recorded(folder, case, "/docs/", true).await;
        assert_eq!(
            (response.status().as_u16(), response.text().as_ref()),
            (200, "the guide\n"),
            "{folder}/{case}"
        );
    }
}

#[tokio::test]
async fn other_origins_and_relative_references_are_left_alone() {
    for (folder, case, _, _) in PREFIXED {
        let (response, _) = get_recorded(folder, case, "/elsewhere", true).await;
        assert_eq!(
            response.headers()[LOCATION],
            "https://login.example.com/start"
        );
        let (response, _) = get_recorded(folder, case, "/relative", true).await;
        assert_eq!(response.headers()[LOCATION], "docs/");
    }
}

#[tokio::test]
async fn cookie_paths_below_the_root_and_content_location_get_the_prefix() {
    for (folder, case, prefix, _) in PREFIXED {
        let (response, _) = get_recorded(folder, case, "/cookies", true).await;
        let cookies: Vec<_> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            cookies,
            [
                format!("session=1; Path={prefix}/admin; HttpOnly"),
                "theme=dark; Path=/".to_owned(),
                "lang=en".to_owned()
            ],
            "{folder}/{case}"
        );
        assert_eq!(
            response.headers()[CONTENT_LOCATION],
            format!("{prefix}/cookies.json")
        );
    }
}

#[tokio::test]
async fn the_opt_out_and_an_unprefixed_request_leave_everything_alone() {
    for (folder, case, _, _) in PREFIXED {
        let (response, _) = get_recorded(folder, case, "/account", false).await;
        assert_eq!(response.headers()[LOCATION], "/login?next=/account");
        let (response, _) = get_recorded(folder, case, "/cookies", false).await;
        assert_eq!(
            response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .next()
                .unwrap(),
            "session=1; Path=/admin; HttpOnly"
        );
    }
    // Nothing removed ($default stage, no base path): nothing to put back.
    for shape in EventBuilder::SOURCES {
        let event = EventBuilder::new(shape, "GET", "/account").build();
        let response = Serve::new(app()).invoke_decoded(&event).await.unwrap();
        assert_eq!(
            response.headers()[LOCATION],
            "/login?next=/account",
            "{shape:?}"
        );
    }
}

#[tokio::test]
async fn absolute_urls_on_the_clients_own_origin_get_the_prefix() {
    for (folder, case, prefix, origin) in PREFIXED {
        let location = format!("{origin}/login");
        let app = Router::new().route(
            "/account",
            get(move || {
                let location = location.clone();
                async move { Redirect::to(&location) }
            }),
        );
        let (event, strip) = recorded(folder, case, "/account");
        let mut serve = Serve::new(app);
        if let Some(strip) = strip {
            serve = serve.strip_base_path(strip);
        }
        let response = serve.invoke_decoded(&event).await.unwrap();
        assert_eq!(
            response.headers()[LOCATION],
            format!("{origin}{prefix}/login"),
            "{folder}/{case}"
        );
    }
}

#[tokio::test]
async fn the_request_uri_is_in_origin_form_on_every_source() {
    let app = Router::new().route(
        "/where",
        get(|request: http::Request<axum::body::Body>| async move {
            let client = tower_lambda::RequestExt::client_url(&request)
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("{} {client}", request.uri())
        }),
    );
    for shape in EventBuilder::SOURCES {
        let event = EventBuilder::new(shape, "GET", "/where?a=1")
            .header("host", "api.example.com")
            .build();
        let response = Serve::new(app.clone())
            .invoke_decoded(&event)
            .await
            .unwrap();
        assert_eq!(
            response.text(),
            "/where?a=1 https://api.example.com/where?a=1",
            "{shape:?}"
        );
    }
}
