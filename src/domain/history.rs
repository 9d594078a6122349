//! Record history (issue 21): what each write changed, who made it, on
//! which device and when, as the server records it in the transaction of
//! the write. The rules here are pure: the server decides what an entry
//! says, the browser how it reads and what restoring an old value writes.

use super::record::Record;
use super::schema::{Entity, CHANGED_BY_FIELD, DELETED_WITH_FIELD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What a write did to its record, as a history entry names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryKind {
    Created,
    Edited,
    Deleted,
    Restored,
    Merged,
    Unmerged,
    Converted,
    /// A conversion taken back: the lead is a lead again.
    Unconverted,
}

impl HistoryKind {
    /// The word a history entry starts with.
    pub fn label(self) -> &'static str {
        match self {
            HistoryKind::Created => "Created",
            HistoryKind::Edited => "Edited",
            HistoryKind::Deleted => "Deleted",
            HistoryKind::Restored => "Restored",
            HistoryKind::Merged => "Merged",
            HistoryKind::Unmerged => "Unmerged",
            HistoryKind::Converted => "Converted",
            HistoryKind::Unconverted => "Conversion undone",
        }
    }

    /// The kind a write gets, given what its mutation set out to do
    /// (`doing`) and the record before and after: a contact's flag moved
    /// by the delete of another contact is an edit, a record first
    /// written by a conversion is part of that conversion.
    pub fn of_write(doing: HistoryKind, before: Option<&Record>, after: &Record) -> HistoryKind {
        let Some(before) = before.filter(|before| before.version > 0) else {
            return if doing == HistoryKind::Converted {
                HistoryKind::Converted
            } else {
                HistoryKind::Created
            };
        };
        match (before.deleted, after.deleted) {
            (true, false) if doing == HistoryKind::Unmerged => HistoryKind::Unmerged,
            (true, false) => HistoryKind::Restored,
            (false, true) if doing == HistoryKind::Merged => HistoryKind::Merged,
            (false, true) => HistoryKind::Deleted,
            _ if matches!(
                doing,
                HistoryKind::Merged
                    | HistoryKind::Unmerged
                    | HistoryKind::Converted
                    | HistoryKind::Unconverted
            ) =>
            {
                doing
            }
            _ => HistoryKind::Edited,
        }
    }
}

/// Where a change came from, when it was more than one edit: a client
/// names it on the mutation, so the history can say "imported".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A row of a CSV import.
    Import,
    /// One record of a bulk action on a list.
    Bulk,
    /// Taking back an earlier action.
    Undo,
}

impl Origin {
    /// How a history entry says it: "Edited · import".
    pub fn label(self) -> &'static str {
        match self {
            Origin::Import => "import",
            Origin::Bulk => "bulk action",
            Origin::Undo => "undo",
        }
    }
}

/// One field a write changed: the value it had and the value it got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// One write to one record, as the server recorded it: the unit of a
/// record's History view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The record's version this write made: orders a record's history,
    /// and the history pull's cursor.
    pub version: i64,
    pub entity: Entity,
    pub record_id: Uuid,
    pub kind: HistoryKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The member who made the change; none for the server's own writes
    /// (records handed over when their owner left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Uuid>,
    /// The device the change was made on, as it named itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// When the change was made on the device (its clock); none when the
    /// device did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<DateTime<Utc>>,
    /// When the change reached the server.
    pub received_at: DateTime<Utc>,
}

/// How long after it was made a change must reach the server for the
/// History view to show both times: an edit made online is sent within a
/// second or two, one made offline waits for the network.
pub const LATE_AFTER_SECONDS: i64 = 5;

/// Fields a history never lists: kept by the server for itself, or said
/// by the entry's kind (`deleted`).
fn is_bookkeeping(field: &str) -> bool {
    matches!(field, "deleted") || field == CHANGED_BY_FIELD || field == DELETED_WITH_FIELD
}

