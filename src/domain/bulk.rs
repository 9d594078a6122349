//! Bulk actions on a list's selected rows (issue 21): one change per
//! record, saved as one batch, so that the outbox holds them together and
//! one Undo takes them all back.
//!
//! Pure code: which records an action changes, how, and what the notice
//! calls it.

use super::activity::stamp_logged;
use super::conversion::is_converted;
use super::import::BatchChange;
use super::record::Record;
use super::schema::{Entity, OWNER_FIELD};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What a bulk action does to each selected record.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkAction {
    /// Gives each the status.
    Status(String),
    /// Gives each to this member.
    Owner { id: Uuid, name: String },
    /// Logs (or schedules, for a task) one activity on each.
    Activity { kind: String, subject: String },
    /// Deletes each, with what goes with it.
    Delete,
}

/// The changes of a bulk action, and the records it leaves alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkPlan {
    pub changes: Vec<BatchChange>,
    /// Selected records the action does not apply to: converted leads
    /// (their status and existence are their customer's history) and
    /// records already as asked.
    pub left_alone: usize,
}

/// Plans `action` over the selected `records` of `entity`, made at `now`
/// with ids from `new_id` for the activities it creates.
pub fn plan_bulk<'a>(
    entity: Entity,
    records: impl IntoIterator<Item = &'a Record>,
    action: &BulkAction,
    now: DateTime<Utc>,
    mut new_id: impl FnMut() -> Uuid,
) -> BulkPlan {
    let mut plan = BulkPlan::default();
    for record in records {
        let converted = entity == Entity::Lead && is_converted(&record.fields);
        let one_field = |field: &str, value: Value| -> Option<BatchChange> {
            (record.fields.get(field) != Some(&value)).then(|| BatchChange::Upsert {
                entity,
                id: record.id,
                fields: [(field.to_owned(), value)].into_iter().collect(),
            })
        };
        let change = match action {
            BulkAction::Status(_) | BulkAction::Delete if converted => None,
            BulkAction::Status(status) => one_field("status", Value::String(status.clone())),
            BulkAction::Owner { id, .. } => one_field(OWNER_FIELD, Value::String(id.to_string())),
            BulkAction::Delete => Some(BatchChange::Delete {
                entity,
                id: record.id,
            }),
            BulkAction::Activity { kind, subject } => {
                let parent = match entity {
                    Entity::Customer => "customer_id",
                    Entity::Lead => "lead_id",
                    _ => "opportunity_id",
                };
                let fields: Map<String, Value> = [
                    (parent.to_owned(), Value::String(record.id.to_string())),
                    ("kind".to_owned(), Value::String(kind.clone())),
                    ("subject".to_owned(), Value::String(subject.clone())),
                ]
                .into_iter()
                .collect();
                Some(BatchChange::Upsert {
                    entity: Entity::Activity,
                    id: new_id(),
                    fields: stamp_logged(fields, now),
                })
            }
        };
        match change {
            Some(change) => plan.changes.push(change),
            None => plan.left_alone += 1,
        }
    }
    plan
}

/// What the Undo notice calls a bulk action over `count` records whose
/// plural is `plural` ("customers").
pub fn bulk_label(action: &BulkAction, count: usize, plural: &str) -> String {
    match action {
        BulkAction::Status(status) => format!("Changed the status of {count} {plural} to {status}"),
        BulkAction::Owner { name, .. } => format!("Gave {count} {plural} to {name}"),
        BulkAction::Activity { kind, subject } => {
            format!("Added the {kind} \u{201c}{subject}\u{201d} to {count} {plural}")
        }
        BulkAction::Delete => format!("Deleted {count} {plural}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(fields: Value) -> Record {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        if let Value::Object(fields) = fields {
            record.fields = fields;
        }
        record
    }

    #[test]
    fn a_status_change_writes_one_field_per_record_and_skips_those_already_there() {
        let records = [
            record(json!({"name": "A", "status": "Prospect"})),
            record(json!({"name": "B", "status": "Customer"})),
        ];
        let plan = plan_bulk(
            Entity::Customer,
            &records,
            &BulkAction::Status("Customer".into()),
            Utc::now(),
            Uuid::now_v7,
        );
        assert_eq!(
            plan.changes,
            vec![BatchChange::Upsert {
                entity: Entity::Customer,
                id: records[0].id,
                fields: json!({"status": "Customer"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            }]
        );
        assert_eq!(plan.left_alone, 1);
    }

    #[test]
    fn converted_leads_keep_their_status_and_are_not_deleted() {
        let records = [
            record(json!({"person_name": "Jo", "status": "Converted"})),
            record(json!({"person_name": "Al", "status": "New"})),
        ];
        for action in [BulkAction::Status("Lost".into()), BulkAction::Delete] {
            let plan = plan_bulk(Entity::Lead, &records, &action, Utc::now(), Uuid::now_v7);
            assert_eq!((plan.changes.len(), plan.left_alone), (1, 1), "{action:?}");
        }
    }

    #[test]
    fn an_activity_is_added_to_each_record_logged_now_unless_it_is_a_task() {
        let records = [record(json!({"name": "A"})), record(json!({"name": "B"}))];
        let now = Utc::now();
        let call = BulkAction::Activity {
            kind: "call".into(),
            subject: "Price rise".into(),
        };
        let plan = plan_bulk(Entity::Customer, &records, &call, now, Uuid::now_v7);
        assert_eq!(plan.changes.len(), 2);
        for (change, record) in plan.changes.iter().zip(&records) {
            let BatchChange::Upsert { entity, fields, .. } = change else {
                panic!("an upsert: {change:?}");
            };
            assert_eq!(*entity, Entity::Activity);
            assert_eq!(fields["customer_id"], json!(record.id.to_string()));
            assert_eq!(fields["done_at"], json!(now.to_rfc3339()));
        }
        let task = BulkAction::Activity {
            kind: "task".into(),
            subject: "Follow up".into(),
        };
        let plan = plan_bulk(Entity::Lead, &records[..1], &task, now, Uuid::now_v7);
        let BatchChange::Upsert { fields, .. } = &plan.changes[0] else {
            panic!("an upsert");
        };
        assert!(
            fields.get("done_at").is_none(),
            "a task is scheduled, not done"
        );
        assert!(fields.contains_key("lead_id"));
    }

    #[test]
    fn the_notice_says_what_was_done_to_how_many() {
        assert_eq!(
            bulk_label(&BulkAction::Status("Inactive".into()), 250, "customers"),
            "Changed the status of 250 customers to Inactive"
        );
        assert_eq!(
            bulk_label(&BulkAction::Delete, 3, "leads"),
            "Deleted 3 leads"
        );
    }
}
