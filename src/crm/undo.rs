//! Undo of one's own last action (issue 21): every save, delete, restore,
//! merge and import is kept as an [`UndoAction`] behind a notice that
//! offers to take it back, by ordinary mutations, offline too.

use super::{Crm, SaveError};
use crate::domain::{
    contact_from_lead, customer_from_lead, record_title, BatchChange, ConvertRequest, Entity,
    Notice, Origin, Record, RecordKey, UndoAction, UndoChange, UndoStep,
};
use crate::sync::EngineError;
use leptos::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

impl Crm {
    /// A record as this device last knew it, deleted or not.
    pub(super) fn last_known(&self, entity: Entity, id: Uuid) -> Option<Record> {
        untrack(|| {
            self.read(None, |replica| {
                replica.last_known(RecordKey::new(entity, id)).cloned()
            })
        })
    }

    /// How messages name a record, deleted or not.
    pub(super) fn title_of(&self, entity: Entity, id: Uuid) -> String {
        self.last_known(entity, id).map_or_else(
            || entity.label().to_owned(),
            |record| record_title(entity, &record),
        )
    }

    /// The undo step of saving `patch` to a record, read before the save.
    pub(super) fn step_of_save(
        &self,
        entity: Entity,
        id: Uuid,
        patch: &Map<String, Value>,
    ) -> UndoStep {
        let before = self.last_known(entity, id);
        UndoStep::of_save(RecordKey::new(entity, id), before.as_ref(), patch)
    }

    /// What the notice calls a save, once it is saved.
    pub(super) fn label_of_save(&self, step: &UndoStep) -> String {
        let (key, verb) = match step {
            UndoStep::Created { key, .. } => (key, "Added"),
            UndoStep::Changed { key, wrote, .. } => {
                let restored = wrote.get("deleted") == Some(&Value::Bool(false));
                (key, if restored { "Restored" } else { "Saved" })
            }
            UndoStep::Merged { .. } => return "Merged".to_owned(),
            UndoStep::Converted { key, .. } => (key, "Converted"),
        };
        format!("{verb} {}", self.title_of(key.entity, key.id))
    }

    /// The undo steps of a batch, read before it is saved.
    pub(super) fn steps_of_batch(&self, changes: &[BatchChange]) -> Vec<UndoStep> {
        changes
            .iter()
            .filter_map(|change| match change {
                BatchChange::Upsert { entity, id, fields } => {
                    Some(self.step_of_save(*entity, *id, fields))
                }
                BatchChange::Delete { entity, id } => self
                    .last_known(*entity, *id)
                    .filter(|record| !record.deleted)
                    .map(|record| UndoStep::of_delete(RecordKey::new(*entity, *id), &record)),
                BatchChange::Merge {
                    entity, request, ..
                } => Some(UndoStep::Merged {
                    entity: *entity,
                    merged: request.merged.clone(),
                }),
            })
            .collect()
    }

    /// The undo steps of a conversion, read before it is made: the
    /// customer it creates, or the contact it adds to an existing one
    /// (a new customer's delete takes its contact along), the lead, and
    /// the edit of an existing customer's status.
    pub(super) fn steps_of_conversion(
        &self,
        lead_id: Uuid,
        request: &ConvertRequest,
        customer_status: Option<&Map<String, Value>>,
    ) -> Vec<UndoStep> {
        let Some(lead) = self.last_known(Entity::Lead, lead_id) else {
            return Vec::new();
        };
        let mut steps = Vec::new();
        let customer = RecordKey::new(Entity::Customer, request.customer_id);
        let new_customer = self
            .last_known(Entity::Customer, request.customer_id)
            .is_none();
        if new_customer {
            let wrote = customer_from_lead(&lead.fields, request.new_customer_status());
            steps.push(UndoStep::Created {
                key: customer,
                wrote,
            });
        }
        let new_contact = request
            .contact_id
            .filter(|_| !new_customer)
            .filter(|contact| self.last_known(Entity::Contact, *contact).is_none());
        if let (Some(contact), Some(wrote)) = (
            new_contact,
            contact_from_lead(&lead.fields, request.customer_id),
        ) {
            steps.push(UndoStep::Created {
                key: RecordKey::new(Entity::Contact, contact),
                wrote,
            });
        }
        steps.push(UndoStep::of_conversion(&lead, request.customer_id));
        if let Some(patch) = customer_status {
            steps.push(self.step_of_save(Entity::Customer, request.customer_id, patch));
        }
        steps
    }

    /// Shows `action` in the Undo notice, replacing whatever it showed.
    pub(super) fn offer_undo(&self, label: String, steps: Vec<UndoStep>) {
        if steps.is_empty() {
            return;
        }
        self.show_notice(Notice::Done(UndoAction { label, steps }));
    }

    fn show_notice(&self, notice: Notice) {
        let number = self
            .notice
            .with_untracked(|shown| shown.as_ref().map_or(0, |(n, _)| n + 1));
        self.notice.set(Some((number, notice)));
    }

    /// Says something the device did on its own, in the notice.
    pub fn tell(&self, said: String) {
        self.show_notice(Notice::Told(said));
    }

    /// Hides notice `number` if it is still the one shown.
    pub fn hide_notice(&self, number: u64) {
        if self
            .notice
            .with_untracked(|shown| shown.as_ref().map(|(n, _)| *n))
            == Some(number)
        {
            self.notice.set(None);
        }
    }

    /// Takes back the action the notice offers: all of it, by ordinary
    /// mutations (so it works offline and syncs), or none of it with the
    /// reason when someone has changed a record since.
    pub async fn undo_last(&self) -> Result<(), SaveError> {
        let Some(Notice::Done(action)) = self
            .notice
            .with_untracked(|shown| shown.as_ref().map(|(_, notice)| notice.clone()))
        else {
            return Ok(());
        };
        let me = untrack(|| self.user_id());
        let plan = action.plan(
            |key| self.last_known(key.entity, key.id),
            me,
            |id| untrack(|| self.person_name(id)),
        );
        let changes = match plan {
            Ok(changes) => changes,
            Err(reason) => {
                self.show_notice(Notice::Refused(format!("Can't undo: {reason}.")));
                return Ok(());
            }
        };
        let device = self.writable()?;
        let mut batch = Vec::new();
        let mut unmerges = Vec::new();
        let mut unconversions = Vec::new();
        for change in changes {
            match change {
                UndoChange::Batch(change) => batch.push(change),
                UndoChange::Unmerge(entity, id) => unmerges.push((entity, id)),
                UndoChange::Unconvert { lead, status } => unconversions.push((lead, status)),
            }
        }
        let undone = async {
            for (entity, id) in unmerges {
                device.unmerge(entity, id).await?;
            }
            // Before the batch: a lead still converted would go with the
            // delete of the customer it was converted into.
            for (lead, status) in unconversions {
                device.unconvert(lead, status).await?;
            }
            if !batch.is_empty() {
                device.save_batch(batch, Some(Origin::Undo)).await?;
            }
            Ok::<(), EngineError>(())
        };
        match self.write(&*device, undone).await {
            Ok(()) => {
                self.show_notice(Notice::Undone(format!("Undone: {}", action.label)));
                Ok(())
            }
            Err(error) => {
                self.show_notice(Notice::Refused(format!("Can't undo: {}", error.message())));
                Err(error)
            }
        }
    }
}
