//! The Lucia auth [`Adapter`] over SeaORM: users, sessions and keys on PostgreSQL, MySQL/MariaDB
//! and SQLite, with the tables of `lucia-sea-orm-migration`.
//!
//! The backend is read from the connection. The same adapter runs inside a caller's
//! transaction ([`SeaOrmAdapter::within`]): the rows it writes commit or roll back with the
//! caller's other work.
//!
//! ```
//! use lucia_sea_orm_adapter::SeaOrmAdapter;
//! use lucia_sea_orm_auth::{Adapter, KeyRow, UserRow};
//! use lucia_sea_orm_migration::{Migrator, MigratorTrait};
//! use serde::{Deserialize, Serialize};
//!
//! /// The application's own columns of `user` (none here).
//! #[derive(Serialize, Deserialize)]
//! struct Profile {}
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! Migrator::up(&db, None).await?;
//! let adapter = SeaOrmAdapter::<Profile>::new(db);
//!
//! let user = UserRow { id: "0b9f8c3e-6d2a-4f51-9a8e-2c1d7e5f4a3b".into(), attributes: Profile {} };
//! let key = KeyRow {
//!     id: "email:ada@example.com".into(),
//!     user_id: user.id.clone(),
//!     primary: true,
//!     hashed_password: None,
//! };
//! adapter.set_user(&user, Some(&key)).await?;
//! assert_eq!(adapter.get_key("email:ada@example.com").await?, Some(key));
//! # Ok(())
//! # }
//! ```
//!
//! # Attributes: your columns of `user`
//!
//! `A` is a serde type for the application's own columns of `user` (`()` when there are none).
//! The rules, as in the README:
//!
//! - **Attributes.** Each field of `A` is the column of the same name: `set_user` inserts them,
//!   `get_user` and `get_session_and_user` read every column of `user` back into `A`, and
//!   `update_user_attributes(id, &patch)` updates the fields `patch` has (pass `A` itself, or any
//!   serde type with some of its fields, such as `serde_json::json!({"username": "new"})`). A field
//!   named `id` is refused. On PostgreSQL, text values go into text columns, numbers into numeric
//!   ones, booleans into booleans, nested values into `json`/`jsonb`; a column of another type (a
//!   timestamp, an enum) needs a serde representation its parameter type converts to implicitly.
//!   Values read back as written on every database: a `bool` field reads MySQL/MariaDB's
//!   `BOOLEAN` (`TINYINT(1)`, `0`/`1`) as a boolean, and a nested field reads MariaDB's `JSON` and
//!   SQLite's JSON-in-`TEXT` columns back into the nested value. Integers above `i64::MAX` are
//!   refused with `Attributes` (PostgreSQL and SQLite cannot store them).
//!
//! A unique violation on one of your columns (a taken username) is [`Error::Database`], not a
//! duplicate id.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attributes;
mod columns;
mod compare;
mod error;
mod lenient;
mod pool;
mod retry;
mod statements;

use std::marker::PhantomData;
use std::sync::Arc;

