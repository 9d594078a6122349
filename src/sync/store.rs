//! The engine's door to local storage, and an in-memory store behind it.

use super::protocol::{Mutation, PulledRow};
use crate::domain::{purged_by_server, Entity, FieldError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// A queued mutation and whether the server has acknowledged it.
///
/// Acknowledged mutations stay until the next complete pull has brought their
/// effect back, so the screen never flickers back to the old value in between
/// and a reload in that window (offline, say) still shows the edit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingMutation {
    pub mutation: Mutation,
    #[serde(default)]
    pub acknowledged: bool,
    /// When the change was made on this device, so a change that has waited
    /// too long can be pointed out. Absent in entries stored before it was
    /// recorded (their age is unknown, and they are never called stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<DateTime<Utc>>,
}

impl PendingMutation {
    /// A change just made, not yet sent.
    pub fn new(mutation: Mutation) -> Self {
        Self {
            mutation,
            acknowledged: false,
            queued_at: Some(Utc::now()),
        }
    }
}

/// How long a change may wait unsent before the app says so plainly: past
/// a day, something is wrong (signed out, a tab never left open online).
pub fn stale_after() -> Duration {
    Duration::hours(24)
}

/// How many changes not yet sent were made more than [`stale_after`]
/// before `now`.
pub fn stale_changes(outbox: &[PendingMutation], now: DateTime<Utc>) -> usize {
    outbox
        .iter()
        .filter(|pending| !pending.acknowledged)
        .filter(|pending| {
            pending
                .queued_at
                .is_some_and(|at| now.signed_duration_since(at) > stale_after())
        })
        .count()
}

/// A mutation the server refused, kept with its reason until the user acts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectedMutation {
    pub mutation: Mutation,
    pub error: FieldError,
}

/// Everything the engine keeps on the device, as loaded at start-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Rows as the server last sent them (tombstones included). A record
    /// may come more than once, from pages pulled at different times: the
    /// copy with the highest version is the current one.
    pub rows: Vec<PulledRow>,
    pub outbox: Vec<PendingMutation>,
    pub rejected: Vec<RejectedMutation>,
    /// The version of the last complete pull.
    pub cursor: i64,
    /// The id the next local mutation takes.
    pub next_mutation_id: u64,
    /// How far the server had purged the Trash at the last complete pull
    /// (see `PullResponse::purged_through`): rows it purged are not loaded.
    pub purged_through: i64,
}

/// What a store may tidy once a pull has stored its last page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullEnd {
    /// Acknowledged mutations up to this id came back in the pull: forget them.
    pub forget_through: Option<u64>,
    /// How many distinct records of each entity the device holds now,
    /// tombstones included, for the entities it has read: a store that keeps
    /// superseded copies learns how many of its copies are current.
    pub records: Vec<(Entity, usize)>,
    /// How far the server has purged the Trash: keep it, and drop the
    /// tombstones it purged (`domain::purged_by_server`) when tidying.
    pub purged_through: i64,
}

/// A failure of the device's storage (quota, a closed database, bad data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("local storage failed: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// Whether the browser refused the write for want of room (its storage
    /// quota), which users can act on by freeing space.
    pub fn is_out_of_space(&self) -> bool {
        self.0.to_ascii_lowercase().contains("quota")
    }
}

/// Durable local state. Each method is one atomic write, so a tab closed at
/// any moment leaves either the whole change or none of it.
///
/// Futures are not `Send`: the browser's storage lives on one thread.
#[allow(async_fn_in_trait)]
pub trait LocalStore {
    /// Everything kept, with the rows of these entities only: the engine
    /// opens with the customers the first screen lists and reads the rest
    /// after it is drawn.
    async fn load(&self, entities: &[Entity]) -> Result<Snapshot, StoreError>;
    /// Queues new local mutations, all or none, under consecutive ids from
    /// the next free one, and returns the first of those ids.
    ///
    /// The counter lives in the store, so tabs sharing one store never hand
    /// out the same id: the store starts at the first mutation's id or, if
    /// another tab got further, at the next id after that tab's.
    async fn enqueue(&self, mutations: &[Mutation]) -> Result<u64, StoreError>;
    /// Records a push's answer: these ids are acknowledged, these were refused.
    async fn settle(
        &self,
        acknowledged: &[u64],
        rejected: &[RejectedMutation],
    ) -> Result<(), StoreError>;
    /// Stores a page of pulled rows and the cursor after it; with the last
    /// page of a pull, also does what [`PullEnd`] allows.
    async fn apply_pulled(
        &self,
        rows: &[PulledRow],
        cursor: i64,
        end: Option<&PullEnd>,
    ) -> Result<(), StoreError>;
    /// Forgets a refused mutation the user chose to discard.
    async fn discard_rejected(&self, mutation_id: u64) -> Result<(), StoreError>;
    /// Forgets every pulled row and sets the cursor back to 0, keeping the
    /// outbox and the refused changes: the next pull starts from scratch.
    async fn forget_pulled(&self) -> Result<(), StoreError>;
}

/// A [`LocalStore`] in memory: the engine's test double and a reference for
/// what the browser store must do.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RefCell<Snapshot>,
}

impl MemoryStore {
    /// A copy of what is stored, to assert on or to "reload" from.
    pub fn snapshot(&self) -> Snapshot {
        self.state.borrow().clone()
    }
}

impl LocalStore for MemoryStore {
    async fn load(&self, entities: &[Entity]) -> Result<Snapshot, StoreError> {
        let mut snapshot = self.snapshot();
        snapshot.rows.retain(|row| entities.contains(&row.entity));
        Ok(snapshot)
    }

