//! Lucia-style authentication over any storage: users, keys (ways to sign in, with or without
//! a password) and server-side sessions with active and idle expiry.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod adapter;
mod error;
mod password;
mod row;

pub use adapter::Adapter;
pub use error::{Error, Result};
pub use password::{
    DEFAULT_MAX_PASSWORD_BYTES, HashFormat, PasswordHasher, PasswordHasherBuilder, Verified,
};
pub use row::{KeyRow, SessionRow, UserRow};
