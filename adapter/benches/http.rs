//! The cost of authentication per HTTP request: signed-in `GET`s per second over loopback HTTP
//! through a router that validates the session cookie, against the same router without auth,
//! with the load generated in this process (HTTP/1.1 keep-alive connections written by hand, so
//! that the generator's own cost is the same for both routers and small).
//!
//! ```text
//! cargo bench -p lucia-sea-orm-adapter --bench http -- [--users N] [--requests N]
//!     [--in-flight N] [--runs N] [--databases sqlite,postgres,mysql] [--pool N]
//!     [--side plain|auth|by-hand|validate]
//! ```
//!
//! `--side` drives only that side, `--requests` one at a time, and reports nothing: for
//! `valgrind --tool=callgrind` or `perf stat` around the whole process.
//!
//! Four measurements per run, alternated so that other load on the machine lands on each:
//! - `plain`: `GET /` on the router without auth (the handler answers a constant);
//! - `auth`: `GET /` with a live session cookie on the same router behind
//!   `lucia_sea_orm_axum::AuthLayer`, whose handler takes the `SignedIn` extractor and answers
//!   the signed-in user's id;
//! - `by-hand`: the same request on a router without the layer, whose handler reads the cookie
//!   and calls [`Auth::validate_session_user`] itself: the round trip as a request makes it
//!   (the seeded sessions never need renewing, so the layer writes no cookie either);
//! - `validate`: [`Auth::validate_session_user`] called directly, the one database round trip
//!   the layer makes per request, outside any request.
//!
//! The layer's cost per request is the time per request with auth minus without (from the
//! throughputs, `--in-flight` at a time). It is set against two measures of its round trip, at
//! the same concurrency: the time per `validate` call, and the time `by-hand` adds to `plain`.
//! A ratio of 1.00 means the layer costs exactly its round trip. The second measure includes
//! what any database call made while a request waits costs the runtime; what the layer adds
//! beyond it, its own overhead, is `auth` minus `by-hand`, printed in µs per request.

mod common;

use std::net::SocketAddr;
use std::panic::resume_unwind;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use lucia_sea_orm_adapter::SeaOrmAdapter;
use lucia_sea_orm_auth::{Adapter, AllowedOrigins, Auth, CookieSessionId, SessionCookie, UserRow};
use lucia_sea_orm_axum::{AuthLayer, SignedIn};
use lucia_sea_orm_migration::{Migrator, MigratorTrait};
use lucia_sea_orm_tests::ScratchDatabase;
use rand::Rng;
use sea_orm::DatabaseConnection;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::common::{
    Backend, CpuTime, analyze, connect, cores, durability, median, number,
    recommended_max_connections,
};

const DEFAULT_USERS: usize = 1_000;
const DEFAULT_REQUESTS: usize = 20_000;
const DEFAULT_IN_FLIGHT: usize = 64;
const DEFAULT_RUNS: usize = 3;
const WARMUP_REQUESTS: usize = 1_000;
const COOKIE_NAME: &str = "auth_session";

type AppAuth = Auth<SeaOrmAdapter<()>>;

#[derive(Clone, Debug)]
struct Args {
    users: usize,
    requests: usize,
    in_flight: usize,
    runs: usize,
    pool: Option<u32>,
    databases: Vec<Backend>,
    /// Only this side, `--requests` one at a time and no report: for `valgrind` or `perf stat`
    /// around the whole process.
    side: Option<Side>,
}

/// One of the four things a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Plain,
    Auth,
    ByHand,
    Validate,
}

const USAGE: &str = "usage: cargo bench -p lucia-sea-orm-adapter --bench http -- [--users N] \
[--requests N] [--in-flight N] [--runs N] [--databases sqlite,postgres,mysql] [--pool N] \
[--side plain|auth|by-hand|validate]";

