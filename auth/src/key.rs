//! Keys: the ways a user signs in, each `provider_id:provider_user_id`, with or without a
//! password.

use std::fmt;

use crate::{Error, KeyRow, Result};

/// A key as the application sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Who vouches for the user: `email`, `github`, …
    pub provider_id: String,
    /// The user's id at that provider: an email address, a GitHub user id, …
    pub provider_user_id: String,
    /// The user the key belongs to.
    pub user_id: String,
    /// Whether the user was created with this key; primary keys are deleted only with the user.
    pub primary: bool,
    /// Whether signing in with this key takes a password.
    pub has_password: bool,
}

impl Key {
    pub(crate) fn from_row(row: &KeyRow) -> Self {
        // Lucia splits at the first `:`; provider ids never contain one (see `key_id`), so
        // provider user ids may.
        let (provider_id, provider_user_id) = row.id.split_once(':').unwrap_or((&row.id, ""));
        Self {
            provider_id: provider_id.to_owned(),
            provider_user_id: provider_user_id.to_owned(),
            user_id: row.user_id.clone(),
            primary: row.primary,
            has_password: stored_hash(row).is_some(),
        }
    }
}

/// The key's password hash, if it has a password. Some versions of Lucia stored "no password"
/// as an empty string rather than `NULL`: both mean none.
pub(crate) fn stored_hash(row: &KeyRow) -> Option<&str> {
    row.hashed_password
        .as_deref()
        .filter(|hash| !hash.is_empty())
}

/// A key to create: its provider, the user's id there, and an optional password (an empty
/// password means none). `Debug` does not show the password.
#[derive(Clone, Copy)]
pub struct NewKey<'a> {
    /// Who vouches for the user; must not contain `:`.
    pub provider_id: &'a str,
    /// The user's id at that provider.
    pub provider_user_id: &'a str,
    /// The password, if signing in with this key takes one.
    pub password: Option<&'a str>,
}

impl<'a> NewKey<'a> {
    /// A key signed in to with a password, such as `email` and an address.
    pub fn with_password(
        provider_id: &'a str,
        provider_user_id: &'a str,
        password: &'a str,
    ) -> Self {
        Self {
            provider_id,
            provider_user_id,
            password: Some(password),
        }
    }

    /// A key signed in to without a password, such as an OAuth provider's user id.
    pub fn without_password(provider_id: &'a str, provider_user_id: &'a str) -> Self {
        Self {
            provider_id,
            provider_user_id,
            password: None,
        }
    }
}

impl fmt::Debug for NewKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("provider_id", &self.provider_id)
            .field("provider_user_id", &self.provider_user_id)
            .field("password", &self.password.map(|_| "<redacted>"))
            .finish()
    }
}

/// The key id `provider_id:provider_user_id`.
///
/// Errors: [`Error::InvalidProviderId`] if `provider_id` is empty or contains `:`.
pub fn key_id(provider_id: &str, provider_user_id: &str) -> Result<String> {
    if provider_id.is_empty() || provider_id.contains(':') {
        return Err(Error::InvalidProviderId);
    }
    Ok(format!("{provider_id}:{provider_user_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> KeyRow {
        KeyRow {
            id: id.into(),
            user_id: "u".into(),
            primary: false,
            hashed_password: None,
        }
    }

    #[test]
    fn key_ids_split_at_the_first_colon() {
        let key = Key::from_row(&row("email:a:b@example.com"));
        assert_eq!(
            (key.provider_id.as_str(), key.provider_user_id.as_str()),
            ("email", "a:b@example.com")
        );
    }

    #[test]
    fn a_provider_id_with_a_colon_or_empty_is_rejected() {
        assert!(matches!(
            key_id("e:mail", "x"),
            Err(Error::InvalidProviderId)
        ));
        assert!(matches!(key_id("", "x"), Err(Error::InvalidProviderId)));
        assert_eq!(key_id("email", "a:b").unwrap(), "email:a:b");
    }
}
