//! How the device's store packs records: many to a stored value.
//!
//! One stored value per record made a first sync of a 430,000-row workspace
//! spend two thirds of its time in the browser's storage, a put per row, and
//! made a reload read 430,000 values back. Instead, each pulled page is kept
//! as one chunk per entity: a JSON array of the page's records of that entity.
//!
//! A record pulled again lands in a newer chunk while its old copy stays in
//! an older one, so reading keeps the copy with the highest version (see
//! [`newest_copies`]), and the store compacts an entity's chunks when copies
//! pile up ([`plan_compaction`]). A chunk's key names its entity, its place in
//! the sequence and how many records it holds, so compaction is planned from
//! the keys alone, without reading a chunk.
//!
//! Pure: the browser adapter (`client::idb`) does the reading and writing.

use crate::domain::{Entity, Record};
use std::collections::HashMap;
use uuid::Uuid;

/// Records per chunk when chunks are rewritten: a pulled page's size, big
/// enough that a reload reads few values, small enough to rewrite cheaply.
pub const CHUNK_ROWS: usize = 5_000;

/// A chunk below this many records came from a small pull (an edit synced).
const SMALL_CHUNK_ROWS: usize = CHUNK_ROWS / 4;

/// How many small chunks an entity may have before they are merged into one:
/// a day of edits, each synced on its own, costs one merge of tiny chunks.
const MAX_SMALL_CHUNKS: usize = 32;

/// Where a chunk is stored and what it holds, written into its key
/// `"{entity}/{sequence}/{records}"` so the store can plan from its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkKey {
    pub entity: Entity,
    /// Order of writing within the entity; padded in the key so keys sort by it.
    pub sequence: u64,
    pub records: usize,
}

impl ChunkKey {
    /// The key to store the chunk under.
    pub fn encode(&self) -> String {
        format!("{}/{:012}/{}", self.entity, self.sequence, self.records)
    }

    /// Reads a stored key back; `None` for a key this module did not write.
    pub fn parse(key: &str) -> Option<Self> {
        let mut parts = key.split('/');
        let name = parts.next()?;
        let entity = Entity::ALL
            .into_iter()
            .find(|entity| entity.as_str() == name)?;
        let sequence = parts.next()?.parse().ok()?;
        let records = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Self {
            entity,
            sequence,
            records,
        })
    }

    /// Bounds of the keys of one entity's chunks: from `"entity/"`, inclusive,
    /// to `"entity0"`, exclusive ('0' is the character after '/').
    pub fn range_of(entity: Entity) -> (String, String) {
        (format!("{entity}/"), format!("{entity}0"))
    }
}

/// The sequence number a new chunk of this entity takes.
pub fn next_sequence(chunks: &[ChunkKey]) -> u64 {
    chunks
        .iter()
        .map(|chunk| chunk.sequence + 1)
        .max()
        .unwrap_or(1)
}

/// The chunks of one entity to rewrite after a write, or none.
///
/// `records` is how many distinct records of the entity the device holds,
/// when known (at the end of a pull). Once the chunks hold more than twice
/// that, all are rewritten; whatever `records` says, reading stays correct,
/// as it only decides how much space superseded copies may take. Small
/// chunks are merged into one once there are many of them, so a reload
/// never reads thousands of tiny values.
pub fn plan_compaction(chunks: &[ChunkKey], records: Option<usize>) -> Vec<ChunkKey> {
    let stored: usize = chunks.iter().map(|chunk| chunk.records).sum();
    if records.is_some_and(|records| stored > 2 * records + CHUNK_ROWS) {
        return chunks.to_vec();
    }
    let small: Vec<ChunkKey> = chunks
        .iter()
        .filter(|chunk| chunk.records < SMALL_CHUNK_ROWS)
        .copied()
        .collect();
    if small.len() > MAX_SMALL_CHUNKS {
        small
    } else {
        Vec::new()
    }
}

/// The newest copy of each record among copies read from several chunks:
/// versions only grow, so the highest is the one the server last sent.
pub fn newest_copies(copies: impl IntoIterator<Item = Record>) -> Vec<Record> {
    let mut newest: HashMap<Uuid, Record> = HashMap::new();
    for copy in copies {
        match newest.get(&copy.id) {
            Some(held) if held.version >= copy.version => {}
            _ => {
                newest.insert(copy.id, copy);
            }
        }
    }
    newest.into_values().collect()
}

