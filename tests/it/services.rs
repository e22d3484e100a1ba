//! The services `serve` accepts: an `axum::Router` as is, a `tower::ServiceBuilder` stack with
//! tower-http layers, and a hyper 1.x service through `from_hyper` — each run through the
//! production path.

use axum::{routing::get, Router};
use http::{header, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::convert::Infallible;
use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_lambda::{Body, Serve};

fn v2_get(path: &str, headers: Value) -> String {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"domainName": "abc.execute-api.us-east-1.amazonaws.com", "http": {"method": "GET"}},
        "isBase64Encoded": false
    })
    .to_string()
}

/// `serve` must accept these types; calling it without awaiting checks the bounds and runs nothing.
#[test]
fn serve_accepts_routers_stacks_and_hyper_services() {
    let router = Router::new().route("/", get(|| async { "hi" }));
    drop(tower_lambda::serve(router.clone()));
    let stack = ServiceBuilder::new()
        .layer(CorsLayer::permissive())
        .service(router);
    drop(tower_lambda::serve(stack));
    let hyper = hyper::service::service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(String::from("hyper")))
    });
    drop(tower_lambda::serve(tower_lambda::from_hyper(hyper)));
}

#[tokio::test]
async fn a_service_builder_stack_with_tower_http_layers_runs_unchanged() {
    let router = Router::new().route("/", get(|| async { "hi" }));
    let stack = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CorsLayer::permissive())
        .service(router);
    let json = Serve::new(stack)
        .invoke(v2_get("/", json!({"origin": "https://app.example"})))
        .await
        .unwrap();
    let got: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        got,
        json!({
            "statusCode": 200,
            "headers": {
                "content-type": "text/plain; charset=utf-8",
                "content-length": "2",
                "cache-control": "no-store",
                "access-control-allow-origin": "*",
                "access-control-expose-headers": "*",
                "vary": "origin, access-control-request-method, access-control-request-headers"
            },
            "cookies": [],
            "body": "hi",
            "isBase64Encoded": false
        })
    );
}

#[tokio::test]
async fn a_hyper_service_runs_through_from_hyper() {
    let hyper = hyper::service::service_fn(|request: Request<Body>| async move {
        let body = request.into_body().collect().await?.to_bytes();
        Ok::<_, tower_lambda::BoxError>(Response::new(format!("hyper got {} bytes", body.len())))
    });
    let event = json!({
        "httpMethod": "POST", "path": "/", "body": "aGVsbG8=", "isBase64Encoded": true,
        "requestContext": {"domainName": "api.example.com"}
    });
    let json = Serve::new(tower_lambda::from_hyper(hyper))
        .invoke(event.to_string())
        .await
        .unwrap();
    let got: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        got,
        json!({"statusCode": 200, "multiValueHeaders": {}, "body": "hyper got 5 bytes", "isBase64Encoded": false})
    );
}

#[tokio::test]
async fn a_binary_response_from_a_router_is_base64() {
    let png: &'static [u8] = b"\x89PNG\r\n\x1a\n\0\0";
    let router = Router::new().route(
        "/p.png",
        get(move || async move { ([(header::CONTENT_TYPE, "image/png")], png) }),
    );
    let json = Serve::new(router)
        .invoke(v2_get("/p.png", json!({})))
        .await
        .unwrap();
    let got: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(got["isBase64Encoded"], true);
    assert_eq!(got["body"], "iVBORw0KGgoAAA==");
}
