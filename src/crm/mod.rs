//! The UI's handle on local data: reactive reads of the engine's view and
//! writes that enqueue mutations. Components never call the server.
//!
//! It sits between the pages (`ui`) and the browser wiring (`client`): the
//! browser lends it a [`Device`] once the local store is open, so neither
//! of those two modules needs the other's types.

mod device;
mod history;
mod queries;
mod status;
mod undo;

pub use device::Device;
use device::DeviceSlot;
pub use status::{
    user_message, AccountState, SaveError, SyncStatus, REMOVED_KEY, REMOVED_MESSAGE,
    SIGNED_OUT_MESSAGE,
};

use crate::domain::{
    bulk_label, plan_bulk, BatchChange, BulkAction, BulkPlan, Conflict, ConvertRequest, Entity,
    MergeRequest, Origin, People, RecordKey, ShownNotice, UndoStep,
};
use crate::sync::Replica;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::rc::Rc;
use uuid::Uuid;

/// Why a viewer's write goes nowhere; the server says the same of a
/// viewer's push.
const VIEWER_MESSAGE: &str = "Viewers cannot change records; ask an admin for the member role.";

/// Shared, copyable access to the device's records, provided as context.
#[derive(Clone, Copy)]
pub struct Crm {
    /// Bumped whenever the local view changes, so reads re-run.
    revision: RwSignal<u64>,
    /// Bumped whenever pulled history arrives, so History views re-read.
    history_revision: RwSignal<u64>,
    pub status: RwSignal<SyncStatus>,
    pub account: RwSignal<AccountState>,
    /// The workspace's members as last heard, for owner names and choices.
    pub people: RwSignal<People>,
    /// The Undo notice: the last action, or what undoing it did.
    pub notice: RwSignal<ShownNotice>,
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "the server render never holds a device")
    )]
    device: DeviceSlot,
}

