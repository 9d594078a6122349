//! A workspace as a team: the roles its members hold, what each role may
//! do, and the rule that a workspace always keeps an admin. Pure rules, so
//! the server enforces them and the browser mirrors them, offline too.

use super::schema::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest display name, in characters: a name, not a paragraph.
pub const DISPLAY_NAME_MAX: usize = 80;

/// What a member may do in their workspace (DESIGN.md section 6, "Teams").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including members and invitations.
    Admin,
    /// Reads and changes every record; cannot manage the team. The role an
    /// account record stored before roles existed is read as.
    #[default]
    Member,
    /// Reads everything, changes nothing.
    Viewer,
}

impl Role {
    /// Every role, for lists and exhaustive tests.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Member, Role::Viewer];

    /// Whether a push from this role may change records.
    pub fn can_edit(self) -> bool {
        matches!(self, Role::Admin | Role::Member)
    }

    /// Whether this role may invite, revoke invitations, change roles and
    /// remove members.
    pub fn can_manage_team(self) -> bool {
        self == Role::Admin
    }

    /// The role's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// The role stored as `name`; `None` for anything else.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an admin does to a member: the changes that can cost the workspace
/// its last admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamChange {
    /// The member gets this role.
    SetRole(Role),
    /// The member leaves the workspace.
    Remove,
}

/// Whether the workspace still has an admin after `change` is made to
/// `target`, given the ids of its current admins. The last admin can be
/// neither demoted nor removed, by anyone, themself included.
pub fn keeps_an_admin(admins: &[Uuid], target: Uuid, change: TeamChange) -> bool {
    let stays_admin = change == TeamChange::SetRole(Role::Admin);
    stays_admin || admins.iter().any(|admin| *admin != target)
}

/// A display name as set by its member, trimmed: 1 to
/// [`DISPLAY_NAME_MAX`] characters.
pub fn check_display_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    // Refused by byte length first, before any character is counted.
    if name.len() > DISPLAY_NAME_MAX * 4 || name.chars().count() > DISPLAY_NAME_MAX {
        return Err(FieldError::new(
            "display_name",
            format!("Display name must be at most {DISPLAY_NAME_MAX} characters"),
        ));
    }
    if name.is_empty() {
        return Err(FieldError::new("display_name", "Display name is required"));
    }
    Ok(name.to_owned())
}

/// One member of the workspace as the team list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: Uuid,
    pub email: String,
    /// The name they set, else their email: always something to show.
    pub display_name: String,
    pub role: Role,
    /// When a session of theirs was last used (to the minute); `None` if
    /// never since roles were introduced.
    pub last_seen: Option<DateTime<Utc>>,
}

/// An invitation nobody has used, revoked or let expire yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    /// What `POST /api/team/revoke` names it by (never its token).
    pub id: Uuid,
    pub role: Role,
    /// The user id of the admin who made it.
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// The answer of `POST /api/team/members`: who is in the workspace and who
/// may still join it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<TeamMember>,
    pub invitations: Vec<PendingInvitation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_the_team_and_viewers_change_nothing() {
        assert!(Role::Admin.can_manage_team() && Role::Admin.can_edit());
        assert!(!Role::Member.can_manage_team() && Role::Member.can_edit());
        assert!(!Role::Viewer.can_manage_team() && !Role::Viewer.can_edit());
    }

    #[test]
    fn roles_are_stored_and_sent_as_lowercase_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
        assert_eq!(Role::parse("owner"), None);
        assert!(serde_json::from_str::<Role>("\"Admin\"").is_err());
    }

    #[test]
    fn the_last_admin_can_be_neither_demoted_nor_removed() {
        let (ada, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        for change in [
            TeamChange::SetRole(Role::Member),
            TeamChange::SetRole(Role::Viewer),
            TeamChange::Remove,
        ] {
            assert!(!keeps_an_admin(&[ada], ada, change), "{change:?}");
            assert!(keeps_an_admin(&[ada, bob], ada, change), "{change:?}");
            assert!(keeps_an_admin(&[ada], bob, change), "{change:?}");
        }
        assert!(keeps_an_admin(
            &[ada],
            ada,
            TeamChange::SetRole(Role::Admin)
        ));
    }

    #[test]
    fn display_names_are_trimmed_and_one_to_eighty_characters() {
        assert_eq!(check_display_name("  Ada L. ").as_deref(), Ok("Ada L."));
        assert_eq!(check_display_name(&"é".repeat(80)), Ok("é".repeat(80)));
        for bad in ["", "   ", &"x".repeat(81), &"x".repeat(8_000_000)] {
            let refused = check_display_name(bad).unwrap_err();
            assert_eq!(refused.field, "display_name");
        }
        assert!(check_display_name(&"x".repeat(81))
            .unwrap_err()
            .message
            .contains("80"));
    }
}
