//! Instructions per operation, ours against hand-written sqlx, counted by
//! `valgrind --tool=callgrind`: a figure that does not move with other load on the machine,
//! where wall-clock ratios on a shared 2-core machine move by ±20 % between runs.
//!
//! ```text
//! cargo bench -p lucia-sea-orm-adapter --bench instructions -- [--databases sqlite,postgres,mysql]
//! ```
//!
//! For each database it seeds a scratch database once, then runs this same binary under
//! callgrind for each operation and side, twice: with [`SHORT`] and with [`LONG`] operations one
//! at a time. The difference divided by `LONG - SHORT` is the cost of one operation, with the
//! start-up (runtime, connecting, preparing) taken out. Every thread of the process counts,
//! sqlx's SQLite worker threads included; the kernel's work and the server's do not.
//!
//! The sqlx side is the statement a careful engineer would write (as in `benches/adapter.rs`).

// This bench needs only the databases and connection settings of the shared module.
#[allow(dead_code)]
mod common;

use std::process::Command;

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, KeyRow, SessionRow, UserRow};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};
use lucia_sea_orm_tests::ScratchDatabase;
use sea_orm::{DatabaseConnection, DbBackend};
use uuid::Uuid;

use crate::common::{Backend, connect, number};

/// One at a time needs one connection; a few more, as an application has, change nothing.
const POOL: u32 = 4;
/// Operations in the shorter run.
const SHORT: usize = 200;
/// Operations in the longer run.
const LONG: usize = 2_200;
const USER_ID: &str = "0b9f8c3e-6d2a-4f51-9a8e-2c1d7e5f4a3b";
const KEY_ID: &str = "email:ada@example.com";
const SESSION_ID: &str = "abcdefghijklmnopqrstuvwxyz0123456789abcd";
/// No session has this id: the delete finds nothing, so every run deletes the same way.
const UNKNOWN_SESSION_ID: &str = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
const OPERATIONS: [&str; 3] = ["get_key", "get_session_and_user", "delete_session"];
const USAGE: &str = "usage: cargo bench -p lucia-sea-orm-adapter --bench instructions -- \
[--databases sqlite,postgres,mysql]";

fn main() {
    let mut flags = std::env::args().skip(1);
    let mut databases = None;
    let mut child = None;
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--databases" => databases = flags.next(),
            // How the parent runs itself under callgrind: URL, side, operation, count.
            "--child" => {
                let parts: Vec<String> = flags.by_ref().take(4).collect();
                child = Some(parts);
            }
            "--bench" => {}
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    if let Some([url, side, operation, count]) = child.as_deref() {
        let count = number("--child", Some(count.clone())).unwrap_or_else(|err| panic!("{err}"));
        runtime.block_on(run(url, side, operation, count));
        return;
    }
    let databases: Vec<Backend> = match databases {
        Some(list) => list
            .split(',')
            .map(|name| {
                Backend::parse(name.trim()).unwrap_or_else(|| panic!("unknown database {name}"))
            })
            .collect(),
        None => vec![Backend::Sqlite, Backend::Postgres, Backend::MySql],
    };
    println!(
        "instructions per operation (callgrind, every thread of the client; not the kernel's or \
         the server's), one at a time"
    );
    println!(
        "{:<16} {:<22} {:>10} {:>10} {:>10}",
        "database", "operation", "ours", "sqlx", "ours/sqlx"
    );
    for backend in databases {
        runtime.block_on(count_on(backend));
    }
}

/// Seeds a scratch database for `backend`, then counts every operation on both sides.
async fn count_on(backend: Backend) {
    let Some(database) = ScratchDatabase::create(backend.harness(), "lucia_bench").await else {
        eprintln!("{}: skipped, its server's URL is not set", backend.title());
        return;
    };
    let db = connect(backend, database.url(), POOL, false).await;
    Migrator::up(&db, None).await.expect("the migration runs");
    let adapter = SeaOrmAdapter::<()>::new(db.clone());
    let user = UserRow {
        id: USER_ID.to_owned(),
        attributes: (),
    };
    let key = KeyRow {
        id: KEY_ID.to_owned(),
        user_id: USER_ID.to_owned(),
        primary: true,
        hashed_password: Some("s2:salt:hash".to_owned()),
    };
    adapter.set_user(&user, Some(&key)).await.expect("seeded");
    let far = i64::MAX / 4;
    let session = SessionRow {
        id: SESSION_ID.to_owned(),
        user_id: USER_ID.to_owned(),
        active_expires: far,
        idle_expires: far,
    };
    adapter.set_session(&session).await.expect("seeded");
    db.close().await.expect("the pool closes");

    for operation in OPERATIONS {
        let [ours, sqlx] =
            ["ours", "sqlx"].map(|side| per_operation(database.url(), side, operation));
        println!(
            "{:<16} {:<22} {:>10.0} {:>10.0} {:>10.2}",
            backend.title(),
            operation,
            ours,
            sqlx,
            ours / sqlx
        );
    }
    database.drop().await;
}

/// Instructions per operation: two callgrind runs of this binary, [`LONG`] and [`SHORT`]
/// operations long.
fn per_operation(url: &str, side: &str, operation: &str) -> f64 {
    let [short, long] = [SHORT, LONG].map(|count| callgrind(url, side, operation, count));
    (long - short) as f64 / (LONG - SHORT) as f64
}

