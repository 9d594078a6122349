//! Accounts as both sides see them: who is signed in, and the rules for
//! the sign-up and password fields, so the form and the server refuse the
//! same input with the same words.

use super::schema::{is_plausible_email, FieldError, EMAIL_MAX, NAME_MAX};
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
}

/// A fresh invitation to the inviter's workspace; the token is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub token: String,
    pub workspace_name: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// One address is one account, whatever its capitalisation or spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The email of a sign-up or sign-in, normalised.
pub fn check_email(email: &str) -> Result<String, FieldError> {
    let email = normalize_email(email);
    if email.is_empty() {
        return Err(FieldError::new("email", "Email is required"));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(FieldError::new(
            "email",
            format!("Email must be at most {EMAIL_MAX} characters"),
        ));
    }
    if !is_plausible_email(&email) {
        return Err(FieldError::new(
            "email",
            "Email must be an address like name@example.com",
        ));
    }
    Ok(email)
}

/// A new password (sign-up, joining, changing it), checked under `field`.
pub fn check_new_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            format!("Password must be at least {PASSWORD_MIN} characters"),
        ));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(FieldError::new(
            field,
            format!("Password must be at most {PASSWORD_MAX_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// The name of a new workspace, trimmed.
pub fn check_workspace_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
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
