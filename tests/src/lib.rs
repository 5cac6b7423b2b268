//! Test harness: a fresh database per test on each backend, created before and dropped after.
//!
//! PostgreSQL and MariaDB run when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server (any
//! database on it; each test creates its own beside it). Without them, when the suite is
//! compiled, those tests are marked ignored (`ignored, set TEST_POSTGRES_URL to run it` in
//! `cargo test`'s output, and counted in its summary), except under `CI=true`, where a missing
//! or unreachable server fails them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cluster;
mod database;
mod m20261201_000001_add_username_to_user;
mod migrator;
pub mod server;
pub mod tables;

pub use database::{Backend, Schema, ScratchDatabase, run};
pub use m20261201_000001_add_username_to_user::Migration as AddUsernameToUser;
pub use migrator::AppMigrator;

/// Generates one `#[tokio::test]` per database for each listed `async fn(DatabaseConnection)`,
/// in modules `sqlite`, `postgres`, `mysql` and `galera` (node 1 of a private Galera cluster),
/// each test on a fresh database prepared as `schema` says.
///
/// A database whose server variable (`TEST_POSTGRES_URL`, `TEST_MYSQL_URL`) was unset when the
/// tests were compiled has its tests marked `#[ignore = "set TEST_…_URL to run it"]` (see
/// `build.rs`; never under `CI=true`), so `cargo test` lists each one as ignored and counts
/// them. A server that is named but unreachable still fails at run time.
///
/// ```ignore
/// async fn get_user_returns_none_for_unknown_id(db: DatabaseConnection) { /* … */ }
/// lucia_sea_orm_tests::on_every_database!(Schema::Migrated: get_user_returns_none_for_unknown_id);
/// ```
#[macro_export]
macro_rules! on_every_database {
    ($schema:expr => $($test:ident),+ $(,)?) => {
        $crate::on_every_database!(@backend sqlite, $crate::Backend::Sqlite, $schema => $($test),+);
        $crate::on_every_database!(@backend postgres, $crate::Backend::Postgres,
            server "TEST_POSTGRES_URL", "set TEST_POSTGRES_URL to run it", $schema => $($test),+);
        $crate::on_every_database!(@backend mysql, $crate::Backend::MySql,
            server "TEST_MYSQL_URL", "set TEST_MYSQL_URL to run it", $schema => $($test),+);
        // Galera's cluster is started by the tests themselves (tests/src/cluster.rs), like
        // SQLite's file: no server variable, skipped at run time without `galera-4`.
        $crate::on_every_database!(@backend galera, $crate::Backend::Galera, $schema => $($test),+);
    };
    // A backend with a server: its tests are ignored when `build.rs` found `$variable` unset.
    // A new server backend is one more line above, and its variable in `build.rs`'s list
    // (`unexpected_cfgs` warns until it is there).
    (@backend $module:ident, $backend:expr, server $variable:literal, $reason:literal,
        $schema:expr => $($test:ident),+) => {
        mod $module {
            use $crate::Schema;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(lucia_sea_orm_unset = $variable, ignore = $reason)]
                async fn $test() {
                    $crate::run($backend, $schema, super::$test).await;
                }
            )+
        }
    };
    // An embedded backend: always runs.
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
