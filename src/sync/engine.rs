//! The client sync engine: local writes, push, pull and rebase.
//!
//! Modelled on Replicache's push/pull: every local write is stored in the
//! outbox before it is shown, a push sends the outbox in order, and a pull
//! brings every row changed since the cursor and re-applies what is still
//! pending on top. Storage and network are traits, so the same engine runs in
//! the browser and, in tests, against memory and an in-process server.

use super::protocol::{
    MutationStatus, PullRequest, PullResponse, PushRequest, PushResponse, PULL_LIMIT_MAX,
};
use super::replica::Replica;
use super::store::{LocalStore, PullEnd, RejectedMutation, StoreError};
use crate::domain::{BatchChange, ConvertRequest, Entity, FieldError, Origin};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use uuid::Uuid;

/// How many mutations one push carries.
pub const PUSH_BATCH: usize = 500;

/// How much JSON one push carries (a single larger mutation goes alone).
/// The server refuses bodies over 8 MB, and 500 mutations of long notes
/// made up to 60 MB: a batch that is never accepted blocks the queue.
pub const PUSH_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Why the server could not be reached or did not answer properly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer: offline, DNS, connection reset. Retried with backoff.
    #[error("the server could not be reached: {0}")]
    Unreachable(String),
    /// The request went out and no answer came in time: a network that
    /// accepts connections and never answers. Retried with backoff; the
    /// status line counts the device as offline meanwhile.
    #[error("the server did not answer in time")]
    NoAnswer,
    /// The server answered with an error. Retried with backoff too; a 4xx
    /// here means a bug in this client, which the status line shows.
    #[error("the server refused the request: {0}")]
    Refused(String),
    /// The session is gone (signed out elsewhere, password changed, expired).
    /// Local changes stay queued until the user signs in again.
    #[error("signed out on the server")]
    SignedOut,
    /// The account was removed from its workspace. Nothing queued will
    /// ever be applied; the browser erases its copy.
    #[error("removed from the workspace")]
    Removed,
}

/// The engine's door to the network: the two calls of the sync protocol.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn push(&self, request: PushRequest) -> Result<PushResponse, TransportError>;
    async fn pull(&self, request: PullRequest) -> Result<PullResponse, TransportError>;
}

/// What can go wrong with a local write or a sync.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What one sync did, for the status line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub rejected: usize,
    pub conflicts: usize,
    pub pulled: usize,
    /// The server had purged deleted records this device may have held as
    /// live, so it forgot every pulled row and pulled again from scratch,
    /// keeping its changes not yet sent (see `PullResponse::restart`).
    pub pulled_again: bool,
}

/// Where a running pull stands, after each page it stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullProgress {
    /// Rows received so far by this sync.
    pub rows: usize,
    /// The cursor after the page: every version up to it is stored.
    pub cursor: i64,
    /// Whether more pages follow.
    pub more: bool,
}

/// The engine over a store and a transport.
pub struct Engine<S, T> {
    store: S,
    transport: T,
    client_id: Uuid,
    replica: RefCell<Replica>,
    /// The entities whose stored rows are in the replica.
    loaded: RefCell<Vec<Entity>>,
    syncing: Cell<bool>,
}

impl<S: LocalStore, T: Transport> Engine<S, T> {
    /// Loads the device's state; works offline.
    pub async fn open(store: S, transport: T, client_id: Uuid) -> Result<Self, EngineError> {
        Self::open_with(store, transport, client_id, &Entity::ALL).await
    }

    /// Loads the device's state with the rows of `first` only, so a first
    /// screen that lists them shows without waiting for a whole workspace;
    /// [`Engine::load_rest`] reads the other rows. Works offline.
    pub async fn open_with(
        store: S,
        transport: T,
        client_id: Uuid,
        first: &[Entity],
    ) -> Result<Self, EngineError> {
        let snapshot = store.load(first).await?;
        Ok(Self {
            store,
            transport,
            client_id,
            replica: RefCell::new(Replica::from_snapshot(snapshot)),
            loaded: RefCell::new(first.to_vec()),
            syncing: Cell::new(false),
        })
    }

