//! Ids mean the same thing on every database: compared byte for byte (spaces included), the
//! same length limits for new rows, and any id a row already holds is usable.

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    Adapter, Auth, Error, KeyRow, ManualClock, NewKey, SessionRow, UserRow, ValueProblem,
};
use lucia_sea_orm_tests::tables::{self, NOW, Profile, insert_user};
use lucia_sea_orm_tests::{Backend, Schema, on_every_database, run};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

const HOUR: i64 = 60 * 60 * 1000;

fn adapter(db: &DatabaseConnection) -> SeaOrmAdapter<Profile> {
    SeaOrmAdapter::new(db.clone())
}

fn auth(db: &DatabaseConnection) -> Auth<SeaOrmAdapter<Profile>> {
    Auth::builder(adapter(db))
        .clock(ManualClock::new(NOW))
        .build()
}

fn session(id: &str, user_id: &str) -> SessionRow {
    SessionRow {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        active_expires: NOW + HOUR,
        idle_expires: NOW + 2 * HOUR,
    }
}

fn key(id: &str, user_id: &str) -> KeyRow {
    KeyRow {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        primary: false,
        hashed_password: None,
    }
}

/// MariaDB's `utf8mb4_bin` pads with spaces, so `"x "` equalled `"x"` there only.
async fn key_ids_with_leading_or_trailing_spaces_are_other_keys(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let auth = auth(&db);
    auth.create_key(
        &ada.id,
        NewKey::with_password("email", "ada@example.com", "right password"),
    )
    .await
    .unwrap();
    for other in ["ada@example.com ", " ada@example.com", "ada@example.com   "] {
        let err = auth
            .use_key("email", other, Some("right password"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidKeyId), "{other:?}: {err:?}");
        assert!(matches!(
            auth.get_key("email", other).await,
            Err(Error::InvalidKeyId)
        ));
    }
    // Each is a key of its own, not a duplicate.
    for other in ["ada@example.com ", " ada@example.com"] {
        auth.create_key(
            &ada.id,
            NewKey::with_password("email", other, "another password"),
        )
        .await
        .unwrap();
        assert_eq!(
            auth.get_key("email", other).await.unwrap().provider_user_id,
            other
        );
        auth.use_key("email", other, Some("another password"))
            .await
            .unwrap();
    }
    auth.use_key("email", "ada@example.com", Some("right password"))
        .await
        .unwrap();
    let ids: Vec<String> = tables::keys(&db).await.into_iter().map(|k| k.id).collect();
    assert_eq!(ids.len(), 3);
    for id in [
        "email:ada@example.com",
        "email:ada@example.com ",
        "email: ada@example.com",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id:?} in {ids:?}");
    }
}

async fn session_ids_with_leading_or_trailing_spaces_are_other_sessions(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let adapter = adapter(&db);
    adapter.set_session(&session("id", &ada.id)).await.unwrap();
    for other in ["id ", " id", "id  "] {
        assert_eq!(adapter.get_session(other).await.unwrap(), None, "{other:?}");
        assert!(adapter.get_session_and_user(other).await.unwrap().is_none());
        assert_eq!(adapter.delete_sessions(&[other]).await.unwrap(), 0);
    }
    for other in ["id ", " id"] {
        adapter.set_session(&session(other, &ada.id)).await.unwrap();
        assert_eq!(adapter.get_session(other).await.unwrap().unwrap().id, other);
    }
    assert_eq!(adapter.get_session("id").await.unwrap().unwrap().id, "id");
    assert_eq!(tables::session_ids(&db).await.len(), 3);
}

