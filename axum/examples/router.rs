//! A complete application on lucia-sea-orm and axum: sign up, sign in, a page only signed-in
//! visitors see, sign out. The README's "Using it with axum" shows this file.
//!
//! ```text
//! cargo run -p lucia-sea-orm-axum --example router
//! # then open http://localhost:3000
//! ```
//!
//! `DATABASE_URL` picks the database (SQLite in memory unless set; create the database first on
//! PostgreSQL and MariaDB), `APP_ORIGIN` the origin browsers reach the application at.

use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{AllowedOrigins, Auth, Error, NewKey};
use lucia_sea_orm_axum::{AuthError, AuthLayer, AuthSession, SignedIn};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};
use serde::Deserialize;

/// The adapter: the migrated `user` table has no columns of the application's, so the user
/// attributes are `()`.
type Adapter = SeaOrmAdapter<()>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    // The origin browsers use, as they write it: behind a proxy, the public one.
    let origin = std::env::var("APP_ORIGIN").unwrap_or_else(|_| "http://localhost:3000".into());

    let db = sea_orm::Database::connect(&database_url).await?;
    Migrator::up(&db, None).await?;
    let auth = Auth::builder(Adapter::new(db)).build();
    // The session cookie is `Secure` by default; browsers accept it on http://localhost.
    let layer = AuthLayer::new(auth, AllowedOrigins::new([&origin])?).sign_in_redirect("/sign-in");

    let app = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-up", post(sign_up))
        .route("/sign-out", post(sign_out))
        .layer(layer);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on {origin}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// Open to everyone; greets signed-in visitors.
async fn home(signed_in: Option<SignedIn<()>>) -> Html<String> {
    Html(match signed_in {
        Some(signed_in) => format!(
            "<p>Signed in as {}.</p><a href=\"/account\">Account</a>\
             <form method=\"post\" action=\"/sign-out\"><button>Sign out</button></form>",
            signed_in.user().id
        ),
        None => "<a href=\"/sign-in\">Sign in</a>".to_owned(),
    })
}

/// Signed-in visitors only: others are sent to `/sign-in` (pages) or get 401 (API calls).
async fn account(signed_in: SignedIn<()>) -> Html<String> {
    let session = signed_in.session();
    Html(format!(
        "<p>User {}, session valid until {} ms after the epoch.</p>",
        session.user_id, session.idle_expires
    ))
}

async fn sign_in_page() -> Html<&'static str> {
    Html(
        "<form method=\"post\" action=\"/sign-in\">\
           <input name=\"email\" type=\"email\"><input name=\"password\" type=\"password\">\
           <button>Sign in</button><button formaction=\"/sign-up\">Sign up</button>\
         </form>",
    )
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn sign_up(
    session: AuthSession<Adapter>,
    Form(form): Form<Credentials>,
) -> Result<Redirect, AuthError> {
    let key = NewKey::with_password("email", &form.email, &form.password);
    let user = match session.auth().create_user((), Some(key)).await {
        Ok(user) => user,
        Err(Error::DuplicateKeyId) => return Ok(Redirect::to("/sign-in?taken")),
        Err(err) => return Err(err.into()),
    };
    session.sign_in(&user.id).await?;
    Ok(Redirect::to("/account"))
}

async fn sign_in(
    session: AuthSession<Adapter>,
    Form(form): Form<Credentials>,
) -> Result<Redirect, AuthError> {
    let used = session
        .auth()
        .use_key("email", &form.email, Some(&form.password))
        .await;
    let key = match used {
        Ok(key) => key,
        // One answer for both, so that the page does not tell which accounts exist.
        Err(Error::InvalidKeyId | Error::InvalidPassword) => {
            return Ok(Redirect::to("/sign-in?failed"));
        }
        Err(err) => return Err(err.into()),
    };
    // Ends any session the browser came with, creates one, sets the cookie.
    session.sign_in(&key.user_id).await?;
    Ok(Redirect::to("/account"))
}

async fn sign_out(session: AuthSession<Adapter>) -> Result<Redirect, AuthError> {
    session.sign_out().await?;
    Ok(Redirect::to("/"))
}
