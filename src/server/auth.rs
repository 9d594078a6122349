//! Accounts: sign-up, sign-in, invitations and passwords, and the check
//! every data request passes through (DESIGN.md section 6).
//!
//! Passwords are stored only as argon2id hashes. A sign-in for an unknown
//! email still verifies a password against a hash made at startup, so a
//! wrong email and a wrong password take the same time. Every text a caller
//! sends is checked for length first; then attempts are rate limited per
//! account and per address; only then is anything hashed or looked up.
//! The statements themselves are in `repository::accounts`.

use super::error::ServerError;
use super::limiter::BoundedLimiter;
use super::repository::accounts::{self as repo, Membership, NewInvitation, NewUser, UserCreation};
use super::repository::{Db, Tx, WorkspaceId};
use super::security::rate_limit_key;
use super::sessions::SessionTable;
use crate::domain::{
    check_email, check_invitation_token, check_new_password, check_password_length,
    check_sign_in_email, check_sign_up, Account, FieldError, Invitation, NewAccount, Role,
};
use crate::error::AppError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use chrono::{DateTime, Duration as Days, Utc};
use governor::Quota;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::session::Record;
use tower_sessions::{session_store, Session, SessionStore};
use uuid::Uuid;

/// The session key under which the signed-in user is kept.
const SESSION_USER: &str = "user";
/// What a session id replaced at sign-in keeps, so the id still names a
/// session (one that belongs to nobody).
const SESSION_REPLACED: &str = "replaced";
/// How long an invitation link stays usable.
const INVITATION_DAYS: i64 = 7;
/// How stale `last_seen` may get before a request writes it again: at
/// most one write a minute per account, not one per request.
const LAST_SEEN_EVERY_SECS: i64 = 60;

/// Why an account action was refused; mapped once to what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A form value is wrong; the message names the field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The email is unknown or the password is wrong: deliberately one case.
    #[error("the email or password is wrong")]
    WrongCredentials,
    /// Too many attempts from this address or on this account.
    #[error("too many attempts; retry in {} s", retry_after.as_secs())]
    TooManyAttempts { retry_after: Duration },
    /// No valid session: never signed in, signed out, or the password changed.
    #[error("not signed in")]
    NotSignedIn,
    /// The account was removed from its workspace: its sessions and its
    /// password no longer work, and the browser should erase its copy.
    #[error("removed from the workspace")]
    Removed,
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        AuthError::Server(ServerError::Database(error))
    }
}

impl From<tower_sessions::session::Error> for AuthError {
    fn from(error: tower_sessions::session::Error) -> Self {
        AuthError::Server(ServerError::Session(error.to_string()))
    }
}

impl From<session_store::Error> for AuthError {
    fn from(error: session_store::Error) -> Self {
        AuthError::Server(ServerError::Session(error.to_string()))
    }
}

/// Who a session belongs to. The epoch ties it to the password it was made
/// with: changing the password ends every other session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user_id: Uuid,
    workspace_id: Uuid,
    auth_epoch: i64,
}

impl SignedIn {
    /// The only workspace this session may read or write.
    pub fn workspace(&self) -> WorkspaceId {
        WorkspaceId(self.workspace_id)
    }
}

/// A valid session's account as of this request: who it is, where, and
/// the role they hold now (read afresh on every request, so a role change
/// applies to the very next one; it is not part of the session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub role: Role,
    workspace: WorkspaceId,
}

impl Member {
    /// The only workspace this member may read or write.
    pub fn workspace(&self) -> WorkspaceId {
        self.workspace
    }
}

/// How many sign-in attempts are allowed before the limiter answers 429.
#[derive(Clone, Copy, Debug)]
pub struct AttemptLimits {
    /// On one account, from anywhere: stops guessing one user's password.
    pub per_account: Quota,
    /// From one address, on any account: stops spraying many accounts.
    pub per_address: Quota,
}

impl Default for AttemptLimits {
    /// Five tries on an account, then one every 30 s; thirty from an
    /// address, then one every 2 s. A person who mistypes never notices.
    fn default() -> Self {
        Self {
            per_account: quota(Duration::from_secs(30), 5),
            per_address: quota(Duration::from_secs(2), 30),
        }
    }
}

