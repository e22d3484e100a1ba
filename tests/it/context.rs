//! The typed request context, the axum extractors and `ConnectInfo`: every value comes from the
//! event, never from headers a client could send.

use axum::{extract::ConnectInfo, routing::get, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use tower_lambda::extract::LambdaContext;
use tower_lambda::{EventSource, RequestContext, RequestExt, Serve, SourceContext};

fn fixture(path: &str) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    serde_json::from_slice(&std::fs::read(dir.join(format!("{path}.json"))).unwrap()).unwrap()
}

/// Answers with a JSON summary of what the request carries.
async fn summary(request: axum::extract::Request) -> axum::Json<Value> {
    let connect = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let Some(context) = request.request_context() else {
        return axum::Json(json!({"context": null}));
    };
    let mut stage_variables: Vec<_> = context.stage_variables().iter().collect();
    stage_variables.sort();
    let mut path_parameters: Vec<_> = context.path_parameters().iter().collect();
    path_parameters.sort();
    axum::Json(json!({
        "source": format!("{:?}", context.source()),
        "request_id": context.request_id(),
        "stage": context.stage(),
        "domain_name": context.domain_name(),
        "source_ip": context.source_ip().map(|ip| ip.to_string()),
        "connect_info": connect,
        "user_agent": context.user_agent(),
        "stage_variables": stage_variables,
        "path_parameters": path_parameters,
        "claim1": context.claim("claim1"),
        "scopes": context.scopes(),
        "authorizer_context": context.authorizer_context(),
        "iam_user_arn": context.iam_user_arn(),
        "typed_ok": context.typed().is_ok(),
    }))
}

