//! Load driver for scaling out (issue 13): N independent [`Auth`] instances, each with its own
//! pool, round-robin over the nodes of a private 3-node MariaDB Galera cluster (1, 2 and 3 nodes
//! in turn), and separately all on one PostgreSQL server.
//!
//! ```text
//! cargo bench -p lucia-sea-orm-tests --bench scale_out -- [--instances N] [--seconds S]
//!     [--in-flight N] [--databases galera,postgres]
//! ```
//!
//! Each worker runs user journeys: sign-up (a user and its OAuth-style key, no password: argon2
//! would measure the CPU, not the database), sign-in (`use_key` and `create_session`) through
//! one instance, validation through *every other* instance (`validate_session_user`), sign-out
//! through another one, and a validation after it, which must fail. Every instance runs
//! `spawn_expired_session_cleanup` throughout. A validation that misses a session, or that
//! finds a signed-out one, is counted as a consistency failure and reported.
//!
//! Then, on 3 nodes, validations alone with and without `wsrep_sync_wait` (alternating, so that
//! load from other processes lands on both): the cost of read-your-writes.
//!
//! PostgreSQL runs when `TEST_POSTGRES_URL` names a server; Galera when `galera-4` is installed.
//! The machine is shared (2 cores, other builds running, every node and the driver on it): the
//! figures compare settings within one run, they are not capacity figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Auth, Error, NewKey};
use lucia_sea_orm_tests::cluster::{GaleraCluster, NODES};
use lucia_sea_orm_tests::tables::Profile;
use lucia_sea_orm_tests::{AppMigrator, Backend, ScratchDatabase};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use tokio::task::JoinSet;

type Instance = Auth<SeaOrmAdapter<Profile>>;

/// Each instance's pool: a few connections, as an application process would have.
const POOL_SIZE: u32 = 4;
const CLEANUP_PERIOD: Duration = Duration::from_millis(500);

#[derive(Clone, Debug)]
struct Args {
    instances: usize,
    seconds: u64,
    in_flight: usize,
    galera: bool,
    postgres: bool,
}

