//! The Trash (issue 21): what was deleted in the last 30 days, each with
//! what went with it, so that a mistaken delete is one click from undone.
//!
//! Pure code: which tombstones are listed, how they are named and
//! counted, and what stops one from being restored.

use super::listing::Listed;
use super::record::{Record, RecordKey};
use super::schema::{Entity, DELETED_WITH_FIELD, MERGED_INTO_FIELD};
use super::search::SearchText;
use chrono::{DateTime, Duration, Utc};
use std::cmp::Ordering;
use std::collections::HashMap;
use uuid::Uuid;

/// How long a deleted record stays in the Trash.
pub const TRASH_DAYS: i64 = 30;

/// Whether the server has purged this record from the Trash, given the
/// highest version it purged: a tombstone written no later than that. A
/// record merged away is never purged (later edits that name it follow it
/// to its survivor), and versions only grow, so every older tombstone went.
pub fn purged_by_server(record: &Record, purged_through: i64) -> bool {
    record.deleted
        && record.version <= purged_through
        && record.reference(MERGED_INTO_FIELD).is_none()
}

/// The entities the Trash lists, in the order its filter bar offers them.
pub const TRASHED_ENTITIES: [Entity; 5] = [
    Entity::Customer,
    Entity::Contact,
    Entity::Lead,
    Entity::Opportunity,
    Entity::Activity,
];

/// The words of the Trash's filter bar, one per [`TRASHED_ENTITIES`].
const TRASH_FILTERS: &[&str] = &[
    "Customers",
    "Contacts",
    "Leads",
    "Opportunities",
    "Activities",
];

