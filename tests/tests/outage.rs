//! Database outages (issue 6): a server that goes away and comes back, and a connection killed
//! in the middle of `set_user`'s transaction.
//!
//! This is per-database behaviour (how each server ends connections, how each driver reports
//! it), so each test is written once and run by one `#[tokio::test]` per database. The restarts
//! run on a private server of the test's own ([`PrivateServer`]); the kills run on the shared
//! servers, each killing only a connection to its own test database.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Error, KeyRow, SessionRow, UserRow};
use lucia_sea_orm_entity::{key, user};
use lucia_sea_orm_tests::server::{Engine, PrivateServer};
use lucia_sea_orm_tests::tables::{self, NOW, Profile, new_user_id};
use lucia_sea_orm_tests::{AppMigrator, Backend, Schema, run};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DbBackend, EntityTrait, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

/// The pool's acquire timeout: how long a call waits for a connection, and so how long it takes
/// to fail, while the server is down.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// A call that has not returned after this long is hung. Well above the acquire timeout, so that
/// a loaded machine does not fail the test; this bounds a hang, it does not measure speed.
const HANG_BOUND: Duration = Duration::from_secs(10);
/// How long the pool may take to serve calls again once the server accepts connections.
const RECOVERY_BOUND: Duration = Duration::from_secs(20);

fn new_user() -> UserRow<Profile> {
    let id = new_user_id();
    UserRow {
        attributes: Profile {
            username: format!("user-{id}"),
        },
        id,
    }
}

fn key_of(user: &UserRow<Profile>) -> KeyRow {
    KeyRow {
        id: format!("email:{}@example.com", user.attributes.username),
        user_id: user.id.clone(),
        primary: true,
        hashed_password: None,
    }
}

/// Runs `call`, giving up after [`HANG_BOUND`]: its outcome (`None` if it hung) and how long it
/// took.
async fn timed<T>(
    call: impl Future<Output = Result<T, Error>>,
) -> (Option<Result<T, Error>>, Duration) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(HANG_BOUND, call).await.ok();
    (outcome, started.elapsed())
}

// A server restart

/// One call of the [`stream`] of operations.
#[derive(Debug)]
struct Call {
    operation: &'static str,
    started: Instant,
    took: Duration,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    Succeeded,
    /// [`Error::Database`], what an outage must look like to callers.
    DatabaseError(String),
    /// Any other error, which an outage must not produce.
    OtherError(String),
    Hung,
}

