//! The field schema of every synced entity, and validation driven by it.
//!
//! One table of [`FieldSpec`]s per entity is the single source of truth for
//! which fields exist, what values they accept and what the user is told when
//! a value is wrong. The browser checks a form against it before a change is
//! queued, and the server checks every pushed mutation against the same table,
//! so both give the same message for the same mistake.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The kinds of record that sync. The wire names are the lowercase variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Customer,
    Contact,
    /// A potential customer, kept apart until it is converted.
    Lead,
    /// A possible deal with a customer or a lead.
    Opportunity,
    /// A call, e-mail, meeting, note or task on some record's timeline.
    Activity,
    /// A value a concurrent edit overwrote. Written by the server; clients
    /// may only mark one resolved.
    Conflict,
}

impl Entity {
    /// Every entity, in the order a full pull or a cascade visits them.
    pub const ALL: [Entity; 6] = [
        Entity::Customer,
        Entity::Contact,
        Entity::Lead,
        Entity::Opportunity,
        Entity::Activity,
        Entity::Conflict,
    ];

    /// The wire and storage name, also used to build local storage keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customer => "customer",
            Entity::Contact => "contact",
            Entity::Lead => "lead",
            Entity::Opportunity => "opportunity",
            Entity::Activity => "activity",
            Entity::Conflict => "conflict",
        }
    }

    /// The fields a client may set on this entity; anything else is refused.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Entity::Customer => CUSTOMER_FIELDS,
            Entity::Contact => CONTACT_FIELDS,
            Entity::Lead => LEAD_FIELDS,
            Entity::Opportunity => OPPORTUNITY_FIELDS,
            Entity::Activity => ACTIVITY_FIELDS,
            Entity::Conflict => CONFLICT_FIELDS,
        }
    }

    /// Whether clients may write this field; the others are the server's.
    pub fn client_writable(self, field: &str) -> bool {
        match self {
            Entity::Conflict => field == "resolved",
            // Conversion links a lead to its customer; nothing else may.
            Entity::Lead if field == "customer_id" => false,
            // Who made a record's last change, what a record was merged
            // into and what it was deleted with are the server's to say.
            _ if [CHANGED_BY_FIELD, MERGED_INTO_FIELD, DELETED_WITH_FIELD].contains(&field) => {
                false
            }
            _ => field == "deleted" || self.field(field).is_some(),
        }
    }

    /// Fields of which a record needs at least one, and what to say when it
    /// has none; the message is shown at the first of them.
    pub fn one_of_required(self) -> Option<(&'static [&'static str], &'static str)> {
        match self {
            Entity::Lead => Some((
                &["person_name", "company_name"],
                "Enter a person name or a company name",
            )),
            Entity::Opportunity => Some((
                &["customer_id", "lead_id"],
                "An opportunity belongs to a customer or a lead",
            )),
            Entity::Activity => Some((
                &["customer_id", "contact_id", "lead_id", "opportunity_id"],
                "An activity belongs to a customer, a contact, a lead or an opportunity",
            )),
            Entity::Customer | Entity::Contact | Entity::Conflict => None,
        }
    }

    /// The label users see for one record of this entity.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Customer => "customer",
            Entity::Contact => "contact",
            Entity::Lead => "lead",
            Entity::Opportunity => "opportunity",
            Entity::Activity => "activity",
            Entity::Conflict => "conflict",
        }
    }

    /// Looks up one field's rules, `None` when the entity has no such field.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|spec| spec.name == name)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What values a field accepts; the limits are those of DESIGN.md section 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A display name or title: 1 to 200 characters once trimmed.
    Name,
    /// A short free text (job title, address line) of at most this many characters.
    Text(usize),
    /// An e-mail address, at most 254 characters.
    Email,
    /// A phone number, at most 50 characters.
    Phone,
    /// Long free text (notes), at most 20,000 characters.
    Notes,
    /// One value out of a fixed list.
    Choice(&'static [&'static str]),
    /// `true` or `false`.
    Flag,
    /// The id of another record of the given entity.
    Reference(Entity),
    /// The user id of a member of the workspace: who owns a record or is
    /// assigned an activity. The server checks that the member exists and
    /// has not been removed; the browser offers the members as a list.
    Member,
    /// A whole number in this inclusive range.
    Integer { min: i64, max: i64 },
    /// An amount of money in minor units (cents), never negative.
    Money,
    /// An ISO 4217 currency code such as EUR.
    Currency,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    /// An instant, RFC 3339; stored in UTC.
    Timestamp,
}

