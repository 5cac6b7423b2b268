//! Secrets stay out of logs and debug output: no password, password hash or whole session id
//! in `Debug`, `Display` or anything traced, by us or by SeaORM and sqlx underneath.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Auth, Error, ManualClock, NewKey};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{self, NOW, Profile};
use sea_orm::DatabaseConnection;
use tracing_subscriber::fmt::MakeWriter;

const PASSWORD: &str = "correct horse battery staple";

/// Everything traced by any test of this binary, at every level.
fn traced() -> &'static Mutex<Vec<u8>> {
    static TRACED: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    TRACED.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(Capture(Arc::clone(&buffer)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        buffer
    })
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn assert_hidden(text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{secret:?} appears in {text}"
        );
    }
}

async fn no_secret_is_traced_or_shown_by_debug(db: DatabaseConnection) {
    let traced = traced();
    let clock = ManualClock::new(NOW);
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone()))
        .clock(clock.clone())
        .build();
    let profile = Profile {
        username: "ada".into(),
    };
    let user = auth
        .create_user(
            profile,
            Some(NewKey::with_password("email", "ada@example.com", PASSWORD)),
        )
        .await
        .unwrap();
    let key = auth
        .use_key("email", "ada@example.com", Some(PASSWORD))
        .await
        .unwrap();
    let wrong = auth
        .use_key("email", "ada@example.com", Some("wrong"))
        .await
        .unwrap_err();
    let session = auth.create_session(&user.id).await.unwrap();
    let (valid, _) = auth.validate_session_user(&session.id).await.unwrap();
    clock.set(session.active_expires + 1);
    let renewed = auth.validate_session(&session.id).await.unwrap();
    let duplicate = auth
        .adapter()
        .set_session(&tables::sessions(&db).await[0])
        .await
        .unwrap_err();
    let rows = (tables::sessions(&db).await, tables::keys(&db).await);
    let hash = rows.1[0].hashed_password.clone().expect("a password key");
    auth.invalidate_session(&renewed.id).await.unwrap();
    let gone = auth.validate_session(&renewed.id).await.unwrap_err();

    let new_key = NewKey::with_password("email", "grace@example.com", PASSWORD);
    let debug = format!(
        "{user:?} {key:?} {wrong:?} {wrong} {session:?} {valid:?} {renewed:?} {duplicate:?} \
         {duplicate} {rows:?} {gone:?} {auth_error:?} {new_key:?}",
        auth_error = Error::InvalidPassword
    );
    let secrets = [
        PASSWORD.to_owned(),
        hash,
        session.id.clone(),
        renewed.id.clone(),
    ];
    assert_hidden(&debug, &secrets);
    let traced = String::from_utf8_lossy(&traced.lock().expect("not poisoned")).into_owned();
    assert!(!traced.is_empty(), "SeaORM and sqlx trace every statement");
    assert_hidden(&traced, &secrets);
    // What `Debug` does show of a session id: a prefix, enough to correlate log lines.
    assert!(format!("{session:?}").contains(&session.id[..6]));
}

async fn entities_debug_shows_no_session_id_or_password_hash(db: DatabaseConnection) {
    use lucia_sea_orm_entity::{key, session};
    use sea_orm::EntityTrait;

    let ada = tables::insert_user(&db, "ada").await;
    let stored_session = tables::insert_session(&db, &ada.id).await;
    let stored_key = tables::insert_key(&db, &ada, true, Some("$argon2id$secret-hash")).await;
    let session = session::Entity::find().one(&db).await.unwrap().unwrap();
    let key = key::Entity::find().one(&db).await.unwrap().unwrap();
    let debug = format!("{session:?} {key:?} {session:#?} {key:#?}");
    assert_hidden(
        &debug,
        &[
            stored_session.id.clone(),
            stored_key.hashed_password.clone().unwrap(),
        ],
    );
    assert!(debug.contains(&stored_session.id[..6]), "{debug}");
    assert!(debug.contains(&stored_key.id), "{debug}");
}

async fn a_malformed_stored_hash_is_logged_without_the_hash(db: DatabaseConnection) {
    let traced = traced();
    let auth = Auth::builder(SeaOrmAdapter::<Profile>::new(db.clone())).build();
    let ada = tables::insert_user(&db, "malformed").await;
    let damaged = "s2:secretsalt0000:deadbeef";
    tables::insert_key(&db, &ada, true, Some(damaged)).await;
    let err = auth
        .use_key("test", "malformed@example.com", Some(PASSWORD))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
    let traced = String::from_utf8_lossy(&traced.lock().expect("not poisoned")).into_owned();
    assert!(
        traced.contains("stored password hash is malformed") && traced.contains(&ada.id),
        "the malformed hash of user {} is logged",
        ada.id
    );
    assert_hidden(&traced, &[damaged.to_owned(), "secretsalt".to_owned()]);
}

on_every_database!(Schema::Migrated =>
    no_secret_is_traced_or_shown_by_debug,
    entities_debug_shows_no_session_id_or_password_hash,
    a_malformed_stored_hash_is_logged_without_the_hash,
);
