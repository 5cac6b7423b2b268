//! The application's own columns of `user`, of the common column types, read back as what was
//! written through every read path, on every database.

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Auth, Error, SessionRow, UserRow};
use lucia_sea_orm_tests::on_every_database;
use lucia_sea_orm_tests::tables::{self, NOW, new_user_id};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Settings {
    theme: String,
    sizes: Vec<u16>,
}

/// One attribute per common column type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Account {
    username: String,
    email_verified: bool,
    age: i32,
    score: f64,
    nickname: Option<String>,
    /// A timestamp as RFC 3339 text.
    joined_at: String,
    /// A timestamp as Unix seconds.
    joined_unix: i64,
    settings: Settings,
}

/// Adds the columns of [`Account`] (beside `username`) in each database's own types.
async fn add_account_columns(db: &DatabaseConnection) {
    let statements: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres => &[
            r#"ALTER TABLE "user" ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false,
                ADD COLUMN age INTEGER NOT NULL DEFAULT 0,
                ADD COLUMN score DOUBLE PRECISION NOT NULL DEFAULT 0,
                ADD COLUMN nickname TEXT,
                ADD COLUMN joined_at TEXT NOT NULL DEFAULT '',
                ADD COLUMN joined_unix BIGINT NOT NULL DEFAULT 0,
                ADD COLUMN settings JSONB NOT NULL DEFAULT '{}'"#,
        ],
        DbBackend::MySql => &[
            "ALTER TABLE `user` ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false,
                ADD COLUMN age INT NOT NULL DEFAULT 0,
                ADD COLUMN score DOUBLE NOT NULL DEFAULT 0,
                ADD COLUMN nickname TEXT NULL,
                ADD COLUMN joined_at VARCHAR(64) NOT NULL DEFAULT '',
                ADD COLUMN joined_unix BIGINT NOT NULL DEFAULT 0,
                ADD COLUMN settings JSON NOT NULL DEFAULT '{}'",
        ],
        _ => &[
            r#"ALTER TABLE "user" ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false"#,
            r#"ALTER TABLE "user" ADD COLUMN age INTEGER NOT NULL DEFAULT 0"#,
            r#"ALTER TABLE "user" ADD COLUMN score REAL NOT NULL DEFAULT 0"#,
            r#"ALTER TABLE "user" ADD COLUMN nickname TEXT"#,
            r#"ALTER TABLE "user" ADD COLUMN joined_at TEXT NOT NULL DEFAULT ''"#,
            r#"ALTER TABLE "user" ADD COLUMN joined_unix INTEGER NOT NULL DEFAULT 0"#,
            r#"ALTER TABLE "user" ADD COLUMN settings JSON NOT NULL DEFAULT '{}'"#,
        ],
    };
    for statement in statements {
        db.execute_unprepared(statement)
            .await
            .expect("column added");
    }
}

fn account(username: &str, verified: bool, nickname: Option<&str>) -> Account {
    Account {
        username: username.to_owned(),
        email_verified: verified,
        age: -42,
        score: 0.125,
        nickname: nickname.map(str::to_owned),
        joined_at: "2026-11-28T20:35:26.485Z".to_owned(),
        joined_unix: 1_795_898_126,
        settings: Settings {
            theme: "dark".to_owned(),
            sizes: vec![1, 2, 65_535],
        },
    }
}

async fn attributes_of_common_column_types_read_back_as_written(db: DatabaseConnection) {
    add_account_columns(&db).await;
    let adapter = SeaOrmAdapter::<Account>::new(db.clone());
    for (username, verified, nickname) in [("ada", true, Some("Countess")), ("bob", false, None)] {
        let user = UserRow {
            id: new_user_id(),
            attributes: account(username, verified, nickname),
        };
        adapter.set_user(&user, None).await.unwrap();
        assert_eq!(
            adapter.get_user(&user.id).await.unwrap(),
            Some(user.clone())
        );

        let session = SessionRow {
            id: format!("session-{username}"),
            user_id: user.id.clone(),
            active_expires: NOW + 1,
            idle_expires: NOW + 2,
        };
        adapter.set_session(&session).await.unwrap();
        assert_eq!(
            adapter.get_session_and_user(&session.id).await.unwrap(),
            Some((session, user.clone()))
        );

        let flipped = adapter
            .update_user_attributes(
                &user.id,
                &json!({"email_verified": !verified, "nickname": null, "settings": {"theme": "light", "sizes": []}}),
            )
            .await
            .unwrap();
        let expected = Account {
            email_verified: !verified,
            nickname: None,
            settings: Settings {
                theme: "light".to_owned(),
                sizes: Vec::new(),
            },
            ..user.attributes.clone()
        };
        assert_eq!(flipped.attributes, expected);
        assert_eq!(
            adapter
                .get_user(&user.id)
                .await
                .unwrap()
                .unwrap()
                .attributes,
            expected
        );
    }
}

async fn sign_in_works_with_a_boolean_attribute_column(db: DatabaseConnection) {
    add_account_columns(&db).await;
    let auth = Auth::builder(SeaOrmAdapter::<Account>::new(db.clone())).build();
    let user = auth
        .create_user(account("ada", true, None), None)
        .await
        .unwrap();
    let session = auth.create_session(&user.id).await.unwrap();
    let (_, signed_in) = auth.validate_session_user(&session.id).await.unwrap();
    assert!(signed_in.attributes.email_verified);
}

async fn an_integer_above_i64_max_is_a_typed_error_and_nothing_is_written(db: DatabaseConnection) {
    let adapter = SeaOrmAdapter::<serde_json::Value>::new(db.clone());
    let user = UserRow {
        id: new_user_id(),
        attributes: json!({"username": u64::MAX}),
    };
    assert!(matches!(
        adapter.set_user(&user, None).await,
        Err(Error::Attributes(_))
    ));
    assert!(tables::users(&db).await.is_empty());

    let stored = UserRow {
        id: new_user_id(),
        attributes: json!({"username": "ada"}),
    };
    adapter.set_user(&stored, None).await.unwrap();
    assert!(matches!(
        adapter
            .update_user_attributes(&stored.id, &json!({"username": u64::MAX}))
            .await,
        Err(Error::Attributes(_))
    ));
    assert_eq!(
        tables::users(&db).await,
        [(stored.id.clone(), Some("ada".to_owned()))]
    );
}

on_every_database!(Schema::Migrated =>
    attributes_of_common_column_types_read_back_as_written,
    sign_in_works_with_a_boolean_attribute_column,
    an_integer_above_i64_max_is_a_typed_error_and_nothing_is_written,
);
