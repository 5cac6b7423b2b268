//! The rules for what a person types: an email address and a password.

use lucia_sea_orm_auth::DEFAULT_MAX_PASSWORD_BYTES;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted, in characters (well under the hasher's byte limit, and long
/// enough for any passphrase or password manager).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The longest email address, in characters: the key id `email:<address>` must fit MySQL's and
/// SQLite's `VARCHAR(255)`.
pub const MAX_EMAIL_CHARS: usize = 255 - "email:".len();
/// The key provider for email and password accounts.
pub const EMAIL_PROVIDER: &str = "email";

const _: () = assert!(MAX_PASSWORD_CHARS * 4 <= DEFAULT_MAX_PASSWORD_BYTES);

/// An email address as stored: trimmed and lower-cased, so `Ada@Example.com ` and
/// `ada@example.com` are one account.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why an email address (already normalised) cannot be an account's, if it cannot.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.is_empty() {
        return Some("Enter your email address.");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some("That email address is too long.");
    }
    let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Some("Enter an email address like name@example.com.");
    }
    None
}

/// Why a new password cannot be used, if it cannot.
pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!(
            "That password is too short: use at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(format!(
            "That password is too long: use at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalise_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn malformed_and_overlong_emails_have_a_problem() {
        assert!(email_problem("ada@example.com").is_none());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.d",
            "ada@example.com\0",
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_CHARS));
        assert_eq!(
            email_problem(&long),
            Some("That email address is too long.")
        );
    }

    #[test]
    fn passwords_between_the_limits_have_no_problem() {
        assert!(
            password_problem(&"a".repeat(MIN_PASSWORD_CHARS - 1))
                .unwrap()
                .contains("too short")
        );
        assert!(password_problem(&"a".repeat(MIN_PASSWORD_CHARS)).is_none());
        assert!(password_problem(&"é".repeat(MAX_PASSWORD_CHARS)).is_none());
        assert!(
            password_problem(&"a".repeat(MAX_PASSWORD_CHARS + 1))
                .unwrap()
                .contains("too long")
        );
    }
}
