//! Scale-out on a multi-primary MariaDB Galera cluster (issue 13): application instances on
//! different nodes of one cluster, each with its own pool.
//!
//! Every test but the node kill shares the test binary's cluster ([`GaleraCluster::shared`]),
//! each on a database of its own; the kill test starts a private cluster, since a node it kills
//! would fail the others. The pools are set up with [`read_your_writes`] (the documented
//! configuration) unless a test shows what happens without it.
//!
//! [`read_your_writes`]: lucia_sea_orm_tests::cluster::read_your_writes

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, Auth, Error, KeyRow, ManualClock, SessionRow, UserRow};
use lucia_sea_orm_tests::cluster::{GaleraCluster, NODES};
use lucia_sea_orm_tests::tables::{self, NOW, Profile, new_user_id};
use lucia_sea_orm_tests::{AppMigrator, ScratchDatabase};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::{Connection, Executor, MySqlConnection};
use sea_orm_migration::MigratorTrait;

/// How many times each race is run: each run is a fresh chance for the nodes to interleave.
const ROUNDS: usize = 24;

/// A migrated database of the test's own on a cluster, with one pool per node.
struct Scratch {
    database: ScratchDatabase,
    /// `pools[n]` reaches node `n + 1`.
    pools: Vec<DatabaseConnection>,
}

impl Scratch {
    /// On the shared cluster; `None` when Galera is skipped.
    async fn shared(causal: bool) -> Option<Self> {
        let cluster = GaleraCluster::shared().await?;
        Some(Self::on(cluster, causal).await)
    }

    async fn on(cluster: &GaleraCluster, causal: bool) -> Self {
        let database = ScratchDatabase::create_on(cluster, "lucia_galera").await;
        let mut pools = Vec::new();
        for node in 0..NODES {
            // The database was created through node 1: the others may not have it yet.
            cluster.sync(node).await;
            pools.push(cluster.pool(node, database.name(), causal).await);
        }
        AppMigrator::up(&pools[0], None)
            .await
            .expect("migrations run");
        Self { database, pools }
    }

    fn adapters(&self) -> Vec<SeaOrmAdapter<Profile>> {
        self.pools
            .iter()
            .map(|pool| SeaOrmAdapter::new(pool.clone()))
            .collect()
    }

    async fn drop(self) {
        for pool in self.pools {
            pool.close().await.expect("pool closes");
        }
        self.database.drop().await;
    }
}

fn new_user(username: &str) -> UserRow<Profile> {
    UserRow {
        id: new_user_id(),
        attributes: Profile {
            username: format!("{username}-{}", uuid::Uuid::new_v4().simple()),
        },
    }
}

fn key_of(user_id: &str, key_id: &str) -> KeyRow {
    KeyRow {
        id: key_id.to_owned(),
        user_id: user_id.to_owned(),
        primary: false,
        hashed_password: None,
    }
}

fn session_of(user_id: &str) -> SessionRow {
    SessionRow {
        id: format!("session-{}", uuid::Uuid::new_v4().simple()),
        user_id: user_id.to_owned(),
        active_expires: NOW + 60_000,
        idle_expires: NOW + 120_000,
    }
}

