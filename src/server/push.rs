//! Applying pushed mutations: idempotent, in order, all or nothing per push.

use super::error::ServerError;
use super::merge::merge;
use super::record_cache::RecordCache;
use super::repository::{self as repo, Db, StoredRecord, Tx, Versions, WorkspaceId};
use crate::domain::{changes_between, HistoryEntry, HistoryKind, Origin};
use crate::domain::{
    check_change, check_required, choose_default_contact, contact_from_lead, converted_lead,
    customer_from_lead, is_converted, merge_attachments, normalize_patch, too_late_to_unmerge,
    unconverted_lead, unknown_field, ConvertRequest, DefaultCandidate, Entity, FieldError,
    FieldKind, MergeRequest, MergeUndo, MovedRecord, Record, Role, CHANGED_BY_FIELD,
    CONVERT_FIELDS, DELETED_WITH_FIELD, MERGED_INTO_FIELD, MERGE_FIELDS, OWNER_FIELD,
    UNCONVERT_FIELDS,
};
use crate::sync::{FieldConflict, Mutation, MutationResult, MutationStatus, Op, PushResponse};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The most mutations one push may carry; the client sends at most 500.
pub const MAX_MUTATIONS_PER_PUSH: usize = 1000;

/// Applies a client's mutations in id order and answers each.
///
/// The whole push commits as one transaction, together with the answers
/// given and the client's last mutation id, so a crash at any point leaves
/// every mutation applied once or not at all, and a retry replays answers.
/// Each mutation runs inside its own savepoint: a refused one writes
/// nothing, even when it was refused after a first write (a conversion
/// that made its customer, then found its contact unusable).
///
/// One commit per push rather than per mutation is what makes a push fast:
/// SQLite writes every page a commit touched to the WAL, so a thousand
/// commits wrote the same index pages a thousand times.
///
/// `pusher` is the signed-in account. A client id belongs to the first
/// account that pushed with it; another account naming it is refused
/// before anything is read, so nobody can jam or take over a colleague's
/// queue with an id seen elsewhere.
///
/// Every write is recorded in the history, in the same transaction: one
/// entry per record per mutation, naming `device` (as the client named
/// itself) and when the device says the change was made.
///
/// `role` is the pusher's role now. A viewer's push changes nothing: every
/// new mutation, whatever its kind, is answered `rejected` with a message
/// saying why, and recorded like any answer (a retry gets the same one).
pub async fn push(
    db: &Db,
    workspace: WorkspaceId,
    pusher: Uuid,
    role: Role,
    client_id: Uuid,
    mutations: &[Mutation],
    device: Option<&str>,
) -> Result<PushResponse, ServerError> {
    check_batch(mutations)?;
    // Pushes to one workspace take turns: on SQLite the transaction holds
    // the file's write lock from its start, on PostgreSQL reading the
    // counter locks the workspace's row. The counter is read first, so
    // everything after it (the client's progress, the records) is read
    // while no other push, on this server or another, can change it.
    let mut tx = db.begin_write().await?;
    let versions = Versions::read(&mut tx, workspace).await?;
    check_client_owner_in(&mut tx, pusher, client_id).await?;
    let progress = repo::client_progress(&mut tx, workspace, client_id).await?;
    let processed = progress.last_mutation_id;
    // Ids increase, so the mutations not answered before are a tail.
    let unanswered = &mutations[mutations.partition_point(|mutation| mutation.id <= processed)..];
    let named = if role.can_edit() {
        records_named(unanswered)
    } else {
        Vec::new()
    };
    let records = RecordCache::preload(&mut tx, workspace, named).await?;
    let members = if role.can_edit() {
        repo::team::current_member_ids(&mut tx, workspace).await?
    } else {
        HashSet::new()
    };
    let mut state = PushState {
        workspace,
        pusher,
        members,
        may_edit: role.can_edit(),
        versions,
        records,
        now: Utc::now(),
        device: device.map(device_name),
        history: Vec::new(),
        doing: Doing::default(),
    };
    let mut results = Vec::with_capacity(mutations.len());
    let mut answered = 0;
    let mut last_mutation_id = processed;
    for mutation in mutations {
        if mutation.id <= processed {
            let earlier = repo::stored_result(&mut tx, workspace, client_id, mutation.id).await?;
            results.push(
                earlier.unwrap_or_else(|| {
                    answer_not_kept(mutation.id, progress.answers_pruned_through)
                }),
            );
            answered += 1;
            continue;
        }
        state.begin(mutation);
        let result = if matches!(mutation.op, Op::Convert | Op::Merge | Op::Unmerge) {
            // Only a conversion can be refused after it wrote (its customer,
            // then a contact it cannot use), and a merge or unmerge is kept
            // whole however it ends; upserts and deletes decide before their
            // first write, so they need no savepoint.
            state.records.begin_savepoint(&mut tx).await?;
            let mark = state.versions.mark();
            let result = apply(&mut tx, &mut state, mutation).await?;
            if result.status == MutationStatus::Rejected {
                state.records.roll_back_savepoint(&mut tx).await?;
                state.versions.rewind(mark);
                state.history.truncate(state.doing.first_entry);
            }
            state.records.release_savepoint(&mut tx).await?;
            result
        } else {
            apply(&mut tx, &mut state, mutation).await?
        };
        last_mutation_id = mutation.id;
        results.push(result);
    }
    state.records.flush(&mut tx).await?;
    repo::history::append(&mut tx, workspace, &state.history).await?;
    repo::record_results(&mut tx, workspace, client_id, &results[answered..]).await?;
    if last_mutation_id > processed {
        repo::record_last_mutation(
            &mut tx,
            workspace,
            client_id,
            pusher,
            last_mutation_id,
            state.now,
        )
        .await?;
    }
    if let Some(first) = mutations.first() {
        if first.id > progress.answers_pruned_through + 1 {
            repo::forget_answers_before(&mut tx, workspace, client_id, first.id).await?;
        }
    }
    state.versions.store(&mut tx).await?;
    tx.commit().await?;
    Ok(PushResponse {
        last_mutation_id,
        results,
    })
}

