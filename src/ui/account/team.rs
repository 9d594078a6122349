//! The team on the account page: who is in the workspace and with which
//! role, the invitations nobody has used yet, inviting with a role, and
//! each member's own display name. Admins change roles, remove members and
//! revoke invitations; the server enforces the same rules (DESIGN.md
//! section 6), the page only hides what a role may not do.
//!
//! The list is asked of the server: who is in a team is not record data
//! kept on the device, so it needs a connection, and says so.

use super::forms::{failure_text, AccountField, AccountForm, FormState, FormSummary};
use crate::api::auth as auth_api;
use crate::api::team as api;
use crate::crm::{AccountState, Crm};
use crate::domain::{FormerMember, PendingInvitation, People, Role, Team, TeamMember};
use crate::ui::clock::{day_month_time, long_day};
use crate::ui::kit::ConfirmButton;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// The members and pending invitations, loaded when the page opens and
/// again after every change made here.
#[derive(Clone, Copy)]
struct TeamList {
    team: RwSignal<Option<Team>>,
    problem: RwSignal<Option<String>>,
    /// Told of the team as loaded, for owner names everywhere.
    crm: Crm,
}

impl TeamList {
    fn new() -> Self {
        let list = Self {
            team: RwSignal::new(None),
            problem: RwSignal::new(None),
            crm: expect_context::<Crm>(),
        };
        // Effects run only in the browser: the server render shows the heading.
        Effect::new(move |_| list.reload());
        list
    }

    fn reload(self) {
        spawn_local(async move {
            match api::members().await {
                Ok(team) => {
                    // Owner names and choices everywhere follow the team.
                    self.crm.people.set(People::of_team(&team));
                    self.team.set(Some(team));
                    self.problem.set(None);
                }
                Err(error) => self.problem.set(Some(failure_text(&error))),
            }
        });
    }

    /// Runs an admin's change, then shows the team as it is now, or why
    /// the change was refused.
    fn change(
        self,
        call: impl std::future::Future<Output = Result<(), crate::error::AppError>> + 'static,
    ) {
        spawn_local(async move {
            match call.await {
                Ok(()) => self.reload(),
                Err(error) => self.problem.set(Some(failure_text(&error))),
            }
        });
    }

    /// The display name of a member, for "invited by".
    fn name_of(self, user_id: Uuid) -> String {
        self.team.with(|team| {
            team.as_ref()
                .and_then(|team| team.members.iter().find(|m| m.user_id == user_id))
                .map_or_else(|| "a former member".to_owned(), |m| m.display_name.clone())
        })
    }
}

/// Members, invitations and, for admins, inviting: the team part of `/account`.
#[component]
pub fn TeamSection() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let list = TeamList::new();
    let admin = move || crm.can_manage_team();
    view! {
        <section class="notes team" data-testid="team">
            <h2>"Team"</h2>
            <Show when=move || list.problem.get().is_some()>
                <p class="form-summary" role="alert" data-testid="team-problem">
                    {move || list.problem.get()}
                </p>
            </Show>
            <table class="team-members">
                <caption class="visually-hidden">"Members of this workspace"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Last seen"</th>
                        <Show when=admin><th scope="col"><span class="visually-hidden">"Actions"</span></th></Show>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || list.team.get().map(|team| team.members).unwrap_or_default()
                        key=|member| (member.user_id, member.role, member.display_name.clone())
                        let:member
                    >
                        <MemberRow member list/>
                    </For>
                </tbody>
            </table>
            <PendingInvitations list/>
            <Show when=admin>
                <FormerMembers list/>
                <InviteColleague list/>
            </Show>
        </section>
        <DisplayNameForm/>
    }
}

