//! What both benchmarks share: the databases they run on, the connection settings they
//! recommend, and how they measure (CPU time, medians).

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// A pool waits this long for a free connection before failing; with 64 operations in flight on
/// a handful of connections the real waits are milliseconds, so this only catches deadlocks.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection idle this long is pinged before it is handed out. Both SeaORM and sqlx default
/// to pinging on *every* acquire, one extra round trip per statement on a server database;
/// pinging only connections that sat idle (where the server or a proxy may have dropped them)
/// keeps the protection without the round trip.
pub(crate) const PING_IF_IDLE_FOR: Duration = Duration::from_secs(60);

/// SQLite settings for a server application with a connection pool: WAL and
/// `synchronous=NORMAL` for [`Backend::Sqlite`], and with the file memory-mapped for
/// [`Backend::SqliteMmap`]; the rollback journal with `synchronous=FULL` (SQLite's own defaults,
/// durable at every commit) for [`Backend::SqliteFull`].
pub(crate) fn sqlite_options(
    backend: Backend,
    options: SqliteConnectOptions,
) -> SqliteConnectOptions {
    let options = options
        .create_if_missing(true)
        // Writers are serialised by SQLite; a second one waits for the lock instead of failing
        // with SQLITE_BUSY straight away.
        .busy_timeout(Duration::from_secs(5));
    if backend == Backend::SqliteFull {
        return options
            .journal_mode(SqliteJournalMode::Delete)
            .synchronous(SqliteSynchronous::Full);
    }
    let options = options
        // Readers and the single writer stop blocking each other: without WAL every write
        // locks out every reader.
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL never corrupts the database; a power loss may only lose the last
        // commits. FULL would fsync on every commit.
        .synchronous(SqliteSynchronous::Normal);
    if backend == Backend::SqliteMmap {
        // Pages are read through one mapping the connections share, not copied by a `pread`
        // into each connection's own cache.
        return options.pragma("mmap_size", SQLITE_MMAP_SIZE.to_string());
    }
    options
}

/// The `mmap_size` of [`Backend::SqliteMmap`]: 256 MiB, more than the benchmarks' databases.
pub(crate) const SQLITE_MMAP_SIZE: u64 = 256 * 1024 * 1024;

/// The pool size used unless `--pool` overrides it.
///
/// Chosen from `--pool` runs of `get_session_and_user` and `set_session` with 64 in flight
/// (sqlx side, ops/s) on a 2-core machine that also runs the database servers.
pub(crate) fn recommended_max_connections(backend: Backend, cores: u32) -> u32 {
    match backend {
        // sqlx runs each SQLite connection on a thread of its own, so reads use every core only
        // with a connection per core; twice that covers the time a connection spends being
        // handed back. Reads: 14.7k at 1, 26.6k at 2, about 30k from 4 up. Writes queue on
        // SQLite's one write lock at any pool size (6.5k), their p99 growing with the queue
        // (17 ms at 4, 43 ms at 16), and every connection keeps its own page cache (peak RSS
        // 38 MiB at 1, 102 MiB at 16).
        Backend::Sqlite | Backend::SqliteMmap | Backend::SqliteFull => 2 * cores,
        // The server does the work and the client waits on the socket: a few connections per
        // core keep the server busy. Reads level off from 4 connections (PostgreSQL about 20k,
        // MariaDB about 20k); writes gain up to 8 to 16 (PostgreSQL 6.2k at 2, 9.4k at 8, 10.2k
        // at 16; MariaDB 8.7k, 11.8k, 13.3k) while the reads' p99 grows past 8 (MariaDB 5 ms at
        // 8, 9 ms at 32). A server on other machines, or with more cores, warrants more.
        Backend::Postgres | Backend::MySql => 4 * cores,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    /// SQLite as [`Backend::Sqlite`], with the database file memory-mapped (`mmap_size`).
    SqliteMmap,
    /// SQLite with the rollback journal and `synchronous=FULL`: writes only, for durability
    /// like the servers' defaults.
    SqliteFull,
    Postgres,
    MySql,
}

impl Backend {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "sqlite" => Some(Self::Sqlite),
            "sqlite-mmap" => Some(Self::SqliteMmap),
            "sqlite-full" => Some(Self::SqliteFull),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            _ => None,
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::SqliteMmap => "SQLite (memory-mapped)",
            Self::SqliteFull => "SQLite (rollback journal, synchronous=FULL; writes only)",
            Self::Postgres => "PostgreSQL",
            Self::MySql => "MariaDB/MySQL",
        }
    }

    /// The same database in the test suite's harness, which creates and drops it.
    pub(crate) fn harness(self) -> lucia_sea_orm_tests::Backend {
        match self {
            Self::Sqlite | Self::SqliteMmap | Self::SqliteFull => {
                lucia_sea_orm_tests::Backend::Sqlite
            }
            Self::Postgres => lucia_sea_orm_tests::Backend::Postgres,
            Self::MySql => lucia_sea_orm_tests::Backend::MySql,
        }
    }
}

