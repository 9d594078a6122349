//! The parts every account form is made of: its state, its summary line,
//! its labelled fields and the sentence for a failed call.

use crate::domain::{Account, FieldError, PASSWORD_MIN};
use crate::error::AppError;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The sentence for a failed account call that has no field of its own.
pub(super) fn failure_text(error: &AppError) -> String {
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
pub(super) struct FormState {
    pub(super) field_error: RwSignal<Option<FieldError>>,
    pub(super) summary: RwSignal<Option<String>>,
    pub(super) busy: RwSignal<bool>,
    /// False in the server-rendered page until the app starts: a form
    /// sent before then would go out as a plain GET with the password in
    /// its URL.
    live: RwSignal<bool>,
}

impl FormState {
    pub(super) fn new() -> Self {
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
    pub(super) fn ready(&self) -> bool {
        self.live.get() && !self.busy.get()
    }

    /// Starts a submission; `false` when one is already running.
    pub(super) fn begin(&self) -> bool {
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
    pub(super) fn sign_in_with(
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

    /// Shows a refused call: at its field, else in the summary line.
    pub(super) fn fail(&self, error: AppError) {
        match error {
            AppError::Field(field) => self.field_error.set(Some(field)),
            other => self.summary.set(Some(failure_text(&other))),
        }
        self.busy.set(false);
    }
}

/// The form's summary line, read out when it appears.
#[component]
pub(super) fn FormSummary(form: FormState) -> impl IntoView {
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
pub(super) fn AccountForm(
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
pub(super) fn NewPasswordField(
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
pub(super) fn AccountField(
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
    let (typed, focused) = crate::ui::platform::typed_before_start(&id);
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
    if let Err(message) = crate::ui::platform::enter_app(account).await {
        form.summary.set(Some(message));
        form.busy.set(false);
    }
}
