//! Password hashing and verification: argon2id for new hashes, and the scrypt formats the JS
//! Lucia library wrote, so that a database shared with (or migrated from) it keeps working.

use std::fmt::Display;

use argon2::{Algorithm, Argon2, PasswordHash, Version};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// The default of [`PasswordHasherBuilder::max_password_bytes`]: 4096 bytes of UTF-8 after NFKC
/// normalisation.
///
/// Far above any passphrase a person types, low enough that a request cannot make the server
/// normalise and pre-hash megabytes.
pub const DEFAULT_MAX_PASSWORD_BYTES: usize = 4096;

/// Argon2 memory cost of the default format, in KiB: OWASP's minimum for argon2id.
const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2 passes of the default format: OWASP's minimum for argon2id at 19 MiB.
const ARGON2_ITERATIONS: u32 = 2;
/// Argon2 lanes of the default format.
const ARGON2_PARALLELISM: u32 = 1;
/// Bytes of random salt in new argon2 hashes, the PHC string format's recommendation.
const ARGON2_SALT_BYTES: usize = 16;
/// Bytes of argon2 output in new hashes.
const ARGON2_OUTPUT_BYTES: usize = 32;

/// log2 of the scrypt cost N = 16384 that JS Lucia uses in both of its formats.
const SCRYPT_LOG_N: u8 = 14;
/// scrypt block size of JS Lucia's `s2:` format.
const S2_BLOCK_SIZE: u32 = 16;
/// scrypt block size of JS Lucia's older, unprefixed format.
const LEGACY_BLOCK_SIZE: u32 = 8;
/// scrypt parallelism of both JS Lucia formats.
const SCRYPT_PARALLELISM: u32 = 1;
/// Bytes of scrypt output in both JS Lucia formats (stored as 128 hex digits).
const SCRYPT_OUTPUT_BYTES: usize = 64;
/// Characters of salt JS Lucia writes in an `s2:` hash.
const LUCIA_SALT_CHARS: usize = 16;
/// JS Lucia's salt alphabet: its salts are these characters themselves, not encoded bytes.
const LUCIA_SALT_ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// PHC prefixes of bcrypt, which neither this library nor JS Lucia can verify.
const BCRYPT_PREFIXES: [&str; 5] = ["$2$", "$2a$", "$2b$", "$2x$", "$2y$"];

/// The format [`PasswordHasher::hash`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashFormat {
    /// An argon2id (version 19) PHC string, `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`, with a
    /// random 16-byte salt and a 32-byte output.
    Argon2id {
        /// Memory cost `m`, in KiB.
        memory_kib: u32,
        /// Number of passes `t`.
        iterations: u32,
        /// Number of lanes `p`.
        parallelism: u32,
    },
    /// JS Lucia's format, `s2:<salt>:<hex>`: scrypt with N = 16384, r = 16, p = 1 and a 64-byte
    /// output, over a random 16-character salt of `a`–`z` and `0`–`9` used as its UTF-8 bytes.
    ///
    /// For applications that share their database with the JS library while they migrate: it
    /// can verify these hashes, not argon2 ones.
    LuciaScrypt,
}

impl HashFormat {
    /// argon2id at OWASP's minimum cost: m = 19456 KiB, t = 2, p = 1. The default.
    pub const ARGON2ID_OWASP: Self = Self::Argon2id {
        memory_kib: ARGON2_MEMORY_KIB,
        iterations: ARGON2_ITERATIONS,
        parallelism: ARGON2_PARALLELISM,
    };
}

impl Default for HashFormat {
    /// [`HashFormat::ARGON2ID_OWASP`].
    fn default() -> Self {
        Self::ARGON2ID_OWASP
    }
}

/// The outcome of [`PasswordHasher::verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Verified {
    /// The password is the one hashed.
    Match {
        /// Whether the caller should replace the stored hash with [`PasswordHasher::hash`] of
        /// the password it now knows, because the stored one is in another format or cheaper
        /// than what the hasher writes. Always `false` for a hasher built with
        /// [`rehash_outdated(false)`](PasswordHasherBuilder::rehash_outdated).
        rehash: bool,
    },
    /// The password is not the one hashed.
    Mismatch,
}

impl Verified {
    /// Whether the password matched.
    pub fn is_match(self) -> bool {
        matches!(self, Self::Match { .. })
    }

    /// Whether the password matched and the stored hash should be replaced.
    pub fn needs_rehash(self) -> bool {
        matches!(self, Self::Match { rehash: true })
    }
}

