//! The adapter contract (contract.md §2–§3), written once and run on every database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Error, KeyRow, SessionRow, UserRow, ValueProblem};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{
    self, NOW, Profile, insert_key, insert_session, insert_session_row, insert_user, new_user_id,
};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

fn adapter(db: &DatabaseConnection) -> SeaOrmAdapter<Profile> {
    SeaOrmAdapter::new(db.clone())
}

fn profile(username: &str) -> Profile {
    Profile {
        username: username.to_owned(),
    }
}

fn new_user(username: &str) -> UserRow<Profile> {
    UserRow {
        id: new_user_id(),
        attributes: profile(username),
    }
}

fn key_of(user: &UserRow<Profile>, primary: bool, hashed_password: Option<&str>) -> KeyRow {
    KeyRow {
        id: format!("test:{}@example.com", user.attributes.username),
        user_id: user.id.clone(),
        primary,
        hashed_password: hashed_password.map(str::to_owned),
    }
}

// Users

async fn get_user_returns_the_row_with_its_attributes(db: DatabaseConnection) {
    let user = insert_user(&db, "ada").await;
    insert_user(&db, "grace").await;
    assert_eq!(adapter(&db).get_user(&user.id).await.unwrap(), Some(user));
}

async fn get_user_of_an_unknown_id_is_none(db: DatabaseConnection) {
    insert_user(&db, "ada").await;
    assert_eq!(adapter(&db).get_user(&new_user_id()).await.unwrap(), None);
}

async fn get_user_of_an_id_that_is_not_a_uuid_is_none(db: DatabaseConnection) {
    insert_user(&db, "ada").await;
    assert_eq!(adapter(&db).get_user("not-a-uuid").await.unwrap(), None);
    assert_eq!(
        adapter(&db).get_user(&"x".repeat(10_000)).await.unwrap(),
        None
    );
}

async fn set_user_without_key_stores_the_user(db: DatabaseConnection) {
    let user = new_user("ada");
    adapter(&db).set_user(&user, None).await.unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(user.id.clone(), Some("ada".to_owned()))]
    );
    assert_eq!(adapter(&db).get_user(&user.id).await.unwrap(), Some(user));
    assert!(tables::keys(&db).await.is_empty());
}

async fn set_user_with_a_primary_key_stores_both(db: DatabaseConnection) {
    let user = new_user("ada");
    let key = key_of(&user, true, Some("HASHED"));
    adapter(&db).set_user(&user, Some(&key)).await.unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(user.id.clone(), Some("ada".to_owned()))]
    );
    assert_eq!(tables::keys(&db).await, [key]);
}

async fn set_user_whose_key_id_is_taken_is_duplicate_key_id_and_stores_no_user(
    db: DatabaseConnection,
) {
    let owner = insert_user(&db, "ada").await;
    let taken = insert_key(&db, &owner, true, None).await;
    let user = new_user("grace");
    let key = KeyRow {
        user_id: user.id.clone(),
        ..taken.clone()
    };
    let err = adapter(&db).set_user(&user, Some(&key)).await.unwrap_err();
    assert!(matches!(err, Error::DuplicateKeyId), "{err:?}");
    assert_eq!(
        tables::users(&db).await,
        [(owner.id, Some("ada".to_owned()))]
    );
    assert_eq!(tables::keys(&db).await, [taken]);
}

async fn set_user_with_a_taken_user_id_is_duplicate_user_id(db: DatabaseConnection) {
    let existing = insert_user(&db, "ada").await;
    let user = UserRow {
        id: existing.id.clone(),
        attributes: profile("grace"),
    };
    let err = adapter(&db).set_user(&user, None).await.unwrap_err();
    assert!(matches!(err, Error::DuplicateUserId), "{err:?}");
    assert_eq!(
        tables::users(&db).await,
        [(existing.id, Some("ada".to_owned()))]
    );
}

async fn set_user_with_a_taken_user_id_and_username_is_duplicate_user_id(db: DatabaseConnection) {
    let existing = insert_user(&db, "ada").await;
    let err = adapter(&db).set_user(&existing, None).await.unwrap_err();
    assert!(matches!(err, Error::DuplicateUserId), "{err:?}");
    assert_eq!(
        tables::users(&db).await,
        [(existing.id, Some("ada".to_owned()))]
    );
}

async fn set_user_with_a_taken_username_is_a_database_error(db: DatabaseConnection) {
    let existing = insert_user(&db, "ada").await;
    let user = new_user("ada");
    let key = key_of(
        &UserRow {
            id: user.id.clone(),
            attributes: profile("ada-2"),
        },
        true,
        None,
    );
    let err = adapter(&db).set_user(&user, Some(&key)).await.unwrap_err();
    let Error::Database(source) = &err else {
        panic!("expected a database error, got {err:?}")
    };
    assert!(
        source.downcast_ref::<sea_orm::DbErr>().is_some(),
        "{source:?}"
    );
    assert_eq!(
        tables::users(&db).await,
        [(existing.id, Some("ada".to_owned()))]
    );
    assert!(tables::keys(&db).await.is_empty());
}