/// Certification failures and brute-force aborts so far, over the shared cluster's nodes: the
/// conflicts that surface as deadlock errors and that the adapter retries.
async fn conflicts() -> u64 {
    let cluster = GaleraCluster::shared()
        .await
        .expect("the shared cluster runs");
    let mut total = 0;
    for node in 0..NODES {
        for variable in ["wsrep_local_cert_failures", "wsrep_local_bf_aborts"] {
            total += cluster
                .status(node, variable)
                .await
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}

/// An `Auth` per node, all on one clock.
fn instances(scratch: &Scratch, clock: &ManualClock) -> Vec<Auth<SeaOrmAdapter<Profile>>> {
    scratch
        .adapters()
        .into_iter()
        .map(|adapter| Auth::builder(adapter).clock(clock.clone()).build())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_created_through_node_1_validates_through_nodes_2_and_3_at_once() {
    let Some(scratch) = Scratch::shared(true).await else {
        return;
    };
    let clock = ManualClock::new(NOW);
    let auth = instances(&scratch, &clock);
    for round in 0..ROUNDS {
        let user = auth[0]
            .create_user(
                Profile {
                    username: format!("ada-{round}"),
                },
                None,
            )
            .await
            .expect("user created through node 1");
        let session = auth[0]
            .create_session(&user.id)
            .await
            .expect("session created through node 1");
        for (node, instance) in auth.iter().enumerate().skip(1) {
            let (validated, owner) = instance
                .validate_session_user(&session.id)
                .await
                .unwrap_or_else(|err| {
                    panic!(
                        "round {round}: node {} cannot see the session: {err}",
                        node + 1
                    )
                });
            assert_eq!(validated.id, session.id);
            assert_eq!(owner, user);
        }
        // And the other way round: a sign-out through node 3 is seen by node 1 at once.
        auth[2]
            .invalidate_session(&session.id)
            .await
            .expect("signed out through node 3");
        assert!(matches!(
            auth[0].validate_session(&session.id).await,
            Err(Error::InvalidSessionId)
        ));
    }
    scratch.drop().await;
}

/// Without `wsrep_sync_wait`, a node answers from what it has applied so far. Node 2's applier is
/// held back here (`FLUSH TABLES WITH READ LOCK` pauses applying on the node that takes it),
/// which is what a busy node does for a few milliseconds at a time: the session committed
/// through node 1 is unknown on node 2, and the freshly signed-in user is signed out. With the
/// setting, the same validation waits for node 2 to catch up and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sync_wait_a_lagging_node_misses_a_session_committed_through_another() {
    let Some(cluster) = GaleraCluster::shared().await else {
        return;
    };
    let scratch = Scratch::on(cluster, false).await;
    let causal = cluster.pool(1, scratch.database.name(), true).await;
    let clock = ManualClock::new(NOW);
    let auth = instances(&scratch, &clock);
    let causal_auth = Auth::builder(SeaOrmAdapter::<Profile>::new(causal.clone()))
        .clock(clock.clone())
        .build();
    let user = auth[0]
        .create_user(new_user("lag").attributes, None)
        .await
        .expect("user created through node 1");
    let session = auth[0]
        .create_session(&user.id)
        .await
        .expect("session created");
    // Even unpaused, node 2 may not have applied it yet (seen here on a loaded machine); the
    // causal pool waits until it has.
    let natural = auth[1].validate_session(&session.id).await;
    eprintln!("unpaused node 2 without sync wait, right after the commit: {natural:?}");
    assert!(causal_auth.validate_session(&session.id).await.is_ok());

    // Node 2 stops applying; node 1 goes on committing (node 2 desyncs rather than hold the
    // cluster back).
    let mut pause = MySqlConnection::connect(&cluster.url(1, scratch.database.name()))
        .await
        .expect("a connection to node 2");
    pause
        .execute("FLUSH TABLES WITH READ LOCK")
        .await
        .expect("node 2 paused");
    let fresh = auth[0]
        .create_session(&user.id)
        .await
        .expect("session created through node 1 while node 2 lags");

    let stale_validation = auth[1].validate_session(&fresh.id).await;
    let stale_user = auth[1].validate_session_user(&fresh.id).await;

    // The same calls with read-your-writes wait for node 2 to apply what it has received.
    let waiting = tokio::spawn({
        let causal_auth = causal_auth.clone();
        let fresh = fresh.id.clone();
        async move { causal_auth.validate_session(&fresh).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a causal read waits for the lagging node"
    );
    pause
        .execute("UNLOCK TABLES")
        .await
        .expect("node 2 resumes");
    let caught_up = waiting.await.expect("validation task");

    assert!(
        matches!(stale_validation, Err(Error::InvalidSessionId)),
        "without sync wait, a session committed through node 1 is unknown on node 2: {stale_validation:?}"
    );
    assert!(matches!(stale_user, Err(Error::InvalidSessionId)));
    assert_eq!(
        caught_up.expect("with sync wait the session validates").id,
        fresh.id
    );
    // Once node 2 has caught up, the plain pool sees the session too.
    assert!(auth[1].validate_session(&fresh.id).await.is_ok());
    pause.close().await.expect("connection closes");
    causal.close().await.expect("pool closes");
    scratch.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_user_id_through_three_nodes_at_once_is_stored_once_and_duplicate_elsewhere() {
    let Some(scratch) = Scratch::shared(true).await else {
        return;
    };
    let adapters = scratch.adapters();
    let conflicts_before = conflicts().await;
    let mut losers = 0;
    for round in 0..ROUNDS {
        let id = new_user_id();
        let attempts = adapters.iter().enumerate().map(|(node, adapter)| {
            let user = UserRow {
                id: id.clone(),
                attributes: Profile {
                    username: format!("same-{round}-{node}"),
                },
            };
            let key = key_of(&id, &format!("email:{round}-{node}@example.com"));
            async move { adapter.set_user(&user, Some(&key)).await }
        });
        let outcomes = join_all(attempts).await;
        let stored = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(stored, 1, "round {round}: {outcomes:?}");
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Ok(()) | Err(Error::DuplicateUserId)),
                "round {round}: {outcome:?}"
            );
        }
        losers += outcomes.iter().filter(|o| o.is_err()).count();
        for pool in &scratch.pools {
            let users: Vec<_> = tables::users(pool)
                .await
                .into_iter()
                .filter(|(user, _)| *user == id)
                .collect();
            assert_eq!(users.len(), 1);
            assert_eq!(
                tables::keys(pool)
                    .await
                    .iter()
                    .filter(|key| key.user_id == id)
                    .count(),
                1,
                "round {round}: the loser's key went with its user"
            );
        }
    }
    eprintln!(
        "{losers} losers, every one DuplicateUserId; certification failures and brute-force \
         aborts meanwhile (the cluster's, all tests): {}",
        conflicts().await - conflicts_before
    );
    scratch.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_id_through_three_nodes_at_once_is_stored_once_and_duplicate_elsewhere() {
    let Some(scratch) = Scratch::shared(true).await else {
        return;
    };
    let adapters = scratch.adapters();
    let mut owners = Vec::new();
    for node in 0..NODES {
        owners.push(tables::insert_user(&scratch.pools[node], &format!("owner-{node}")).await);
    }
    for round in 0..ROUNDS {
        let key_id = format!("github:{round}");
        let attempts = adapters.iter().zip(&owners).map(|(adapter, owner)| {
            let key = key_of(&owner.id, &key_id);
            async move { adapter.set_key(&key).await }
        });
        let outcomes = join_all(attempts).await;
        assert_eq!(
            outcomes.iter().filter(|outcome| outcome.is_ok()).count(),
            1,
            "round {round}: {outcomes:?}"
        );
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Ok(()) | Err(Error::DuplicateKeyId)),
                "round {round}: {outcome:?}"
            );
        }
        for pool in &scratch.pools {
            let keys = tables::keys(pool).await;
            assert_eq!(keys.iter().filter(|key| key.id == key_id).count(), 1);
        }
    }
    scratch.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_validations_of_one_idle_session_through_three_nodes_renew_it_once() {
    let Some(scratch) = Scratch::shared(true).await else {
        return;
    };
    let clock = ManualClock::new(NOW);
    let auth = instances(&scratch, &clock);
    for round in 0..ROUNDS {
        clock.set(NOW);
        let user = auth[0]
            .create_user(new_user("idle").attributes, None)
            .await
            .expect("user created");
        let session = auth[round % NODES]
            .create_session(&user.id)
            .await
            .expect("session created");
        clock.set(session.active_expires + 1);
        let validations = auth.iter().map(|instance| {
            let id = session.id.clone();
            async move { instance.validate_session(&id).await }
        });
        let outcomes = join_all(validations).await;
        let successors: BTreeSet<String> = outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().ok())
            .filter(|validated| validated.fresh)
            .map(|validated| validated.id.clone())
            .collect();
        assert_eq!(successors.len(), 1, "round {round}: {outcomes:?}");
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Ok(_) | Err(Error::InvalidSessionId)),
                "round {round}: a loser gets a typed error: {outcome:?}"
            );
        }
        for pool in &scratch.pools {
            let others: Vec<String> = tables::sessions(pool)
                .await
                .into_iter()
                .filter(|row| row.user_id == user.id && row.id != session.id)
                .map(|row| row.id)
                .collect();
            assert_eq!(
                others.len(),
                1,
                "round {round}: one successor on every node"
            );
        }
    }
    scratch.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_through_node_1_while_node_2_adds_a_session_leaves_no_orphans() {
    let Some(scratch) = Scratch::shared(true).await else {
        return;
    };
    let adapters = scratch.adapters();
    let mut outcomes_seen = BTreeSet::new();
    for round in 0..ROUNDS {
        let user = tables::insert_user(&scratch.pools[0], &format!("leaving-{round}")).await;
        tables::insert_session(&scratch.pools[1], &user.id).await;
        let delete = adapters[0].delete_user_with_sessions_and_keys(&user.id);
        let session = session_of(&user.id);
        let add = adapters[1].set_session(&session);
        let (deleted, added) = tokio::join!(delete, add);
        assert!(deleted.is_ok(), "round {round}: {deleted:?}");
        assert!(
            matches!(added, Ok(()) | Err(Error::InvalidUserId)),
            "round {round}: the loser gets a typed error: {added:?}"
        );
        outcomes_seen.insert(if added.is_ok() {
            "session first"
        } else {
            "delete first"
        });
        for (node, pool) in scratch.pools.iter().enumerate() {
            assert!(
                tables::no_orphans(pool).await,
                "round {round}: orphans on node {}",
                node + 1
            );
            assert!(
                tables::sessions(pool)
                    .await
                    .iter()
                    .all(|s| s.user_id != user.id),
                "round {round}: node {}",
                node + 1
            );
        }
    }
    eprintln!("orders seen: {outcomes_seen:?}");
    scratch.drop().await;
}