use lucia_sea_orm_auth::{Adapter, Error, KeyRow, Result, SessionRow, UserRow, ValueProblem};
use lucia_sea_orm_entity::{key, session, user};
use sea_orm::sea_query::{Asterisk, Expr, InsertStatement, IntoIden, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseExecutor,
    DatabaseTransaction, DbBackend, DbErr, DeleteMany, EntityTrait, FromQueryResult, JsonValue,
    QueryFilter, QueryResult, QueryTrait, SqlErr, SqliteTransactionMode, Statement,
    StatementBuilder, TransactionOptions, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::columns::{Column, Columns};
use crate::compare::{before, equals};
use crate::error::{database, insert_error};
use crate::pool::{Pool, TransactionFailure};
use crate::retry::retry_deadlocks;
use crate::statements::{ACTIVE_EXPIRES, HotStatements, IDLE_EXPIRES, USER_ID};

/// A Lucia [`Adapter`] over a SeaORM connection `C` for users whose own columns are `A`.
///
/// Made with [`new`](Self::new) over a [`DatabaseConnection`] (a pool), or with
/// [`within`](SeaOrmAdapter::within) over a caller's transaction. The adapter keeps no state but
/// the connection.
pub struct SeaOrmAdapter<A, C = DatabaseConnection> {
    connection: C,
    columns: Columns,
    statements: Arc<HotStatements>,
    /// The sqlx pool beneath a SeaORM pool, which runs the statements made outside a transaction
    /// (`src/pool.rs` says why); `None` inside a caller's transaction.
    pool: Option<Pool>,
    /// Whether the adapter runs inside a caller's transaction: its writes are then savepoints,
    /// and a deadlock victim is not run again (MySQL has already rolled back the caller's work
    /// too).
    in_caller_transaction: bool,
    attributes: PhantomData<fn() -> A>,
}

impl<A> SeaOrmAdapter<A> {
    /// An adapter over a connection pool, for the database it is connected to.
    ///
    /// Outside a transaction the adapter hands its statements to the sqlx pool beneath
    /// `connection` (the SQL, values and row decoding are SeaORM's): SeaORM's own dispatch
    /// costs more CPU than the rest of a read by id. Those statements therefore do not reach a
    /// [`DatabaseConnection::set_metric_callback`] callback or SeaORM's `tracing` spans, and
    /// neither does the transaction of [`set_user`](Adapter::set_user); the adapter's other
    /// transactions, and everything inside [`within`](SeaOrmAdapter::within), still go through
    /// SeaORM.
    pub fn new(connection: DatabaseConnection) -> Self {
        let pool = Pool::of(&connection);
        Self::over(connection, pool, false)
    }
}

impl<'c, A> SeaOrmAdapter<A, DatabaseExecutor<'c>> {
    /// An adapter whose reads and writes are part of `transaction`: they commit or roll back
    /// with the caller's other work. Its own transactions (`set_user` with a key, the atomic
    /// updates) are savepoints in it.
    pub fn within(transaction: &'c DatabaseTransaction) -> Self {
        Self::over(DatabaseExecutor::from(transaction), None, true)
    }
}

impl<A, C: ConnectionTrait> SeaOrmAdapter<A, C> {
    fn over(connection: C, pool: Option<Pool>, in_caller_transaction: bool) -> Self {
        let backend = connection.get_database_backend();
        Self {
            connection,
            columns: Columns::new(backend),
            statements: Arc::new(HotStatements::new(backend)),
            pool,
            in_caller_transaction,
            attributes: PhantomData,
        }
    }

    /// The connection the adapter runs on.
    pub fn connection(&self) -> &C {
        &self.connection
    }
}

/// Shows the backend and whether the adapter runs inside a caller's transaction, never the
/// connection: a pool's `Debug` includes its connect options, password and all.
impl<A, C: ConnectionTrait> std::fmt::Debug for SeaOrmAdapter<A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaOrmAdapter")
            .field("backend", &self.connection.get_database_backend())
            .field("within_transaction", &self.in_caller_transaction)
            .finish_non_exhaustive()
    }
}

impl<A, C: Clone> Clone for SeaOrmAdapter<A, C> {
    fn clone(&self) -> Self {
        Self {
            connection: self.connection.clone(),
            columns: self.columns,
            statements: Arc::clone(&self.statements),
            pool: self.pool.clone(),
            in_caller_transaction: self.in_caller_transaction,
            attributes: PhantomData,
        }
    }
}

