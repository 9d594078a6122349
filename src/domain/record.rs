//! The generic record every entity is stored and synced as.

use super::schema::Entity;
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use uuid::Uuid;

/// One row of any entity: the bookkeeping every record carries plus its fields.
///
/// Sync works field by field, so fields stay a JSON map here; typed views such
/// as [`super::Customer`] are read from it where the UI needs them. On the wire
/// the fields sit flat beside `id`, `version` and `deleted`.
///
/// Reading is written by hand (see [`RecordVisitor`]): serde's `flatten`
/// buffers every key and value of a record before sorting them out, which
/// doubled the cost of decoding the hundreds of thousands of records a
/// first sync or a reload reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
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

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

/// Reads a record's keys in one pass: the bookkeeping ones into their
/// places, any other into `fields`, as `flatten` would.
struct RecordVisitor;

/// A key of a record object; only a field's name is allocated.
enum RecordKeyName {
    Id,
    Version,
    Deleted,
    CreatedAt,
    UpdatedAt,
    Field(String),
}

impl<'de> Deserialize<'de> for RecordKeyName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = RecordKeyName;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<RecordKeyName, E> {
                Ok(match key {
                    "id" => RecordKeyName::Id,
                    "version" => RecordKeyName::Version,
                    "deleted" => RecordKeyName::Deleted,
                    "created_at" => RecordKeyName::CreatedAt,
                    "updated_at" => RecordKeyName::UpdatedAt,
                    field => RecordKeyName::Field(field.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        fn once<T, E: de::Error>(
            slot: &mut Option<T>,
            name: &'static str,
            value: T,
        ) -> Result<(), E> {
            if slot.replace(value).is_some() {
                return Err(E::duplicate_field(name));
            }
            Ok(())
        }
        let (mut id, mut version, mut deleted) = (None, None, None);
        let (mut created_at, mut updated_at) = (None, None);
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<RecordKeyName>()? {
            match key {
                RecordKeyName::Id => once(&mut id, "id", map.next_value()?)?,
                RecordKeyName::Version => once(&mut version, "version", map.next_value()?)?,
                RecordKeyName::Deleted => once(&mut deleted, "deleted", map.next_value()?)?,
                RecordKeyName::CreatedAt => once(&mut created_at, "created_at", map.next_value()?)?,
                RecordKeyName::UpdatedAt => once(&mut updated_at, "updated_at", map.next_value()?)?,
                RecordKeyName::Field(name) => {
                    fields.insert(name, map.next_value()?);
                }
            }
        }
        Ok(Record {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            version: version.ok_or_else(|| de::Error::missing_field("version"))?,
            deleted: deleted.unwrap_or(false),
            created_at: created_at.ok_or_else(|| de::Error::missing_field("created_at"))?,
            updated_at: updated_at.ok_or_else(|| de::Error::missing_field("updated_at"))?,
            fields,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_bookkeeping_into_place_and_everything_else_into_fields() {
        let record: Record = serde_json::from_value(json!({
            "name": "Acme",
            "id": "0190f4c2-7a1b-7c3d-8e4f-a5b6c7d8e9f0",
            "version": 7,
            "created_at": "2026-11-01T09:00:00Z",
            "updated_at": "2026-11-02T09:00:00Z",
            "is_default": true,
        }))
        .expect("a record");
        assert_eq!(record.version, 7);
        assert!(!record.deleted, "deleted defaults to false");
        assert_eq!(record.text("name"), Some("Acme"));
        assert!(record.flag("is_default"));
        assert_eq!(record.fields.len(), 2);
        let again: Record =
            serde_json::from_str(&serde_json::to_string(&record).expect("encodes")).expect("reads");
        assert_eq!(again, record);
    }

    #[test]
    fn names_a_missing_or_repeated_bookkeeping_key() {
        let missing = serde_json::from_value::<Record>(json!({
            "id": "0190f4c2-7a1b-7c3d-8e4f-a5b6c7d8e9f0",
            "created_at": "2026-11-01T09:00:00Z",
            "updated_at": "2026-11-02T09:00:00Z",
        }))
        .expect_err("no version");
        assert!(missing.to_string().contains("`version`"), "{missing}");
        let repeated = serde_json::from_str::<Record>(
            r#"{"id":"0190f4c2-7a1b-7c3d-8e4f-a5b6c7d8e9f0","version":1,"version":2,
                "created_at":"2026-11-01T09:00:00Z","updated_at":"2026-11-02T09:00:00Z"}"#,
        )
        .expect_err("two versions");
        assert!(repeated.to_string().contains("`version`"), "{repeated}");
    }
}
