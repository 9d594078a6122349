//! Finding likely duplicates among customers, contacts and leads, and the
//! values a merge of them keeps by default (DESIGN.md, "Merge (duplicates)").
//!
//! The Duplicates page runs this in the browser over the whole local
//! replica, offline, and a workspace may hold 50,000 customers: records are
//! bucketed by normalized key in hash maps and the buckets joined with a
//! union-find, so the work grows with the number of records, never with
//! the number of pairs. Nothing here does I/O; the server compiles it too.

use super::conversion::{is_converted, name_key};
use super::merge_request::{MERGEABLE, MERGE_MAX};
use super::record::Record;
use super::schema::{Entity, FieldKind, FieldSpec};
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// The most records one key may be shared by and still mean "the same
/// one": a switchboard number or an `info@` address on many records says
/// they belong to one organisation, not that each is entered twice, and
/// linking them all would swallow real duplicates in one useless group.
const SHARED_KEY_MAX: usize = 50;

/// The largest group shown. A merge takes at most [`MERGE_MAX`] records,
/// so a bigger group could not be merged from the page anyway, and a
/// component that large is a chain of weak links (keys each shared by a
/// few records, bridging one another) rather than one thing entered many
/// times.
const GROUP_MAX: usize = MERGE_MAX;

/// The fewest digits a phone number needs to identify anyone: shorter
/// ones are extensions or typos that many records share by chance.
const PHONE_DIGITS_MIN: usize = 6;

/// Why records were grouped, shown as a badge beside each group. The
/// order is the order the page lists them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DuplicateReason {
    /// The same e-mail address, ignoring case and surrounding spaces.
    SameEmail,
    /// The same phone number, comparing only its digits.
    SamePhone,
    /// The same name once case, punctuation and legal forms are ignored.
    SameName,
}

impl DuplicateReason {
    /// Every reason, in order; a group's reasons are listed in this order.
    const ALL: [DuplicateReason; 3] = [
        DuplicateReason::SameEmail,
        DuplicateReason::SamePhone,
        DuplicateReason::SameName,
    ];

    /// This reason's bit in a group's set of reasons.
    fn bit(self) -> u8 {
        match self {
            DuplicateReason::SameEmail => 1,
            DuplicateReason::SamePhone => 2,
            DuplicateReason::SameName => 4,
        }
    }
}

/// One group of likely duplicates of one entity: what the Duplicates page
/// lists and a merge is reviewed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// The entity every record of the group is of.
    pub entity: Entity,
    /// The records, oldest first (by `created_at`, then id), so the
    /// record offered to keep by default is the one created first.
    pub ids: Vec<Uuid>,
    /// Every reason that linked two of the records, each once, in order.
    pub reasons: Vec<DuplicateReason>,
}

/// What two records share when they are likely the same.
#[derive(Debug, PartialEq, Eq, Hash)]
enum MatchKey {
    /// A trimmed, lowercased e-mail address.
    Email(String),
    /// The digits of a phone number.
    Phone(String),
    /// A normalized name within the scope it counts in: a contact's
    /// customer, since two "John Smith"s at different customers are two
    /// people; `None` for customers and leads.
    Name(Option<Uuid>, String),
}

impl MatchKey {
    fn reason(&self) -> DuplicateReason {
        match self {
            MatchKey::Email(_) => DuplicateReason::SameEmail,
            MatchKey::Phone(_) => DuplicateReason::SamePhone,
            MatchKey::Name(..) => DuplicateReason::SameName,
        }
    }
}

/// An e-mail address as it is compared: trimmed and lowercased.
fn email_key(email: &str) -> Option<String> {
    let email = email.trim();
    (!email.is_empty()).then(|| email.to_lowercase())
}

/// A phone number as it is compared: its digits, when there are enough.
fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= PHONE_DIGITS_MIN).then_some(digits)
}

/// The name a record is known by, before normalization: a lead's company
/// when it names one (that is what becomes the customer), else its person;
/// a contact's first and last name.
fn display_name(entity: Entity, record: &Record) -> Option<String> {
    let text = |field: &str| record.text(field).map(str::trim).filter(|t| !t.is_empty());
    match entity {
        Entity::Customer => text("name").map(str::to_owned),
        Entity::Lead => text("company_name")
            .or_else(|| text("person_name"))
            .map(str::to_owned),
        Entity::Contact => {
            let first = text("first_name").unwrap_or_default();
            let last = text("last_name").unwrap_or_default();
            Some(format!("{first} {last}"))
        }
        Entity::Opportunity | Entity::Activity | Entity::Conflict => None,
    }
}

