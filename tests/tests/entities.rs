//! The entities against the real tables of each database: what goes in through an `ActiveModel`
//! comes back, value for value, through `find_by_id`, relations and filters.

use lucia_sea_orm_entity::{Millis, key, session, user};
use lucia_sea_orm_tests::tables::new_user_id;
use lucia_sea_orm_tests::{Backend, Schema, on_every_database, run};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr, Statement,
};

/// 2100-01-01T00:00:00Z in milliseconds: beyond 32-bit seconds and well inside `i64`.
const YEAR_2100: i64 = 4_102_444_800_000;

async fn a_user_round_trips_through_the_entity(db: DatabaseConnection) {
    let id = new_user_id();
    let expected = user::Model { id: id.clone() };

    let inserted = expected.clone().into_active_model().insert(&db).await;

    assert_eq!(inserted.expect("user is inserted"), expected);
    assert_eq!(find_user(&db, &id).await, Some(expected.clone()));
    assert_eq!(
        user::Entity::find().all(&db).await.expect("users"),
        [expected]
    );
    assert_eq!(find_user(&db, &new_user_id()).await, None);
}

async fn sessions_round_trip_with_exact_expiry_values(db: DatabaseConnection) {
    let ada = insert_user(&db).await;
    let grace = insert_user(&db).await;
    let first = session::Model {
        id: "a".repeat(40),
        user_id: ada.id.clone(),
        active_expires: Millis(0),
        idle_expires: Millis(YEAR_2100),
    };
    let second = session::Model {
        id: "b".repeat(40),
        user_id: ada.id.clone(),
        active_expires: Millis(YEAR_2100),
        idle_expires: Millis(0),
    };
    let graces = session::Model {
        id: "c".repeat(40),
        user_id: grace.id.clone(),
        active_expires: Millis(YEAR_2100),
        idle_expires: Millis(YEAR_2100),
    };
    for session in [&first, &second, &graces] {
        let inserted = session.clone().into_active_model().insert(&db).await;
        assert_eq!(inserted.expect("session is inserted"), *session);
    }

    let by_id = session::Entity::find_by_id(first.id.clone()).one(&db).await;
    assert_eq!(by_id.expect("select by id"), Some(first.clone()));
    let related = ada
        .find_related(session::Entity)
        .order_by_asc(session::Column::Id)
        .all(&db)
        .await;
    assert_eq!(
        related.expect("sessions of a user"),
        [first.clone(), second.clone()]
    );
    let filtered = session::Entity::find()
        .filter(session::Column::UserId.eq(grace.id.clone()))
        .all(&db)
        .await;
    assert_eq!(filtered.expect("sessions by user id"), [graces]);
    let owner = first.find_related(user::Entity).one(&db).await;
    assert_eq!(owner.expect("owner of a session"), Some(ada.clone()));
    let joined = session::Entity::find_by_id(second.id.clone())
        .find_also_related(user::Entity)
        .one(&db)
        .await;
    assert_eq!(joined.expect("session and user"), Some((second, Some(ada))));
}

async fn keys_round_trip_with_primary_flags_and_optional_passwords(db: DatabaseConnection) {
    let ada = insert_user(&db).await;
    let primary = key::Model {
        id: format!("email:{}@example.com", ada.id),
        user_id: ada.id.clone(),
        primary: true,
        hashed_password: Some(format!("s2:{}:{}", "s".repeat(16), "0f".repeat(64))),
    };
    let secondary = key::Model {
        id: format!("github:{}", ada.id),
        user_id: ada.id.clone(),
        primary: false,
        hashed_password: None,
    };
    for key in [&primary, &secondary] {
        let inserted = key.clone().into_active_model().insert(&db).await;
        assert_eq!(inserted.expect("key is inserted"), *key);
    }

    for key in [&primary, &secondary] {
        let by_id = key::Entity::find_by_id(key.id.clone()).one(&db).await;
        assert_eq!(by_id.expect("select by id"), Some(key.clone()));
    }
    let related = ada
        .find_related(key::Entity)
        .order_by_asc(key::Column::Id)
        .all(&db)
        .await;
    // `email:` sorts before `github:`.
    assert_eq!(
        related.expect("keys of a user"),
        [primary.clone(), secondary.clone()]
    );
    let non_primary = key::Entity::find()
        .filter(key::Column::UserId.eq(ada.id.clone()))
        .filter(key::Column::Primary.eq(false))
        .all(&db)
        .await;
    assert_eq!(non_primary.expect("non-primary keys"), [secondary]);
}

