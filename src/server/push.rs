//! Applying pushed mutations: idempotent, in order, one transaction each.

use super::merge::merge;
use super::repository::{self as repo, StoredRecord, WorkspaceId};
use super::ServerError;
use crate::domain::{
    check_required, choose_default_contact, normalize_patch, unknown_field, DefaultCandidate,
    Entity, FieldError, Record,
};
use crate::sync::{FieldConflict, Mutation, MutationResult, MutationStatus, Op, PushResponse};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

/// The most mutations one push may carry; the client sends at most 500.
pub const MAX_MUTATIONS_PER_PUSH: usize = 1000;

/// Applies a client's mutations in id order and answers each.
///
/// Each mutation commits in its own transaction together with the client's
/// last-mutation-id and the answer given, so a crash at any point leaves
/// every mutation applied once or not at all, and a retry replays answers.
pub async fn push(
    pool: &SqlitePool,
    workspace: WorkspaceId,
    client_id: Uuid,
    mutations: &[Mutation],
) -> Result<PushResponse, ServerError> {
    check_batch(mutations)?;
    {
        let mut conn = pool.acquire().await?;
        let ids: Vec<(Entity, Uuid)> = mutations.iter().map(|m| (m.entity, m.record_id)).collect();
        if let Some((entity, id)) = repo::first_foreign_record(&mut conn, workspace, &ids).await? {
            return Err(ServerError::BadRequest(format!(
                "{entity} {id} cannot be changed from this workspace"
            )));
        }
    }
    let mut results = Vec::with_capacity(mutations.len());
    for mutation in mutations {
        // IMMEDIATE takes the write lock first, so two pushes wait for each
        // other instead of failing to upgrade a read lock.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let processed = repo::last_mutation_id(&mut tx, workspace, client_id).await?;
        if mutation.id <= processed {
            let earlier = repo::stored_result(&mut tx, workspace, client_id, mutation.id).await?;
            results.push(earlier.unwrap_or_else(|| {
                MutationResult::rejected(
                    mutation.id,
                    FieldError::new(
                        "id",
                        format!("mutation id {} was skipped earlier", mutation.id),
                    ),
                )
            }));
            continue;
        }
        let now = Utc::now();
        let result = apply(&mut tx, workspace, client_id, mutation, now).await?;
        repo::record_processed(&mut tx, workspace, client_id, &result, now).await?;
        tx.commit().await?;
        results.push(result);
    }
    let mut conn = pool.acquire().await?;
    let last_mutation_id = repo::last_mutation_id(&mut conn, workspace, client_id).await?;
    Ok(PushResponse {
        last_mutation_id,
        results,
    })
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
        if let Some(field) = unknown_field(mutation.entity, &mutation.fields) {
            return Err(ServerError::BadRequest(format!(
                "mutation {}: `{field}` is not a field of a {}",
                mutation.id, mutation.entity
            )));
        }
    }
    Ok(())
}

async fn apply(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    client_id: Uuid,
    mutation: &Mutation,
    now: DateTime<Utc>,
) -> Result<MutationResult, ServerError> {
    let existing = repo::find(tx, workspace, mutation.entity, mutation.record_id).await?;
    match mutation.op {
        Op::Upsert => upsert(tx, workspace, client_id, mutation, existing, now).await,
        Op::Delete => delete(tx, workspace, mutation, existing, now).await,
    }
}

fn id_unusable(mutation: &Mutation) -> MutationResult {
    MutationResult::rejected(
        mutation.id,
        FieldError::new(
            "record_id",
            format!("there is no {} with this id", mutation.entity),
        ),
    )
}

