//! Turning SeaORM's errors into the contract's: only violations of our own keys are translated,
//! everything else travels unchanged as [`Error::Database`].

use lucia_sea_orm_auth::Error;
use sea_orm::{DbErr, SqlErr};

/// Any database error, unchanged.
pub(crate) fn database(err: DbErr) -> Error {
    Error::Database(Box::new(err))
}

/// The error of an insert into a table whose only unique key is its primary key and whose only
/// foreign key is its `user_id` (`session`, `key`).
pub(crate) fn insert_error(err: DbErr, duplicate_id: Error) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => duplicate_id,
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => Error::InvalidUserId,
        _ => database(err),
    }
}
