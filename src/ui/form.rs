//! A form for any record, built from the domain schema.

use super::state::{Crm, SaveError};
use crate::domain::{Entity, FieldError, FieldKind, FieldSpec};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The fields the customer form shows, in order.
pub const CUSTOMER_FORM_FIELDS: &[&str] = &[
    "name", "kind", "status", "email", "phone", "website", "street", "postcode", "city", "country",
    "notes",
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

/// The fields a user edits for an entity; conflicts have no form.
pub fn form_fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Customer => CUSTOMER_FORM_FIELDS,
        Entity::Contact => CONTACT_FORM_FIELDS,
        Entity::Conflict => &[],
    }
}

/// "company" → "Company": how stored choice values are shown.
pub fn choice_label(value: &str) -> String {
    let mut chars = value.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

struct Input {
    spec: &'static FieldSpec,
    value: RwSignal<String>,
    initial: String,
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
            let initial = initial
                .get(spec.name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Input {
                spec,
                value: RwSignal::new(initial.clone()),
                initial,
            }
        })
        .collect();
    let values: Vec<(&'static str, RwSignal<String>, String)> = inputs
        .iter()
        .map(|input| (input.spec.name, input.value, input.initial.clone()))
        .collect();

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let mut patch = fixed.clone();
        for (name, value, before) in &values {
            let now = value.get_untracked();
            if !editing || now.trim() != before.trim() {
                patch.insert((*name).to_owned(), Value::String(now));
            }
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

    let form_id = format!("{entity}-form");
    view! {
        <form class="record-form" novalidate=true on:submit=on_submit data-testid=form_id>
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
    let Input { spec, value, .. } = input;
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
    let control = match spec.kind {
        FieldKind::Notes => view! {
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
        FieldKind::Choice(options) => view! {
            <select
                id=id.clone()
                name=spec.name
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:change=move |event| value.set(event_target_value(&event))
            >
                {options
                    .iter()
                    .map(|option| {
                        view! {
                            <option value=*option selected=move || value.get() == *option>
                                {choice_label(option)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        kind => {
            let input_type = match kind {
                FieldKind::Email => "email",
                FieldKind::Phone => "tel",
                _ => "text",
            };
            view! {
                <input
                    id=id.clone()
                    name=spec.name
                    type=input_type
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