    async fn enqueue(&self, mutations: &[Mutation]) -> Result<u64, StoreError> {
        let mut state = self.state.borrow_mut();
        let first = mutations
            .first()
            .map_or(0, |mutation| mutation.id)
            .max(state.next_mutation_id);
        for (mutation, id) in mutations.iter().zip(first..) {
            state.outbox.push(PendingMutation::new(Mutation {
                id,
                ..mutation.clone()
            }));
            state.next_mutation_id = id + 1;
        }
        Ok(first)
    }

    async fn settle(
        &self,
        acknowledged: &[u64],
        rejected: &[RejectedMutation],
    ) -> Result<(), StoreError> {
        let mut state = self.state.borrow_mut();
        for pending in &mut state.outbox {
            if acknowledged.contains(&pending.mutation.id) {
                pending.acknowledged = true;
            }
        }
        let refused: Vec<u64> = rejected.iter().map(|r| r.mutation.id).collect();
        state
            .outbox
            .retain(|pending| !refused.contains(&pending.mutation.id));
        state.rejected.extend(rejected.iter().cloned());
        Ok(())
    }

    async fn apply_pulled(
        &self,
        rows: &[PulledRow],
        cursor: i64,
        end: Option<&PullEnd>,
    ) -> Result<(), StoreError> {
        let mut state = self.state.borrow_mut();
        for row in rows {
            state
                .rows
                .retain(|kept| !(kept.entity == row.entity && kept.record.id == row.record.id));
            state.rows.push(row.clone());
        }
        state.cursor = cursor;
        if let Some(end) = end {
            if let Some(through) = end.forget_through {
                state
                    .outbox
                    .retain(|pending| !(pending.acknowledged && pending.mutation.id <= through));
            }
            state.purged_through = state.purged_through.max(end.purged_through);
            let purged_through = state.purged_through;
            state
                .rows
                .retain(|row| !purged_by_server(&row.record, purged_through));
        }
        Ok(())
    }

    async fn discard_rejected(&self, mutation_id: u64) -> Result<(), StoreError> {
        self.state
            .borrow_mut()
            .rejected
            .retain(|rejected| rejected.mutation.id != mutation_id);
        Ok(())
    }

    async fn forget_pulled(&self) -> Result<(), StoreError> {
        let mut state = self.state.borrow_mut();
        state.rows.clear();
        state.cursor = 0;
        state.purged_through = 0;
        Ok(())
    }
}

impl From<Snapshot> for MemoryStore {
    /// A store holding what another one had: a reloaded tab, in tests.
    fn from(snapshot: Snapshot) -> Self {
        Self {
            state: RefCell::new(snapshot),
        }
    }
}

/// Tabs of one browser share one store; in tests, engines share an `Rc`.
impl<S: LocalStore> LocalStore for std::rc::Rc<S> {
    async fn load(&self, entities: &[Entity]) -> Result<Snapshot, StoreError> {
        S::load(self, entities).await
    }

    async fn enqueue(&self, mutations: &[Mutation]) -> Result<u64, StoreError> {
        S::enqueue(self, mutations).await
    }

    async fn settle(
        &self,
        acknowledged: &[u64],
        rejected: &[RejectedMutation],
    ) -> Result<(), StoreError> {
        S::settle(self, acknowledged, rejected).await
    }

    async fn apply_pulled(
        &self,
        rows: &[PulledRow],
        cursor: i64,
        end: Option<&PullEnd>,
    ) -> Result<(), StoreError> {
        S::apply_pulled(self, rows, cursor, end).await
    }

    async fn discard_rejected(&self, mutation_id: u64) -> Result<(), StoreError> {
        S::discard_rejected(self, mutation_id).await
    }

    async fn forget_pulled(&self) -> Result<(), StoreError> {
        S::forget_pulled(self).await
    }
}

#[cfg(test)]
mod stale_tests {
    use super::*;
    use crate::domain::Entity;
    use crate::sync::Op;
    use uuid::Uuid;

    fn queued(hours_ago: i64, acknowledged: bool, now: DateTime<Utc>) -> PendingMutation {
        PendingMutation {
            mutation: Mutation {
                id: 1,
                entity: Entity::Customer,
                op: Op::Delete,
                record_id: Uuid::nil(),
                base_version: 0,
                fields: serde_json::Map::new(),
                made_at: None,
                origin: None,
            },
            acknowledged,
            queued_at: Some(now - Duration::hours(hours_ago)),
        }
    }

    #[test]
    fn only_unsent_changes_older_than_a_day_are_stale() {
        let now = Utc::now();
        let mut unknown_age = queued(0, false, now);
        unknown_age.queued_at = None;
        let outbox = [
            queued(25, false, now),
            queued(48, false, now),
            queued(23, false, now),
            queued(30, true, now),
            unknown_age,
        ];
        assert_eq!(stale_changes(&outbox, now), 2);
    }

    #[test]
    fn an_entry_stored_before_times_were_kept_still_reads() {
        let json = r#"{"mutation":{"id":3,"entity":"customer","op":"delete","record_id":"00000000-0000-0000-0000-000000000000","base_version":0},"acknowledged":false}"#;
        let pending: PendingMutation = serde_json::from_str(json).expect("an old entry parses");
        assert_eq!(pending.queued_at, None);
    }

    #[test]
    fn a_quota_failure_is_told_apart() {
        assert!(
            StoreError("committing: QuotaExceededError: quota exceeded".into()).is_out_of_space()
        );
        assert!(!StoreError("opening store outbox: InvalidStateError".into()).is_out_of_space());
    }
}
