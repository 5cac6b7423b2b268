//! What each database's columns can hold, checked before a statement is sent, so that a value
//! that cannot be stored is a typed error (or, when looked up, a missing row) instead of a
//! truncation or a driver error, and every database accepts the same values.
//!
//! Two questions, answered differently: may a *new* row have this id ([`Columns::check`], the
//! same limits on every database), and can a row with this id *exist* ([`Columns::can_hold`],
//! for lookups and references). The second is wider where the database itself does not enforce
//! the limit (SQLite's `VARCHAR`, PostgreSQL's `TEXT`): another application sharing the
//! tables (the JS library) may have written longer ids there, and a row that can be read must
//! be usable.

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

    /// The longest value a new row may hold, on every database: the `VARCHAR` length of MySQL
    /// and SQLite. SQLite does not enforce it and PostgreSQL's `TEXT` has no length, so we do,
    /// to keep rows portable between the three; on PostgreSQL it also keeps ids far below the
    /// 2,704-byte limit of a btree index entry, past which an insert fails with a raw error.
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

    /// Why a new row cannot hold `value` in `column`, if it cannot.
    fn problem(self, column: Column, value: &str) -> Option<ValueProblem> {
        if let Some(problem) = self.impossible(column, value) {
            return Some(problem);
        }
        if self.backend == DbBackend::Postgres && column == Column::UserId {
            // A new user id is stored as given, byte for byte as on the other databases, so
            // that the caller's id and the stored one are the same string; lookups accept the
            // other forms (see `parse_postgres_uuid`).
            return (!is_canonical_uuid(value)).then_some(ValueProblem::NotUuid);
        }
        too_long(column, value)
    }

    /// Why no row, whoever wrote it, can hold `value` in `column` on this database.
    fn impossible(self, column: Column, value: &str) -> Option<ValueProblem> {
        if value.is_empty() && column != Column::HashedPassword {
            return Some(ValueProblem::Empty);
        }
        if value.contains('\0') {
            return Some(ValueProblem::ContainsNul);
        }
        match (self.backend, column) {
            (DbBackend::Postgres, Column::UserId) => parse_postgres_uuid(value)
                .is_none()
                .then_some(ValueProblem::NotUuid),
            // MySQL enforces its `VARCHAR` lengths: a longer value is in no row.
            (DbBackend::MySql, _) => too_long(column, value),
            // SQLite ignores `VARCHAR` lengths and PostgreSQL's ids are `TEXT`: rows written by
            // other software may hold longer values, and those must be found.
            _ => None,
        }
    }

    /// Whether a row with `value` in `column` can exist at all on this database, so that a
    /// lookup or a reference to it is worth a query.
    pub(crate) fn can_hold(self, column: Column, value: &str) -> bool {
        self.impossible(column, value).is_none()
    }

    /// Checks a value about to be written to `column` of a new row (or as a new hash).
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

/// Whether `value` is longer than `column`'s limit.
fn too_long(column: Column, value: &str) -> Option<ValueProblem> {
    let max_chars = column.max_chars();
    // The byte length bounds the character count: the cheap test settles most ids.
    let fits = value.len() <= max_chars || value.chars().count() <= max_chars;
    (!fits).then_some(ValueProblem::TooLong { max_chars })
}

/// The 16 bytes of `value` if PostgreSQL's `uuid` input accepts it: 32 hex digits of either
/// case, optionally a hyphen after any group of four digits but the last, the whole optionally
/// in braces. (PostgreSQL's `string_to_uuid`; `urn:uuid:` and spaces are refused there too.)
/// PostgreSQL stores and returns the canonical lower-case hyphenated form whatever the input,
/// so a JS application that looks a user up by an upper-case UUID finds it, and so do we.
fn parse_postgres_uuid(value: &str) -> Option<[u8; 16]> {
    let mut rest = value.as_bytes();
    let braced = rest.first() == Some(&b'{');
    if braced {
        rest = rest.strip_prefix(b"{")?.strip_suffix(b"}")?;
    }
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        let [high, low, tail @ ..] = rest else {
            return None;
        };
        *byte = (hex_digit(*high)? << 4) | hex_digit(*low)?;
        rest = tail;
        if let (1, 1..15, [b'-', tail @ ..]) = (i % 2, i, rest) {
            rest = tail;
        }
    }
    rest.is_empty().then_some(bytes)
}

/// Whether `value` is a UUID as PostgreSQL writes it: lower-case, hyphenated.
fn is_canonical_uuid(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_canonical_uuid, parse_postgres_uuid};

    const CANONICAL: [u8; 16] = [
        0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a,
        0x11,
    ];

    /// The forms PostgreSQL 15 accepts and refuses (checked with `SELECT '…'::uuid`).
    #[test]
    fn postgres_uuid_forms_are_those_postgres_accepts() {
        for accepted in [
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(parse_postgres_uuid(accepted), Some(CANONICAL), "{accepted}");
        }
        for refused in [
            "",
            " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
            "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1-1",
            "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
        ] {
            assert_eq!(parse_postgres_uuid(refused), None, "{refused}");
        }
    }

    #[test]
    fn only_lower_case_hyphenated_uuids_are_canonical() {
        assert!(is_canonical_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        for other in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "a0eebc99-9c0b-4ef8-bb6d6bb9-bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",
        ] {
            assert!(!is_canonical_uuid(other), "{other}");
        }
    }
}