impl<A, C> Adapter for SeaOrmAdapter<A, C>
where
    A: Serialize + DeserializeOwned + Send + Sync,
    C: ConnectionTrait + TransactionTrait + Send + Sync,
{
    type Attributes = A;

    async fn get_user(&self, user_id: &str) -> Result<Option<UserRow<A>>> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(None);
        }
        user_from_row(self.query_one(self.user_select(user_id)).await?)
    }

    async fn set_user(&self, user: &UserRow<A>, key: Option<&KeyRow>) -> Result<()> {
        self.columns.check(Column::UserId, &user.id)?;
        if let Some(key) = key {
            if key.user_id != user.id {
                return Err(Error::KeyBelongsToAnotherUser {
                    user_id: user.id.clone(),
                    key_user_id: key.user_id.clone(),
                });
            }
            self.check_new_key(key)?;
        }
        let mut columns = vec![user::Column::Id.into_iden()];
        let mut values = vec![user::Column::Id.save_as(Expr::val(&user.id))];
        for (column, value) in attributes::to_columns(&user.attributes)? {
            columns.push(column.into_iden());
            values.push(value);
        }
        let mut insert = Query::insert();
        insert.into_table(user::Entity).columns(columns);
        insert
            .values(values)
            .map_err(|err| Error::Database(Box::new(err)))?;

        if let Some(pool) = &self.pool {
            let mut statements = vec![self.build(&insert)];
            statements.extend(key.map(|key| self.build(&key_insert(key))));
            return retry_deadlocks(true, || async {
                match pool.transaction(statements.clone()).await {
                    Ok(()) => Ok(()),
                    Err(TransactionFailure::Statement(0, err)) => {
                        Err(self.user_insert_error(err, &user.id).await)
                    }
                    Err(TransactionFailure::Statement(_, err)) => {
                        Err(insert_error(err, Error::DuplicateKeyId))
                    }
                    Err(TransactionFailure::Transaction(err)) => Err(database(err)),
                }
            })
            .await;
        }
        retry_deadlocks(!self.in_caller_transaction, || async {
            let transaction = self.begin().await?;
            if let Err(err) = transaction.execute(&insert).await {
                // The insert's error is the one that explains; a failed rollback only means the
                // connection is gone as well, and the transaction then ends with it.
                let _ = transaction.rollback().await;
                return Err(self.user_insert_error(err, &user.id).await);
            }
            if let Some(key) = key {
                transaction
                    .execute(&key_insert(key))
                    .await
                    .map_err(|err| insert_error(err, Error::DuplicateKeyId))?;
            }
            transaction.commit().await.map_err(database)
        })
        .await
    }

    async fn update_user_attributes<P: Serialize + Sync>(
        &self,
        user_id: &str,
        patch: &P,
    ) -> Result<UserRow<A>> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Err(Error::InvalidUserId);
        }
        let changes = attributes::to_columns(patch)?;
        let update = (!changes.is_empty()).then(|| {
            Query::update()
                .table(user::Entity)
                .values(
                    changes
                        .into_iter()
                        .map(|(column, value)| (column.into_iden(), value)),
                )
                .and_where(user::Column::Id.eq(user_id))
                .to_owned()
        });

        retry_deadlocks(!self.in_caller_transaction, || async {
            // MySQL has no UPDATE … RETURNING: the update and the read share a transaction so the
            // row returned is the row written.
            let transaction = self.begin().await?;
            if let Some(update) = &update {
                transaction.execute(update).await.map_err(database)?;
            }
            let row = transaction
                .query_one_raw(self.user_select(user_id))
                .await
                .map_err(database)?;
            let user = user_from_row(row)?.ok_or(Error::InvalidUserId)?;
            transaction.commit().await.map_err(database)?;
            Ok(user)
        })
        .await
    }

    async fn delete_user(&self, user_id: &str) -> Result<()> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(());
        }
        let user = user::Entity::delete_many().filter(user::Column::Id.eq(user_id));
        self.delete(user).await.map(drop)
    }

    async fn delete_user_with_sessions_and_keys(&self, user_id: &str) -> Result<()> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(());
        }

        retry_deadlocks(!self.in_caller_transaction, || async {
            let transaction = self.begin().await?;
            // Locking the user first makes a concurrent `set_session`/`set_key` for it wait for us
            // and then fail its foreign-key check, instead of slipping a row in between our deletes
            // and making the last one fail. (SQLite writers are serialised anyway.)
            let lock = Query::select()
                .column(user::Column::Id)
                .from(user::Entity)
                .and_where(user::Column::Id.eq(user_id))
                .lock(LockType::Update)
                .to_owned();
            if transaction
                .query_one(&lock)
                .await
                .map_err(database)?
                .is_none()
            {
                return Ok(());
            }
            session::Entity::delete_many()
                .filter(equals(self.backend(), session::Column::UserId, user_id))
                .exec(&transaction)
                .await
                .map_err(database)?;
            key::Entity::delete_many()
                .filter(equals(self.backend(), key::Column::UserId, user_id))
                .exec(&transaction)
                .await
                .map_err(database)?;
            user::Entity::delete_by_id(user_id)
                .exec(&transaction)
                .await
                .map_err(database)?;
            transaction.commit().await.map_err(database)
        })
        .await
    }

    async fn get_session(&self, session_id: &str) -> Result<Option<SessionRow>> {
        if !self.columns.can_hold(Column::SessionId, session_id) {
            return Ok(None);
        }
        let row = self.query_one(self.statements.session(session_id)).await?;
        row.map(|row| decode(&row, session_row)).transpose()
    }

    async fn get_sessions_by_user_id(&self, user_id: &str) -> Result<Vec<SessionRow>> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(Vec::new());
        }
        let rows = self
            .query_all(self.statements.sessions_of_user(user_id))
            .await?;
        rows.iter().map(|row| decode(row, session_row)).collect()
    }

    async fn set_session(&self, session: &SessionRow) -> Result<()> {
        self.columns.check(Column::SessionId, &session.id)?;
        self.columns
            .check_expiry("session.active_expires", session.active_expires)?;
        self.columns
            .check_expiry("session.idle_expires", session.idle_expires)?;
        if session.idle_expires < session.active_expires {
            return Err(Error::InvalidValue {
                column: "session.idle_expires",
                problem: ValueProblem::BeforeActiveExpires,
            });
        }
        if !self.columns.can_hold(Column::UserId, &session.user_id) {
            return Err(Error::InvalidUserId);
        }
        let insert = self.statements.insert_session(session);
        self.write(insert, |err| insert_error(err, Error::DuplicateSessionId))
            .await
            .map(drop)
    }

    async fn expire_idle_session(&self, session_id: &str, now: i64, expires: i64) -> Result<bool> {
        self.columns.check_expiry("session.idle_expires", expires)?;
        if !self.columns.can_hold(Column::SessionId, session_id) {
            return Ok(false);
        }
        let expire = session::Entity::update_many()
            .col_expr(session::Column::ActiveExpires, Expr::val(expires))
            .col_expr(session::Column::IdleExpires, Expr::val(expires))
            .filter(session::Column::Id.eq(session_id))
            .filter(session::Column::ActiveExpires.lt(now))
            .filter(session::Column::IdleExpires.gte(now))
            .into_query();
        Ok(self.write(self.build(&expire), database).await? == 1)
    }

    async fn delete_sessions(&self, session_ids: &[&str]) -> Result<u64> {
        let ids: Vec<&str> = session_ids
            .iter()
            .filter(|id| self.columns.can_hold(Column::SessionId, id))
            .copied()
            .collect();
        let mut deletes: Vec<Statement> = match ids.as_slice() {
            // Sign-out and renewal: one id, on every request that ends a session.
            [id] => vec![self.statements.delete_session(id)],
            _ => ids
                .chunks(IDS_PER_STATEMENT)
                .map(|chunk| {
                    self.build(
                        &session::Entity::delete_many()
                            .filter(session::Column::Id.is_in(chunk.iter().copied()))
                            .into_query(),
                    )
                })
                .collect(),
        };
        match deletes.len() {
            0 => Ok(0),
            1 => self.write(deletes.remove(0), database).await,
            // All or nothing, like a single statement.
            _ => {
                retry_deadlocks(!self.in_caller_transaction, || async {
                    let transaction = self.begin().await?;
                    let mut deleted = 0;
                    for delete in &deletes {
                        deleted += transaction
                            .execute_raw(delete.clone())
                            .await
                            .map_err(database)?
                            .rows_affected();
                    }
                    transaction.commit().await.map_err(database)?;
                    Ok(deleted)
                })
                .await
            }
        }
    }

    async fn delete_sessions_by_user_id(&self, user_id: &str) -> Result<()> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(());
        }
        let sessions = session::Entity::delete_many().filter(equals(
            self.backend(),
            session::Column::UserId,
            user_id,
        ));
        self.delete(sessions).await.map(drop)
    }

    async fn delete_dead_sessions_by_user_id(&self, user_id: &str, now: i64) -> Result<u64> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(0);
        }
        let dead = session::Entity::delete_many()
            .filter(equals(self.backend(), session::Column::UserId, user_id))
            .filter(before(self.backend(), session::Column::IdleExpires, now));
        self.delete(dead).await
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let expired = session::Entity::delete_many().filter(before(
            self.backend(),
            session::Column::IdleExpires,
            now,
        ));
        self.delete(expired).await
    }

    async fn get_session_and_user(
        &self,
        session_id: &str,
    ) -> Result<Option<(SessionRow, UserRow<A>)>> {
        if !self.columns.can_hold(Column::SessionId, session_id) {
            return Ok(None);
        }
        let row = self
            .query_one(self.statements.session_and_user(session_id))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let active_expires: lucia_sea_orm_entity::Millis =
            row.try_get("", ACTIVE_EXPIRES).map_err(database)?;
        let idle_expires: lucia_sea_orm_entity::Millis =
            row.try_get("", IDLE_EXPIRES).map_err(database)?;
        let user = UserRow {
            id: row.try_get("", USER_ID).map_err(database)?,
            attributes: attributes::from_joined_row(
                &row,
                &[ACTIVE_EXPIRES, IDLE_EXPIRES, USER_ID],
            )?,
        };
        let session = SessionRow {
            id: session_id.to_owned(),
            user_id: user.id.clone(),
            active_expires: active_expires.0,
            idle_expires: idle_expires.0,
        };
        Ok(Some((session, user)))
    }

    async fn get_key(&self, key_id: &str) -> Result<Option<KeyRow>> {
        if !self.columns.can_hold(Column::KeyId, key_id) {
            return Ok(None);
        }
        let row = self.query_one(self.statements.key(key_id)).await?;
        row.map(|row| decode(&row, key_row)).transpose()
    }

    async fn get_keys_by_user_id(&self, user_id: &str) -> Result<Vec<KeyRow>> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(Vec::new());
        }
        let rows = self
            .query_all(self.statements.keys_of_user(user_id))
            .await?;
        rows.iter().map(|row| decode(row, key_row)).collect()
    }

    async fn set_key(&self, key: &KeyRow) -> Result<()> {
        self.check_new_key(key)?;
        if !self.columns.can_hold(Column::UserId, &key.user_id) {
            return Err(Error::InvalidUserId);
        }

        self.write(self.build(&key_insert(key)), |err| {
            insert_error(err, Error::DuplicateKeyId)
        })
        .await
        .map(drop)
    }

    async fn replace_key_password(&self, key_id: &str, current: &str, new: &str) -> Result<bool> {
        self.columns.check(Column::HashedPassword, new)?;
        if !self.columns.can_hold(Column::KeyId, key_id) {
            return Ok(false);
        }
        let replace = key::Entity::update_many()
            .col_expr(key::Column::HashedPassword, Expr::val(new))
            .filter(key::Column::Id.eq(key_id))
            .filter(key::Column::HashedPassword.eq(current))
            .into_query();
        Ok(self.write(self.build(&replace), database).await? == 1)
    }

    async fn update_key_password(
        &self,
        key_id: &str,
        hashed_password: Option<&str>,
    ) -> Result<KeyRow> {
        if !self.columns.can_hold(Column::KeyId, key_id) {
            return Err(Error::InvalidKeyId);
        }
        if let Some(hash) = hashed_password {
            self.columns.check(Column::HashedPassword, hash)?;
        }

        retry_deadlocks(!self.in_caller_transaction, || async {
            // As for user attributes: no UPDATE … RETURNING on MySQL, so one transaction.
            let transaction = self.begin().await?;
            key::Entity::update_many()
                .col_expr(key::Column::HashedPassword, Expr::val(hashed_password))
                .filter(key::Column::Id.eq(key_id))
                .exec(&transaction)
                .await
                .map_err(database)?;
            // The statement of `get_key`: `find_by_id(…).one(…)` binds its `LIMIT`, and SQLite
            // recompiles a statement with a bound `LIMIT` on each call.
            let key = transaction
                .query_one_raw(self.statements.key(key_id))
                .await
                .map_err(database)?
                .ok_or(Error::InvalidKeyId)?;
            transaction.commit().await.map_err(database)?;
            decode(&key, key_row)
        })
        .await
    }

    async fn delete_non_primary_key(&self, key_id: &str) -> Result<()> {
        if !self.columns.can_hold(Column::KeyId, key_id) {
            return Ok(());
        }
        let key = key::Entity::delete_many()
            .filter(key::Column::Id.eq(key_id))
            .filter(key::Column::Primary.eq(false));
        self.delete(key).await.map(drop)
    }

    async fn delete_keys_by_user_id(&self, user_id: &str) -> Result<()> {
        if !self.columns.can_hold(Column::UserId, user_id) {
            return Ok(());
        }
        let keys =
            key::Entity::delete_many().filter(equals(self.backend(), key::Column::UserId, user_id));
        self.delete(keys).await.map(drop)
    }
}