async fn set_user_whose_key_names_another_user_fails_and_stores_nothing(db: DatabaseConnection) {
    let other = insert_user(&db, "ada").await;
    let user = new_user("grace");
    let key = KeyRow {
        user_id: other.id.clone(),
        ..key_of(&user, true, None)
    };
    let err = adapter(&db).set_user(&user, Some(&key)).await.unwrap_err();
    assert!(
        matches!(err, Error::KeyBelongsToAnotherUser { .. }),
        "{err:?}"
    );
    assert_eq!(
        tables::users(&db).await,
        [(other.id, Some("ada".to_owned()))]
    );
    assert!(tables::keys(&db).await.is_empty());
}

async fn delete_user_removes_that_user_only(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    adapter(&db).delete_user(&ada.id).await.unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(grace.id, Some("grace".to_owned()))]
    );
}

async fn delete_user_of_an_unknown_id_is_a_no_op(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    adapter(&db).delete_user(&new_user_id()).await.unwrap();
    adapter(&db).delete_user("not-a-uuid").await.unwrap();
    assert_eq!(tables::users(&db).await, [(ada.id, Some("ada".to_owned()))]);
}

async fn delete_user_with_sessions_left_is_a_database_error(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = insert_session(&db, &ada.id).await;
    let err = adapter(&db).delete_user(&ada.id).await.unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert_eq!(tables::sessions(&db).await, [session]);
}

async fn delete_user_with_sessions_and_keys_removes_all_three_for_that_user_only(
    db: DatabaseConnection,
) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    insert_session(&db, &ada.id).await;
    insert_key(&db, &ada, true, Some("HASHED")).await;
    let grace_session = insert_session(&db, &grace.id).await;
    let grace_key = insert_key(&db, &grace, true, None).await;
    adapter(&db)
        .delete_user_with_sessions_and_keys(&ada.id)
        .await
        .unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(grace.id, Some("grace".to_owned()))]
    );
    assert_eq!(tables::sessions(&db).await, [grace_session]);
    assert_eq!(tables::keys(&db).await, [grace_key]);
}

async fn update_user_attributes_changes_the_row_and_returns_it(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let updated = adapter(&db)
        .update_user_attributes(&ada.id, &json!({ "username": "lovelace" }))
        .await
        .unwrap();
    assert_eq!(
        updated,
        UserRow {
            id: ada.id.clone(),
            attributes: profile("lovelace")
        }
    );
    assert_eq!(
        tables::users(&db).await,
        sorted(vec![
            (ada.id, Some("lovelace".to_owned())),
            (grace.id, Some("grace".to_owned()))
        ])
    );
}

async fn update_user_attributes_with_the_same_values_returns_the_row(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let updated = adapter(&db)
        .update_user_attributes(&ada.id, &profile("ada"))
        .await
        .unwrap();
    assert_eq!(updated, ada);
}

