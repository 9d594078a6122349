//! The workspace as a team, as stored: its members and their roles, and
//! its pending invitations. Who may change what is decided in
//! `server::team` (with the rules of `domain::team`), which calls these.
//!
//! A removed member's row stays, marked `removed_at`, so records that name
//! them keep pointing at someone; every query here about current members
//! leaves them out.

use super::accounts::{parse_id, parse_role, parse_time};
use super::backend::{on_db, on_tx};
use super::{Db, Tx, WorkspaceId};
use crate::domain::{FormerMember, PendingInvitation, Role, TeamMember};
use crate::server::error::ServerError;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use uuid::Uuid;

/// The workspace's current members, oldest first.
pub async fn members(db: &Db, workspace: WorkspaceId) -> Result<Vec<TeamMember>, ServerError> {
    type Row = (String, String, String, String, Option<String>);
    let rows: Vec<Row> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, email, COALESCE(display_name, email), role, last_seen FROM users \
             WHERE workspace_id = $1 AND removed_at IS NULL ORDER BY created_at, id",
        )
        .bind(workspace.0.to_string())
        .fetch_all(pool)
        .await?
    });
    rows.into_iter()
        .map(|(id, email, display_name, role, last_seen)| {
            Ok(TeamMember {
                user_id: parse_id("user id", &id)?,
                email,
                display_name,
                role: parse_role(&role)?,
                last_seen: last_seen
                    .map(|text| parse_time("last_seen", &text))
                    .transpose()?,
            })
        })
        .collect()
}

/// The workspace's removed members, by name: records still name them.
pub async fn former_members(
    db: &Db,
    workspace: WorkspaceId,
) -> Result<Vec<FormerMember>, ServerError> {
    let rows: Vec<(String, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, COALESCE(display_name, email) FROM users \
             WHERE workspace_id = $1 AND removed_at IS NOT NULL ORDER BY created_at, id",
        )
        .bind(workspace.0.to_string())
        .fetch_all(pool)
        .await?
    });
    rows.into_iter()
        .map(|(id, display_name)| {
            Ok(FormerMember {
                user_id: parse_id("user id", &id)?,
                display_name,
            })
        })
        .collect()
}

/// The user ids of the workspace's current members, as a push reads them:
/// who a record may be given to.
pub async fn current_member_ids(
    tx: &mut Tx,
    workspace: WorkspaceId,
) -> Result<HashSet<Uuid>, ServerError> {
    let ids: Vec<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM users WHERE workspace_id = $1 AND removed_at IS NULL")
            .bind(workspace.0.to_string())
            .fetch_all(conn)
            .await?
    });
    ids.iter().map(|id| parse_id("user id", id)).collect()
}

/// The workspace's invitations that are unused, unrevoked and unexpired
/// at `now`, soonest to expire first.
pub async fn pending_invitations(
    db: &Db,
    workspace: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<PendingInvitation>, ServerError> {
    let rows: Vec<(String, String, String, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, role, invited_by, expires_at FROM invitations \
             WHERE workspace_id = $1 AND used_by IS NULL AND revoked_at IS NULL \
             AND expires_at > $2 ORDER BY expires_at, id",
        )
        .bind(workspace.0.to_string())
        .bind(now.to_rfc3339())
        .fetch_all(pool)
        .await?
    });
    rows.into_iter()
        .map(|(id, role, invited_by, expires_at)| {
            Ok(PendingInvitation {
                id: parse_id("invitation id", &id)?,
                role: parse_role(&role)?,
                created_by: parse_id("inviter id", &invited_by)?,
                expires_at: parse_time("expires_at", &expires_at)?,
            })
        })
        .collect()
}

/// The workspace's current admins, locked until the transaction ends (on
/// PostgreSQL; SQLite's write transaction holds the file): two admins
/// demoting each other at once take turns, and the second sees the first's
/// change, so the last admin is never lost to a race.
pub async fn admins_for_update(
    tx: &mut Tx,
    workspace: WorkspaceId,
) -> Result<Vec<Uuid>, ServerError> {
    let sql = format!(
        "SELECT id FROM users WHERE workspace_id = $1 AND role = 'admin' \
         AND removed_at IS NULL ORDER BY id{}",
        tx.dialect().for_update()
    );
    let ids: Vec<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(&sql)
            .bind(workspace.0.to_string())
            .fetch_all(conn)
            .await?
    });
    ids.iter().map(|id| parse_id("user id", id)).collect()
}

/// The role of `user` while they are a current member of `workspace`.
pub async fn member_role(
    tx: &mut Tx,
    workspace: WorkspaceId,
    user: Uuid,
) -> Result<Option<Role>, ServerError> {
    let role: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT role FROM users WHERE id = $1 AND workspace_id = $2 AND removed_at IS NULL",
        )
        .bind(user.to_string())
        .bind(workspace.0.to_string())
        .fetch_optional(conn)
        .await?
    });
    role.as_deref().map(parse_role).transpose()
}

/// Gives a current member of `workspace` a new role.
pub async fn set_role(
    tx: &mut Tx,
    workspace: WorkspaceId,
    user: Uuid,
    role: Role,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET role = $1 \
             WHERE id = $2 AND workspace_id = $3 AND removed_at IS NULL",
        )
        .bind(role.as_str())
        .bind(user.to_string())
        .bind(workspace.0.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Marks a member of `workspace` removed at `now` and moves them to the
/// next auth epoch: their sessions, on every server, are refused from the
/// next request, and their row stays for the records that name them.
pub async fn remove_member(
    tx: &mut Tx,
    workspace: WorkspaceId,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET removed_at = $1, auth_epoch = auth_epoch + 1 \
             WHERE id = $2 AND workspace_id = $3 AND removed_at IS NULL",
        )
        .bind(now.to_rfc3339())
        .bind(user.to_string())
        .bind(workspace.0.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Revokes an unused invitation of `workspace` at `now` (again is a no-op
/// that keeps the first time); `false` when there is no unused invitation
/// with this id in the workspace.
pub async fn revoke_invitation(
    db: &Db,
    workspace: WorkspaceId,
    invitation: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ServerError> {
    let done = on_db!(db, |pool| {
        sqlx::query(
            "UPDATE invitations SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE id = $2 AND workspace_id = $3 AND used_by IS NULL",
        )
        .bind(now.to_rfc3339())
        .bind(invitation.to_string())
        .bind(workspace.0.to_string())
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done > 0)
}

/// Sets the name a current member of `workspace` is shown by.
pub async fn set_display_name(
    db: &Db,
    workspace: WorkspaceId,
    user: Uuid,
    display_name: &str,
) -> Result<(), ServerError> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE users SET display_name = $1 \
             WHERE id = $2 AND workspace_id = $3 AND removed_at IS NULL",
        )
        .bind(display_name)
        .bind(user.to_string())
        .bind(workspace.0.to_string())
        .execute(pool)
        .await?;
    });
    Ok(())
}
