//! The axum server: database, sync handlers and the HTTP app around them.

pub mod db;
mod merge;
pub mod pull;
pub mod push;
pub mod repository;
pub mod seed;

use crate::error::AppError;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use repository::WorkspaceId;
use sqlx::SqlitePool;
use tower_http::limit::RequestBodyLimitLayer;
use uuid::Uuid;

/// Largest request body accepted; a full push of 1,000 mutations fits easily.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The workspace every request acts in until accounts land.
pub const DEFAULT_WORKSPACE: WorkspaceId =
    WorkspaceId(Uuid::from_u128(0x00000000_0000_7000_8000_000000000001));

/// Failures inside the server, mapped once to what the client is told.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Startup(String),
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        match error {
            ServerError::BadRequest(message) => AppError::BadRequest(message),
            internal => {
                tracing::error!(error = %internal, "request failed");
                AppError::Internal
            }
        }
    }
}

/// What server functions need, handed to them through Leptos context.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: SqlitePool,
}

impl AppState {
    /// The workspace of the current request.
    pub fn workspace(&self) -> WorkspaceId {
        DEFAULT_WORKSPACE
    }
}

/// The whole HTTP app: pages, server functions and static files.
pub fn router(options: LeptosOptions, state: AppState) -> Router {
    let routes = generate_route_list(crate::app::App);
    Router::new()
        .leptos_routes_with_context(&options, routes, move || provide_context(state.clone()), {
            let options = options.clone();
            move || crate::app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(crate::app::shell))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(options)
}
