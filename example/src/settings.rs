//! What the application is told at start: where to listen, which database, which origins, and
//! whether cookies may travel over plain HTTP.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// The command line and environment of the example server. Every setting has a default, so
/// `cargo run -p lucia-sea-orm-example` needs nothing set.
#[derive(Clone, Debug, Parser)]
#[command(name = "lucia-sea-orm-example", version, about)]
pub struct Settings {
    /// The address to listen on.
    #[arg(long, env = "ADDRESS", default_value = "127.0.0.1")]
    pub address: IpAddr,

    /// The port to listen on; 0 picks a free one (printed at start).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// The database: `postgres://…`, `mysql://…` or `sqlite://…`. Unset, the SQLite file
    /// `lucia-sea-orm-example.sqlite` in the OS temporary directory. Migrated at start.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// The origin(s) the browser sees the application at, such as `https://app.example.com`;
    /// form posts from any other origin are refused. Unset: `http://127.0.0.1:<port>` and
    /// `http://localhost:<port>`. Behind a proxy, set it: the `Host` header a proxy forwards is
    /// not proof of where the page came from.
    #[arg(long = "origin", env = "APP_ORIGIN", value_delimiter = ',')]
    pub origins: Vec<String>,

    /// Send the session cookie without `Secure`, for plain-HTTP development on this machine.
    /// Only allowed when every origin is `http://127.0.0.1`, `http://[::1]` or `http://localhost`.
    #[arg(long, env = "INSECURE_COOKIES", value_parser = clap::builder::BoolishValueParser::new())]
    pub insecure_cookies: bool,
}

/// Where the SQLite file lives when `DATABASE_URL` is unset: in the OS temporary directory,
/// so that a checkout never grows an untracked database file and a rerun keeps its accounts.
pub fn default_database_path() -> PathBuf {
    std::env::temp_dir().join("lucia-sea-orm-example.sqlite")
}

/// [`default_database_path`] as a SeaORM URL that creates the file when missing.
pub fn default_database_url() -> String {
    format!("sqlite://{}?mode=rwc", default_database_path().display())
}

/// Whether `origin` is plain HTTP on this machine, the only place a cookie without `Secure`
/// is allowed.
pub fn is_loopback_http(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => rest,
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

#[cfg(test)]
mod tests {
    use super::is_loopback_http;

    #[test]
    fn only_plain_http_on_this_machine_is_loopback_http() {
        assert!(is_loopback_http("http://127.0.0.1:3000"));
        assert!(is_loopback_http("http://localhost"));
        assert!(is_loopback_http("http://[::1]:8080"));
        assert!(!is_loopback_http("https://127.0.0.1:3000"));
        assert!(!is_loopback_http("http://127.0.0.1.example.com"));
        assert!(!is_loopback_http("http://example.com:3000"));
    }
}
