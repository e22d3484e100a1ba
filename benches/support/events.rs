//! Events for the benchmarks, built the way each source sends them: a realistic one (~1.5 KB,
//! 15 headers, a query string) and a heavy one (100 headers, a 1 MB base64 body).

#![allow(dead_code)]

use base64::Engine;
use serde_json::{json, Map, Value};

pub const SOURCES: [&str; 6] = [
    "rest_api",
    "http_api_v1",
    "http_api_v2",
    "function_url",
    "alb",
    "alb_multi",
];

/// Sources only tower-lambda serves (no lambda_http side): VPC Lattice, WebSocket messages, and
/// one non-HTTP event (SQS, through the events path).
pub const TOWER_LAMBDA_ONLY: [&str; 4] = ["vpc_lattice_v1", "vpc_lattice_v2", "websocket", "sqs"];

fn headers(count: usize) -> Vec<(String, String)> {
    let mut headers = vec![
        (
            "accept".to_owned(),
            "application/json, text/plain, */*".to_owned(),
        ),
        ("accept-encoding".to_owned(), "gzip, deflate, br".to_owned()),
        ("accept-language".to_owned(), "en-US,en;q=0.9".to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "host".to_owned(),
            "abc123.execute-api.us-east-1.amazonaws.com".to_owned(),
        ),
        (
            "user-agent".to_owned(),
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0".to_owned(),
        ),
        (
            "x-amzn-trace-id".to_owned(),
            "Root=1-65f1c2a3-0a1b2c3d4e5f6a7b8c9d0e1f".to_owned(),
        ),
        (
            "x-forwarded-for".to_owned(),
            "203.0.113.7, 198.51.100.2".to_owned(),
        ),
        ("x-forwarded-port".to_owned(), "443".to_owned()),
        ("x-forwarded-proto".to_owned(), "https".to_owned()),
        (
            "cookie".to_owned(),
            "session=8f4e2c1a9b7d; theme=dark".to_owned(),
        ),
        (
            "authorization".to_owned(),
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl".to_owned(),
        ),
        ("cache-control".to_owned(), "no-cache".to_owned()),
        ("origin".to_owned(), "https://app.example.com".to_owned()),
        (
            "referer".to_owned(),
            "https://app.example.com/dashboard".to_owned(),
        ),
    ];
    for i in headers.len()..count {
        headers.push((
            format!("x-custom-header-{i}"),
            format!("value-{i}-with-some-length"),
        ));
    }
    headers.truncate(count);
    headers
}

