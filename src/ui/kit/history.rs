//! A record's History view (issue 21): every change to it, newest first,
//! with who made it, on which device, when it was made and when it reached
//! the server, and a way to put back any old value. Read from this device's
//! store when opened, so it shows offline.

use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::{is_blank, Entity, FieldChange, HistoryLine};
use crate::ui::clock::day_month_year_time;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Map;
use uuid::Uuid;

/// The History section of a record page: closed until asked for, since
/// reading it is work the page need not do on every visit.
#[component]
pub fn HistorySection(entity: Entity, id: Uuid) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let open = RwSignal::new(false);
    let lines = RwSignal::new(None::<Result<Vec<HistoryLine>, String>>);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        crm.track_history();
        spawn_local(async move { lines.set(Some(crm.history(entity, id).await)) });
    });
    view! {
        <section class="history" data-testid="history">
            <div class="section-head">
                <h2>"History"</h2>
                <button
                    data-testid="history-toggle"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|open| *open = !*open)
                >
                    {move || if open.get() { "Hide history" } else { "Show history" }}
                </button>
            </div>
            <Show when=move || open.get()>
                {move || match lines.get() {
                    None => view! { <p class="muted">"Reading the history…"</p> }.into_any(),
                    Some(Err(problem)) => view! { <p class="form-summary" role="alert">{problem}</p> }.into_any(),
                    Some(Ok(found)) if found.is_empty() => view! {
                        <p class="muted">"No history on this device yet: it arrives after the next sync."</p>
                    }.into_any(),
                    Some(Ok(found)) => view! {
                        <ol class="history-list">
                            {found
                                .into_iter()
                                .map(|line| view! { <HistoryItem entity id line/> })
                                .collect_view()}
                        </ol>
                    }.into_any(),
                }}
            </Show>
        </section>
    }
}

/// Who made a change, by name: "You", a teammate, or the server itself.
fn author(crm: Crm, line: &HistoryLine) -> String {
    match line.author {
        Some(person) if Some(person) == crm.user_id() => "You".to_owned(),
        Some(person) => crm.person_name(person),
        None => "Clientele".to_owned(),
    }
}

/// When a change happened: made and reached the server at once, or made
/// on a device earlier (offline) and synced later, or not synced yet.
fn when(line: &HistoryLine) -> String {
    let made = line.made_at.as_ref().map(day_month_year_time);
    let received = line.received_at.as_ref().map(day_month_year_time);
    match (made, received) {
        (Some(made), Some(received)) if line.arrived_late() => {
            format!("made {made} on the device, reached the server {received}")
        }
        (_, Some(received)) => received,
        (Some(made), None) => format!("made {made}, waiting to sync"),
        (None, None) => "waiting to sync".to_owned(),
    }
}

/// One change: what happened, who, where and when, then its fields.
#[component]
fn HistoryItem(entity: Entity, id: Uuid, line: HistoryLine) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let device = line
        .device
        .clone()
        .map(|device| format!(" on {device}"))
        .unwrap_or_default();
    let restorable = line.restorable;
    let queued = line.received_at.is_none();
    view! {
        <li class="history-entry" data-testid="history-entry">
            <p>
                <strong data-testid="history-kind">{line.headline.clone()}</strong>
                " by " {author(crm, &line)} {device}
                ", " <span data-testid="history-when">{when(&line)}</span>
            </p>
            <ul class="history-changes">
                {line
                    .changes
                    .into_iter()
                    .map(|change| view! { <FieldChangeItem entity id change restorable queued/> })
                    .collect_view()}
            </ul>
        </li>
    }
}

/// One field's old and new value, and the button that puts the old one
/// back as an ordinary edit.
#[component]
fn FieldChangeItem(
    entity: Entity,
    id: Uuid,
    change: FieldChange,
    restorable: bool,
    /// Not on the server yet: the value it replaces is not known here.
    queued: bool,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let problem = RwSignal::new(None::<String>);
    let label = entity
        .field(&change.field)
        .map_or(change.field.clone(), |spec| spec.label.to_owned());
    let old = crm.value_label(entity, &change.field, &change.old);
    let new = crm.value_label(entity, &change.field, &change.new);
    // A creation has no old values worth a "(empty) →" each.
    let show_old = !queued && (restorable || !is_blank(&change.old));
    let restore_label = format!("Restore {label} to {old}");
    let restore = move |_| {
        let mut patch = Map::new();
        patch.insert(change.field.clone(), change.old.clone());
        spawn_local(async move {
            problem.set(crm.save(entity, id, patch).await.err().map(|e| e.message()));
        });
    };
    view! {
        <li data-testid="history-change">
            <span class="history-field">{label}</span> ": "
            {show_old.then(|| view! { <span class="old">{old}</span> " → " })}
            <span class="new">{new}</span>
            {restorable.then(|| view! {
                <WhenCanEdit>
                    " "
                    <button class="link" aria-label=restore_label.clone() data-testid="history-restore" on:click=restore.clone()>
                        "Restore"
                    </button>
                </WhenCanEdit>
            })}
            {move || problem.get().map(|problem| view! { <span class="form-summary" role="alert">{problem}</span> })}
        </li>
    }
}
