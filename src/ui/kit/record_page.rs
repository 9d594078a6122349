//! One record's page: loading, not found, editing and viewing, and the
//! parts every record page shows (its header and its details).

use super::role::WhenCanEdit;
use crate::crm::Crm;
use crate::domain::Entity;
use crate::ui::form::{form_fields, RecordForm};
use crate::ui::platform::focus_soon;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use serde_json::Value;
use uuid::Uuid;

/// How a record page finds and names its record.
pub struct RecordPageSpec<T> {
    pub entity: Entity,
    /// "Customer": the page says "Customer not found" when it is gone.
    pub noun: &'static str,
    /// Where the not-found page leads back to, and its words.
    pub back: (&'static str, &'static str),
    /// The record as the page shows it, if it is there.
    pub find: fn(Crm, Uuid) -> Option<T>,
    /// What the edit form's heading calls it.
    pub title: fn(&T) -> String,
}

/// What a record page's body draws from.
pub struct RecordView<T: Send + Sync + 'static> {
    pub id: Uuid,
    /// The record as it changes (a colleague's edit arrives, a sync lands).
    pub record: Memo<Option<T>>,
    /// Set to open the edit form in place of the page.
    pub editing: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for RecordView<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for RecordView<T> {}

/// The page of the record named by the route's `:id`.
///
/// Only the record's presence, loading and editing rebuild the page: the
/// body's parts keep their state (an open form) while the record changes
/// under them, and a sync starting or a count changing rebuilds nothing.
#[component]
pub fn RecordPage<T>(spec: RecordPageSpec<T>, body: fn(RecordView<T>) -> AnyView) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let crm = expect_context::<Crm>();
    let params = use_params_map();
    let RecordPageSpec {
        entity,
        noun,
        back: (back_href, back_label),
        find,
        title,
    } = spec;
    let id = Memo::new(move |_| {
        params.with(|params| params.get("id").and_then(|id| Uuid::parse_str(&id).ok()))
    });
    let record = Memo::new(move |_| id.get().and_then(|id| find(crm, id)));
    let present = Memo::new(move |_| record.with(Option::is_some));
    let editing = RwSignal::new(false);
    let loaded = Memo::new(move |_| crm.status.with(|status| status.loaded));
    follow_merges(entity, id, present, loaded);
    move || {
        if !loaded.get() {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        let (Some(id), true) = (id.get(), present.get()) else {
            return view! {
                <section class="empty" data-testid=format!("{entity}-missing")>
                    <h1>{format!("{noun} not found")}</h1>
                    <p>"It may have been deleted on this device or by a colleague."</p>
                    <A href=back_href>{back_label}</A>
                </section>
            }
            .into_any();
        };
        if editing.get() {
            let heading = record.with_untracked(|record| record.as_ref().map(title));
            // Read once: a change arriving while the form is open must not
            // rebuild it over what is being typed.
            let initial = untrack(|| crm.fields_of(entity, id));
            let on_done = Callback::new(move |_| {
                editing.set(false);
                focus_soon(format!("#{EDIT_BUTTON_ID}"));
            });
            return view! {
                <section class="form-page">
                    <h1>"Edit " {heading}</h1>
                    <RecordForm
                        entity=entity
                        record_id=id
                        fields=form_fields(entity)
                        initial=initial
                        editing=true
                        submit_label="Save changes"
                        on_done=on_done
                    />
                </section>
            }
            .into_any();
        }
        let parts = RecordView {
            id,
            record,
            editing,
        };
        view! {
            <article class=entity.as_str() data-testid=format!("{entity}-page")>
                {body(parts)}
            </article>
        }
        .into_any()
    }
}

/// Opens the survivor's page in place of a record merged away, at this
/// device's first sight of the merge: old links and bookmarks keep working.
fn follow_merges(entity: Entity, id: Memo<Option<Uuid>>, present: Memo<bool>, loaded: Memo<bool>) {
    let crm = expect_context::<Crm>();
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| {
        if !loaded.get() || present.get() {
            return;
        }
        let Some(id) = id.get() else {
            return;
        };
        if let Some(survivor) = crm.merged_into(entity, id) {
            let path = location
                .pathname
                .get_untracked()
                .replace(&id.to_string(), &survivor.to_string());
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            navigate(&path, options);
        }
    });
}

