//! Converting a lead into a customer: what is created, and which existing
//! customers or contacts the lead may be a duplicate of.
//!
//! The browser applies these rules to show the conversion at once, offline,
//! and the server applies the same ones inside one transaction; a lead that
//! is already converted converts to nothing, so a retry or a second device
//! never creates a second customer.

use super::customer::{Contact, Customer};
use super::lead::Lead;
use super::schema::{FieldError, CUSTOMER_STATUSES, LEAD_CONVERTED, LEAD_STATUSES};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The status a customer made from a lead starts with unless the user
/// picks another: a converted lead has bought something.
pub const CONVERTED_CUSTOMER_STATUS: &str = "Customer";

/// The fields of a `convert` mutation: the customer to create or attach to,
/// the contact to create from the lead's person or attach to, and the
/// status a new customer gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertRequest {
    pub customer_id: Uuid,
    pub contact_id: Option<Uuid>,
    /// The new customer's status; `None` gives [`CONVERTED_CUSTOMER_STATUS`].
    /// An existing customer's status is changed by an ordinary edit instead.
    pub status: Option<String>,
}

/// The only fields a `convert` mutation may carry.
pub const CONVERT_FIELDS: &[&str] = &["customer_id", "contact_id", "status"];

impl ConvertRequest {
    /// Reads the mutation's fields, naming the field that is wrong.
    pub fn from_fields(fields: &Map<String, Value>) -> Result<Self, FieldError> {
        let id = |name: &str| -> Result<Option<Uuid>, FieldError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Uuid::parse_str(text)
                    .map(Some)
                    .map_err(|_| FieldError::new(name, format!("{name} must be a record id"))),
                Some(_) => Err(FieldError::new(name, format!("{name} must be a record id"))),
            }
        };
        let customer_id = id("customer_id")?
            .ok_or_else(|| FieldError::new("customer_id", "Choose the customer to convert into"))?;
        let status = match fields.get("status") {
            None | Some(Value::Null) => None,
            Some(Value::String(status)) if CUSTOMER_STATUSES.contains(&status.as_str()) => {
                Some(status.clone())
            }
            Some(_) => {
                return Err(FieldError::new(
                    "status",
                    format!("Status must be one of: {}", CUSTOMER_STATUSES.join(", ")),
                ))
            }
        };
        Ok(Self {
            customer_id,
            contact_id: id("contact_id")?,
            status,
        })
    }

    /// The status the new customer gets.
    pub fn new_customer_status(&self) -> &str {
        self.status.as_deref().unwrap_or(CONVERTED_CUSTOMER_STATUS)
    }

    /// The mutation fields carrying this request.
    pub fn to_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert(
            "customer_id".into(),
            Value::String(self.customer_id.to_string()),
        );
        if let Some(contact) = self.contact_id {
            fields.insert("contact_id".into(), Value::String(contact.to_string()));
        }
        if let Some(status) = &self.status {
            fields.insert("status".into(), Value::String(status.clone()));
        }
        fields
    }
}

fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Whether a lead (its fields) has been converted already.
pub fn is_converted(lead: &Map<String, Value>) -> bool {
    field(lead, "status") == Some(LEAD_CONVERTED)
}

/// The new customer's fields: a company when the lead names one, else the
/// person. A person customer also takes the lead's e-mail and phone, and
/// the customer stays with the lead's owner.
pub fn customer_from_lead(lead: &Map<String, Value>, status: &str) -> Map<String, Value> {
    let company = field(lead, "company_name");
    let (name, kind) = match company {
        Some(company) => (company, "company"),
        None => (
            field(lead, "person_name").unwrap_or("Unnamed lead"),
            "person",
        ),
    };
    let mut customer = Map::new();
    customer.insert("name".into(), name.into());
    customer.insert("kind".into(), kind.into());
    customer.insert("status".into(), status.into());
    if let Some(owner) = field(lead, "owner") {
        customer.insert("owner".into(), owner.into());
    }
    if kind == "person" {
        for name in ["email", "phone"] {
            if let Some(value) = field(lead, name) {
                customer.insert(name.into(), value.into());
            }
        }
    }
    if let Some(notes) = field(lead, "notes") {
        customer.insert("notes".into(), notes.into());
    }
    customer
}

/// The new contact's fields, from the lead's person; `None` for a lead that
/// names only a company.
pub fn contact_from_lead(
    lead: &Map<String, Value>,
    customer_id: Uuid,
) -> Option<Map<String, Value>> {
    let (first, last) = split_person_name(field(lead, "person_name")?);
    let mut contact = Map::new();
    contact.insert("customer_id".into(), customer_id.to_string().into());
    contact.insert("first_name".into(), first.into());
    if !last.is_empty() {
        contact.insert("last_name".into(), last.into());
    }
    for name in ["email", "phone"] {
        if let Some(value) = field(lead, name) {
            contact.insert(name.into(), value.into());
        }
    }
    Some(contact)
}

