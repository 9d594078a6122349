//! The sync protocol (DESIGN.md section 4) and the client engine that speaks it.
//!
//! Plain Rust with no I/O of its own: storage comes in through
//! [`LocalStore`] and the network through [`Transport`], so the engine is
//! tested natively and runs unchanged in the browser.

mod backoff;
pub mod chunks;
mod engine;
mod protocol;
mod replica;
mod store;

pub use backoff::Backoff;
pub use engine::{
    Engine, EngineError, PullProgress, SyncReport, Transport, TransportError, PUSH_BATCH,
    PUSH_MAX_BYTES,
};
pub use protocol::{
    json_len, FieldConflict, HistoryPage, Mutation, MutationResult, MutationStatus, Op, PullPage,
    PullRequest, PullResponse, PulledRow, PushRequest, PushResponse, PULL_LIMIT_DEFAULT,
    PULL_LIMIT_MAX,
};
pub use replica::Replica;
pub use store::{
    LocalStore, MemoryStore, PendingMutation, PullEnd, RejectedMutation, Snapshot, StoreError,
};
