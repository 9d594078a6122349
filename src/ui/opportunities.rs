//! Opportunities: the list on a customer or lead, one opportunity's page,
//! and the pipeline by stage with a drag or a menu to move a deal on.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::form::{RecordForm, OPPORTUNITY_FORM_FIELDS};
use super::state::Crm;
use crate::domain::{
    format_money, pipeline, Entity, Opportunity, TimelineScope, OPPORTUNITY_STAGES,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The record a section of a page hangs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parent {
    Customer(Uuid),
    Lead(Uuid),
    Opportunity(Uuid),
}

impl Parent {
    /// The reference fields a new child record gets.
    pub fn link_fields(self, crm: Crm) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut link = |name: &str, id: Uuid| {
            fields.insert(name.to_owned(), Value::String(id.to_string()));
        };
        match self {
            Parent::Customer(id) => link("customer_id", id),
            Parent::Lead(id) => link("lead_id", id),
            Parent::Opportunity(id) => {
                link("opportunity_id", id);
                if let Some(opportunity) =
                    crm.one(Entity::Opportunity, id, Opportunity::from_record)
                {
                    if let Some(customer) = opportunity.customer_id {
                        link("customer_id", customer);
                    }
                    if let Some(lead) = opportunity.lead_id {
                        link("lead_id", lead);
                    }
                }
            }
        }
        fields
    }
}

fn stage_class(stage: &str) -> String {
    format!("badge stage-{}", stage.to_lowercase())
}

/// Who an opportunity is with, and where that record lives.
fn counterpart(crm: Crm, opportunity: &Opportunity) -> Option<(String, String)> {
    if let Some(customer) = opportunity.customer_id.and_then(|id| crm.customer(id)) {
        return Some((customer.name, format!("/customers/{}", customer.id)));
    }
    opportunity.lead_id.and_then(|id| crm.record_of_lead(id))
}