/// Hashes passwords for storage and verifies them against stored hashes.
///
/// Passwords are normalised to Unicode NFKC first, so that the same password typed on different
/// keyboards (say, with the `ﬁ` ligature or full-width digits) is the same password. Hashing runs
/// on Tokio's blocking thread pool, never on the async executor, so the async methods must be
/// called from within a Tokio runtime (outside one they fail with [`Error::Hashing`]).
///
/// Built by [`PasswordHasher::builder`]; [`PasswordHasher::default`] is the builder's defaults.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> lucia_sea_orm_auth::Result<()> {
/// use lucia_sea_orm_auth::{PasswordHasher, Verified};
///
/// let hasher = PasswordHasher::default();
/// let stored = hasher.hash("correct horse").await?.expect("not empty");
/// assert!(stored.starts_with("$argon2id$"));
/// assert_eq!(
///     hasher.verify("correct horse", &stored).await?,
///     Verified::Match { rehash: false },
/// );
/// assert_eq!(hasher.verify("battery staple", &stored).await?, Verified::Mismatch);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    format: HashFormat,
    rehash_outdated: bool,
    max_password_bytes: usize,
}

impl Default for PasswordHasher {
    /// argon2id at OWASP's minimum cost, rehashing outdated hashes, passwords of at most
    /// [`DEFAULT_MAX_PASSWORD_BYTES`].
    fn default() -> Self {
        Self {
            format: HashFormat::default(),
            rehash_outdated: true,
            max_password_bytes: DEFAULT_MAX_PASSWORD_BYTES,
        }
    }
}

/// Configures a [`PasswordHasher`]; made by [`PasswordHasher::builder`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PasswordHasherBuilder {
    hasher: PasswordHasher,
}

impl PasswordHasherBuilder {
    /// The format new hashes are written in. Default: [`HashFormat::ARGON2ID_OWASP`].
    ///
    /// Every format is verified whatever this is; it decides what [`PasswordHasher::hash`]
    /// writes and which stored hashes count as outdated.
    pub fn format(mut self, format: HashFormat) -> Self {
        self.hasher.format = format;
        self
    }

    /// Whether [`PasswordHasher::verify`] reports a matching hash that is not what
    /// [`PasswordHasher::hash`] would write now as needing a rehash. Default: `true`.
    ///
    /// A stored hash is outdated when it is in another format than [`format`](Self::format),
    /// or, for argon2, when it is not argon2id version 19, or any of its costs, its salt or
    /// its output is smaller than new hashes'. Hashes that cost more are kept: a rehash never
    /// weakens one.
    pub fn rehash_outdated(mut self, rehash_outdated: bool) -> Self {
        self.hasher.rehash_outdated = rehash_outdated;
        self
    }

    /// The longest password accepted, in bytes of UTF-8 after NFKC normalisation; longer ones
    /// fail with [`Error::PasswordTooLong`]. Default: [`DEFAULT_MAX_PASSWORD_BYTES`].
    pub fn max_password_bytes(mut self, max_password_bytes: usize) -> Self {
        self.hasher.max_password_bytes = max_password_bytes;
        self
    }

    /// The configured hasher.
    ///
    /// # Errors
    /// [`Error::Hashing`] if the argon2 costs are out of argon2's range (for instance a memory
    /// cost below 8 KiB per lane, or zero passes).
    pub fn build(self) -> Result<PasswordHasher> {
        if let HashFormat::Argon2id {
            memory_kib,
            iterations,
            parallelism,
        } = self.hasher.format
        {
            argon2_params(memory_kib, iterations, parallelism)?;
        }
        Ok(self.hasher)
    }
}

impl PasswordHasher {
    /// A builder starting from the defaults (see [`PasswordHasher::default`]).
    pub fn builder() -> PasswordHasherBuilder {
        PasswordHasherBuilder::default()
    }

    /// Hashes `password` in the configured format, with a fresh random salt from the operating
    /// system.
    ///
    /// Returns `Ok(None)` for the empty password, without hashing: Lucia treats an empty
    /// password as no password, and `None` is what a key without one stores.
    ///
    /// # Errors
    /// - [`Error::PasswordTooLong`] if the normalised password is longer than the maximum.
    /// - [`Error::Hashing`] if the operating system's random number generator fails, the
    ///   blocking task is lost, or there is no Tokio runtime.
    pub async fn hash(&self, password: &str) -> Result<Option<String>> {
        if password.is_empty() {
            return Ok(None);
        }
        let password = self.normalize(password)?;
        let format = self.format;
        let hash = run_blocking(move || match format {
            HashFormat::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => hash_argon2id(
                &password,
                argon2_params(memory_kib, iterations, parallelism)?,
            ),
            HashFormat::LuciaScrypt => hash_lucia_scrypt(&password),
        })
        .await?;
        Ok(Some(hash))
    }

