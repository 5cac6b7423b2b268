//! Every adapter operation, through [`SeaOrmAdapter`] and through hand-written sqlx on an
//! identically configured pool, on SQLite, PostgreSQL and MariaDB/MySQL in the same run.
//!
//! ```text
//! cargo bench -p lucia-sea-orm-adapter --bench adapter -- [--users N] [--ops N] [--in-flight N]
//!     [--databases sqlite,sqlite-mmap,sqlite-full,postgres,mysql] [--pool N]
//!     [--ping-every-acquire]
//!     [--only OPERATION,...] [--runs N] [--ceiling] [--pool-sweep N,N,...] [--json]
//!     [--rss-check]
//! ```
//!
//! `--pool` overrides the pool size chosen in [`recommended_max_connections`];
//! `--ping-every-acquire` restores SeaORM's and sqlx's default of pinging a connection each time
//! it is taken from the pool; `--only get_session_and_user,get_key` measures only those;
//! `--runs 5` runs the whole plan five times and reports the median of each figure and the
//! spread (lowest and highest) of the ours ÷ sqlx ratio.
//!
//! `--ceiling` also runs the server's own C load tool (`pgbench -M prepared`, `mysqlslap`) on
//! the exact statement `get_session_and_user` sends, at 1 to 32 connections, and reports ours
//! and sqlx in flight as a percentage of the best, with the client CPU time per operation of
//! each (the bench's own from `getrusage(RUSAGE_SELF)`, the tool's from `RUSAGE_CHILDREN`). It
//! then runs the same statement in plain sqlx at the same connection counts, on a pool and on
//! connections held outside one, as the tool holds its own: the difference is sqlx's pool.
//! SQLite has no server: there `--ceiling` measures the floor of sqlx's SQLite driver one
//! request at a time instead, the statement of `get_key` in plain sqlx on a pool and on one held
//! connection, and `SELECT 1` on a held connection (the hand-off to the connection's thread and
//! back, with next to no work for SQLite).
//!
//! `--pool-sweep 1,2,4,8` measures, instead of the plan, `get_session_and_user` and
//! `set_session` in flight on fresh pools of each size.
//!
//! `sqlite-mmap` is `sqlite` with the database file memory-mapped (`PRAGMA mmap_size`).
//! `sqlite-full` is SQLite with the rollback journal and `synchronous=FULL` (durable at each
//! commit, like the servers' defaults), writes only; `sqlite` is WAL with `synchronous=NORMAL`.
//! The servers' durability settings are read from them and printed with their results.
//!
//! PostgreSQL and MySQL run when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server, as for the
//! test suite; the benchmark creates `lucia_bench_<random>` beside the URL's database, migrates
//! it with [`Migrator`], seeds it, runs `ANALYZE`, and drops it at the end. SQLite runs on a
//! temporary file.
//!
//! Each measurement runs ours and sqlx in turns, in the order ours, sqlx, sqlx, ours, …: 100
//! operations a turn one at a time on PostgreSQL and MySQL, otherwise half of them. Load from
//! other processes that comes and goes during the run, and the machine's speed drifting, land
//! on both sides alike.
//!
//! `--rss-check` runs only the memory check: 2.1M `get_session_and_user` on SQLite in stages,
//! with the process's peak RSS after each, and says whether the growth stopped.

mod common;

use std::fmt::Write as _;
use std::future::Future;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{
    Adapter, Auth, Error, KeyRow, SESSION_ID_LENGTH, SessionRow, SessionState, UserRow,
};
use lucia_sea_orm_entity::{key, session, user};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};
use lucia_sea_orm_tests::ScratchDatabase;
use nix::sys::resource::UsageWho;
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{ConnectOptions as _, Connection as _};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::common::{
    ACQUIRE_TIMEOUT, Backend, CpuTime, PING_IF_IDLE_FOR, analyze, connect, cores, durability,
    median, number, recommended_max_connections, sqlite_options,
};

const DEFAULT_USERS: usize = 10_000;
/// Enough for a stable p99 (the 100th slowest), few enough that a database's whole run, writes
/// included, takes about half a minute on a 2-core machine.
const DEFAULT_OPS: usize = 10_000;
const DEFAULT_IN_FLIGHT: usize = 64;
/// Operations run before each measurement and not counted: they open every connection of the
/// pool and prepare the statement on it, which is start-up cost, not per-operation cost.
const WARMUP_OPS: usize = 200;
/// Operations one side runs one at a time on a server before the other takes its turn.
const ONE_AT_A_TIME_TURN: usize = 100;
/// Rows per multi-row `INSERT` while seeding: 4 000 bind parameters for sessions, far below every
/// database's limit (SQLite 32 766, PostgreSQL and MySQL 65 535).
const SEED_BATCH: usize = 1_000;
/// A well-formed stand-in for a password hash: seeding must not spend minutes in argon2.
const FAKE_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJrc2FsdA$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWhhc2g";
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

// Connection settings, the same for our SeaORM pool and the sqlx baseline's.

/// What only this benchmark asks of a database.
impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::SqliteMmap => "sqlite-mmap",
            Self::SqliteFull => "sqlite-full",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        }
    }

    fn server_env(self) -> Option<&'static str> {
        self.harness().server_env()
    }
}

impl CpuTime {
    fn plus(self, other: Self) -> Self {
        Self {
            user: self.user + other.user,
            system: self.system + other.system,
        }
    }
}

#[derive(Clone, Debug)]
struct Args {
    users: usize,
    ops: usize,
    in_flight: usize,
    databases: Vec<Backend>,
    pool: Option<u32>,
    ping_every_acquire: bool,
    json: bool,
    rss_check: bool,
    /// Operations to measure, by name; empty for all.
    only: Vec<String>,
    /// How many times the whole plan is run; medians and spreads are over the runs.
    runs: usize,
    /// Also measure the server's own load tool on the same read (PostgreSQL and MySQL), or the
    /// driver's floor for one request at a time (SQLite).
    ceiling: bool,
    /// Pool sizes to sweep instead of the plan: in-flight reads and writes at each.
    pool_sweep: Vec<u32>,
}

const USAGE: &str = "usage: cargo bench -p lucia-sea-orm-adapter --bench adapter -- \
[--users N] [--ops N] [--in-flight N] [--databases sqlite,postgres,mysql] [--pool N] \
[--ping-every-acquire] [--only OPERATION,...] [--runs N] [--ceiling] [--pool-sweep N,N,...] \
[--json] [--rss-check]";

impl Args {
    fn parse() -> Result<Self, String> {
        let mut args = Self {
            users: DEFAULT_USERS,
            ops: DEFAULT_OPS,
            in_flight: DEFAULT_IN_FLIGHT,
            databases: Vec::new(),
            pool: None,
            ping_every_acquire: false,
            json: false,
            rss_check: false,
            only: Vec::new(),
            runs: 1,
            ceiling: false,
            pool_sweep: Vec::new(),
        };
        let mut databases = None;
        let mut flags = std::env::args().skip(1);
        while let Some(flag) = flags.next() {
            match flag.as_str() {
                "--users" => args.users = number(&flag, flags.next())?,
                "--ops" => args.ops = number(&flag, flags.next())?,
                "--in-flight" => args.in_flight = number(&flag, flags.next())?,
                "--pool" => args.pool = Some(number(&flag, flags.next())?),
                "--databases" => databases = Some(flags.next().ok_or("--databases needs a list")?),
                "--ping-every-acquire" => args.ping_every_acquire = true,
                "--json" => args.json = true,
                "--rss-check" => args.rss_check = true,
                "--runs" => args.runs = number(&flag, flags.next())?,
                "--ceiling" => args.ceiling = true,
                "--pool-sweep" => {
                    let list = flags
                        .next()
                        .ok_or("--pool-sweep needs a list of pool sizes")?;
                    args.pool_sweep = list
                        .split(',')
                        .map(|size| number(&flag, Some(size.trim().to_owned())))
                        .collect::<Result<_, _>>()?;
                }
                "--only" => {
                    let list = flags.next().ok_or("--only needs a list of operations")?;
                    args.only = list.split(',').map(|name| name.trim().to_owned()).collect();
                    if let Some(unknown) = args.only.iter().find(|name| {
                        !PLAN
                            .iter()
                            .any(|(operation, _)| operation.name() == name.as_str())
                    }) {
                        return Err(format!("unknown operation {unknown}"));
                    }
                    let named =
                        |operation: Operation| args.only.iter().any(|n| n == operation.name());
                    if named(Operation::DeleteSession) && !named(Operation::SetSession) {
                        return Err("delete_session deletes what set_session wrote: \
                                    list set_session too"
                            .into());
                    }
                }
                // `cargo bench` passes `--bench` to every bench target.
                "--bench" => {}
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other}\n{USAGE}")),
            }
        }
        if args.users == 0
            || args.ops < 2
            || args.in_flight == 0
            || args.runs == 0
            || args.pool == Some(0)
            || args.pool_sweep.contains(&0)
        {
            return Err(
                "--users, --in-flight, --runs and pool sizes must be positive, --ops at least 2"
                    .into(),
            );
        }
        args.databases = match databases {
            Some(list) => list
                .split(',')
                .map(|name| Backend::parse(name.trim()).ok_or(format!("unknown database {name}")))
                .collect::<Result<_, _>>()?,
            None => [Backend::Sqlite, Backend::Postgres, Backend::MySql]
                .into_iter()
                .filter(|backend| {
                    backend
                        .server_env()
                        .is_none_or(|env| std::env::var(env).is_ok())
                })
                .collect(),
        };
        for backend in &args.databases {
            if let Some(env) = backend.server_env()
                && std::env::var(env).is_err()
            {
                return Err(format!("{} needs {env} to name a server", backend.name()));
            }
        }
        Ok(args)
    }
}

#[tokio::main]
async fn main() {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if args.rss_check {
        let check = on_fresh_database(Backend::Sqlite, args.clone(), rss_check).await;
        if args.json {
            println!("{:#}", json!({ "rss_check": check.to_json() }));
        } else {
            check.print();
        }
        return;
    }

    let mut reports = Vec::new();
    for &backend in &args.databases {
        eprintln!("{}: seeding {} users", backend.title(), args.users);
        let report = on_fresh_database(backend, args.clone(), benchmark).await;
        if !args.json {
            report.print(&args);
        }
        reports.push(report);
    }
    if args.json {
        let document = json!({
            "users": args.users,
            "ops": args.ops,
            "in_flight": args.in_flight,
            "cores": cores(),
            "databases": reports.iter().map(|report| report.to_json(&args)).collect::<Vec<_>>(),
            "peak_rss_kib": proc_status_kib("VmHWM"),
        });
        println!("{document:#}");
    } else {
        println!(
            "Wall-clock numbers from a {}-core machine: other load on it skews single runs, so \
             compare ratios over repeated runs.",
            cores()
        );
    }
}