fn single(headers: &[(String, String)]) -> Value {
    Value::Object(
        headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

fn multi(headers: &[(String, String)]) -> Value {
    Value::Object(
        headers
            .iter()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect::<Map<_, _>>(),
    )
}

/// The event `source` sends for `GET /items/42?page=2&sort=name%20asc` (realistic) or a `POST`
/// with 100 headers and a 1 MB binary body (heavy).
pub fn event(source: &str, heavy: bool) -> Vec<u8> {
    let headers = headers(if heavy { 100 } else { 15 });
    let (method, body, base64) = if heavy {
        let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        (
            "POST",
            json!(base64::engine::general_purpose::STANDARD.encode(bytes)),
            true,
        )
    } else {
        ("GET", Value::Null, false)
    };
    let query = json!({"page": "2", "sort": "name asc"});
    let multi_query = json!({"page": ["2"], "sort": ["name asc"]});
    let identity = json!({"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0", "accountId": null, "caller": null});
    let event = match source {
        "rest_api" | "http_api_v1" => {
            let mut event = json!({
                "resource": "/items/{id}", "path": "/items/42", "httpMethod": method,
                "headers": single(&headers), "multiValueHeaders": multi(&headers),
                "queryStringParameters": query, "multiValueQueryStringParameters": multi_query,
                "pathParameters": {"id": "42"}, "stageVariables": null,
                "requestContext": {
                    "accountId": "123456789012", "resourceId": "abc123", "stage": "prod",
                    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "identity": identity,
                    "resourcePath": "/items/{id}", "httpMethod": method, "apiId": "abc123",
                    "path": "/prod/items/42", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                    "requestTimeEpoch": 1700000000000u64, "protocol": "HTTP/1.1"
                },
                "body": body, "isBase64Encoded": base64
            });
            if source == "http_api_v1" {
                event["version"] = json!("1.0");
                event["requestContext"]["stage"] = json!("$default");
                event["requestContext"]["path"] = json!("/items/42");
            }
            event
        }
        "http_api_v2" | "function_url" => {
            let domain = if source == "function_url" {
                "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
            } else {
                "abc123.execute-api.us-east-1.amazonaws.com"
            };
            let mut v2_headers = headers.clone();
            v2_headers.retain(|(k, _)| k != "cookie");
            json!({
                "version": "2.0", "routeKey": "$default", "rawPath": "/items/42",
                "rawQueryString": "page=2&sort=name%20asc",
                "cookies": ["session=8f4e2c1a9b7d", "theme=dark"],
                "headers": single(&v2_headers), "queryStringParameters": query,
                "requestContext": {
                    "accountId": "123456789012", "apiId": "abc123", "domainName": domain,
                    "domainPrefix": "abc123", "http": {"method": method, "path": "/items/42",
                    "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
                    "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default",
                    "time": "10/Mar/2024:12:00:00 +0000", "timeEpoch": 1700000000000u64
                },
                "body": body, "isBase64Encoded": base64
            })
        }
        "alb" | "alb_multi" => {
            let mut event = json!({
                "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-tg/50dc6c495c0c9188"}},
                "httpMethod": method, "path": "/items/42",
                "body": if body.is_null() { json!("") } else { body }, "isBase64Encoded": base64
            });
            if source == "alb" {
                event["headers"] = single(&headers);
                event["queryStringParameters"] = json!({"page": "2", "sort": "name%20asc"});
            } else {
                event["multiValueHeaders"] = multi(&headers);
                event["multiValueQueryStringParameters"] =
                    json!({"page": ["2"], "sort": ["name%20asc"]});
            }
            event
        }
        "vpc_lattice_v1" => json!({
            "raw_path": "/items/42?page=2&sort=name%20asc", "method": method,
            "headers": single(&headers),
            "query_string_parameters": {"page": "2", "sort": "name%20asc"},
            "body": if body.is_null() { json!("") } else { body }, "is_base64_encoded": base64
        }),
        "vpc_lattice_v2" => json!({
            "version": "2.0", "path": "/items/42?page=2&sort=name%20asc", "method": method,
            "headers": multi(&headers),
            "queryStringParameters": {"page": ["2"], "sort": ["name%20asc"]},
            "body": if body.is_null() { json!("") } else { body }, "isBase64Encoded": base64,
            "requestContext": {
                "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0bf3f2882e9cc805a",
                "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0a40eebed65f8d69c",
                "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-6d0ecf831eec9f09",
                "identity": {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339"},
                "region": "us-east-1", "timeEpoch": "1700000000000000"
            }
        }),
        "websocket" => json!({
            "requestContext": {
                "routeKey": "sendmessage", "eventType": "MESSAGE", "messageId": "Fzr0zflBoAMCI2g=",
                "extendedRequestId": "Fzr0zGmvoAMFa5A=", "requestTime": "14/Nov/2023:22:13:20 +0000",
                "messageDirection": "IN", "stage": "production", "connectedAt": 1700000000000u64,
                "requestTimeEpoch": 1700000000500u64, "identity": {"sourceIp": "203.0.113.7"},
                "requestId": "Fzr0zGmvoAMFa5A=", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "connectionId": "Fzr0zflBoAMCI2g=", "apiId": "abc123"
            },
            "body": r#"{"action":"sendmessage","message":"hello, everyone in the room"}"#,
            "isBase64Encoded": false
        }),
        "sqs" => json!({"Records": [{
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": r#"{"order":42,"items":["a","b"]}"#,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
            "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2"
        }]}),
        other => panic!("unknown source {other}"),
    };
    serde_json::to_vec(&event).unwrap()
}
