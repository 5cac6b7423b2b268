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
            (DbBackend::Postgres, Column::UserId) => {
                (!is_canonical_uuid(value)).then_some(ValueProblem::NotUuid)
            }
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

/// Whether `value` is a UUID as PostgreSQL writes it: 36 characters, lower-case hex, hyphens
/// after 8, 12, 16 and 20 digits. PostgreSQL reads other forms too (upper case, braces, no
/// hyphens) but stores and returns the canonical one, so a user created with another form would
/// come back under a different id; `urn:uuid:` forms it rejects with an error. Refusing all but
/// the canonical form keeps ids byte for byte what the other databases store.
fn is_canonical_uuid(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

#[cfg(test)]
mod tests {
    use super::is_canonical_uuid;

    #[test]
    fn only_lower_case_hyphenated_uuids_are_canonical() {
        assert!(is_canonical_uuid("550e8400-e29b-41d4-a716-446655440000"));
        for other in [
            "550E8400-E29B-41D4-A716-446655440000",
            "{550e8400-e29b-41d4-a716-446655440000}",
            "550e8400e29b41d4a716446655440000",
            "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
            "550e8400-e29b-41d4-a716-44665544000g",
            "550e8400-e29b-41d4-a716_446655440000",
        ] {
            assert!(!is_canonical_uuid(other), "{other}");
        }
    }
}