// Databases

/// Runs `work` on a fresh, migrated database and drops the database afterwards, also when
/// `work` panics.
async fn on_fresh_database<F, Fut, T>(backend: Backend, args: Args, work: F) -> T
where
    F: FnOnce(Backend, String, Args) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let database = ScratchDatabase::create(backend.harness(), "lucia_bench")
        .await
        .expect("the server was checked when the arguments were parsed");
    let outcome = tokio::spawn(work(backend, database.url().to_owned(), args)).await;
    database.drop().await;
    outcome.unwrap_or_else(|failure| resume_unwind(failure.into_panic()))
}

#[derive(Clone, Copy, Debug)]
struct PoolSettings {
    backend: Backend,
    max_connections: u32,
    ping_every_acquire: bool,
}

impl PoolSettings {
    fn new(backend: Backend, args: &Args) -> Self {
        Self {
            backend,
            max_connections: args
                .pool
                .unwrap_or_else(|| recommended_max_connections(backend, cores())),
            ping_every_acquire: args.ping_every_acquire,
        }
    }

    fn with_max_connections(self, max_connections: u32) -> Self {
        Self {
            max_connections,
            ..self
        }
    }

    /// What [`Self::sea_orm`] makes SeaORM build, written for sqlx directly.
    fn sqlx<DB: sqlx::Database>(self) -> PoolOptions<DB> {
        let options = PoolOptions::<DB>::new()
            .max_connections(self.max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if self.ping_every_acquire {
            return options.test_before_acquire(true);
        }
        options
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
    }

    fn describe(self) -> String {
        let ping = if self.ping_every_acquire {
            "ping on every acquire"
        } else {
            "ping after 60 s idle"
        };
        format!("pool {} connections, {ping}", self.max_connections)
    }
}

async fn connect_ours(url: &str, settings: PoolSettings) -> DatabaseConnection {
    connect(
        settings.backend,
        url,
        settings.max_connections,
        settings.ping_every_acquire,
    )
    .await
}

async fn connect_baseline(backend: Backend, url: &str, settings: PoolSettings) -> Baseline {
    let fail = |err: sqlx::Error| -> ! { panic!("sqlx cannot connect to {url}: {err}") };
    match backend {
        Backend::Sqlite | Backend::SqliteMmap | Backend::SqliteFull => {
            let options: SqliteConnectOptions = url.parse().unwrap_or_else(|err| fail(err));
            let options = sqlite_options(backend, options).disable_statement_logging();
            let pool = settings.sqlx().connect_with(options).await;
            Baseline::Sqlite(pool.unwrap_or_else(|err| fail(err)))
        }
        Backend::Postgres => {
            let options: PgConnectOptions = url.parse().unwrap_or_else(|err| fail(err));
            let pool = settings
                .sqlx()
                .connect_with(options.disable_statement_logging())
                .await;
            Baseline::Postgres(pool.unwrap_or_else(|err| fail(err)))
        }
        Backend::MySql => {
            let options: MySqlConnectOptions = url.parse().unwrap_or_else(|err| fail(err));
            let pool = settings
                .sqlx()
                .connect_with(options.disable_statement_logging())
                .await;
            Baseline::MySql(pool.unwrap_or_else(|err| fail(err)))
        }
    }
}

// Seeding

/// The rows every side reads: `users` users, each with one password key and two live sessions.
struct Seeded {
    user_ids: Vec<String>,
    session_ids: Vec<String>,
    key_ids: Vec<String>,
}

impl Seeded {
    fn random(ids: &[String]) -> &str {
        &ids[rand::rng().random_range(0..ids.len())]
    }
}

async fn seed(db: &DatabaseConnection, users: usize) -> Seeded {
    let now = now_millis();
    let user_ids: Vec<String> = (0..users).map(|_| Uuid::new_v4().to_string()).collect();
    let key_ids: Vec<String> = (0..users)
        .map(|i| format!("email:user{i}@example.com"))
        .collect();
    let sessions: Vec<SessionRow> = user_ids
        .iter()
        .flat_map(|user_id| [user_id, user_id])
        .map(|user_id| live_session(user_id, now))
        .collect();

    let transaction = db.begin().await.expect("the seed transaction begins");
    for batch in user_ids.chunks(SEED_BATCH) {
        user::Entity::insert_many(batch.iter().map(|id| user::ActiveModel {
            id: Set(id.clone()),
        }))
        .exec_without_returning(&transaction)
        .await
        .expect("users are seeded");
    }
    for (ids, user_ids) in key_ids.chunks(SEED_BATCH).zip(user_ids.chunks(SEED_BATCH)) {
        let keys = ids
            .iter()
            .zip(user_ids)
            .map(|(id, user_id)| key::ActiveModel {
                id: Set(id.clone()),
                user_id: Set(user_id.clone()),
                primary: Set(true),
                hashed_password: Set(Some(FAKE_HASH.to_owned())),
            });
        key::Entity::insert_many(keys)
            .exec_without_returning(&transaction)
            .await
            .expect("keys are seeded");
    }
    for batch in sessions.chunks(SEED_BATCH) {
        let rows = batch.iter().map(|session| session::ActiveModel {
            id: Set(session.id.clone()),
            user_id: Set(session.user_id.clone()),
            active_expires: Set(session.active_expires.into()),
            idle_expires: Set(session.idle_expires.into()),
        });
        session::Entity::insert_many(rows)
            .exec_without_returning(&transaction)
            .await
            .expect("sessions are seeded");
    }
    transaction.commit().await.expect("the seed commits");

    Seeded {
        user_ids,
        session_ids: sessions.into_iter().map(|session| session.id).collect(),
        key_ids,
    }
}

/// A session as [`Auth`] creates one: active for a day, then idle for 14.
fn live_session(user_id: &str, now: i64) -> SessionRow {
    let active_expires = now + DAY_MILLIS;
    SessionRow {
        id: session_id(),
        user_id: user_id.to_owned(),
        active_expires,
        idle_expires: active_expires + 14 * DAY_MILLIS,
    }
}

fn session_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(SESSION_ID_LENGTH)
        .map(char::from)
        .collect()
}

fn now_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64")
}

// The two implementations under comparison

