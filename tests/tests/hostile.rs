//! Hostile input on every entry point: each value is stored exactly, found missing, or refused
//! with a typed error, and a refused call leaves the tables as they were.

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Auth, Error, KeyRow, NewKey, SessionRow, UserRow, ValueProblem};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{
    self, NOW, Profile, insert_key, insert_session, insert_user, new_user_id,
};
use sea_orm::{DatabaseConnection, DbBackend};

type Tables = (Vec<(String, Option<String>)>, Vec<SessionRow>, Vec<KeyRow>);

async fn snapshot(db: &DatabaseConnection) -> Tables {
    (
        tables::users(db).await,
        tables::sessions(db).await,
        tables::keys(db).await,
    )
}

fn adapter(db: &DatabaseConnection) -> SeaOrmAdapter<Profile> {
    SeaOrmAdapter::new(db.clone())
}

/// Strings an attacker controls: in a cookie, a login form, an OAuth callback.
fn hostile() -> Vec<String> {
    vec![
        String::new(),
        "x".repeat(10 * 1024),
        "a\0b".to_owned(),
        "\u{202E}gnp.exe\u{202C}".to_owned(),
        "e\u{301}\u{301}\u{301}".to_owned(),
        "\u{FB01}".to_owned(),
        "'; DROP TABLE \"user\"; --".to_owned(),
        "%_\\".to_owned(),
        "🦀".repeat(127),
        // UUIDs in forms PostgreSQL reads (or, for the URN, rejects) but does not store.
        "550E8400-E29B-41D4-A716-446655440000".to_owned(),
        "urn:uuid:550e8400-e29b-41d4-a716-446655440000".to_owned(),
    ]
}

/// What the adapter must do with `value` as a new id in `column` of `max_chars` (the same
/// limit on PostgreSQL's TEXT ids): `None` means store it exactly.
fn expected_problem(value: &str, max_chars: usize) -> Option<ValueProblem> {
    if value.is_empty() {
        Some(ValueProblem::Empty)
    } else if value.contains('\0') {
        Some(ValueProblem::ContainsNul)
    } else if value.chars().count() > max_chars {
        Some(ValueProblem::TooLong { max_chars })
    } else {
        None
    }
}

