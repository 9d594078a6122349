//! Taking a merge back: what the server keeps of each merge, and which of
//! it an unmerge may still undo.
//!
//! A merge keeps, per record merged away, the survivor's values it
//! replaced and every record it moved with the version the move wrote.
//! An unmerge within [`UNMERGE_DAYS`] restores the merged-away record and
//! undoes each part nobody has changed since: a record whose reference
//! still carries the move's version goes back, a survivor field still at
//! the merge's version and still holding the merged record's value gets
//! its old value back. Anything changed since stays as it is.

use super::schema::{Entity, FieldError, MERGED_INTO_FIELD};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// How long a merge can be taken back: long enough to notice a wrong
/// merge at the next call with the customer, short enough that what the
/// server keeps for it stays small.
pub const UNMERGE_DAYS: i64 = 30;

/// Whether a merge done at `merged_at` can still be taken back at `now`.
pub fn can_unmerge(merged_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - merged_at <= Duration::days(UNMERGE_DAYS)
}

/// The refusal of an unmerge that came too late, in the same words on
/// the device and on the server.
pub fn too_late_to_unmerge() -> FieldError {
    FieldError::new(
        MERGED_INTO_FIELD,
        format!("A merge can be taken back for {UNMERGE_DAYS} days; this one can no longer be"),
    )
}

/// One record a merge repointed from the merged-away record to the survivor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedRecord {
    /// What kind of record moved.
    pub entity: Entity,
    /// Which one.
    pub id: Uuid,
    /// The reference the merge rewrote (`customer_id`, `record_id`, ...).
    pub column: String,
    /// The version the move gave that reference: if it still has it,
    /// nobody has pointed the record elsewhere since.
    pub version: i64,
    /// A contact that was its customer's default loses the mark when it
    /// moves, and gets it back when it returns.
    pub was_default: bool,
}

/// What the server keeps of a merge, per record merged away.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeUndo {
    /// The record the merge kept.
    pub survivor: Uuid,
    /// The survivor's version written by the merge.
    pub merge_version: i64,
    /// When the merge was applied: the 30 days count from here.
    pub merged_at: DateTime<Utc>,
    /// The survivor's values the merge replaced (`null` where it had none).
    pub survivor_before: Map<String, Value>,
    /// Everything the merge moved from the merged-away record.
    pub moved: Vec<MovedRecord>,
}

impl MergeUndo {
    /// Whether the merge is recent enough to be taken back at `now`.
    pub fn can_undo_at(&self, now: DateTime<Utc>) -> bool {
        can_unmerge(self.merged_at, now)
    }

    /// Whether a moved record may go back: it is live, its reference still
    /// names the survivor, and it still carries the move's version there.
    pub fn may_move_back(
        &self,
        moved: &MovedRecord,
        live: bool,
        reference: Option<Uuid>,
        reference_version: Option<i64>,
    ) -> bool {
        live && reference == Some(self.survivor) && reference_version == Some(moved.version)
    }

    /// The survivor's fields to set back, with their old values: those
    /// the merge set that nobody has changed since and that hold the
    /// merged-away record's value (so they came from it, not from another
    /// record of the same merge).
    pub fn survivor_values_to_restore(
        &self,
        survivor_fields: &Map<String, Value>,
        field_version: impl Fn(&str) -> Option<i64>,
        merged_fields: &Map<String, Value>,
    ) -> Map<String, Value> {
        self.survivor_before
            .iter()
            .filter(|(field, _)| field_version(field) == Some(self.merge_version))
            .filter(|(field, _)| {
                let now = survivor_fields.get(*field).unwrap_or(&Value::Null);
                now == merged_fields.get(*field).unwrap_or(&Value::Null)
            })
            .map(|(field, before)| (field.clone(), before.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn undo(survivor: Uuid) -> MergeUndo {
        MergeUndo {
            survivor,
            merge_version: 40,
            merged_at: Utc::now(),
            survivor_before: match json!({"phone": "+44 1", "city": null}) {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            moved: Vec::new(),
        }
    }

    fn moved(version: i64) -> MovedRecord {
        MovedRecord {
            entity: Entity::Contact,
            id: Uuid::now_v7(),
            column: "customer_id".into(),
            version,
            was_default: false,
        }
    }

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_merge_can_be_undone_for_thirty_days_and_not_after() {
        let kept = undo(Uuid::now_v7());
        assert!(kept.can_undo_at(kept.merged_at + Duration::days(UNMERGE_DAYS)));
        assert!(!kept.can_undo_at(kept.merged_at + Duration::days(UNMERGE_DAYS + 1)));
    }

    #[test]
    fn a_moved_record_goes_back_only_if_nobody_repointed_or_deleted_it() {
        let survivor = Uuid::now_v7();
        let kept = undo(survivor);
        let record = moved(41);
        assert!(kept.may_move_back(&record, true, Some(survivor), Some(41)));
        assert!(!kept.may_move_back(&record, true, Some(survivor), Some(55)));
        assert!(!kept.may_move_back(&record, true, Some(Uuid::now_v7()), Some(41)));
        assert!(!kept.may_move_back(&record, false, Some(survivor), Some(41)));
    }

    #[test]
    fn only_survivor_fields_taken_from_the_record_and_unchanged_since_are_restored() {
        let kept = undo(Uuid::now_v7());
        let survivor = map(json!({"phone": "+44 2", "city": "Leeds"}));
        let merged = map(json!({"phone": "+44 2", "city": "York"}));
        let restored = kept.survivor_values_to_restore(&survivor, |_| Some(40), &merged);
        assert_eq!(restored, map(json!({"phone": "+44 1"})));
        let edited_since = kept.survivor_values_to_restore(
            &survivor,
            |field| Some(if field == "phone" { 52 } else { 40 }),
            &merged,
        );
        assert!(edited_since.is_empty());
        let city_from_it = map(json!({"phone": "+44 9", "city": "Leeds"}));
        let restored = kept.survivor_values_to_restore(&survivor, |_| Some(40), &city_from_it);
        assert_eq!(restored, map(json!({"city": null})));
    }
}
