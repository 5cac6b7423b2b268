//! The README's Rust code, run in the README's order: every ```rust block of README.md is in
//! this file or beside it, verbatim (`tests/tests/readme.rs` checks that), and CI builds it as
//! an application outside the workspace with the README's `[dependencies]` and runs it on a
//! fresh database of each kind (`.ci/newcomer`).
//!
//! `DATABASE_URL=sqlite::memory: cargo run -p lucia-sea-orm-adapter --example readme`; any
//! `postgres://…` or `mysql://…` URL of an empty database works too.

mod migrator;
mod scaling_out;

use migrator::Migrator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use sea_orm_migration::MigratorTrait;

    let mut options = sea_orm::ConnectOptions::new(std::env::var("DATABASE_URL")?);
    options.acquire_timeout(std::time::Duration::from_secs(3));
    let db = sea_orm::Database::connect(options).await?;
    Migrator::up(&db, None).await?;

    use lucia_sea_orm_adapter::SeaOrmAdapter;
    use lucia_sea_orm_auth::{Adapter, Clock, KeyRow, SessionRow, SystemClock, UserRow};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    struct Profile {
        username: String,
    }

    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        attributes: Profile {
            username: "ada".into(),
        },
    };
    let key = KeyRow {
        id: "email:ada@example.com".into(),
        user_id: user.id.clone(),
        primary: true,
        hashed_password: None,
    };
    adapter.set_user(&user, Some(&key)).await?; // one transaction
    let patch = serde_json::json!({ "username": "ada_l" }); // some of Profile's fields
    let user = adapter.update_user_attributes(&user.id, &patch).await?;

    let now = SystemClock.now_millis(); // milliseconds since the Unix epoch
    let session = SessionRow {
        id: "hWQ5aLq2TzVb8nXc0RkE3mYs7uJd1fGo9pNi4wKe".into(),
        user_id: user.id.clone(),
        active_expires: now + 24 * 60 * 60 * 1000,
        idle_expires: now + 15 * 24 * 60 * 60 * 1000,
    };
    adapter.set_session(&session).await?;
    let (session, owner) = adapter
        .get_session_and_user(&session.id) // one statement
        .await?
        .ok_or("no such session")?;
    assert_eq!(owner.attributes.username, "ada_l");

    use sea_orm::TransactionTrait;

    let txn = db.begin().await?;
    let adapter = SeaOrmAdapter::<Profile, _>::within(&txn);
    let grace = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        attributes: Profile {
            username: "grace".into(),
        },
    };
    adapter.set_user(&grace, None).await?; // a savepoint inside your transaction
    // … your own inserts on &txn …
    txn.commit().await?;

    use lucia_sea_orm_entity::session;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let sessions_of_ada = session::Entity::find()
        .filter(session::Column::UserId.eq(&session.user_id))
        .count(&db)
        .await?;
    assert_eq!(sessions_of_ada, 1);

    use lucia_sea_orm_auth::{Auth, NewKey};

    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone())).build();
    let profile = Profile {
        username: "alan".into(),
    };
    let password_key = NewKey::with_password("email", "alan@example.com", "correct horse");
    let user = auth.create_user(profile, Some(password_key)).await?; // sign up
    let key = auth
        .use_key("email", "alan@example.com", Some("correct horse")) // sign in
        .await?;
    let session = auth.create_session(&key.user_id).await?;
    let mut cookie = session.id; // set the cookie to it; the browser sends it back
    let (session, owner) = auth.validate_session_user(&cookie).await?; // on each request
    if session.fresh {
        cookie = session.id.clone(); // renewed: send the new id
    }
    assert_eq!(owner.id, user.id);
    auth.invalidate_session(&cookie).await?; // sign out

    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db))
        .sharing_with_lucia_js()
        .build();
    let lucia_key = NewKey::with_password("email", "lucia@example.com", "correct horse");
    auth.create_user(
        Profile {
            username: "lucia".into(),
        },
        Some(lucia_key),
    )
    .await?;
    let stored = auth.adapter().get_key("email:lucia@example.com").await?;
    // A hash the JS library verifies.
    assert!(
        stored
            .and_then(|key| key.hashed_password)
            .is_some_and(|hash| hash.starts_with("s2:"))
    );

    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

    let cores = u32::try_from(std::thread::available_parallelism()?.get())?;
    let mut options = sea_orm::ConnectOptions::new("sqlite://app.db?mode=rwc");
    options
        .max_connections(2 * cores)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(5))
        });

    let url = std::env::var("DATABASE_URL")?;
    if url.starts_with("mysql:") {
        use sea_orm::ConnectionTrait;

        let node = scaling_out::connect_to_node(&url).await?;
        node.execute_unprepared("SELECT 1").await?;
        node.close().await?;
    }

    println!("Every README snippet ran.");
    Ok(())
}