impl FieldKind {
    /// Whether values are JSON numbers (and SQL integers) rather than text.
    pub fn is_number(self) -> bool {
        matches!(self, FieldKind::Integer { .. } | FieldKind::Money)
    }
}

/// One field of an entity: its wire name, the label users see, and its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        required: false,
    }
}

const fn required(name: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        required: true,
    }
}

/// Maximum length of a name or title, in characters.
pub const NAME_MAX: usize = 200;
/// Maximum length of an e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Maximum length of a phone number.
pub const PHONE_MAX: usize = 50;
/// Maximum length of notes and activity bodies.
pub const NOTES_MAX: usize = 20_000;

/// Customer kinds: a business (B2B) or a private person (B2C).
pub const CUSTOMER_KINDS: &[&str] = &["company", "person"];
/// The default customer statuses of a workspace, in the order the list shows them.
pub const CUSTOMER_STATUSES: &[&str] = &["Prospect", "Suspect", "Customer", "Inactive"];

const CUSTOMER_FIELDS: &[FieldSpec] = &[
    required("name", "Name", FieldKind::Name),
    required("kind", "Kind", FieldKind::Choice(CUSTOMER_KINDS)),
    required("status", "Status", FieldKind::Choice(CUSTOMER_STATUSES)),
    field("email", "Email", FieldKind::Email),
    field("phone", "Phone", FieldKind::Phone),
    field("website", "Website", FieldKind::Text(NAME_MAX)),
    field("street", "Street", FieldKind::Text(NAME_MAX)),
    field("city", "City", FieldKind::Text(NAME_MAX)),
    field("postcode", "Postcode", FieldKind::Text(PHONE_MAX)),
    field("country", "Country", FieldKind::Text(NAME_MAX)),
    field("notes", "Notes", FieldKind::Notes),
    field("owner", "Owner", FieldKind::Member),
    field(CHANGED_BY_FIELD, "Changed by", FieldKind::Member),
    field(
        MERGED_INTO_FIELD,
        "Merged into",
        FieldKind::Reference(Entity::Customer),
    ),
];

const CONTACT_FIELDS: &[FieldSpec] = &[
    required(
        "customer_id",
        "Customer",
        FieldKind::Reference(Entity::Customer),
    ),
    required("first_name", "First name", FieldKind::Name),
    field("last_name", "Last name", FieldKind::Text(NAME_MAX)),
    field("job_title", "Job title", FieldKind::Text(NAME_MAX)),
    field("email", "Email", FieldKind::Email),
    field("phone", "Phone", FieldKind::Phone),
    field("mobile", "Mobile", FieldKind::Phone),
    field("is_default", "Default contact", FieldKind::Flag),
    field("notes", "Notes", FieldKind::Notes),
    field(CHANGED_BY_FIELD, "Changed by", FieldKind::Member),
    field(
        MERGED_INTO_FIELD,
        "Merged into",
        FieldKind::Reference(Entity::Contact),
    ),
    field(
        DELETED_WITH_FIELD,
        "Deleted with",
        FieldKind::Text(UUID_LEN),
    ),
];

/// Lead statuses, in the order the list shows them. Only conversion sets
/// the last one.
pub const LEAD_STATUSES: &[&str] = &[
    "New",
    "Contacted",
    "Interested",
    "Qualified",
    "Lost",
    "Do Not Contact",
    "Converted",
];
/// The status conversion gives a lead.
pub const LEAD_CONVERTED: &str = "Converted";

const LEAD_FIELDS: &[FieldSpec] = &[
    field("person_name", "Person name", FieldKind::Text(NAME_MAX)),
    field("company_name", "Company name", FieldKind::Text(NAME_MAX)),
    field("email", "Email", FieldKind::Email),
    field("phone", "Phone", FieldKind::Phone),
    field("source", "Source", FieldKind::Text(NAME_MAX)),
    required("status", "Status", FieldKind::Choice(LEAD_STATUSES)),
    field(
        "customer_id",
        "Customer",
        FieldKind::Reference(Entity::Customer),
    ),
    field("notes", "Notes", FieldKind::Notes),
    field("owner", "Owner", FieldKind::Member),
    field(CHANGED_BY_FIELD, "Changed by", FieldKind::Member),
    field(
        MERGED_INTO_FIELD,
        "Merged into",
        FieldKind::Reference(Entity::Lead),
    ),
];

