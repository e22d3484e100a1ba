//! Putting back, on the way out, the path prefix removed on the way in.
//!
//! tower-lambda removes the API Gateway stage and a custom domain's base path before routing
//! (the [`PathPrefix`]), so that routes are written once. What the service sends back still
//! speaks the routed path: a redirect to `/login` would send the client to a URL without the
//! stage. Like a reverse proxy's `proxy_redirect` / `ProxyPassReverse`, the response's
//! `Location` and `Content-Location` get the prefix back in front of their path when they are
//! an origin-relative path (`/login?next=...`) or an absolute URL on the request's own scheme
//! and authority; a relative reference (`docs/`), another origin, a scheme-relative `//host/...`
//! and a path already under the prefix are left alone. A `Set-Cookie` `Path=/admin` becomes
//! `Path=/prod/admin` (a browser would otherwise never send that cookie back, since it sees
//! `/prod/admin`); `Path=/` stays as it is, since it covers the prefix already (making it narrower
//! would change what an app set deliberately site-wide), and a cookie without `Path` gets its
//! default path from the URL the browser used, which has the prefix.

use http::header::{CONTENT_LOCATION, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request};

use crate::body::Body;
use crate::context::{ClientUrl, PathPrefix};

/// What a response needs to put the removed prefix back: the prefix, as escaped in the client's
/// URL, and the client's origin (for absolute URLs), in one string.
#[derive(Debug, Clone)]
pub(crate) struct Restore {
    /// `{scheme}://{authority}{prefix}`, or the prefix alone when the origin is not known.
    text: String,
    /// Where the prefix starts in `text`.
    prefix_at: usize,
}

impl Restore {
    /// For `request`, when a prefix was removed from its path (`None` otherwise: nothing to do).
    /// Boxed: it is held across the service call, and a larger future costs every round trip
    /// its moves.
    pub(crate) fn of(request: &Request<Body>) -> Option<Box<Self>> {
        let extensions = request.extensions();
        let prefix = extensions.get::<PathPrefix>()?.as_str();
        if prefix.is_empty() {
            return None;
        }
        let origin = extensions.get::<ClientUrl>().and_then(|url| {
            let url = &url.0;
            Some((url.scheme_str()?, url.authority()?.as_str()))
        });
        Some(Box::new(Self::new(origin, prefix)))
    }

    fn new(origin: Option<(&str, &str)>, prefix: &str) -> Self {
        // A prefix never ends with `/` (the route keeps it); a byte test, not a pattern search.
        let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
        let (scheme, authority) = origin.unwrap_or_default();
        let mut text = String::with_capacity(scheme.len() + 3 + authority.len() + prefix.len());
        if origin.is_some() {
            text.push_str(scheme);
            text.push_str("://");
            text.push_str(authority);
        }
        let prefix_at = text.len();
        text.push_str(prefix);
        Self { text, prefix_at }
    }

    fn prefix(&self) -> &str {
        &self.text[self.prefix_at..]
    }

    /// The client's scheme and authority, when known.
    fn origin(&self) -> Option<(&str, &str)> {
        self.text[..self.prefix_at].split_once("://")
    }