fn callgrind(url: &str, side: &str, operation: &str, count: usize) -> u64 {
    let me = std::env::current_exe().expect("the bench's own path");
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(me)
        .args(["--child", url, side, operation, &count.to_string()])
        .output()
        .expect("valgrind runs (Debian package valgrind)");
    assert!(
        output.status.success(),
        "{side} {operation} under callgrind failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "==123== Collected : 123456789"
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|line| line.split("Collected :").nth(1))
        .and_then(|count| count.trim().parse().ok())
        .expect("callgrind reports the instructions it collected")
}

/// The child: `count` operations one at a time on one side.
async fn run(url: &str, side: &str, operation: &str, count: usize) {
    let backend = match url.split(':').next() {
        Some("postgres" | "postgresql") => Backend::Postgres,
        Some("mysql" | "mariadb") => Backend::MySql,
        _ => Backend::Sqlite,
    };
    let db = connect(backend, url, POOL, false).await;
    let adapter = SeaOrmAdapter::<()>::new(db.clone());
    for _ in 0..count {
        match (side, operation) {
            ("ours", "get_key") => {
                let key = adapter.get_key(KEY_ID).await.expect("get_key succeeds");
                assert!(key.is_some(), "the seeded key is found");
            }
            ("ours", "get_session_and_user") => {
                let found = adapter.get_session_and_user(SESSION_ID).await;
                assert!(found.expect("the read succeeds").is_some(), "found");
            }
            ("ours", "delete_session") => {
                let deleted = adapter.delete_sessions(&[UNKNOWN_SESSION_ID]).await;
                assert_eq!(deleted.expect("the delete succeeds"), 0);
            }
            ("sqlx", operation) => baseline(&db, operation).await,
            _ => panic!("unknown side {side} or operation {operation}"),
        }
    }
    db.close().await.expect("the pool closes");
}

/// The same operation in hand-written sqlx on the same pool.
async fn baseline(db: &DatabaseConnection, operation: &str) {
    match (db.get_database_backend(), operation) {
        (DbBackend::Postgres, "get_key") => {
            let row = sqlx::query_as::<_, (Uuid, bool, Option<String>)>(
                r#"SELECT user_id, "primary", hashed_password FROM "key" WHERE id = $1"#,
            )
            .bind(KEY_ID)
            .fetch_optional(db.get_postgres_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (DbBackend::Postgres, "get_session_and_user") => {
            let row = sqlx::query_as::<_, (Uuid, i64, i64)>(
                r#"SELECT u.id, s.active_expires, s.idle_expires FROM "session" s JOIN "user" u ON u.id = s.user_id WHERE s.id = $1"#,
            )
            .bind(SESSION_ID)
            .fetch_optional(db.get_postgres_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (DbBackend::Postgres, "delete_session") => {
            let done = sqlx::query(r#"DELETE FROM "session" WHERE id = $1"#)
                .bind(UNKNOWN_SESSION_ID)
                .execute(db.get_postgres_connection_pool())
                .await;
            assert_eq!(done.expect("the delete succeeds").rows_affected(), 0);
        }
        (DbBackend::MySql, "get_key") => {
            let row = sqlx::query_as::<_, (String, bool, Option<String>)>(
                "SELECT user_id, `primary`, hashed_password FROM `key` WHERE id = ?",
            )
            .bind(KEY_ID)
            .fetch_optional(db.get_mysql_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (DbBackend::MySql, "get_session_and_user") => {
            let row = sqlx::query_as::<_, (String, u64, u64)>(
                "SELECT u.id, s.active_expires, s.idle_expires FROM `session` s JOIN `user` u ON u.id = s.user_id WHERE s.id = ?",
            )
            .bind(SESSION_ID)
            .fetch_optional(db.get_mysql_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (DbBackend::MySql, "delete_session") => {
            let done = sqlx::query("DELETE FROM `session` WHERE id = ?")
                .bind(UNKNOWN_SESSION_ID)
                .execute(db.get_mysql_connection_pool())
                .await;
            assert_eq!(done.expect("the delete succeeds").rows_affected(), 0);
        }
        (_, "get_key") => {
            let row = sqlx::query_as::<_, (String, bool, Option<String>)>(
                r#"SELECT user_id, "primary", hashed_password FROM "key" WHERE id = ?"#,
            )
            .bind(KEY_ID)
            .fetch_optional(db.get_sqlite_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (_, "get_session_and_user") => {
            let row = sqlx::query_as::<_, (String, i64, i64)>(
                r#"SELECT u.id, s.active_expires, s.idle_expires FROM "session" s JOIN "user" u ON u.id = s.user_id WHERE s.id = ?"#,
            )
            .bind(SESSION_ID)
            .fetch_optional(db.get_sqlite_connection_pool())
            .await;
            assert!(row.expect("the read succeeds").is_some(), "found");
        }
        (_, "delete_session") => {
            let done = sqlx::query(r#"DELETE FROM "session" WHERE id = ?"#)
                .bind(UNKNOWN_SESSION_ID)
                .execute(db.get_sqlite_connection_pool())
                .await;
            assert_eq!(done.expect("the delete succeeds").rows_affected(), 0);
        }
        (_, operation) => panic!("unknown operation {operation}"),
    }
}
