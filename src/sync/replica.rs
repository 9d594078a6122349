//! The device's copy of the workspace: server rows with pending edits on top.
//!
//! Pure state, no I/O. The engine persists each change through the
//! [`super::LocalStore`] first and then tells the replica, so what is on screen
//! is always something that survives a reload.

use super::protocol::{json_len, Mutation, Op, PulledRow};
use super::store::{PendingMutation, RejectedMutation, Snapshot};
use crate::domain::{
    can_unmerge, check_change, check_required, choose_default_contact, contact_from_lead,
    converted_lead, customer_from_lead, is_converted, merge_attachments, normalize_patch,
    purged_by_server, too_late_to_unmerge, unconverted_lead, BatchChange, ConvertRequest,
    DefaultCandidate, Entity, FieldError, FieldKind, MergeRequest, QueuedChange, Record, RecordKey,
    DELETED_WITH_FIELD, MERGED_INTO_FIELD,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use uuid::Uuid;

/// Tombstones deleted with another record, by that record's id (see
/// [`DELETED_WITH_FIELD`]): what restoring it brings back, as the server
/// will, before the server's answer arrives.
type WentWith = HashMap<Uuid, HashSet<RecordKey>>;

/// The record a tombstone was deleted with, if it was.
fn deleted_with(record: &Record) -> Option<Uuid> {
    record
        .deleted
        .then(|| record.reference(DELETED_WITH_FIELD))
        .flatten()
}

/// Whether [`Replica::confirm`] takes a row older than the copy held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stale {
    /// Pulled rows are the server's latest word.
    Take,
    /// Rows read back from the store may be superseded copies.
    Skip,
}

/// Pending "make default" marks rank above every server version.
const LOCAL_MARK_RANK: u64 = 1 << 48;

/// Records as this device sees them, and the changes not yet confirmed.
#[derive(Debug, Default)]
pub struct Replica {
    /// Rows exactly as the server last sent them, tombstones included.
    /// Shared with `view` wherever no pending change alters a record, so a
    /// 400,000-row workspace is held once, not twice.
    confirmed: HashMap<RecordKey, Rc<Record>>,
    /// Local mutations in id order, acknowledged ones until the next pull.
    outbox: Vec<PendingMutation>,
    rejected: Vec<RejectedMutation>,
    cursor: i64,
    /// How far the server has purged the Trash (see [`Replica::purged_on_server`]).
    purged_through: i64,
    next_mutation_id: u64,
    /// `confirmed`'s tombstones by the record they were deleted with.
    went_with: WentWith,
    /// `confirmed` with the outbox applied and invariants restored: what users see.
    view: View,
}

/// What users see, kept by entity so a list reads one entity and never the
/// whole workspace, with each customer's contacts indexed so the
/// default-contact rule reads one customer's contacts and never all of them.
/// Both keep a page of a 400,000-row initial sync from costing time in
/// proportion to everything pulled before it.
#[derive(Debug, Default)]
struct View {
    records: HashMap<Entity, HashMap<Uuid, Rc<Record>>>,
    /// Contact ids by the customer they name, tombstones included.
    contacts_of: HashMap<Uuid, HashSet<Uuid>>,
}

impl View {
    fn get(&self, key: RecordKey) -> Option<&Record> {
        self.records.get(&key.entity)?.get(&key.id).map(Rc::as_ref)
    }

    fn of(&self, entity: Entity) -> impl Iterator<Item = &Record> {
        self.records
            .get(&entity)
            .into_iter()
            .flat_map(HashMap::values)
            .map(Rc::as_ref)
    }

    fn contacts_of(&self, customer: Uuid) -> impl Iterator<Item = &Record> {
        let contacts = self.records.get(&Entity::Contact);
        self.contacts_of
            .get(&customer)
            .into_iter()
            .flatten()
            .filter_map(move |id| contacts?.get(id).map(Rc::as_ref))
    }

    /// Sets or removes a record, keeping the contact index in step.
    fn set(&mut self, key: RecordKey, record: Option<Rc<Record>>) {
        let customer = record.as_ref().and_then(|r| r.reference("customer_id"));
        let records = self.records.entry(key.entity).or_default();
        let old = match record {
            Some(record) => records.insert(key.id, record),
            None => records.remove(&key.id),
        };
        if key.entity != Entity::Contact {
            return;
        }
        let old_customer = old.and_then(|r| r.reference("customer_id"));
        if old_customer == customer {
            return;
        }
        if let Some(old_customer) = old_customer {
            if let Some(ids) = self.contacts_of.get_mut(&old_customer) {
                ids.remove(&key.id);
                if ids.is_empty() {
                    self.contacts_of.remove(&old_customer);
                }
            }
        }
        if let Some(customer) = customer {
            self.contacts_of.entry(customer).or_default().insert(key.id);
        }
    }