/// How many ids one statement binds at most: below every database's limit on bound parameters
/// (SQLite's can be as low as 999).
const IDS_PER_STATEMENT: usize = 900;

impl<A, C: ConnectionTrait + TransactionTrait> SeaOrmAdapter<A, C> {
    /// The error of a failed insert into `user`. A unique violation is a duplicate user id only
    /// if that id is taken: it may be an application's own unique column (a username), and
    /// when both clash SQLite names the username's index, PostgreSQL and MySQL the primary key.
    async fn user_insert_error(&self, err: DbErr, user_id: &str) -> Error {
        if !matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return database(err);
        }
        match user::Entity::find_by_id(user_id)
            .one(&self.connection)
            .await
        {
            Ok(Some(_)) => Error::DuplicateUserId,
            _ => database(err),
        }
    }

    /// Runs a `DELETE` and returns how many rows it deleted.
    async fn delete<E: EntityTrait>(&self, delete: DeleteMany<E>) -> Result<u64> {
        self.write(self.build(&delete.into_query()), database).await
    }

    /// Runs one writing statement and returns how many rows it changed, with `error` saying
    /// what its failure means. On the pool, a deadlock victim is run again. Inside a caller's
    /// transaction it runs in a savepoint, so that a failure (a taken id, say) leaves the
    /// caller's transaction usable: PostgreSQL would otherwise refuse every later statement of
    /// it, and its commit would silently roll back.
    async fn write(&self, statement: Statement, error: impl Fn(DbErr) -> Error) -> Result<u64> {
        if !self.in_caller_transaction {
            return retry_deadlocks(true, || async {
                let changed = match &self.pool {
                    Some(pool) => pool.execute(statement.clone()).await,
                    None => (self.connection.execute_raw(statement.clone()).await)
                        .map(|done| done.rows_affected()),
                };
                changed.map_err(&error)
            })
            .await;
        }
        let savepoint = self.begin().await?;
        match savepoint.execute_raw(statement).await {
            Ok(done) => {
                savepoint.commit().await.map_err(database)?;
                Ok(done.rows_affected())
            }
            Err(err) => {
                // The statement's error is the one that explains; a failed rollback means the
                // connection is gone, and the caller's transaction with it.
                let _ = savepoint.rollback().await;
                Err(error(err))
            }
        }
    }

    /// The first row of `statement`: on the sqlx pool when there is one, else through SeaORM.
    async fn query_one(&self, statement: Statement) -> Result<Option<QueryResult>> {
        match &self.pool {
            Some(pool) => pool.fetch_optional(statement).await,
            None => self.connection.query_one_raw(statement).await,
        }
        .map_err(database)
    }

    /// Every row of `statement`, like [`Self::query_one`].
    async fn query_all(&self, statement: Statement) -> Result<Vec<QueryResult>> {
        match &self.pool {
            Some(pool) => pool.fetch_all(statement).await,
            None => self.connection.query_all_raw(statement).await,
        }
        .map_err(database)
    }

    /// `SELECT * FROM "user" WHERE id = ?`: our column and the application's.
    fn user_select(&self, user_id: &str) -> Statement {
        let select = Query::select()
            .column(Asterisk)
            .from(user::Entity)
            .and_where(user::Column::Id.eq(user_id))
            .to_owned();
        self.build(&select)
    }

    /// `statement` for the adapter's database.
    fn build(&self, statement: &impl StatementBuilder) -> Statement {
        self.backend().build(statement)
    }

    fn backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    /// Starts a transaction of the adapter's own (a savepoint inside a caller's transaction).
    /// On SQLite it takes the write lock at once: a transaction that reads first and writes
    /// later cannot upgrade its lock while another connection writes, and fails with "database
    /// is locked" instead of waiting its turn.
    async fn begin(&self) -> Result<<C as TransactionTrait>::Transaction>
    where
        C: TransactionTrait,
    {
        self.connection
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(database)
    }

    fn check_new_key(&self, key: &KeyRow) -> Result<()> {
        self.columns.check(Column::KeyId, &key.id)?;
        match &key.hashed_password {
            Some(hash) => self.columns.check(Column::HashedPassword, hash),
            None => Ok(()),
        }
    }
}

