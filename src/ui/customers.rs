//! Customer pages: the filtered list, the new-customer form and one customer.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::contacts::ContactsSection;
use super::form::choice_label;
use super::kit::{
    BulkSpec, Column, DeleteButton, Detail, Details, EditButton, HistorySection, ListPage,
    ListSpec, MergedHere, NewRecordPage, RecordHeader, RecordPage, RecordPageSpec, RecordView,
    Transfer,
};
use super::opportunities::OpportunitiesSection;
use super::parent::Parent;
use crate::crm::Crm;
use crate::domain::{Customer, Entity, ImportKind};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

fn status_class(status: &str) -> String {
    format!("badge status-{}", status.to_lowercase())
}

/// All customers, filtered by status and searched as the user types.
#[component]
pub fn CustomerListPage() -> impl IntoView {
    view! {
        <ListPage spec=ListSpec {
            title: "Customers",
            plural: "customers",
            new: Some(("/customers/new", "New customer")),
            intro: None,
            search_placeholder: "Search name, email or phone",
            search_label: "Search customers",
            empty_text: "No customers yet. Add your first one with \u{201c}New customer\u{201d}.",
            no_match_text: "No customers match this filter.",
            testid_prefix: "",
            row_testid: "customer-row",
            columns: &[
                Column { header: "Name", optional: false },
                Column { header: "Status", optional: false },
                Column { header: "Email", optional: true },
                Column { header: "Phone", optional: true },
                Column { header: "Default contact", optional: false },
            ],
            remember_filter_as: Some("clientele.customer_status_filter"),
            owner_filter_as: Some("clientele.customer_owner_filter"),
            transfer: Some(Transfer {
                kind: ImportKind::Customers,
                import_href: "/customers/import",
                file_name: "customers",
            }),
            bulk: Some(BulkSpec { entity: Entity::Customer }),
            // The customers are read first: the list shows while the rest loads.
            ready: |status| status.customers_loaded,
            rows: |crm| crm.customers(),
            cells: customer_cells,
        }/>
    }
}

/// A customer row's cells; the default contacts are looked up for the rows
/// drawn, never for all.
fn customer_cells(crm: Crm, customers: Vec<Customer>) -> Vec<AnyView> {
    let ids: Vec<Uuid> = customers.iter().map(|customer| customer.id).collect();
    let defaults = crm.default_contact_names(&ids);
    customers
        .into_iter()
        .map(|customer| {
            let contact = defaults.get(&customer.id).cloned().unwrap_or_default();
            let name = customer.name.clone();
            view! {
                <td>
                    <A href=format!("/customers/{}", customer.id)>{name}</A>
                    <span class="kind">{choice_label(&customer.kind)}</span>
                </td>
                <td>
                    <span class=status_class(&customer.status)>{customer.status.clone()}</span>
                </td>
                <td class="optional">{customer.email.clone()}</td>
                <td class="optional">{customer.phone.clone()}</td>
                <td data-testid="default-contact">{contact}</td>
            }
            .into_any()
        })
        .collect()
}

/// The form for a new customer; opens the customer once saved.
#[component]
pub fn NewCustomerPage() -> impl IntoView {
    view! {
        <NewRecordPage
            entity=Entity::Customer
            heading="New customer"
            defaults=&[("kind", "company"), ("status", "Prospect")]
            submit_label="Save customer"
            opens="/customers"
            cancel_to="/"
        />
    }
}

/// One customer: details, edit, delete, its contacts, deals and timeline.
#[component]
pub fn CustomerPage() -> impl IntoView {
    view! {
        <RecordPage
            spec=RecordPageSpec {
                entity: Entity::Customer,
                noun: "Customer",
                back: ("/", "Back to customers"),
                find: |crm, id| crm.customer(id),
                title: |customer| customer.name.clone(),
            }
            body=customer_body
        />
    }
}

fn customer_body(page: RecordView<Customer>) -> AnyView {
    let crm = expect_context::<Crm>();
    let RecordView {
        id,
        record,
        editing,
    } = page;
    let contact_count = move || crm.contacts_of(id).len();
    view! {
        {move || record.get().map(|customer| {
            let name = customer.name.clone();
            let delete_question = Signal::derive(move || match contact_count() {
                0 => format!("Delete {name}?"),
                1 => format!("Delete {name} and its contact?"),
                n => format!("Delete {name} and its {n} contacts?"),
            });
            view! {
            <RecordHeader
                crumbs=view! { <A href="/">"Customers"</A> }.into_any()
                title=customer.name.clone()
                title_testid="customer-name"
                badges=view! {
                    <span class=status_class(&customer.status) data-testid="customer-status">
                        {customer.status.clone()}
                    </span>
                    " "
                    <span class="kind">{choice_label(&customer.kind)}</span>
                }.into_any()
            >
                <EditButton editing primary=true/>
                <DeleteButton
                    entity=Entity::Customer
                    id
                    question=delete_question
                    then_open="/"
                />
            </RecordHeader>
            <ConflictNotices record_ids=Signal::derive(move || {
                let mut ids: Vec<Uuid> = crm.contacts_of(id).iter().map(|c| c.id).collect();
                ids.push(id);
                ids
            })/>
            <Details
                rows=vec![
                    Detail::link("Email", customer.email.clone(), format!("mailto:{}", customer.email)),
                    Detail::link("Phone", customer.phone.clone(), format!("tel:{}", customer.phone)),
                    Detail::text("Website", customer.website.clone()),
                    Detail::text("Address", customer.address_line()),
                    Detail::text("Owner", crm.owner_name(customer.owner)),
                ]
                notes=customer.notes.clone()
            />
            }
        })}
        <ContactsSection customer_id=id/>
        <MergedHere into=Signal::derive(move || {
            let mut into = vec![(Entity::Customer, id)];
            into.extend(crm.contacts_of(id).iter().map(|contact| (Entity::Contact, contact.id)));
            into
        })/>
        <OpportunitiesSection parent=Parent::Customer(id)/>
        <TimelineSection parent=Parent::Customer(id) scope=Signal::derive(move || crm.customer_scope(id))/>
        <HistorySection entity=Entity::Customer id/>
    }
    .into_any()
}
