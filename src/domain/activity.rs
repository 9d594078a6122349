//! Typed view of an activity, record timelines and the task list.

use super::customer::text;
use super::record::Record;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// A call, e-mail, meeting, note or task, read from a [`Record`].
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    /// The member it is assigned to (the wire's `owner`).
    pub assignee: Option<Uuid>,
    /// Who made its last change, as the server recorded it.
    pub changed_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

fn time(record: &Record, field: &str) -> Option<DateTime<Utc>> {
    record
        .text(field)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
}

impl Activity {
    pub fn from_record(record: &Record) -> Self {
        Self {
            id: record.id,
            customer_id: record.reference("customer_id"),
            contact_id: record.reference("contact_id"),
            lead_id: record.reference("lead_id"),
            opportunity_id: record.reference("opportunity_id"),
            kind: text(record, "kind"),
            subject: text(record, "subject"),
            body: text(record, "body"),
            due_at: time(record, "due_at"),
            done_at: time(record, "done_at"),
            assignee: record.reference("owner"),
            changed_by: record.reference(super::schema::CHANGED_BY_FIELD),
            created_at: record.created_at,
        }
    }

    /// A task not yet done: what "My tasks" lists.
    pub fn is_open_task(&self) -> bool {
        self.kind == "task" && self.done_at.is_none()
    }

    /// An open task whose due time has passed.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.is_open_task() && self.due_at.is_some_and(|due| due < now)
    }

    /// Where the activity sits on a timeline: when it happened, else when it
    /// is due, else when it was written down.
    pub fn timeline_at(&self) -> DateTime<Utc> {
        self.done_at.or(self.due_at).unwrap_or(self.created_at)
    }
}

/// The records whose activities make up one timeline: a customer's timeline
/// also holds those of its contacts, its opportunities and the leads
/// converted into it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineScope {
    pub customers: HashSet<Uuid>,
    pub contacts: HashSet<Uuid>,
    pub leads: HashSet<Uuid>,
    pub opportunities: HashSet<Uuid>,
}

impl TimelineScope {
    pub fn includes(&self, activity: &Activity) -> bool {
        let any = |id: Option<Uuid>, set: &HashSet<Uuid>| id.is_some_and(|id| set.contains(&id));
        any(activity.customer_id, &self.customers)
            || any(activity.contact_id, &self.contacts)
            || any(activity.lead_id, &self.leads)
            || any(activity.opportunity_id, &self.opportunities)
    }

    /// Whether an activity's record belongs to the scope, read without
    /// making an [`Activity`] of it (see [`TimelineScope::includes`]).
    pub fn holds(&self, record: &Record) -> bool {
        let any = |field: &str, set: &HashSet<Uuid>| {
            !set.is_empty() && record.reference(field).is_some_and(|id| set.contains(&id))
        };
        any("customer_id", &self.customers)
            || any("contact_id", &self.contacts)
            || any("lead_id", &self.leads)
            || any("opportunity_id", &self.opportunities)
    }

    /// The scope's activities, newest first.
    pub fn timeline(&self, activities: impl IntoIterator<Item = Activity>) -> Vec<Activity> {
        let mut timeline: Vec<Activity> = activities
            .into_iter()
            .filter(|a| self.includes(a))
            .collect();
        timeline.sort_unstable_by_key(|a| std::cmp::Reverse((a.timeline_at(), a.id)));
        timeline
    }
}

/// Open tasks, soonest due first; tasks without a due date come last.
pub fn open_tasks(activities: impl IntoIterator<Item = Activity>) -> Vec<Activity> {
    let mut tasks: Vec<Activity> = activities
        .into_iter()
        .filter(Activity::is_open_task)
        .collect();
    tasks.sort_unstable_by_key(|task| {
        (task.due_at.is_none(), task.due_at, task.created_at, task.id)
    });
    tasks
}

/// A call, e-mail, meeting or note without a due time happened now; a task
/// or anything with a due time is scheduled until it is marked done. The
/// new activity's fields with `done_at` stamped where it happened now.
pub fn stamp_logged(mut patch: Map<String, Value>, now: DateTime<Utc>) -> Map<String, Value> {
    let kind = patch.get("kind").and_then(Value::as_str).unwrap_or("task");
    let scheduled = patch
        .get("due_at")
        .and_then(Value::as_str)
        .is_some_and(|due| !due.trim().is_empty());
    if kind != "task" && !scheduled {
        patch.insert("done_at".into(), Value::String(now.to_rfc3339()));
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn activity(fields: Value) -> Activity {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.apply_patch(fields.as_object().expect("object"));
        Activity::from_record(&record)
    }

    #[test]
    fn a_timeline_gathers_linked_records_newest_first() {
        let customer = Uuid::now_v7();
        let contact = Uuid::now_v7();
        let lead = Uuid::now_v7();
        let old = activity(json!({"customer_id": customer.to_string(), "kind": "call",
            "subject": "old", "done_at": "2026-01-01T00:00:00Z"}));
        let via_contact = activity(json!({"contact_id": contact.to_string(), "kind": "email",
            "subject": "via contact", "done_at": "2026-03-01T00:00:00Z"}));
        let via_lead = activity(json!({"lead_id": lead.to_string(), "kind": "note",
            "subject": "via lead", "done_at": "2026-02-01T00:00:00Z"}));
        let elsewhere = activity(json!({"customer_id": Uuid::now_v7().to_string(),
            "kind": "note", "subject": "elsewhere"}));
        let scope = TimelineScope {
            customers: [customer].into(),
            contacts: [contact].into(),
            leads: [lead].into(),
            opportunities: HashSet::new(),
        };
        let subjects: Vec<String> = scope
            .timeline([old, via_contact, via_lead, elsewhere])
            .into_iter()
            .map(|a| a.subject)
            .collect();
        assert_eq!(subjects, ["via contact", "via lead", "old"]);
    }

    #[test]
    fn a_scope_holds_a_record_exactly_when_it_includes_its_activity() {
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let scope = TimelineScope {
            customers: [ids[0]].into(),
            contacts: [ids[1]].into(),
            leads: HashSet::new(),
            opportunities: [ids[3]].into(),
        };
        for field in ["customer_id", "contact_id", "lead_id", "opportunity_id"] {
            for id in &ids {
                let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
                record.apply_patch(
                    json!({ field: id.to_string() })
                        .as_object()
                        .expect("object"),
                );
                assert_eq!(
                    scope.holds(&record),
                    scope.includes(&Activity::from_record(&record)),
                    "{field} = {id}"
                );
            }
        }
    }

    #[test]
    fn open_tasks_come_soonest_first_and_know_when_they_are_overdue() {
        let now = Utc::now();
        let later = activity(
            json!({"kind": "task", "subject": "later", "due_at": (now + chrono::Duration::days(2)).to_rfc3339()}),
        );
        let overdue = activity(
            json!({"kind": "task", "subject": "overdue", "due_at": (now - chrono::Duration::hours(1)).to_rfc3339()}),
        );
        let undated = activity(json!({"kind": "task", "subject": "undated"}));
        let done =
            activity(json!({"kind": "task", "subject": "done", "done_at": now.to_rfc3339()}));
        let call = activity(json!({"kind": "call", "subject": "call"}));
        let tasks = open_tasks([later, overdue, undated, done, call]);
        let subjects: Vec<&str> = tasks.iter().map(|t| t.subject.as_str()).collect();
        assert_eq!(subjects, ["overdue", "later", "undated"]);
        assert!(tasks[0].is_overdue(now));
        assert!(!tasks[1].is_overdue(now));
    }
}
