//! Opportunities: the list on a customer or lead, one opportunity's page,
//! and the pipeline by stage with a drag or a menu to move a deal on.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::form::{RecordForm, OPPORTUNITY_FORM_FIELDS};
use super::kit::{
    DeleteButton, Detail, Details, EditButton, HistorySection, RecordHeader, RecordPage,
    RecordPageSpec, RecordSection, RecordView, WhenCanEdit,
};
use super::parent::Parent;
use crate::crm::Crm;
use crate::domain::{
    format_money, pipeline, Entity, Opportunity, TimelineScope, OPPORTUNITY_STAGES,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde_json::{Map, Value};
use uuid::Uuid;

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
    let add_form = Callback::new(move |(id, on_done): (Uuid, Callback<bool>)| {
        let mut initial = Map::new();
        initial.insert("stage".into(), Value::String("Qualification".into()));
        initial.insert("currency".into(), Value::String("EUR".into()));
        view! {
            <RecordForm
                entity=Entity::Opportunity
                record_id=id
                fields=OPPORTUNITY_FORM_FIELDS
                initial=initial
                fixed=parent.link_fields(crm)
                submit_label="Add opportunity"
                on_done=on_done
            />
        }
        .into_any()
    });
    view! {
        <RecordSection
            name="opportunities"
            title="Opportunities"
            count=Signal::derive(move || opportunities.with(Vec::len))
            add_label="Add opportunity"
            add_form
            empty_text="No opportunities yet."
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
        </RecordSection>
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
            draggable=move || if crm.can_edit() { "true" } else { "false" }
            data-testid="deal"
            on:dragstart=move |event| {
                dragged.set(Some(id));
                super::platform::carry_on_drag(&event, &id.to_string());
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
                <StageMenu id current/>
            </label>
        </article>
    }
}

/// One opportunity: details, edit, stage, delete and its timeline.
#[component]
pub fn OpportunityPage() -> impl IntoView {
    view! {
        <RecordPage
            spec=RecordPageSpec {
                entity: Entity::Opportunity,
                noun: "Opportunity",
                back: ("/pipeline", "Back to the pipeline"),
                // Only while its customer or lead is there: deleting that
                // takes the opportunity along.
                find: |crm, id| crm.opportunities().into_iter().find(|o| o.id == id),
                title: |opportunity| opportunity.title.clone(),
            }
            body=opportunity_body
        />
    }
}

fn opportunity_body(page: RecordView<Opportunity>) -> AnyView {
    let crm = expect_context::<Crm>();
    let RecordView {
        id,
        record,
        editing,
    } = page;
    view! {
        {move || record.get().map(|opportunity| {
            let crumbs = view! {
                <A href="/pipeline">"Pipeline"</A>
                {counterpart(crm, &opportunity).map(|(name, href)| view! { " · " <A href=href>{name}</A> })}
            }
            .into_any();
            let stage = opportunity.stage.clone();
            view! {
                <RecordHeader
                    crumbs
                    title=opportunity.title.clone()
                    title_testid="opportunity-title"
                    badges=view! {
                        <span class=stage_class(&opportunity.stage) data-testid="opportunity-stage">
                            {opportunity.stage.clone()}
                        </span>
                    }.into_any()
                >
                    <StageMenu id current=stage/>
                    <EditButton editing primary=true/>
                    <DeleteButton
                        entity=Entity::Opportunity
                        id
                        question="Delete this opportunity and its activities?".to_owned()
                        then_open="/pipeline"
                    />
                </RecordHeader>
                <ConflictNotices record_ids=Signal::derive(move || vec![id])/>
                <Details
                    rows=vec![
                        Detail::text("Amount", opportunity.amount_text()),
                        Detail::text("Expected close", opportunity.expected_close.clone()),
                        Detail::text(
                            "Probability",
                            opportunity.probability.map(|p| format!("{p} %")).unwrap_or_default(),
                        ),
                        Detail::text("Owner", crm.owner_name(opportunity.owner)),
                    ]
                    notes=opportunity.notes.clone()
                />
            }
        })}
        <TimelineSection
            parent=Parent::Opportunity(id)
            scope=Signal::derive(move || TimelineScope {
                opportunities: [id].into(),
                ..TimelineScope::default()
            })
        />
        <HistorySection entity=Entity::Opportunity id/>
    }
    .into_any()
}

/// Moves an opportunity to another stage from a menu: what the pipeline's
/// cards and the opportunity page both offer (a drag needs a mouse).
#[component]
fn StageMenu(id: Uuid, current: String) -> impl IntoView {
    let crm = expect_context::<Crm>();
    view! {
        <WhenCanEdit>
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
        </WhenCanEdit>
    }
}
