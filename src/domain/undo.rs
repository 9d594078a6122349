//! Taking back one's own last action (issue 21): what an action wrote,
//! kept so that undoing it is a set of ordinary mutations (so it works
//! offline and syncs), and the plain reason when it cannot be undone
//! because someone has changed the record since.
//!
//! Pure code: the browser records an [`UndoAction`] as it saves and asks
//! [`UndoAction::plan`] for the changes that take it back.

use super::conflict::is_blank;
use super::conversion::converted_lead;
use super::import::BatchChange;
use super::record::{Record, RecordKey};
use super::schema::{normalize_patch, Entity, CHANGED_BY_FIELD, LEAD_CONVERTED, LEAD_STATUSES};
use super::trash::record_title;
use serde_json::{Map, Value};
use uuid::Uuid;

/// One record's part in an action.
#[derive(Clone, Debug, PartialEq)]
pub enum UndoStep {
    /// A record the action created: undone by deleting it.
    Created {
        key: RecordKey,
        wrote: Map<String, Value>,
    },
    /// Fields the action changed (`deleted` for a delete or a restore),
    /// with the values they had and the record's version then.
    Changed {
        key: RecordKey,
        before: Map<String, Value>,
        wrote: Map<String, Value>,
        base_version: i64,
    },
    /// Records the action merged away: undone by unmerging them.
    Merged { entity: Entity, merged: Vec<Uuid> },
    /// A lead the action converted: undone by unconverting it, back to
    /// `status_before`. `wrote` is what the conversion set on it.
    Converted {
        key: RecordKey,
        status_before: String,
        wrote: Map<String, Value>,
        base_version: i64,
    },
}

/// What the user just did, as the Undo notice names it ("Deleted Acme").
#[derive(Clone, Debug, PartialEq)]
pub struct UndoAction {
    pub label: String,
    pub steps: Vec<UndoStep>,
}

/// A change that takes an action back: ordinary edits and deletes saved
/// as one batch, unmerges, or the unconversion of a lead (to a status).
#[derive(Clone, Debug, PartialEq)]
pub enum UndoChange {
    Batch(BatchChange),
    Unmerge(Entity, Uuid),
    Unconvert { lead: Uuid, status: String },
}

/// A field's value as a record holds it; a missing field is empty.
fn value_of(record: &Record, field: &str) -> Value {
    if field == "deleted" {
        return Value::Bool(record.deleted);
    }
    record.fields.get(field).cloned().unwrap_or(Value::Null)
}

/// Whether two values say the same: empty text and no value are alike,
/// as the forms write them.
fn same(a: &Value, b: &Value) -> bool {
    a == b || (is_blank(a) && is_blank(b))
}

impl UndoStep {
    /// The step for a save of `patch` over `before` (`None`: a new record).
    pub fn of_save(key: RecordKey, before: Option<&Record>, patch: &Map<String, Value>) -> Self {
        // As the device and the server store it, so that a value trimmed
        // on save does not read as changed since.
        let patch = &normalize_patch(key.entity, patch).unwrap_or_else(|_| patch.clone());
        match before {
            None => UndoStep::Created {
                key,
                wrote: patch.clone(),
            },
            Some(record) => UndoStep::Changed {
                key,
                before: patch
                    .keys()
                    .map(|field| (field.clone(), value_of(record, field)))
                    .collect(),
                wrote: patch.clone(),
                base_version: record.version,
            },
        }
    }

    /// The step for the delete of a live record.
    pub fn of_delete(key: RecordKey, record: &Record) -> Self {
        let deleted: Map<String, Value> = [("deleted".to_owned(), Value::Bool(true))]
            .into_iter()
            .collect();
        Self::of_save(key, Some(record), &deleted)
    }

    /// The step for the conversion of `lead` into `customer_id`.
    pub fn of_conversion(lead: &Record, customer_id: Uuid) -> Self {
        let status_before = lead
            .fields
            .get("status")
            .and_then(Value::as_str)
            .filter(|status| *status != LEAD_CONVERTED)
            // Status is required, so only a record from before it was
            // has none: it goes back to the first, as a new lead.
            .unwrap_or(LEAD_STATUSES[0])
            .to_owned();
        UndoStep::Converted {
            key: RecordKey::new(Entity::Lead, lead.id),
            status_before,
            wrote: converted_lead(customer_id),
            base_version: lead.version,
        }
    }