/// One write of the load: a user and its key in one transaction, through node `node`.
#[derive(Debug)]
struct Write {
    node: usize,
    user_id: String,
    after_kill: bool,
    outcome: Result<(), String>,
}

impl Write {
    /// Whether the call failed because its connection went away mid-call (the node was
    /// killed), so that the client cannot know whether the commit happened.
    fn connection_lost(&self) -> bool {
        self.outcome
            .as_ref()
            .is_err_and(|err| err.contains("Io(") || err.contains("ConnectionReset"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_acknowledged_write() {
    let Some(mut cluster) = GaleraCluster::start().await else {
        return;
    };
    let scratch = Scratch::on(&cluster, true).await;
    let adapters = scratch.adapters();
    let killed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (node, adapter) in adapters.iter().enumerate() {
        let adapter = adapter.clone();
        let killed = Arc::clone(&killed);
        let stop = Arc::clone(&stop);
        writers.push(tokio::spawn(async move {
            let mut writes = Vec::new();
            // Bounded: the writers stop when told, or after this many writes each.
            for n in 0..5_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let user = new_user(&format!("load-{node}-{n}"));
                let key = key_of(
                    &user.id,
                    &format!("email:{}@example.com", user.attributes.username),
                );
                let after_kill = killed.load(Ordering::SeqCst);
                let outcome = tokio::time::timeout(
                    Duration::from_secs(60),
                    adapter.set_user(&user, Some(&key)),
                )
                .await;
                let outcome = match outcome {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(format!("{err}: {:?}", std::error::Error::source(&err))),
                    Err(_) => Err("hung for 60 s".to_owned()),
                };
                let failed = outcome.is_err();
                writes.push(Write {
                    node,
                    user_id: user.id,
                    after_kill,
                    outcome,
                });
                if failed && node == 2 {
                    // The killed node's instance: pause rather than spin on a dead server.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            writes
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.store(true, Ordering::SeqCst);
    cluster.kill(2).await;
    // Nodes 1 and 2 evict node 3 and keep serving.
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::SeqCst);
    let mut writes = Vec::new();
    for writer in writers {
        writes.extend(writer.await.expect("writer"));
    }
    cluster.restart(2).await;
    assert_eq!(
        cluster.status(2, "wsrep_cluster_size").await.as_deref(),
        Some("3")
    );

    let acknowledged: BTreeSet<&str> = writes
        .iter()
        .filter(|write| write.outcome.is_ok())
        .map(|write| write.user_id.as_str())
        .collect();
    let failed: Vec<&Write> = writes
        .iter()
        .filter(|write| write.outcome.is_err())
        .collect();
    for node in 0..NODES {
        let served_after_kill = writes
            .iter()
            .filter(|write| write.node == node && write.after_kill && write.outcome.is_ok())
            .count();
        eprintln!(
            "node {}: {} writes, {} failed, {served_after_kill} acknowledged after the kill",
            node + 1,
            writes.iter().filter(|write| write.node == node).count(),
            failed.iter().filter(|write| write.node == node).count(),
        );
        if node != 2 {
            assert!(served_after_kill > 0, "node {} kept serving", node + 1);
            assert!(
                failed.iter().all(|write| write.node != node),
                "no write through a surviving node fails"
            );
        }
    }
    for write in &failed {
        eprintln!(
            "failed write through node {}: {:?}",
            write.node + 1,
            write.outcome
        );
    }
    // Read back through a fresh pool per node: the rejoined node included.
    for node in 0..NODES {
        let pool = cluster.pool(node, scratch.database.name(), true).await;
        let stored: BTreeSet<String> = tables::users(&pool)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let missing: Vec<&&str> = acknowledged
            .iter()
            .filter(|id| !stored.contains(**id))
            .collect();
        assert!(
            missing.is_empty(),
            "node {}: acknowledged writes lost: {missing:?}",
            node + 1
        );
        // A write whose connection died with its node may have been replicated before the
        // node died: its outcome is unknown to the caller, and either is correct. Any other
        // failed write must be absent.
        let (in_doubt, present): (Vec<&&Write>, Vec<&&Write>) = failed
            .iter()
            .filter(|write| stored.contains(&write.user_id))
            .partition(|write| write.connection_lost());
        assert!(
            present.is_empty(),
            "node {}: failed writes stored: {present:?}",
            node + 1
        );
        if !in_doubt.is_empty() {
            eprintln!(
                "node {}: {} writes cut off by the kill were committed all the same: {in_doubt:?}",
                node + 1,
                in_doubt.len()
            );
        }
        assert!(tables::no_orphans(&pool).await);
        assert_eq!(
            tables::keys(&pool).await.len(),
            stored.len(),
            "node {}: every user has its key",
            node + 1
        );
        pool.close().await.expect("pool closes");
    }
    eprintln!(
        "{} acknowledged writes on all 3 nodes after the rejoin; {} failed writes on none",
        acknowledged.len(),
        failed.len()
    );
    // The dead node's pool is closed with the rest; the cluster goes with the test.
    scratch.drop().await;
}