/// Whether a record takes part at all: live, and for a lead not yet
/// converted (a converted lead already is its customer; merging it would
/// undo history, not tidy it).
fn is_candidate(entity: Entity, record: &Record) -> bool {
    let converted_lead = entity == Entity::Lead && is_converted(&record.fields);
    !record.deleted && !converted_lead
}

/// Every key a record can be matched by, each once.
fn match_keys(entity: Entity, record: &Record) -> Vec<MatchKey> {
    let mut keys: Vec<MatchKey> = Vec::with_capacity(4);
    let mut add = |key: MatchKey| {
        if !keys.contains(&key) {
            keys.push(key);
        }
    };
    if let Some(email) = record.text("email").and_then(email_key) {
        add(MatchKey::Email(email));
    }
    let phones: &[&str] = match entity {
        Entity::Contact => &["phone", "mobile"],
        _ => &["phone"],
    };
    for field in phones {
        if let Some(phone) = record.text(field).and_then(phone_key) {
            add(MatchKey::Phone(phone));
        }
    }
    let scope = match entity {
        // A contact without a customer has no "same customer" to match in.
        Entity::Contact => record.reference("customer_id").map(Some),
        _ => Some(None),
    };
    if let (Some(scope), Some(name)) = (scope, display_name(entity, record)) {
        let key = name_key(&name);
        if !key.is_empty() {
            add(MatchKey::Name(scope, key));
        }
    }
    keys
}

/// Disjoint sets of record indices, joined as shared keys are found.
struct DisjointSets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl DisjointSets {
    fn new(count: usize) -> Self {
        Self {
            parent: (0..count).collect(),
            size: vec![1; count],
        }
    }

    /// The representative of `index`'s set, halving the path on the way.
    fn find(&mut self, mut index: usize) -> usize {
        while self.parent[index] != index {
            self.parent[index] = self.parent[self.parent[index]];
            index = self.parent[index];
        }
        index
    }

    /// Joins the sets of `a` and `b`, the smaller under the larger.
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}

/// Groups of live records (deleted ones are skipped) of `entity` that are
/// likely the same customer, contact or lead entered more than once, for
/// the Duplicates page. Two records are linked when they share an e-mail
/// (trimmed, lowercased), a phone number's digits (at least six; a
/// contact's phone and mobile both count) or a non-empty normalized name
/// (see [`name_key`]; a lead is named by its company, else its person; a
/// contact by first and last name, and only within one customer, while
/// its e-mail and phones match across customers). Leads already converted
/// are skipped.
///
/// A group is everything linked directly or through others (A and B share
/// an e-mail, B and C a phone: one group of three). A key shared by more
/// than 50 records (a switchboard, an `info@` address) links nothing, and
/// a group of more than 50 records is left out: no merge can take it and
/// it is a chain of weak links rather than one thing entered many times.
///
/// Each group's records are oldest first (`created_at`, then id), and
/// groups are ordered by their oldest record the same way, so the page
/// stays put while the user works through it. Entities that cannot be
/// merged have no groups.
pub fn duplicate_groups<'a>(
    entity: Entity,
    records: impl IntoIterator<Item = &'a Record>,
) -> Vec<DuplicateGroup> {
    if !MERGEABLE.contains(&entity) {
        return Vec::new();
    }
    let live: Vec<&Record> = records
        .into_iter()
        .filter(|record| is_candidate(entity, record))
        .collect();
    let mut holders: HashMap<MatchKey, Vec<usize>> = HashMap::with_capacity(live.len() * 2);
    for (index, record) in live.iter().enumerate() {
        for key in match_keys(entity, record) {
            holders.entry(key).or_default().push(index);
        }
    }
    let mut sets = DisjointSets::new(live.len());
    // One member of each key that linked records, and why it did.
    let mut links: Vec<(usize, DuplicateReason)> = Vec::new();
    for (key, members) in &holders {
        if members.len() > SHARED_KEY_MAX {
            continue;
        }
        if let Some((&first, rest)) = members.split_first() {
            if rest.is_empty() {
                continue;
            }
            for &other in rest {
                sets.union(first, other);
            }
            links.push((first, key.reason()));
        }
    }
    drop(holders);

    // The slot of each shown group, by its set's representative.
    let mut slot_of_root: HashMap<usize, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for index in 0..live.len() {
        let root = sets.find(index);
        let size = sets.size[root];
        if !(2..=GROUP_MAX).contains(&size) {
            continue;
        }
        let slot = *slot_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::with_capacity(size));
            members.len() - 1
        });
        members[slot].push(index);
    }
    let mut reasons: Vec<u8> = vec![0; members.len()];
    for (index, reason) in links {
        if let Some(&slot) = slot_of_root.get(&sets.find(index)) {
            reasons[slot] |= reason.bit();
        }
    }

    let age = |index: &usize| (live[*index].created_at, live[*index].id);
    let mut groups: Vec<(Vec<usize>, u8)> = members.into_iter().zip(reasons).collect();
    for (group, _) in &mut groups {
        group.sort_unstable_by_key(age);
    }
    groups.sort_unstable_by_key(|(group, _)| group.first().map(age));
    groups
        .into_iter()
        .map(|(group, bits)| DuplicateGroup {
            entity,
            ids: group.iter().map(|index| live[*index].id).collect(),
            reasons: DuplicateReason::ALL
                .into_iter()
                .filter(|reason| bits & reason.bit() != 0)
                .collect(),
        })
        .collect()
}

