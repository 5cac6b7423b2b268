//! The application's migrator, as in the README: in an application it is the migration crate's
//! `lib.rs`.

use lucia_sea_orm_migration::CreateAuthTables;
use sea_orm_migration::prelude::*;

mod m20261201_000001_add_username_to_user;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateAuthTables),
            Box::new(m20261201_000001_add_username_to_user::Migration),
        ]
    }
}