    /// Checks `password` against `stored_hash`, comparing digests in constant time.
    ///
    /// Reads argon2 PHC strings (`$argon2id$…`, `$argon2i$…`, `$argon2d$…`), JS Lucia's
    /// `s2:<salt>:<hex>` and its older `<salt>:<hex>` (scrypt with r = 8), whatever the
    /// configured format. The empty password never matches: Lucia treats it as no password.
    ///
    /// # Errors
    /// - [`Error::OutdatedPassword`] if `stored_hash` is bcrypt (`$2a$`, `$2b$`, `$2y$`, …),
    ///   which cannot be verified here: the user has to reset the password.
    /// - [`Error::MalformedHash`] if `stored_hash` is in no format above, or is damaged (the
    ///   message never quotes it).
    /// - [`Error::Hashing`] if the blocking task is lost or there is no Tokio runtime.
    /// - [`Error::PasswordTooLong`] if the normalised password is longer than the maximum: no
    ///   password that long was hashed by this hasher.
    pub async fn verify(&self, password: &str, stored_hash: &str) -> Result<Verified> {
        let stored = StoredHash::parse(stored_hash)?;
        self.verify_parsed(password, stored).await
    }

    /// Does the work of [`verify`](Self::verify) against a hash in the configured format, and
    /// throws the answer away.
    ///
    /// Call it where a sign-in finds no key (or a key without a password), so that the response
    /// takes as long as a wrong password would, and its timing does not tell whether the key
    /// exists. It returns the same errors as `verify` for this password, so propagating them
    /// keeps the two paths alike. The time matches that of stored hashes in the configured
    /// format and costs; hashes in other formats (legacy scrypt, cheaper argon2) take their
    /// own time until they are rehashed.
    ///
    /// # Errors
    /// - [`Error::PasswordTooLong`] if the normalised password is longer than the maximum.
    /// - [`Error::Hashing`] if the blocking task is lost or there is no Tokio runtime.
    pub async fn verify_dummy(&self, password: &str) -> Result<()> {
        let dummy = self.dummy_hash()?;
        self.verify_parsed(password, dummy).await.map(drop)
    }

    async fn verify_parsed(&self, password: &str, stored: StoredHash) -> Result<Verified> {
        if password.is_empty() {
            return Ok(Verified::Mismatch);
        }
        let password = self.normalize(password)?;
        let outdated = !self.is_current(&stored);
        let matched = run_blocking(move || stored.matches(&password)).await?;
        Ok(if matched {
            Verified::Match {
                rehash: self.rehash_outdated && outdated,
            }
        } else {
            Verified::Mismatch
        })
    }

    /// NFKC-normalises `password`, failing as soon as it outgrows the maximum, so that an
    /// attacker's megabyte of input costs no more than a maximal password.
    fn normalize(&self, password: &str) -> Result<String> {
        let mut normalized = String::with_capacity(password.len().min(self.max_password_bytes));
        for c in password.nfkc() {
            normalized.push(c);
            if normalized.len() > self.max_password_bytes {
                return Err(Error::PasswordTooLong {
                    max_bytes: self.max_password_bytes,
                });
            }
        }
        Ok(normalized)
    }

    /// Whether `stored` is as strong as what [`hash`](Self::hash) writes now, in its format.
    fn is_current(&self, stored: &StoredHash) -> bool {
        match (self.format, stored) {
            (
                HashFormat::Argon2id {
                    memory_kib,
                    iterations,
                    parallelism,
                },
                StoredHash::Argon2(hash),
            ) => {
                hash.algorithm == Algorithm::Argon2id
                    && hash.version == Version::V0x13
                    && hash.params.m_cost() >= memory_kib
                    && hash.params.t_cost() >= iterations
                    && hash.params.p_cost() >= parallelism
                    && hash.salt.len() >= ARGON2_SALT_BYTES
                    && hash.digest.len() >= ARGON2_OUTPUT_BYTES
            }
            (
                HashFormat::LuciaScrypt,
                StoredHash::Scrypt {
                    format: ScryptFormat::S2,
                    ..
                },
            ) => true,
            _ => false,
        }
    }

    /// A hash in the configured format and costs that no password matches (its digest is all
    /// zeros), built here rather than kept so that the hasher holds no state besides its
    /// configuration.
    fn dummy_hash(&self) -> Result<StoredHash> {
        Ok(match self.format {
            HashFormat::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => StoredHash::Argon2(Argon2Hash {
                algorithm: Algorithm::Argon2id,
                version: Version::V0x13,
                params: argon2::Params::new(
                    memory_kib,
                    iterations,
                    parallelism,
                    Some(ARGON2_OUTPUT_BYTES),
                )
                .map_err(|e| hashing("argon2 parameters", e))?,
                salt: vec![0; ARGON2_SALT_BYTES],
                digest: vec![0; ARGON2_OUTPUT_BYTES],
            }),
            HashFormat::LuciaScrypt => StoredHash::Scrypt {
                format: ScryptFormat::S2,
                salt: "0".repeat(LUCIA_SALT_CHARS),
                digest: [0; SCRYPT_OUTPUT_BYTES],
            },
        })
    }
}

