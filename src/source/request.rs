//! The pieces every source's decoder builds its request from: the method, the body, the route
//! (the path with the stage and base path removed), the header map, and the final assembly with
//! the [`PathPrefix`] and [`ClientUrl`] extensions.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use std::borrow::Cow;

use super::codec::Rejected;
use crate::body::Body;
use crate::config::{Config, PathMode};
use crate::context::{ClientUrl, PathPrefix};
use crate::event::{Event, EventError, Pairs, Str};
use crate::headers;
use crate::uri::{self, Encoding, Query};

/// The method the event names in `field`; a missing one fails the invocation, an invalid one is
/// a `400`.
pub(super) fn method(
    method: Option<&Str<'_>>,
    source: &'static str,
    field: &'static str,
) -> Result<Method, Rejected> {
    let method = method.ok_or(Rejected::Event(EventError::Missing { source, field }))?;
    Method::from_bytes(method.as_str().as_bytes())
        .map_err(|_| Rejected::bad_request(format!("invalid HTTP method {:?}", method.as_str())))
}

/// The event body as bytes, base64-decoded when the event says so.
pub(super) fn body(event: &mut Event<'_>) -> Result<Bytes, Rejected> {
    let Some(body) = event.body.take() else {
        return Ok(Bytes::new());
    };
    if event.is_base64_encoded == Some(true) {
        const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        return LENIENT
            .decode(body.as_str())
            .map(Bytes::from)
            .map_err(|error| {
                Rejected::bad_request(format!("the request body is not valid base64: {error}"))
            });
    }
    Ok(match body.0 {
        Cow::Borrowed(text) => event.share(text),
        Cow::Owned(text) => Bytes::from(text),
    })
}

/// Where an event source puts the API Gateway stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StageRule {
    /// No stages (Function URLs, ALB).
    None,
    /// A named stage starts the event's path (HTTP APIs).
    InPath,
    /// The event's path never has the stage, but `requestContext.path` (the path the client
    /// requested) has it when the API was called on its `execute-api` domain (REST APIs).
    InContextPath,
}

/// The event's path split into what the service routes on and the prefix removed from it.
pub(super) struct Routed<'p> {
    /// What the service routes on.
    pub(super) route: &'p str,
    /// What was removed in front of it (stage, base path); empty when nothing was.
    pub(super) prefix: String,
    /// The whole path the client requested.
    pub(super) requested: Cow<'p, str>,
}

/// Removes the stage and the base path from `path`, each once and only on a segment boundary.
///
/// A base path the event names (`requestContext.customDomain.basePathMatched`, REST APIs; its
/// `(none)` means the root mapping) is authoritative; [`Config::strip_base_path`] applies only to
/// events that name none.
pub(super) fn route<'p>(
    path: &'p str,
    event: &Event<'_>,
    stage_rule: StageRule,
    config: &Config,
) -> Routed<'p> {
    let mut routed = Routed {
        route: path,
        prefix: String::new(),
        requested: Cow::Borrowed(path),
    };
    match stage_rule {
        StageRule::InPath => {
            // Stage names have no `/`; trimming keeps an odd one from leaving the prefix and the
            // stripped path out of step.
            let stage = event
                .named_stage()
                .map(|s| s.trim_end_matches('/'))
                .filter(|s| !s.is_empty());
            let rest = stage.and_then(|s| uri::strip_segments(path.strip_prefix('/')?, s));
            if let (Some(stage), Some(rest)) = (stage, rest) {
                routed.prefix = format!("/{stage}");
                routed.route = rest;
            }
        }
        StageRule::InContextPath => {
            if let Some(requested) = event.context_path() {
                let in_front = requested_prefix(requested, path);
                if !in_front.is_empty() {
                    routed.prefix = in_front.to_owned();
                    // Exactly what the client requested, trailing slash and all.
                    routed.requested = Cow::Owned(requested.to_owned());
                }
            }
        }
        StageRule::None => {}
    }
    let base_path = match event.base_path_matched() {
        Some(matched) if matched.is_empty() || matched == "(none)" => None,
        Some(matched) => Some(Cow::Owned(format!("/{}", matched.trim_matches('/')))),
        None => config.strip_base_path.as_deref().map(Cow::Borrowed),
    };
    // Never twice: a prefix read from `requestContext.path` may already hold the base path.
    let base_path = base_path.filter(|base| !routed.prefix.ends_with(base.trim_end_matches('/')));
    if let Some(base_path) = base_path {
        if let Some(rest) = uri::strip_segments(routed.route, &base_path) {
            routed.prefix.push_str(base_path.trim_end_matches('/'));
            routed.route = rest;
        }
    }
    routed
}

