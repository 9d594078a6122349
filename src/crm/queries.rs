//! The reads pages make: typed views of the records, the scopes of a
//! timeline, a customer's contacts and the conflicts to show.

use super::{AccountState, Crm};
use crate::domain::{
    duplicate_groups, export_csv, latest_changes, survivor_of, Activity, Conflict, Contact,
    Customer, Decisions, DuplicateGroup, Entity, ImportChange, ImportKind, ImportReceipt, Lead,
    Opportunity, Planner, RecentChange, Record, RecordKey, Target, TimelineScope, UndoPlan,
    CHANGES_LISTED, MERGED_INTO_FIELD,
};
use crate::domain::{record_title, trashed, Trashed, TRASHED_ENTITIES};
use crate::sync::RejectedMutation;
use chrono::Utc;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

impl Crm {
    /// Every live record of one entity, as a typed view.
    pub fn list<T>(&self, entity: Entity, view: fn(&Record) -> T) -> Vec<T> {
        self.read(Vec::new(), |replica| {
            replica.records(entity).map(view).collect()
        })
    }
    /// One live record as a typed view.
    pub fn one<T>(&self, entity: Entity, id: Uuid, view: fn(&Record) -> T) -> Option<T> {
        self.read(None, |replica| {
            replica.get(RecordKey::new(entity, id)).map(view)
        })
    }
    /// The team's `limit` latest changes to customers, leads,
    /// opportunities and activities, newest first (the home page).
    pub fn recent_changes(&self, limit: usize) -> Vec<RecentChange> {
        self.read(Vec::new(), |replica| {
            latest_changes(
                CHANGES_LISTED
                    .into_iter()
                    .flat_map(|entity| replica.records(entity).map(move |r| (entity, r))),
                limit,
            )
        })
    }
    pub fn customers(&self) -> Vec<Customer> {
        self.list(Entity::Customer, Customer::from_record)
    }
    pub fn customer(&self, id: Uuid) -> Option<Customer> {
        self.one(Entity::Customer, id, Customer::from_record)
    }
    pub fn lead(&self, id: Uuid) -> Option<Lead> {
        self.one(Entity::Lead, id, Lead::from_record)
    }
    /// Where a lead's records now belong: its customer once converted.
    pub fn record_of_lead(&self, lead_id: Uuid) -> Option<(String, String)> {
        let lead = self.lead(lead_id)?;
        if let Some(customer) = lead
            .customer_id
            .filter(|_| lead.is_converted())
            .and_then(|id| self.customer(id))
        {
            return Some((customer.name, format!("/customers/{}", customer.id)));
        }
        Some((lead.display_name(), format!("/leads/{}", lead.id)))
    }
    /// Leads converted into a customer: their history is the customer's too.
    pub fn leads_of(&self, customer_id: Uuid) -> Vec<Lead> {
        self.read(Vec::new(), |replica| {
            replica
                .records(Entity::Lead)
                .filter(|lead| lead.reference("customer_id") == Some(customer_id))
                .map(Lead::from_record)
                .collect()
        })
    }
    /// Live opportunities whose customer or lead is still there; deleting
    /// the parent takes them along on the server, and here at once.
    pub fn opportunities(&self) -> Vec<Opportunity> {
        self.read(Vec::new(), |replica| {
            replica
                .records(Entity::Opportunity)
                .map(Opportunity::from_record)
                .filter(|opportunity| {
                    let live = |entity, id: Option<Uuid>| {
                        id.is_some_and(|id| replica.get(RecordKey::new(entity, id)).is_some())
                    };
                    live(Entity::Customer, opportunity.customer_id)
                        || live(Entity::Lead, opportunity.lead_id)
                })
                .collect()
        })
    }
    /// The activities of one timeline, newest first. Records outside the
    /// scope are never made into `Activity` values: a workspace holds
    /// hundreds of thousands of activities, a timeline a handful.
    pub fn timeline(&self, scope: &TimelineScope) -> Vec<Activity> {
        self.read(Vec::new(), |replica| {
            scope.timeline(
                replica
                    .records(Entity::Activity)
                    .filter(|record| scope.holds(record))
                    .map(Activity::from_record),
            )
        })
    }
    /// What a customer's timeline and opportunity list gather: the customer,
    /// its contacts, the leads converted into it and its opportunities.
    pub fn customer_scope(&self, customer_id: Uuid) -> TimelineScope {
        let leads: std::collections::HashSet<Uuid> = self
            .leads_of(customer_id)
            .iter()
            .map(|lead| lead.id)
            .collect();
        TimelineScope {
            customers: [customer_id].into(),
            contacts: self.contacts_of(customer_id).iter().map(|c| c.id).collect(),
            opportunities: self
                .opportunities()
                .iter()
                .filter(|o| {
                    o.customer_id == Some(customer_id)
                        || o.lead_id.is_some_and(|lead| leads.contains(&lead))
                })
                .map(|o| o.id)
                .collect(),
            leads,
        }
    }
    /// What a lead's timeline gathers: the lead and its opportunities.
    pub fn lead_scope(&self, lead_id: Uuid) -> TimelineScope {
        TimelineScope {
            leads: [lead_id].into(),
            opportunities: self
                .opportunities()
                .iter()
                .filter(|o| o.lead_id == Some(lead_id))
                .map(|o| o.id)
                .collect(),
            ..TimelineScope::default()
        }
    }
    /// A customer's contacts, the default first, then oldest first.
    pub fn contacts_of(&self, customer_id: Uuid) -> Vec<Contact> {
        let mut contacts = self.read(Vec::new(), |replica| {
            replica
                .contacts_of(customer_id)
                .map(Contact::from_record)
                .collect::<Vec<_>>()
        });
        contacts
            .sort_unstable_by_key(|contact| (!contact.is_default, contact.created_at, contact.id));
        contacts
    }
    /// The default contact's name of each of these customers that has
    /// contacts: the list asks for the rows it draws, never for all.
    pub fn default_contact_names(&self, customers: &[Uuid]) -> HashMap<Uuid, String> {
        // Until the contacts are read, a name would be a guess.
        if !self.status.with_untracked(|status| status.loaded) {
            return HashMap::new();
        }
        self.read(HashMap::new(), |replica| {
            customers
                .iter()
                .filter_map(|&customer| {
                    let contact = Contact::from_record(replica.default_contact(customer)?);
                    Some((customer, contact.full_name()))
                })
                .collect()
        })
    }
    /// A record's last known fields (deleted ones too, for a restore);
    /// empty for a record this device never had.
    pub fn fields_of(&self, entity: Entity, id: Uuid) -> Map<String, Value> {
        self.read(Map::new(), |replica| {
            replica
                .last_known(RecordKey::new(entity, id))
                .map(|record| record.fields.clone())
                .unwrap_or_default()
        })
    }
    /// Unresolved overwritten values of these records, newest first.
    pub fn conflicts_of(&self, record_ids: &[Uuid]) -> Vec<Conflict> {
        let mut conflicts: Vec<Conflict> = self.read(Vec::new(), |replica| {
            replica
                .records(Entity::Conflict)
                .filter_map(Conflict::from_record)
                .filter(|conflict| !conflict.resolved && record_ids.contains(&conflict.record_id))
                .collect()
        });
        conflicts.sort_unstable_by_key(|conflict| std::cmp::Reverse((conflict.at, conflict.id)));
        conflicts
    }
    /// The CSV file of these records, in this order (what a list shows),
    /// customers with their default contact.
    pub fn export(&self, kind: ImportKind, ids: &[Uuid]) -> Vec<u8> {
        let entity = kind.entity();
        untrack(|| {
            self.read(Vec::new(), |replica| {
                let rows = ids.iter().filter_map(|&id| {
                    let record = replica.get(RecordKey::new(entity, id))?;
                    let contact = (entity == Entity::Customer)
                        .then(|| replica.default_contact(id))
                        .flatten();
                    Some((&record.fields, contact.map(|contact| &contact.fields)))
                });
                export_csv(kind, rows, |member| self.person_name(member))
            })
        })
    }
    /// A planner for importing a file with these headers, mapped so,
    /// against the records this device holds; rows it owns by default are
    /// the signed-in member's.
    pub fn import_planner(
        &self,
        kind: ImportKind,
        headers: &[String],
        mapping: &[Option<Target>],
    ) -> Option<Planner> {
        untrack(|| {
            let me = self.user_id()?;
            let mut members = self.people.with(|people| people.members.clone());
            if !members.iter().any(|(id, _)| *id == me) {
                members.push((me, self.person_name(me)));
            }
            self.read(None, |replica| {
                let related = match kind {
                    ImportKind::Customers => Some(replica.records(Entity::Contact)),
                    ImportKind::Contacts => Some(replica.records(Entity::Customer)),
                    ImportKind::Leads => None,
                };
                let related = related.into_iter().flatten();
                Some(Planner::new(
                    kind,
                    headers,
                    mapping,
                    replica
                        .records(kind.entity())
                        .map(|record| (record.id, &record.fields)),
                    related.map(|record| (record.id, &record.fields)),
                    members,
                    me,
                ))
            })
        })
    }
    /// The changes a planned import makes under these decisions.
    pub fn import_changes(&self, planner: &Planner, decisions: Decisions) -> Vec<ImportChange> {
        let entity = planner.kind().entity();
        untrack(|| {
            self.read(Vec::new(), |replica| {
                planner.changes(
                    decisions,
                    |id| {
                        replica
                            .get(RecordKey::new(entity, id))
                            .map(|record| &record.fields)
                    },
                    |id| replica.default_contact(id).is_some(),
                )
            })
        })
    }
    /// What undoing an import would do now, on this device's records.
    pub fn undo_import(&self, receipt: &ImportReceipt) -> UndoPlan {
        untrack(|| {
            self.read(UndoPlan::default(), |replica| {
                receipt.undo(|id| {
                    replica
                        .get(RecordKey::new(receipt.entity, id))
                        .map(|record| &record.fields)
                })
            })
        })
    }
    /// How a message names a record: its name, or a lead's person or company.
    pub fn record_name(&self, entity: Entity, id: Uuid) -> String {
        let fields = self.fields_of(entity, id);
        ["name", "person_name", "company_name"]
            .iter()
            .find_map(|name| fields.get(*name)?.as_str().map(str::to_owned))
            .unwrap_or_else(|| entity.label().to_owned())
    }
    /// Likely duplicates among the live records of one entity (the
    /// Duplicates page), by `domain::duplicate_groups`'s rules.
    pub fn duplicate_groups(&self, entity: Entity) -> Vec<DuplicateGroup> {
        self.read(Vec::new(), |replica| {
            duplicate_groups(entity, replica.records(entity))
        })
    }
    /// These live records, in the order asked (the columns of a merge);
    /// a record gone meanwhile is left out.
    pub fn records_of(&self, entity: Entity, ids: &[Uuid]) -> Vec<Record> {
        self.read(Vec::new(), |replica| {
            ids.iter()
                .filter_map(|id| replica.get(RecordKey::new(entity, *id)).cloned())
                .collect()
        })
    }
    /// The record a merged-away record stands for now, following merges
    /// of merges; `None` for a record that was never merged away.
    pub fn merged_into(&self, entity: Entity, id: Uuid) -> Option<Uuid> {
        self.read(None, |replica| {
            let link = |id: Uuid| {
                replica
                    .last_known(RecordKey::new(entity, id))
                    .filter(|record| record.deleted)
                    .and_then(|record| record.reference(MERGED_INTO_FIELD))
            };
            link(id)?;
            Some(survivor_of(id, link))
        })
    }
    /// The records merged into this one that can still be unmerged, the
    /// latest first.
    pub fn merged_here(&self, entity: Entity, id: Uuid) -> Vec<Record> {
        self.read(Vec::new(), |replica| {
            replica
                .merged_here(entity, id, Utc::now())
                .into_iter()
                .cloned()
                .collect()
        })
    }
    /// The Trash: what was deleted on its own in the last 30 days, each
    /// with the count of what went with it and what blocks its restore.
    pub fn trash(&self) -> Vec<Trashed> {
        let now = Utc::now();
        self.read(Vec::new(), |replica| {
            let parents: HashSet<Uuid> = [Entity::Customer, Entity::Lead, Entity::Opportunity]
                .into_iter()
                .flat_map(|entity| replica.tombstones(entity).map(|record| record.id))
                .collect();
            let counts = replica.went_with_counts(&parents);
            trashed(
                TRASHED_ENTITIES.into_iter().flat_map(|entity| {
                    replica
                        .tombstones(entity)
                        .map(move |record| (entity, record))
                }),
                &counts,
                now,
                |key| {
                    replica
                        .last_known(key)
                        .map(|record| (!record.deleted, record_title(key.entity, record)))
                },
            )
        })
    }
    /// Who is signed in here, to tell their own edits from a teammate's.
    pub fn user_id(&self) -> Option<Uuid> {
        self.account.with(|account| match account {
            AccountState::SignedIn(account) => Some(account.user_id),
            AccountState::Unknown | AccountState::SignedOut => None,
        })
    }
    /// Changes the server refused, for the "needs attention" list.
    pub fn rejected(&self) -> Vec<RejectedMutation> {
        self.read(Vec::new(), |replica| replica.rejected().to_vec())
    }
}
