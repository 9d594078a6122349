//! The browser's [`LocalStore`]: `IndexedDB`, through `indexed_db_futures`.
//!
//! `IndexedDB` is the only browser storage that is transactional, asynchronous
//! and large enough to hold the whole CRM, so it is what lets the app start and
//! edit offline. Every [`LocalStore`] write is one readwrite transaction awaited
//! until it has committed: a tab closed mid-write keeps all of the change or
//! none of it, and the engine never acts on a change that is not yet on disk.
//!
//! Values are JSON text from `serde_json`, not JavaScript objects: handing one
//! string per row to the browser is far faster than building an object field
//! by field, which matters when a first sync writes 200k rows. Mutation ids
//! are keys as JavaScript numbers, because a `u64` would cross as a `BigInt`,
//! which `IndexedDB` refuses as a key; numbers also sort numerically, so a key
//! range over ids means what it says.
//!
//! Schema, version 1 (key → value):
//! - `records`: `"{entity}/{uuid}"` → a [`PulledRow`]
//! - `outbox`: mutation id → a [`PendingMutation`]
//! - `rejected`: mutation id → a [`RejectedMutation`]
//! - `meta`: `"cursor"` and `"next_mutation_id"` → the number, and
//!   `"client_id"` → the sync client id, all as JSON too

use crate::domain::Entity;
use crate::sync::{
    LocalStore, Mutation, PendingMutation, PulledRow, RejectedMutation, Snapshot, StoreError,
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
const SCHEMA_VERSION: u32 = 1;

const RECORDS: &str = "records";
const OUTBOX: &str = "outbox";
const REJECTED: &str = "rejected";
const META: &str = "meta";
const ALL_STORES: [&str; 4] = [RECORDS, OUTBOX, REJECTED, META];

/// Meta key of the version of the last complete pull.
const CURSOR: &str = "cursor";
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
            .with_on_upgrade_needed(|_, db| {
                let existing: Vec<String> = db.object_store_names().collect();
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
        let (row_reads, outbox, rejected, cursor, next_mutation_id) = {
            let meta = object_store(&tx, META)?;
            let records = object_store(&tx, RECORDS)?;
            // Keys are "entity/id": one entity's rows are one key range.
            let row_reads = if Entity::ALL.iter().all(|entity| entities.contains(entity)) {
                vec![read_all(&records, RECORDS)?]
            } else {
                entities
                    .iter()
                    .map(|entity| read_entity(&records, *entity))
                    .collect::<Result<Vec<_>, _>>()?
            };
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
            )
        };
        let mut rows = Vec::new();
        for read in row_reads {
            let read = read.await.map_err(failed("reading records"))?;
            rows.extend(parse_all::<PulledRow>(RECORDS, read)?);
        }
        let outbox = outbox.await.map_err(failed("reading the outbox"))?;
        let rejected = rejected
            .await
            .map_err(failed("reading rejected mutations"))?;
        let cursor = cursor.await.map_err(failed("reading the cursor"))?;
        let next_mutation_id = next_mutation_id
            .await
            .map_err(failed("reading the mutation counter"))?;
        commit(tx, "loading").await?;

        // Ids are keys, so both lists come back in id order; sorting again
        // costs one pass and keeps that promise independent of the key encoding.
        let mut outbox: Vec<PendingMutation> = parse_all(OUTBOX, outbox)?;
        outbox.sort_by_key(|pending| pending.mutation.id);
        let mut rejected: Vec<RejectedMutation> = parse_all(REJECTED, rejected)?;
        rejected.sort_by_key(|refused| refused.mutation.id);
        Ok(Snapshot {
            rows,
            outbox,
            rejected,
            cursor: parse_meta(CURSOR, cursor)?,
            next_mutation_id: parse_meta(NEXT_MUTATION_ID, next_mutation_id)?,
        })
    }

    async fn enqueue(&self, mutation: &Mutation) -> Result<u64, StoreError> {
        let tx = self.transaction(&[OUTBOX, META], TransactionMode::Readwrite)?;
        let id = {
            let meta = object_store(&tx, META)?;
            let stored = read_meta(&meta, NEXT_MUTATION_ID).await?;
            // Another tab may have queued mutations since this one last looked.
            let id = mutation
                .id
                .max(parse_meta::<u64>(NEXT_MUTATION_ID, stored)?);
            let pending = PendingMutation {
                mutation: Mutation {
                    id,
                    ..mutation.clone()
                },
                acknowledged: false,
            };
            put(&object_store(&tx, OUTBOX)?, id_key(id), to_json(&pending)?)?;
            put(&meta, NEXT_MUTATION_ID, to_json(&(id + 1))?)?;
            id
        };
        commit(tx, "queueing a mutation").await?;
        Ok(id)
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
        forget_through: Option<u64>,
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
            for row in rows {
                put(
                    &records,
                    format!("{}/{}", row.entity, row.record.id),
                    to_json(row)?,
                )?;
            }
            put(&object_store(&tx, META)?, CURSOR, to_json(&cursor)?)?;
            if let Some(through) = forget_through {
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

/// Sends a delete without waiting for it, like [`put`].
fn delete(store: &ObjectStore<'_>, key: f64) -> Result<(), StoreError> {
    store
        .delete(key)
        .build()
        .map_err(|error| StoreError(format!("deleting from {}: {error}", store.name())))?;
    Ok(())
}

/// Waits for the transaction to complete, so a method returns only once its
/// change is committed and will survive the tab closing.
async fn commit(tx: Transaction<'_>, doing: &str) -> Result<(), StoreError> {
    tx.commit()
        .await
        .map_err(failed(format_args!("committing ({doing})")))
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

/// The rows of one entity, whose keys all lie between "entity/" and
/// "entity0" ('0' follows '/').
fn read_entity(
    records: &ObjectStore<'_>,
    entity: Entity,
) -> Result<GetAllPrimitiveRequest<String>, StoreError> {
    let range = KeyRange::Bound(format!("{entity}/"), false, format!("{entity}0"), true);
    records
        .get_all::<String>()
        .with_query::<String, _>(range)
        .build()
        .map_err(failed(format_args!("reading {entity} records")))
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
