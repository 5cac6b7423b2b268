//! The session cookie: writing it for a session, the blank cookie that ends it, and reading the
//! session id back from a request, on the `http` and `cookie` crates' types.

use std::borrow::Cow;

use cookie::time::OffsetDateTime;
use cookie::{Cookie, SameSite};
use http::header::{COOKIE, InvalidHeaderValue};
use http::{HeaderMap, HeaderValue};

use crate::Session;

/// The name of the session cookie unless set: `auth_session`, as Lucia names it.
pub const DEFAULT_SESSION_COOKIE_NAME: &str = "auth_session";

/// The longest cookie value read as a session id, in bytes; a longer value is "no session".
///
/// Session ids are 40 characters; the bound only keeps a hostile 10 kB value from travelling to
/// the database, whatever id generator is configured.
pub const MAX_SESSION_ID_BYTES: usize = 255;

/// How the session cookie is written and read: name, `Secure`, `SameSite`, path and domain.
///
/// The defaults are Lucia's production cookie: `auth_session=<id>; HttpOnly; SameSite=Lax;
/// Secure; Path=/; Expires=<the session's idle expiry>`, with no `Domain` (the cookie goes back
/// to the host that set it only). `HttpOnly` is always on: no script of the page ever needs the
/// session id, and a script that can read it can send it elsewhere.
///
/// ```
/// use lucia_sea_orm_auth::{Session, SessionCookie, SessionState};
///
/// let cookies = SessionCookie::default();
/// let session = Session {
///     id: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
///     user_id: "ada".into(),
///     active_expires: 1_000,
///     idle_expires: 1_700_000_000_000,
///     state: SessionState::Active,
///     fresh: true,
/// };
/// assert_eq!(
///     cookies.for_session(&session).to_string(),
///     "auth_session=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; HttpOnly; SameSite=Lax; Secure; \
///      Path=/; Expires=Tue, 14 Nov 2023 22:13:20 GMT",
/// );
/// assert_eq!(
///     cookies.blank().to_string(),
///     "auth_session=; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
/// );
///
/// // Plain-HTTP development has to say so.
/// let development = SessionCookie::builder().secure(false).build()?;
/// assert!(!development.for_session(&session).to_string().contains("Secure"));
///
/// // A cookie browsers would drop is refused here, not discovered in production.
/// let host_only = SessionCookie::builder().name("__Host-auth_session");
/// assert!(host_only.clone().build().is_ok());
/// assert!(host_only.domain("example.com").build().is_err());
/// # Ok::<(), lucia_sea_orm_auth::InvalidSessionCookie>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCookie {
    settings: Settings,
    /// The blank cookie's `Set-Cookie` value, formed once: it is the same for every response.
    blank: HeaderValue,
}

impl Default for SessionCookie {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            // What `build` forms from the default settings (a test holds the two together).
            blank: HeaderValue::from_static(
                "auth_session=; HttpOnly; SameSite=Lax; Secure; Path=/; \
                 Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Settings {
    name: Cow<'static, str>,
    secure: bool,
    same_site: SameSite,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            name: Cow::Borrowed(DEFAULT_SESSION_COOKIE_NAME),
            secure: true,
            same_site: SameSite::Lax,
            path: Cow::Borrowed("/"),
            domain: None,
        }
    }
}