/// A stored hash, parsed, before any hashing work.
enum StoredHash {
    Argon2(Argon2Hash),
    Scrypt {
        format: ScryptFormat,
        salt: String,
        digest: [u8; SCRYPT_OUTPUT_BYTES],
    },
}

/// The parts of an argon2 PHC string that verification needs.
struct Argon2Hash {
    algorithm: Algorithm,
    version: Version,
    /// Includes the output length, taken from the stored digest.
    params: argon2::Params,
    salt: Vec<u8>,
    digest: Vec<u8>,
}

/// Which of JS Lucia's scrypt formats a hash is in; they differ only in scrypt's block size.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScryptFormat {
    S2,
    Legacy,
}

impl ScryptFormat {
    fn block_size(self) -> u32 {
        match self {
            Self::S2 => S2_BLOCK_SIZE,
            Self::Legacy => LEGACY_BLOCK_SIZE,
        }
    }
}

impl StoredHash {
    fn parse(stored: &str) -> Result<Self> {
        if BCRYPT_PREFIXES
            .iter()
            .any(|prefix| stored.starts_with(prefix))
        {
            return Err(Error::OutdatedPassword);
        }
        if stored.starts_with('$') {
            return Argon2Hash::parse(stored).map(Self::Argon2);
        }
        // Split as JS Lucia does: two fields are the legacy format, three starting `s2` the
        // current one, so that anything it accepts is accepted here.
        let fields: Vec<&str> = stored.split(':').collect();
        let (format, salt, hex_digest) = match fields.as_slice() {
            [salt, hex_digest] => (ScryptFormat::Legacy, *salt, *hex_digest),
            ["s2", salt, hex_digest] => (ScryptFormat::S2, *salt, *hex_digest),
            _ => return Err(malformed("unrecognised password hash format")),
        };
        let mut digest = [0; SCRYPT_OUTPUT_BYTES];
        hex::decode_to_slice(hex_digest, &mut digest)
            .map_err(|_| malformed("scrypt hash digest is not 128 hex digits"))?;
        Ok(Self::Scrypt {
            format,
            salt: salt.to_owned(),
            digest,
        })
    }

    /// Runs the KDF over `password` and compares the result to the stored digest in constant
    /// time. Slow: call on a blocking thread.
    fn matches(&self, password: &str) -> Result<bool> {
        match self {
            Self::Argon2(hash) => {
                let mut computed = vec![0; hash.digest.len()];
                Argon2::new(hash.algorithm, hash.version, hash.params.clone())
                    .hash_password_into(password.as_bytes(), &hash.salt, &mut computed)
                    .map_err(|e| hashing("argon2", e))?;
                Ok(computed.ct_eq(&hash.digest).into())
            }
            Self::Scrypt {
                format,
                salt,
                digest,
            } => {
                let computed = scrypt_digest(password, salt, format.block_size())?;
                Ok(computed.ct_eq(digest).into())
            }
        }
    }
}

impl Argon2Hash {
    fn parse(stored: &str) -> Result<Self> {
        let phc = PasswordHash::new(stored).map_err(|e| malformed(format!("PHC string: {e}")))?;
        let algorithm = Algorithm::try_from(phc.algorithm.as_str())
            .map_err(|_| malformed("unsupported PHC algorithm (only argon2 is verified)"))?;
        let version = match phc.version {
            Some(version) => {
                Version::try_from(version).map_err(|e| malformed(format!("argon2 version: {e}")))?
            }
            // Strings without `v=` come from encoders older than version 19 (1.3), and the
            // reference implementation reads them as version 16; the argon2 crate would assume
            // 19 and reject their passwords.
            None => Version::V0x10,
        };
        let params = argon2::Params::try_from(&phc)
            .map_err(|e| malformed(format!("argon2 parameters: {e}")))?;
        let (Some(salt), Some(digest)) = (phc.salt, phc.hash) else {
            return Err(malformed("argon2 hash has no salt or no digest"));
        };
        Ok(Self {
            algorithm,
            version,
            params,
            salt: salt.to_vec(),
            digest: digest.as_bytes().to_vec(),
        })
    }
}

