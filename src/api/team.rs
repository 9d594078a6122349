//! The team over the wire (DESIGN.md section 6, "Teams"): any member lists
//! members and pending invitations; admins change roles, remove members
//! and revoke invitations (403 for anyone else, 409 when the workspace
//! would lose its last admin). `team/display_name` (each member names
//! themself) and `team/reassign` (an admin hands a member's records to
//! another) are extensions.

use crate::domain::{Role, Team};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::ssr;

/// The workspace's members and its pending invitations.
#[server(prefix = "/api", endpoint = "team/members", input = Json, output = Json)]
pub async fn members() -> Result<Team, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::team::team(&state.pool, &user)
        .await
        .map_err(ssr::respond)
}

/// Gives a member another role (admins only).
#[server(prefix = "/api", endpoint = "team/role", input = Json, output = Json)]
pub async fn change_role(user_id: Uuid, role: Role) -> Result<(), AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::team::change_role(&state.pool, &user, user_id, role)
        .await
        .map_err(ssr::respond)
}

/// Removes a member from the workspace (admins only); their sessions end.
#[server(prefix = "/api", endpoint = "team/remove", input = Json, output = Json)]
pub async fn remove(user_id: Uuid) -> Result<(), AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::team::remove(&state.pool, &user, user_id)
        .await
        .map_err(ssr::respond)
}

/// Revokes an invitation nobody has used yet (admins only).
#[server(prefix = "/api", endpoint = "team/revoke", input = Json, output = Json)]
pub async fn revoke(invitation_id: Uuid) -> Result<(), AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::team::revoke(&state.pool, &user, invitation_id)
        .await
        .map_err(ssr::respond)
}

/// Gives every record a member owns or is assigned to another, current
/// member (admins only): a removed member's customers, leads,
/// opportunities and tasks in one step. Answers how many records changed.
/// An extension of DESIGN.md section 6.
#[server(prefix = "/api", endpoint = "team/reassign", input = Json, output = Json)]
pub async fn reassign(from: Uuid, to: Uuid) -> Result<u64, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::owners::reassign(&state.pool, &user, from, to)
        .await
        .map_err(ssr::respond)
}

/// Sets the caller's own display name (trimmed, 1 to 80 characters);
/// answers the name as stored.
#[server(prefix = "/api", endpoint = "team/display_name", input = Json, output = Json)]
pub async fn set_display_name(display_name: String) -> Result<String, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    crate::server::team::set_display_name(&state.pool, &user, &display_name)
        .await
        .map_err(ssr::respond)
}
