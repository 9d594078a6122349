//! The browser's [`LocalStore`]: `IndexedDB`, through `indexed_db_futures`.
//!
//! `IndexedDB` is the only browser storage that is transactional, asynchronous
//! and large enough to hold the whole CRM, so it is what lets the app start and
//! edit offline. Every [`LocalStore`] write is one readwrite transaction awaited
//! until it has committed: a tab closed mid-write keeps all of the change or
//! none of it, and the engine never acts on a change that is not yet on disk.
//!
//! Values are JSON text from `serde_json`, not JavaScript objects: handing one
//! string to the browser is far faster than building an object field by
//! field. Records are stored many to a value, one chunk per entity per pulled
//! page (see [`crate::sync::chunks`]): a first sync of 430,000 rows makes a
//! few hundred puts instead of 430,000, and a reload reads as few values back.
//! Mutation ids are keys as JavaScript numbers, because a `u64` would cross as
//! a `BigInt`, which `IndexedDB` refuses as a key; numbers also sort
//! numerically, so a key range over ids means what it says.
//!
//! Schema, version 2 (key → value):
//! - `records`: a [`ChunkKey`], `"{entity}/{sequence}/{count}"` → a JSON
//!   array of [`Record`]s
//! - `outbox`: mutation id → a [`PendingMutation`] (entries written before
//!   `queued_at` was kept lack it and still read: the field is optional)
//! - `rejected`: mutation id → a [`RejectedMutation`]
//! - `meta`: `"cursor"`, `"history_cursor"` and `"next_mutation_id"` → the
//!   number, and `"client_id"` → the sync client id, all as JSON too
//! - `history` (version 3): `"{entity}/{record id}/{version, 20 digits}"` →
//!   a [`HistoryEntry`]: one record's history is one key range, read only
//!   when its History view opens, never at start-up
//!
//! Version 1 kept one record per value. Upgrading drops those records and
//! the cursor, so the next sync pulls everything again into chunks; the
//! outbox, the rejected changes and the client id are kept.

use crate::domain::{purged_by_server, Entity, HistoryEntry, Record};
use crate::sync::chunks::{self, ChunkKey};
use crate::sync::{
    LocalStore, Mutation, PendingMutation, PullEnd, PulledRow, RejectedMutation, Snapshot,
    StoreError,
};
use indexed_db_futures::database::Database;
use indexed_db_futures::future::GetAllPrimitiveRequest;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::primitive::TryToJs;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use indexed_db_futures::KeyRange;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Display;
use uuid::Uuid;

/// Bumped, with a step in the upgrade handler, whenever the stores change.
const SCHEMA_VERSION: u32 = 3;

const RECORDS: &str = "records";
const OUTBOX: &str = "outbox";
const REJECTED: &str = "rejected";
const META: &str = "meta";
const HISTORY: &str = "history";
const ALL_STORES: [&str; 5] = [RECORDS, OUTBOX, REJECTED, META, HISTORY];

/// Outbox entries a batch writes between two waits for the store, which
/// are when the page can paint: a 100,000-change import stays responsive.
const PUTS_BETWEEN_PAINTS: usize = 2_000;

/// Meta key of the version of the last complete pull.
const CURSOR: &str = "cursor";
/// Meta key of how far the server had purged the Trash at the last pull.
const PURGED_THROUGH: &str = "purged_through";
/// Meta key of the version of the last history entry kept.
const HISTORY_CURSOR: &str = "history_cursor";
/// Meta key of the id the next local mutation takes; absent until the first one.
const NEXT_MUTATION_ID: &str = "next_mutation_id";
/// Meta key of the sync client id this database belongs to.
const CLIENT_ID: &str = "client_id";

/// The device's durable copy of rows, outbox and sync position, so a reload
/// or a day offline loses nothing.
#[derive(Debug)]
pub struct IndexedDbStore {
    db: Database,
}