/// One member: their role is a menu for an admin, and an admin may remove
/// anyone but themself.
#[component]
fn MemberRow(member: TeamMember, list: TeamList) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let admin = move || crm.can_manage_team();
    let user_id = member.user_id;
    let is_me = crm.user_id() == Some(user_id);
    let name = member.display_name.clone();
    let role = member.role;
    let last_seen = member
        .last_seen
        .map_or_else(|| "Not yet".to_owned(), |at| day_month_time(&at));
    let role_label = format!("Role of {name}");
    view! {
        <tr data-testid="member">
            <td data-testid="member-name">{name.clone()} {is_me.then_some(" (you)")}</td>
            <td>{member.email}</td>
            <td>
                <Show when=admin fallback=move || view! { <span data-testid="member-role">{role.as_str()}</span> }>
                    <select
                        aria-label=role_label.clone()
                        data-testid="member-role-select"
                        on:change=move |event| {
                            if let Some(role) = Role::parse(&event_target_value(&event)) {
                                list.change(api::change_role(user_id, role));
                            }
                        }
                    >
                        {Role::ALL
                            .map(|option| view! {
                                <option value=option.as_str() selected=option == role>{option.as_str()}</option>
                            })}
                    </select>
                </Show>
            </td>
            <td>{last_seen}</td>
            <Show when=admin>
                <td>
                    {(!is_me).then(|| view! {
                        <ConfirmButton
                            id=format!("remove-{user_id}")
                            label="Remove"
                            question=Signal::stored(format!(
                                "Remove {name} from the workspace? Their sessions end now; the records they made stay."
                            ))
                            confirm_label="Yes, remove"
                            on_confirm=Callback::new(move |_: ()| list.change(api::remove(user_id)))
                            inline=true
                            class="link danger"
                        />
                    })}
                </td>
            </Show>
        </tr>
    }
}

/// Removed members, whose records still name them: an admin hands all of
/// one's records to a current member in one step.
#[component]
fn FormerMembers(list: TeamList) -> impl IntoView {
    let former = move || {
        list.team
            .get()
            .map(|team| team.former_members)
            .unwrap_or_default()
    };
    view! {
        <Show when=move || !former().is_empty()>
            <h3>"Former members"</h3>
            <ul class="former-members">
                <For each=former key=|former| former.user_id let:former>
                    <FormerMemberItem former list/>
                </For>
            </ul>
        </Show>
    }
}

/// One former member and where their records go.
#[component]
fn FormerMemberItem(former: FormerMember, list: TeamList) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let to = RwSignal::new(crm.user_id().map(|id| id.to_string()).unwrap_or_default());
    let done = RwSignal::new(None::<String>);
    let from = former.user_id;
    let label = format!("Give the records of {} to", former.display_name);
    let members = move || list.team.get().map(|team| team.members).unwrap_or_default();
    let reassign = move |_| {
        let Ok(to) = Uuid::parse_str(&to.get_untracked()) else {
            return;
        };
        spawn_local(async move {
            match api::reassign(from, to).await {
                Ok(count) => {
                    done.set(Some(format!("{count} records reassigned.")));
                    crm.sync_now();
                }
                Err(error) => list.problem.set(Some(failure_text(&error))),
            }
        });
    };
    view! {
        <li data-testid="former-member">
            <span>{former.display_name.clone()} " (former member)"</span>
            <label class="inline-field">
                {label}
                <select prop:value=move || to.get() on:change=move |event| to.set(event_target_value(&event))>
                    {move || members().into_iter().map(|member| view! {
                        <option value=member.user_id.to_string()>{member.display_name}</option>
                    }).collect_view()}
                </select>
            </label>
            <button on:click=reassign>"Reassign their records"</button>
            <span role="status" class="muted">{move || done.get()}</span>
        </li>
    }
}

