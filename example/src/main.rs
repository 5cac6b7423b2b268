//! The example server: reads its settings, connects, migrates and serves.

use clap::Parser;
use lucia_sea_orm_example::settings::{Settings, default_database_url};
use lucia_sea_orm_example::{Options, app, serve};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx::query=warn".into()),
        )
        .init();
    let settings = Settings::parse();
    let listener = tokio::net::TcpListener::bind((settings.address, settings.port)).await?;
    let port = listener.local_addr()?.port();
    let origins = if settings.origins.is_empty() {
        vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ]
    } else {
        settings.origins.clone()
    };
    let url = settings
        .database_url
        .clone()
        .unwrap_or_else(default_database_url);
    let db = sea_orm::Database::connect(&url).await?;
    let options = Options::new(origins.clone()).insecure_cookies(settings.insecure_cookies);
    let router = app(db, options).await?;
    println!("database: {}", redacted(&url));
    println!(
        "listening on http://{}:{port} (open {})",
        settings.address, origins[0]
    );
    serve(listener, router).await?;
    Ok(())
}

/// `url` without its password, for printing.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