/// The fields that differ between `before` (none for a new record) and
/// `after`, in the schema's order, then any others by name. A new record
/// lists only the fields it was given.
pub fn changes_between(
    entity: Entity,
    before: Option<&Record>,
    after: &Record,
) -> Vec<FieldChange> {
    let empty = Map::new();
    let old_fields = before.map_or(&empty, |before| &before.fields);
    let mut names: Vec<&str> = entity.fields().iter().map(|spec| spec.name).collect();
    let mut others: Vec<&str> = old_fields
        .keys()
        .chain(after.fields.keys())
        .map(String::as_str)
        .filter(|name| entity.field(name).is_none())
        .collect();
    others.sort_unstable();
    others.dedup();
    names.extend(others);
    names
        .into_iter()
        .filter(|name| !is_bookkeeping(name))
        .filter_map(|name| {
            let old = old_fields.get(name).cloned().unwrap_or(Value::Null);
            let new = after.fields.get(name).cloned().unwrap_or(Value::Null);
            (old != new).then(|| FieldChange {
                field: name.to_owned(),
                old,
                new,
            })
        })
        .collect()
}

impl HistoryEntry {
    /// Folds a later write of the same record by the same mutation into
    /// this entry: one mutation is one entry per record, whatever number
    /// of times the server wrote it (a conversion's default contact).
    pub fn absorb(&mut self, later: HistoryEntry) {
        self.version = later.version;
        if self.kind == HistoryKind::Edited {
            self.kind = later.kind;
        }
        for change in later.changes {
            match self.changes.iter_mut().find(|c| c.field == change.field) {
                Some(earlier) => earlier.new = change.new,
                None => self.changes.push(change),
            }
        }
        self.changes.retain(|change| change.old != change.new);
    }

    /// Whether this write reached the server long enough after it was made
    /// (an edit made offline) that the History view shows both times.
    pub fn arrived_late(&self) -> bool {
        self.made_at
            .is_some_and(|made| (self.received_at - made).num_seconds() >= LATE_AFTER_SECONDS)
    }

    /// The patch that puts `field` back to the value it had before this
    /// write: an ordinary edit, synced like any other.
    pub fn restore_patch(&self, field: &str) -> Option<Map<String, Value>> {
        let change = self.changes.iter().find(|change| change.field == field)?;
        let mut patch = Map::new();
        patch.insert(change.field.clone(), change.old.clone());
        Some(patch)
    }
}

/// A record's history as the History view lists it: newest first.
pub fn newest_first(mut entries: Vec<HistoryEntry>) -> Vec<HistoryEntry> {
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.version));
    entries.dedup_by_key(|entry| entry.version);
    entries
}

/// A change this device has made to a record and not yet had confirmed
/// by the server: the History view lists it on top, offline too.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedChange {
    pub made_at: Option<DateTime<Utc>>,
    /// The fields the change sets (none for a delete).
    pub fields: Map<String, Value>,
    pub deletes: bool,
}

/// One line of a record's History view: an entry from the server, a value
/// a concurrent edit overwrote, or a change still on its way.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryLine {
    /// Stable across redraws: the entry's version, the conflict's id, or
    /// the queued change's place.
    pub key: String,
    /// "Edited", "Edited · import", "Overwritten at once", "Not synced yet".
    pub headline: String,
    pub author: Option<Uuid>,
    pub device: Option<String>,
    /// When the change was made on its device, if known.
    pub made_at: Option<DateTime<Utc>>,
    /// When it reached the server; none while it is still on this device.
    pub received_at: Option<DateTime<Utc>>,
    pub changes: Vec<FieldChange>,
    /// Whether the old values may be put back (not for a creation, nor a
    /// change still queued).
    pub restorable: bool,
}

impl HistoryLine {
    /// Whether the change reached the server well after it was made (see
    /// [`LATE_AFTER_SECONDS`]), so both times are worth showing.
    pub fn arrived_late(&self) -> bool {
        match (self.made_at, self.received_at) {
            (Some(made), Some(received)) => (received - made).num_seconds() >= LATE_AFTER_SECONDS,
            _ => false,
        }
    }

    /// When the line happened, for ordering: queued changes are newest.
    fn sort_key(&self) -> (bool, Option<DateTime<Utc>>) {
        (
            self.received_at.is_none(),
            self.received_at.or(self.made_at),
        )
    }
}

