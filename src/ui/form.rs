//! A form for any record, built from the domain schema.

use super::platform::focus_soon;
use crate::crm::{Crm, SaveError};
use crate::domain::{money_input_text, parse_money, Entity, FieldError, FieldKind, FieldSpec};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The fields the customer form shows, in order.
pub const CUSTOMER_FORM_FIELDS: &[&str] = &[
    "name", "kind", "status", "owner", "email", "phone", "website", "street", "postcode", "city",
    "country", "notes",
];

/// The fields the contact form shows, in order.
pub const CONTACT_FORM_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "job_title",
    "email",
    "phone",
    "mobile",
    "notes",
];

/// The fields the lead form shows, in order.
pub const LEAD_FORM_FIELDS: &[&str] = &[
    "person_name",
    "company_name",
    "email",
    "phone",
    "source",
    "status",
    "owner",
    "notes",
];

/// The fields the opportunity form shows, in order.
pub const OPPORTUNITY_FORM_FIELDS: &[&str] = &[
    "title",
    "stage",
    "amount",
    "currency",
    "expected_close",
    "probability",
    "owner",
    "notes",
];

/// The fields the activity form shows, in order.
pub const ACTIVITY_FORM_FIELDS: &[&str] = &["kind", "subject", "due_at", "owner", "body"];

/// The activity form on a customer, which may name one of its contacts.
pub const CUSTOMER_ACTIVITY_FORM_FIELDS: &[&str] =
    &["kind", "subject", "contact_id", "due_at", "owner", "body"];

/// The fields a user edits for an entity; conflicts have no form.
pub fn form_fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Customer => CUSTOMER_FORM_FIELDS,
        Entity::Contact => CONTACT_FORM_FIELDS,
        Entity::Lead => LEAD_FORM_FIELDS,
        Entity::Opportunity => OPPORTUNITY_FORM_FIELDS,
        Entity::Activity => ACTIVITY_FORM_FIELDS,
        Entity::Conflict => &[],
    }
}

/// What an input shows for a stored value: amounts in major units, times in
/// the browser's time zone.
pub fn input_text(spec: &FieldSpec, value: &Value) -> String {
    match (spec.kind, value) {
        (FieldKind::Money, value) => value.as_i64().map(money_input_text).unwrap_or_default(),
        (FieldKind::Integer { .. }, value) => {
            value.as_i64().map(|n| n.to_string()).unwrap_or_default()
        }
        (FieldKind::Timestamp, Value::String(text)) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|time| super::clock::date_time_input(&time))
            .unwrap_or_default(),
        (_, Value::String(text)) => text.clone(),
        _ => String::new(),
    }
}

/// The value to send for what the user typed; the domain then checks it
/// with the server's rules. Blank stays text so "cleared" means null.
fn wire_value(spec: &FieldSpec, text: &str) -> Result<Value, FieldError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let error = |example: &str| {
        Err(FieldError::new(
            spec.name,
            format!("{} must be {example}", spec.label),
        ))
    };
    match spec.kind {
        FieldKind::Money => match parse_money(trimmed) {
            Some(minor) => Ok(Value::from(minor)),
            None => error("an amount like 1250.00"),
        },
        FieldKind::Integer { .. } => match trimmed.parse::<i64>() {
            Ok(number) => Ok(Value::from(number)),
            Err(_) => error("a whole number"),
        },
        FieldKind::Timestamp => match super::clock::parse_date_time_input(trimmed) {
            Some(time) => Ok(Value::String(time.with_timezone(&chrono::Utc).to_rfc3339())),
            None => error("a date and time"),
        },
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// A choice list for a reference field, such as the contacts of a customer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldChoices {
    pub field: &'static str,
    /// (record id, label) pairs; a blank choice comes first.
    pub options: Vec<(String, String)>,
}

