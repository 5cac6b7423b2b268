//! Test harness: a fresh database per test on each backend, created before and dropped after.
//!
//! PostgreSQL and MariaDB run when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server (any
//! database on it; each test creates its own beside it). Without them those tests are skipped
//! with a message, except under `CI=true`, where a missing or unreachable server fails them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod database;
pub mod lucia_js;
mod m20261201_000001_add_username_to_user;
mod migrator;
pub mod server;
pub mod tables;

pub use database::{Backend, Schema, ScratchDatabase, run};
pub use m20261201_000001_add_username_to_user::Migration as AddUsernameToUser;
pub use migrator::AppMigrator;

/// Generates one `#[tokio::test]` per database for each listed `async fn(DatabaseConnection)`,
/// in modules `sqlite`, `postgres` and `mysql`, each test on a fresh database prepared as
/// `schema` says.
///
/// ```ignore
/// async fn get_user_returns_none_for_unknown_id(db: DatabaseConnection) { /* … */ }
/// lucia_sea_orm_tests::on_every_database!(Schema::Migrated: get_user_returns_none_for_unknown_id);
/// ```
#[macro_export]
macro_rules! on_every_database {
    ($schema:expr => $($test:ident),+ $(,)?) => {
        $crate::on_every_database!(@backend sqlite, $crate::Backend::Sqlite, $schema => $($test),+);
        $crate::on_every_database!(@backend postgres, $crate::Backend::Postgres, $schema => $($test),+);
        $crate::on_every_database!(@backend mysql, $crate::Backend::MySql, $schema => $($test),+);
    };
    (@backend $module:ident, $backend:expr, $schema:expr => $($test:ident),+) => {
        mod $module {
            use $crate::Schema;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::run($backend, $schema, super::$test).await;
                }
            )+
        }
    };
}
