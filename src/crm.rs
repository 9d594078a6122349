//! The UI's handle on local data: reactive reads of the engine's view and
//! writes that enqueue mutations. Components never call the server.
//!
//! It sits between the pages (`ui`) and the browser wiring (`client`): the
//! browser lends it a [`Device`] once the local store is open, so neither
//! of those two modules needs the other's types.

use crate::domain::{
    Account, Activity, Conflict, Contact, ConvertRequest, Customer, Entity, FieldError, Lead,
    Opportunity, Record, RecordKey, TimelineScope,
};
use crate::sync::{EngineError, RejectedMutation, Replica};
use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::rc::Rc;
use uuid::Uuid;

/// What the browser lends the UI once the local store is open: the engine,
/// the sync loop's wake-up and the other tabs. The server render never has
/// one, so there every read is empty and every write says "still loading".
pub trait Device {
    /// Runs `read` on the in-memory view of the records.
    fn with_replica(&self, read: &mut dyn FnMut(&Replica));
    /// Creates a record or changes some of its fields.
    fn upsert(
        &self,
        entity: Entity,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Deletes a record (and what goes with it).
    fn delete(&self, entity: Entity, id: Uuid) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Converts a lead into a customer.
    fn convert(
        &self,
        lead_id: Uuid,
        request: ConvertRequest,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Drops a change the server refused.
    fn discard_rejected(&self, mutation_id: u64) -> LocalBoxFuture<'_, Result<(), EngineError>>;
    /// Wakes the sync loop so it runs now.
    fn sync_now(&self);
    /// Tells this browser's other tabs that the shared store changed.
    fn tell_other_tabs(&self);
}

/// Where the browser's [`Device`] is kept. The server render holds nothing:
/// its arena may move between threads, which a browser value cannot.
#[cfg(feature = "hydrate")]
type DeviceSlot = StoredValue<Option<Rc<dyn Device>>, LocalStorage>;
#[cfg(not(feature = "hydrate"))]
type DeviceSlot = ();

/// What the status line shows about sync.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncStatus {
    /// The local store has been read; before that the lists are not known.
    pub loaded: bool,
    /// The customers have been read: the customer list, the first screen,
    /// shows while the rest of a large store is still being read.
    pub customers_loaded: bool,
    pub online: bool,
    pub syncing: bool,
    /// Rows received so far by the running sync, for the progress display.
    pub pulled: usize,
    /// The cursor the running pull started from and has reached, and the
    /// workspace's latest change it is heading for, when known: the
    /// progress bar of a long (initial or catch-up) sync.
    pub pull_from: i64,
    pub pull_at: i64,
    pub pull_head: Option<i64>,
    pub pending: usize,
    /// Changes waiting that were made more than a day ago.
    pub stale: usize,
    /// Whether the browser keeps the local copy and how much room it takes.
    pub storage: Option<crate::domain::StorageUse>,
    pub last_synced: Option<DateTime<Utc>>,
    /// Why the last sync failed, until one succeeds.
    pub error: Option<String>,
    /// The last sync was refused for want of a session: offer to sign in.
    pub signed_out_on_server: bool,
}

impl SyncStatus {
    /// How far the running pull has come toward the latest change, as
    /// (done, total) change numbers; `None` when there is no bar to show.
    pub fn pull_progress(&self) -> Option<(i64, i64)> {
        let head = self
            .pull_head
            .filter(|head| self.syncing && *head > self.pull_from)?;
        let total = head - self.pull_from;
        Some(((self.pull_at - self.pull_from).clamp(0, total), total))
    }
}

/// Who this browser is signed in as, as far as it knows.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AccountState {
    /// Not read yet: the server render and the first client frame.
    #[default]
    Unknown,
    SignedOut,
    /// Signed in here; the server session may have ended since, which the
    /// sync status reports without touching local data.
    SignedIn(Account),
}

/// Shared, copyable access to the device's records, provided as context.
#[derive(Clone, Copy)]
pub struct Crm {
    /// Bumped whenever the local view changes, so reads re-run.
    revision: RwSignal<u64>,
    pub status: RwSignal<SyncStatus>,
    pub account: RwSignal<AccountState>,
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "the server render never holds a device")
    )]
    device: DeviceSlot,
}

