//! A workspace as a team: the roles its members hold, what each role may
//! do, and the rule that a workspace always keeps an admin. Pure rules, so
//! the server enforces them and the browser mirrors them, offline too.

use super::schema::{Entity, FieldError, NOTES_MAX, OWNER_FIELD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// The change that gives a record from before owners were members its
/// owner: the member whose display name or email the old free-text owner
/// was (ignoring case), else `fallback` (the workspace's first admin),
/// with the old text kept at the end of the record's notes so nothing
/// anyone typed is lost.
pub fn adopted_owner(
    entity: Entity,
    fields: &Map<String, Value>,
    members: &[TeamMember],
    fallback: Uuid,
) -> Map<String, Value> {
    let old = fields
        .get(OWNER_FIELD)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let named = old.and_then(|old| {
        members.iter().find(|member| {
            member.display_name.trim().eq_ignore_ascii_case(old)
                || member.email.eq_ignore_ascii_case(old)
        })
    });
    let mut patch = Map::new();
    let owner = named.map_or(fallback, |member| member.user_id);
    patch.insert(OWNER_FIELD.into(), owner.to_string().into());
    if let (Some(old), None) = (old, named) {
        let notes_field = if entity == Entity::Activity {
            "body"
        } else {
            "notes"
        };
        let notes = fields
            .get(notes_field)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let line = format!("Owner before owners were members: {old}");
        let kept = if notes.trim().is_empty() {
            line
        } else {
            format!("{notes}\n\n{line}")
        };
        let kept: String = kept.chars().take(NOTES_MAX).collect();
        patch.insert(notes_field.into(), kept.into());
    }
    patch
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
    /// Members who were removed: their records keep them as owner, and
    /// pages name them "(former member)". An extension of DESIGN.md's
    /// shape, absent from older servers' answers.
    #[serde(default)]
    pub former_members: Vec<FormerMember>,
}

/// Who records can name, as a browser keeps them to work offline: the
/// current members (whom a record can be given to) and the former ones
/// (whom old records still name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    /// (user id, display name), oldest member first.
    pub members: Vec<(Uuid, String)>,
    pub former: Vec<(Uuid, String)>,
}

impl People {
    /// The people of a team as `team/members` answers it.
    pub fn of_team(team: &Team) -> Self {
        Self {
            members: team
                .members
                .iter()
                .map(|member| (member.user_id, member.display_name.clone()))
                .collect(),
            former: team
                .former_members
                .iter()
                .map(|former| (former.user_id, former.display_name.clone()))
                .collect(),
        }
    }

    /// How a page names the member `id`: their display name, marked when
    /// they were removed; someone this device has not heard of yet (a
    /// member who joined since it last asked) is "another member".
    pub fn name_of(&self, id: Uuid) -> String {
        let find = |people: &[(Uuid, String)]| {
            people
                .iter()
                .find(|(user_id, _)| *user_id == id)
                .map(|(_, name)| name.clone())
        };
        find(&self.members)
            .or_else(|| find(&self.former).map(|name| format!("{name} (former member)")))
            .unwrap_or_else(|| "Another member".to_owned())
    }

    /// Whether `id` is a current member (a record can be given to them).
    pub fn is_member(&self, id: Uuid) -> bool {
        self.members.iter().any(|(user_id, _)| *user_id == id)
    }

    /// The owner choices of a form: every current member, and the record's
    /// present owner too when that is no longer one (shown as such).
    pub fn owner_choices(&self, present: Option<Uuid>) -> Vec<(String, String)> {
        let mut choices: Vec<(String, String)> = self
            .members
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect();
        if let Some(present) = present.filter(|id| !self.is_member(*id)) {
            choices.push((present.to_string(), self.name_of(present)));
        }
        choices
    }
}

/// Someone removed from the workspace, as records that name them show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormerMember {
    pub user_id: Uuid,
    pub display_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, email: &str) -> TeamMember {
        TeamMember {
            user_id: Uuid::now_v7(),
            email: email.into(),
            display_name: name.into(),
            role: Role::Member,
            last_seen: None,
        }
    }

    #[test]
    fn an_old_free_text_owner_becomes_the_member_it_names() {
        let ada = member("Ada Lovelace", "ada@example.com");
        let fallback = Uuid::now_v7();
        let by_name = serde_json::json!({"owner": " ada lovelace ", "notes": "x"});
        let patch = adopted_owner(
            Entity::Customer,
            by_name.as_object().expect("object"),
            std::slice::from_ref(&ada),
            fallback,
        );
        assert_eq!(patch["owner"], ada.user_id.to_string());
        assert!(patch.get("notes").is_none(), "nothing to keep");
        let by_email = serde_json::json!({"owner": "ADA@example.com"});
        let patch = adopted_owner(
            Entity::Activity,
            by_email.as_object().expect("object"),
            std::slice::from_ref(&ada),
            fallback,
        );
        assert_eq!(patch["owner"], ada.user_id.to_string());
    }

    #[test]
    fn an_owner_nobody_matches_goes_to_the_fallback_and_stays_in_the_notes() {
        let fallback = Uuid::now_v7();
        let old = serde_json::json!({"owner": "Old Sales Team", "notes": "Key account"});
        let patch = adopted_owner(
            Entity::Customer,
            old.as_object().expect("object"),
            &[member("Ada", "ada@example.com")],
            fallback,
        );
        assert_eq!(patch["owner"], fallback.to_string());
        assert_eq!(
            patch["notes"],
            "Key account\n\nOwner before owners were members: Old Sales Team"
        );
        let task = serde_json::json!({"owner": "Bob"});
        let patch = adopted_owner(
            Entity::Activity,
            task.as_object().expect("object"),
            &[],
            fallback,
        );
        assert_eq!(patch["body"], "Owner before owners were members: Bob");
        let unowned = serde_json::json!({"notes": "n"});
        let patch = adopted_owner(
            Entity::Lead,
            unowned.as_object().expect("object"),
            &[],
            fallback,
        );
        assert_eq!(patch.len(), 1, "only the owner: {patch:?}");
    }

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

    #[test]
    fn people_are_named_by_display_name_and_former_members_are_marked() {
        let (ada, bob, newcomer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let people = People {
            members: vec![(ada, "Ada".into())],
            former: vec![(bob, "Bob".into())],
        };
        assert_eq!(people.name_of(ada), "Ada");
        assert_eq!(people.name_of(bob), "Bob (former member)");
        assert_eq!(people.name_of(newcomer), "Another member");
        assert_eq!(
            people.owner_choices(Some(bob)),
            [
                (ada.to_string(), "Ada".to_owned()),
                (bob.to_string(), "Bob (former member)".to_owned())
            ],
            "a former owner stays choosable until changed"
        );
        assert_eq!(people.owner_choices(Some(ada)).len(), 1);
    }
}