impl IndexedDbStore {
    /// Opens the database, creating its stores on first use, so the engine
    /// starts from whatever earlier visits left behind.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let db = Database::open(name)
            .with_version(SCHEMA_VERSION)
            .with_on_upgrade_needed(|event, db| {
                let existing: Vec<String> = db.object_store_names().collect();
                let had_records = existing.iter().any(|name| name == RECORDS);
                if event.old_version() < 2.0 && had_records {
                    // Version 1 records, one per value: pull them again.
                    db.delete_object_store(RECORDS)?;
                    let records = db.create_object_store(RECORDS).build()?;
                    drop(
                        records
                            .transaction()
                            .object_store(META)?
                            .delete(CURSOR)
                            .build()?,
                    );
                }
                for store in ALL_STORES {
                    if !existing.iter().any(|name| name == store) {
                        db.create_object_store(store).build()?;
                    }
                }
                Ok(())
            })
            .await
            .map_err(failed(format_args!("opening database {name:?}")))?;
        Ok(Self { db })
    }

    /// The sync client id this database was created with, recording
    /// `proposed` if it has none yet.
    ///
    /// The id lives beside the mutation counter it goes with: a database the
    /// browser wiped restarts mutation ids from 1, so it must also get a new
    /// id, or the server would take the new mutations for retries and skip
    /// them. Tabs opening at once agree, because this is one transaction.
    pub async fn client_id(&self, proposed: Uuid) -> Result<Uuid, StoreError> {
        let tx = self.transaction(&[META], TransactionMode::Readwrite)?;
        let id = {
            let meta = object_store(&tx, META)?;
            let stored = read_meta(&meta, CLIENT_ID).await?;
            match stored {
                Some(json) => parse(format_args!("{META} {CLIENT_ID:?}"), &json)?,
                None => {
                    put(&meta, CLIENT_ID, to_json(&proposed)?)?;
                    proposed
                }
            }
        };
        commit(tx, "recording the client id").await?;
        Ok(id)
    }

    /// Empties every store in one transaction: records, outbox, cursor and
    /// client id. Signing out leaves nothing of the workspace behind, and the
    /// next sign-in starts a new sync client.
    pub async fn clear_everything(&self) -> Result<(), StoreError> {
        let tx = self.transaction(&ALL_STORES, TransactionMode::Readwrite)?;
        for name in ALL_STORES {
            // Sent without waiting, like put: commit reports a failure.
            drop(
                object_store(&tx, name)?
                    .clear()
                    .map_err(|error| StoreError(format!("clearing {name}: {error}")))?,
            );
        }
        commit(tx, "clearing the local copy").await
    }

    /// How far the history pull has come: the version of the last entry kept.
    pub async fn history_cursor(&self) -> Result<i64, StoreError> {
        let tx = self.transaction(&[META], TransactionMode::Readonly)?;
        let meta = object_store(&tx, META)?;
        let stored = read_meta(&meta, HISTORY_CURSOR).await?;
        stored.map_or(Ok(0), |json| {
            parse(format_args!("{META} {HISTORY_CURSOR:?}"), &json)
        })
    }

    /// Keeps a page of pulled history entries and the cursor after them,
    /// in one transaction. Relaxed like pulled rows: it can be pulled again.
    pub async fn keep_history(
        &self,
        entries: &[HistoryEntry],
        cursor: i64,
    ) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction([HISTORY, META])
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Relaxed))
            .build()
            .map_err(failed("starting a transaction for history"))?;
        {
            let history = object_store(&tx, HISTORY)?;
            for entry in entries {
                let key = history_key(entry.entity, entry.record_id, entry.version);
                put(&history, key, to_json(entry)?)?;
            }
            put(&object_store(&tx, META)?, HISTORY_CURSOR, to_json(&cursor)?)?;
        }
        commit(tx, "keeping history").await
    }

    /// One record's history as this device has pulled it, oldest first.
    pub async fn history_of(
        &self,
        entity: Entity,
        id: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let tx = self.transaction(&[HISTORY], TransactionMode::Readonly)?;
        let history = object_store(&tx, HISTORY)?;
        let from = format!("{entity}/{id}/");
        let below = format!("{entity}/{id}0");
        let found = history
            .get_all::<String>()
            .with_query::<String, _>(KeyRange::Bound(from, false, below, true))
            .await
            .map_err(failed(format_args!("reading the history of {entity} {id}")))?;
        parse_all(HISTORY, found)
    }

    /// Closes this connection for good: any write started afterwards fails.
    /// Signing out closes the running engine's store before erasing, so a
    /// pull already on its way cannot land after the erase.
    pub fn close(&self) {
        self.db.clone().close();
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<Transaction<'_>, StoreError> {
        self.db
            .transaction(stores)
            .with_mode(mode)
            .build()
            .map_err(failed(format_args!("starting a transaction on {stores:?}")))
    }
}

