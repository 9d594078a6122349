//! Users, workspaces and invitations as stored: the statements behind
//! sign-up, sign-in, sessions and invitations. The rules (hashing, rate
//! limits, what a session may do) stay in `server::auth`, which calls these.
//!
//! Users are found across workspaces (an email names one account
//! everywhere), so not every function here takes a workspace.

use super::backend::{on_db, on_tx};
use super::{Db, Tx, WorkspaceId};
use crate::domain::{Account, Role};
use crate::server::error::ServerError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What sign-in checks a password against: the user's id and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub user: Uuid,
    pub password_hash: String,
    /// Removed from their workspace: the password alone no longer signs in.
    pub removed: bool,
}

/// Where a user belongs and which password they are on: what a session
/// records at sign-in and is checked against on every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub workspace: WorkspaceId,
    /// Counts password changes; a session made before the last one is stale.
    pub auth_epoch: i64,
    /// What the user may do there, read afresh on every request so a role
    /// change takes effect at once.
    pub role: Role,
    /// Removed from the workspace: every session of theirs is refused.
    pub removed: bool,
    /// When a session of theirs was last used, if ever.
    pub last_seen: Option<DateTime<Utc>>,
}

/// An invitation that can still be used: where it leads and as what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsableInvitation {
    pub workspace: WorkspaceId,
    pub role: Role,
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
    /// What the team list and `team/revoke` name it by.
    pub id: Uuid,
    pub token_digest: &'a str,
    /// The role whoever uses it gets.
    pub role: Role,
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
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A stored id, or why it is unreadable.
pub(super) fn parse_id(what: &str, text: &str) -> Result<Uuid, ServerError> {
    Uuid::parse_str(text).map_err(|err| ServerError::Corrupt(format!("{what} {text:?}: {err}")))
}

/// A stored role, or why it is unreadable.
pub(super) fn parse_role(text: &str) -> Result<Role, ServerError> {
    Role::parse(text).ok_or_else(|| ServerError::Corrupt(format!("role {text:?}")))
}

/// A stored timestamp (RFC 3339), or why it is unreadable.
pub(super) fn parse_time(what: &str, text: &str) -> Result<DateTime<Utc>, ServerError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| ServerError::Corrupt(format!("{what} {text:?}: {err}")))
}

/// The id and password hash of the user with this (normalised) email, to
/// check a sign-in against.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<Credentials>, ServerError> {
    let found: Option<(String, String, bool)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, password_hash, removed_at IS NOT NULL FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await?
    });
    let Some((user, password_hash, removed)) = found else {
        return Ok(None);
    };
    Ok(Some(Credentials {
        user: parse_id("user id", &user)?,
        password_hash,
        removed,
    }))
}

/// The password hash of a user who must exist (a signed-in one), to check
/// the current password before it is replaced.
pub async fn password_hash(db: &Db, user: Uuid) -> Result<String, ServerError> {
    let hash = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_one(pool)
            .await?
    });
    Ok(hash)
}

/// Stores a new password hash and moves the user to the next auth epoch,
/// which makes every session made before it stale.
pub async fn replace_password(
    tx: &mut Tx,
    user: Uuid,
    password_hash: &str,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET password_hash = $1, auth_epoch = auth_epoch + 1 WHERE id = $2",
        )
        .bind(password_hash)
        .bind(user.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Voids every invitation `user` made that nobody has used yet: after a
/// password change (the session that made them may have been stolen), a
/// removal or a demotion, none of them may bring anyone in.
pub async fn revoke_invitations_by(
    tx: &mut Tx,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE invitations SET revoked_at = $1 \
             WHERE invited_by = $2 AND used_by IS NULL AND revoked_at IS NULL",
        )
        .bind(now.to_rfc3339())
        .bind(user.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// The user's workspace, auth epoch, role and standing; `None` if there
/// is no such user.
pub async fn membership(db: &Db, user: Uuid) -> Result<Option<Membership>, ServerError> {
    type Row = (String, i64, String, bool, Option<String>);
    let found: Option<Row> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT workspace_id, auth_epoch, role, removed_at IS NOT NULL, last_seen \
             FROM users WHERE id = $1",
        )
        .bind(user.to_string())
        .fetch_optional(pool)
        .await?
    });
    let Some((workspace, auth_epoch, role, removed, last_seen)) = found else {
        return Ok(None);
    };
    Ok(Some(Membership {
        workspace: WorkspaceId(parse_id("workspace id", &workspace)?),
        auth_epoch,
        role: parse_role(&role)?,
        removed,
        last_seen: last_seen
            .map(|text| parse_time("last_seen", &text))
            .transpose()?,
    }))
}

