//! An example web application on lucia-sea-orm: sign up with an email and a password, sign in,
//! see and sign out your devices, change your password, sign out. Server-rendered with askama,
//! on axum, over SQLite, PostgreSQL or MariaDB.
//!
//! The binary (`cargo run -p lucia-sea-orm-example`) is a thin shell around [`app`]: the browser
//! test drives the same router on each database.
//!
//! ```no_run
//! use lucia_sea_orm_example::{Options, app, serve};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! let options = Options::new(["http://127.0.0.1:3000"]).insecure_cookies(true);
//! serve(listener, app(db, options).await?).await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod credentials;
mod error;
mod home;
mod message;
pub mod settings;
mod sign_in;
mod sign_out;
mod sign_up;
pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    AllowedOrigins, Auth, InvalidOrigin, InvalidSessionCookie, SessionCookie,
};
use lucia_sea_orm_axum::{AuthLayer, AuthSession};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

pub use error::Error;
pub use throttle::Throttle;

/// The storage the application runs on: no columns of its own on `user` (the email address is
/// the key `email:<address>`).
pub type AppAdapter = SeaOrmAdapter<()>;

/// The handle through which pages sign visitors in and out, and reach [`Auth`].
pub(crate) type Session = AuthSession<AppAdapter>;

/// How often the expired sessions and idle throttle entries are swept.
const SWEEP_PERIOD: Duration = Duration::from_secs(60 * 60);

/// How the application is set up, apart from its database.
pub struct Options {
    origins: Vec<String>,
    secure_cookies: bool,
    throttle: Throttle,
}

impl Options {
    /// The application as served at `origins` (scheme, host and port, as the browser's
    /// address bar shows it): form posts from any other origin are refused. Cookies are
    /// `Secure` and sign-ins throttled with [`Throttle::default`] unless set otherwise.
    pub fn new<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            origins: origins.into_iter().map(Into::into).collect(),
            secure_cookies: true,
            throttle: Throttle::default(),
        }
    }

    /// Sends the session cookie without `Secure`, so that it works over plain HTTP. [`app`]
    /// refuses this unless every origin is plain HTTP on this machine.
    pub fn insecure_cookies(mut self, insecure: bool) -> Self {
        self.secure_cookies = !insecure;
        self
    }

    /// Sign-in limits other than the default ones.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }
}

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The migration failed.
    #[error("migrating the database failed: {0}")]
    Migration(#[from] sea_orm::DbErr),
    /// Cookies without `Secure` were asked for on an origin that is not plain HTTP on this
    /// machine, where they would travel in clear text.
    #[error(
        "cookies without Secure are only for http://127.0.0.1, http://[::1] or http://localhost, not {0}"
    )]
    InsecureCookiesOffLoopback(String),
    /// An origin is not `scheme://host[:port]`, or none was given.
    #[error(transparent)]
    InvalidOrigin(#[from] InvalidOrigin),
    /// The session cookie's settings are ones browsers would drop.
    #[error(transparent)]
    InvalidSessionCookie(#[from] InvalidSessionCookie),
}

/// What the pages share beyond the session layer.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) throttle: Arc<Throttle>,
}

/// Migrates `db` and returns the application's router, with a background task sweeping expired
/// sessions and idle throttle entries every hour.
pub async fn app(db: DatabaseConnection, options: Options) -> Result<Router, StartError> {
    let origins = AllowedOrigins::new(&options.origins)?;
    let off_loopback = origins
        .origins()
        .find(|origin| !settings::is_loopback_http(origin));
    if let (false, Some(origin)) = (options.secure_cookies, off_loopback) {
        return Err(StartError::InsecureCookiesOffLoopback(origin.to_owned()));
    }
    Migrator::up(&db, None).await?;
    let auth = Auth::builder(AppAdapter::new(db)).build();
    let state = AppState {
        throttle: Arc::new(options.throttle),
    };
    spawn_sweeper(&auth, &state.throttle);
    let cookie = SessionCookie::builder()
        .secure(options.secure_cookies)
        .build()?;
    let sessions = AuthLayer::new(auth, origins)
        .session_cookie(cookie)
        .sign_in_redirect("/sign-in");
    Ok(Router::new()
        .route("/", get(home::show))
        .route("/style.css", get(home::style))
        .route("/sign-up", get(sign_up::show).post(sign_up::submit))
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/sign-out", post(sign_out::submit))
        .route("/account", get(account::show))
        .route("/account/sign-out-others", post(account::sign_out_others))
        .route("/account/password", post(account::change_password))
        .layer(sessions)
        .layer(axum::middleware::map_response(message::explain_refusal))
        .with_state(state))
}

/// Serves `router` on `listener` until the process is stopped, telling handlers each client's
/// address (for throttling).
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

fn spawn_sweeper(auth: &Auth<AppAdapter>, throttle: &Arc<Throttle>) {
    let auth = auth.clone();
    // Weak, so that the task ends with the last router instead of keeping the pool open.
    let throttle = Arc::downgrade(throttle);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_PERIOD);
        loop {
            ticks.tick().await;
            let Some(throttle) = throttle.upgrade() else {
                return;
            };
            throttle.forget_idle();
            if let Err(err) = auth.delete_expired_sessions().await {
                tracing::warn!(error = %err, "sweeping expired sessions failed");
            }
        }
    });
}