/// A parent's opportunities, with a form to add one.
#[component]
pub fn OpportunitiesSection(parent: Parent) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let opportunities = Memo::new(move |_| {
        let all = crm.opportunities();
        let mut mine: Vec<Opportunity> = match parent {
            Parent::Customer(id) => {
                let scope = crm.customer_scope(id);
                all.into_iter()
                    .filter(|o| scope.opportunities.contains(&o.id))
                    .collect()
            }
            Parent::Lead(id) => all.into_iter().filter(|o| o.lead_id == Some(id)).collect(),
            Parent::Opportunity(_) => Vec::new(),
        };
        mine.sort_unstable_by_key(|o| std::cmp::Reverse((o.created_at, o.id)));
        mine
    });
    let adding = RwSignal::new(false);
    let new_id = RwSignal::new(Uuid::now_v7());
    let add_form = move || {
        let mut initial = Map::new();
        initial.insert("stage".into(), Value::String("Qualification".into()));
        initial.insert("currency".into(), Value::String("EUR".into()));
        let on_done = Callback::new(move |_| {
            adding.set(false);
            new_id.set(Uuid::now_v7());
        });
        view! {
            <RecordForm
                entity=Entity::Opportunity
                record_id=new_id.get_untracked()
                fields=OPPORTUNITY_FORM_FIELDS
                initial=initial
                fixed=parent.link_fields(crm)
                submit_label="Add opportunity"
                on_done=on_done
            />
        }
    };
    view! {
        <section class="opportunities" data-testid="opportunities">
            <div class="section-head">
                <h2>"Opportunities " <span class="count">{move || opportunities.with(Vec::len)}</span></h2>
                <Show when=move || !adding.get()>
                    <button on:click=move |_| adding.set(true)>"Add opportunity"</button>
                </Show>
            </div>
            <Show when=move || adding.get()>{add_form}</Show>
            <Show
                when=move || !opportunities.with(Vec::is_empty)
                fallback=|| view! { <p class="muted">"No opportunities yet."</p> }
            >
                <ul class="opportunity-list">
                    {move || {
                        opportunities
                            .get()
                            .into_iter()
                            .map(|o| {
                                let title = o.title.clone();
                                view! {
                                    <li data-testid="opportunity">
                                        <A href=format!("/opportunities/{}", o.id)>{title}</A>
                                        " "
                                        <span class=stage_class(&o.stage)>{o.stage.clone()}</span>
                                        " "
                                        <span class="amount">{o.amount_text()}</span>
                                        <span class="muted">
                                            {(!o.expected_close.is_empty())
                                                .then(|| format!(" · closes {}", o.expected_close))}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}

/// Moves an opportunity to another stage: a one-field edit, synced like any.
fn move_to_stage(crm: Crm, id: Uuid, stage: String) {
    let patch: Map<String, Value> = [("stage".to_owned(), Value::String(stage))]
        .into_iter()
        .collect();
    spawn_local(async move {
        let _ = crm.save(Entity::Opportunity, id, patch).await;
    });
}

/// Every open and closed deal by stage, with totals; drag a card to another
/// column or use its menu.
#[component]
pub fn PipelinePage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let columns = Memo::new(move |_| pipeline(crm.opportunities()));
    let dragged = RwSignal::new(None::<Uuid>);
    let over = RwSignal::new(None::<&'static str>);
    view! {
        <section class="pipeline-page">
            <div class="page-head">
                <h1>"Pipeline"</h1>
            </div>
            <Show
                when=move || crm.status.get().loaded
                fallback=|| view! { <p class="muted">"Loading…"</p> }
            >
                <Show
                    when=move || columns.with(|c| c.iter().any(|c| !c.opportunities.is_empty()))
                    fallback=|| {
                        view! {
                            <p class="empty" data-testid="empty-pipeline">
                                "No opportunities yet. Add one from a customer or a lead."
                            </p>
                        }
                    }
                >
                    <div class="pipeline">
                        {move || {
                            columns
                                .get()
                                .into_iter()
                                .map(|column| {
                                    let stage = column.stage;
                                    let totals = if column.totals.is_empty() {
                                        "—".to_owned()
                                    } else {
                                        column
                                            .totals
                                            .iter()
                                            .map(|(currency, total)| format_money(*total, currency))
                                            .collect::<Vec<_>>()
                                            .join(" · ")
                                    };
                                    view! {
                                        <section
                                            class="stage-column"
                                            class:drop-target=move || over.get() == Some(stage)
                                            data-testid=format!("stage-{}", stage.to_lowercase())
                                            on:dragover=move |event| {
                                                event.prevent_default();
                                                over.set(Some(stage));
                                            }
                                            on:dragleave=move |_| over.set(None)
                                            on:drop=move |event| {
                                                event.prevent_default();
                                                over.set(None);
                                                if let Some(id) = dragged.get_untracked() {
                                                    dragged.set(None);
                                                    move_to_stage(crm, id, stage.to_owned());
                                                }
                                            }
                                        >
                                            <header>
                                                <h2>
                                                    {stage} " "
                                                    <span class="count">{column.opportunities.len()}</span>
                                                </h2>
                                                <p class="stage-total" data-testid="stage-total">{totals}</p>
                                            </header>
                                            {column
                                                .opportunities
                                                .into_iter()
                                                .map(|o| view! { <DealCard opportunity=o dragged=dragged/> })
                                                .collect_view()}
                                        </section>
                                    }
                                })
                                .collect_view()
                        }}
                    </div>
                </Show>
            </Show>
        </section>
    }
}

#[component]
fn DealCard(opportunity: Opportunity, dragged: RwSignal<Option<Uuid>>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let id = opportunity.id;
    let current = opportunity.stage.clone();
    let with = counterpart(crm, &opportunity);
    let title = opportunity.title.clone();
    view! {
        <article
            class="deal"
            draggable="true"
            data-testid="deal"
            on:dragstart=move |_event| {
                dragged.set(Some(id));
                // Firefox starts a drag only when it carries data.
                #[cfg(feature = "hydrate")]
                if let Some(transfer) = _event.data_transfer() {
                    let _ = transfer.set_data("text/plain", &id.to_string());
                }
            }
            on:dragend=move |_| dragged.set(None)
        >
            <A href=format!("/opportunities/{id}") attr:class="deal-title">
                {title}
            </A>
            <p class="muted">
                {with.map(|(name, href)| view! { <A href=href>{name}</A> })}
            </p>
            <p class="amount">{opportunity.amount_text()}</p>
            <Show when={
                let close = opportunity.expected_close.clone();
                move || !close.is_empty()
            }>
                <p class="muted">"Closes " {opportunity.expected_close.clone()}</p>
            </Show>
            <label class="move">
                <span class="visually-hidden">"Stage"</span>
                <select
                    aria-label="Move to stage"
                    on:change=move |event| move_to_stage(crm, id, event_target_value(&event))
                >
                    {OPPORTUNITY_STAGES
                        .iter()
                        .map(|stage| {
                            view! {
                                <option value=*stage selected=*stage == current>
                                    {*stage}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        </article>
    }
}

fn opportunity_values(opportunity: &Opportunity) -> Map<String, Value> {
    let mut values = Map::new();
    let mut text = |name: &str, value: &str| {
        values.insert(name.to_owned(), Value::String(value.to_owned()));
    };
    text("title", &opportunity.title);
    text("stage", &opportunity.stage);
    text("currency", &opportunity.currency);
    text("expected_close", &opportunity.expected_close);
    text("notes", &opportunity.notes);
    for (name, number) in [
        ("amount", opportunity.amount),
        ("probability", opportunity.probability),
    ] {
        values.insert(name.to_owned(), number.map_or(Value::Null, Value::from));
    }
    values
}

/// One opportunity: details, edit, stage, delete and its timeline.
#[component]
pub fn OpportunityPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let params = use_params_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| {
        params.with(|params| params.get("id").and_then(|id| Uuid::parse_str(&id).ok()))
    });
    let opportunity = Memo::new(move |_| {
        id.get()
            .and_then(|id| crm.opportunities().into_iter().find(|o| o.id == id))
    });
    // The page's sections keep their state (an open form) while the record
    // changes under them; only its presence rebuilds the page.
    let present = Memo::new(move |_| opportunity.with(Option::is_some));
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    // Only loading matters here: any other status change (a sync starting,
    // a count) must not rebuild the page and close a form being filled in.
    let loaded = Memo::new(move |_| crm.status.with(|status| status.loaded));
    move || {
        if !loaded.get() {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        let (Some(id), true) = (id.get(), present.get()) else {
            return view! {
                <section class="empty" data-testid="opportunity-missing">
                    <h1>"Opportunity not found"</h1>
                    <p>"It may have been deleted on this device or by a colleague."</p>
                    <A href="/pipeline">"Back to the pipeline"</A>
                </section>
            }
            .into_any();
        };
        if editing.get() {
            let Some(current) = opportunity.get_untracked() else {
                return ().into_any();
            };
            return view! {
                <section class="form-page">
                    <h1>"Edit " {current.title.clone()}</h1>
                    <RecordForm
                        entity=Entity::Opportunity
                        record_id=id
                        fields=OPPORTUNITY_FORM_FIELDS
                        initial=opportunity_values(&current)
                        editing=true
                        submit_label="Save changes"
                        on_done=Callback::new(move |_| editing.set(false))
                    />
                </section>
            }
            .into_any();
        }
        let navigate = navigate.clone();
        let delete = Callback::new(move |_: ()| {
            let navigate = navigate.clone();
            spawn_local(async move {
                if crm.delete(Entity::Opportunity, id).await.is_ok() {
                    navigate("/pipeline", Default::default());
                }
            });
        });
        let header = move || {
            opportunity.get().map(|current| {
                let with = counterpart(crm, &current);
                let stage = current.stage.clone();
                let details: Vec<(&str, String)> = [
                    ("Amount", current.amount_text()),
                    ("Expected close", current.expected_close.clone()),
                    (
                        "Probability",
                        current
                            .probability
                            .map(|p| format!("{p} %"))
                            .unwrap_or_default(),
                    ),
                ]
                .into_iter()
                .filter(|(_, value)| !value.is_empty())
                .collect();
                let no_details = details.is_empty();
                view! {
                        <div class="page-head">
                            <div>
                                <p class="crumbs">
                                    <A href="/pipeline">"Pipeline"</A>
                                    {with.map(|(name, href)| view! { " · " <A href=href>{name}</A> })}
                                </p>
                                <h1 data-testid="opportunity-title">{current.title.clone()}</h1>
                                <p>
                                    <span class=stage_class(&current.stage) data-testid="opportunity-stage">
                                        {current.stage.clone()}
                                    </span>
                                </p>
                            </div>
                            <div class="actions">
                                <select
                                    aria-label="Move to stage"
                                    on:change=move |event| move_to_stage(crm, id, event_target_value(&event))
                                >
                                    {OPPORTUNITY_STAGES
                                        .iter()
                                        .map(|option| {
                                            view! {
                                                <option value=*option selected=*option == stage>
                                                    {*option}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button class="primary" on:click=move |_| editing.set(true)>
                                    "Edit"
                                </button>
                                <Show
                                    when=move || confirming.get()
                                    fallback=move || {
                                        view! {
                                            <button class="danger" on:click=move |_| confirming.set(true)>
                                                "Delete"
                                            </button>
                                        }
                                    }
                                >
                                    <div class="confirm" role="alertdialog" aria-label="Confirm delete">
                                        <p>"Delete this opportunity and its activities?"</p>
                                        <button class="danger" on:click=move |_| delete.run(())>
                                            "Yes, delete"
                                        </button>
                                        <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                                    </div>
                                </Show>
                            </div>
                        </div>
                        <ConflictNotices record_ids=Signal::derive(move || vec![id])/>
                        <dl class="details" class:hidden=no_details>
                            {details
                                .into_iter()
                                .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
                                .collect_view()}
                        </dl>
                        <Show when={
                            let empty = current.notes.is_empty();
                            move || !empty
                        }>
                            <section class="notes">
                                <h2>"Notes"</h2>
                                <p>{current.notes.clone()}</p>
                            </section>
                        </Show>
                }
            })
        };
        view! {
            <article class="opportunity" data-testid="opportunity-page">
                {header}
                <TimelineSection
                    parent=Parent::Opportunity(id)
                    scope=Signal::derive(move || TimelineScope {
                        opportunities: [id].into(),
                        ..TimelineScope::default()
                    })
                />
            </article>
        }
        .into_any()
    }
}
