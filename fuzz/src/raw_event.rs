//! The `raw_event` target: arbitrary bytes as a Lambda event.

use base64::Engine;
use http::header::HOST;
use http::uri::Authority;
use http::{Request, Response};
use http_body_util::Full;
use std::convert::Infallible;
use std::sync::Arc;
use tower_lambda::{EventSource, PathMode, Serve};

use super::oracle::{
    block_on, check_reply_body, check_reply_headers, check_uri, expected_authority, lenient_base64,
    parse_reply, record, store, take, Shape, Slot, ALL_SHAPES,
};

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
    // VPC Lattice requests carry only a `Host` header: a `domainName` is never their authority.
    let lattice = matches!(
        source,
        EventSource::VpcLatticeV1 | EventSource::VpcLatticeV2
    );
    let domain = value
        .as_ref()
        .filter(|_| !lattice)
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
            _ => seen
                .client_url
                .as_ref()
                .and_then(|url| url.authority())
                .map(|a| a.as_str().to_owned()),
        }
    };
    // The request URI is in origin form; the authority is the ClientUrl's.
    check_uri(&seen.uri, None, "request URI", &event);
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
            prefix.is_empty() && client.path_and_query() == seen.uri.path_and_query(),
            "PathMode::AsRequested: the request URI has the client URL's path and query, and nothing is removed\nevent: {event}"
        );
    }

    if let Some(value) = &value {
        // `isBase64Encoded` (VPC Lattice V1: `is_base64_encoded`) is a boolean, or (from some
        // test tools) the string "true"/"false".
        let flag = value
            .get("isBase64Encoded")
            .or_else(|| value.get("is_base64_encoded"));
        let base64 = match flag {
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
