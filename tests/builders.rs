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
            Shape::Alb => r#""x-two=2a, 2b""#.to_owned(),
            _ => r#""x-two=2a", "x-two=2b""#.to_owned(),
        };
        let expected = format!(
            r#"PUT /files/a%20b?{} ["cookie=s=1; t=2", "x-one=1", {two}] 4 510"#,
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
        assert_eq!(
            (text["body"].as_str(), text["isBase64Encoded"].as_bool()),
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
            (binary["body"].as_str(), binary["isBase64Encoded"].as_bool()),
            (Some("/w=="), Some(true))
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
