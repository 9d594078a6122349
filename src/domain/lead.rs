//! Typed view of a lead, and the lead list's filter.

use super::customer::text;
use super::record::Record;
use super::schema::{LEAD_CONVERTED, LEAD_STATUSES};
use super::search::{SearchQuery, SearchText};
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

/// What the lead list shows: one status or all, narrowed by a search text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadFilter {
    /// `None` shows every status.
    pub status: Option<String>,
    pub query: String,
}

impl LeadFilter {
    /// The matching leads, newest first: a lead list is worked from the top.
    pub fn apply<'a>(&self, leads: impl IntoIterator<Item = &'a Lead>) -> Vec<&'a Lead> {
        let query = SearchQuery::new(&self.query);
        let mut shown: Vec<&Lead> = leads
            .into_iter()
            .filter(|lead| {
                self.status
                    .as_deref()
                    .is_none_or(|status| status == lead.status)
            })
            .filter(|lead| lead.search.matches(&query))
            .collect();
        shown.sort_unstable_by_key(|lead| std::cmp::Reverse((lead.created_at, lead.id)));
        shown
    }
}

/// How many leads have each status, in list order.
pub fn tally_lead_statuses<'a>(
    leads: impl IntoIterator<Item = &'a Lead>,
) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> =
        LEAD_STATUSES.iter().map(|status| (*status, 0)).collect();
    for lead in leads {
        if let Some(entry) = counts.iter_mut().find(|(status, _)| *status == lead.status) {
            entry.1 += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let names = |filter: LeadFilter| -> Vec<String> {
            filter
                .apply(&leads)
                .iter()
                .map(|l| l.display_name())
                .collect()
        };
        assert_eq!(
            names(LeadFilter {
                status: Some("New".into()),
                query: String::new()
            }),
            ["Jane Doe (Acme)"]
        );
        assert_eq!(
            names(LeadFilter {
                status: None,
                query: "glob".into()
            }),
            ["Globex"]
        );
        assert_eq!(
            names(LeadFilter {
                status: None,
                query: "0301".into()
            })
            .len(),
            2
        );
        let counts = tally_lead_statuses(&leads);
        assert_eq!(counts[0], ("New", 1));
        assert_eq!(counts[3], ("Qualified", 1));
    }
}
