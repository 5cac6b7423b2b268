//! Deadlock victims are run again.
//!
//! InnoDB takes locks on parent rows for foreign-key checks and on index gaps for deletes, so
//! concurrent writes to one user's rows (creating a session while the user is being deleted)
//! can deadlock; PostgreSQL can too, more rarely. On a MariaDB Galera cluster, two nodes that
//! write conflicting rows both succeed locally and the later one fails certification at
//! `COMMIT` (or on its next statement, if an applier aborted it) with the same deadlock error,
//! 1213 / SQLSTATE 40001; the new attempt then sees the winner's row (tested in
//! `tests/tests/galera.rs`). The database then aborts one statement and
//! asks for a retry, which is safe when every retried attempt is a whole statement or a whole
//! transaction of the adapter's own. Inside a caller's transaction it is not (MySQL rolls back
//! the whole transaction, the caller's work included), so there the error is returned.

use std::future::Future;

use lucia_sea_orm_auth::{Error, Result};
use sea_orm::{DbErr, RuntimeErr};

/// How many times a write is attempted before its deadlock error is returned.
const ATTEMPTS: usize = 5;

/// SQLSTATEs of a transaction the server rolled back to break a deadlock: serialization
/// failure (MySQL's deadlock, error 1213) and PostgreSQL's deadlock_detected.
const DEADLOCK_STATES: [&str; 2] = ["40001", "40P01"];

/// Runs `attempt` until it does not fail with a deadlock, at most [`ATTEMPTS`] times (once if
/// not `enabled`).
pub(crate) async fn retry_deadlocks<T, F, Fut>(enabled: bool, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let max_attempts = if enabled { ATTEMPTS } else { 1 };
    let mut attempts = 1;
    loop {
        match attempt().await {
            Err(err) if attempts < max_attempts && is_deadlock(&err) => attempts += 1,
            outcome => return outcome,
        }
    }
}

fn is_deadlock(err: &Error) -> bool {
    let Error::Database(source) = err else {
        return false;
    };
    let Some(DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) =
        source.downcast_ref::<DbErr>()
    else {
        return false;
    };
    sqlx.as_database_error()
        .and_then(|database| database.code())
        .is_some_and(|code| DEADLOCK_STATES.contains(&code.as_ref()))
}
