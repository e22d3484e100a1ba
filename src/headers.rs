//! Header shaping in both directions.
//!
//! Requests: every `(name, value)` pair of an event goes into the [`HeaderMap`], duplicates
//! included; a pair `http` cannot represent is skipped with a warning, never a failed invocation.
//!
//! Responses: each source reads headers in its own shape — one list per name
//! (`multiValueHeaders`), one string per name (`headers`, repeated names joined), or `Set-Cookie`
//! apart in `cookies[]`. The serializers here write those shapes straight from the
//! [`HeaderMap`], with no intermediate map.

use bytes::Bytes;
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use std::borrow::Cow;

/// More header values than an [`HeaderMap`] can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooManyHeaders;

/// A header map for about `pairs` headers; the capacity is only a hint, so it is kept modest.
pub(crate) fn map_for(pairs: usize) -> HeaderMap {
    HeaderMap::with_capacity(pairs.min(128))
}

/// Appends every pair to `headers`, skipping (with a warning) the ones `http` refuses. `share`
/// turns a value into [`Bytes`]; for events it slices the event buffer instead of copying.
///
/// # Errors
/// When there are more headers than a [`HeaderMap`] can hold: nothing the client sent may be
/// dropped silently, so the request is refused instead.
pub(crate) fn append_pairs<'a>(
    headers: &mut HeaderMap,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    share: impl Fn(&'a str) -> Bytes,
) -> Result<(), TooManyHeaders> {
    for (name, value) in pairs {
        append(headers, name, share(value))?;
    }
    Ok(())
}

/// Names that gateways and CloudFront add to most requests and `http` has no constant for.
/// Matching them here spares an allocation per name and request.
static GATEWAY_NAMES: [HeaderName; 14] = [
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-port"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-amzn-trace-id"),
    HeaderName::from_static("x-amz-cf-id"),
    HeaderName::from_static("x-api-key"),
    HeaderName::from_static("x-requested-with"),
    HeaderName::from_static("cloudfront-forwarded-proto"),
    HeaderName::from_static("cloudfront-is-desktop-viewer"),
    HeaderName::from_static("cloudfront-is-mobile-viewer"),
    HeaderName::from_static("cloudfront-is-smarttv-viewer"),
    HeaderName::from_static("cloudfront-is-tablet-viewer"),
    HeaderName::from_static("cloudfront-viewer-country"),
    HeaderName::from_static("x-amzn-requestid"),
];

/// The [`HeaderName`] for `name` (any letter case).
#[inline(always)]
fn header_name(name: &str) -> Result<HeaderName, http::header::InvalidHeaderName> {
    // Standard names (`accept`, `host`, ...) are static in `http` already; only names that
    // would be allocated are looked up here. A length check rejects almost every candidate.
    if may_be_gateway_name(name) {
        if let Some(known) = GATEWAY_NAMES.iter().find(|known| {
            known.as_str().len() == name.len() && known.as_str().eq_ignore_ascii_case(name)
        }) {
            return Ok(known.clone());
        }
    }
    HeaderName::from_bytes(name.as_bytes())
}

/// Whether `name` can be one of [`GATEWAY_NAMES`]: their `x-` names have 9 bytes or more, their
/// `cloudfront-` names 25 or more (so that `content-type` and `cache-control` are not looked up).
#[inline(always)]
fn may_be_gateway_name(name: &str) -> bool {
    match name.as_bytes().first() {
        Some(b'x' | b'X') => name.len() >= 9,
        Some(b'c' | b'C') => name.len() >= 25,
        _ => false,
    }
}

/// Appends one header, skipping it (with a warning) when `http` refuses its name or value.
///
/// # Errors
/// When the map is full.
// Inlined into the loop over an event's headers: a call per header costs about a tenth of a
// round trip's header work.
#[inline(always)]
pub(crate) fn append(
    headers: &mut HeaderMap,
    name: &str,
    value: Bytes,
) -> Result<(), TooManyHeaders> {
    let name = match header_name(name) {
        Ok(name) => name,
        Err(_) => {
            tracing::warn!(
                header = name,
                "skipped a request header whose name is not a valid HTTP header name"
            );
            return Ok(());
        }
    };
    match HeaderValue::from_maybe_shared(value) {
        Ok(value) => headers
            .try_append(name, value)
            .map(drop)
            .map_err(|_| TooManyHeaders),
        Err(_) => {
            tracing::warn!(header = %name, "skipped a request header whose value is not a valid HTTP header value");
            Ok(())
        }
    }
}

/// Whether `name` is a hop-by-hop header (RFC 9110 §7.6.1, and the `Keep-Alive` and
/// `Proxy-Connection` of older HTTP/1.x): meaningful for one connection only, so never forwarded
/// to a gateway (which answers HTTP/2 clients too, where they are forbidden).
///
/// Compared as [`HeaderName`]s, not as strings: a standard name is then one byte to compare, with
/// no string to look up for it (this runs on every response).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    use http::header::{CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE};
    static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
    static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
    *name == CONNECTION
        || *name == TRANSFER_ENCODING
        || *name == TE
        || *name == TRAILER
        || *name == UPGRADE
        || *name == KEEP_ALIVE
        || *name == PROXY_CONNECTION
}

