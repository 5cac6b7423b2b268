//! A private 3-node MariaDB Galera cluster on loopback ports, for the tests that scale out.
//!
//! [`GaleraCluster::start`] bootstraps node 1 with `--wsrep-new-cluster` and joins nodes 2 and 3
//! to it one at a time by rsync state transfer; each node listens for clients, group
//! communication (gmcast), incremental state transfer (IST) and snapshot state transfer (SST) on
//! free ports of 127.0.0.1 of its own. Data directories live under one folder in the temporary
//! directory. The servers are killed and the folder removed when the cluster is dropped, also
//! when a test panics; a watchdog process does the same when the test process ends without
//! dropping it (the [shared](GaleraCluster::shared) cluster lives in a static, which is never
//! dropped, and a test run may be killed). It reuses [`crate::server`]'s helpers: ports, the
//! `mysql` user when root, `mariadbd`'s base command line.
//!
//! Without Galera (`/usr/lib/galera/libgalera_smm.so`, `rsync`, MariaDB's programs) a test is
//! skipped with a message, except under `CI=true`, where that fails it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::server::{
    Engine, Programs, blocking, check, find_programs, free_port, mariadbd_command, running_as_root,
};

/// Debian's `galera-4` provider library.
pub const GALERA_PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// How many nodes a cluster has.
pub const NODES: usize = 3;

/// How long one node may take to start and reach `Synced` (a joiner includes its state
/// transfer), or to die once killed, before the test fails. Generous: the machine is shared.
const NODE_BOUND: Duration = Duration::from_secs(120);