    /// Sets a contact's default flag, which the index does not depend on.
    fn set_default_flag(&mut self, contact: Uuid, is_default: bool) {
        if let Some(record) = self
            .records
            .get_mut(&Entity::Contact)
            .and_then(|contacts| contacts.get_mut(&contact))
        {
            Rc::make_mut(record)
                .fields
                .insert("is_default".into(), Value::Bool(is_default));
        }
    }
}

impl Replica {
    /// Rebuilds the view from what the store kept.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let mut replica = Replica {
            confirmed: HashMap::with_capacity(snapshot.rows.len()),
            outbox: snapshot.outbox,
            rejected: snapshot.rejected,
            cursor: snapshot.cursor,
            purged_through: snapshot.purged_through,
            next_mutation_id: snapshot.next_mutation_id.max(1),
            went_with: WentWith::default(),
            view: View::default(),
        };
        for row in snapshot.rows {
            replica.confirm(row, Stale::Skip);
        }
        if replica.purged_through > 0 {
            let held: Vec<RecordKey> = replica.confirmed.keys().copied().collect();
            replica.drop_purged(held);
        }
        replica
            .outbox
            .sort_unstable_by_key(|pending| pending.mutation.id);
        if let Some(last) = replica.outbox.last() {
            replica.next_mutation_id = replica.next_mutation_id.max(last.mutation.id + 1);
        }
        let keys: Vec<RecordKey> = replica
            .confirmed
            .keys()
            .copied()
            .chain(
                replica
                    .outbox
                    .iter()
                    .flat_map(|pending| keys_of(&replica.went_with, &pending.mutation)),
            )
            .collect();
        replica.recompute(keys);
        replica
    }

    /// Live records of one entity, in no particular order.
    pub fn records(&self, entity: Entity) -> impl Iterator<Item = &Record> {
        self.view.of(entity).filter(|record| !record.deleted)
    }

    /// One live record.
    pub fn get(&self, key: RecordKey) -> Option<&Record> {
        self.view.get(key).filter(|record| !record.deleted)
    }

    /// A customer's live contacts, in no particular order, from the index
    /// the view keeps: a customer page never reads every contact.
    pub fn contacts_of(&self, customer: Uuid) -> impl Iterator<Item = &Record> {
        self.view
            .contacts_of(customer)
            .filter(|contact| !contact.deleted)
    }

    /// A customer's live default contact; `None` when it has no contacts.
    /// Reads that customer's contacts only, so a list can ask per row.
    pub fn default_contact(&self, customer: Uuid) -> Option<&Record> {
        self.view
            .contacts_of(customer)
            .find(|contact| !contact.deleted && contact.flag("is_default"))
    }

    /// Deleted records of one entity as this device shows them.
    pub fn tombstones(&self, entity: Entity) -> impl Iterator<Item = &Record> {
        self.view.of(entity).filter(|record| record.deleted)
    }

    /// How many records go with each of `parents` when it is restored:
    /// those the server deleted with it, and those still alive here that
    /// a delete not yet synced will take along (its contacts, deals and
    /// activities). One pass over those entities, for the Trash page.
    pub fn went_with_counts(&self, parents: &HashSet<Uuid>) -> HashMap<Uuid, usize> {
        let mut counts: HashMap<Uuid, usize> = parents
            .iter()
            .filter_map(|parent| Some((*parent, self.went_with.get(parent)?.len())))
            .collect();
        for entity in [Entity::Contact, Entity::Opportunity, Entity::Activity] {
            for record in self.records(entity) {
                let parent = ["customer_id", "lead_id", "opportunity_id"]
                    .into_iter()
                    .filter_map(|column| record.reference(column))
                    .find(|parent| parents.contains(parent));
                if let Some(parent) = parent {
                    *counts.entry(parent).or_default() += 1;
                }
            }
        }
        counts
    }

    /// A record as last known, even if deleted: what a restore starts from.
    pub fn last_known(&self, key: RecordKey) -> Option<&Record> {
        self.view.get(key)
    }

    /// The records merged into this one that can still be taken back
    /// (merged within `UNMERGE_DAYS` of `now`), the latest merge first:
    /// what its page offers to unmerge.
    pub fn merged_here(&self, entity: Entity, survivor: Uuid, now: DateTime<Utc>) -> Vec<&Record> {
        let mut merged: Vec<&Record> = self
            .view
            .of(entity)
            .filter(|record| {
                record.deleted
                    && record.reference(MERGED_INTO_FIELD) == Some(survivor)
                    && can_unmerge(record.updated_at, now)
            })
            .collect();
        merged.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        merged
    }

    /// Changes not yet sent that were made more than a day before `now`:
    /// the status line tells the user they are stuck.
    pub fn stale_count(&self, now: chrono::DateTime<chrono::Utc>) -> usize {
        super::store::stale_changes(&self.outbox, now)
    }

    /// The changes to one record this device has queued and the server has
    /// not yet acknowledged, oldest first: the top of its History view.
    pub fn queued_changes(&self, key: RecordKey) -> Vec<QueuedChange> {
        self.outbox
            .iter()
            .filter(|pending| !pending.acknowledged)
            .filter(|pending| {
                RecordKey::new(pending.mutation.entity, pending.mutation.record_id) == key
            })
            .map(|pending| QueuedChange {
                made_at: pending.queued_at,
                fields: pending.mutation.fields.clone(),
                deletes: pending.mutation.op == Op::Delete,
            })
            .collect()
    }

    /// How many local changes the server has not acknowledged yet.
    pub fn pending_count(&self) -> usize {
        self.outbox
            .iter()
            .filter(|pending| !pending.acknowledged)
            .count()
    }

    /// Changes the server refused, oldest first.
    pub fn rejected(&self) -> &[RejectedMutation] {
        &self.rejected
    }

    /// The version of the last complete pull.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Builds the mutation for a local edit, checked by the same rules as the server.
    ///
    /// Reserves the mutation id at once, so two edits racing to the store never
    /// share one; an id left unused by a failed write is a harmless gap.
    pub fn prepare_upsert(
        &mut self,
        entity: Entity,
        record_id: Uuid,
        patch: &Map<String, Value>,
    ) -> Result<Mutation, FieldError> {
        let fields = self.checked_upsert(entity, record_id, patch, &HashSet::new())?;
        Ok(self.reserve(entity, Op::Upsert, record_id, fields))
    }

    /// Builds the mutations of many edits saved as one (an import, a
    /// merge): each is checked as [`Self::prepare_upsert`] checks one, and
    /// may name records created earlier in the same batch. The moves of
    /// what hangs off the records a merge takes in follow the merge: they
    /// show here at once, and the server, which moves them itself (and
    /// keeps what it moved, for an unmerge), finds them moved already.
    pub fn prepare_batch(&mut self, changes: &[BatchChange]) -> Result<Vec<Mutation>, FieldError> {
        let mut created = HashSet::new();
        let mut checked = Vec::with_capacity(changes.len());
        for change in changes {
            let one = match change {
                BatchChange::Upsert { entity, id, fields } => {
                    let fields = self.checked_upsert(*entity, *id, fields, &created)?;
                    created.insert(RecordKey::new(*entity, *id));
                    (*entity, Op::Upsert, *id, fields)
                }
                BatchChange::Delete { entity, id } => (*entity, Op::Delete, *id, Map::new()),
                BatchChange::Merge {
                    entity,
                    survivor,
                    request,
                } => {
                    let request = self.checked_merge(*entity, *survivor, request)?;
                    let moves = self.merge_moves(*entity, *survivor, &request);
                    checked.push((*entity, Op::Merge, *survivor, request.to_fields()));
                    for (child, id, fields) in moves {
                        let fields = self.checked_upsert(child, id, &fields, &created)?;
                        checked.push((child, Op::Upsert, id, fields));
                    }
                    continue;
                }
            };
            checked.push(one);
        }
        Ok(checked
            .into_iter()
            .map(|(entity, op, id, fields)| self.reserve(entity, op, id, fields))
            .collect())
    }

    /// An edit's fields, normalized, once the schema's rules and its
    /// references (to live records, or to records in `also_live`) hold.
    fn checked_upsert(
        &self,
        entity: Entity,
        record_id: Uuid,
        patch: &Map<String, Value>,
        also_live: &HashSet<RecordKey>,
    ) -> Result<Map<String, Value>, FieldError> {
        let fields = normalize_patch(entity, patch)?;
        let key = RecordKey::new(entity, record_id);
        let before = self.view.get(key);
        check_change(entity, before.map(|record| &record.fields), &fields)?;
        let mut merged = before
            .cloned()
            .unwrap_or_else(|| Record::new_local(record_id, created_at_of(record_id)));
        merged.apply_patch(&fields);
        check_required(entity, &merged.fields)?;
        // A restore brings back the whole record: every record it hangs
        // off must be alive, not only those the patch names.
        let restores = before.is_some_and(|record| record.deleted) && !merged.deleted;
        let references = if restores { &merged.fields } else { &fields };
        for spec in entity.fields() {
            let FieldKind::Reference(target) = spec.kind else {
                continue;
            };
            if spec.name == MERGED_INTO_FIELD {
                continue;
            }
            let Some(Value::String(id)) = references.get(spec.name) else {
                continue;
            };
            let live = Uuid::parse_str(id).is_ok_and(|id| {
                let target = RecordKey::new(target, id);
                self.get(target).is_some() || also_live.contains(&target)
            });
            if !live {
                return Err(FieldError::new(
                    spec.name,
                    format!("{} does not exist", spec.label),
                ));
            }
        }
        Ok(fields)
    }

    /// Builds the mutation that converts a lead into a new customer (an id
    /// not seen yet) or attaches it to an existing one, by the server's rules.
    pub fn prepare_convert(
        &mut self,
        lead_id: Uuid,
        request: ConvertRequest,
    ) -> Result<Mutation, FieldError> {
        let lead = self
            .get(RecordKey::new(Entity::Lead, lead_id))
            .ok_or_else(|| FieldError::new("record_id", "This lead no longer exists"))?;
        if is_converted(&lead.fields) {
            return Err(FieldError::new("status", "This lead is converted already"));
        }
        let has_person = contact_from_lead(&lead.fields, request.customer_id).is_some();
        let customer_key = RecordKey::new(Entity::Customer, request.customer_id);
        if self.view.get(customer_key).is_some() && self.get(customer_key).is_none() {
            return Err(FieldError::new("customer_id", "That customer was deleted"));
        }
        if let Some(contact_id) = request.contact_id {
            let contact_key = RecordKey::new(Entity::Contact, contact_id);
            match self.view.get(contact_key) {
                Some(contact)
                    if contact.deleted
                        || contact.reference("customer_id") != Some(request.customer_id) =>
                {
                    return Err(FieldError::new(
                        "contact_id",
                        "That contact is not a contact of the chosen customer",
                    ))
                }
                None if !has_person => {
                    return Err(FieldError::new(
                        "contact_id",
                        "The lead names no person to make a contact of",
                    ))
                }
                _ => {}
            }
        }
        Ok(self.reserve(Entity::Lead, Op::Convert, lead_id, request.to_fields()))
    }

    /// Builds the mutation that takes back a lead's conversion (an undo),
    /// giving it back `status`: shown at once, offline too; the customer
    /// and contact it made are deleted by the deletes that follow it.
    pub fn prepare_unconvert(
        &mut self,
        lead_id: Uuid,
        status: &str,
    ) -> Result<Mutation, FieldError> {
        let fields: Map<String, Value> = [("status".to_owned(), Value::from(status))]
            .into_iter()
            .collect();
        unconverted_lead(&fields)?;
        self.get(RecordKey::new(Entity::Lead, lead_id))
            .filter(|lead| is_converted(&lead.fields))
            .ok_or_else(|| FieldError::new("status", "This lead is not converted"))?;
        Ok(self.reserve(Entity::Lead, Op::Unconvert, lead_id, fields))
    }

    /// A merge as the server will take it: every record live, none a
    /// converted lead, and a default contact merged into another contact
    /// of its customer handing the mark to the one that stays.
    fn checked_merge(
        &self,
        entity: Entity,
        survivor: Uuid,
        request: &MergeRequest,
    ) -> Result<MergeRequest, FieldError> {
        let mut request = MergeRequest::from_fields(entity, survivor, &request.to_fields())?;
        let kept = self.get(RecordKey::new(entity, survivor)).ok_or_else(|| {
            FieldError::new("record_id", format!("This {entity} no longer exists"))
        })?;
        let mut hands_default = false;
        for id in &request.merged {
            let other = self.get(RecordKey::new(entity, *id)).ok_or_else(|| {
                FieldError::new("merged", format!("One of these {entity}s no longer exists"))
            })?;
            if entity == Entity::Lead && is_converted(&other.fields) {
                return Err(FieldError::new(
                    "merged",
                    "A converted lead is kept as the history of its customer",
                ));
            }
            hands_default |= entity == Entity::Contact
                && other.flag("is_default")
                && other.reference("customer_id") == kept.reference("customer_id");
        }
        if hands_default && !kept.flag("is_default") {
            request
                .values
                .insert("is_default".into(), Value::Bool(true));
        }
        Ok(request)
    }

    /// The edits that move what hangs off the merged records to the
    /// survivor, shown at once and sent after the merge. The server
    /// moves them too (and whatever this device has not seen); a moved
    /// contact loses its default mark, so the survivor's default stays.
    /// What no client may repoint (see `merge_attachments`) follows with
    /// the server's answer.
    fn merge_moves(
        &self,
        entity: Entity,
        survivor: Uuid,
        request: &MergeRequest,
    ) -> Vec<(Entity, Uuid, Map<String, Value>)> {
        let merged: HashSet<Uuid> = request.merged.iter().copied().collect();
        let survivor_has_default =
            entity == Entity::Customer && self.default_contact(survivor).is_some();
        let mut moves = Vec::new();
        let movable = merge_attachments(entity)
            .iter()
            .filter(|(child, column)| child.client_writable(column));
        for (child, column) in movable {
            let attached: Vec<&Record> = if *child == Entity::Contact {
                merged
                    .iter()
                    .flat_map(|customer| self.view.contacts_of(*customer))
                    .filter(|contact| !contact.deleted)
                    .collect()
            } else {
                self.records(*child)
                    .filter(|record| {
                        record
                            .reference(column)
                            .is_some_and(|id| merged.contains(&id))
                    })
                    .collect()
            };
            for record in attached {
                let mut fields = Map::new();
                fields.insert((*column).to_owned(), survivor.to_string().into());
                if *child == Entity::Contact && survivor_has_default && record.flag("is_default") {
                    fields.insert("is_default".into(), Value::Bool(false));
                }
                moves.push((*child, record.id, fields));
            }
        }
        moves.sort_by_key(|(child, id, _)| (*child, *id));
        moves
    }

    /// Builds the mutation that takes back the merge of a record merged
    /// away within `UNMERGE_DAYS` (by this device's clock; the server
    /// decides by its own record of the merge).
    pub fn prepare_unmerge(
        &mut self,
        entity: Entity,
        record_id: Uuid,
    ) -> Result<Mutation, FieldError> {
        let merged = self
            .last_known(RecordKey::new(entity, record_id))
            .filter(|record| record.deleted && record.reference(MERGED_INTO_FIELD).is_some())
            .ok_or_else(|| {
                FieldError::new(
                    MERGED_INTO_FIELD,
                    format!("This {entity} is not merged into another"),
                )
            })?;
        if !can_unmerge(merged.updated_at, Utc::now()) {
            return Err(too_late_to_unmerge());
        }
        Ok(self.reserve(entity, Op::Unmerge, record_id, Map::new()))
    }

    /// Builds the mutation that deletes a record.
    pub fn prepare_delete(&mut self, entity: Entity, record_id: Uuid) -> Mutation {
        self.reserve(entity, Op::Delete, record_id, Map::new())
    }

    fn reserve(
        &mut self,
        entity: Entity,
        op: Op,
        record_id: Uuid,
        fields: Map<String, Value>,
    ) -> Mutation {
        let id = self.next_mutation_id;
        self.next_mutation_id += 1;
        let base_version = self
            .confirmed
            .get(&RecordKey::new(entity, record_id))
            .map_or(0, |record| record.version);
        Mutation {
            id,
            entity,
            op,
            record_id,
            base_version,
            fields,
            made_at: Some(Utc::now()),
            origin: None,
        }
    }

    /// Mutations are safely stored (under the ids the store gave them): show them.
    pub fn enqueued(&mut self, mutations: Vec<Mutation>) {
        let keys: Vec<RecordKey> = mutations
            .iter()
            .flat_map(|mutation| keys_of(&self.went_with, mutation))
            .collect();
        for mutation in mutations {
            self.next_mutation_id = self.next_mutation_id.max(mutation.id + 1);
            let at = self
                .outbox
                .partition_point(|pending| pending.mutation.id < mutation.id);
            self.outbox.insert(at, PendingMutation::new(mutation));
        }
        self.recompute(keys);
    }

    /// The next mutations to push, oldest first.
    pub fn push_batch(&self, max: usize, max_bytes: usize) -> Vec<Mutation> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for pending in self.outbox.iter().filter(|p| !p.acknowledged).take(max) {
            let size = json_len(&pending.mutation);
            if !batch.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            batch.push(pending.mutation.clone());
        }
        batch
    }

    /// The highest acknowledged mutation id, which the next full pull makes redundant.
    pub fn last_acknowledged(&self) -> Option<u64> {
        self.outbox
            .iter()
            .filter(|pending| pending.acknowledged)
            .map(|pending| pending.mutation.id)
            .max()
    }

    /// A push was answered: acknowledged mutations stay visible until the next
    /// pull; refused ones leave the view and wait for the user.
    pub fn settled(&mut self, acknowledged: &[u64], rejected: Vec<RejectedMutation>) {
        for pending in &mut self.outbox {
            if acknowledged.contains(&pending.mutation.id) {
                pending.acknowledged = true;
            }
        }
        let refused: HashSet<u64> = rejected.iter().map(|r| r.mutation.id).collect();
        self.outbox
            .retain(|pending| !refused.contains(&pending.mutation.id));
        let keys: Vec<RecordKey> = rejected
            .iter()
            .flat_map(|r| keys_of(&self.went_with, &r.mutation))
            .collect();
        self.rejected.extend(rejected);
        self.recompute(keys);
    }

    /// A page of server rows arrived: take them and rebase pending edits on top.
    pub fn pulled(&mut self, rows: Vec<PulledRow>, cursor: i64, forget_through: Option<u64>) {
        let mut keys: Vec<RecordKey> = Vec::with_capacity(rows.len());
        for row in rows {
            keys.extend(self.confirm(row, Stale::Take));
        }
        self.cursor = cursor;
        if let Some(through) = forget_through {
            let went_with = &self.went_with;
            self.outbox.retain(|pending| {
                let forget = pending.acknowledged && pending.mutation.id <= through;
                if forget {
                    keys.extend(keys_of(went_with, &pending.mutation));
                }
                !forget
            });
        }
        self.recompute(keys);
    }

    /// The server has purged the Trash through version `through` (see
    /// `PullResponse::purged_through`): a device that stayed in sync drops
    /// the tombstones it purged, unless a change still waiting to be sent
    /// names one. Rows read from the store later are dropped likewise.
    pub fn purged_on_server(&mut self, through: i64) {
        if through <= self.purged_through {
            return;
        }
        self.purged_through = through;
        let held: Vec<RecordKey> = self.confirmed.keys().copied().collect();
        let purged = self.drop_purged(held);
        self.recompute(purged);
    }

    /// Drops those of `keys` whose held copy the server has purged, unless
    /// a change waiting to be sent names it; answers the keys dropped.
    /// Every copy of a record must have been taken first: an older copy
    /// of a purged tombstone may be live.
    fn drop_purged(&mut self, keys: impl IntoIterator<Item = RecordKey>) -> Vec<RecordKey> {
        if self.purged_through == 0 {
            return Vec::new();
        }
        let pending: HashSet<RecordKey> = self
            .outbox
            .iter()
            .flat_map(|pending| keys_of(&self.went_with, &pending.mutation))
            .collect();
        let purged: Vec<RecordKey> = keys
            .into_iter()
            .filter(|key| {
                !pending.contains(key)
                    && self
                        .confirmed
                        .get(key)
                        .is_some_and(|record| purged_by_server(record, self.purged_through))
            })
            .collect();
        for key in &purged {
            let parent = self
                .confirmed
                .remove(key)
                .and_then(|record| deleted_with(&record));
            if let Some(keys) = parent.and_then(|parent| self.went_with.get_mut(&parent)) {
                keys.remove(key);
            }
        }
        self.went_with.retain(|_, keys| !keys.is_empty());
        purged
    }

    /// Forgets every row the server sent (see `PullResponse::restart`):
    /// the view keeps only what pending changes show, until the pull
    /// from scratch brings the rest back.
    pub fn forget_pulled(&mut self) {
        let keys: Vec<RecordKey> = self.confirmed.keys().copied().collect();
        self.confirmed.clear();
        self.went_with.clear();
        self.cursor = 0;
        self.purged_through = 0;
        self.recompute(keys);
    }

    /// Rows read from the store after opening (see `Engine::open_with`):
    /// taken where this device holds no newer copy, shown with pending
    /// edits on top.
    pub fn loaded(&mut self, rows: Vec<PulledRow>) {
        let keys: Vec<RecordKey> = rows
            .into_iter()
            .filter_map(|row| self.confirm(row, Stale::Skip))
            .collect();
        // Every copy of these entities is in: what the server purged goes.
        self.drop_purged(keys.iter().copied());
        self.recompute(keys);
    }

    /// Takes a server row into `confirmed`, keeping the index of what went
    /// with what in step; returns its key when taken. Stores may keep
    /// superseded copies: with [`Stale::Skip`] a row older than the copy
    /// held is not taken.
    fn confirm(&mut self, row: PulledRow, stale: Stale) -> Option<RecordKey> {
        let key = RecordKey::new(row.entity, row.record.id);
        let newer_held = self
            .confirmed
            .get(&key)
            .is_some_and(|held| held.version >= row.record.version);
        if stale == Stale::Skip && newer_held {
            return None;
        }
        let parent = deleted_with(&row.record);
        let old_parent = self
            .confirmed
            .insert(key, Rc::new(row.record))
            .and_then(|old| deleted_with(&old));
        if old_parent != parent {
            if let Some(old_parent) = old_parent {
                if let Some(keys) = self.went_with.get_mut(&old_parent) {
                    keys.remove(&key);
                    if keys.is_empty() {
                        self.went_with.remove(&old_parent);
                    }
                }
            }
            if let Some(parent) = parent {
                self.went_with.entry(parent).or_default().insert(key);
            }
        }
        Some(key)
    }

    /// How many distinct records of each of these entities the device holds
    /// once `rows` are stored, tombstones included (see [`super::PullEnd`]).
    pub fn record_counts_with(
        &self,
        rows: &[PulledRow],
        entities: &[Entity],
    ) -> Vec<(Entity, usize)> {
        let mut counts: HashMap<Entity, usize> = HashMap::new();
        let new_rows = rows
            .iter()
            .map(|row| RecordKey::new(row.entity, row.record.id))
            .filter(|key| !self.confirmed.contains_key(key));
        for key in self.confirmed.keys().copied().chain(new_rows) {
            *counts.entry(key.entity).or_default() += 1;
        }
        entities
            .iter()
            .map(|entity| (*entity, counts.get(entity).copied().unwrap_or(0)))
            .collect()
    }

    /// The user dropped a refused change.
    pub fn discarded(&mut self, mutation_id: u64) {
        self.rejected
            .retain(|rejected| rejected.mutation.id != mutation_id);
    }

    /// Rebuilds the view of these records, then the default contact of every
    /// customer whose contacts they touch.
    fn recompute(&mut self, keys: impl IntoIterator<Item = RecordKey>) {
        let mut customers: HashSet<Uuid> = HashSet::new();
        let mut keys: HashSet<RecordKey> = keys.into_iter().collect();
        // A conversion shows on three records; rebuilding one rebuilds all.
        for pending in self.outbox.iter().filter(|p| p.mutation.op == Op::Convert) {
            let linked = keys_of(&self.went_with, &pending.mutation);
            if linked.iter().any(|key| keys.contains(key)) {
                keys.extend(linked);
            }
        }
        // The pending mutations showing on each key, in outbox order: read
        // once, so rebuilding many records (an import, a reload with a long
        // outbox) costs the outbox once, not once per record.
        let mut showing: HashMap<RecordKey, Vec<usize>> = HashMap::new();
        for (at, pending) in self.outbox.iter().enumerate() {
            for key in keys_of(&self.went_with, &pending.mutation) {
                if keys.contains(&key) {
                    showing.entry(key).or_default().push(at);
                }
            }
        }
        for key in keys {
            if key.entity == Entity::Contact {
                customers.extend(self.view.get(key).and_then(|c| c.reference("customer_id")));
            }
            let mut record = self.confirmed.get(&key).cloned();
            for &at in showing.get(&key).into_iter().flatten() {
                let mutation = &self.outbox[at].mutation;
                if key_of(mutation) == key {
                    apply_to_own_record(&mut record, mutation);
                } else if mutation.op == Op::Merge {
                    merge_away(&mut record, mutation);
                } else if is_restore(mutation) {
                    bring_back(&mut record, mutation.record_id);
                } else {
                    self.apply_conversion_to(&mut record, key, mutation);
                }
            }
            if key.entity == Entity::Contact {
                customers.extend(record.as_ref().and_then(|r| r.reference("customer_id")));
            }
            self.view.set(key, record);
        }
        self.restore_default_contacts(&customers);
    }

    /// The customer or contact a pending conversion creates, as the server
    /// will: only from a lead not converted yet, and never over an existing record.
    fn apply_conversion_to(
        &self,
        record: &mut Option<Rc<Record>>,
        key: RecordKey,
        convert: &Mutation,
    ) {
        if record.is_some() {
            return;
        }
        let Ok(request) = ConvertRequest::from_fields(&convert.fields) else {
            return;
        };
        let lead_key = key_of(convert);
        let mut lead = self.confirmed.get(&lead_key).cloned();
        for pending in self
            .outbox
            .iter()
            .filter(|p| key_of(&p.mutation) == lead_key && p.mutation.id < convert.id)
        {
            apply_to_own_record(&mut lead, &pending.mutation);
        }
        let Some(lead) = lead.filter(|lead| !lead.deleted && !is_converted(&lead.fields)) else {
            return;
        };
        let fields = match key.entity {
            Entity::Customer => Some(customer_from_lead(
                &lead.fields,
                request.new_customer_status(),
            )),
            Entity::Contact => contact_from_lead(&lead.fields, request.customer_id),
            _ => None,
        };
        if let Some(fields) = fields {
            let mut created = Record::new_local(key.id, created_at_of(key.id));
            created.apply_patch(&fields);
            *record = Some(Rc::new(created));
        }
    }

    /// Mirrors the server's default-contact rule on the view.
    fn restore_default_contacts(&mut self, customers: &HashSet<Uuid>) {
        if customers.is_empty() {
            return;
        }
        let mut marks: HashMap<Uuid, u64> = HashMap::new();
        // The flag each contact has before this rule runs: as the server
        // last sent it, with pending edits on top. The view's flags are this
        // rule's own earlier guesses; read back, a guess the server decided
        // against stays on a contact it did not write again, and the device
        // shows another default than every other device.
        let mut flags: HashMap<Uuid, bool> = HashMap::new();
        for pending in &self.outbox {
            let mutation = &pending.mutation;
            if mutation.entity != Entity::Contact {
                continue;
            }
            if let Some(Value::Bool(flag)) = mutation.fields.get("is_default") {
                flags.insert(mutation.record_id, *flag);
                if *flag {
                    marks.insert(mutation.record_id, LOCAL_MARK_RANK + mutation.id);
                }
            }
        }
        // A contact the server has not sent yet has only this rule's guess,
        // which the server makes the same way when it creates it.
        let confirmed_flag = |record: &Record| {
            self.confirmed
                .get(&RecordKey::new(Entity::Contact, record.id))
                .map_or(record.flag("is_default"), |confirmed| {
                    confirmed.flag("is_default")
                })
        };
        let mut changes: Vec<(Uuid, bool)> = Vec::new();
        for &customer in customers {
            let live: Vec<&Record> = self
                .view
                .contacts_of(customer)
                .filter(|record| !record.deleted)
                .collect();
            let contacts: Vec<DefaultCandidate> = live
                .iter()
                .map(|record| DefaultCandidate {
                    id: record.id,
                    created_at: record.created_at,
                    created_order: 0,
                    is_default: flags
                        .get(&record.id)
                        .copied()
                        .unwrap_or_else(|| confirmed_flag(record)),
                    marked_at: marks
                        .get(&record.id)
                        .copied()
                        .unwrap_or(u64::try_from(record.version).unwrap_or(0)),
                })
                .collect();
            let chosen = choose_default_contact(&contacts);
            for record in live {
                let should_be_default = Some(record.id) == chosen;
                if record.flag("is_default") != should_be_default {
                    changes.push((record.id, should_be_default));
                }
            }
        }
        for (contact, is_default) in changes {
            self.view.set_default_flag(contact, is_default);
        }
    }
}

