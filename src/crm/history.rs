//! A record's History view as the UI reads it (issue 21): the entries this
//! device has pulled, the values concurrent edits overwrote and the changes
//! still queued here, in one list, offline too.

use super::Crm;
use crate::domain::{
    display_value, history_lines, Conflict, Entity, FieldKind, HistoryLine, OverwrittenValue,
    RecordKey,
};
use leptos::prelude::*;
use serde_json::Value;
use uuid::Uuid;

impl Crm {
    /// A field's value as a History view shows it: a member by name, a
    /// record it points at by its title, anything else as written.
    pub fn value_label(&self, entity: Entity, field: &str, value: &Value) -> String {
        let id = value.as_str().and_then(|text| Uuid::parse_str(text).ok());
        match (entity.field(field).map(|spec| spec.kind), id) {
            (Some(FieldKind::Member), Some(person)) => untrack(|| self.person_name(person)),
            (Some(FieldKind::Reference(target)), Some(record)) => self.title_of(target, record),
            _ => display_value(value),
        }
    }

    /// Tells History views that more of the workspace's history arrived.
    pub fn history_arrived(&self) {
        self.history_revision.update(|revision| *revision += 1);
    }

    /// Read by a History view so it reloads when history arrives.
    pub fn track_history(&self) {
        self.history_revision.track();
        self.revision.track();
    }

    /// One record's history, newest first; empty while the device opens.
    pub async fn history(&self, entity: Entity, id: Uuid) -> Result<Vec<HistoryLine>, String> {
        let Some(device) = self.device() else {
            return Ok(Vec::new());
        };
        let entries = device
            .history(entity, id)
            .await
            .map_err(|error| super::status::user_message(&error))?;
        let (overwritten, queued) = untrack(|| {
            self.read((Vec::new(), Vec::new()), |replica| {
                let overwritten = replica
                    .records(Entity::Conflict)
                    .filter_map(Conflict::from_record)
                    .filter(|conflict| conflict.entity == entity && conflict.record_id == id)
                    .map(|conflict| OverwrittenValue {
                        id: conflict.id,
                        field: conflict.field,
                        theirs: conflict.theirs,
                        mine: conflict.mine,
                        changed_by: conflict.changed_by,
                        at: conflict.at,
                    })
                    .collect();
                (
                    overwritten,
                    replica.queued_changes(RecordKey::new(entity, id)),
                )
            })
        });
        Ok(history_lines(entries, overwritten, queued, self.user_id()))
    }
}
