//! The server binary: reads configuration, opens the database and serves.

use clientele::server::auth::AttemptLimits;
use clientele::server::{db, router, serve as serve_app, AppState};
use leptos::prelude::get_configuration;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed memory to the system where glibc's per-thread
/// arenas kept every multi-megabyte pull page and password hash they had
/// held, which put a server serving a large workspace above 100 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // Set SERVED_OVER_TLS=1 when users reach the server over HTTPS, as
    // through a TLS-terminating proxy: cookies become Secure and HSTS is sent.
    let served_over_tls = std::env::var("SERVED_OVER_TLS").is_ok_and(|value| value == "1");
    let state = AppState::new(pool, AttemptLimits::default(), served_over_tls).await?;
    state.expire_sessions_in_background();
    let address = options.site_addr;
    let app = router(options, state);
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("listening on http://{address}");
    serve_app(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
