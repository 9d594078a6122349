//! Typed view of a conflict: a value someone's edit overwrote.

use super::record::Record;
use super::schema::Entity;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// One overwritten field value, as the record page offers to restore it.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    pub field: String,
    /// The value that was overwritten.
    pub theirs: Value,
    /// The value that replaced it.
    pub mine: Value,
    /// The member whose edit overwrote it: a person, never a device's
    /// client id, which every member of the workspace would see.
    pub changed_by: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub resolved: bool,
}

fn json(record: &Record, field: &str) -> Value {
    record
        .text(field)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null)
}

impl Conflict {
    /// `None` for a row that names no known record (written by a newer server).
    pub fn from_record(record: &Record) -> Option<Self> {
        Some(Self {
            id: record.id,
            entity: serde_json::from_value(Value::String(record.text("record_entity")?.to_owned()))
                .ok()?,
            record_id: record.reference("record_id")?,
            field: record.text("field")?.to_owned(),
            theirs: json(record, "theirs"),
            mine: json(record, "mine"),
            changed_by: record.reference("changed_by"),
            at: record.created_at,
            resolved: record.flag("resolved"),
        })
    }

    /// The field's label, as the form shows it.
    pub fn field_label(&self) -> &str {
        self.entity
            .field(&self.field)
            .map_or(self.field.as_str(), |spec| spec.label)
    }
}

/// Whether a value is nothing at all: no value, or the empty text a form
/// writes for a field left empty.
pub fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str() == Some("")
}

/// A field value as users read it: text as is, nothing as "(empty)".
pub fn display_value(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".to_owned(),
        Value::String(text) if text.is_empty() => "(empty)".to_owned(),
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}
