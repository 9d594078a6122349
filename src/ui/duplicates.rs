//! The Duplicates page: likely duplicate customers, contacts and leads,
//! found among this device's records (offline too), and the merge of one
//! group: which record stays and, field by field, which value it keeps.
//! The merge is one batch of ordinary synced changes (see `Crm::merge`).

use super::kit::WhenCanEdit;
use super::platform::focus_soon;
use crate::crm::Crm;
use crate::domain::{
    default_merge_values, display_value, merge_fields, DuplicateGroup, DuplicateReason, Entity,
    MergeRequest, Record,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde_json::{Map, Value};
use uuid::Uuid;

/// How many groups the page draws before "Show more".
const GROUPS_PER_PAGE: usize = 50;

/// The entities the page looks through, with the words it uses for them.
const KINDS: &[(Entity, &str)] = &[
    (Entity::Customer, "Customers"),
    (Entity::Contact, "Contacts"),
    (Entity::Lead, "Leads"),
];

/// The page: a tab per entity, its groups, and the merge of one group.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let entity = RwSignal::new(Entity::Customer);
    let reviewing = RwSignal::new(None::<DuplicateGroup>);
    let merged = RwSignal::new(None::<(String, String)>);
    let loaded = move || crm.status.with(|status| status.loaded);
    view! {
        <section class="duplicates-page" data-testid="duplicates-page">
            <div class="page-head">
                <h1>"Duplicates"</h1>
            </div>
            <div class="status-filter" role="group" aria-label="Look for duplicates among">
                {KINDS
                    .iter()
                    .map(|(kind, label)| {
                        let kind = *kind;
                        view! {
                            <button
                                aria-pressed=move || (entity.get() == kind).to_string()
                                on:click=move |_| {
                                    entity.set(kind);
                                    reviewing.set(None);
                                }
                            >
                                {*label}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <Show when=move || merged.get().is_some()>
                <p class="notice" role="status" data-testid="merge-notice">
                    {move || merged.get().map(|(name, href)| view! {
                        "Merged into " <A href=href>{name}</A> "."
                    })}
                </p>
            </Show>
            <Show when=loaded fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || match reviewing.get() {
                    Some(group) => view! { <MergePanel group reviewing merged/> }.into_any(),
                    None => view! { <GroupList entity reviewing/> }.into_any(),
                }}
            </Show>
        </section>
    }
}

/// How the page names one record: a customer's name, a lead's company or
/// person, a contact's name and customer.
fn record_label(crm: Crm, entity: Entity, record: &Record) -> String {
    let text = |field: &str| record.text(field).unwrap_or_default().trim().to_owned();
    match entity {
        Entity::Contact => {
            let name = format!("{} {}", text("first_name"), text("last_name"));
            match record.reference("customer_id") {
                Some(customer) => format!(
                    "{} at {}",
                    name.trim(),
                    crm.record_name(Entity::Customer, customer)
                ),
                None => name.trim().to_owned(),
            }
        }
        Entity::Lead if !text("company_name").is_empty() => text("company_name"),
        Entity::Lead => text("person_name"),
        _ => text("name"),
    }
}

/// Where a record's page is: a contact's is its customer's.
fn record_href(entity: Entity, record: &Record) -> String {
    match entity {
        Entity::Contact => record
            .reference("customer_id")
            .map(|customer| format!("/customers/{customer}"))
            .unwrap_or_else(|| "/".to_owned()),
        Entity::Lead => format!("/leads/{}", record.id),
        _ => format!("/customers/{}", record.id),
    }
}

fn reason_text(reason: DuplicateReason) -> &'static str {
    match reason {
        DuplicateReason::SameEmail => "Same email",
        DuplicateReason::SamePhone => "Same phone",
        DuplicateReason::SameName => "Same name",
    }
}

/// The groups of one entity, a page at a time, each with its reasons.
#[component]
fn GroupList(
    entity: RwSignal<Entity>,
    reviewing: RwSignal<Option<DuplicateGroup>>,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let groups = Memo::new(move |_| crm.duplicate_groups(entity.get()));
    let shown = RwSignal::new(GROUPS_PER_PAGE);
    let noun = move || {
        KINDS
            .iter()
            .find(|(kind, _)| *kind == entity.get())
            .map_or("records", |(_, label)| *label)
            .to_lowercase()
    };
    view! {
        <p data-testid="duplicate-count">
            {move || match groups.with(Vec::len) {
                0 => format!("No likely duplicate {} found.", noun()),
                1 => format!("1 group of likely duplicate {}.", noun()),
                n => format!("{n} groups of likely duplicate {}.", noun()),
            }}
        </p>
        <ul class="duplicate-groups">
            {move || {
                groups
                    .get()
                    .into_iter()
                    .take(shown.get())
                    .map(|group| view! { <GroupItem group reviewing/> })
                    .collect_view()
            }}
        </ul>
        <Show when=move || { groups.with(Vec::len) > shown.get() }>
            <button on:click=move |_| shown.update(|shown| *shown += GROUPS_PER_PAGE)>"Show more"</button>
        </Show>
    }
}

/// One group: its records by name, why they were grouped, and "Review".
#[component]
fn GroupItem(group: DuplicateGroup, reviewing: RwSignal<Option<DuplicateGroup>>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let entity = group.entity;
    let names = untrack(|| crm.records_of(entity, &group.ids))
        .iter()
        .map(|record| record_label(crm, entity, record))
        .collect::<Vec<_>>()
        .join(" · ");
    let reasons = group.reasons.clone();
    let label = format!("Review and merge {names}");
    view! {
        <li class="duplicate-group card" data-testid="duplicate-group">
            <p class="duplicate-names">{names}</p>
            <p class="duplicate-reasons">
                {reasons
                    .into_iter()
                    .map(|reason| view! { <span class="badge">{reason_text(reason)}</span> })
                    .collect_view()}
            </p>
            <WhenCanEdit>
                <button aria-label=label.clone() on:click={
                    let group = group.clone();
                    move |_| {
                        reviewing.set(Some(group.clone()));
                        focus_soon("#merge-heading".to_owned());
                    }
                }>"Review and merge"</button>
            </WhenCanEdit>
        </li>
    }
}

/// For each field, the record whose value the survivor keeps: the
/// survivor unless the domain's default took another record's value.
fn default_choices(entity: Entity, records: &[Record], survivor: Uuid) -> Map<String, Value> {
    let Some(kept) = records.iter().find(|record| record.id == survivor) else {
        return Map::new();
    };
    let others: Vec<&Record> = records.iter().filter(|r| r.id != survivor).collect();
    default_merge_values(entity, kept, &others)
}

/// The side-by-side merge of one group.
#[component]
fn MergePanel(
    group: DuplicateGroup,
    reviewing: RwSignal<Option<DuplicateGroup>>,
    merged: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let entity = group.entity;
    let records = StoredValue::new(untrack(|| crm.records_of(entity, &group.ids)));
    let first = records.with_value(|records| records.first().map(|record| record.id));
    let survivor = RwSignal::new(first.unwrap_or_default());
    let values =
        RwSignal::new(records.with_value(|r| default_choices(entity, r, survivor.get_untracked())));
    let problem = RwSignal::new(None::<String>);
    let choose_survivor = move |id: Uuid| {
        survivor.set(id);
        values.set(records.with_value(|records| default_choices(entity, records, id)));
    };
    let merge = move |_| {
        let kept = survivor.get_untracked();
        let request = MergeRequest {
            merged: records
                .with_value(|r| r.iter().map(|r| r.id).filter(|id| *id != kept).collect()),
            values: values.get_untracked(),
        };
        let (name, href) = records.with_value(|records| {
            let record = records.iter().find(|record| record.id == kept);
            record
                .map(|r| (record_label(crm, entity, r), record_href(entity, r)))
                .unwrap_or_default()
        });
        spawn_local(async move {
            match crm.merge(entity, kept, request).await {
                Ok(()) => {
                    merged.set(Some((name, href)));
                    reviewing.set(None);
                }
                Err(error) => problem.set(Some(error.message())),
            }
        });
    };
    let count = records.with_value(Vec::len);
    view! {
        <section class="merge-panel card" data-testid="merge-panel" aria-labelledby="merge-heading">
            <h2 id="merge-heading" tabindex="-1">{format!("Merge {count} records into one")}</h2>
            <p class="muted">"Choose the record that stays, then the value it keeps where they differ. Everything attached to the others moves to it."</p>
            <Show when=move || problem.get().is_some()>
                <p class="form-summary" role="alert">{move || problem.get()}</p>
            </Show>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Records side by side">
                <table class="customer-table merge-table">
                    <MergeHead entity records survivor choose_survivor/>
                    <tbody>
                        {merge_fields(entity)
                            .into_iter()
                            .map(|spec| view! { <FieldChoice entity spec=spec.name label=spec.label records survivor values/> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="form-actions">
                <button class="primary" on:click=merge>{format!("Merge {count} records")}</button>
                <button on:click=move |_| reviewing.set(None)>"Cancel"</button>
            </div>
        </section>
    }
}

/// The heading row: each record by name, with "Keep this one".
#[component]
fn MergeHead(
    entity: Entity,
    records: StoredValue<Vec<Record>>,
    survivor: RwSignal<Uuid>,
    choose_survivor: impl Fn(Uuid) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    view! {
        <thead>
            <tr>
                <th scope="col">"Field"</th>
                {records.with_value(|records| records.iter().map(|record| {
                    let id = record.id;
                    let label = record_label(crm, entity, record);
                    view! {
                        <th scope="col">
                            <label class="keep">
                                <input
                                    type="radio"
                                    name="survivor"
                                    prop:checked=move || survivor.get() == id
                                    on:change=move |_| choose_survivor(id)
                                    aria-label=format!("Keep {label}")
                                />
                                {label.clone()}
                            </label>
                        </th>
                    }
                }).collect_view())}
            </tr>
        </thead>
    }
}

/// One field's values side by side; where they differ, a choice of which
/// the survivor keeps.
#[component]
fn FieldChoice(
    entity: Entity,
    spec: &'static str,
    label: &'static str,
    records: StoredValue<Vec<Record>>,
    survivor: RwSignal<Uuid>,
    values: RwSignal<Map<String, Value>>,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let shown = |value: Option<&Value>| match (entity.field(spec).map(|s| s.kind), value) {
        (Some(crate::domain::FieldKind::Member), Some(Value::String(id))) => {
            Uuid::parse_str(id).map_or_else(|_| id.clone(), |id| crm.person_name(id))
        }
        (_, value) => display_value(value.unwrap_or(&Value::Null)),
    };
    let cells: Vec<(Uuid, Value)> = records.with_value(|records| {
        records
            .iter()
            .map(|record| {
                (
                    record.id,
                    record.fields.get(spec).cloned().unwrap_or(Value::Null),
                )
            })
            .collect()
    });
    let empty =
        |value: &Value| value.is_null() || value.as_str().is_some_and(|t| t.trim().is_empty());
    if cells.iter().all(|(_, value)| empty(value)) {
        return ().into_any();
    }
    let differs = cells.windows(2).any(|pair| pair[0].1 != pair[1].1);
    let chosen =
        move |id: Uuid, value: &Value| match values.with(|values| values.get(spec).cloned()) {
            Some(picked) => picked == *value && id != survivor.get(),
            None => id == survivor.get(),
        };
    view! {
        <tr class:differs=differs data-testid="merge-field" data-field=spec>
            <th scope="row">{label}</th>
            {cells.into_iter().map(|(id, value)| {
                let text = shown(Some(&value));
                if !differs || empty(&value) {
                    return view! { <td>{text}</td> }.into_any();
                }
                let kept = value.clone();
                let is_chosen = move || chosen(id, &kept);
                let picked = value.clone();
                view! {
                    <td>
                        <label class="keep">
                            <input
                                type="radio"
                                name=format!("keep-{spec}")
                                prop:checked=is_chosen
                                aria-label=format!("Keep {label}: {text}")
                                on:change=move |_| values.update(|values| {
                                    if id == survivor.get_untracked() {
                                        values.remove(spec);
                                    } else {
                                        values.insert(spec.to_owned(), picked.clone());
                                    }
                                })
                            />
                            {text.clone()}
                        </label>
                    </td>
                }.into_any()
            }).collect_view()}
        </tr>
    }
    .into_any()
}