/// The fields a user chooses between when merging records of `entity`,
/// in form order: every field of the entity's form a client may write,
/// except those a merge must not change. References (a contact's
/// `customer_id`) stay the survivor's: moving a contact to another
/// customer is an edit, not a merge. `is_default` is the customer's
/// default-contact rule's to decide. A lead's `status` stays the
/// survivor's because conversion alone may set it, and its `customer_id`
/// is conversion's link. Server fields (`changed_by`, `merged_into`) and
/// `deleted` are never the client's. Entities that cannot be merged have
/// no merge fields.
pub fn merge_fields(entity: Entity) -> Vec<&'static FieldSpec> {
    if !MERGEABLE.contains(&entity) {
        return Vec::new();
    }
    entity
        .fields()
        .iter()
        .filter(|spec| {
            entity.client_writable(spec.name)
                && !matches!(spec.kind, FieldKind::Reference(_))
                && spec.name != "is_default"
                && !(entity == Entity::Lead && spec.name == "status")
        })
        .collect()
}

/// Whether a field holds something worth keeping: not missing, null or
/// blank text.
fn has_value(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.trim().is_empty(),
        Some(_) => true,
    }
}

/// The value each merge field keeps unless the user picks another, so a
/// merge loses nothing by default: the survivor's own where it has one
/// (not null, not empty text), else the first value among `others`, in
/// the order given (the page passes them oldest first). Returns only the
/// fields whose chosen value differs from the survivor's own: the patch a
/// merge mutation's `values` carries.
pub fn default_merge_values(
    entity: Entity,
    survivor: &Record,
    others: &[&Record],
) -> Map<String, Value> {
    let mut values = Map::new();
    for spec in merge_fields(entity) {
        let own = survivor.fields.get(spec.name);
        if has_value(own) {
            continue;
        }
        let found = others
            .iter()
            .filter_map(|other| other.fields.get(spec.name))
            .find(|value| has_value(Some(value)));
        if let Some(value) = found {
            if own != Some(value) {
                values.insert(spec.name.to_owned(), value.clone());
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};
    use serde_json::json;
    use std::collections::HashSet;
    use std::time::Instant;

    use super::DuplicateReason::{SameEmail, SameName, SamePhone};

    /// A record with a made-up id, created `age` seconds after some day.
    fn record(id: u128, age: i64, fields: Value) -> Record {
        let created: DateTime<Utc> =
            DateTime::UNIX_EPOCH + TimeDelta::seconds(1_800_000_000) + TimeDelta::seconds(age);
        let mut record = Record::new_local(Uuid::from_u128(id), created);
        if let Value::Object(fields) = fields {
            record.fields = fields;
        }
        record
    }

    fn ids(numbers: &[u128]) -> Vec<Uuid> {
        numbers.iter().copied().map(Uuid::from_u128).collect()
    }

    fn groups_of(entity: Entity, records: &[Record]) -> Vec<(Vec<Uuid>, Vec<DuplicateReason>)> {
        duplicate_groups(entity, records)
            .into_iter()
            .map(|group| {
                assert_eq!(group.entity, entity);
                (group.ids, group.reasons)
            })
            .collect()
    }

    #[test]
    fn customers_sharing_an_email_form_one_group_whatever_its_case_and_spaces() {
        let records = [
            record(1, 0, json!({"name": "Acme", "email": " Ada@Example.com "})),
            record(2, 1, json!({"name": "Globex", "email": "ada@example.COM"})),
            record(3, 2, json!({"name": "Initech", "email": "bob@example.com"})),
        ];
        assert_eq!(
            groups_of(Entity::Customer, &records),
            vec![(ids(&[1, 2]), vec![SameEmail])]
        );
    }

    #[test]
    fn phones_match_on_their_digits_alone() {
        let records = [
            record(1, 0, json!({"name": "A", "phone": "+44 20 7946 0000"})),
            record(2, 1, json!({"name": "B", "phone": "44 (20) 7946-0000"})),
            record(3, 2, json!({"name": "C", "phone": "020 7946 0001"})),
            record(4, 3, json!({"name": "D", "phone": "020-7946-0001"})),
            record(5, 4, json!({"name": "E", "phone": "020 7946 0002"})),
        ];
        assert_eq!(
            groups_of(Entity::Customer, &records),
            vec![
                (ids(&[1, 2]), vec![SamePhone]),
                (ids(&[3, 4]), vec![SamePhone]),
            ]
        );
    }

    #[test]
    fn phones_of_fewer_than_six_digits_link_nothing() {
        let records = [
            record(1, 0, json!({"name": "A", "phone": "123 45"})),
            record(2, 1, json!({"name": "B", "phone": "12-345"})),
            record(3, 2, json!({"name": "C", "phone": "ext."})),
            record(4, 3, json!({"name": "D", "phone": "ext."})),
        ];
        assert!(groups_of(Entity::Customer, &records).is_empty());
    }

    #[test]
    fn names_differing_only_in_legal_form_case_or_punctuation_are_the_same() {
        let records = [
            record(1, 0, json!({"name": "Acme Ltd"})),
            record(2, 1, json!({"name": "ACME limited"})),
            record(3, 2, json!({"name": "Acme, Inc."})),
            record(4, 3, json!({"name": "Acme Industries"})),
            record(5, 4, json!({"name": "Ltd"})),
            record(6, 5, json!({"name": "Limited"})),
        ];
        assert_eq!(
            groups_of(Entity::Customer, &records),
            vec![(ids(&[1, 2, 3]), vec![SameName])],
            "a name that is only a legal form names nothing"
        );
    }

    #[test]
    fn records_linked_through_another_form_one_group_with_every_reason() {
        let records = [
            record(1, 0, json!({"name": "Alpha", "email": "a@x.com"})),
            record(
                2,
                1,
                json!({"name": "Beta", "email": "a@x.com", "phone": "0123 456 789"}),
            ),
            record(3, 2, json!({"name": "Gamma", "phone": "0123456789"})),
            record(4, 3, json!({"name": "Gamma Ltd"})),
            record(5, 4, json!({"name": "Delta"})),
        ];
        assert_eq!(
            groups_of(Entity::Customer, &records),
            vec![(ids(&[1, 2, 3, 4]), vec![SameEmail, SamePhone, SameName])]
        );
    }

    #[test]
    fn deleted_records_are_left_out_and_link_nothing() {
        let mut gone = record(
            2,
            1,
            json!({"name": "Beta", "email": "a@x.com", "phone": "0123456789"}),
        );
        gone.deleted = true;
        let records = [
            record(1, 0, json!({"name": "Alpha", "email": "a@x.com"})),
            gone,
            record(3, 2, json!({"name": "Gamma", "phone": "0123456789"})),
        ];
        assert!(groups_of(Entity::Customer, &records).is_empty());
    }

    #[test]
    fn a_lead_is_named_by_its_company_or_else_its_person_and_converted_leads_are_left_out() {
        let records = [
            record(
                1,
                0,
                json!({"person_name": "Ada", "company_name": "Acme Ltd", "status": "New"}),
            ),
            record(
                2,
                1,
                json!({"person_name": "Bob", "company_name": "ACME", "status": "Contacted"}),
            ),
            record(
                3,
                2,
                json!({"person_name": "Acme", "company_name": "Other", "status": "New"}),
            ),
            record(
                4,
                3,
                json!({"person_name": "Carol Jones", "company_name": " ", "status": "New"}),
            ),
            record(5, 4, json!({"person_name": "carol jones", "status": "New"})),
            record(6, 5, json!({"company_name": "Acme", "status": "Converted"})),
            record(
                7,
                6,
                json!({"person_name": "Dan", "email": "d@x.com", "status": "Converted"}),
            ),
            record(
                8,
                7,
                json!({"person_name": "Eve", "email": "d@x.com", "status": "New"}),
            ),
        ];
        assert_eq!(
            groups_of(Entity::Lead, &records),
            vec![
                (ids(&[1, 2]), vec![SameName]),
                (ids(&[4, 5]), vec![SameName]),
            ]
        );
    }

    #[test]
    fn contacts_match_by_name_only_within_one_customer_but_by_email_or_phone_across() {
        let (acme, globex) = (
            Uuid::from_u128(100).to_string(),
            Uuid::from_u128(200).to_string(),
        );
        let records = [
            record(
                1,
                0,
                json!({"customer_id": acme, "first_name": "John", "last_name": "Smith"}),
            ),
            record(
                2,
                1,
                json!({"customer_id": acme, "first_name": "john", "last_name": "SMITH"}),
            ),
            record(
                3,
                2,
                json!({"customer_id": globex, "first_name": "John", "last_name": "Smith"}),
            ),
            record(
                4,
                3,
                json!({"customer_id": acme, "first_name": "Ann", "email": "ann@x.com"}),
            ),
            record(
                5,
                4,
                json!({"customer_id": globex, "first_name": "Anne", "email": "ANN@x.com"}),
            ),
            record(
                6,
                5,
                json!({"customer_id": acme, "first_name": "Kim", "mobile": "07700 900123"}),
            ),
            record(
                7,
                6,
                json!({"customer_id": globex, "first_name": "Lee", "phone": "07700900123"}),
            ),
            record(8, 7, json!({"first_name": "Nobody"})),
            record(9, 8, json!({"first_name": "Nobody"})),
        ];
        assert_eq!(
            groups_of(Entity::Contact, &records),
            vec![
                (ids(&[1, 2]), vec![SameName]),
                (ids(&[4, 5]), vec![SameEmail]),
                (ids(&[6, 7]), vec![SamePhone]),
            ]
        );
    }

    #[test]
    fn a_key_shared_by_more_than_fifty_records_links_nothing() {
        let switchboard = |count: u128| -> Vec<Record> {
            (0..count)
                .map(|n| {
                    record(
                        n + 1,
                        n as i64,
                        json!({"name": format!("Branch {n}"), "phone": "0800 123 456"}),
                    )
                })
                .collect()
        };
        assert!(groups_of(Entity::Customer, &switchboard(51)).is_empty());
        let fifty = groups_of(Entity::Customer, &switchboard(50));
        assert_eq!(fifty.len(), 1);
        assert_eq!(fifty[0].0.len(), 50);
    }

    #[test]
    fn a_group_of_more_than_fifty_records_is_left_out() {
        // Each record shares an e-mail with the next: one chain.
        let chain = |count: u128| -> Vec<Record> {
            (0..count)
                .map(|n| {
                    let email = if n % 2 == 0 {
                        format!("{n}@x.com")
                    } else {
                        format!("{}@x.com", n - 1)
                    };
                    let phone = if n % 2 == 1 {
                        format!("0100 {n:06}")
                    } else {
                        format!("0100 {:06}", n.saturating_sub(1))
                    };
                    record(
                        n + 1,
                        n as i64,
                        json!({"name": format!("Firm {n}"), "email": email, "phone": phone}),
                    )
                })
                .collect()
        };
        let fifty = groups_of(Entity::Customer, &chain(50));
        assert_eq!(fifty.len(), 1);
        assert_eq!(
            fifty[0],
            (
                ids(&(1..=50).collect::<Vec<_>>()),
                vec![SameEmail, SamePhone]
            )
        );
        assert!(groups_of(Entity::Customer, &chain(51)).is_empty());
        // A group beside the dropped one still shows.
        let mut records = chain(51);
        records.push(record(1000, 1000, json!({"name": "Solo"})));
        records.push(record(1001, 1001, json!({"name": "SOLO"})));
        assert_eq!(
            groups_of(Entity::Customer, &records),
            vec![(ids(&[1000, 1001]), vec![SameName])]
        );
    }

    #[test]
    fn groups_and_their_members_are_ordered_oldest_first_then_by_id() {
        let records = [
            record(9, 50, json!({"name": "Late"})),
            record(8, 10, json!({"name": "Tied"})),
            record(3, 40, json!({"name": "Late"})),
            record(7, 10, json!({"name": "Tied"})),
            record(5, 30, json!({"name": "Early", "email": "e@x.com"})),
            record(6, 5, json!({"name": "Other", "email": "E@x.com"})),
        ];
        let expected = vec![
            (ids(&[6, 5]), vec![SameEmail]),
            (ids(&[7, 8]), vec![SameName]),
            (ids(&[3, 9]), vec![SameName]),
        ];
        assert_eq!(groups_of(Entity::Customer, &records), expected);
        let reversed: Vec<Record> = records.iter().rev().cloned().collect();
        assert_eq!(groups_of(Entity::Customer, &reversed), expected);
    }

    #[test]
    fn entities_that_cannot_be_merged_have_no_groups_and_no_merge_fields() {
        let records = [
            record(
                1,
                0,
                json!({"title": "Deal", "customer_id": Uuid::from_u128(5).to_string()}),
            ),
            record(
                2,
                1,
                json!({"title": "Deal", "customer_id": Uuid::from_u128(5).to_string()}),
            ),
        ];
        assert!(groups_of(Entity::Opportunity, &records).is_empty());
        assert!(merge_fields(Entity::Activity).is_empty());
    }

    #[test]
    fn merge_fields_are_the_form_fields_a_merge_may_change() {
        let names = |entity: Entity| -> Vec<&str> {
            merge_fields(entity)
                .into_iter()
                .map(|spec| spec.name)
                .collect()
        };
        assert_eq!(
            names(Entity::Customer),
            [
                "name", "kind", "status", "email", "phone", "website", "street", "city",
                "postcode", "country", "notes", "owner"
            ]
        );
        assert_eq!(
            names(Entity::Contact),
            [
                "first_name",
                "last_name",
                "job_title",
                "email",
                "phone",
                "mobile",
                "notes"
            ]
        );
        assert_eq!(
            names(Entity::Lead),
            [
                "person_name",
                "company_name",
                "email",
                "phone",
                "source",
                "notes",
                "owner"
            ]
        );
    }

    #[test]
    fn default_merge_values_keep_the_survivors_own_and_fill_gaps_from_the_others_in_order() {
        let survivor = record(
            1,
            0,
            json!({
                "name": "Acme", "kind": "company", "status": "Customer",
                "email": "a@acme.com", "phone": null, "city": " ", "changed_by": null,
            }),
        );
        let second = record(
            2,
            1,
            json!({
                "name": "ACME Ltd", "email": "b@acme.com", "phone": "", "city": "Leeds",
                "changed_by": Uuid::from_u128(9).to_string(),
                "merged_into": Uuid::from_u128(9).to_string(),
            }),
        );
        let third = record(
            3,
            2,
            json!({
                "name": "Acme", "phone": "0113 496 0000", "city": "York", "website": "acme.example",
            }),
        );
        let values = default_merge_values(Entity::Customer, &survivor, &[&second, &third]);
        assert_eq!(
            Value::Object(values),
            json!({"phone": "0113 496 0000", "city": "Leeds", "website": "acme.example"})
        );
        let values = default_merge_values(Entity::Customer, &survivor, &[&third, &second]);
        assert_eq!(
            values.get("city"),
            Some(&json!("York")),
            "others are read in the order given"
        );
        assert!(default_merge_values(Entity::Customer, &third, &[]).is_empty());
    }

    #[test]
    fn default_merge_values_never_take_a_contacts_customer_or_default_flag() {
        let survivor = record(1, 0, json!({"first_name": "Ann"}));
        let other = record(
            2,
            1,
            json!({
                "first_name": "Anne", "customer_id": Uuid::from_u128(7).to_string(),
                "is_default": true, "mobile": "07700 900123",
            }),
        );
        let values = default_merge_values(Entity::Contact, &survivor, &[&other]);
        assert_eq!(Value::Object(values), json!({"mobile": "07700 900123"}));
    }

    /// A tiny xorshift64* generator, so the searches repeat from a seed.
    struct Xorshift(u64);

    impl Xorshift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    const SYLLABLES: [&str; 24] = [
        "ka", "lo", "mi", "ne", "zu", "ra", "ti", "vo", "be", "da", "fi", "go", "hu", "ja", "ke",
        "mo", "nu", "pi", "qua", "se", "to", "vi", "wo", "xe",
    ];
    const LEGAL_FORMS: [&str; 5] = ["", " Ltd", " GmbH", " Inc.", " limited"];
    const SWITCHBOARD: &str = "0800 555 0100";

    fn word(rng: &mut Xorshift, syllables: usize) -> String {
        (0..syllables)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize])
            .collect()
    }

    fn random_phone(rng: &mut Xorshift) -> String {
        let number = rng.below(1_000_000_000);
        format!(
            "0{:03} {:03} {:03}",
            number / 1_000_000,
            number / 1_000 % 1_000,
            number % 1_000
        )
    }

    /// `count` customers from `seed`, about a tenth of them planted copies
    /// of an earlier one sharing exactly one key written differently;
    /// returns them with the planted (original, copy) index pairs.
    fn generated_customers(seed: u64, count: usize) -> (Vec<Record>, Vec<(usize, usize)>) {
        let mut rng = Xorshift(seed);
        let mut records: Vec<Record> = Vec::with_capacity(count);
        let mut planted = Vec::new();
        for index in 0..count {
            let mut name = word(&mut rng, 4);
            name.push_str(LEGAL_FORMS[rng.below(LEGAL_FORMS.len() as u64) as usize]);
            let mut email = rng.chance(70).then(|| {
                format!(
                    "{}{}@{}.example",
                    word(&mut rng, 2),
                    rng.below(1_000_000),
                    word(&mut rng, 2)
                )
            });
            let mut phone = if rng.chance(4) {
                Some(SWITCHBOARD.to_owned())
            } else if rng.chance(3) {
                Some(format!("{}", rng.below(10_000)))
            } else {
                rng.chance(70).then(|| random_phone(&mut rng))
            };
            if index > 0 && rng.chance(10) {
                let original_index = rng.below(index as u64) as usize;
                let original = &records[original_index];
                let usable_phone = original
                    .text("phone")
                    .filter(|phone| *phone != SWITCHBOARD && phone_key(phone).is_some());
                match (rng.below(3), original.text("email"), usable_phone) {
                    (0, Some(theirs), _) => email = Some(format!("  {}", theirs.to_uppercase())),
                    (1, _, Some(theirs)) => phone = Some(theirs.replace(' ', "-")),
                    _ => {
                        let theirs = original.text("name").unwrap_or_default();
                        name = format!("{}, Limited", name_key(theirs).to_uppercase());
                    }
                }
                planted.push((original_index, index));
            }
            // Some shared ages, so ordering by id is exercised too.
            let age = rng.below(count as u64) as i64;
            records.push(record(
                (u128::from(rng.next()) << 64) | index as u128,
                age,
                json!({"name": name, "kind": "company", "status": "Customer", "email": email, "phone": phone}),
            ));
        }
        (records, planted)
    }

    /// The relation written out plainly, pair by pair, to check the hash
    /// maps against: the keys of each customer and how many share each.
    struct Oracle {
        keys: Vec<[Option<String>; 3]>,
        holders: HashMap<(usize, String), usize>,
    }

    impl Oracle {
        fn new(records: &[Record]) -> Self {
            let keys: Vec<[Option<String>; 3]> = records
                .iter()
                .map(|record| {
                    let email = record
                        .text("email")
                        .map(|e| e.trim().to_lowercase())
                        .filter(|e| !e.is_empty());
                    let phone = record
                        .text("phone")
                        .map(|p| p.chars().filter(|c| c.is_ascii_digit()).collect::<String>())
                        .filter(|digits| digits.len() >= 6);
                    let name = record.text("name").map(name_key).filter(|n| !n.is_empty());
                    [email, phone, name]
                })
                .collect();
            let mut holders = HashMap::new();
            for record_keys in &keys {
                for (kind, key) in record_keys.iter().enumerate() {
                    if let Some(key) = key {
                        *holders.entry((kind, key.clone())).or_insert(0) += 1;
                    }
                }
            }
            Self { keys, holders }
        }

        /// The reasons `a` and `b` are linked directly, if any.
        fn links(&self, a: usize, b: usize) -> Vec<DuplicateReason> {
            (0..3)
                .filter(|&kind| match (&self.keys[a][kind], &self.keys[b][kind]) {
                    (Some(x), Some(y)) => {
                        x == y && self.holders[&(kind, x.clone())] <= SHARED_KEY_MAX
                    }
                    _ => false,
                })
                .map(|kind| DuplicateReason::ALL[kind])
                .collect()
        }
    }

    #[test]
    fn seeded_customers_group_exactly_by_chains_of_shared_keys() {
        let seed: u64 = 0x5eed_d0b1_e5c0_2026;
        let (records, planted) = generated_customers(seed, 2_000);
        let groups = duplicate_groups(Entity::Customer, &records);
        let index_of: HashMap<Uuid, usize> = records
            .iter()
            .enumerate()
            .map(|(index, record)| (record.id, index))
            .collect();
        let mut group_of: Vec<Option<usize>> = vec![None; records.len()];
        for (number, group) in groups.iter().enumerate() {
            assert!(
                (2..=GROUP_MAX).contains(&group.ids.len()),
                "seed {seed:#x}: group size {}",
                group.ids.len()
            );
            for id in &group.ids {
                let index = index_of[id];
                assert_eq!(
                    group_of[index], None,
                    "seed {seed:#x}: {id} is in two groups"
                );
                group_of[index] = Some(number);
            }
        }
        assert!(
            planted.len() > 100,
            "seed {seed:#x}: only {} planted",
            planted.len()
        );
        for &(original, copy) in &planted {
            assert!(
                group_of[original].is_some() && group_of[original] == group_of[copy],
                "seed {seed:#x}: planted copy {copy} of {original} is not grouped with it: {:?} / {:?}",
                records[original].fields,
                records[copy].fields,
            );
        }
        let oracle = Oracle::new(&records);
        // Every group is connected by direct links, with exactly their reasons.
        for group in &groups {
            let members: Vec<usize> = group.ids.iter().map(|id| index_of[id]).collect();
            let mut reached: HashSet<usize> = HashSet::from([members[0]]);
            let mut frontier = vec![members[0]];
            let mut reasons: HashSet<DuplicateReason> = HashSet::new();
            while let Some(a) = frontier.pop() {
                for &b in &members {
                    let links = oracle.links(a, b);
                    if a != b && !links.is_empty() {
                        reasons.extend(links);
                        if reached.insert(b) {
                            frontier.push(b);
                        }
                    }
                }
            }
            assert_eq!(
                reached.len(),
                members.len(),
                "seed {seed:#x}: group {:?} is not connected",
                group.ids
            );
            let mut reasons: Vec<DuplicateReason> = reasons.into_iter().collect();
            reasons.sort();
            assert_eq!(
                reasons, group.reasons,
                "seed {seed:#x}: reasons of {:?}",
                group.ids
            );
            let ages: Vec<_> = members
                .iter()
                .map(|&i| (records[i].created_at, records[i].id))
                .collect();
            assert!(
                ages.is_sorted(),
                "seed {seed:#x}: group {:?} is not oldest first",
                group.ids
            );
        }
        // Every directly linked pair is in one group (or both in none,
        // when their group grew past the cap).
        for a in 0..records.len() {
            for b in a + 1..records.len() {
                if !oracle.links(a, b).is_empty() {
                    assert_eq!(
                        group_of[a], group_of[b],
                        "seed {seed:#x}: linked {a} and {b} apart"
                    );
                }
            }
        }
        let firsts: Vec<_> = groups
            .iter()
            .map(|group| (records[index_of[&group.ids[0]]].created_at, group.ids[0]))
            .collect();
        assert!(
            firsts.is_sorted(),
            "seed {seed:#x}: groups are not ordered by their oldest record"
        );
    }

    #[test]
    fn fifty_thousand_customers_are_grouped_quickly() {
        let (records, planted) = generated_customers(0x00c0_ffee, 50_000);
        let started = Instant::now();
        let groups = duplicate_groups(Entity::Customer, &records);
        let took = started.elapsed();
        println!(
            "duplicate_groups: {} customers ({} planted copies) -> {} groups in {took:?}",
            records.len(),
            planted.len(),
            groups.len()
        );
        assert!(groups.len() >= planted.len() / 2);
    }
}
