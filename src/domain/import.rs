//! Importing customers (with their default contact) or leads from a table:
//! which column fills which field, what each row becomes, and which rows
//! are records the workspace, or the file itself, already holds.
//!
//! Pure: the browser reads the file ([`super::tabular`]), plans here in
//! slices so the page stays responsive, and queues the changes as one
//! batch. Every value goes through the schema's own rules, so a row that
//! imports is a row the server accepts.

use super::conversion::{name_key, split_person_name};
use super::merge_request::MergeRequest;
use super::schema::{
    check_required, normalize_patch, Entity, FieldKind, CHANGED_BY_FIELD, CUSTOMER_KINDS,
    CUSTOMER_STATUSES, LEAD_CONVERTED, LEAD_STATUSES, OWNER_FIELD,
};
use super::tabular::{write_csv, Table, TableRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// What one import makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// Customers, each with its default contact when the row names a person.
    Customers,
    Leads,
    /// Contacts of customers already here, found by name or e-mail.
    Contacts,
}

/// The pseudo-field of a contact's whole name, split into first and last.
const FULL_NAME: &str = "full_name";
/// The pseudo-field naming, by name or e-mail, the existing customer a
/// contact goes to.
const CUSTOMER_MATCH: &str = "match";

/// A field a column can fill: one of the imported record's, or one of the
/// default contact's made from the same row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub entity: Entity,
    pub field: &'static str,
}

impl Target {
    const fn new(entity: Entity, field: &'static str) -> Self {
        Self { entity, field }
    }

    /// What the column menu says: "Email", "Contact: Email".
    pub fn label(self) -> String {
        let label = match (self.entity, self.entity.field(self.field)) {
            (_, Some(spec)) => spec.label,
            (Entity::Customer, None) => return "Customer (name or email)".to_owned(),
            (_, None) => "Full name",
        };
        match self.entity {
            Entity::Contact => format!("Contact: {label}"),
            _ => label.to_owned(),
        }
    }

    /// A stable name for menus and for remembering a mapping: "contact.email".
    pub fn key(self) -> String {
        format!("{}.{}", self.entity, self.field)
    }

    /// Whether several columns may fill it, joined by spaces ("Address 1",
    /// "Address 2"; a lead's "First name" and "Last name").
    fn joins(self) -> bool {
        self.entity
            .field(self.field)
            .is_some_and(|spec| matches!(spec.kind, FieldKind::Text(_) | FieldKind::Notes))
    }
}

impl ImportKind {
    /// The entity of the records imported.
    pub fn entity(self) -> Entity {
        match self {
            ImportKind::Customers => Entity::Customer,
            ImportKind::Leads => Entity::Lead,
            ImportKind::Contacts => Entity::Contact,
        }
    }

    /// Every field a column can fill, in the order the column menu lists them.
    pub fn targets(self) -> Vec<Target> {
        let entity = self.entity();
        let own = entity
            .fields()
            .iter()
            .filter(|spec| spec.name != CHANGED_BY_FIELD && entity.client_writable(spec.name))
            .filter(|spec| !matches!(spec.kind, FieldKind::Reference(_) | FieldKind::Flag))
            .map(|spec| Target::new(entity, spec.name));
        let contact: &[&'static str] = match self {
            ImportKind::Contacts => {
                return own
                    .chain([
                        Target::new(Entity::Contact, FULL_NAME),
                        Target::new(Entity::Customer, CUSTOMER_MATCH),
                    ])
                    .collect()
            }
            ImportKind::Customers => &[
                FULL_NAME,
                "first_name",
                "last_name",
                "job_title",
                "email",
                "phone",
                "mobile",
            ],
            ImportKind::Leads => &[],
        };
        own.chain(
            contact
                .iter()
                .map(|field| Target::new(Entity::Contact, field)),
        )
        .collect()
    }

    /// The columns an export writes: every target but the contact's whole
    /// name, which the first and last name columns carry.
    pub fn exported(self) -> Vec<Target> {
        let mut targets = self.targets();
        targets.retain(|target| target.field != FULL_NAME);
        targets
    }

    /// The target named by [`Target::key`], if this import has it.
    pub fn target(self, key: &str) -> Option<Target> {
        self.targets()
            .into_iter()
            .find(|target| target.key() == key)
    }

    fn statuses(self) -> &'static [&'static str] {
        match self {
            ImportKind::Customers => CUSTOMER_STATUSES,
            ImportKind::Leads => LEAD_STATUSES,
            ImportKind::Contacts => &[],
        }
    }

    fn default_status(self) -> &'static str {
        match self {
            ImportKind::Customers => "Prospect",
            ImportKind::Leads | ImportKind::Contacts => "New",
        }
    }
}

