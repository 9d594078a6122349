//! Signing up, in and out, joining by invitation, and the account page.
//!
//! These pages call the account server functions directly: accounts are
//! not record data, and signing in needs the server by nature. Everything
//! else keeps working offline once signed in.

mod forms;
mod team;

use super::kit::ConfirmButton;
use super::platform::{remember, remembered};
use crate::api::auth as api;
use crate::crm::{AccountState, Crm, REMOVED_KEY, REMOVED_MESSAGE};
use crate::error::AppError;
use forms::{failure_text, AccountField, AccountForm, FormState, FormSummary, NewPasswordField};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use team::TeamSection;

/// Paths a signed-out visitor may see; every other page sends them to sign in.
pub fn is_public_path(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/shell") || path.starts_with("/join/")
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    // Said once, on the visit the removal sent this browser here.
    let removed = RwSignal::new(false);
    Effect::new(move |_| {
        if remembered(REMOVED_KEY).is_some() {
            remember(REMOVED_KEY, None);
            removed.set(true);
        }
    });
    // After a session ended elsewhere, the same person usually signs back in.
    Effect::new(move |_| {
        if let AccountState::SignedIn(account) = crm.account.get() {
            if email.get_untracked().is_empty() {
                email.set(account.email);
            }
        }
    });
    let submit = Callback::new(move |_| {
        form.sign_in_with(api::login(email.get_untracked(), password.get_untracked()));
    });
    view! {
        <section class="auth-page">
            <h1>"Sign in"</h1>
            <Show when=move || removed.get()>
                <p class="notice" role="status" data-testid="removed-notice">{REMOVED_MESSAGE}</p>
            </Show>
            <Show when=move || matches!(crm.account.get(), AccountState::SignedIn(_))>
                <p class="notice">
                    "Your changes on this device are kept and sync once you sign in again."
                </p>
            </Show>
            <AccountForm form testid="login-form" submit_label="Sign in" on_submit=submit>
                <AccountField name="email" label="Email" kind="email" autocomplete="username" value=email form/>
                <AccountField
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="current-password"
                    value=password
                    form
                />
            </AccountForm>
            <p>"New here? " <A href="/signup">"Create a workspace for your team"</A></p>
        </section>
    }
}

/// `/signup`: a new workspace and its first member.
#[component]
pub fn SignupPage() -> impl IntoView {
    let workspace_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = Callback::new(move |_| {
        form.sign_in_with(api::signup(
            email.get_untracked(),
            password.get_untracked(),
            workspace_name.get_untracked(),
        ));
    });
    view! {
        <section class="auth-page">
            <h1>"Create a workspace"</h1>
            <p class="muted">"Your team's customers live in its workspace. Invite colleagues once you are in."</p>
            <AccountForm form testid="signup-form" submit_label="Create workspace" on_submit=submit>
                <AccountField
                    name="workspace_name"
                    label="Team or company name"
                    autocomplete="organization"
                    value=workspace_name
                    form
                />
                <AccountField name="email" label="Email" kind="email" autocomplete="username" value=email form/>
                <NewPasswordField name="password" label="Password" value=password form/>
            </AccountForm>
            <p>"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}

/// `/join/:token`: an invited colleague makes their account.
#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let workspace = LocalResource::new(move || api::invitation_workspace(token()));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = Callback::new(move |_| {
        form.sign_in_with(api::join(
            token(),
            email.get_untracked(),
            password.get_untracked(),
        ));
    });
    let heading = move || match workspace.get() {
        Some(Ok(name)) => format!("Join {name}"),
        Some(Err(_)) => "This invitation cannot be used".to_owned(),
        None => "Checking the invitation…".to_owned(),
    };
    let usable = move || matches!(workspace.get(), Some(Ok(_)));
    view! {
        <section class="auth-page">
            <h1 data-testid="join-heading">{heading}</h1>
            <Show
                when=usable
                fallback=move || {
                    view! {
                        <Show when=move || matches!(workspace.get(), Some(Err(_)))>
                            <p>
                                {move || match workspace.get() {
                                    Some(Err(AppError::Field(field))) => field.message,
                                    Some(Err(other)) => failure_text(&other),
                                    _ => String::new(),
                                }}
                            </p>
                        </Show>
                    }
                }
            >
                <AccountForm form testid="join-form" submit_label="Join the workspace" on_submit=submit>
                    <AccountField name="email" label="Your email" kind="email" autocomplete="username" value=email form/>
                    <NewPasswordField name="password" label="Choose a password" value=password form/>
                    <p class="field-error" role="alert">
                        {move || {
                            form.field_error
                                .get()
                                .filter(|error| error.field == "token")
                                .map(|error| error.message)
                        }}
                    </p>
                </AccountForm>
            </Show>
        </section>
    }
}