impl Settings {
    fn cookie(&self, value: String, expires: OffsetDateTime) -> Cookie<'static> {
        let mut cookie = Cookie::build((self.name.clone(), value))
            .http_only(true)
            .same_site(self.same_site)
            .secure(self.secure)
            .path(self.path.clone())
            .expires(expires);
        if let Some(domain) = &self.domain {
            cookie = cookie.domain(domain.clone());
        }
        cookie.build()
    }

    fn blank(&self) -> Cookie<'static> {
        self.cookie(String::new(), OffsetDateTime::UNIX_EPOCH)
    }

    /// Why browsers would drop a cookie with these settings, or a `Set-Cookie` header could not
    /// carry it; `None` when neither.
    fn problem(&self) -> Option<&'static str> {
        let name = &*self.name;
        if name.is_empty()
            || name.len() > MAX_NAME_BYTES
            || !name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || TOKEN_SYMBOLS.contains(&byte))
        {
            return Some(
                "the name must be a token of at most 3,841 bytes: letters, digits and \
                 !#$%&'*+-.^_`|~",
            );
        }
        let path_byte = |byte: u8| (b' '..=b'~').contains(&byte) && byte != b';';
        if !self.path.starts_with('/')
            || self.path.len() > MAX_ATTRIBUTE_BYTES
            || !self.path.bytes().all(path_byte)
        {
            return Some(
                "the path must start with '/' and be at most 1,024 bytes of printable ASCII \
                 without ';' (percent-encode anything else)",
            );
        }
        if let Some(domain) = &self.domain
            && !is_host_name(domain)
        {
            return Some(
                "the domain must be a host name of at most 1,024 bytes: letters, digits, '-' \
                 and '.' (punycode for international names), no scheme, port or path",
            );
        }
        // Cookie name prefixes (RFC 6265bis, section 4.1.3), matched without regard to case as
        // browsers do: a cookie that breaks them is dropped, so the session would never stick.
        let has_prefix = |prefix: &str| {
            name.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        let host_prefix = has_prefix("__Host-");
        if (host_prefix || has_prefix("__Secure-") || has_prefix("__Http-")) && !self.secure {
            return Some("a __Secure-, __Host- or __Http- name needs Secure");
        }
        if host_prefix && (self.path != "/" || self.domain.is_some()) {
            return Some("a __Host- name needs the path / and no domain");
        }
        if self.same_site == SameSite::None && !self.secure {
            return Some("SameSite=None needs Secure");
        }
        None
    }
}

/// The longest name: browsers drop a cookie whose name and value exceed 4,096 bytes, and the
/// value is a session id of up to [`MAX_SESSION_ID_BYTES`].
const MAX_NAME_BYTES: usize = 4096 - MAX_SESSION_ID_BYTES;
/// The longest `Path` or `Domain` value browsers keep (RFC 6265bis, section 5.6).
const MAX_ATTRIBUTE_BYTES: usize = 1024;
/// The symbols of a token (RFC 9110 `tchar`), beside letters and digits.
const TOKEN_SYMBOLS: &[u8] = b"!#$%&'*+-.^_`|~";

/// Whether `domain` is a `Domain` browsers accept: dot-separated labels of letters, digits and
/// `-`, optionally after one leading dot (which browsers ignore).
fn is_host_name(domain: &str) -> bool {
    let host = domain.strip_prefix('.').unwrap_or(domain);
    domain.len() <= MAX_ATTRIBUTE_BYTES
        && !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

/// Configures a [`SessionCookie`]; every setting has a default.
#[derive(Clone, Debug)]
#[must_use]
pub struct SessionCookieBuilder {
    settings: Settings,
}

impl SessionCookieBuilder {
    /// The cookie's name: [`DEFAULT_SESSION_COOKIE_NAME`] unless set. A `__Host-` name (which
    /// keeps sibling subdomains from setting the cookie) needs `Secure`, the path `/` and no
    /// domain, as the defaults are; a `__Secure-` name needs `Secure`.
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.settings.name = name.into();
        self
    }

    /// Whether the cookie is `Secure` (sent over HTTPS only): on unless set. Turn it off only
    /// for development over plain HTTP; browsers treat `http://localhost` as secure anyway.
    pub fn secure(mut self, secure: bool) -> Self {
        self.settings.secure = secure;
        self
    }

    /// The cookie's `SameSite`: [`SameSite::Lax`] unless set. `Lax` keeps the session on links
    /// followed from other sites and withholds it from their forms and scripts; `None` needs
    /// `Secure` (browsers drop the cookie otherwise, and [`build`](Self::build) refuses it).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.settings.same_site = same_site;
        self
    }

    /// The cookie's `Path`: `/` unless set.
    pub fn path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.settings.path = path.into();
        self
    }

    /// The cookie's `Domain`: none unless set, so that only the host that set the cookie gets it
    /// back. A domain shares the session with every subdomain.
    pub fn domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.settings.domain = Some(domain.into());
        self
    }

    /// The configured [`SessionCookie`].
    ///
    /// Errors: [`InvalidSessionCookie`] for settings a `Set-Cookie` header cannot carry or
    /// browsers drop without a word, so that a session cookie that would never stick fails here:
    /// - a name that is not a token (RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``) or is
    ///   longer than 3,841 bytes (with a 255-byte id, the 4,096 bytes browsers keep);
    /// - a path that does not start with `/`, or holds `;` or anything but printable ASCII;
    /// - a domain that is not a host name (letters, digits, `-` and `.`, one leading dot
    ///   allowed; punycode for international names);
    /// - a path or domain over 1,024 bytes;
    /// - a `__Secure-`, `__Host-` or `__Http-` name without `Secure`, a `__Host-` name with a
    ///   domain or a path other than `/` (prefixes matched without regard to case, as browsers
    ///   do);
    /// - `SameSite=None` without `Secure`.
    pub fn build(self) -> Result<SessionCookie, InvalidSessionCookie> {
        let invalid = |reason| InvalidSessionCookie { reason };
        if let Some(reason) = self.settings.problem() {
            return Err(invalid(reason));
        }
        let blank = HeaderValue::try_from(self.settings.blank().to_string())
            .map_err(|_| invalid("the cookie does not form a Set-Cookie header"))?;
        Ok(SessionCookie {
            settings: self.settings,
            blank,
        })
    }
}