/// A header reduced to letters and digits, lowercase: "E-mail" → "email".
fn squash(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Headers people give a person's columns (a contact's, a lead's).
const PERSON_HEADERS: &[&str] = &[
    "firstname",
    "givenname",
    "forename",
    "first",
    "lastname",
    "surname",
    "familyname",
    "last",
    "contact",
    "contactname",
    "fullname",
    "person",
    "personname",
    "contactperson",
];

/// The field a header most likely means, by its English name and the usual
/// variants. `person_columns` says whether the file has a person's name: then
/// a bare "Email" or "Phone" is the person's, not the company's.
fn guess_target(kind: ImportKind, header: &str, person_columns: bool) -> Option<Target> {
    let header = squash(header);
    let h = header.as_str();
    let own = |field| Some(Target::new(kind.entity(), field));
    let contact = |field| Some(Target::new(Entity::Contact, field));
    let shared = match h {
        "email" | "emailaddress" | "mail" | "email1" => Some("email"),
        "phone" | "phonenumber" | "telephone" | "tel" | "telephonenumber" | "workphone"
        | "businessphone" | "officephone" => Some("phone"),
        "status" | "customerstatus" | "leadstatus" | "accountstatus" => Some("status"),
        "notes" | "note" | "comments" | "comment" | "description" | "remarks" => Some("notes"),
        "owner" | "ownername" | "accountowner" | "leadowner" | "salesrep" | "assignedto" => {
            Some(OWNER_FIELD)
        }
        _ => None,
    };
    match kind {
        ImportKind::Customers => match (h, shared) {
            ("email" | "emailaddress" | "mail" | "email1", _) if person_columns => contact("email"),
            ("phone" | "phonenumber" | "telephone" | "tel" | "telephonenumber", _)
                if person_columns =>
            {
                contact("phone")
            }
            (_, Some(field)) => own(field),
            (
                "company" | "companyname" | "organisation" | "organization" | "organisationname"
                | "organizationname" | "account" | "accountname" | "customer" | "customername"
                | "name" | "business" | "businessname" | "client" | "clientname",
                _,
            ) => own("name"),
            ("companyemail" | "businessemail" | "generalemail", _) => own("email"),
            ("companyphone" | "mainphone" | "switchboard", _) => own("phone"),
            ("kind" | "type" | "customertype" | "customerkind", _) => own("kind"),
            ("website" | "web" | "url" | "homepage" | "site" | "webaddress", _) => own("website"),
            (
                "street" | "address" | "streetaddress" | "address1" | "addressline1" | "address2"
                | "addressline2",
                _,
            ) => own("street"),
            ("city" | "town", _) => own("city"),
            ("postcode" | "postalcode" | "zip" | "zipcode" | "postcodezip", _) => own("postcode"),
            ("country" | "countryregion" | "nation", _) => own("country"),
            ("firstname" | "givenname" | "forename" | "first", _) => contact("first_name"),
            ("lastname" | "surname" | "familyname" | "last", _) => contact("last_name"),
            (
                "contact" | "contactname" | "fullname" | "person" | "personname" | "contactperson",
                _,
            ) => contact(FULL_NAME),
            ("jobtitle" | "title" | "position" | "role", _) => contact("job_title"),
            ("mobile" | "mobilephone" | "cell" | "cellphone" | "mobilenumber", _) => {
                contact("mobile")
            }
            ("contactemail" | "personalemail" | "workemail", _) => contact("email"),
            ("contactphone" | "directphone" | "directline", _) => contact("phone"),
            _ => None,
        },
        ImportKind::Contacts => match h {
            "company" | "companyname" | "organisation" | "organization" | "account"
            | "accountname" | "customer" | "customername" | "business" | "client"
            | "customeremail" | "companyemail" => {
                Some(Target::new(Entity::Customer, CUSTOMER_MATCH))
            }
            "firstname" | "givenname" | "forename" | "first" => own("first_name"),
            "lastname" | "surname" | "familyname" | "last" => own("last_name"),
            "name" | "contact" | "contactname" | "fullname" | "person" | "personname" => {
                own(FULL_NAME)
            }
            "jobtitle" | "title" | "position" | "role" => own("job_title"),
            "mobile" | "mobilephone" | "cell" | "cellphone" | "mobilenumber" => own("mobile"),
            "email" | "emailaddress" | "mail" | "email1" | "phone" | "phonenumber"
            | "telephone" | "tel" | "directphone" | "notes" | "note" | "comments" => {
                shared.and_then(own)
            }
            _ => None,
        },
        ImportKind::Leads => match (h, shared) {
            (_, Some(field)) => own(field),
            ("mobile" | "mobilephone" | "cell" | "cellphone", _) => own("phone"),
            (
                "company" | "companyname" | "organisation" | "organization" | "account"
                | "accountname" | "business" | "businessname",
                _,
            ) => own("company_name"),
            ("name" | "leadname", _) => own("person_name"),
            _ if PERSON_HEADERS.contains(&h) => own("person_name"),
            ("source" | "leadsource" | "origin" | "channel" | "campaign", _) => own("source"),
            _ => None,
        },
    }
}

/// Which field each column fills, guessed from the headers; `None` leaves a
/// column out. A field is filled by one column only, except text that joins.
pub fn guess_mapping(kind: ImportKind, headers: &[String]) -> Vec<Option<Target>> {
    let person_columns = headers
        .iter()
        .any(|header| PERSON_HEADERS.contains(&squash(header).as_str()));
    let targets = kind.targets();
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|header| {
            // A file this app exported names its columns by their labels.
            let target = targets
                .iter()
                .find(|target| target.label().eq_ignore_ascii_case(header.trim()))
                .copied()
                .or_else(|| guess_target(kind, header, person_columns))?;
            if taken.contains(&target) && !target.joins() {
                return None;
            }
            taken.push(target);
            Some(target)
        })
        .collect()
}

/// The name under which a device remembers the mapping of files with
/// these headers, so the next export of the same system maps itself.
pub fn mapping_memory_key(kind: ImportKind, headers: &[String]) -> String {
    // FNV-1a: short, stable across builds, and collisions only cost a guess.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in headers.join("\u{1f}").bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("clientele.import_mapping.{}.{hash:016x}", kind.entity())
}

/// Why a row is taken for a record already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchReason {
    SameEmail,
    SamePhone,
    SameName,
}

impl MatchReason {
    /// "same email", for "Duplicate of Acme (same email)".
    pub fn describe(self) -> &'static str {
        match self {
            MatchReason::SameEmail => "same email",
            MatchReason::SamePhone => "same phone",
            MatchReason::SameName => "same name",
        }
    }
}

/// The fewest digits that make a phone number telling.
const PHONE_DIGITS_MIN: usize = 6;

