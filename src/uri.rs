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
use percent_encoding::{percent_encode_byte, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Everything but `A-Z a-z 0-9 - . _ ~` is encoded in a query key or value that arrived decoded,
/// so `&`, `=`, `+`, `%`, `#`, spaces and non-ASCII stay part of the one key or value they were in.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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

/// Builds a path-and-query string piece by piece.
#[derive(Debug, Default)]
pub(crate) struct PathAndQueryBuilder {
    out: String,
    has_query: bool,
}

impl PathAndQueryBuilder {
    pub(crate) fn new(path: &str, encoding: Encoding) -> Self {
        let mut out = String::with_capacity(path.len() + 64);
        if !path.starts_with('/') {
            out.push('/');
        }
        push_escaped(&mut out, path, encoding, false);
        Self {
            out,
            has_query: false,
        }
    }

    /// Appends a raw query string (as in `rawQueryString`), already encoded by the client.
    pub(crate) fn raw_query(mut self, query: &str) -> Self {
        if !query.is_empty() {
            self.out.push(if self.has_query { '&' } else { '?' });
            self.has_query = true;
            push_escaped(&mut self.out, query, Encoding::Encoded, true);
        }
        self
    }

    /// Appends one `key=value` parameter.
    pub(crate) fn param(&mut self, key: &str, value: &str, encoding: Encoding) {
        self.out.push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        match encoding {
            Encoding::Decoded => {
                self.out.extend(utf8_percent_encode(key, QUERY_COMPONENT));
                self.out.push('=');
                self.out.extend(utf8_percent_encode(value, QUERY_COMPONENT));
            }
            Encoding::Encoded => {
                push_escaped(&mut self.out, key, Encoding::Encoded, true);
                self.out.push('=');
                push_escaped(&mut self.out, value, Encoding::Encoded, true);
            }
        }
    }

    pub(crate) fn finish(self) -> Result<PathAndQuery, http::Error> {
        Ok(PathAndQuery::from_maybe_shared(Bytes::from(self.out))?)
    }
}

/// The full request URI: scheme from `X-Forwarded-Proto` (default `https`), authority from the
/// `Host` header or else the event's domain name, then the path and query. Without any authority
/// the URI is the path and query alone, as in an HTTP/1.1 request line.
pub(crate) fn build(
    headers: &HeaderMap,
    domain_name: Option<&str>,
    path_and_query: PathAndQuery,
) -> Result<Uri, http::Error> {
    let authority = headers
        .get(HOST)
        .and_then(|host| Authority::try_from(host.as_bytes()).ok())
        .or_else(|| domain_name.and_then(|name| Authority::try_from(name).ok()));
    let Some(authority) = authority else {
        return Ok(Uri::from(path_and_query));
    };
    let scheme = match headers.get(X_FORWARDED_PROTO).map(|v| v.as_bytes()) {
        Some(proto) if proto.eq_ignore_ascii_case(b"http") => Scheme::HTTP,
        _ => Scheme::HTTPS,
    };
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path_and_query)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str, e: Encoding) -> String {
        PathAndQueryBuilder::new(p, e).finish().unwrap().to_string()
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
        let mut b = PathAndQueryBuilder::new("/", Encoding::Encoded);
        b.param("a", "1&2", Encoding::Decoded);
        b.param("b c", "x=y+z%", Encoding::Decoded);
        assert_eq!(b.finish().unwrap().as_str(), "/?a=1%262&b%20c=x%3Dy%2Bz%25");
    }

    #[test]
    fn encoded_params_are_not_encoded_twice() {
        let mut b = PathAndQueryBuilder::new("/", Encoding::Encoded);
        b.param("q", "a%20b%26c", Encoding::Encoded);
        b.param("s", "x y", Encoding::Encoded);
        assert_eq!(b.finish().unwrap().as_str(), "/?q=a%20b%26c&s=x%20y");
    }

    #[test]
    fn authority_falls_back_to_domain_name_then_none() {
        let pq = || PathAndQuery::from_static("/x");
        let mut headers = HeaderMap::new();
        assert_eq!(build(&headers, None, pq()).unwrap(), "/x");
        assert_eq!(
            build(&headers, Some("d.example"), pq()).unwrap(),
            "https://d.example/x"
        );
        headers.insert(HOST, "h.example:8080".parse().unwrap());
        headers.insert(X_FORWARDED_PROTO, "http".parse().unwrap());
        assert_eq!(
            build(&headers, Some("d.example"), pq()).unwrap(),
            "http://h.example:8080/x"
        );
        headers.insert(HOST, "bad host".parse().unwrap());
        assert_eq!(
            build(&headers, Some("d.example"), pq()).unwrap(),
            "http://d.example/x"
        );
    }
}
