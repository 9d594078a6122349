//! The server binary: reads configuration, opens the database and serves.

use clientele::server::{db, router, AppState};
use leptos::prelude::get_configuration;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    // LEPTOS_SITE_ADDR and the other LEPTOS_* variables override Cargo.toml.
    let options = get_configuration(None)?.leptos_options;
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| db::DEFAULT_DATABASE_URL.to_owned());
    let pool = db::open(&database_url).await?;
    let address = options.site_addr;
    let app = router(options, AppState { pool });
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("listening on http://{address}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