impl LocalStore for IndexedDbStore {
    async fn load(&self, entities: &[Entity]) -> Result<Snapshot, StoreError> {
        let tx = self.transaction(&ALL_STORES, TransactionMode::Readonly)?;
        // All reads go out at once; only then is each awaited.
        let (row_reads, outbox, rejected, cursor, next_mutation_id, purged_through) = {
            let meta = object_store(&tx, META)?;
            let records = object_store(&tx, RECORDS)?;
            let row_reads = entities
                .iter()
                .map(|entity| Ok((*entity, read_entity(&records, *entity)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            (
                row_reads,
                read_all(&object_store(&tx, OUTBOX)?, OUTBOX)?,
                read_all(&object_store(&tx, REJECTED)?, REJECTED)?,
                meta.get::<String, _, _>(CURSOR)
                    .build()
                    .map_err(failed("reading the cursor"))?,
                meta.get::<String, _, _>(NEXT_MUTATION_ID)
                    .build()
                    .map_err(failed("reading the mutation counter"))?,
                meta.get::<String, _, _>(PURGED_THROUGH)
                    .build()
                    .map_err(failed("reading how far the Trash was purged"))?,
            )
        };
        let mut chunks = Vec::with_capacity(row_reads.len());
        for (entity, read) in row_reads {
            chunks.push((entity, read.await.map_err(failed("reading records"))?));
        }
        let outbox = outbox.await.map_err(failed("reading the outbox"))?;
        let rejected = rejected
            .await
            .map_err(failed("reading rejected mutations"))?;
        let cursor = cursor.await.map_err(failed("reading the cursor"))?;
        let next_mutation_id = next_mutation_id
            .await
            .map_err(failed("reading the mutation counter"))?;
        let purged_through = purged_through
            .await
            .map_err(failed("reading how far the Trash was purged"))?;
        commit(tx, "loading").await?;

        // Decoded after the transaction: a whole workspace takes seconds,
        // and the page keeps drawing and answering input meanwhile.
        let mut rows = Vec::new();
        let mut breather = Breather::new();
        for (entity, values) in chunks {
            for value in values {
                let json = value.map_err(|error| {
                    StoreError(format!("a value in {RECORDS} is not text: {error}"))
                })?;
                let chunk: Vec<Record> = parse(RECORDS, &json)?;
                rows.extend(chunk.into_iter().map(|record| PulledRow { entity, record }));
                breather.breathe().await;
            }
        }

        // Ids are keys, so both lists come back in id order; sorting again
        // costs one pass and keeps that promise independent of the key encoding.
        let mut outbox: Vec<PendingMutation> = parse_all(OUTBOX, outbox)?;
        outbox.sort_unstable_by_key(|pending| pending.mutation.id);
        let mut rejected: Vec<RejectedMutation> = parse_all(REJECTED, rejected)?;
        rejected.sort_unstable_by_key(|refused| refused.mutation.id);
        Ok(Snapshot {
            rows,
            outbox,
            rejected,
            cursor: parse_meta(CURSOR, cursor)?,
            next_mutation_id: parse_meta(NEXT_MUTATION_ID, next_mutation_id)?,
            purged_through: parse_meta(PURGED_THROUGH, purged_through)?,
        })
    }

    async fn enqueue(&self, mutations: &[Mutation]) -> Result<u64, StoreError> {
        let tx = self.transaction(&[OUTBOX, META], TransactionMode::Readwrite)?;
        let first = {
            let meta = object_store(&tx, META)?;
            let outbox = object_store(&tx, OUTBOX)?;
            let stored = read_meta(&meta, NEXT_MUTATION_ID).await?;
            // Another tab may have queued mutations since this one last looked.
            let first = mutations
                .first()
                .map_or(0, |mutation| mutation.id)
                .max(parse_meta::<u64>(NEXT_MUTATION_ID, stored)?);
            for (at, (mutation, id)) in mutations.iter().zip(first..).enumerate() {
                let pending = PendingMutation::new(Mutation {
                    id,
                    ..mutation.clone()
                });
                let json = to_json(&pending)?;
                if (at + 1) % PUTS_BETWEEN_PAINTS == 0 {
                    // Waiting on one put lets the page paint; the
                    // transaction stays open while its requests run.
                    put_and_wait(&outbox, id_key(id), json).await?;
                } else {
                    put(&outbox, id_key(id), json)?;
                }
            }
            let next = first + mutations.len() as u64;
            put(&meta, NEXT_MUTATION_ID, to_json(&next)?)?;
            first
        };
        commit(tx, "queueing changes").await?;
        Ok(first)
    }

    async fn settle(
        &self,
        acknowledged: &[u64],
        rejected: &[RejectedMutation],
    ) -> Result<(), StoreError> {
        let tx = self.transaction(&[OUTBOX, REJECTED], TransactionMode::Readwrite)?;
        {
            let outbox = object_store(&tx, OUTBOX)?;
            let reads = acknowledged
                .iter()
                .map(|&id| outbox.get::<String, _, _>(id_key(id)).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("reading the outbox"))?;
            for read in reads {
                // An id no longer queued was forgotten already: nothing to mark.
                let Some(json) = read.await.map_err(failed("reading the outbox"))? else {
                    continue;
                };
                let mut pending: PendingMutation = parse(OUTBOX, &json)?;
                pending.acknowledged = true;
                put(&outbox, id_key(pending.mutation.id), to_json(&pending)?)?;
            }
            let refused = object_store(&tx, REJECTED)?;
            for rejection in rejected {
                let key = id_key(rejection.mutation.id);
                delete(&outbox, key)?;
                put(&refused, key, to_json(rejection)?)?;
            }
        }
        commit(tx, "recording a push's results").await
    }

    async fn apply_pulled(
        &self,
        rows: &[PulledRow],
        cursor: i64,
        end: Option<&PullEnd>,
    ) -> Result<(), StoreError> {
        // Relaxed: pulled rows can always be pulled again, and the cursor
        // commits with them, so the most an OS crash can cost is a re-pull;
        // an initial sync need not wait for the disk after every page.
        let tx = self
            .db
            .transaction([RECORDS, META, OUTBOX])
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Relaxed))
            .build()
            .map_err(failed("starting a transaction for pulled rows"))?;
        {
            let records = object_store(&tx, RECORDS)?;
            for entity in Entity::ALL {
                let page: Vec<&Record> = rows
                    .iter()
                    .filter(|row| row.entity == entity)
                    .map(|row| &row.record)
                    .collect();
                let held = end.and_then(|end| {
                    end.records
                        .iter()
                        .find(|(counted, _)| *counted == entity)
                        .map(|(_, count)| *count)
                });
                if page.is_empty() && held.is_none() {
                    continue;
                }
                let mut chunks = chunk_keys(&records, entity).await?;
                if !page.is_empty() {
                    let key = ChunkKey {
                        entity,
                        sequence: chunks::next_sequence(&chunks),
                        records: page.len(),
                    };
                    put(&records, key.encode(), to_json(&page)?)?;
                    chunks.push(key);
                }
                let merge = chunks::plan_compaction(&chunks, held);
                if !merge.is_empty() {
                    let purged_through = end.map_or(0, |end| end.purged_through);
                    let first = chunks::next_sequence(&chunks);
                    compact(&records, entity, &merge, first, purged_through).await?;
                }
            }
            let meta = object_store(&tx, META)?;
            put(&meta, CURSOR, to_json(&cursor)?)?;
            if let Some(end) = end {
                put(&meta, PURGED_THROUGH, to_json(&end.purged_through)?)?;
            }
            if let Some(through) = end.and_then(|end| end.forget_through) {
                let outbox = object_store(&tx, OUTBOX)?;
                // `false`: the bound is closed, so `through` itself is included.
                let up_to = KeyRange::UpperBound(id_key(through), false);
                let queued = outbox
                    .get_all::<String>()
                    .with_query::<f64, _>(up_to)
                    .await
                    .map_err(failed("reading the outbox"))?;
                for pending in parse_all::<PendingMutation>(OUTBOX, queued)? {
                    if pending.acknowledged {
                        delete(&outbox, id_key(pending.mutation.id))?;
                    }
                }
            }
        }
        commit(tx, "storing pulled rows").await
    }

    async fn discard_rejected(&self, mutation_id: u64) -> Result<(), StoreError> {
        let tx = self.transaction(&[REJECTED], TransactionMode::Readwrite)?;
        delete(&object_store(&tx, REJECTED)?, id_key(mutation_id))?;
        commit(tx, "discarding a rejected mutation").await
    }

    async fn forget_pulled(&self) -> Result<(), StoreError> {
        let tx = self.transaction(&[RECORDS, META, HISTORY], TransactionMode::Readwrite)?;
        for name in [RECORDS, HISTORY] {
            // Sent without waiting, like put: commit reports a failure.
            drop(
                object_store(&tx, name)?
                    .clear()
                    .map_err(|error| StoreError(format!("clearing {name}: {error}")))?,
            );
        }
        let meta = object_store(&tx, META)?;
        put(&meta, CURSOR, to_json(&0_i64)?)?;
        put(&meta, PURGED_THROUGH, to_json(&0_i64)?)?;
        put(&meta, HISTORY_CURSOR, to_json(&0_i64)?)?;
        commit(tx, "forgetting the pulled rows").await
    }
}

/// Gives the page a turn between stretches of work on its thread, so a long
/// decode never holds a frame or a keystroke for more than a moment.
struct Breather {
    since: f64,
}

impl Breather {
    /// The longest stretch of work between two turns, in milliseconds.
    const STRETCH_MS: f64 = 40.0;