/// Refuses a client id that another account pushed with first.
pub async fn check_client_owner(
    db: &Db,
    account: Uuid,
    client_id: Uuid,
) -> Result<(), ServerError> {
    owned_by(account, repo::client_owner_now(db, client_id).await?)
}

/// [`check_client_owner`] inside a push's transaction.
async fn check_client_owner_in(
    tx: &mut Tx,
    account: Uuid,
    client_id: Uuid,
) -> Result<(), ServerError> {
    owned_by(account, repo::client_owner(tx, client_id).await?)
}

fn owned_by(account: Uuid, owner: Option<Uuid>) -> Result<(), ServerError> {
    match owner {
        Some(owner) if owner != account => Err(ServerError::Forbidden(
            "this client id belongs to another account; sign out and in again to get a new one"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// The answer to a mutation processed before whose own answer is gone.
/// Below the pruned mark it was answered and the answer deleted: it was
/// processed, and the next pull shows what it left. Above it the client
/// skipped the id, which a well-behaved client never does.
fn answer_not_kept(mutation_id: u64, answers_pruned_through: u64) -> MutationResult {
    if mutation_id <= answers_pruned_through {
        MutationResult {
            id: mutation_id,
            status: MutationStatus::Applied,
            version: None,
            conflicts: Vec::new(),
            error: None,
        }
    } else {
        MutationResult::rejected(
            mutation_id,
            FieldError::new(
                "id",
                format!("mutation id {mutation_id} was skipped earlier"),
            ),
        )
    }
}

fn check_batch(mutations: &[Mutation]) -> Result<(), ServerError> {
    if mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(ServerError::BadRequest(format!(
            "a push may carry at most {MAX_MUTATIONS_PER_PUSH} mutations, this one has {}",
            mutations.len()
        )));
    }
    if mutations.first().is_some_and(|first| first.id == 0) {
        return Err(ServerError::BadRequest("mutation ids start at 1".into()));
    }
    if let Some(pair) = mutations.windows(2).find(|pair| pair[1].id <= pair[0].id) {
        return Err(ServerError::BadRequest(format!(
            "mutation ids must be strictly increasing: {} follows {}",
            pair[1].id, pair[0].id
        )));
    }
    for mutation in mutations {
        let lead_only = match mutation.op {
            Op::Convert => Some("converted"),
            Op::Unconvert => Some("unconverted"),
            _ => None,
        };
        if let Some(done) = lead_only.filter(|_| mutation.entity != Entity::Lead) {
            return Err(ServerError::BadRequest(format!(
                "mutation {}: only a lead can be {done}, not a {}",
                mutation.id, mutation.entity
            )));
        }
        if let Some((allowed, what)) = op_fields(mutation.op) {
            if let Some(field) = mutation
                .fields
                .keys()
                .find(|field| !allowed.contains(&field.as_str()))
            {
                return Err(ServerError::BadRequest(format!(
                    "mutation {}: `{field}` is not a field of {what}",
                    mutation.id
                )));
            }
        } else if mutation.op == Op::Unmerge {
            if let Some(field) = mutation.fields.keys().next() {
                return Err(ServerError::BadRequest(format!(
                    "mutation {}: an unmerge has no fields, not even `{field}`",
                    mutation.id
                )));
            }
        } else if let Some(field) = unknown_field(mutation.entity, &mutation.fields) {
            return Err(ServerError::BadRequest(format!(
                "mutation {}: `{field}` is not a field of a {}",
                mutation.id, mutation.entity
            )));
        }
    }
    Ok(())
}

/// The only fields an op other than an edit may carry, and what the
/// refusal calls the op; `None` where the entity's schema decides (upsert,
/// delete) or no field is allowed (unmerge).
fn op_fields(op: Op) -> Option<(&'static [&'static str], &'static str)> {
    match op {
        Op::Convert => Some((CONVERT_FIELDS, "a conversion")),
        Op::Unconvert => Some((UNCONVERT_FIELDS, "an unconversion")),
        Op::Merge => Some((MERGE_FIELDS, "a merge")),
        Op::Upsert | Op::Delete | Op::Unmerge => None,
    }
}

/// What every mutation of one push shares: who pushes, the change numbers
/// taken so far, the records read or written so far (in the workspace the
/// cache reads) and the time the push is stamped with.
struct PushState {
    workspace: WorkspaceId,
    pusher: Uuid,
    /// Who a record may be given to: the workspace's current members.
    members: HashSet<Uuid>,
    /// False for a viewer: every mutation is refused.
    may_edit: bool,
    versions: Versions,
    records: RecordCache,
    now: DateTime<Utc>,
    /// The pushing device's name, for the history.
    device: Option<String>,
    /// What the push wrote, one entry per record per mutation.
    history: Vec<HistoryEntry>,
    /// The mutation being applied.
    doing: Doing,
}

/// What the mutation being applied says about itself, for the history of
/// each record it writes.
#[derive(Default)]
struct Doing {
    kind: Option<HistoryKind>,
    origin: Option<Origin>,
    made_at: Option<DateTime<Utc>>,
    /// Where its entries start in [`PushState::history`]: a rejected
    /// mutation's are dropped, a record written twice is one entry.
    first_entry: usize,
}

/// The most characters of a device's name kept: a name is a label, and a
/// client cannot fill the history with a novel.
const DEVICE_NAME_MAX: usize = 60;

fn device_name(named: &str) -> String {
    named.trim().chars().take(DEVICE_NAME_MAX).collect()
}

impl PushState {
    /// Starts the history of `mutation`'s writes.
    fn begin(&mut self, mutation: &Mutation) {
        let kind = match mutation.op {
            Op::Upsert => HistoryKind::Edited,
            Op::Delete => HistoryKind::Deleted,
            Op::Convert => HistoryKind::Converted,
            Op::Merge => HistoryKind::Merged,
            Op::Unmerge => HistoryKind::Unmerged,
            Op::Unconvert => HistoryKind::Unconverted,
        };
        self.doing = Doing {
            kind: Some(kind),
            origin: mutation.origin,
            // A device clock ahead of the server's is not believed.
            made_at: mutation.made_at.map(|made| made.min(self.now)),
            first_entry: self.history.len(),
        };
    }

    /// Notes a write in the history, against the record as the push last
    /// saw it; a second write of a record by one mutation joins its entry.
    fn note(&mut self, entity: Entity, stored: &StoredRecord) {
        let Some(doing) = self.doing.kind else {
            return;
        };
        let before = self.records.cached(entity, stored.record.id);
        let before = before.map(|before| &before.record);
        let entry = HistoryEntry {
            version: stored.record.version,
            entity,
            record_id: stored.record.id,
            kind: HistoryKind::of_write(doing, before, &stored.record),
            origin: self.doing.origin,
            changes: changes_between(entity, before, &stored.record),
            author: Some(self.pusher),
            device: self.device.clone(),
            made_at: self.doing.made_at,
            received_at: self.now,
        };
        let earlier = self.history[self.doing.first_entry..]
            .iter_mut()
            .find(|earlier| earlier.entity == entity && earlier.record_id == entry.record_id);
        match earlier {
            Some(earlier) => earlier.absorb(entry),
            None => self.history.push(entry),
        }
    }

    /// Keeps a record the push wrote, stamped with who wrote it, and notes
    /// the write in the history.
    fn save(&mut self, entity: Entity, mut stored: StoredRecord) {
        if entity.field(CHANGED_BY_FIELD).is_some() {
            stored
                .record
                .fields
                .insert(CHANGED_BY_FIELD.into(), self.pusher.to_string().into());
            stored
                .field_versions
                .insert(CHANGED_BY_FIELD.into(), stored.record.version);
        }
        self.note(entity, &stored);
        self.records.save(entity, stored);
    }
}

/// Every record the mutations name by id: the records they change, the
/// records their references point at and the customer and contact a
/// conversion names. Reading these up front lets a push of a thousand
/// mutations read them in a few statements instead of a thousand.
fn records_named(mutations: &[Mutation]) -> Vec<(Entity, Uuid)> {
    let mut named = Vec::with_capacity(mutations.len());
    for mutation in mutations {
        named.push((mutation.entity, mutation.record_id));
        if mutation.op == Op::Convert {
            if let Ok(request) = ConvertRequest::from_fields(&mutation.fields) {
                named.push((Entity::Customer, request.customer_id));
                named.extend(request.contact_id.map(|id| (Entity::Contact, id)));
            }
        } else if mutation.op == Op::Merge {
            if let Ok(request) =
                MergeRequest::from_fields(mutation.entity, mutation.record_id, &mutation.fields)
            {
                named.extend(request.merged.iter().map(|id| (mutation.entity, *id)));
            }
        } else {
            for spec in mutation.entity.fields() {
                let FieldKind::Reference(target) = spec.kind else {
                    continue;
                };
                let id = mutation.fields.get(spec.name).and_then(Value::as_str);
                if let Some(Ok(id)) = id.map(Uuid::parse_str) {
                    named.push((target, id));
                }
            }
        }
    }
    named
}

async fn apply(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
) -> Result<MutationResult, ServerError> {
    if !state.may_edit {
        return Ok(MutationResult::rejected(
            mutation.id,
            FieldError::new(
                "role",
                "viewers cannot change records; ask an admin for the member role",
            ),
        ));
    }
    let existing = state
        .records
        .find(tx, mutation.entity, mutation.record_id)
        .await?;
    // An edit or a merge that names a record merged away since lands on
    // the record it was merged into; a delete of it has happened already.
    let merged_away = existing.as_ref().and_then(merged_into);
    if let (Some(_), Op::Upsert | Op::Merge | Op::Convert) = (merged_away, mutation.op) {
        let survivor = survivor(tx, state, mutation.entity, mutation.record_id).await?;
        let redirected = Mutation {
            record_id: survivor,
            ..mutation.clone()
        };
        let existing = state.records.find(tx, mutation.entity, survivor).await?;
        return match mutation.op {
            Op::Merge => merge_records(tx, state, &redirected, existing).await,
            Op::Convert => convert(tx, state, &redirected, existing).await,
            _ => upsert(tx, state, &redirected, existing).await,
        };
    }
    match mutation.op {
        Op::Upsert => upsert(tx, state, mutation, existing).await,
        Op::Delete => delete(tx, state, mutation, existing).await,
        Op::Convert => convert(tx, state, mutation, existing).await,
        Op::Merge => merge_records(tx, state, mutation, existing).await,
        Op::Unmerge => unmerge_record(tx, state, mutation, existing).await,
        Op::Unconvert => unconvert(state, mutation, existing),
    }
}

/// The record a merged-away record names as its survivor.
fn merged_into(stored: &StoredRecord) -> Option<Uuid> {
    stored
        .record
        .deleted
        .then(|| stored.record.reference(MERGED_INTO_FIELD))
        .flatten()
}

/// The record that stands for `id` now: itself, or the end of its chain of
/// merges. Hops are bounded so bad data cannot hang a push.
async fn survivor(
    tx: &mut Tx,
    state: &mut PushState,
    entity: Entity,
    id: Uuid,
) -> Result<Uuid, ServerError> {
    let mut current = id;
    for _ in 0..64 {
        let next = state
            .records
            .find(tx, entity, current)
            .await?
            .as_ref()
            .and_then(merged_into);
        match next {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    Ok(current)
}

/// Rewrites the references of a change that name merged-away records to
/// their survivors: a contact added offline to a customer merged away
/// since joins the survivor.
async fn follow_merges(
    tx: &mut Tx,
    state: &mut PushState,
    entity: Entity,
    fields: &mut Map<String, Value>,
) -> Result<(), ServerError> {
    for spec in entity.fields() {
        let FieldKind::Reference(target) = spec.kind else {
            continue;
        };
        let Some(id) = fields.get(spec.name).and_then(Value::as_str) else {
            continue;
        };
        let Ok(id) = Uuid::parse_str(id) else {
            continue;
        };
        let stands_for = survivor(tx, state, target, id).await?;
        if stands_for != id {
            fields.insert(spec.name.to_owned(), stands_for.to_string().into());
        }
    }
    Ok(())
}

fn not_found(mutation: &Mutation) -> MutationResult {
    MutationResult::rejected(
        mutation.id,
        FieldError::new(
            "record_id",
            format!("there is no {} with this id", mutation.entity),
        ),
    )
}

async fn upsert(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let mut fields = match normalize_patch(mutation.entity, &mutation.fields) {
        Ok(fields) => fields,
        Err(error) => return Ok(MutationResult::rejected(mutation.id, error)),
    };
    follow_merges(tx, state, mutation.entity, &mut fields).await?;
    // A new record belongs to whoever made it unless they gave it away;
    // an owner the client names must be a current member.
    let unowned = fields.get(OWNER_FIELD).is_none_or(Value::is_null);
    if mutation.entity.has_owner() && existing.is_none() && unowned {
        fields.insert(OWNER_FIELD.into(), state.pusher.to_string().into());
    } else if let Some(error) = owner_not_a_member(state, &fields) {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    let previous_customer = existing
        .as_ref()
        .and_then(|s| s.record.reference("customer_id"));
    let mut stored = existing.unwrap_or_else(|| StoredRecord {
        record: Record::new_local(mutation.record_id, state.now),
        field_versions: Default::default(),
    });
    let restores = fields.get("deleted") == Some(&Value::Bool(false));
    if stored.record.deleted && !restores {
        return Ok(deleted_by_someone_else(mutation, &stored));
    }
    if let Err(error) = check_change(mutation.entity, Some(&stored.record.fields), &fields) {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    let merged = merge(&stored, mutation.base_version, &fields);
    stored.record.apply_patch(&fields);
    if let Err(error) = check_required(mutation.entity, &stored.record.fields) {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    if mutation.entity == Entity::Conflict && is_new_record(&stored) {
        return Ok(MutationResult::rejected(
            mutation.id,
            FieldError::new("record_id", "conflicts are recorded by the server"),
        ));
    }
    // A restore brings back the whole record: every record it hangs off
    // must be alive, not only those the patch names.
    let whole_record;
    let references = if restores && merged.changed.iter().any(|field| field == "deleted") {
        whole_record = {
            let mut whole = stored.record.fields.clone();
            whole.remove(MERGED_INTO_FIELD);
            whole
        };
        &whole_record
    } else {
        &fields
    };
    if let Some(error) = first_missing_reference(tx, state, mutation.entity, references).await? {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    let customer = match mutation.entity {
        Entity::Contact => stored.record.reference("customer_id"),
        _ => None,
    };
    let is_new = is_new_record(&stored);
    if merged.changed.is_empty() && !is_new {
        return Ok(MutationResult::applied(
            mutation.id,
            stored.record.version,
            Vec::new(),
        ));
    }
    let version = state.versions.take();
    stored.record.version = version;
    stored.record.updated_at = state.now;
    for field in &merged.changed {
        stored.field_versions.insert(field.clone(), version);
    }
    state.save(mutation.entity, stored);
    for conflict in &merged.conflicts {
        keep_overwritten_value(state, mutation, conflict);
    }
    let mut touched: Vec<Uuid> = previous_customer.into_iter().chain(customer).collect();
    if restores && merged.changed.iter().any(|field| field == "deleted") {
        bring_back_what_went_with(tx, state, mutation.record_id).await?;
        if mutation.entity == Entity::Customer {
            touched.push(mutation.record_id);
        }
    }
    touched.dedup();
    for customer in touched {
        restore_default_contact(tx, state, customer).await?;
    }
    Ok(MutationResult::applied(
        mutation.id,
        version,
        merged.conflicts,
    ))
}

async fn delete(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let Some(stored) = existing else {
        return Ok(not_found(mutation));
    };
    if stored.record.deleted {
        return Ok(MutationResult::applied(
            mutation.id,
            stored.record.version,
            Vec::new(),
        ));
    }
    if mutation.entity == Entity::Lead && is_converted(&stored.record.fields) {
        return Ok(MutationResult::rejected(
            mutation.id,
            FieldError::new(
                "status",
                "A converted lead is kept as the history of its customer",
            ),
        ));
    }
    let customer = stored.record.reference("customer_id");
    let version = tombstone(state, mutation.entity, stored);
    let doomed = cascade(tx, &mut state.records, mutation.entity, mutation.record_id).await?;
    for (entity, mut child) in doomed {
        // Named, so restoring the record restores exactly what went with it.
        child.record.fields.insert(
            DELETED_WITH_FIELD.into(),
            mutation.record_id.to_string().into(),
        );
        child
            .field_versions
            .insert(DELETED_WITH_FIELD.into(), state.versions.mark() + 1);
        tombstone(state, entity, child);
    }
    if mutation.entity == Entity::Contact {
        if let Some(customer) = customer {
            restore_default_contact(tx, state, customer).await?;
        }
    }
    Ok(MutationResult::applied(mutation.id, version, Vec::new()))
}

/// What deleting a record takes with it: a customer its contacts,
/// opportunities and activities (those of the leads converted into it
/// too); a lead or an opportunity its own opportunities and activities.
async fn cascade(
    tx: &mut Tx,
    records: &mut RecordCache,
    entity: Entity,
    id: Uuid,
) -> Result<Vec<(Entity, StoredRecord)>, ServerError> {
    let ids =
        |records: &[StoredRecord]| -> Vec<Uuid> { records.iter().map(|r| r.record.id).collect() };
    let mut doomed: Vec<(Entity, StoredRecord)> = Vec::new();
    let (contacts, leads) = match entity {
        Entity::Customer => (
            records
                .live_referencing(tx, Entity::Contact, "customer_id", &[id])
                .await?,
            records
                .live_referencing(tx, Entity::Lead, "customer_id", &[id])
                .await?,
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let mut lead_ids = ids(&leads);
    let mut opportunities = Vec::new();
    match entity {
        Entity::Customer => {
            opportunities = records
                .live_referencing(tx, Entity::Opportunity, "customer_id", &[id])
                .await?;
        }
        Entity::Lead => lead_ids.push(id),
        Entity::Opportunity => {}
        Entity::Contact | Entity::Activity | Entity::Conflict => return Ok(doomed),
    }
    opportunities.extend(
        records
            .live_referencing(tx, Entity::Opportunity, "lead_id", &lead_ids)
            .await?,
    );
    let mut opportunity_ids = ids(&opportunities);
    if entity == Entity::Opportunity {
        opportunity_ids.push(id);
    }
    let mut activities: Vec<StoredRecord> = Vec::new();
    let customer_ids: Vec<Uuid> = if entity == Entity::Customer {
        vec![id]
    } else {
        Vec::new()
    };
    for (column, parents) in [
        ("customer_id", customer_ids),
        ("contact_id", ids(&contacts)),
        ("lead_id", lead_ids),
        ("opportunity_id", opportunity_ids),
    ] {
        for activity in records
            .live_referencing(tx, Entity::Activity, column, &parents)
            .await?
        {
            if !activities.iter().any(|a| a.record.id == activity.record.id) {
                activities.push(activity);
            }
        }
    }
    doomed.extend(contacts.into_iter().map(|c| (Entity::Contact, c)));
    doomed.extend(opportunities.into_iter().map(|o| (Entity::Opportunity, o)));
    doomed.extend(activities.into_iter().map(|a| (Entity::Activity, a)));
    Ok(doomed)
}

/// Restores what was deleted because `parent` was (its contacts, deals
/// and activities, and the activities of those deals), as new versions,
/// with the flags they had: the default contact is the default again.
/// Records deleted on their own before stay in the Trash.
async fn bring_back_what_went_with(
    tx: &mut Tx,
    state: &mut PushState,
    parent: Uuid,
) -> Result<(), ServerError> {
    for entity in [Entity::Contact, Entity::Opportunity, Entity::Activity] {
        for mut child in state.records.deleted_with(tx, entity, parent).await? {
            revive(state, &mut child, DELETED_WITH_FIELD);
            state.save(entity, child);
        }
    }
    Ok(())
}

/// Converts a lead once: creates (or attaches to) the customer and the
/// contact the request names and marks the lead converted, all in the
/// mutation's transaction. A lead converted already answers with its
/// current version and changes nothing, so a retry or a second device
/// never makes a second customer.
async fn convert(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let Some(mut lead) = existing else {
        return Ok(not_found(mutation));
    };
    if lead.record.deleted {
        return Ok(deleted_by_someone_else(mutation, &lead));
    }
    if is_converted(&lead.record.fields) {
        return Ok(MutationResult::applied(
            mutation.id,
            lead.record.version,
            Vec::new(),
        ));
    }
    let mut request = match ConvertRequest::from_fields(&mutation.fields) {
        Ok(request) => request,
        Err(error) => return Ok(MutationResult::rejected(mutation.id, error)),
    };
    request.customer_id = survivor(tx, state, Entity::Customer, request.customer_id).await?;
    if let Some(contact) = request.contact_id {
        request.contact_id = Some(survivor(tx, state, Entity::Contact, contact).await?);
    }
    let reject = |field: &str, message: &str| {
        Ok(MutationResult::rejected(
            mutation.id,
            FieldError::new(field, message),
        ))
    };
    let customer = state
        .records
        .find(tx, Entity::Customer, request.customer_id)
        .await?;
    match customer {
        Some(customer) if customer.record.deleted => {
            return reject("customer_id", "That customer was deleted");
        }
        Some(_) => {}
        None => {
            let mut fields = customer_from_lead(&lead.record.fields, request.new_customer_status());
            fields
                .entry(OWNER_FIELD)
                .or_insert_with(|| state.pusher.to_string().into());
            create(state, Entity::Customer, request.customer_id, &fields);
        }
    }
    if let Some(contact_id) = request.contact_id {
        match state.records.find(tx, Entity::Contact, contact_id).await? {
            Some(contact)
                if contact.record.deleted
                    || contact.record.reference("customer_id") != Some(request.customer_id) =>
            {
                return reject(
                    "contact_id",
                    "That contact is not a contact of the chosen customer",
                );
            }
            Some(_) => {}
            None => {
                let Some(fields) = contact_from_lead(&lead.record.fields, request.customer_id)
                else {
                    return reject(
                        "contact_id",
                        "The lead names no person to make a contact of",
                    );
                };
                create(state, Entity::Contact, contact_id, &fields);
                restore_default_contact(tx, state, request.customer_id).await?;
            }
        }
    }
    let version = state.versions.take();
    let patch = converted_lead(request.customer_id);
    lead.record.apply_patch(&patch);
    lead.record.version = version;
    lead.record.updated_at = state.now;
    for field in patch.keys() {
        lead.field_versions.insert(field.clone(), version);
    }
    state.save(Entity::Lead, lead);
    Ok(MutationResult::applied(mutation.id, version, Vec::new()))
}

/// Takes back a lead's conversion (an undo): the lead gets back the
/// status the mutation names and no longer points at its customer, so the
/// deletes of that customer and contact which follow it do not take the
/// lead with them. A lead not converted (never, or unconverted already by
/// a retry or another device) is answered `applied` and left alone.
fn unconvert(
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let Some(mut lead) = existing else {
        return Ok(not_found(mutation));
    };
    if lead.record.deleted {
        return Ok(deleted_by_someone_else(mutation, &lead));
    }
    if !is_converted(&lead.record.fields) {
        return Ok(MutationResult::applied(
            mutation.id,
            lead.record.version,
            Vec::new(),
        ));
    }
    let patch = match unconverted_lead(&mutation.fields) {
        Ok(patch) => patch,
        Err(error) => return Ok(MutationResult::rejected(mutation.id, error)),
    };
    let version = state.versions.take();
    lead.record.apply_patch(&patch);
    lead.record.version = version;
    lead.record.updated_at = state.now;
    for field in patch.keys() {
        lead.field_versions.insert(field.clone(), version);
    }
    state.save(Entity::Lead, lead);
    Ok(MutationResult::applied(mutation.id, version, Vec::new()))
}

/// Merges duplicates into the mutation's record, all in the mutation's
/// savepoint: the chosen values are applied to the survivor as an edit,
/// everything attached to the records merged away (contacts,
/// opportunities, activities, converted leads, conflicts) is moved to it,
/// and those records become tombstones naming it in `merged_into`. A
/// record merged already (here, or into this survivor by another device)
/// is skipped, so a retry or a second device's overlapping merge changes
/// nothing twice; the survivor's default contact stays the default.
async fn merge_records(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let entity = mutation.entity;
    let request = match MergeRequest::from_fields(entity, mutation.record_id, &mutation.fields) {
        Ok(request) => request,
        Err(error) => return Ok(MutationResult::rejected(mutation.id, error)),
    };
    let Some(mut kept) = existing else {
        return Ok(not_found(mutation));
    };
    if kept.record.deleted {
        return Ok(deleted_by_someone_else(mutation, &kept));
    }
    let mut merged: Vec<StoredRecord> = Vec::new();
    for id in &request.merged {
        let stands_for = survivor(tx, state, entity, *id).await?;
        if stands_for == kept.record.id || merged.iter().any(|m| m.record.id == stands_for) {
            continue;
        }
        let Some(other) = state.records.find(tx, entity, stands_for).await? else {
            return Ok(MutationResult::rejected(
                mutation.id,
                FieldError::new("merged", format!("there is no {entity} with the id {id}")),
            ));
        };
        // Deleted meanwhile: it took what was attached to it along.
        if other.record.deleted {
            continue;
        }
        if entity == Entity::Lead && is_converted(&other.record.fields) {
            return Ok(MutationResult::rejected(
                mutation.id,
                FieldError::new(
                    "merged",
                    "A converted lead is kept as the history of its customer",
                ),
            ));
        }
        merged.push(other);
    }
    let mut changes = request.values.clone();
    if entity == Entity::Contact {
        // A default contact merged into another of the same customer
        // hands the mark to the one that stays.
        let survivor_customer = kept.record.reference("customer_id");
        if merged.iter().any(|other| {
            other.record.flag("is_default")
                && other.record.reference("customer_id") == survivor_customer
        }) && !kept.record.flag("is_default")
        {
            changes.insert("is_default".into(), Value::Bool(true));
        }
    }
    if let Err(error) = check_change(entity, Some(&kept.record.fields), &changes) {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    let field_merge = merge(&kept, mutation.base_version, &changes);
    let survivor_before: Map<String, Value> = field_merge
        .changed
        .iter()
        .map(|field| {
            let before = kept.record.fields.get(field).cloned();
            (field.clone(), before.unwrap_or(Value::Null))
        })
        .collect();
    kept.record.apply_patch(&changes);
    if let Err(error) = check_required(entity, &kept.record.fields) {
        return Ok(MutationResult::rejected(mutation.id, error));
    }
    if merged.is_empty() && field_merge.changed.is_empty() {
        return Ok(MutationResult::applied(
            mutation.id,
            kept.record.version,
            Vec::new(),
        ));
    }
    // The records merged away and what moves are written first, the
    // survivor last: its version is then newer than every tombstone of the
    // merge, so an edit redirected to it later is never answered with a
    // version older than the record it named.
    let survivor_id = kept.record.id;
    let survivor_customer = kept.record.reference("customer_id");
    let merged_ids: Vec<Uuid> = merged.iter().map(|other| other.record.id).collect();
    let mut customers: Vec<Uuid> = survivor_customer.into_iter().collect();
    let mut moved_from: HashMap<Uuid, Vec<MovedRecord>> = HashMap::new();
    for mut other in merged {
        if entity == Entity::Contact {
            customers.extend(other.record.reference("customer_id"));
        }
        other
            .record
            .fields
            .insert(MERGED_INTO_FIELD.into(), survivor_id.to_string().into());
        // The version the tombstone is about to take.
        other
            .field_versions
            .insert(MERGED_INTO_FIELD.into(), state.versions.mark() + 1);
        tombstone(state, entity, other);
    }
    for (child, column) in merge_attachments(entity) {
        let children = state
            .records
            .live_referencing(tx, *child, column, &merged_ids)
            .await?;
        for stored in children {
            if *child == Entity::Contact {
                customers.extend(stored.record.reference("customer_id"));
            }
            let (Some(from), id) = (stored.record.reference(column), stored.record.id) else {
                continue;
            };
            // A contact moved to another customer arrives without the
            // default mark, so the survivor's own default stays the default
            // (the rule gives it one if it had none).
            let was_default = *child == Entity::Contact && stored.record.flag("is_default");
            let unmark = was_default.then_some(false);
            let version = repoint(state, *child, stored, column, survivor_id, unmark);
            moved_from.entry(from).or_default().push(MovedRecord {
                entity: *child,
                id,
                column: (*column).to_owned(),
                version,
                was_default,
            });
        }
    }
    let version = state.versions.take();
    kept.record.version = version;
    kept.record.updated_at = state.now;
    for field in &field_merge.changed {
        kept.field_versions.insert(field.clone(), version);
    }
    state.save(entity, kept);
    repo::merges::forget_merges_too_old(tx, state.workspace, state.now).await?;
    for merged_id in merged_ids {
        let undo = MergeUndo {
            survivor: survivor_id,
            merge_version: version,
            merged_at: state.now,
            survivor_before: survivor_before.clone(),
            moved: moved_from.remove(&merged_id).unwrap_or_default(),
        };
        repo::merges::keep_merge_undo(tx, state.workspace, entity, merged_id, &undo).await?;
    }
    for conflict in &field_merge.conflicts {
        keep_overwritten_value(state, mutation, conflict);
    }
    if entity == Entity::Customer {
        customers = vec![survivor_id];
    }
    customers.sort_unstable();
    customers.dedup();
    for customer in customers {
        restore_default_contact(tx, state, customer).await?;
    }
    Ok(MutationResult::applied(
        mutation.id,
        version,
        field_merge.conflicts,
    ))
}

/// Takes back the merge of the mutation's record, in its savepoint: the
/// record is restored, what the merge moved from it goes back where
/// nobody has moved or deleted it since, and the survivor's fields it
/// set from the record get their old values where nobody has changed them
/// since (see `domain::MergeUndo`). A record that is not merged is left
/// as it is; a merge older than `UNMERGE_DAYS`, or from before merges
/// were kept, is refused.
async fn unmerge_record(
    tx: &mut Tx,
    state: &mut PushState,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
) -> Result<MutationResult, ServerError> {
    let entity = mutation.entity;
    let Some(mut away) = existing else {
        return Ok(not_found(mutation));
    };
    let Some(survivor_id) = merged_into(&away) else {
        return Ok(MutationResult::applied(
            mutation.id,
            away.record.version,
            Vec::new(),
        ));
    };
    let kept = repo::merges::merge_undo(tx, state.workspace, entity, away.record.id).await?;
    let Some(undo) =
        kept.filter(|undo| undo.survivor == survivor_id && undo.can_undo_at(state.now))
    else {
        return Ok(MutationResult::rejected(mutation.id, too_late_to_unmerge()));
    };
    let away_id = away.record.id;
    let version = revive(state, &mut away, MERGED_INTO_FIELD);
    let away_fields = away.record.fields.clone();
    let mut customers: Vec<Uuid> = Vec::new();
    if entity == Entity::Customer {
        customers.extend([away_id, survivor_id]);
    } else if entity == Entity::Contact {
        customers.extend(away.record.reference("customer_id"));
    }
    state.save(entity, away);
    for moved in &undo.moved {
        let Some(stored) = state.records.find(tx, moved.entity, moved.id).await? else {
            continue;
        };
        let unchanged = undo.may_move_back(
            moved,
            !stored.record.deleted,
            stored.record.reference(&moved.column),
            stored.field_versions.get(&moved.column).copied(),
        );
        if unchanged {
            let mark = moved.was_default.then_some(true);
            repoint(state, moved.entity, stored, &moved.column, away_id, mark);
        }
    }
    if let Some(mut survivor) = state.records.find(tx, entity, survivor_id).await? {
        let restore = undo.survivor_values_to_restore(
            &survivor.record.fields,
            |field| survivor.field_versions.get(field).copied(),
            &away_fields,
        );
        if !survivor.record.deleted && !restore.is_empty() {
            let version = state.versions.take();
            survivor.record.apply_patch(&restore);
            survivor.record.version = version;
            survivor.record.updated_at = state.now;
            for field in restore.keys() {
                survivor.field_versions.insert(field.clone(), version);
            }
            if entity == Entity::Contact {
                customers.extend(survivor.record.reference("customer_id"));
            }
            state.save(entity, survivor);
        }
    }
    customers.sort_unstable();
    customers.dedup();
    for customer in customers {
        restore_default_contact(tx, state, customer).await?;
    }
    repo::merges::forget_merge_undo(tx, state.workspace, entity, away_id).await?;
    Ok(MutationResult::applied(mutation.id, version, Vec::new()))
}

/// Points one reference of a record at `target` as a new version, for a
/// merge (to the survivor) or an unmerge (back home), with the contact's
/// default mark set to `is_default` where given; returns that version.
fn repoint(
    state: &mut PushState,
    entity: Entity,
    mut stored: StoredRecord,
    column: &str,
    target: Uuid,
    is_default: Option<bool>,
) -> i64 {
    let version = state.versions.take();
    stored
        .record
        .fields
        .insert(column.to_owned(), target.to_string().into());
    stored.field_versions.insert(column.to_owned(), version);
    if let Some(is_default) = is_default {
        stored
            .record
            .fields
            .insert("is_default".into(), Value::Bool(is_default));
        stored.field_versions.insert("is_default".into(), version);
    }
    stored.record.version = version;
    stored.record.updated_at = state.now;
    if entity == Entity::Conflict {
        state.records.save(entity, stored);
    } else {
        state.save(entity, stored);
    }
    version
}

/// Writes a new record the server derived (conversion).
fn create(
    state: &mut PushState,
    entity: Entity,
    id: Uuid,
    fields: &serde_json::Map<String, Value>,
) {
    let version = state.versions.take();
    let mut record = Record::new_local(id, state.now);
    record.apply_patch(fields);
    record.version = version;
    let field_versions = fields
        .keys()
        .map(|field| (field.clone(), version))
        .collect();
    let stored = StoredRecord {
        record,
        field_versions,
    };
    state.save(entity, stored);
}

/// Deletes win: an edit to a tombstone is not applied, and the client hears why.
fn deleted_by_someone_else(mutation: &Mutation, stored: &StoredRecord) -> MutationResult {
    MutationResult {
        id: mutation.id,
        status: MutationStatus::Conflict,
        version: Some(stored.record.version),
        conflicts: vec![FieldConflict {
            field: "deleted".into(),
            theirs: Value::Bool(true),
            mine: Value::Bool(false),
        }],
        error: None,
    }
}

/// The first reference in a change that names no live record of this
/// workspace, as the error the form shows at that field.
async fn first_missing_reference(
    tx: &mut Tx,
    state: &mut PushState,
    entity: Entity,
    fields: &serde_json::Map<String, Value>,
) -> Result<Option<FieldError>, ServerError> {
    for spec in entity.fields() {
        let FieldKind::Reference(target) = spec.kind else {
            continue;
        };
        let Some(id) = fields.get(spec.name).and_then(Value::as_str) else {
            continue;
        };
        let live = match Uuid::parse_str(id) {
            Ok(id) => state
                .records
                .find(tx, target, id)
                .await?
                .is_some_and(|found| !found.record.deleted),
            Err(_) => false,
        };
        if !live {
            return Ok(Some(FieldError::new(
                spec.name,
                format!("{} does not exist", spec.label),
            )));
        }
    }
    Ok(None)
}

/// A change that gives a record to someone who is not (or no longer) a
/// member of the workspace. Clearing the owner is refused too: every
/// record belongs to somebody.
fn owner_not_a_member(state: &PushState, fields: &Map<String, Value>) -> Option<FieldError> {
    let owner = fields.get(OWNER_FIELD)?;
    let member = owner
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .is_some_and(|id| state.members.contains(&id));
    (!member).then(|| {
        FieldError::new(
            OWNER_FIELD,
            "Choose a current member of the workspace as the owner",
        )
    })
}

fn is_new_record(stored: &StoredRecord) -> bool {
    stored.record.version == 0
}

/// Records an overwritten value as a conflict row, versioned like any write
/// so every device pulls it and can offer to restore it. It names the
/// member who overwrote the value, never their device's client id.
fn keep_overwritten_value(state: &mut PushState, mutation: &Mutation, conflict: &FieldConflict) {
    let version = state.versions.take();
    let mut record = Record::new_local(Uuid::now_v7(), state.now);
    record.version = version;
    for (field, value) in [
        ("record_entity", mutation.entity.as_str().to_owned()),
        ("record_id", mutation.record_id.to_string()),
        ("field", conflict.field.clone()),
        ("theirs", conflict.theirs.to_string()),
        ("mine", conflict.mine.to_string()),
        ("changed_by", state.pusher.to_string()),
    ] {
        record.fields.insert(field.to_owned(), Value::String(value));
    }
    record
        .fields
        .insert("resolved".to_owned(), Value::Bool(false));
    let field_versions = record
        .fields
        .keys()
        .map(|field| (field.clone(), version))
        .collect();
    let stored = StoredRecord {
        record,
        field_versions,
    };
    state.records.save(Entity::Conflict, stored);
}

/// Brings a tombstone back as a new version, emptying `link`, the field
/// that tied it to what took it away (`merged_into`, `deleted_with`);
/// returns that version. The caller saves it.
fn revive(state: &mut PushState, stored: &mut StoredRecord, link: &str) -> i64 {
    let version = state.versions.take();
    stored.record.deleted = false;
    stored.record.fields.insert(link.into(), Value::Null);
    stored.record.version = version;
    stored.record.updated_at = state.now;
    for field in ["deleted", link] {
        stored.field_versions.insert(field.into(), version);
    }
    version
}

/// Marks a record deleted as a new version; returns that version.
fn tombstone(state: &mut PushState, entity: Entity, mut stored: StoredRecord) -> i64 {
    let version = state.versions.take();
    stored.record.deleted = true;
    stored.record.version = version;
    stored.record.updated_at = state.now;
    stored.field_versions.insert("deleted".into(), version);
    state.save(entity, stored);
    version
}

/// Re-establishes "exactly one default contact" for a customer, writing each
/// contact whose flag changes as a new version so every client pulls it.
async fn restore_default_contact(
    tx: &mut Tx,
    state: &mut PushState,
    customer: Uuid,
) -> Result<(), ServerError> {
    let contacts = state
        .records
        .live_referencing(tx, Entity::Contact, "customer_id", &[customer])
        .await?;
    // `live_referencing` lists them in creation order.
    let candidates: Vec<DefaultCandidate> = contacts
        .iter()
        .zip(0..)
        .map(|(contact, created_order)| DefaultCandidate {
            id: contact.record.id,
            created_at: contact.record.created_at,
            created_order,
            is_default: contact.record.flag("is_default"),
            marked_at: contact
                .field_versions
                .get("is_default")
                .and_then(|version| u64::try_from(*version).ok())
                .unwrap_or(0),
        })
        .collect();
    let chosen = choose_default_contact(&candidates);
    for mut contact in contacts {
        let should_be_default = Some(contact.record.id) == chosen;
        if contact.record.flag("is_default") == should_be_default {
            continue;
        }
        let version = state.versions.take();
        contact
            .record
            .fields
            .insert("is_default".into(), Value::Bool(should_be_default));
        contact.record.version = version;
        contact.record.updated_at = state.now;
        contact.field_versions.insert("is_default".into(), version);
        state.save(Entity::Contact, contact);
    }
    Ok(())
}