/// How a record is named in messages and lists: a customer's name, a
/// lead's company or person, a contact's full name, a deal's title, an
/// activity's subject; its entity's label when it has none.
pub fn record_title(entity: Entity, record: &Record) -> String {
    let text = |field: &str| record.text(field).map(str::trim).filter(|t| !t.is_empty());
    let title = match entity {
        Entity::Customer => text("name").map(str::to_owned),
        Entity::Lead => text("company_name")
            .or_else(|| text("person_name"))
            .map(str::to_owned),
        Entity::Contact => {
            let name = [text("first_name"), text("last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            Some(name).filter(|name| !name.is_empty())
        }
        Entity::Opportunity => text("title").map(str::to_owned),
        Entity::Activity => text("subject").map(str::to_owned),
        Entity::Conflict => None,
    };
    title.unwrap_or_else(|| entity.label().to_owned())
}

/// One row of the Trash: a record deleted on its own (not merged away,
/// not taken along by another delete) and how many went with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trashed {
    pub key: RecordKey,
    pub title: String,
    /// The filter word of its entity ("Customers").
    pub kind: &'static str,
    pub deleted_at: DateTime<Utc>,
    /// Records its delete took along, restored with it.
    pub went_with: usize,
    /// Why it cannot be restored as it is (its customer is deleted too).
    pub blocked: Option<String>,
    search: SearchText,
}

impl Listed for Trashed {
    const STATUSES: &'static [&'static str] = TRASH_FILTERS;

    fn id(&self) -> Uuid {
        self.key.id
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn status(&self) -> &str {
        self.kind
    }

    fn owner(&self) -> Option<Uuid> {
        None
    }

    fn search_text(&self) -> &SearchText {
        &self.search
    }

    /// The latest delete first.
    fn list_order(&self, other: &Self) -> Ordering {
        other
            .deleted_at
            .cmp(&self.deleted_at)
            .then_with(|| self.key.cmp(&other.key))
    }
}

/// Whether a tombstone deleted at `deleted_at` is still in the Trash.
pub fn still_in_trash(deleted_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - deleted_at < Duration::days(TRASH_DAYS)
}

/// The records a restore needs alive first: a contact's customer, a deal's
/// customer or lead, an activity's parents. Named with the field that
/// points at them.
fn parents(entity: Entity, record: &Record) -> Vec<(&'static str, RecordKey)> {
    let columns: &[(&str, Entity)] = match entity {
        Entity::Contact => &[("customer_id", Entity::Customer)],
        Entity::Opportunity => &[("customer_id", Entity::Customer), ("lead_id", Entity::Lead)],
        Entity::Activity => &[
            ("customer_id", Entity::Customer),
            ("contact_id", Entity::Contact),
            ("lead_id", Entity::Lead),
            ("opportunity_id", Entity::Opportunity),
        ],
        Entity::Customer | Entity::Lead | Entity::Conflict => &[],
    };
    columns
        .iter()
        .filter_map(|(column, parent)| {
            record
                .reference(column)
                .map(|id| (*column, RecordKey::new(*parent, id)))
        })
        .collect()
}

/// Why a deleted record cannot come back on its own: a record it hangs off
/// is deleted too (restore that one first) or gone.
pub fn restore_blocker(
    entity: Entity,
    record: &Record,
    find: impl Fn(RecordKey) -> Option<(bool, String)>,
) -> Option<String> {
    parents(entity, record).into_iter().find_map(|(_, parent)| {
        let label = parent.entity.label();
        match find(parent) {
            Some((true, _)) => None,
            Some((false, name)) => Some(format!(
                "Its {label} {name} is deleted too: restore that first"
            )),
            None => Some(format!("Its {label} no longer exists")),
        }
    })
}

/// The Trash: every record deleted on its own within [`TRASH_DAYS`] of
/// `now`, with the count of what went with it. `tombstones` are the
/// deleted records of the Trash's entities; `went_with` counts, by id,
/// the records deleted with each; `find` reads any record (live or not,
/// with its title) to tell whether a restore is blocked.
pub fn trashed<'a>(
    tombstones: impl IntoIterator<Item = (Entity, &'a Record)>,
    went_with: &HashMap<Uuid, usize>,
    now: DateTime<Utc>,
    find: impl Fn(RecordKey) -> Option<(bool, String)>,
) -> Vec<Trashed> {
    tombstones
        .into_iter()
        .filter(|(_, record)| {
            record.deleted
                && record.reference(MERGED_INTO_FIELD).is_none()
                && record.reference(DELETED_WITH_FIELD).is_none()
                && still_in_trash(record.updated_at, now)
        })
        .filter_map(|(entity, record)| {
            let at = TRASHED_ENTITIES
                .iter()
                .position(|listed| *listed == entity)?;
            let kind = TRASH_FILTERS[at];
            let title = record_title(entity, record);
            let email = record.text("email").unwrap_or_default();
            let phone = record.text("phone").unwrap_or_default();
            Some(Trashed {
                key: RecordKey::new(entity, record.id),
                search: SearchText::new(&[&title, email], &[phone]),
                title,
                kind,
                deleted_at: record.updated_at,
                went_with: went_with.get(&record.id).copied().unwrap_or(0),
                blocked: restore_blocker(entity, record, &find),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn record(fields: Value, deleted: bool, days_ago: i64, now: DateTime<Utc>) -> Record {
        let mut record = Record::new_local(Uuid::now_v7(), now - Duration::days(days_ago));
        record.deleted = deleted;
        if let Value::Object(fields) = fields {
            record.fields = fields;
        }
        record
    }

    #[test]
    fn the_trash_lists_what_was_deleted_on_its_own_in_the_last_thirty_days_newest_first() {
        let now = Utc::now();
        let acme = record(json!({"name": "Acme"}), true, 2, now);
        let old = record(json!({"name": "Old Ltd"}), true, TRASH_DAYS, now);
        let live = record(json!({"name": "Live"}), false, 1, now);
        let merged = record(
            json!({"name": "Dup", MERGED_INTO_FIELD: acme.id.to_string()}),
            true,
            1,
            now,
        );
        let kim = record(
            json!({"first_name": "Kim", "customer_id": acme.id.to_string(),
                   DELETED_WITH_FIELD: acme.id.to_string()}),
            true,
            2,
            now,
        );
        let lead = record(json!({"person_name": "Jo Bloggs"}), true, 1, now);
        let counts = HashMap::from([(acme.id, 1)]);
        let listed = trashed(
            [
                (Entity::Customer, &acme),
                (Entity::Customer, &old),
                (Entity::Customer, &live),
                (Entity::Customer, &merged),
                (Entity::Contact, &kim),
                (Entity::Lead, &lead),
            ],
            &counts,
            now,
            |_| None,
        );
        let mut listed = listed;
        listed.sort_by(Trashed::list_order);
        let titles: Vec<(&str, &str, usize)> = listed
            .iter()
            .map(|row| (row.title.as_str(), row.kind, row.went_with))
            .collect();
        assert_eq!(
            titles,
            vec![("Jo Bloggs", "Leads", 0), ("Acme", "Customers", 1)],
            "not the 30-day-old one, the live one, the merged one, or Kim who went with Acme"
        );
    }

    #[test]
    fn a_record_whose_parent_is_deleted_too_says_to_restore_that_first() {
        let now = Utc::now();
        let acme = Uuid::now_v7();
        let kim = record(
            json!({"first_name": "Kim", "customer_id": acme.to_string()}),
            true,
            1,
            now,
        );
        let deleted_parent = |_| Some((false, "Acme".to_owned()));
        assert_eq!(
            restore_blocker(Entity::Contact, &kim, deleted_parent).as_deref(),
            Some("Its customer Acme is deleted too: restore that first")
        );
        assert_eq!(
            restore_blocker(Entity::Contact, &kim, |_| Some((true, "Acme".into()))),
            None
        );
        assert_eq!(
            restore_blocker(Entity::Contact, &kim, |_| None).as_deref(),
            Some("Its customer no longer exists")
        );
    }

    #[test]
    fn records_are_named_by_what_people_call_them() {
        let now = Utc::now();
        let named = |entity, fields| record_title(entity, &record(fields, false, 0, now));
        assert_eq!(
            named(
                Entity::Contact,
                json!({"first_name": "Kim", "last_name": "Lee"})
            ),
            "Kim Lee"
        );
        assert_eq!(
            named(
                Entity::Lead,
                json!({"person_name": "Jo", "company_name": "Jo Ltd"})
            ),
            "Jo Ltd"
        );
        assert_eq!(
            named(Entity::Opportunity, json!({"title": "Renewal"})),
            "Renewal"
        );
        assert_eq!(named(Entity::Activity, json!({"subject": " "})), "activity");
    }
}