/// `/account`: who is signed in, the team, the password, signing out.
#[component]
pub fn AccountPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let account = move || match crm.account.get() {
        AccountState::SignedIn(account) => Some(account),
        _ => None,
    };
    view! {
        <section class="account-page">
            <h1>"Account"</h1>
            {move || {
                account()
                    .map(|account| {
                        view! {
                            <dl class="details">
                                <dt>"Signed in as"</dt>
                                <dd data-testid="account-email">{account.email}</dd>
                                <dt>"Workspace"</dt>
                                <dd data-testid="account-workspace">{account.workspace_name}</dd>
                                <dt>"Role"</dt>
                                <dd data-testid="account-role">{account.role.as_str()}</dd>
                            </dl>
                        }
                    })
            }}
            <TeamSection/>
            <ChangePassword/>
            <SignOut/>
        </section>
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let form = FormState::new();
    let submit = Callback::new(move |_| {
        if !form.begin() {
            return;
        }
        done.set(false);
        spawn_local(async move {
            match api::change_password(current.get_untracked(), new.get_untracked()).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    done.set(true);
                    form.busy.set(false);
                }
                Err(error) => form.fail(error),
            }
        });
    });
    view! {
        <AccountForm
            form
            testid="password-form"
            heading="Change password"
            submit_label="Change password"
            on_submit=submit
        >
            <Show when=move || done.get()>
                <p class="notice" role="status" data-testid="password-changed">
                    "Password changed. Your other devices must sign in again."
                </p>
            </Show>
            <AccountField
                name="current_password"
                label="Current password"
                kind="password"
                autocomplete="current-password"
                value=current
                form
            />
            <NewPasswordField name="new_password" label="New password" value=new form/>
        </AccountForm>
    }
}

#[component]
fn SignOut() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let form = FormState::new();
    let sign_out = Callback::new(move |_: ()| {
        if !form.begin() {
            return;
        }
        spawn_local(async move {
            if let Err(message) = super::platform::sign_out(crm).await {
                form.summary.set(Some(message));
                form.busy.set(false);
            }
        });
    });
    let pending = Signal::derive(move || crm.status.with(|status| status.pending));
    view! {
        <section class="notes">
            <h2>"Sign out"</h2>
            <p class="muted">"Signing out erases this workspace's records from this browser."</p>
            <FormSummary form/>
            <ConfirmButton
                id="sign-out".to_owned()
                label="Sign out"
                // Only changes that would be lost are worth a question.
                ask=Signal::derive(move || pending.get() > 0)
                question=Signal::derive(move || {
                    let pending = pending.get();
                    format!(
                        "{pending} change{} on this device {} not reached the server yet and will be lost.",
                        if pending == 1 { "" } else { "s" },
                        if pending == 1 { "has" } else { "have" },
                    )
                })
                confirm_label="Sign out anyway"
                on_confirm=sign_out
                disabled=Signal::derive(move || !form.ready())
                testid="sign-out"
                confirm_testid="sign-out-anyway"
            />
        </section>
    }
}