    /// Why this step cannot be taken back, if it cannot: a field it wrote
    /// holds something else now, or another member changed the record
    /// after it. `current` reads a record as last known, tombstones
    /// included; `name_of` says who changed it ("Ada", "you").
    fn refusal(
        &self,
        current: &impl Fn(RecordKey) -> Option<Record>,
        me: Option<Uuid>,
        name_of: &impl Fn(Uuid) -> String,
    ) -> Option<String> {
        let (key, wrote, base_version) = match self {
            UndoStep::Created { key, wrote } => (key, wrote, 0),
            UndoStep::Changed {
                key,
                wrote,
                base_version,
                ..
            }
            | UndoStep::Converted {
                key,
                wrote,
                base_version,
                ..
            } => (key, wrote, *base_version),
            UndoStep::Merged { .. } => return None,
        };
        let Some(record) = current(*key) else {
            return Some(format!("That {} no longer exists", key.entity.label()));
        };
        let title = record_title(key.entity, &record);
        let changer = record
            .reference(CHANGED_BY_FIELD)
            .filter(|changer| Some(*changer) != me);
        let who = changer.map_or_else(|| "Someone".to_owned(), name_of);
        if let Some(field) = wrote
            .iter()
            .find(|(field, value)| !same(&value_of(&record, field), value))
            .map(|(field, _)| field)
        {
            let what = match field.as_str() {
                "deleted" if record.deleted => format!("deleted {title}"),
                "deleted" => format!("restored {title}"),
                field => format!(
                    "changed the {} of {title}",
                    key.entity
                        .field(field)
                        .map_or(field, |spec| spec.label)
                        .to_lowercase()
                ),
            };
            let who = if changer.is_none() && record.reference(CHANGED_BY_FIELD) == me {
                "You".to_owned()
            } else {
                who
            };
            return Some(format!("{who} {what} since"));
        }
        (changer.is_some() && record.version > base_version)
            .then(|| format!("{who} changed {title} since"))
    }

    /// The changes that take this step back.
    fn reverse(&self) -> Vec<UndoChange> {
        match self {
            UndoStep::Created { key, .. } => vec![UndoChange::Batch(BatchChange::Delete {
                entity: key.entity,
                id: key.id,
            })],
            UndoStep::Changed { key, before, .. } => {
                if before.get("deleted") == Some(&Value::Bool(true)) {
                    return vec![UndoChange::Batch(BatchChange::Delete {
                        entity: key.entity,
                        id: key.id,
                    })];
                }
                vec![UndoChange::Batch(BatchChange::Upsert {
                    entity: key.entity,
                    id: key.id,
                    fields: before.clone(),
                })]
            }
            UndoStep::Merged { entity, merged } => merged
                .iter()
                .map(|id| UndoChange::Unmerge(*entity, *id))
                .collect(),
            UndoStep::Converted {
                key, status_before, ..
            } => vec![UndoChange::Unconvert {
                lead: key.id,
                status: status_before.clone(),
            }],
        }
    }
}

impl UndoAction {
    /// The changes that take the whole action back, or why it cannot be:
    /// all of it or nothing, so an undo never leaves half an action.
    pub fn plan(
        &self,
        current: impl Fn(RecordKey) -> Option<Record>,
        me: Option<Uuid>,
        name_of: impl Fn(Uuid) -> String,
    ) -> Result<Vec<UndoChange>, String> {
        if let Some(refusal) = self
            .steps
            .iter()
            .find_map(|step| step.refusal(&current, me, &name_of))
        {
            return Err(refusal);
        }
        // Taken back newest first: a contact created after its customer
        // goes before the customer does.
        Ok(self
            .steps
            .iter()
            .rev()
            .flat_map(UndoStep::reverse)
            .collect())
    }
}

/// What the Undo notice says.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// An action just done, which the notice offers to undo.
    Done(UndoAction),
    /// The action was taken back.
    Undone(String),
    /// It could not be, and why.
    Refused(String),
    /// Something the device did on its own that the user should know.
    Told(String),
}