    /// Reads the rows [`Engine::open_with`] left out. Run it before the
    /// first sync: the view is complete, and so are the rules it checks.
    pub async fn load_rest(&self) -> Result<(), EngineError> {
        let rest: Vec<Entity> = Entity::ALL
            .into_iter()
            .filter(|entity| !self.loaded.borrow().contains(entity))
            .collect();
        if rest.is_empty() {
            return Ok(());
        }
        let snapshot = self.store.load(&rest).await?;
        self.replica.borrow_mut().loaded(snapshot.rows);
        self.loaded.borrow_mut().extend(rest);
        Ok(())
    }

    /// Reads the current view. The borrow ends with the closure, so it can
    /// never be held across an await.
    pub fn read<R>(&self, read: impl FnOnce(&Replica) -> R) -> R {
        read(&self.replica.borrow())
    }

    /// The id the server knows this device by.
    pub fn client_id(&self) -> Uuid {
        self.client_id
    }

    /// The transport, for adapters and tests that steer it.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The store, for adapters that need more than the engine asks of it.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Creates a record or changes some of its fields, offline or not.
    pub async fn upsert(
        &self,
        entity: Entity,
        record_id: Uuid,
        patch: &Map<String, Value>,
    ) -> Result<(), EngineError> {
        let mutation = self
            .replica
            .borrow_mut()
            .prepare_upsert(entity, record_id, patch)?;
        self.enqueue(mutation).await
    }

    /// Deletes a record (the server tombstones what hangs off it).
    pub async fn delete(&self, entity: Entity, record_id: Uuid) -> Result<(), EngineError> {
        let mutation = self.replica.borrow_mut().prepare_delete(entity, record_id);
        self.enqueue(mutation).await
    }

    /// Takes back the merge of a record merged away, offline or not: it
    /// shows restored at once, and what the merge moved comes back with
    /// the server's answer.
    pub async fn unmerge(&self, entity: Entity, record_id: Uuid) -> Result<(), EngineError> {
        let mutation = self
            .replica
            .borrow_mut()
            .prepare_unmerge(entity, record_id)?;
        self.enqueue(mutation).await
    }

    /// Converts a lead into a customer, offline or not; see [`ConvertRequest`].
    pub async fn convert(&self, lead_id: Uuid, request: ConvertRequest) -> Result<(), EngineError> {
        let mutation = self
            .replica
            .borrow_mut()
            .prepare_convert(lead_id, request)?;
        self.enqueue(mutation).await
    }

    /// Takes back a lead's conversion, offline or not, giving the lead
    /// back `status` (see [`Op::Unconvert`](super::protocol::Op::Unconvert)).
    pub async fn unconvert(&self, lead_id: Uuid, status: &str) -> Result<(), EngineError> {
        let mutation = self
            .replica
            .borrow_mut()
            .prepare_unconvert(lead_id, status)?;
        self.enqueue(mutation).await
    }

    /// Saves many edits as one (an import): stored in one atomic write,
    /// so a tab closed meanwhile keeps all of them or none, and shown at once.
    /// `origin` says what the batch is part of (an import), for the history.
    pub async fn save_batch(
        &self,
        changes: &[BatchChange],
        origin: Option<Origin>,
    ) -> Result<(), EngineError> {
        let mut mutations = self.replica.borrow_mut().prepare_batch(changes)?;
        for mutation in &mut mutations {
            mutation.origin = origin;
        }
        self.enqueue_all(mutations).await
    }

    async fn enqueue(&self, mutation: super::protocol::Mutation) -> Result<(), EngineError> {
        self.enqueue_all(vec![mutation]).await
    }

    async fn enqueue_all(
        &self,
        mutations: Vec<super::protocol::Mutation>,
    ) -> Result<(), EngineError> {
        if mutations.is_empty() {
            return Ok(());
        }
        let first = self.store.enqueue(&mutations).await?;
        let stored = mutations
            .into_iter()
            .zip(first..)
            .map(|(mutation, id)| super::protocol::Mutation { id, ..mutation })
            .collect();
        self.replica.borrow_mut().enqueued(stored);
        Ok(())
    }

    /// Re-reads everything from the store, after another tab changed it.
    pub async fn reload(&self) -> Result<(), EngineError> {
        let snapshot = self.store.load(&Entity::ALL).await?;
        *self.replica.borrow_mut() = Replica::from_snapshot(snapshot);
        *self.loaded.borrow_mut() = Entity::ALL.to_vec();
        Ok(())
    }