/// Opportunity stages, in pipeline order.
pub const OPPORTUNITY_STAGES: &[&str] =
    &["Qualification", "Proposal", "Negotiation", "Won", "Lost"];
/// The largest amount an opportunity may carry, in minor units (10^15).
pub const AMOUNT_MAX: i64 = 1_000_000_000_000_000;

const OPPORTUNITY_FIELDS: &[FieldSpec] = &[
    field(
        "customer_id",
        "Customer",
        FieldKind::Reference(Entity::Customer),
    ),
    field("lead_id", "Lead", FieldKind::Reference(Entity::Lead)),
    required("title", "Title", FieldKind::Name),
    required("stage", "Stage", FieldKind::Choice(OPPORTUNITY_STAGES)),
    field("amount", "Amount", FieldKind::Money),
    field("currency", "Currency", FieldKind::Currency),
    field("expected_close", "Expected close", FieldKind::Date),
    field(
        "probability",
        "Probability (%)",
        FieldKind::Integer { min: 0, max: 100 },
    ),
    field("notes", "Notes", FieldKind::Notes),
    field("owner", "Owner", FieldKind::Member),
    field(CHANGED_BY_FIELD, "Changed by", FieldKind::Member),
    field(
        DELETED_WITH_FIELD,
        "Deleted with",
        FieldKind::Text(UUID_LEN),
    ),
];

/// Activity kinds; a task is scheduled and later marked done.
pub const ACTIVITY_KINDS: &[&str] = &["call", "email", "meeting", "note", "task"];

const ACTIVITY_FIELDS: &[FieldSpec] = &[
    field(
        "customer_id",
        "Customer",
        FieldKind::Reference(Entity::Customer),
    ),
    field(
        "contact_id",
        "Contact",
        FieldKind::Reference(Entity::Contact),
    ),
    field("lead_id", "Lead", FieldKind::Reference(Entity::Lead)),
    field(
        "opportunity_id",
        "Opportunity",
        FieldKind::Reference(Entity::Opportunity),
    ),
    required("kind", "Kind", FieldKind::Choice(ACTIVITY_KINDS)),
    required("subject", "Subject", FieldKind::Name),
    field("body", "Details", FieldKind::Notes),
    field("due_at", "Due", FieldKind::Timestamp),
    field("done_at", "Done", FieldKind::Timestamp),
    // Named `owner` on the wire like the other entities' (DESIGN.md
    // section 2); for an activity it is the member it is assigned to.
    field("owner", "Assigned to", FieldKind::Member),
    field(CHANGED_BY_FIELD, "Changed by", FieldKind::Member),
    field(
        DELETED_WITH_FIELD,
        "Deleted with",
        FieldKind::Text(UUID_LEN),
    ),
];

/// The field naming the member who made a record's last change: written
/// by the server on every write a push makes, so pages can say who
/// changed what ("Ada changed Acme"). Clients may not send it.
pub const CHANGED_BY_FIELD: &str = "changed_by";

/// The field of a merged-away record naming the record it was merged
/// into (see `merge_request`). Written by the server only.
pub const MERGED_INTO_FIELD: &str = "merged_into";

/// The field of a record deleted because the record it hangs off was
/// (a customer's contacts, deals and activities) naming that record:
/// restoring it restores them, and the Trash counts them under it.
/// Written by the server only.
pub const DELETED_WITH_FIELD: &str = "deleted_with";

/// How long a record id is written out: the width of `deleted_with`.
const UUID_LEN: usize = 36;

/// The field naming a record's owner (an activity's assignee), on every
/// entity that has one.
pub const OWNER_FIELD: &str = "owner";

impl Entity {
    /// Whether records of this entity belong to a member: customers, leads,
    /// opportunities and activities do; contacts follow their customer.
    pub fn has_owner(self) -> bool {
        self.field(OWNER_FIELD).is_some()
    }
}

/// Entities a conflict can be about.
pub const CONFLICT_ENTITIES: &[&str] = &["customer", "contact", "lead", "opportunity", "activity"];

