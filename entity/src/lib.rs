//! SeaORM entities for the tables of Lucia's auth schema: [`user`], [`session`] and [`key`].
//!
//! They are written as `sea-orm-cli generate entity` writes them (2.0 dense format), with two
//! changes that let one set of entities read and write the schema of every database:
//!
//! - PostgreSQL stores user ids as `UUID`, the others as `VARCHAR(36)`. The user-id columns are
//!   declared with a PostgreSQL-only cast (see [`USER_ID_TYPE`]) so that they are `String` in
//!   Rust everywhere.
//! - MySQL stores expiry times as `BIGINT UNSIGNED`, which the driver will not decode as `i64`;
//!   they are [`Millis`], which decodes from either.
//!
//! ```
//! use lucia_sea_orm_entity::{session, Millis};
//! use sea_orm::{DbBackend, EntityTrait, QueryTrait};
//!
//! let sql = session::Entity::find_by_id("abc").build(DbBackend::Postgres).to_string();
//! assert!(sql.contains(r#"CAST("session"."user_id" AS "text")"#));
//! assert_eq!(Millis(4_102_444_800_000).0, 4_102_444_800_000);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod key;
mod millis;
pub mod prelude;
pub mod session;
pub mod user;

pub use millis::Millis;

/// Column type of every user-id column (`user.id`, `session.user_id`, `key.user_id`).
///
/// SeaORM casts an enum-typed column to `text` when it selects it and casts a bound value to the
/// enum's type name when it writes or compares it, on PostgreSQL only: exactly what a `UUID`
/// column read and written as `String` needs there, while MySQL and SQLite see plain strings.
pub const USER_ID_TYPE: &str = "uuid";

/// How many characters of a secret `Debug` shows: enough to tell two apart in a log, too few to
/// use one.
const SHOWN_SECRET_CHARS: usize = 6;

/// Formats a secret as its first few characters and an ellipsis.
struct Redacted<'a>(&'a str);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.0.chars().take(SHOWN_SECRET_CHARS).collect();
        write!(f, "\"{shown}…\"")
    }
}