/// Records that a session of `user` was used at `now`. The caller writes
/// at most once a minute per account (see `Membership::last_seen`).
pub async fn touch_last_seen(db: &Db, user: Uuid, now: DateTime<Utc>) -> Result<(), ServerError> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE users SET last_seen = $1 WHERE id = $2")
            .bind(now.to_rfc3339())
            .bind(user.to_string())
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The email and workspace name of `user`, only while they are a member of
/// `workspace`: what the app shows as the signed-in account.
pub async fn member_account(
    db: &Db,
    user: Uuid,
    workspace: WorkspaceId,
) -> Result<Option<Account>, ServerError> {
    let found: Option<(String, String, String, String)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT users.email, workspaces.name, users.role, \
             COALESCE(users.display_name, users.email) FROM users \
             JOIN workspaces ON workspaces.id = users.workspace_id \
             WHERE users.id = $1 AND users.workspace_id = $2 AND users.removed_at IS NULL",
        )
        .bind(user.to_string())
        .bind(workspace.0.to_string())
        .fetch_optional(pool)
        .await?
    });
    let Some((email, workspace_name, role, display_name)) = found else {
        return Ok(None);
    };
    Ok(Some(Account {
        user_id: user,
        email,
        workspace_id: workspace.0,
        workspace_name,
        role: parse_role(&role)?,
        display_name,
    }))
}

/// Makes an empty workspace, inside the sign-up's transaction.
pub async fn create_workspace(
    tx: &mut Tx,
    workspace: WorkspaceId,
    name: &str,
    created_at: DateTime<Utc>,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO workspaces (id, name, change_counter, created_at) VALUES ($1, $2, 0, $3)",
        )
        .bind(workspace.0.to_string())
        .bind(name)
        .bind(created_at.to_rfc3339())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Stores a user on their first password (auth epoch 0) with their role, inside the
/// sign-up's or the join's transaction. A taken email is an answer, not a
/// failure: the email is the only unique value a caller chooses.
pub async fn create_user(tx: &mut Tx, new: &NewUser<'_>) -> Result<UserCreation, ServerError> {
    // A unique violation ends a PostgreSQL transaction; the caller only
    // rolls back after one, as it does on SQLite.
    let inserted = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO users (id, workspace_id, email, password_hash, auth_epoch, created_at, role) \
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(new.user.to_string())
        .bind(new.workspace.0.to_string())
        .bind(new.email)
        .bind(new.password_hash)
        .bind(new.created_at.to_rfc3339())
        .bind(new.role.as_str())
        .execute(conn)
        .await
        .map(|_| ())
    });
    match inserted {
        Ok(_) => Ok(UserCreation::Created),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Ok(UserCreation::EmailTaken)
        }
        Err(error) => Err(error.into()),
    }
}

/// Keeps an invitation until it is used, revoked or expires.
pub async fn create_invitation(db: &Db, invitation: &NewInvitation<'_>) -> Result<(), ServerError> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO invitations \
             (token_hash, workspace_id, invited_by, created_at, expires_at, id, role) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invitation.token_digest)
        .bind(invitation.workspace.0.to_string())
        .bind(invitation.invited_by.to_string())
        .bind(invitation.created_at.to_rfc3339())
        .bind(invitation.expires_at.to_rfc3339())
        .bind(invitation.id.to_string())
        .bind(invitation.role.as_str())
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The name of the workspace an invitation leads to, while it is unused,
/// unrevoked and unexpired at `now`: what the join page shows before anyone signs up.
pub async fn usable_invitation_workspace_name(
    db: &Db,
    token_digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServerError> {
    let name = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT workspaces.name FROM invitations \
             JOIN workspaces ON workspaces.id = invitations.workspace_id \
             WHERE token_hash = $1 AND used_by IS NULL AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token_digest)
        .bind(now.to_rfc3339())
        .fetch_optional(pool)
        .await?
    });
    Ok(name)
}

/// The workspace an invitation leads to and the role it grants, while it
/// is unused, unrevoked and unexpired at `now`, read inside the join's transaction so that only one person can
/// use it: SQLite's write lock, or on PostgreSQL the invitation's row lock
/// (`FOR UPDATE`, which SQLite has no need of and does not parse), keeps
/// a second join waiting until the first has marked it used.
pub async fn usable_invitation_workspace(
    tx: &mut Tx,
    token_digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<UsableInvitation>, ServerError> {
    let lock = tx.dialect().for_update();
    let sql = format!(
        "SELECT workspace_id, role FROM invitations \
         WHERE token_hash = $1 AND used_by IS NULL AND revoked_at IS NULL \
         AND expires_at > $2{lock}"
    );
    let found: Option<(String, String)> = on_tx!(tx, |conn| {
        sqlx::query_as(&sql)
            .bind(token_digest)
            .bind(now.to_rfc3339())
            .fetch_optional(conn)
            .await?
    });
    let Some((workspace, role)) = found else {
        return Ok(None);
    };
    Ok(Some(UsableInvitation {
        workspace: WorkspaceId(parse_id("invitation workspace id", &workspace)?),
        role: parse_role(&role)?,
    }))
}

/// Records who used an invitation, in the join's transaction: it leads
/// nowhere after that.
pub async fn mark_invitation_used(
    tx: &mut Tx,
    token_digest: &str,
    used_by: Uuid,
) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query("UPDATE invitations SET used_by = $1 WHERE token_hash = $2")
            .bind(used_by.to_string())
            .bind(token_digest)
            .execute(conn)
            .await?;
    });
    Ok(())
}
