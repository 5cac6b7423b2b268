//! The lifecycle of users, keys and sessions over any [`Adapter`].

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
use crate::id::{IdGenerator, RandomSessionId, RandomUuid};
use crate::key::{Key, NewKey, key_id, stored_hash};
use crate::password::{PasswordHasher, Verified};
use crate::session::{Session, SessionState, millis};
use crate::{Adapter, Error, KeyRow, Result, SessionRow, UserRow};

/// The default active period of a session: 1 day.
pub const DEFAULT_ACTIVE_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);
/// The default idle period of a session, after its active period: 14 days.
pub const DEFAULT_IDLE_PERIOD: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// The default time a renewed session's old id stays valid: 30 seconds.
pub const DEFAULT_RENEWAL_GRACE_PERIOD: Duration = Duration::from_secs(30);

/// Users, keys and sessions, Lucia's way, stored by an [`Adapter`].
///
/// Cheap to clone (the configuration is shared); it holds no state of its own besides that
/// configuration, so any number of application instances can share one database.
pub struct Auth<D> {
    inner: Arc<Inner<D>>,
}

struct Inner<D> {
    adapter: D,
    active_period: i64,
    idle_period: i64,
    renewal_grace_period: i64,
    session_id_generator: Box<dyn IdGenerator>,
    user_id_generator: Box<dyn IdGenerator>,
    hasher: PasswordHasher,
    clock: Box<dyn Clock>,
    hash_session_ids: bool,
}

impl<D> Clone for Auth<D> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<D> Auth<D> {
    /// Whether `this` and `other` are clones of one `Auth`: the same adapter and settings.
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        Arc::ptr_eq(&this.inner, &other.inner)
    }
}

/// Configures an [`Auth`]; every setting has a default.
#[must_use]
pub struct AuthBuilder<D> {
    adapter: D,
    active_period: Duration,
    idle_period: Duration,
    renewal_grace_period: Duration,
    session_id_generator: Box<dyn IdGenerator>,
    user_id_generator: Box<dyn IdGenerator>,
    hasher: PasswordHasher,
    clock: Box<dyn Clock>,
    hash_session_ids: bool,
}

impl<D: Adapter> AuthBuilder<D> {
    /// How long a new session stays active: [`DEFAULT_ACTIVE_PERIOD`] unless set.
    pub fn active_period(mut self, period: Duration) -> Self {
        self.active_period = period;
        self
    }

    /// How long a session stays usable after its active period, being renewed when used:
    /// [`DEFAULT_IDLE_PERIOD`] unless set.
    pub fn idle_period(mut self, period: Duration) -> Self {
        self.idle_period = period;
        self
    }

    /// How long the old id of a session renewed by validation stays valid, as an active session
    /// that is not renewed again: [`DEFAULT_RENEWAL_GRACE_PERIOD`] unless set.
    ///
    /// A browser loads a page and its resources in parallel, all with the same cookie: when
    /// that session is idle, one request renews it and the others, still carrying the old id,
    /// are served within this period instead of being signed out. Zero ends the old id at once.
    pub fn renewal_grace_period(mut self, period: Duration) -> Self {
        self.renewal_grace_period = period;
        self
    }

    /// How session ids are made: [`RandomSessionId`] (40 random alphanumerics) unless set.
    pub fn session_id_generator(mut self, generator: impl IdGenerator + 'static) -> Self {
        self.session_id_generator = Box::new(generator);
        self
    }

    /// How user ids are made: [`RandomUuid`] unless set. On PostgreSQL they must be UUIDs in
    /// the canonical form (lower-case, hyphenated), as `user.id` there is a `UUID` column.
    pub fn user_id_generator(mut self, generator: impl IdGenerator + 'static) -> Self {
        self.user_id_generator = Box::new(generator);
        self
    }

