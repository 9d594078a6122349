//! The records merged into this one, each with "Unmerge" for the 30 days
//! a merge can be taken back (`domain::UNMERGE_DAYS`).

use super::confirm::ConfirmButton;
use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::{Entity, Record, UNMERGE_DAYS};
use crate::ui::clock::day_month_year_time;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

/// Lists what was merged lately into the records of `into` (a customer
/// and its contacts, a lead); shows nothing when nothing was. An unmerged
/// record shows again at once; what the merge moved goes back to it when
/// the server has answered.
#[component]
pub fn MergedHere(#[prop(into)] into: Signal<Vec<(Entity, Uuid)>>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let merged = Memo::new(move |_| {
        into.get()
            .into_iter()
            .flat_map(|(entity, id)| {
                crm.merged_here(entity, id)
                    .into_iter()
                    .map(move |record| (entity, record))
            })
            .collect::<Vec<_>>()
    });
    let notice = RwSignal::new(String::new());
    view! {
        <Show when=move || merged.with(|merged| !merged.is_empty()) || !notice.with(String::is_empty)>
            <section class="merged-here" aria-labelledby="merged-here-title" data-testid="merged-here">
                <h2 id="merged-here-title">"Merged records"</h2>
                <p class="muted">
                    {format!("A merge can be taken back for {UNMERGE_DAYS} days. Unmerging brings the record back with what was moved from it, where nobody has changed that since.")}
                </p>
                <ul>
                    <For each=move || merged.get() key=|(_, record)| record.id let:merged>
                        <MergedItem entity=merged.0 record=merged.1 notice/>
                    </For>
                </ul>
                <p role="status" data-testid="unmerge-notice">{move || notice.get()}</p>
            </section>
        </Show>
    }
}

#[component]
fn MergedItem(entity: Entity, record: Record, notice: RwSignal<String>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let name = display_name(&record);
    let merged_at = day_month_year_time(&record.updated_at);
    let id = record.id;
    let unmerge = {
        let name = name.clone();
        Callback::new(move |_: ()| {
            let name = name.clone();
            spawn_local(async move {
                let said = match crm.unmerge(entity, id).await {
                    Ok(()) => format!("{name} is unmerged."),
                    Err(error) => format!("{name} could not be unmerged: {}", error.message()),
                };
                notice.set(said);
            });
        })
    };
    view! {
        <li data-testid="merged-record">
            <strong>{name.clone()}</strong>
            <span class="muted">" (" {entity.label()} ", merged " {merged_at} ")"</span>
            " "
            <WhenCanEdit>
                <ConfirmButton
                    id=format!("unmerge-{id}")
                    label="Unmerge"
                    question=format!("Unmerge {name}?")
                    confirm_label="Yes, unmerge"
                    on_confirm=unmerge
                    inline=true
                    class="link"
                    testid="unmerge"
                    confirm_testid="confirm-unmerge"
                />
            </WhenCanEdit>
        </li>
    }
}

/// How the list names a merged record: its name, or a lead's person or company.
fn display_name(record: &Record) -> String {
    ["name", "person_name", "company_name"]
        .iter()
        .find_map(|field| record.text(field).filter(|text| !text.is_empty()))
        .unwrap_or_default()
        .to_owned()
}
