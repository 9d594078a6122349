//! The network surface for data: thin server functions over `server`.
//!
//! Paths and argument names are the wire contract of DESIGN.md section 4;
//! bodies are JSON both ways. The browser's generated client side of these
//! functions is what the sync engine's transport calls.

use crate::error::AppError;
use crate::sync::{Mutation, PullResponse, PushResponse};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// Applies a client's queued mutations; see `server::push`.
#[server(prefix = "/api", endpoint = "sync/push", input = Json, output = Json)]
pub async fn push(client_id: Uuid, mutations: Vec<Mutation>) -> Result<PushResponse, AppError> {
    let state = ssr::state()?;
    crate::server::push::push(&state.pool, state.workspace(), client_id, &mutations)
        .await
        .map_err(ssr::respond)
}

/// Sends the rows changed after `cursor`; see `server::pull`.
#[server(prefix = "/api", endpoint = "sync/pull", input = Json, output = Json)]
pub async fn pull(
    client_id: Uuid,
    cursor: i64,
    limit: Option<u32>,
) -> Result<PullResponse, AppError> {
    tracing::debug!(%client_id, cursor, "pull");
    let state = ssr::state()?;
    crate::server::pull::pull(&state.pool, state.workspace(), cursor, limit)
        .await
        .map_err(ssr::respond)
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::server::{AppState, ServerError};
    use leptos::prelude::use_context;

    /// The server state the router put in context.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>()
            .ok_or_else(|| respond(ServerError::Startup("no AppState in context".into())))
    }

    /// Maps a server failure to the client's error and the matching HTTP status.
    pub fn respond(error: ServerError) -> AppError {
        let error = AppError::from(error);
        error.set_response_status();
        error
    }
}
