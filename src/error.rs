//! The one error type that crosses the wire from server functions.

use crate::domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can answer instead of its result.
///
/// Each variant maps to one HTTP status on the server and one sentence for
/// the user; details of internal failures stay in the server's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong (shape, ordering, limits): 400.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form value is wrong; the form shows the message at the field: 400.
    #[error("{}", .0.message)]
    Field(FieldError),
    /// No valid session: 401. The browser keeps its data and asks to sign in.
    #[error("you are signed out; sign in again to sync")]
    NotSignedIn,
    /// The account was removed from its workspace: 401. Unlike
    /// `NotSignedIn`, the browser erases its local copy and says why.
    #[error("you were removed from this workspace; ask an admin to invite you again")]
    Removed,
    /// Unknown email or wrong password, deliberately not saying which: 401.
    #[error("the email or password is wrong")]
    SignInFailed,
    /// The request came from another site, or the account's role may not
    /// do this: 403.
    #[error("{0}")]
    Forbidden(String),
    /// The change would break a rule of the workspace's current state
    /// (its last admin would be lost): 409.
    #[error("{0}")]
    Conflict(String),
    /// Too many sign-in attempts: 429, with Retry-After.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Something failed on the server: 500. The message is generic on purpose.
    #[error("the server had a problem; please try again")]
    Internal,
    /// The call never got a proper answer (network down, bad encoding).
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) | AppError::Field(_) => 400,
            AppError::NotSignedIn | AppError::Removed | AppError::SignInFailed => 401,
            AppError::Forbidden(_) => 403,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// Sets this error's status on the response being built, so a client
    /// that sent a malformed body gets a 4xx rather than the default 500.
    #[cfg(feature = "ssr")]
    pub fn set_response_status(&self) {
        use leptos::prelude::use_context;
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::StatusCode::from_u16(self.http_status()),
        ) {
            response.set_status(status);
            if let AppError::TooManyAttempts { retry_after_secs } = self {
                response.insert_header(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(*retry_after_secs),
                );
            }
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                AppError::BadRequest(message)
            }
            other => AppError::Transport(other.to_string()),
        };
        // On the server this runs when a request body cannot be decoded.
        #[cfg(feature = "ssr")]
        error.set_response_status();
        error
    }
}
