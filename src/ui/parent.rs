//! The record a section of a page hangs off: a customer, a lead or an
//! opportunity. Shared by the opportunity and activity sections, which each
//! appear on the others' pages.

use crate::crm::Crm;
use crate::domain::{Entity, Opportunity};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The record a section of a page hangs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parent {
    Customer(Uuid),
    Lead(Uuid),
    Opportunity(Uuid),
}

impl Parent {
    /// The reference fields a new child record gets.
    pub fn link_fields(self, crm: Crm) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut link = |name: &str, id: Uuid| {
            fields.insert(name.to_owned(), Value::String(id.to_string()));
        };
        match self {
            Parent::Customer(id) => link("customer_id", id),
            Parent::Lead(id) => link("lead_id", id),
            Parent::Opportunity(id) => {
                link("opportunity_id", id);
                if let Some(opportunity) =
                    crm.one(Entity::Opportunity, id, Opportunity::from_record)
                {
                    if let Some(customer) = opportunity.customer_id {
                        link("customer_id", customer);
                    }
                    if let Some(lead) = opportunity.lead_id {
                        link("lead_id", lead);
                    }
                }
            }
        }
        fields
    }
}
