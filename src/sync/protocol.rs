//! The push/pull wire contract of DESIGN.md section 4, as serde types.
//!
//! These shapes are a public contract: outside tests post them by hand, so a
//! rename here is a breaking change to the protocol, not a refactor.

use crate::domain::{Entity, FieldError, HistoryEntry, Origin, Record};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

/// How many bytes `value` takes as JSON, counted without building the text:
/// what a push batch and a pull page are budgeted in.
pub fn json_len(value: &impl Serialize) -> usize {
    /// Counts what is written instead of keeping it.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and these types always serialize.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// What a mutation does to its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Creates the record or changes the fields given.
    Upsert,
    /// Tombstones the record.
    Delete,
    /// Converts a lead into a customer (fields: `customer_id`, `contact_id`);
    /// a lead converts once, whoever asks again.
    Convert,
    /// Merges duplicates into the mutation's record, which stays (fields:
    /// `merged`, `values`; see `domain::MergeRequest`). A merge already
    /// done is a no-op.
    Merge,
    /// Takes back the merge of the mutation's record (merged away within
    /// `domain::UNMERGE_DAYS`): restores it and moves back what the merge
    /// moved where nobody has changed it since. No fields; unmerging a
    /// record that is not merged is a no-op.
    Unmerge,
    /// Takes back a lead's conversion (an undo): the lead gets back the
    /// status it had (field `status`, see `domain::unconverted_lead`) and
    /// loses its customer. The customer and contact the conversion made
    /// are deleted by ordinary deletes after it. Unconverting a lead that
    /// is not converted is a no-op.
    Unconvert,
}

/// One local change, queued in the outbox until the server has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// Per-client sequence number, strictly increasing: the idempotency key.
    pub id: u64,
    pub entity: Entity,
    pub op: Op,
    pub record_id: Uuid,
    /// The record version the edit was made against, 0 for a new record.
    pub base_version: i64,
    /// Only the fields the user changed.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
    /// When the change was made on the device, for its history (an edit
    /// made offline yesterday says so). This server's extension: optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<DateTime<Utc>>,
    /// What the change was part of (an import), for its history. This
    /// server's extension: optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// The body of `POST /api/sync/push`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub client_id: Uuid,
    pub mutations: Vec<Mutation>,
    /// How the device names itself in the history ("Chrome on Linux").
    /// This server's extension: optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// The reply to a push: one result per mutation, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The highest mutation id the server has processed for this client.
    pub last_mutation_id: u64,
    pub results: Vec<MutationResult>,
}

/// How the server handled one mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MutationStatus {
    Applied,
    /// Applied, but it overwrote a concurrent change (or hit a tombstone).
    Conflict,
    /// Nothing was written; `error` says why.
    Rejected,
}

/// A field whose concurrent value the mutation overwrote (or could not overwrite).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: String,
    pub theirs: Value,
    pub mine: Value,
}

/// The outcome of one mutation, stored so a retried push gets the same answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MutationResult {
    pub id: u64,
    pub status: MutationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<FieldConflict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FieldError>,
}

impl MutationResult {
    pub fn applied(id: u64, version: i64, conflicts: Vec<FieldConflict>) -> Self {
        let status = if conflicts.is_empty() {
            MutationStatus::Applied
        } else {
            MutationStatus::Conflict
        };
        Self {
            id,
            status,
            version: Some(version),
            conflicts,
            error: None,
        }
    }

    pub fn rejected(id: u64, error: FieldError) -> Self {
        Self {
            id,
            status: MutationStatus::Rejected,
            version: None,
            conflicts: Vec::new(),
            error: Some(error),
        }
    }
}

/// The body of `POST /api/sync/pull`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub client_id: Uuid,
    /// The highest version this client has; 0 pulls everything.
    pub cursor: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Default page size of a pull.
pub const PULL_LIMIT_DEFAULT: u32 = 1000;
/// Largest page a client may ask for.
pub const PULL_LIMIT_MAX: u32 = 5000;

/// One changed row in a pull reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PulledRow {
    pub entity: Entity,
    pub record: Record,
}