/// CPU time used by the process (all its threads) or by its waited-for children, from
/// `getrusage`: the client's own cost, which on a machine shared with the server is taken from
/// the server.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CpuTime {
    pub(crate) user: Duration,
    pub(crate) system: Duration,
}

impl CpuTime {
    pub(crate) fn of(who: UsageWho) -> Self {
        let usage = getrusage(who).expect("getrusage works on Linux");
        Self {
            user: duration(usage.user_time()),
            system: duration(usage.system_time()),
        }
    }

    /// The process's own CPU time so far, every thread included.
    pub(crate) fn of_process() -> Self {
        Self::of(UsageWho::RUSAGE_SELF)
    }

    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }

    pub(crate) fn total(self) -> Duration {
        self.user + self.system
    }
}

fn duration(time: TimeVal) -> Duration {
    let seconds = u64::try_from(time.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(time.tv_usec()).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

pub(crate) fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    value
        .as_deref()
        .and_then(|value| value.replace('_', "").parse().ok())
        .ok_or_else(|| format!("{flag} needs a number"))
}

pub(crate) fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
}

/// Fresh statistics for the planner, as an application's database has after its first
/// autovacuum/auto-analyze: without them a freshly seeded table may be planned as empty.
pub(crate) async fn analyze(db: &DatabaseConnection, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite | Backend::SqliteMmap | Backend::SqliteFull | Backend::Postgres => {
            "ANALYZE"
        }
        Backend::MySql => "ANALYZE TABLE `user`, `session`, `key`",
    };
    db.execute_unprepared(sql).await.expect("ANALYZE runs");
}

/// The settings that decide what a commit survives, as the server reports them.
pub(crate) async fn durability(db: &DatabaseConnection, backend: Backend) -> String {
    let sql = match backend {
        Backend::Sqlite => return "WAL, synchronous=NORMAL, busy_timeout 5 s".to_owned(),
        Backend::SqliteMmap => {
            return format!(
                "WAL, synchronous=NORMAL, busy_timeout 5 s, mmap_size {SQLITE_MMAP_SIZE}"
            );
        }
        Backend::SqliteFull => {
            return "rollback journal (DELETE), synchronous=FULL, busy_timeout 5 s".to_owned();
        }
        Backend::Postgres => {
            "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') \
             || ', fsync=' || current_setting('fsync') \
             || ', wal_sync_method=' || current_setting('wal_sync_method') \
             || ', full_page_writes=' || current_setting('full_page_writes') AS settings"
        }
        Backend::MySql => {
            "SELECT CONCAT('innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, \
             ', sync_binlog=', @@sync_binlog, ', log_bin=', @@log_bin, \
             ', innodb_doublewrite=', @@innodb_doublewrite, \
             ', isolation=', @@tx_isolation) AS settings"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the server's settings are readable")
        .expect("one row of settings");
    let settings: String = row.try_get("", "settings").expect("settings are text");
    format!("server defaults: {settings}")
}

/// A SeaORM pool of `max_connections` with the recommended settings, or with SeaORM's and
/// sqlx's default of a ping (a round trip) before every statement if `ping_every_acquire`.
pub(crate) async fn connect(
    backend: Backend,
    url: &str,
    max_connections: u32,
    ping_every_acquire: bool,
) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // SeaORM logs every statement at info by default, sqlx at debug: off on both pools,
        // so that whatever log filter is set cannot make one side alone format statements.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |options| sqlite_options(backend, options));
    if ping_every_acquire {
        options.test_before_acquire(true);
    } else {
        options.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    }
    Database::connect(options)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"))
}
