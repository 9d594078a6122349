//! The server's own failures, and what each becomes on the wire.

use crate::error::AppError;

/// Failures inside the server, mapped once to what the client is told.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    BadRequest(String),
    /// The account may not do this: 403.
    #[error("{0}")]
    Forbidden(String),
    /// The change would leave the workspace without an admin: 409.
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("session store: {0}")]
    Session(String),
    #[error("{0}")]
    Startup(String),
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        match error {
            ServerError::BadRequest(message) => AppError::BadRequest(message),
            ServerError::Forbidden(message) => AppError::Forbidden(message),
            ServerError::Conflict(message) => AppError::Conflict(message),
            internal => {
                tracing::error!(error = %internal, "request failed");
                AppError::Internal
            }
        }
    }
}
