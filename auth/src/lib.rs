//! Lucia-style authentication over any storage: users, keys (ways to sign in, with or without
//! a password) and server-side sessions that are active for a while, then idle (renewed when
//! used), then dead.
//!
//! [`Auth`] holds the policy; an [`Adapter`] stores rows. With the SeaORM adapter, on SQLite:
//!
//! ```
//! use lucia_sea_orm_adapter::SeaOrmAdapter;
//! use lucia_sea_orm_auth::{Auth, Error, NewKey};
//! use lucia_sea_orm_migration::{Migrator, MigratorTrait};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Migrator::up(&db, None).await?;
//! let auth = Auth::builder(SeaOrmAdapter::<()>::new(db)).build();
//!
//! let user = auth
//!     .create_user((), Some(NewKey::with_password("email", "ada@example.com", "correct horse")))
//!     .await?;
//! let wrong = auth.use_key("email", "ada@example.com", Some("battery staple")).await;
//! assert!(matches!(wrong, Err(Error::InvalidPassword)));
//!
//! let key = auth.use_key("email", "ada@example.com", Some("correct horse")).await?;
//! let session = auth.create_session(&key.user_id).await?;
//! let (valid, owner) = auth.validate_session_user(&session.id).await?;
//! assert_eq!((valid.id, owner.id), (session.id.clone(), user.id));
//!
//! auth.invalidate_session(&session.id).await?;
//! assert!(matches!(auth.validate_session(&session.id).await, Err(Error::InvalidSessionId)));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod adapter;
mod auth;
mod clock;
mod cookie;
mod error;
mod id;
mod key;
mod origin;
mod password;
mod row;
mod session;
mod sharing;

pub use ::cookie::SameSite;
pub use adapter::Adapter;
pub use auth::{
    Auth, AuthBuilder, DEFAULT_ACTIVE_PERIOD, DEFAULT_IDLE_PERIOD, DEFAULT_RENEWAL_GRACE_PERIOD,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cookie::{
    CookieSessionId, DEFAULT_SESSION_COOKIE_NAME, InvalidSessionCookie, MAX_SESSION_ID_BYTES,
    SessionCookie, SessionCookieBuilder,
};
pub use error::{Error, Result, ValueProblem};
pub use id::{IdGenerator, RandomSessionId, RandomUuid, SESSION_ID_LENGTH};
pub use key::{Key, NewKey, key_id};
pub use origin::{AllowedOrigins, CrossSiteRequest, InvalidOrigin};
pub use password::{
    DEFAULT_MAX_PASSWORD_BYTES, HashFormat, PasswordHasher, PasswordHasherBuilder, Verified,
};
pub use row::{KeyRow, SessionRow, UserRow};
pub use session::{Session, SessionState};