    /// How passwords are hashed and checked: [`PasswordHasher::default`] (argon2id at OWASP's
    /// cost, old hashes upgraded on sign-in) unless set.
    pub fn password_hasher(mut self, hasher: PasswordHasher) -> Self {
        self.hasher = hasher;
        self
    }

    /// Where the time comes from: [`SystemClock`] unless set.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Whether the database stores a SHA-256 digest of each session id instead of the id: off
    /// unless set.
    ///
    /// With it on, a copy of the `session` table does not hand out live sessions, since a
    /// digest cannot be turned back into the cookie value. The costs: the JS library can no
    /// longer read those sessions, the ids in the table (and in
    /// [`Auth::get_user_sessions`]) are digests, which [`Auth::invalidate_session`] does not
    /// accept (use [`Auth::invalidate_all_user_sessions`]), and switching it on or off signs
    /// everyone out.
    pub fn hash_session_ids(mut self, hash: bool) -> Self {
        self.hash_session_ids = hash;
        self
    }

    /// The configured [`Auth`].
    pub fn build(self) -> Auth<D> {
        Auth {
            inner: Arc::new(Inner {
                adapter: self.adapter,
                active_period: millis(self.active_period),
                idle_period: millis(self.idle_period),
                renewal_grace_period: millis(self.renewal_grace_period),
                session_id_generator: self.session_id_generator,
                user_id_generator: self.user_id_generator,
                hasher: self.hasher,
                clock: self.clock,
                hash_session_ids: self.hash_session_ids,
            }),
        }
    }
}

impl<D: Adapter> Auth<D> {
    /// A builder over `adapter` with every setting at its default.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter.clone()).build();
    /// # let user = auth.create_user((), None).await?;
    /// use std::time::Duration;
    ///
    /// use lucia_sea_orm_auth::Auth;
    ///
    /// let auth = Auth::builder(adapter)
    ///     .active_period(Duration::from_secs(60 * 60))
    ///     .idle_period(Duration::from_secs(7 * 24 * 60 * 60))
    ///     .build();
    /// let session = auth.create_session(&user.id).await?;
    /// assert_eq!(session.idle_expires - session.active_expires, 7 * 24 * 60 * 60 * 1000);
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(adapter: D) -> AuthBuilder<D> {
        AuthBuilder {
            adapter,
            active_period: DEFAULT_ACTIVE_PERIOD,
            idle_period: DEFAULT_IDLE_PERIOD,
            renewal_grace_period: DEFAULT_RENEWAL_GRACE_PERIOD,
            session_id_generator: Box::new(RandomSessionId),
            user_id_generator: Box::new(RandomUuid),
            hasher: PasswordHasher::default(),
            clock: Box::new(SystemClock),
            hash_session_ids: false,
        }
    }

    /// The adapter, for what the lifecycle does not cover.
    pub fn adapter(&self) -> &D {
        &self.inner.adapter
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_millis()
    }