    fn new() -> Self {
        Self {
            since: js_sys::Date::now(),
        }
    }

    async fn breathe(&mut self) {
        if js_sys::Date::now() - self.since >= Self::STRETCH_MS {
            gloo_timers::future::TimeoutFuture::new(0).await;
            self.since = js_sys::Date::now();
        }
    }
}

/// A history entry's key: its record's, then the version, padded so keys
/// sort by version.
fn history_key(entity: Entity, id: Uuid, version: i64) -> String {
    format!("{entity}/{id}/{version:020}")
}

/// Mutation ids as `IndexedDB` keys: see the module comment for why not `u64`.
/// Exact below 2^53, which a per-client counter never reaches.
fn id_key(id: u64) -> f64 {
    id as f64
}

fn object_store<'tx>(tx: &'tx Transaction<'_>, name: &str) -> Result<ObjectStore<'tx>, StoreError> {
    tx.object_store(name)
        .map_err(failed(format_args!("opening store {name}")))
}

/// Sends a put without waiting for it: a failed request aborts the
/// transaction, and [`commit`] reports that.
fn put(store: &ObjectStore<'_>, key: impl TryToJs, json: String) -> Result<(), StoreError> {
    store
        .put(json)
        .with_key(key)
        .without_key_type()
        .build()
        .map_err(|error| StoreError(format!("writing to {}: {error}", store.name())))?;
    Ok(())
}

/// Writes a value and waits until the store has it.
async fn put_and_wait(
    store: &ObjectStore<'_>,
    key: impl TryToJs,
    json: String,
) -> Result<(), StoreError> {
    let failed = |error: &dyn Display| StoreError(format!("writing to {}: {error}", store.name()));
    store
        .put(json)
        .with_key(key)
        .without_key_type()
        .build()
        .map_err(|error| failed(&error))?
        .await
        .map_err(|error| failed(&error))?;
    Ok(())
}

/// Sends a delete without waiting for it, like [`put`].
fn delete<K: TryToJs>(store: &ObjectStore<'_>, key: K) -> Result<(), StoreError> {
    store
        .delete(key)
        .build()
        .map_err(|error| StoreError(format!("deleting from {}: {error}", store.name())))?;
    Ok(())
}

/// Waits for the transaction to complete, so a method returns only once its
/// change is committed and will survive the tab closing.
async fn commit(tx: Transaction<'_>, doing: &str) -> Result<(), StoreError> {
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(error) if out_of_room().await => Err(StoreError(format!(
            "committing ({doing}): the storage quota for this site is used up ({error})"
        ))),
        Err(error) => Err(failed(format_args!("committing ({doing})"))(error)),
    }
}