impl Args {
    fn parse() -> Result<Self, String> {
        let mut args = Self {
            users: DEFAULT_USERS,
            requests: DEFAULT_REQUESTS,
            in_flight: DEFAULT_IN_FLIGHT,
            runs: DEFAULT_RUNS,
            pool: None,
            databases: Vec::new(),
            side: None,
        };
        let mut databases = None;
        let mut flags = std::env::args().skip(1);
        while let Some(flag) = flags.next() {
            match flag.as_str() {
                "--users" => args.users = number(&flag, flags.next())?,
                "--requests" => args.requests = number(&flag, flags.next())?,
                "--in-flight" => args.in_flight = number(&flag, flags.next())?,
                "--runs" => args.runs = number(&flag, flags.next())?,
                "--pool" => args.pool = Some(number(&flag, flags.next())?),
                "--databases" => databases = Some(flags.next().ok_or("--databases needs a list")?),
                "--side" => {
                    args.side = Some(match flags.next().as_deref() {
                        Some("plain") => Side::Plain,
                        Some("auth") => Side::Auth,
                        Some("by-hand") => Side::ByHand,
                        Some("validate") => Side::Validate,
                        _ => {
                            return Err(format!(
                                "--side needs plain, auth, by-hand or validate\n{USAGE}"
                            ));
                        }
                    });
                }
                "--bench" => {}
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other}\n{USAGE}")),
            }
        }
        if args.users == 0
            || args.requests == 0
            || args.in_flight == 0
            || args.runs == 0
            || args.pool == Some(0)
        {
            return Err("every number must be positive".into());
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
                        .harness()
                        .server_env()
                        .is_none_or(|env| std::env::var(env).is_ok())
                })
                .collect(),
        };
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
    for &backend in &args.databases {
        let database = ScratchDatabase::create(backend.harness(), "lucia_bench")
            .await
            .unwrap_or_else(|| panic!("{} needs its server's URL", backend.title()));
        let outcome = tokio::spawn(benchmark(backend, database.url().to_owned(), args.clone()));
        let report = outcome.await;
        database.drop().await;
        match report {
            Ok(Some(report)) => report.print(&args),
            Ok(None) => {}
            Err(failure) => resume_unwind(failure.into_panic()),
        }
    }
    println!(
        "Wall-clock numbers from a {}-core machine shared by client, server and database.",
        cores()
    );
}

/// `users` users with one live session each: the session ids to send as cookies.
async fn seed(
    auth: &AppAuth,
    db: &DatabaseConnection,
    backend: Backend,
    users: usize,
) -> Vec<String> {
    let mut session_ids = Vec::with_capacity(users);
    for _ in 0..users {
        let user = UserRow {
            id: Uuid::new_v4().to_string(),
            attributes: (),
        };
        auth.adapter()
            .set_user(&user, None)
            .await
            .expect("a user is created");
        let session = auth
            .create_session(&user.id)
            .await
            .expect("a session is created");
        session_ids.push(session.id);
    }
    analyze(db, backend).await;
    session_ids
}

// The routers

fn plain_router() -> Router {
    Router::new().route(
        "/",
        get(|| async { "0b9f8c3e-6d2a-4f51-9a8e-2c1d7e5f4a3b" }),
    )
}

fn auth_router(auth: AppAuth) -> Router {
    let origins = AllowedOrigins::new(["http://127.0.0.1"]).expect("a valid origin");
    Router::new()
        .route(
            "/",
            get(|me: SignedIn<()>| async move { me.user().id.clone() }),
        )
        .layer(AuthLayer::new(auth, origins))
}

/// What an application without the layer would write: the handler reads the cookie and
/// validates the session itself, with the same reader and the same call the layer uses.
fn by_hand_router(auth: AppAuth) -> Router {
    let cookie = SessionCookie::default();
    Router::new().route(
        "/",
        get(move |headers: HeaderMap| async move {
            let CookieSessionId::Id(id) = cookie.read(&headers) else {
                return Err(StatusCode::UNAUTHORIZED);
            };
            match auth.validate_session_user(id).await {
                Ok((_, user)) => Ok(user.id),
                Err(_) => Err(StatusCode::UNAUTHORIZED),
            }
        }),
    )
}

/// Serves `router` on a loopback port of its own, on this runtime.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("the port's address");
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("the server runs");
    });
    address
}

// The load generator

/// One keep-alive HTTP/1.1 connection.
struct Client {
    stream: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Client {
    async fn connect(address: SocketAddr) -> Self {
        let stream = TcpStream::connect(address)
            .await
            .expect("the server accepts");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Self {
            stream: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// `GET /` with the session cookie; the response's status.
    async fn get(&mut self, session_id: &str) -> u16 {
        let request = format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {COOKIE_NAME}={session_id}\r\n\r\n"
        );
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        self.line.clear();
        self.stream
            .read_line(&mut self.line)
            .await
            .expect("a status line");
        let status = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {:?}", self.line));
        let mut length = 0;
        loop {
            self.line.clear();
            self.stream
                .read_line(&mut self.line)
                .await
                .expect("a header line");
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a numeric Content-Length");
            }
        }
        self.body.resize(length, 0);
        self.stream
            .read_exact(&mut self.body)
            .await
            .expect("the body");
        status
    }
}

/// What one measurement drives: HTTP requests to a server, or the validation alone.
#[derive(Clone)]
enum Target {
    Http(SocketAddr),
    Validate(AppAuth),
}

struct Samples {
    latencies: Vec<Duration>,
    wall: Duration,
    cpu: Duration,
}

impl Samples {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// Wall time per request at the measured concurrency: the inverse of the throughput.
    fn time_per_request_us(&self) -> f64 {
        1e6 / self.per_second()
    }

