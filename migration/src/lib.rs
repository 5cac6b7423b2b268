//! The migration that creates Lucia's `user`, `session` and `key` tables, each database with its
//! own column types (see the README's table), or adopts them when Lucia (JavaScript) already
//! created them (see [`CreateAuthTables`]).
//!
//! Run it on its own with `sea-orm-cli migrate up -d migration`, or list
//! [`CreateAuthTables`] in an application's own [`MigratorTrait`] before the migrations that add
//! columns to `user`:
//!
//! ```
//! use lucia_sea_orm_migration::CreateAuthTables;
//! use sea_orm_migration::prelude::*;
//!
//! pub struct AppMigrator;
//!
//! impl MigratorTrait for AppMigrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         vec![
//!             Box::new(CreateAuthTables),
//!             // Box::new(m20261201_000001_add_username_to_user::Migration),
//!         ]
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use sea_orm_migration::prelude::*;

mod adoption;
mod existing;
mod m20261128_000001_create_auth_tables;

pub use m20261128_000001_create_auth_tables::Migration as CreateAuthTables;

/// The migrator of this crate alone: the auth tables and nothing else.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateAuthTables)]
    }
}