/// What the client's path (`requested`) has in front of the event's `path`: `/prod` for
/// `/prod/items` and `/items`; empty when it has nothing more, or when the two do not line up on a
/// segment boundary.
fn requested_prefix<'r>(requested: &'r str, path: &str) -> &'r str {
    let requested = requested.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    match requested.strip_suffix(path) {
        Some(prefix) if prefix.starts_with('/') && (path.is_empty() || path.starts_with('/')) => {
            prefix
        }
        _ => "",
    }
}

/// `X-Forwarded-Prefix`, which frameworks read to build links behind a proxy.
const X_FORWARDED_PREFIX: http::HeaderName = http::HeaderName::from_static("x-forwarded-prefix");

/// Assembles the request from decoded parts, with the [`PathPrefix`] and [`ClientUrl`]
/// extensions.
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble(
    method: Method,
    routed: Routed<'_>,
    path_encoding: Encoding,
    query: &Query,
    mut headers: HeaderMap,
    domain_name: Option<&str>,
    body: Bytes,
    config: &Config,
) -> Result<Request<Body>, Rejected> {
    let as_requested = config.path_mode == PathMode::AsRequested;
    let uris = uri::build(
        &headers,
        domain_name,
        &routed.requested,
        routed.route,
        path_encoding,
        query,
        as_requested,
    )
    .map_err(|error| Rejected::bad_request(format!("the request URI is invalid: {error}")))?;
    // The prefix as it appears in the client's URL (escaped like the path).
    let removed = if as_requested || routed.prefix.is_empty() {
        String::new()
    } else {
        let mut escaped = String::with_capacity(routed.prefix.len());
        uri::push_path(&mut escaped, &routed.prefix, path_encoding);
        escaped
    };
    if config.forwarded_prefix_header {
        // Whatever the client sent under this name must not be mistaken for ours.
        headers.remove(&X_FORWARDED_PREFIX);
        if let Ok(value) = http::HeaderValue::from_str(&removed) {
            if !removed.is_empty() {
                headers.insert(X_FORWARDED_PREFIX, value);
            }
        }
    }
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = uris.request;
    *request.headers_mut() = headers;
    request.extensions_mut().insert(PathPrefix(removed));
    request.extensions_mut().insert(ClientUrl(uris.client));
    Ok(request)
}

/// The request's header map from the event's pairs, every value kept; more values than `http`
/// can hold are refused (`431`). Values share the event's bytes (see [`Event::share`]).
pub(super) fn header_map(
    pairs: Option<&Pairs<'_>>,
    event: &Event<'_>,
) -> Result<HeaderMap, Rejected> {
    // One more for the `Cookie` header payload 2.0 may add.
    let mut headers = headers::map_for(pairs.as_ref().map_or(0, |p| p.len()) + 1);
    if let Some(pairs) = pairs {
        headers::append_pairs(&mut headers, pairs.iter(), |value| event.share(value))
            .map_err(|_| Rejected::too_many_headers())?;
    }
    Ok(headers)
}

/// The payload-1.0 header map (REST APIs, HTTP API 1.0, ALB, WebSocket APIs): every value of
/// `multiValueHeaders`, and the names found only in `headers` (API Gateway fills both maps, but
/// hand-written events, AWS's own documentation example among them, do not always).
pub(super) fn header_map_1_0(event: &Event<'_>) -> Result<HeaderMap, Rejected> {
    let (Some(multi), Some(single)) = (event.multi_value_headers.as_ref(), event.headers.as_ref())
    else {
        return header_map(event.header_pairs(), event);
    };
    if multi.len() == 0 {
        return header_map(Some(single), event);
    }
    let mut headers = header_map(Some(multi), event)?;
    if !same_names(multi, single) {
        let only_single = single.iter().filter(|(name, _)| {
            !multi
                .iter()
                .any(|(known, _)| known.eq_ignore_ascii_case(name))
        });
        headers::append_pairs(&mut headers, only_single, |value| event.share(value))
            .map_err(|_| Rejected::too_many_headers())?;
    }
    Ok(headers)
}

