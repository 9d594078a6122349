//! Users, workspaces and invitations as stored: the statements behind
//! sign-up, sign-in, sessions and invitations. The rules (hashing, rate
//! limits, what a session may do) stay in `server::auth`, which calls these.
//!
//! Users are found across workspaces (an email names one account
//! everywhere), so not every function here takes a workspace.

use super::WorkspaceId;
use crate::domain::Account;
use crate::server::error::ServerError;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection, SqlitePool};
use uuid::Uuid;

/// What sign-in checks a password against: the user's id and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub user: Uuid,
    pub password_hash: String,
}

/// Where a user belongs and which password they are on: what a session
/// records at sign-in and is checked against on every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub workspace: WorkspaceId,
    /// Counts password changes; a session made before the last one is stale.
    pub auth_epoch: i64,
}

/// Whether a new user was stored; an email names one account at most, so
/// sign-up and joining tell the person to sign in instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserCreation {
    Created,
    EmailTaken,
}

/// An invitation as it is kept: only the digest of its token, so the table
/// alone does not let anyone join.
#[derive(Clone, Copy, Debug)]
pub struct NewInvitation<'a> {
    pub token_digest: &'a str,
    pub workspace: WorkspaceId,
    pub invited_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A user to store; the password only as its hash.
#[derive(Clone, Copy, Debug)]
pub struct NewUser<'a> {
    pub user: Uuid,
    pub workspace: WorkspaceId,
    /// Checked and normalised (`domain::check_email`).
    pub email: &'a str,
    pub password_hash: &'a str,
    pub created_at: DateTime<Utc>,
}

fn parse_id(what: &str, text: &str) -> Result<Uuid, ServerError> {
    Uuid::parse_str(text).map_err(|err| ServerError::Corrupt(format!("{what} {text:?}: {err}")))
}

/// The id and password hash of the user with this (normalised) email, to
/// check a sign-in against.
pub async fn user_by_email(
    pool: &SqlitePool,
    email: &str,
) -> Result<Option<Credentials>, ServerError> {
    let Some(row) = sqlx::query("SELECT id, password_hash FROM users WHERE email = ?")
        .bind(email)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let user: String = row.try_get("id")?;
    Ok(Some(Credentials {
        user: parse_id("user id", &user)?,
        password_hash: row.try_get("password_hash")?,
    }))
}

/// The password hash of a user who must exist (a signed-in one), to check
/// the current password before it is replaced.
pub async fn password_hash(pool: &SqlitePool, user: Uuid) -> Result<String, ServerError> {
    let hash = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
        .bind(user.to_string())
        .fetch_one(pool)
        .await?;
    Ok(hash)
}

/// Stores a new password hash and moves the user to the next auth epoch,
/// which makes every session made before it stale.
pub async fn replace_password(
    pool: &SqlitePool,
    user: Uuid,
    password_hash: &str,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE users SET password_hash = ?, auth_epoch = auth_epoch + 1 WHERE id = ?")
        .bind(password_hash)
        .bind(user.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

/// The user's workspace and auth epoch; `None` once the user is gone.
pub async fn membership(pool: &SqlitePool, user: Uuid) -> Result<Option<Membership>, ServerError> {
    let Some(row) = sqlx::query("SELECT workspace_id, auth_epoch FROM users WHERE id = ?")
        .bind(user.to_string())
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let workspace: String = row.try_get("workspace_id")?;
    Ok(Some(Membership {
        workspace: WorkspaceId(parse_id("workspace id", &workspace)?),
        auth_epoch: row.try_get("auth_epoch")?,
    }))
}

/// The email and workspace name of `user`, only while they are a member of
/// `workspace`: what the app shows as the signed-in account.
pub async fn member_account(
    pool: &SqlitePool,
    user: Uuid,
    workspace: WorkspaceId,
) -> Result<Option<Account>, ServerError> {
    let Some(row) = sqlx::query(
        "SELECT users.email, workspaces.name FROM users \
         JOIN workspaces ON workspaces.id = users.workspace_id \
         WHERE users.id = ? AND users.workspace_id = ?",
    )
    .bind(user.to_string())
    .bind(workspace.0.to_string())
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Account {
        user_id: user,
        email: row.try_get("email")?,
        workspace_id: workspace.0,
        workspace_name: row.try_get("name")?,
    }))
}