/// Removes the hop-by-hop headers a service or a layer set on a response (`Transfer-Encoding:
/// chunked`, `Connection: keep-alive`, ...), and the headers its `Connection` header names.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // One look at the names first: almost no response has any.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
    // Read as bytes: a value with a non-ASCII byte still names the options it names.
    let listed: Vec<HeaderName> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .filter_map(|name| HeaderName::from_bytes(name.trim_ascii()).ok())
        .collect();
    let hop_by_hop: Vec<HeaderName> = headers
        .keys()
        .filter(|n| is_hop_by_hop(n))
        .cloned()
        .collect();
    for name in hop_by_hop.into_iter().chain(listed) {
        headers.remove(name);
    }
}

/// A header value as JSON text. Values are almost always ASCII; UTF-8 is kept as it is and any
/// other byte is replaced (JSON strings cannot carry arbitrary bytes).
pub(crate) fn value_str(value: &HeaderValue) -> Cow<'_, str> {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            tracing::warn!("a response header value is not UTF-8; invalid bytes were replaced");
            String::from_utf8_lossy(value.as_bytes())
        }
    }
}

/// `{"name": ["value", ...]}`: every value of every header.
pub(crate) struct MultiValue<'a>(pub(crate) &'a HeaderMap);

impl Serialize for MultiValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.keys_len()))?;
        for name in self.0.keys() {
            map.serialize_entry(name.as_str(), &Values(self.0, name))?;
        }
        map.end()
    }
}

struct Values<'a>(&'a HeaderMap, &'a HeaderName);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for value in self.0.get_all(self.1) {
            seq.serialize_element(&value_str(value))?;
        }
        seq.end()
    }
}

/// Where `Set-Cookie` goes when headers are written one string per name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetCookie {
    /// Left out of `headers`: the source reads it from `cookies[]` (HTTP API 2.0, Function URLs).
    Apart,
    /// One key per cookie, each a different letter case of `set-cookie`: header names are
    /// case-insensitive to the gateway but JSON keys are not, so every cookie survives
    /// (ALB single-value mode, gateways that ignore `multiValueHeaders`).
    CaseVariants,
}

/// `{"name": "value"}`: repeated names joined with `separator`.
pub(crate) struct SingleValue<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) separator: &'static str,
    pub(crate) set_cookie: SetCookie,
}

impl<'a> SingleValue<'a> {
    /// One string per name for a gateway that reads nothing else (ALB single-value mode,
    /// Netlify): repeats joined with `", "`, every `Set-Cookie` under its own spelling.
    pub(crate) fn folded(headers: &'a HeaderMap) -> Self {
        Self {
            headers,
            separator: ", ",
            set_cookie: SetCookie::CaseVariants,
        }
    }

    /// The HTTP API 2.0 shape: repeats joined with `,`, `Set-Cookie` left for `cookies[]`.
    pub(crate) fn cookies_apart(headers: &'a HeaderMap) -> Self {
        Self {
            headers,
            separator: ",",
            set_cookie: SetCookie::Apart,
        }
    }
}

/// The letters of `set-cookie` are 9, so 512 distinct spellings exist.
pub const SET_COOKIE_SPELLINGS: usize = 1 << 9;

/// The `index`-th spelling of `set-cookie`: letter `j` is upper case when bit `j` is set.
fn set_cookie_spelling(index: usize) -> Cow<'static, str> {
    if index == 0 {
        return Cow::Borrowed("set-cookie"); // by far the most common: no string built
    }
    let mut bit = 0;
    "set-cookie"
        .chars()
        .map(|c| {
            if c == '-' {
                return c;
            }
            let upper = index & (1 << bit) != 0;
            bit += 1;
            if upper {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect::<String>()
        .into()
}

impl Serialize for SingleValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        // `HeaderMap::iter` yields each name's values one after another, so a name's values are
        // joined as they come, with no lookup per name.
        let mut pending: Option<(&HeaderName, Cow<'_, str>)> = None;
        let mut cookies = 0usize;
        for (name, value) in self.headers.iter() {
            if name == SET_COOKIE {
                if self.set_cookie == SetCookie::CaseVariants {
                    if cookies == SET_COOKIE_SPELLINGS {
                        tracing::error!(
                            cookies = self.headers.get_all(SET_COOKIE).iter().count(),
                            "a response sets more cookies than a single-value header map can carry; the rest were not sent"
                        );
                    } else if cookies < SET_COOKIE_SPELLINGS {
                        map.serialize_entry(&set_cookie_spelling(cookies), &value_str(value))?;
                    }
                    cookies += 1;
                }
                continue;
            }
            match &mut pending {
                Some((current, joined)) if *current == name => {
                    let joined = joined.to_mut();
                    joined.push_str(self.separator);
                    joined.push_str(&value_str(value));
                }
                _ => {
                    if let Some((done, joined)) = pending.take() {
                        map.serialize_entry(done.as_str(), &joined)?;
                    }
                    pending = Some((name, value_str(value)));
                }
            }
        }
        if let Some((done, joined)) = pending {
            map.serialize_entry(done.as_str(), &joined)?;
        }
        map.end()
    }
}

/// `["a=1; Path=/", ...]`: every `Set-Cookie` value.
pub(crate) struct Cookies<'a>(pub(crate) &'a HeaderMap);

