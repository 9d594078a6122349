//! Lead pages: the filtered list, the new-lead form, one lead, and the
//! conversion into a customer with its duplicate check.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::form::{RecordForm, LEAD_FORM_FIELDS};
use super::opportunities::{OpportunitiesSection, Parent};
use super::state::{Crm, SaveError};
use crate::domain::{
    find_duplicates, tally_lead_statuses, Contact, ConvertRequest, Duplicate, Entity, Lead,
    LeadFilter, MatchReason,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Rows drawn at once; a search narrows longer lists.
const LIST_LIMIT: usize = 500;

fn status_class(status: &str) -> String {
    format!("badge lead-{}", status.to_lowercase().replace(' ', "-"))
}

/// All leads, newest first, filtered by status and searched as the user types.
#[component]
pub fn LeadListPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let filter = RwSignal::new(LeadFilter::default());
    let leads = Memo::new(move |_| crm.list(Entity::Lead, Lead::from_record));
    let counts = Memo::new(move |_| leads.with(|all| tally_lead_statuses(all)));
    let shown = Memo::new(move |_| {
        filter.with(|filter| {
            leads.with(|all| {
                filter
                    .apply(all)
                    .into_iter()
                    .cloned()
                    .collect::<Vec<Lead>>()
            })
        })
    });
    let choose = move |status: Option<&'static str>| {
        filter.update(|filter| filter.status = status.map(str::to_owned));
    };
    view! {
        <section class="list-page">
            <div class="page-head">
                <h1>"Leads"</h1>
                <A href="/leads/new" attr:class="button primary">
                    "New lead"
                </A>
            </div>
            <input
                class="search"
                type="search"
                placeholder="Search name, company, email or phone"
                aria-label="Search leads"
                prop:value=move || filter.get().query
                on:input=move |event| filter.update(|filter| filter.query = event_target_value(&event))
            />
            <div class="status-filter" role="group" aria-label="Filter by status">
                <button
                    aria-pressed=move || filter.get().status.is_none().to_string()
                    on:click=move |_| choose(None)
                    data-testid="lead-status-all"
                >
                    "All "
                    <span class="count">{move || leads.with(Vec::len)}</span>
                </button>
                {move || {
                    counts
                        .get()
                        .into_iter()
                        .map(|(status, count)| {
                            view! {
                                <button
                                    aria-pressed=move || {
                                        (filter.get().status.as_deref() == Some(status)).to_string()
                                    }
                                    on:click=move |_| choose(Some(status))
                                    data-testid=format!("lead-status-{}", status.to_lowercase().replace(' ', "-"))
                                >
                                    {status}
                                    " "
                                    <span class="count">{count}</span>
                                </button>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <Show
                when=move || crm.status.get().loaded
                fallback=|| view! { <p class="muted">"Loading leads from this device…"</p> }
            >
                <Show
                    when=move || !shown.with(Vec::is_empty)
                    fallback=move || {
                        view! {
                            <p class="empty" data-testid="empty-list">
                                {move || {
                                    if leads.with(Vec::is_empty) {
                                        "No leads yet. Add one with \u{201c}New lead\u{201d}."
                                    } else {
                                        "No leads match this filter."
                                    }
                                }}
                            </p>
                        }
                    }
                >
                    <div class="table-wrap">
                        <table class="customer-table">
                            <thead>
                                <tr>
                                    <th>"Lead"</th>
                                    <th>"Status"</th>
                                    <th class="optional">"Email"</th>
                                    <th class="optional">"Phone"</th>
                                    <th class="optional">"Source"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    shown
                                        .get()
                                        .into_iter()
                                        .take(LIST_LIMIT)
                                        .map(|lead| {
                                            let name = lead.display_name();
                                            view! {
                                                <tr data-testid="lead-row">
                                                    <td>
                                                        <A href=format!("/leads/{}", lead.id)>{name}</A>
                                                    </td>
                                                    <td>
                                                        <span class=status_class(&lead.status)>{lead.status.clone()}</span>
                                                    </td>
                                                    <td class="optional">{lead.email.clone()}</td>
                                                    <td class="optional">{lead.phone.clone()}</td>
                                                    <td class="optional">{lead.source.clone()}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                    </div>
                    <Show when=move || shown.with(|shown| shown.len() > LIST_LIMIT)>
                        <p class="muted">
                            {move || format!("Showing the newest {LIST_LIMIT} of {}. Search to narrow the list.", shown.with(Vec::len))}
                        </p>
                    </Show>
                </Show>
            </Show>
        </section>
    }
}

/// The form for a new lead; opens the lead once saved.
#[component]
pub fn NewLeadPage() -> impl IntoView {
    let id = Uuid::now_v7();
    let navigate = use_navigate();
    let defaults: Map<String, Value> = json!({"status": "New"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let on_done = Callback::new(move |saved: bool| {
        let target = if saved {
            format!("/leads/{id}")
        } else {
            "/leads".to_owned()
        };
        navigate(&target, Default::default());
    });
    view! {
        <section class="form-page">
            <h1>"New lead"</h1>
            <RecordForm
                entity=Entity::Lead
                record_id=id
                fields=LEAD_FORM_FIELDS
                initial=defaults
                submit_label="Save lead"
                on_done=on_done
            />
        </section>
    }
}

fn lead_values(lead: &Lead) -> Map<String, Value> {
    [
        ("person_name", &lead.person_name),
        ("company_name", &lead.company_name),
        ("email", &lead.email),
        ("phone", &lead.phone),
        ("source", &lead.source),
        ("status", &lead.status),
        ("notes", &lead.notes),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), Value::String(value.clone())))
    .collect()
}

/// One lead: details, edit, delete, convert, its opportunities and timeline.
#[component]
pub fn LeadPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let params = use_params_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| {
        params.with(|params| params.get("id").and_then(|id| Uuid::parse_str(&id).ok()))
    });
    let lead = Memo::new(move |_| id.get().and_then(|id| crm.lead(id)));
    // The page's sections keep their state (an open form) while the record
    // changes under them; only its presence rebuilds the page.
    let present = Memo::new(move |_| lead.with(Option::is_some));
    let editing = RwSignal::new(false);
    let converting = RwSignal::new(false);
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
                <section class="empty" data-testid="lead-missing">
                    <h1>"Lead not found"</h1>
                    <p>"It may have been deleted on this device or by a colleague."</p>
                    <A href="/leads">"Back to leads"</A>
                </section>
            }
            .into_any();
        };
        if editing.get() {
            let Some(current) = lead.get_untracked() else {
                return ().into_any();
            };
            return view! {
                <section class="form-page">
                    <h1>"Edit " {current.display_name()}</h1>
                    <RecordForm
                        entity=Entity::Lead
                        record_id=id
                        fields=LEAD_FORM_FIELDS
                        initial=lead_values(&current)
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
                if crm.delete(Entity::Lead, id).await.is_ok() {
                    navigate("/leads", Default::default());
                }
            });
        });
        let header = move || {
            lead.get().map(|current| {
                let converted_to =
                    current
                        .customer_id
                        .filter(|_| current.is_converted())
                        .map(|customer_id| {
                            let name = crm
                                .customer(customer_id)
                                .map(|customer| customer.name)
                                .unwrap_or_else(|| "a deleted customer".to_owned());
                            (customer_id, name)
                        });
                let details: Vec<(&str, String)> = [
                    ("Person", current.person_name.clone()),
                    ("Company", current.company_name.clone()),
                    ("Email", current.email.clone()),
                    ("Phone", current.phone.clone()),
                    ("Source", current.source.clone()),
                ]
                .into_iter()
                .filter(|(_, value)| !value.is_empty())
                .collect();
                let no_details = details.is_empty();
                let is_converted = current.is_converted();
                view! {
                        <div class="page-head">
                            <div>
                                <p class="crumbs">
                                    <A href="/leads">"Leads"</A>
                                </p>
                                <h1 data-testid="lead-name">{current.display_name()}</h1>
                                <p>
                                    <span class=status_class(&current.status) data-testid="lead-status">
                                        {current.status.clone()}
                                    </span>
                                    {converted_to.map(|(customer_id, name)| view! {
                                        " into "
                                        <A href=format!("/customers/{customer_id}") attr:data-testid="converted-customer">{name}</A>
                                    })}
                                </p>
                            </div>
                            <div class="actions">
                                <Show when=move || !is_converted && !converting.get()>
                                    <button class="primary" on:click=move |_| converting.set(true)>
                                        "Convert to customer"
                                    </button>
                                </Show>
                                <button on:click=move |_| editing.set(true)>"Edit"</button>
                                <Show when=move || !is_converted>
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
                                            <p>"Delete this lead with its opportunities and activities?"</p>
                                            <button class="danger" on:click=move |_| delete.run(())>
                                                "Yes, delete"
                                            </button>
                                            <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                                        </div>
                                    </Show>
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
            <article class="lead" data-testid="lead-page">
                {header}
                <Show when=move || converting.get()>
                    {move || {
                        lead.get_untracked().map(|current| {
                            view! {
                                <ConvertPanel lead=current on_cancel=Callback::new(move |_| converting.set(false))/>
                            }
                        })
                    }}
                </Show>
                <OpportunitiesSection parent=Parent::Lead(id)/>
                <TimelineSection parent=Parent::Lead(id) scope=Signal::derive(move || crm.lead_scope(id))/>
            </article>
        }
        .into_any()
    }
}

/// Where a conversion puts the lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    NewCustomer,
    /// Attach to this duplicate (an index into the list shown).
    Existing(usize),
}

fn describe_duplicate(duplicate: &Duplicate) -> String {
    let reason = match duplicate.reason {
        MatchReason::SameEmail => "same email",
        MatchReason::SimilarName => "similar name",
    };
    match &duplicate.contact_name {
        Some(contact) => format!("{contact} at {} ({reason})", duplicate.customer_name),
        None => format!("{} ({reason})", duplicate.customer_name),
    }
}

/// Converts a lead, first showing customers and contacts it may duplicate.
#[component]
fn ConvertPanel(lead: Lead, on_cancel: Callback<()>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let navigate = use_navigate();
    let duplicates = {
        let customers = crm.customers();
        let contacts = crm.list(Entity::Contact, Contact::from_record);
        find_duplicates(&lead, &customers, &contacts)
    };
    let target = RwSignal::new(Target::NewCustomer);
    let problem = RwSignal::new(None::<String>);
    let has_person = !lead.person_name.trim().is_empty();
    let new_name = if lead.company_name.is_empty() {
        format!("{} (person)", lead.person_name)
    } else {
        format!("{} (company)", lead.company_name)
    };
    let lead_id = lead.id;
    let chosen = duplicates.clone();
    let convert = move |_| {
        let request = match target.get_untracked() {
            Target::NewCustomer => ConvertRequest {
                customer_id: Uuid::now_v7(),
                contact_id: has_person.then(Uuid::now_v7),
            },
            Target::Existing(index) => {
                let Some(duplicate) = chosen.get(index) else {
                    return;
                };
                ConvertRequest {
                    customer_id: duplicate.customer_id,
                    contact_id: duplicate
                        .contact_id
                        .or_else(|| has_person.then(Uuid::now_v7)),
                }
            }
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match crm.convert(lead_id, request).await {
                Ok(()) => navigate(
                    &format!("/customers/{}", request.customer_id),
                    Default::default(),
                ),
                Err(error) => problem.set(Some(match error {
                    SaveError::Field(field) => field.message,
                    SaveError::Device(message) => message,
                })),
            }
        });
    };
    view! {
        <section class="convert-panel" data-testid="convert-panel" aria-label="Convert to customer">
            <h2>"Convert to customer"</h2>
            <Show when=move || problem.get().is_some()>
                <p class="form-summary" role="alert">{move || problem.get()}</p>
            </Show>
            <fieldset>
                <legend>
                    {if duplicates.is_empty() {
                        "No existing customer or contact looks like this lead."
                    } else {
                        "These existing records look like this lead. Attach it to one of them instead of creating a duplicate?"
                    }}
                </legend>
                <label class="choice">
                    <input
                        type="radio"
                        name="convert-target"
                        checked=true
                        on:change=move |_| target.set(Target::NewCustomer)
                    />
                    "Create a new customer: " <strong>{new_name}</strong>
                    {has_person.then(|| view! { <span class="muted">" with " {lead.person_name.clone()} " as default contact"</span> })}
                </label>
                {duplicates
                    .iter()
                    .enumerate()
                    .map(|(index, duplicate)| {
                        view! {
                            <label class="choice" data-testid="duplicate">
                                <input
                                    type="radio"
                                    name="convert-target"
                                    on:change=move |_| target.set(Target::Existing(index))
                                />
                                "Attach to " <strong>{describe_duplicate(duplicate)}</strong>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="form-actions">
                <button class="primary" on:click=convert data-testid="confirm-convert">
                    "Convert"
                </button>
                <button on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </section>
    }
}
