//! What the status line and forms say: sync status, who is signed in, and
//! the one place engine errors become sentences.

use crate::domain::{Account, FieldError};
use crate::sync::EngineError;
use chrono::{DateTime, Utc};

/// What the status line shows about sync.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncStatus {
    /// The local store has been read; before that the lists are not known.
    pub loaded: bool,
    /// The customers have been read: the customer list, the first screen,
    /// shows while the rest of a large store is still being read.
    pub customers_loaded: bool,
    pub online: bool,
    pub syncing: bool,
    /// Rows received so far by the running sync, for the progress display.
    pub pulled: usize,
    /// The cursor the running pull started from and has reached, and the
    /// workspace's latest change it is heading for, when known: the
    /// progress bar of a long (initial or catch-up) sync.
    pub pull_from: i64,
    pub pull_at: i64,
    pub pull_head: Option<i64>,
    pub pending: usize,
    /// Changes being written to the local store right now: counted before
    /// they are in the outbox, so the status never says "synced" between a
    /// click on Save and the change being queued.
    pub saving: usize,
    /// Changes waiting that were made more than a day ago.
    pub stale: usize,
    /// Whether the browser keeps the local copy and how much room it takes.
    pub storage: Option<crate::domain::StorageUse>,
    pub last_synced: Option<DateTime<Utc>>,
    /// Why the last sync failed, until one succeeds.
    pub error: Option<String>,
    /// The last sync was refused for want of a session: offer to sign in.
    pub signed_out_on_server: bool,
}

impl SyncStatus {
    /// How far the running pull has come toward the latest change, as
    /// (done, total) change numbers; `None` when there is no bar to show.
    pub fn pull_progress(&self) -> Option<(i64, i64)> {
        let head = self
            .pull_head
            .filter(|head| self.syncing && *head > self.pull_from)?;
        let total = head - self.pull_from;
        Some(((self.pull_at - self.pull_from).clamp(0, total), total))
    }
}

/// Who this browser is signed in as, as far as it knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AccountState {
    /// Not read yet: the server render and the first client frame.
    #[default]
    Unknown,
    SignedOut,
    /// Signed in here; the server session may have ended since, which the
    /// sync status reports without touching local data.
    SignedIn(Account),
}

/// A failed local write, as the form shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveError {
    /// A value is wrong: show the message at this field.
    Field(FieldError),
    /// The device could not store the change: show it above the form.
    Device(String),
}

impl SaveError {
    /// The sentence to show when the failure has no field of its own on screen.
    pub fn message(&self) -> String {
        match self {
            SaveError::Field(field) => field.message.clone(),
            SaveError::Device(message) => message.clone(),
        }
    }
}

impl From<EngineError> for SaveError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Invalid(field) => SaveError::Field(field),
            other => SaveError::Device(user_message(&other)),
        }
    }
}

/// What the status line says when the server no longer knows this
/// browser's session; the layout offers a sign-in link beside it.
pub const SIGNED_OUT_MESSAGE: &str =
    "Signed out on the server. Sign in again to sync; your changes are kept on this device.";

/// What the sign-in page says after this browser learned its member was
/// removed from the workspace and erased its copy.
pub const REMOVED_MESSAGE: &str = "You were removed from this workspace, so this browser's copy of its records was erased and changes not yet synced were dropped. Ask an admin to invite you again.";

/// localStorage key set after this browser learned its member was removed
/// and erased its copy, so the sign-in page can say why it is there.
pub const REMOVED_KEY: &str = "clientele.removed";

/// The one place engine errors become sentences for users.
pub fn user_message(error: &EngineError) -> String {
    match error {
        EngineError::Invalid(field) => field.message.clone(),
        EngineError::Store(store) if store.is_out_of_space() => {
            "This browser has no room left for Clientele, so this change was not saved. What you typed is still here and the changes already waiting are kept: free some disk space, then save again."
                .into()
        }
        EngineError::Store(_) => {
            "This browser could not save the change. What you typed is still here and the changes already waiting are kept: free some disk space or allow storage for this site, then save again."
                .into()
        }
        EngineError::Transport(crate::sync::TransportError::Unreachable(_)) => "The server cannot be reached.".into(),
        EngineError::Transport(crate::sync::TransportError::NoAnswer) => {
            "The server does not answer; changes are kept on this device until it does.".into()
        }
        EngineError::Transport(crate::sync::TransportError::Refused(reason)) => {
            format!("The server refused to sync: {reason}")
        }
        EngineError::Transport(crate::sync::TransportError::SignedOut) => {
            SIGNED_OUT_MESSAGE.into()
        }
        EngineError::Transport(crate::sync::TransportError::Removed) => REMOVED_MESSAGE.into(),
    }
}
