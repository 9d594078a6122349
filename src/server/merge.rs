//! Per-field merge of an incoming change into a stored record (DESIGN.md section 4).

use super::repository::StoredRecord;
use crate::sync::FieldConflict;
use serde_json::{Map, Value};

/// What merging one change would do.
#[derive(Debug, Default, PartialEq)]
pub struct Merge {
    /// Fields whose value changes.
    pub changed: Vec<String>,
    /// Changed fields that someone else changed after the client's base version.
    pub conflicts: Vec<FieldConflict>,
}

/// Compares an incoming patch with the stored record, field by field.
///
/// A field changed on the server after `base_version` to a value other than
/// the incoming one is a concurrent edit: the incoming value still wins (it
/// reached the server last) and the overwritten one is reported. Fields the
/// patch leaves out are untouched, so edits to different fields merge cleanly.
pub fn merge(stored: &StoredRecord, base_version: i64, patch: &Map<String, Value>) -> Merge {
    let mut merge = Merge::default();
    for (field, mine) in patch {
        let theirs = if field == "deleted" {
            Value::Bool(stored.record.deleted)
        } else {
            stored
                .record
                .fields
                .get(field)
                .cloned()
                .unwrap_or(Value::Null)
        };
        if &theirs == mine {
            continue;
        }
        let changed_at = stored.field_versions.get(field).copied().unwrap_or(0);
        if changed_at > base_version {
            merge.conflicts.push(FieldConflict {
                field: field.clone(),
                theirs,
                mine: mine.clone(),
            });
        }
        merge.changed.push(field.clone());
    }
    merge
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    fn stored() -> StoredRecord {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.version = 12;
        record.apply_patch(
            json!({"name": "Acme", "phone": "1", "email": "a@b.co"})
                .as_object()
                .expect("object"),
        );
        StoredRecord {
            record,
            field_versions: [
                ("name".to_owned(), 3),
                ("phone".to_owned(), 12),
                ("email".to_owned(), 12),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn patch(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_edit_made_on_the_latest_version_has_no_conflict() {
        let merge = merge(&stored(), 12, &patch(json!({"phone": "2"})));
        assert_eq!(merge.changed, ["phone"]);
        assert!(merge.conflicts.is_empty());
    }

    #[test]
    fn a_field_nobody_else_touched_merges_even_from_an_old_base() {
        let merge = merge(&stored(), 5, &patch(json!({"name": "Acme Ltd"})));
        assert_eq!(merge.changed, ["name"]);
        assert!(merge.conflicts.is_empty());
    }

    #[test]
    fn a_field_changed_since_the_base_is_a_conflict_that_keeps_their_value() {
        let merge = merge(
            &stored(),
            5,
            &patch(json!({"phone": "2", "email": "a@b.co"})),
        );
        assert_eq!(merge.changed, ["phone"], "an equal value is not a change");
        assert_eq!(
            merge.conflicts,
            [FieldConflict {
                field: "phone".into(),
                theirs: json!("1"),
                mine: json!("2")
            }]
        );
    }
}