fn key_of(mutation: &Mutation) -> RecordKey {
    RecordKey::new(mutation.entity, mutation.record_id)
}

/// Every record a mutation shows on: its own, for a conversion the
/// customer and contact it creates or attaches to, for a merge the
/// records it merges away, and for a restore what went with the record.
fn keys_of(went_with: &WentWith, mutation: &Mutation) -> Vec<RecordKey> {
    let mut keys = vec![key_of(mutation)];
    if is_restore(mutation) {
        keys.extend(went_with.get(&mutation.record_id).into_iter().flatten());
    }
    if mutation.op == Op::Merge {
        if let Ok(request) =
            MergeRequest::from_fields(mutation.entity, mutation.record_id, &mutation.fields)
        {
            keys.extend(
                request
                    .merged
                    .iter()
                    .map(|id| RecordKey::new(mutation.entity, *id)),
            );
        }
    }
    if mutation.op == Op::Convert {
        if let Ok(request) = ConvertRequest::from_fields(&mutation.fields) {
            keys.push(RecordKey::new(Entity::Customer, request.customer_id));
            keys.extend(
                request
                    .contact_id
                    .map(|contact| RecordKey::new(Entity::Contact, contact)),
            );
        }
    }
    keys
}

/// A pending mutation's effect on the record it names.
/// Records shared with `confirmed` are copied on the first change.
fn apply_to_own_record(record: &mut Option<Rc<Record>>, mutation: &Mutation) {
    match mutation.op {
        Op::Upsert => Rc::make_mut(record.get_or_insert_with(|| {
            Rc::new(Record::new_local(
                mutation.record_id,
                created_at_of(mutation.record_id),
            ))
        }))
        .apply_patch(&mutation.fields),
        Op::Delete => {
            if let Some(record) = record.as_mut() {
                Rc::make_mut(record).deleted = true;
            }
        }
        Op::Convert => {
            let request = ConvertRequest::from_fields(&mutation.fields);
            if let (Some(lead), Ok(request)) = (record.as_mut().map(Rc::make_mut), request) {
                if !lead.deleted && !is_converted(&lead.fields) {
                    lead.apply_patch(&converted_lead(request.customer_id));
                }
            }
        }
        Op::Unconvert => {
            if let (Some(lead), Ok(patch)) = (
                record.as_mut().map(Rc::make_mut),
                unconverted_lead(&mutation.fields),
            ) {
                if !lead.deleted && is_converted(&lead.fields) {
                    lead.apply_patch(&patch);
                }
            }
        }
        Op::Unmerge => {
            if let Some(record) = record.as_mut() {
                if record.deleted && record.reference(MERGED_INTO_FIELD).is_some() {
                    let record = Rc::make_mut(record);
                    record.deleted = false;
                    record.fields.insert(MERGED_INTO_FIELD.into(), Value::Null);
                }
            }
        }
        Op::Merge => {
            let request =
                MergeRequest::from_fields(mutation.entity, mutation.record_id, &mutation.fields);
            if let (Some(kept), Ok(request)) = (record.as_mut().map(Rc::make_mut), request) {
                if !kept.deleted {
                    kept.apply_patch(&request.values);
                }
            }
        }
    }
}

