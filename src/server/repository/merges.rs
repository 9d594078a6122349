//! What each merge replaced and moved, kept so the merge can be taken back
//! (see `domain::MergeUndo`). One row per record merged away: a record
//! merged again replaces its row, an unmerge deletes it, and rows older
//! than `domain::UNMERGE_DAYS` are dropped when the next merge is kept.

use super::backend::on_tx;
use super::{Tx, WorkspaceId};
use crate::domain::{Entity, MergeUndo, UNMERGE_DAYS};
use crate::server::error::ServerError;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Forgets the workspace's merges too old to be taken back at `now`, in
/// the transaction of the merge about to be kept.
pub async fn forget_merges_too_old(
    tx: &mut Tx,
    workspace: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let too_old = (now - Duration::days(UNMERGE_DAYS)).to_rfc3339();
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM merge_undo WHERE workspace_id = $1 AND merged_at < $2")
            .bind(workspace.0.to_string())
            .bind(&too_old)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Keeps what the merge of `merged` did, in the merge's transaction.
pub async fn keep_merge_undo(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    merged: Uuid,
    undo: &MergeUndo,
) -> Result<(), ServerError> {
    let text = serde_json::to_string(undo).map_err(|err| ServerError::Corrupt(err.to_string()))?;
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO merge_undo (workspace_id, entity, merged_id, merged_at, undo) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace_id, entity, merged_id) \
             DO UPDATE SET merged_at = excluded.merged_at, undo = excluded.undo",
        )
        .bind(workspace.0.to_string())
        .bind(entity.as_str())
        .bind(merged.to_string())
        .bind(undo.merged_at.to_rfc3339())
        .bind(&text)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// What the last merge of `merged` did, if the server still keeps it.
pub async fn merge_undo(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    merged: Uuid,
) -> Result<Option<MergeUndo>, ServerError> {
    let text: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT undo FROM merge_undo \
             WHERE workspace_id = $1 AND entity = $2 AND merged_id = $3",
        )
        .bind(workspace.0.to_string())
        .bind(entity.as_str())
        .bind(merged.to_string())
        .fetch_optional(conn)
        .await?
    });
    text.map(|text| {
        serde_json::from_str(&text)
            .map_err(|err| ServerError::Corrupt(format!("merge_undo of {merged}: {err}")))
    })
    .transpose()
}

/// Forgets the merge of `merged` once it has been taken back.
pub async fn forget_merge_undo(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    merged: Uuid,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "DELETE FROM merge_undo WHERE workspace_id = $1 AND entity = $2 AND merged_id = $3",
        )
        .bind(workspace.0.to_string())
        .bind(entity.as_str())
        .bind(merged.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}