async fn lookups_of_hostile_ids_find_nothing_and_change_nothing(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_session(&db, &ada.id).await;
    insert_key(&db, &ada, true, Some("HASHED")).await;
    let before = snapshot(&db).await;
    let adapter = adapter(&db);
    for value in hostile() {
        let v = value.as_str();
        assert_eq!(adapter.get_user(v).await.unwrap(), None, "{v:?}");
        assert_eq!(adapter.get_session(v).await.unwrap(), None, "{v:?}");
        assert_eq!(
            adapter.get_session_and_user(v).await.unwrap(),
            None,
            "{v:?}"
        );
        assert_eq!(adapter.get_key(v).await.unwrap(), None, "{v:?}");
        assert_eq!(
            adapter.get_sessions_by_user_id(v).await.unwrap(),
            [],
            "{v:?}"
        );
        assert_eq!(adapter.get_keys_by_user_id(v).await.unwrap(), [], "{v:?}");
        adapter.delete_user(v).await.unwrap();
        adapter.delete_user_with_sessions_and_keys(v).await.unwrap();
        assert_eq!(adapter.delete_sessions(&[v]).await.unwrap(), 0, "{v:?}");
        adapter.delete_sessions_by_user_id(v).await.unwrap();
        assert_eq!(
            adapter
                .delete_dead_sessions_by_user_id(v, i64::MAX)
                .await
                .unwrap(),
            0
        );
        adapter.delete_non_primary_key(v).await.unwrap();
        adapter.delete_keys_by_user_id(v).await.unwrap();
        let err = adapter
            .update_key_password(v, Some("NEW"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidKeyId), "{v:?}: {err:?}");
        let err = adapter
            .update_user_attributes(
                v,
                &Profile {
                    username: "x".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{v:?}: {err:?}");
    }
    assert_eq!(snapshot(&db).await, before);
}

async fn hostile_session_ids_are_stored_exactly_or_refused_with_a_typed_error(
    db: DatabaseConnection,
) {
    let ada = insert_user(&db, "ada").await;
    for id in hostile() {
        let before = snapshot(&db).await;
        let session = SessionRow {
            id: id.clone(),
            user_id: ada.id.clone(),
            active_expires: NOW,
            idle_expires: NOW,
        };
        let result = adapter(&db).set_session(&session).await;
        match expected_problem(&id, 127) {
            None => {
                result.unwrap();
                assert_eq!(
                    adapter(&db).get_session(&id).await.unwrap(),
                    Some(session),
                    "{id:?}"
                );
                assert_eq!(
                    adapter(&db).delete_sessions(&[&id]).await.unwrap(),
                    1,
                    "{id:?}"
                );
            }
            Some(problem) => {
                let err = result.unwrap_err();
                assert!(
                    matches!(err, Error::InvalidValue { column: "session.id", problem: p } if p == problem),
                    "{id:?}: {err:?}"
                );
            }
        }
        assert_eq!(snapshot(&db).await, before, "{id:?}");
    }
}

async fn hostile_key_ids_are_stored_exactly_or_refused_with_a_typed_error(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    for id in hostile() {
        let before = snapshot(&db).await;
        let key = KeyRow {
            id: id.clone(),
            user_id: ada.id.clone(),
            primary: false,
            hashed_password: Some(id.replace('\0', "")),
        };
        let result = adapter(&db).set_key(&key).await;
        match expected_problem(&id, 255) {
            None => {
                result.unwrap();
                assert_eq!(
                    adapter(&db).get_key(&id).await.unwrap(),
                    Some(key),
                    "{id:?}"
                );
                adapter(&db).delete_non_primary_key(&id).await.unwrap();
            }
            Some(problem) => {
                let err = result.unwrap_err();
                assert!(
                    matches!(err, Error::InvalidValue { column: "key.id", problem: p } if p == problem),
                    "{id:?}: {err:?}"
                );
            }
        }
        assert_eq!(snapshot(&db).await, before, "{id:?}");
    }
}

async fn hostile_user_ids_are_stored_exactly_or_refused_with_a_typed_error(db: DatabaseConnection) {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    for (i, id) in hostile().into_iter().enumerate() {
        let before = snapshot(&db).await;
        let user = UserRow {
            id: id.clone(),
            attributes: Profile {
                username: format!("user-{i}"),
            },
        };
        let result = adapter(&db).set_user(&user, None).await;
        let problem = match expected_problem(&id, 36) {
            Some(ValueProblem::TooLong { .. }) | None if postgres => Some(ValueProblem::NotUuid),
            problem => problem,
        };
        match problem {
            None => {
                result.unwrap();
                assert_eq!(
                    adapter(&db).get_user(&id).await.unwrap(),
                    Some(user),
                    "{id:?}"
                );
                adapter(&db).delete_user(&id).await.unwrap();
            }
            Some(problem) => {
                let err = result.unwrap_err();
                assert!(
                    matches!(err, Error::InvalidValue { column: "user.id", problem: p } if p == problem),
                    "{id:?}: {err:?}"
                );
            }
        }
        assert_eq!(snapshot(&db).await, before, "{id:?}");
    }
}

async fn hostile_attribute_values_are_stored_exactly(db: DatabaseConnection) {
    let adapter = adapter(&db);
    for (i, username) in hostile().into_iter().enumerate() {
        // NUL cannot be stored in PostgreSQL text and the username column holds 255 characters.
        if username.contains('\0') || username.chars().count() > 255 {
            continue;
        }
        let user = UserRow {
            id: new_user_id(),
            attributes: Profile {
                username: format!("{username}{i}"),
            },
        };
        adapter.set_user(&user, None).await.unwrap();
        assert_eq!(adapter.get_user(&user.id).await.unwrap(), Some(user));
    }
}

async fn nfkc_equivalent_key_ids_are_different_keys(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let ligature = KeyRow {
        id: "email:\u{FB01}@example.com".into(),
        user_id: ada.id.clone(),
        primary: false,
        hashed_password: None,
    };
    let plain = KeyRow {
        id: "email:fi@example.com".into(),
        ..ligature.clone()
    };
    adapter(&db).set_key(&ligature).await.unwrap();
    adapter(&db).set_key(&plain).await.unwrap();
    assert_eq!(
        adapter(&db).get_key(&ligature.id).await.unwrap(),
        Some(ligature)
    );
    assert_eq!(adapter(&db).get_key(&plain.id).await.unwrap(), Some(plain));
}

async fn negative_expiry_times_are_refused_and_the_largest_is_stored_exactly(
    db: DatabaseConnection,
) {
    let ada = insert_user(&db, "ada").await;
    for (active_expires, idle_expires, column) in [
        (-1, NOW, "session.active_expires"),
        (NOW, i64::MIN, "session.idle_expires"),
    ] {
        let session = SessionRow {
            id: "s".into(),
            user_id: ada.id.clone(),
            active_expires,
            idle_expires,
        };
        let err = adapter(&db).set_session(&session).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidValue { column: c, problem: ValueProblem::Negative } if c == column),
            "{err:?}"
        );
    }
    assert!(tables::sessions(&db).await.is_empty());
    let far = SessionRow {
        id: "s".into(),
        user_id: ada.id,
        active_expires: i64::MAX,
        idle_expires: i64::MAX,
    };
    adapter(&db).set_session(&far).await.unwrap();
    assert_eq!(adapter(&db).get_session("s").await.unwrap(), Some(far));
}