/// The argon2 parameters for new hashes of these costs.
fn argon2_params(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<argon2::Params> {
    argon2::Params::new(
        memory_kib,
        iterations,
        parallelism,
        Some(ARGON2_OUTPUT_BYTES),
    )
    .map_err(|e| hashing("argon2 parameters", e))
}

/// Slow: call on a blocking thread.
fn hash_argon2id(password: &str, params: argon2::Params) -> Result<String> {
    // Bring the trait's method into scope without shadowing this module's `PasswordHasher`.
    use argon2::PasswordHasher as _;

    let mut salt = [0; ARGON2_SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| hashing("operating system random generator", e))?;
    let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| hashing("argon2", e))?;
    Ok(hash.to_string())
}

/// Slow: call on a blocking thread.
fn hash_lucia_scrypt(password: &str) -> Result<String> {
    let salt = lucia_salt()?;
    let digest = scrypt_digest(password, &salt, S2_BLOCK_SIZE)?;
    Ok(format!("s2:{salt}:{}", hex::encode(digest)))
}

/// JS Lucia's scrypt: N = 16384, p = 1, 64 bytes, the salt's characters used as its bytes.
fn scrypt_digest(password: &str, salt: &str, block_size: u32) -> Result<[u8; SCRYPT_OUTPUT_BYTES]> {
    let params = scrypt::Params::new(SCRYPT_LOG_N, block_size, SCRYPT_PARALLELISM)
        .map_err(|e| hashing("scrypt parameters", e))?;
    let mut digest = [0; SCRYPT_OUTPUT_BYTES];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut digest)
        .map_err(|e| hashing("scrypt", e))?;
    Ok(digest)
}

/// A salt as JS Lucia makes one: 16 characters drawn uniformly from its alphabet.
fn lucia_salt() -> Result<String> {
    // 252 is the largest multiple of 36 that fits in a byte: dropping bytes at or above it keeps
    // `byte % 36` uniform, where taking every byte would favour the first 4 characters.
    const UNBIASED_BELOW: u8 = 252;
    let mut salt = String::with_capacity(LUCIA_SALT_CHARS);
    let mut random = [0; 2 * LUCIA_SALT_CHARS];
    while salt.len() < LUCIA_SALT_CHARS {
        getrandom::fill(&mut random)
            .map_err(|e| hashing("operating system random generator", e))?;
        for byte in random.iter().filter(|&&byte| byte < UNBIASED_BELOW) {
            if salt.len() == LUCIA_SALT_CHARS {
                break;
            }
            let index = usize::from(*byte) % LUCIA_SALT_ALPHABET.len();
            salt.push(char::from(LUCIA_SALT_ALPHABET[index]));
        }
    }
    Ok(salt)
}

/// Runs `work` on Tokio's blocking pool: a KDF takes tens of milliseconds of CPU by design, which
/// on an executor thread would stall every other task scheduled there.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    // `spawn_blocking` panics outside a runtime; this is an error a caller can report instead.
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|e| hashing("password hashing needs a Tokio runtime", e))?;
    runtime
        .spawn_blocking(work)
        .await
        .map_err(|e| hashing("password hashing task", e))?
}

fn hashing(context: &str, error: impl Display) -> Error {
    Error::Hashing(format!("{context}: {error}"))
}

