//! What each database's columns can hold, checked before a statement is sent so that an id that
//! cannot be stored is a typed error (or a missing row) instead of a truncation or a driver error.

use lucia_sea_orm_auth::{Error, Result};
use sea_orm::DbBackend;

/// The limits of the columns written by [`lucia_sea_orm_migration`] on one database.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Columns {
    backend: DbBackend,
}

// VARCHAR lengths on MySQL and SQLite; SQLite does not enforce them, so we do, to keep rows
// portable between the two.
const USER_ID_CHARS: usize = 36;
const SESSION_ID_CHARS: usize = 127;
const KEY_ID_CHARS: usize = 255;
const HASHED_PASSWORD_CHARS: usize = 255;

impl Columns {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self { backend }
    }

    fn is_postgres(self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Whether a user with this id can exist at all on this database.
    pub(crate) fn can_hold_user_id(self, user_id: &str) -> bool {
        if self.is_postgres() {
            uuid::Uuid::try_parse(user_id).is_ok()
        } else {
            fits(user_id, USER_ID_CHARS)
        }
    }

    pub(crate) fn can_hold_session_id(self, session_id: &str) -> bool {
        self.is_postgres() || fits(session_id, SESSION_ID_CHARS)
    }

    pub(crate) fn can_hold_key_id(self, key_id: &str) -> bool {
        self.is_postgres() || fits(key_id, KEY_ID_CHARS)
    }

    /// Checks a user id about to be stored as a new user's.
    pub(crate) fn check_new_user_id(self, user_id: &str) -> Result<()> {
        if self.is_postgres() && !self.can_hold_user_id(user_id) {
            return Err(Error::UserIdNotUuid);
        }
        check_len(user_id, "user.id", USER_ID_CHARS)
    }

    pub(crate) fn check_new_session_id(self, session_id: &str) -> Result<()> {
        if self.is_postgres() {
            return Ok(());
        }
        check_len(session_id, "session.id", SESSION_ID_CHARS)
    }

    pub(crate) fn check_new_key_id(self, key_id: &str) -> Result<()> {
        if self.is_postgres() {
            return Ok(());
        }
        check_len(key_id, "key.id", KEY_ID_CHARS)
    }

    pub(crate) fn check_hashed_password(self, hashed_password: Option<&str>) -> Result<()> {
        match hashed_password {
            Some(hash) if !self.is_postgres() => {
                check_len(hash, "key.hashed_password", HASHED_PASSWORD_CHARS)
            }
            _ => Ok(()),
        }
    }
}

fn fits(value: &str, max_chars: usize) -> bool {
    // Byte length bounds character count from above: the cheap test settles almost every id.
    value.len() <= max_chars || value.chars().count() <= max_chars
}

fn check_len(value: &str, column: &'static str, max_chars: usize) -> Result<()> {
    if fits(value, max_chars) {
        Ok(())
    } else {
        Err(Error::ValueTooLong { column, max_chars })
    }
}