    /// The id under which the session whose cookie holds `session_id` is stored.
    fn stored_session_id<'a>(&self, session_id: &'a str) -> Cow<'a, str> {
        if self.inner.hash_session_ids {
            Cow::Owned(hex::encode(Sha256::digest(session_id.as_bytes())))
        } else {
            Cow::Borrowed(session_id)
        }
    }

    // Users

    /// Creates a user with these attributes and, in the same transaction, its primary key.
    ///
    /// Errors: [`Error::DuplicateKeyId`], [`Error::InvalidProviderId`],
    /// [`Error::PasswordTooLong`], [`Error::InvalidValue`] (say, a key id longer than its column),
    /// [`Error::Attributes`], and [`Error::DuplicateUserId`] with a user-id generator that
    /// repeats itself; nothing is stored on error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// use lucia_sea_orm_auth::{Error, NewKey};
    ///
    /// let user = auth
    ///     .create_user((), Some(NewKey::with_password("email", "ada@example.com", "correct horse")))
    ///     .await?;
    /// assert_eq!(auth.get_user(&user.id).await?.id, user.id);
    ///
    /// let again = auth
    ///     .create_user((), Some(NewKey::without_password("email", "ada@example.com")))
    ///     .await;
    /// assert!(matches!(again, Err(Error::DuplicateKeyId)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_user(
        &self,
        attributes: D::Attributes,
        primary_key: Option<NewKey<'_>>,
    ) -> Result<UserRow<D::Attributes>> {
        let id = self.inner.user_id_generator.generate()?;
        let key = match primary_key {
            Some(key) => Some(self.key_row(&id, key, true).await?),
            None => None,
        };
        let user = UserRow { id, attributes };
        self.inner.adapter.set_user(&user, key.as_ref()).await?;
        Ok(user)
    }

    /// The user with this id. Errors: [`Error::InvalidUserId`].
    pub async fn get_user(&self, user_id: &str) -> Result<UserRow<D::Attributes>> {
        self.inner
            .adapter
            .get_user(user_id)
            .await?
            .ok_or(Error::InvalidUserId)
    }

    /// Changes the attributes named by `patch`'s fields and returns the user.
    /// Errors: [`Error::InvalidUserId`].
    pub async fn update_user_attributes<P: Serialize + Sync>(
        &self,
        user_id: &str,
        patch: &P,
    ) -> Result<UserRow<D::Attributes>> {
        self.inner
            .adapter
            .update_user_attributes(user_id, patch)
            .await
    }

    /// Deletes the user with its sessions and keys, in one transaction; no-op for an unknown id.
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        self.inner
            .adapter
            .delete_user_with_sessions_and_keys(user_id)
            .await
    }

    // Keys

    async fn key_row(&self, user_id: &str, key: NewKey<'_>, primary: bool) -> Result<KeyRow> {
        let id = key_id(key.provider_id, key.provider_user_id)?;
        let hashed_password = match key.password {
            Some(password) => self.inner.hasher.hash(password).await?,
            None => None,
        };
        Ok(KeyRow {
            id,
            user_id: user_id.to_owned(),
            primary,
            hashed_password,
        })
    }

    /// Adds a (non-primary) key to a user.
    ///
    /// Errors: [`Error::InvalidUserId`], [`Error::DuplicateKeyId`],
    /// [`Error::InvalidProviderId`], [`Error::PasswordTooLong`].
    pub async fn create_key(&self, user_id: &str, key: NewKey<'_>) -> Result<Key> {
        let row = self.key_row(user_id, key, false).await?;
        self.inner.adapter.set_key(&row).await?;
        Ok(Key::from_row(&row))
    }

    /// The key `provider_id:provider_user_id`. Errors: [`Error::InvalidKeyId`].
    pub async fn get_key(&self, provider_id: &str, provider_user_id: &str) -> Result<Key> {
        let id = key_id(provider_id, provider_user_id)?;
        let row = self
            .inner
            .adapter
            .get_key(&id)
            .await?
            .ok_or(Error::InvalidKeyId)?;
        Ok(Key::from_row(&row))
    }

    /// Every key of the user (none for an unknown user).
    pub async fn get_user_keys(&self, user_id: &str) -> Result<Vec<Key>> {
        let rows = self.inner.adapter.get_keys_by_user_id(user_id).await?;
        Ok(rows.iter().map(Key::from_row).collect())
    }

    /// Signs in with a key: checks the password (an empty one means none) and returns the key.
    ///
    /// A key with a password needs the right one; a key without needs none. A password that
    /// matches a hash in an older format or at a lower cost is rehashed, if the hasher says so.
    /// An unknown key costs the same hashing as a wrong password, so timing does not tell which
    /// keys exist. The error still tells them apart ([`Error::InvalidKeyId`] against
    /// [`Error::InvalidPassword`]): show users one message for both.
    ///
    /// Errors: [`Error::InvalidKeyId`], [`Error::InvalidPassword`],
    /// [`Error::OutdatedPassword`] (a bcrypt hash: the user must reset the password).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// # let user = auth.create_user((), Some(lucia_sea_orm_auth::NewKey::with_password(
    /// #     "email", "ada@example.com", "correct horse"))).await?;
    /// use lucia_sea_orm_auth::Error;
    ///
    /// let key = auth.use_key("email", "ada@example.com", Some("correct horse")).await?;
    /// assert_eq!(key.user_id, user.id);
    ///
    /// let wrong = auth.use_key("email", "ada@example.com", Some("battery staple")).await;
    /// assert!(matches!(wrong, Err(Error::InvalidPassword)));
    /// let unknown = auth.use_key("email", "bob@example.com", Some("correct horse")).await;
    /// assert!(matches!(unknown, Err(Error::InvalidKeyId)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn use_key(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<Key> {
        let password = password.filter(|password| !password.is_empty());
        let id = key_id(provider_id, provider_user_id)?;
        let hasher = &self.inner.hasher;
        let Some(row) = self.inner.adapter.get_key(&id).await? else {
            if let Some(password) = password {
                hasher.verify_dummy(password).await?;
            }
            return Err(Error::InvalidKeyId);
        };
        let key = Key::from_row(&row);
        match (stored_hash(&row), password) {
            (None, None) => {}
            (Some(_), None) => return Err(Error::InvalidPassword),
            (None, Some(password)) => {
                hasher.verify_dummy(password).await?;
                return Err(Error::InvalidPassword);
            }
            (Some(hash), Some(password)) => match hasher.verify(password, hash).await {
                Ok(Verified::Mismatch) => return Err(Error::InvalidPassword),
                Ok(Verified::Match { rehash }) => {
                    if rehash {
                        self.rehash(&key, &row.id, hash, password).await;
                    }
                }
                // Like Lucia, a hash that cannot be verified is a wrong password to the user; the
                // operator learns of it from the log and the user resets the password.
                Err(Error::MalformedHash(reason)) => {
                    tracing::warn!(
                        provider_id = %key.provider_id,
                        user_id = %key.user_id,
                        %reason,
                        "stored password hash is malformed: sign-in refused until the password is reset"
                    );
                    hasher.verify_dummy(password).await?;
                    return Err(Error::InvalidPassword);
                }
                // bcrypt is refused before any hashing: spend the same time as a wrong
                // password, so that timing does not single out these accounts.
                Err(Error::OutdatedPassword) => {
                    hasher.verify_dummy(password).await?;
                    return Err(Error::OutdatedPassword);
                }
                Err(err) => return Err(err),
            },
        }
        Ok(key)
    }

    /// Replaces `current`, a hash that verified but is outdated, by a new hash of `password`,
    /// unless the password was changed in the meantime. The sign-in has already succeeded, so a
    /// failure here is logged, not returned: the old hash still works next time.
    async fn rehash(&self, key: &Key, key_id: &str, current: &str, password: &str) {
        let rehashed = match self.inner.hasher.hash(password).await {
            Ok(Some(new)) => {
                self.inner
                    .adapter
                    .replace_key_password(key_id, current, &new)
                    .await
            }
            Ok(None) => Ok(false),
            Err(err) => Err(err),
        };
        match rehashed {
            Ok(true) => {}
            Ok(false) => tracing::debug!(
                provider_id = %key.provider_id,
                user_id = %key.user_id,
                "password changed during sign-in: outdated hash left to the new password"
            ),
            Err(err) => tracing::warn!(
                provider_id = %key.provider_id,
                user_id = %key.user_id,
                error = %err,
                "password rehash failed"
            ),
        }
    }

    /// Sets the key's password (`None` or empty removes it) and returns the key.
    ///
    /// Errors: [`Error::InvalidKeyId`], [`Error::PasswordTooLong`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// # let user = auth.create_user((), Some(lucia_sea_orm_auth::NewKey::with_password(
    /// #     "email", "ada@example.com", "correct horse"))).await?;
    /// use lucia_sea_orm_auth::Error;
    ///
    /// auth.update_key_password("email", "ada@example.com", Some("new horse")).await?;
    /// auth.use_key("email", "ada@example.com", Some("new horse")).await?;
    /// let old = auth.use_key("email", "ada@example.com", Some("correct horse")).await;
    /// assert!(matches!(old, Err(Error::InvalidPassword)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_key_password(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<Key> {
        let id = key_id(provider_id, provider_user_id)?;
        let hashed_password = match password {
            Some(password) => self.inner.hasher.hash(password).await?,
            None => None,
        };
        let row = self
            .inner
            .adapter
            .update_key_password(&id, hashed_password.as_deref())
            .await?;
        Ok(Key::from_row(&row))
    }

    /// Deletes a key unless it is the user's primary key (which goes only with the user).
    pub async fn delete_key(&self, provider_id: &str, provider_user_id: &str) -> Result<()> {
        let id = key_id(provider_id, provider_user_id)?;
        self.inner.adapter.delete_non_primary_key(&id).await
    }

    // Sessions

    /// Creates a session for the user, active for the active period and then idle for the idle
    /// period, and deletes the user's dead sessions.
    ///
    /// Errors: [`Error::InvalidUserId`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// # let user = auth.create_user((), Some(lucia_sea_orm_auth::NewKey::with_password(
    /// #     "email", "ada@example.com", "correct horse"))).await?;
    /// use lucia_sea_orm_auth::SessionState;
    ///
    /// let session = auth.create_session(&user.id).await?;
    /// assert_eq!(session.state, SessionState::Active);
    /// assert!(session.fresh); // a new id: set the cookie to `session.id`
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_session(&self, user_id: &str) -> Result<Session> {
        let now = self.now();
        let active_expires = now.saturating_add(self.inner.active_period);
        let id = self.inner.session_id_generator.generate()?;
        let row = SessionRow {
            id: self.stored_session_id(&id).into_owned(),
            user_id: user_id.to_owned(),
            active_expires,
            idle_expires: active_expires.saturating_add(self.inner.idle_period),
        };
        // Cleanup first: a failure after the insert would leave a session nobody has the id of.
        self.inner
            .adapter
            .delete_dead_sessions_by_user_id(user_id, now)
            .await?;
        self.inner.adapter.set_session(&row).await?;
        Ok(Session::from_row(
            SessionRow { id, ..row },
            SessionState::Active,
            true,
        ))
    }

    /// The live session with this id, as it is (never renewed).
    ///
    /// Errors: [`Error::InvalidSessionId`] for an unknown, malformed or dead id (a dead session
    /// is deleted).
    pub async fn get_session(&self, session_id: &str) -> Result<Session> {
        if !self.inner.session_id_generator.is_well_formed(session_id) {
            return Err(Error::InvalidSessionId);
        }
        let stored_id = self.stored_session_id(session_id);
        let row = self.inner.adapter.get_session(&stored_id).await?;
        self.live(row.ok_or(Error::InvalidSessionId)?, session_id)
            .await
    }

    /// The live session with this id; an idle one is replaced by a fresh session (check
    /// [`Session::fresh`] and send the new id), and the old id stays valid for the renewal
    /// grace period only (see [`AuthBuilder::renewal_grace_period`]).
    ///
    /// Of several concurrent validations of one idle session exactly one renews it; the others
    /// get the old session, active for the rest of the grace period and not fresh. Only the
    /// renewing call learns the new id: if its response never reaches the client, the client
    /// is signed out when the grace period ends. If storing the new session fails, the old one
    /// still ends with the grace period.
    ///
    /// Errors: [`Error::InvalidSessionId`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// use std::time::Duration;
    ///
    /// use lucia_sea_orm_auth::{Auth, Clock, ManualClock, SystemClock};
    ///
    /// let clock = ManualClock::new(SystemClock.now_millis());
    /// let auth = Auth::builder(adapter).clock(clock.clone()).build();
    /// # let user = auth.create_user((), None).await?;
    /// let session = auth.create_session(&user.id).await?;
    /// assert!(!auth.validate_session(&session.id).await?.fresh); // active: as it is
    ///
    /// clock.advance(Duration::from_secs(25 * 60 * 60)); // a day later it is idle
    /// let renewed = auth.validate_session(&session.id).await?;
    /// assert!(renewed.fresh); // a new session: send `renewed.id` as the cookie
    /// assert_ne!(renewed.id, session.id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn validate_session(&self, session_id: &str) -> Result<Session> {
        let session = self.get_session(session_id).await?;
        self.renew_if_idle(session).await
    }

    /// [`validate_session`](Self::validate_session) and the session's user, read together in one
    /// round trip (three more for a renewal: the cut of the old session, the cleanup of the
    /// user's dead sessions and the insert of the new one).
    ///
    /// Errors: [`Error::InvalidSessionId`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// # let user = auth.create_user((), Some(lucia_sea_orm_auth::NewKey::with_password(
    /// #     "email", "ada@example.com", "correct horse"))).await?;
    /// let session = auth.create_session(&user.id).await?;
    ///
    /// let (session, owner) = auth.validate_session_user(&session.id).await?;
    /// assert_eq!(owner.id, user.id);
    /// if session.fresh {
    ///     // renewed: send the new `session.id` as the cookie
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn validate_session_user(
        &self,
        session_id: &str,
    ) -> Result<(Session, UserRow<D::Attributes>)> {
        if !self.inner.session_id_generator.is_well_formed(session_id) {
            return Err(Error::InvalidSessionId);
        }
        let (row, user) = self
            .inner
            .adapter
            .get_session_and_user(&self.stored_session_id(session_id))
            .await?
            .ok_or(Error::InvalidSessionId)?;
        let session = self.live(row, session_id).await?;
        Ok((self.renew_if_idle(session).await?, user))
    }

    /// Replaces a live session by a fresh one for the same user and invalidates it.
    ///
    /// Errors: [`Error::InvalidSessionId`].
    pub async fn renew_session(&self, session_id: &str) -> Result<Session> {
        let session = self.get_session(session_id).await?;
        self.renew(&session).await
    }

    /// Deletes the session; no-op for an unknown id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// # let user = auth.create_user((), Some(lucia_sea_orm_auth::NewKey::with_password(
    /// #     "email", "ada@example.com", "correct horse"))).await?;
    /// use lucia_sea_orm_auth::Error;
    ///
    /// let session = auth.create_session(&user.id).await?;
    /// auth.invalidate_session(&session.id).await?; // sign out
    /// let gone = auth.validate_session(&session.id).await;
    /// assert!(matches!(gone, Err(Error::InvalidSessionId)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn invalidate_session(&self, session_id: &str) -> Result<()> {
        let stored_id = self.stored_session_id(session_id);
        self.inner
            .adapter
            .delete_sessions(&[&stored_id])
            .await
            .map(drop)
    }

    /// Deletes every session of the user.
    pub async fn invalidate_all_user_sessions(&self, user_id: &str) -> Result<()> {
        self.inner.adapter.delete_sessions_by_user_id(user_id).await
    }

    /// The user's live sessions.
    pub async fn get_user_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        let now = self.now();
        let rows = self.inner.adapter.get_sessions_by_user_id(user_id).await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |row| match SessionState::at(now, row.active_expires, row.idle_expires) {
                    SessionState::Dead => None,
                    state => Some(Session::from_row(row, state, false)),
                },
            )
            .collect())
    }

    /// Deletes the user's dead sessions and returns how many there were.
    pub async fn delete_dead_user_sessions(&self, user_id: &str) -> Result<u64> {
        self.inner
            .adapter
            .delete_dead_sessions_by_user_id(user_id, self.now())
            .await
    }

    /// Deletes every dead session of every user and returns how many there were.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        self.inner.adapter.delete_expired_sessions(self.now()).await
    }

    /// Runs [`delete_expired_sessions`](Self::delete_expired_sessions) now and then every
    /// `period` on the tokio runtime, until the returned task is aborted. Failures are logged
    /// and retried at the next tick.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use lucia_sea_orm_migration::{Migrator, MigratorTrait};
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// # Migrator::up(&db, None).await?;
    /// # let adapter = lucia_sea_orm_adapter::SeaOrmAdapter::<()>::new(db);
    /// # let auth = lucia_sea_orm_auth::Auth::builder(adapter).build();
    /// use std::time::Duration;
    ///
    /// let cleanup = auth.spawn_expired_session_cleanup(Duration::from_secs(60 * 60));
    /// // … serve requests …
    /// cleanup.abort(); // on shutdown
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn_expired_session_cleanup(&self, period: Duration) -> JoinHandle<()>
    where
        D: 'static,
    {
        let auth = self.clone();
        // tokio's interval refuses a zero period.
        let period = period.max(Duration::from_millis(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match auth.delete_expired_sessions().await {
                    Ok(deleted) => tracing::debug!(deleted, "expired sessions deleted"),
                    Err(err) => tracing::warn!(error = %err, "expired session cleanup failed"),
                }
            }
        })
    }

    /// The stored `row` of the session `session_id` as a live session, or
    /// [`Error::InvalidSessionId`] (after deleting it) if dead.
    async fn live(&self, row: SessionRow, session_id: &str) -> Result<Session> {
        match SessionState::at(self.now(), row.active_expires, row.idle_expires) {
            SessionState::Dead => {
                self.inner.adapter.delete_sessions(&[&row.id]).await?;
                Err(Error::InvalidSessionId)
            }
            state => {
                let row = SessionRow {
                    id: session_id.to_owned(),
                    ..row
                };
                Ok(Session::from_row(row, state, false))
            }
        }
    }

    /// Renews an idle session: its expiry is cut to the grace period and a new session is made.
    /// Only the call whose cut took effect makes one, so concurrent validations cannot fork the
    /// session, and a session deleted by a sign-out is not brought back; the other calls are
    /// served with the old session, now active until the grace period ends.
    async fn renew_if_idle(&self, session: Session) -> Result<Session> {
        if session.state != SessionState::Idle {
            return Ok(session);
        }
        let now = self.now();
        let grace_ends = now
            .saturating_add(self.inner.renewal_grace_period)
            .min(session.idle_expires);
        let stored_id = self.stored_session_id(&session.id);
        if self
            .inner
            .adapter
            .expire_idle_session(&stored_id, now, grace_ends)
            .await?
        {
            return self.create_session(&session.user_id).await;
        }
        let row = self.inner.adapter.get_session(&stored_id).await?;
        self.live(row.ok_or(Error::InvalidSessionId)?, &session.id)
            .await
    }

    /// Replaces `session` by a new one. The old one is deleted first, and only the call that
    /// deleted it gets a successor: a renewal racing a sign-out, or another renewal of the same
    /// session, cannot bring a session back or fork it in two.
    async fn renew(&self, session: &Session) -> Result<Session> {
        let stored_id = self.stored_session_id(&session.id);
        if self.inner.adapter.delete_sessions(&[&stored_id]).await? == 0 {
            return Err(Error::InvalidSessionId);
        }
        self.create_session(&session.user_id).await
    }
}

/// Shows the configuration and the adapter; nothing here is secret (the adapter's own `Debug`
/// must keep its connection's credentials out, as `SeaOrmAdapter`'s does).
impl<D: std::fmt::Debug> std::fmt::Debug for Auth<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Auth")
            .field("adapter", &inner.adapter)
            .field("active_period_ms", &inner.active_period)
            .field("idle_period_ms", &inner.idle_period)
            .field("password_hasher", &inner.hasher)
            .field("hash_session_ids", &inner.hash_session_ids)
            .finish_non_exhaustive()
    }
}