/// What the benchmark asks of both implementations: the adapter's operations, returning what
/// the adapter returns, and the lifecycle's validation.
trait Store: Send + Sync + 'static {
    fn get_session_and_user(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Option<(SessionRow, UserRow<()>)>> + Send;
    /// `Auth::validate_session`: the session's state, `None` if invalid.
    fn validate_session(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Option<SessionState>> + Send;
    /// `Auth::validate_session_user`: the session's state and its user, `None` if invalid.
    fn validate_session_user(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Option<(SessionState, UserRow<()>)>> + Send;
    fn get_key(&self, key_id: &str) -> impl Future<Output = Option<KeyRow>> + Send;
    fn get_sessions_by_user_id(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Vec<SessionRow>> + Send;
    fn set_session(&self, session: &SessionRow) -> impl Future<Output = ()> + Send;
    fn set_user(&self, user: &UserRow<()>, key: &KeyRow) -> impl Future<Output = ()> + Send;
    fn delete_session(&self, session_id: &str) -> impl Future<Output = u64> + Send;
}

/// Our adapter, and the lifecycle over it.
struct Ours {
    adapter: SeaOrmAdapter<()>,
    auth: Auth<SeaOrmAdapter<()>>,
}

impl Ours {
    fn new(db: DatabaseConnection) -> Self {
        let adapter = SeaOrmAdapter::<()>::new(db);
        Self {
            auth: Auth::builder(adapter.clone()).build(),
            adapter,
        }
    }
}

impl Store for Ours {
    async fn get_session_and_user(&self, session_id: &str) -> Option<(SessionRow, UserRow<()>)> {
        self.adapter
            .get_session_and_user(session_id)
            .await
            .expect("get_session_and_user succeeds")
    }

    async fn validate_session(&self, session_id: &str) -> Option<SessionState> {
        match self.auth.validate_session(session_id).await {
            Ok(session) => Some(session.state),
            Err(Error::InvalidSessionId) => None,
            Err(err) => panic!("validate_session fails: {err}"),
        }
    }

    async fn validate_session_user(&self, session_id: &str) -> Option<(SessionState, UserRow<()>)> {
        match self.auth.validate_session_user(session_id).await {
            Ok((session, user)) => Some((session.state, user)),
            Err(Error::InvalidSessionId) => None,
            Err(err) => panic!("validate_session_user fails: {err}"),
        }
    }

    async fn get_key(&self, key_id: &str) -> Option<KeyRow> {
        self.adapter
            .get_key(key_id)
            .await
            .expect("get_key succeeds")
    }

    async fn get_sessions_by_user_id(&self, user_id: &str) -> Vec<SessionRow> {
        self.adapter
            .get_sessions_by_user_id(user_id)
            .await
            .expect("get_sessions_by_user_id succeeds")
    }

    async fn set_session(&self, session: &SessionRow) {
        self.adapter
            .set_session(session)
            .await
            .expect("set_session succeeds");
    }

    async fn set_user(&self, user: &UserRow<()>, key: &KeyRow) {
        self.adapter
            .set_user(user, Some(key))
            .await
            .expect("set_user succeeds");
    }

    async fn delete_session(&self, session_id: &str) -> u64 {
        self.adapter
            .delete_sessions(&[session_id])
            .await
            .expect("delete_sessions succeeds")
    }
}

/// The same operations as a careful engineer would write them with sqlx for each database:
/// static SQL (prepared once per connection and cached by sqlx), PostgreSQL user ids bound and
/// read as `Uuid`, MySQL's unsigned expiries read as `u64`.
enum Baseline {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// MySQL's `BIGINT UNSIGNED` expiry as the contract's `i64` milliseconds.
fn signed(millis: u64) -> i64 {
    i64::try_from(millis).expect("an expiry within i64 milliseconds")
}

fn unsigned(millis: i64) -> u64 {
    u64::try_from(millis).expect("an expiry after 1970")
}

/// The lifecycle's check before any query: an id that `Auth` cannot have made is rejected
/// without a round trip.
fn is_well_formed(session_id: &str) -> bool {
    session_id.len() == SESSION_ID_LENGTH && session_id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// One statement written for each database.
#[derive(Clone, Copy)]
struct PerBackend {
    postgres: &'static str,
    mysql: &'static str,
    sqlite: &'static str,
}

impl Baseline {
    async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
            Self::MySql(pool) => pool.close().await,
        }
    }

    /// `(user_id, active_expires, idle_expires)` of the session, with the user read through the
    /// join so that a session whose user is gone is no session.
    async fn session_and_user_id(&self, session_id: &str) -> Option<(String, i64, i64)> {
        let sql = PerBackend {
            postgres: r#"SELECT u.id, s.active_expires, s.idle_expires FROM "session" s JOIN "user" u ON u.id = s.user_id WHERE s.id = $1"#,
            mysql: "SELECT u.id, s.active_expires, s.idle_expires FROM `session` s JOIN `user` u ON u.id = s.user_id WHERE s.id = ?",
            sqlite: r#"SELECT u.id, s.active_expires, s.idle_expires FROM "session" s JOIN "user" u ON u.id = s.user_id WHERE s.id = ?"#,
        };
        self.user_id_and_expiries(sql, session_id, "the session and user join succeeds")
            .await
    }

    async fn get_session(&self, session_id: &str) -> Option<SessionRow> {
        let sql = PerBackend {
            postgres: r#"SELECT user_id, active_expires, idle_expires FROM "session" WHERE id = $1"#,
            mysql: "SELECT user_id, active_expires, idle_expires FROM `session` WHERE id = ?",
            sqlite: r#"SELECT user_id, active_expires, idle_expires FROM "session" WHERE id = ?"#,
        };
        let (user_id, active_expires, idle_expires) = self
            .user_id_and_expiries(sql, session_id, "the session select succeeds")
            .await?;
        Some(SessionRow {
            id: session_id.to_owned(),
            user_id,
            active_expires,
            idle_expires,
        })
    }

    /// Runs the backend's `sql`, which selects `(user id, active_expires, idle_expires)` by
    /// session id, decoding each database's own column types (PostgreSQL's UUID, MySQL's
    /// unsigned integers).
    async fn user_id_and_expiries(
        &self,
        sql: PerBackend,
        session_id: &str,
        failed: &str,
    ) -> Option<(String, i64, i64)> {
        match self {
            Self::Postgres(pool) => sqlx::query_as::<_, (Uuid, i64, i64)>(sql.postgres)
                .bind(session_id)
                .fetch_optional(pool)
                .await
                .expect(failed)
                .map(|(user_id, active, idle)| (user_id.to_string(), active, idle)),
            Self::MySql(pool) => sqlx::query_as::<_, (String, u64, u64)>(sql.mysql)
                .bind(session_id)
                .fetch_optional(pool)
                .await
                .expect(failed)
                .map(|(user_id, active, idle)| (user_id, signed(active), signed(idle))),
            Self::Sqlite(pool) => sqlx::query_as::<_, (String, i64, i64)>(sql.sqlite)
                .bind(session_id)
                .fetch_optional(pool)
                .await
                .expect(failed),
        }
    }

    /// The session's state now, after deleting it if it is dead. Every session here is active, so
    /// the renewal of an idle one never runs on either side and is left out.
    async fn live_state(&self, session_id: &str, active: i64, idle: i64) -> Option<SessionState> {
        match SessionState::at(now_millis(), active, idle) {
            SessionState::Dead => {
                self.delete_session(session_id).await;
                None
            }
            state => Some(state),
        }
    }
}

impl Store for Baseline {
    async fn get_session_and_user(&self, session_id: &str) -> Option<(SessionRow, UserRow<()>)> {
        let (user_id, active_expires, idle_expires) = self.session_and_user_id(session_id).await?;
        let session = SessionRow {
            id: session_id.to_owned(),
            user_id: user_id.clone(),
            active_expires,
            idle_expires,
        };
        let user = UserRow {
            id: user_id,
            attributes: (),
        };
        Some((session, user))
    }

    async fn validate_session(&self, session_id: &str) -> Option<SessionState> {
        if !is_well_formed(session_id) {
            return None;
        }
        let session = self.get_session(session_id).await?;
        self.live_state(session_id, session.active_expires, session.idle_expires)
            .await
    }

    async fn validate_session_user(&self, session_id: &str) -> Option<(SessionState, UserRow<()>)> {
        if !is_well_formed(session_id) {
            return None;
        }
        let (session, user) = self.get_session_and_user(session_id).await?;
        let state = self
            .live_state(session_id, session.active_expires, session.idle_expires)
            .await?;
        Some((state, user))
    }

    async fn get_key(&self, key_id: &str) -> Option<KeyRow> {
        let failed = "the key select succeeds";
        let (user_id, primary, hashed_password) = match self {
            Self::Postgres(pool) => sqlx::query_as::<_, (Uuid, bool, Option<String>)>(
                r#"SELECT user_id, "primary", hashed_password FROM "key" WHERE id = $1"#,
            )
            .bind(key_id)
            .fetch_optional(pool)
            .await
            .expect(failed)
            .map(|(user_id, primary, hash)| (user_id.to_string(), primary, hash)),
            Self::MySql(pool) => sqlx::query_as::<_, (String, bool, Option<String>)>(
                "SELECT user_id, `primary`, hashed_password FROM `key` WHERE id = ?",
            )
            .bind(key_id)
            .fetch_optional(pool)
            .await
            .expect(failed),
            Self::Sqlite(pool) => sqlx::query_as::<_, (String, bool, Option<String>)>(
                r#"SELECT user_id, "primary", hashed_password FROM "key" WHERE id = ?"#,
            )
            .bind(key_id)
            .fetch_optional(pool)
            .await
            .expect(failed),
        }?;
        Some(KeyRow {
            id: key_id.to_owned(),
            user_id,
            primary,
            hashed_password,
        })
    }

    async fn get_sessions_by_user_id(&self, user_id: &str) -> Vec<SessionRow> {
        let failed = "the sessions select succeeds";
        let rows: Vec<(String, i64, i64)> = match self {
            Self::Postgres(pool) => {
                let Ok(uuid) = Uuid::try_parse(user_id) else {
                    return Vec::new();
                };
                sqlx::query_as(
                    r#"SELECT id, active_expires, idle_expires FROM "session" WHERE user_id = $1"#,
                )
                .bind(uuid)
                .fetch_all(pool)
                .await
                .expect(failed)
            }
            Self::MySql(pool) => sqlx::query_as::<_, (String, u64, u64)>(
                "SELECT id, active_expires, idle_expires FROM `session` WHERE user_id = ?",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
            .expect(failed)
            .into_iter()
            .map(|(id, active, idle)| (id, signed(active), signed(idle)))
            .collect(),
            Self::Sqlite(pool) => sqlx::query_as(
                r#"SELECT id, active_expires, idle_expires FROM "session" WHERE user_id = ?"#,
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
            .expect(failed),
        };
        rows.into_iter()
            .map(|(id, active_expires, idle_expires)| SessionRow {
                id,
                user_id: user_id.to_owned(),
                active_expires,
                idle_expires,
            })
            .collect()
    }

    async fn set_session(&self, session: &SessionRow) {
        let failed = "the session insert succeeds";
        match self {
            Self::Postgres(pool) => {
                let user_id = Uuid::try_parse(&session.user_id).expect("user ids are UUIDs");
                sqlx::query(
                    r#"INSERT INTO "session" (id, user_id, active_expires, idle_expires) VALUES ($1, $2, $3, $4)"#,
                )
                .bind(&session.id)
                .bind(user_id)
                .bind(session.active_expires)
                .bind(session.idle_expires)
                .execute(pool)
                .await
                .expect(failed);
            }
            Self::MySql(pool) => {
                sqlx::query(
                    "INSERT INTO `session` (id, user_id, active_expires, idle_expires) VALUES (?, ?, ?, ?)",
                )
                .bind(&session.id)
                .bind(&session.user_id)
                .bind(unsigned(session.active_expires))
                .bind(unsigned(session.idle_expires))
                .execute(pool)
                .await
                .expect(failed);
            }
            Self::Sqlite(pool) => {
                sqlx::query(
                    r#"INSERT INTO "session" (id, user_id, active_expires, idle_expires) VALUES (?, ?, ?, ?)"#,
                )
                .bind(&session.id)
                .bind(&session.user_id)
                .bind(session.active_expires)
                .bind(session.idle_expires)
                .execute(pool)
                .await
                .expect(failed);
            }
        }
    }

    async fn set_user(&self, user: &UserRow<()>, key: &KeyRow) {
        let (user_failed, key_failed) = ("the user insert succeeds", "the key insert succeeds");
        match self {
            Self::Postgres(pool) => {
                let user_id = Uuid::try_parse(&user.id).expect("user ids are UUIDs");
                let mut transaction = pool.begin().await.expect("a transaction begins");
                sqlx::query(r#"INSERT INTO "user" (id) VALUES ($1)"#)
                    .bind(user_id)
                    .execute(&mut *transaction)
                    .await
                    .expect(user_failed);
                sqlx::query(
                    r#"INSERT INTO "key" (id, user_id, "primary", hashed_password) VALUES ($1, $2, $3, $4)"#,
                )
                .bind(&key.id)
                .bind(user_id)
                .bind(key.primary)
                .bind(&key.hashed_password)
                .execute(&mut *transaction)
                .await
                .expect(key_failed);
                transaction.commit().await.expect("the transaction commits");
            }
            Self::MySql(pool) => {
                let mut transaction = pool.begin().await.expect("a transaction begins");
                sqlx::query("INSERT INTO `user` (id) VALUES (?)")
                    .bind(&user.id)
                    .execute(&mut *transaction)
                    .await
                    .expect(user_failed);
                sqlx::query(
                    "INSERT INTO `key` (id, user_id, `primary`, hashed_password) VALUES (?, ?, ?, ?)",
                )
                .bind(&key.id)
                .bind(&key.user_id)
                .bind(key.primary)
                .bind(&key.hashed_password)
                .execute(&mut *transaction)
                .await
                .expect(key_failed);
                transaction.commit().await.expect("the transaction commits");
            }
            Self::Sqlite(pool) => {
                let mut transaction = pool.begin().await.expect("a transaction begins");
                sqlx::query(r#"INSERT INTO "user" (id) VALUES (?)"#)
                    .bind(&user.id)
                    .execute(&mut *transaction)
                    .await
                    .expect(user_failed);
                sqlx::query(
                    r#"INSERT INTO "key" (id, user_id, "primary", hashed_password) VALUES (?, ?, ?, ?)"#,
                )
                .bind(&key.id)
                .bind(&key.user_id)
                .bind(key.primary)
                .bind(&key.hashed_password)
                .execute(&mut *transaction)
                .await
                .expect(key_failed);
                transaction.commit().await.expect("the transaction commits");
            }
        }
    }

    async fn delete_session(&self, session_id: &str) -> u64 {
        let failed = "the session delete succeeds";
        match self {
            Self::Postgres(pool) => sqlx::query(r#"DELETE FROM "session" WHERE id = $1"#)
                .bind(session_id)
                .execute(pool)
                .await
                .expect(failed)
                .rows_affected(),
            Self::MySql(pool) => sqlx::query("DELETE FROM `session` WHERE id = ?")
                .bind(session_id)
                .execute(pool)
                .await
                .expect(failed)
                .rows_affected(),
            Self::Sqlite(pool) => sqlx::query(r#"DELETE FROM "session" WHERE id = ?"#)
                .bind(session_id)
                .execute(pool)
                .await
                .expect(failed)
                .rows_affected(),
        }
    }
}

// Operations and measurements

#[derive(Clone, Copy, Debug)]
enum Operation {
    GetSessionAndUser,
    ValidateSession,
    ValidateSessionUser,
    GetKey,
    GetSessionsByUserId,
    SetSession,
    SetUser,
    DeleteSession,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Self::GetSessionAndUser => "get_session_and_user",
            Self::ValidateSession => "validate_session",
            Self::ValidateSessionUser => "validate_session_user",
            Self::GetKey => "get_key",
            Self::GetSessionsByUserId => "get_sessions_by_user_id",
            Self::SetSession => "set_session",
            Self::SetUser => "set_user",
            Self::DeleteSession => "delete_session",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    OneAtATime,
    InFlight,
}

/// Reads first, on the seeded tables only; then writes, `delete_session` last since it deletes
/// what `set_session` wrote.
const PLAN: [(Operation, Mode); 10] = [
    (Operation::GetSessionAndUser, Mode::OneAtATime),
    (Operation::GetSessionAndUser, Mode::InFlight),
    (Operation::ValidateSession, Mode::OneAtATime),
    (Operation::ValidateSessionUser, Mode::OneAtATime),
    (Operation::GetKey, Mode::OneAtATime),
    (Operation::GetSessionsByUserId, Mode::OneAtATime),
    (Operation::SetSession, Mode::OneAtATime),
    (Operation::SetSession, Mode::InFlight),
    (Operation::SetUser, Mode::OneAtATime),
    (Operation::DeleteSession, Mode::OneAtATime),
];

fn warmup_ops(mode: Mode, in_flight: usize) -> usize {
    match mode {
        Mode::OneAtATime => WARMUP_OPS,
        Mode::InFlight => WARMUP_OPS.max(4 * in_flight),
    }
}

/// One implementation with the rows it alone writes, so that the two never collide on an id.
struct Side<S> {
    store: S,
    seeded: Arc<Seeded>,
    new_sessions: Fresh<SessionRow>,
    /// How many of `new_sessions` have been deleted.
    deleted_sessions: AtomicUsize,
    new_users: Fresh<(UserRow<()>, KeyRow)>,
}

/// Rows made before the clock starts, handed out once each.
struct Fresh<T> {
    rows: Vec<T>,
    next: AtomicUsize,
}

impl<T> Fresh<T> {
    fn new(rows: Vec<T>) -> Self {
        Self {
            rows,
            next: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> &T {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        self.rows
            .get(index)
            .expect("enough fresh rows are made for every run")
    }
}

impl<S: Store> Side<S> {
    fn new(store: S, seeded: Arc<Seeded>, args: &Args) -> Self {
        let now = now_millis();
        let session_writes = PLAN
            .iter()
            .filter(|(operation, _)| matches!(operation, Operation::SetSession))
            .map(|&(_, mode)| warmup_ops(mode, args.in_flight) + args.ops)
            .sum::<usize>()
            * args.runs;
        let new_sessions = (0..session_writes)
            .map(|_| live_session(Seeded::random(&seeded.user_ids), now))
            .collect();
        let new_users = (0..(WARMUP_OPS + args.ops) * args.runs)
            .map(|_| {
                let id = Uuid::new_v4().to_string();
                let key = KeyRow {
                    id: format!("email:{}@example.com", Uuid::new_v4().simple()),
                    user_id: id.clone(),
                    primary: true,
                    hashed_password: Some(FAKE_HASH.to_owned()),
                };
                (UserRow { id, attributes: () }, key)
            })
            .collect();
        Self {
            store,
            seeded,
            new_sessions: Fresh::new(new_sessions),
            deleted_sessions: AtomicUsize::new(0),
            new_users: Fresh::new(new_users),
        }
    }

    async fn run(&self, operation: Operation) {
        let seeded = &self.seeded;
        match operation {
            Operation::GetSessionAndUser => {
                let id = Seeded::random(&seeded.session_ids);
                let found = self.store.get_session_and_user(id).await;
                assert!(found.is_some(), "a seeded session is found");
            }
            Operation::ValidateSession => {
                let id = Seeded::random(&seeded.session_ids);
                let state = self.store.validate_session(id).await;
                assert_eq!(
                    state,
                    Some(SessionState::Active),
                    "a seeded session is active"
                );
            }
            Operation::ValidateSessionUser => {
                let id = Seeded::random(&seeded.session_ids);
                let state = self.store.validate_session_user(id).await.map(|(s, _)| s);
                assert_eq!(
                    state,
                    Some(SessionState::Active),
                    "a seeded session is active"
                );
            }
            Operation::GetKey => {
                let found = self.store.get_key(Seeded::random(&seeded.key_ids)).await;
                assert!(found.is_some(), "a seeded key is found");
            }
            Operation::GetSessionsByUserId => {
                let user_id = Seeded::random(&seeded.user_ids);
                let sessions = self.store.get_sessions_by_user_id(user_id).await;
                assert!(sessions.len() >= 2, "a seeded user has two sessions");
            }
            Operation::SetSession => self.store.set_session(self.new_sessions.take()).await,
            Operation::SetUser => {
                let (user, key) = self.new_users.take();
                self.store.set_user(user, key).await;
            }
            Operation::DeleteSession => {
                let index = self.deleted_sessions.fetch_add(1, Ordering::Relaxed);
                assert!(
                    index < self.new_sessions.next.load(Ordering::Relaxed),
                    "only sessions that set_session wrote are deleted"
                );
                let deleted = self.store.delete_session(&self.new_sessions.rows[index].id);
                assert_eq!(deleted.await, 1, "the session existed");
            }
        }
    }
}

/// Latencies of the operations of one measurement, the wall time they took together and the
/// process's CPU time meanwhile.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    wall: Duration,
    cpu: CpuTime,
}

impl Samples {
    fn merge(mut self, other: Samples) -> Self {
        self.latencies.extend(other.latencies);
        self.wall += other.wall;
        self.cpu = self.cpu.plus(other.cpu);
        self
    }

    fn summary(mut self) -> Summary {
        self.latencies.sort_unstable();
        let count = self.latencies.len();
        Summary {
            count,
            ops_per_sec: count as f64 / self.wall.as_secs_f64(),
            p50_us: micros(percentile(&self.latencies, 0.50)),
            p99_us: micros(percentile(&self.latencies, 0.99)),
            cpu_us_per_op: micros(self.cpu.total()) / count as f64,
            system_us_per_op: micros(self.cpu.system) / count as f64,
        }
    }
}

/// Nearest-rank percentile of sorted latencies.
fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

#[derive(Clone, Copy, Debug)]
struct Summary {
    count: usize,
    ops_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    /// The client process's CPU time per operation, user and system (every thread: tokio's
    /// workers, sqlx's SQLite threads and SQLite itself).
    cpu_us_per_op: f64,
    system_us_per_op: f64,
}

impl Summary {
    fn to_json(self) -> Value {
        json!({
            "count": self.count,
            "ops_per_sec": round(self.ops_per_sec, 1),
            "p50_us": round(self.p50_us, 1),
            "p99_us": round(self.p99_us, 1),
            "cpu_us_per_op": round(self.cpu_us_per_op, 2),
            "system_us_per_op": round(self.system_us_per_op, 2),
        })
    }

    /// The median of each figure over several runs (each figure on its own).
    fn median(runs: &[Summary]) -> Summary {
        let of = |figure: fn(&Summary) -> f64| median(runs.iter().map(figure).collect());
        Summary {
            count: runs.iter().map(|run| run.count).sum(),
            ops_per_sec: of(|run| run.ops_per_sec),
            p50_us: of(|run| run.p50_us),
            p99_us: of(|run| run.p99_us),
            cpu_us_per_op: of(|run| run.cpu_us_per_op),
            system_us_per_op: of(|run| run.system_us_per_op),
        }
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

async fn measure<S: Store>(
    side: &Arc<Side<S>>,
    operation: Operation,
    mode: Mode,
    in_flight: usize,
    count: usize,
) -> Samples {
    let cpu_before = CpuTime::of_process();
    let started = Instant::now();
    let latencies = match mode {
        Mode::OneAtATime => {
            let mut latencies = Vec::with_capacity(count);
            for _ in 0..count {
                let start = Instant::now();
                side.run(operation).await;
                latencies.push(start.elapsed());
            }
            latencies
        }
        Mode::InFlight => {
            // Tasks on the multi-threaded runtime, as a web server would run requests; each
            // takes the next operation until `count` have started.
            let started_ops = Arc::new(AtomicUsize::new(0));
            let mut tasks = JoinSet::new();
            for _ in 0..in_flight {
                let side = Arc::clone(side);
                let started_ops = Arc::clone(&started_ops);
                tasks.spawn(async move {
                    let mut latencies = Vec::with_capacity(count / in_flight + 1);
                    while started_ops.fetch_add(1, Ordering::Relaxed) < count {
                        let start = Instant::now();
                        side.run(operation).await;
                        latencies.push(start.elapsed());
                    }
                    latencies
                });
            }
            let mut latencies = Vec::with_capacity(count);
            while let Some(task) = tasks.join_next().await {
                latencies
                    .extend(task.unwrap_or_else(|failure| resume_unwind(failure.into_panic())));
            }
            latencies
        }
    };
    Samples {
        latencies,
        wall: started.elapsed(),
        cpu: CpuTime::of_process().since(cpu_before),
    }
}

struct Measurement {
    operation: Operation,
    mode: Mode,
    ours: Summary,
    sqlx: Summary,
}

impl Measurement {
    /// How many times longer ours takes: by p50 latency one at a time, by time per operation
    /// (the inverse of throughput) in flight. Above 1 means slower than sqlx.
    fn ratio(&self) -> f64 {
        match self.mode {
            Mode::OneAtATime => self.ours.p50_us / self.sqlx.p50_us,
            Mode::InFlight => self.sqlx.ops_per_sec / self.ours.ops_per_sec,
        }
    }

    fn label(&self, in_flight: usize) -> String {
        match self.mode {
            Mode::OneAtATime => self.operation.name().to_owned(),
            Mode::InFlight => format!("{} ({in_flight} in flight)", self.operation.name()),
        }
    }
}

async fn compare(
    ours: &Arc<Side<Ours>>,
    sqlx: &Arc<Side<Baseline>>,
    operation: Operation,
    mode: Mode,
    backend: Backend,
    args: &Args,
) -> Measurement {
    let n = args.in_flight;
    let warmup = warmup_ops(mode, n);
    measure(ours, operation, mode, n, warmup).await;
    measure(sqlx, operation, mode, n, warmup).await;
    // One at a time on a server, the sides take turns every `ONE_AT_A_TIME_TURN` operations, so
    // that the machine's speed, which drifts over seconds, is the same for both. On SQLite each
    // pool's connections are threads of this process, and switching pools that often slowed
    // both sides' reads by a fifth to two fifths, ours more (README, "Ours against
    // hand-written sqlx"): an application has one pool. In flight, each turn fills and drains
    // the queue. There, and on SQLite, each side takes two turns: half of the operations each.
    let turn = match (mode, backend) {
        (Mode::OneAtATime, Backend::Postgres | Backend::MySql) => ONE_AT_A_TIME_TURN,
        _ => args.ops.div_ceil(2),
    };
    let mut ours_samples = Samples::default();
    let mut sqlx_samples = Samples::default();
    let mut ours_first = true;
    let mut done = 0;
    while done < args.ops {
        let count = turn.min(args.ops - done);
        if ours_first {
            ours_samples = ours_samples.merge(measure(ours, operation, mode, n, count).await);
            sqlx_samples = sqlx_samples.merge(measure(sqlx, operation, mode, n, count).await);
        } else {
            sqlx_samples = sqlx_samples.merge(measure(sqlx, operation, mode, n, count).await);
            ours_samples = ours_samples.merge(measure(ours, operation, mode, n, count).await);
        }
        ours_first = !ours_first;
        done += count;
    }
    Measurement {
        operation,
        mode,
        ours: ours_samples.summary(),
        sqlx: sqlx_samples.summary(),
    }
}

/// One comparison of the plan over every run.
struct Comparison {
    operation: Operation,
    mode: Mode,
    runs: Vec<Measurement>,
}

impl Comparison {
    fn ours(&self) -> Summary {
        Summary::median(&self.runs.iter().map(|run| run.ours).collect::<Vec<_>>())
    }

    fn sqlx(&self) -> Summary {
        Summary::median(&self.runs.iter().map(|run| run.sqlx).collect::<Vec<_>>())
    }

    fn ratios(&self) -> Vec<f64> {
        self.runs.iter().map(Measurement::ratio).collect()
    }

    /// The median of the runs' ratios (not the ratio of the medians).
    fn ratio(&self) -> f64 {
        median(self.ratios())
    }

    fn spread(&self) -> (f64, f64) {
        let ratios = self.ratios();
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (low, high)
    }

    fn label(&self, in_flight: usize) -> String {
        self.runs[0].label(in_flight)
    }
}

// The benchmark of one database

struct DatabaseReport {
    backend: Backend,
    settings: PoolSettings,
    durability: String,
    seed_time: Duration,
    comparisons: Vec<Comparison>,
    ceiling: Option<Ceiling>,
    floor: Option<SqliteFloor>,
    sweep: Vec<SweepRow>,
    peak_rss_kib: Option<u64>,
}

impl Operation {
    fn writes(self) -> bool {
        matches!(self, Self::SetSession | Self::SetUser | Self::DeleteSession)
    }
}

async fn benchmark(backend: Backend, url: String, args: Args) -> DatabaseReport {
    let settings = PoolSettings::new(backend, &args);
    let db = connect_ours(&url, settings).await;
    Migrator::up(&db, None).await.expect("the migration runs");
    let seed_started = Instant::now();
    let seeded = Arc::new(seed(&db, args.users).await);
    if args.ceiling && backend == Backend::Postgres {
        seed_numbered_sessions(&db, &seeded).await;
    }
    analyze(&db, backend).await;
    let seed_time = seed_started.elapsed();
    let durability = durability(&db, backend).await;

    if !args.pool_sweep.is_empty() {
        let sweep = pool_sweep(backend, &url, settings, &seeded, &args).await;
        db.close().await.expect("the SeaORM pool closes");
        return DatabaseReport {
            backend,
            settings,
            durability,
            seed_time,
            comparisons: Vec::new(),
            ceiling: None,
            floor: None,
            sweep,
            peak_rss_kib: proc_status_kib("VmHWM"),
        };
    }

    let baseline = connect_baseline(backend, &url, settings).await;
    let ours = Arc::new(Side::new(Ours::new(db.clone()), Arc::clone(&seeded), &args));
    let sqlx = Arc::new(Side::new(baseline, Arc::clone(&seeded), &args));
    let planned: Vec<(Operation, Mode)> = PLAN
        .into_iter()
        .filter(|(operation, _)| {
            args.only.is_empty() || args.only.iter().any(|name| name == operation.name())
        })
        .filter(|(operation, _)| backend != Backend::SqliteFull || operation.writes())
        .collect();
    let mut comparisons: Vec<Comparison> = planned
        .iter()
        .map(|&(operation, mode)| Comparison {
            operation,
            mode,
            runs: Vec::with_capacity(args.runs),
        })
        .collect();
    for run in 1..=args.runs {
        for comparison in &mut comparisons {
            eprintln!(
                "{}: {} (run {run} of {})",
                backend.title(),
                comparison.operation.name(),
                args.runs
            );
            let measurement = compare(
                &ours,
                &sqlx,
                comparison.operation,
                comparison.mode,
                backend,
                &args,
            )
            .await;
            comparison.runs.push(measurement);
        }
    }
    sqlx.store.close().await;
    let ceiling = match backend {
        Backend::Postgres | Backend::MySql if args.ceiling => {
            Some(ceiling(backend, &url, settings, &seeded).await)
        }
        _ => None,
    };
    let floor = match backend {
        Backend::Sqlite | Backend::SqliteMmap if args.ceiling => {
            Some(sqlite_floor(&url, settings, &seeded, &args).await)
        }
        _ => None,
    };
    db.close().await.expect("the SeaORM pool closes");
    DatabaseReport {
        backend,
        settings,
        durability,
        seed_time,
        comparisons,
        ceiling,
        floor,
        sweep: Vec::new(),
        peak_rss_kib: proc_status_kib("VmHWM"),
    }
}

impl DatabaseReport {
    fn print(&self, args: &Args) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} — {}; {}; {} users seeded in {:.1} s (then ANALYZE), {} operations per \
             measurement, {} run(s)",
            self.backend.title(),
            self.settings.describe(),
            self.durability,
            args.users,
            self.seed_time.as_secs_f64(),
            args.ops,
            args.runs,
        );
        if !self.comparisons.is_empty() {
            let _ = writeln!(
                out,
                "{:<38} {:<5} {:>9} {:>8} {:>8} {:>8} {:>7} {:>9} {:>11}",
                "operation",
                "impl",
                "ops/s",
                "p50 µs",
                "p99 µs",
                "CPU µs",
                "sys µs",
                "ours/sqlx",
                "min–max"
            );
        }
        for comparison in &self.comparisons {
            let label = comparison.label(args.in_flight);
            let (low, high) = comparison.spread();
            for (name, summary) in [("ours", comparison.ours()), ("sqlx", comparison.sqlx())] {
                let (label, ratio, spread) = if name == "ours" {
                    (
                        label.as_str(),
                        format!("{:.2}", comparison.ratio()),
                        format!("{low:.2}–{high:.2}"),
                    )
                } else {
                    ("", String::new(), String::new())
                };
                let _ = writeln!(
                    out,
                    "{label:<38} {name:<5} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>7.1} {ratio:>9} \
                     {spread:>11}",
                    summary.ops_per_sec,
                    summary.p50_us,
                    summary.p99_us,
                    summary.cpu_us_per_op,
                    summary.system_us_per_op,
                );
            }
        }
        if !self.comparisons.is_empty() {
            let _ = writeln!(
                out,
                "medians over the runs; CPU µs: the client process's CPU time per operation \
                 (user + system, every thread), sys µs its system part; ours/sqlx: median of \
                 the runs' p50 latency ratios one at a time, time-per-operation ratios (sqlx \
                 ops/s ÷ ours) in flight; above 1 is slower than sqlx."
            );
        }
        if let Some(ceiling) = &self.ceiling {
            ceiling.print(&mut out, &self.comparisons);
        }
        if let Some(floor) = &self.floor {
            floor.print(&mut out, &self.comparisons);
        }
        if !self.sweep.is_empty() {
            print_sweep(&mut out, &self.sweep, args.in_flight);
        }
        if let Some(kib) = self.peak_rss_kib {
            let _ = writeln!(out, "peak RSS of the process so far (VmHWM): {}", mib(kib));
        }
        print!("{out}");
    }

    fn to_json(&self, args: &Args) -> Value {
        json!({
            "database": self.backend.name(),
            "max_connections": self.settings.max_connections,
            "ping_every_acquire": self.settings.ping_every_acquire,
            "durability": self.durability,
            "seed_seconds": round(self.seed_time.as_secs_f64(), 2),
            "runs": args.runs,
            "measurements": self.comparisons.iter().map(|c| {
                let (low, high) = c.spread();
                json!({
                    "operation": c.operation.name(),
                    "mode": match c.mode { Mode::OneAtATime => "one_at_a_time", Mode::InFlight => "in_flight" },
                    "in_flight": match c.mode { Mode::OneAtATime => 1, Mode::InFlight => args.in_flight },
                    "ours": c.ours().to_json(),
                    "sqlx": c.sqlx().to_json(),
                    "ratio_median": round(c.ratio(), 3),
                    "ratio_min": round(low, 3),
                    "ratio_max": round(high, 3),
                    "ratios": c.ratios().into_iter().map(|r| round(r, 3)).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
            "ceiling": self.ceiling.as_ref().map(|ceiling| ceiling.to_json(&self.comparisons)),
            "sqlite_floor": self.floor.as_ref().map(SqliteFloor::to_json),
            "pool_sweep": self.sweep.iter().map(SweepRow::to_json).collect::<Vec<_>>(),
            "peak_rss_kib": self.peak_rss_kib,
        })
    }
}

// The pool-size sweep

/// In-flight reads and writes at one pool size.
struct SweepRow {
    max_connections: u32,
    read: Measurement,
    write: Measurement,
}

impl SweepRow {
    fn to_json(&self) -> Value {
        json!({
            "max_connections": self.max_connections,
            "read": { "operation": self.read.operation.name(), "ours": self.read.ours.to_json(), "sqlx": self.read.sqlx.to_json() },
            "write": { "operation": self.write.operation.name(), "ours": self.write.ours.to_json(), "sqlx": self.write.sqlx.to_json() },
        })
    }
}

/// `get_session_and_user` and `set_session`, `--in-flight` at a time, on fresh pools of each
/// size in `--pool-sweep`.
async fn pool_sweep(
    backend: Backend,
    url: &str,
    settings: PoolSettings,
    seeded: &Arc<Seeded>,
    args: &Args,
) -> Vec<SweepRow> {
    let mut rows = Vec::with_capacity(args.pool_sweep.len());
    for &size in &args.pool_sweep {
        eprintln!("{}: pool of {size}", backend.title());
        let settings = settings.with_max_connections(size);
        let db = connect_ours(url, settings).await;
        let baseline = connect_baseline(backend, url, settings).await;
        let ours = Arc::new(Side::new(Ours::new(db.clone()), Arc::clone(seeded), args));
        let sqlx = Arc::new(Side::new(baseline, Arc::clone(seeded), args));
        let read = compare(
            &ours,
            &sqlx,
            Operation::GetSessionAndUser,
            Mode::InFlight,
            backend,
            args,
        )
        .await;
        let write = compare(
            &ours,
            &sqlx,
            Operation::SetSession,
            Mode::InFlight,
            backend,
            args,
        )
        .await;
        sqlx.store.close().await;
        db.close().await.expect("the SeaORM pool closes");
        rows.push(SweepRow {
            max_connections: size,
            read,
            write,
        });
    }
    rows
}

fn print_sweep(out: &mut String, rows: &[SweepRow], in_flight: usize) {
    let _ = writeln!(
        out,
        "pool-size sweep, {in_flight} in flight (ops/s, p99 µs, client CPU µs per operation):"
    );
    let _ = writeln!(
        out,
        "{:>5} {:>26} {:>26} {:>26} {:>26}",
        "pool",
        "get_session_and_user ours",
        "get_session_and_user sqlx",
        "set_session ours",
        "set_session sqlx"
    );
    let cell = |summary: Summary| {
        format!(
            "{:.0} / {:.0} / {:.1}",
            summary.ops_per_sec, summary.p99_us, summary.cpu_us_per_op
        )
    };
    for row in rows {
        let _ = writeln!(
            out,
            "{:>5} {:>26} {:>26} {:>26} {:>26}",
            row.max_connections,
            cell(row.read.ours),
            cell(row.read.sqlx),
            cell(row.write.ours),
            cell(row.write.sqlx)
        );
    }
}

// The ceiling: the server's own load tool on the statement we send

/// Connection counts the load tool is run at; the best is the ceiling.
const CEILING_CONNECTIONS: [u32; 6] = [1, 2, 4, 8, 16, 32];
/// How long `pgbench` runs at each connection count.
const CEILING_SECONDS: u64 = 5;
/// Queries `mysqlslap` runs at each connection count (about as long).
const CEILING_MYSQL_QUERIES: usize = 60_000;
/// `pgbench` makes random numbers, not strings: with `--ceiling`, PostgreSQL also gets one
/// session per seeded session whose id is a number from here up, for the same users.
const NUMBERED_SESSION_BASE: i64 = 1_000_000_000_000_000_000;

/// The most the server gave for the statement of `get_session_and_user`, from its own C load
/// tool, at each connection count tried; and what plain sqlx gives for it at the same counts,
/// on a pool and on connections held outside one.
struct Ceiling {
    tool: &'static str,
    sql: String,
    tries: Vec<ToolRun>,
    pooled: Vec<ToolRun>,
    held: Vec<ToolRun>,
}

#[derive(Clone, Copy, Debug)]
struct ToolRun {
    connections: u32,
    queries_per_sec: f64,
    /// The tool's own CPU time per query (its process, from `getrusage(RUSAGE_CHILDREN)`).
    cpu_us_per_op: f64,
    system_us_per_op: f64,
}

impl Ceiling {
    fn best(&self) -> ToolRun {
        best_of(&self.tries)
    }

    fn ours_in_flight(comparisons: &[Comparison]) -> Option<(Summary, Summary)> {
        comparisons
            .iter()
            .find(|c| {
                matches!(c.operation, Operation::GetSessionAndUser)
                    && matches!(c.mode, Mode::InFlight)
            })
            .map(|c| (c.ours(), c.sqlx()))
    }

    fn print(&self, out: &mut String, comparisons: &[Comparison]) {
        let _ = writeln!(out, "ceiling: {} running `{}`", self.tool, self.sql);
        print_tool_runs(out, &self.tries);
        let _ = writeln!(
            out,
            "the same statement in plain sqlx, one query in flight per connection: on a pool \
             of that many connections / on connections held outside a pool (never pinged on \
             release)"
        );
        for (pooled, held) in self.pooled.iter().zip(&self.held) {
            let _ = writeln!(
                out,
                "  {:>3} connections: {:>9.0} / {:>9.0} queries/s (held ÷ pool {:.2}), client \
                 CPU {:.1} / {:.1} µs/query",
                pooled.connections,
                pooled.queries_per_sec,
                held.queries_per_sec,
                held.queries_per_sec / pooled.queries_per_sec,
                pooled.cpu_us_per_op,
                held.cpu_us_per_op,
            );
        }
        let best = self.best();
        let pooled = best_of(&self.pooled);
        let held = best_of(&self.held);
        let _ = writeln!(
            out,
            "plain sqlx against the ceiling, best of each: pool {:.0} % at {} connections, \
             held {:.0} % at {}",
            pooled.queries_per_sec / best.queries_per_sec * 100.0,
            pooled.connections,
            held.queries_per_sec / best.queries_per_sec * 100.0,
            held.connections,
        );
        if let Some((ours, sqlx)) = Self::ours_in_flight(comparisons) {
            let _ = writeln!(
                out,
                "get_session_and_user in flight against the ceiling ({:.0}/s at {} \
                 connections): ours {:.0} % (client CPU {:.1} µs/op), sqlx {:.0} % ({:.1} µs/op), \
                 {} {:.1} µs/op",
                best.queries_per_sec,
                best.connections,
                ours.ops_per_sec / best.queries_per_sec * 100.0,
                ours.cpu_us_per_op,
                sqlx.ops_per_sec / best.queries_per_sec * 100.0,
                sqlx.cpu_us_per_op,
                self.tool,
                best.cpu_us_per_op,
            );
        }
    }

    fn to_json(&self, comparisons: &[Comparison]) -> Value {
        let best = self.best();
        let pooled = best_of(&self.pooled);
        let held = best_of(&self.held);
        let percent = Self::ours_in_flight(comparisons).map(|(ours, sqlx)| {
            json!({
                "ours": round(ours.ops_per_sec / best.queries_per_sec * 100.0, 1),
                "sqlx": round(sqlx.ops_per_sec / best.queries_per_sec * 100.0, 1),
                "sqlx_pool_loop": round(pooled.queries_per_sec / best.queries_per_sec * 100.0, 1),
                "sqlx_held_connections": round(held.queries_per_sec / best.queries_per_sec * 100.0, 1),
            })
        });
        json!({
            "tool": self.tool,
            "sql": self.sql,
            "runs": self.tries.iter().map(|run| run.to_json()).collect::<Vec<_>>(),
            "sqlx_pool_loop": self.pooled.iter().map(|run| run.to_json()).collect::<Vec<_>>(),
            "sqlx_held_connections": self.held.iter().map(|run| run.to_json()).collect::<Vec<_>>(),
            "best_connections": best.connections,
            "best_queries_per_sec": round(best.queries_per_sec, 1),
            "percent_of_ceiling": percent,
        })
    }
}

impl ToolRun {
    fn to_json(self) -> Value {
        json!({
            "connections": self.connections,
            "queries_per_sec": round(self.queries_per_sec, 1),
            "cpu_us_per_op": round(self.cpu_us_per_op, 2),
            "system_us_per_op": round(self.system_us_per_op, 2),
        })
    }
}

/// The run that gave the most queries per second.
fn best_of(runs: &[ToolRun]) -> ToolRun {
    runs.iter()
        .copied()
        .max_by(|a, b| a.queries_per_sec.total_cmp(&b.queries_per_sec))
        .expect("at least one run")
}

fn print_tool_runs(out: &mut String, runs: &[ToolRun]) {
    for run in runs {
        let _ = writeln!(
            out,
            "  {:>3} connections: {:>9.0} queries/s, client CPU {:.1} µs/query (sys {:.1})",
            run.connections, run.queries_per_sec, run.cpu_us_per_op, run.system_us_per_op
        );
    }
}

async fn seed_numbered_sessions(db: &DatabaseConnection, seeded: &Seeded) {
    let now = now_millis();
    let rows: Vec<SessionRow> = seeded
        .user_ids
        .iter()
        .flat_map(|user_id| [user_id, user_id])
        .enumerate()
        .map(|(n, user_id)| SessionRow {
            id: (NUMBERED_SESSION_BASE + n as i64).to_string(),
            ..live_session(user_id, now)
        })
        .collect();
    for batch in rows.chunks(SEED_BATCH) {
        let batch = batch.iter().map(|session| session::ActiveModel {
            id: Set(session.id.clone()),
            user_id: Set(session.user_id.clone()),
            active_expires: Set(session.active_expires.into()),
            idle_expires: Set(session.idle_expires.into()),
        });
        session::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await
            .expect("numbered sessions are seeded");
    }
}

/// The SQL the adapter sends for `operation` (`get_session_and_user` or `get_key`) on `id`,
/// caught by SeaORM's metric callback on a connection of its own. Inside a transaction, where
/// the adapter's statements go through SeaORM; on a pool the same SQL goes to sqlx directly.
async fn statement_we_send(
    url: &str,
    settings: PoolSettings,
    operation: Operation,
    id: &str,
) -> String {
    let mut db = connect_ours(url, settings.with_max_connections(1)).await;
    let caught = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&caught);
    db.set_metric_callback(move |info| {
        *sink.lock().expect("no panic while holding the lock") = Some(info.statement.sql.clone());
    });
    let transaction = db.begin().await.expect("the transaction begins");
    let adapter = SeaOrmAdapter::<(), _>::within(&transaction);
    let found = match operation {
        Operation::GetSessionAndUser => adapter.get_session_and_user(id).await.map(|r| r.is_some()),
        Operation::GetKey => adapter.get_key(id).await.map(|key| key.is_some()),
        other => unreachable!("no statement is caught for {}", other.name()),
    };
    assert!(found.expect("the read succeeds"), "a seeded row is found");
    let sql = caught
        .lock()
        .expect("no panic while holding the lock")
        .take();
    transaction
        .rollback()
        .await
        .expect("the transaction rolls back");
    db.close().await.expect("the SeaORM pool closes");
    sql.expect("the adapter ran a statement")
}

async fn ceiling(backend: Backend, url: &str, settings: PoolSettings, seeded: &Seeded) -> Ceiling {
    let id = Seeded::random(&seeded.session_ids);
    let sql = statement_we_send(url, settings, Operation::GetSessionAndUser, id).await;
    let directory = std::env::temp_dir().join(format!("lucia_bench_{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).expect("a temporary directory");
    let mut tries = Vec::with_capacity(CEILING_CONNECTIONS.len());
    let tool = match backend {
        Backend::Postgres => {
            // pgbench binds `:n` as `$1` with `-M prepared`: the same statement, prepared once
            // per connection as sqlx does, with a random id of the numbered sessions.
            let script = directory.join("session_and_user.sql");
            let last = NUMBERED_SESSION_BASE + 2 * seeded.user_ids.len() as i64 - 1;
            std::fs::write(
                &script,
                format!(
                    "\\set n random({NUMBERED_SESSION_BASE}, {last})\n{};\n",
                    sql.replace("$1", ":n")
                ),
            )
            .expect("the pgbench script is written");
            for connections in CEILING_CONNECTIONS {
                eprintln!("PostgreSQL: pgbench with {connections} connections");
                let threads = connections.min(cores()).to_string();
                let connections_arg = connections.to_string();
                let seconds = CEILING_SECONDS.to_string();
                let script = script.to_string_lossy().into_owned();
                let (output, cpu) = run_tool(
                    "pgbench",
                    &[
                        "-n",
                        "-M",
                        "prepared",
                        "-f",
                        &script,
                        "-c",
                        &connections_arg,
                        "-j",
                        &threads,
                        "-T",
                        &seconds,
                        url,
                    ],
                );
                let processed: f64 =
                    field_after(&output, "number of transactions actually processed: ")
                        .and_then(|n| n.split('/').next().and_then(|n| n.parse().ok()))
                        .unwrap_or_else(|| panic!("pgbench printed no count:\n{output}"));
                let tps: f64 = field_after(&output, "tps = ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("pgbench printed no tps:\n{output}"));
                tries.push(ToolRun {
                    connections,
                    queries_per_sec: tps,
                    cpu_us_per_op: micros(cpu.total()) / processed,
                    system_us_per_op: micros(cpu.system) / processed,
                });
            }
            "pgbench -M prepared"
        }
        Backend::MySql => {
            // mysqlslap has no parameters: the same statement with each id written in, one per
            // line, cycled by every client. (It sends text queries; sqlx sends prepared ones.)
            let file = directory.join("session_and_user.sql");
            let mut queries = String::new();
            for _ in 0..seeded.session_ids.len() {
                let id = Seeded::random(&seeded.session_ids);
                let _ = writeln!(queries, "{};", sql.replace('?', &format!("'{id}'")));
            }
            std::fs::write(&file, queries).expect("the mysqlslap queries are written");
            let options: MySqlConnectOptions = url.parse().expect("a MySQL URL");
            let database = options.get_database().expect("the URL names a database");
            for connections in CEILING_CONNECTIONS {
                eprintln!("MariaDB/MySQL: mysqlslap with {connections} connections");
                // The same transport as the URL: its Unix socket if it names one.
                let server = match options.get_socket() {
                    Some(socket) => format!("--socket={}", socket.display()),
                    None => format!("--host={}", options.get_host()),
                };
                let (output, cpu) = run_tool(
                    "mysqlslap",
                    &[
                        &server,
                        &format!("--port={}", options.get_port()),
                        &format!("--user={}", options.get_username()),
                        &format!("--create-schema={database}"),
                        &format!("--query={}", file.to_string_lossy()),
                        "--delimiter=;",
                        &format!("--concurrency={connections}"),
                        "--iterations=1",
                        &format!("--number-of-queries={CEILING_MYSQL_QUERIES}"),
                    ],
                );
                let seconds: f64 =
                    field_after(&output, "Average number of seconds to run all queries: ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("mysqlslap printed no time:\n{output}"));
                let per_client: f64 =
                    field_after(&output, "Average number of queries per client: ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("mysqlslap printed no count:\n{output}"));
                let queries = per_client * f64::from(connections);
                tries.push(ToolRun {
                    connections,
                    queries_per_sec: queries / seconds,
                    cpu_us_per_op: micros(cpu.total()) / queries,
                    system_us_per_op: micros(cpu.system) / queries,
                });
            }
            "mysqlslap"
        }
        Backend::Sqlite | Backend::SqliteMmap | Backend::SqliteFull => {
            unreachable!("SQLite has no server")
        }
    };
    let _ = std::fs::remove_dir_all(&directory);
    let mut pooled = Vec::with_capacity(CEILING_CONNECTIONS.len());
    let mut held = Vec::with_capacity(CEILING_CONNECTIONS.len());
    for connections in CEILING_CONNECTIONS {
        eprintln!("{}: sqlx on {connections} connections", backend.title());
        for (through, runs) in [(Through::Pool, &mut pooled), (Through::Held, &mut held)] {
            let ids = &seeded.session_ids;
            runs.push(sqlx_loop(backend, url, settings, &sql, ids, connections, through).await);
        }
    }
    Ceiling {
        tool,
        sql,
        tries,
        pooled,
        held,
    }
}

/// How [`sqlx_loop`] reaches the server.
#[derive(Clone, Copy, Debug)]
enum Through {
    /// A pool of exactly that many connections, as the bench's pools are configured: every
    /// statement takes a connection and gives it back, and sqlx pings it as it goes back
    /// (`return_to_pool` in `sqlx-core`), one more round trip per statement.
    Pool,
    /// Connections of its own, outside any pool, one per task, as the load tool holds them:
    /// never pinged.
    Held,
}

/// The statement of `get_session_and_user` in plain sqlx, driven as the load tool drives the
/// server: `connections` tasks, each looping for [`CEILING_SECONDS`] with one query in flight,
/// on a pool of that many connections or on one connection each. Same SQL, same bound id, the
/// row fetched and not decoded on both, so that the difference is the pool's.
async fn sqlx_loop(
    backend: Backend,
    url: &str,
    settings: PoolSettings,
    sql: &str,
    session_ids: &[String],
    connections: u32,
    through: Through,
) -> ToolRun {
    let sql: Arc<str> = Arc::from(sql);
    let session_ids: Arc<[String]> = Arc::from(session_ids);
    let fail = |err: sqlx::Error| -> ! { panic!("sqlx cannot connect to {url}: {err}") };
    // Runs a task per item of `$items` until the deadline, each querying through `$executor`:
    // the number of queries, the time they took, and the process's CPU time meanwhile.
    macro_rules! drive {
        ($db:ty, $items:expr, $item:pat => $executor:expr) => {{
            let deadline = Instant::now() + Duration::from_secs(CEILING_SECONDS);
            let started = (Instant::now(), CpuTime::of_process());
            let mut tasks = JoinSet::new();
            for $item in $items {
                let sql = Arc::clone(&sql);
                let session_ids = Arc::clone(&session_ids);
                tasks.spawn(async move {
                    let mut queries = 0_u64;
                    while Instant::now() < deadline {
                        let row = sqlx::query::<$db>(sqlx::AssertSqlSafe(&*sql))
                            .bind(Seeded::random(&session_ids))
                            .fetch_optional($executor)
                            .await
                            .expect("the statement runs");
                        assert!(row.is_some(), "a seeded session is found");
                        queries += 1;
                    }
                    queries
                });
            }
            let mut queries = 0_u64;
            while let Some(done) = tasks.join_next().await {
                queries += done.unwrap_or_else(|err| resume_unwind(err.into_panic()));
            }
            (
                queries as f64,
                started.0.elapsed(),
                CpuTime::of_process().since(started.1),
            )
        }};
    }
    macro_rules! on {
        ($db:ty, $options:ty, $connection:ty) => {{
            let options: $options = url.parse().unwrap_or_else(|err| fail(err));
            let options = options.disable_statement_logging();
            match through {
                Through::Pool => {
                    let pool = settings
                        .with_max_connections(connections)
                        .sqlx::<$db>()
                        .min_connections(connections)
                        .connect_with(options)
                        .await
                        .unwrap_or_else(|err| fail(err));
                    let pools = (0..connections).map(|_| pool.clone());
                    let measured = drive!($db, pools, pool => &pool);
                    pool.close().await;
                    measured
                }
                Through::Held => {
                    let mut held = Vec::with_capacity(connections as usize);
                    for _ in 0..connections {
                        let connection: $connection =
                            options.connect().await.unwrap_or_else(|err| fail(err));
                        held.push(connection);
                    }
                    drive!($db, held, mut connection => &mut connection)
                }
            }
        }};
    }
    let (queries, elapsed, cpu) = match backend {
        Backend::Postgres => on!(sqlx::Postgres, PgConnectOptions, sqlx::PgConnection),
        Backend::MySql => on!(sqlx::MySql, MySqlConnectOptions, sqlx::MySqlConnection),
        Backend::Sqlite | Backend::SqliteMmap | Backend::SqliteFull => {
            unreachable!("SQLite has no server")
        }
    };
    ToolRun {
        connections,
        queries_per_sec: queries / elapsed.as_secs_f64(),
        cpu_us_per_op: micros(cpu.total()) / queries,
        system_us_per_op: micros(cpu.system) / queries,
    }
}

/// What sqlx's SQLite driver costs one request at a time, below any code on top of it: each
/// connection runs on a thread of its own, to which every statement is handed and from which its
/// rows are handed back. Medians over the runs.
struct SqliteFloor {
    sql: String,
    /// `get_key`'s statement in plain sqlx on a pool configured as ours.
    pooled: Summary,
    /// The same on one connection held outside a pool (never pinged on release).
    held: Summary,
    /// `SELECT 1` on a held connection: the hand-off and next to nothing else.
    hand_off: Summary,
}

impl SqliteFloor {
    fn print(&self, out: &mut String, comparisons: &[Comparison]) {
        let _ = writeln!(
            out,
            "SQLite driver floor, one at a time: plain sqlx running `{}` (get_key's statement), \
             the row fetched and not decoded",
            self.sql
        );
        let ours = comparisons
            .iter()
            .find(|c| matches!((c.operation, c.mode), (Operation::GetKey, Mode::OneAtATime)))
            .map(Comparison::ours);
        for (label, summary) in [
            ("on a pool as ours", Some(self.pooled)),
            ("on one held connection", Some(self.held)),
            ("SELECT 1 on one held connection", Some(self.hand_off)),
            ("ours, get_key, measured before", ours),
        ] {
            if let Some(summary) = summary {
                let _ = writeln!(
                    out,
                    "  {label:<34} p50 {:>7.1} µs, p99 {:>7.1} µs, CPU {:>6.1} µs/op",
                    summary.p50_us, summary.p99_us, summary.cpu_us_per_op
                );
            }
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "sql": self.sql,
            "pooled": self.pooled.to_json(),
            "held": self.held.to_json(),
            "select_1_held": self.hand_off.to_json(),
        })
    }
}

async fn sqlite_floor(
    url: &str,
    settings: PoolSettings,
    seeded: &Seeded,
    args: &Args,
) -> SqliteFloor {
    let key_id = Seeded::random(&seeded.key_ids);
    let sql = statement_we_send(url, settings, Operation::GetKey, key_id).await;
    let fail = |err: sqlx::Error| -> ! { panic!("sqlx cannot connect to {url}: {err}") };
    let options: SqliteConnectOptions = url.parse().unwrap_or_else(|err| fail(err));
    let options = sqlite_options(settings.backend, options).disable_statement_logging();
    let pool = settings
        .sqlx::<sqlx::Sqlite>()
        .connect_with(options.clone())
        .await
        .unwrap_or_else(|err| fail(err));
    let mut connection = options.connect().await.unwrap_or_else(|err| fail(err));
    // `count` one at a time, each running `$query` on `$executor`: their latencies and the
    // process's CPU time meanwhile.
    macro_rules! timed {
        ($count:expr, $query:expr, $executor:expr) => {{
            let cpu_before = CpuTime::of_process();
            let started = Instant::now();
            let mut latencies = Vec::with_capacity($count);
            for _ in 0..$count {
                let start = Instant::now();
                let row = $query
                    .fetch_optional($executor)
                    .await
                    .expect("the statement runs");
                assert!(row.is_some(), "a row is found");
                latencies.push(start.elapsed());
            }
            Samples {
                latencies,
                wall: started.elapsed(),
                cpu: CpuTime::of_process().since(cpu_before),
            }
        }};
    }
    let get_key = || {
        sqlx::query::<sqlx::Sqlite>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(Seeded::random(&seeded.key_ids))
    };
    let select_1 = || sqlx::query::<sqlx::Sqlite>("SELECT 1");
    timed!(WARMUP_OPS, get_key(), &pool);
    timed!(WARMUP_OPS, get_key(), &mut connection);
    timed!(WARMUP_OPS, select_1(), &mut connection);
    let half = args.ops / 2;
    let (mut pooled, mut held, mut hand_off) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.runs {
        // pool, held, SELECT 1, then the reverse, halves each: load that comes and goes lands
        // on every side.
        let pooled_a = timed!(half, get_key(), &pool);
        let held_a = timed!(half, get_key(), &mut connection);
        let hand_off_a = timed!(half, select_1(), &mut connection);
        let hand_off_b = timed!(half, select_1(), &mut connection);
        let held_b = timed!(half, get_key(), &mut connection);
        let pooled_b = timed!(half, get_key(), &pool);
        pooled.push(pooled_a.merge(pooled_b).summary());
        held.push(held_a.merge(held_b).summary());
        hand_off.push(hand_off_a.merge(hand_off_b).summary());
    }
    connection.close().await.expect("the connection closes");
    pool.close().await;
    SqliteFloor {
        sql,
        pooled: Summary::median(&pooled),
        held: Summary::median(&held),
        hand_off: Summary::median(&hand_off),
    }
}

/// Runs a load tool to completion: its output, and the CPU time its process used.
fn run_tool(program: &str, args: &[&str]) -> (String, CpuTime) {
    let before = CpuTime::of(UsageWho::RUSAGE_CHILDREN);
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run {program} (PostgreSQL's postgresql-contrib or MariaDB's mariadb-client package): {err}")
        });
    let cpu = CpuTime::of(UsageWho::RUSAGE_CHILDREN).since(before);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{program} failed:\n{text}");
    (text, cpu)
}

/// The first whitespace-delimited word after `prefix` in a tool's output.
fn field_after<'a>(output: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &output[output.find(prefix)? + prefix.len()..];
    rest.split_whitespace().next()
}

// Memory

/// The memory check's stages: operations run before each snapshot. Growth that stops after the
/// first stages is caches filling (each SQLite connection's page cache, sqlx's statement cache,
/// the allocator's per-thread arenas); growth that goes on stage after stage is a leak.
const RSS_STAGES: [usize; 5] = [100_000, 500_000, 500_000, 500_000, 500_000];
/// The most the peak RSS may grow over the last two stages (1M operations) for the check to
/// call memory bounded.
const RSS_BOUNDED_PERCENT: f64 = 1.0;

struct RssCheck {
    max_connections: u32,
    stages: Vec<RssStage>,
}

struct RssStage {
    ops: usize,
    seconds: f64,
    memory: MemorySnapshot,
}

#[derive(Clone, Copy)]
struct MemorySnapshot {
    peak_kib: u64,
    current_kib: u64,
}

impl MemorySnapshot {
    fn now() -> Self {
        Self {
            peak_kib: proc_status_kib("VmHWM").expect("/proc/self/status has VmHWM"),
            current_kib: proc_status_kib("VmRSS").expect("/proc/self/status has VmRSS"),
        }
    }
}

impl RssCheck {
    fn growth_percent(from: &RssStage, to: &RssStage) -> f64 {
        let (before, after) = (from.memory.peak_kib, to.memory.peak_kib);
        (after as f64 - before as f64) / before as f64 * 100.0
    }

    /// Peak RSS growth over the last two stages.
    fn tail_growth_percent(&self) -> f64 {
        let n = self.stages.len();
        Self::growth_percent(&self.stages[n - 3], &self.stages[n - 1])
    }

    fn bounded(&self) -> bool {
        self.tail_growth_percent() < RSS_BOUNDED_PERCENT
    }

    fn print(&self) {
        println!(
            "SQLite memory check: get_session_and_user through SeaOrmAdapter, pool {}",
            self.max_connections
        );
        let mut total = 0;
        for (index, stage) in self.stages.iter().enumerate() {
            total += stage.ops;
            let growth = match index {
                0 => String::new(),
                _ => format!(
                    ", peak {:+.1} % on the stage before",
                    Self::growth_percent(&self.stages[index - 1], stage)
                ),
            };
            println!(
                "after {total:>9} ({:>5.1} s): peak RSS {}, current {}{growth}",
                stage.seconds,
                mib(stage.memory.peak_kib),
                mib(stage.memory.current_kib),
            );
        }
        println!(
            "peak RSS growth from first to last: {:+.1} %; over the last {} operations: {:+.2} % \
             — {}",
            Self::growth_percent(&self.stages[0], &self.stages[self.stages.len() - 1]),
            RSS_STAGES[RSS_STAGES.len() - 2..].iter().sum::<usize>(),
            self.tail_growth_percent(),
            if self.bounded() {
                "bounded (the growth stopped)"
            } else {
                "NOT bounded: still growing"
            }
        );
    }

    fn to_json(&self) -> Value {
        json!({
            "operation": "get_session_and_user",
            "max_connections": self.max_connections,
            "stages": self.stages.iter().map(|stage| json!({
                "ops": stage.ops,
                "seconds": round(stage.seconds, 2),
                "peak_kib": stage.memory.peak_kib,
                "current_kib": stage.memory.current_kib,
            })).collect::<Vec<_>>(),
            "tail_peak_growth_percent": round(self.tail_growth_percent(), 2),
            "bounded": self.bounded(),
        })
    }
}

async fn rss_check(backend: Backend, url: String, args: Args) -> RssCheck {
    let settings = PoolSettings::new(backend, &args);
    let db = connect_ours(&url, settings).await;
    Migrator::up(&db, None).await.expect("the migration runs");
    let seeded = Arc::new(seed(&db, args.users).await);
    analyze(&db, backend).await;
    let ours = Arc::new(Side::new(Ours::new(db.clone()), seeded, &args));

    let mut stages = Vec::with_capacity(RSS_STAGES.len());
    for ops in RSS_STAGES {
        eprintln!("SQLite: {ops} get_session_and_user");
        let started = Instant::now();
        drive(&ours, ops, args.in_flight).await;
        stages.push(RssStage {
            ops,
            seconds: started.elapsed().as_secs_f64(),
            memory: MemorySnapshot::now(),
        });
    }
    db.close().await.expect("the SeaORM pool closes");
    RssCheck {
        max_connections: settings.max_connections,
        stages,
    }
}

/// `count` `get_session_and_user` with `in_flight` at a time, keeping no samples: the check is
/// about what the adapter retains, so the benchmark itself must not grow.
async fn drive(side: &Arc<Side<Ours>>, count: usize, in_flight: usize) {
    let started_ops = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..in_flight {
        let side = Arc::clone(side);
        let started_ops = Arc::clone(&started_ops);
        tasks.spawn(async move {
            while started_ops.fetch_add(1, Ordering::Relaxed) < count {
                side.run(Operation::GetSessionAndUser).await;
            }
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.unwrap_or_else(|failure| resume_unwind(failure.into_panic()));
    }
}

/// A `kB` field of `/proc/self/status` (Linux only).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
