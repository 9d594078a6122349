//! The server binary: reads configuration, opens the database and serves.

use clientele::server::auth::AttemptLimits;
use clientele::server::security::TrustedProxies;
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
    let trusted_proxies = trusted_proxies()?;
    // LEPTOS_SITE_ADDR and the other LEPTOS_* variables override Cargo.toml.
    let options = get_configuration(None)?.leptos_options;
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| db::DEFAULT_DATABASE_URL.to_owned());
    let pool = db::open(&database_url).await?;
    // Set SERVED_OVER_TLS=1 when users reach the server over HTTPS, as
    // through a TLS-terminating proxy: cookies become Secure and HSTS is sent.
    let served_over_tls = std::env::var("SERVED_OVER_TLS").is_ok_and(|value| value == "1");
    let state = AppState::new(pool, AttemptLimits::default(), served_over_tls)
        .await?
        .with_trusted_proxies(trusted_proxies);
    state.expire_sessions_in_background();
    state.prune_answers_in_background();
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

/// TRUSTED_PROXIES: the reverse proxies (addresses or CIDR blocks, comma
/// separated) whose X-Forwarded-For names the client sign-in attempts are
/// counted against. Unset, the TCP peer is the client. A value that does
/// not parse stops the start: a typo would otherwise count every user
/// behind the proxy as one, or believe a header anyone can write.
fn trusted_proxies() -> Result<TrustedProxies, String> {
    match std::env::var("TRUSTED_PROXIES") {
        Ok(list) => list
            .parse()
            .map_err(|error| format!("TRUSTED_PROXIES: {error}")),
        Err(std::env::VarError::NotPresent) => Ok(TrustedProxies::default()),
        Err(error) => Err(format!("TRUSTED_PROXIES: {error}")),
    }
}
