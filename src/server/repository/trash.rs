//! The Trash's end (issue 21): records deleted more than 30 days ago are
//! deleted for good, and each workspace remembers how far that went, so a
//! device that was away longer pulls again from scratch.

use super::backend::{on_db, on_tx};
use super::{table, Db, WorkspaceId};
use crate::domain::{Entity, MERGED_INTO_FIELD};
use crate::server::error::ServerError;
use chrono::{DateTime, Utc};

/// Deletes for good, in every workspace, the records deleted before
/// `before`, and raises each workspace's `purged_through` to the highest
/// version purged, in one transaction. Records merged away stay: they are
/// what later edits naming them follow to their survivor. Answers how many
/// rows went. Their history goes with them.
pub async fn purge_deleted_before(db: &Db, before: DateTime<Utc>) -> Result<u64, ServerError> {
    let before = before.to_rfc3339();
    let mut tx = db.begin_write().await?;
    let mut purged = 0;
    for entity in Entity::ALL {
        let merged = if entity.field(MERGED_INTO_FIELD).is_some() {
            format!(" AND {MERGED_INTO_FIELD} IS NULL")
        } else {
            String::new()
        };
        let doomed = format!("deleted AND updated_at < $1{merged}");
        let table = table(entity);
        let raise = format!(
            "UPDATE workspaces SET purged_through = (SELECT MAX(version) FROM {table} \
             WHERE workspace_id = workspaces.id AND {doomed}) \
             WHERE EXISTS (SELECT 1 FROM {table} WHERE workspace_id = workspaces.id AND {doomed} \
             AND version > workspaces.purged_through)"
        );
        let forget_history = format!(
            "DELETE FROM history WHERE entity = '{entity}' AND (workspace_id, record_id) IN \
             (SELECT workspace_id, id FROM {table} WHERE {doomed})",
            entity = entity.as_str()
        );
        let delete = format!("DELETE FROM {table} WHERE {doomed}");
        purged += on_tx!(&mut tx, |conn| {
            sqlx::query(&raise)
                .bind(before.as_str())
                .execute(&mut *conn)
                .await?;
            sqlx::query(&forget_history)
                .bind(before.as_str())
                .execute(&mut *conn)
                .await?;
            sqlx::query(&delete)
                .bind(before.as_str())
                .execute(conn)
                .await?
                .rows_affected()
        });
    }
    tx.commit().await?;
    Ok(purged)
}

/// The highest version of a row this workspace has purged, 0 if none.
pub async fn purged_through(db: &Db, workspace: WorkspaceId) -> Result<i64, ServerError> {
    let through: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT purged_through FROM workspaces WHERE id = $1")
            .bind(workspace.0.to_string())
            .fetch_optional(pool)
            .await?
    });
    Ok(through.unwrap_or(0))
}