/// A page of changes, ordered by version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub rows: Vec<PulledRow>,
    /// The version to ask from next time.
    pub cursor: i64,
    /// Whether another page is waiting.
    pub more: bool,
    /// The server purged deleted records this device may still hold as
    /// live (it was away longer than the Trash keeps them): forget every
    /// pulled row and pull again from cursor 0, keeping the changes not
    /// yet sent. The page then carries no rows.
    pub restart: bool,
    /// The highest version of a deleted record the server has purged from
    /// the Trash (0: none). A device that stayed in sync still holds those
    /// tombstones and drops them (see `domain::purged_by_server`).
    pub purged_through: i64,
}

/// A page of changes as the server sends it: [`PullResponse`]'s wire shape,
/// with the rows kept as the JSON text the database rendered them to. The
/// server relays a page without building each row as Rust values and
/// encoding it again, which was most of a pull's time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PullPage {
    pub rows: Box<RawValue>,
    pub cursor: i64,
    pub more: bool,
    /// See [`PullResponse::restart`]; left out of the JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
    /// See [`PullResponse::purged_through`]; left out of the JSON when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub purged_through: i64,
}

fn is_zero(number: &i64) -> bool {
    *number == 0
}

impl PullPage {
    /// The page as the engine reads it.
    pub fn decode(&self) -> Result<PullResponse, serde_json::Error> {
        Ok(PullResponse {
            rows: serde_json::from_str(self.rows.get())?,
            cursor: self.cursor,
            more: self.more,
            restart: self.restart,
            purged_through: self.purged_through,
        })
    }
}

/// A page of the workspace's history, as `POST /api/sync/history` sends
/// it: the entries written after the cursor asked for, oldest first. This
/// server's extension, pulled after the records so it never slows a sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// The version of the last entry sent: the next page's cursor.
    pub cursor: i64,
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_push_body_from_the_design_document_parses() {
        let body = json!({"client_id": "0194f1a2-0000-7000-8000-000000000001", "mutations": [
            {"id": 17, "entity": "customer", "op": "upsert", "record_id": "0194f1a2-0000-7000-8000-000000000002",
             "base_version": 41, "fields": {"status": "Customer", "phone": "+44 ..."}},
            {"id": 18, "entity": "contact", "op": "delete", "record_id": "0194f1a2-0000-7000-8000-000000000003", "base_version": 44}
        ]});
        let push: PushRequest = serde_json::from_value(body).expect("valid push");
        assert_eq!(push.mutations[1].op, Op::Delete);
        let convert: Mutation =
            serde_json::from_value(json!({"id": 19, "entity": "lead", "op": "convert",
            "record_id": "0194f1a2-0000-7000-8000-000000000004", "base_version": 12,
            "fields": {"customer_id": "0194f1a2-0000-7000-8000-000000000005",
                       "contact_id": "0194f1a2-0000-7000-8000-000000000006"}}))
            .expect("valid convert");
        assert_eq!((convert.entity, convert.op), (Entity::Lead, Op::Convert));
        assert!(push.mutations[1].fields.is_empty());
    }

    #[test]
    fn results_serialize_without_empty_parts() {
        let applied =
            serde_json::to_value(MutationResult::applied(17, 52, vec![])).expect("serializes");
        assert_eq!(
            applied,
            json!({"id": 17, "status": "applied", "version": 52})
        );
        let rejected = serde_json::to_value(MutationResult::rejected(
            19,
            FieldError::new("name", "Name is required"),
        ))
        .expect("serializes");
        assert_eq!(
            rejected,
            json!({"id": 19, "status": "rejected", "error": {"field": "name", "message": "Name is required"}})
        );
    }

    #[test]
    fn a_pulled_record_is_flat() {
        let row: PulledRow = serde_json::from_value(json!({"entity": "customer", "record": {
            "id": "0194f1a2-0000-7000-8000-000000000002", "version": 3, "deleted": false,
            "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:00Z",
            "name": "Acme", "status": "Prospect"}}))
        .expect("valid row");
        assert_eq!(row.record.text("name"), Some("Acme"));
        assert_eq!(row.record.version, 3);
    }
}