    /// Forgets a change the server refused.
    pub async fn discard_rejected(&self, mutation_id: u64) -> Result<(), EngineError> {
        self.store.discard_rejected(mutation_id).await?;
        self.replica.borrow_mut().discarded(mutation_id);
        Ok(())
    }

    /// Pushes the outbox, then pulls until up to date. `on_progress` hears where
    /// the pull stands after every page, for the progress bar.
    ///
    /// A second call while one runs returns at once: one sync at a time.
    pub async fn sync(
        &self,
        on_progress: impl FnMut(PullProgress),
    ) -> Result<SyncReport, EngineError> {
        if self.syncing.replace(true) {
            return Ok(SyncReport::default());
        }
        let result = self.push_then_pull(on_progress).await;
        self.syncing.set(false);
        result
    }

    async fn push_then_pull(
        &self,
        mut on_progress: impl FnMut(PullProgress),
    ) -> Result<SyncReport, EngineError> {
        let mut report = SyncReport::default();
        loop {
            let batch = self.replica.borrow().push_batch(PUSH_BATCH, PUSH_MAX_BYTES);
            if batch.is_empty() {
                break;
            }
            let response = self
                .transport
                .push(PushRequest {
                    client_id: self.client_id,
                    mutations: batch.clone(),
                    device: None,
                })
                .await?;
            let mut acknowledged = Vec::new();
            let mut rejected = Vec::new();
            for mutation in batch {
                match response
                    .results
                    .iter()
                    .find(|result| result.id == mutation.id)
                {
                    Some(result) if result.status == MutationStatus::Rejected => {
                        let error = result
                            .error
                            .clone()
                            .unwrap_or_else(|| FieldError::new("", "refused by the server"));
                        rejected.push(RejectedMutation { mutation, error });
                    }
                    Some(result) if result.conflicts.iter().any(|c| c.field == "deleted") => {
                        // Deletes win, so the edit was not applied: the user
                        // must hear of it and may restore the record with it.
                        let error = FieldError::new(
                            "deleted",
                            format!(
                                "this {} was deleted by someone else",
                                mutation.entity.label()
                            ),
                        );
                        rejected.push(RejectedMutation { mutation, error });
                    }
                    Some(result) => {
                        report.conflicts += usize::from(result.status == MutationStatus::Conflict);
                        acknowledged.push(mutation.id);
                    }
                    None if mutation.id <= response.last_mutation_id => {
                        acknowledged.push(mutation.id)
                    }
                    None => {}
                }
            }
            if acknowledged.is_empty() && rejected.is_empty() {
                return Err(TransportError::Refused(
                    "the server processed none of the batch".into(),
                )
                .into());
            }
            self.store.settle(&acknowledged, &rejected).await?;
            report.pushed += acknowledged.len();
            report.rejected += rejected.len();
            self.replica.borrow_mut().settled(&acknowledged, rejected);
        }

        let forget_through = self.replica.borrow().last_acknowledged();
        loop {
            let cursor = self.replica.borrow().cursor();
            let page = self
                .transport
                .pull(PullRequest {
                    client_id: self.client_id,
                    cursor,
                    // The largest page: an initial sync of a big workspace
                    // spends less on round trips and store transactions.
                    limit: Some(PULL_LIMIT_MAX),
                })
                .await?;
            if page.restart {
                self.store.forget_pulled().await?;
                self.replica.borrow_mut().forget_pulled();
                report.pulled_again = true;
                continue;
            }
            let last_page = !page.more;
            let forget = if last_page { forget_through } else { None };
            let end = last_page.then(|| PullEnd {
                forget_through,
                records: self
                    .replica
                    .borrow()
                    .record_counts_with(&page.rows, &self.loaded.borrow()),
                purged_through: page.purged_through,
            });
            self.store
                .apply_pulled(&page.rows, page.cursor, end.as_ref())
                .await?;
            report.pulled += page.rows.len();
            self.replica
                .borrow_mut()
                .pulled(page.rows, page.cursor, forget);
            if last_page {
                self.replica
                    .borrow_mut()
                    .purged_on_server(page.purged_through);
            }
            on_progress(PullProgress {
                rows: report.pulled,
                cursor: page.cursor,
                more: page.more,
            });
            if last_page {
                return Ok(report);
            }
        }
    }
}
