//! The tower layer: the cross-site check, one validation of the session cookie per request, and
//! the `Set-Cookie` after the handler.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use lucia_sea_orm_auth::{Adapter, AllowedOrigins, Auth, CookieSessionId, Error, SessionCookie};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::status_of;
use crate::session::{CookieChange, Mutable, RequestState, Validated, Validation};
use crate::settings::Settings;
use crate::signed_in::{Current, Outcome, SignedIn};

/// Puts an [`Auth`] in front of a router: refuses cross-site requests that may change
/// something, validates the session cookie once per request, and writes `Set-Cookie` when the
/// session was created, renewed or ended.
///
/// For each request, before the handler:
/// 1. Any method but `GET`, `HEAD` and `OPTIONS` whose `Origin` is not one of the
///    [`AllowedOrigins`] is answered `403 Forbidden`; the handler does not run.
/// 2. The session cookie, if any, is validated with [`Auth::validate_session_user`] (one
///    database round trip; an idle session is renewed). Handlers read the outcome with
///    [`SignedIn`] / `Option<SignedIn<_>>` and act with [`AuthSession`](crate::AuthSession).
///
/// After the handler, `Set-Cookie` is added only when the session changed: a renewal
/// ([`Session::fresh`](lucia_sea_orm_auth::Session::fresh)), a sign-in, a sign-out, or a cookie
/// that names no live session (unknown, dead or malformed), which is cleared; such a response
/// also gets `Cache-Control: no-store`, so that no shared cache hands the cookie to someone
/// else. Otherwise the response is untouched.
///
/// If the database fails during validation the handler still runs (pages that do not need the
/// visitor still work), the error is logged with `tracing`, the cookie is kept, and [`SignedIn`]
/// (also as `Option<SignedIn<_>>`) answers `503`. [`AuthSession`](crate::AuthSession) is still
/// extracted; its operations fail with `503` while the database is down.
///
/// A request that passes through two layers over the same [`Auth`] (or clones of it) and the
/// same cookie name (one on a router and one on a router nested in it, say) is validated
/// once, by the outer layer, which also writes the cookie; the inner layer adds its cross-site
/// check and, if it has one, its sign-in redirect for the routes beneath it. Validating twice
/// would cost a second round trip, and renew an idle session twice. Layers over different
/// `Auth`s or cookie names are separate sign-ins, and each validates its own cookie; handlers
/// see the session of the innermost layer above them. Two different `Auth`s on one cookie name
/// would write over each other's cookie, and are logged as an error.
///
/// ```
/// use axum::{Router, routing::get};
/// use lucia_sea_orm_adapter::SeaOrmAdapter;
/// use lucia_sea_orm_auth::{AllowedOrigins, Auth, SessionCookie};
/// use lucia_sea_orm_axum::{AuthLayer, SignedIn};
/// # #[derive(serde::Deserialize, serde::Serialize)]
/// # struct Profile { username: String }
///
/// # async fn build(db: sea_orm::DatabaseConnection) -> Result<Router, Box<dyn std::error::Error>> {
/// let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db)).build();
/// let layer = AuthLayer::new(auth, AllowedOrigins::new(["https://example.com"])?)
///     .session_cookie(SessionCookie::default())
///     .sign_in_redirect("/sign-in");
/// let app = Router::new()
///     .route("/account", get(|me: SignedIn<Profile>| async move { me.user().id.clone() }))
///     .layer(layer);
/// # Ok(app)
/// # }
/// ```
pub struct AuthLayer<D> {
    settings: Settings<D>,
}

impl<D> Clone for AuthLayer<D> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
        }
    }
}

impl<D: Adapter + 'static> AuthLayer<D> {
    /// A layer over `auth` for an application served from `origins`, with the default
    /// [`SessionCookie`] and no sign-in redirect.
    pub fn new(auth: Auth<D>, origins: AllowedOrigins) -> Self {
        Self {
            settings: Settings {
                auth,
                cookie: SessionCookie::default(),
                origins,
                sign_in_path: None,
            },
        }
    }

    /// How the session cookie is written and read: [`SessionCookie::default`] unless set.
    #[must_use]
    pub fn session_cookie(mut self, cookie: SessionCookie) -> Self {
        self.settings.cookie = cookie;
        self
    }

    /// Where [`SignedIn`] sends signed-out visitors of HTML pages (requests whose `Accept`
    /// names `text/html`), with `303 See Other`: nowhere unless set, they get `401`. Other
    /// requests always get `401`.
    #[must_use]
    pub fn sign_in_redirect(mut self, path: impl Into<String>) -> Self {
        self.settings.sign_in_path = Some(Arc::from(path.into()));
        self
    }
}

impl<S, D: Adapter + 'static> Layer<S> for AuthLayer<D> {
    type Service = AuthService<S, D>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            settings: Arc::new(self.settings.clone()),
        }
    }
}

/// The service [`AuthLayer`] wraps around a router or handler.
pub struct AuthService<S, D> {
    inner: S,
    settings: Arc<Settings<D>>,
}

