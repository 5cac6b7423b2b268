//! Comparisons of a column with a bound value, written so that SQLite compiles the statement
//! once.
//!
//! SQLite built with `SQLITE_ENABLE_STAT4`, as sqlx bundles it, recompiles a prepared statement
//! before running it with a new value wherever, under the statistics that `ANALYZE` (or
//! `PRAGMA optimize`) gathered, the value might change the plan: in a join, against a column
//! whose index is not unique, in a range. For `get_session_and_user` that cost 86,000
//! instructions per call under callgrind, more than the rest of the call together. SQLite
//! cannot look into a scalar subquery while planning, so `column = (SELECT ?)` is compiled once,
//! with the same plan through the same index, and compares exactly as `column = ?` does: the
//! subquery's value has no affinity of its own, like the bare parameter. The other databases get
//! SeaORM's own comparison.
//!
//! Not for a list of values: in `column IN ((SELECT ?), …)` SQLite compares each row it scans
//! with each subquery in turn, where a plain list is searched, which for hundreds of ids costs
//! far more than the recompilation saved. The deletes of several sessions at once keep SeaORM's
//! `IN (?, …)`, recompiled per call; the lifecycle ends sessions one at a time.
//!
//! `tests/tests/sqlite_statements.rs` reads SQLite's recompile counts after `ANALYZE` and names
//! any statement of the adapter that needs these.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, DbBackend, Value};

/// `column = value`.
pub(crate) fn equals(backend: DbBackend, column: impl ColumnTrait, value: &str) -> Expr {
    Expr::col(column.as_column_ref()).eq(column.save_as(bound(backend, value)))
}

/// `column < millis`.
pub(crate) fn before(backend: DbBackend, column: impl ColumnTrait, millis: i64) -> Expr {
    Expr::col(column.as_column_ref()).lt(column.save_as(bound(backend, millis)))
}

/// The bound value, on SQLite as a scalar subquery.
fn bound(backend: DbBackend, value: impl Into<Value>) -> Expr {
    let value = Expr::val(value);
    match backend {
        DbBackend::Sqlite => Query::select().expr(value).to_owned().into(),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use lucia_sea_orm_entity::session;
    use sea_orm::{EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    #[test]
    fn other_databases_get_what_seaorm_writes() {
        for backend in [DbBackend::Postgres, DbBackend::MySql] {
            let ours = session::Entity::find()
                .filter(equals(backend, session::Column::UserId, "u"))
                .filter(before(backend, session::Column::IdleExpires, 7))
                .build(backend);
            let seaorm = session::Entity::find()
                .filter(session::Column::UserId.eq("u"))
                .filter(session::Column::IdleExpires.lt(7_i64))
                .build(backend);
            assert_eq!(ours, seaorm);
        }
    }

    #[test]
    fn sqlite_gets_each_value_in_a_subquery() {
        let statement = session::Entity::find()
            .filter(equals(DbBackend::Sqlite, session::Column::UserId, "u"))
            .filter(before(DbBackend::Sqlite, session::Column::IdleExpires, 7))
            .build(DbBackend::Sqlite);
        assert!(
            statement.sql.ends_with(
                r#"WHERE "session"."user_id" = ((SELECT ?)) AND "session"."idle_expires" < (SELECT ?)"#
            ),
            "{}",
            statement.sql
        );
        assert_eq!(
            statement.values.unwrap().0,
            [Value::from("u"), Value::from(7_i64)]
        );
    }
}
