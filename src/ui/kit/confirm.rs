//! Actions that ask before they act: delete, sign out with changes waiting.

use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::Entity;
use crate::ui::platform::focus_soon;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

/// A button that asks first: the question, a confirming button and Cancel.
///
/// Focus moves to Cancel when the question opens (the safe choice under a
/// stray Enter) and back to the button when it closes; Escape closes it.
#[component]
pub fn ConfirmButton(
    /// Unique on the page: the button's id, and the prefix of the dialog's.
    id: String,
    label: &'static str,
    #[prop(into)] question: Signal<String>,
    confirm_label: &'static str,
    on_confirm: Callback<()>,
    /// Ask only while this holds; otherwise the button acts at once.
    #[prop(optional, into)]
    ask: Option<Signal<bool>>,
    #[prop(optional, into)] disabled: Signal<bool>,
    /// A small question inside a list item rather than a panel.
    #[prop(optional)]
    inline: bool,
    /// The button's classes ("danger", "link danger").
    #[prop(optional)]
    class: &'static str,
    #[prop(optional)] testid: &'static str,
    #[prop(optional)] confirm_testid: &'static str,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let cancel_id = format!("{id}-cancel");
    let question_id = format!("{id}-question");
    let trigger = format!("#{id}");
    let open = {
        let cancel = format!("#{cancel_id}");
        move |_| {
            if ask.is_none_or(|ask| ask.get_untracked()) {
                asking.set(true);
                focus_soon(cancel.clone());
            } else {
                on_confirm.run(());
            }
        }
    };
    let close = move || {
        asking.set(false);
        focus_soon(trigger.clone());
    };
    let close_on_escape = {
        let close = close.clone();
        move |event: leptos::ev::KeyboardEvent| {
            if event.key() == "Escape" {
                close();
            }
        }
    };
    view! {
        <Show
            when=move || asking.get()
            fallback={
                let id = id.clone();
                move || {
                    view! {
                        <button
                            id=id.clone()
                            class=class
                            disabled=move || disabled.get()
                            data-testid=(!testid.is_empty()).then_some(testid)
                            on:click=open.clone()
                        >
                            {label}
                        </button>
                    }
                }
            }
        >
            <div
                class=if inline { "confirm-inline" } else { "confirm" }
                role="alertdialog"
                aria-labelledby=question_id.clone()
                on:keydown=close_on_escape.clone()
            >
                <p id=question_id.clone()>{move || question.get()}</p>
                <button
                    class="danger"
                    data-testid=(!confirm_testid.is_empty()).then_some(confirm_testid)
                    on:click=move |_| on_confirm.run(())
                >
                    {confirm_label}
                </button>
                <button id=cancel_id.clone() on:click={
                    let close = close.clone();
                    move |_| close()
                }>"Cancel"</button>
            </div>
        </Show>
    }
}

/// Deletes a record after asking; `question` says what goes with it.
#[component]
pub fn DeleteButton(
    entity: Entity,
    id: Uuid,
    #[prop(into)] question: Signal<String>,
    /// Where to go once deleted; `None` stays (the record leaves a list).
    #[prop(optional)]
    then_open: Option<&'static str>,
    /// A small link-like button inside a list item.
    #[prop(optional)]
    inline: bool,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let navigate = use_navigate();
    let delete = Callback::new(move |_: ()| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if crm.delete(entity, id).await.is_ok() {
                if let Some(path) = then_open {
                    navigate(path, Default::default());
                }
            }
        });
    });
    view! {
        <WhenCanEdit>
            <ConfirmButton
            id=format!("delete-{entity}-{id}")
            label="Delete"
            question=question
            confirm_label="Yes, delete"
            on_confirm=delete
            inline=inline
            class=if inline { "link danger" } else { "danger" }
            />
        </WhenCanEdit>
    }
}
