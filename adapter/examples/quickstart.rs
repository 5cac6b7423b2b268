//! The whole lifecycle in one run: migrate, sign up, sign in, sessions, renewal, sign out.
//!
//! `cargo run --example quickstart` runs on an SQLite database in memory; with `DATABASE_URL`
//! set (`postgres://…`, `mysql://…`, `sqlite://file.db?mode=rwc`) it runs there instead.

use std::time::Duration;

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Auth, Clock, Error, ManualClock, NewKey, Session, SystemClock};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = sea_orm::Database::connect(&url).await?;
    Migrator::up(&db, None).await?;
    println!(
        "1. Connected to {} and ran the migration: tables user, session and key exist.",
        redacted(&url)
    );

    // A clock we can move, to show what happens to a session as time passes.
    let clock = ManualClock::new(SystemClock.now_millis());
    let auth = Auth::builder(SeaOrmAdapter::<()>::new(db))
        .clock(clock.clone())
        .build();

    // Reruns against a persistent database start from scratch.
    if let Ok(previous) = auth.get_key("email", EMAIL).await {
        auth.delete_user(&previous.user_id).await?;
    }

    let user = auth
        .create_user((), Some(NewKey::with_password("email", EMAIL, PASSWORD)))
        .await?;
    println!(
        "2. Signed up {EMAIL}: user {} with the primary key email:{EMAIL}; the password is \
         stored as an argon2id hash.",
        user.id
    );

    match auth.use_key("email", EMAIL, Some("wrong password")).await {
        Err(Error::InvalidPassword) => {
            println!("3. Signing in with a wrong password fails: InvalidPassword.")
        }
        other => return Err(format!("a wrong password must fail, got {other:?}").into()),
    }

    let key = auth.use_key("email", EMAIL, Some(PASSWORD)).await?;
    let session = auth.create_session(&key.user_id).await?;
    println!(
        "4. Signed in with the right password and got session {}: active for a day, then idle \
         for 14 more.",
        show(&session)
    );

    let (valid, owner) = auth.validate_session_user(&session.id).await?;
    println!(
        "5. Validated it (one query, session and user together): {:?}, belongs to {}.",
        valid.state, owner.id
    );

    clock.advance(Duration::from_secs(25 * 60 * 60));
    let renewed = auth.validate_session(&session.id).await?;
    println!(
        "6. 25 hours later the session is idle. Validating it renewed it: new session {} \
         (fresh: {}).",
        show(&renewed),
        renewed.fresh
    );
    let in_grace = auth.validate_session(&session.id).await?;
    println!(
        "   The old id stays valid for a 30-second grace period, so requests already on their \
         way with it are served: {:?}, fresh: {}.",
        in_grace.state, in_grace.fresh
    );
    clock.advance(Duration::from_secs(31));
    match auth.validate_session(&session.id).await {
        Err(Error::InvalidSessionId) => {
            println!("   31 seconds later the old id is rejected: InvalidSessionId.")
        }
        other => {
            return Err(format!("the old id must end with the grace period, got {other:?}").into());
        }
    }

    auth.invalidate_session(&renewed.id).await?;
    match auth.validate_session(&renewed.id).await {
        Err(Error::InvalidSessionId) => println!(
            "7. Signed out: the session is deleted, and validating it again fails with \
             InvalidSessionId."
        ),
        other => return Err(format!("a signed-out session must be invalid, got {other:?}").into()),
    }

    auth.delete_user(&user.id).await?;
    println!("8. Deleted the user with its keys and sessions. Done.");
    Ok(())
}

/// `url` with its password, if any, replaced: the output may end up in a terminal log or a
/// bug report.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => match parsed.set_password(Some("***")) {
            Ok(()) => parsed.to_string(),
            Err(()) => "the database (URL hidden)".to_owned(),
        },
        Ok(_) => url.to_owned(),
        Err(_) => "the database (URL hidden)".to_owned(),
    }
}

/// A session id is a bearer secret: show only enough to tell two apart.
fn show(session: &Session) -> String {
    format!("{}…", session.id.chars().take(6).collect::<String>())
}
