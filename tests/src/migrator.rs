use lucia_sea_orm_migration::CreateAuthTables;
use sea_orm_migration::prelude::*;

use crate::AddUsernameToUser;

/// An application's migrator: our tables, then the application's own change to `user`.
pub struct AppMigrator;

impl MigratorTrait for AppMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateAuthTables), Box::new(AddUsernameToUser)]
    }
}
