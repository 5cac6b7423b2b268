//! The handle through which a handler signs a visitor in or out.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::FromRequestParts;
use http::HeaderValue;
use http::request::Parts;
use lucia_sea_orm_auth::{Adapter, Auth, Error, Session};

use crate::error::AuthError;
use crate::rejection::AuthRejection;
use crate::settings::Settings;
use crate::signed_in::{Current, Outcome};

/// Signs the visitor in or out; the layer writes the cookie when the handler returns.
///
/// `D` is the adapter type, e.g. `AuthSession<SeaOrmAdapter<Profile>>`. Extracting it needs
/// only the layer, never the database, so it works on sign-in pages of signed-out visitors and
/// while the database is down (the operations then fail with [`AuthError`]).
///
/// ```
/// use axum::{Form, response::Redirect};
/// use lucia_sea_orm_adapter::SeaOrmAdapter;
/// use lucia_sea_orm_auth::Error;
/// use lucia_sea_orm_axum::{AuthError, AuthSession};
/// # #[derive(serde::Deserialize, serde::Serialize)]
/// # struct Profile { username: String }
///
/// #[derive(serde::Deserialize)]
/// struct Credentials {
///     email: String,
///     password: String,
/// }
///
/// async fn sign_in(
///     session: AuthSession<SeaOrmAdapter<Profile>>,
///     Form(form): Form<Credentials>,
/// ) -> Result<Redirect, AuthError> {
///     let key = match session.auth().use_key("email", &form.email, Some(&form.password)).await {
///         Ok(key) => key,
///         Err(Error::InvalidKeyId | Error::InvalidPassword) => return Ok(Redirect::to("/sign-in?failed")),
///         Err(err) => return Err(err.into()),
///     };
///     session.sign_in(&key.user_id).await?;
///     Ok(Redirect::to("/"))
/// }
///
/// async fn sign_out(session: AuthSession<SeaOrmAdapter<Profile>>) -> Result<Redirect, AuthError> {
///     session.sign_out().await?;
///     Ok(Redirect::to("/"))
/// }
/// # let _: axum::Router = axum::Router::new()
/// #     .route("/sign-in", axum::routing::post(sign_in))
/// #     .route("/sign-out", axum::routing::post(sign_out));
/// ```
pub struct AuthSession<D: Adapter> {
    state: Arc<RequestState<D>>,
}

impl<D: Adapter> Clone for AuthSession<D> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
        }
    }
}

impl<D: Adapter> fmt::Debug for AuthSession<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession").finish_non_exhaustive()
    }
}

/// One request's session, shared by the layer that validated it, the layers inside it over the
/// same session, and the handler's [`AuthSession`].
pub(crate) struct RequestState<D: Adapter> {
    pub(crate) settings: Arc<Settings<D>>,
    /// What the validation found, as [`SignedIn`](crate::SignedIn) reads it.
    pub(crate) current: Current<D::Attributes>,
    pub(crate) mutable: Mutex<Mutable>,
    /// The validation of the next layer outside this one that validated the request, if any.
    pub(crate) outer: Option<Arc<dyn Validation>>,
}

/// A layer's validation of a request, as the layers inside it find it: whatever its adapter
/// type, through the cookie it read.
pub(crate) trait Validation: Any + Send + Sync {
    /// The name of the session cookie the layer read.
    fn cookie_name(&self) -> &str;
    /// The validation of the next layer outside, if any.
    fn outer(&self) -> Option<&Arc<dyn Validation>>;
}

impl<D: Adapter + 'static> Validation for RequestState<D> {
    fn cookie_name(&self) -> &str {
        self.settings.cookie.name()
    }

    fn outer(&self) -> Option<&Arc<dyn Validation>> {
        self.outer.as_ref()
    }
}

/// The request's innermost validation so far, in its extensions.
#[derive(Clone)]
pub(crate) struct Validated(pub(crate) Arc<dyn Validation>);

/// What sign-in and sign-out change during the request.
#[derive(Default)]
pub(crate) struct Mutable {
    /// Ids of sessions the request holds, which sign-in and sign-out end: the cookie's id when
    /// it is not the validated session's (renewed, or not validated as the database failed),
    /// and, once an [`AuthSession`] is extracted, the validated session.
    pub(crate) session_ids: Vec<String>,
    /// The user signed in, if known (once an [`AuthSession`] is extracted).
    pub(crate) user_id: Option<String>,
    /// Whether the validated session was copied in: done by the first [`AuthSession`]
    /// extracted, so that requests whose handler never signs in or out copy nothing.
    pub(crate) validated_copied: bool,
    /// The `Set-Cookie` the response gets.
    pub(crate) cookie: Option<CookieChange>,
}

/// A change of the session cookie for the response.
pub(crate) enum CookieChange {
    /// A new session's cookie.
    Set(HeaderValue),
    /// The blank cookie.
    Clear,
}

