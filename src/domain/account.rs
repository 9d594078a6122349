//! Accounts as both sides see them: who is signed in, and the rules for
//! the sign-up and password fields, so the form and the server refuse the
//! same input with the same words.

use super::schema::{is_plausible_email, FieldError, EMAIL_MAX, NAME_MAX};
use super::team::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Shortest password accepted. Length is what makes a password strong;
/// composition rules only make people write them down (NIST SP 800-63B).
pub const PASSWORD_MIN: usize = 10;
/// Longest password accepted, in bytes: hashing cost grows with length, and
/// no real password is longer.
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// The signed-in user and their workspace: what the browser keeps to open
/// the right local store while offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_id: Uuid,
    pub email: String,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    /// What this member may do; the browser hides what the role may not.
    /// Absent from accounts stored before roles existed (read as member
    /// until the next `auth/me`).
    #[serde(default)]
    pub role: Role,
    /// The name the member set, else their email.
    #[serde(default)]
    pub display_name: String,
}

/// A fresh invitation to the inviter's workspace; the token is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub token: String,
    pub workspace_name: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Longest invitation token accepted, in bytes. The server makes them 43
/// characters long (32 random bytes in base64url); anything much longer
/// is not one of ours and is refused before it is hashed or looked up.
pub const INVITATION_TOKEN_MAX_BYTES: usize = 64;

/// Longest text, in bytes, that can hold `max_chars` characters: UTF-8
/// spends at most four bytes on one. Longer input is refused by its byte
/// length alone, before any of it is counted, copied or lowercased.
const fn most_bytes_in(max_chars: usize) -> usize {
    max_chars * 4
}

/// One address is one account, whatever its capitalisation or spaces.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn email_too_long() -> FieldError {
    FieldError::new(
        "email",
        format!("Email must be at most {EMAIL_MAX} characters"),
    )
}

/// The email of a sign-in, normalised: present and not too long. Unlike
/// `check_email` it does not judge the address, so every account made
/// under earlier rules can still sign in; the bound keeps an oversized
/// email from being lowercased, looked up or made a rate-limiter key.
pub fn check_sign_in_email(email: &str) -> Result<String, FieldError> {
    let trimmed = email.trim();
    if trimmed.len() > most_bytes_in(EMAIL_MAX) {
        return Err(email_too_long());
    }
    let email = normalize_email(trimmed);
    if email.is_empty() {
        return Err(FieldError::new("email", "Email is required"));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(email_too_long());
    }
    Ok(email)
}

/// The email of a new account, normalised.
pub fn check_email(email: &str) -> Result<String, FieldError> {
    let email = check_sign_in_email(email)?;
    if !is_plausible_email(&email) {
        return Err(FieldError::new(
            "email",
            "Email must be an address like name@example.com",
        ));
    }
    Ok(email)
}

/// A password given to be verified (signing in, or the current one when
/// changing it), checked under `field`: at most `PASSWORD_MAX_BYTES`, as no
/// account has a longer one and hashing cost grows with length.
pub fn check_password_length(field: &str, password: &str) -> Result<(), FieldError> {
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(FieldError::new(
            field,
            format!("Password must be at most {PASSWORD_MAX_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A new password (sign-up, joining, changing it), checked under `field`.
pub fn check_new_password(field: &str, password: &str) -> Result<(), FieldError> {
    check_password_length(field, password)?;
    if password.chars().count() < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            format!("Password must be at least {PASSWORD_MIN} characters"),
        ));
    }
    Ok(())
}

/// The name of a new workspace, trimmed.
pub fn check_workspace_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.len() > most_bytes_in(NAME_MAX) {
        return Err(FieldError::new(
            "workspace_name",
            format!("Workspace name must be at most {NAME_MAX} characters"),
        ));
    }
    let length = name.chars().count();
    if length == 0 {
        return Err(FieldError::new(
            "workspace_name",
            "Workspace name is required",
        ));
    }
    if length > NAME_MAX {
        return Err(FieldError::new(
            "workspace_name",
            format!("Workspace name must be at most {NAME_MAX} characters (it has {length})"),
        ));
    }
    Ok(name.to_owned())
}

/// An invitation token as pasted or linked: present and no longer than any
/// token the server makes, so a huge one is refused before it is hashed.
pub fn check_invitation_token(token: &str) -> Result<(), FieldError> {
    if token.is_empty() {
        return Err(FieldError::new("token", "The invitation token is missing"));
    }
    if token.len() > INVITATION_TOKEN_MAX_BYTES {
        return Err(FieldError::new(
            "token",
            format!(
                "An invitation token is at most {INVITATION_TOKEN_MAX_BYTES} characters; \
                 open the link you were sent again"
            ),
        ));
    }
    Ok(())
}

