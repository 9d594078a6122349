//! The network surface: thin server functions over `server`.
//!
//! Paths and argument names are the wire contract of DESIGN.md sections 4
//! and 6 (`team/display_name` is this server's extension of section 6); bodies are JSON both ways. The browser's generated client side of
//! these functions is what the sync engine's transport and the account
//! pages call. Every data function starts by resolving the session: no
//! session, no data (401), and the workspace comes only from the session.

pub mod auth;
pub mod team;

use crate::error::AppError;
use crate::sync::{HistoryPage, Mutation, PullPage, PushResponse};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// Applies a client's queued mutations; see `server::push`.
#[server(prefix = "/api", endpoint = "sync/push", input = Json, output = Json)]
pub async fn push(
    client_id: Uuid,
    mutations: Vec<Mutation>,
    device: Option<String>,
) -> Result<PushResponse, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::push::push(
        &state.pool,
        user.workspace(),
        user.user_id,
        user.role,
        client_id,
        &mutations,
        device.as_deref(),
    )
    .await
    .map_err(ssr::respond)
}

/// Sends the rows changed after `cursor`; see `server::pull`.
#[server(prefix = "/api", endpoint = "sync/pull", input = Json, output = Json)]
pub async fn pull(client_id: Uuid, cursor: i64, limit: Option<u32>) -> Result<PullPage, AppError> {
    tracing::debug!(%client_id, cursor, "pull");
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::push::check_client_owner(&state.pool, user.user_id, client_id)
        .await
        .map_err(ssr::respond)?;
    state
        .pull_page(user.workspace(), cursor, limit)
        .await
        .map_err(ssr::respond)
}

/// Sends the history entries written after `cursor`; see
/// `server::pull::pull_history`. This server's extension: the browser
/// pulls it after the records, so the history never slows a sync.
#[server(prefix = "/api", endpoint = "sync/history", input = Json, output = Json)]
pub async fn pull_history(cursor: i64) -> Result<HistoryPage, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    state
        .history_page(user.workspace(), cursor)
        .await
        .map_err(ssr::respond)
}

/// The workspace's latest change number: how far a pull from a cursor has
/// to go, which the initial sync's progress bar measures against. Not part
/// of the push/pull contract; a client that never asks loses nothing.
#[server(prefix = "/api", endpoint = "sync/head", input = Json, output = Json)]
pub async fn sync_head() -> Result<i64, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::repository::head_version(&state.pool, user.workspace())
        .await
        .map_err(ssr::respond)
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::server::auth::Member;
    use crate::server::security::client_address;
    use crate::server::{AppState, ServerError};
    use axum::extract::ConnectInfo;
    use axum::http::header::{HeaderName, HeaderValue};
    use axum::http::request::Parts;
    use leptos::prelude::use_context;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use tower_sessions::Session;

    /// The server state the router put in context.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>()
            .ok_or_else(|| respond(ServerError::Startup("no AppState in context".into())))
    }

    /// This request's session (the session layer wraps every route).
    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|err| respond(ServerError::Session(err.to_string())))
    }

    /// The client's address, for counting sign-in attempts: the peer, or
    /// the client a trusted proxy names (`security::client_address`). The
    /// server listens with connect info; without it every caller shares
    /// one budget.
    pub async fn address(state: &AppState) -> IpAddr {
        let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| {
                peer.ip()
            });
        match use_context::<Parts>() {
            Some(request) => client_address(peer, &request.headers, &state.trusted_proxies),
            None => peer,
        }
    }

    /// Asks the browser to erase this site's storage: IndexedDB, where the
    /// records and the outbox live, localStorage, and the service worker's
    /// registration. Not `"cache"`: the HTTP cache holds only the public
    /// bundle and pages (records travel in POST answers, never cached), and
    /// emptying it would make the next sign-in download the whole app again.
    pub fn clear_site_storage() {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.insert_header(
                HeaderName::from_static("clear-site-data"),
                HeaderValue::from_static("\"storage\""),
            );
        }
    }

    /// The signed-in member with their current role, or 401.
    pub async fn signed_in(state: &AppState) -> Result<Member, AppError> {
        let session = session().await?;
        state.accounts.signed_in(&session).await.map_err(respond)
    }

    /// Maps a server failure to the client's error and the matching HTTP status.
    pub fn respond(error: impl Into<AppError>) -> AppError {
        let error = error.into();
        error.set_response_status();
        error
    }
}