/// Makes an empty workspace, inside the sign-up's transaction.
pub async fn create_workspace(
    conn: &mut SqliteConnection,
    workspace: WorkspaceId,
    name: &str,
    created_at: DateTime<Utc>,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO workspaces (id, name, change_counter, created_at) VALUES (?, ?, 0, ?)",
    )
    .bind(workspace.0.to_string())
    .bind(name)
    .bind(created_at.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a user on their first password (auth epoch 0), inside the
/// sign-up's or the join's transaction. A taken email is an answer, not a
/// failure: the email is the only unique value a caller chooses.
pub async fn create_user(
    conn: &mut SqliteConnection,
    new: &NewUser<'_>,
) -> Result<UserCreation, ServerError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, workspace_id, email, password_hash, auth_epoch, created_at) \
         VALUES (?, ?, ?, ?, 0, ?)",
    )
    .bind(new.user.to_string())
    .bind(new.workspace.0.to_string())
    .bind(new.email)
    .bind(new.password_hash)
    .bind(new.created_at.to_rfc3339())
    .execute(conn)
    .await;
    match inserted {
        Ok(_) => Ok(UserCreation::Created),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Ok(UserCreation::EmailTaken)
        }
        Err(error) => Err(error.into()),
    }
}

/// Keeps an invitation until it is used or expires.
pub async fn create_invitation(
    pool: &SqlitePool,
    invitation: &NewInvitation<'_>,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO invitations (token_hash, workspace_id, invited_by, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(invitation.token_digest)
    .bind(invitation.workspace.0.to_string())
    .bind(invitation.invited_by.to_string())
    .bind(invitation.created_at.to_rfc3339())
    .bind(invitation.expires_at.to_rfc3339())
    .execute(pool)
    .await?;
    Ok(())
}

/// The name of the workspace an invitation leads to, while it is unused
/// and unexpired at `now`: what the join page shows before anyone signs up.
pub async fn usable_invitation_workspace_name(
    pool: &SqlitePool,
    token_digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServerError> {
    let name = sqlx::query_scalar(
        "SELECT workspaces.name FROM invitations \
         JOIN workspaces ON workspaces.id = invitations.workspace_id \
         WHERE token_hash = ? AND used_by IS NULL AND expires_at > ?",
    )
    .bind(token_digest)
    .bind(now.to_rfc3339())
    .fetch_optional(pool)
    .await?;
    Ok(name)
}

/// The workspace an invitation leads to, while it is unused and unexpired
/// at `now`, read inside the join's transaction so that only one person can
/// use it.
pub async fn usable_invitation_workspace(
    conn: &mut SqliteConnection,
    token_digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<WorkspaceId>, ServerError> {
    let workspace: Option<String> = sqlx::query_scalar(
        "SELECT workspace_id FROM invitations \
         WHERE token_hash = ? AND used_by IS NULL AND expires_at > ?",
    )
    .bind(token_digest)
    .bind(now.to_rfc3339())
    .fetch_optional(conn)
    .await?;
    workspace
        .map(|id| parse_id("invitation workspace id", &id).map(WorkspaceId))
        .transpose()
}

/// Records who used an invitation, in the join's transaction: it leads
/// nowhere after that.
pub async fn mark_invitation_used(
    conn: &mut SqliteConnection,
    token_digest: &str,
    used_by: Uuid,
) -> Result<(), ServerError> {
    sqlx::query("UPDATE invitations SET used_by = ? WHERE token_hash = ?")
        .bind(used_by.to_string())
        .bind(token_digest)
        .execute(conn)
        .await?;
    Ok(())
}
