//! Typed view of a lead, and how the lead list orders it.

use super::customer::text;
use super::listing::Listed;
use super::record::Record;
use super::schema::{LEAD_CONVERTED, LEAD_STATUSES};
use super::search::SearchText;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A lead as the UI shows it, read from a [`Record`].
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    pub id: Uuid,
    pub person_name: String,
    pub company_name: String,
    pub email: String,
    pub phone: String,
    pub source: String,
    pub status: String,
    /// The customer conversion created or attached it to.
    pub customer_id: Option<Uuid>,
    pub notes: String,
    /// The member who owns it; `None` only for a record from before owners.
    pub owner: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    search: SearchText,
}

impl Lead {
    pub fn from_record(record: &Record) -> Self {
        let person_name = text(record, "person_name");
        let company_name = text(record, "company_name");
        let email = text(record, "email");
        let phone = text(record, "phone");
        Self {
            id: record.id,
            search: SearchText::new(&[&person_name, &company_name, &email], &[&phone]),
            person_name,
            company_name,
            email,
            phone,
            source: text(record, "source"),
            status: text(record, "status"),
            customer_id: record.reference("customer_id"),
            notes: text(record, "notes"),
            owner: record.reference("owner"),
            created_at: record.created_at,
        }
    }

    /// "Jane Doe (Acme)", or whichever of the two names the lead has.
    pub fn display_name(&self) -> String {
        match (self.person_name.is_empty(), self.company_name.is_empty()) {
            (false, false) => format!("{} ({})", self.person_name, self.company_name),
            (false, true) => self.person_name.clone(),
            _ => self.company_name.clone(),
        }
    }

    pub fn is_converted(&self) -> bool {
        self.status == LEAD_CONVERTED
    }
}

impl Listed for Lead {
    const STATUSES: &'static [&'static str] = LEAD_STATUSES;

    fn id(&self) -> Uuid {
        self.id
    }

    /// The company when the lead names one, else the person.
    fn title(&self) -> &str {
        if self.company_name.is_empty() {
            &self.person_name
        } else {
            &self.company_name
        }
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

    /// Newest first: a lead list is worked from the top.
    fn list_order(&self, other: &Self) -> std::cmp::Ordering {
        (other.created_at, other.id).cmp(&(self.created_at, self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ListFilter, StatusCount};
    use serde_json::json;

    fn lead(person: &str, company: &str, status: &str) -> Lead {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.apply_patch(
            json!({"person_name": person, "company_name": company, "status": status, "phone": "030 1234"})
                .as_object()
                .expect("object"),
        );
        Lead::from_record(&record)
    }

    #[test]
    fn filters_by_status_and_searches_both_names_and_phone() {
        let leads = [
            lead("Jane Doe", "Acme", "New"),
            lead("", "Globex", "Qualified"),
        ];
        let names = |filter: ListFilter| -> Vec<String> {
            filter
                .positions(&leads)
                .iter()
                .map(|&at| leads[at].display_name())
                .collect()
        };
        assert_eq!(
            names(ListFilter {
                status: Some("New".into()),
                owner: None,
                query: String::new()
            }),
            ["Jane Doe (Acme)"]
        );
        assert_eq!(
            names(ListFilter {
                status: None,
                owner: None,
                query: "glob".into()
            }),
            ["Globex"]
        );
        assert_eq!(
            names(ListFilter {
                status: None,
                owner: None,
                query: "0301".into()
            })
            .len(),
            2
        );
        let counts: Vec<(&str, usize)> = StatusCount::tally(&leads)
            .into_iter()
            .map(|c| (c.status, c.count))
            .collect();
        assert_eq!(counts[0], ("New", 1));
        assert_eq!(counts[3], ("Qualified", 1));
    }
}