async fn a_key_password_can_be_removed_and_set_again(db: DatabaseConnection) {
    let ada = insert_user(&db).await;
    let key = key::Model {
        id: format!("email:{}@example.com", ada.id),
        user_id: ada.id.clone(),
        primary: true,
        hashed_password: Some("OLD".to_owned()),
    };
    key.clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("key is inserted");

    let mut change = key.clone().into_active_model();
    change.hashed_password = Set(None);
    let removed = change.update(&db).await.expect("password is removed");
    let without = key::Model {
        hashed_password: None,
        ..key.clone()
    };
    assert_eq!(removed, without);
    assert_eq!(find_key(&db, &key.id).await, Some(without.clone()));

    let mut change = without.into_active_model();
    change.hashed_password = Set(Some("NEW".to_owned()));
    change.update(&db).await.expect("password is set");
    let with_new = key::Model {
        hashed_password: Some("NEW".to_owned()),
        ..key.clone()
    };
    assert_eq!(find_key(&db, &key.id).await, Some(with_new));
}

async fn deleting_by_idle_expiry_removes_only_the_expired_sessions(db: DatabaseConnection) {
    let ada = insert_user(&db).await;
    let now = 1_700_000_000_000;
    let sessions = [("dead", now - 1), ("boundary", now), ("live", YEAR_2100)].map(|(id, idle)| {
        session::Model {
            id: id.to_owned(),
            user_id: ada.id.clone(),
            active_expires: Millis(0),
            idle_expires: Millis(idle),
        }
    });
    for session in &sessions {
        session
            .clone()
            .into_active_model()
            .insert(&db)
            .await
            .expect("session is inserted");
    }

    let deleted = session::Entity::delete_many()
        .filter(session::Column::IdleExpires.lt(Millis(now)))
        .exec(&db)
        .await
        .expect("expired sessions are deleted");

    assert_eq!(deleted.rows_affected, 1);
    let left = session::Entity::find()
        .order_by_asc(session::Column::Id)
        .all(&db)
        .await
        .expect("sessions");
    let [_, boundary, live] = sessions;
    assert_eq!(left, [boundary, live]);
}

async fn a_session_of_an_unknown_user_is_a_foreign_key_violation(db: DatabaseConnection) {
    let orphan = session::Model {
        id: "o".repeat(40),
        user_id: new_user_id(),
        active_expires: Millis(YEAR_2100),
        idle_expires: Millis(YEAR_2100),
    };

    let err = orphan
        .into_active_model()
        .insert(&db)
        .await
        .expect_err("a session needs its user");

    assert!(
        matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ),
        "{err:?}"
    );
    assert_eq!(session::Entity::find().count(&db).await.expect("count"), 0);
}

on_every_database!(Schema::Migrated =>
    a_user_round_trips_through_the_entity,
    sessions_round_trip_with_exact_expiry_values,
    keys_round_trip_with_primary_flags_and_optional_passwords,
    a_key_password_can_be_removed_and_set_again,
    deleting_by_idle_expiry_removes_only_the_expired_sessions,
    a_session_of_an_unknown_user_is_a_foreign_key_violation,
);

/// MariaDB outside strict mode would store the first 127 characters with a warning: a session
/// id that is not the one the caller holds.
#[tokio::test]
async fn mysql_refuses_a_session_id_longer_than_its_column_instead_of_truncating_it() {
    run(Backend::MySql, Schema::Migrated, |db| async move {
        let sql_mode: String = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT @@SESSION.sql_mode",
            ))
            .await
            .expect("sql_mode is readable")
            .expect("one row")
            .try_get_by_index(0)
            .expect("sql_mode is text");
        let modes: Vec<&str> = sql_mode.split(',').collect();
        assert!(
            modes.contains(&"STRICT_TRANS_TABLES") || modes.contains(&"STRICT_ALL_TABLES"),
            "sql_mode is {sql_mode}"
        );

        let ada = insert_user(&db).await;
        let session = |id: String| session::Model {
            id,
            user_id: ada.id.clone(),
            active_expires: Millis(YEAR_2100),
            idle_expires: Millis(YEAR_2100),
        };
        let too_long = session("x".repeat(128))
            .into_active_model()
            .insert(&db)
            .await;
        let err = too_long.expect_err("128 characters do not fit");
        assert!(
            err.to_string()
                .ends_with("1406 (22001): Data too long for column 'id' at row 1"),
            "{err}"
        );
        assert_eq!(session::Entity::find().count(&db).await.expect("count"), 0);

        let longest = session("y".repeat(127));
        let inserted = longest.clone().into_active_model().insert(&db).await;
        assert_eq!(inserted.expect("127 characters fit"), longest);
        assert_eq!(
            session::Entity::find().all(&db).await.expect("sessions"),
            [longest]
        );
    })
    .await;
}

async fn insert_user(db: &DatabaseConnection) -> user::Model {
    user::Model { id: new_user_id() }
        .into_active_model()
        .insert(db)
        .await
        .expect("user is inserted")
}

async fn find_user(db: &DatabaseConnection, id: &str) -> Option<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("select user by id")
}

async fn find_key(db: &DatabaseConnection, id: &str) -> Option<key::Model> {
    key::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("select key by id")
}