    /// Rewrites the response headers that name a URL or a cookie path (one pass over the
    /// headers, which are few).
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in headers.iter_mut() {
            let rewrite = if name == LOCATION || name == CONTENT_LOCATION {
                Self::location
            } else if name == SET_COOKIE {
                Self::cookie
            } else {
                continue;
            };
            let rewritten = value.to_str().ok().and_then(|text| rewrite(self, text));
            if let Some(new) = rewritten.and_then(|new| HeaderValue::try_from(new).ok()) {
                *value = new;
            }
        }
    }

    /// A `Location`-like value with the prefix put back, or `None` to leave it as it is.
    fn location(&self, text: &str) -> Option<String> {
        let path_at = if text.starts_with('/') {
            if text.starts_with("//") {
                return None; // scheme-relative: another origin, maybe
            }
            0
        } else {
            let (scheme, rest) = text.split_once("://")?;
            let (own_scheme, own_authority) = self.origin()?;
            let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let same_origin = scheme.eq_ignore_ascii_case(own_scheme)
                && rest[..authority_len].eq_ignore_ascii_case(own_authority);
            if !same_origin {
                return None;
            }
            scheme.len() + 3 + authority_len
        };
        let after = &text[path_at..];
        let path = &after[..after.find(['?', '#']).unwrap_or(after.len())];
        if self.holds(path) {
            return None;
        }
        let mut out = String::with_capacity(text.len() + self.prefix().len() + 1);
        out.push_str(&text[..path_at]);
        out.push_str(self.prefix());
        if path.is_empty() {
            out.push('/');
        }
        out.push_str(after);
        Some(out)
    }

    /// A `Set-Cookie` value with its `Path` under the prefix, or `None` to leave it as it is.
    /// Read byte by byte: every cookie a response sets passes here.
    fn cookie(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let skip_spaces = |mut at: usize, end: usize| {
            while at < end && bytes[at] == b' ' {
                at += 1;
            }
            at
        };
        // Attributes follow the first `;`; the cookie's own value may hold anything else.
        let mut at = bytes.iter().position(|&b| b == b';')?;
        while at < bytes.len() {
            let start = at + 1;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b';')
                .map_or(bytes.len(), |i| start + i);
            let name = skip_spaces(start, end);
            if end - name > 4 && bytes[name..name + 4].eq_ignore_ascii_case(b"path") {
                let equals = skip_spaces(name + 4, end);
                if bytes.get(equals) == Some(&b'=') {
                    let path_at = skip_spaces(equals + 1, end);
                    let path = text[path_at..end].trim_end();
                    if !path.starts_with('/') || path == "/" || self.holds(path) {
                        return None;
                    }
                    let mut out = String::with_capacity(text.len() + self.prefix().len());
                    out.push_str(&text[..path_at]);
                    out.push_str(self.prefix());
                    out.push_str(&text[path_at..]);
                    return Some(out);
                }
            }
            at = end;
        }
        None
    }

    /// Whether `path` is the prefix or lies under it (segment boundary, letter case kept).
    fn holds(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restore(prefix: &str) -> Restore {
        Restore::new(
            Some(("https", "abc123.execute-api.us-east-1.amazonaws.com")),
            prefix,
        )
    }

    #[test]
    fn locations_on_the_own_origin_get_the_prefix_back() {
        let r = restore("/prod");
        let own = "https://abc123.execute-api.us-east-1.amazonaws.com";
        for (location, want) in [
            ("/login", Some("/prod/login".to_owned())),
            (
                "/login?next=/account",
                Some("/prod/login?next=/account".to_owned()),
            ),
            ("/", Some("/prod/".to_owned())),
            ("/#top", Some("/prod/#top".to_owned())),
            ("/production", Some("/prod/production".to_owned())),
            (&format!("{own}/docs/"), Some(format!("{own}/prod/docs/"))),
            (own, Some(format!("{own}/prod/"))),
            (&format!("{own}?a=1"), Some(format!("{own}/prod/?a=1"))),
            (
                "HTTPS://ABC123.execute-api.us-east-1.amazonaws.com/x",
                Some("HTTPS://ABC123.execute-api.us-east-1.amazonaws.com/prod/x".to_owned()),
            ),
            // Already under the prefix, relative, another origin, scheme-relative.
            ("/prod", None),
            ("/prod/login", None),
            ("docs/", None),
            ("../up", None),
            ("https://example.com/login", None),
            (
                "http://abc123.execute-api.us-east-1.amazonaws.com/login",
                None,
            ),
            (
                "https://abc123.execute-api.us-east-1.amazonaws.com.evil/x",
                None,
            ),
            ("//example.com/login", None),
            ("mailto:a@example.com", None),
            ("", None),
        ] {
            assert_eq!(r.location(location), want, "{location}");
        }
        // Without a known origin, absolute URLs are left alone.
        let no_origin = Restore::new(None, "/prod/");
        assert_eq!(no_origin.location(&format!("{own}/x")), None);
        assert_eq!(no_origin.location("/x"), Some("/prod/x".into()));
    }

    #[test]
    fn cookie_paths_below_the_root_get_the_prefix_back() {
        let r = restore("/v1");
        for (cookie, want) in [
            ("a=1; Path=/admin", Some("a=1; Path=/v1/admin")),
            (
                "a=1; HttpOnly; path=/admin; Secure",
                Some("a=1; HttpOnly; path=/v1/admin; Secure"),
            ),
            ("a=1;Path= /admin", Some("a=1;Path= /v1/admin")),
            ("a=1; Path=/", None),
            ("a=1; Path=/v1/admin", None),
            ("a=1; Path=/v1", None),
            ("a=1; Path=admin", None),
            ("a=1; Secure", None),
            ("a=1", None),
            ("path=/admin", None),
            (
                "a=b; Domain=x; Path=/x;",
                Some("a=b; Domain=x; Path=/v1/x;"),
            ),
        ] {
            assert_eq!(r.cookie(cookie).as_deref(), want, "{cookie}");
        }
    }

    #[test]
    fn headers_are_rewritten_in_place_every_value() {
        let r = restore("/prod");
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_static("/login"));
        headers.insert(
            CONTENT_LOCATION,
            HeaderValue::from_static("https://example.com/x"),
        );
        headers.append(SET_COOKIE, HeaderValue::from_static("a=1; Path=/admin"));
        headers.append(SET_COOKIE, HeaderValue::from_static("b=2; Path=/"));
        r.apply(&mut headers);
        assert_eq!(headers[LOCATION], "/prod/login");
        assert_eq!(headers[CONTENT_LOCATION], "https://example.com/x");
        let cookies: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
        assert_eq!(cookies, ["a=1; Path=/prod/admin", "b=2; Path=/"]);
    }
}
