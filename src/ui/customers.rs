//! Customer pages: the filtered list, the new-customer form and one customer.

use super::activities::TimelineSection;
use super::conflicts::ConflictNotices;
use super::contacts::ContactsSection;
use super::form::{choice_label, RecordForm, CUSTOMER_FORM_FIELDS};
use super::opportunities::{OpportunitiesSection, Parent};
use super::state::Crm;
use crate::domain::{Customer, CustomerFilter, Entity, StatusCount};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{json, Map, Value};
use std::ops::Range;
use uuid::Uuid;

/// A customer row's height in CSS pixels until the first drawn row is
/// measured. Rows have one height (style/main.css keeps cells on one line
/// each), which is what lets the list draw only the rows in view.
const ROW_HEIGHT_GUESS_PX: f64 = 60.0;
/// Rows drawn beyond each edge of the view, so a fast scroll shows no gap.
const OVERSCAN_ROWS: usize = 8;

/// The rows of a `len`-row list to draw: those in view, plus the overscan.
/// `list_top` is where the list's first row would start relative to the
/// top of the viewport (negative once scrolled past).
fn rows_in_view(len: usize, row_height: f64, list_top: f64, view_height: f64) -> Range<usize> {
    let whole_rows = |px: f64| (px / row_height.max(1.0)).max(0.0) as usize;
    let first = whole_rows(-list_top).saturating_sub(OVERSCAN_ROWS).min(len);
    let last = (whole_rows(view_height - list_top) + 1 + OVERSCAN_ROWS).min(len);
    first..last.max(first)
}

fn pixels(rows: usize, row_height: f64) -> String {
    format!("{}px", rows as f64 * row_height)
}

/// localStorage key remembering the last status filter.
#[cfg(feature = "hydrate")]
const STATUS_FILTER_KEY: &str = "clientele.customer_status_filter";

/// The status the list was last filtered by on this device.
#[cfg(feature = "hydrate")]
fn remembered_status_filter() -> Option<String> {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::get(STATUS_FILTER_KEY).ok()
}

/// The server does not know the device's choice: it renders "All".
#[cfg(not(feature = "hydrate"))]
fn remembered_status_filter() -> Option<String> {
    None
}

fn status_class(status: &str) -> String {
    format!("badge status-{}", status.to_lowercase())
}

