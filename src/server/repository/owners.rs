//! Finding records by owner, for the writes that give many records a new
//! owner at once: adopting the records of a workspace from before owners
//! were members, and an admin's reassignment of a member's records. The
//! writes themselves go through [`super::save_all`] like a push's.

use super::accounts::parse_id;
use super::backend::{on_db, on_tx};
use super::{table, Db, Tx, WorkspaceId};
use crate::domain::Entity;
use crate::server::error::ServerError;
use uuid::Uuid;

/// Which live records to find by their owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnedBy {
    /// No owner, or one that names no account of the workspace (free text
    /// from before owners were members). A removed member is still an
    /// account: their records keep them.
    Nobody,
    /// This member, current or former.
    Member(Uuid),
}

/// The ids of the workspace's live records of `entity` owned as `owned_by` says.
pub async fn live_ids_owned_by(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    owned_by: OwnedBy,
) -> Result<Vec<Uuid>, ServerError> {
    let condition = match owned_by {
        OwnedBy::Nobody => {
            "(owner IS NULL OR owner NOT IN (SELECT id FROM users WHERE workspace_id = $1))"
        }
        OwnedBy::Member(_) => "owner = $2",
    };
    let sql = format!(
        "SELECT id FROM {} WHERE workspace_id = $1 AND NOT deleted AND {condition} ORDER BY id",
        table(entity)
    );
    let ids: Vec<String> = on_tx!(tx, |conn| {
        let mut query = sqlx::query_scalar(&sql).bind(workspace.0.to_string());
        if let OwnedBy::Member(member) = owned_by {
            query = query.bind(member.to_string());
        }
        query.fetch_all(conn).await?
    });
    ids.iter().map(|id| parse_id("record id", id)).collect()
}

/// The workspaces whose records have not been given member owners yet
/// (those that existed when owners became members).
pub async fn workspaces_awaiting_owners(db: &Db) -> Result<Vec<WorkspaceId>, ServerError> {
    let ids: Vec<String> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT workspace_id FROM owner_upgrades ORDER BY workspace_id")
            .fetch_all(pool)
            .await?
    });
    ids.iter()
        .map(|id| parse_id("workspace id", id).map(WorkspaceId))
        .collect()
}

/// Marks a workspace's records as given owners, in the transaction that gave them.
pub async fn owners_adopted(tx: &mut Tx, workspace: WorkspaceId) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM owner_upgrades WHERE workspace_id = $1")
            .bind(workspace.0.to_string())
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The workspace's first admin still a member: who owns what nobody else does.
pub async fn first_admin(tx: &mut Tx, workspace: WorkspaceId) -> Result<Option<Uuid>, ServerError> {
    let id: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM users WHERE workspace_id = $1 AND role = 'admin' \
             AND removed_at IS NULL ORDER BY created_at, id LIMIT 1",
        )
        .bind(workspace.0.to_string())
        .fetch_optional(conn)
        .await?
    });
    id.map(|id| parse_id("user id", &id)).transpose()
}
