//! Writes that give many records a new owner at once, each as an ordinary
//! change (a new version per record, the owner's field version bumped) so
//! every device pulls it: the one-time adoption of records from before
//! owners were members, and an admin's reassignment of one member's
//! records (typically someone removed) to another.

use super::auth::Member;
use super::error::ServerError;
use super::repository::owners::{self as repo, OwnedBy};
use super::repository::team as team_repo;
use super::repository::{self as records, Db, Tx, Versions, WorkspaceId};
use super::team::TeamError;
use crate::domain::{
    adopted_owner, changes_between, Entity, FieldError, HistoryEntry, HistoryKind, Origin, Record,
    OWNER_FIELD,
};
use chrono::Utc;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Records read and written per statement.
const CHUNK: usize = 500;

/// Gives every workspace that existed when owners became members an owner
/// for each of its records (see [`adopted_owner`]); run at start-up, once:
/// a workspace is crossed off in the transaction that changed its records.
pub async fn adopt_owners(db: &Db) -> Result<(), ServerError> {
    for workspace in repo::workspaces_awaiting_owners(db).await? {
        let members = team_repo::members(db, workspace).await?;
        let mut tx = db.begin_write().await?;
        if let Some(fallback) = repo::first_admin(&mut tx, workspace).await? {
            rewrite_owners(
                &mut tx,
                workspace,
                OwnedBy::Nobody,
                None,
                |entity, record| adopted_owner(entity, &record.fields, &members, fallback),
            )
            .await?;
        }
        repo::owners_adopted(&mut tx, workspace).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Gives every live record `from` owns (or is assigned) to `to`, a current
/// member; admins only. Answers how many records changed.
pub async fn reassign(db: &Db, caller: &Member, from: Uuid, to: Uuid) -> Result<u64, TeamError> {
    if !caller.role.can_manage_team() {
        return Err(ServerError::Forbidden("only an admin can reassign records".into()).into());
    }
    let workspace = caller.workspace();
    let mut tx = db.begin_write().await?;
    if !team_repo::current_member_ids(&mut tx, workspace)
        .await?
        .contains(&to)
    {
        return Err(FieldError::new("to", "Choose a current member of the workspace").into());
    }
    let owner: Map<String, Value> = [(OWNER_FIELD.to_owned(), Value::from(to.to_string()))]
        .into_iter()
        .collect();
    let changed = rewrite_owners(
        &mut tx,
        workspace,
        OwnedBy::Member(from),
        Some(caller.user_id),
        |_, _| owner.clone(),
    )
    .await?;
    tx.commit().await?;
    Ok(changed)
}

/// Applies `change` to every live record owned as `owned_by` says, in the
/// write transaction `tx`, each at a new version, with a history entry
/// naming `author` (none for the server's own adoption); answers how many.
async fn rewrite_owners(
    tx: &mut Tx,
    workspace: WorkspaceId,
    owned_by: OwnedBy,
    author: Option<Uuid>,
    change: impl Fn(Entity, &Record) -> Map<String, Value>,
) -> Result<u64, ServerError> {
    let mut versions = Versions::read(tx, workspace).await?;
    let now = Utc::now();
    let mut changed = 0;
    for entity in Entity::ALL.into_iter().filter(|entity| entity.has_owner()) {
        let ids = repo::live_ids_owned_by(tx, workspace, entity, owned_by).await?;
        for chunk in ids.chunks(CHUNK) {
            let mut stored = records::find_many(tx, workspace, entity, chunk).await?;
            let mut history = Vec::with_capacity(stored.len());
            for record in &mut stored {
                let before = record.record.clone();
                let patch = change(entity, &record.record);
                let version = versions.take();
                record.record.apply_patch(&patch);
                record.record.version = version;
                record.record.updated_at = now;
                for field in patch.keys() {
                    record.field_versions.insert(field.clone(), version);
                }
                history.push(HistoryEntry {
                    version,
                    entity,
                    record_id: record.record.id,
                    kind: HistoryKind::Edited,
                    origin: Some(Origin::Bulk),
                    changes: changes_between(entity, Some(&before), &record.record),
                    author,
                    device: None,
                    made_at: None,
                    received_at: now,
                });
            }
            let refs: Vec<_> = stored.iter().collect();
            records::save_all(tx, workspace, entity, &refs).await?;
            records::history::append(tx, workspace, &history).await?;
            changed += refs.len() as u64;
        }
    }
    versions.store(tx).await?;
    Ok(changed)
}