/// User ids are free text on MySQL and SQLite; PostgreSQL's are UUIDs, whose input refuses
/// spaces.
async fn user_ids_with_leading_or_trailing_spaces_are_other_users(db: DatabaseConnection) {
    let adapter = adapter(&db);
    let id = tables::new_user_id();
    let user = |id: &str, username: &str| UserRow {
        id: id.to_owned(),
        attributes: Profile {
            username: username.to_owned(),
        },
    };
    adapter.set_user(&user(&id, "ada"), None).await.unwrap();
    let spaced = [format!("{id} "), format!(" {id}")];
    if db.get_database_backend() == DbBackend::Postgres {
        for other in &spaced {
            assert_eq!(adapter.get_user(other).await.unwrap(), None);
            let err = adapter.set_user(&user(other, "x"), None).await.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidValue {
                        problem: ValueProblem::NotUuid,
                        ..
                    }
                ),
                "{err:?}"
            );
            let err = adapter.set_session(&session("s", other)).await.unwrap_err();
            assert!(matches!(err, Error::InvalidUserId), "{err:?}");
        }
        return;
    }
    // 37 characters: over MySQL's VARCHAR(36), so take one off.
    let spaced = [format!("{} ", &id[..35]), format!(" {}", &id[..35])];
    for (i, other) in spaced.iter().enumerate() {
        assert_eq!(adapter.get_user(other).await.unwrap(), None, "{other:?}");
        adapter
            .set_user(&user(other, &format!("user-{i}")), None)
            .await
            .unwrap();
        assert_eq!(adapter.get_user(other).await.unwrap().unwrap().id, *other);
        adapter
            .set_session(&session(&format!("s{i}"), other))
            .await
            .unwrap();
        assert_eq!(
            adapter.get_sessions_by_user_id(other).await.unwrap().len(),
            1
        );
    }
    assert_eq!(adapter.get_sessions_by_user_id(&id).await.unwrap().len(), 0);
    assert_eq!(tables::users(&db).await.len(), 3);
}