/// Settings of a [`SessionCookie`] that a `Set-Cookie` header cannot carry or that browsers
/// would drop; see [`SessionCookieBuilder::build`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid session cookie: {reason}")]
pub struct InvalidSessionCookie {
    reason: &'static str,
}

impl SessionCookie {
    /// A builder with every setting at its default.
    pub fn builder() -> SessionCookieBuilder {
        SessionCookieBuilder {
            settings: Settings::default(),
        }
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// The cookie that hands `session` to the client: its id, expiring with the session's idle
    /// expiry (so the browser forgets it when the server would refuse it).
    pub fn for_session(&self, session: &Session) -> Cookie<'static> {
        self.settings
            .cookie(session.id.clone(), expiry(session.idle_expires))
    }

    /// The blank cookie that ends the session on the client: empty, expiring at the Unix epoch.
    pub fn blank(&self) -> Cookie<'static> {
        self.settings.blank()
    }

    /// [`for_session`](Self::for_session) as a `Set-Cookie` header value.
    ///
    /// Errors: a session id with characters a header cannot hold (only possible with a custom
    /// id generator).
    pub fn set_cookie_for_session(
        &self,
        session: &Session,
    ) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::try_from(self.for_session(session).to_string())
    }

    /// [`blank`](Self::blank) as a `Set-Cookie` header value.
    pub fn set_blank_cookie(&self) -> HeaderValue {
        self.blank.clone()
    }

    /// The session id in the request's `Cookie` headers, if any; `None` when there is none or it
    /// cannot be one. [`read`](Self::read) tells those two apart.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::COOKIE};
    /// use lucia_sea_orm_auth::SessionCookie;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append(COOKIE, HeaderValue::from_static("theme=dark;  lang=en"));
    /// headers.append(COOKIE, HeaderValue::from_static(" auth_session=abc123 ;x=1"));
    /// assert_eq!(SessionCookie::default().session_id(&headers), Some("abc123"));
    /// ```
    pub fn session_id<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        match self.read(headers) {
            CookieSessionId::Id(id) => Some(id),
            CookieSessionId::Absent | CookieSessionId::Malformed => None,
        }
    }

    /// What the request's `Cookie` headers say about the session: no cookie, a cookie that
    /// cannot hold a session id, or a candidate id.
    ///
    /// Robust to what clients and proxies send: any number of `Cookie` headers and of cookies in
    /// each, odd spacing, empty pairs, bytes that are not UTF-8 in other cookies. Of several
    /// cookies with our name, the first non-empty one counts (browsers send the one with the
    /// longest path first); an empty one (the blank cookie) is no cookie. A value longer than
    /// [`MAX_SESSION_ID_BYTES`], quoted, or not printable ASCII is
    /// [`Malformed`](CookieSessionId::Malformed), never an error. Whether a candidate id is a
    /// *live* session is for [`Auth::validate_session`](crate::Auth::validate_session) to say.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::COOKIE};
    /// use lucia_sea_orm_auth::{CookieSessionId, SessionCookie};
    ///
    /// let cookies = SessionCookie::default();
    /// let mut headers = HeaderMap::new();
    /// assert_eq!(cookies.read(&headers), CookieSessionId::Absent);
    /// let non_ascii = HeaderValue::from_bytes("auth_session=café".as_bytes()).unwrap();
    /// headers.insert(COOKIE, non_ascii);
    /// assert_eq!(cookies.read(&headers), CookieSessionId::Malformed);
    /// headers.insert(COOKIE, HeaderValue::from_static("auth_session=; auth_session=abc"));
    /// assert_eq!(cookies.read(&headers), CookieSessionId::Id("abc"));
    /// ```
    pub fn read<'h>(&self, headers: &'h HeaderMap) -> CookieSessionId<'h> {
        let value = headers
            .get_all(COOKIE)
            .iter()
            .find_map(|header| self.value_in(header.as_bytes()));
        match value {
            None => CookieSessionId::Absent,
            Some(Some(value)) if is_session_id(value) => CookieSessionId::Id(value),
            Some(_) => CookieSessionId::Malformed,
        }
    }

    /// The first non-empty value of our cookie in one `Cookie` header: `Some(None)` when it is
    /// not text.
    fn value_in<'h>(&self, header: &'h [u8]) -> Option<Option<&'h str>> {
        let name = self.settings.name.as_bytes();
        // Pairs are split on bytes rather than parsing the whole header as text, so that a
        // non-UTF-8 byte in someone else's cookie does not hide ours.
        header.split(|&byte| byte == b';').find_map(|pair| {
            let pair = pair.trim_ascii_start();
            let rest = pair.strip_prefix(name)?;
            // `name=`, possibly with spaces before `=`; another cookie may start with our name.
            if !rest.trim_ascii_start().starts_with(b"=") {
                return None;
            }
            let Ok(pair) = std::str::from_utf8(pair) else {
                return Some(None);
            };
            let cookie = Cookie::parse(pair).ok()?;
            let value = cookie.value_raw()?;
            (!value.is_empty()).then_some(Some(value))
        })
    }
}

