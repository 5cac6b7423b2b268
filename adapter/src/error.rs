//! Turning SeaORM's errors into the contract's: only violations of our own keys are translated,
//! everything else travels unchanged as [`Error::Database`].

use lucia_sea_orm_auth::Error;
use sea_orm::{DbBackend, DbErr, SqlErr};

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

/// The error of an insert into `user`, where an application's own unique columns (a username)
/// must stay database errors: only a clash on the primary key is a duplicate user id.
pub(crate) fn user_insert_error(err: DbErr, backend: DbBackend) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message))
            if names_user_primary_key(&message, backend) =>
        {
            Error::DuplicateUserId
        }
        _ => database(err),
    }
}

/// SeaORM tells unique violations apart from others but not which index was violated; each
/// driver's message names it at its end.
fn names_user_primary_key(message: &str, backend: DbBackend) -> bool {
    match backend {
        // duplicate key value violates unique constraint "user_pkey"
        DbBackend::Postgres => message.ends_with("\"user_pkey\""),
        // Duplicate entry '…' for key 'PRIMARY' (MySQL 8: 'user.PRIMARY')
        DbBackend::MySql => message.ends_with("'PRIMARY'") || message.ends_with(".PRIMARY'"),
        // UNIQUE constraint failed: user.id
        _ => message.ends_with("user.id"),
    }
}