/// Room that must be left under the quota for a failed write not to be
/// blamed on it: a local edit is a few kilobytes, a pulled page up to 2 MB.
const ROOM_MARGIN_BYTES: f64 = 4_000_000.0;

/// Whether this site's storage is at (or within a write of) its quota. A
/// transaction aborted by `QuotaExceededError` reports only that it
/// aborted, so the estimate tells users why.
async fn out_of_room() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(estimating) = window.navigator().storage().estimate() else {
        return false;
    };
    let Ok(estimate) = wasm_bindgen_futures::JsFuture::from(estimating).await else {
        return false;
    };
    let estimate = web_sys::StorageEstimate::from(estimate);
    match (estimate.get_usage(), estimate.get_quota()) {
        (Some(usage), Some(quota)) => quota - usage < ROOM_MARGIN_BYTES,
        _ => false,
    }
}

/// Reads one meta value inside a read-modify-write transaction.
async fn read_meta(meta: &ObjectStore<'_>, key: &str) -> Result<Option<String>, StoreError> {
    meta.get::<String, _, _>(key)
        .build()
        .map_err(failed(format_args!("reading {META} {key:?}")))?
        .await
        .map_err(failed(format_args!("reading {META} {key:?}")))
}

/// Starts a get-all request on a whole store, to be awaited later.
fn read_all(
    store: &ObjectStore<'_>,
    name: &str,
) -> Result<GetAllPrimitiveRequest<String>, StoreError> {
    store
        .get_all::<String>()
        .build()
        .map_err(failed(format_args!("reading {name}")))
}