/// What a sign-up asks for, every field checked: what the server hashes,
/// counts and stores only once all of it is acceptable.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub workspace_name: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("workspace_name", &self.workspace_name)
            .finish_non_exhaustive()
    }
}

/// Checks a sign-up form, email first, as the form shows them.
pub fn check_sign_up(
    email: &str,
    password: &str,
    workspace_name: &str,
) -> Result<NewAccount, FieldError> {
    let email = check_email(email)?;
    check_new_password("password", password)?;
    let workspace_name = check_workspace_name(workspace_name)?;
    Ok(NewAccount {
        email,
        password: password.to_owned(),
        workspace_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_one_account_whatever_their_case_and_spaces() {
        assert_eq!(
            check_email("  Ada@Example.COM ").as_deref(),
            Ok("ada@example.com")
        );
        assert_eq!(check_email("").unwrap_err().field, "email");
        assert_eq!(check_email("ada@").unwrap_err().field, "email");
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check_email(&long).unwrap_err().message.contains("254"));
    }

    #[test]
    fn passwords_need_length_not_composition() {
        assert!(check_new_password("password", "correct horse").is_ok());
        assert!(check_new_password("password", "aaaaaaaaaa").is_ok());
        let short = check_new_password("new_password", "short").unwrap_err();
        assert_eq!(short.field, "new_password");
        assert!(short.message.contains("at least 10"));
        assert!(check_new_password("password", &"x".repeat(PASSWORD_MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn the_password_cap_counts_bytes_so_it_holds_for_multi_byte_text() {
        // 600 characters, 1,200 bytes: under the cap by characters, over it by bytes.
        let accented = "é".repeat(600);
        for field in ["password", "current_password", "new_password"] {
            let refused = check_password_length(field, &accented).unwrap_err();
            assert_eq!(refused.field, field);
            assert!(refused.message.contains("1024 bytes"), "{refused:?}");
        }
        assert_eq!(
            check_new_password("new_password", &accented)
                .unwrap_err()
                .field,
            "new_password"
        );
        assert!(check_password_length("password", &"é".repeat(512)).is_ok());
    }

    #[test]
    fn an_oversized_email_is_refused_by_its_length_whatever_it_holds() {
        let eight_megabytes = "A".repeat(8_000_000);
        for check in [check_sign_in_email, check_email] {
            let refused = check(&eight_megabytes).unwrap_err();
            assert_eq!(refused.field, "email");
            assert!(refused.message.contains("254"), "{refused:?}");
        }
        // Spaces around an address do not count; capitals are folded.
        assert_eq!(
            check_sign_in_email("  Old.Style@Localhost ").as_deref(),
            Ok("old.style@localhost")
        );
        assert_eq!(check_sign_in_email("   ").unwrap_err().field, "email");
    }

    #[test]
    fn invitation_tokens_longer_than_any_the_server_makes_are_refused() {
        assert!(check_invitation_token(&"a".repeat(43)).is_ok());
        assert_eq!(check_invitation_token("").unwrap_err().field, "token");
        let refused = check_invitation_token(&"a".repeat(8_000_000)).unwrap_err();
        assert_eq!(refused.field, "token");
        assert!(refused.message.contains("64"), "{refused:?}");
    }

    #[test]
    fn a_sign_up_is_checked_field_by_field_before_anything_is_made() {
        let account = check_sign_up(" Ada@Example.test", "correct horse", " Acme ").unwrap();
        assert_eq!(account.email, "ada@example.test");
        assert_eq!(account.workspace_name, "Acme");
        assert!(!format!("{account:?}").contains("correct horse"));
        let huge = "w".repeat(8_000_000);
        for (email, password, name, field) in [
            (huge.as_str(), "correct horse", "Acme", "email"),
            ("ada@example.test", huge.as_str(), "Acme", "password"),
            (
                "ada@example.test",
                "correct horse",
                huge.as_str(),
                "workspace_name",
            ),
        ] {
            assert_eq!(
                check_sign_up(email, password, name).unwrap_err().field,
                field
            );
        }
    }

    #[test]
    fn workspace_names_are_trimmed_and_bounded() {
        assert_eq!(
            check_workspace_name("  Acme Sales ").as_deref(),
            Ok("Acme Sales")
        );
        assert_eq!(
            check_workspace_name("   ").unwrap_err().field,
            "workspace_name"
        );
        assert!(check_workspace_name(&"x".repeat(201)).is_err());
    }
}