/// A quota of `burst` attempts that refills one every `period`.
pub fn quota(period: Duration, burst: u32) -> Quota {
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// Counts attempts per account and per address (an IPv6 address per /64),
/// in memory with a fixed bound (see `limiter`).
struct AttemptLimiter {
    per_account: BoundedLimiter,
    per_address: BoundedLimiter,
}

impl AttemptLimiter {
    fn new(limits: AttemptLimits) -> Self {
        Self {
            per_account: BoundedLimiter::new(limits.per_account),
            per_address: BoundedLimiter::new(limits.per_address),
        }
    }

    /// Counts an attempt from `address`, and on `account` (a checked,
    /// normalised email) when there is one.
    fn check(&self, account: Option<&str>, address: IpAddr) -> Result<(), AuthError> {
        let refused = |retry_after| AuthError::TooManyAttempts { retry_after };
        self.per_address
            .check(&rate_limit_key(address))
            .map_err(refused)?;
        if let Some(account) = account {
            self.per_account.check(account).map_err(refused)?;
        }
        Ok(())
    }
}

/// The accounts service the server functions call; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    pool: Db,
    sessions: SessionTable,
    limiter: Arc<AttemptLimiter>,
    /// Verified against when the email is unknown, to spend the same time.
    stand_in_hash: Arc<str>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| ServerError::Startup(format!("hashing a password failed: {err}")))
    })
    .await
    .map_err(|err| ServerError::Startup(format!("the hashing task failed: {err}")))?
    .map_err(AuthError::from)
}

