//! Lead pages: the filtered list, the new-lead form, one lead, and the
//! conversion into a customer with its duplicate check.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::kit::{
    slug, BulkSpec, Column, DeleteButton, Detail, Details, EditButton, HistorySection, ListPage,
    ListSpec, MergedHere, NewRecordPage, RecordHeader, RecordPage, RecordPageSpec, RecordView,
    Transfer,
};
use super::opportunities::OpportunitiesSection;
use super::parent::Parent;
use super::platform::focus_soon;
use crate::crm::Crm;
use crate::domain::{
    find_duplicates, Contact, ConvertRequest, Duplicate, Entity, ImportKind, Lead, MatchReason,
    CONVERTED_CUSTOMER_STATUS, CUSTOMER_STATUSES,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

/// The id of the "Convert to customer" button, where focus returns when
/// the conversion is cancelled.
const CONVERT_BUTTON_ID: &str = "convert-lead";

fn status_class(status: &str) -> String {
    format!("badge lead-{}", slug(status))
}

/// All leads, newest first, filtered by status and searched as the user types.
#[component]
pub fn LeadListPage() -> impl IntoView {
    view! {
        <ListPage spec=ListSpec {
            title: "Leads",
            plural: "leads",
            new: Some(("/leads/new", "New lead")),
            intro: None,
            search_placeholder: "Search name, company, email or phone",
            search_label: "Search leads",
            empty_text: "No leads yet. Add one with \u{201c}New lead\u{201d}.",
            no_match_text: "No leads match this filter.",
            testid_prefix: "lead-",
            row_testid: "lead-row",
            columns: &[
                Column { header: "Lead", optional: false },
                Column { header: "Status", optional: false },
                Column { header: "Email", optional: true },
                Column { header: "Phone", optional: true },
                Column { header: "Source", optional: true },
            ],
            remember_filter_as: None,
            owner_filter_as: Some("clientele.lead_owner_filter"),
            transfer: Some(Transfer {
                kind: ImportKind::Leads,
                import_href: "/leads/import",
                file_name: "leads",
            }),
            bulk: Some(BulkSpec { entity: Entity::Lead }),
            ready: |status| status.loaded,
            rows: |crm| crm.list(Entity::Lead, Lead::from_record),
            cells: lead_cells,
        }/>
    }
}

fn lead_cells(_: Crm, leads: Vec<Lead>) -> Vec<AnyView> {
    leads
        .into_iter()
        .map(|lead| {
            let name = lead.display_name();
            view! {
                <td>
                    <A href=format!("/leads/{}", lead.id)>{name}</A>
                </td>
                <td>
                    <span class=status_class(&lead.status)>{lead.status.clone()}</span>
                </td>
                <td class="optional">{lead.email.clone()}</td>
                <td class="optional">{lead.phone.clone()}</td>
                <td class="optional">{lead.source.clone()}</td>
            }
            .into_any()
        })
        .collect()
}

/// The form for a new lead; opens the lead once saved.
#[component]
pub fn NewLeadPage() -> impl IntoView {
    view! {
        <NewRecordPage
            entity=Entity::Lead
            heading="New lead"
            defaults=&[("status", "New")]
            submit_label="Save lead"
            opens="/leads"
            cancel_to="/leads"
        />
    }
}

/// One lead: details, edit, delete, convert, its opportunities and timeline.
#[component]
pub fn LeadPage() -> impl IntoView {
    view! {
        <RecordPage
            spec=RecordPageSpec {
                entity: Entity::Lead,
                noun: "Lead",
                back: ("/leads", "Back to leads"),
                find: |crm, id| crm.lead(id),
                title: Lead::display_name,
            }
            body=lead_body
        />
    }
}

fn lead_body(page: RecordView<Lead>) -> AnyView {
    let crm = expect_context::<Crm>();
    let RecordView {
        id,
        record,
        editing,
    } = page;
    let converting = RwSignal::new(false);
    view! {
        {move || record.get().map(|lead| view! {
            <LeadHeader lead=lead.clone() editing converting/>
            <ConflictNotices record_ids=Signal::derive(move || vec![id])/>
            <Details
                rows=vec![
                    Detail::text("Person", lead.person_name.clone()),
                    Detail::text("Company", lead.company_name.clone()),
                    Detail::text("Email", lead.email.clone()),
                    Detail::text("Phone", lead.phone.clone()),
                    Detail::text("Source", lead.source.clone()),
                    Detail::text("Owner", crm.owner_name(lead.owner)),
                ]
                notes=lead.notes.clone()
            />
        })}
        <Show when=move || converting.get()>
            {move || record.get_untracked().map(|lead| view! {
                <ConvertPanel lead on_cancel=Callback::new(move |_| {
                    converting.set(false);
                    focus_soon(format!("#{CONVERT_BUTTON_ID}"));
                })/>
            })}
        </Show>
        <MergedHere into=vec![(Entity::Lead, id)]/>
        <OpportunitiesSection parent=Parent::Lead(id)/>
        <TimelineSection parent=Parent::Lead(id) scope=Signal::derive(move || crm.lead_scope(id))/>
        <HistorySection entity=Entity::Lead id/>
    }
    .into_any()
}

/// A lead's head: status (and the customer it became), convert, edit, delete.
#[component]
fn LeadHeader(lead: Lead, editing: RwSignal<bool>, converting: RwSignal<bool>) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let is_converted = lead.is_converted();
    let converted_to = lead
        .customer_id
        .filter(|_| is_converted)
        .map(|customer_id| {
            let name = crm
                .customer(customer_id)
                .map(|customer| customer.name)
                .unwrap_or_else(|| "a deleted customer".to_owned());
            (customer_id, name)
        });
    view! {
        <RecordHeader
            crumbs=view! { <A href="/leads">"Leads"</A> }.into_any()
            title=lead.display_name()
            title_testid="lead-name"
            badges=view! {
                <span class=status_class(&lead.status) data-testid="lead-status">
                    {lead.status.clone()}
                </span>
                {converted_to.map(|(customer_id, name)| view! {
                    " into "
                    <A href=format!("/customers/{customer_id}") attr:data-testid="converted-customer">{name}</A>
                })}
            }.into_any()
        >
            <Show when=move || !is_converted && !converting.get() && crm.can_edit()>
                <button id=CONVERT_BUTTON_ID class="primary" on:click=move |_| converting.set(true)>
                    "Convert to customer"
                </button>
            </Show>
            <EditButton editing/>
            <Show when=move || !is_converted>
                <DeleteButton
                    entity=Entity::Lead
                    id=lead.id
                    question="Delete this lead with its opportunities and activities?".to_owned()
                    then_open="/leads"
                />
            </Show>
        </RecordHeader>
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

/// What converting into `target` asks for: a new customer (and contact for
/// a lead naming a person), or the chosen duplicate's records.
fn conversion_request(
    target: Target,
    duplicates: &[Duplicate],
    has_person: bool,
    new_status: String,
) -> Option<ConvertRequest> {
    match target {
        Target::NewCustomer => Some(ConvertRequest {
            customer_id: Uuid::now_v7(),
            contact_id: has_person.then(Uuid::now_v7),
            status: Some(new_status),
        }),
        Target::Existing(index) => {
            let duplicate = duplicates.get(index)?;
            Some(ConvertRequest {
                customer_id: duplicate.customer_id,
                contact_id: duplicate
                    .contact_id
                    .or_else(|| has_person.then(Uuid::now_v7)),
                status: None,
            })
        }
    }
}

/// The status the customer gets: a new one's (Customer unless changed), or
/// for an existing customer a change the user picks, kept by default.
#[component]
fn ConvertStatus(
    target: RwSignal<Target>,
    new_status: RwSignal<String>,
    existing_status: RwSignal<String>,
) -> impl IntoView {
    let attaching = move || target.get() != Target::NewCustomer;
    let chosen = move || {
        if attaching() {
            existing_status
        } else {
            new_status
        }
    };
    view! {
        <div class="field">
            <label for="convert-status">"Customer status"</label>
            <select
                id="convert-status"
                data-testid="convert-status"
                prop:value=move || chosen().get()
                on:change=move |event| chosen().set(event_target_value(&event))
            >
                <Show when=attaching>
                    <option value="">"Keep its current status"</option>
                </Show>
                {CUSTOMER_STATUSES
                    .iter()
                    .map(|status| view! { <option value=*status>{*status}</option> })
                    .collect_view()}
            </select>
        </div>
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
    let new_status = RwSignal::new(CONVERTED_CUSTOMER_STATUS.to_owned());
    let existing_status = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let has_person = !lead.person_name.trim().is_empty();
    let lead_id = lead.id;
    let chosen = duplicates.clone();
    let convert = move |_| {
        let Some(request) = conversion_request(
            target.get_untracked(),
            &chosen,
            has_person,
            new_status.get_untracked(),
        ) else {
            return;
        };
        let customer_id = request.customer_id;
        // Attaching leaves the customer's status alone unless the user
        // picked another: then it is an ordinary edit of the customer.
        let status_change = (request.status.is_none())
            .then(|| existing_status.get_untracked())
            .filter(|status| !status.is_empty());
        let navigate = navigate.clone();
        spawn_local(async move {
            match crm.convert(lead_id, request, status_change).await {
                Ok(()) => navigate(&format!("/customers/{customer_id}"), Default::default()),
                Err(error) => problem.set(Some(error.message())),
            }
        });
    };
    // The panel opens in place of the button: the first choice takes focus.
    focus_soon("[data-testid=convert-panel] input".to_owned());
    view! {
        <section
            class="convert-panel"
            data-testid="convert-panel"
            aria-labelledby="convert-heading"
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    on_cancel.run(());
                }
            }
        >
            <h2 id="convert-heading">"Convert to customer"</h2>
            <Show when=move || problem.get().is_some()>
                <p class="form-summary" role="alert">{move || problem.get()}</p>
            </Show>
            <ConvertChoices lead duplicates target/>
            <ConvertStatus target new_status existing_status/>
            <div class="form-actions">
                <button class="primary" on:click=convert data-testid="confirm-convert">
                    "Convert"
                </button>
                <button on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </section>
    }
}

/// Where the lead may go: a new customer, or one of its likely duplicates.
#[component]
fn ConvertChoices(
    lead: Lead,
    duplicates: Vec<Duplicate>,
    target: RwSignal<Target>,
) -> impl IntoView {
    let has_person = !lead.person_name.trim().is_empty();
    let new_name = if lead.company_name.is_empty() {
        format!("{} (person)", lead.person_name)
    } else {
        format!("{} (company)", lead.company_name)
    };
    view! {
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
    }
}