/// Cuts records into chunks of at most [`CHUNK_ROWS`], numbered from `first`.
pub fn into_chunks(
    entity: Entity,
    records: Vec<Record>,
    first: u64,
) -> Vec<(ChunkKey, Vec<Record>)> {
    let mut chunks = Vec::new();
    let mut records = records.into_iter().peekable();
    let mut sequence = first;
    while records.peek().is_some() {
        let chunk: Vec<Record> = records.by_ref().take(CHUNK_ROWS).collect();
        let key = ChunkKey {
            entity,
            sequence,
            records: chunk.len(),
        };
        chunks.push((key, chunk));
        sequence += 1;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn chunk(sequence: u64, records: usize) -> ChunkKey {
        ChunkKey {
            entity: Entity::Contact,
            sequence,
            records,
        }
    }

    fn copy(id: u128, version: i64) -> Record {
        let mut record = Record::new_local(
            Uuid::from_u128(id),
            Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        );
        record.version = version;
        record
    }

    #[test]
    fn keys_round_trip_and_sort_in_writing_order() {
        let key = chunk(42, 1_234);
        assert_eq!(ChunkKey::parse(&key.encode()), Some(key));
        assert!(chunk(9, 5).encode() < chunk(10, 5).encode());
        let (start, end) = ChunkKey::range_of(Entity::Contact);
        assert!(start <= key.encode() && key.encode() < end);
        for foreign in [
            "contact/abc",
            "contact/1/2/3",
            "nonsense/1/2",
            "contact/0190f4c2",
        ] {
            assert_eq!(ChunkKey::parse(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn sequences_continue_after_the_highest() {
        assert_eq!(next_sequence(&[]), 1);
        assert_eq!(next_sequence(&[chunk(3, 1), chunk(7, 1), chunk(5, 1)]), 8);
    }

    #[test]
    fn a_first_sync_writes_nothing_twice() {
        let pages: Vec<ChunkKey> = (1..=40).map(|n| chunk(n, 5_000)).collect();
        assert!(plan_compaction(&pages, None).is_empty());
        assert!(plan_compaction(&pages, Some(200_000)).is_empty());
    }

    #[test]
    fn many_small_syncs_merge_their_chunks_and_leave_the_big_ones() {
        let mut chunks: Vec<ChunkKey> = (1..=10).map(|n| chunk(n, 5_000)).collect();
        chunks.extend((11..=42).map(|n| chunk(n, 1)));
        assert!(
            plan_compaction(&chunks, Some(50_000)).is_empty(),
            "32 is allowed"
        );
        chunks.push(chunk(43, 2));
        let merged = plan_compaction(&chunks, Some(50_000));
        assert_eq!(merged.len(), 33);
        assert!(merged.iter().all(|chunk| chunk.sequence > 10));
    }

    #[test]
    fn superseded_copies_beyond_twice_the_records_rewrite_everything() {
        // A bulk edit of all 50,000 contacts, pulled again twice.
        let chunks: Vec<ChunkKey> = (1..=31).map(|n| chunk(n, 5_000)).collect();
        assert!(
            plan_compaction(&chunks, Some(75_000)).is_empty(),
            "at most twice, and a page"
        );
        assert_eq!(plan_compaction(&chunks, Some(50_000)).len(), 31);
        assert!(plan_compaction(&chunks, None).is_empty(), "unknown count");
    }

    #[test]
    fn the_highest_version_of_each_record_is_kept_in_any_order() {
        let copies = vec![copy(1, 5), copy(2, 3), copy(1, 9), copy(1, 7), copy(2, 3)];
        let mut newest = newest_copies(copies);
        newest.sort_unstable_by_key(|record| record.id);
        let versions: Vec<(u128, i64)> = newest
            .iter()
            .map(|record| (record.id.as_u128(), record.version))
            .collect();
        assert_eq!(versions, vec![(1, 9), (2, 3)]);
    }

    #[test]
    fn records_are_cut_into_full_chunks_numbered_on() {
        let records: Vec<Record> = (0..12_001).map(|id| copy(id, 1)).collect();
        let chunks = into_chunks(Entity::Activity, records, 7);
        let keys: Vec<(u64, usize)> = chunks
            .iter()
            .map(|(key, records)| {
                assert_eq!(key.records, records.len());
                assert_eq!(key.entity, Entity::Activity);
                (key.sequence, key.records)
            })
            .collect();
        assert_eq!(keys, vec![(7, 5_000), (8, 5_000), (9, 2_001)]);
        assert!(into_chunks(Entity::Activity, Vec::new(), 1).is_empty());
    }
}