/// The keys a record is found by: its e-mail, its phone's digits and its
/// normalized name, the rules conversion uses.
fn match_keys(
    email: Option<&str>,
    phones: &[Option<&str>],
    name: Option<String>,
) -> Vec<(MatchReason, String)> {
    let mut keys = Vec::new();
    if let Some(email) = email.map(str::trim).filter(|email| !email.is_empty()) {
        keys.push((MatchReason::SameEmail, email.to_lowercase()));
    }
    for phone in phones.iter().flatten() {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= PHONE_DIGITS_MIN {
            keys.push((MatchReason::SamePhone, digits));
        }
    }
    if let Some(name) = name.filter(|name| !name.is_empty()) {
        keys.push((MatchReason::SameName, name));
    }
    keys
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

/// A lead's name key: its person and its company, so two people of one
/// company are two leads.
fn lead_name_key(fields: &Map<String, Value>) -> String {
    let person = name_key(text(fields, "person_name").unwrap_or_default());
    let company = name_key(text(fields, "company_name").unwrap_or_default());
    match (person.is_empty(), company.is_empty()) {
        (true, true) => String::new(),
        _ => format!("{person}|{company}"),
    }
}

/// How an existing record or a planned row is found again.
fn keys_of(
    kind: ImportKind,
    entity: Entity,
    fields: &Map<String, Value>,
) -> Vec<(MatchReason, String)> {
    let phones = [text(fields, "phone"), text(fields, "mobile")];
    let name = match (kind, entity) {
        (ImportKind::Customers, Entity::Customer) => text(fields, "name").map(name_key),
        (ImportKind::Leads, _) => Some(lead_name_key(fields)),
        // One person twice at one customer; at two customers, two contacts.
        (ImportKind::Contacts, _) => {
            let person = [text(fields, "first_name"), text(fields, "last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            text(fields, "customer_id").map(|customer| format!("{customer}|{}", name_key(&person)))
        }
        _ => None,
    };
    match_keys(text(fields, "email"), &phones, name)
}

/// A problem with one field of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The column it came from, or the field's label when no column fills it.
    pub column: String,
    pub message: String,
}

/// What a row of the file becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    New,
    /// A record the workspace holds already.
    Duplicate {
        of: Uuid,
        reason: MatchReason,
    },
    /// A repeat of an earlier row of the same file.
    Repeat {
        line: usize,
        reason: MatchReason,
    },
    Invalid(Vec<Problem>),
}

/// One row as it will be saved.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRow {
    pub line: usize,
    /// The record's fields, checked and normalized.
    pub record: Map<String, Value>,
    /// The default contact's, when the row names a person.
    pub contact: Option<Map<String, Value>>,
    pub outcome: Outcome,
    /// What was changed to import the row (an owner who is no member here).
    pub warnings: Vec<Problem>,
}

/// How many rows of each outcome a plan has: the preview's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub duplicates: usize,
    pub repeats: usize,
    pub invalid: usize,
}

/// What to do with a row that matches a record already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateChoice {
    Skip,
    /// Fill the existing record's empty fields from the row.
    FillEmpty,
    CreateAnyway,
}

/// The user's choices for the duplicates a preview found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decisions {
    /// Rows with the e-mail of a record already there: skipped by default,
    /// which is what makes importing a file twice create nothing.
    pub same_email: DuplicateChoice,
    /// Rows matching by phone or name only: their empty fields filled.
    pub similar: DuplicateChoice,
    /// Repeats within the file: skipped, or created anyway.
    pub repeats: DuplicateChoice,
}

impl Default for Decisions {
    fn default() -> Self {
        Self {
            same_email: DuplicateChoice::Skip,
            similar: DuplicateChoice::FillEmpty,
            repeats: DuplicateChoice::Skip,
        }
    }
}

/// One record change an import makes.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportChange {
    pub entity: Entity,
    pub id: Uuid,
    pub fields: Map<String, Value>,
    /// Whether the record is new; otherwise its empty fields are filled.
    pub creates: bool,
}

impl From<ImportChange> for BatchChange {
    fn from(change: ImportChange) -> Self {
        BatchChange::Upsert {
            entity: change.entity,
            id: change.id,
            fields: change.fields,
        }
    }
}

/// One change of many saved as one (an import, the undoing of one, a
/// merge with the moves it makes): all are stored and shown, or none.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchChange {
    Upsert {
        entity: Entity,
        id: Uuid,
        fields: Map<String, Value>,
    },
    Delete {
        entity: Entity,
        id: Uuid,
    },
    /// Merges duplicates into `survivor` (see [`MergeRequest`]).
    Merge {
        entity: Entity,
        survivor: Uuid,
        request: MergeRequest,
    },
}

/// What an import did, kept on the device so that it can be undone: the
/// records it created and the fields it filled, each with a fingerprint of
/// what it wrote, which tells whether anybody has changed them since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReceipt {
    pub entity: Entity,
    pub file_name: String,
    pub at: DateTime<Utc>,
    pub created: Vec<(Uuid, u32)>,
    pub filled: Vec<(Uuid, Vec<String>, u32)>,
}

/// What undoing an import does, and what it leaves because it changed since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UndoPlan {
    pub changes: Vec<BatchChange>,
    pub removed: usize,
    pub emptied: usize,
    /// Records changed since the import (by anyone): left as they are.
    pub changed_since: Vec<Uuid>,
}

/// A short digest of some fields' values (all but who changed them last,
/// which the server writes): equal digests mean nothing was changed.
fn fingerprint(fields: &Map<String, Value>, only: Option<&[String]>) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for (name, value) in fields {
        let counted = name != CHANGED_BY_FIELD
            && !value.is_null()
            && only.is_none_or(|only| only.contains(name));
        if counted {
            for byte in name.bytes().chain(value.to_string().bytes()) {
                hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
            }
        }
    }
    hash
}

impl ImportReceipt {
    /// The receipt of these changes, saved from `file_name` at `at`.
    pub fn of(
        kind: ImportKind,
        file_name: &str,
        at: DateTime<Utc>,
        changes: &[ImportChange],
    ) -> Self {
        let entity = kind.entity();
        let mine = changes.iter().filter(|change| change.entity == entity);
        Self {
            entity,
            file_name: file_name.to_owned(),
            at,
            created: mine
                .clone()
                .filter(|change| change.creates)
                .map(|change| (change.id, fingerprint(&change.fields, None)))
                .collect(),
            filled: mine
                .filter(|change| !change.creates)
                .map(|change| {
                    let names: Vec<String> = change.fields.keys().cloned().collect();
                    let print = fingerprint(&change.fields, Some(&names));
                    (change.id, names, print)
                })
                .collect(),
        }
    }

