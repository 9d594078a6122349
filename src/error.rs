//! The one error type that crosses the wire from server functions.

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
            AppError::BadRequest(_) => 400,
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
