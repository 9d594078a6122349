//! What the browser lends the UI: the engine behind one object-safe trait.

use crate::domain::{BatchChange, ConvertRequest, Entity, HistoryEntry, Origin};
use crate::sync::{EngineError, Replica};
use futures::future::LocalBoxFuture;
#[cfg(feature = "hydrate")]
use leptos::prelude::*;
use serde_json::{Map, Value};
#[cfg(feature = "hydrate")]
use std::rc::Rc;
use uuid::Uuid;

/// What the browser lends the UI once the local store is open: the engine,
/// the sync loop's wake-up and the other tabs. The server render never has
/// one, so there every read is empty and every write says "still loading".
pub trait Device {
    /// Runs `read` on the in-memory view of the records.
    fn with_replica(&self, read: &mut dyn FnMut(&Replica));
    /// Creates a record or changes some of its fields.
    fn upsert(
        &self,
        entity: Entity,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Saves many changes as one: all stored, or none (an import).
    /// `origin` says what the batch is part of (an import), for the history.
    fn save_batch(
        &self,
        changes: Vec<BatchChange>,
        origin: Option<Origin>,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Deletes a record (and what goes with it).
    fn delete(&self, entity: Entity, id: Uuid) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Takes back the merge of a record merged away.
    fn unmerge(&self, entity: Entity, id: Uuid) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Converts a lead into a customer.
    fn convert(
        &self,
        lead_id: Uuid,
        request: ConvertRequest,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Takes back a lead's conversion, giving it back `status`.
    fn unconvert(
        &self,
        lead_id: Uuid,
        status: String,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Drops a change the server refused.
    fn discard_rejected(&self, mutation_id: u64) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Wakes the sync loop so it runs now.
    fn sync_now(&self);
    /// Tells this browser's other tabs that the shared store changed.
    fn tell_other_tabs(&self);
    /// One record's history as this device has pulled it, oldest first:
    /// read from the store when its History view opens, offline too.
    fn history(
        &self,
        entity: Entity,
        id: Uuid,
    ) -> LocalBoxFuture<'_, Result<Vec<HistoryEntry>, EngineError>>;
}

/// Where the browser's [`Device`] is kept. The server render holds nothing:
/// its arena may move between threads, which a browser value cannot.
#[cfg(feature = "hydrate")]
pub(super) type DeviceSlot = StoredValue<Option<Rc<dyn Device>>, LocalStorage>;
#[cfg(not(feature = "hydrate"))]
pub(super) type DeviceSlot = ();
