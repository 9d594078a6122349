//! The workspace's team (DESIGN.md section 6, "Teams"): listing members
//! and pending invitations, and the admin's changes to them. Who may do
//! what is `domain::Role`; that the last admin stays is
//! `domain::keeps_an_admin`, checked here under the admins' row locks.
//! The statements are in `repository::team`.

use super::auth::Member;
use super::error::ServerError;
use super::repository::accounts as accounts_repo;
use super::repository::team as repo;
use super::repository::{Db, Tx};
use crate::domain::{check_display_name, keeps_an_admin, FieldError, Role, Team, TeamChange};
use crate::error::AppError;
use chrono::Utc;
use uuid::Uuid;

/// Why a team call was refused, before it is told to the client.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// A value names nothing usable; the message names the field: 400.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for TeamError {
    fn from(error: sqlx::Error) -> Self {
        TeamError::Server(ServerError::Database(error))
    }
}

/// What the client is told of a refused team call.
impl From<TeamError> for AppError {
    fn from(error: TeamError) -> Self {
        match error {
            TeamError::Invalid(field) => AppError::Field(field),
            TeamError::Server(error) => error.into(),
        }
    }
}

/// Who is in the caller's workspace and who may still join; any member may
/// ask.
pub async fn team(db: &Db, caller: &Member) -> Result<Team, TeamError> {
    let workspace = caller.workspace();
    Ok(Team {
        members: repo::members(db, workspace).await?,
        invitations: repo::pending_invitations(db, workspace, Utc::now()).await?,
        former_members: repo::former_members(db, workspace).await?,
    })
}

/// Gives a member another role (admins only). Demoting an admin voids the
/// invitations they made that nobody used: they were made with an admin's
/// authority.
pub async fn change_role(
    db: &Db,
    caller: &Member,
    user: Uuid,
    role: Role,
) -> Result<(), TeamError> {
    let mut tx = admin_change(db, caller, user, TeamChange::SetRole(role)).await?;
    repo::set_role(&mut tx, caller.workspace(), user, role).await?;
    if role != Role::Admin {
        accounts_repo::revoke_invitations_by(&mut tx, user, Utc::now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a member (admins only): their sessions end at once on every
/// server, their password stops working, their unused invitations are void,
/// and their row stays for the records that name them.
pub async fn remove(db: &Db, caller: &Member, user: Uuid) -> Result<(), TeamError> {
    let mut tx = admin_change(db, caller, user, TeamChange::Remove).await?;
    let now = Utc::now();
    repo::remove_member(&mut tx, caller.workspace(), user, now).await?;
    accounts_repo::revoke_invitations_by(&mut tx, user, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes an invitation of the caller's workspace nobody has used (admins
/// only).
pub async fn revoke(db: &Db, caller: &Member, invitation: Uuid) -> Result<(), TeamError> {
    require_admin(caller)?;
    if repo::revoke_invitation(db, caller.workspace(), invitation, Utc::now()).await? {
        Ok(())
    } else {
        Err(FieldError::new(
            "invitation_id",
            "There is no unused invitation with this id in the workspace",
        )
        .into())
    }
}

/// Sets the caller's own display name, trimmed and checked; answers it.
pub async fn set_display_name(
    db: &Db,
    caller: &Member,
    display_name: &str,
) -> Result<String, TeamError> {
    let display_name = check_display_name(display_name)?;
    repo::set_display_name(db, caller.workspace(), caller.user_id, &display_name).await?;
    Ok(display_name)
}

fn require_admin(caller: &Member) -> Result<(), ServerError> {
    if caller.role.can_manage_team() {
        Ok(())
    } else {
        Err(not_an_admin())
    }
}

/// The 403 of a team change by someone who is not an admin.
fn not_an_admin() -> ServerError {
    ServerError::Forbidden("only an admin can change members and invitations".into())
}

/// Opens the transaction of an admin's change to `user` once it is allowed:
/// the caller is an admin, `user` is a current member, and the workspace
/// keeps an admin after it (409 otherwise).
async fn admin_change(
    db: &Db,
    caller: &Member,
    user: Uuid,
    change: TeamChange,
) -> Result<Tx, TeamError> {
    require_admin(caller)?;
    let workspace = caller.workspace();
    let mut tx = db.begin_write().await?;
    let admins = repo::admins_for_update(&mut tx, workspace).await?;
    // Checked again under the lock: an admin demoted a moment ago, by a
    // request this one waited for, no longer acts as one.
    if !admins.contains(&caller.user_id) {
        return Err(not_an_admin().into());
    }
    if repo::member_role(&mut tx, workspace, user).await?.is_none() {
        return Err(FieldError::new(
            "user_id",
            "There is no current member with this id in the workspace",
        )
        .into());
    }
    if !keeps_an_admin(&admins, user, change) {
        return Err(ServerError::Conflict(
            "the workspace must keep at least one admin; make another member admin first".into(),
        )
        .into());
    }
    Ok(tx)
}