async fn summarize(event: &Value) -> Value {
    let app = Router::new().fallback(summary);
    let json = Serve::new(app).invoke(event.to_string()).await.unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn rest_api_context() {
    let got = summarize(&fixture("rest_api/proxy_request")).await;
    assert_eq!(
        got,
        json!({
            "source": "RestApi",
            "request_id": "deef4878-7910-11e6-8f14-25afc3e9ae33",
            "stage": "testStage",
            "domain_name": "gy415nuibc.execute-api.us-east-2.amazonaws.com",
            "source_ip": "192.168.196.186",
            "connect_info": "192.168.196.186:0",
            "user_agent": "PostmanRuntime/2.4.5",
            "stage_variables": [["stageVariableName", "stageVariableValue"]],
            "path_parameters": [["proxy", "hello/world"]],
            "claim1": null,
            "scopes": null,
            "authorizer_context": {"principalId": "admin", "clientId": 1, "clientName": "Exata"},
            "iam_user_arn": "theUserArn",
            "typed_ok": true
        })
    );
}

#[tokio::test]
async fn http_api_jwt_context() {
    let got = summarize(&fixture("http_api_v2/jwt_authorizer_no_host")).await;
    assert_eq!(got["source"], "HttpApiV2");
    assert_eq!(got["request_id"], "id");
    assert_eq!(got["stage"], "$default");
    // The recorded event's `sourceIp` is the placeholder "IP": not an address, so none is claimed.
    assert_eq!(got["source_ip"], Value::Null);
    assert_eq!(got["connect_info"], Value::Null);
    assert_eq!(got["claim1"], "value1");
    assert_eq!(got["scopes"], json!(["scope1", "scope2"]));
    assert_eq!(
        got["stage_variables"],
        json!([["stageVariable1", "value1"], ["stageVariable2", "value2"]])
    );
    assert_eq!(got["path_parameters"], json!([["proxy", "hello/world"]]));
}

#[tokio::test]
async fn function_url_iam_context() {
    let got = summarize(&fixture("function_url/doc_example_iam_no_host")).await;
    assert_eq!(got["source"], "FunctionUrl");
    assert_eq!(got["source_ip"], "123.123.123.123");
    assert_eq!(got["connect_info"], "123.123.123.123:0");
    assert_eq!(
        got["iam_user_arn"],
        "arn:aws:iam::111122223333:user/example-user"
    );
    assert_eq!(got["stage"], Value::Null);
}

#[tokio::test]
async fn alb_source_ip_is_the_entry_alb_appended() {
    let mut event = fixture("alb/request");
    event["headers"]["x-forwarded-for"] = json!("6.6.6.6, 72.21.198.66");
    let got = summarize(&event).await;
    assert_eq!(got["source"], "Alb");
    assert_eq!(
        got["source_ip"], "72.21.198.66",
        "the client-supplied first entry is ignored"
    );
    assert_eq!(got["request_id"], Value::Null);
    assert_eq!(got["typed_ok"], true);
}

#[tokio::test]
async fn look_alike_headers_change_nothing() {
    let honest = summarize(&fixture("http_api_v2/jwt_authorizer_no_host")).await;
    let mut forged = fixture("http_api_v2/jwt_authorizer_no_host");
    let headers = forged["headers"].as_object_mut().unwrap();
    for (name, value) in [
        (
            "x-amzn-request-context",
            r#"{"stage":"admin","authorizer":{"jwt":{"claims":{"claim1":"forged"}}}}"#,
        ),
        (
            "x-amzn-apigateway-event",
            r#"{"requestContext":{"requestId":"forged"}}"#,
        ),
        ("x-amzn-lambda-context", r#"{"request_id":"forged"}"#),
        ("x-apigateway-context", r#"{"stage":"forged"}"#),
        ("x-forwarded-for", "6.6.6.6"),
        ("x-real-ip", "6.6.6.6"),
        ("lambda-runtime-aws-request-id", "forged"),
    ] {
        headers.insert(name.to_owned(), json!(value));
    }
    assert_eq!(summarize(&forged).await, honest);
}

#[tokio::test]
async fn typed_context_matches_the_source() {
    let app = Router::new().fallback(|request: axum::extract::Request| async move {
        match request.request_context().map(RequestContext::typed) {
            Some(Ok(SourceContext::HttpApiV2(c))) => {
                format!("v2 {}", c.route_key.as_deref().unwrap_or(""))
            }
            Some(Ok(SourceContext::RestApi(c))) => {
                format!("rest {}", c.resource_path.as_deref().unwrap_or(""))
            }
            other => format!("other {other:?}"),
        }
    });
    let serve = Serve::new(app);
    let body = |json: String| serde_json::from_str::<Value>(&json).unwrap()["body"].clone();
    let v2 = serve
        .invoke(fixture("http_api_v2/no_authorizer").to_string())
        .await
        .unwrap();
    assert_eq!(body(v2), "v2 $default");
    let rest = serve
        .invoke(fixture("rest_api/proxy_request").to_string())
        .await
        .unwrap();
    assert_eq!(body(rest), "rest /{proxy+}");
}

#[tokio::test]
async fn extractors_give_the_context_or_say_what_is_missing() {
    let app = Router::new()
        .route(
            "/context",
            get(|context: RequestContext| async move {
                format!("{:?}", context.source() == EventSource::HttpApiV2)
            }),
        )
        .route(
            "/lambda",
            get(|LambdaContext(c): LambdaContext| async move { c.request_id }),
        );
    let event = |path: &str| {
        json!({
            "version": "2.0", "rawPath": path, "rawQueryString": "",
            "requestContext": {"http": {"method": "GET"}, "domainName": "x.example", "timeEpoch": 0},
        })
        .to_string()
    };
    let serve = Serve::new(app);
    let context: Value =
        serde_json::from_str(&serve.invoke(event("/context")).await.unwrap()).unwrap();
    assert_eq!(
        (context["statusCode"].as_u64(), context["body"].as_str()),
        (Some(200), Some("true"))
    );
    // `Serve::invoke` runs without the Lambda runtime, so there is no invocation context.
    let lambda: Value =
        serde_json::from_str(&serve.invoke(event("/lambda")).await.unwrap()).unwrap();
    assert_eq!(lambda["statusCode"], 500);
    assert!(
        lambda["body"]
            .as_str()
            .unwrap()
            .contains("missing the Lambda invocation context"),
        "{lambda}"
    );
}

#[tokio::test]
async fn http_api_v1_jwt_claims_and_scopes() {
    let mut event = fixture("http_api_v1/doc_example");
    event["requestContext"]["authorizer"] =
        json!({"claims": {"claim1": "v1-claim"}, "scopes": ["read", "write"]});
    let got = summarize(&event).await;
    assert_eq!(got["source"], "HttpApiV1");
    assert_eq!(got["claim1"], "v1-claim");
    assert_eq!(got["scopes"], json!(["read", "write"]));
}

#[tokio::test]
async fn websocket_context_from_the_event() {
    let got = summarize(&fixture("websocket/connect_authorizer")).await;
    assert_eq!(
        got,
        json!({
            "source": "WebSocket",
            "request_id": "L0SM9HMvvHcF-6Q=",
            "stage": "prod",
            "domain_name": "aabbccddee.execute-api.us-east-1.amazonaws.com",
            "source_ip": "192.0.2.1",
            "connect_info": "192.0.2.1:0",
            "user_agent": null,
            "stage_variables": [],
            "path_parameters": [],
            "claim1": null,
            "scopes": null,
            "authorizer_context": {"principalId": "user-1234", "integrationLatency": 112, "tenant": "acme", "role": "admin"},
            "iam_user_arn": null,
            "typed_ok": true,
        })
    );

    // The extractor: every field of the connection and the event.
    async fn fields(ws: tower_lambda::WebSocketContext) -> axum::Json<Value> {
        axum::Json(json!({
            "connection_id": ws.connection_id(),
            "route_key": ws.route_key(),
            "event_type": format!("{:?}", ws.event_type()),
            "message_id": ws.message_id(),
            "connected_at": ws.connected_at(),
            "request_time_epoch": ws.request_time_epoch(),
            "stage": ws.stage(),
            "domain_name": ws.domain_name(),
            "api_id": ws.api_id(),
            "disconnect": [json!(ws.disconnect_status_code()), json!(ws.disconnect_reason())],
            "callback_url": ws.callback_url_in(Some("eu-west-1")),
        }))
    }
    let app = Router::new().fallback(fields);
    let body = |json: String| -> Value {
        let response: Value = serde_json::from_str(&json).unwrap();
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    };
    let connect = Serve::new(app.clone())
        .invoke(fixture("websocket/connect_authorizer").to_string())
        .await
        .unwrap();
    assert_eq!(
        body(connect),
        json!({
            "connection_id": "R0oXAdfD0kwCH6w=", "route_key": "$connect",
            "event_type": "Some(Connect)", "message_id": null, "connected_at": 1707503007396u64,
            "request_time_epoch": 1707503008941u64, "stage": "prod",
            "domain_name": "aabbccddee.execute-api.us-east-1.amazonaws.com", "api_id": "aabbccddee",
            "disconnect": [null, null],
            "callback_url": "https://aabbccddee.execute-api.us-east-1.amazonaws.com/prod",
        })
    );
    let disconnect = Serve::new(app.clone())
        .invoke(fixture("websocket/disconnect").to_string())
        .await
        .unwrap();
    let disconnect = body(disconnect);
    assert_eq!(disconnect["event_type"], "Some(Disconnect)");
    assert_eq!(
        disconnect["disconnect"],
        json!([1005, "Client-side close frame status not set"])
    );
    let message = Serve::new(app.clone())
        .invoke(fixture("websocket/custom_domain_message").to_string())
        .await
        .unwrap();
    let message = body(message);
    assert_eq!(message["event_type"], "Some(Message)");
    assert_eq!(message["route_key"], "sendmessage");
    assert!(message["message_id"].is_string());
    // A custom domain does not say which base path maps to the API: the execute-api endpoint.
    assert_eq!(
        message["callback_url"],
        format!(
            "https://{}.execute-api.eu-west-1.amazonaws.com/{}",
            message["api_id"].as_str().unwrap(),
            message["stage"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn vpc_lattice_context_from_the_event() {
    let got = summarize(&fixture("vpc_lattice_v2/identity_x509_roles_anywhere")).await;
    assert_eq!(got["source"], "VpcLatticeV2");
    assert_eq!(
        got["source_ip"], "10.213.229.10",
        "the entry Lattice appended"
    );
    assert_eq!(got["connect_info"], "10.213.229.10:0");
    assert_eq!(
        got["iam_user_arn"],
        "arn:aws:sts::123456789012:assumed-role/ExternalPartnerAccessRole/6c6c7b0a4f1d2e3f"
    );
    assert_eq!(
        (&got["request_id"], &got["stage"], &got["domain_name"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(got["typed_ok"], true);

    async fn fields(lattice: tower_lambda::LatticeContext) -> axum::Json<Value> {
        let identity = lattice.identity().cloned().unwrap_or_default();
        axum::Json(json!({
            "service_network_arn": lattice.service_network_arn(),
            "service_arn": lattice.service_arn(),
            "target_group_arn": lattice.target_group_arn(),
            "region": lattice.region(),
            "time_epoch_micros": lattice.time_epoch_micros(),
            "identity": [
                identity.source_vpc_arn(), identity.identity_type(), identity.principal(),
                identity.principal_org_id(), identity.session_name(), identity.x509_issuer_ou(),
                identity.x509_san_dns(), identity.x509_san_name_cn(), identity.x509_san_uri(),
                identity.x509_subject_cn(),
            ],
        }))
    }
    let app = Router::new().fallback(fields);
    let json = Serve::new(app.clone())
        .invoke(fixture("vpc_lattice_v2/identity_x509_roles_anywhere").to_string())
        .await
        .unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    let got: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        got,
        json!({
            "service_network_arn": "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-0bf3f2882e9cc805a",
            "service_arn": "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0a40eebed65f8d69c",
            "target_group_arn": "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-6d0ecf831eec9f09",
            "region": "us-west-2",
            "time_epoch_micros": 1690497599177430u64,
            "identity": [
                "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0b8276c84697e7339", "AWS_IAM",
                "arn:aws:sts::123456789012:assumed-role/ExternalPartnerAccessRole/6c6c7b0a4f1d2e3f",
                "o-50dc6c495c0c9188", "6c6c7b0a4f1d2e3f", "Engineering Department",
                "partner-system.external-company.com", "Data Sync Service",
                "https://partner-system.external-company.com/sync",
                "external-partner-data-sync.external-company.com",
            ],
        })
    );

    // V1 carries no context: the extractor refuses, the typed context says so.
    let v1 = fixture("vpc_lattice_v1/minimal_get");
    let json = Serve::new(app).invoke(v1.to_string()).await.unwrap();
    let response: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(response["statusCode"], 404);
    let got = summarize(&v1).await;
    assert_eq!(
        (got["source"].as_str(), got["typed_ok"].as_bool()),
        (Some("VpcLatticeV1"), Some(true))
    );
}

#[tokio::test]
async fn source_specific_extractors_refuse_other_sources() {
    // A client of an HTTP API in front of the same function asks for a WebSocket route.
    let app = Router::new().route(
        "/ws/sendmessage",
        axum::routing::post(|ws: tower_lambda::WebSocketContext| async move {
            format!("from connection {}", ws.connection_id().unwrap_or("?"))
        }),
    );
    let event = tower_lambda::testing::EventBuilder::new(
        tower_lambda::testing::Shape::HttpApiV2,
        "POST",
        "/ws/sendmessage",
    )
    .header("content-type", "application/json")
    .body(r#"{"action":"sendmessage"}"#)
    .build();
    // The WebSocket path is refused to HTTP sources before the service is called...
    let response = Serve::new(app.clone())
        .invoke_decoded(&event)
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), response.text().as_ref()),
        (404, "Not Found")
    );
    // ... and where the app lets HTTP requests in, the extractor refuses them itself.
    let response = Serve::new(app.clone())
        .websocket_reachable_over_http(true)
        .invoke_decoded(event)
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().contains("WebSocket"), "{}", response.text());
    // The same route from a WebSocket event.
    let event = tower_lambda::testing::EventBuilder::new(
        tower_lambda::testing::Shape::WebSocket,
        "POST",
        "/sendmessage",
    )
    .body(r#"{"action":"sendmessage"}"#)
    .build();
    let response = Serve::new(app).invoke_decoded(event).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "from connection R0oXAdfD0kwCH6w=");
}

#[tokio::test]
async fn websocket_events_can_be_built_for_any_connection() {
    async fn urls(ws: tower_lambda::WebSocketContext) -> String {
        format!(
            "{} {}",
            ws.connection_url().unwrap_or_default(),
            ws.connection_url_for("other/+=").unwrap_or_default()
        )
    }
    let event = tower_lambda::testing::EventBuilder::new(
        tower_lambda::testing::Shape::WebSocket,
        "POST",
        "/sendmessage",
    )
    .connection_id("abc=")
    .body("hi")
    .build();
    let response = Serve::new(Router::new().fallback(urls))
        .invoke_decoded(event)
        .await
        .unwrap();
    assert_eq!(
        response.text(),
        "https://abc123.execute-api.us-east-1.amazonaws.com/production/@connections/abc%3D \
         https://abc123.execute-api.us-east-1.amazonaws.com/production/@connections/other%2F%2B%3D"
    );
}
