//! A customer's contacts: list, add, edit, delete and choose the default.

use super::form::{RecordForm, CONTACT_FORM_FIELDS};
use super::kit::{
    edit_button_id, DeleteButton, EditInPlace, ItemEditButton, RecordSection, WhenCanEdit,
};
use super::platform::focus_soon;
use crate::crm::Crm;
use crate::domain::{Contact, Entity};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The contacts of one customer, the default first.
#[component]
pub fn ContactsSection(customer_id: Uuid) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let contacts = Memo::new(move |_| crm.contacts_of(customer_id));
    let add_form = Callback::new(move |(id, on_done): (Uuid, Callback<bool>)| {
        let mut fixed = Map::new();
        fixed.insert("customer_id".into(), Value::String(customer_id.to_string()));
        // The first contact becomes the default; the engine and server agree.
        fixed.insert(
            "is_default".into(),
            Value::Bool(contacts.with_untracked(Vec::is_empty)),
        );
        view! {
            <RecordForm
                entity=Entity::Contact
                record_id=id
                fields=CONTACT_FORM_FIELDS
                initial=Map::new()
                fixed=fixed
                submit_label="Add contact"
                on_done=on_done
            />
        }
        .into_any()
    });
    view! {
        <RecordSection
            name="contacts"
            title="Contacts"
            count=Signal::derive(move || contacts.with(Vec::len))
            add_label="Add contact"
            add_form
            empty_text="No contacts yet."
        >
            <ul class="contact-list">
                // Keyed: a synced copy of a contact redraws its item, never
                // the list, so a form open on another contact stays open.
                <For each=move || contacts.get() key=|contact| contact.id let:contact>
                    <ContactItem id=contact.id/>
                </For>
            </ul>
        </RecordSection>
    }
}

/// Makes a contact its customer's default; the engine clears the old one.
/// The "Make default" button goes with the change, so focus stays on the
/// contact at its Edit button rather than falling to the page's start.
fn make_default(crm: Crm, id: Uuid) {
    let patch: Map<String, Value> = [("is_default".to_owned(), Value::Bool(true))]
        .into_iter()
        .collect();
    spawn_local(async move {
        if crm.save(Entity::Contact, id, patch).await.is_ok() {
            focus_soon(format!("#{}", edit_button_id(Entity::Contact, id)));
        }
    });
}

/// One contact: its details, or its edit form in place.
#[component]
fn ContactItem(id: Uuid) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let editing = RwSignal::new(false);
    let contact = Memo::new(move |_| crm.one(Entity::Contact, id, Contact::from_record));
    let is_default = move || contact.with(|contact| contact.as_ref().is_some_and(|c| c.is_default));
    view! {
        <li
            class="contact"
            class:default=is_default
            data-testid="contact"
            data-default=move || is_default().to_string()
        >
            <EditInPlace
                entity=Entity::Contact
                id
                editing
                fields=CONTACT_FORM_FIELDS
                submit_label="Save contact"
            >
                {move || contact.get().map(|contact| view! { <ContactDetails contact editing/> })}
            </EditInPlace>
        </li>
    }
}

/// A contact as its list item shows it, with its actions.
#[component]
fn ContactDetails(contact: Contact, editing: RwSignal<bool>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let id = contact.id;
    let is_default = contact.is_default;
    let details: Vec<(&str, String)> = [
        ("Email", contact.email.clone()),
        ("Phone", contact.phone.clone()),
        ("Mobile", contact.mobile.clone()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    view! {
        <div class="contact-main">
            <strong data-testid="contact-name">{contact.full_name()}</strong>
            {is_default.then(|| view! { <span class="badge default-badge">"Default"</span> })}
            <span class="muted">{contact.job_title.clone()}</span>
        </div>
        <div class="contact-details">
            {details
                .into_iter()
                .map(|(label, value)| view! { <span>{label} ": " {value}</span> })
                .collect_view()}
        </div>
        <div class="actions">
            {(!is_default).then(|| view! {
                <WhenCanEdit>
                    <button class="link" on:click=move |_| make_default(crm, id)>
                        "Make default"
                    </button>
                </WhenCanEdit>
            })}
            <ItemEditButton entity=Entity::Contact id editing/>
            <DeleteButton
                entity=Entity::Contact
                id
                question="Delete this contact?".to_owned()
                inline=true
            />
        </div>
    }
}