/// An unreadable stored hash. The message never quotes the hash: it is a secret to log.
fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedHash(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S2_HASH_OF_PASSWORD123: &str = "s2:aaaaaaaaaaaaaaaa:bab296283a05f26201be69cb8b00eacc7c51358285910686ec2ef685fbf0f6fa7d6c7e16c02d58d8624e4c72f7a44acaf39e28ce24877f8cfc9e6e3091518cb5";
    const LEGACY_HASH_OF_PASSWORD123: &str = "bbbbbbbbbbbbbbbb:e5113dba2b5957a922946d29d21d7b02b05481e5d8d83a8e5a79372febc4e8206ff30de8ca47aec8a10c698e0dd3ba0dc9dac5b0e91b229340eceae175a09cba";

    fn lucia_scrypt_hasher() -> PasswordHasher {
        PasswordHasher::builder()
            .format(HashFormat::LuciaScrypt)
            .build()
            .unwrap()
    }

    /// Cheaper than the default, so that its hashes count as outdated under the default.
    fn cheap_argon2_hasher() -> PasswordHasher {
        PasswordHasher::builder()
            .format(HashFormat::Argon2id {
                memory_kib: 8 * 1024,
                iterations: 1,
                parallelism: 1,
            })
            .build()
            .unwrap()
    }

    async fn hash(hasher: &PasswordHasher, password: &str) -> String {
        hasher.hash(password).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn s2_test_vector_matches_its_password_and_is_outdated_under_argon2() {
        let verified = PasswordHasher::default()
            .verify("password123", S2_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Match { rehash: true });
    }

    #[tokio::test]
    async fn s2_test_vector_does_not_match_another_password() {
        let verified = PasswordHasher::default()
            .verify("password124", S2_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Mismatch);
    }

    #[tokio::test]
    async fn legacy_test_vector_matches_its_password_and_is_outdated_under_argon2() {
        let verified = PasswordHasher::default()
            .verify("password123", LEGACY_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Match { rehash: true });
    }

    #[tokio::test]
    async fn legacy_test_vector_does_not_match_another_password() {
        let verified = PasswordHasher::default()
            .verify("password124", LEGACY_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Mismatch);
    }

    #[tokio::test]
    async fn legacy_hash_is_outdated_under_lucia_scrypt_and_s2_is_not() {
        let hasher = lucia_scrypt_hasher();
        let legacy = hasher
            .verify("password123", LEGACY_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        let s2 = hasher
            .verify("password123", S2_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(legacy, Verified::Match { rehash: true });
        assert_eq!(s2, Verified::Match { rehash: false });
    }

    #[tokio::test]
    async fn rehash_outdated_false_never_asks_for_a_rehash() {
        let hasher = PasswordHasher::builder()
            .rehash_outdated(false)
            .build()
            .unwrap();
        let verified = hasher
            .verify("password123", S2_HASH_OF_PASSWORD123)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Match { rehash: false });
        assert!(verified.is_match());
        assert!(!verified.needs_rehash());
    }

    #[tokio::test]
    async fn bcrypt_hashes_are_outdated_password() {
        for stored in [
            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        ] {
            let result = PasswordHasher::default().verify("password", stored).await;
            assert!(
                matches!(result, Err(Error::OutdatedPassword)),
                "{stored}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn malformed_hashes_are_malformed_hash_errors() {
        let short_hex = "ab".repeat(63);
        let not_hex = "zz".repeat(64);
        let hex = "ab".repeat(64);
        for stored in [
            String::new(),
            "not a hash".to_owned(),
            format!("s2:salt:{short_hex}"),
            format!("s2:salt:{not_hex}"),
            format!("s3:salt:{hex}"),
            format!("s2:salt:{hex}:extra"),
            "$argon2id$v=19$m=19456,t=2,p=1".to_owned(),
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ".to_owned(),
            "$argon2id$v=7$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$YWJjZGVmZ2hpamtsbW5vcA".to_owned(),
            "$argon2id$v=19$m=1,t=2,p=1$c29tZXNhbHRzYWx0$YWJjZGVmZ2hpamtsbW5vcA".to_owned(),
            "$scrypt$ln=14,r=8,p=1$c29tZXNhbHRzYWx0$YWJjZGVmZ2hpamtsbW5vcA".to_owned(),
            "$".to_owned(),
        ] {
            let result = PasswordHasher::default().verify("password", &stored).await;
            assert!(
                matches!(result, Err(Error::MalformedHash(_))),
                "{stored:?}: {result:?}"
            );
        }
    }

    #[tokio::test]
    async fn malformed_hash_errors_do_not_quote_the_hash() {
        let stored = format!("s2:secretsalt:{}", "zz".repeat(64));
        let Err(Error::MalformedHash(message)) =
            PasswordHasher::default().verify("x", &stored).await
        else {
            panic!("expected a hashing error");
        };
        assert!(!message.contains("secretsalt"), "{message}");
    }

    #[tokio::test]
    async fn new_hashes_are_argon2id_at_owasp_cost_and_verify() {
        let hasher = PasswordHasher::default();
        let stored = hash(&hasher, "correct horse battery staple").await;

        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        let phc = PasswordHash::new(&stored).unwrap();
        let params = argon2::Params::try_from(&phc).unwrap();
        assert!(params.m_cost() >= 19_456, "{stored}");
        assert!(params.t_cost() >= 2, "{stored}");
        assert_eq!(params.p_cost(), 1, "{stored}");
        assert_eq!(phc.salt.unwrap().len(), 16);
        assert_eq!(phc.hash.unwrap().len(), 32);

        assert_eq!(
            hasher
                .verify("correct horse battery staple", &stored)
                .await
                .unwrap(),
            Verified::Match { rehash: false }
        );
        assert_eq!(
            hasher
                .verify("correct horse battery stapler", &stored)
                .await
                .unwrap(),
            Verified::Mismatch
        );
    }

    #[tokio::test]
    async fn hashing_twice_uses_different_salts() {
        let hasher = PasswordHasher::default();
        assert_ne!(hash(&hasher, "same").await, hash(&hasher, "same").await);
    }

    #[tokio::test]
    async fn lucia_scrypt_format_writes_s2_hashes_that_verify() {
        let hasher = lucia_scrypt_hasher();
        let stored = hash(&hasher, "correct horse battery staple").await;

        let fields: Vec<&str> = stored.split(':').collect();
        let [version, salt, digest] = fields.as_slice() else {
            panic!("not three fields: {stored}");
        };
        assert_eq!(*version, "s2");
        assert_eq!(salt.len(), 16, "{stored}");
        assert!(
            salt.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{stored}"
        );
        assert_eq!(digest.len(), 128, "{stored}");
        assert!(
            digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{stored}"
        );

        assert_eq!(
            hasher
                .verify("correct horse battery staple", &stored)
                .await
                .unwrap(),
            Verified::Match { rehash: false }
        );
        assert_eq!(
            hasher.verify("wrong", &stored).await.unwrap(),
            Verified::Mismatch
        );
    }

    #[tokio::test]
    async fn s2_hashes_written_here_are_lucias_scrypt_of_the_salt_characters() {
        let stored = hash(&lucia_scrypt_hasher(), "password123").await;
        let (salt, digest) = stored
            .strip_prefix("s2:")
            .and_then(|rest| rest.split_once(':'))
            .unwrap();
        let params = scrypt::Params::new(14, 16, 1).unwrap();
        let mut expected = [0; 64];
        scrypt::scrypt(b"password123", salt.as_bytes(), &params, &mut expected).unwrap();
        assert_eq!(digest, hex::encode(expected));
    }

    #[tokio::test]
    async fn argon2_hash_is_outdated_under_lucia_scrypt() {
        let stored = hash(&PasswordHasher::default(), "password").await;
        let verified = lucia_scrypt_hasher()
            .verify("password", &stored)
            .await
            .unwrap();
        assert_eq!(verified, Verified::Match { rehash: true });
    }

    #[tokio::test]
    async fn cheaper_argon2_hash_is_outdated_and_costlier_one_is_not() {
        let cheap = hash(&cheap_argon2_hasher(), "password").await;
        let default = hash(&PasswordHasher::default(), "password").await;

        let under_default = PasswordHasher::default()
            .verify("password", &cheap)
            .await
            .unwrap();
        let under_cheap = cheap_argon2_hasher()
            .verify("password", &default)
            .await
            .unwrap();
        assert_eq!(under_default, Verified::Match { rehash: true });
        assert_eq!(under_cheap, Verified::Match { rehash: false });
    }

    #[tokio::test]
    async fn argon2i_hash_verifies_and_is_outdated() {
        use argon2::PasswordHasher as _;
        let params = argon2::Params::new(19_456, 2, 1, None).unwrap();
        let stored = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
            .hash_password_with_salt(b"password", b"saltsaltsaltsalt")
            .unwrap()
            .to_string();
        assert!(stored.starts_with("$argon2i$"), "{stored}");
        let hasher = PasswordHasher::default();
        assert_eq!(
            hasher.verify("password", &stored).await.unwrap(),
            Verified::Match { rehash: true }
        );
        assert_eq!(
            hasher.verify("passwore", &stored).await.unwrap(),
            Verified::Mismatch
        );
    }

    #[tokio::test]
    async fn argon2_hash_without_version_is_read_as_version_16_and_outdated() {
        use argon2::PasswordHasher as _;
        let params = argon2::Params::new(19_456, 2, 1, None).unwrap();
        let with_version = Argon2::new(Algorithm::Argon2id, Version::V0x10, params)
            .hash_password_with_salt(b"password", b"saltsaltsaltsalt")
            .unwrap()
            .to_string();
        let stored = with_version.replace("$v=16$", "$");
        assert!(stored.starts_with("$argon2id$m=19456,"), "{stored}");
        let hasher = PasswordHasher::default();
        assert_eq!(
            hasher.verify("password", &stored).await.unwrap(),
            Verified::Match { rehash: true }
        );
        assert_eq!(
            hasher.verify("passwore", &stored).await.unwrap(),
            Verified::Mismatch
        );
    }

    #[tokio::test]
    async fn passwords_are_nfkc_normalized_before_hashing_and_verifying() {
        let hasher = PasswordHasher::default();
        // U+FB01 LATIN SMALL LIGATURE FI is "fi" under NFKC.
        let stored = hash(&hasher, "\u{FB01}sh").await;
        assert!(hasher.verify("fish", &stored).await.unwrap().is_match());

        // Full-width letters and digits are ASCII under NFKC.
        let full_width = "ｐａｓｓｗｏｒｄ１２３";
        assert!(
            hasher
                .verify(full_width, S2_HASH_OF_PASSWORD123)
                .await
                .unwrap()
                .is_match()
        );
    }

    #[tokio::test]
    async fn password_longer_than_the_maximum_is_password_too_long() {
        let hasher = PasswordHasher::default();
        let too_long = "a".repeat(DEFAULT_MAX_PASSWORD_BYTES + 1);
        assert!(matches!(
            hasher.hash(&too_long).await,
            Err(Error::PasswordTooLong { max_bytes: 4096 })
        ));
        assert!(matches!(
            hasher.verify(&too_long, S2_HASH_OF_PASSWORD123).await,
            Err(Error::PasswordTooLong { max_bytes: 4096 })
        ));
        assert!(matches!(
            hasher.verify_dummy(&too_long).await,
            Err(Error::PasswordTooLong { max_bytes: 4096 })
        ));
    }

    #[tokio::test]
    async fn password_of_exactly_the_maximum_is_hashed() {
        let hasher = PasswordHasher::builder()
            .max_password_bytes(8)
            .build()
            .unwrap();
        let stored = hash(&hasher, "12345678").await;
        assert!(hasher.verify("12345678", &stored).await.unwrap().is_match());
        assert!(matches!(
            hasher.hash("123456789").await,
            Err(Error::PasswordTooLong { max_bytes: 8 })
        ));
    }

    #[tokio::test]
    async fn maximum_applies_to_the_normalized_password() {
        // U+FDFA is 3 bytes of UTF-8 and 33 after NFKC, so 200 of them are 600 bytes typed and
        // 6600 normalised.
        let expands = "\u{FDFA}".repeat(200);
        assert!(expands.len() < DEFAULT_MAX_PASSWORD_BYTES);
        assert!(matches!(
            PasswordHasher::default().hash(&expands).await,
            Err(Error::PasswordTooLong { max_bytes: 4096 })
        ));
    }

    #[tokio::test]
    async fn empty_password_is_not_hashed_and_never_matches() {
        let hasher = PasswordHasher::default();
        assert_eq!(hasher.hash("").await.unwrap(), None);
        assert_eq!(
            hasher.verify("", S2_HASH_OF_PASSWORD123).await.unwrap(),
            Verified::Mismatch
        );
        assert!(hasher.verify_dummy("").await.is_ok());
    }

    #[tokio::test]
    async fn verify_dummy_succeeds_in_every_format() {
        for hasher in [PasswordHasher::default(), lucia_scrypt_hasher()] {
            assert!(hasher.verify_dummy("password").await.is_ok(), "{hasher:?}");
        }
    }

    #[test]
    fn dummy_hash_is_in_the_configured_format_and_costs() {
        for hasher in [
            PasswordHasher::default(),
            lucia_scrypt_hasher(),
            cheap_argon2_hasher(),
        ] {
            let dummy = hasher.dummy_hash().unwrap();
            assert!(hasher.is_current(&dummy), "{hasher:?}");
        }
    }

    #[test]
    fn default_format_is_owasp_argon2id() {
        assert_eq!(
            HashFormat::default(),
            HashFormat::Argon2id {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1,
            }
        );
    }

    #[test]
    fn lucia_salts_are_16_characters_of_lucias_alphabet() {
        let salt = lucia_salt().unwrap();
        assert_eq!(salt.len(), 16);
        assert!(
            salt.bytes().all(|b| LUCIA_SALT_ALPHABET.contains(&b)),
            "{salt}"
        );
        assert_ne!(salt, lucia_salt().unwrap());
    }

    #[test]
    fn invalid_argon2_costs_fail_to_build() {
        let result = PasswordHasher::builder()
            .format(HashFormat::Argon2id {
                memory_kib: 19_456,
                iterations: 0,
                parallelism: 1,
            })
            .build();
        assert!(matches!(result, Err(Error::Hashing(_))), "{result:?}");
    }

    #[test]
    fn hashing_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        // No runtime here: the future is polled by hand, as an executor other than Tokio's would.
        let hasher = PasswordHasher::default();
        let future = std::pin::pin!(hasher.hash("password"));
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let std::task::Poll::Ready(result) = future.poll(&mut context) else {
            panic!("hashing without a runtime should fail at once");
        };
        assert!(matches!(result, Err(Error::Hashing(_))), "{result:?}");
    }

    #[test]
    fn debug_shows_the_configuration() {
        let debug = format!("{:?}", PasswordHasher::default());
        assert!(debug.contains("Argon2id"), "{debug}");
        assert!(debug.contains("19456"), "{debug}");
        assert!(debug.contains("4096"), "{debug}");
    }
}