impl Serialize for Cookies<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Values(self.0, &SET_COOKIE).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(value: &str) -> Bytes {
        Bytes::copy_from_slice(value.as_bytes())
    }

    #[test]
    fn gateway_names_match_in_any_case_and_others_still_parse() {
        assert_eq!(header_name("X-Forwarded-For").unwrap(), "x-forwarded-for");
        assert_eq!(
            header_name("CloudFront-Viewer-Country").unwrap(),
            "cloudfront-viewer-country"
        );
        assert_eq!(header_name("X-Forwarded-Fox").unwrap(), "x-forwarded-fox");
        assert_eq!(header_name("Accept").unwrap(), http::header::ACCEPT);
        assert!(header_name("x forwarded for").is_err());
        assert!(GATEWAY_NAMES
            .iter()
            .all(|n| HeaderName::from_bytes(n.as_str().as_bytes()).ok().as_ref() == Some(n)));
        assert!(GATEWAY_NAMES
            .iter()
            .all(|n| may_be_gateway_name(n.as_str())));
        assert!(!may_be_gateway_name("content-type") && !may_be_gateway_name("cache-control"));
    }

    #[test]
    fn set_cookie_spellings_are_distinct_case_variants() {
        assert_eq!(set_cookie_spelling(0), "set-cookie");
        assert_eq!(set_cookie_spelling(1), "Set-cookie");
        assert_eq!(set_cookie_spelling(2), "sEt-cookie");
        assert_eq!(set_cookie_spelling(8), "set-Cookie");
        assert_eq!(set_cookie_spelling(511), "SET-COOKIE");
        let all: std::collections::HashSet<_> =
            (0..SET_COOKIE_SPELLINGS).map(set_cookie_spelling).collect();
        assert_eq!(all.len(), SET_COOKIE_SPELLINGS);
        assert!(all.iter().all(|s| s.eq_ignore_ascii_case("set-cookie")));
    }

    #[test]
    fn single_value_joins_repeats_and_spells_each_cookie_apart() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("vary", "accept"),
            ("set-cookie", "a=1"),
            ("x-one", "1"),
            ("vary", "origin"),
            ("set-cookie", "b=2"),
            ("vary", "cookie"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        // JSON objects are unordered: compared as values.
        let folded = serde_json::to_value(SingleValue::folded(&headers)).unwrap();
        assert_eq!(
            folded,
            serde_json::json!({"vary": "accept, origin, cookie", "set-cookie": "a=1", "Set-cookie": "b=2", "x-one": "1"})
        );
        let apart = serde_json::to_value(SingleValue::cookies_apart(&headers)).unwrap();
        assert_eq!(
            apart,
            serde_json::json!({"vary": "accept,origin,cookie", "x-one": "1"})
        );
    }

    #[test]
    fn non_ascii_values_are_kept_as_bytes() {
        let mut headers = HeaderMap::new();
        append(&mut headers, "x-name", Bytes::from("café 日本\tok")).unwrap();
        assert_eq!(headers["x-name"].as_bytes(), "café 日本\tok".as_bytes());
    }

    #[test]
    fn too_many_headers_is_an_error_not_a_panic() {
        let mut headers = map_for(usize::MAX);
        let names: Vec<String> = (0..40_000).map(|i| format!("x-{i}")).collect();
        let result = append_pairs(&mut headers, names.iter().map(|n| (n.as_str(), "v")), copy);
        assert_eq!(result, Err(TooManyHeaders));
        // Many values of one name are no problem: every one is kept.
        let mut headers = map_for(40_000);
        let result = append_pairs(&mut headers, std::iter::repeat_n(("x", "v"), 40_000), copy);
        assert_eq!(result, Ok(()));
        assert_eq!(headers.get_all("x").iter().count(), 40_000);
    }

    #[test]
    fn invalid_request_headers_are_skipped_not_fatal() {
        let mut headers = HeaderMap::new();
        let result = append_pairs(
            &mut headers,
            [
                ("ok", "1"),
                ("bad name", "x"),
                ("crlf", "a\r\nb"),
                ("OK", "2"),
            ]
            .into_iter(),
            copy,
        );
        assert_eq!(result, Ok(()));
        assert_eq!(headers.len(), 2);
        let ok: Vec<_> = headers.get_all("ok").iter().collect();
        assert_eq!(ok, ["1", "2"]);
    }
}