/// The lead's change: converted, and linked to its customer.
pub fn converted_lead(customer_id: Uuid) -> Map<String, Value> {
    let mut lead = Map::new();
    lead.insert("status".into(), LEAD_CONVERTED.into());
    lead.insert("customer_id".into(), customer_id.to_string().into());
    lead
}

/// The only field an `unconvert` mutation may carry: the status the lead
/// goes back to, as it was before its conversion.
pub const UNCONVERT_FIELDS: &[&str] = &["status"];

/// The lead's change when its conversion is taken back (an undo): the
/// status it had before, read from the `unconvert` mutation's fields, and
/// no customer. Refused, naming `status`, when that is not a lead status
/// a user could have set (only conversion gives "Converted").
pub fn unconverted_lead(fields: &Map<String, Value>) -> Result<Map<String, Value>, FieldError> {
    let status = fields
        .get("status")
        .and_then(Value::as_str)
        .filter(|status| *status != LEAD_CONVERTED && LEAD_STATUSES.contains(status))
        .ok_or_else(|| {
            let choices: Vec<&str> = LEAD_STATUSES
                .iter()
                .copied()
                .filter(|status| *status != LEAD_CONVERTED)
                .collect();
            FieldError::new(
                "status",
                format!("Status must be one of: {}", choices.join(", ")),
            )
        })?;
    let mut lead = Map::new();
    lead.insert("status".into(), status.into());
    lead.insert("customer_id".into(), Value::Null);
    Ok(lead)
}

/// "Jane van Doe" → ("Jane", "van Doe"): the first word is the first name.
pub fn split_person_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_owned(), rest.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// Why an existing record may be the lead under another name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchReason {
    SameEmail,
    SimilarName,
}

/// An existing customer (or one of its contacts) the lead could be attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub customer_id: Uuid,
    pub customer_name: String,
    /// Set when the match is a contact, who then becomes the lead's contact.
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub reason: MatchReason,
}

/// Legal-form words that do not tell two companies apart.
const COMPANY_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "plc",
    "co",
    "corp",
    "corporation",
    "company",
    "bv",
    "nv",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "kg",
    "the",
];

/// A name reduced to what identifies it: lowercase words, no punctuation,
/// no legal form.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !COMPANY_SUFFIXES.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Two names are similar when their keys are equal, or one key is a whole
/// leading part of the other ("acme" and "acme industries").
fn similar(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    long == short || (short.len() >= 4 && long.starts_with(&format!("{short} ")))
}

