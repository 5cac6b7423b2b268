//! Private database servers that a test may stop and start, to stage an outage without
//! disturbing the shared servers every other test runs on.
//!
//! Each [`PrivateServer`] gets a fresh directory in the temporary directory, listens on a free
//! port of 127.0.0.1 only, trusts its superuser (`postgres` / `root`, no password), and is
//! stopped and removed when dropped, also when the test panics. The binaries are looked up in
//! `/usr/lib/postgresql/*/bin`, `/usr/sbin` and `PATH`; when they are missing the test is skipped
//! with a message, except under `CI=true`, where that fails it. Run as root, the servers run as
//! the `postgres` and `mysql` users, since neither starts as root.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database};

/// How long a server may take to initialise, start or stop before the test fails.
const STARTUP_BOUND: Duration = Duration::from_secs(30);

/// A server program a [`PrivateServer`] can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL, from `initdb` and `pg_ctl`.
    Postgres,
    /// MariaDB, from `mariadb-install-db` and `mariadbd`.
    MariaDb,
}

/// A database server of the test's own, in a temporary directory, removed on drop.
pub struct PrivateServer {
    layout: Layout,
    /// The running `mariadbd`; PostgreSQL's postmaster is detached and found by `pg_ctl`.
    mariadbd: Option<Child>,
}

/// The two programs of an engine: the one that creates a data directory and the one that runs
/// the server on it.
#[derive(Clone, Debug)]
pub(crate) struct Programs {
    /// `initdb` or `mariadb-install-db`.
    pub(crate) initialise: PathBuf,
    /// `pg_ctl` or `mariadbd`.
    pub(crate) server: PathBuf,
}

/// Where a server's files and programs are: everything needed to run it, cheap to clone into a
/// blocking task.
#[derive(Clone, Debug)]
struct Layout {
    engine: Engine,
    /// The data directory; it holds the unix socket and the server's log too.
    dir: PathBuf,
    port: u16,
    programs: Programs,
    /// Whether to drop root privileges to the engine's system user.
    as_root: bool,
}