    /// Undoing the import: each record it created is deleted (its contacts
    /// go with it) and each field it filled emptied again, where the
    /// record still holds what the import wrote; the others are listed.
    /// `current` reads a live record's fields.
    pub fn undo<'a>(&self, current: impl Fn(Uuid) -> Option<&'a Map<String, Value>>) -> UndoPlan {
        let mut plan = UndoPlan::default();
        for &(id, print) in &self.created {
            match current(id) {
                Some(fields) if fingerprint(fields, None) == print => {
                    plan.changes.push(BatchChange::Delete {
                        entity: self.entity,
                        id,
                    });
                    plan.removed += 1;
                }
                Some(_) => plan.changed_since.push(id),
                None => {}
            }
        }
        for (id, names, print) in &self.filled {
            match current(*id) {
                Some(fields) if fingerprint(fields, Some(names)) == *print => {
                    let emptied = names
                        .iter()
                        .map(|name| (name.clone(), Value::Null))
                        .collect();
                    plan.changes.push(BatchChange::Upsert {
                        entity: self.entity,
                        id: *id,
                        fields: emptied,
                    });
                    plan.emptied += 1;
                }
                Some(_) => plan.changed_since.push(*id),
                None => {}
            }
        }
        plan
    }

    /// Where a device keeps the receipt of its last import of an entity.
    pub fn memory_key(entity: Entity) -> String {
        format!("clientele.last_import.{entity}")
    }
}

/// Plans an import row by row. Rows are added in slices so a browser can
/// let the page paint between them; the plan is the same either way.
pub struct Planner {
    kind: ImportKind,
    /// (column, target) for every mapped column, in file order.
    columns: Vec<(usize, Target)>,
    headers: Vec<String>,
    members: Vec<(Uuid, String)>,
    me: Uuid,
    existing: HashMap<(MatchReason, String), Uuid>,
    /// For a contacts import: customers by name key and by e-mail; `None`
    /// where two customers share a name.
    customers: HashMap<String, Option<Uuid>>,
    seen: HashMap<(MatchReason, String), usize>,
    rows: Vec<PlannedRow>,
}

