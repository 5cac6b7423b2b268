//! The request's session: read from the cookie once per request, refused cross-site writes,
//! `Set-Cookie` after the handler. A stand-in until `lucia-sea-orm-axum` lands.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lucia_sea_orm_auth::{Error as AuthError, Session, UserRow};

use crate::AppState;

const COOKIE_NAME: &str = "auth_session";

/// The visitor's session and user, and the changes a handler asks for.
#[derive(Clone)]
pub struct AuthSession {
    state: AppState,
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    current: Option<(Session, UserRow<()>)>,
    change: Option<Change>,
}

enum Change {
    Set(Session),
    Clear,
}

impl AuthSession {
    /// The current session and its user, if signed in.
    pub fn current(&self) -> Option<(Session, UserRow<()>)> {
        self.lock().current.clone()
    }

    /// Signs `user_id` in with a new session, ending any the request came with.
    pub async fn sign_in(&self, user_id: &str) -> Result<Session, AuthError> {
        let previous = self.lock().current.take();
        if let Some((session, _)) = previous {
            self.state.auth.invalidate_session(&session.id).await?;
        }
        let session = self.state.auth.create_session(user_id).await?;
        self.lock().change = Some(Change::Set(session.clone()));
        Ok(session)
    }

    /// Ends the current session.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let previous = self.lock().current.take();
        if let Some((session, _)) = previous {
            self.state.auth.invalidate_session(&session.id).await?;
        }
        self.lock().change = Some(Change::Clear);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthSession {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AuthSession>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The middleware: the cross-site check, the session, then the cookie.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let origin = request.headers().get(ORIGIN).and_then(|o| o.to_str().ok());
        if !origin.is_some_and(|origin| state.origins.iter().any(|o| o == origin)) {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    let id = request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("auth_session="))
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let mut change = None;
    let current = match &id {
        Some(id) => match state.auth.validate_session_user(id).await {
            Ok((session, user)) => {
                if session.fresh {
                    change = Some(Change::Set(session.clone()));
                }
                Some((session, user))
            }
            Err(AuthError::InvalidSessionId) => {
                change = Some(Change::Clear);
                None
            }
            Err(err) => return crate::Error::from(err).into_response(),
        },
        None => None,
    };
    let handle = AuthSession {
        state: state.clone(),
        inner: Arc::new(Mutex::new(Inner { current, change })),
    };
    request.extensions_mut().insert(handle.clone());
    let mut response = next.run(request).await;
    let change = handle.lock().change.take();
    let cookie = match change {
        Some(Change::Set(session)) => Some(format!(
            "{COOKIE_NAME}={}; HttpOnly; SameSite=Lax; Path=/{}",
            session.id,
            if state.secure_cookies { "; Secure" } else { "" }
        )),
        Some(Change::Clear) => Some(format!(
            "{COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT{}",
            if state.secure_cookies { "; Secure" } else { "" }
        )),
        None => None,
    };
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
