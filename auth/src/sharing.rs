//! The configuration for running next to the JS library (Lucia 0.6) on the same database.

use crate::auth::AuthBuilder;
use crate::id::RandomSessionId;
use crate::password::PasswordHasher;
use crate::{Adapter, DEFAULT_ACTIVE_PERIOD, DEFAULT_IDLE_PERIOD};

impl<D: Adapter> AuthBuilder<D> {
    /// Writes only what the JS library (Lucia 0.6 with its Kysely adapter) reads, so that both
    /// can serve the same users from the same tables while an application moves to Rust:
    ///
    /// - passwords as Lucia's `s2:` scrypt hashes ([`PasswordHasher::lucia_scrypt`]), so a user
    ///   who signs in here can still sign in there; a sign-in here also turns an argon2id hash
    ///   back into `s2:` (the way back for users locked out of the JS application by the
    ///   default hasher);
    /// - session ids as Lucia makes them, 40 characters of `a-zA-Z0-9` ([`RandomSessionId`]),
    ///   stored as they are ([`hash_session_ids(false)`](Self::hash_session_ids)), since the
    ///   JS library looks sessions up by the cookie's value;
    /// - Lucia's default periods, 1 day active and 14 days idle. If the JS application sets
    ///   `sessionTimeout`, call [`active_period`](Self::active_period) and
    ///   [`idle_period`](Self::idle_period) after this with its values.
    ///
    /// Settings made after this call override it. Once the JS application is switched off,
    /// delete this one line: the defaults read everything written under it (`s2:` hashes are
    /// verified and upgraded to argon2id at each user's next sign-in; sessions stay valid).
    ///
    /// ```
    /// # use lucia_sea_orm_auth::{Adapter, Auth};
    /// # fn configure<D: Adapter>(adapter: D) -> Auth<D> {
    /// let auth = Auth::builder(adapter).sharing_with_lucia_js().build();
    /// # auth
    /// # }
    /// ```
    pub fn sharing_with_lucia_js(self) -> Self {
        self.password_hasher(PasswordHasher::lucia_scrypt())
            .session_id_generator(RandomSessionId)
            .hash_session_ids(false)
            .active_period(DEFAULT_ACTIVE_PERIOD)
            .idle_period(DEFAULT_IDLE_PERIOD)
    }
}
