//! Generators of session and user ids.

use crate::{Error, Result};

/// Makes new ids, and tells which strings could be ids it made.
///
/// Any `Fn() -> String` is a generator whose ids are not checked for form.
pub trait IdGenerator: Send + Sync {
    /// A new id.
    fn generate(&self) -> Result<String>;

    /// Whether `id` has the form of the ids this generator makes. Ids that do not are rejected
    /// without a database round trip.
    fn is_well_formed(&self, id: &str) -> bool {
        let _ = id;
        true
    }
}

impl<F: Fn() -> String + Send + Sync> IdGenerator for F {
    fn generate(&self) -> Result<String> {
        Ok(self())
    }
}

/// Session ids as Lucia makes them: 40 characters drawn uniformly from `a-zA-Z0-9` with the
/// operating system's random source (about 238 bits).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomSessionId;

const ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// The length of a [`RandomSessionId`].
pub const SESSION_ID_LENGTH: usize = 40;

impl IdGenerator for RandomSessionId {
    fn generate(&self) -> Result<String> {
        let mut id = String::with_capacity(SESSION_ID_LENGTH);
        let mut bytes = [0u8; 64];
        while id.len() < SESSION_ID_LENGTH {
            getrandom::fill(&mut bytes).map_err(|err| Error::Random(err.to_string()))?;
            // Rejection sampling keeps every character equally likely: 248 is the largest
            // multiple of 62 below 256.
            for byte in bytes.iter().filter(|&&b| b < 248) {
                if id.len() == SESSION_ID_LENGTH {
                    break;
                }
                id.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
            }
        }
        Ok(id)
    }

    fn is_well_formed(&self, id: &str) -> bool {
        id.len() == SESSION_ID_LENGTH && id.bytes().all(|b| b.is_ascii_alphanumeric())
    }
}

/// User ids as random (version 4) UUIDs, valid in PostgreSQL's `UUID` column and in the
/// 36-character columns of the other databases.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomUuid;

impl IdGenerator for RandomUuid {
    fn generate(&self) -> Result<String> {
        Ok(uuid::Uuid::new_v4().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_session_ids_are_40_alphanumeric_characters_and_differ() {
        let ids: Vec<String> = (0..100)
            .map(|_| RandomSessionId.generate().unwrap())
            .collect();
        for id in &ids {
            assert!(RandomSessionId.is_well_formed(id), "{id}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn random_session_ids_use_the_whole_alphabet() {
        let seen: std::collections::HashSet<char> = (0..200)
            .flat_map(|_| {
                RandomSessionId
                    .generate()
                    .unwrap()
                    .chars()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn ids_of_another_length_or_alphabet_are_not_well_formed() {
        assert!(!RandomSessionId.is_well_formed(&"a".repeat(39)));
        assert!(!RandomSessionId.is_well_formed(&"a".repeat(41)));
        assert!(!RandomSessionId.is_well_formed(&format!("{}-", "a".repeat(39))));
    }

    #[test]
    fn random_uuids_parse_as_version_4() {
        let id = RandomUuid.generate().unwrap();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    }
}