async fn update_user_attributes_of_an_unknown_id_is_invalid_user_id(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    for id in [new_user_id(), "not-a-uuid".to_owned()] {
        let err = adapter(&db)
            .update_user_attributes(&id, &profile("grace"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{err:?}");
    }
    assert_eq!(tables::users(&db).await, [(ada.id, Some("ada".to_owned()))]);
}

async fn update_user_attributes_to_a_taken_username_is_a_database_error(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let err = adapter(&db)
        .update_user_attributes(&ada.id, &profile("grace"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert_eq!(
        tables::users(&db).await,
        sorted(vec![
            (ada.id, Some("ada".to_owned())),
            (grace.id, Some("grace".to_owned()))
        ])
    );
}

async fn attributes_that_are_not_a_map_are_an_attributes_error(db: DatabaseConnection) {
    let user = UserRow {
        id: new_user_id(),
        attributes: json!("ada"),
    };
    let err = SeaOrmAdapter::<serde_json::Value>::new(db.clone())
        .set_user(&user, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Attributes(_)), "{err:?}");
    assert!(tables::users(&db).await.is_empty());
}

async fn an_application_without_columns_of_its_own_uses_unit_attributes(db: DatabaseConnection) {
    let adapter = SeaOrmAdapter::<()>::new(db.clone());
    let user = UserRow {
        id: new_user_id(),
        attributes: (),
    };
    adapter.set_user(&user, None).await.unwrap();
    assert_eq!(
        adapter.get_user(&user.id).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(tables::users(&db).await, [(user.id, None)]);
}

// Keys

async fn get_key_returns_all_four_fields(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let key = insert_key(&db, &ada, true, Some("HASHED")).await;
    assert_eq!(adapter(&db).get_key(&key.id).await.unwrap(), Some(key));
}

async fn get_key_of_an_unknown_id_is_none(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, None).await;
    assert_eq!(
        adapter(&db)
            .get_key("test:nobody@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        adapter(&db).get_key(&"k".repeat(10_000)).await.unwrap(),
        None
    );
}

async fn set_key_stores_keys_with_and_without_password_primary_or_not(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let with_password = KeyRow {
        id: "email:ada".into(),
        ..key_of(&ada, false, Some("HASHED"))
    };
    let without_password = KeyRow {
        id: "github:1".into(),
        ..key_of(&ada, false, None)
    };
    let primary = KeyRow {
        id: "username:ada".into(),
        ..key_of(&ada, true, None)
    };
    for key in [&with_password, &without_password, &primary] {
        adapter(&db).set_key(key).await.unwrap();
    }
    assert_eq!(
        tables::keys(&db).await,
        [with_password, without_password, primary]
    );
}

async fn set_key_for_an_unknown_user_is_invalid_user_id(db: DatabaseConnection) {
    for user_id in [new_user_id(), "not-a-uuid".to_owned()] {
        let key = KeyRow {
            id: "test:ghost@example.com".into(),
            user_id,
            primary: true,
            hashed_password: None,
        };
        let err = adapter(&db).set_key(&key).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{err:?}");
    }
    assert!(tables::keys(&db).await.is_empty());
}

async fn set_key_with_a_taken_id_is_duplicate_key_id(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let taken = insert_key(&db, &ada, true, None).await;
    let key = KeyRow {
        user_id: grace.id.clone(),
        ..taken.clone()
    };
    let err = adapter(&db).set_key(&key).await.unwrap_err();
    assert!(matches!(err, Error::DuplicateKeyId), "{err:?}");
    assert_eq!(tables::keys(&db).await, [taken]);
}

async fn key_ids_differing_only_in_case_are_different_keys(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let lower = KeyRow {
        id: "email:ada@example.com".into(),
        ..key_of(&ada, true, None)
    };
    let upper = KeyRow {
        id: "email:ADA@example.com".into(),
        ..key_of(&ada, false, None)
    };
    adapter(&db).set_key(&lower).await.unwrap();
    adapter(&db).set_key(&upper).await.unwrap();
    assert_eq!(adapter(&db).get_key(&upper.id).await.unwrap(), Some(upper));
}

async fn get_keys_by_user_id_returns_that_users_keys_only(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let primary = insert_key(&db, &ada, true, Some("HASHED")).await;
    let other = KeyRow {
        id: "github:ada".into(),
        ..key_of(&ada, false, None)
    };
    adapter(&db).set_key(&other).await.unwrap();
    insert_key(&db, &grace, true, None).await;
    let mut keys = adapter(&db).get_keys_by_user_id(&ada.id).await.unwrap();
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(keys, [other, primary]);
}

async fn get_keys_by_user_id_of_an_unknown_user_is_empty(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_key(&db, &ada, true, None).await;
    assert_eq!(
        adapter(&db)
            .get_keys_by_user_id(&new_user_id())
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        adapter(&db)
            .get_keys_by_user_id("not-a-uuid")
            .await
            .unwrap(),
        []
    );
}

async fn update_key_password_changes_the_hash_and_returns_the_key(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let key = insert_key(&db, &ada, true, Some("HASHED")).await;
    let updated = adapter(&db)
        .update_key_password(&key.id, Some("NEW"))
        .await
        .unwrap();
    let expected = KeyRow {
        hashed_password: Some("NEW".into()),
        ..key.clone()
    };
    assert_eq!(updated, expected);
    let cleared = adapter(&db)
        .update_key_password(&key.id, None)
        .await
        .unwrap();
    assert_eq!(
        cleared,
        KeyRow {
            hashed_password: None,
            ..key
        }
    );
    assert_eq!(tables::keys(&db).await, [cleared]);
}

async fn update_key_password_of_an_unknown_key_is_invalid_key_id(db: DatabaseConnection) {
    let err = adapter(&db)
        .update_key_password("test:nobody@example.com", Some("NEW"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKeyId), "{err:?}");
    assert!(tables::keys(&db).await.is_empty());
}

async fn delete_non_primary_key_deletes_only_its_target(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let primary = insert_key(&db, &ada, true, None).await;
    let first = KeyRow {
        id: "github:1".into(),
        ..key_of(&ada, false, None)
    };
    let second = KeyRow {
        id: "github:2".into(),
        ..key_of(&ada, false, None)
    };
    adapter(&db).set_key(&first).await.unwrap();
    adapter(&db).set_key(&second).await.unwrap();
    adapter(&db)
        .delete_non_primary_key(&first.id)
        .await
        .unwrap();
    assert_eq!(tables::keys(&db).await, [second, primary]);
}

async fn delete_non_primary_key_keeps_a_primary_key(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let primary = insert_key(&db, &ada, true, None).await;
    adapter(&db)
        .delete_non_primary_key(&primary.id)
        .await
        .unwrap();
    assert_eq!(tables::keys(&db).await, [primary]);
}

async fn delete_keys_by_user_id_removes_that_users_keys_primary_too(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    insert_key(&db, &ada, true, None).await;
    adapter(&db)
        .set_key(&KeyRow {
            id: "github:1".into(),
            ..key_of(&ada, false, None)
        })
        .await
        .unwrap();
    let grace_key = insert_key(&db, &grace, true, None).await;
    adapter(&db).delete_keys_by_user_id(&ada.id).await.unwrap();
    assert_eq!(tables::keys(&db).await, [grace_key]);
}

// Sessions

async fn get_session_returns_all_four_fields_with_exact_integers(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = insert_session(&db, &ada.id).await;
    let far = SessionRow {
        id: "far".into(),
        user_id: ada.id.clone(),
        active_expires: 4_102_444_800_000,
        idle_expires: 4_102_444_800_000,
    };
    let zero = SessionRow {
        id: "zero".into(),
        active_expires: 0,
        idle_expires: 0,
        ..far.clone()
    };
    insert_session_row(&db, &far).await;
    insert_session_row(&db, &zero).await;
    for expected in [session, far, zero] {
        assert_eq!(
            adapter(&db).get_session(&expected.id).await.unwrap(),
            Some(expected)
        );
    }
}

async fn get_session_of_an_unknown_id_is_none(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_session(&db, &ada.id).await;
    assert_eq!(adapter(&db).get_session("unknown").await.unwrap(), None);
    assert_eq!(
        adapter(&db).get_session(&"s".repeat(10_000)).await.unwrap(),
        None
    );
}

async fn get_sessions_by_user_id_returns_that_users_sessions_only(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let first = insert_session(&db, &ada.id).await;
    let second = insert_session(&db, &ada.id).await;
    insert_session(&db, &grace.id).await;
    let mut sessions = adapter(&db).get_sessions_by_user_id(&ada.id).await.unwrap();
    sessions.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(sessions, by_id(vec![first, second]));
}

async fn get_sessions_by_user_id_of_an_unknown_user_is_empty(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_session(&db, &ada.id).await;
    assert_eq!(
        adapter(&db)
            .get_sessions_by_user_id(&new_user_id())
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        adapter(&db)
            .get_sessions_by_user_id("not-a-uuid")
            .await
            .unwrap(),
        []
    );
}

async fn set_session_stores_it(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = SessionRow {
        id: "s".repeat(127),
        user_id: ada.id.clone(),
        active_expires: 0,
        idle_expires: 4_102_444_800_000,
    };
    adapter(&db).set_session(&session).await.unwrap();
    assert_eq!(tables::sessions(&db).await, [session]);
}

async fn set_session_for_an_unknown_user_is_invalid_user_id(db: DatabaseConnection) {
    for user_id in [new_user_id(), "not-a-uuid".to_owned()] {
        let session = SessionRow {
            id: "s1".into(),
            user_id,
            active_expires: NOW,
            idle_expires: NOW,
        };
        let err = adapter(&db).set_session(&session).await.unwrap_err();
        assert!(matches!(err, Error::InvalidUserId), "{err:?}");
    }
    assert!(tables::sessions(&db).await.is_empty());
}

async fn set_session_with_a_taken_id_is_duplicate_session_id_even_for_another_user(
    db: DatabaseConnection,
) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let taken = insert_session(&db, &ada.id).await;
    let session = SessionRow {
        user_id: grace.id.clone(),
        ..taken.clone()
    };
    let err = adapter(&db).set_session(&session).await.unwrap_err();
    assert!(matches!(err, Error::DuplicateSessionId), "{err:?}");
    assert_eq!(tables::sessions(&db).await, [taken]);
}

async fn set_session_with_an_id_longer_than_its_column_is_value_too_long(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = SessionRow {
        id: "s".repeat(128),
        user_id: ada.id,
        active_expires: NOW,
        idle_expires: NOW,
    };
    // The same limit on PostgreSQL, whose `session.id` is TEXT: rows stay portable.
    let err = adapter(&db).set_session(&session).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidValue {
                column: "session.id",
                problem: ValueProblem::TooLong { max_chars: 127 }
            }
        ),
        "{err:?}"
    );
    assert!(tables::sessions(&db).await.is_empty());
}

async fn delete_sessions_removes_only_its_targets(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let first = insert_session(&db, &ada.id).await;
    let second = insert_session(&db, &ada.id).await;
    let kept = insert_session(&db, &ada.id).await;
    let deleted = adapter(&db)
        .delete_sessions(&[&first.id, &second.id, "unknown"])
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(tables::sessions(&db).await, [kept]);
}

async fn delete_sessions_of_an_empty_list_is_a_no_op(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let kept = insert_session(&db, &ada.id).await;
    assert_eq!(adapter(&db).delete_sessions(&[]).await.unwrap(), 0);
    assert_eq!(tables::sessions(&db).await, [kept]);
}

async fn delete_sessions_by_user_id_removes_that_users_sessions_only(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    insert_session(&db, &ada.id).await;
    insert_session(&db, &ada.id).await;
    let kept = insert_session(&db, &grace.id).await;
    adapter(&db)
        .delete_sessions_by_user_id(&ada.id)
        .await
        .unwrap();
    assert_eq!(tables::sessions(&db).await, [kept]);
}

async fn delete_dead_sessions_by_user_id_keeps_live_ones_and_other_users(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let dead = SessionRow {
        id: "dead".into(),
        user_id: ada.id.clone(),
        active_expires: NOW - 2,
        idle_expires: NOW - 1,
    };
    let edge = SessionRow {
        id: "edge".into(),
        idle_expires: NOW,
        ..dead.clone()
    };
    let grace_dead = SessionRow {
        id: "grace-dead".into(),
        user_id: grace.id.clone(),
        ..dead.clone()
    };
    for session in [&dead, &edge, &grace_dead] {
        insert_session_row(&db, session).await;
    }
    let deleted = adapter(&db)
        .delete_dead_sessions_by_user_id(&ada.id, NOW)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(tables::sessions(&db).await, [edge, grace_dead]);
}

async fn delete_expired_sessions_deletes_those_idle_expired_before_now(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let dead = SessionRow {
        id: "dead".into(),
        user_id: ada.id.clone(),
        active_expires: 0,
        idle_expires: NOW - 1,
    };
    let other_dead = SessionRow {
        id: "other-dead".into(),
        user_id: grace.id.clone(),
        ..dead.clone()
    };
    let edge = SessionRow {
        id: "edge".into(),
        idle_expires: NOW,
        ..dead.clone()
    };
    let live = insert_session(&db, &ada.id).await;
    for session in [&dead, &other_dead, &edge] {
        insert_session_row(&db, session).await;
    }
    assert_eq!(adapter(&db).delete_expired_sessions(NOW).await.unwrap(), 2);
    assert_eq!(tables::sessions(&db).await, by_id(vec![edge, live]));
}

// Join

async fn get_session_and_user_returns_both_rows_with_the_attributes(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let grace = insert_user(&db, "grace").await;
    let session = SessionRow {
        id: "far".into(),
        user_id: ada.id.clone(),
        active_expires: 4_102_444_800_000,
        idle_expires: 4_102_444_800_000,
    };
    insert_session_row(&db, &session).await;
    insert_session(&db, &grace.id).await;
    let found = adapter(&db)
        .get_session_and_user(&session.id)
        .await
        .unwrap();
    assert_eq!(found, Some((session, ada)));
}

async fn get_session_and_user_of_an_unknown_session_is_none(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    insert_session(&db, &ada.id).await;
    assert_eq!(
        adapter(&db).get_session_and_user("unknown").await.unwrap(),
        None
    );
}

async fn get_session_and_user_is_one_statement(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = insert_session(&db, &ada.id).await;
    let mut counted = db.clone();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    counted.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    // Counted inside a transaction, where the adapter's statements go through SeaORM (and its
    // metric callback); on a pool they go to sqlx directly, by the same code that builds them.
    let transaction = counted.begin().await.unwrap();
    let before = statements.load(Ordering::SeqCst);
    let found = SeaOrmAdapter::<Profile, _>::within(&transaction)
        .get_session_and_user(&session.id)
        .await;
    assert_eq!(found.unwrap(), Some((session, ada)));
    assert_eq!(statements.load(Ordering::SeqCst) - before, 1);
    transaction.rollback().await.unwrap();
}

// Transactions and races

async fn the_adapter_inside_a_callers_transaction_rolls_back_with_it(db: DatabaseConnection) {
    let user = new_user("ada");
    let key = key_of(&user, true, Some("HASHED"));
    let transaction = db.begin().await.unwrap();
    let adapter = SeaOrmAdapter::<Profile, _>::within(&transaction);
    adapter.set_user(&user, Some(&key)).await.unwrap();
    let session = SessionRow {
        id: "s".into(),
        user_id: user.id.clone(),
        active_expires: NOW,
        idle_expires: NOW,
    };
    adapter.set_session(&session).await.unwrap();
    assert_eq!(
        adapter.get_session_and_user("s").await.unwrap(),
        Some((session, user.clone()))
    );
    drop(adapter);
    transaction.rollback().await.unwrap();
    assert!(tables::users(&db).await.is_empty());
    assert!(tables::keys(&db).await.is_empty());
    assert!(tables::sessions(&db).await.is_empty());
}

async fn the_adapter_inside_a_callers_transaction_commits_with_it(db: DatabaseConnection) {
    let user = new_user("ada");
    let key = key_of(&user, true, None);
    let transaction = db.begin().await.unwrap();
    let adapter = SeaOrmAdapter::<Profile, _>::within(&transaction);
    adapter.set_user(&user, Some(&key)).await.unwrap();
    drop(adapter);
    transaction.commit().await.unwrap();
    assert_eq!(
        tables::users(&db).await,
        [(user.id, Some("ada".to_owned()))]
    );
    assert_eq!(tables::keys(&db).await, [key]);
}

async fn a_typed_error_inside_a_callers_transaction_leaves_it_usable(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let taken = insert_session(&db, &ada.id).await;
    let grace = new_user("grace");
    let transaction = db.begin().await.unwrap();
    let adapter = SeaOrmAdapter::<Profile, _>::within(&transaction);
    adapter.set_user(&grace, None).await.unwrap();
    let duplicate = SessionRow {
        user_id: grace.id.clone(),
        ..taken.clone()
    };
    assert!(matches!(
        adapter.set_session(&duplicate).await,
        Err(Error::DuplicateSessionId)
    ));
    let orphan = KeyRow {
        id: "test:orphan".into(),
        user_id: new_user_id(),
        primary: false,
        hashed_password: None,
    };
    assert!(matches!(
        adapter.set_key(&orphan).await,
        Err(Error::InvalidUserId)
    ));
    assert!(matches!(
        adapter.set_key(&key_of(&grace, true, None)).await,
        Ok(())
    ));
    assert!(matches!(
        adapter.set_user(&grace, None).await,
        Err(Error::DuplicateUserId)
    ));
    // A database error, not a typed one, leaves it usable too.
    assert!(matches!(
        adapter.delete_user(&ada.id).await,
        Err(Error::Database(_))
    ));
    let session = SessionRow {
        id: "grace-session".into(),
        ..duplicate
    };
    adapter.set_session(&session).await.unwrap();
    drop(adapter);
    transaction.commit().await.unwrap();

    let users: Vec<String> = tables::users(&db)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut expected = vec![ada.id.clone(), grace.id.clone()];
    expected.sort();
    assert_eq!(users, expected);
    assert_eq!(tables::keys(&db).await, [key_of(&grace, true, None)]);
    assert_eq!(tables::sessions(&db).await.len(), 2);
}

async fn set_session_whose_idle_expiry_is_before_its_active_expiry_is_invalid_value(
    db: DatabaseConnection,
) {
    let ada = insert_user(&db, "ada").await;
    let session = SessionRow {
        id: "s".into(),
        user_id: ada.id.clone(),
        active_expires: NOW + 1,
        idle_expires: NOW,
    };
    assert!(matches!(
        adapter(&db).set_session(&session).await,
        Err(Error::InvalidValue {
            column: "session.idle_expires",
            problem: ValueProblem::BeforeActiveExpires
        })
    ));
    assert!(tables::sessions(&db).await.is_empty());
}

async fn delete_sessions_of_70_000_ids_deletes_the_existing_ones(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let kept = insert_session(&db, &ada.id).await;
    let mut doomed = Vec::new();
    for _ in 0..3 {
        doomed.push(insert_session(&db, &ada.id).await.id);
    }
    let mut ids: Vec<String> = (0..70_000).map(|i| format!("missing-{i}")).collect();
    // Spread over the chunks: first, middle and last.
    ids[0] = doomed[0].clone();
    ids[35_000] = doomed[1].clone();
    ids[69_999] = doomed[2].clone();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(adapter(&db).delete_sessions(&ids).await.unwrap(), 3);
    assert_eq!(tables::session_ids(&db).await, [kept.id]);
}

async fn replace_key_password_replaces_only_the_hash_it_names(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let key = insert_key(&db, &ada, true, Some("old")).await;
    let adapter = adapter(&db);
    assert!(
        !adapter
            .replace_key_password(&key.id, "other", "new")
            .await
            .unwrap()
    );
    assert_eq!(tables::keys(&db).await, std::slice::from_ref(&key));
    assert!(
        adapter
            .replace_key_password(&key.id, "old", "new")
            .await
            .unwrap()
    );
    assert_eq!(
        tables::keys(&db).await[0].hashed_password.as_deref(),
        Some("new")
    );
    assert!(
        !adapter
            .replace_key_password(&key.id, "old", "newer")
            .await
            .unwrap()
    );
    assert!(
        !adapter
            .replace_key_password("test:nobody", "old", "new")
            .await
            .unwrap()
    );
}

async fn expire_idle_session_cuts_an_idle_session_once(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = insert_session(&db, &ada.id).await;
    let adapter = adapter(&db);
    // Active at NOW: left alone.
    assert!(
        !adapter
            .expire_idle_session(&session.id, NOW, NOW + 5)
            .await
            .unwrap()
    );
    assert_eq!(tables::sessions(&db).await, std::slice::from_ref(&session));
    let idle_at = session.active_expires + 1;
    let cut = SessionRow {
        active_expires: idle_at + 5,
        idle_expires: idle_at + 5,
        ..session.clone()
    };
    let racers = (0..RACERS).map(|_| {
        let adapter = adapter.clone();
        let id = session.id.clone();
        tokio::spawn(async move { adapter.expire_idle_session(&id, idle_at, idle_at + 5).await })
    });
    let mut cuts = 0;
    for racer in racers.collect::<Vec<_>>() {
        cuts += usize::from(racer.await.unwrap().unwrap());
    }
    assert_eq!(cuts, 1);
    assert_eq!(tables::sessions(&db).await, [cut]);
    // Dead: left alone.
    assert!(
        !adapter
            .expire_idle_session(&session.id, session.idle_expires + 1, 0)
            .await
            .unwrap()
    );
    assert!(
        !adapter
            .expire_idle_session("missing", idle_at, idle_at)
            .await
            .unwrap()
    );
}

const RACERS: usize = 32;

async fn concurrent_set_key_with_one_id_succeeds_exactly_once(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let key = key_of(&ada, false, None);
    let attempts = (0..RACERS).map(|_| {
        let adapter = adapter(&db);
        let key = key.clone();
        tokio::spawn(async move { adapter.set_key(&key).await })
    });
    let results: Vec<_> = futures_join(attempts).await;
    let tally = successes_and_failures(&results, |err| matches!(err, Error::DuplicateKeyId));
    assert_eq!(tally, (1, RACERS - 1), "{results:?}");
    assert_eq!(tables::keys(&db).await, [key]);
}

async fn concurrent_set_session_with_one_id_succeeds_exactly_once(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = SessionRow {
        id: "s".repeat(40),
        user_id: ada.id.clone(),
        active_expires: NOW,
        idle_expires: NOW,
    };
    let attempts = (0..RACERS).map(|_| {
        let adapter = adapter(&db);
        let session = session.clone();
        tokio::spawn(async move { adapter.set_session(&session).await })
    });
    let results: Vec<_> = futures_join(attempts).await;
    let tally = successes_and_failures(&results, |err| matches!(err, Error::DuplicateSessionId));
    assert_eq!(tally, (1, RACERS - 1), "{results:?}");
    assert_eq!(tables::sessions(&db).await, [session]);
}

async fn concurrent_deletes_of_one_session_delete_it_once(db: DatabaseConnection) {
    let ada = insert_user(&db, "ada").await;
    let session = insert_session(&db, &ada.id).await;
    let other = insert_session(&db, &ada.id).await;
    let attempts = (0..RACERS).map(|_| {
        let adapter = adapter(&db);
        let id = session.id.clone();
        tokio::spawn(async move { adapter.delete_sessions(&[&id]).await })
    });
    let deleted: Vec<u64> = futures_join(attempts)
        .await
        .into_iter()
        .map(|result| result.expect("a delete succeeds"))
        .collect();
    assert_eq!(deleted.iter().sum::<u64>(), 1, "{deleted:?}");
    assert_eq!(tables::sessions(&db).await, [other]);
}

async fn concurrent_set_user_with_one_key_id_stores_exactly_one_user_with_its_key(
    db: DatabaseConnection,
) {
    let attempts = (0..RACERS).map(|i| {
        let adapter = adapter(&db);
        let user = new_user(&format!("racer-{i}"));
        let key = KeyRow {
            id: "email:shared@example.com".into(),
            ..key_of(&user, true, None)
        };
        tokio::spawn(async move { adapter.set_user(&user, Some(&key)).await })
    });
    let results: Vec<_> = futures_join(attempts).await;
    let tally = successes_and_failures(&results, |err| matches!(err, Error::DuplicateKeyId));
    assert_eq!(tally, (1, RACERS - 1), "{results:?}");
    let users = tables::users(&db).await;
    let keys = tables::keys(&db).await;
    assert_eq!(users.len(), 1);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].user_id, users[0].0);
}