/// The watchdog: waits for its standard input to close (the test process dropped the cluster or
/// ended, however it ended), then kills every node's process group and removes the folder. It
/// runs in a process group of its own and ignores the terminal's signals, so that an
/// interrupted test run is cleaned up too.
const WATCHDOG: &str = r#"
trap '' INT TERM HUP
cat >/dev/null
for pgid in "$1"/*.pgid; do
    [ -f "$pgid" ] || continue
    group=$(cat "$pgid")
    # procps kill, not the shell's: dash's builtin takes no `--` and no process group.
    env kill -KILL -- "-$group" 2>/dev/null
    waited=0
    while env kill -0 -- "-$group" 2>/dev/null && [ "$waited" -lt 600 ]; do
        sleep 0.05
        waited=$((waited + 1))
    done
done
rm -rf -- "$1"
"#;

/// A running 3-node Galera cluster of the test's own.
pub struct GaleraCluster {
    /// The folder holding every node's files; removed by the watchdog.
    root: PathBuf,
    mariadbd: PathBuf,
    as_root: bool,
    name: String,
    nodes: Vec<Node>,
    /// The watchdog; closing its standard input sets it to work.
    watchdog: Option<Child>,
}

/// One node's ports and process.
struct Node {
    port: u16,
    gmcast_port: u16,
    ist_port: u16,
    sst_port: u16,
    /// The running `mariadbd`, leader of its own process group (which holds its SST scripts).
    process: Option<Child>,
}

/// The cluster every test of one test binary shares, or why it could not start.
static SHARED: OnceLock<Result<Option<GaleraCluster>, String>> = OnceLock::new();

impl GaleraCluster {
    /// Starts a cluster of [`NODES`] nodes and returns once all are `Synced`, with an empty
    /// database `lucia` (created through node 1). `None` if Galera is not installed and `CI` is
    /// not `true`.
    pub async fn start() -> Option<Self> {
        let programs = installed_programs()?;
        let as_root = running_as_root();
        let root =
            std::env::temp_dir().join(format!("lucia-galera-{}", uuid::Uuid::new_v4().simple()));
        make_dir(&root, as_root);
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "lucia-galera-watchdog"])
            .arg(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the cluster's watchdog starts");
        let mut cluster = Self {
            root,
            mariadbd: programs.server,
            as_root,
            // Galera refuses group names over 32 bytes.
            name: format!("lucia-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
            nodes: (0..NODES)
                .map(|_| Node {
                    port: free_port(),
                    gmcast_port: free_port(),
                    ist_port: free_port(),
                    sst_port: free_port(),
                    process: None,
                })
                .collect(),
            watchdog: Some(watchdog),
        };
        for node in 0..NODES {
            make_dir(&cluster.node_dir(node), as_root);
            make_dir(&cluster.node_dir(node).join("data"), as_root);
        }
        // Node 1's data directory is the cluster's initial state; the joiners receive theirs by
        // state transfer.
        let install = programs.initialise;
        let data = cluster.node_dir(0).join("data");
        blocking(move || crate::server::install_mariadb(&install, &data, as_root)).await;
        cluster.spawn(0, true).await;
        for node in 1..NODES {
            cluster.spawn(node, false).await;
        }
        let admin = cluster.connect(0, "").await;
        admin
            .execute_unprepared("CREATE DATABASE lucia CHARACTER SET utf8mb4")
            .await
            .expect("database lucia is created");
        admin.close().await.expect("admin connection closes");
        Some(cluster)
    }

    /// The cluster shared by every test of this test binary, started by the first caller; the
    /// watchdog removes it when the test process ends. `None` when skipped (see
    /// [`start`](Self::start)).
    pub async fn shared() -> Option<&'static Self> {
        let shared = blocking(|| {
            SHARED.get_or_init(|| {
                // Its own thread and runtime: the cluster outlives the runtime of the test that
                // happens to start it.
                std::thread::spawn(|| {
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(1)
                        .enable_all()
                        .build()
                        .expect("a runtime for the cluster's start")
                        .block_on(Self::start())
                })
                .join()
                .map_err(|panic| {
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "the shared Galera cluster did not start".to_owned())
                })
            })
        })
        .await;
        match shared {
            Ok(cluster) => cluster.as_ref(),
            Err(failure) => panic!("{failure}"),
        }
    }

    /// The URL of `database` on node `node` (0-based), as root.
    pub fn url(&self, node: usize, database: &str) -> String {
        format!(
            "mysql://root@127.0.0.1:{}/{database}",
            self.nodes[node].port
        )
    }

    /// The client port of node `node`.
    pub fn port(&self, node: usize) -> u16 {
        self.nodes[node].port
    }

    /// Kills node `node` with SIGKILL, as a crashed machine would stop, and waits until it is
    /// gone. The other nodes keep the quorum (2 of 3) and go on serving.
    pub async fn kill(&mut self, node: usize) {
        let process = self.nodes[node]
            .process
            .take()
            .expect("the node is running");
        let pgid = self.pgid_file(node);
        blocking(move || kill_group(process, &pgid)).await;
    }

    /// Starts a killed node `node` again; it rejoins the cluster by state transfer (IST when the
    /// others still hold the writes it missed, else SST) and this returns once it is `Synced`.
    pub async fn restart(&mut self, node: usize) {
        assert!(self.nodes[node].process.is_none(), "node {node} is running");
        self.spawn(node, false).await;
    }

    /// A pool on `database` through node `node`, its connections set up by
    /// [`read_your_writes`] when `causal` (the documented configuration), else left as the
    /// server's default (`wsrep_sync_wait = 0`).
    pub async fn pool(&self, node: usize, database: &str, causal: bool) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url(node, database));
        options
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if causal {
            read_your_writes(&mut options);
        }
        Database::connect(options)
            .await
            .unwrap_or_else(|err| panic!("node {} refuses connections: {err}", node + 1))
    }

    /// Waits until node `node` has applied every write the cluster committed so far (a causal
    /// read): after DDL through another node, say, before connecting to the new database.
    pub async fn sync(&self, node: usize) {
        let db = self.pool(node, "", true).await;
        db.execute_unprepared("SELECT 1")
            .await
            .unwrap_or_else(|err| panic!("node {} does not catch up: {err}", node + 1));
        db.close().await.expect("admin connection closes");
    }

    /// A `wsrep_%` status variable of node `node`, such as `wsrep_cluster_size`.
    pub async fn status(&self, node: usize, variable: &str) -> Option<String> {
        let db = self.connect(node, "").await;
        let value = status(&db, variable).await;
        db.close().await.expect("admin connection closes");
        value
    }

    /// A pool on node `node`'s `database` (its `""` for none), failing fast while it is down.
    async fn connect(&self, node: usize, database: &str) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url(node, database));
        options
            .acquire_timeout(Duration::from_secs(2))
            .sqlx_logging(false);
        Database::connect(options)
            .await
            .unwrap_or_else(|err| panic!("node {} refuses connections: {err}", node + 1))
    }

    /// Where the watchdog finds node `node`'s process group while it runs.
    fn pgid_file(&self, node: usize) -> PathBuf {
        self.root.join(format!("node{}.pgid", node + 1))
    }

    fn node_dir(&self, node: usize) -> PathBuf {
        self.root.join(format!("node{}", node + 1))
    }

    /// Starts node `node`, founding the cluster if `bootstrap`, and waits until it is `Synced`.
    async fn spawn(&mut self, node: usize, bootstrap: bool) {
        let dir = self.node_dir(node);
        let mut command = mariadbd_command(
            &self.mariadbd,
            &dir.join("data"),
            &dir,
            self.nodes[node].port,
            self.as_root,
        );
        let members: Vec<String> = self
            .nodes
            .iter()
            .map(|other| format!("127.0.0.1:{}", other.gmcast_port))
            .collect();
        let this = &self.nodes[node];
        command
            .arg("--wsrep-on=ON")
            .arg(format!("--wsrep-provider={GALERA_PROVIDER}"))
            .arg(format!("--wsrep-cluster-name={}", self.name))
            .arg(format!("--wsrep-cluster-address=gcomm://{}", members.join(",")))
            .arg(format!("--wsrep-node-name=node{}", node + 1))
            .arg(format!("--wsrep-node-address=127.0.0.1:{}", this.gmcast_port))
            .arg(format!("--wsrep-node-incoming-address=127.0.0.1:{}", this.port))
            .arg(format!("--wsrep-sst-receive-address=127.0.0.1:{}", this.sst_port))
            .arg(format!(
                "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=32M",
                this.gmcast_port, this.ist_port
            ))
            .args([
                "--wsrep-sst-method=rsync",
                "--binlog-format=ROW",
                "--default-storage-engine=InnoDB",
                "--innodb-autoinc-lock-mode=2",
                // Durability comes from the other nodes; the disk is shared with everyone.
                "--innodb-flush-log-at-trx-commit=2",
            ])
            // The process group is the unit killed: mariadbd and its SST scripts and rsync.
            .process_group(0);
        if bootstrap {
            command.arg("--wsrep-new-cluster");
        }
        let process = command.spawn().expect("mariadbd starts");
        std::fs::write(self.pgid_file(node), process.id().to_string())
            .expect("the node's process group is recorded for the watchdog");
        let mut probe = ConnectOptions::new(self.url(node, ""));
        let process = self.nodes[node].process.insert(process);
        probe
            .acquire_timeout(Duration::from_secs(1))
            .sqlx_logging(false);
        let deadline = Instant::now() + NODE_BOUND;
        loop {
            if let Ok(db) = Database::connect(probe.clone()).await {
                let state = status(&db, "wsrep_local_state_comment").await;
                let ready = status(&db, "wsrep_ready").await;
                db.close().await.expect("probe connection closes");
                if state.as_deref() == Some("Synced") && ready.as_deref() == Some("ON") {
                    return;
                }
            }
            if let Some(exit) = process.try_wait().expect("mariadbd status") {
                panic!("node {} exited with {exit}:\n{}", node + 1, log_tail(&dir));
            }
            assert!(
                Instant::now() < deadline,
                "node {} is not Synced after {NODE_BOUND:?}:\n{}",
                node + 1,
                log_tail(&dir)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for GaleraCluster {
    fn drop(&mut self) {
        for node in 0..self.nodes.len() {
            if let Some(process) = self.nodes[node].process.take() {
                kill_group(process, &self.pgid_file(node));
            }
        }
        // The watchdog finds nothing left to kill and removes the folder.
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take());
            let _ = watchdog.wait();
        }
    }
}

/// The `wsrep_sync_wait` bits that make a node apply every write the cluster committed before
/// a statement runs: 1 for reads (a session validated right after sign-in elsewhere), 2 for
/// `UPDATE`/`DELETE` (a sign-out must find the session to delete it), 4 for `INSERT` (a session
/// for a user created elsewhere must pass its foreign-key check).
pub const SYNC_WAIT: u8 = 7;

/// Sets `wsrep_sync_wait` to [`SYNC_WAIT`] on every connection the pool opens: the
/// read-your-writes configuration for an auth store on Galera that the README documents.
///
/// SeaORM's own `ConnectOptions::after_connect` runs once for the pool, not per connection, so
/// this goes through sqlx's pool options.
pub fn read_your_writes(options: &mut ConnectOptions) {
    options.map_sqlx_mysql_pool_opts(|pool| {
        pool.after_connect(|connection, _| {
            Box::pin(async move {
                use sea_orm::sqlx::Executor;
                connection
                    .execute("SET SESSION wsrep_sync_wait = 7")
                    .await?;
                Ok(())
            })
        })
    });
}

/// The programs a cluster needs, or `None` (outside CI) if one is missing.
fn installed_programs() -> Option<Programs> {
    let rsync = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/bin", "/bin"].map(PathBuf::from))
        .any(|dir| dir.join("rsync").is_file());
    let programs = find_programs(Engine::MariaDb);
    let missing = match (&programs, Path::new(GALERA_PROVIDER).is_file(), rsync) {
        (None, _, _) => "MariaDB's programs (mariadbd, mariadb-install-db)",
        (_, false, _) => GALERA_PROVIDER,
        (_, _, false) => "rsync",
        (Some(_), true, true) => return programs,
    };
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "{missing} not found: under CI=true the Galera tests must run (apt-get install galera-4 rsync)"
        );
    }
    eprintln!("skipped on Galera: {missing} not found (apt-get install galera-4 rsync)");
    None
}

/// Creates `dir`, owned by `mysql` when root so that the server can write there.
fn make_dir(dir: &Path, as_root: bool) {
    if as_root {
        let install = Command::new("install")
            .args(["-d", "-o", "mysql", "-g", "mysql"])
            .arg(dir)
            .output();
        check("install -d", install);
    } else {
        std::fs::create_dir_all(dir).expect("the node's directory is created");
    }
}

/// SIGKILLs a node's process group (if still there: the node may have exited), reaps the node,
/// and removes its `pgid` file, so that the watchdog never signals a recycled group id.
fn kill_group(mut process: Child, pgid: &Path) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", process.id())])
        .stderr(Stdio::null())
        .status();
    let _ = process.wait();
    // Its SST helpers, if any were running, die with the group; wait until none is left.
    let deadline = Instant::now() + NODE_BOUND;
    while Command::new("kill")
        .args(["-0", "--", &format!("-{}", process.id())])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_file(pgid);
}

/// The value of a status variable, if the server has it.
async fn status(db: &DatabaseConnection, variable: &str) -> Option<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            format!("SHOW GLOBAL STATUS LIKE '{variable}'"),
        ))
        .await
        .ok()??;
    row.try_get::<String>("", "Value").ok()
}

/// The end of a node's log, for failure messages.
fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