async fn password_matches(password: String, hash: Arc<str>) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|err| ServerError::Corrupt(format!("a password hash: {err}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|err| ServerError::Startup(format!("the hashing task failed: {err}")))?
}

/// Only a digest of an invitation token is stored.
fn token_digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn email_taken() -> AuthError {
    AuthError::Invalid(FieldError::new(
        "email",
        "An account with this email already exists; sign in instead",
    ))
}

impl Accounts {
    /// Prepares the service; hashes the stand-in password once.
    pub async fn new(
        pool: Db,
        sessions: SessionTable,
        limits: AttemptLimits,
    ) -> Result<Self, ServerError> {
        let stand_in_hash = hash_password(new_token()).await.map_err(|err| match err {
            AuthError::Server(err) => err,
            other => ServerError::Startup(other.to_string()),
        })?;
        Ok(Self {
            pool,
            sessions,
            limiter: Arc::new(AttemptLimiter::new(limits)),
            stand_in_hash: stand_in_hash.into(),
        })
    }

    /// Creates a workspace and its first member, and signs them in.
    pub async fn sign_up(
        &self,
        session: &Session,
        address: IpAddr,
        email: &str,
        password: &str,
        workspace_name: &str,
    ) -> Result<Account, AuthError> {
        let account = check_sign_up(email, password, workspace_name)?;
        self.limiter.check(None, address)?;
        let (user, _) = create_account(&self.pool, &account).await?;
        self.start_session(session, user).await
    }

    /// Checks email and password and signs the user in on a new session id.
    pub async fn sign_in(
        &self,
        session: &Session,
        address: IpAddr,
        email: &str,
        password: &str,
    ) -> Result<Account, AuthError> {
        let email = check_sign_in_email(email)?;
        check_password_length("password", password)?;
        self.limiter.check(Some(&email), address)?;
        let (user, hash) = match repo::user_by_email(&self.pool, &email).await? {
            Some(found) => (
                Some((found.user, found.removed)),
                Arc::from(found.password_hash),
            ),
            None => (None, Arc::clone(&self.stand_in_hash)),
        };
        let matches = password_matches(password.to_owned(), hash).await?;
        match user {
            // Said only to whoever knows the password.
            Some((_, true)) if matches => Err(AuthError::Removed),
            Some((user, false)) if matches => self.start_session(session, user).await,
            _ => Err(AuthError::WrongCredentials),
        }
    }

    /// Ends the session on the server; its cookie becomes worthless.
    pub async fn sign_out(&self, session: &Session) -> Result<(), AuthError> {
        session.flush().await?;
        Ok(())
    }

    /// The session's member, if the session is still valid. Every data
    /// request starts here. A removed member's sessions answer `Removed`,
    /// on every server at once: the check reads the database each time.
    /// Marks the member seen, at most once a minute.
    pub async fn signed_in(&self, session: &Session) -> Result<Member, AuthError> {
        let Some(claimed) = session.get::<SignedIn>(SESSION_USER).await? else {
            return Err(AuthError::NotSignedIn);
        };
        let Some(membership) = repo::membership(&self.pool, claimed.user_id).await? else {
            return Err(AuthError::NotSignedIn);
        };
        if membership.removed {
            return Err(AuthError::Removed);
        }
        // A stale session is refused but left to expire: deleting it would
        // make the session layer send a cookie removal, which can reach the
        // browser after, and erase, the cookie of the sign-in that follows.
        if claim_of(claimed.user_id, &membership) != claimed {
            return Err(AuthError::NotSignedIn);
        }
        let now = Utc::now();
        if seen_long_ago(membership.last_seen, now) {
            repo::touch_last_seen(&self.pool, claimed.user_id, now).await?;
        }
        Ok(Member {
            user_id: claimed.user_id,
            role: membership.role,
            workspace: membership.workspace,
        })
    }

    /// The account behind a valid session, with its current role.
    pub async fn account(&self, user: &Member) -> Result<Account, AuthError> {
        self.account_in(user.user_id, user.workspace()).await
    }

    async fn account_in(&self, user: Uuid, workspace: WorkspaceId) -> Result<Account, AuthError> {
        repo::member_account(&self.pool, user, workspace)
            .await?
            .ok_or(AuthError::NotSignedIn)
    }

    /// Replaces the password after checking the current one. Other sessions
    /// end; this one continues on a new id. The invitations this account
    /// made and nobody used are void: a thief who made them with a stolen
    /// session cannot outlive the password change through them.
    pub async fn change_password(
        &self,
        session: &Session,
        address: IpAddr,
        user: &Member,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), AuthError> {
        check_password_length("current_password", current_password)?;
        check_new_password("new_password", new_password)?;
        let account = self.account(user).await?;
        self.limiter.check(Some(&account.email), address)?;
        let hash = repo::password_hash(&self.pool, user.user_id).await?;
        if !password_matches(current_password.to_owned(), hash.into()).await? {
            return Err(
                FieldError::new("current_password", "The current password is wrong").into(),
            );
        }
        let hash = hash_password(new_password.to_owned()).await?;
        let mut tx = self.pool.begin_write().await?;
        repo::replace_password(&mut tx, user.user_id, &hash).await?;
        repo::revoke_invitations_by(&mut tx, user.user_id, Utc::now()).await?;
        tx.commit().await?;
        self.start_session(session, user.user_id).await.map(drop)
    }

    /// A single-use link to the member's workspace granting `role`, valid
    /// for a week; only admins invite.
    pub async fn invite(&self, user: &Member, role: Role) -> Result<Invitation, AuthError> {
        if !user.role.can_manage_team() {
            return Err(ServerError::Forbidden("only an admin can invite people".into()).into());
        }
        let account = self.account(user).await?;
        let token = new_token();
        let now = Utc::now();
        let expires_at = now + Days::days(INVITATION_DAYS);
        let invitation = NewInvitation {
            id: Uuid::now_v7(),
            role,
            token_digest: &token_digest(&token),
            workspace: user.workspace(),
            invited_by: user.user_id,
            created_at: now,
            expires_at,
        };
        repo::create_invitation(&self.pool, &invitation).await?;
        Ok(Invitation {
            token,
            workspace_name: account.workspace_name,
            expires_at,
        })
    }

    /// The name of the workspace an unused, unexpired invitation leads to.
    pub async fn invitation_workspace(&self, token: &str) -> Result<String, AuthError> {
        check_invitation_token(token)?;
        repo::usable_invitation_workspace_name(&self.pool, &token_digest(token), Utc::now())
            .await?
            .ok_or_else(|| unusable_invitation().into())
    }

    /// Creates an account in the invitation's workspace and signs it in.
    pub async fn join(
        &self,
        session: &Session,
        address: IpAddr,
        token: &str,
        email: &str,
        password: &str,
    ) -> Result<Account, AuthError> {
        check_invitation_token(token)?;
        let email = check_email(email)?;
        check_new_password("password", password)?;
        self.limiter.check(None, address)?;
        let hash = hash_password(password.to_owned()).await?;
        let now = Utc::now();
        let digest = token_digest(token);
        let mut tx = self.pool.begin_write().await?;
        let invitation = repo::usable_invitation_workspace(&mut tx, &digest, now)
            .await?
            .ok_or_else(unusable_invitation)?;
        let user = Uuid::now_v7();
        let new_user = NewUser {
            user,
            workspace: invitation.workspace,
            email: &email,
            password_hash: &hash,
            role: invitation.role,
            created_at: now,
        };
        create_user(&mut tx, &new_user).await?;
        repo::mark_invitation_used(&mut tx, &digest, user).await?;
        tx.commit().await?;
        self.start_session(session, user).await
    }

    /// Puts the user in the session under a fresh id, so an id planted
    /// before sign-in (session fixation) is worthless after it.
    ///
    /// The replaced id stays in the store, holding no user. Requests the
    /// browser sent with it before this sign-in answered are then refused
    /// with 401 like any stale session; were the id deleted, the session
    /// layer would answer them with a cookie removal that, arriving after
    /// this response, erases the new cookie.
    async fn start_session(&self, session: &Session, user: Uuid) -> Result<Account, AuthError> {
        let signed_in = match repo::membership(&self.pool, user).await? {
            Some(membership) if !membership.removed => claim_of(user, &membership),
            Some(_) => return Err(AuthError::Removed),
            None => return Err(AuthError::NotSignedIn),
        };
        let replaced = match session.id() {
            Some(id) => self.sessions.load(&id).await?,
            None => None,
        };
        session.cycle_id().await?;
        session.insert(SESSION_USER, signed_in).await?;
        if let Some(replaced) = replaced {
            let placeholder = Record {
                data: [(SESSION_REPLACED.to_owned(), serde_json::Value::Bool(true))].into(),
                ..replaced
            };
            self.sessions.save(&placeholder).await?;
        }
        self.account_in(user, signed_in.workspace()).await
    }
}

/// What a session of `user` made now would hold: their workspace and
/// password epoch. A session is valid while it still equals this.
fn claim_of(user: Uuid, membership: &Membership) -> SignedIn {
    SignedIn {
        user_id: user,
        workspace_id: membership.workspace.0,
        auth_epoch: membership.auth_epoch,
    }
}

/// Whether `last_seen` is old enough (or absent) to be written again.
fn seen_long_ago(last_seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_seen.is_none_or(|seen| now - seen >= Days::seconds(LAST_SEEN_EVERY_SECS))
}

fn unusable_invitation() -> FieldError {
    FieldError::new(
        "token",
        "This invitation link has expired or was already used; ask for a new one",
    )
}

/// Stores a new user, refusing an email that already has an account.
async fn create_user(tx: &mut Tx, new_user: &NewUser<'_>) -> Result<(), AuthError> {
    match repo::create_user(tx, new_user).await? {
        UserCreation::Created => Ok(()),
        UserCreation::EmailTaken => Err(email_taken()),
    }
}

/// Makes a workspace and its first member, its admin, from a checked sign-up
/// (`domain::check_sign_up`). Sign-up uses it behind the rate limit; the
/// seed command uses it to make a benchmark account.
pub async fn create_account(
    pool: &Db,
    account: &NewAccount,
) -> Result<(Uuid, WorkspaceId), AuthError> {
    let NewAccount {
        email,
        password,
        workspace_name,
    } = account;
    let hash = hash_password(password.clone()).await?;
    let workspace = WorkspaceId(Uuid::now_v7());
    let user = Uuid::now_v7();
    let now = Utc::now();
    let mut tx = pool.begin_write().await?;
    repo::create_workspace(&mut tx, workspace, workspace_name, now).await?;
    // A workspace's first account is its admin.
    let new_user = NewUser {
        user,
        workspace,
        email,
        password_hash: &hash,
        role: Role::Admin,
        created_at: now,
    };
    create_user(&mut tx, &new_user).await?;
    tx.commit().await?;
    Ok((user, workspace))
}

/// What the client is told of a failed account action.
impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid(field) => AppError::Field(field),
            AuthError::WrongCredentials => AppError::SignInFailed,
            AuthError::TooManyAttempts { retry_after } => AppError::TooManyAttempts {
                retry_after_secs: retry_after.as_secs().max(1),
            },
            AuthError::NotSignedIn => AppError::NotSignedIn,
            AuthError::Removed => AppError::Removed,
            AuthError::Server(error) => error.into(),
        }
    }
}