/// The same limits for new ids on every database, PostgreSQL's `TEXT` included: 127
/// characters for a session id, 255 for a key id.
async fn new_ids_longer_than_their_limit_are_too_long_on_every_database(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let adapter = adapter(&db);
    adapter
        .set_session(&session(&"s".repeat(127), &ada.id))
        .await
        .unwrap();
    adapter
        .set_key(&key(&"k".repeat(255), &ada.id))
        .await
        .unwrap();
    // Characters, not bytes: 127 four-byte characters fit.
    adapter
        .set_session(&session(&"🦀".repeat(127), &ada.id))
        .await
        .unwrap();
    for length in [128, 3_000] {
        let err = adapter
            .set_session(&session(&"s".repeat(length), &ada.id))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    column: "session.id",
                    problem: ValueProblem::TooLong { max_chars: 127 }
                }
            ),
            "{length}: {err:?}"
        );
    }
    // 3,000 characters used to be PostgreSQL's raw "index row size exceeds btree maximum".
    for length in [256, 2_704, 3_000] {
        let err = adapter
            .set_key(&key(&"k".repeat(length), &ada.id))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    column: "key.id",
                    problem: ValueProblem::TooLong { max_chars: 255 }
                }
            ),
            "{length}: {err:?}"
        );
        // Looking such an id up is no error: there is no such row.
        assert_eq!(adapter.get_key(&"k".repeat(length)).await.unwrap(), None);
    }
    let err = auth(&db)
        .create_key(&ada.id, NewKey::without_password("email", &"a".repeat(300)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidValue {
                column: "key.id",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(tables::session_ids(&db).await.len(), 2);
    assert_eq!(tables::keys(&db).await.len(), 1);
}

/// Rows another application wrote (the JS library) with ids longer than this crate would
/// write: SQLite ignores `VARCHAR` lengths, PostgreSQL's ids are `TEXT`. Whatever can be read
/// can be used.
async fn ids_already_in_the_table_are_usable_whatever_their_length(db: DatabaseConnection) {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let user_id = if postgres {
        tables::new_user_id()
    } else {
        format!("custom-user-id-{}", "u".repeat(50))
    };
    let key_id = format!("email:{}@example.com", "k".repeat(300));
    let session_id = "s".repeat(200);
    let hash = lucia_sea_orm_auth::PasswordHasher::default()
        .hash("password")
        .await
        .unwrap()
        .unwrap();
    let (user, key_table) = if postgres {
        ("\"user\"", "\"key\"")
    } else {
        ("user", "key")
    };
    let primary = if postgres { "true" } else { "1" };
    for insert in [
        format!("INSERT INTO {user} (id, username) VALUES ('{user_id}', 'ada')"),
        format!(
            "INSERT INTO {key_table} (id, user_id, \"primary\", hashed_password) \
             VALUES ('{key_id}', '{user_id}', {primary}, '{hash}')"
        ),
        format!(
            "INSERT INTO session (id, user_id, active_expires, idle_expires) \
             VALUES ('{session_id}', '{user_id}', {}, {})",
            NOW + HOUR,
            NOW + 2 * HOUR
        ),
    ] {
        db.execute_unprepared(&insert).await.unwrap();
    }
    let auth = auth(&db);
    let provider_user_id = key_id.strip_prefix("email:").unwrap();

    assert_eq!(auth.get_user(&user_id).await.unwrap().id, user_id);
    let signed_in = auth
        .use_key("email", provider_user_id, Some("password"))
        .await
        .unwrap();
    assert_eq!(signed_in.user_id, user_id);
    assert_eq!(auth.get_user_keys(&user_id).await.unwrap().len(), 1);
    // The stored session id is not one this crate makes (40 characters): read it through the
    // adapter, as the JS library would.
    let stored = auth
        .adapter()
        .get_session_and_user(&session_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.1.id, user_id);
    assert_eq!(auth.get_user_sessions(&user_id).await.unwrap().len(), 1);
    // Can get a new session, a new key, a new password, new attributes.
    let new_session = auth.create_session(&user_id).await.unwrap();
    assert_eq!(
        auth.validate_session(&new_session.id)
            .await
            .unwrap()
            .user_id,
        user_id
    );
    auth.create_key(&user_id, NewKey::without_password("github", "1"))
        .await
        .unwrap();
    auth.update_key_password("email", provider_user_id, Some("new password"))
        .await
        .unwrap();
    auth.use_key("email", provider_user_id, Some("new password"))
        .await
        .unwrap();
    let renamed = auth
        .update_user_attributes(
            &user_id,
            &Profile {
                username: "ada2".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.id, user_id);
    assert_eq!(
        auth.adapter()
            .delete_sessions(&[session_id.as_str()])
            .await
            .unwrap(),
        1
    );
    auth.delete_user(&user_id).await.unwrap();
    assert!(tables::users(&db).await.is_empty());
    assert!(tables::keys(&db).await.is_empty());
}

/// Ids made of digits stay text: `"0042"` is not `"42"` (SQLite's affinities, and its values
/// bound through a subquery, compare them as text too).
async fn ids_made_of_digits_are_text_not_numbers(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let adapter = adapter(&db);
    let padded = format!("{:0>40}", 42);
    adapter
        .set_session(&session(&padded, &ada.id))
        .await
        .unwrap();
    adapter.set_key(&key("0042", &ada.id)).await.unwrap();

    let (found, user) = adapter
        .get_session_and_user(&padded)
        .await
        .unwrap()
        .expect("the session is found by its own id");
    assert_eq!(
        (found.id.as_str(), user.id.as_str()),
        (padded.as_str(), ada.id.as_str())
    );
    for other in ["42", "42.0", &format!("{:0>39}", 42)] {
        assert_eq!(
            adapter.get_session_and_user(other).await.unwrap(),
            None,
            "{other}"
        );
        assert_eq!(adapter.get_key(other).await.unwrap(), None, "{other}");
    }
    assert!(adapter.get_key("0042").await.unwrap().is_some());
    assert_eq!(
        adapter.get_sessions_by_user_id(&ada.id).await.unwrap(),
        [found]
    );
}

on_every_database!(Schema::Migrated =>
    ids_made_of_digits_are_text_not_numbers,
    key_ids_with_leading_or_trailing_spaces_are_other_keys,
    session_ids_with_leading_or_trailing_spaces_are_other_sessions,
    user_ids_with_leading_or_trailing_spaces_are_other_users,
    new_ids_longer_than_their_limit_are_too_long_on_every_database,
);

// MySQL enforces its VARCHAR lengths, so no longer id can be in its tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ids_already_in_the_table_are_usable_whatever_their_length() {
    run(
        Backend::Sqlite,
        Schema::Migrated,
        ids_already_in_the_table_are_usable_whatever_their_length,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ids_already_in_the_table_are_usable_whatever_their_length() {
    run(
        Backend::Postgres,
        Schema::Migrated,
        ids_already_in_the_table_are_usable_whatever_their_length,
    )
    .await;
}
