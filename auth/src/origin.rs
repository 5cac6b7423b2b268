//! The cross-site request check: a request that may change something must come from one of the
//! application's own origins.

use std::fmt;

use http::header::ORIGIN;
use http::{HeaderMap, Method, Uri};

/// The origins (`scheme://host[:port]`) the application is served from, and the check that every
/// request which may change something comes from one of them.
///
/// Every method but `GET`, `HEAD` and `OPTIONS` must carry an `Origin` header equal to one of
/// these origins. A request without `Origin` is refused, as Lucia refuses it: browsers send
/// `Origin` on every such request, so only non-browser clients and privacy tools that strip it
/// lack it, and letting it through would let a stripped cross-site form through too.
///
/// **`Sec-Fetch-Site` is not consulted.** `Sec-Fetch-Site: same-origin` does not stand in for a
/// missing `Origin`: every browser that sends `Sec-Fetch-Site` also sends `Origin` on these
/// requests, so a request with the one and without the other did not come from a browser as
/// sent, and older browsers send neither. `Origin` alone decides.
///
/// **There is no default derived from `Host`.** The origins are configured. The request's `Host`
/// cannot stand in for them: behind a reverse proxy the application sees the proxy's `Host`
/// (often `127.0.0.1:3000`) and plain `http` where the browser used `https`, so comparing
/// `Origin` to it refuses every legitimate request or, if the proxy forwards `X-Forwarded-Host`
/// from the client, trusts whatever the client claims. Read the public origin from the
/// application's configuration (e.g. an `APP_ORIGIN` environment variable).
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, header::ORIGIN};
/// use lucia_sea_orm_auth::{AllowedOrigins, CrossSiteRequest};
///
/// let origins = AllowedOrigins::new(["https://example.com"])?;
/// let mut headers = HeaderMap::new();
/// assert_eq!(origins.check(&Method::GET, &headers), Ok(()));
/// assert_eq!(origins.check(&Method::POST, &headers), Err(CrossSiteRequest::MissingOrigin));
///
/// headers.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
/// assert_eq!(origins.check(&Method::POST, &headers), Err(CrossSiteRequest::ForeignOrigin));
///
/// headers.insert(ORIGIN, HeaderValue::from_static("https://example.com"));
/// assert_eq!(origins.check(&Method::POST, &headers), Ok(()));
/// # Ok::<(), lucia_sea_orm_auth::InvalidOrigin>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// Serialised as browsers serialise an `Origin`: lower-case scheme and host, no default port.
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// The origins, each `scheme://host` or `scheme://host:port` (`http` or `https`; a trailing
    /// `/` is accepted). They are stored as browsers send them: lower-case, without the default
    /// port.
    ///
    /// Errors: [`InvalidOrigin`] for anything else (a path, a query, user info, another scheme,
    /// no origin at all).
    pub fn new<I, S>(origins: I) -> Result<Self, InvalidOrigin>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|origin| serialise(origin.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err(InvalidOrigin {
                origin: String::new(),
                reason: "no origin given",
            });
        }
        Ok(Self { origins })
    }

    /// The origins, as compared with `Origin` headers.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().map(String::as_str)
    }

    /// Whether a request with this method and these headers may be served.
    ///
    /// Errors: [`CrossSiteRequest`] for a request that may change something (any method but
    /// `GET`, `HEAD` and `OPTIONS`) whose `Origin` is missing, not one of ours, or ambiguous.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), CrossSiteRequest> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let mut values = headers.get_all(ORIGIN).iter();
        let origin = values.next().ok_or(CrossSiteRequest::MissingOrigin)?;
        if values.next().is_some() {
            return Err(CrossSiteRequest::ForeignOrigin);
        }
        // Browsers send the serialised origin, which is what we store: compared as bytes
        // (ignoring ASCII case, which origins do not distinguish). `null` matches nothing.
        let origin = origin.as_bytes();
        if self
            .origins
            .iter()
            .any(|ours| ours.as_bytes().eq_ignore_ascii_case(origin))
        {
            Ok(())
        } else {
            Err(CrossSiteRequest::ForeignOrigin)
        }
    }
}

impl fmt::Debug for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.origins).finish()
    }
}

/// `origin` as browsers serialise it, or why it is not an origin.
fn serialise(origin: &str) -> Result<String, InvalidOrigin> {
    let invalid = |reason| InvalidOrigin {
        origin: origin.to_owned(),
        reason,
    };
    let uri: Uri = origin
        .parse()
        .map_err(|_| invalid("not a URL of the form scheme://host[:port]"))?;
    let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => "http",
        Some("https") => "https",
        _ => return Err(invalid("the scheme must be http or https")),
    };
    let authority = uri.authority().ok_or_else(|| invalid("no host"))?.as_str();
    if authority.contains('@') {
        return Err(invalid("user info is not part of an origin"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(invalid("a path or query is not part of an origin"));
    }
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let host = host.to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match uri.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Why a request was refused by [`AllowedOrigins::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrossSiteRequest {
    /// The request may change something and has no `Origin` header.
    #[error("the request has no Origin header")]
    MissingOrigin,
    /// The request's `Origin` is not one of the application's (or there are several).
    #[error("the request comes from another origin")]
    ForeignOrigin,
}

/// A configured origin that is not `scheme://host[:port]`; see [`AllowedOrigins::new`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin:?} is not an origin: {reason}")]
pub struct InvalidOrigin {
    origin: String,
    reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_stored_as_browsers_serialise_them() {
        let origins = AllowedOrigins::new([
            "HTTPS://Example.COM:443/",
            "http://localhost:3000",
            "http://a.test:80",
        ])
        .unwrap();
        assert_eq!(
            origins.origins().collect::<Vec<_>>(),
            [
                "https://example.com",
                "http://localhost:3000",
                "http://a.test"
            ]
        );
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for origin in [
            "",
            "example.com",
            "ftp://example.com",
            "https://example.com/app",
            "https://example.com/?a=1",
            "https://user@example.com",
            "null",
        ] {
            assert!(AllowedOrigins::new([origin]).is_err(), "{origin:?}");
        }
        assert!(AllowedOrigins::new(Vec::<String>::new()).is_err());
    }

    #[test]
    fn safe_methods_pass_and_others_need_one_of_our_origins() {
        let origins = AllowedOrigins::new(["https://example.com"]).unwrap();
        let mut headers = HeaderMap::new();
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(origins.check(&method, &headers), Ok(()));
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(
                origins.check(&method, &headers),
                Err(CrossSiteRequest::MissingOrigin)
            );
        }
        for foreign in [
            "null",
            "http://example.com",
            "https://example.com:8443",
            "https://example.com.evil.test",
            "https://sub.example.com",
            "https://example.com https://evil.test",
        ] {
            headers.insert(ORIGIN, foreign.parse().unwrap());
            assert_eq!(
                origins.check(&Method::POST, &headers),
                Err(CrossSiteRequest::ForeignOrigin),
                "{foreign}"
            );
        }
        headers.insert(ORIGIN, "https://EXAMPLE.com".parse().unwrap());
        assert_eq!(origins.check(&Method::POST, &headers), Ok(()));
        headers.append(ORIGIN, "https://example.com".parse().unwrap());
        assert_eq!(
            origins.check(&Method::POST, &headers),
            Err(CrossSiteRequest::ForeignOrigin)
        );
    }

    #[test]
    fn sec_fetch_site_does_not_stand_in_for_origin() {
        let origins = AllowedOrigins::new(["https://example.com"]).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert_eq!(
            origins.check(&Method::POST, &headers),
            Err(CrossSiteRequest::MissingOrigin)
        );
    }
}