/// Whether a mutation takes a record out of the Trash.
fn is_restore(mutation: &Mutation) -> bool {
    mutation.op == Op::Upsert && mutation.fields.get("deleted") == Some(&Value::Bool(false))
}

/// A pending restore's effect on a record deleted with the restored one:
/// back, with the flags it had, as the server will write it.
fn bring_back(record: &mut Option<Rc<Record>>, restored: Uuid) {
    if let Some(record) = record.as_mut() {
        if deleted_with(record) == Some(restored) {
            let record = Rc::make_mut(record);
            record.deleted = false;
            record.fields.insert(DELETED_WITH_FIELD.into(), Value::Null);
        }
    }
}

/// A pending merge's effect on a record it merges away: a tombstone that
/// names the survivor, as the server will write it.
fn merge_away(record: &mut Option<Rc<Record>>, merge: &Mutation) {
    if let Some(record) = record.as_mut() {
        let record = Rc::make_mut(record);
        record.deleted = true;
        record
            .fields
            .insert(MERGED_INTO_FIELD.into(), merge.record_id.to_string().into());
    }
}

/// When a record was created on this device: the time inside its UUID v7,
/// so the view rebuilt after a reload orders contacts the same way.
fn created_at_of(id: Uuid) -> DateTime<Utc> {
    id.get_timestamp()
        .and_then(|timestamp| {
            let (seconds, nanos) = timestamp.to_unix();
            DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)
        })
        .unwrap_or_else(Utc::now)
}
