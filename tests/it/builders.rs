//! The event builders produce what each source sends, so one test runs across all sources: the
//! service sees the client's request (method, path, query, every header and cookie, the body) and
//! the client gets the service's response back (status, headers, cookies, body bytes).

use axum::{body::Bytes, extract::Request, response::AppendHeaders, routing::any, Router};
use http::header::SET_COOKIE;
use tower_lambda::testing::{EventBuilder, Shape};
use tower_lambda::{EventSource, RequestExt, Serve};

/// Echoes what it saw, and answers with a binary body and two cookies.
async fn echo(request: Request) -> (AppendHeaders<[(http::HeaderName, &'static str); 3]>, String) {
    let source = request
        .request_context()
        .map(|c| format!("{:?}", c.source()));
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut headers: Vec<String> = parts
        .headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-") || *n == "cookie")
        .map(|(n, v)| format!("{n}={}", v.to_str().unwrap_or("?")))
        .collect();
    headers.sort();
    (
        AppendHeaders([
            (http::header::CONTENT_TYPE, "text/plain"),
            (SET_COOKIE, "a=1"),
            (SET_COOKIE, "b=2"),
        ]),
        format!(
            "{} {} {} {:?} {} {}",
            source.unwrap_or_default(),
            parts.method,
            parts.uri.path_and_query().map_or("", |p| p.as_str()),
            headers,
            body.len(),
            body.iter().map(|b| u32::from(*b)).sum::<u32>()
        ),
    )
}

fn expected_source(shape: Shape) -> EventSource {
    match shape {
        Shape::RestApi => EventSource::RestApi,
        Shape::HttpApiV1 => EventSource::HttpApiV1,
        Shape::HttpApiV2 => EventSource::HttpApiV2,
        Shape::FunctionUrl => EventSource::FunctionUrl,
        Shape::VpcLatticeV1 => EventSource::VpcLatticeV1,
        Shape::VpcLatticeV2 => EventSource::VpcLatticeV2,
        _ => EventSource::Alb,
    }
}

#[tokio::test]
async fn one_test_across_every_source() {
    let app = Router::new().fallback(any(echo));
    let body: Vec<u8> = vec![0xff, 0x00, 0x7f, 0x80];
    for shape in EventBuilder::SOURCES {
        let event = EventBuilder::new(shape, "PUT", "/files/a%20b?tag=x&tag=y&q=1%262")
            .header("x-one", "1")
            .header("x-two", "2a")
            .header("x-two", "2b")
            .header("cookie", "s=1; t=2")
            .body(body.clone())
            .stage("dev")
            .build();
        let response = Serve::new(app.clone())
            .invoke_decoded(&event)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{shape:?}");
        let mut cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
        cookies.sort(); // single-value maps carry them under different spellings of the name
        assert_eq!(
            cookies,
            ["a=1", "b=2"],
            "{shape:?}: every cookie reaches the client"
        );
        let (source, rest) = response
            .text()
            .split_once(' ')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .unwrap();
        assert_eq!(
            source,
            format!("{:?}", expected_source(shape)),
            "{shape:?} is detected as itself"
        );
        // Repeated headers arrive as repeated values, or comma-joined where the source joins them.
        let two = match shape {
            Shape::HttpApiV2 | Shape::FunctionUrl => r#""x-two=2a,2b""#.to_owned(),
            Shape::Alb | Shape::VpcLatticeV1 => r#""x-two=2a, 2b""#.to_owned(),
            _ => r#""x-two=2a", "x-two=2b""#.to_owned(),
        };
        // VPC Lattice adds the client's address to every request.
        let forwarded = match shape {
            Shape::VpcLatticeV1 | Shape::VpcLatticeV2 => r#""x-forwarded-for=203.0.113.7", "#,
            _ => "",
        };
        let expected = format!(
            r#"PUT /files/a%20b?{} ["cookie=s=1; t=2", {forwarded}"x-one=1", {two}] 4 510"#,
            match shape {
                // Query maps group the values by key (and the builder writes keys sorted).
                Shape::RestApi | Shape::HttpApiV1 | Shape::AlbMultiValue => "q=1%262&tag=x&tag=y",
                // ALB without multi-value headers keeps the last value of a repeated key.
                Shape::Alb => "q=1%262&tag=y",
                _ => "tag=x&tag=y&q=1%262",
            }
        );
        assert_eq!(rest, expected, "{shape:?}");
    }
}

#[tokio::test]
async fn text_bodies_travel_as_text_and_binary_as_base64() {
    for shape in EventBuilder::SOURCES {
        let text: serde_json::Value =
            serde_json::from_str(&EventBuilder::new(shape, "POST", "/").body("hé").build())
                .unwrap();
        // VPC Lattice V1 spells the flag in snake case.
        let flag = |event: &serde_json::Value| {
            event
                .get("isBase64Encoded")
                .or_else(|| event.get("is_base64_encoded"))
                .and_then(serde_json::Value::as_bool)
        };
        assert_eq!(
            (text["body"].as_str(), flag(&text)),
            (Some("hé"), Some(false)),
            "{shape:?}"
        );
        let binary: serde_json::Value = serde_json::from_str(
            &EventBuilder::new(shape, "POST", "/")
                .body(vec![0xff])
                .build(),
        )
        .unwrap();
        assert_eq!(
            (binary["body"].as_str(), flag(&binary)),
            (Some("/w=="), Some(true)),
            "{shape:?}"
        );
    }
}

#[tokio::test]
async fn the_stage_goes_where_each_source_puts_it() {
    let app = Router::new().fallback(any(|request: Request| async move {
        format!("{} [{}]", request.uri().path(), request.path_prefix())
    }));
    for (shape, expected) in [
        (Shape::RestApi, "/items [/dev]"),
        (Shape::HttpApiV1, "/items [/dev]"),
        (Shape::HttpApiV2, "/items [/dev]"),
        (Shape::FunctionUrl, "/items []"),
        (Shape::Alb, "/items []"),
    ] {
        let event = EventBuilder::new(shape, "GET", "/items")
            .stage("dev")
            .build();
        let response = Serve::new(app.clone()).invoke_decoded(event).await.unwrap();
        assert_eq!(response.text(), expected, "{shape:?}");
        let _: &Bytes = response.body();
    }
}

/// Every shape, the WebSocket one included.
fn every_shape() -> impl Iterator<Item = Shape> {
    EventBuilder::SOURCES
        .into_iter()
        .chain(std::iter::once(Shape::WebSocket))
}

fn event_for(shape: Shape) -> String {
    let target = if shape == Shape::WebSocket {
        "/sendmessage"
    } else {
        "/page"
    };
    EventBuilder::new(shape, "POST", target).body("{}").build()
}

#[tokio::test]
async fn set_cookies_keep_the_service_order_on_every_source() {
    // Cookies of one name with different paths: the order decides which the browser keeps.
    let app = Router::new().fallback(any(|| async {
        AppendHeaders([
            (SET_COOKIE, "id=1; Path=/"),
            (SET_COOKIE, "id=2; Path=/app"),
            (SET_COOKIE, "z=3"),
            (SET_COOKIE, "a=4"),
        ])
    }));
    for shape in every_shape() {
        for single_value_headers in [false, true] {
            let serve = Serve::new(app.clone()).single_value_headers(single_value_headers);
            let json = serve.invoke(event_for(shape)).await.unwrap();
            // In the JSON itself, in the service's order...
            let at = |cookie: &str| {
                json.find(cookie)
                    .unwrap_or_else(|| panic!("{cookie} in {json}"))
            };
            assert!(
                at("id=1") < at("id=2") && at("id=2") < at("z=3") && at("z=3") < at("a=4"),
                "{shape:?}: {json}"
            );
            // ...and as the client reads it back.
            let response = serve.invoke_decoded(event_for(shape)).await.unwrap();
            let cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
            assert_eq!(
                cookies,
                ["id=1; Path=/", "id=2; Path=/app", "z=3", "a=4"],
                "{shape:?}, single_value_headers {single_value_headers}"
            );
        }
    }
}

#[tokio::test]
async fn hop_by_hop_headers_never_reach_the_gateway() {
    let app = Router::new().fallback(any(|| async {
        (
            AppendHeaders([
                (http::header::TRANSFER_ENCODING, "chunked"),
                (http::header::CONNECTION, "keep-alive, x-per-hop"),
                (http::HeaderName::from_static("keep-alive"), "timeout=5"),
                (http::HeaderName::from_static("x-per-hop"), "1"),
                (http::header::TE, "trailers"),
                (http::header::TRAILER, "x-checksum"),
                (http::header::UPGRADE, "h2c"),
                (
                    http::HeaderName::from_static("proxy-connection"),
                    "keep-alive",
                ),
                (http::header::CACHE_CONTROL, "no-store"),
            ]),
            "body",
        )
    }));
    for shape in every_shape() {
        let response = Serve::new(app.clone())
            .invoke_decoded(event_for(shape))
            .await
            .unwrap();
        let mut names: Vec<&str> = response.headers().keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        // axum's own content-type and content-length, and the end-to-end header: nothing else.
        assert_eq!(
            names,
            ["cache-control", "content-length", "content-type"],
            "{shape:?}: {}",
            response.json()
        );
        assert_eq!(response.text(), "body");
    }
}
