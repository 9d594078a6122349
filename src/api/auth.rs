//! Accounts over the wire (DESIGN.md section 6): sign up, sign in and out,
//! invitations and passwords. Sign-up, sign-in and joining set the session
//! cookie; everything else needs it.

use crate::domain::{Account, Invitation, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use super::ssr;

/// Creates a workspace with its first member and signs them in.
#[server(prefix = "/api", endpoint = "auth/signup", input = Json, output = Json)]
pub async fn signup(
    email: String,
    password: String,
    workspace_name: String,
) -> Result<Account, AppError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let address = ssr::address(&state).await;
    state
        .accounts
        .sign_up(&session, address, &email, &password, &workspace_name)
        .await
        .map_err(ssr::respond)
}

/// Signs in on a fresh session id.
#[server(prefix = "/api", endpoint = "auth/login", input = Json, output = Json)]
pub async fn login(email: String, password: String) -> Result<Account, AppError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let address = ssr::address(&state).await;
    state
        .accounts
        .sign_in(&session, address, &email, &password)
        .await
        .map_err(ssr::respond)
}

/// Ends the session on the server and has the browser erase its copy.
#[server(prefix = "/api", endpoint = "auth/logout", input = Json, output = Json)]
pub async fn logout() -> Result<(), AppError> {
    // Whatever becomes of the server session, the local copy goes.
    ssr::clear_site_storage();
    let state = ssr::state()?;
    let session = ssr::session().await?;
    state
        .accounts
        .sign_out(&session)
        .await
        .map_err(ssr::respond)
}

/// Who this session belongs to, with their current role and display name;
/// 401 when signed out (`Removed` once removed from the workspace). Lets a
/// browser whose local account record was lost pick up a session it still
/// has, and learn a role changed since.
#[server(prefix = "/api", endpoint = "auth/me", input = Json, output = Json)]
pub async fn me() -> Result<Account, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    state.accounts.account(&user).await.map_err(ssr::respond)
}

/// A single-use invitation to the caller's workspace, granting `role`
/// (`member` when absent, as callers from before roles sent `{}`); admins
/// only, 403 otherwise.
#[server(prefix = "/api", endpoint = "auth/invite", input = Json, output = Json)]
pub async fn invite(role: Option<Role>) -> Result<Invitation, AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    state
        .accounts
        .invite(&user, role.unwrap_or_default())
        .await
        .map_err(ssr::respond)
}

/// The workspace an invitation leads to, for the join page to name it.
#[server(prefix = "/api", endpoint = "auth/invitation", input = Json, output = Json)]
pub async fn invitation_workspace(token: String) -> Result<String, AppError> {
    let state = ssr::state()?;
    state
        .accounts
        .invitation_workspace(&token)
        .await
        .map_err(ssr::respond)
}

/// Creates an account in the invitation's workspace and signs it in.
#[server(prefix = "/api", endpoint = "auth/join", input = Json, output = Json)]
pub async fn join(token: String, email: String, password: String) -> Result<Account, AppError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let address = ssr::address(&state).await;
    state
        .accounts
        .join(&session, address, &token, &email, &password)
        .await
        .map_err(ssr::respond)
}

/// Replaces the password; other sessions of this user end.
#[server(prefix = "/api", endpoint = "auth/password", input = Json, output = Json)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let state = ssr::state()?;
    let user = ssr::signed_in(&state).await?;
    let session = ssr::session().await?;
    let address = ssr::address(&state).await;
    state
        .accounts
        .change_password(&session, address, &user, &current_password, &new_password)
        .await
        .map_err(ssr::respond)
}
