use std::error::Error as StdError;

/// Everything that can go wrong in an adapter call or an auth operation.
///
/// Each variant but [`Error::Database`] is a condition a caller can act on; any other failure
/// of the storage is carried whole as the source of [`Error::Database`].
///
/// A sign-in handler, say, answers the two ways a sign-in can fail with one message (so that
/// the answer does not tell which accounts exist) and leaves the rest to the caller:
///
/// ```
/// use lucia_sea_orm_auth::{Adapter, Auth, Error};
///
/// async fn sign_in<A: Adapter>(
///     auth: &Auth<A>,
///     email: &str,
///     password: &str,
/// ) -> Result<String, Error> {
///     match auth.use_key("email", email, Some(password)).await {
///         Ok(key) => Ok(auth.create_session(&key.user_id).await?.id),
///         Err(Error::InvalidKeyId | Error::InvalidPassword) => {
///             Err(Error::InvalidPassword) // "wrong email or password"
///         }
///         Err(other) => Err(other), // OutdatedPassword: ask for a reset; Database: a 500
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
/// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
/// # Migrator::up(&db, None).await?;
/// # let auth = Auth::builder(lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db)).build();
/// let unknown = sign_in(&auth, "nobody@example.com", "guess").await;
/// assert!(matches!(unknown, Err(Error::InvalidPassword)));
/// assert_eq!(unknown.unwrap_err().to_string(), "the password does not match");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A user with this id already exists.
    #[error("a user with this id already exists")]
    DuplicateUserId,
    /// A key with this id already exists.
    #[error("a key with this id already exists")]
    DuplicateKeyId,
    /// A session with this id already exists.
    #[error("a session with this id already exists")]
    DuplicateSessionId,
    /// No user has this id (or the id cannot be a user id on this database).
    #[error("no user has this id")]
    InvalidUserId,
    /// No key has this id.
    #[error("no key has this id")]
    InvalidKeyId,
    /// No live session has this id.
    #[error("no live session has this id")]
    InvalidSessionId,
    /// The password does not match the key's, or the key has no password.
    #[error("the password does not match")]
    InvalidPassword,
    /// The key's password was hashed with an algorithm this library cannot verify (bcrypt); the
    /// user has to reset it.
    #[error("the stored password hash is in a format that can no longer be verified")]
    OutdatedPassword,
    /// The password is longer than the hasher accepts.
    #[error("passwords are at most {max_bytes} bytes")]
    PasswordTooLong {
        /// The longest accepted password, in UTF-8 bytes after normalisation.
        max_bytes: usize,
    },
    /// A provider id contains `:`, which separates it from the provider user id in a key id.
    #[error("a provider id cannot contain ':'")]
    InvalidProviderId,
    /// The password hasher failed (bad parameters, a lost worker thread, no Tokio runtime).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// A stored password hash is in no format this library reads, or is damaged (the message
    /// says why and never quotes the hash). [`Auth::use_key`](crate::Auth::use_key) answers
    /// [`Error::InvalidPassword`] for such a key and logs this; the user has to reset the
    /// password.
    #[error("the stored password hash is malformed: {0}")]
    MalformedHash(String),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// The key given to `set_user` belongs to another user than the one being created.
    #[error("the key belongs to user {key_user_id}, not to the new user {user_id}")]
    KeyBelongsToAnotherUser {
        /// The id of the user being created.
        user_id: String,
        /// The user id the key names.
        key_user_id: String,
    },
    /// A value cannot be stored in its column on this database (and could never be found
    /// there): nothing was written.
    #[error("{column} {problem}")]
    InvalidValue {
        /// `table.column`.
        column: &'static str,
        /// What is wrong with the value.
        problem: ValueProblem,
    },
    /// The user attributes do not serialize to a map of column names to values, or a row does
    /// not deserialize into the attribute type.
    #[error("user attributes: {0}")]
    Attributes(#[source] serde_json::Error),
    /// Any other failure of the storage, unchanged. `Display` includes the source's message,
    /// so that a log line says what went wrong.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn StdError + Send + Sync>),
}

/// Why a value does not fit its column; see [`Error::InvalidValue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// Ids are never empty.
    #[error("is empty")]
    Empty,
    /// Longer than the column's `VARCHAR` length (MySQL, SQLite); never truncated.
    #[error("holds at most {max_chars} characters")]
    TooLong {
        /// The column's length in characters.
        max_chars: usize,
    },
    /// Contains a NUL character, which PostgreSQL cannot store in text; refused everywhere so
    /// that every database accepts the same values.
    #[error("cannot contain NUL characters")]
    ContainsNul,
    /// Not a UUID, in PostgreSQL's `UUID` user-id columns.
    #[error("must be a UUID on this database")]
    NotUuid,
    /// A negative time, which MySQL's unsigned expiry columns cannot hold; refused everywhere.
    #[error("cannot be negative")]
    Negative,
    /// A session's `idle_expires` before its `active_expires`: it would be dead while active.
    #[error("cannot be before session.active_expires")]
    BeforeActiveExpires,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn a_database_error_displays_its_cause() {
        let cause =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let error = Error::Database(Box::new(cause));
        assert_eq!(error.to_string(), "database error: connection refused");
    }
}
