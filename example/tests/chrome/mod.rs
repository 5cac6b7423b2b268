//! Headless Chromium through chromedriver: one driver per test on a free loopback port, one
//! browser per "device", each with a fresh profile (its own cookie jar).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver, killed when dropped; and the profiles of its browsers, deleted then.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
    profiles: PathBuf,
}

/// Whether the browser tests must run: under `CI=true` a missing browser is a failure.
fn required() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true")
}

impl Driver {
    /// Starts chromedriver, or returns `None` after printing why the test is skipped when
    /// Chromium or chromedriver is not installed (outside CI; under CI this panics).
    pub async fn start(test: &str) -> Option<Self> {
        let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into()));
        let chromedriver =
            PathBuf::from(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into()));
        for program in [&chromium, &chromedriver] {
            if !program.exists() {
                let why = format!(
                    "{} is not installed (apt-get install chromium chromium-driver)",
                    program.display()
                );
                if required() {
                    panic!("{test}: {why}; under CI=true the browser test must run");
                }
                eprintln!("skipped {test}: {why}");
                return None;
            }
        }
        let profiles = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("browser-profiles")
            .join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&profiles).expect("profile directory is created");
        // Another process may take the port between our probe and chromedriver's bind: retry.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|err| panic!("{} does not start: {err}", chromedriver.display()));
            for _ in 0..100 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Some(Self {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                        chromium,
                        profiles,
                    });
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = child.kill().await;
        }
        panic!("chromedriver did not start listening");
    }

    /// A new headless browser with a fresh profile: a separate device.
    pub async fn browser(&self) -> Client {
        let profile = self
            .profiles
            .join(uuid::Uuid::new_v4().simple().to_string());
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1024,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|err| panic!("chromedriver at {} opens no browser: {err}", self.url))
    }

    /// Stops chromedriver (after the browsers were closed) and deletes the profiles.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}
