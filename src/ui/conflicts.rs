//! Conflict markers: values a concurrent edit overwrote, with one-click restore.

use crate::crm::Crm;
use crate::domain::{display_value, Conflict};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// Who made the change that won, by name: "you", or a teammate's display
/// name and that it came from their device, never an id.
fn who(crm: Crm, conflict: &Conflict, me: Option<Uuid>) -> String {
    match conflict.changed_by {
        Some(person) if Some(person) == me => "you".to_owned(),
        Some(person) => format!("{}, on another device", crm.person_name(person)),
        None => "a teammate".to_owned(),
    }
}

/// Every unresolved conflict of the records a page shows.
#[component]
pub fn ConflictNotices(#[prop(into)] record_ids: Signal<Vec<Uuid>>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let conflicts = Memo::new(move |_| record_ids.with(|ids| crm.conflicts_of(ids)));
    let problem = RwSignal::new(None::<String>);
    view! {
        <Show when=move || !conflicts.with(Vec::is_empty)>
            <section class="conflicts" aria-live="polite">
                <h2>"Changed by two people at once"</h2>
                <Show when=move || problem.get().is_some()>
                    <p class="form-summary" role="alert">{move || problem.get()}</p>
                </Show>
                <ul>
                    {move || {
                        let me = crm.user_id();
                        conflicts
                            .get()
                            .into_iter()
                            .map(|conflict| {
                                let restore = conflict.clone();
                                let dismiss = conflict.clone();
                                let overwritten = display_value(&conflict.theirs);
                                view! {
                                    <li class="conflict" data-testid="conflict">
                                        <p>
                                            <strong>{conflict.field_label().to_owned()}</strong>
                                            ": \u{201c}"
                                            <span data-testid="overwritten">{overwritten.clone()}</span>
                                            "\u{201d} was replaced by \u{201c}"
                                            {display_value(&conflict.mine)}
                                            "\u{201d} from "
                                            {who(crm, &conflict, me)}
                                            " at "
                                            {super::clock::day_month_time(&conflict.at)}
                                            "."
                                        </p>
                                        {crm.can_edit().then(|| view! {
                                            <button
                                                class="primary"
                                                on:click=move |_| {
                                                    let conflict = restore.clone();
                                                    spawn_local(async move {
                                                        if let Err(error) = crm.restore(&conflict).await {
                                                            problem.set(Some(error.message()));
                                                        }
                                                    });
                                                }
                                            >
                                                {format!("Restore \u{201c}{overwritten}\u{201d}")}
                                            </button>
                                            <button on:click=move |_| {
                                                let conflict = dismiss.clone();
                                                spawn_local(async move {
                                                    if let Err(error) = crm.dismiss(&conflict).await {
                                                        problem.set(Some(error.message()));
                                                    }
                                                });
                                            }>"Keep current value"</button>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}
