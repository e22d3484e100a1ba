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
use http::uri::{Authority, Scheme};
use http::{HeaderMap, HeaderName, HeaderValue, Request};

use crate::body::Body;
use crate::context::{ClientUrl, PathPrefix};

/// What a response needs to put the removed prefix back: the prefix, as escaped in the client's
/// URL, and the client's origin (for absolute URLs).
#[derive(Debug, Clone)]
pub(crate) struct Restore {
    prefix: String,
    origin: Option<(Scheme, Authority)>,
}

impl Restore {
    /// For `request`, when a prefix was removed from its path (`None` otherwise: nothing to do).
    pub(crate) fn of(request: &Request<Body>) -> Option<Self> {
        let extensions = request.extensions();
        let prefix = extensions.get::<PathPrefix>()?.as_str();
        if prefix.is_empty() {
            return None;
        }
        let origin = extensions.get::<ClientUrl>().and_then(|url| {
            let url = &url.0;
            Some((url.scheme()?.clone(), url.authority()?.clone()))
        });
        Some(Self {
            prefix: prefix.trim_end_matches('/').to_owned(),
            origin,
        })
    }

    /// Rewrites the response headers that name a URL or a cookie path.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for name in [LOCATION, CONTENT_LOCATION] {
            self.rewrite(headers, name, |restore, text| restore.location(text));
        }
        self.rewrite(headers, SET_COOKIE, |restore, text| restore.cookie(text));
    }

    fn rewrite(
        &self,
        headers: &mut HeaderMap,
        name: HeaderName,
        with: impl Fn(&Self, &str) -> Option<String>,
    ) {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                let rewritten = value.to_str().ok().and_then(|text| with(self, text));
                if let Some(new) = rewritten.and_then(|new| HeaderValue::try_from(new).ok()) {
                    *value = new;
                }
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
            let (own_scheme, own_authority) = self.origin.as_ref()?;
            let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let same_origin = scheme.eq_ignore_ascii_case(own_scheme.as_str())
                && rest[..authority_len].eq_ignore_ascii_case(own_authority.as_str());
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
        let mut out = String::with_capacity(text.len() + self.prefix.len() + 1);
        out.push_str(&text[..path_at]);
        out.push_str(&self.prefix);
        if path.is_empty() {
            out.push('/');
        }
        out.push_str(after);
        Some(out)
    }

    /// A `Set-Cookie` value with its `Path` under the prefix, or `None` to leave it as it is.
    fn cookie(&self, text: &str) -> Option<String> {
        // Attributes follow the first `;`; the cookie's own value may hold anything else.
        let mut at = text.find(';')?;
        while at < text.len() {
            let start = at + 1;
            let end = text[start..].find(';').map_or(text.len(), |i| start + i);
            let attribute = &text[start..end];
            if let Some((name, value)) = attribute.split_once('=') {
                let value_at = start + name.len() + 1;
                let path = value.trim();
                if name.trim().eq_ignore_ascii_case("path") {
                    if !path.starts_with('/') || path == "/" || self.holds(path) {
                        return None;
                    }
                    let path_at = value_at + (value.len() - value.trim_start().len());
                    let mut out = String::with_capacity(text.len() + self.prefix.len());
                    out.push_str(&text[..path_at]);
                    out.push_str(&self.prefix);
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
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restore(prefix: &str) -> Restore {
        Restore {
            prefix: prefix.to_owned(),
            origin: Some((
                Scheme::HTTPS,
                Authority::from_static("abc123.execute-api.us-east-1.amazonaws.com"),
            )),
        }
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
        let no_origin = Restore {
            prefix: "/prod".into(),
            origin: None,
        };
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
