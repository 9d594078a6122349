//! The axum server: database, accounts, sync handlers and the HTTP app
//! around them.

pub mod auth;
pub mod db;
mod error;
mod limiter;
mod merge;
pub mod owners;
pub mod pull;
pub mod push;
mod record_cache;
pub mod repository;
pub mod security;
pub mod seed;
pub mod sessions;
pub mod team;

use crate::domain::TRASH_DAYS;
use auth::{Accounts, AttemptLimits};
use axum::Router;
pub use error::ServerError;
use leptos::config::Env;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use repository::{Db, WorkspaceId};
use security::TrustedProxies;
use sessions::SessionTable;

use std::net::SocketAddr;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::{time, SameSite};
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer};
use uuid::Uuid;

/// Largest request body accepted; a full push of 1,000 mutations fits easily.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The workspace the first migration made, before accounts existed. No one
/// can sign in to it; in-process tests use it as a ready-made workspace.
pub const DEFAULT_WORKSPACE: WorkspaceId =
    WorkspaceId(Uuid::from_u128(0x00000000_0000_7000_8000_000000000001));

/// What server functions need, handed to them through Leptos context.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: Db,
    pub accounts: Accounts,
    sessions: SessionTable,
    /// Set when users reach the app over HTTPS (directly or through a
    /// proxy): the session cookie is then marked Secure and HSTS is sent.
    served_over_tls: bool,
    /// Whose `X-Forwarded-For` names the client that attempts are counted
    /// against; nobody's unless configured.
    pub trusted_proxies: TrustedProxies,
    /// Pull pages being rendered at once; more wait their turn.
    pull_renders: std::sync::Arc<tokio::sync::Semaphore>,
}

/// How many pull pages are rendered at the same time. Each holds a few
/// copies of its page while it is made, and members pulling together queue
/// instead of multiplying the memory. One: eight members pulling 120 KB
/// rows peaked at 111 MB with one and up to 152 MB with two, in the same
/// time, since a page renders far faster than it is sent.
const PULL_RENDERS_AT_ONCE: usize = 1;

impl AppState {
    /// Prepares accounts and the session table on `pool`.
    pub async fn new(
        pool: Db,
        limits: AttemptLimits,
        served_over_tls: bool,
    ) -> Result<Self, ServerError> {
        let sessions = SessionTable::new(pool.clone());
        sessions
            .migrate()
            .await
            .map_err(|err| ServerError::Startup(format!("creating the session table: {err}")))?;
        Ok(Self {
            accounts: Accounts::new(pool.clone(), sessions.clone(), limits).await?,
            pool,
            sessions,
            served_over_tls,
            trusted_proxies: TrustedProxies::default(),
            pull_renders: std::sync::Arc::new(tokio::sync::Semaphore::new(PULL_RENDERS_AT_ONCE)),
        })
    }

    /// One page of a pull (see [`pull::pull`]), rendered while at most
    /// [`PULL_RENDERS_AT_ONCE`] other pages are.
    pub async fn pull_page(
        &self,
        workspace: WorkspaceId,
        cursor: i64,
        limit: Option<u32>,
    ) -> Result<crate::sync::PullPage, ServerError> {
        let _turn = self
            .pull_renders
            .acquire()
            .await
            .map_err(|_| ServerError::Startup("the pull queue was closed".into()))?;
        pull::pull(&self.pool, workspace, cursor, limit).await
    }

    /// One page of the workspace's history (see [`pull::pull_history`]),
    /// taking its turn with the pulls: it answers from the same tables.
    pub async fn history_page(
        &self,
        workspace: WorkspaceId,
        cursor: i64,
    ) -> Result<crate::sync::HistoryPage, ServerError> {
        let _turn = self
            .pull_renders
            .acquire()
            .await
            .map_err(|_| ServerError::Startup("the pull queue was closed".into()))?;
        pull::pull_history(&self.pool, workspace, cursor).await
    }

    /// Believes `X-Forwarded-For` from these proxies (`TRUSTED_PROXIES`).
    pub fn with_trusted_proxies(self, trusted_proxies: TrustedProxies) -> Self {
        Self {
            trusted_proxies,
            ..self
        }
    }

    /// Deletes expired sessions now and then, for as long as the server runs.
    pub fn expire_sessions_in_background(&self) {
        let sessions = self.sessions.clone();
        tokio::spawn(async move {
            let every = std::time::Duration::from_secs(3600);
            if let Err(error) = sessions.continuously_delete_expired(every).await {
                tracing::error!(%error, "deleting expired sessions stopped");
            }
        });
    }

    /// Deletes, every hour, the push answers kept for devices that have
    /// not pushed for [`ANSWERS_KEPT_DAYS`]: a device that comes back later
    /// is answered "applied" for what it sends again (see `push`).
    pub fn prune_answers_in_background(&self) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                let idle_since = chrono::Utc::now() - chrono::Duration::days(ANSWERS_KEPT_DAYS);
                if let Err(error) =
                    repository::forget_answers_of_clients_idle_since(&pool, idle_since).await
                {
                    tracing::error!(%error, "pruning push answers failed");
                }
            }
        });
    }

    /// Deletes for good, every hour, the records deleted more than
    /// [`TRASH_DAYS`] ago (see `repository::trash`).
    pub fn purge_trash_in_background(&self) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                let before = chrono::Utc::now() - chrono::Duration::days(TRASH_DAYS);
                match repository::trash::purge_deleted_before(&pool, before).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "purged records deleted 30 days ago"),
                    Err(error) => tracing::error!(%error, "purging the trash failed"),
                }
            }
        });
    }
}

/// How long the answers to a device's pushes are kept after its last push.
pub const ANSWERS_KEPT_DAYS: i64 = 30;

/// How long a session lives without being used. Long, because an
/// offline-first app may be used for weeks without reaching the server.
const SESSION_IDLE_DAYS: i64 = 30;

/// The whole HTTP app: pages, server functions and static files, behind
/// sessions, the Origin check, body limits and the security headers.
///
/// The app's root and its HTML shell come in as arguments: the pages call
/// the server (through server functions), so the server must not import them
/// back.
pub fn router<Page, Shell>(
    options: LeptosOptions,
    state: AppState,
    app: fn() -> Page,
    shell: fn(LeptosOptions) -> Shell,
) -> Router
where
    Page: IntoView + 'static,
    Shell: IntoView + 'static,
{
    let routes = generate_route_list(app);
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name("clientele_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.served_over_tls)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            SESSION_IDLE_DAYS,
        )));
    let development = options.env == Env::DEV;
    let served_over_tls = state.served_over_tls;
    let context = move || {
        provide_context(state.clone());
        provide_request_nonce();
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(security::check_origin))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Server functions read their body through axum, whose own 2 MB
        // default refused pushes of long notes with a 400 the client kept
        // retrying: one limit, this one, applies.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(move |request, next| {
            security::security_headers(development, served_over_tls, request, next)
        }))
        .with_state(options)
}

/// Hands the response's CSP nonce to Leptos, which stamps it on the
/// script it writes to start the app.
fn provide_request_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<security::CspNonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

/// Serves `app` on `listener` until `shutdown` completes, telling handlers
/// the peer address (sign-in attempts are counted per address).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