/// Existing customers and contacts the lead may already be: same e-mail, or
/// a similar company or person name. Same-email matches come first.
pub fn find_duplicates(
    lead: &Lead,
    customers: &[Customer],
    contacts: &[Contact],
) -> Vec<Duplicate> {
    let email = lead.email.trim().to_lowercase();
    let same_email = |other: &str| !email.is_empty() && other.trim().to_lowercase() == email;
    let names: Vec<&str> = [lead.company_name.as_str(), lead.person_name.as_str()]
        .into_iter()
        .filter(|name| !name.trim().is_empty())
        .collect();
    let mut found: Vec<Duplicate> = Vec::new();
    for customer in customers {
        let reason = if same_email(&customer.email) {
            Some(MatchReason::SameEmail)
        } else if names.iter().any(|name| similar(name, &customer.name)) {
            Some(MatchReason::SimilarName)
        } else {
            None
        };
        if let Some(reason) = reason {
            found.push(Duplicate {
                customer_id: customer.id,
                customer_name: customer.name.clone(),
                contact_id: None,
                contact_name: None,
                reason,
            });
        }
    }
    for contact in contacts {
        let Some(customer) = contact
            .customer_id
            .and_then(|id| customers.iter().find(|customer| customer.id == id))
        else {
            continue;
        };
        let reason = if same_email(&contact.email) {
            Some(MatchReason::SameEmail)
        } else if !lead.person_name.trim().is_empty()
            && similar(&lead.person_name, &contact.full_name())
        {
            Some(MatchReason::SimilarName)
        } else {
            None
        };
        if let Some(reason) = reason {
            found.push(Duplicate {
                customer_id: customer.id,
                customer_name: customer.name.clone(),
                contact_id: Some(contact.id),
                contact_name: Some(contact.full_name()),
                reason,
            });
        }
    }
    found.sort_by_key(|duplicate| {
        (
            duplicate.reason != MatchReason::SameEmail,
            duplicate.customer_name.to_lowercase(),
            duplicate.contact_name.clone(),
        )
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use chrono::Utc;
    use serde_json::json;

    fn record(fields: Value) -> Record {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.apply_patch(fields.as_object().expect("object"));
        record
    }

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_lead_with_a_company_becomes_a_company_with_its_person_as_contact() {
        let lead = map(
            json!({"person_name": "Jane van Doe", "company_name": "Acme",
            "email": "jane@acme.test", "phone": "123", "status": "Qualified", "notes": "met at fair"}),
        );
        let customer = customer_from_lead(&lead, CONVERTED_CUSTOMER_STATUS);
        assert_eq!(customer["name"], "Acme");
        assert_eq!(customer["kind"], "company");
        assert_eq!(customer["status"], CONVERTED_CUSTOMER_STATUS);
        assert_eq!(customer["notes"], "met at fair");
        assert!(
            customer.get("email").is_none(),
            "the person's address is the contact's"
        );
        let customer_id = Uuid::now_v7();
        let contact = contact_from_lead(&lead, customer_id).expect("a person");
        assert_eq!(contact["first_name"], "Jane");
        assert_eq!(contact["last_name"], "van Doe");
        assert_eq!(contact["email"], "jane@acme.test");
        assert_eq!(contact["customer_id"], customer_id.to_string());
    }

    #[test]
    fn the_new_customer_stays_with_the_leads_owner() {
        let owner = Uuid::now_v7().to_string();
        let lead = map(json!({"company_name": "Globex", "status": "New", "owner": owner}));
        assert_eq!(customer_from_lead(&lead, "Customer")["owner"], owner);
    }

    #[test]
    fn a_lead_without_a_company_becomes_a_person() {
        let lead = map(json!({"person_name": "Max", "email": "max@mail.test", "status": "New"}));
        let customer = customer_from_lead(&lead, "Prospect");
        assert_eq!(customer["kind"], "person");
        assert_eq!(customer["status"], "Prospect", "the status the user picked");
        assert_eq!(customer["email"], "max@mail.test");
        let company_only = map(json!({"company_name": "Globex", "status": "New"}));
        assert!(contact_from_lead(&company_only, Uuid::now_v7()).is_none());
    }

    #[test]
    fn convert_fields_round_trip_and_name_what_is_wrong() {
        let request = ConvertRequest {
            customer_id: Uuid::now_v7(),
            contact_id: None,
            status: Some("Suspect".into()),
        };
        assert_eq!(
            ConvertRequest::from_fields(&request.to_fields()),
            Ok(request)
        );
        let err = ConvertRequest::from_fields(&map(
            json!({"customer_id": Uuid::now_v7().to_string(), "status": "Bought"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "status");
        let err = ConvertRequest::from_fields(&map(
            json!({"customer_id": Uuid::now_v7().to_string(), "contact_id": "nope"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "contact_id");
        let err = ConvertRequest::from_fields(&Map::new()).unwrap_err();
        assert_eq!(err.field, "customer_id");
    }

    #[test]
    fn duplicates_are_found_by_email_or_similar_name() {
        let acme = Customer::from_record(&record(
            json!({"name": "ACME Ltd.", "kind": "company", "status": "Customer"}),
        ));
        let globex = Customer::from_record(&record(
            json!({"name": "Globex", "kind": "company", "status": "Customer"}),
        ));
        let mut jane =
            record(json!({"first_name": "Jane", "last_name": "Doe", "email": "JANE@x.test"}));
        jane.fields
            .insert("customer_id".into(), globex.id.to_string().into());
        let jane = Contact::from_record(&jane);
        let lead = Lead::from_record(&record(
            json!({"person_name": "Someone", "company_name": "Acme",
            "email": "jane@x.test", "status": "New"}),
        ));
        let found = find_duplicates(
            &lead,
            &[acme.clone(), globex.clone()],
            std::slice::from_ref(&jane),
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].contact_id, Some(jane.id));
        assert_eq!(found[0].reason, MatchReason::SameEmail);
        assert_eq!(found[1].customer_id, acme.id);
        assert_eq!(found[1].reason, MatchReason::SimilarName);
        let stranger =
            Lead::from_record(&record(json!({"company_name": "Initech", "status": "New"})));
        assert!(find_duplicates(&stranger, &[acme, globex], &[jane]).is_empty());
    }

    #[test]
    fn similar_names_ignore_case_punctuation_and_legal_form() {
        assert!(similar("Acme GmbH", "acme"));
        assert!(similar("Acme", "Acme Industries"));
        assert!(!similar("Ac", "Ac Industries"), "too short to be telling");
        assert!(!similar("Acme", "Acmeville"));
        assert!(!similar("Ltd", "Inc"));
    }

    #[test]
    fn an_unconversion_gives_back_a_status_a_user_could_set_and_no_customer() {
        let fields = |status: Value| {
            json!({ "status": status })
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            unconverted_lead(&fields(json!("Qualified"))),
            Ok(json!({"status": "Qualified", "customer_id": null})
                .as_object()
                .cloned()
                .unwrap_or_default())
        );
        for refused in [json!("Converted"), json!("Won"), json!(3), Value::Null] {
            let error = unconverted_lead(&fields(refused.clone())).expect_err("refused");
            assert_eq!(error.field, "status", "{refused}");
            assert!(!error.message.contains("Converted"), "{}", error.message);
        }
    }
}
