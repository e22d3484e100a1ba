//! Lambda Function URLs.
//!
//! Function URLs send HTTP API payload 2.0 (see [`super::payload_2_0`]); they are told apart by
//! their domain, `<url-id>.lambda-url.<region>.on.aws`. Unlike an HTTP API, a Function URL passes
//! `rawPath` on percent-encoded, so `%XX` escapes in it are kept. The response is the 2.0 one.
//!
//! Identified by: the payload-2.0 envelope (`requestContext.http` with `"version": "2.0"`, see
//! [`super::payload_2_0::is_payload_2_0`]) with `requestContext.domainName` a Function URL's
//! domain.

use http::Request;
use serde::Serializer;

use super::codec::{Rejected, Source, SourceCodec};
use super::payload_2_0;
use super::request::StageRule;
use crate::body::Body;
use crate::config::Config;
use crate::event::Event;
use crate::response::LambdaResponse;
use crate::uri::Encoding;

pub(crate) struct FunctionUrl;

impl SourceCodec for FunctionUrl {
    fn detect(event: &Event<'_>) -> Option<Source> {
        // The domain is looked at only for a 2.0 event (a REST API event comes here too).
        if !payload_2_0::is_payload_2_0(event) {
            return None;
        }
        // `<url-id>.lambda-url.<region>.on.aws`; a custom domain that merely contains
        // `.lambda-url.` is not one. Local emulators (cargo-lambda's `watch`, which emulates
        // Function URLs) name the domain `localhost` and pass the path on as sent, like a
        // Function URL.
        let on_lambda_url = event.domain_name().is_some_and(is_function_url_domain);
        on_lambda_url.then_some(Source::FunctionUrl)
    }

    fn decode(event: &mut Event<'_>, config: &Config) -> Result<Request<Body>, Rejected> {
        payload_2_0::decode(
            event,
            Source::FunctionUrl.name(),
            Encoding::Encoded,
            StageRule::None,
            config,
        )
    }

    fn serialize<S: Serializer>(
        &self,
        response: &LambdaResponse,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        payload_2_0::serialize(response, serializer)
    }
}

/// Whether a payload-2.0 event on `domain` is a Function URL event:
/// `<url-id>.lambda-url.<region>.on.aws`, or a local emulator's `localhost` / loopback address.
pub fn is_function_url_domain(domain: &str) -> bool {
    // The cheap test first: most domains that are not a Function URL's fail it.
    (domain.ends_with(".on.aws") && domain.contains(".lambda-url.")) || is_local(domain)
}

/// `localhost` or a loopback address, with or without a port.
fn is_local(domain: &str) -> bool {
    // Each of the three starts the domain: a domain starting otherwise is not looked into.
    if !matches!(domain.as_bytes().first(), Some(b'l' | b'L' | b'1' | b'[')) {
        return false;
    }
    let host = domain.rsplit_once(':').map_or(domain, |(host, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            host
        } else {
            domain
        }
    });
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_url_domains_and_local_emulators() {
        for domain in [
            "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            "localhost",
            "LocalHost:9000",
            "127.0.0.1",
            "127.0.0.1:3000",
            "[::1]",
            "[::1]:9000",
        ] {
            assert!(is_function_url_domain(domain), "{domain}");
        }
        for domain in [
            "abc123.execute-api.us-east-1.amazonaws.com",
            "api.lambda-url.example.com",
            "lambda-url.on.aws",
            "localhost.example.com",
            "localhost:http",
            "127.0.0.2",
            "",
            "a.localhost",
        ] {
            assert!(!is_function_url_domain(domain), "{domain}");
        }
    }
}
