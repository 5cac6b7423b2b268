//! The storage contract: what a database must do for Lucia-style auth, in the database's words.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{KeyRow, Result, SessionRow, UserRow};

/// Storage for users, sessions and keys.
///
/// Implementations store rows and report the typed errors below; they make no policy decisions
/// (expiry, hashing, id formats live in [`Auth`](crate::Auth)). Ids that cannot exist on the
/// database (say, a non-UUID user id on PostgreSQL) are missing rows, not database errors.
///
/// [`Auth`](crate::Auth) calls it for you; code that needs what the lifecycle does not cover
/// can be generic over it (or use `Auth::adapter`):
///
/// ```
/// use lucia_sea_orm_auth::{Adapter, Result};
///
/// /// How many sessions a user has, live or not, whatever stores them.
/// async fn session_count<A: Adapter>(adapter: &A, user_id: &str) -> Result<usize> {
///     Ok(adapter.get_sessions_by_user_id(user_id).await?.len())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
/// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
/// # Migrator::up(&db, None).await?;
/// let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
/// let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
/// let user = auth.create_user((), None).await?;
/// auth.create_session(&user.id).await?;
/// assert_eq!(session_count(auth.adapter(), &user.id).await?, 1);
/// # Ok(())
/// # }
/// ```
pub trait Adapter: Send + Sync {
    /// The application's columns of `user`.
    type Attributes: Serialize + DeserializeOwned + Send + Sync;

    /// The user with this id.
    fn get_user(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<UserRow<Self::Attributes>>>> + Send;

    /// Stores a user and, in the same transaction, its first key.
    ///
    /// Errors: [`DuplicateUserId`](crate::Error::DuplicateUserId),
    /// [`DuplicateKeyId`](crate::Error::DuplicateKeyId),
    /// [`KeyBelongsToAnotherUser`](crate::Error::KeyBelongsToAnotherUser),
    /// [`InvalidValue`](crate::Error::InvalidValue), [`Attributes`](crate::Error::Attributes);
    /// on any error nothing is stored.
    fn set_user(
        &self,
        user: &UserRow<Self::Attributes>,
        key: Option<&KeyRow>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Changes the columns named by `patch`'s fields and returns the whole row, atomically.
    ///
    /// `patch` may be the attribute type itself or any serde type with a subset of its fields.
    /// Errors: [`InvalidUserId`](crate::Error::InvalidUserId).
    fn update_user_attributes<P: Serialize + Sync>(
        &self,
        user_id: &str,
        patch: &P,
    ) -> impl Future<Output = Result<UserRow<Self::Attributes>>> + Send;

    /// Deletes the user; no-op if there is none. Fails with a database error while the user
    /// still has sessions or keys.
    fn delete_user(&self, user_id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the user's sessions, its keys and the user, in one transaction; no-op if there is
    /// no such user.
    fn delete_user_with_sessions_and_keys(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The session with this id.
    fn get_session(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<SessionRow>>> + Send;

    /// All sessions of the user, live or not.
    fn get_sessions_by_user_id(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<SessionRow>>> + Send;

    /// Stores a session.
    ///
    /// Errors: [`InvalidUserId`](crate::Error::InvalidUserId),
    /// [`DuplicateSessionId`](crate::Error::DuplicateSessionId),
    /// [`InvalidValue`](crate::Error::InvalidValue) (a negative expiry time, or `idle_expires`
    /// before `active_expires`).
    fn set_session(&self, session: &SessionRow) -> impl Future<Output = Result<()>> + Send;

    /// Sets both expiry times of the session to `expires` if it is idle at `now`
    /// (`active_expires < now <= idle_expires`) and returns whether it was, atomically: of
    /// several concurrent calls for one session exactly one returns `true`.
    ///
    /// Errors: [`InvalidValue`](crate::Error::InvalidValue) for a negative `expires`.
    fn expire_idle_session(
        &self,
        session_id: &str,
        now: i64,
        expires: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes these sessions and returns how many existed; an empty list is a no-op.
    fn delete_sessions(&self, session_ids: &[&str]) -> impl Future<Output = Result<u64>> + Send;

    /// Deletes all sessions of the user.
    fn delete_sessions_by_user_id(&self, user_id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Deletes the user's sessions whose `idle_expires` is before `now` and returns how many.
    fn delete_dead_sessions_by_user_id(
        &self,
        user_id: &str,
        now: i64,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Deletes every session whose `idle_expires` is before `now` and returns how many.
    fn delete_expired_sessions(&self, now: i64) -> impl Future<Output = Result<u64>> + Send;

    /// The session and its user, read in one statement.
    fn get_session_and_user(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<(SessionRow, UserRow<Self::Attributes>)>>> + Send;

    /// The key with this id.
    fn get_key(&self, key_id: &str) -> impl Future<Output = Result<Option<KeyRow>>> + Send;

    /// All keys of the user.
    fn get_keys_by_user_id(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<KeyRow>>> + Send;

    /// Stores a key.
    ///
    /// Errors: [`InvalidUserId`](crate::Error::InvalidUserId),
    /// [`DuplicateKeyId`](crate::Error::DuplicateKeyId).
    fn set_key(&self, key: &KeyRow) -> impl Future<Output = Result<()>> + Send;

    /// Replaces the key's password hash (`None` removes it) and returns the key, atomically.
    ///
    /// Errors: [`InvalidKeyId`](crate::Error::InvalidKeyId).
    fn update_key_password(
        &self,
        key_id: &str,
        hashed_password: Option<&str>,
    ) -> impl Future<Output = Result<KeyRow>> + Send;

    /// Replaces the key's password hash by `new` only if it is still `current`, and returns
    /// whether it did, atomically: a hash upgraded at sign-in must never overwrite a password
    /// set in the meantime.
    fn replace_key_password(
        &self,
        key_id: &str,
        current: &str,
        new: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes the key unless it is a primary key; no-op if there is none.
    fn delete_non_primary_key(&self, key_id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Deletes all keys of the user, primary ones too.
    fn delete_keys_by_user_id(&self, user_id: &str) -> impl Future<Output = Result<()>> + Send;
}
