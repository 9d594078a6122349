//! The Trash page (issue 21): what was deleted in the last 30 days,
//! searchable and filtered by kind, each restorable with what went with it.

use super::clock::day_month_time;
use super::kit::{Column, ListPage, ListSpec, WhenCanEdit};
use crate::crm::Crm;
use crate::domain::{RecordKey, Trashed};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};

/// Every record deleted on its own in the last 30 days, latest first.
#[component]
pub fn TrashPage() -> impl IntoView {
    view! {
        <ListPage spec=ListSpec {
            title: "Trash",
            plural: "deleted records",
            new: None,
            intro: Some(TRASH_INTRO),
            search_placeholder: "Search deleted records",
            search_label: "Search the Trash",
            empty_text: "Nothing was deleted in the last 30 days.",
            no_match_text: "Nothing in the Trash matches this filter.",
            testid_prefix: "trash-",
            row_testid: "trash-row",
            columns: &[
                Column { header: "Name", optional: false },
                Column { header: "Deleted", optional: true },
                Column { header: "Went with it", optional: true },
                Column { header: "", optional: false },
            ],
            remember_filter_as: None,
            owner_filter_as: None,
            transfer: None,
            bulk: None,
            ready: |status| status.loaded,
            rows: |crm| crm.trash(),
            cells: trash_cells,
        }/>
    }
}

/// What the Trash says under its heading.
const TRASH_INTRO: &str =
    "Deleted records stay here for 30 days. Restoring one brings back what was deleted with it.";

fn trash_cells(_crm: Crm, rows: Vec<Trashed>) -> Vec<AnyView> {
    rows.into_iter()
        .map(|row| {
            let went_with = match row.went_with {
                0 => String::new(),
                1 => "1 record".to_owned(),
                count => format!("{count} records"),
            };
            view! {
                <td>
                    <span data-testid="trash-title">{row.title.clone()}</span>
                    <span class="kind">{row.key.entity.label()}</span>
                </td>
                <td class="optional">{day_month_time(&row.deleted_at)}</td>
                <td class="optional" data-testid="went-with">{went_with}</td>
                <td>
                    <RestoreButton key=row.key title=row.title blocked=row.blocked/>
                </td>
            }
            .into_any()
        })
        .collect()
}

/// "Restore", an ordinary synced edit the Undo notice can take back; or
/// why the record cannot come back on its own.
#[component]
fn RestoreButton(key: RecordKey, title: String, blocked: Option<String>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let problem = RwSignal::new(None::<String>);
    if let Some(blocked) = blocked {
        return view! { <span class="muted" data-testid="restore-blocked">{blocked}</span> }
            .into_any();
    }
    let restore = move |_| {
        let patch: Map<String, Value> = [("deleted".to_owned(), Value::Bool(false))]
            .into_iter()
            .collect();
        spawn_local(async move {
            problem.set(
                crm.save(key.entity, key.id, patch)
                    .await
                    .err()
                    .map(|e| e.message()),
            );
        });
    };
    view! {
        <WhenCanEdit>
            <button data-testid="restore" aria-label=format!("Restore {title}") on:click=restore>
                "Restore"
            </button>
        </WhenCanEdit>
        {move || problem.get().map(|problem| view! { <span class="form-summary" role="alert">{problem}</span> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TRASH_DAYS;

    #[test]
    fn the_trash_says_how_long_it_keeps_what_was_deleted() {
        assert!(TRASH_INTRO.contains(&format!("{TRASH_DAYS} days")));
    }
}
