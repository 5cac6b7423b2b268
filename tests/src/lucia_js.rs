//! The rows Lucia (JavaScript) wrote on each database, from `../shared/fixtures/lucia-js/`
//! beside the repository (see its README), loaded into a test's empty database.
//!
//! The files are read where they are, never copied into the repository. Without them a test
//! is skipped with a message, except under `CI=true`, where that fails it.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::Backend;

/// The environment variable that overrides where the fixtures are.
pub const FIXTURES_ENV: &str = "LUCIA_JS_FIXTURES";

/// The instant at which the fixtures' README states what a reader must conclude, in
/// milliseconds since the Unix epoch (2026-11-28T20:35:26.485Z).
pub const NOW: i64 = 1_795_898_126_485;

/// The fixtures' directory: `$LUCIA_JS_FIXTURES`, else `shared/fixtures/lucia-js` beside the
/// repository root. `None` (with a message) when it is missing, outside CI.
///
/// # Panics
/// Under `CI=true`, when the directory is missing.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(FIXTURES_ENV) {
        Some(dir) => PathBuf::from(dir),
        // tests/ → the repository root → beside it.
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/lucia-js"),
    };
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "the Lucia JS fixtures are missing at {}: under CI=true they must be there \
             (or set {FIXTURES_ENV})",
            dir.display()
        );
    }
    eprintln!(
        "skipped: the Lucia JS fixtures are not at {} (set {FIXTURES_ENV} to run it)",
        dir.display()
    );
    None
}

/// The fixture files' name for `backend`: `sqlite`, `postgres` or `mysql`.
pub fn fixture_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql | Backend::Galera => "mysql",
    }
}

/// The backend `db` is connected to.
pub fn backend_of(db: &DatabaseConnection) -> Backend {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        sea_orm::DbBackend::MySql => Backend::MySql,
        _ => Backend::Sqlite,
    }
}

/// Runs the fixture file `file` of `dir` on `db`, one statement at a time.
///
/// # Panics
/// If the file cannot be read or a statement fails.
pub async fn run_file(db: &DatabaseConnection, dir: &Path, file: &str) {
    let path = dir.join(file);
    let sql = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    for statement in statements(&sql) {
        db.execute_unprepared(&statement)
            .await
            .unwrap_or_else(|err| panic!("{file}: {statement}: {err}"));
    }
}

/// Loads Lucia's schema for `db`'s database, then the rows Lucia wrote there.
pub async fn load(db: &DatabaseConnection, dir: &Path) {
    let name = fixture_name(backend_of(db));
    run_file(db, dir, &format!("schema-{name}.sql")).await;
    run_file(db, dir, &format!("{name}.sql")).await;
}

/// The statements of a fixture file: each ends with `;` at the end of a line; lines that are
/// only a `--` comment are left out. (The files hold no `;` at a line end inside a string.)
pub fn statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        if line.trim_start().starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.trim_end().ends_with(';') {
            let statement = current.trim().trim_end_matches(';').trim().to_owned();
            if !statement.is_empty() {
                statements.push(statement);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_owned());
    }
    statements
}