impl Crm {
    pub fn new() -> Self {
        Self {
            revision: RwSignal::new(0),
            history_revision: RwSignal::new(0),
            status: RwSignal::new(SyncStatus::default()),
            account: RwSignal::new(AccountState::Unknown),
            people: RwSignal::new(People::default()),
            notice: RwSignal::new(None),
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
    /// Whether the signed-in member's role may change records: a viewer
    /// sees no edit controls, offline too (the role is kept with the
    /// account). Tracked, so controls appear when the role changes.
    pub fn can_edit(&self) -> bool {
        self.account.with(|account| match account {
            AccountState::SignedIn(account) => account.role.can_edit(),
            AccountState::Unknown | AccountState::SignedOut => false,
        })
    }
    /// How pages name the member `id` (see [`People::name_of`]); the
    /// signed-in member is known even before the members were fetched.
    pub fn person_name(&self, id: Uuid) -> String {
        let known = self
            .people
            .with(|people| people.members.iter().any(|(member, _)| *member == id));
        match self.account.get() {
            AccountState::SignedIn(account) if account.user_id == id && !known => {
                account.display_name
            }
            _ => self.people.with(|people| people.name_of(id)),
        }
    }
    /// How a record page names its owner; empty for a record with none.
    pub fn owner_name(&self, owner: Option<Uuid>) -> String {
        owner.map(|id| self.person_name(id)).unwrap_or_default()
    }
    /// Whether the signed-in member may manage the team (invite, change
    /// roles, remove members, revoke invitations). Tracked.
    pub fn can_manage_team(&self) -> bool {
        self.account.with(|account| match account {
            AccountState::SignedIn(account) => account.role.can_manage_team(),
            AccountState::Unknown | AccountState::SignedOut => false,
        })
    }
    /// The device for a write, or the sentence saying why there is none
    /// yet or why this member may not write at all.
    fn writable(&self) -> Result<Rc<dyn Device>, SaveError> {
        if !untrack(|| self.can_edit()) {
            return Err(SaveError::Device(VIEWER_MESSAGE.into()));
        }
        self.loaded_device()
    }
    /// The device, or the sentence saying it is still opening.
    fn loaded_device(&self) -> Result<Rc<dyn Device>, SaveError> {
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
    /// Runs one write to the local store, counted in the status while it
    /// runs, then shows it everywhere.
    async fn write(
        &self,
        device: &dyn Device,
        write: impl std::future::Future<Output = Result<(), crate::sync::EngineError>>,
    ) -> Result<(), SaveError> {
        self.status.update(|status| status.saving += 1);
        let written = write.await;
        self.status
            .update(|status| status.saving = status.saving.saturating_sub(1));
        written?;
        self.after_write(device);
        Ok(())
    }
    /// Converts a lead on this device and schedules a sync. Attaching to an
    /// existing customer may also change its status (`customer_status`),
    /// as an ordinary edit. The Undo notice then offers to take all of it
    /// back.
    pub async fn convert(
        &self,
        lead_id: Uuid,
        request: ConvertRequest,
        customer_status: Option<String>,
    ) -> Result<(), SaveError> {
        let device = self.writable()?;
        let customer_id = request.customer_id;
        let status_patch: Option<Map<String, Value>> = customer_status.map(|status| {
            [("status".to_owned(), Value::String(status))]
                .into_iter()
                .collect()
        });
        let steps = self.steps_of_conversion(lead_id, &request, status_patch.as_ref());
        let converted = async {
            device.convert(lead_id, request).await?;
            if let Some(patch) = status_patch {
                device.upsert(Entity::Customer, customer_id, patch).await?;
            }
            Ok(())
        };
        self.write(&*device, converted).await?;
        let label = format!(
            "Converted {} into {}",
            self.title_of(Entity::Lead, lead_id),
            self.title_of(Entity::Customer, customer_id)
        );
        self.offer_undo(label, steps);
        Ok(())
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
    /// Keeps the current value and closes the conflict (not an action to
    /// undo: the conflict's values stay as they are).
    pub async fn dismiss(&self, conflict: &Conflict) -> Result<(), SaveError> {
        let patch: Map<String, Value> = [("resolved".to_owned(), Value::Bool(true))]
            .into_iter()
            .collect();
        let device = self.writable()?;
        self.write(
            &*device,
            device.upsert(Entity::Conflict, conflict.id, patch),
        )
        .await
    }
    /// Creates or edits a record on this device and schedules a sync;
    /// the Undo notice then offers to take it back.
    pub async fn save(
        &self,
        entity: Entity,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> Result<(), SaveError> {
        let device = self.writable()?;
        let step = self.step_of_save(entity, id, &patch);
        self.write(&*device, device.upsert(entity, id, patch))
            .await?;
        self.offer_undo(self.label_of_save(&step), vec![step]);
        Ok(())
    }
    /// Saves many changes as one (an import) and schedules a sync: every
    /// one is shown and stored at once, or none is. The Undo notice then
    /// offers to take them all back, saying `label`.
    pub async fn save_batch(
        &self,
        changes: Vec<BatchChange>,
        label: String,
        origin: Option<Origin>,
    ) -> Result<(), SaveError> {
        let device = self.writable()?;
        let steps = self.steps_of_batch(&changes);
        self.write(&*device, device.save_batch(changes, origin))
            .await?;
        self.offer_undo(label, steps);
        Ok(())
    }
    /// Merges duplicates into `survivor` on this device, with the moves of
    /// what hangs off them, as one batch, and schedules a sync.
    pub async fn merge(
        &self,
        entity: Entity,
        survivor: Uuid,
        request: MergeRequest,
    ) -> Result<(), SaveError> {
        let label = format!(
            "Merged {} into {}",
            request.merged.len(),
            self.title_of(entity, survivor)
        );
        self.save_batch(
            vec![BatchChange::Merge {
                entity,
                survivor,
                request,
            }],
            label,
            None,
        )
        .await
    }
    /// Applies a bulk action to the live records among `ids`, as one batch
    /// (one Undo); answers how many records it changed and how many it
    /// left alone (see [`BulkPlan`]).
    pub async fn bulk(
        &self,
        entity: Entity,
        ids: &[Uuid],
        action: BulkAction,
        plural: &str,
    ) -> Result<(usize, usize), SaveError> {
        let records = untrack(|| {
            self.read(Vec::new(), |replica| {
                ids.iter()
                    .filter_map(|id| replica.get(RecordKey::new(entity, *id)).cloned())
                    .collect::<Vec<_>>()
            })
        });
        let BulkPlan {
            changes,
            left_alone,
        } = plan_bulk(entity, &records, &action, chrono::Utc::now(), Uuid::now_v7);
        let changed = changes.len();
        if changed > 0 {
            let label = bulk_label(&action, changed, plural);
            self.save_batch(changes, label, Some(Origin::Bulk)).await?;
        }
        Ok((changed, left_alone))
    }
    /// Takes back the merge of a record merged away, and schedules a sync.
    pub async fn unmerge(&self, entity: Entity, id: Uuid) -> Result<(), SaveError> {
        let device = self.writable()?;
        self.write(&*device, device.unmerge(entity, id)).await
    }
    /// Deletes a record on this device and schedules a sync.
    /// The Undo notice then offers to restore it with what went with it.
    pub async fn delete(&self, entity: Entity, id: Uuid) -> Result<(), SaveError> {
        let device = self.writable()?;
        let step = self
            .last_known(entity, id)
            .filter(|record| !record.deleted)
            .map(|record| UndoStep::of_delete(RecordKey::new(entity, id), &record));
        self.write(&*device, device.delete(entity, id)).await?;
        let label = format!("Deleted {}", self.title_of(entity, id));
        self.offer_undo(label, step.into_iter().collect());
        Ok(())
    }
    /// Drops a refused change for good.
    /// Allowed to a viewer too: it only empties their own queue (changes
    /// made before the role changed).
    pub async fn discard_rejected(&self, mutation_id: u64) -> Result<(), SaveError> {
        let device = self.loaded_device()?;
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
