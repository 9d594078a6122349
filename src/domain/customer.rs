//! Typed views of customers and contacts, and the list's filter and search.

use super::listing::Listed;
use super::record::Record;
use super::search::SearchText;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A customer as the UI shows it, read from a [`Record`].
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    pub street: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub notes: String,
    /// The member who owns it; `None` only for a record from before owners.
    pub owner: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    search: SearchText,
    /// The name lowercased once, so ordering 50,000 customers allocates nothing.
    sort_name: String,
}

/// A text field, empty when unset: what the typed views show.
pub(crate) fn text(record: &Record, field: &str) -> String {
    record.text(field).unwrap_or_default().to_owned()
}

impl Customer {
    pub fn from_record(record: &Record) -> Self {
        let name = text(record, "name");
        let email = text(record, "email");
        let phone = text(record, "phone");
        Self {
            id: record.id,
            version: record.version,
            search: SearchText::new(&[&name, &email], &[&phone]),
            sort_name: name.to_lowercase(),
            name,
            kind: text(record, "kind"),
            status: text(record, "status"),
            email,
            phone,
            website: text(record, "website"),
            street: text(record, "street"),
            city: text(record, "city"),
            postcode: text(record, "postcode"),
            country: text(record, "country"),
            notes: text(record, "notes"),
            owner: record.reference("owner"),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }

    /// The address on one line, for the list and the detail header.
    pub fn address_line(&self) -> String {
        [&self.street, &self.postcode, &self.city, &self.country]
            .into_iter()
            .filter(|part| !part.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A contact person of a customer, read from a [`Record`].
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub is_default: bool,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

impl Contact {
    pub fn from_record(record: &Record) -> Self {
        Self {
            id: record.id,
            customer_id: record.reference("customer_id"),
            first_name: text(record, "first_name"),
            last_name: text(record, "last_name"),
            job_title: text(record, "job_title"),
            email: text(record, "email"),
            phone: text(record, "phone"),
            mobile: text(record, "mobile"),
            is_default: record.flag("is_default"),
            notes: text(record, "notes"),
            created_at: record.created_at,
        }
    }

    pub fn full_name(&self) -> String {
        if self.last_name.is_empty() {
            self.first_name.clone()
        } else {
            format!("{} {}", self.first_name, self.last_name)
        }
    }
}

impl Listed for Customer {
    const STATUSES: &'static [&'static str] = super::schema::CUSTOMER_STATUSES;

    fn id(&self) -> Uuid {
        self.id
    }

    fn title(&self) -> &str {
        &self.name
    }

    fn status(&self) -> &str {
        &self.status
    }

    fn owner(&self) -> Option<Uuid> {
        self.owner
    }

    fn search_text(&self) -> &SearchText {
        &self.search
    }

    /// By name regardless of case, then by id so equal names keep one order.
    fn list_order(&self, other: &Self) -> std::cmp::Ordering {
        (&self.sort_name, self.id).cmp(&(&other.sort_name, other.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ListFilter, StatusCount};
    use serde_json::json;

    fn customer(name: &str, status: &str, email: &str, phone: &str) -> Customer {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.apply_patch(
            json!({"name": name, "status": status, "email": email, "phone": phone, "kind": "company"})
                .as_object()
                .expect("object"),
        );
        Customer::from_record(&record)
    }

    #[test]
    fn filters_by_status_and_searches_name_email_and_phone() {
        let all = [
            customer(
                "Acme Ltd",
                "Prospect",
                "sales@acme.test",
                "+44 20 7946 0000",
            ),
            customer("Globex", "Customer", "hello@globex.test", "555-0100"),
            customer("Initech", "Prospect", "info@initech.test", ""),
        ];
        let names = |filter: &ListFilter| -> Vec<String> {
            filter
                .positions(&all)
                .into_iter()
                .map(|at| all[at].name.clone())
                .collect()
        };
        let prospects = ListFilter {
            status: Some("Prospect".into()),
            owner: None,
            query: String::new(),
        };
        assert_eq!(names(&prospects), ["Acme Ltd", "Initech"]);
        let by_email = ListFilter {
            status: None,
            owner: None,
            query: "GLOBEX.test".into(),
        };
        assert_eq!(names(&by_email), ["Globex"]);
        let by_phone = ListFilter {
            status: None,
            owner: None,
            query: "2079".into(),
        };
        assert_eq!(names(&by_phone), ["Acme Ltd"]);
        let email_with_digits = ListFilter {
            status: None,
            owner: None,
            query: "info2079@nowhere.test".into(),
        };
        assert!(
            names(&email_with_digits).is_empty(),
            "digits in an e-mail never match phones"
        );
        let nothing = ListFilter {
            status: Some("Customer".into()),
            owner: None,
            query: "acme".into(),
        };
        assert!(names(&nothing).is_empty());
    }

    #[test]
    fn the_owner_filter_shows_one_members_customers_or_everyones() {
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let owned = |name: &str, owner: Option<Uuid>| {
            let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
            record.apply_patch(
                json!({"name": name, "status": "Customer", "kind": "company",
                    "owner": owner.map(|id| id.to_string())})
                .as_object()
                .expect("object"),
            );
            Customer::from_record(&record)
        };
        let all = [
            owned("Acme", Some(ada)),
            owned("Globex", Some(bob)),
            owned("Initech", None),
        ];
        let names = |owner: Option<Uuid>| -> Vec<&str> {
            let filter = ListFilter {
                owner,
                ..ListFilter::default()
            };
            filter
                .positions(&all)
                .into_iter()
                .map(|at| all[at].name.as_str())
                .collect()
        };
        assert_eq!(names(Some(ada)), ["Acme"]);
        assert_eq!(names(Some(bob)), ["Globex"]);
        assert_eq!(names(None), ["Acme", "Globex", "Initech"]);
    }

    #[test]
    fn tallies_each_status_in_list_order() {
        let all = [
            customer("A", "Customer", "", ""),
            customer("B", "Customer", "", ""),
            customer("C", "Inactive", "", ""),
        ];
        let counts: Vec<(&str, usize)> = StatusCount::tally(&all)
            .into_iter()
            .map(|c| (c.status, c.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("Prospect", 0),
                ("Suspect", 0),
                ("Customer", 2),
                ("Inactive", 1)
            ]
        );
    }
}