fn args() -> Args {
    let mut args = Args {
        instances: 6,
        seconds: 6,
        in_flight: 4,
        galera: true,
        postgres: true,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || {
            given
                .next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--instances" => args.instances = value().parse().expect("--instances N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds S"),
            "--in-flight" => args.in_flight = value().parse().expect("--in-flight N"),
            "--databases" => {
                let databases = value();
                args.galera = databases.contains("galera");
                args.postgres = databases.contains("postgres");
            }
            // cargo bench passes --bench.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// Latencies of one kind of call, in microseconds.
#[derive(Default)]
struct Latencies(Vec<u64>);

impl Latencies {
    fn percentile(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let index = ((self.0.len() as f64 * p).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[index] as f64
    }
}

/// What one run of journeys did.
#[derive(Default)]
struct Run {
    journeys: usize,
    operations: usize,
    validations: Latencies,
    sign_ups: Latencies,
    sign_ins: Latencies,
    sign_outs: Latencies,
    /// A session missing on an instance, or alive after its sign-out.
    inconsistent: Vec<String>,
    errors: Vec<String>,
    seconds: f64,
}

impl Run {
    fn absorb(&mut self, other: Run) {
        self.journeys += other.journeys;
        self.operations += other.operations;
        self.validations.0.extend(other.validations.0);
        self.sign_ups.0.extend(other.sign_ups.0);
        self.sign_ins.0.extend(other.sign_ins.0);
        self.sign_outs.0.extend(other.sign_outs.0);
        self.inconsistent.extend(other.inconsistent);
        self.errors.extend(other.errors);
    }
}

fn micros(since: Instant) -> u64 {
    since.elapsed().as_micros() as u64
}

/// One worker: journeys until `deadline`, starting on instance `first`.
async fn journeys(instances: Arc<Vec<Instance>>, first: usize, deadline: Instant) -> Run {
    let mut run = Run::default();
    let n = instances.len();
    let mut turn = first;
    while Instant::now() < deadline {
        turn += 1;
        let home = &instances[turn % n];
        let login = uuid::Uuid::new_v4().simple().to_string();
        let started = Instant::now();
        let user = match home
            .create_user(
                Profile {
                    username: login.clone(),
                },
                Some(NewKey::without_password("github", &login)),
            )
            .await
        {
            Ok(user) => user,
            Err(err) => {
                run.errors.push(format!("sign-up: {err}"));
                continue;
            }
        };
        run.sign_ups.0.push(micros(started));
        let started = Instant::now();
        let session = match home.use_key("github", &login, None).await {
            Ok(key) => home.create_session(&key.user_id).await,
            Err(err) => Err(err),
        };
        let session = match session {
            Ok(session) => session,
            Err(err) => {
                run.errors.push(format!("sign-in: {err}"));
                continue;
            }
        };
        run.sign_ins.0.push(micros(started));
        run.operations += 3;
        for other in 1..n.max(2) {
            let instance = &instances[(turn + other) % n];
            let started = Instant::now();
            match instance.validate_session_user(&session.id).await {
                Ok((_, owner)) if owner.id == user.id => run.validations.0.push(micros(started)),
                Ok(_) => run
                    .inconsistent
                    .push("validated as another user".to_owned()),
                Err(Error::InvalidSessionId) => run.inconsistent.push(format!(
                    "instance {} missed a new session",
                    (turn + other) % n
                )),
                Err(err) => run.errors.push(format!("validation: {err}")),
            }
            run.operations += 1;
        }
        let started = Instant::now();
        if let Err(err) = instances[(turn + 1) % n]
            .invalidate_session(&session.id)
            .await
        {
            run.errors.push(format!("sign-out: {err}"));
            continue;
        }
        run.sign_outs.0.push(micros(started));
        match instances[(turn + 2) % n]
            .validate_session(&session.id)
            .await
        {
            Err(Error::InvalidSessionId) => {}
            Ok(_) => run
                .inconsistent
                .push("a signed-out session validated".to_owned()),
            Err(err) => run.errors.push(format!("validation after sign-out: {err}")),
        }
        run.operations += 2;
        run.journeys += 1;
    }
    run
}

/// `args.instances` instances over `pools` (round-robin), each running the cleanup task, with
/// `args.in_flight` workers each, for `args.seconds`.
async fn drive(pools: &[DatabaseConnection], args: &Args) -> Run {
    let instances: Arc<Vec<Instance>> = Arc::new(
        pools
            .iter()
            .map(|pool| Auth::builder(SeaOrmAdapter::new(pool.clone())).build())
            .collect(),
    );
    let cleanups: Vec<_> = instances
        .iter()
        .map(|instance| instance.spawn_expired_session_cleanup(CLEANUP_PERIOD))
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = JoinSet::new();
    for worker in 0..pools.len() * args.in_flight {
        workers.spawn(journeys(Arc::clone(&instances), worker, deadline));
    }
    let mut run = Run::default();
    while let Some(worker) = workers.join_next().await {
        run.absorb(worker.expect("worker"));
    }
    run.seconds = started.elapsed().as_secs_f64();
    for cleanup in cleanups {
        cleanup.abort();
    }
    run
}

async fn pool(url: &str, causal: bool) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(POOL_SIZE)
        .min_connections(POOL_SIZE)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .sqlx_logging(false);
    if causal {
        lucia_sea_orm_tests::cluster::read_your_writes(&mut options);
    }
    Database::connect(options).await.expect("the pool connects")
}

fn header() {
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "setup",
        "journeys/s",
        "ops/s",
        "valid p50",
        "valid p99",
        "sign-in p50",
        "sign-up p50",
        "misses"
    );
}

fn row(label: &str, run: &mut Run) {
    println!(
        "{label:<34} {:>9.0} {:>9.0} {:>8.2}ms {:>8.2}ms {:>9.2}ms {:>9.2}ms {:>8}",
        run.journeys as f64 / run.seconds,
        run.operations as f64 / run.seconds,
        run.validations.percentile(0.5) / 1000.0,
        run.validations.percentile(0.99) / 1000.0,
        run.sign_ins.percentile(0.5) / 1000.0,
        run.sign_ups.percentile(0.5) / 1000.0,
        run.inconsistent.len(),
    );
    for problem in run.inconsistent.iter().chain(&run.errors).take(5) {
        println!("    {problem}");
    }
    if !run.errors.is_empty() {
        println!("    {} errors", run.errors.len());
    }
}

/// Validations alone of `sessions` through instances round-robin, `in_flight` at once, for
/// `seconds`: (validations per second, p50 ms, p99 ms, misses).
async fn validations(
    pools: &[DatabaseConnection],
    sessions: Arc<Vec<String>>,
    args: &Args,
) -> (f64, f64, f64, usize) {
    let instances: Arc<Vec<Instance>> = Arc::new(
        pools
            .iter()
            .map(|pool| Auth::builder(SeaOrmAdapter::new(pool.clone())).build())
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = JoinSet::new();
    for _ in 0..pools.len() * args.in_flight {
        let (instances, sessions, next) = (
            Arc::clone(&instances),
            Arc::clone(&sessions),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            let mut latencies = Latencies::default();
            let mut misses = 0;
            while Instant::now() < deadline {
                let turn = next.fetch_add(1, Ordering::Relaxed);
                let instance = &instances[turn % instances.len()];
                let at = Instant::now();
                match instance
                    .validate_session_user(&sessions[turn % sessions.len()])
                    .await
                {
                    Ok(_) => latencies.0.push(micros(at)),
                    Err(_) => misses += 1,
                }
            }
            (latencies, misses)
        });
    }
    let mut all = Latencies::default();
    let mut misses = 0;
    while let Some(worker) = workers.join_next().await {
        let (latencies, missed) = worker.expect("worker");
        all.0.extend(latencies.0);
        misses += missed;
    }
    let seconds = started.elapsed().as_secs_f64();
    (
        all.0.len() as f64 / seconds,
        all.percentile(0.5) / 1000.0,
        all.percentile(0.99) / 1000.0,
        misses,
    )
}

async fn galera(args: &Args) {
    let Some(cluster) = GaleraCluster::start().await else {
        return;
    };
    let database = ScratchDatabase::create_on(&cluster, "lucia_bench").await;
    {
        let first = pool(&cluster.url(0, database.name()), true).await;
        AppMigrator::up(&first, None).await.expect("migrations run");
        first.close().await.expect("pool closes");
    }
    for node in 0..NODES {
        cluster.sync(node).await;
    }
    println!(
        "\nGalera (3-node cluster on one machine), {} instances × {POOL_SIZE} connections, \
         {} journeys in flight per instance, {} s each, wsrep_sync_wait = 7",
        args.instances, args.in_flight, args.seconds
    );
    header();
    for nodes in 1..=NODES {
        let mut pools = Vec::new();
        for instance in 0..args.instances {
            pools.push(pool(&cluster.url(instance % nodes, database.name()), true).await);
        }
        let mut run = drive(&pools, args).await;
        row(&format!("{nodes} node(s), round-robin"), &mut run);
        for pool in pools {
            pool.close().await.expect("pool closes");
        }
    }

    // The cost of read-your-writes on validation, on all 3 nodes.
    let seeding = pool(&cluster.url(0, database.name()), true).await;
    let seeder = Auth::builder(SeaOrmAdapter::<Profile>::new(seeding.clone())).build();
    let mut sessions = Vec::new();
    for n in 0..500 {
        let user = seeder
            .create_user(
                Profile {
                    username: format!("validating-{n}-{}", uuid::Uuid::new_v4().simple()),
                },
                None,
            )
            .await
            .expect("seed user");
        sessions.push(
            seeder
                .create_session(&user.id)
                .await
                .expect("seed session")
                .id,
        );
    }
    seeding.close().await.expect("pool closes");
    for node in 0..NODES {
        cluster.sync(node).await;
    }
    let sessions = Arc::new(sessions);
    println!(
        "\nValidation only (validate_session_user), 3 nodes, {} instances, alternating settings",
        args.instances
    );
    println!(
        "{:<34} {:>12} {:>10} {:>10} {:>8}",
        "wsrep_sync_wait", "validations/s", "p50", "p99", "misses"
    );
    for causal in [true, false, false, true] {
        let mut pools = Vec::new();
        for instance in 0..args.instances {
            pools.push(pool(&cluster.url(instance % NODES, database.name()), causal).await);
        }
        let (rate, p50, p99, misses) = validations(&pools, Arc::clone(&sessions), args).await;
        println!(
            "{:<34} {rate:>12.0} {p50:>8.2}ms {p99:>8.2}ms {misses:>8}",
            if causal {
                "7 (read-your-writes)"
            } else {
                "0 (server default)"
            }
        );
        for pool in pools {
            pool.close().await.expect("pool closes");
        }
    }
    database.drop().await;
}

async fn postgres(args: &Args) {
    let Some(database) = ScratchDatabase::create(Backend::Postgres, "lucia_bench").await else {
        return;
    };
    let mut pools = Vec::new();
    for _ in 0..args.instances {
        pools.push(pool(database.url(), false).await);
    }
    AppMigrator::up(&pools[0], None)
        .await
        .expect("migrations run");
    println!(
        "\nPostgreSQL (one primary), {} instances × {POOL_SIZE} connections, {} journeys in \
         flight per instance, {} s",
        args.instances, args.in_flight, args.seconds
    );
    header();
    let mut run = drive(&pools, args).await;
    row("every instance on the primary", &mut run);
    for pool in pools {
        pool.close().await.expect("pool closes");
    }
    database.drop().await;
}

#[tokio::main]
async fn main() {
    let args = args();
    println!(
        "scale_out: {} CPU cores shared with every node and other work; figures are noisy",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if args.galera {
        galera(&args).await;
    }
    if args.postgres {
        postgres(&args).await;
    }
}