/// "company" → "Company": how stored choice values are shown.
pub fn choice_label(value: &str) -> String {
    let mut chars = value.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The members a record can be given to, its present owner included (and
/// the signed-in member, before the members were first fetched).
fn member_choices(crm: Crm, present: &str) -> Vec<(String, String)> {
    let present = Uuid::parse_str(present).ok();
    let mut options = untrack(|| crm.people.with(|people| people.owner_choices(present)));
    if let Some(me) = untrack(|| crm.user_id()) {
        if !options.iter().any(|(id, _)| *id == me.to_string()) {
            options.insert(0, (me.to_string(), untrack(|| crm.person_name(me))));
        }
    }
    options
}

/// What the form sends: the fixed fields and every field typed into (when
/// editing, only those changed), or the first value that is not valid.
fn patch_of(
    values: &[(&'static FieldSpec, RwSignal<String>, String)],
    editing: bool,
    mut patch: Map<String, Value>,
) -> Result<Map<String, Value>, FieldError> {
    for (spec, value, before) in values {
        let now = value.get_untracked();
        if !editing || now.trim() != before.trim() {
            patch.insert(spec.name.to_owned(), wire_value(spec, &now)?);
        }
    }
    Ok(patch)
}

struct Input {
    spec: &'static FieldSpec,
    value: RwSignal<String>,
    initial: String,
    choices: Option<Vec<(String, String)>>,
}

/// Labelled inputs for `fields` of one record, saved through the local engine.
///
/// The engine validates with the same rules as the server, so a mistake is
/// shown at its field before anything is queued. When editing, only changed
/// fields are sent, which is what lets two people's edits to different fields
/// of one record both survive.
#[component]
pub fn RecordForm(
    entity: Entity,
    record_id: Uuid,
    fields: &'static [&'static str],
    /// Current values (editing) or defaults (creating).
    initial: Map<String, Value>,
    /// Whether the record exists already; only changed fields are sent then.
    #[prop(optional)]
    editing: bool,
    /// Fields always sent with a new record, such as a contact's customer.
    #[prop(optional)]
    fixed: Map<String, Value>,
    /// Choices for reference fields the form shows as a list.
    #[prop(optional)]
    choices: Vec<FieldChoices>,
    /// Last changes to the patch before it is saved (a logged call's time).
    #[prop(optional)]
    prepare: Option<Callback<Map<String, Value>, Map<String, Value>>>,
    submit_label: &'static str,
    /// Called with `true` once saved, `false` when cancelled.
    on_done: Callback<bool>,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let error = RwSignal::new(None::<FieldError>);
    let device_error = RwSignal::new(None::<String>);
    let inputs: Vec<Input> = fields
        .iter()
        .filter_map(|name| entity.field(name))
        .map(|spec| {
            let mut initial = initial
                .get(spec.name)
                .map(|value| input_text(spec, value))
                .unwrap_or_default();
            let mut options = choices
                .iter()
                .find(|choices| choices.field == spec.name)
                .map(|choices| choices.options.clone());
            if spec.kind == FieldKind::Member {
                // A new record is its maker's unless they give it away.
                if initial.is_empty() && !editing {
                    initial = untrack(|| crm.user_id())
                        .map(|me| me.to_string())
                        .unwrap_or_default();
                }
                options = Some(member_choices(crm, &initial));
            }
            Input {
                spec,
                value: RwSignal::new(initial.clone()),
                initial,
                choices: options,
            }
        })
        .collect();
    let values: Vec<(&'static FieldSpec, RwSignal<String>, String)> = inputs
        .iter()
        .map(|input| (input.spec, input.value, input.initial.clone()))
        .collect();

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let mut patch = match patch_of(&values, editing, fixed.clone()) {
            Ok(patch) => patch,
            Err(field_error) => {
                error.set(Some(field_error));
                return;
            }
        };
        if let Some(prepare) = prepare {
            patch = prepare.run(patch);
        }
        if patch.is_empty() {
            on_done.run(true);
            return;
        }
        spawn_local(async move {
            match crm.save(entity, record_id, patch).await {
                Ok(()) => {
                    error.set(None);
                    on_done.run(true);
                }
                Err(SaveError::Field(field_error)) => error.set(Some(field_error)),
                Err(SaveError::Device(message)) => device_error.set(Some(message)),
            }
        });
    };

    let testid = format!("{entity}-form");
    let form_id = format!("{entity}-form-{record_id}");
    // Keyboard users land in the form it opens, and Escape cancels it.
    focus_soon(format!("#{form_id} :is(input, select, textarea)"));
    let cancel_on_escape = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" {
            on_done.run(false);
        }
    };
    view! {
        <form
            id=form_id
            class="record-form"
            novalidate=true
            on:submit=on_submit
            on:keydown=cancel_on_escape
            data-testid=testid
        >
            <Show when=move || error.get().is_some() || device_error.get().is_some()>
                <div class="form-summary" role="alert" data-testid="form-error">
                    {move || {
                        error
                            .get()
                            .map(|error| format!("Please check this form: {}", error.message))
                            .or_else(|| device_error.get())
                    }}
                </div>
            </Show>
            <div class="fields">
                {inputs.into_iter().map(|input| field_view(entity, input, error)).collect_view()}
            </div>
            <div class="form-actions">
                <button type="submit" class="primary">{submit_label}</button>
                <button type="button" on:click=move |_| on_done.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

fn field_view(entity: Entity, input: Input, error: RwSignal<Option<FieldError>>) -> impl IntoView {
    let Input {
        spec,
        value,
        choices,
        ..
    } = input;
    let id = format!("{entity}-{}", spec.name);
    let error_id = format!("{id}-error");
    let message = move || {
        error
            .get()
            .filter(|error| error.field == spec.name)
            .map(|error| error.message)
    };
    let invalid = move || message().is_some().to_string();
    let wide = matches!(spec.kind, FieldKind::Notes);
    // A reference (a contact) may be left blank; a choice always has one.
    let select = {
        let (id, error_id) = (id.clone(), error_id.clone());
        move |options: Vec<(String, String)>, blank: bool| {
            view! {
                <select
                    id=id
                    name=spec.name
                    aria-invalid=invalid
                    aria-describedby=error_id
                    prop:value=move || value.get()
                    on:change=move |event| value.set(event_target_value(&event))
                >
                    {blank.then(|| view! { <option value="" selected=move || value.get().is_empty()>"—"</option> })}
                    {options
                        .into_iter()
                        .map(|(option, label)| {
                            let chosen = option.clone();
                            view! {
                                <option value=option selected=move || value.get() == chosen>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            }
            .into_any()
        }
    };
    let control = match (spec.kind, choices) {
        // Every record belongs to somebody: no blank owner.
        (kind, Some(options)) => select(options, kind != FieldKind::Member),
        (FieldKind::Notes, None) => view! {
            <textarea
                id=id.clone()
                name=spec.name
                rows="4"
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        (FieldKind::Choice(options), None) => select(
            options
                .iter()
                .map(|option| ((*option).to_owned(), choice_label(option)))
                .collect(),
            false,
        ),
        (kind, None) => {
            let input_type = match kind {
                FieldKind::Email => "email",
                FieldKind::Phone => "tel",
                FieldKind::Date => "date",
                FieldKind::Timestamp => "datetime-local",
                FieldKind::Integer { .. } => "number",
                _ => "text",
            };
            let input_mode = match kind {
                FieldKind::Money => Some("decimal"),
                _ => None,
            };
            view! {
                <input
                    id=id.clone()
                    name=spec.name
                    type=input_type
                    inputmode=input_mode
                    aria-invalid=invalid
                    aria-describedby=error_id.clone()
                    prop:value=move || value.get()
                    on:input=move |event| value.set(event_target_value(&event))
                />
            }
            .into_any()
        }
    };
    let label = if spec.required {
        format!("{} *", spec.label)
    } else {
        spec.label.to_owned()
    };
    view! {
        <div class="field" class:wide=wide class:invalid=move || message().is_some()>
            <label for=id>{label}</label>
            {control}
            <p class="field-error" id=error_id data-testid=format!("error-{}", spec.name)>
                {message}
            </p>
        </div>
    }
}