/// A failed local write, as the form shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveError {
    /// A value is wrong: show the message at this field.
    Field(FieldError),
    /// The device could not store the change: show it above the form.
    Device(String),
}

impl SaveError {
    /// The sentence to show when the failure has no field of its own on screen.
    pub fn message(&self) -> String {
        match self {
            SaveError::Field(field) => field.message.clone(),
            SaveError::Device(message) => message.clone(),
        }
    }
}

impl From<EngineError> for SaveError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Invalid(field) => SaveError::Field(field),
            other => SaveError::Device(user_message(&other)),
        }
    }
}

/// What the status line says when the server no longer knows this
/// browser's session; the layout offers a sign-in link beside it.
pub const SIGNED_OUT_MESSAGE: &str =
    "Signed out on the server. Sign in again to sync; your changes are kept on this device.";

/// The one place engine errors become sentences for users.
pub fn user_message(error: &EngineError) -> String {
    match error {
        EngineError::Invalid(field) => field.message.clone(),
        EngineError::Store(store) if store.is_out_of_space() => {
            "This browser has no room left for Clientele, so this change was not saved. What you typed is still here and the changes already waiting are kept: free some disk space, then save again."
                .into()
        }
        EngineError::Store(_) => {
            "This browser could not save the change. What you typed is still here and the changes already waiting are kept: free some disk space or allow storage for this site, then save again."
                .into()
        }
        EngineError::Transport(crate::sync::TransportError::Unreachable(_)) => "The server cannot be reached.".into(),
        EngineError::Transport(crate::sync::TransportError::NoAnswer) => {
            "The server does not answer; changes are kept on this device until it does.".into()
        }
        EngineError::Transport(crate::sync::TransportError::Refused(reason)) => {
            format!("The server refused to sync: {reason}")
        }
        EngineError::Transport(crate::sync::TransportError::SignedOut) => {
            SIGNED_OUT_MESSAGE.into()
        }
    }
}

impl Crm {
    pub fn new() -> Self {
        Self {
            revision: RwSignal::new(0),
            status: RwSignal::new(SyncStatus::default()),
            account: RwSignal::new(AccountState::Unknown),
            #[cfg(feature = "hydrate")]
            device: StoredValue::new_local(None),
            #[cfg(not(feature = "hydrate"))]
            device: (),
        }
    }

    /// Re-reads counts after the view changed and wakes every reader.
    pub fn changed(&self) {
        let pending = self.read(0, Replica::pending_count);
        self.status.update(|status| status.pending = pending);
        self.note_stale_changes();
        self.revision.update(|revision| *revision += 1);
    }

    /// Counts the changes waiting for more than a day, as time passes.
    pub fn note_stale_changes(&self) {
        let now = chrono::Utc::now();
        let stale = untrack(|| self.read(0, |replica| replica.stale_count(now)));
        if self.status.with_untracked(|status| status.stale) != stale {
            self.status.update(|status| status.stale = stale);
        }
    }

    /// Reads the view, tracking changes; `fallback` before the store is open.
    fn read<R>(&self, fallback: R, read: impl FnOnce(&Replica) -> R) -> R {
        self.revision.track();
        let Some(device) = self.device() else {
            return fallback;
        };
        let mut read = Some(read);
        let mut answer = None;
        device.with_replica(&mut |replica| {
            if let Some(read) = read.take() {
                answer = Some(read(replica));
            }
        });
        answer.unwrap_or(fallback)
    }

    /// The one way to the browser's engine: `None` on the server and while
    /// the local store is still opening.
    fn device(&self) -> Option<Rc<dyn Device>> {
        #[cfg(feature = "hydrate")]
        return self.device.get_value();
        #[cfg(not(feature = "hydrate"))]
        None
    }

    /// The device for a write, or the sentence saying why there is none yet.
    fn writable(&self) -> Result<Rc<dyn Device>, SaveError> {
        self.device().ok_or_else(|| {
            SaveError::Device("The page is still loading; try again in a moment.".into())
        })
    }

    /// Shows a write everywhere: this tab's readers, other tabs, the server.
    fn after_write(&self, device: &dyn Device) {
        self.changed();
        device.tell_other_tabs();
        device.sync_now();
    }

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
        let mut leads = self.list(Entity::Lead, Lead::from_record);
        leads.retain(|lead| lead.customer_id == Some(customer_id));
        leads
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