/// How many of `results` succeeded, and how many failed with an error that `expected` matches.
fn successes_and_failures<T>(
    results: &[Result<T, Error>],
    expected: impl Fn(&Error) -> bool,
) -> (usize, usize) {
    let ok = results.iter().filter(|result| result.is_ok()).count();
    let failed = results
        .iter()
        .filter(|result| result.as_ref().is_err_and(&expected))
        .count();
    (ok, failed)
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        results.push(task.await.expect("task does not panic"));
    }
    results
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}

fn by_id(mut sessions: Vec<SessionRow>) -> Vec<SessionRow> {
    sessions.sort_by(|a, b| a.id.cmp(&b.id));
    sessions
}

on_every_database!(galera: Schema::Migrated =>
    get_user_returns_the_row_with_its_attributes,
    get_user_of_an_unknown_id_is_none,
    get_user_of_an_id_that_is_not_a_uuid_is_none,
    set_user_without_key_stores_the_user,
    set_user_with_a_primary_key_stores_both,
    set_user_whose_key_id_is_taken_is_duplicate_key_id_and_stores_no_user,
    set_user_with_a_taken_user_id_is_duplicate_user_id,
    set_user_with_a_taken_user_id_and_username_is_duplicate_user_id,
    set_user_with_a_taken_username_is_a_database_error,
    set_user_whose_key_names_another_user_fails_and_stores_nothing,
    delete_user_removes_that_user_only,
    delete_user_of_an_unknown_id_is_a_no_op,
    delete_user_with_sessions_left_is_a_database_error,
    delete_user_with_sessions_and_keys_removes_all_three_for_that_user_only,
    update_user_attributes_changes_the_row_and_returns_it,
    update_user_attributes_with_the_same_values_returns_the_row,
    update_user_attributes_of_an_unknown_id_is_invalid_user_id,
    update_user_attributes_to_a_taken_username_is_a_database_error,
    attributes_that_are_not_a_map_are_an_attributes_error,
    an_application_without_columns_of_its_own_uses_unit_attributes,
    get_key_returns_all_four_fields,
    get_key_of_an_unknown_id_is_none,
    set_key_stores_keys_with_and_without_password_primary_or_not,
    set_key_for_an_unknown_user_is_invalid_user_id,
    set_key_with_a_taken_id_is_duplicate_key_id,
    key_ids_differing_only_in_case_are_different_keys,
    get_keys_by_user_id_returns_that_users_keys_only,
    get_keys_by_user_id_of_an_unknown_user_is_empty,
    update_key_password_changes_the_hash_and_returns_the_key,
    update_key_password_of_an_unknown_key_is_invalid_key_id,
    delete_non_primary_key_deletes_only_its_target,
    delete_non_primary_key_keeps_a_primary_key,
    delete_keys_by_user_id_removes_that_users_keys_primary_too,
    get_session_returns_all_four_fields_with_exact_integers,
    get_session_of_an_unknown_id_is_none,
    get_sessions_by_user_id_returns_that_users_sessions_only,
    get_sessions_by_user_id_of_an_unknown_user_is_empty,
    set_session_stores_it,
    set_session_for_an_unknown_user_is_invalid_user_id,
    set_session_with_a_taken_id_is_duplicate_session_id_even_for_another_user,
    set_session_with_an_id_longer_than_its_column_is_value_too_long,
    delete_sessions_removes_only_its_targets,
    delete_sessions_of_an_empty_list_is_a_no_op,
    delete_sessions_by_user_id_removes_that_users_sessions_only,
    delete_dead_sessions_by_user_id_keeps_live_ones_and_other_users,
    delete_expired_sessions_deletes_those_idle_expired_before_now,
    get_session_and_user_returns_both_rows_with_the_attributes,
    get_session_and_user_of_an_unknown_session_is_none,
    get_session_and_user_is_one_statement,
    the_adapter_inside_a_callers_transaction_rolls_back_with_it,
    the_adapter_inside_a_callers_transaction_commits_with_it,
    concurrent_set_key_with_one_id_succeeds_exactly_once,
    concurrent_set_session_with_one_id_succeeds_exactly_once,
    concurrent_deletes_of_one_session_delete_it_once,
    concurrent_set_user_with_one_key_id_stores_exactly_one_user_with_its_key,
    a_typed_error_inside_a_callers_transaction_leaves_it_usable,
    set_session_whose_idle_expiry_is_before_its_active_expiry_is_invalid_value,
    delete_sessions_of_70_000_ids_deletes_the_existing_ones,
    replace_key_password_replaces_only_the_hash_it_names,
    expire_idle_session_cuts_an_idle_session_once,
);

/// The same reads on a `user` table that has only our `id` column.
mod without_application_columns {
    use lucia_sea_orm_migration::{Migrator, MigratorTrait};

    use super::*;

    async fn get_session_and_user_reads_a_user_with_no_columns_of_its_own(db: DatabaseConnection) {
        Migrator::up(&db, None).await.unwrap();
        let adapter = SeaOrmAdapter::<()>::new(db.clone());
        let user = UserRow {
            id: new_user_id(),
            attributes: (),
        };
        adapter.set_user(&user, None).await.unwrap();
        let session = SessionRow {
            id: "s".into(),
            user_id: user.id.clone(),
            active_expires: 4_102_444_800_000,
            idle_expires: 4_102_444_800_000,
        };
        adapter.set_session(&session).await.unwrap();
        let found = adapter.get_session_and_user("s").await.unwrap();
        assert_eq!(found, Some((session, user.clone())));
        assert_eq!(adapter.get_user(&user.id).await.unwrap(), Some(user));
    }

    on_every_database!(Schema::Empty => get_session_and_user_reads_a_user_with_no_columns_of_its_own);
}
