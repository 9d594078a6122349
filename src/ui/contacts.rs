//! A customer's contacts: list, add, edit, delete and choose the default.

use super::form::{RecordForm, CONTACT_FORM_FIELDS};
use super::state::Crm;
use crate::domain::{Contact, Entity};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use uuid::Uuid;

fn contact_values(contact: &Contact) -> Map<String, Value> {
    [
        ("first_name", &contact.first_name),
        ("last_name", &contact.last_name),
        ("job_title", &contact.job_title),
        ("email", &contact.email),
        ("phone", &contact.phone),
        ("mobile", &contact.mobile),
        ("notes", &contact.notes),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), Value::String(value.clone())))
    .collect()
}

/// The contacts of one customer, the default first.
#[component]
pub fn ContactsSection(customer_id: Uuid) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let contacts = Memo::new(move |_| crm.contacts_of(customer_id));
    let adding = RwSignal::new(false);
    let new_contact_id = RwSignal::new(Uuid::now_v7());

    let add_form = move || {
        let mut fixed = Map::new();
        fixed.insert("customer_id".into(), Value::String(customer_id.to_string()));
        // The first contact becomes the default; the engine and server agree.
        fixed.insert(
            "is_default".into(),
            Value::Bool(contacts.with_untracked(Vec::is_empty)),
        );
        let on_done = Callback::new(move |_| {
            adding.set(false);
            new_contact_id.set(Uuid::now_v7());
        });
        view! {
            <RecordForm
                entity=Entity::Contact
                record_id=new_contact_id.get_untracked()
                fields=CONTACT_FORM_FIELDS
                initial=Map::new()
                fixed=fixed
                submit_label="Add contact"
                on_done=on_done
            />
        }
    };

    view! {
        <section class="contacts">
            <div class="section-head">
                <h2>"Contacts " <span class="count">{move || contacts.with(Vec::len)}</span></h2>
                <Show when=move || !adding.get()>
                    <button on:click=move |_| adding.set(true)>"Add contact"</button>
                </Show>
            </div>
            <Show when=move || adding.get()>{add_form}</Show>
            <Show
                when=move || !contacts.with(Vec::is_empty)
                fallback=|| view! { <p class="muted">"No contacts yet."</p> }
            >
                <ul class="contact-list">
                    {move || {
                        contacts
                            .get()
                            .into_iter()
                            .map(|contact| view! { <ContactItem contact=contact/> })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn ContactItem(contact: Contact) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let id = contact.id;
    let make_default = move |_| {
        let patch: Map<String, Value> = [("is_default".to_owned(), Value::Bool(true))]
            .into_iter()
            .collect();
        spawn_local(async move {
            let _ = crm.save(Entity::Contact, id, patch).await;
        });
    };
    let delete = move |_| {
        spawn_local(async move {
            let _ = crm.delete(Entity::Contact, id).await;
        });
    };
    let name = contact.full_name();
    let details: Vec<(&str, String)> = [
        ("Email", contact.email.clone()),
        ("Phone", contact.phone.clone()),
        ("Mobile", contact.mobile.clone()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    let is_default = contact.is_default;

    view! {
        <li class="contact" class:default=is_default data-testid="contact" data-default=is_default.to_string()>
            <Show
                when=move || editing.get()
                fallback={
                    let contact = contact.clone();
                    let name = name.clone();
                    let details = details.clone();
                    move || {
                        view! {
                            <div class="contact-main">
                                <strong data-testid="contact-name">{name.clone()}</strong>
                                <Show when=move || is_default>
                                    <span class="badge default-badge">"Default"</span>
                                </Show>
                                <span class="muted">{contact.job_title.clone()}</span>
                            </div>
                            <div class="contact-details">
                                {details
                                    .iter()
                                    .map(|(label, value)| view! { <span>{*label} ": " {value.clone()}</span> })
                                    .collect_view()}
                            </div>
                            <div class="actions">
                                <Show when=move || !is_default>
                                    <button class="link" on:click=make_default>
                                        "Make default"
                                    </button>
                                </Show>
                                <button class="link" on:click=move |_| editing.set(true)>
                                    "Edit"
                                </button>
                                <Show
                                    when=move || confirming.get()
                                    fallback=move || {
                                        view! {
                                            <button class="link danger" on:click=move |_| confirming.set(true)>
                                                "Delete"
                                            </button>
                                        }
                                    }
                                >
                                    <span class="confirm-inline" role="alertdialog" aria-label="Confirm delete">
                                        "Delete this contact? "
                                        <button class="danger" on:click=delete>
                                            "Yes, delete"
                                        </button>
                                        <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                                    </span>
                                </Show>
                            </div>
                        }
                    }
                }
            >
                <RecordForm
                    entity=Entity::Contact
                    record_id=id
                    fields=CONTACT_FORM_FIELDS
                    initial=contact_values(&contact)
                    editing=true
                    submit_label="Save contact"
                    on_done=Callback::new(move |_| editing.set(false))
                />
            </Show>
        </li>
    }
}