    /// The activities of one timeline, newest first.
    pub fn timeline(&self, scope: &TimelineScope) -> Vec<Activity> {
        scope.timeline(self.list(Entity::Activity, Activity::from_record))
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

    /// Converts a lead on this device and schedules a sync.
    pub async fn convert(&self, lead_id: Uuid, request: ConvertRequest) -> Result<(), SaveError> {
        let device = self.writable()?;
        device.convert(lead_id, request).await?;
        self.after_write(&*device);
        Ok(())
    }

    /// A customer's contacts, the default first, then oldest first.
    pub fn contacts_of(&self, customer_id: Uuid) -> Vec<Contact> {
        let mut contacts = self.read(Vec::new(), |replica| {
            replica
                .records(Entity::Contact)
                .map(Contact::from_record)
                .filter(|contact| contact.customer_id == Some(customer_id))
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

    /// Who is signed in here, to tell their own edits from a teammate's.
    pub fn user_id(&self) -> Option<Uuid> {
        self.account.with(|account| match account {
            AccountState::SignedIn(account) => Some(account.user_id),
            AccountState::Unknown | AccountState::SignedOut => None,
        })
    }

    /// Puts an overwritten value back (an ordinary, synced edit) and closes the conflict.
    pub async fn restore(&self, conflict: &Conflict) -> Result<(), SaveError> {
        let patch: Map<String, Value> = [(conflict.field.clone(), conflict.theirs.clone())]
            .into_iter()
            .collect();
        self.save(conflict.entity, conflict.record_id, patch)
            .await?;
        self.dismiss(conflict).await
    }

    /// Keeps the current value and closes the conflict.
    pub async fn dismiss(&self, conflict: &Conflict) -> Result<(), SaveError> {
        let patch: Map<String, Value> = [("resolved".to_owned(), Value::Bool(true))]
            .into_iter()
            .collect();
        self.save(Entity::Conflict, conflict.id, patch).await
    }

    /// Changes the server refused, for the "needs attention" list.
    pub fn rejected(&self) -> Vec<RejectedMutation> {
        self.read(Vec::new(), |replica| replica.rejected().to_vec())
    }

    /// Creates or edits a record on this device and schedules a sync.
    pub async fn save(
        &self,
        entity: Entity,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> Result<(), SaveError> {
        let device = self.writable()?;
        device.upsert(entity, id, patch).await?;
        self.after_write(&*device);
        Ok(())
    }

    /// Deletes a record on this device and schedules a sync.
    pub async fn delete(&self, entity: Entity, id: Uuid) -> Result<(), SaveError> {
        let device = self.writable()?;
        device.delete(entity, id).await?;
        self.after_write(&*device);
        Ok(())
    }

    /// Drops a refused change for good.
    pub async fn discard_rejected(&self, mutation_id: u64) -> Result<(), SaveError> {
        let device = self.writable()?;
        device.discard_rejected(mutation_id).await?;
        self.changed();
        device.tell_other_tabs();
        Ok(())
    }

    /// Asks the sync loop to run now (after a write, a click on "Retry", going online).
    pub fn sync_now(&self) {
        if let Some(device) = self.device() {
            device.sync_now();
        }
    }

    /// Hands the opened local store to the UI: the customers are readable.
    #[cfg(feature = "hydrate")]
    pub fn attach(&self, device: Rc<dyn Device>) {
        self.device.set_value(Some(device));
        self.status.update(|status| status.customers_loaded = true);
        self.changed();
    }

    /// Takes the device away from the UI. Signing out starts here: from
    /// then on no save, sync or reload of this page reaches the store.
    #[cfg(feature = "hydrate")]
    pub fn detach(&self) -> Option<Rc<dyn Device>> {
        self.device.try_update_value(Option::take).flatten()
    }

    /// Every stored row is in memory now (see `Engine::load_rest`).
    pub fn fully_loaded(&self) {
        self.status.update(|status| status.loaded = true);
        self.changed();
    }
}

impl Default for Crm {
    fn default() -> Self {
        Self::new()
    }
}