impl<D: Adapter> RequestState<D> {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Mutable> {
        // Nothing panics while holding the lock; a poisoned one still holds consistent data.
        self.mutable.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<D: Adapter> AuthSession<D> {
    /// The [`Auth`], for everything else: checking a password, creating a user, listing
    /// sessions.
    pub fn auth(&self) -> &Auth<D> {
        &self.state.settings.auth
    }

    /// Signs the user in: ends any session the request came with (so that an id known before
    /// signing in, say one planted by an attacker, is dead after it), creates a session and
    /// sets its cookie on the response. Returns the new session.
    ///
    /// Errors: [`Error::InvalidUserId`] for an unknown user, and database failures; the cookie
    /// is then left as it was.
    pub async fn sign_in(&self, user_id: &str) -> Result<Session, AuthError> {
        let previous = std::mem::take(&mut self.state.lock().session_ids);
        let auth = self.auth();
        let ended = end_sessions(auth, &previous).await;
        if let Err(err) = ended {
            self.state.lock().session_ids = previous;
            return Err(err);
        }
        let session = match auth.create_session(user_id).await {
            Ok(session) => session,
            Err(err) => {
                if !previous.is_empty() {
                    // The sessions the cookie named are gone: say so to the browser.
                    self.state.lock().cookie = Some(CookieChange::Clear);
                }
                return Err(err.into());
            }
        };
        let cookie = match self.state.settings.cookie.set_cookie_for_session(&session) {
            Ok(cookie) => cookie,
            Err(err) => {
                // Only a custom id generator can make such ids; a session nobody can use goes.
                tracing::error!(error = %err, "the session id cannot be sent in a cookie");
                let _ = auth.invalidate_session(&session.id).await;
                return Err(AuthError::from(Error::InvalidSessionId));
            }
        };
        let mut state = self.state.lock();
        state.session_ids = vec![session.id.clone()];
        state.user_id = Some(session.user_id.clone());
        state.cookie = Some(CookieChange::Set(cookie));
        Ok(session)
    }

    /// Signs the visitor out: deletes the session the request came with (if any) and clears
    /// the cookie.
    ///
    /// A request sent with a cookie that a concurrent request renewed moments ago (within the
    /// renewal grace period) ends that old session only: the core does not link it to its
    /// successor, whose cookie a parallel response may still deliver. Offer
    /// [`sign_out_everywhere`](Self::sign_out_everywhere) where that matters.
    ///
    /// Errors: database failures; the cookie is then left as it was.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let ids = self.state.lock().session_ids.clone();
        end_sessions(self.auth(), &ids).await?;
        let mut state = self.state.lock();
        state.session_ids.clear();
        state.user_id = None;
        state.cookie = Some(CookieChange::Clear);
        Ok(())
    }

    /// Signs the user out on every device: deletes all of their sessions and clears the cookie.
    /// For a signed-out visitor it is [`sign_out`](Self::sign_out).
    ///
    /// Errors: database failures; the cookie is then left as it was.
    pub async fn sign_out_everywhere(&self) -> Result<(), AuthError> {
        let (user_id, cookie_id) = {
            let state = self.state.lock();
            (state.user_id.clone(), state.session_ids.first().cloned())
        };
        // When the layer could not validate the cookie (the database failed then), whose
        // sessions to end is read again rather than quietly ending only this one.
        let user_id = match (user_id, cookie_id) {
            (Some(user_id), _) => Some(user_id),
            (None, Some(id)) => match self.auth().get_session(&id).await {
                Ok(session) => Some(session.user_id),
                Err(Error::InvalidSessionId | Error::InvalidValue { .. }) => None,
                Err(err) => return Err(err.into()),
            },
            (None, None) => None,
        };
        if let Some(user_id) = user_id {
            self.auth().invalidate_all_user_sessions(&user_id).await?;
        }
        self.sign_out().await
    }
}

/// Deletes the sessions `ids`. An id that cannot even be stored (a hostile cookie value) names
/// no session: nothing to end.
async fn end_sessions<D: Adapter>(auth: &Auth<D>, ids: &[String]) -> Result<(), AuthError> {
    for id in ids {
        match auth.invalidate_session(id).await {
            Ok(()) | Err(Error::InvalidValue { .. }) => {}
            Err(err) => {
                tracing::debug!(error = %err, "ending a session failed");
                return Err(err.into());
            }
        }
    }
    Ok(())
}

impl<S: Send + Sync, D: Adapter + 'static> FromRequestParts<S> for AuthSession<D> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(state) = parts.extensions.get::<Arc<RequestState<D>>>() else {
            tracing::error!(
                "AuthSession extracted on a route without AuthLayer, or with another adapter type"
            );
            return Err(AuthRejection::MissingLayer);
        };
        let mut mutable = state.lock();
        if !mutable.validated_copied {
            mutable.validated_copied = true;
            if let Outcome::SignedIn(signed_in) = &state.current.outcome {
                let session = signed_in.session();
                mutable.session_ids.push(session.id.clone());
                mutable.user_id = Some(session.user_id.clone());
            }
        }
        drop(mutable);
        Ok(Self {
            state: Arc::clone(state),
        })
    }
}