/// Whether every name of `single` is a name of `multi`, checked the cheap way: API Gateway
/// writes both maps with the same names, spelled alike, in the same order, so each name of
/// `single` is the next new name of `multi` (compared byte for byte; any other case takes the
/// slow path, which compares without regard to case).
fn same_names(multi: &Pairs<'_>, single: &Pairs<'_>) -> bool {
    let mut names = multi.0.iter().map(|(name, _)| name.as_str());
    let mut previous: *const u8 = std::ptr::null();
    for (name, _) in &single.0 {
        // The next new name of `multi`: further values of the name before share its string (the
        // pairs of one list share their key's; a key with escapes has a copy per value, and
        // takes the slow path).
        let next = loop {
            match names.next() {
                Some(next) if next.as_ptr() == previous => continue,
                Some(next) => break next,
                None => return false,
            }
        };
        if !same_bytes(next.as_bytes(), name.as_str().as_bytes()) {
            return false;
        }
        previous = next.as_ptr();
    }
    true
}

/// `a == b`, without a call to `memcmp` for names of up to 32 bytes (almost every header name):
/// two overlapping loads from each end compare them whole.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn ends<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((s.first_chunk::<N>()?, s.last_chunk::<N>()?))
    }
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        4..=7 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        17..=32 => ends::<16>(a) == ends::<16>(b),
        _ => a == b,
    }
}

/// The client's address: the last `X-Forwarded-For` entry, the one the load balancer appends
/// (ALB in its default `append` mode, VPC Lattice); the entries before it came from the client
/// and are not trusted.
pub(super) fn forwarded_client_ip(headers: &HeaderMap) -> Option<std::net::IpAddr> {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?;
    forwarded.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs<'a>(names: &[&'a str]) -> Pairs<'a> {
        Pairs(
            names
                .iter()
                .map(|&name| (Str(Cow::Borrowed(name)), Str(Cow::Borrowed("v"))))
                .collect(),
            Default::default(),
        )
    }

    #[test]
    fn same_bytes_is_equality_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
        for len in 0..=text.len() {
            let a = &text.as_bytes()[..len];
            assert!(same_bytes(a, a.to_vec().as_slice()), "{len}");
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_bytes(a, &b), "{len} {at}");
            }
            if len < text.len() {
                assert!(!same_bytes(a, &text.as_bytes()[..len + 1]), "{len}");
            }
        }
    }

    #[test]
    fn same_names_only_when_every_single_name_is_the_next_new_multi_name() {
        let owned = |s: &str| s.to_owned();
        let (accept, host) = (owned("accept"), owned("host"));
        // The values of one list share their key's string.
        let key = Str(Cow::Borrowed(accept.as_str()));
        let v = || Str(Cow::Borrowed("v"));
        let multi = Pairs(
            vec![
                (key.clone(), v()),
                (key, v()),
                (Str(Cow::Borrowed(host.as_str())), v()),
            ],
            Default::default(),
        );
        assert!(same_names(&multi, &pairs(&["accept", "host"])));
        assert!(same_names(&multi, &pairs(&["accept"])));
        assert!(!same_names(&multi, &pairs(&["accept", "host", "te"])));
        assert!(!same_names(&multi, &pairs(&["host", "accept"])));
        assert!(!same_names(&multi, &pairs(&["Accept", "host"])));
        assert!(!same_names(&multi, &pairs(&["accept", "hosT"])));
        // A repeated name held twice (two strings) is not skipped: the slow path decides.
        let again = owned("accept");
        let twice = pairs(&[accept.as_str(), again.as_str(), host.as_str()]);
        assert!(!same_names(&twice, &pairs(&["accept", "host"])));
    }
}
