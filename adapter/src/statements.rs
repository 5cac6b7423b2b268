//! The SQL of the reads made on every request, rendered once per adapter.
//!
//! Building a statement with sea-query and rendering it on every call took more CPU than the
//! rest of the call, the driver included (measured with `benches/adapter.rs`): the hot reads bind
//! their one argument to SQL rendered when the adapter is made.

use lucia_sea_orm_entity::{key, session, user};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryTrait, Statement};

/// Aliases of the session's columns in [`HotReads::session_and_user`], where every other column
/// is the user's; prefixed so that no application column of `user` can shadow them.
pub(crate) const ACTIVE_EXPIRES: &str = "lucia_session_active_expires";
pub(crate) const IDLE_EXPIRES: &str = "lucia_session_idle_expires";
/// Alias of the user id as text (PostgreSQL's column is a UUID).
pub(crate) const USER_ID: &str = "lucia_user_id";

/// The rendered SQL of the reads by id, for one backend.
pub(crate) struct HotReads {
    backend: DbBackend,
    session_and_user: String,
    session: String,
    key: String,
}

impl HotReads {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            session_and_user: backend.build(&session_and_user()).sql,
            session: session::Entity::find_by_id("").build(backend).sql,
            key: key::Entity::find_by_id("").build(backend).sql,
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

    fn bind(&self, sql: &str, id: &str) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, [id.into()])
    }
}

/// `SELECT session's expiries, user id, "user".* FROM session JOIN "user" … WHERE session.id = ?`
fn session_and_user() -> SelectStatement {
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
        .and_where(session::Column::Id.eq(""))
        .to_owned()
}
