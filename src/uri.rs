//! Building the request URI the service sees from the pieces an event carries.
//!
//! Events hand over paths and query strings in three states: already percent-encoded (REST
//! `path`, Function URL `rawPath`, ALB query values, every `rawQueryString`), decoded (HTTP API
//! `rawPath`), or decoded into maps (REST and HTTP API 1.0 query parameters). Whatever the state,
//! the result must be exactly what the client sent, and must never be refused by [`http::Uri`]:
//! characters it would refuse are percent-encoded rather than causing an error or a panic.

use bytes::Bytes;
use http::header::{HeaderName, HOST};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Uri};
use percent_encoding::{percent_encode_byte, utf8_percent_encode, AsciiSet, CONTROLS};

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// What is encoded in a query key or value that the gateway decoded: the bytes a URI cannot hold
/// (controls, space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, DEL, non-ASCII) and the
/// ones that would change how the query splits (`#`, `%`, `&`, `+`, `=`). Everything else (`/`,
/// `?`, `:`, `@`, `[`, `]`, ...) stays as clients usually send it, so `colors[]=a` reads as sent
/// and `a=1%262` stays one parameter.
const QUERY_COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(0x7f);

/// What is encoded in one path segment built from a name (a WebSocket route key): everything but
/// the unreserved characters and the sub-delimiters, `:` and `@` that a segment may hold, so a
/// `/`, `?`, `#`, `%` or space in the name stays inside its segment.
const PATH_SEGMENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Appends `name` as one percent-encoded path segment.
pub(crate) fn push_segment(out: &mut String, name: &str) {
    out.extend(utf8_percent_encode(name, PATH_SEGMENT));
}

/// How a path or query string arrived in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Percent-encoded by the client: `%XX` escapes are kept as they are.
    Encoded,
    /// Decoded by the gateway: a `%` is a literal percent sign and is re-encoded.
    Decoded,
}

/// Whether a byte can stand in a URI as it is. Everything else (controls, space, `"`, `#`, `<`,
/// `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, DEL, non-ASCII) is percent-encoded; `?` and `%` are
/// decided by the caller.
fn is_uri_safe(byte: u8) -> bool {
    matches!(byte,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
        | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'[' | b']')
}

fn is_hex_escape(rest: &[u8]) -> bool {
    matches!(rest, [a, b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

/// Appends `input` to `out`, percent-encoding what a URI cannot hold as it is.
///
/// `keep_question_mark` is true in a query (where `?` is ordinary) and false in a path (where
/// a literal `?` would start the query).
fn push_escaped(out: &mut String, input: &str, encoding: Encoding, keep_question_mark: bool) {
    let bytes = input.as_bytes();
    // The common case: nothing to escape.
    if bytes.iter().all(|&b| {
        is_uri_safe(b)
            || (b == b'?' && keep_question_mark)
            || (b == b'%' && encoding == Encoding::Encoded)
    }) && (encoding == Encoding::Decoded || all_escapes_valid(bytes))
    {
        out.push_str(input);
        return;
    }
    for (i, &byte) in bytes.iter().enumerate() {
        let keep = is_uri_safe(byte)
            || (byte == b'?' && keep_question_mark)
            || (byte == b'%'
                && encoding == Encoding::Encoded
                && is_hex_escape(bytes.get(i + 1..).unwrap_or_default()));
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(percent_encode_byte(byte));
        }
    }
}

fn all_escapes_valid(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| b != b'%' || is_hex_escape(bytes.get(i + 1..).unwrap_or_default()))
}

/// Appends a path, percent-encoding what a URI cannot hold, with a leading `/`.
pub(crate) fn push_path(out: &mut String, path: &str, encoding: Encoding) {
    if !path.starts_with('/') {
        out.push('/');
    }
    push_escaped(out, path, encoding, false);
}

/// A query string built from the event, without its `?`.
#[derive(Debug, Default)]
pub(crate) struct Query(String);

impl Query {
    /// Appends a raw query string (as in `rawQueryString`), already encoded by the client.
    pub(crate) fn raw(&mut self, query: &str) {
        if !query.is_empty() {
            self.separator();
            push_escaped(&mut self.0, query, Encoding::Encoded, true);
        }
    }

    /// Appends one `key=value` parameter.
    #[inline]
    pub(crate) fn param(&mut self, key: &str, value: &str, encoding: Encoding) {
        self.separator();
        match encoding {
            Encoding::Decoded => {
                self.0.extend(utf8_percent_encode(key, QUERY_COMPONENT));
                self.0.push('=');
                self.0.extend(utf8_percent_encode(value, QUERY_COMPONENT));
            }
            Encoding::Encoded => {
                push_escaped(&mut self.0, key, Encoding::Encoded, true);
                self.0.push('=');
                push_escaped(&mut self.0, value, Encoding::Encoded, true);
            }
        }
    }

    fn separator(&mut self) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
    }

    fn push_to(&self, out: &mut String) {
        if !self.0.is_empty() {
            out.push('?');
            out.push_str(&self.0);
        }
    }
}

