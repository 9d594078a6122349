//! Activities: a record's timeline with a form to log one, and "My tasks".

use super::form::{
    choice_label, FieldChoices, RecordForm, ACTIVITY_FORM_FIELDS, CUSTOMER_ACTIVITY_FORM_FIELDS,
};
use super::kit::{EditInPlace, ItemEditButton, OtherMemberOptions, RecordSection, WhenCanEdit};
use super::parent::Parent;
use crate::crm::Crm;
use crate::domain::{open_tasks, Activity, Entity, Opportunity, TimelineScope};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde_json::{Map, Value};
use uuid::Uuid;

/// A time as the user's clock shows it.
fn local_time(time: DateTime<Utc>) -> String {
    super::clock::day_month_year_time(&time)
}

fn now_text() -> Value {
    Value::String(Utc::now().to_rfc3339())
}

/// The activity form's patch with `done_at` stamped where it happened now.
fn stamp_logged(patch: Map<String, Value>) -> Map<String, Value> {
    crate::domain::stamp_logged(patch, Utc::now())
}

/// The activity form's fields on a parent's page, with their choices: on a
/// customer, an activity may name one of its contacts.
fn activity_form(crm: Crm, parent: Parent) -> (&'static [&'static str], Vec<FieldChoices>) {
    match parent {
        Parent::Customer(customer) => (
            CUSTOMER_ACTIVITY_FORM_FIELDS,
            vec![FieldChoices {
                field: "contact_id",
                options: crm
                    .contacts_of(customer)
                    .into_iter()
                    .map(|contact| (contact.id.to_string(), contact.full_name()))
                    .collect(),
            }],
        ),
        _ => (ACTIVITY_FORM_FIELDS, Vec::new()),
    }
}

/// A record's activities, newest first, and the form to log one.
#[component]
pub fn TimelineSection(
    parent: Parent,
    #[prop(into)] scope: Signal<TimelineScope>,
) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let activities = Memo::new(move |_| scope.with(|scope| crm.timeline(scope)));
    let add_form = Callback::new(move |(id, on_done): (Uuid, Callback<bool>)| {
        let (fields, choices) = activity_form(crm, parent);
        let mut initial = Map::new();
        initial.insert("kind".into(), Value::String("call".into()));
        view! {
            <RecordForm
                entity=Entity::Activity
                record_id=id
                fields=fields
                initial=initial
                fixed=parent.link_fields(crm)
                choices=choices
                prepare=Callback::new(stamp_logged)
                submit_label="Save activity"
                on_done=on_done
            />
        }
        .into_any()
    });
    view! {
        <RecordSection
            name="timeline"
            title="Timeline"
            count=Signal::derive(move || activities.with(Vec::len))
            add_label="Log activity"
            add_form
            empty_text="Nothing logged yet."
        >
            <ol class="timeline-list">
                // Keyed: a synced activity redraws its item, never the list,
                // so a form open on another activity stays open.
                <For each=move || activities.get() key=|activity| activity.id let:activity>
                    <TimelineItem id=activity.id parent/>
                </For>
            </ol>
        </RecordSection>
    }
}

fn mark_done(crm: Crm, id: Uuid) {
    let patch: Map<String, Value> = [("done_at".to_owned(), now_text())].into_iter().collect();
    spawn_local(async move {
        let _ = crm.save(Entity::Activity, id, patch).await;
    });
}

/// When an activity happened or is due, as its line in the timeline says it.
fn when_text(activity: &Activity) -> String {
    match (activity.done_at, activity.due_at) {
        (Some(done), _) if activity.kind == "task" => format!("Done {}", local_time(done)),
        (Some(done), _) => local_time(done),
        (None, Some(due)) => format!("Due {}", local_time(due)),
        (None, None) => "Open".to_owned(),
    }
}

/// One activity of a timeline: what happened or is due, or its edit form.
#[component]
fn TimelineItem(id: Uuid, parent: Parent) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let editing = RwSignal::new(false);
    let activity = Memo::new(move |_| crm.one(Entity::Activity, id, Activity::from_record));
    let kind = move || activity.with(|a| a.as_ref().map(|a| a.kind.clone()).unwrap_or_default());
    let open = move || activity.with(|a| a.as_ref().is_some_and(|a| a.done_at.is_none()));
    let overdue = move || activity.with(|a| a.as_ref().is_some_and(|a| a.is_overdue(Utc::now())));
    let (fields, choices) = activity_form(crm, parent);
    view! {
        <li
            class="activity"
            class:overdue=overdue
            class:open=open
            data-testid="activity"
            data-kind=kind
        >
            <EditInPlace
                entity=Entity::Activity
                id
                editing
                fields
                choices
                submit_label="Save activity"
            >
                {move || activity.get().map(|activity| view! { <ActivityDetails activity editing/> })}
            </EditInPlace>
        </li>
    }
}