/// A conflict as a line of the history of the record it names: the value
/// overwritten is the old one, what replaced it the new.
#[derive(Clone, Debug, PartialEq)]
pub struct OverwrittenValue {
    pub id: Uuid,
    pub field: String,
    pub theirs: Value,
    pub mine: Value,
    pub changed_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// A record's History view, newest first: changes queued on this device,
/// then the server's entries and the values overwritten by concurrent
/// edits, by when they reached the server.
pub fn history_lines(
    entries: Vec<HistoryEntry>,
    overwritten: Vec<OverwrittenValue>,
    queued: Vec<QueuedChange>,
    me: Option<Uuid>,
) -> Vec<HistoryLine> {
    let mut lines: Vec<HistoryLine> = newest_first(entries)
        .into_iter()
        .map(|entry| HistoryLine {
            key: format!("v{}", entry.version),
            headline: match entry.origin {
                Some(origin) => format!("{} · {}", entry.kind.label(), origin.label()),
                None => entry.kind.label().to_owned(),
            },
            author: entry.author,
            device: entry.device,
            made_at: entry.made_at,
            received_at: Some(entry.received_at),
            restorable: entry.kind != HistoryKind::Created
                && entry.changes.iter().any(|change| !change.old.is_null()),
            changes: entry.changes,
        })
        .collect();
    lines.extend(overwritten.into_iter().map(|value| HistoryLine {
        key: format!("c{}", value.id),
        headline: "Overwritten by an edit made at the same time".to_owned(),
        author: value.changed_by,
        device: None,
        made_at: None,
        received_at: Some(value.at),
        changes: vec![FieldChange {
            field: value.field,
            old: value.theirs,
            new: value.mine,
        }],
        restorable: true,
    }));
    lines.extend(queued.into_iter().enumerate().map(|(at, change)| {
        HistoryLine {
            key: format!("q{at}"),
            headline: if change.deletes {
                "Deleted · not synced yet".to_owned()
            } else {
                "Not synced yet".to_owned()
            },
            author: me,
            device: None,
            made_at: change.made_at,
            received_at: None,
            changes: change
                .fields
                .into_iter()
                .filter(|(field, _)| !is_bookkeeping(field))
                .map(|(field, new)| FieldChange {
                    field,
                    old: Value::Null,
                    new,
                })
                .collect(),
            restorable: false,
        }
    }));
    // Stable: entries of one push keep their version order.
    lines.sort_by_key(|line| std::cmp::Reverse(line.sort_key()));
    lines
}

/// How a browser names itself in the history, from its user agent:
/// "Chrome on Linux", "Safari on iPad". Unknown parts are left out.
pub fn device_label(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| name);
    let system = [
        ("iPad", "iPad"),
        ("iPhone", "iPhone"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => "a browser".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    fn record(version: i64, deleted: bool, fields: Value) -> Record {
        let Value::Object(fields) = fields else {
            unreachable!("the tests give objects")
        };
        Record {
            id: Uuid::nil(),
            version,
            deleted,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            fields,
        }
    }

    fn entry(version: i64, kind: HistoryKind, changes: Vec<FieldChange>) -> HistoryEntry {
        HistoryEntry {
            version,
            entity: Entity::Customer,
            record_id: Uuid::nil(),
            kind,
            origin: None,
            changes,
            author: None,
            device: None,
            made_at: None,
            received_at: Utc::now(),
        }
    }

    fn change(field: &str, old: Value, new: Value) -> FieldChange {
        FieldChange {
            field: field.into(),
            old,
            new,
        }
    }

    #[test]
    fn a_changed_field_is_listed_with_its_old_and_new_value_and_bookkeeping_is_not() {
        let before = record(3, false, json!({"name": "Acme", "city": "Leeds"}));
        let after = record(
            4,
            false,
            json!({"name": "Acme", "city": "York", "changed_by": "someone"}),
        );
        assert_eq!(
            changes_between(Entity::Customer, Some(&before), &after),
            vec![change("city", json!("Leeds"), json!("York"))]
        );
    }

    #[test]
    fn a_new_record_lists_the_fields_it_was_given() {
        let after = record(1, false, json!({"name": "Acme", "city": null}));
        assert_eq!(
            changes_between(Entity::Customer, None, &after),
            vec![change("name", Value::Null, json!("Acme"))]
        );
    }

    #[test]
    fn the_kind_of_a_write_follows_what_it_did_to_the_record() {
        let live = record(2, false, json!({}));
        let gone = record(3, true, json!({}));
        let merged = record(3, true, json!({"merged_into": "x"}));
        use HistoryKind::*;
        assert_eq!(HistoryKind::of_write(Edited, None, &live), Created);
        assert_eq!(HistoryKind::of_write(Converted, None, &live), Converted);
        assert_eq!(HistoryKind::of_write(Deleted, Some(&live), &gone), Deleted);
        assert_eq!(HistoryKind::of_write(Deleted, Some(&live), &live), Edited);
        assert_eq!(HistoryKind::of_write(Edited, Some(&gone), &live), Restored);
        assert_eq!(
            HistoryKind::of_write(Unmerged, Some(&gone), &live),
            Unmerged
        );
        assert_eq!(HistoryKind::of_write(Merged, Some(&live), &merged), Merged);
        assert_eq!(HistoryKind::of_write(Merged, Some(&live), &live), Merged);
        assert_eq!(
            HistoryKind::of_write(Converted, Some(&live), &live),
            Converted
        );
    }

    #[test]
    fn two_writes_of_one_mutation_fold_into_one_entry_and_a_change_undone_between_them_goes() {
        let mut first = entry(
            5,
            HistoryKind::Edited,
            vec![
                change("is_default", json!(false), json!(true)),
                change("city", json!("Leeds"), json!("York")),
            ],
        );
        first.absorb(entry(
            6,
            HistoryKind::Deleted,
            vec![change("is_default", json!(true), json!(false))],
        ));
        assert_eq!(first.version, 6);
        assert_eq!(first.kind, HistoryKind::Deleted);
        assert_eq!(
            first.changes,
            vec![change("city", json!("Leeds"), json!("York"))]
        );
    }

    #[test]
    fn an_edit_that_waited_offline_says_so_and_one_sent_at_once_does_not() {
        let mut late = entry(1, HistoryKind::Edited, Vec::new());
        late.made_at = Some(late.received_at - Duration::hours(20));
        let mut prompt = late.clone();
        prompt.made_at = Some(prompt.received_at - Duration::seconds(2));
        assert!(late.arrived_late());
        assert!(!prompt.arrived_late());
    }

    #[test]
    fn restoring_an_old_value_is_a_patch_of_that_field_alone() {
        let edit = entry(
            4,
            HistoryKind::Edited,
            vec![change("city", json!("Leeds"), json!("York"))],
        );
        let patch = edit.restore_patch("city").map(Value::Object);
        assert_eq!(patch, Some(json!({"city": "Leeds"})));
        assert_eq!(edit.restore_patch("name"), None);
    }

    #[test]
    fn a_history_lists_the_newest_write_first() {
        let listed = newest_first(vec![
            entry(2, HistoryKind::Created, Vec::new()),
            entry(9, HistoryKind::Edited, Vec::new()),
            entry(5, HistoryKind::Edited, Vec::new()),
        ]);
        let versions: Vec<i64> = listed.iter().map(|entry| entry.version).collect();
        assert_eq!(versions, vec![9, 5, 2]);
    }

    #[test]
    fn a_history_lists_queued_changes_first_then_entries_and_overwritten_values_by_arrival() {
        let now = Utc::now();
        let mut older = entry(
            3,
            HistoryKind::Created,
            vec![change("name", Value::Null, json!("Acme"))],
        );
        older.received_at = now - Duration::hours(2);
        let mut newer = entry(
            7,
            HistoryKind::Edited,
            vec![change("city", json!("Leeds"), json!("York"))],
        );
        newer.received_at = now - Duration::hours(1);
        newer.origin = Some(Origin::Import);
        let overwritten = OverwrittenValue {
            id: Uuid::nil(),
            field: "phone".into(),
            theirs: json!("1"),
            mine: json!("2"),
            changed_by: None,
            at: now - Duration::minutes(90),
        };
        let queued = QueuedChange {
            made_at: Some(now),
            fields: fields_of(json!({"city": "Hull", "changed_by": "x"})),
            deletes: false,
        };
        let lines = history_lines(vec![older, newer], vec![overwritten], vec![queued], None);
        let headlines: Vec<&str> = lines.iter().map(|line| line.headline.as_str()).collect();
        assert_eq!(
            headlines,
            vec![
                "Not synced yet",
                "Edited · import",
                "Overwritten by an edit made at the same time",
                "Created"
            ]
        );
        assert_eq!(
            lines[0].changes,
            vec![change("city", Value::Null, json!("Hull"))]
        );
        let restorable: Vec<bool> = lines.iter().map(|line| line.restorable).collect();
        assert_eq!(restorable, vec![false, true, true, false]);
    }

    fn fields_of(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_browser_names_itself_by_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(chrome), "Chrome on Linux");
        assert_eq!(device_label(ipad), "Safari on iPad");
        assert_eq!(device_label(""), "a browser");
    }
}