impl<S: Clone, D> Clone for AuthService<S, D> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<S, D, B> Service<Request<B>> for AuthService<S, D>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    D: Adapter + 'static,
    D::Attributes: 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this request; the fresh one waits for
        // the next `poll_ready` (tower's rule for services that move into a future).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            if let Err(refusal) = settings.origins.check(request.method(), request.headers()) {
                tracing::debug!(%refusal, method = %request.method(), "cross-site request refused");
                return Ok(forbidden());
            }
            let outer = request
                .extensions()
                .get::<Validated>()
                .map(|validated| Arc::clone(&validated.0));
            if let Some(shared) = validated_outside(&settings, outer.as_ref()) {
                // Beneath this layer, handlers see the session it shares, whatever layers in
                // between put in the request.
                let mut current = shared.current.clone();
                if let Some(path) = &settings.sign_in_path {
                    current.sign_in_path = Some(Arc::clone(path));
                }
                request.extensions_mut().insert(current);
                request.extensions_mut().insert(shared);
                return inner.call(request).await;
            }
            let (outcome, mutable) = validate(&settings, request.headers()).await;
            let current = Current {
                outcome,
                sign_in_path: settings.sign_in_path.clone(),
            };
            let state = Arc::new(RequestState {
                settings,
                current: current.clone(),
                mutable: Mutex::new(mutable),
                outer,
            });
            request.extensions_mut().insert(current);
            request.extensions_mut().insert(Arc::clone(&state));
            request
                .extensions_mut()
                .insert(Validated(Arc::clone(&state) as Arc<dyn Validation>));

            let mut response = inner.call(request).await?;

            let change = state.lock().cookie.take();
            let cookie = match change {
                None => return Ok(response),
                Some(CookieChange::Set(cookie)) => cookie,
                Some(CookieChange::Clear) => state.settings.cookie.set_blank_cookie(),
            };
            let headers = response.headers_mut();
            headers.append(SET_COOKIE, cookie);
            // A response that hands out a session id must not be stored by a shared cache and
            // replayed to someone else, whatever the handler said about caching.
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        })
    }
}

/// The validation of a layer outside this one over the same session: a clone of the same
/// [`Auth`] reading the same cookie name (the name is what the browser sends back; the cookie's
/// other settings only shape the `Set-Cookie`, which the outer layer writes). Another `Auth` on
/// the same cookie name is a configuration error: logged, and each layer validates on its own.
fn validated_outside<D: Adapter + 'static>(
    settings: &Settings<D>,
    innermost: Option<&Arc<dyn Validation>>,
) -> Option<Arc<RequestState<D>>> {
    let name = settings.cookie.name();
    let mut next = innermost;
    let mut shared_by_another_auth = false;
    while let Some(validation) = next {
        next = validation.outer();
        if validation.cookie_name() != name {
            continue;
        }
        let any: Arc<dyn Any + Send + Sync> = Arc::<dyn Validation>::clone(validation);
        match any.downcast::<RequestState<D>>() {
            Ok(state) if Auth::ptr_eq(&state.settings.auth, &settings.auth) => return Some(state),
            _ => shared_by_another_auth = true,
        }
    }
    if shared_by_another_auth {
        tracing::error!(
            cookie = name,
            "two AuthLayers over different Auths read the same session cookie"
        );
    }
    None
}

/// The answer to a cross-site request.
fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

/// Validates the request's session cookie: the outcome, and the request's session state.
async fn validate<D: Adapter>(
    settings: &Settings<D>,
    headers: &HeaderMap,
) -> (Outcome<D::Attributes>, Mutable) {
    let id = match settings.cookie.read(headers) {
        CookieSessionId::Absent => return (Outcome::SignedOut, Mutable::default()),
        CookieSessionId::Malformed => return (Outcome::SignedOut, cleared()),
        CookieSessionId::Id(id) => id,
    };
    match settings.auth.validate_session_user(id).await {
        Ok((session, user)) => {
            let mut mutable = Mutable::default();
            if session.fresh {
                // Renewed: the cookie's id lives on for a moment, the new one is the session.
                mutable.session_ids.push(id.to_owned());
                match settings.cookie.set_cookie_for_session(&session) {
                    Ok(cookie) => mutable.cookie = Some(CookieChange::Set(cookie)),
                    Err(err) => {
                        tracing::error!(error = %err, "the session id cannot be sent in a cookie");
                    }
                }
            }
            (Outcome::SignedIn(SignedIn::new(session, user)), mutable)
        }
        // Unknown, dead, or not even storable here: signed out, and the cookie goes.
        Err(Error::InvalidSessionId | Error::InvalidValue { .. }) => {
            (Outcome::SignedOut, cleared())
        }
        Err(err) => {
            tracing::error!(error = %err, "session validation failed");
            let mutable = Mutable {
                session_ids: vec![id.to_owned()],
                ..Mutable::default()
            };
            (Outcome::Unavailable(status_of(&err)), mutable)
        }
    }
}

fn cleared() -> Mutable {
    Mutable {
        cookie: Some(CookieChange::Clear),
        ..Mutable::default()
    }
}