/// What a request's `Cookie` headers hold in place of the session cookie; see
/// [`SessionCookie::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSessionId<'h> {
    /// No session cookie (or only blank ones).
    Absent,
    /// A session cookie whose value cannot be a session id: signed out, and the cookie should be
    /// cleared.
    Malformed,
    /// A value that may be a session id.
    Id(&'h str),
}

/// Whether a cookie value can be a session id at all: printable ASCII without quotes, spaces
/// or separators, and not oversized.
fn is_session_id(value: &str) -> bool {
    value.len() <= MAX_SESSION_ID_BYTES
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

/// The last second of the four-digit years HTTP dates have: 9999-12-31T23:59:59Z.
const LAST_HTTP_DATE: i64 = 253_402_300_799;

/// `idle_expires` (milliseconds since the epoch) as a cookie expiry, to the second, clamped to
/// what an HTTP date can say.
fn expiry(idle_expires: i64) -> OffsetDateTime {
    let seconds = idle_expires.div_euclid(1000).clamp(0, LAST_HTTP_DATE);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(COOKIE, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    fn read(values: &[&[u8]]) -> CookieSessionId<'static> {
        let headers = Box::leak(Box::new(headers(values)));
        SessionCookie::default().read(headers)
    }

    #[test]
    fn the_id_is_found_among_several_cookies_and_headers_with_odd_spacing() {
        assert_eq!(read(&[b"auth_session=abc"]), CookieSessionId::Id("abc"));
        assert_eq!(
            read(&[b"a=1;b=2", b"  c=3 ;  auth_session = abc  ; d=4"]),
            CookieSessionId::Id("abc")
        );
        assert_eq!(
            read(&[b";;; auth_session=abc;;"]),
            CookieSessionId::Id("abc")
        );
        assert_eq!(read(&[b"\tauth_session=abc"]), CookieSessionId::Id("abc"));
    }

    #[test]
    fn of_duplicates_the_first_non_empty_one_counts() {
        assert_eq!(
            read(&[b"auth_session=first; auth_session=second"]),
            CookieSessionId::Id("first")
        );
        assert_eq!(
            read(&[b"auth_session=", b"auth_session=second"]),
            CookieSessionId::Id("second")
        );
    }

    #[test]
    fn other_cookies_starting_with_our_name_are_not_ours() {
        assert_eq!(
            read(&[b"auth_session_old=x; xauth_session=y; auth_sessions=z"]),
            CookieSessionId::Absent
        );
    }

    #[test]
    fn no_cookie_and_blank_cookies_are_absent() {
        assert_eq!(read(&[]), CookieSessionId::Absent);
        assert_eq!(read(&[b""]), CookieSessionId::Absent);
        assert_eq!(read(&[b"auth_session="]), CookieSessionId::Absent);
        assert_eq!(read(&[b"auth_session"]), CookieSessionId::Absent);
    }

    #[test]
    fn non_utf8_bytes_in_another_cookie_do_not_hide_ours() {
        assert_eq!(
            read(&[b"x=\xff\xfe; auth_session=abc"]),
            CookieSessionId::Id("abc")
        );
    }

    #[test]
    fn values_that_cannot_be_ids_are_malformed() {
        let long = format!("auth_session={}", "a".repeat(MAX_SESSION_ID_BYTES + 1));
        for value in [
            long.as_bytes(),
            b"auth_session=\xff\xfe",
            "auth_session=café".as_bytes(),
            b"auth_session=\"abc\"",
            b"auth_session=a\\b",
            b"auth_session=a,b",
        ] {
            assert_eq!(read(&[value]), CookieSessionId::Malformed, "{value:?}");
        }
        let longest = format!("auth_session={}", "a".repeat(MAX_SESSION_ID_BYTES));
        assert!(matches!(
            read(&[longest.as_bytes()]),
            CookieSessionId::Id(_)
        ));
    }

    #[test]
    fn a_thousand_cookies_in_one_header_are_read() {
        let mut header: String = (0..1000).map(|i| format!("c{i}=v{i}; ")).collect();
        header.push_str("auth_session=abc");
        assert_eq!(read(&[header.as_bytes()]), CookieSessionId::Id("abc"));
    }

    #[test]
    fn a_renamed_cookie_is_read_and_written_under_its_name() {
        let cookies = SessionCookie::builder()
            .name("app_session")
            .same_site(SameSite::Strict)
            .path("/app")
            .domain("example.com")
            .build()
            .expect("valid settings");
        let headers = headers(&[b"auth_session=a; app_session=b"]);
        assert_eq!(cookies.read(&headers), CookieSessionId::Id("b"));
        assert_eq!(
            cookies.blank().to_string(),
            "app_session=; HttpOnly; SameSite=Strict; Secure; Path=/app; Domain=example.com; \
             Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn the_defaults_are_valid_settings() {
        assert_eq!(
            SessionCookie::builder().build(),
            Ok(SessionCookie::default())
        );
    }

    #[test]
    fn prefixed_names_get_the_attributes_browsers_require() {
        let host = || SessionCookie::builder().name("__Host-session");
        let secure = || SessionCookie::builder().name("__Secure-session");
        assert!(host().build().is_ok());
        assert!(secure().domain("example.com").path("/app").build().is_ok());
        assert!(SessionCookie::builder().name("__Host-").build().is_ok());
        let needs_secure = "a __Secure-, __Host- or __Http- name needs Secure";
        let refused = [
            (host().secure(false), needs_secure),
            (secure().secure(false), needs_secure),
            (
                SessionCookie::builder()
                    .name("__host-session")
                    .secure(false),
                needs_secure,
            ),
            (
                SessionCookie::builder()
                    .name("__SECURE-session")
                    .secure(false),
                needs_secure,
            ),
            (
                SessionCookie::builder()
                    .name("__Http-session")
                    .secure(false),
                needs_secure,
            ),
            (
                SessionCookie::builder().name("__Host-").secure(false),
                needs_secure,
            ),
            (
                host().path("/app"),
                "a __Host- name needs the path / and no domain",
            ),
            (
                host().domain("example.com"),
                "a __Host- name needs the path / and no domain",
            ),
            (
                SessionCookie::builder()
                    .name("__HOST-session")
                    .domain("example.com"),
                "a __Host- name needs the path / and no domain",
            ),
        ];
        for (builder, reason) in refused {
            assert_eq!(builder.build(), Err(InvalidSessionCookie { reason }));
        }
    }

    #[test]
    fn same_site_none_needs_secure() {
        let none = || SessionCookie::builder().same_site(SameSite::None);
        assert!(none().build().is_ok());
        assert_eq!(
            none().secure(false).build(),
            Err(InvalidSessionCookie {
                reason: "SameSite=None needs Secure"
            })
        );
    }

    #[test]
    fn settings_a_header_cannot_carry_are_refused() {
        let name = |name: String| SessionCookie::builder().name(name).build();
        for bad in ["", "a b", "a;b", "a=b", "sess\u{e9}", "a\tb", "(x)"] {
            assert!(name(bad.into()).is_err(), "{bad:?} is refused as a name");
        }
        assert!(name("a-b.c_d!#$%&'*+^`|~1".into()).is_ok());
        assert!(name("n".repeat(MAX_NAME_BYTES)).is_ok());
        assert!(name("n".repeat(MAX_NAME_BYTES + 1)).is_err());
        let path = |path: String| SessionCookie::builder().path(path).build();
        for bad in ["", "app", "/a;b", "/a\nb", "/caf\u{e9}"] {
            assert!(path(bad.into()).is_err(), "{bad:?} is refused as a path");
        }
        assert!(path("/a b/c%C3%A9".into()).is_ok());
        assert!(path(format!("/{}", "p".repeat(1023))).is_ok());
        assert!(path(format!("/{}", "p".repeat(1024))).is_err());
        let domain = |domain: String| SessionCookie::builder().domain(domain).build();
        let refused = [
            "",
            ".",
            "..example.com",
            "a b.com",
            "a.com;x",
            "a.com\r",
            "https://example.com",
            "example.com:8443",
            "example.com/app",
            "a,b.com",
            "a..b.com",
            "example.com.",
            "[::1]",
            "caf\u{e9}.fr",
        ];
        for bad in refused {
            assert!(
                domain(bad.into()).is_err(),
                "{bad:?} is refused as a domain"
            );
        }
        for good in [
            ".example.com",
            "Example.COM",
            "xn--caf-dma.fr",
            "a-b.example",
            "localhost",
        ] {
            assert!(
                domain(good.into()).is_ok(),
                "{good:?} is accepted as a domain"
            );
        }
        for cookie in [
            name("x".into()),
            path("/a b".into()),
            domain("example.com".into()),
        ] {
            let cookie = cookie.expect("valid settings");
            assert_eq!(
                cookie.set_blank_cookie().to_str().ok(),
                Some(cookie.blank().to_string().as_str()),
                "a valid cookie's blank header is the cookie itself"
            );
        }
    }

    #[test]
    fn expiry_is_the_idle_expiry_to_the_second_and_clamped() {
        assert_eq!(expiry(1_999).unix_timestamp(), 1);
        assert_eq!(expiry(-5).unix_timestamp(), 0);
        assert_eq!(expiry(i64::MAX).unix_timestamp(), 253_402_300_799);
    }
}