    fn p50_us(&mut self) -> f64 {
        self.latencies.sort_unstable();
        self.latencies[self.latencies.len() / 2].as_secs_f64() * 1e6
    }

    fn cpu_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.latencies.len() as f64
    }
}

/// `count` requests (or validations), `in_flight` at a time, each on a random live session.
async fn drive(
    target: &Target,
    sessions: &Arc<Vec<String>>,
    count: usize,
    in_flight: usize,
) -> Samples {
    let started_ops = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    // Connections are opened before the clock starts, as a browser's would be.
    let mut clients = Vec::with_capacity(in_flight);
    for _ in 0..in_flight {
        clients.push(match target {
            Target::Http(address) => Some(Client::connect(*address).await),
            Target::Validate(_) => None,
        });
    }
    let cpu_before = CpuTime::of_process();
    let started = Instant::now();
    for mut client in clients {
        let target = target.clone();
        let sessions = Arc::clone(sessions);
        let started_ops = Arc::clone(&started_ops);
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(count / in_flight + 1);
            while started_ops.fetch_add(1, Ordering::Relaxed) < count {
                let id = &sessions[rand::rng().random_range(0..sessions.len())];
                let start = Instant::now();
                match (&target, client.as_mut()) {
                    (Target::Http(_), Some(client)) => {
                        assert_eq!(client.get(id).await, 200, "a signed-in GET succeeds");
                    }
                    (Target::Validate(auth), _) => {
                        auth.validate_session_user(id)
                            .await
                            .expect("a seeded session is valid");
                    }
                    (Target::Http(_), None) => unreachable!("HTTP targets have clients"),
                }
                latencies.push(start.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(count);
    while let Some(task) = tasks.join_next().await {
        latencies.extend(task.unwrap_or_else(|failure| resume_unwind(failure.into_panic())));
    }
    Samples {
        wall: started.elapsed(),
        cpu: CpuTime::of_process().since(cpu_before).total(),
        latencies,
    }
}

// One database

struct Run {
    plain: Samples,
    auth: Samples,
    by_hand: Samples,
    validate: Samples,
}

impl Run {
    /// The middleware's cost per request (auth minus plain), by time per request at the
    /// measured concurrency.
    fn layer_cost_us(&self) -> f64 {
        self.auth.time_per_request_us() - self.plain.time_per_request_us()
    }

    /// The middleware's cost over its round trip made outside any request (validate).
    fn ratio_to_validate(&self) -> f64 {
        self.layer_cost_us() / self.validate.time_per_request_us()
    }

    /// The middleware's cost over the same round trip made by a handler (by-hand minus plain).
    fn ratio_to_by_hand(&self) -> f64 {
        self.layer_cost_us()
            / (self.by_hand.time_per_request_us() - self.plain.time_per_request_us())
    }

    /// What the middleware costs beyond validating by hand, µs per request.
    fn overhead_us(&self) -> f64 {
        self.auth.time_per_request_us() - self.by_hand.time_per_request_us()
    }
}

struct Report {
    backend: Backend,
    pool: u32,
    durability: String,
    one_at_a_time: Vec<Run>,
    in_flight: Vec<Run>,
}

/// The report of every run; `None` with `--side`, which only drives that side.
async fn benchmark(backend: Backend, url: String, args: Args) -> Option<Report> {
    let pool = args
        .pool
        .unwrap_or_else(|| recommended_max_connections(backend, cores()));
    let db = connect(backend, &url, pool, false).await;
    let durability = durability(&db, backend).await;
    Migrator::up(&db, None).await.expect("the migration runs");
    let auth: AppAuth = Auth::builder(SeaOrmAdapter::new(db.clone())).build();
    eprintln!(
        "{}: seeding {} users and sessions",
        backend.title(),
        args.users
    );
    let sessions = Arc::new(seed(&auth, &db, backend, args.users).await);

    let plain = Target::Http(serve(plain_router()).await);
    let with_auth = Target::Http(serve(auth_router(auth.clone())).await);
    let by_hand = Target::Http(serve(by_hand_router(auth.clone())).await);
    let validate = Target::Validate(auth);
    if let Some(side) = args.side {
        let target = match side {
            Side::Plain => &plain,
            Side::Auth => &with_auth,
            Side::ByHand => &by_hand,
            Side::Validate => &validate,
        };
        drive(target, &sessions, args.requests, 1).await;
        db.close().await.expect("the pool closes");
        return None;
    }
    for target in [&plain, &with_auth, &by_hand, &validate] {
        drive(target, &sessions, WARMUP_REQUESTS, args.in_flight).await;
    }

    let mut report = Report {
        backend,
        pool,
        durability,
        one_at_a_time: Vec::new(),
        in_flight: Vec::new(),
    };
    for run in 1..=args.runs {
        eprintln!("{}: run {run} of {}", backend.title(), args.runs);
        for (in_flight, count, runs) in [
            (1, args.requests / 4, &mut report.one_at_a_time),
            (args.in_flight, args.requests, &mut report.in_flight),
        ] {
            // plain, auth, by-hand, validate, then the reverse, halves each: load that comes and
            // goes lands on every side.
            let half = count / 2;
            let plain_a = drive(&plain, &sessions, half, in_flight).await;
            let auth_a = drive(&with_auth, &sessions, half, in_flight).await;
            let by_hand_a = drive(&by_hand, &sessions, half, in_flight).await;
            let validate_a = drive(&validate, &sessions, half, in_flight).await;
            let validate_b = drive(&validate, &sessions, half, in_flight).await;
            let by_hand_b = drive(&by_hand, &sessions, half, in_flight).await;
            let auth_b = drive(&with_auth, &sessions, half, in_flight).await;
            let plain_b = drive(&plain, &sessions, half, in_flight).await;
            runs.push(Run {
                plain: merge(plain_a, plain_b),
                auth: merge(auth_a, auth_b),
                by_hand: merge(by_hand_a, by_hand_b),
                validate: merge(validate_a, validate_b),
            });
        }
    }
    db.close().await.expect("the pool closes");
    Some(report)
}

fn merge(mut a: Samples, b: Samples) -> Samples {
    a.latencies.extend(b.latencies);
    a.wall += b.wall;
    a.cpu += b.cpu;
    a
}

impl Report {
    fn print(mut self, args: &Args) {
        println!(
            "\n{} — {}; pool {}, {} users with a live session each, {} runs (medians)",
            self.backend.title(),
            self.durability,
            self.pool,
            args.users,
            args.runs
        );
        println!(
            "{:<14} {:<10} {:>10} {:>9} {:>14} {:>11}",
            "concurrency", "side", "req/s", "p50 µs", "µs/req (wall)", "CPU µs/req"
        );
        for (label, runs) in [
            ("1".to_owned(), &mut self.one_at_a_time),
            (args.in_flight.to_string(), &mut self.in_flight),
        ] {
            for (side, pick) in [
                (
                    "plain",
                    (|run: &mut Run| &mut run.plain) as fn(&mut Run) -> &mut Samples,
                ),
                ("auth", |run: &mut Run| &mut run.auth),
                ("by-hand", |run: &mut Run| &mut run.by_hand),
                ("validate", |run: &mut Run| &mut run.validate),
            ] {
                let rate = median(runs.iter_mut().map(|run| pick(run).per_second()).collect());
                let p50 = median(runs.iter_mut().map(|run| pick(run).p50_us()).collect());
                let cpu = median(runs.iter_mut().map(|run| pick(run).cpu_us()).collect());
                println!(
                    "{label:<14} {side:<10} {rate:>10.0} {p50:>9.1} {:>14.1} {cpu:>11.1}",
                    1e6 / rate
                );
            }
            for (figure, of) in [
                (
                    "(auth − plain) ÷ validate",
                    Run::ratio_to_validate as fn(&Run) -> f64,
                ),
                ("(auth − plain) ÷ (by-hand − plain)", Run::ratio_to_by_hand),
                ("auth − by-hand, µs", Run::overhead_us),
            ] {
                let values: Vec<f64> = runs.iter().map(of).collect();
                let low = values.iter().copied().fold(f64::INFINITY, f64::min);
                let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                println!(
                    "{label:<14} {figure}, time per request: {:.2} (runs {low:.2}–{high:.2})",
                    median(values)
                );
            }
        }
    }
}
