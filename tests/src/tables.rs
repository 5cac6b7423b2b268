//! Rows written and read straight from the tables, bypassing the adapter, so that tests set up
//! and check the database independently of the code under test.

use lucia_sea_orm_auth::{KeyRow, SessionRow, UserRow};
use lucia_sea_orm_entity::{key, session, user};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Set, TryGetable,
};
use serde::{Deserialize, Serialize};

/// The fixtures' application columns of `user` (see [`AddUsernameToUser`](crate::AddUsernameToUser)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Unique per user.
    pub username: String,
}

/// The time every fixture counts from, in milliseconds since the Unix epoch.
pub const NOW: i64 = 1_700_000_000_000;
const HOUR: i64 = 60 * 60 * 1000;

/// A fresh user id that every database accepts (a UUID).
pub fn new_user_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Inserts a user with a unique username.
pub async fn insert_user(db: &DatabaseConnection, username: &str) -> UserRow<Profile> {
    let id = new_user_id();
    let insert = Query::insert()
        .into_table(user::Entity)
        .columns([Alias::new("id"), Alias::new("username")])
        .values([
            user::Column::Id.save_as(Expr::val(&id)),
            Expr::val(username),
        ])
        .expect("two values for two columns")
        .to_owned();
    db.execute(&insert).await.expect("user inserted");
    UserRow {
        id,
        attributes: Profile {
            username: username.to_owned(),
        },
    }
}

/// Inserts a session of `user_id`, active for 8 hours from [`NOW`] and idle 24 more.
pub async fn insert_session(db: &DatabaseConnection, user_id: &str) -> SessionRow {
    let active_expires = NOW + 8 * HOUR;
    let session = SessionRow {
        id: format!("session-{}", uuid::Uuid::new_v4().simple()),
        user_id: user_id.to_owned(),
        active_expires,
        idle_expires: active_expires + 24 * HOUR,
    };
    insert_session_row(db, &session).await;
    session
}

/// Inserts `session` as it is.
pub async fn insert_session_row(db: &DatabaseConnection, session: &SessionRow) {
    session::Entity::insert(session::ActiveModel {
        id: Set(session.id.clone()),
        user_id: Set(session.user_id.clone()),
        active_expires: Set(session.active_expires.into()),
        idle_expires: Set(session.idle_expires.into()),
    })
    .exec_without_returning(db)
    .await
    .expect("session inserted");
}

/// Inserts the key `test:<username>@example.com` of `user`.
pub async fn insert_key(
    db: &DatabaseConnection,
    user: &UserRow<Profile>,
    primary: bool,
    hashed_password: Option<&str>,
) -> KeyRow {
    let key = KeyRow {
        id: format!("test:{}@example.com", user.attributes.username),
        user_id: user.id.clone(),
        primary,
        hashed_password: hashed_password.map(str::to_owned),
    };
    key::Entity::insert(key::ActiveModel {
        id: Set(key.id.clone()),
        user_id: Set(key.user_id.clone()),
        primary: Set(key.primary),
        hashed_password: Set(key.hashed_password.clone()),
    })
    .exec_without_returning(db)
    .await
    .expect("key inserted");
    key
}

/// Every row of `user` as `(id, username)`, ordered by id.
pub async fn users(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
    let select = Query::select()
        .expr_as(
            user::Column::Id.select_as(Expr::col(user::Column::Id)),
            Alias::new("id"),
        )
        .column(Alias::new("username"))
        .from(user::Entity)
        .order_by(user::Column::Id, sea_orm::Order::Asc)
        .to_owned();
    let rows = db.query_all(&select).await.expect("users read");
    rows.iter()
        .map(|row| {
            (
                String::try_get(row, "", "id").expect("id"),
                Option::<String>::try_get(row, "", "username").expect("username"),
            )
        })
        .collect()
}

/// Every row of `session`, ordered by id.
pub async fn sessions(db: &DatabaseConnection) -> Vec<SessionRow> {
    session::Entity::find()
        .order_by_asc(session::Column::Id)
        .all(db)
        .await
        .expect("sessions read")
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            user_id: s.user_id,
            active_expires: s.active_expires.0,
            idle_expires: s.idle_expires.0,
        })
        .collect()
}

/// Every row of `key`, ordered by id.
pub async fn keys(db: &DatabaseConnection) -> Vec<KeyRow> {
    key::Entity::find()
        .order_by_asc(key::Column::Id)
        .all(db)
        .await
        .expect("keys read")
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            user_id: k.user_id,
            primary: k.primary,
            hashed_password: k.hashed_password,
        })
        .collect()
}

/// The ids of every row of `session`, ordered.
pub async fn session_ids(db: &DatabaseConnection) -> Vec<String> {
    sessions(db).await.into_iter().map(|s| s.id).collect()
}

/// Whether `session` and `key` rows reference only existing users.
pub async fn no_orphans(db: &DatabaseConnection) -> bool {
    let users: Vec<String> = users(db).await.into_iter().map(|(id, _)| id).collect();
    sessions(db)
        .await
        .iter()
        .all(|s| users.contains(&s.user_id))
        && keys(db).await.iter().all(|k| users.contains(&k.user_id))
}
