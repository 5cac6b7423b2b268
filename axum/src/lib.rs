//! axum integration of lucia-sea-orm: a layer that refuses cross-site writes and validates the
//! session cookie once per request, extractors for the signed-in visitor, and a handle to sign
//! in and out.
//!
//! - [`AuthLayer`]: built from an [`Auth`](lucia_sea_orm_auth::Auth) and the application's
//!   [`AllowedOrigins`](lucia_sea_orm_auth::AllowedOrigins) (and optionally a
//!   [`SessionCookie`](lucia_sea_orm_auth::SessionCookie) and a sign-in path).
//! - [`SignedIn<A>`](SignedIn): the visitor's session and user; `401` (or a redirect) when
//!   signed out. `Option<SignedIn<A>>` for pages open to everyone.
//! - [`AuthSession<D>`](AuthSession): `sign_in(user_id)`, `sign_out()`,
//!   `sign_out_everywhere()`, and the `Auth` for everything else.
//!
//! The rules themselves (cookie attributes, reading the cookie, the cross-site check) live in
//! `lucia-sea-orm-auth`, on the `http` and `cookie` crates, for any framework.
//!
//! ```
//! use axum::{Router, body::Body, extract::Path, routing::{get, post}};
//! use http::{Request, StatusCode, header};
//! use lucia_sea_orm_adapter::SeaOrmAdapter;
//! use lucia_sea_orm_auth::{AllowedOrigins, Auth};
//! use lucia_sea_orm_axum::{AuthError, AuthLayer, AuthSession, SignedIn};
//! use lucia_sea_orm_migration::{Migrator, MigratorTrait};
//! use tower::ServiceExt;
//!
//! type Adapter = SeaOrmAdapter<()>;
//!
//! async fn sign_in(session: AuthSession<Adapter>, Path(user): Path<String>) -> Result<(), AuthError> {
//!     session.sign_in(&user).await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Migrator::up(&db, None).await?;
//! let auth = Auth::builder(Adapter::new(db)).build();
//! let user = auth.create_user((), None).await?;
//!
//! let app = Router::new()
//!     .route("/me", get(|me: SignedIn<()>| async move { me.user().id.clone() }))
//!     .route("/sign-in/{user}", post(sign_in))
//!     .layer(AuthLayer::new(auth, AllowedOrigins::new(["https://example.com"])?));
//!
//! // A form on our own origin signs in; the response sets the session cookie.
//! let request = Request::post(format!("/sign-in/{}", user.id))
//!     .header(header::ORIGIN, "https://example.com")
//!     .body(Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! let set_cookie = response.headers()[header::SET_COOKIE].to_str()?;
//! assert!(set_cookie.starts_with("auth_session="));
//! assert!(set_cookie.contains("; HttpOnly; SameSite=Lax; Secure; Path=/; Expires="));
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//!
//! // The browser sends it back: signed in, and no cookie is written.
//! let request = Request::get("/me").header(header::COOKIE, &cookie).body(Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert!(response.headers().get(header::SET_COOKIE).is_none());
//!
//! // The same form posted from another site never reaches the handler.
//! let request = Request::post(format!("/sign-in/{}", user.id))
//!     .header(header::ORIGIN, "https://evil.example")
//!     .body(Body::empty())?;
//! assert_eq!(app.oneshot(request).await?.status(), StatusCode::FORBIDDEN);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod layer;
mod rejection;
mod session;
mod settings;
mod signed_in;

pub use error::AuthError;
pub use layer::{AuthLayer, AuthService};
pub use rejection::AuthRejection;
pub use session::AuthSession;
pub use signed_in::SignedIn;
