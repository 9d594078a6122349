//! The generic record every entity is stored and synced as.

use super::schema::Entity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One row of any entity: the bookkeeping every record carries plus its fields.
///
/// Sync works field by field, so fields stay a JSON map here; typed views such
/// as [`super::Customer`] are read from it where the UI needs them. On the wire
/// the fields sit flat beside `id`, `version` and `deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: Uuid,
    /// The server's change number of the last write, 0 while only local.
    pub version: i64,
    #[serde(default)]
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Record {
    /// A record that exists only on this device so far.
    pub fn new_local(id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            id,
            version: 0,
            deleted: false,
            created_at: now,
            updated_at: now,
            fields: Map::new(),
        }
    }

    /// A text field, `None` when unset or not text.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    /// A flag field, `false` when unset.
    pub fn flag(&self, field: &str) -> bool {
        self.fields
            .get(field)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// A reference field parsed as the id it holds.
    pub fn reference(&self, field: &str) -> Option<Uuid> {
        self.text(field).and_then(|text| Uuid::parse_str(text).ok())
    }

    /// Overlays changed fields; `deleted` in a patch restores or removes the record.
    pub fn apply_patch(&mut self, patch: &Map<String, Value>) {
        for (name, value) in patch {
            if name == "deleted" {
                self.deleted = value.as_bool().unwrap_or(self.deleted);
            } else {
                self.fields.insert(name.clone(), value.clone());
            }
        }
    }
}

/// Where a record lives: its entity and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    pub entity: Entity,
    pub id: Uuid,
}

impl RecordKey {
    pub fn new(entity: Entity, id: Uuid) -> Self {
        Self { entity, id }
    }
}
