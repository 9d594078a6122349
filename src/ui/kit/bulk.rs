//! Selecting many rows of a list and acting on them at once (issue 21):
//! a checkbox per row (Shift+click selects the range since the last one),
//! one in the header and "Select all N matching" for the current filter
//! and search, and a bar of actions saved as one batch with one Undo.

use super::confirm::ConfirmButton;
use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::{BulkAction, Entity, Listed, ACTIVITY_KINDS, LEAD_CONVERTED};
use crate::ui::form::choice_label;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashSet;
use uuid::Uuid;

/// What a list's bulk actions act on.
#[derive(Clone, Copy)]
pub struct BulkSpec {
    pub entity: Entity,
}

/// The rows a list has selected, and the row a Shift+click ranges from.
#[derive(Clone, Copy)]
pub struct Selection {
    pub selected: RwSignal<HashSet<Uuid>>,
    /// Where in the shown rows the last plain click was.
    anchor: RwSignal<Option<usize>>,
}

impl Selection {
    /// Nothing selected yet.
    pub fn new() -> Self {
        Self {
            selected: RwSignal::new(HashSet::new()),
            anchor: RwSignal::new(None),
        }
    }

    /// A click on the checkbox of the row shown at `at`: toggles it, or
    /// with Shift gives every row from the last click to it that state.
    fn click(&self, at: usize, shift: bool, id_at: impl Fn(usize) -> Option<Uuid>) {
        let Some(id) = id_at(at) else {
            return;
        };
        let select = !self
            .selected
            .with_untracked(|selected| selected.contains(&id));
        let range = match self.anchor.get_untracked().filter(|_| shift) {
            Some(anchor) => anchor.min(at)..=anchor.max(at),
            None => at..=at,
        };
        self.selected.update(|selected| {
            for id in range.filter_map(&id_at) {
                if select {
                    selected.insert(id);
                } else {
                    selected.remove(&id);
                }
            }
        });
        self.anchor.set(Some(at));
    }

    fn clear(&self) {
        self.selected.set(HashSet::new());
        self.anchor.set(None);
    }
}

impl Default for Selection {
    fn default() -> Self {
        Self::new()
    }
}

/// The ids of the rows shown, in list order.
fn shown_ids<T: Listed + Send + Sync + 'static>(
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
) -> Vec<Uuid> {
    shown.with_untracked(|shown| {
        all.with_untracked(|all| shown.iter().map(|&at| all[at].id()).collect())
    })
}

/// The checkbox of the row shown at `at`, for the record `row` there.
#[component]
pub fn SelectRow<T>(
    selection: Selection,
    row: Memo<Option<T>>,
    at: usize,
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
) -> impl IntoView
where
    T: Listed + Clone + PartialEq + Send + Sync + 'static,
{
    let id_at = move |at: usize| {
        shown.with_untracked(|shown| {
            shown
                .get(at)
                .and_then(|&row| all.with_untracked(|all| all.get(row).map(T::id)))
        })
    };
    let checked = move || {
        row.with(|row| {
            row.as_ref().is_some_and(|row| {
                selection
                    .selected
                    .with(|selected| selected.contains(&row.id()))
            })
        })
    };
    let label = move || {
        row.with(|row| row.as_ref().map(|row| format!("Select {}", row.title())))
            .unwrap_or_default()
    };
    view! {
        <td class="select">
            <input
                type="checkbox"
                data-testid="select-row"
                aria-label=label
                prop:checked=checked
                on:click=move |event| selection.click(at, event.shift_key(), id_at)
            />
        </td>
    }
}

/// The header's checkbox: selects every row matching the filter and
/// search, or clears them when all are selected.
#[component]
pub fn SelectAll<T>(
    selection: Selection,
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
) -> impl IntoView
where
    T: Listed + Send + Sync + 'static,
{
    let all_selected = move || {
        let count = selection.selected.with(HashSet::len);
        count > 0 && count >= shown.with(Vec::len)
    };
    let toggle = move |_| {
        if all_selected() {
            selection.clear();
        } else {
            selection
                .selected
                .set(shown_ids(all, shown).into_iter().collect());
        }
    };
    view! {
        <th class="select">
            <input
                type="checkbox"
                data-testid="select-all"
                aria-label="Select every row that matches"
                prop:checked=all_selected
                on:click=toggle
            />
        </th>
    }
}

