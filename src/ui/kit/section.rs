//! A titled, counted list on a record page, with a form to add one more,
//! and items of such lists that are edited in place.

use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::Entity;
use crate::ui::form::{FieldChoices, RecordForm};
use crate::ui::platform::focus_soon;
use leptos::prelude::*;
use uuid::Uuid;

/// A section of a record page: "Contacts 3" with an Add button, the add
/// form in place when opened, and the list or a line saying it is empty.
///
/// Each opening of the form gets a fresh record id, so a second contact is
/// never the first one edited again. Focus moves into the form and back to
/// the Add button when it closes.
#[component]
pub fn RecordSection(
    /// The section's class, its test id and the prefix of its button's id.
    name: &'static str,
    title: &'static str,
    #[prop(into)] count: Signal<usize>,
    add_label: &'static str,
    /// The form adding a record with this id; it calls the callback when done.
    add_form: Callback<(Uuid, Callback<bool>), AnyView>,
    /// What the section says while it has nothing to list.
    empty_text: &'static str,
    /// The list.
    children: ChildrenFn,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let adding = RwSignal::new(false);
    let new_id = RwSignal::new(Uuid::now_v7());
    let button_id = format!("add-{name}");
    let on_done = {
        let button = format!("#{button_id}");
        Callback::new(move |_: bool| {
            adding.set(false);
            new_id.set(Uuid::now_v7());
            focus_soon(button.clone());
        })
    };
    view! {
        <section class=name data-testid=name>
            <div class="section-head">
                <h2>{title} " " <span class="count">{move || count.get()}</span></h2>
                <Show when=move || !adding.get() && crm.can_edit()>
                    <button id=button_id.clone() on:click=move |_| adding.set(true)>
                        {add_label}
                    </button>
                </Show>
            </div>
            <Show when=move || adding.get()>
                // Built untracked: a record arriving while the form is open
                // (a sync, another tab) must not rebuild it over what is typed.
                {move || untrack(|| add_form.run((new_id.get_untracked(), on_done)))}
            </Show>
            <Show
                when=move || { count.get() > 0 }
                fallback=move || view! { <p class="muted">{empty_text}</p> }
            >
                {children()}
            </Show>
        </section>
    }
}

/// The id of an item's Edit button, where focus returns after editing.
pub fn edit_button_id(entity: Entity, id: Uuid) -> String {
    format!("edit-{entity}-{id}")
}

/// A list item (a contact, an activity) that becomes its edit form in place.
#[component]
pub fn EditInPlace(
    entity: Entity,
    id: Uuid,
    editing: RwSignal<bool>,
    fields: &'static [&'static str],
    /// Choices for reference fields (an activity's contact).
    #[prop(optional)]
    choices: Vec<FieldChoices>,
    submit_label: &'static str,
    /// The item as shown when not being edited.
    children: ChildrenFn,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let form = move || {
        // Read once: a change arriving while the form is open must not
        // rebuild it over what is being typed.
        let initial = untrack(|| crm.fields_of(entity, id));
        let on_done = Callback::new(move |_| {
            editing.set(false);
            focus_soon(format!("#{}", edit_button_id(entity, id)));
        });
        view! {
            <RecordForm
                entity
                record_id=id
                fields
                initial
                choices=choices.clone()
                editing=true
                submit_label
                on_done
            />
        }
    };
    view! {
        <Show when=move || editing.get() fallback=move || children()>
            {form.clone()}
        </Show>
    }
}

/// The Edit button of an item edited in place.
#[component]
pub fn ItemEditButton(entity: Entity, id: Uuid, editing: RwSignal<bool>) -> impl IntoView {
    view! {
        <WhenCanEdit>
            <button id=edit_button_id(entity, id) class="link" on:click=move |_| editing.set(true)>
                "Edit"
            </button>
        </WhenCanEdit>
    }
}
