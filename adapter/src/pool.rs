//! Statements outside a caller's transaction, run on the sqlx pool beneath SeaORM's
//! [`DatabaseConnection`].
//!
//! `DatabaseConnection` runs every statement through one future sized for its largest backend
//! (9,000 bytes on PostgreSQL, 7,464 on MySQL, 3,424 on SQLite), and SeaORM moves it three
//! times per statement: under `valgrind --tool=callgrind`, 27,000 of the 62,700 instructions of
//! a `get_key` on PostgreSQL were those copies, where hand-written sqlx takes 33,500 for the
//! whole call (`benches/instructions.rs`). The adapter hands the same SQL, values and rows to
//! sqlx as SeaORM does (`sea-query-sqlx`'s arguments, SeaORM's `QueryResult`), minus the copies.

use sea_orm::sqlx::{self, MySqlPool, PgPool, SqlitePool};
use sea_orm::{
    ConnAcquireErr, DatabaseConnection, DatabaseConnectionType, DbErr, QueryResult, RuntimeErr,
    Statement, Values,
};
use sea_query_sqlx::SqlxValues;

/// `$body` with `$pool` bound to the pool, whichever backend it is: the same sqlx calls,
/// compiled once for each backend's types.
macro_rules! on_each_backend {
    ($pool:expr, $name:ident => $body:expr) => {
        match $pool {
            Pool::Postgres($name) => $body,
            Pool::MySql($name) => $body,
            Pool::Sqlite($name) => $body,
        }
    };
}

/// The sqlx pool of a SeaORM connection.
#[derive(Clone)]
pub(crate) enum Pool {
    Postgres(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

impl Pool {
    /// The pool beneath `connection`; `None` for SeaORM's other connections (mock, proxy,
    /// rusqlite), which the adapter then runs through SeaORM.
    pub(crate) fn of(connection: &DatabaseConnection) -> Option<Self> {
        match &connection.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => Some(Self::Postgres(
                connection.get_postgres_connection_pool().clone(),
            )),
            DatabaseConnectionType::SqlxMySqlPoolConnection(_) => {
                Some(Self::MySql(connection.get_mysql_connection_pool().clone()))
            }
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => Some(Self::Sqlite(
                connection.get_sqlite_connection_pool().clone(),
            )),
            _ => None,
        }
    }

    /// The first row `statement` returns, if any.
    pub(crate) async fn fetch_optional(
        &self,
        statement: Statement,
    ) -> Result<Option<QueryResult>, DbErr> {
        let (sql, values) = parts(statement);
        on_each_backend!(self, pool => sqlx::query_with(sql, values)
            .fetch_optional(pool)
            .await
            .map(|row| row.map(QueryResult::from)))
        .map_err(|err| error(err, DbErr::Query))
    }

    /// Every row `statement` returns.
    pub(crate) async fn fetch_all(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let (sql, values) = parts(statement);
        on_each_backend!(self, pool => sqlx::query_with(sql, values)
            .fetch_all(pool)
            .await
            .map(|rows| rows.into_iter().map(QueryResult::from).collect()))
        .map_err(|err| error(err, DbErr::Query))
    }

    /// Runs `statement` and returns how many rows it changed.
    pub(crate) async fn execute(&self, statement: Statement) -> Result<u64, DbErr> {
        let (sql, values) = parts(statement);
        on_each_backend!(self, pool => sqlx::query_with(sql, values)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(|err| error(err, DbErr::Exec))
    }

    /// Runs `statements` in one transaction and commits it. SQLite's begins with
    /// `BEGIN IMMEDIATE`, so that concurrent writers wait for the write lock instead of failing
    /// when their read lock cannot be upgraded. On a failed statement the transaction is rolled
    /// back and the error comes with the statement's index.
    pub(crate) async fn transaction(
        &self,
        statements: Vec<Statement>,
    ) -> Result<(), TransactionFailure> {
        let immediate = matches!(self, Self::Sqlite(_));
        on_each_backend!(self, pool => {
            let begun = if immediate {
                pool.begin_with("BEGIN IMMEDIATE").await
            } else {
                pool.begin().await
            };
            let mut transaction =
                begun.map_err(|err| TransactionFailure::Transaction(error(err, DbErr::Exec)))?;
            for (index, statement) in statements.into_iter().enumerate() {
                let (sql, values) = parts(statement);
                if let Err(err) = sqlx::query_with(sql, values).execute(&mut *transaction).await {
                    // The statement's error is the one that explains; a failed rollback means
                    // the connection is gone, and the transaction with it.
                    let _ = transaction.rollback().await;
                    return Err(TransactionFailure::Statement(index, error(err, DbErr::Exec)));
                }
            }
            transaction
                .commit()
                .await
                .map_err(|err| TransactionFailure::Transaction(error(err, DbErr::Exec)))
        })
    }
}

/// Why a [`Pool::transaction`] failed.
pub(crate) enum TransactionFailure {
    /// The statement at this index failed.
    Statement(usize, DbErr),
    /// Beginning or committing the transaction failed.
    Transaction(DbErr),
}

fn parts(statement: Statement) -> (sqlx::AssertSqlSafe<String>, SqlxValues) {
    (
        sqlx::AssertSqlSafe(statement.sql),
        SqlxValues(statement.values.unwrap_or(Values(Vec::new()))),
    )
}

/// The [`DbErr`] SeaORM makes of the same failure, so that callers (and `DbErr::sql_err`) see
/// no difference: a full or closed pool is `ConnectionAcquire`, anything else `kind`.
fn error(err: sqlx::Error, kind: fn(RuntimeErr) -> DbErr) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        err => kind(RuntimeErr::SqlxError(err.into())),
    }
}