const CONFLICT_FIELDS: &[FieldSpec] = &[
    required(
        "record_entity",
        "Record kind",
        FieldKind::Choice(CONFLICT_ENTITIES),
    ),
    required("record_id", "Record", FieldKind::Text(64)),
    required("field", "Field", FieldKind::Text(64)),
    // JSON text of the overwritten value and of the value that won.
    field(
        "theirs",
        "Overwritten value",
        FieldKind::Text(NOTES_MAX + 64),
    ),
    field("mine", "New value", FieldKind::Text(NOTES_MAX + 64)),
    field("changed_by", "Changed by", FieldKind::Text(64)),
    field("resolved", "Resolved", FieldKind::Flag),
];

/// A value the rules refuse, naming the field so the form can show it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Checks and normalises the fields of one change before it is queued or applied.
///
/// Text is trimmed and empty optional text becomes `null`, so "cleared" has one
/// representation everywhere. Unknown fields are refused rather than dropped:
/// a client that sends them is out of date and its user should hear about it.
pub fn normalize_patch(
    entity: Entity,
    patch: &Map<String, Value>,
) -> Result<Map<String, Value>, FieldError> {
    if let Some(unknown) = unknown_field(entity, patch) {
        let message = if entity.field(unknown).is_some() {
            "is set by the server".to_owned()
        } else {
            format!("is not a field of a {entity}")
        };
        return Err(FieldError::new(unknown, message));
    }
    let mut clean = Map::with_capacity(patch.len());
    if let Some(deleted) = patch.get("deleted") {
        if !deleted.is_boolean() {
            return Err(FieldError::new("deleted", "must be true or false"));
        }
        clean.insert("deleted".to_owned(), deleted.clone());
    }
    // Schema order, so the first mistake reported is the first one on the form.
    for spec in entity.fields() {
        if let Some(value) = patch.get(spec.name) {
            clean.insert(spec.name.to_owned(), normalize_value(spec, value)?);
        }
    }
    Ok(clean)
}

/// The first name in a patch that is not a field of the entity: a client
/// sending one is out of date or hostile, and the whole request is refused.
pub fn unknown_field(entity: Entity, patch: &Map<String, Value>) -> Option<&str> {
    patch
        .keys()
        .map(String::as_str)
        .find(|name| !entity.client_writable(name))
}

/// Checks that a whole record (after a change is merged in) has every required field.
pub fn check_required(entity: Entity, record: &Map<String, Value>) -> Result<(), FieldError> {
    let missing = |name: &str| record.get(name).is_none_or(Value::is_null);
    for spec in entity.fields().iter().filter(|spec| spec.required) {
        if missing(spec.name) {
            return Err(FieldError::new(
                spec.name,
                format!("{} is required", spec.label),
            ));
        }
    }
    if let Some((names, message)) = entity.one_of_required() {
        if names.iter().all(|name| missing(name)) {
            return Err(FieldError::new(names[0], message));
        }
    }
    Ok(())
}

/// Rules about how a record may change, beyond the values themselves:
/// only conversion makes a lead "Converted", and a converted lead stays so.
pub fn check_change(
    entity: Entity,
    before: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
) -> Result<(), FieldError> {
    if entity != Entity::Lead {
        return Ok(());
    }
    let Some(status) = patch.get("status").and_then(Value::as_str) else {
        return Ok(());
    };
    let was_converted = before
        .and_then(|fields| fields.get("status"))
        .and_then(Value::as_str)
        == Some(LEAD_CONVERTED);
    if was_converted && status != LEAD_CONVERTED {
        return Err(FieldError::new(
            "status",
            "A converted lead stays Converted",
        ));
    }
    if !was_converted && status == LEAD_CONVERTED {
        return Err(FieldError::new(
            "status",
            "A lead becomes Converted by converting it to a customer",
        ));
    }
    Ok(())
}