impl PrivateServer {
    /// Initialises and starts a server, with an empty database `lucia` on MariaDB (PostgreSQL's
    /// default `postgres` database serves as is). `None` if the engine is not installed and
    /// `CI` is not `true`.
    pub async fn start(engine: Engine) -> Option<Self> {
        let programs = match find_programs(engine) {
            Some(programs) => programs,
            None if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("{engine:?} programs not found: under CI=true every database must run")
            }
            None => {
                eprintln!("skipped: {engine:?} programs not found for a private server");
                return None;
            }
        };
        let layout = Layout {
            engine,
            dir: std::env::temp_dir().join(format!(
                "lucia-{}-{}",
                engine.short_name(),
                uuid::Uuid::new_v4().simple()
            )),
            port: free_port(),
            programs,
            as_root: running_as_root(),
        };
        // From here on the guard removes whatever initialisation left behind.
        let mut server = Self {
            layout: layout.clone(),
            mariadbd: None,
        };
        blocking(move || layout.initialise()).await;
        server.start_again().await;
        if engine == Engine::MariaDb {
            let admin = Database::connect(server.root_url(""))
                .await
                .expect("private MariaDB accepts connections");
            admin
                .execute_unprepared("CREATE DATABASE lucia CHARACTER SET utf8mb4")
                .await
                .expect("database lucia is created");
            admin.close().await.expect("admin connection closes");
        }
        Some(server)
    }

    /// The URL of the server's test database, as its superuser.
    pub fn url(&self) -> String {
        match self.layout.engine {
            Engine::Postgres => self.root_url("postgres"),
            Engine::MariaDb => self.root_url("lucia"),
        }
    }

    fn root_url(&self, database: &str) -> String {
        let port = self.layout.port;
        match self.layout.engine {
            Engine::Postgres => format!("postgres://postgres@127.0.0.1:{port}/{database}"),
            Engine::MariaDb => format!("mysql://root@127.0.0.1:{port}/{database}"),
        }
    }

    /// Shuts the server down the way an administrator would (`pg_ctl stop -m fast`, SIGTERM to
    /// `mariadbd`): open connections are closed and new ones refused until [`start_again`].
    ///
    /// [`start_again`]: Self::start_again
    pub async fn stop(&mut self) {
        let layout = self.layout.clone();
        let mariadbd = self.mariadbd.take();
        blocking(move || match layout.engine {
            Engine::Postgres => {
                layout.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "30"]);
            }
            Engine::MariaDb => {
                let mut mariadbd = mariadbd.expect("mariadbd is running");
                let term = Command::new("kill")
                    .args(["-TERM", &mariadbd.id().to_string()])
                    .output();
                check("kill -TERM mariadbd", term);
                let deadline = Instant::now() + STARTUP_BOUND;
                while mariadbd.try_wait().expect("mariadbd status").is_none() {
                    if Instant::now() > deadline {
                        // The guard no longer holds it: end it here rather than leak it.
                        let _ = mariadbd.kill();
                        let _ = mariadbd.wait();
                        panic!("mariadbd did not stop:\n{}", layout.log());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        })
        .await;
    }

    /// Starts the server (again) on the same port and data, and returns once it accepts
    /// connections.
    pub async fn start_again(&mut self) {
        let layout = self.layout.clone();
        match layout.engine {
            Engine::Postgres => {
                // `-w` returns once the server accepts connections.
                blocking(move || layout.start_postgres()).await;
            }
            Engine::MariaDb => {
                let mut probe = ConnectOptions::new(self.root_url(""));
                probe
                    .acquire_timeout(Duration::from_secs(1))
                    .sqlx_logging(false);
                let mariadbd = blocking(move || layout.spawn_mariadbd()).await;
                let mariadbd = self.mariadbd.insert(mariadbd);
                let deadline = Instant::now() + STARTUP_BOUND;
                loop {
                    if let Ok(connection) = Database::connect(probe.clone()).await {
                        connection.close().await.expect("probe connection closes");
                        break;
                    }
                    if let Some(status) = mariadbd.try_wait().expect("mariadbd status") {
                        panic!("mariadbd exited with {status}:\n{}", self.layout.log());
                    }
                    assert!(
                        Instant::now() < deadline,
                        "mariadbd does not accept connections:\n{}",
                        self.layout.log()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        match self.layout.engine {
            Engine::Postgres => {
                if self.layout.dir.join("postmaster.pid").exists() {
                    // Immediate: the directory is thrown away, so nothing needs to be flushed.
                    let _ = self
                        .layout
                        .command(&self.layout.programs.server)
                        .arg("-D")
                        .arg(&self.layout.dir)
                        .args(["stop", "-m", "immediate", "-w", "-t", "30"])
                        .output();
                }
            }
            Engine::MariaDb => {
                if let Some(mut mariadbd) = self.mariadbd.take() {
                    let _ = mariadbd.kill();
                    let _ = mariadbd.wait();
                }
            }
        }
        if let Err(err) = std::fs::remove_dir_all(&self.layout.dir)
            && err.kind() != ErrorKind::NotFound
        {
            eprintln!("cannot remove {}: {err}", self.layout.dir.display());
        }
    }
}

impl Engine {
    fn short_name(self) -> &'static str {
        match self {
            Engine::Postgres => "pg",
            Engine::MariaDb => "mariadb",
        }
    }

    /// The system user the server runs as when started by root.
    fn system_user(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::MariaDb => "mysql",
        }
    }
}

impl Layout {
    fn initialise(&self) {
        match self.engine {
            Engine::Postgres => {
                // initdb creates the directory itself, owned by the user it runs as.
                let initdb = self
                    .command(&self.programs.initialise)
                    .arg("-D")
                    .arg(&self.dir)
                    .args(["--auth=trust", "-U", "postgres", "--no-sync"])
                    .args(["--encoding=UTF8", "--locale=C"])
                    .output();
                check("initdb", initdb);
            }
            Engine::MariaDb => install_mariadb(&self.programs.initialise, &self.dir, self.as_root),
        }
    }

    fn start_postgres(&self) {
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        let start = self
            .command(&self.programs.server)
            .arg("-D")
            .arg(&self.dir)
            .arg("-l")
            .arg(&log)
            .args(["start", "-o", &options, "-w", "-t", "30"])
            .output();
        if !start.as_ref().is_ok_and(|out| out.status.success()) {
            eprintln!("{}", self.log());
        }
        check("pg_ctl start", start);
    }

    fn spawn_mariadbd(&self) -> Child {
        mariadbd_command(
            &self.programs.server,
            &self.dir,
            &self.dir,
            self.port,
            self.as_root,
        )
        .spawn()
        .expect("mariadbd starts")
    }

    /// A PostgreSQL program, run as `postgres` when we are root.
    fn command(&self, program: &Path) -> Command {
        let mut command = if self.as_root {
            let mut runuser = Command::new("runuser");
            runuser
                .args(["-u", self.engine.system_user(), "--"])
                .arg(program);
            runuser
        } else {
            Command::new(program)
        };
        // The system user may not be allowed into the test's working directory.
        command.current_dir(std::env::temp_dir());
        command
    }

    fn pg_ctl(&self, args: &[&str]) {
        let output = self
            .command(&self.programs.server)
            .arg("-D")
            .arg(&self.dir)
            .args(args)
            .output();
        check(&format!("pg_ctl {}", args.join(" ")), output);
    }

    /// The end of the server's log, for failure messages.
    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// `engine`'s programs: PostgreSQL's newest under `/usr/lib/postgresql`, else those on `PATH`
/// or in the usual system directories.
pub(crate) fn find_programs(engine: Engine) -> Option<Programs> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if engine == Engine::Postgres {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    }
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    dirs.extend(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"].map(PathBuf::from));
    let find = |program: &str| {
        dirs.iter()
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    };
    match engine {
        // Both from one installation.
        Engine::Postgres => {
            let initialise = find("initdb")?;
            let server = initialise.with_file_name("pg_ctl");
            server.is_file().then_some(Programs { initialise, server })
        }
        Engine::MariaDb => Some(Programs {
            initialise: find("mariadb-install-db")?,
            server: find("mariadbd")?,
        }),
    }
}

/// The ports [`free_port`] hands out, `FIRST_PORT..FIRST_PORT + PORT_COUNT`: below Linux's
/// ephemeral range (32768 and up), so that no outgoing connection is given one between our check
/// and the server's bind.
const FIRST_PORT: u16 = 20_000;
const PORT_COUNT: u16 = 12_000;

/// A port of 127.0.0.1 that nothing listens on right now and that this process has not handed
/// out before. Asking the kernel for port 0 twice can return the same port once the first
/// listener is closed: a Galera node was once given another node's port, and aborted.
pub(crate) fn free_port() -> u16 {
    static NEXT: OnceLock<AtomicU16> = OnceLock::new();
    // Each test process starts at its own random point, so parallel ones walk different ports.
    let next = NEXT.get_or_init(|| {
        let start = uuid::Uuid::new_v4().as_u128() % u128::from(PORT_COUNT);
        AtomicU16::new(u16::try_from(start).expect("below PORT_COUNT"))
    });
    (0..PORT_COUNT)
        .map(|_| FIRST_PORT + next.fetch_add(1, Ordering::Relaxed) % PORT_COUNT)
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port of 127.0.0.1 below the ephemeral range")
}

/// Panics with the program's output unless it ran and succeeded.
pub(crate) fn check(what: &str, output: std::io::Result<Output>) {
    let output = output.unwrap_or_else(|err| panic!("{what} cannot run: {err}"));
    assert!(
        output.status.success(),
        "{what} failed with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs process management off the async workers, bounded by the processes' own timeouts.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

/// Whether this process runs as root, so that servers must drop to their system user.
pub(crate) fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|own| own.uid() == 0)
}

/// Creates a MariaDB data directory `dir` with its system tables, owned by `mysql` when root.
pub(crate) fn install_mariadb(program: &Path, dir: &Path, as_root: bool) {
    // `mariadb-install-db` has failed now and then while several ran at once (seen in CI; its
    // log went with the directory): one more try on an emptied directory, whose failure is the
    // one reported.
    let first = install_mariadb_command(program, dir, as_root).output();
    if first.as_ref().is_ok_and(|output| output.status.success()) {
        return;
    }
    eprintln!("mariadb-install-db failed, trying once more: {first:?}");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
    check(
        "mariadb-install-db",
        install_mariadb_command(program, dir, as_root).output(),
    );
}

fn install_mariadb_command(program: &Path, dir: &Path, as_root: bool) -> Command {
    let mut install = Command::new(program);
    // `--no-defaults` first, so that no option file of the system server applies.
    install
        .arg("--no-defaults")
        .arg(format!("--datadir={}", dir.display()))
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
        ])
        .current_dir(std::env::temp_dir());
    if as_root {
        install.arg("--user=mysql");
    }
    install
}

/// `mariadbd` on data directory `data` listening on 127.0.0.1:`port` only, with its socket, pid
/// file and log in `files`, reading no option file; as `mysql` when root.
pub(crate) fn mariadbd_command(
    program: &Path,
    data: &Path,
    files: &Path,
    port: u16,
    as_root: bool,
) -> Command {
    let mut mariadbd = Command::new(program);
    mariadbd
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", files.join("mysqld.sock").display()))
        .arg(format!("--pid-file={}", files.join("mysqld.pid").display()))
        .arg(format!(
            "--log-error={}",
            files.join("server.log").display()
        ))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
            "--innodb-buffer-pool-size=32M",
        ])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if as_root {
        mariadbd.arg("--user=mysql");
    }
    mariadbd
}
