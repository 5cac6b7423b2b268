//! What each database's columns can hold, checked before a statement is sent, so that a value
//! that cannot be stored is a typed error (or, when looked up, a missing row) instead of a
//! truncation or a driver error, and every database accepts the same values.

use lucia_sea_orm_auth::{Error, Result, ValueProblem};
use sea_orm::DbBackend;

/// The string columns the adapter writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Column {
    UserId,
    SessionId,
    KeyId,
    HashedPassword,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::UserId => "user.id",
            Column::SessionId => "session.id",
            Column::KeyId => "key.id",
            Column::HashedPassword => "key.hashed_password",
        }
    }

    /// The `VARCHAR` length on MySQL and SQLite. SQLite does not enforce it, so we do, to keep
    /// rows portable between the two.
    fn max_chars(self) -> usize {
        match self {
            Column::UserId => 36,
            Column::SessionId => 127,
            Column::KeyId | Column::HashedPassword => 255,
        }
    }
}

/// The columns of one database.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Columns {
    backend: DbBackend,
}

impl Columns {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self { backend }
    }

    fn problem(self, column: Column, value: &str) -> Option<ValueProblem> {
        if value.is_empty() && column != Column::HashedPassword {
            return Some(ValueProblem::Empty);
        }
        if value.contains('\0') {
            return Some(ValueProblem::ContainsNul);
        }
        match (self.backend, column) {
            (DbBackend::Postgres, Column::UserId) => uuid::Uuid::try_parse(value)
                .is_err()
                .then_some(ValueProblem::NotUuid),
            // TEXT columns.
            (DbBackend::Postgres, _) => None,
            _ => {
                let max_chars = column.max_chars();
                // The byte length bounds the character count: the cheap test settles most ids.
                let fits = value.len() <= max_chars || value.chars().count() <= max_chars;
                (!fits).then_some(ValueProblem::TooLong { max_chars })
            }
        }
    }

    /// Whether a row with `value` in `column` can exist at all on this database.
    pub(crate) fn can_hold(self, column: Column, value: &str) -> bool {
        self.problem(column, value).is_none()
    }

    /// Checks a value about to be written to `column`.
    pub(crate) fn check(self, column: Column, value: &str) -> Result<()> {
        match self.problem(column, value) {
            None => Ok(()),
            Some(problem) => Err(Error::InvalidValue {
                column: column.name(),
                problem,
            }),
        }
    }

    /// Checks an expiry time about to be written to `session.<column>`.
    pub(crate) fn check_expiry(self, column: &'static str, millis: i64) -> Result<()> {
        if millis < 0 {
            return Err(Error::InvalidValue {
                column,
                problem: ValueProblem::Negative,
            });
        }
        Ok(())
    }
}
