//! Typed views of customers and contacts, and the list's filter and search.

use super::record::Record;
use super::search::{SearchQuery, SearchText};
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
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }

    /// The list's order: by name regardless of case, then by id so equal
    /// names keep one order.
    pub fn list_order(&self, other: &Self) -> std::cmp::Ordering {
        (&self.sort_name, self.id).cmp(&(&other.sort_name, other.id))
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

/// What the customer list shows: one status or all, narrowed by a search text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// `None` shows every status ("All").
    pub status: Option<String>,
    pub query: String,
}

impl CustomerFilter {
    /// Whether a customer belongs in the list, matching name, e-mail or phone.
    fn matches(&self, customer: &Customer, query: &SearchQuery) -> bool {
        self.status
            .as_deref()
            .is_none_or(|status| status == customer.status)
            && customer.search.matches(query)
    }

    /// Where the matching customers sit in `customers`, in list order. The
    /// list keeps its customers sorted, so a keystroke only filters: sorting
    /// input that is already in order is one pass.
    pub fn positions(&self, customers: &[Customer]) -> Vec<usize> {
        let query = SearchQuery::new(&self.query);
        let mut shown: Vec<usize> = (0..customers.len())
            .filter(|&at| self.matches(&customers[at], &query))
            .collect();
        shown.sort_unstable_by(|&a, &b| customers[a].list_order(&customers[b]));
        shown
    }
}

/// How many customers have one status, for the filter's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCount {
    pub status: &'static str,
    pub count: usize,
}

impl StatusCount {
    /// Counts per default status, in the order the filter lists them.
    pub fn tally<'a>(customers: impl IntoIterator<Item = &'a Customer>) -> Vec<StatusCount> {
        let mut counts: Vec<StatusCount> = super::CUSTOMER_STATUSES
            .iter()
            .map(|status| StatusCount { status, count: 0 })
            .collect();
        for customer in customers {
            if let Some(entry) = counts
                .iter_mut()
                .find(|entry| entry.status == customer.status)
            {
                entry.count += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let names = |filter: &CustomerFilter| -> Vec<String> {
            filter
                .positions(&all)
                .into_iter()
                .map(|at| all[at].name.clone())
                .collect()
        };
        let prospects = CustomerFilter {
            status: Some("Prospect".into()),
            query: String::new(),
        };
        assert_eq!(names(&prospects), ["Acme Ltd", "Initech"]);
        let by_email = CustomerFilter {
            status: None,
            query: "GLOBEX.test".into(),
        };
        assert_eq!(names(&by_email), ["Globex"]);
        let by_phone = CustomerFilter {
            status: None,
            query: "2079".into(),
        };
        assert_eq!(names(&by_phone), ["Acme Ltd"]);
        let email_with_digits = CustomerFilter {
            status: None,
            query: "info2079@nowhere.test".into(),
        };
        assert!(
            names(&email_with_digits).is_empty(),
            "digits in an e-mail never match phones"
        );
        let nothing = CustomerFilter {
            status: Some("Customer".into()),
            query: "acme".into(),
        };
        assert!(names(&nothing).is_empty());
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