/// The bar over a list with rows selected: how many, "Select all N
/// matching", and the actions, each one batch with one Undo.
#[component]
pub fn BulkBar<T>(
    spec: BulkSpec,
    plural: &'static str,
    /// Downloads these rows as the list's CSV, for a list that exports;
    /// answers why it could not.
    export: Option<Callback<Vec<Uuid>, Option<String>>>,
    selection: Selection,
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
) -> impl IntoView
where
    T: Listed + Send + Sync + 'static,
{
    let crm = expect_context::<Crm>();
    let outcome = RwSignal::new(None::<String>);
    let count = move || selection.selected.with(HashSet::len);
    let matching = move || shown.with(Vec::len);
    let run = move |action: BulkAction| {
        let ids: Vec<Uuid> = selection
            .selected
            .with_untracked(|selected| selected.iter().copied().collect());
        spawn_local(async move {
            let said = match crm.bulk(spec.entity, &ids, action, plural).await {
                Ok((changed, 0)) => format!("Done: {changed} {plural} changed."),
                Ok((changed, left)) => {
                    format!("Done: {changed} {plural} changed, {left} left as they were.")
                }
                Err(error) => error.message(),
            };
            selection.clear();
            outcome.set(Some(said));
        });
    };
    let export_selected = move |_| {
        let Some(export) = export else { return };
        let chosen = selection.selected.get_untracked();
        let ids: Vec<Uuid> = shown_ids(all, shown)
            .into_iter()
            .filter(|id| chosen.contains(id))
            .collect();
        outcome.set(export.run(ids));
    };
    view! {
        <div class="bulk-bar" role="region" aria-label="Selected rows" data-testid="bulk-bar" hidden=move || count() == 0>
            <p>
                <strong data-testid="selected-count">{move || format!("{} selected", count())}</strong>
                <Show when=move || count() < matching()>
                    <button class="link" data-testid="select-all-matching" on:click=move |_| selection.selected.set(shown_ids(all, shown).into_iter().collect())>
                        {move || format!("Select all {} matching", matching())}
                    </button>
                </Show>
                <button class="link" on:click=move |_| selection.clear()>"Clear selection"</button>
                {export.map(|_| view! { <button data-testid="export-selected" on:click=export_selected>"Export selected"</button> })}
            </p>
            <WhenCanEdit>
                <BulkActions statuses=T::STATUSES run/>
                <ConfirmButton
                    id="bulk-delete".to_owned()
                    label="Delete selected"
                    question=Signal::derive(move || format!("Delete {} {plural} and what goes with each? They stay in the Trash for 30 days.", count()))
                    confirm_label="Yes, delete them"
                    on_confirm=Callback::new(move |_| run(BulkAction::Delete))
                    class="danger"
                />
            </WhenCanEdit>
        </div>
        <p class="muted" role="status" data-testid="bulk-outcome">{move || outcome.get()}</p>
    }
}

/// Change status, change owner and add an activity, each with its choice.
#[component]
fn BulkActions(
    /// The list's statuses; conversion's own is never offered.
    statuses: &'static [&'static str],
    run: impl Fn(BulkAction) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let statuses: Vec<&'static str> = statuses
        .iter()
        .copied()
        .filter(|status| *status != LEAD_CONVERTED)
        .collect();
    let status = RwSignal::new(
        statuses
            .first()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    );
    let owner = RwSignal::new(String::new());
    let kind = RwSignal::new("call".to_owned());
    let subject = RwSignal::new(String::new());
    let give = move |_| {
        let Ok(id) = Uuid::parse_str(&owner.get_untracked()) else {
            return;
        };
        run(BulkAction::Owner {
            id,
            name: crm.person_name(id),
        });
    };
    let add_activity = move |_| {
        let subject = subject.get_untracked().trim().to_owned();
        if !subject.is_empty() {
            run(BulkAction::Activity {
                kind: kind.get_untracked(),
                subject,
            });
        }
    };
    view! {
        <div class="bulk-actions">
            <label>"Status "
                <select data-testid="bulk-status" prop:value=move || status.get() on:change=move |event| status.set(event_target_value(&event))>
                    {statuses.into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </label>
            <button on:click=move |_| run(BulkAction::Status(status.get_untracked()))>"Change status"</button>
            <label>"Owner "
                <select data-testid="bulk-owner" prop:value=move || owner.get() on:change=move |event| owner.set(event_target_value(&event))>
                    <option value="">"Choose a member"</option>
                    {move || crm.people.with(|people| people.members.clone()).into_iter()
                        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
            </label>
            <button on:click=give disabled=move || owner.with(String::is_empty)>"Change owner"</button>
            <label>"Activity "
                <select prop:value=move || kind.get() on:change=move |event| kind.set(event_target_value(&event))>
                    {ACTIVITY_KINDS.iter().map(|k| view! { <option value=*k>{choice_label(k)}</option> }).collect_view()}
                </select>
            </label>
            <input aria-label="Activity subject" placeholder="Subject" prop:value=move || subject.get() on:input=move |event| subject.set(event_target_value(&event))/>
            <button on:click=add_activity disabled=move || subject.with(|s| s.trim().is_empty())>"Add activity"</button>
        </div>
    }
}