/// Calls the adapter in a loop until `running` is cleared, as an application serving sign-ups and
/// requests would, recording every call; returns the ids of the users whose `set_user`
/// succeeded.
async fn stream(
    adapter: SeaOrmAdapter<Profile>,
    calls: Arc<Mutex<Vec<Call>>>,
    running: Arc<AtomicBool>,
) -> Vec<String> {
    let record = |operation, started: Instant, outcome: Option<Result<(), Error>>| {
        let outcome = match outcome {
            Some(Ok(())) => Outcome::Succeeded,
            Some(Err(err @ Error::Database(_))) => Outcome::DatabaseError(format!("{err:?}")),
            Some(Err(err)) => Outcome::OtherError(format!("{err:?}")),
            None => Outcome::Hung,
        };
        let succeeded = matches!(outcome, Outcome::Succeeded);
        calls.lock().expect("calls lock").push(Call {
            operation,
            started,
            took: started.elapsed(),
            outcome,
        });
        succeeded
    };
    let mut acknowledged = Vec::new();
    while running.load(Ordering::Relaxed) {
        let user = new_user();
        let started = Instant::now();
        let (outcome, _) = timed(adapter.set_user(&user, Some(&key_of(&user)))).await;
        if record("set_user", started, outcome) {
            acknowledged.push(user.id.clone());
            let session = SessionRow {
                id: format!("session-{}", uuid::Uuid::new_v4().simple()),
                user_id: user.id.clone(),
                active_expires: NOW,
                idle_expires: NOW,
            };
            let started = Instant::now();
            let (outcome, _) = timed(adapter.set_session(&session)).await;
            if record("set_session", started, outcome) {
                let started = Instant::now();
                let (outcome, _) = timed(adapter.get_session_and_user(&session.id)).await;
                let outcome = outcome.map(|result| {
                    result.map(|found| {
                        let (_, found) = found.expect("the session just stored is found");
                        assert_eq!(found.id, user.id, "session's user");
                    })
                });
                record("get_session_and_user", started, outcome);
            }
        }
        // Failures can be instant (a refused connection); do not spin on them.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acknowledged
}

/// Waits until `count` calls of the stream that started after `since` have succeeded.
async fn stream_succeeds(calls: &Mutex<Vec<Call>>, since: Instant, count: usize) {
    let deadline = since + RECOVERY_BOUND;
    loop {
        let succeeded = calls
            .lock()
            .expect("calls lock")
            .iter()
            .filter(|call| call.started > since && matches!(call.outcome, Outcome::Succeeded))
            .count();
        if succeeded >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the stream of calls does not succeed within {RECOVERY_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The pool as an application would configure it for outages: calls fail after
/// [`ACQUIRE_TIMEOUT`] instead of sqlx's default 30 s.
async fn connect(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    // SeaORM 2.0 passes both to the pool's acquire timeout (`connect_timeout` is not a TCP
    // timeout); set alike so neither overrides the other.
    options
        .max_connections(4)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_timeout(ACQUIRE_TIMEOUT);
    Database::connect(options)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"))
}

async fn a_restarted_server_fails_calls_fast_during_the_outage_and_serves_them_after(
    engine: Engine,
) {
    let Some(mut server) = PrivateServer::start(engine).await else {
        return;
    };
    let db = connect(&server.url()).await;
    AppMigrator::up(&db, None).await.expect("migrations run");
    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let running = Arc::new(AtomicBool::new(true));
    let stream = tokio::spawn(stream(adapter.clone(), calls.clone(), running.clone()));
    stream_succeeds(&calls, Instant::now(), 3).await;

    server.stop().await;
    let outage = Instant::now();
    for _ in 0..2 {
        let user = new_user();
        let (outcome, took) = timed(adapter.set_user(&user, Some(&key_of(&user)))).await;
        let outcome = outcome.expect("set_user returns during the outage");
        assert!(
            matches!(outcome, Err(Error::Database(_))),
            "set_user during the outage: {outcome:?}"
        );
        let (outcome, took_to_read) = timed(adapter.get_session_and_user("session-x")).await;
        let outcome = outcome.expect("get_session_and_user returns during the outage");
        assert!(
            matches!(outcome, Err(Error::Database(_))),
            "get_session_and_user during the outage: {outcome:?}"
        );
        eprintln!("{engine:?} down: set_user failed in {took:?}, a read in {took_to_read:?}");
    }

    server.start_again().await;
    let restarted = Instant::now();
    eprintln!("{engine:?} was down for {:?}", restarted - outage);
    // The same adapter, over the same pool, serves calls again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let user = new_user();
        let (outcome, _) = timed(adapter.set_user(&user, Some(&key_of(&user)))).await;
        match outcome.expect("set_user returns after the restart") {
            Ok(()) => break,
            Err(Error::Database(err)) if restarted.elapsed() < RECOVERY_BOUND => {
                eprintln!("{engine:?} restarted, attempt {attempts} failed: {err:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => panic!("set_user after the restart: {err:?}"),
        }
    }
    eprintln!(
        "{engine:?} serves calls {:?} after the restart, at attempt {attempts}",
        restarted.elapsed()
    );
    stream_succeeds(&calls, restarted, 3).await;
    running.store(false, Ordering::Relaxed);
    let acknowledged = stream.await.expect("the stream of calls runs");

    let calls = std::mem::take(&mut *calls.lock().expect("calls lock"));
    let slowest = calls.iter().map(|call| call.took).max().unwrap_or_default();
    let mut errors = BTreeSet::new();
    for call in &calls {
        match &call.outcome {
            Outcome::Succeeded => {}
            Outcome::DatabaseError(err) => {
                errors.insert(err.as_str());
            }
            Outcome::OtherError(err) => panic!("{} around the outage: {err}", call.operation),
            Outcome::Hung => panic!("{} hung around the outage", call.operation),
        }
    }
    let failed = calls
        .iter()
        .filter(|call| matches!(call.outcome, Outcome::DatabaseError(_)))
        .count();
    eprintln!(
        "{engine:?} stream: {} calls, {failed} failed, slowest {slowest:?}; errors: {errors:#?}",
        calls.len()
    );
    assert!(failed > 0, "the stream of calls saw no outage");

    // Whatever failed, failed whole: every user has its key and every acknowledged user is kept.
    let users = tables::users(&db).await;
    let keys = tables::keys(&db).await;
    for (id, _) in &users {
        assert!(
            keys.iter().any(|key| &key.user_id == id),
            "user {id} has no key"
        );
    }
    for id in &acknowledged {
        assert!(
            users.iter().any(|(user, _)| user == id),
            "acknowledged user {id} is lost"
        );
    }
    assert!(
        tables::no_orphans(&db).await,
        "a key or session lost its user"
    );
    db.close().await.expect("pool closes");
}

// A killed connection

/// The server's id of the connection `connection` runs on.
async fn connection_id(connection: &impl ConnectionTrait) -> i64 {
    let sql = match connection.get_database_backend() {
        DbBackend::Postgres => "SELECT pg_backend_pid()::bigint AS id",
        _ => "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
    };
    one_i64(connection, sql).await
}

/// Ends connection `id` from another connection of `db`, as an administrator or a failover
/// would, and returns once the server has ended it.
async fn kill(db: &DatabaseConnection, id: i64) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // With a timeout, pg_terminate_backend waits for the backend to exit.
            let sql = format!("SELECT pg_terminate_backend({id}, 10000)::int::bigint AS id");
            assert_eq!(one_i64(db, &sql).await, 1, "backend {id} is terminated");
        }
        _ => {
            db.execute_unprepared(&format!("KILL {id}"))
                .await
                .expect("connection is killed");
            let gone = &format!(
                "SELECT COUNT(*) AS id FROM information_schema.processlist WHERE id = {id}"
            );
            poll(
                Duration::from_millis(20),
                || async move { (one_i64(db, gone).await == 0).then_some(()) },
                "the killed connection ends",
            )
            .await;
        }
    }
}

/// The id of the connection to this test's database that waits for a row lock.
async fn lock_waiter(db: &DatabaseConnection) -> i64 {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT pid::bigint AS id FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'"
        }
        _ => {
            "SELECT CAST(p.id AS SIGNED) AS id FROM information_schema.innodb_trx t \
             JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
             WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()"
        }
    };
    // InnoDB refreshes `innodb_trx` only when it was last read over 100 ms ago: polled faster, a
    // lock wait would never show.
    poll(
        Duration::from_millis(250),
        || async move {
            let rows = db
                .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("lock waiters read");
            let ids: Vec<i64> = rows
                .iter()
                .map(|row| row.try_get("", "id").expect("id"))
                .collect();
            assert!(ids.len() <= 1, "one connection waits, not {ids:?}");
            ids.first().copied()
        },
        "set_user waits for the key's lock",
    )
    .await
}

