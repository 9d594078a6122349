//! Signing up, in and out, joining by invitation, and the account page.
//!
//! These pages call the account server functions directly: accounts are
//! not record data, and signing in needs the server by nature. Everything
//! else keeps working offline once signed in.

use super::kit::ConfirmButton;
use crate::api::auth as api;
use crate::crm::{AccountState, Crm};
use crate::domain::{Account, FieldError, PASSWORD_MIN};
use crate::error::AppError;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// Paths a signed-out visitor may see; every other page sends them to sign in.
pub fn is_public_path(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/shell") || path.starts_with("/join/")
}

/// The sentence for a failed account call that has no field of its own.
fn failure_text(error: &AppError) -> String {
    match error {
        AppError::Transport(_) => {
            "The server cannot be reached. This needs a connection; try again when you are online."
                .into()
        }
        AppError::SignInFailed => "The email or password is wrong.".into(),
        AppError::TooManyAttempts { retry_after_secs } => {
            format!("Too many attempts. Try again in {retry_after_secs} seconds.")
        }
        AppError::NotSignedIn => "You are signed out. Sign in again first.".into(),
        other => {
            let text = other.to_string();
            let mut letters = text.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect())
                .unwrap_or(text)
        }
    }
}

/// The state of one account form: field errors, the summary line, and
/// whether it can be sent (the button is disabled otherwise).
#[derive(Clone, Copy)]
struct FormState {
    field_error: RwSignal<Option<FieldError>>,
    summary: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    /// False in the server-rendered page until the app starts: a form
    /// sent before then would go out as a plain GET with the password in
    /// its URL.
    live: RwSignal<bool>,
}

impl FormState {
    fn new() -> Self {
        let live = RwSignal::new(false);
        // Effects run only in the browser, once the app is running.
        Effect::new(move |_| live.set(true));
        Self {
            field_error: RwSignal::new(None),
            summary: RwSignal::new(None),
            busy: RwSignal::new(false),
            live,
        }
    }

    /// Whether the form's button may send it now.
    fn ready(&self) -> bool {
        self.live.get() && !self.busy.get()
    }

    /// Starts a submission; `false` when one is already running.
    fn begin(&self) -> bool {
        if self.busy.get_untracked() {
            return false;
        }
        self.busy.set(true);
        self.field_error.set(None);
        self.summary.set(None);
        true
    }

    /// Sends an account call that signs in (sign in, sign up, join): once
    /// it answers, opens the app or shows why not.
    fn sign_in_with(
        self,
        call: impl std::future::Future<Output = Result<Account, AppError>> + 'static,
    ) {
        if !self.begin() {
            return;
        }
        spawn_local(async move {
            match call.await {
                Ok(account) => enter_app(account, self).await,
                Err(error) => self.fail(error),
            }
        });
    }

    fn fail(&self, error: AppError) {
        match error {
            AppError::Field(field) => self.field_error.set(Some(field)),
            other => self.summary.set(Some(failure_text(&other))),
        }
        self.busy.set(false);
    }
}

#[component]
fn FormSummary(form: FormState) -> impl IntoView {
    view! {
        <Show when=move || form.summary.get().is_some()>
            <div class="form-summary" role="alert" data-testid="form-error">
                {move || form.summary.get()}
            </div>
        </Show>
    }
}

/// An account form: its summary line, its fields and one button, which
/// stays disabled until the app runs and while the form is being sent.
#[component]
fn AccountForm(
    form: FormState,
    testid: &'static str,
    /// A heading inside the form, above its summary.
    #[prop(optional)]
    heading: Option<&'static str>,
    submit_label: &'static str,
    on_submit: Callback<()>,
    children: Children,
) -> impl IntoView {
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        on_submit.run(());
    };
    view! {
        <form class="record-form" method="post" novalidate=true on:submit=submit data-testid=testid>
            {heading.map(|heading| view! { <h2>{heading}</h2> })}
            <FormSummary form/>
            {children()}
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || !form.ready()>
                    {submit_label}
                </button>
            </div>
        </form>
    }
}

/// A password being chosen, with the rule for a good one beside it.
#[component]
fn NewPasswordField(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    form: FormState,
) -> impl IntoView {
    view! {
        <AccountField
            name
            label
            kind="password"
            autocomplete="new-password"
            value
            form
            hint=password_hint()
        />
    }
}

/// One labelled input with its error below it, tied together for screen readers.
#[component]
fn AccountField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    form: FormState,
    #[prop(optional)] hint: Option<String>,
) -> impl IntoView {
    let id = format!("account-{name}");
    let error_id = format!("{id}-error");
    let message = move || {
        form.field_error
            .get()
            .filter(|error| error.field == name)
            .map(|error| error.message)
    };
    let input = NodeRef::<leptos::html::Input>::new();
    // Typed into the server's page while the app was loading.
    let (typed, focused) = super::platform::typed_before_start(&id);
    if let Some(typed) = typed {
        value.set(typed);
    }
    if focused {
        Effect::new(move |_| {
            if let Some(input) = input.get() {
                let _ = input.focus();
            }
        });
    }
    // A refused field takes the focus, so a screen reader reads its label
    // and its error (aria-describedby) instead of nothing at all.
    Effect::new(move |_| {
        if let (Some(_), Some(input)) = (message(), input.get_untracked()) {
            let _ = input.focus();
        }
    });
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                node_ref=input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=move |event| value.set(event_target_value(&event))
            />
            {hint.map(|hint| view! { <p class="hint muted">{hint}</p> })}
            <p class="field-error" id=error_id>
                {message}
            </p>
        </div>
    }
}

fn password_hint() -> String {
    format!("At least {PASSWORD_MIN} characters. A few unrelated words make a good one.")
}

/// Records the sign-in on this browser and opens the app afresh, so the
/// local store and sync start for this account.
async fn enter_app(account: Account, form: FormState) {
    if let Err(message) = super::platform::enter_app(account).await {
        form.summary.set(Some(message));
        form.busy.set(false);
    }
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
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

/// `/account`: who is signed in, inviting colleagues, the password, signing out.
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
                            </dl>
                        }
                    })
            }}
            <InviteColleague/>
            <ChangePassword/>
            <SignOut/>
        </section>
    }
}

#[component]
fn InviteColleague() -> impl IntoView {
    let link = RwSignal::new(None::<(String, String)>);
    let form = FormState::new();
    let create = move |_| {
        if !form.begin() {
            return;
        }
        spawn_local(async move {
            match api::invite(None).await {
                Ok(invitation) => {
                    let origin = window().location().origin().unwrap_or_default();
                    let until = super::clock::long_day(&invitation.expires_at);
                    link.set(Some((format!("{origin}/join/{}", invitation.token), until)));
                    form.busy.set(false);
                }
                Err(error) => form.fail(error),
            }
        });
    };
    view! {
        <section class="notes">
            <h2>"Invite a colleague"</h2>
            <p class="muted">
                "Send them a link; it works once, for one person, and they join this workspace."
            </p>
            <FormSummary form/>
            {move || {
                link.get()
                    .map(|(url, until)| {
                        view! {
                            <div class="field">
                                <label for="invite-link">"Invitation link (valid until " {until} ")"</label>
                                <input id="invite-link" readonly=true data-testid="invite-link" prop:value=url/>
                            </div>
                        }
                    })
            }}
            <button on:click=create disabled=move || !form.ready()>
                {move || if link.get().is_some() { "Create another link" } else { "Create invitation link" }}
            </button>
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