/// An activity as its timeline item shows it, with its actions.
#[component]
fn ActivityDetails(activity: Activity, editing: RwSignal<bool>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let id = activity.id;
    let overdue = activity.is_overdue(Utc::now());
    let open = activity.done_at.is_none();
    let when = when_text(&activity);
    let contact = activity
        .contact_id
        .and_then(|id| crm.one(Entity::Contact, id, crate::domain::Contact::from_record))
        .map(|contact| format!("with {}", contact.full_name()));
    let assignee = activity
        .assignee
        .map(|id| format!("Assigned to {}", crm.person_name(id)));
    // People, not devices: who wrote it down or last changed it.
    let by = activity.changed_by.map(|id| {
        if Some(id) == crm.user_id() {
            "by you".to_owned()
        } else {
            format!("by {}", crm.person_name(id))
        }
    });
    let kind = activity.kind.clone();
    view! {
        <span class=format!("kind-icon kind-{kind}")>{choice_label(&kind)}</span>
        <div class="activity-main">
            <strong data-testid="activity-subject">{activity.subject.clone()}</strong>
            <span class="muted">{contact}</span>
            <span class="muted assignee" data-testid="activity-assignee">{assignee}</span>
            <span class="muted assignee" data-testid="activity-by">{by}</span>
            <p class="when" data-testid="activity-when">
                {when}
                {overdue.then(|| view! { " " <span class="badge overdue-badge">"Overdue"</span> })}
            </p>
            {(!activity.body.is_empty())
                .then(|| view! { <p class="activity-body">{activity.body.clone()}</p> })}
        </div>
        <div class="actions">
            <WhenCanEdit>
                {open.then(|| view! {
                    <button class="link" on:click=move |_| mark_done(crm, id)>
                        "Mark done"
                    </button>
                })}
                <ItemEditButton entity=Entity::Activity id editing/>
                <button
                    class="link danger"
                    on:click=move |_| {
                        spawn_local(async move {
                            let _ = crm.delete(Entity::Activity, id).await;
                        });
                    }
                >
                    "Delete"
                </button>
            </WhenCanEdit>
        </div>
    }
}

/// Where a task belongs, for the task list's link.
fn task_context(crm: Crm, task: &Activity) -> Option<(String, String)> {
    if let Some(opportunity) = task
        .opportunity_id
        .and_then(|id| crm.one(Entity::Opportunity, id, Opportunity::from_record))
    {
        return Some((
            opportunity.title,
            format!("/opportunities/{}", opportunity.id),
        ));
    }
    if let Some(customer) = task.customer_id.and_then(|id| crm.customer(id)) {
        return Some((customer.name, format!("/customers/{}", customer.id)));
    }
    task.lead_id.and_then(|id| crm.record_of_lead(id))
}

/// Open tasks assigned to the signed-in member (an admin may switch to
/// anyone's), soonest due first, overdue ones highlighted.
#[component]
pub fn TasksPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    // Whose tasks: empty for the signed-in member's own.
    let whose = RwSignal::new(String::new());
    let assignee = move || {
        whose
            .with(|whose| Uuid::parse_str(whose).ok())
            .or_else(|| crm.user_id())
    };
    let tasks = Memo::new(move |_| {
        let assignee = assignee();
        open_tasks(
            crm.list(Entity::Activity, Activity::from_record)
                .into_iter()
                .filter(|task| task.assignee == assignee),
        )
    });
    view! {
        <section class="tasks-page">
            <div class="page-head">
                <h1>
                    {move || match whose.with(|whose| Uuid::parse_str(whose).ok()) {
                        Some(other) if Some(other) != crm.user_id() => format!("Tasks of {}", crm.person_name(other)),
                        _ => "My tasks".to_owned(),
                    }}
                </h1>
                <Show when=move || crm.can_manage_team()>
                    <label class="inline-field">
                        "Show tasks of "
                        <select
                            data-testid="tasks-of"
                            prop:value=move || whose.get()
                            on:change=move |event| whose.set(event_target_value(&event))
                        >
                            <option value="">"Me"</option>
                            <OtherMemberOptions/>
                        </select>
                    </label>
                </Show>
            </div>
            <Show
                when=move || crm.status.get().loaded
                fallback=|| view! { <p class="muted">"Loading…"</p> }
            >
                <Show
                    when=move || !tasks.with(Vec::is_empty)
                    fallback=|| {
                        view! {
                            <p class="empty" data-testid="no-tasks">
                                "No open tasks. Schedule one from a customer, lead or opportunity."
                            </p>
                        }
                    }
                >
                    <ul class="task-list">
                        {move || {
                            let now = Utc::now();
                            tasks
                                .get()
                                .into_iter()
                                .map(|task| {
                                    let id = task.id;
                                    let overdue = task.is_overdue(now);
                                    let due = task
                                        .due_at
                                        .map(|due| format!("Due {}", local_time(due)))
                                        .unwrap_or_else(|| "No due date".to_owned());
                                    let context = task_context(crm, &task);
                                    view! {
                                        <li class="task" class:overdue=overdue data-testid="task" data-overdue=overdue.to_string()>
                                            <WhenCanEdit>
                                                <button class="check" aria-label="Mark done" title="Mark done" on:click=move |_| mark_done(crm, id)>
                                                    "✓"
                                                </button>
                                            </WhenCanEdit>
                                            <div>
                                                <strong data-testid="task-subject">{task.subject.clone()}</strong>
                                                <p class="when">
                                                    {due}
                                                    {overdue.then(|| view! { " " <span class="badge overdue-badge">"Overdue"</span> })}
                                                </p>
                                                {context.map(|(name, href)| view! { <A href=href>{name}</A> })}
                                            </div>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </Show>
            </Show>
        </section>
    }
}
