use std::future::Future;
use std::io::Write;
use std::panic::resume_unwind;
use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::AppMigrator;
use crate::cluster::GaleraCluster;

/// A database the suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in the temporary directory.
    Sqlite,
    /// The server named by `TEST_POSTGRES_URL`.
    Postgres,
    /// The MySQL or MariaDB server named by `TEST_MYSQL_URL`.
    MySql,
    /// Node 1 of the test binary's private MariaDB Galera cluster
    /// ([`GaleraCluster::shared`]).
    Galera,
}

/// What a test's fresh database holds when the test starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Nothing.
    Empty,
    /// [`AppMigrator`]'s tables: ours and the application's `user.username`.
    Migrated,
}

impl Backend {
    /// The environment variable naming this backend's server, if it has one.
    pub fn server_env(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite | Backend::Galera => None,
            Backend::Postgres => Some("TEST_POSTGRES_URL"),
            Backend::MySql => Some("TEST_MYSQL_URL"),
        }
    }
}

/// Runs `test` on a database of its own on `backend`, then drops that database, whether the
/// test passed or panicked.
pub async fn run<F, Fut>(backend: Backend, schema: Schema, test: F)
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = ScratchDatabase::create(backend, "lucia_test").await else {
        return;
    };
    let db = Database::connect(database.url())
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {}: {err}", database.url()));
    if schema == Schema::Migrated {
        AppMigrator::up(&db, None).await.expect("migrations run");
    }
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await.expect("test database closes");
    database.drop().await;
    if let Err(failure) = outcome {
        resume_unwind(failure.into_panic());
    }
}

/// A database of its own for one test (or benchmark run), beside the server's other databases:
/// `<prefix>_<uuid>`, or a file of that name in the temporary directory for SQLite.
pub struct ScratchDatabase {
    backend: Backend,
    /// The server's own URL, used to create and drop the test database.
    server: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates the database; `None` if `backend`'s server is not configured (outside CI, where
    /// that fails instead).
    pub async fn create(backend: Backend, prefix: &str) -> Option<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        if backend == Backend::Galera {
            let cluster = GaleraCluster::shared().await?;
            return Some(Self::on_server(backend, cluster.url(0, ""), name).await);
        }
        let Some(env) = backend.server_env() else {
            let path = sqlite_path(&name);
            let url = format!("sqlite://{}?mode=rwc", path.display());
            return Some(Self {
                backend,
                server: String::new(),
                name,
                url,
            });
        };
        let server = match std::env::var(env) {
            Ok(server) => server,
            Err(_) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{env} is not set: under CI=true every database must run")
            }
            Err(_) => {
                announce_skip(backend, env);
                return None;
            }
        };
        Some(Self::on_server(backend, server, name).await)
    }

    /// Creates the database on `cluster`, through its node 1.
    pub async fn create_on(cluster: &GaleraCluster, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        Self::on_server(Backend::Galera, cluster.url(0, ""), name).await
    }

    /// Creates database `name` on `server`.
    async fn on_server(backend: Backend, server: String, name: String) -> Self {
        let admin = Database::connect(&server)
            .await
            .unwrap_or_else(|err| panic!("{server} is unreachable: {err}"));
        let create = match backend {
            Backend::MySql | Backend::Galera => {
                format!("CREATE DATABASE {name} CHARACTER SET utf8mb4")
            }
            _ => format!("CREATE DATABASE {name}"),
        };
        admin
            .execute_unprepared(&create)
            .await
            .expect("test database is created");
        admin.close().await.expect("admin connection closes");
        let url = with_database(&server, &name);
        Self {
            backend,
            server,
            name,
            url,
        }
    }

    /// Its name (the file's stem on SQLite).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database (deletes the SQLite files).
    pub async fn drop(self) {
        if self.backend == Backend::Sqlite {
            for suffix in ["", "-wal", "-shm"] {
                let _ =
                    std::fs::remove_file(format!("{}{suffix}", sqlite_path(&self.name).display()));
            }
            return;
        }
        let admin = Database::connect(&self.server)
            .await
            .expect("server reachable");
        let drop = match self.backend {
            Backend::Postgres => format!("DROP DATABASE {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE {}", self.name),
        };
        admin
            .execute_unprepared(&drop)
            .await
            .expect("test database is dropped");
        admin.close().await.expect("admin connection closes");
    }
}

/// Says on the terminal that a test did not run. Written to the process's stderr directly, not
/// with `eprintln!`, which the test harness captures and shows only for failing tests: a skip
/// must be visible in `cargo test`'s default output. (Tests generated by `on_every_database!`
/// are already marked ignored at compile time; this covers the others, and a variable unset
/// after the suite was compiled.)
fn announce_skip(backend: Backend, env: &str) {
    let line = format!("skipped on {backend:?}: set {env} to run it\n");
    // Nothing to do if the terminal is gone.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn sqlite_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{name}.sqlite"))
}

/// `server` with its database path replaced by `name`, keeping any query string.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}
