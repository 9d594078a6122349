//! The records one push reads, kept in memory for the length of the push.
//!
//! A push of a thousand mutations used to read each record it touched with
//! a statement of its own, every one a round trip to the connection's
//! worker thread. The cache reads all the records a push names up front,
//! one statement per entity, and every write of the push goes through it,
//! so each entry always equals the row the transaction would read.

use super::error::ServerError;
use super::repository::{self as repo, StoredRecord, Tx, WorkspaceId};
use crate::domain::Entity;
use std::collections::HashMap;
use uuid::Uuid;

type Key = (Entity, Uuid);

/// The rows a push has read or written, as the open transaction sees them.
///
/// An entry of `None` is a record known not to exist. Writes reach the
/// database at once, so statements that search the tables (a cascade, the
/// contacts of a customer) see them too; the cache only spares the reads
/// by id.
pub struct RecordCache {
    workspace: WorkspaceId,
    known: HashMap<Key, Option<StoredRecord>>,
    /// While a savepoint is open: each write's key and the entry it
    /// replaced (`None` when the key was not cached), oldest first.
    undo: Option<Vec<(Key, Option<Option<StoredRecord>>)>>,
}

impl RecordCache {
    /// Reads every record in `wanted` with one statement per entity and
    /// remembers the ids that name no record, so neither costs a statement
    /// later in the push.
    pub async fn preload(
        conn: &mut Tx,
        workspace: WorkspaceId,
        wanted: impl IntoIterator<Item = Key>,
    ) -> Result<Self, ServerError> {
        let mut by_entity: HashMap<Entity, Vec<Uuid>> = HashMap::new();
        let mut known = HashMap::new();
        for key in wanted {
            if known.insert(key, None).is_none() {
                by_entity.entry(key.0).or_default().push(key.1);
            }
        }
        for (entity, ids) in by_entity {
            for stored in repo::find_many(conn, workspace, entity, &ids).await? {
                known.insert((entity, stored.record.id), Some(stored));
            }
        }
        Ok(Self {
            workspace,
            known,
            undo: None,
        })
    }

    /// One record, tombstones included: from memory when the push has
    /// read or written it, else from the database (and remembered).
    pub async fn find(
        &mut self,
        conn: &mut Tx,
        entity: Entity,
        id: Uuid,
    ) -> Result<Option<StoredRecord>, ServerError> {
        if let Some(entry) = self.known.get(&(entity, id)) {
            return Ok(entry.clone());
        }
        let found = repo::find(conn, self.workspace, entity, id).await?;
        // A record the push has not written is the same before and after a
        // savepoint rolls back, so this needs no undo entry.
        self.known.insert((entity, id), found.clone());
        Ok(found)
    }

    /// Writes a whole record to the database and to the cache.
    pub async fn save(
        &mut self,
        conn: &mut Tx,
        entity: Entity,
        stored: StoredRecord,
    ) -> Result<(), ServerError> {
        repo::save(conn, self.workspace, entity, &stored).await?;
        let key = (entity, stored.record.id);
        let replaced = self.known.insert(key, Some(stored));
        if let Some(undo) = &mut self.undo {
            undo.push((key, replaced));
        }
        Ok(())
    }

    /// Starts keeping what each write replaces, alongside `SAVEPOINT`.
    pub fn begin_savepoint(&mut self) {
        self.undo = Some(Vec::new());
    }

    /// Puts back every entry written since [`Self::begin_savepoint`],
    /// alongside `ROLLBACK TO`, so the cache again equals the database.
    pub fn roll_back_savepoint(&mut self) {
        for (key, replaced) in self.undo.take().into_iter().flatten().rev() {
            match replaced {
                Some(entry) => self.known.insert(key, entry),
                None => self.known.remove(&key),
            };
        }
    }

    /// Keeps the writes since [`Self::begin_savepoint`], alongside `RELEASE`.
    pub fn release_savepoint(&mut self) {
        self.undo = None;
    }
}