impl Planner {
    /// A planner for a file with these headers mapped as `mapping` says.
    /// `records` are the workspace's live records of the kind imported;
    /// `related` are, for customers, their contacts (a row with a contact's
    /// e-mail is that contact's customer), for contacts the customers they
    /// can go to, and nothing for leads. Owners are given by member name;
    /// `me` owns rows that name none.
    pub fn new<'a>(
        kind: ImportKind,
        headers: &[String],
        mapping: &[Option<Target>],
        records: impl IntoIterator<Item = (Uuid, &'a Map<String, Value>)>,
        related: impl IntoIterator<Item = (Uuid, &'a Map<String, Value>)>,
        members: Vec<(Uuid, String)>,
        me: Uuid,
    ) -> Self {
        let mut existing = HashMap::new();
        let mut customers = HashMap::new();
        for (id, fields) in records {
            for key in keys_of(kind, kind.entity(), fields) {
                existing.entry(key).or_insert(id);
            }
        }
        for (id, fields) in related {
            if kind == ImportKind::Contacts {
                let keys = [
                    text(fields, "name").map(name_key),
                    text(fields, "email").map(str::to_lowercase),
                ];
                for key in keys.into_iter().flatten().filter(|key| !key.is_empty()) {
                    // Two customers of one name: the file must use the e-mail.
                    customers
                        .entry(key)
                        .and_modify(|found: &mut Option<Uuid>| {
                            *found = found.filter(|held| *held == id)
                        })
                        .or_insert(Some(id));
                }
                continue;
            }
            let Some(customer) =
                text(fields, "customer_id").and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            for key in keys_of(kind, Entity::Contact, fields) {
                existing.entry(key).or_insert(customer);
            }
        }
        Self {
            kind,
            columns: mapping
                .iter()
                .enumerate()
                .filter_map(|(at, target)| Some((at, (*target)?)))
                .collect(),
            headers: headers.to_vec(),
            members,
            me,
            existing,
            customers,
            seen: HashMap::new(),
            rows: Vec::new(),
        }
    }

    /// What this plan imports.
    pub fn kind(&self) -> ImportKind {
        self.kind
    }

    /// Plans the next rows of the file.
    pub fn add(&mut self, rows: &[TableRow]) {
        for row in rows {
            let planned = self.plan_row(row);
            self.rows.push(planned);
        }
    }

    /// Every row planned so far, in file order.
    pub fn rows(&self) -> &[PlannedRow] {
        &self.rows
    }

    /// How many rows of each outcome the plan has.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for row in &self.rows {
            match row.outcome {
                Outcome::New => counts.new += 1,
                Outcome::Duplicate { .. } => counts.duplicates += 1,
                Outcome::Repeat { .. } => counts.repeats += 1,
                Outcome::Invalid(_) => counts.invalid += 1,
            }
        }
        counts
    }

    /// The rows with problems as a CSV file to fix and import again: the
    /// file's own columns, then the line and what is wrong with it.
    pub fn problem_rows_csv(&self, table: &Table) -> Vec<u8> {
        let mut headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
        headers.extend(["Line", "Problems"]);
        let rows = self
            .rows
            .iter()
            .zip(&table.rows)
            .filter_map(|(planned, row)| {
                let Outcome::Invalid(problems) = &planned.outcome else {
                    return None;
                };
                let said: Vec<String> = problems
                    .iter()
                    .map(|problem| format!("{}: {}", problem.column, problem.message))
                    .collect();
                let mut cells = row.cells.clone();
                cells.resize(table.headers.len(), String::new());
                cells.extend([row.line.to_string(), said.join("; ")]);
                Some(cells)
            });
        write_csv(&headers, rows)
    }

    fn column_of(&self, target: Target) -> String {
        self.columns
            .iter()
            .find(|(_, mapped)| *mapped == target)
            .and_then(|(at, _)| self.headers.get(*at).cloned())
            .unwrap_or_else(|| target.label())
    }

    /// The cells of a row gathered per target, joined where several
    /// columns fill one field.
    fn gather(&self, row: &TableRow) -> Vec<(Target, String)> {
        let mut values: Vec<(Target, String)> = Vec::new();
        for &(at, target) in &self.columns {
            let cell = row.cells.get(at).map_or("", |cell| cell.trim());
            if cell.is_empty() {
                continue;
            }
            match values.iter_mut().find(|(known, _)| *known == target) {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(cell);
                }
                None => values.push((target, cell.to_owned())),
            }
        }
        values
    }

    fn plan_row(&mut self, row: &TableRow) -> PlannedRow {
        let entity = self.kind.entity();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut record = Map::new();
        let mut contact = Map::new();
        for (target, value) in self.gather(row) {
            let value = match self.interpret(target, &value) {
                Ok(value) => value,
                // A file from another workspace names its people: the
                // records become the importer's rather than being refused.
                Err(message) if target.field == OWNER_FIELD => {
                    warnings.push(Problem {
                        column: self.column_of(target),
                        message: format!("{message}; it will be yours"),
                    });
                    continue;
                }
                Err(message) => {
                    problems.push(Problem {
                        column: self.column_of(target),
                        message,
                    });
                    continue;
                }
            };
            if target.field == FULL_NAME {
                let person = if entity == Entity::Contact {
                    &mut record
                } else {
                    &mut contact
                };
                let (first, last) = split_person_name(value.as_str().unwrap_or_default());
                person.entry("first_name").or_insert(first.into());
                person.entry("last_name").or_insert(last.into());
            } else if target.entity == entity || target.field == CUSTOMER_MATCH {
                record.insert(target.field.to_owned(), value);
            } else {
                contact.insert(target.field.to_owned(), value);
            }
        }
        if self.kind == ImportKind::Customers && !contact.contains_key("first_name") {
            // No person to make a contact of: their details are the customer's.
            for (field, value) in std::mem::take(&mut contact) {
                let field = if field == "mobile" {
                    "phone".to_owned()
                } else {
                    field
                };
                if entity.field(&field).is_some() {
                    record.entry(field).or_insert(value);
                }
            }
        }
        self.fill_defaults(&mut record, &contact);
        let record = self.checked(entity, record, &mut problems);
        let contact =
            (!contact.is_empty()).then(|| self.checked(Entity::Contact, contact, &mut problems));
        let outcome = if problems.is_empty() {
            self.match_row(row.line, &record, contact.as_ref())
        } else {
            Outcome::Invalid(problems)
        };
        PlannedRow {
            line: row.line,
            record,
            contact,
            outcome,
            warnings,
        }
    }

    /// A cell as the field's value: statuses, kinds and owners are matched
    /// to what the workspace knows; other text goes through as it is.
    fn interpret(&self, target: Target, cell: &str) -> Result<Value, String> {
        let one_of = |choices: &[&'static str], what: &str| {
            choices
                .iter()
                .find(|choice| choice.eq_ignore_ascii_case(cell))
                .map(|choice| Value::from(*choice))
                .ok_or_else(|| {
                    format!(
                        "\u{201c}{cell}\u{201d} is not a {what}: use one of {}",
                        choices.join(", ")
                    )
                })
        };
        match (target.entity, target.field) {
            (Entity::Lead, "status") if cell.eq_ignore_ascii_case(LEAD_CONVERTED) => {
                Err("Only converting a lead makes it Converted".to_owned())
            }
            (_, "status") => one_of(self.kind.statuses(), "status"),
            (_, "kind") => {
                let squashed = squash(cell);
                let kind = match squashed.as_str() {
                    "business" | "b2b" | "organisation" | "organization" => "company",
                    "individual" | "private" | "b2c" | "consumer" => "person",
                    other => other,
                };
                one_of(CUSTOMER_KINDS, "kind").or_else(|error| {
                    CUSTOMER_KINDS
                        .contains(&kind)
                        .then(|| Value::from(kind))
                        .ok_or(error)
                })
            }
            (Entity::Customer, CUSTOMER_MATCH) => {
                let key = if cell.contains('@') {
                    cell.to_lowercase()
                } else {
                    name_key(cell)
                };
                match self.customers.get(&key) {
                    Some(Some(customer)) => Ok(Value::from(customer.to_string())),
                    Some(None) => Err(format!(
                        "More than one customer is called \u{201c}{cell}\u{201d}; use its email"
                    )),
                    None => Err(format!("No customer here is called \u{201c}{cell}\u{201d}")),
                }
            }
            (_, OWNER_FIELD) => self
                .members
                .iter()
                .find(|(id, name)| name.eq_ignore_ascii_case(cell) || id.to_string() == cell)
                .map(|(id, _)| Value::from(id.to_string()))
                .ok_or_else(|| {
                    format!("No member of this workspace is called \u{201c}{cell}\u{201d}")
                }),
            _ => Ok(Value::from(cell)),
        }
    }

    /// What a row leaves out: the default status, the importer as owner, a
    /// person customer's name from its contact, the contact's customer link.
    fn fill_defaults(&self, record: &mut Map<String, Value>, contact: &Map<String, Value>) {
        if let Some(customer) = record.remove(CUSTOMER_MATCH) {
            record.insert("customer_id".into(), customer);
        }
        let entity = self.kind.entity();
        if entity.field("status").is_some() {
            record
                .entry("status")
                .or_insert_with(|| self.kind.default_status().into());
        }
        if entity.has_owner() {
            record
                .entry(OWNER_FIELD)
                .or_insert_with(|| self.me.to_string().into());
        }
        if self.kind == ImportKind::Customers {
            if !record.contains_key("name") {
                let person = [text(contact, "first_name"), text(contact, "last_name")]
                    .into_iter()
                    .flatten()
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                if !person.is_empty() {
                    record.insert("name".into(), person.into());
                    record.entry("kind").or_insert_with(|| "person".into());
                }
            }
            record.entry("kind").or_insert_with(|| "company".into());
        }
    }

    /// The fields through the schema's rules; every refused field becomes a
    /// problem under its column.
    fn checked(
        &self,
        entity: Entity,
        mut fields: Map<String, Value>,
        problems: &mut Vec<Problem>,
    ) -> Map<String, Value> {
        // A customer's default contact is checked as a contact of some
        // customer, and linked to its own when saved.
        let linked_later = entity == Entity::Contact && self.kind == ImportKind::Customers;
        if linked_later {
            fields.insert("customer_id".into(), Uuid::nil().to_string().into());
        }
        let mut clean = Map::new();
        for (name, value) in fields {
            let single: Map<String, Value> = [(name.clone(), value)].into_iter().collect();
            match normalize_patch(entity, &single) {
                Ok(normalized) => clean.extend(normalized),
                Err(error) => problems.push(self.problem(entity, &error.field, error.message)),
            }
        }
        if let Err(error) = check_required(entity, &clean) {
            problems.push(self.problem(entity, &error.field, error.message));
        }
        if linked_later {
            clean.remove("customer_id");
        }
        clean.retain(|_, value| !value.is_null());
        clean
    }

    fn problem(&self, entity: Entity, field: &str, message: String) -> Problem {
        let target = self
            .kind
            .targets()
            .into_iter()
            .find(|target| target.entity == entity && target.field == field);
        Problem {
            column: target.map_or_else(
                || {
                    entity
                        .field(field)
                        .map_or(field, |spec| spec.label)
                        .to_owned()
                },
                |target| self.column_of(target),
            ),
            message,
        }
    }

    /// Whether a valid row is a record already there, or an earlier row.
    fn match_row(
        &mut self,
        line: usize,
        record: &Map<String, Value>,
        contact: Option<&Map<String, Value>>,
    ) -> Outcome {
        let mut keys = keys_of(self.kind, self.kind.entity(), record);
        if let Some(contact) = contact {
            keys.extend(keys_of(self.kind, Entity::Contact, contact));
        }
        keys.sort_by_key(|(reason, _)| *reason as u8);
        if let Some((key, of)) = keys
            .iter()
            .find_map(|key| Some((key, *self.existing.get(key)?)))
        {
            return Outcome::Duplicate { of, reason: key.0 };
        }
        let repeat = keys
            .iter()
            .find_map(|key| Some((key.0, *self.seen.get(key)?)));
        for key in keys {
            self.seen.entry(key).or_insert(line);
        }
        match repeat {
            Some((reason, first)) => Outcome::Repeat {
                line: first,
                reason,
            },
            None => Outcome::New,
        }
    }

    /// The record changes the plan makes under `decisions`. `existing`
    /// reads a record's fields (for filling only its empty ones), and
    /// `has_contacts` whether a customer has any (a person is added as its
    /// first contact, never as a second one from a duplicate row).
    pub fn changes<'a>(
        &self,
        decisions: Decisions,
        existing: impl Fn(Uuid) -> Option<&'a Map<String, Value>>,
        has_contacts: impl Fn(Uuid) -> bool,
    ) -> Vec<ImportChange> {
        let entity = self.kind.entity();
        let mut changes = Vec::new();
        for row in &self.rows {
            let choice = match row.outcome {
                Outcome::Invalid(_) => continue,
                Outcome::New => DuplicateChoice::CreateAnyway,
                Outcome::Duplicate {
                    reason: MatchReason::SameEmail,
                    ..
                } => decisions.same_email,
                Outcome::Duplicate { .. } => decisions.similar,
                Outcome::Repeat { .. } => decisions.repeats,
            };
            let (id, record) = match (choice, &row.outcome) {
                (DuplicateChoice::Skip, _) => continue,
                (DuplicateChoice::FillEmpty, Outcome::Duplicate { of, .. }) => {
                    let Some(held) = existing(*of) else { continue };
                    let mut empty_ones = row.record.clone();
                    empty_ones.retain(|name, _| {
                        self.fills(entity, name) && held.get(name).is_none_or(is_empty_value)
                    });
                    (*of, (!empty_ones.is_empty()).then_some((empty_ones, false)))
                }
                // A repeat cannot fill a record not saved yet: it is skipped.
                (DuplicateChoice::FillEmpty, _) => continue,
                (DuplicateChoice::CreateAnyway, _) => {
                    (Uuid::now_v7(), Some((row.record.clone(), true)))
                }
            };
            let creates = record.as_ref().is_none_or(|(_, creates)| *creates);
            if let Some((fields, creates)) = record {
                changes.push(ImportChange {
                    entity,
                    id,
                    fields,
                    creates,
                });
            }
            if let Some(contact) = &row.contact {
                if creates || !has_contacts(id) {
                    let mut fields = contact.clone();
                    fields.insert("customer_id".into(), id.to_string().into());
                    fields.insert("is_default".into(), true.into());
                    changes.push(ImportChange {
                        entity: Entity::Contact,
                        id: Uuid::now_v7(),
                        fields,
                        creates: true,
                    });
                }
            }
        }
        changes
    }
}

