//! The records one push reads and writes, kept in memory for the length of
//! the push.
//!
//! A push of a thousand mutations used to read each record it touched with
//! a statement of its own, and write each with another: on PostgreSQL
//! every one a round trip over the network. The cache reads all the
//! records a push names up front, one statement per entity, and holds the
//! push's writes until something needs the tables to have them, then
//! writes them a few hundred to a statement.

use super::error::ServerError;
use super::repository::{self as repo, StoredRecord, Tx, WorkspaceId};
use crate::domain::Entity;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

type Key = (Entity, Uuid);

/// The rows a push has read or written, as the open transaction sees them
/// once the cache is flushed.
///
/// An entry of `None` is a record known not to exist. A write goes to
/// memory and is marked unwritten; [`Self::flush`] writes every unwritten
/// record, and the statements that search the tables (a cascade, the
/// contacts of a customer) go through the cache, which flushes first, so
/// they see every write. The cache only spares round trips.
pub struct RecordCache {
    workspace: WorkspaceId,
    known: HashMap<Key, Option<StoredRecord>>,
    /// Written in memory and not yet to the database.
    unwritten: HashSet<Key>,
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
            unwritten: HashSet::new(),
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

    /// The record as the push last read or wrote it, if it has: what a
    /// write's history entry compares against.
    pub fn cached(&self, entity: Entity, id: Uuid) -> Option<&StoredRecord> {
        self.known.get(&(entity, id)).and_then(Option::as_ref)
    }

    /// Remembers records a search read, as [`Self::find`] does: after a
    /// flush the tables hold every write, so a record not known yet is as
    /// the push found it, and one known already is the same.
    fn remember(&mut self, entity: Entity, found: &[StoredRecord]) {
        for stored in found {
            self.known
                .entry((entity, stored.record.id))
                .or_insert_with(|| Some(stored.clone()));
        }
    }

    /// Keeps a whole record as the push's latest write of it; it reaches
    /// the database at the next [`Self::flush`].
    pub fn save(&mut self, entity: Entity, stored: StoredRecord) {
        let key = (entity, stored.record.id);
        let replaced = self.known.insert(key, Some(stored));
        self.unwritten.insert(key);
        if let Some(undo) = &mut self.undo {
            undo.push((key, replaced));
        }
    }

    /// Writes every record saved since the last flush, one statement per
    /// entity and few hundred rows.
    pub async fn flush(&mut self, conn: &mut Tx) -> Result<(), ServerError> {
        let mut by_entity: HashMap<Entity, Vec<&StoredRecord>> = HashMap::new();
        for key in &self.unwritten {
            if let Some(Some(stored)) = self.known.get(key) {
                by_entity.entry(key.0).or_default().push(stored);
            }
        }
        for (entity, records) in by_entity {
            repo::save_all(conn, self.workspace, entity, &records).await?;
        }
        self.unwritten.clear();
        Ok(())
    }

    /// [`repo::live_referencing`], after writing what the push saved, so
    /// the search sees it.
    pub async fn live_referencing(
        &mut self,
        conn: &mut Tx,
        entity: Entity,
        column: &str,
        parents: &[Uuid],
    ) -> Result<Vec<StoredRecord>, ServerError> {
        self.flush(conn).await?;
        let found = repo::live_referencing(conn, self.workspace, entity, column, parents).await?;
        self.remember(entity, &found);
        Ok(found)
    }

    /// Tombstones of `entity` deleted because `parent` was, as
    /// [`repo::deleted_with`], after writing what the push saved.
    pub async fn deleted_with(
        &mut self,
        conn: &mut Tx,
        entity: Entity,
        parent: Uuid,
    ) -> Result<Vec<StoredRecord>, ServerError> {
        self.flush(conn).await?;
        let found = repo::deleted_with(conn, self.workspace, entity, parent).await?;
        self.remember(entity, &found);
        Ok(found)
    }

    /// Opens a savepoint, with everything saved so far written before it,
    /// and starts keeping what each later write replaces.
    pub async fn begin_savepoint(&mut self, conn: &mut Tx) -> Result<(), ServerError> {
        self.flush(conn).await?;
        repo::begin_savepoint(conn).await?;
        self.undo = Some(Vec::new());
        Ok(())
    }

    /// Undoes every write since [`Self::begin_savepoint`], in the database
    /// and here, so the cache again equals the database.
    pub async fn roll_back_savepoint(&mut self, conn: &mut Tx) -> Result<(), ServerError> {
        repo::roll_back_to_savepoint(conn).await?;
        // Everything unwritten was saved after the savepoint: the flush
        // before it left nothing unwritten.
        self.unwritten.clear();
        for (key, replaced) in self.undo.take().into_iter().flatten().rev() {
            match replaced {
                Some(entry) => self.known.insert(key, entry),
                None => self.known.remove(&key),
            };
        }
        Ok(())
    }

    /// Closes the savepoint, keeping the writes since it (none, after a
    /// rollback) as part of the push.
    pub async fn release_savepoint(&mut self, conn: &mut Tx) -> Result<(), ServerError> {
        repo::release_savepoint(conn).await?;
        self.undo = None;
        Ok(())
    }
}