/// `path` without `prefix` (`/v1`), when `prefix` is a whole leading segment run of it:
/// `/v1/items` → `/items`, `/v1` → `/`, but `/v10/items` → `None`.
pub(crate) fn strip_segments<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return None;
    }
    let rest = path.strip_prefix(prefix)?;
    match rest {
        "" => Some("/"),
        _ if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// Whether a request `path` falls under `prefix` (`/events`, a plain path) however a router or a
/// layer might read it: percent-escapes decoded, `\\` read as `/`, repeated slashes folded,
/// letter case ignored, on a segment boundary; with its dot segments as they are (a router that
/// matches the raw path routes `/events/%2e%2e` under `/events`) or removed (RFC 3986, section
/// 5.2.4: a layer that normalizes routes `/static/../events/sqs` there). For refusing requests,
/// so it errs towards yes.
pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    // Most paths have nothing a router could read differently: compared as they are.
    if !path.bytes().any(|b| matches!(b, b'%' | b'.' | b'\\')) && !path.contains("//") {
        return starts_with_segments(path, prefix);
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut literal: Vec<&str> = Vec::new();
    let mut resolved: Vec<&str> = Vec::new();
    for segment in decoded.split(['/', '\\']).filter(|s| !s.is_empty()) {
        literal.push(segment);
        match segment {
            "." => {}
            ".." => {
                resolved.pop();
            }
            _ => resolved.push(segment),
        }
    }
    [literal, resolved].iter().any(|segments| {
        let mut joined = String::with_capacity(decoded.len() + 1);
        for segment in segments {
            joined.push('/');
            joined.push_str(segment);
        }
        starts_with_segments(&joined, prefix)
    })
}

/// `path` starts with `prefix` (letter case ignored) on a segment boundary.
fn starts_with_segments(path: &str, prefix: &str) -> bool {
    let (path, prefix) = (path.as_bytes(), prefix.as_bytes());
    path.len() >= prefix.len()
        && path[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(path.get(prefix.len()), None | Some(b'/'))
}

/// The URIs of one request: what the service routes on, and the full URL the client used.
pub(crate) struct Uris {
    pub(crate) request: Uri,
    pub(crate) client: Uri,
}

/// Builds both URIs. The request URI is in origin form, the path and query alone, as an
/// HTTP/1.1 server such as `axum::serve` hands its services (the authority is in `Host`): the
/// `route` path, or with `as_requested` the `requested` one. The client URL is the full URL with
/// the `requested` path: scheme from `X-Forwarded-Proto` (default `https`), authority from the
/// `Host` header or else the event's domain name (without either, the path and query alone).
pub(crate) fn build(
    headers: &HeaderMap,
    domain_name: Option<&str>,
    requested: &str,
    route: &str,
    encoding: Encoding,
    query: &Query,
    as_requested: bool,
) -> Result<Uris, http::Error> {
    let path_and_query = |path: &str| {
        let mut out = String::with_capacity(path.len() + query.0.len() + 8);
        push_path(&mut out, path, encoding);
        query.push_to(&mut out);
        PathAndQuery::from_maybe_shared(Bytes::from(out))
    };
    let client_pq = path_and_query(requested)?;
    let request = Uri::from(if as_requested || route == requested {
        client_pq.clone()
    } else {
        path_and_query(route)?
    });

    let authority = headers
        .get(HOST)
        .and_then(|host| Authority::try_from(host.as_bytes()).ok())
        .or_else(|| domain_name.and_then(|name| Authority::try_from(name).ok()));
    let Some(authority) = authority else {
        return Ok(Uris {
            request,
            client: Uri::from(client_pq),
        });
    };
    let scheme = match headers.get(X_FORWARDED_PROTO).map(|v| v.as_bytes()) {
        Some(proto) if proto.eq_ignore_ascii_case(b"http") => Scheme::HTTP,
        _ => Scheme::HTTPS,
    };
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(scheme);
    parts.authority = Some(authority);
    parts.path_and_query = Some(client_pq);
    Ok(Uris {
        request,
        client: Uri::from_parts(parts)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_paths_are_found_in_every_disguise() {
        for path in [
            "/events",
            "/events/",
            "/events/sqs",
            "/EVENTS/sqs",
            "//events//sqs",
            "/./events/sqs",
            "/static/../events/sqs",
            "/static/%2e%2e/events/sqs",
            "/static/%2E%2E/events/sqs",
            "/%2e/events/sqs",
            "/%65vents/sqs",
            "/a/b/../../events",
            "/static\\..\\events/sqs",
            "/events%2fsqs",
            "/../events/sqs",
            // Under it as a raw-path router reads it, though they climb out once resolved.
            "/events/..",
            "/events/%2e%2e",
            "/events/..%5C",
            "/events/sqs/%2e%2e/%2e%2e/static",
            "/events/../static",
        ] {
            assert!(is_under(path, "/events"), "{path}");
        }
        for path in [
            "/",
            "/event",
            "/eventsx",
            "/eventsx/sqs",
            "/static/events",
            "/%2e%2e",
            "/ev%20ents",
            "/./static/./events.json",
        ] {
            assert!(!is_under(path, "/events"), "{path}");
        }
        assert!(is_under("/Hooks/Events/sqs", "/hooks/events"));
        assert!(!is_under("/hooks", "/hooks/events"));
    }

    fn path(p: &str, e: Encoding) -> String {
        let mut out = String::new();
        push_path(&mut out, p, e);
        PathAndQuery::try_from(out.as_str()).unwrap();
        out
    }

    #[test]
    fn encoded_paths_keep_escapes_and_escape_the_rest() {
        assert_eq!(path("/a%2Fb", Encoding::Encoded), "/a%2Fb");
        assert_eq!(path("/a b", Encoding::Encoded), "/a%20b");
        assert_eq!(path("/100%", Encoding::Encoded), "/100%25");
        assert_eq!(path("/%zz", Encoding::Encoded), "/%25zz");
        assert_eq!(path("/q?x#y", Encoding::Encoded), "/q%3Fx%23y");
        assert_eq!(path("/café", Encoding::Encoded), "/caf%C3%A9");
        assert_eq!(
            path("//evil.example/x", Encoding::Encoded),
            "//evil.example/x"
        );
        assert_eq!(path("", Encoding::Encoded), "/");
    }

    #[test]
    fn decoded_paths_encode_every_percent() {
        assert_eq!(path("/100%", Encoding::Decoded), "/100%25");
        assert_eq!(path("/a%2Fb", Encoding::Decoded), "/a%252Fb");
    }

    #[test]
    fn decoded_params_stay_one_parameter() {
        let mut q = Query::default();
        q.param("a", "1&2", Encoding::Decoded);
        q.param("b c", "x=y+z%", Encoding::Decoded);
        q.param("colors[]", "https://x/y?z", Encoding::Decoded);
        assert_eq!(q.0, "a=1%262&b%20c=x%3Dy%2Bz%25&colors[]=https://x/y?z");
    }

    #[test]
    fn encoded_params_are_not_encoded_twice() {
        let mut q = Query::default();
        q.param("q", "a%20b%26c", Encoding::Encoded);
        q.param("s", "x y", Encoding::Encoded);
        assert_eq!(q.0, "q=a%20b%26c&s=x%20y");
    }

    #[test]
    fn prefixes_strip_on_segment_boundaries_only() {
        assert_eq!(strip_segments("/v1/items", "/v1"), Some("/items"));
        assert_eq!(strip_segments("/v1", "/v1/"), Some("/"));
        assert_eq!(strip_segments("/v10/items", "/v1"), None);
        assert_eq!(strip_segments("/items", "/v1"), None);
        assert_eq!(strip_segments("/items", ""), None);
    }

    fn uris(
        headers: &HeaderMap,
        domain: Option<&str>,
        prefix: &str,
        in_request: bool,
    ) -> (String, String) {
        let mut query = Query::default();
        query.raw("a=1");
        let requested = format!("{prefix}/x");
        let u = build(
            headers,
            domain,
            &requested,
            "/x",
            Encoding::Encoded,
            &query,
            in_request,
        )
        .unwrap();
        (u.request.to_string(), u.client.to_string())
    }

    #[test]
    fn authority_falls_back_to_domain_name_then_none() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            uris(&headers, None, "", false),
            ("/x?a=1".into(), "/x?a=1".into())
        );
        // The request URI is in origin form; the authority is the client URL's.
        assert_eq!(
            uris(&headers, Some("d.example"), "", false),
            ("/x?a=1".into(), "https://d.example/x?a=1".into())
        );
        headers.insert(HOST, "h.example:8080".parse().unwrap());
        headers.insert(X_FORWARDED_PROTO, "http".parse().unwrap());
        assert_eq!(
            uris(&headers, Some("d.example"), "", false).1,
            "http://h.example:8080/x?a=1"
        );
        headers.insert(HOST, "bad host".parse().unwrap());
        assert_eq!(
            uris(&headers, Some("d.example"), "", false).1,
            "http://d.example/x?a=1"
        );
    }

    #[test]
    fn the_client_url_keeps_the_prefix() {
        let headers = HeaderMap::new();
        assert_eq!(
            uris(&headers, Some("d.example"), "/prod", false),
            ("/x?a=1".into(), "https://d.example/prod/x?a=1".into())
        );
        assert_eq!(
            uris(&headers, Some("d.example"), "/prod", true),
            ("/prod/x?a=1".into(), "https://d.example/prod/x?a=1".into())
        );
    }

    #[test]
    fn a_path_that_looks_like_an_authority_stays_a_path() {
        let headers = HeaderMap::new();
        let query = Query::default();
        let u = build(
            &headers,
            None,
            "",
            "//evil.example/x",
            Encoding::Encoded,
            &query,
            false,
        )
        .unwrap();
        assert_eq!(u.request.authority(), None);
        assert_eq!(u.request.path(), "//evil.example/x");
        let u = build(
            &headers,
            Some("api.example"),
            "",
            "//evil.example/x",
            Encoding::Encoded,
            &query,
            false,
        )
        .unwrap();
        assert_eq!(u.request.authority(), None);
        assert_eq!(u.request.path(), "//evil.example/x");
        assert_eq!(u.client.host(), Some("api.example"));
    }
}