/// The id of a record page's Edit button, where focus returns after editing.
const EDIT_BUTTON_ID: &str = "edit-record";

/// Opens the record page's edit form.
#[component]
pub fn EditButton(editing: RwSignal<bool>, #[prop(optional)] primary: bool) -> impl IntoView {
    view! {
        <WhenCanEdit>
            <button id=EDIT_BUTTON_ID class:primary=primary on:click=move |_| editing.set(true)>
                "Edit"
            </button>
        </WhenCanEdit>
    }
}

/// A record page's head: where it sits, its title and badges, its actions.
#[component]
pub fn RecordHeader(
    /// Links back up (the list, the customer an opportunity is with).
    crumbs: AnyView,
    title: String,
    title_testid: &'static str,
    /// Status, stage and kind under the title.
    badges: AnyView,
    /// The action buttons.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="page-head">
            <div>
                <p class="crumbs">{crumbs}</p>
                <h1 data-testid=title_testid>{title}</h1>
                <p>{badges}</p>
            </div>
            <div class="actions">{children()}</div>
        </div>
    }
}

/// One line of a record's details; empty values are left out.
pub struct Detail {
    pub label: &'static str,
    pub value: String,
    /// A `mailto:`/`tel:` or other link the value opens.
    pub href: Option<String>,
}

impl Detail {
    /// A plain value.
    pub fn text(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
            href: None,
        }
    }

    /// A value that opens `href` (an e-mail or a phone call).
    pub fn link(label: &'static str, value: impl Into<String>, href: String) -> Self {
        Self {
            label,
            value: value.into(),
            href: Some(href),
        }
    }
}

/// A record's details list and its notes, each shown only when not empty.
#[component]
pub fn Details(rows: Vec<Detail>, notes: String) -> impl IntoView {
    let rows: Vec<Detail> = rows
        .into_iter()
        .filter(|row| !row.value.is_empty())
        .collect();
    let no_rows = rows.is_empty();
    view! {
        <dl class="details" class:hidden=no_rows>
            {rows
                .into_iter()
                .map(|Detail { label, value, href }| {
                    view! {
                        <dt>{label}</dt>
                        <dd>
                            {match href {
                                Some(href) => view! { <a href=href>{value}</a> }.into_any(),
                                None => value.into_any(),
                            }}
                        </dd>
                    }
                })
                .collect_view()}
        </dl>
        {(!notes.is_empty())
            .then(|| {
                view! {
                    <section class="notes">
                        <h2>"Notes"</h2>
                        <p>{notes}</p>
                    </section>
                }
            })}
    }
}

/// The page adding one record: a heading and the entity's form with its
/// defaults; opens the new record once saved, goes back when cancelled.
#[component]
pub fn NewRecordPage(
    entity: Entity,
    heading: &'static str,
    /// Values the form starts with (a new customer is a prospect company).
    defaults: &'static [(&'static str, &'static str)],
    submit_label: &'static str,
    /// The saved record opens at this path followed by its id.
    opens: &'static str,
    cancel_to: &'static str,
) -> impl IntoView {
    let id = Uuid::now_v7();
    let navigate = use_navigate();
    let initial = defaults
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String((*value).to_owned())))
        .collect();
    let on_done = Callback::new(move |saved: bool| {
        let target = if saved {
            format!("{opens}/{id}")
        } else {
            cancel_to.to_owned()
        };
        navigate(&target, Default::default());
    });
    view! {
        <section class="form-page">
            <h1>{heading}</h1>
            <RecordForm
                entity=entity
                record_id=id
                fields=form_fields(entity)
                initial=initial
                submit_label=submit_label
                on_done=on_done
            />
        </section>
    }
}