/// All customers, filtered by status and searched as the user types.
#[component]
pub fn CustomerListPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let filter = RwSignal::new(CustomerFilter {
        status: remembered_status_filter(),
        ..CustomerFilter::default()
    });
    let choose_status = move |status: Option<&'static str>| {
        filter.update(|filter| filter.status = status.map(str::to_owned));
        #[cfg(feature = "hydrate")]
        {
            use gloo_storage::{LocalStorage, Storage};
            match status {
                Some(status) => {
                    let _ = LocalStorage::set(STATUS_FILTER_KEY, status);
                }
                None => LocalStorage::delete(STATUS_FILTER_KEY),
            }
        }
    };
    let customers = Memo::new(move |_| {
        let mut all = crm.customers();
        all.sort_unstable_by(Customer::list_order);
        all
    });
    let counts = Memo::new(move |_| customers.with(|all| StatusCount::tally(all)));
    // Positions in `customers`, not copies: a keystroke that matches 50,000
    // customers copies none of them.
    let shown =
        Memo::new(move |_| filter.with(|filter| customers.with(|all| filter.positions(all))));
    let loaded = move || crm.status.with(|status| status.customers_loaded);

    // Only the rows in view are drawn; spacer rows stand in for the rest,
    // so 50,000 customers scroll like 50. The view is measured on scroll,
    // resize and whenever the list changes.
    let body = NodeRef::<leptos::html::Tbody>::new();
    let row_height = RwSignal::new(ROW_HEIGHT_GUESS_PX);
    let view_box = RwSignal::new((0.0_f64, 1000.0_f64));
    // Browser only: on the server the list is never drawn.
    let measure = move || {
        #[cfg(feature = "hydrate")]
        {
            let Some(body) = body.get_untracked() else {
                return;
            };
            if let Ok(Some(row)) = body.query_selector("tr[data-testid=customer-row]") {
                let height = row.get_bounding_client_rect().height();
                if height > 0.0 && height != row_height.get_untracked() {
                    row_height.set(height);
                }
            }
            let view_height = window()
                .inner_height()
                .ok()
                .and_then(|height| height.as_f64())
                .unwrap_or(1000.0);
            view_box.set((body.get_bounding_client_rect().top(), view_height));
        }
    };
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| measure());
    let on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });
    Effect::new(move |_| {
        body.track();
        shown.track();
        measure();
    });
    let drawn = Memo::new(move |_| {
        let (list_top, view_height) = view_box.get();
        rows_in_view(
            shown.with(Vec::len),
            row_height.get(),
            list_top,
            view_height,
        )
    });

    view! {
        <section class="list-page">
            <div class="page-head">
                <h1>"Customers"</h1>
                <A href="/customers/new" attr:class="button primary">
                    "New customer"
                </A>
            </div>
            <input
                class="search"
                type="search"
                placeholder="Search name, email or phone"
                aria-label="Search customers"
                prop:value=move || filter.get().query
                on:input=move |event| filter.update(|filter| filter.query = event_target_value(&event))
            />
            <div class="status-filter" role="group" aria-label="Filter by status">
                <button
                    aria-pressed=move || filter.get().status.is_none().to_string()
                    on:click=move |_| choose_status(None)
                    data-testid="status-all"
                >
                    "All "
                    <span class="count">{move || customers.with(Vec::len)}</span>
                </button>
                {move || {
                    counts
                        .get()
                        .into_iter()
                        .map(|StatusCount { status, count }| {
                            view! {
                                <button
                                    aria-pressed=move || {
                                        (filter.get().status.as_deref() == Some(status)).to_string()
                                    }
                                    on:click=move |_| choose_status(Some(status))
                                    data-testid=format!("status-{}", status.to_lowercase())
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
                when=loaded
                fallback=|| view! { <p class="muted">"Loading customers from this device…"</p> }
            >
                <Show
                    when=move || !shown.with(Vec::is_empty)
                    fallback=move || {
                        view! {
                            <p class="empty" data-testid="empty-list">
                                {move || {
                                    if customers.with(Vec::is_empty) {
                                        "No customers yet. Add your first one with \u{201c}New customer\u{201d}."
                                    } else {
                                        "No customers match this filter."
                                    }
                                }}
                            </p>
                        }
                    }
                >
                    <div class="table-wrap">
                    <table class="customer-table" aria-rowcount=move || shown.with(Vec::len) + 1>
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Status"</th>
                                <th class="optional">"Email"</th>
                                <th class="optional">"Phone"</th>
                                <th>"Default contact"</th>
                            </tr>
                        </thead>
                        <tbody node_ref=body>
                            <tr class="spacer" aria-hidden="true">
                                <td colspan="5" style:height=move || pixels(drawn.get().start, row_height.get())></td>
                            </tr>
                            {move || {
                                let drawn = drawn.get();
                                let (start, rows) = shown.with(|shown| {
                                    let end = drawn.end.min(shown.len());
                                    let start = drawn.start.min(end);
                                    let rows: Vec<Customer> = customers.with(|all| {
                                        shown[start..end].iter().map(|&at| all[at].clone()).collect()
                                    });
                                    (start, rows)
                                });
                                let ids: Vec<Uuid> = rows.iter().map(|customer| customer.id).collect();
                                let defaults = crm.default_contact_names(&ids);
                                rows.into_iter()
                                    .enumerate()
                                    .map(|(offset, customer)| {
                                        let contact = defaults.get(&customer.id).cloned().unwrap_or_default();
                                        view! {
                                            <tr data-testid="customer-row" aria-rowindex=start + offset + 2>
                                                <td>
                                                    <A href=format!("/customers/{}", customer.id)>{customer.name.clone()}</A>
                                                    <span class="kind">{choice_label(&customer.kind)}</span>
                                                </td>
                                                <td>
                                                    <span class=status_class(&customer.status)>{customer.status.clone()}</span>
                                                </td>
                                                <td class="optional">{customer.email.clone()}</td>
                                                <td class="optional">{customer.phone.clone()}</td>
                                                <td data-testid="default-contact">{contact}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()
                            }}
                            <tr class="spacer" aria-hidden="true">
                                <td
                                    colspan="5"
                                    style:height=move || {
                                        let after = shown.with(Vec::len).saturating_sub(drawn.get().end);
                                        pixels(after, row_height.get())
                                    }
                                ></td>
                            </tr>
                        </tbody>
                    </table>
                    </div>
                </Show>
            </Show>
        </section>
    }
}

/// The form for a new customer; opens the customer once saved.
#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let id = Uuid::now_v7();
    let navigate = use_navigate();
    let defaults: Map<String, Value> = json!({"kind": "company", "status": "Prospect"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let on_done = Callback::new(move |saved: bool| {
        let target = if saved {
            format!("/customers/{id}")
        } else {
            "/".to_owned()
        };
        navigate(&target, Default::default());
    });
    view! {
        <section class="form-page">
            <h1>"New customer"</h1>
            <RecordForm
                entity=Entity::Customer
                record_id=id
                fields=CUSTOMER_FORM_FIELDS
                initial=defaults
                submit_label="Save customer"
                on_done=on_done
            />
        </section>
    }
}

fn customer_values(customer: &Customer) -> Map<String, Value> {
    let mut values = Map::new();
    for (name, value) in [
        ("name", &customer.name),
        ("kind", &customer.kind),
        ("status", &customer.status),
        ("email", &customer.email),
        ("phone", &customer.phone),
        ("website", &customer.website),
        ("street", &customer.street),
        ("postcode", &customer.postcode),
        ("city", &customer.city),
        ("country", &customer.country),
        ("notes", &customer.notes),
    ] {
        values.insert(name.to_owned(), Value::String(value.clone()));
    }
    values
}

/// One customer: details, edit, delete, and its contacts.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|params| params.get("id").and_then(|id| Uuid::parse_str(&id).ok()))
    });
    let customer = Memo::new(move |_| id.get().and_then(|id| crm.customer(id)));
    // The page's sections keep their state (an open form) while the record
    // changes under them; only its presence rebuilds the page.
    let present = Memo::new(move |_| customer.with(Option::is_some));
    let editing = RwSignal::new(false);

    // Only loading matters here: any other status change (a sync starting,
    // a count) must not rebuild the page and close a form being filled in.
    let loaded = Memo::new(move |_| crm.status.with(|status| status.loaded));
    move || {
        if !loaded.get() {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        let (Some(id), true) = (id.get(), present.get()) else {
            return view! {
                <section class="empty" data-testid="customer-missing">
                    <h1>"Customer not found"</h1>
                    <p>"It may have been deleted on this device or by a colleague."</p>
                    <A href="/">"Back to customers"</A>
                </section>
            }
            .into_any();
        };
        if editing.get() {
            let Some(current) = customer.get_untracked() else {
                return ().into_any();
            };
            let on_done = Callback::new(move |_| editing.set(false));
            return view! {
                <section class="form-page">
                    <h1>"Edit " {current.name.clone()}</h1>
                    <RecordForm
                        entity=Entity::Customer
                        record_id=id
                        fields=CUSTOMER_FORM_FIELDS
                        initial=customer_values(&current)
                        editing=true
                        submit_label="Save changes"
                        on_done=on_done
                    />
                </section>
            }
            .into_any();
        }
        view! {
            <article class="customer" data-testid="customer-page">
                {move || customer.get().map(|current| view! {
<div class="page-head">
                    <div>
                        <p class="crumbs">
                            <A href="/">"Customers"</A>
                        </p>
                        <h1 data-testid="customer-name">{current.name.clone()}</h1>
                        <p>
                            <span class=status_class(&current.status) data-testid="customer-status">
                                {current.status.clone()}
                            </span>
                            " "
                            <span class="kind">{choice_label(&current.kind)}</span>
                        </p>
                    </div>
                    <div class="actions">
                        <button class="primary" on:click=move |_| editing.set(true)>
                            "Edit"
                        </button>
                        <DeleteCustomer id=id name=current.name.clone()/>
                    </div>
                </div>
                <ConflictNotices record_ids=Signal::derive(move || {
                    let mut ids: Vec<Uuid> = crm.contacts_of(id).iter().map(|c| c.id).collect();
                    ids.push(id);
                    ids
                })/>
                <CustomerDetails customer=current.clone()/>
                })}
                <ContactsSection customer_id=id/>
                <OpportunitiesSection parent=Parent::Customer(id)/>
                <TimelineSection
                    parent=Parent::Customer(id)
                    scope=Signal::derive(move || crm.customer_scope(id))
                />
            </article>
        }
        .into_any()
    }
}

#[component]
fn CustomerDetails(customer: Customer) -> impl IntoView {
    let address = customer.address_line();
    let rows: Vec<(&str, String, Option<String>)> = vec![
        (
            "Email",
            customer.email.clone(),
            Some(format!("mailto:{}", customer.email)),
        ),
        (
            "Phone",
            customer.phone.clone(),
            Some(format!("tel:{}", customer.phone)),
        ),
        ("Website", customer.website.clone(), None),
        ("Address", address, None),
    ];
    let rows: Vec<(&str, String, Option<String>)> = rows
        .into_iter()
        .filter(|(_, value, _)| !value.is_empty())
        .collect();
    let no_rows = rows.is_empty();
    view! {
        <dl class="details" class:hidden=no_rows>
            {rows
                .into_iter()
                .map(|(label, value, link)| {
                    view! {
                        <dt>{label}</dt>
                        <dd>
                            {match link {
                                Some(href) => view! { <a href=href>{value}</a> }.into_any(),
                                None => value.into_any(),
                            }}
                        </dd>
                    }
                })
                .collect_view()}
        </dl>
        <Show when={
            let empty = customer.notes.is_empty();
            move || !empty
        }>
            <section class="notes">
                <h2>"Notes"</h2>
                <p>{customer.notes.clone()}</p>
            </section>
        </Show>
    }
}

/// Delete with an explicit confirmation that says what goes with it.
#[component]
fn DeleteCustomer(id: Uuid, name: String) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let contact_count = move || crm.contacts_of(id).len();
    let delete = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if crm.delete(Entity::Customer, id).await.is_ok() {
                navigate("/", Default::default());
            }
        });
    };
    view! {
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
                <p>
                    {format!("Delete {name}")}
                    {move || match contact_count() {
                        0 => "?".to_owned(),
                        1 => " and its contact?".to_owned(),
                        n => format!(" and its {n} contacts?"),
                    }}
                </p>
                <button class="danger" on:click=delete.clone()>
                    "Yes, delete"
                </button>
                <button on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_below_the_fold_draws_its_first_screen_and_the_overscan() {
        // 1,000 rows of 50 px, the list starting 100 px down a 600 px view.
        assert_eq!(rows_in_view(1_000, 50.0, 100.0, 600.0), 0..19);
    }

    #[test]
    fn a_scrolled_list_draws_the_rows_in_view_and_the_overscan_around_them() {
        // Scrolled 5,000 px past the list's top: rows 100 to 112 are in view.
        assert_eq!(rows_in_view(1_000, 50.0, -5_000.0, 600.0), 92..121);
    }

    #[test]
    fn the_end_of_the_list_and_short_lists_stay_in_bounds() {
        assert_eq!(rows_in_view(1_000, 50.0, -60_000.0, 600.0), 1_000..1_000);
        assert_eq!(rows_in_view(1_000, 50.0, -49_900.0, 600.0), 990..1_000);
        assert_eq!(rows_in_view(3, 50.0, 100.0, 600.0), 0..3);
        assert_eq!(rows_in_view(0, 50.0, 100.0, 600.0), 0..0);
    }
}
