//! A member's home page, where signing in lands: my tasks due today and
//! overdue, my open opportunities by stage, my leads nobody has contacted,
//! what the team changed lately, and two charts (open pipeline by stage,
//! won and lost per month), mine or the team's. Everything is read from
//! the local records, so it works offline; the figures are
//! `domain::home`'s.

use super::clock::{day_month_time, day_month_year_time, end_of_today, short_month, today};
use super::kit::{BarChart, BarGroup};
use crate::crm::Crm;
use crate::domain::{
    format_money, open_pipeline, tasks_due, uncontacted_leads, won_and_lost_by_month, Activity,
    Entity, Lead, Opportunity,
};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

/// How many of the team's latest changes the page lists.
const CHANGES_SHOWN: usize = 8;

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let greeting = move || match crm.user_id() {
        Some(me) => format!("Hello, {}", crm.person_name(me)),
        None => "Home".to_owned(),
    };
    view! {
        <section class="home-page" data-testid="home-page">
            <div class="page-head">
                <h1>{greeting}</h1>
            </div>
            <Show
                when=move || crm.status.get().loaded && crm.user_id().is_some()
                fallback=|| view! { <p class="muted">"Loading…"</p> }
            >
                <div class="home-grid">
                    <DueTasks/>
                    <MyPipeline/>
                    <UncontactedLeads/>
                    <RecentChanges/>
                </div>
                <Charts/>
            </Show>
        </section>
    }
}

/// A titled card of the home page with what to say when it is empty.
#[component]
fn Card(title: &'static str, testid: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="card" data-testid=testid aria-label=title>
            <h2>{title}</h2>
            {children()}
        </section>
    }
}

fn me(crm: Crm) -> Uuid {
    crm.user_id().unwrap_or_default()
}

/// My open tasks due today or overdue.
#[component]
fn DueTasks() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let due = Memo::new(move |_| {
        let tasks = crm.list(Entity::Activity, Activity::from_record);
        tasks_due(&tasks, me(crm), end_of_today())
    });
    view! {
        <Card title="My tasks due today" testid="home-tasks">
            <Show when=move || !due.with(Vec::is_empty) fallback=|| view! { <p class="muted">"Nothing due today."</p> }>
                <ul class="home-list">
                    {move || due.get().into_iter().map(|task| {
                        let overdue = task.is_overdue(chrono::Utc::now());
                        let when = task.due_at.map(|due| day_month_year_time(&due)).unwrap_or_default();
                        view! {
                            <li class:overdue=overdue data-testid="home-task">
                                <A href="/tasks">{task.subject.clone()}</A>
                                <span class="muted">" " {when}</span>
                                {overdue.then(|| view! { " " <span class="badge overdue-badge">"Overdue"</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </Card>
    }
}

/// My open opportunities by stage, with their count and value.
#[component]
fn MyPipeline() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let pipeline = Memo::new(move |_| {
        let deals = crm.list(Entity::Opportunity, Opportunity::from_record);
        open_pipeline(&deals, Some(me(crm)))
    });
    view! {
        <Card title="My open opportunities" testid="home-pipeline">
            {move || {
                let pipeline = pipeline.get();
                let currency = pipeline.currency.clone();
                view! {
                    <table class="home-table">
                        <thead><tr><th scope="col">"Stage"</th><th scope="col">"Deals"</th><th scope="col">"Value"</th></tr></thead>
                        <tbody>
                            {pipeline.stages.into_iter().map(|stage| view! {
                                <tr data-testid="home-stage">
                                    <th scope="row">{stage.stage}</th>
                                    <td>{stage.count}</td>
                                    <td>{format_money(stage.amount, &currency)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(pipeline.other_currencies > 0).then(|| view! {
                        <p class="muted">{format!("{} more in other currencies.", pipeline.other_currencies)}</p>
                    })}
                }
            }}
        </Card>
    }
}

/// My leads that are New and have no activity yet.
#[component]
fn UncontactedLeads() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let waiting = Memo::new(move |_| {
        let leads = crm.list(Entity::Lead, Lead::from_record);
        let activities = crm.list(Entity::Activity, Activity::from_record);
        uncontacted_leads(&leads, &activities, me(crm))
    });
    view! {
        <Card title="My leads nobody has contacted" testid="home-leads">
            <Show when=move || !waiting.with(Vec::is_empty) fallback=|| view! { <p class="muted">"Every lead of yours has been contacted."</p> }>
                <ul class="home-list">
                    {move || waiting.get().into_iter().map(|lead| view! {
                        <li data-testid="home-lead"><A href=format!("/leads/{}", lead.id)>{lead.display_name()}</A></li>
                    }).collect_view()}
                </ul>
            </Show>
        </Card>
    }
}

/// The team's latest changes, with who made them.
#[component]
fn RecentChanges() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let changes = Memo::new(move |_| crm.recent_changes(CHANGES_SHOWN));
    view! {
        <Card title="What the team changed" testid="home-changes">
            <Show when=move || !changes.with(Vec::is_empty) fallback=|| view! { <p class="muted">"No changes yet."</p> }>
                <ul class="home-list">
                    {move || changes.get().into_iter().map(|change| {
                        let who = match change.by {
                            Some(by) if Some(by) == crm.user_id() => "You".to_owned(),
                            Some(by) => crm.person_name(by),
                            None => "Someone".to_owned(),
                        };
                        view! {
                            <li data-testid="home-change">
                                <strong>{who}</strong>" changed "
                                <A href=change.href>{change.what}</A>
                                <span class="muted">" · " {day_month_time(&change.at)}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </Card>
    }
}

/// The two charts, for me or for the whole team.
#[component]
fn Charts() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let team = RwSignal::new(false);
    let owner = move || (!team.get()).then(|| me(crm));
    let pipeline = move || {
        let deals = crm.list(Entity::Opportunity, Opportunity::from_record);
        let value = open_pipeline(&deals, owner());
        let groups = value
            .stages
            .iter()
            .map(|stage| BarGroup {
                label: stage.stage.to_owned(),
                values: vec![stage.amount / 100],
            })
            .collect();
        let title = format!(
            "Open pipeline by stage ({})",
            if value.currency.is_empty() {
                "no amounts yet".to_owned()
            } else {
                value.currency.clone()
            }
        );
        view! { <BarChart title series=&["Value"] groups value_text=|value| value.to_string() testid="pipeline-chart"/> }
    };
    let won_lost = move || {
        let deals = crm.list(Entity::Opportunity, Opportunity::from_record);
        let groups = won_and_lost_by_month(&deals, owner(), today())
            .into_iter()
            .map(|month| BarGroup {
                label: short_month(month.month),
                values: vec![month.won as i64, month.lost as i64],
            })
            .collect();
        view! { <BarChart title="Won and lost per month, last 12 months".to_owned() series=&["Won", "Lost"] groups value_text=|value| value.to_string() testid="won-lost-chart"/> }
    };
    view! {
        <section class="charts" aria-label="Charts">
            <div class="chart-scope" role="group" aria-label="Whose figures">
                <button aria-pressed=move || (!team.get()).to_string() on:click=move |_| team.set(false)>"Mine"</button>
                <button aria-pressed=move || team.get().to_string() on:click=move |_| team.set(true)>"Team"</button>
            </div>
            <div class="chart-grid">
                {pipeline}
                {won_lost}
            </div>
        </section>
    }
}