/// Invitations nobody has used yet, each revocable by an admin.
#[component]
fn PendingInvitations(list: TeamList) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let pending = move || {
        list.team
            .get()
            .map(|team| team.invitations)
            .unwrap_or_default()
    };
    view! {
        <Show when=move || !pending().is_empty()>
            <h3>"Invitations not used yet"</h3>
            <ul class="invitations">
                <For each=pending key=|invitation| invitation.id let:invitation>
                    <InvitationItem invitation list admin=crm.can_manage_team()/>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn InvitationItem(invitation: PendingInvitation, list: TeamList, admin: bool) -> impl IntoView {
    let id = invitation.id;
    view! {
        <li data-testid="invitation">
            {format!(
                "As {}, made by {}, valid until {}",
                invitation.role,
                list.name_of(invitation.created_by),
                long_day(&invitation.expires_at),
            )}
            {admin.then(|| view! {
                " "
                <ConfirmButton
                    id=format!("revoke-{id}")
                    label="Revoke"
                    question=Signal::stored("Revoke this invitation? Its link stops working.".to_owned())
                    confirm_label="Yes, revoke"
                    on_confirm=Callback::new(move |_: ()| list.change(api::revoke(id)))
                    inline=true
                    class="link danger"
                />
            })}
        </li>
    }
}

/// A link that lets one colleague join, with the role it grants.
#[component]
fn InviteColleague(list: TeamList) -> impl IntoView {
    let link = RwSignal::new(None::<(String, String)>);
    let role = RwSignal::new(Role::Member);
    let form = FormState::new();
    let create = move |_| {
        if !form.begin() {
            return;
        }
        spawn_local(async move {
            match auth_api::invite(Some(role.get_untracked())).await {
                Ok(invitation) => {
                    let origin = window().location().origin().unwrap_or_default();
                    let until = long_day(&invitation.expires_at);
                    link.set(Some((format!("{origin}/join/{}", invitation.token), until)));
                    form.busy.set(false);
                    list.reload();
                }
                Err(error) => form.fail(error),
            }
        });
    };
    view! {
        <h3>"Invite a colleague"</h3>
        <p class="muted">
            "Send them a link; it works once, for one person, for seven days, and they join this workspace with the role chosen here."
        </p>
        <FormSummary form/>
        <div class="field">
            <label for="invite-role">"Role"</label>
            <select id="invite-role" on:change=move |event| {
                if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                    role.set(chosen);
                }
            }>
                <option value="member" selected=true>"member: reads and changes every record"</option>
                <option value="viewer">"viewer: reads everything, changes nothing"</option>
                <option value="admin">"admin: everything, and manages the team"</option>
            </select>
        </div>
        {move || link.get().map(|(url, until)| view! {
            <div class="field">
                <label for="invite-link">"Invitation link (valid until " {until} ")"</label>
                <input id="invite-link" readonly=true data-testid="invite-link" prop:value=url/>
            </div>
        })}
        <button on:click=create disabled=move || !form.ready()>
            {move || if link.get().is_some() { "Create another link" } else { "Create invitation link" }}
        </button>
    }
}

/// The name colleagues see for the signed-in member.
#[component]
fn DisplayNameForm() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let AccountState::SignedIn(account) = crm.account.get() {
            if name.get_untracked().is_empty() {
                name.set(account.display_name);
            }
        }
    });
    let saved = RwSignal::new(false);
    let form = FormState::new();
    let submit = Callback::new(move |_| {
        if !form.begin() {
            return;
        }
        saved.set(false);
        spawn_local(async move {
            match api::set_display_name(name.get_untracked()).await {
                Ok(stored) => {
                    name.set(stored.clone());
                    crm.account.update(|account| {
                        if let AccountState::SignedIn(account) = account {
                            account.display_name = stored;
                        }
                    });
                    saved.set(true);
                    form.busy.set(false);
                }
                Err(error) => form.fail(error),
            }
        });
    });
    view! {
        <AccountForm form testid="display-name-form" heading="Your name" submit_label="Save name" on_submit=submit>
            <Show when=move || saved.get()>
                <p class="notice" role="status">"Saved. Colleagues see this name beside your changes."</p>
            </Show>
            <AccountField name="display_name" label="Display name" autocomplete="name" value=name form/>
        </AccountForm>
    }
}