impl Planner {
    /// Whether a column fills this field: defaults (status, owner, kind)
    /// never overwrite anything, empty or not.
    fn fills(&self, entity: Entity, field: &str) -> bool {
        self.columns
            .iter()
            .any(|(_, target)| target.entity == entity && target.field == field)
    }
}

fn is_empty_value(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(|text| text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tabular::read_table;
    use crate::domain::tabular::windows_1252;
    use serde_json::json;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn keys(mapping: &[Option<Target>]) -> Vec<String> {
        mapping
            .iter()
            .map(|target| target.map_or_else(|| "-".to_owned(), Target::key))
            .collect()
    }

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn headers_are_guessed_from_their_usual_names() {
        let mapping = guess_mapping(
            ImportKind::Customers,
            &headers(&[
                "Organisation",
                "Status",
                "Web site",
                "Zip code",
                "Favourite colour",
            ]),
        );
        assert_eq!(
            keys(&mapping),
            [
                "customer.name",
                "customer.status",
                "customer.website",
                "customer.postcode",
                "-"
            ]
        );
        let leads = guess_mapping(
            ImportKind::Leads,
            &headers(&[
                "First name",
                "Last name",
                "Company",
                "E-mail",
                "Mobile",
                "Lead source",
            ]),
        );
        assert_eq!(
            keys(&leads),
            [
                "lead.person_name",
                "lead.person_name",
                "lead.company_name",
                "lead.email",
                "lead.phone",
                "lead.source"
            ]
        );
    }

    #[test]
    fn a_persons_email_and_phone_go_to_the_contact_when_the_file_names_people() {
        let with_people = guess_mapping(
            ImportKind::Customers,
            &headers(&[
                "Company",
                "First name",
                "Surname",
                "E-mail",
                "Phone number",
                "Mobile",
            ]),
        );
        assert_eq!(
            keys(&with_people),
            [
                "customer.name",
                "contact.first_name",
                "contact.last_name",
                "contact.email",
                "contact.phone",
                "contact.mobile"
            ]
        );
        let companies = guess_mapping(
            ImportKind::Customers,
            &headers(&["Company", "Email", "Email"]),
        );
        assert_eq!(
            keys(&companies),
            ["customer.name", "customer.email", "-"],
            "one column per field"
        );
    }

    #[test]
    fn the_remembered_mapping_is_kept_per_header_set() {
        let a = mapping_memory_key(ImportKind::Customers, &headers(&["Name", "Email"]));
        let b = mapping_memory_key(ImportKind::Customers, &headers(&["Email", "Name"]));
        assert_ne!(a, b);
        assert_eq!(
            a,
            mapping_memory_key(ImportKind::Customers, &headers(&["Name", "Email"]))
        );
    }

    fn plan(kind: ImportKind, file: &str, existing: &[(Uuid, Map<String, Value>)]) -> Planner {
        let table = read_table(file.as_bytes(), windows_1252).expect("reads");
        let mapping = guess_mapping(kind, &table.headers);
        let me = Uuid::now_v7();
        let mut planner = Planner::new(
            kind,
            &table.headers,
            &mapping,
            existing.iter().map(|(id, fields)| (*id, fields)),
            std::iter::empty(),
            vec![(me, "Ada Lovelace".to_owned())],
            me,
        );
        planner.add(&table.rows);
        planner
    }

    #[test]
    fn every_problem_of_a_row_is_named_by_its_column() {
        let planner = plan(
            ImportKind::Customers,
            "Company,Status,Email,Owner\n,Hot,not-an-email,Grace\nAcme,prospect,a@acme.test,ada lovelace\n",
            &[],
        );
        let Outcome::Invalid(problems) = &planner.rows()[0].outcome else {
            panic!("{:?}", planner.rows()[0]);
        };
        let columns: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(columns, ["Status", "Email", "Company"], "{problems:?}");
        assert_eq!(
            planner.rows()[0].warnings[0].column,
            "Owner",
            "an unknown owner makes the row the importer's"
        );
        assert_eq!(planner.rows()[1].outcome, Outcome::New);
        assert_eq!(
            planner.rows()[1].record["status"],
            "Prospect",
            "matched ignoring case"
        );
        assert_eq!(
            planner.counts(),
            Counts {
                new: 1,
                invalid: 1,
                ..Counts::default()
            }
        );
    }

    #[test]
    fn a_row_naming_a_person_brings_its_default_contact() {
        let planner = plan(
            ImportKind::Customers,
            "Company,Contact name,Email,Job title\nAcme,Jane van Doe,jane@acme.test,Buyer\n,Max Muster,max@mail.test,\n",
            &[],
        );
        let changes = planner.changes(Decisions::default(), |_| None, |_| false);
        assert_eq!(changes.len(), 4);
        let (acme, jane) = (&changes[0], &changes[1]);
        assert_eq!(acme.fields["name"], "Acme");
        assert_eq!(acme.fields["kind"], "company");
        assert_eq!(jane.entity, Entity::Contact);
        assert_eq!(jane.fields["first_name"], "Jane");
        assert_eq!(jane.fields["last_name"], "van Doe");
        assert_eq!(jane.fields["customer_id"], acme.id.to_string());
        assert_eq!(jane.fields["is_default"], true);
        assert_eq!(changes[2].fields["name"], "Max Muster");
        assert_eq!(changes[2].fields["kind"], "person", "no company: a person");
    }

    #[test]
    fn duplicates_of_records_and_of_earlier_rows_are_found_and_counted() {
        let acme = Uuid::now_v7();
        let existing = [(
            acme,
            fields(json!({"name": "ACME Ltd.", "email": "info@acme.test", "phone": null})),
        )];
        let planner = plan(
            ImportKind::Customers,
            "Company,Email,Phone\nAcme GmbH,,+44 20 7946 0000\nGlobex,INFO@acme.test,\nInitech,hi@initech.test,020 7946 1111\nInitech UK,hi@initech.test,\nUmbrella,,\n",
            &existing,
        );
        let outcomes: Vec<&Outcome> = planner.rows().iter().map(|row| &row.outcome).collect();
        assert_eq!(
            outcomes[0],
            &Outcome::Duplicate {
                of: acme,
                reason: MatchReason::SameName
            }
        );
        assert_eq!(
            outcomes[1],
            &Outcome::Duplicate {
                of: acme,
                reason: MatchReason::SameEmail
            }
        );
        assert_eq!(outcomes[2], &Outcome::New);
        assert_eq!(
            outcomes[3],
            &Outcome::Repeat {
                line: 4,
                reason: MatchReason::SameEmail
            }
        );
        assert_eq!(
            planner.counts(),
            Counts {
                new: 2,
                duplicates: 2,
                repeats: 1,
                invalid: 0
            }
        );
        let changes = planner.changes(
            Decisions::default(),
            |id| (id == acme).then_some(&existing[0].1),
            |_| false,
        );
        let filled = &changes[0];
        assert!(!filled.creates, "the name match fills the empty phone");
        assert_eq!(filled.id, acme);
        assert_eq!(filled.fields.keys().collect::<Vec<_>>(), ["phone"]);
        assert_eq!(
            changes.len(),
            3,
            "Initech and Umbrella are created, the repeat skipped"
        );
    }

    #[test]
    fn importing_what_was_imported_creates_nothing() {
        let file = "Name,Email,Phone\nAcme,info@acme.test,\nGlobex,,0201234567\nInitech,,\n";
        let first = plan(ImportKind::Customers, file, &[]);
        let saved: Vec<(Uuid, Map<String, Value>)> = first
            .changes(Decisions::default(), |_| None, |_| false)
            .into_iter()
            .map(|change| (change.id, change.fields))
            .collect();
        assert_eq!(saved.len(), 3);
        let again = plan(ImportKind::Customers, file, &saved);
        assert_eq!(again.counts().duplicates, 3);
        let lookup = |id: Uuid| {
            saved
                .iter()
                .find(|(held, _)| *held == id)
                .map(|(_, fields)| fields)
        };
        assert!(again
            .changes(Decisions::default(), lookup, |_| false)
            .is_empty());
    }

    #[test]
    fn undoing_an_import_takes_back_only_what_nobody_changed_since() {
        let acme = Uuid::now_v7();
        let existing = [(
            acme,
            fields(json!({"name": "Acme", "status": "Customer", "kind": "company"})),
        )];
        let planner = plan(
            ImportKind::Customers,
            "Name,Phone\nAcme,0201234567\nGlobex,\nInitech,\n",
            &existing,
        );
        let changes = planner.changes(Decisions::default(), |_| Some(&existing[0].1), |_| true);
        let receipt =
            ImportReceipt::of(ImportKind::Customers, "c.csv", chrono::Utc::now(), &changes);
        assert_eq!((receipt.created.len(), receipt.filled.len()), (2, 1));
        let mut records: HashMap<Uuid, Map<String, Value>> = HashMap::new();
        records.insert(acme, existing[0].1.clone());
        for change in &changes {
            let record = records.entry(change.id).or_default();
            record.extend(change.fields.clone());
            // What the server adds when the import syncs.
            record.insert(CHANGED_BY_FIELD.into(), Uuid::now_v7().to_string().into());
        }
        let initech = changes[2].id;
        records
            .get_mut(&initech)
            .map(|r| r.insert("city".into(), "Paris".into()));
        let plan = receipt.undo(|id| records.get(&id));
        assert_eq!((plan.removed, plan.emptied), (1, 1));
        assert_eq!(plan.changed_since, [initech], "changed since: left alone");
        assert!(plan.changes.contains(&BatchChange::Upsert {
            entity: Entity::Customer,
            id: acme,
            fields: fields(json!({"phone": null})),
        }));
        let json = serde_json::to_string(&receipt).expect("kept as JSON");
        assert_eq!(
            serde_json::from_str::<ImportReceipt>(&json).ok(),
            Some(receipt)
        );
    }

    #[test]
    fn contacts_go_to_the_customer_their_row_names_by_name_or_email() {
        let acme = Uuid::now_v7();
        let globex = Uuid::now_v7();
        let twin = Uuid::now_v7();
        let customers = [
            (
                acme,
                fields(json!({"name": "ACME Ltd", "email": "info@acme.test"})),
            ),
            (globex, fields(json!({"name": "Globex"}))),
            (twin, fields(json!({"name": "Globex GmbH"}))),
        ];
        let jane = Uuid::now_v7();
        let contacts = [(
            jane,
            fields(
                json!({"customer_id": acme.to_string(), "first_name": "Jane", "email": "jane@acme.test"}),
            ),
        )];
        let file = "Name,Company,Email,Job title\nMax Muster,acme,max@acme.test,Buyer\nIda Ink,INFO@acme.test,,\nJane Doe,Acme,jane@acme.test,\nBo,Globex,,\nCy,Initech,,\nDi,,,\n";
        let table = read_table(file.as_bytes(), windows_1252).expect("reads");
        let mapping = guess_mapping(ImportKind::Contacts, &table.headers);
        assert_eq!(
            keys(&mapping),
            [
                "contact.full_name",
                "customer.match",
                "contact.email",
                "contact.job_title"
            ]
        );
        let me = Uuid::now_v7();
        let mut planner = Planner::new(
            ImportKind::Contacts,
            &table.headers,
            &mapping,
            contacts.iter().map(|(id, fields)| (*id, fields)),
            customers.iter().map(|(id, fields)| (*id, fields)),
            vec![],
            me,
        );
        planner.add(&table.rows);
        let rows = planner.rows();
        assert_eq!(rows[0].outcome, Outcome::New);
        assert_eq!(rows[0].record["customer_id"], acme.to_string(), "by name");
        assert_eq!(rows[0].record["last_name"], "Muster");
        assert_eq!(rows[1].record["customer_id"], acme.to_string(), "by email");
        assert_eq!(
            rows[2].outcome,
            Outcome::Duplicate {
                of: jane,
                reason: MatchReason::SameEmail
            }
        );
        let problem = |at: usize| match &rows[at].outcome {
            Outcome::Invalid(problems) => problems[0].message.clone(),
            other => format!("{other:?}"),
        };
        assert!(
            problem(3).starts_with("More than one customer"),
            "{}",
            problem(3)
        );
        assert!(problem(4).starts_with("No customer here"), "{}", problem(4));
        assert_eq!(problem(5), "Customer is required");
        let changes = planner.changes(Decisions::default(), |_| None, |_| false);
        assert_eq!(changes.len(), 2);
        assert!(changes
            .iter()
            .all(|change| change.entity == Entity::Contact && change.creates));
    }

    #[test]
    fn leads_refuse_the_converted_status_and_match_on_person_and_company() {
        let planner = plan(
            ImportKind::Leads,
            "Name,Company,Status\nJane Doe,Acme,Converted\nJane Doe,Acme,new\nJane Doe,Globex,\n",
            &[],
        );
        assert!(matches!(planner.rows()[0].outcome, Outcome::Invalid(_)));
        assert_eq!(planner.rows()[1].outcome, Outcome::New);
        assert_eq!(
            planner.rows()[2].outcome,
            Outcome::New,
            "another company: another lead"
        );
        assert_eq!(planner.rows()[2].record["status"], "New");
    }
}