/// The notice shown now; the number tells one notice from the next, so a
/// notice's timer hides only its own.
pub type ShownNotice = Option<(u64, Notice)>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn acme(version: i64, changed_by: Uuid) -> Record {
        let mut record = Record::new_local(Uuid::now_v7(), chrono::Utc::now());
        record.version = version;
        record.fields = fields(json!({"name": "Acme", "phone": "+44 1",
            "changed_by": changed_by.to_string()}));
        record
    }

    #[test]
    fn an_edit_is_undone_by_writing_back_the_values_it_replaced() {
        let me = Uuid::now_v7();
        let before = acme(4, me);
        let key = RecordKey::new(Entity::Customer, before.id);
        let patch = fields(json!({"phone": "+44 2", "city": "Leeds"}));
        let step = UndoStep::of_save(key, Some(&before), &patch);
        let mut after = before.clone();
        after.apply_patch(&patch);
        after.version = 5;
        let action = UndoAction {
            label: "Saved Acme".into(),
            steps: vec![step],
        };
        let plan = action.plan(|_| Some(after.clone()), Some(me), |_| "Ada".into());
        assert_eq!(
            plan,
            Ok(vec![UndoChange::Batch(BatchChange::Upsert {
                entity: Entity::Customer,
                id: before.id,
                fields: fields(json!({"phone": "+44 1", "city": null})),
            })])
        );
    }

    #[test]
    fn an_undo_refuses_and_names_who_when_someone_else_changed_the_record_since() {
        let me = Uuid::now_v7();
        let ada = Uuid::now_v7();
        let before = acme(4, me);
        let key = RecordKey::new(Entity::Customer, before.id);
        let action = UndoAction {
            label: "Saved Acme".into(),
            steps: vec![UndoStep::of_save(
                key,
                Some(&before),
                &fields(json!({"phone": "+44 2"})),
            )],
        };
        let name_of = |id: Uuid| if id == ada { "Ada".into() } else { "?".into() };
        let mut theirs = before.clone();
        theirs.apply_patch(&fields(
            json!({"phone": "+44 3", "changed_by": ada.to_string()}),
        ));
        theirs.version = 6;
        assert_eq!(
            action.plan(|_| Some(theirs.clone()), Some(me), name_of),
            Err("Ada changed the phone of Acme since".into())
        );
        let mut other_field = before.clone();
        other_field.apply_patch(&fields(json!({"phone": "+44 2", "city": "York",
            "changed_by": ada.to_string()})));
        other_field.version = 6;
        assert_eq!(
            action.plan(|_| Some(other_field.clone()), Some(me), name_of),
            Err("Ada changed Acme since".into())
        );
    }

    #[test]
    fn a_delete_is_undone_by_a_restore_unless_it_was_restored_since() {
        let me = Uuid::now_v7();
        let live = acme(4, me);
        let key = RecordKey::new(Entity::Customer, live.id);
        let action = UndoAction {
            label: "Deleted Acme".into(),
            steps: vec![UndoStep::of_delete(key, &live)],
        };
        let mut gone = live.clone();
        gone.deleted = true;
        assert_eq!(
            action.plan(|_| Some(gone.clone()), Some(me), |_| "Ada".into()),
            Ok(vec![UndoChange::Batch(BatchChange::Upsert {
                entity: Entity::Customer,
                id: live.id,
                fields: fields(json!({"deleted": false})),
            })])
        );
        assert_eq!(
            action.plan(|_| Some(live.clone()), Some(me), |_| "Ada".into()),
            Err("You restored Acme since".into())
        );
    }

    #[test]
    fn a_creation_is_undone_by_a_delete_and_a_merge_by_unmerges() {
        let me = Uuid::now_v7();
        let created = acme(0, me);
        let key = RecordKey::new(Entity::Customer, created.id);
        let gone = Uuid::now_v7();
        let action = UndoAction {
            label: "Merged".into(),
            steps: vec![
                UndoStep::of_save(key, None, &created.fields),
                UndoStep::Merged {
                    entity: Entity::Customer,
                    merged: vec![gone],
                },
            ],
        };
        assert_eq!(
            action.plan(|_| Some(created.clone()), Some(me), |_| "Ada".into()),
            Ok(vec![
                UndoChange::Unmerge(Entity::Customer, gone),
                UndoChange::Batch(BatchChange::Delete {
                    entity: Entity::Customer,
                    id: created.id,
                }),
            ])
        );
        assert_eq!(
            action.plan(|_| None, Some(me), |_| "Ada".into()),
            Err("That customer no longer exists".into())
        );
    }

    #[test]
    fn a_conversion_is_undone_by_unconverting_the_lead_then_deleting_what_it_made() {
        let me = Uuid::now_v7();
        let ada = Uuid::now_v7();
        let mut lead = Record::new_local(Uuid::now_v7(), chrono::Utc::now());
        lead.version = 3;
        lead.fields = fields(json!({"person_name": "Jane", "status": "Qualified"}));
        let customer = acme(0, me);
        let customer_key = RecordKey::new(Entity::Customer, customer.id);
        let action = UndoAction {
            label: "Converted Jane into Acme".into(),
            steps: vec![
                UndoStep::Created {
                    key: customer_key,
                    wrote: fields(json!({"name": "Acme"})),
                },
                UndoStep::of_conversion(&lead, customer.id),
            ],
        };
        let mut converted = lead.clone();
        converted.apply_patch(&converted_lead(customer.id));
        converted.version = 4;
        converted
            .fields
            .insert(CHANGED_BY_FIELD.into(), me.to_string().into());
        let current = |key: RecordKey| {
            Some(if key == customer_key {
                customer.clone()
            } else {
                converted.clone()
            })
        };
        assert_eq!(
            action.plan(current, Some(me), |_| "Ada".into()),
            Ok(vec![
                UndoChange::Unconvert {
                    lead: lead.id,
                    status: "Qualified".into(),
                },
                UndoChange::Batch(BatchChange::Delete {
                    entity: Entity::Customer,
                    id: customer.id,
                }),
            ])
        );
        let mut edited = converted.clone();
        edited.apply_patch(&fields(
            json!({"notes": "called", "changed_by": ada.to_string()}),
        ));
        edited.version = 5;
        let current = |key: RecordKey| {
            Some(if key == customer_key {
                customer.clone()
            } else {
                edited.clone()
            })
        };
        assert_eq!(
            action.plan(current, Some(me), |_| "Ada".into()),
            Err("Ada changed Jane since".into())
        );
    }
}