async fn upsert(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    client_id: Uuid,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
    now: DateTime<Utc>,
) -> Result<MutationResult, ServerError> {
    let fields = match normalize_patch(mutation.entity, &mutation.fields) {
        Ok(fields) => fields,
        Err(error) => return Ok(MutationResult::rejected(mutation.id, error)),
    };
    let previous_customer = existing
        .as_ref()
        .and_then(|s| s.record.reference("customer_id"));
    let mut stored = existing.unwrap_or_else(|| StoredRecord {
        record: Record::new_local(mutation.record_id, now),
        field_versions: Default::default(),
    });
    let restores = fields.get("deleted") == Some(&Value::Bool(false));
    if stored.record.deleted && !restores {
        // Deletes win: the edit is not applied, and the client hears why.
        return Ok(MutationResult {
            id: mutation.id,
            status: MutationStatus::Conflict,
            version: Some(stored.record.version),
            conflicts: vec![FieldConflict {
                field: "deleted".into(),
                theirs: Value::Bool(true),
                mine: Value::Bool(false),
            }],
            error: None,
        });
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
    let customer = match mutation.entity {
        Entity::Contact => {
            let customer = stored.record.reference("customer_id");
            if !is_live_customer(tx, workspace, customer).await? {
                return Ok(MutationResult::rejected(
                    mutation.id,
                    FieldError::new("customer_id", "Customer does not exist"),
                ));
            }
            customer
        }
        Entity::Customer | Entity::Conflict => None,
    };
    let is_new = is_new_record(&stored);
    if merged.changed.is_empty() && !is_new {
        return Ok(MutationResult::applied(
            mutation.id,
            stored.record.version,
            Vec::new(),
        ));
    }
    let version = repo::next_version(tx, workspace).await?;
    stored.record.version = version;
    stored.record.updated_at = now;
    for field in &merged.changed {
        stored.field_versions.insert(field.clone(), version);
    }
    if !repo::save(tx, workspace, mutation.entity, &stored).await? {
        return Ok(id_unusable(mutation));
    }
    for conflict in &merged.conflicts {
        keep_overwritten_value(tx, workspace, mutation, client_id, conflict, now).await?;
    }
    let mut touched: Vec<Uuid> = previous_customer.into_iter().chain(customer).collect();
    touched.dedup();
    for customer in touched {
        restore_default_contact(tx, workspace, customer, now).await?;
    }
    Ok(MutationResult::applied(
        mutation.id,
        version,
        merged.conflicts,
    ))
}

async fn delete(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    mutation: &Mutation,
    existing: Option<StoredRecord>,
    now: DateTime<Utc>,
) -> Result<MutationResult, ServerError> {
    let Some(mut stored) = existing else {
        return Ok(id_unusable(mutation));
    };
    if stored.record.deleted {
        return Ok(MutationResult::applied(
            mutation.id,
            stored.record.version,
            Vec::new(),
        ));
    }
    let version = tombstone(tx, workspace, mutation.entity, &mut stored, now).await?;
    match mutation.entity {
        Entity::Customer => {
            for mut contact in repo::live_contacts_of(tx, workspace, mutation.record_id).await? {
                tombstone(tx, workspace, Entity::Contact, &mut contact, now).await?;
            }
        }
        Entity::Contact => {
            if let Some(customer) = stored.record.reference("customer_id") {
                restore_default_contact(tx, workspace, customer, now).await?;
            }
        }
        Entity::Conflict => {}
    }
    Ok(MutationResult::applied(mutation.id, version, Vec::new()))
}

fn is_new_record(stored: &StoredRecord) -> bool {
    stored.record.version == 0
}

/// Records an overwritten value as a conflict row, versioned like any write
/// so every device pulls it and can offer to restore it.
async fn keep_overwritten_value(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    mutation: &Mutation,
    client_id: Uuid,
    conflict: &FieldConflict,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let version = repo::next_version(tx, workspace).await?;
    let mut record = Record::new_local(Uuid::now_v7(), now);
    record.version = version;
    for (field, value) in [
        ("record_entity", mutation.entity.as_str().to_owned()),
        ("record_id", mutation.record_id.to_string()),
        ("field", conflict.field.clone()),
        ("theirs", conflict.theirs.to_string()),
        ("mine", conflict.mine.to_string()),
        ("client_id", client_id.to_string()),
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
    repo::save(
        tx,
        workspace,
        Entity::Conflict,
        &StoredRecord {
            record,
            field_versions,
        },
    )
    .await?;
    Ok(())
}

async fn tombstone(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    entity: Entity,
    stored: &mut StoredRecord,
    now: DateTime<Utc>,
) -> Result<i64, ServerError> {
    let version = repo::next_version(tx, workspace).await?;
    stored.record.deleted = true;
    stored.record.version = version;
    stored.record.updated_at = now;
    stored.field_versions.insert("deleted".into(), version);
    repo::save(tx, workspace, entity, stored).await?;
    Ok(version)
}

async fn is_live_customer(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    customer: Option<Uuid>,
) -> Result<bool, ServerError> {
    let Some(id) = customer else {
        return Ok(false);
    };
    let found = repo::find(tx, workspace, Entity::Customer, id).await?;
    Ok(found.is_some_and(|stored| !stored.record.deleted))
}

/// Re-establishes "exactly one default contact" for a customer, writing each
/// contact whose flag changes as a new version so every client pulls it.
async fn restore_default_contact(
    tx: &mut SqliteConnection,
    workspace: WorkspaceId,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let contacts = repo::live_contacts_of(tx, workspace, customer).await?;
    let candidates: Vec<DefaultCandidate> = contacts
        .iter()
        .map(|contact| DefaultCandidate {
            id: contact.record.id,
            created_at: contact.record.created_at,
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
        let version = repo::next_version(tx, workspace).await?;
        contact
            .record
            .fields
            .insert("is_default".into(), Value::Bool(should_be_default));
        contact.record.version = version;
        contact.record.updated_at = now;
        contact.field_versions.insert("is_default".into(), version);
        repo::save(tx, workspace, Entity::Contact, &contact).await?;
    }
    Ok(())
}
