//! The SQL of the statements made on every request, rendered once per adapter.
//!
//! Building a statement with sea-query and rendering it on every call took more CPU than the
//! rest of the call, the driver included (measured with `benches/adapter.rs`; for a one-row
//! delete on PostgreSQL, 9,400 of 43,400 instructions under callgrind): the reads by id, a new
//! session and the delete of one session (sign-in, renewal, sign-out) bind their values to SQL
//! rendered by SeaORM when the adapter is made, and so do the lists of a user's sessions and keys.

use lucia_sea_orm_auth::SessionRow;
use lucia_sea_orm_entity::{Millis, key, session, user};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DbBackend, EntityTrait, Insert, QueryFilter, QueryTrait, Select,
    Statement, Value, Values,
};

use crate::compare::equals;

/// Aliases of the session's columns in [`HotReads::session_and_user`], where every other column
/// is the user's; prefixed so that no application column of `user` can shadow them.
pub(crate) const ACTIVE_EXPIRES: &str = "lucia_session_active_expires";
pub(crate) const IDLE_EXPIRES: &str = "lucia_session_idle_expires";
/// Alias of the user id as text (PostgreSQL's column is a UUID).
pub(crate) const USER_ID: &str = "lucia_user_id";

/// The rendered SQL of the statements made on every request, for one backend.
pub(crate) struct HotStatements {
    backend: DbBackend,
    session_and_user: String,
    session: String,
    key: String,
    insert_session: String,
    delete_session: String,
    sessions_of_user: String,
    keys_of_user: String,
}

impl HotStatements {
    pub(crate) fn new(backend: DbBackend) -> Self {
        let placeholder = SessionRow {
            id: String::new(),
            user_id: String::new(),
            active_expires: 0,
            idle_expires: 0,
        };
        Self {
            backend,
            session_and_user: backend.build(&session_and_user(backend, "")).sql,
            session: session::Entity::find_by_id("").build(backend).sql,
            key: key::Entity::find_by_id("").build(backend).sql,
            insert_session: insert_session(&placeholder).build(backend).sql,
            delete_session: session::Entity::delete_many()
                .filter(session::Column::Id.eq(""))
                .build(backend)
                .sql,
            sessions_of_user: sessions_of_user(backend, "").build(backend).sql,
            keys_of_user: keys_of_user(backend, "").build(backend).sql,
        }
    }

    /// `SELECT` the session's expiries, the user id as text and `"user".*`, by session id.
    pub(crate) fn session_and_user(&self, session_id: &str) -> Statement {
        self.bind(&self.session_and_user, session_id)
    }

    /// `session::Entity::find_by_id(session_id)`.
    pub(crate) fn session(&self, session_id: &str) -> Statement {
        self.bind(&self.session, session_id)
    }

    /// `key::Entity::find_by_id(key_id)`.
    pub(crate) fn key(&self, key_id: &str) -> Statement {
        self.bind(&self.key, key_id)
    }

    /// `session::Entity::insert(session)`.
    pub(crate) fn insert_session(&self, session: &SessionRow) -> Statement {
        // In the order SeaORM binds them: the columns' order in the entity.
        let values = [
            session.id.as_str().into(),
            session.user_id.as_str().into(),
            Millis(session.active_expires).into(),
            Millis(session.idle_expires).into(),
        ];
        Statement {
            sql: self.insert_session.clone(),
            values: Some(Values(Vec::from(values))),
            db_backend: self.backend,
        }
    }

    /// `DELETE FROM session WHERE id = ?`.
    pub(crate) fn delete_session(&self, session_id: &str) -> Statement {
        self.bind(&self.delete_session, session_id)
    }

    /// `SELECT … FROM session WHERE user_id = ?`.
    pub(crate) fn sessions_of_user(&self, user_id: &str) -> Statement {
        self.bind(&self.sessions_of_user, user_id)
    }

    /// `SELECT … FROM key WHERE user_id = ?`.
    pub(crate) fn keys_of_user(&self, user_id: &str) -> Statement {
        self.bind(&self.keys_of_user, user_id)
    }

    fn bind(&self, sql: &str, id: &str) -> Statement {
        let value: Value = id.into();
        Statement::from_sql_and_values(self.backend, sql, [value])
    }
}

fn sessions_of_user(backend: DbBackend, user_id: &str) -> Select<session::Entity> {
    session::Entity::find().filter(equals(backend, session::Column::UserId, user_id))
}

fn keys_of_user(backend: DbBackend, user_id: &str) -> Select<key::Entity> {
    key::Entity::find().filter(equals(backend, key::Column::UserId, user_id))
}

/// `INSERT INTO session (id, user_id, active_expires, idle_expires) VALUES (…)`.
fn insert_session(session: &SessionRow) -> Insert<session::ActiveModel> {
    session::Entity::insert(session::ActiveModel {
        id: Set(session.id.clone()),
        user_id: Set(session.user_id.clone()),
        active_expires: Set(session.active_expires.into()),
        idle_expires: Set(session.idle_expires.into()),
    })
}

/// `SELECT session's expiries, user id, "user".* FROM session JOIN "user" … WHERE session.id = ?`
fn session_and_user(backend: DbBackend, session_id: &str) -> SelectStatement {
    Query::select()
        .expr_as(
            Expr::col((session::Entity, session::Column::ActiveExpires)),
            Alias::new(ACTIVE_EXPIRES),
        )
        .expr_as(
            Expr::col((session::Entity, session::Column::IdleExpires)),
            Alias::new(IDLE_EXPIRES),
        )
        .expr_as(
            user::Column::Id.select_as(Expr::col((user::Entity, user::Column::Id))),
            Alias::new(USER_ID),
        )
        .column((user::Entity, Asterisk))
        .from(session::Entity)
        .inner_join(
            user::Entity,
            Expr::col((session::Entity, session::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(equals(backend, session::Column::Id, session_id))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKENDS: [DbBackend; 3] = [DbBackend::Postgres, DbBackend::MySql, DbBackend::Sqlite];

    /// The rendered statements bind their values where SeaORM, building them on each call, would.
    #[test]
    fn rendered_statements_are_what_seaorm_builds() {
        let session = SessionRow {
            id: "s".repeat(40),
            user_id: "0b9f8c3e-6d2a-4f51-9a8e-2c1d7e5f4a3b".into(),
            active_expires: 1_700_000_000_000,
            idle_expires: 1_700_000_100_000,
        };
        for backend in BACKENDS {
            let hot = HotStatements::new(backend);
            assert_eq!(
                hot.insert_session(&session),
                insert_session(&session).build(backend)
            );
            assert_eq!(
                hot.delete_session(&session.id),
                session::Entity::delete_many()
                    .filter(session::Column::Id.eq(&session.id))
                    .build(backend)
            );
            assert_eq!(
                hot.session(&session.id),
                session::Entity::find_by_id(&session.id).build(backend)
            );
            assert_eq!(
                hot.sessions_of_user(&session.user_id),
                sessions_of_user(backend, &session.user_id).build(backend)
            );
            assert_eq!(
                hot.keys_of_user(&session.user_id),
                keys_of_user(backend, &session.user_id).build(backend)
            );
            assert_eq!(
                hot.key("email:ada@example.com"),
                key::Entity::find_by_id("email:ada@example.com").build(backend)
            );
            assert_eq!(
                hot.session_and_user(&session.id),
                backend.build(&session_and_user(backend, &session.id))
            );
        }
    }
}