async fn one_i64(connection: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .expect("one row");
    row.try_get("", "id").expect("an integer id")
}

/// Runs `attempt` every so long until it returns something, at most for [`HANG_BOUND`].
async fn poll<T, F, Fut>(every: Duration, mut attempt: F, what: &str) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + HANG_BOUND;
    loop {
        if let Some(found) = attempt().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {HANG_BOUND:?}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Starts a transaction that inserts another user with a key of id `key_id`, uncommitted, so
/// that a `set_user` with that key id inserts its user and then waits on the key's unique index.
async fn hold_key_id(db: &DatabaseConnection, key_id: &str) -> sea_orm::DatabaseTransaction {
    let blocker = db.begin().await.expect("blocker begins");
    let other = new_user();
    let insert = Query::insert()
        .into_table(user::Entity)
        .columns([Alias::new("id"), Alias::new("username")])
        .values([
            user::Column::Id.save_as(Expr::val(&other.id)),
            Expr::val(&other.attributes.username),
        ])
        .expect("two values for two columns")
        .to_owned();
    blocker.execute(&insert).await.expect("blocker's user");
    key::Entity::insert(key::ActiveModel {
        id: Set(key_id.to_owned()),
        user_id: Set(other.id),
        primary: Set(true),
        hashed_password: Set(None),
    })
    .exec_without_returning(&blocker)
    .await
    .expect("blocker's key");
    blocker
}

async fn assert_nothing_stored(db: &DatabaseConnection) {
    let users = tables::users(db).await;
    assert!(users.is_empty(), "users: {users:?}");
    let keys = tables::keys(db).await;
    assert!(keys.is_empty(), "keys: {keys:?}");
}

async fn a_connection_killed_inside_set_users_transaction_leaves_nothing_half_written(
    db: DatabaseConnection,
) {
    let user = new_user();
    let transaction = db.begin().await.unwrap();
    let id = connection_id(&transaction).await;
    let adapter = SeaOrmAdapter::<Profile, _>::within(&transaction);
    adapter.set_user(&user, Some(&key_of(&user))).await.unwrap();
    drop(adapter);

    kill(&db, id).await;
    let commit = transaction.commit().await;
    assert!(commit.is_err(), "commit on a killed connection: {commit:?}");
    assert_nothing_stored(&db).await;
}

async fn a_connection_killed_while_set_user_waits_to_insert_its_key_leaves_nothing_half_written(
    db: DatabaseConnection,
) {
    let user = new_user();
    let key = key_of(&user);
    let blocker = hold_key_id(&db, &key.id).await;
    let transaction = db.begin().await.unwrap();
    let id = connection_id(&transaction).await;
    let adapter = SeaOrmAdapter::<Profile, _>::within(&transaction);

    let ((set_user, took), ()) = tokio::join!(timed(adapter.set_user(&user, Some(&key))), async {
        assert_eq!(
            lock_waiter(&db).await,
            id,
            "the transaction's connection waits"
        );
        kill(&db, id).await;
    });
    let set_user = set_user.expect("set_user returns once its connection is killed");
    assert!(
        matches!(set_user, Err(Error::Database(_))),
        "set_user on a killed connection: {set_user:?}"
    );
    eprintln!(
        "{:?}: killed set_user returned in {took:?}",
        db.get_database_backend()
    );
    drop(adapter);
    let commit = transaction.commit().await;
    assert!(commit.is_err(), "commit on a killed connection: {commit:?}");

    blocker.rollback().await.expect("blocker rolls back");
    assert_nothing_stored(&db).await;
}

async fn a_pooled_connection_killed_between_set_users_inserts_stores_nothing_and_the_pool_recovers(
    db: DatabaseConnection,
) {
    let user = new_user();
    let key = key_of(&user);
    let blocker = hold_key_id(&db, &key.id).await;
    let adapter = SeaOrmAdapter::<Profile>::new(db.clone());

    let ((set_user, took), ()) = tokio::join!(timed(adapter.set_user(&user, Some(&key))), async {
        kill(&db, lock_waiter(&db).await).await;
    });
    let set_user = set_user.expect("set_user returns once its connection is killed");
    assert!(
        matches!(set_user, Err(Error::Database(_))),
        "set_user on a killed connection: {set_user:?}"
    );
    eprintln!(
        "{:?}: killed set_user returned in {took:?}",
        db.get_database_backend()
    );

    blocker.rollback().await.expect("blocker rolls back");
    assert_nothing_stored(&db).await;
    adapter
        .set_user(&user, Some(&key))
        .await
        .expect("the same adapter stores the user on another connection");
    assert_eq!(tables::users(&db).await.len(), 1, "users");
    assert_eq!(tables::keys(&db).await, [key], "keys");
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_postgres_fails_calls_fast_during_the_outage_and_serves_them_after() {
        a_restarted_server_fails_calls_fast_during_the_outage_and_serves_them_after(
            Engine::Postgres,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_killed_inside_set_users_transaction_leaves_nothing_half_written() {
        run(
            Backend::Postgres,
            Schema::Migrated,
            super::a_connection_killed_inside_set_users_transaction_leaves_nothing_half_written,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_killed_while_set_user_waits_to_insert_its_key_leaves_nothing_half_written()
     {
        run(
            Backend::Postgres,
            Schema::Migrated,
            super::a_connection_killed_while_set_user_waits_to_insert_its_key_leaves_nothing_half_written,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pooled_connection_killed_between_set_users_inserts_stores_nothing_and_the_pool_recovers()
     {
        run(
            Backend::Postgres,
            Schema::Migrated,
            super::a_pooled_connection_killed_between_set_users_inserts_stores_nothing_and_the_pool_recovers,
        )
        .await;
    }
}

mod mysql {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_mariadb_fails_calls_fast_during_the_outage_and_serves_them_after() {
        a_restarted_server_fails_calls_fast_during_the_outage_and_serves_them_after(
            Engine::MariaDb,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_killed_inside_set_users_transaction_leaves_nothing_half_written() {
        run(
            Backend::MySql,
            Schema::Migrated,
            super::a_connection_killed_inside_set_users_transaction_leaves_nothing_half_written,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_killed_while_set_user_waits_to_insert_its_key_leaves_nothing_half_written()
     {
        run(
            Backend::MySql,
            Schema::Migrated,
            super::a_connection_killed_while_set_user_waits_to_insert_its_key_leaves_nothing_half_written,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pooled_connection_killed_between_set_users_inserts_stores_nothing_and_the_pool_recovers()
     {
        run(
            Backend::MySql,
            Schema::Migrated,
            super::a_pooled_connection_killed_between_set_users_inserts_stores_nothing_and_the_pool_recovers,
        )
        .await;
    }
}
