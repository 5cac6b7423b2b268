//! The signed-in visitor: the extractor that requires one, and `Option` of it for pages that
//! only adapt to one.

use std::fmt;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use lucia_sea_orm_auth::{Session, UserRow};

use crate::rejection::AuthRejection;

/// The session the request came with and its user, as the layer validated them.
///
/// As an extractor it requires a signed-in visitor: a signed-out one is rejected with
/// [`AuthRejection::SignedOut`] (`401`, or a redirect to the sign-in path for HTML pages when
/// [`AuthLayer::sign_in_redirect`](crate::AuthLayer::sign_in_redirect) is set). As
/// `Option<SignedIn<A>>` it is `None` for a signed-out visitor. Both reject with
/// [`AuthRejection::Unavailable`] when the layer could not validate the cookie (the database
/// failed), rather than mistake the visitor for a signed-out one.
///
/// `A` is the adapter's `Attributes` type. Cheap to clone.
///
/// ```
/// use lucia_sea_orm_axum::SignedIn;
/// # #[derive(serde::Deserialize, serde::Serialize)]
/// # struct Profile { username: String }
///
/// async fn account(signed_in: SignedIn<Profile>) -> String {
///     format!("Hello, {}", signed_in.user().attributes.username)
/// }
///
/// async fn home(signed_in: Option<SignedIn<Profile>>) -> &'static str {
///     match signed_in {
///         Some(_) => "Welcome back",
///         None => "Welcome, please sign in",
///     }
/// }
/// # let _: axum::Router = axum::Router::new()
/// #     .route("/", axum::routing::get(home))
/// #     .route("/account", axum::routing::get(account));
/// ```
pub struct SignedIn<A> {
    inner: Arc<(Session, UserRow<A>)>,
}

impl<A> SignedIn<A> {
    pub(crate) fn new(session: Session, user: UserRow<A>) -> Self {
        Self {
            inner: Arc::new((session, user)),
        }
    }

    /// The session. Its id is the one the response's cookie holds: after a renewal, the new one.
    pub fn session(&self) -> &Session {
        &self.inner.0
    }

    /// The session's user, read in the same round trip as the session.
    pub fn user(&self) -> &UserRow<A> {
        &self.inner.1
    }
}

impl<A> Clone for SignedIn<A> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A> fmt::Debug for SignedIn<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The attributes are the application's and may not be `Debug`.
        f.debug_struct("SignedIn")
            .field("session", self.session())
            .field("user_id", &self.user().id)
            .finish_non_exhaustive()
    }
}

/// What the layer found, in the request's extensions, typed by the attributes so that
/// [`SignedIn`] can be extracted without naming the adapter.
pub(crate) struct Current<A> {
    pub(crate) outcome: Outcome<A>,
    pub(crate) sign_in_path: Option<Arc<str>>,
}

impl<A> Clone for Current<A> {
    fn clone(&self) -> Self {
        Self {
            outcome: self.outcome.clone(),
            sign_in_path: self.sign_in_path.clone(),
        }
    }
}

/// The result of validating the request's cookie.
pub(crate) enum Outcome<A> {
    /// No cookie, or one naming no live session.
    SignedOut,
    /// A live session.
    SignedIn(SignedIn<A>),
    /// The validation failed (logged by the layer); answered with this status.
    Unavailable(http::StatusCode),
}

impl<A> Clone for Outcome<A> {
    fn clone(&self) -> Self {
        match self {
            Self::SignedOut => Self::SignedOut,
            Self::SignedIn(signed_in) => Self::SignedIn(signed_in.clone()),
            Self::Unavailable(status) => Self::Unavailable(*status),
        }
    }
}

fn current<A: Send + Sync + 'static>(parts: &Parts) -> Result<&Current<A>, AuthRejection> {
    parts.extensions.get::<Current<A>>().ok_or_else(|| {
        tracing::error!(
            "SignedIn extracted on a route without AuthLayer, or with another attribute type"
        );
        AuthRejection::MissingLayer
    })
}

impl<S: Send + Sync, A: Send + Sync + 'static> FromRequestParts<S> for SignedIn<A> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let current = current::<A>(parts)?;
        match &current.outcome {
            Outcome::SignedIn(signed_in) => Ok(signed_in.clone()),
            Outcome::Unavailable(status) => Err(AuthRejection::Unavailable { status: *status }),
            Outcome::SignedOut => Err(AuthRejection::SignedOut {
                redirect_to: current
                    .sign_in_path
                    .as_ref()
                    .filter(|_| accepts_html(parts))
                    .cloned(),
            }),
        }
    }
}

impl<S: Send + Sync, A: Send + Sync + 'static> OptionalFromRequestParts<S> for SignedIn<A> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        match &current::<A>(parts)?.outcome {
            Outcome::SignedIn(signed_in) => Ok(Some(signed_in.clone())),
            Outcome::SignedOut => Ok(None),
            Outcome::Unavailable(status) => Err(AuthRejection::Unavailable { status: *status }),
        }
    }
}

/// Whether the request is a page load (a browser navigating) rather than an API call: its
/// `Accept` names `text/html`.
fn accepts_html(parts: &Parts) -> bool {
    parts
        .headers
        .get_all(http::header::ACCEPT)
        .iter()
        .any(|accept| {
            accept
                .as_bytes()
                .windows(b"text/html".len())
                .any(|window| window.eq_ignore_ascii_case(b"text/html"))
        })
}