fn normalize_value(spec: &FieldSpec, value: &Value) -> Result<Value, FieldError> {
    let error = |message: String| FieldError::new(spec.name, message);
    let blank = value.as_str().is_some_and(|text| text.trim().is_empty());
    if value.is_null() || blank {
        return if spec.required {
            Err(error(format!("{} is required", spec.label)))
        } else {
            Ok(Value::Null)
        };
    }
    if let FieldKind::Flag = spec.kind {
        return match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(error(format!("{} must be true or false", spec.label))),
        };
    }
    if spec.kind.is_number() {
        let (min, max) = match spec.kind {
            FieldKind::Integer { min, max } => (min, max),
            _ => (0, AMOUNT_MAX),
        };
        return match value.as_i64() {
            Some(number) if (min..=max).contains(&number) => Ok(value.clone()),
            Some(_) if spec.kind == FieldKind::Money => Err(error(format!(
                "{} must be between 0 and {}",
                spec.label,
                AMOUNT_MAX / 100
            ))),
            Some(_) => Err(error(format!(
                "{} must be between {min} and {max}",
                spec.label
            ))),
            None => Err(error(format!("{} must be a whole number", spec.label))),
        };
    }
    let Value::String(raw) = value else {
        return Err(error(format!("{} must be text", spec.label)));
    };
    let text = raw.trim();
    let length = text.chars().count();
    let too_long = |max: usize| {
        error(format!(
            "{} must be at most {max} characters (it has {length})",
            spec.label
        ))
    };
    match spec.kind {
        FieldKind::Name if length > NAME_MAX => return Err(too_long(NAME_MAX)),
        FieldKind::Text(max) if length > max => return Err(too_long(max)),
        FieldKind::Phone if length > PHONE_MAX => return Err(too_long(PHONE_MAX)),
        FieldKind::Notes if length > NOTES_MAX => return Err(too_long(NOTES_MAX)),
        FieldKind::Email if length > EMAIL_MAX => return Err(too_long(EMAIL_MAX)),
        FieldKind::Email if !is_plausible_email(text) => {
            return Err(error(format!(
                "{} must be an address like name@example.com",
                spec.label
            )))
        }
        FieldKind::Choice(options) if !options.contains(&text) => {
            return Err(error(format!(
                "{} must be one of: {}",
                spec.label,
                options.join(", ")
            )))
        }
        FieldKind::Reference(target) if uuid::Uuid::parse_str(text).is_err() => {
            return Err(error(format!(
                "{} must be the id of a {target}",
                spec.label
            )))
        }
        FieldKind::Member if uuid::Uuid::parse_str(text).is_err() => {
            return Err(error(format!(
                "{} must be a member of the workspace",
                spec.label
            )))
        }
        FieldKind::Currency if length != 3 || !text.chars().all(|c| c.is_ascii_alphabetic()) => {
            return Err(error(format!(
                "{} must be a three-letter code such as EUR",
                spec.label
            )))
        }
        FieldKind::Currency => return Ok(Value::String(text.to_ascii_uppercase())),
        FieldKind::Date => {
            // `FromStr` and `Display` are ISO 8601 days, without the
            // strftime parser a format string would pull into the bundle.
            return match text.parse::<chrono::NaiveDate>() {
                Ok(day) => Ok(Value::String(day.to_string())),
                Err(_) => Err(error(format!(
                    "{} must be a date like 2026-12-31",
                    spec.label
                ))),
            };
        }
        FieldKind::Timestamp => {
            return match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(time) => Ok(Value::String(
                    time.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )),
                Err(_) => Err(error(format!(
                    "{} must be a date and time like 2026-12-31T09:30:00Z",
                    spec.label
                ))),
            }
        }
        _ => {}
    }
    Ok(Value::String(text.to_owned()))
}