/// Starts reading the chunks of one entity, to be awaited later.
fn read_entity(
    records: &ObjectStore<'_>,
    entity: Entity,
) -> Result<GetAllPrimitiveRequest<String>, StoreError> {
    records
        .get_all::<String>()
        .with_query::<String, _>(chunk_range(entity))
        .build()
        .map_err(failed(format_args!("reading {entity} records")))
}

fn chunk_range(entity: Entity) -> KeyRange<String> {
    let (from, below) = ChunkKey::range_of(entity);
    KeyRange::Bound(from, false, below, true)
}

/// The keys of one entity's chunks, which say what each holds.
async fn chunk_keys(
    records: &ObjectStore<'_>,
    entity: Entity,
) -> Result<Vec<ChunkKey>, StoreError> {
    let keys = records
        .get_all_keys::<String>()
        .with_query::<String, _>(chunk_range(entity))
        .await
        .map_err(failed(format_args!("listing {entity} chunks")))?;
    keys.map(|key| {
        let key = key.map_err(failed(format_args!("listing {entity} chunks")))?;
        ChunkKey::parse(&key).ok_or_else(|| StoreError(format!("unreadable chunk key {key:?}")))
    })
    .collect()
}

/// Rewrites these chunks of one entity as full chunks of the newest copy of
/// each record they hold, numbered from `first`, leaving out the
/// tombstones the server purged through `purged_through`.
async fn compact(
    records: &ObjectStore<'_>,
    entity: Entity,
    merge: &[ChunkKey],
    first: u64,
    purged_through: i64,
) -> Result<(), StoreError> {
    let reads = merge
        .iter()
        .map(|key| records.get::<String, _, _>(key.encode()).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed(format_args!("reading {entity} chunks")))?;
    let mut copies = Vec::new();
    for (key, read) in merge.iter().zip(reads) {
        let json = read
            .await
            .map_err(failed(format_args!("reading {entity} chunks")))?
            .ok_or_else(|| StoreError(format!("chunk {} vanished", key.encode())))?;
        copies.extend(parse::<Vec<Record>>(RECORDS, &json)?);
        delete(records, key.encode())?;
    }
    let mut kept = chunks::newest_copies(copies);
    kept.retain(|record| !purged_by_server(record, purged_through));
    for (key, chunk) in chunks::into_chunks(entity, kept, first) {
        put(records, key.encode(), to_json(&chunk)?)?;
    }
    Ok(())
}

fn parse_all<T: DeserializeOwned>(
    store: &str,
    values: impl Iterator<Item = indexed_db_futures::Result<String>>,
) -> Result<Vec<T>, StoreError> {
    values
        .map(|value| {
            let json = value
                .map_err(|error| StoreError(format!("a value in {store} is not text: {error}")))?;
            parse(store, &json)
        })
        .collect()
}

/// A meta value, or the type's default when it was never written.
fn parse_meta<T: DeserializeOwned + Default>(
    key: &str,
    json: Option<String>,
) -> Result<T, StoreError> {
    json.map_or_else(
        || Ok(T::default()),
        |json| parse(format_args!("{META} {key:?}"), &json),
    )
}

fn parse<T: DeserializeOwned>(place: impl Display, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json)
        .map_err(|error| StoreError(format!("unreadable value in {place}: {error}")))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError(format!("could not encode a value: {error}")))
}

/// Turns a library or browser error into a [`StoreError`] saying what was being done.
fn failed<E: Display>(doing: impl Display) -> impl FnOnce(E) -> StoreError {
    move |error| StoreError(format!("{doing}: {error}"))
}
