//! The rows an [`Adapter`](crate::Adapter) reads and writes, in the database's own terms.

use std::fmt;

/// A row of `user`: its id and the application's own columns, typed as `A`.
///
/// `A` is any serde type whose fields are the application's columns of `user` (`()` when it has
/// none). Reads fill it from those columns; writes store each of its fields in the column of
/// the same name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow<A> {
    /// The user id.
    pub id: String,
    /// The application's columns.
    pub attributes: A,
}

/// A row of `session`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session id: the bearer secret, never logged whole.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Milliseconds since the Unix epoch at which the session stops being active.
    pub active_expires: i64,
    /// Milliseconds since the Unix epoch at which the session stops being usable.
    pub idle_expires: i64,
}

/// A row of `key`.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// `provider_id:provider_user_id`.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Whether the user was created with this key.
    pub primary: bool,
    /// The password hash, if the key has a password.
    pub hashed_password: Option<String>,
}

/// How many characters of a secret `Debug` shows: enough to tell two apart in a log, too few to
/// use one.
const SHOWN_SECRET_CHARS: usize = 6;

/// Formats a secret as its first few characters and an ellipsis.
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(SHOWN_SECRET_CHARS).collect();
        write!(f, "\"{shown}…\"")
    }
}

impl fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRow")
            .field("id", &Redacted(&self.id))
            .field("user_id", &self.user_id)
            .field("active_expires", &self.active_expires)
            .field("idle_expires", &self.idle_expires)
            .finish()
    }
}

impl fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("primary", &self.primary)
            .field(
                "hashed_password",
                &self.hashed_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