/// An RFC 5322-ish check: one `@`, a non-empty local part, a dotted domain and
/// no spaces. Deliverability can only be proven by sending mail; this catches typos.
pub(crate) fn is_plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let labels_ok = domain
        .split('.')
        .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && labels_ok
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn trims_text_and_turns_blank_optional_fields_into_null() {
        let clean = normalize_patch(
            Entity::Customer,
            &patch(json!({"name": "  Acme  ", "phone": "   "})),
        )
        .expect("valid");
        assert_eq!(clean["name"], json!("Acme"));
        assert_eq!(clean["phone"], Value::Null);
    }

    #[test]
    fn names_the_field_of_an_empty_required_name() {
        let err = normalize_patch(Entity::Customer, &patch(json!({"name": " "}))).unwrap_err();
        assert_eq!(err, FieldError::new("name", "Name is required"));
    }

    #[test]
    fn refuses_a_name_over_200_characters_and_says_how_long_it_is() {
        let err = normalize_patch(Entity::Customer, &patch(json!({"name": "x".repeat(5000)})))
            .unwrap_err();
        assert_eq!(err.field, "name");
        assert_eq!(
            err.message,
            "Name must be at most 200 characters (it has 5000)"
        );
    }

    #[test]
    fn accepts_plausible_and_refuses_malformed_emails() {
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(is_plausible_email(good), "{good}");
        }
        for bad in [
            "plainaddress",
            "a@b",
            "a@@b.com",
            "@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        let err = normalize_patch(Entity::Contact, &patch(json!({"email": "nope"}))).unwrap_err();
        assert_eq!(err.field, "email");
    }

    #[test]
    fn refuses_unknown_fields_statuses_and_wrong_types() {
        let unknown =
            normalize_patch(Entity::Customer, &patch(json!({"colour": "red"}))).unwrap_err();
        assert_eq!(unknown.field, "colour");
        let status =
            normalize_patch(Entity::Customer, &patch(json!({"status": "Friend"}))).unwrap_err();
        assert_eq!(
            status.message,
            "Status must be one of: Prospect, Suspect, Customer, Inactive"
        );
        let flag =
            normalize_patch(Entity::Contact, &patch(json!({"is_default": "yes"}))).unwrap_err();
        assert_eq!(flag.field, "is_default");
        let number = normalize_patch(Entity::Customer, &patch(json!({"name": 7}))).unwrap_err();
        assert_eq!(number.message, "Name must be text");
    }

    #[test]
    fn reports_the_first_wrong_field_in_form_order() {
        let err = normalize_patch(
            Entity::Customer,
            &patch(json!({"email": "nope", "name": ""})),
        )
        .unwrap_err();
        assert_eq!(err.field, "name");
    }

    #[test]
    fn numbers_dates_and_currencies_are_checked_and_normalised() {
        let clean = normalize_patch(
            Entity::Opportunity,
            &patch(
                json!({"amount": 125_000, "currency": "eur", "probability": 40,
                "expected_close": "2026-12-31"}),
            ),
        )
        .expect("valid");
        assert_eq!(clean["currency"], json!("EUR"));
        assert_eq!(clean["amount"], json!(125_000));
        for (bad, field) in [
            (json!({"probability": 101}), "probability"),
            (json!({"amount": -1}), "amount"),
            (json!({"amount": "12"}), "amount"),
            (json!({"currency": "EURO"}), "currency"),
            (json!({"expected_close": "31/12/2026"}), "expected_close"),
        ] {
            let err = normalize_patch(Entity::Opportunity, &patch(bad)).unwrap_err();
            assert_eq!(err.field, field);
        }
        let due = normalize_patch(
            Entity::Activity,
            &patch(json!({"due_at": "2026-12-01T10:00:00+01:00"})),
        )
        .expect("valid");
        assert_eq!(due["due_at"], json!("2026-12-01T09:00:00Z"));
    }

    #[test]
    fn a_record_needs_one_of_its_alternative_fields() {
        let lead = patch(json!({"status": "New", "email": "a@b.co"}));
        let err = check_required(Entity::Lead, &lead).unwrap_err();
        assert_eq!(err.field, "person_name");
        let with_company = patch(json!({"status": "New", "company_name": "Acme"}));
        assert!(check_required(Entity::Lead, &with_company).is_ok());
        let activity = patch(json!({"kind": "call", "subject": "Intro"}));
        assert_eq!(
            check_required(Entity::Activity, &activity)
                .unwrap_err()
                .field,
            "customer_id"
        );
    }

    #[test]
    fn only_conversion_makes_a_lead_converted_and_it_stays_so() {
        let new_lead = patch(json!({"status": "New"}));
        let converted = patch(json!({"status": "Converted"}));
        assert!(check_change(Entity::Lead, Some(&new_lead), &converted).is_err());
        assert!(check_change(Entity::Lead, None, &converted).is_err());
        assert!(check_change(Entity::Lead, Some(&converted), &new_lead).is_err());
        assert!(check_change(
            Entity::Lead,
            Some(&new_lead),
            &patch(json!({"status": "Lost"}))
        )
        .is_ok());
        assert!(check_change(
            Entity::Lead,
            Some(&converted),
            &patch(json!({"notes": "x"}))
        )
        .is_ok());
        assert!(normalize_patch(Entity::Lead, &patch(json!({"customer_id": "x"}))).is_err());
    }

    #[test]
    fn required_fields_are_checked_on_the_merged_record() {
        let record = patch(json!({"name": "Acme", "kind": "company"}));
        let err = check_required(Entity::Customer, &record).unwrap_err();
        assert_eq!(err, FieldError::new("status", "Status is required"));
    }
}