/// The user in a row of [`SeaOrmAdapter::user_select`].
fn user_from_row<A: DeserializeOwned>(row: Option<QueryResult>) -> Result<Option<UserRow<A>>> {
    row.map(|row| {
        JsonValue::from_query_result(&row, "")
            .map_err(database)
            .and_then(attributes::from_row)
    })
    .transpose()
}

/// A row of one of our tables as the contract's type.
fn decode<M: FromQueryResult, T>(row: &QueryResult, into: fn(M) -> T) -> Result<T> {
    M::from_query_result(row, "").map(into).map_err(database)
}

fn key_insert(key: &KeyRow) -> InsertStatement {
    key::Entity::insert(key::ActiveModel {
        id: Set(key.id.clone()),
        user_id: Set(key.user_id.clone()),
        primary: Set(key.primary),
        hashed_password: Set(key.hashed_password.clone()),
    })
    .into_query()
}

fn session_row(session: session::Model) -> SessionRow {
    SessionRow {
        id: session.id,
        user_id: session.user_id,
        active_expires: session.active_expires.0,
        idle_expires: session.idle_expires.0,
    }
}

fn key_row(key: key::Model) -> KeyRow {
    KeyRow {
        id: key.id,
        user_id: key.user_id,
        primary: key.primary,
        hashed_password: key.hashed_password,
    }
}
