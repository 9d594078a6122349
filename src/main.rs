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

/// SQLite is C and allocates through glibc, not through mimalloc. glibc
/// raises its mmap threshold each time a large block is freed, after which
/// pull pages that SQLite builds (megabytes each) come from per-thread
/// arenas that keep them; eight members pulling long notes at once put the
/// server at 154 MB. A fixed threshold returns such blocks at once (140 MB
/// with it in the same test, debug build), and two arenas bound what the
/// connection threads can keep.
fn return_large_sqlite_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it runs first in
    // main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> ExitCode {
    return_large_sqlite_blocks_to_the_system();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
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
    state.purge_trash_in_background();
    let address = options.site_addr;
    let app = router(options, state, clientele::app::App, clientele::app::shell);
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