async fn the_lifecycle_refuses_hostile_input_with_typed_errors(db: DatabaseConnection) {
    let auth = Auth::builder(adapter(&db)).build();
    let ada = auth
        .create_user(
            Profile {
                username: "ada".into(),
            },
            Some(NewKey::with_password("email", "ada@example.com", "pw")),
        )
        .await
        .unwrap();
    let before = snapshot(&db).await;
    for value in hostile() {
        let v = value.as_str();
        let err = auth.validate_session(v).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{v:?}: {err:?}");
        let err = auth.validate_session_user(v).await.unwrap_err();
        assert!(matches!(err, Error::InvalidSessionId), "{v:?}: {err:?}");
        let err = auth.use_key("email", v, Some("pw")).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKeyId), "{v:?}: {err:?}");
        let err = auth
            .use_key("email", "ada@example.com", Some(v))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidPassword | Error::PasswordTooLong { .. }),
            "{v:?}: {err:?}"
        );
        let err = auth.create_session(v).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{v:?}: {err:?}");
        let err = auth.get_user(v).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{v:?}: {err:?}");
    }
    for provider_id in ["e:mail", "", ":"] {
        let err = auth
            .create_key(&ada.id, NewKey::without_password(provider_id, "x"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidProviderId),
            "{provider_id:?}: {err:?}"
        );
        let err = auth.use_key(provider_id, "x", None).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidProviderId),
            "{provider_id:?}: {err:?}"
        );
    }
    let megabyte = "p".repeat(1 << 20);
    let err = auth
        .use_key("email", "ada@example.com", Some(&megabyte))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PasswordTooLong { .. }), "{err:?}");
    let err = auth
        .update_key_password("email", "ada@example.com", Some(&megabyte))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PasswordTooLong { .. }), "{err:?}");
    let err = auth
        .use_key("email", "ada@example.com", Some(""))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPassword), "{err:?}");
    assert_eq!(snapshot(&db).await, before);
}

on_every_database!(Schema::Migrated =>
    lookups_of_hostile_ids_find_nothing_and_change_nothing,
    hostile_session_ids_are_stored_exactly_or_refused_with_a_typed_error,
    hostile_key_ids_are_stored_exactly_or_refused_with_a_typed_error,
    hostile_user_ids_are_stored_exactly_or_refused_with_a_typed_error,
    hostile_attribute_values_are_stored_exactly,
    nfkc_equivalent_key_ids_are_different_keys,
    negative_expiry_times_are_refused_and_the_largest_is_stored_exactly,
    the_lifecycle_refuses_hostile_input_with_typed_errors,
);
