//! The one list page: a search box, a status filter bar with counts, and a
//! table that draws only the rows in view, so 50,000 rows scroll like 50.

use super::bulk::{BulkBar, BulkSpec, SelectAll, SelectRow, Selection};
use super::role::WhenCanEdit;
use crate::crm::{Crm, SyncStatus};
use crate::domain::{ImportKind, ListFilter, Listed, StatusCount};
use crate::ui::platform::{download, measure_rows, remember, remembered};
use leptos::prelude::*;
use leptos_router::components::A;
use std::ops::Range;
use uuid::Uuid;

/// A row's height in CSS pixels until the first drawn row is measured.
/// Rows have one height (style/main.css keeps cells on one line each),
/// which is what lets the list draw only the rows in view.
const ROW_HEIGHT_GUESS_PX: f64 = 60.0;
/// Rows drawn beyond each edge of the view, so a fast scroll shows no gap.
const OVERSCAN_ROWS: usize = 8;

/// A column of a list table.
pub struct Column {
    pub header: &'static str,
    /// Narrow screens hide it.
    pub optional: bool,
}

/// What a list page lists and what it says.
pub struct ListSpec<T> {
    /// The heading: "Customers".
    pub title: &'static str,
    /// What the rows are, for "Loading customers from this device…".
    pub plural: &'static str,
    /// The page adding one, and its button's words; `None` for a list
    /// nobody adds to (the Trash).
    pub new: Option<(&'static str, &'static str)>,
    /// A sentence under the heading saying what the list is, if needed.
    pub intro: Option<&'static str>,
    pub search_placeholder: &'static str,
    /// The search box's accessible name: "Search customers".
    pub search_label: &'static str,
    /// What an empty list says, and a list whose filter matches nothing.
    pub empty_text: &'static str,
    pub no_match_text: &'static str,
    /// Prefix of the filter buttons' test ids ("lead-" gives "lead-status-new").
    pub testid_prefix: &'static str,
    /// Test id of each row.
    pub row_testid: &'static str,
    pub columns: &'static [Column],
    /// Where this device remembers the last status filter, if it does.
    pub remember_filter_as: Option<&'static str>,
    /// Where this device remembers the owner filter ("Mine", "Everyone"
    /// or a member); `None` for a list without one.
    pub owner_filter_as: Option<&'static str>,
    /// The CSV import and export this list offers, if any.
    pub transfer: Option<Transfer>,
    /// Whether rows can be selected and acted on at once, and as what.
    pub bulk: Option<BulkSpec>,
    /// Whether the rows have been read from the device yet.
    pub ready: fn(&SyncStatus) -> bool,
    /// Every row, in any order.
    pub rows: fn(Crm) -> Vec<T>,
    /// The cells of the rows drawn, one group of `td`s per row: asked only
    /// for the rows in view, so a cell may look up more (a default contact).
    pub cells: fn(Crm, Vec<T>) -> Vec<AnyView>,
}

/// A list's CSV import and export: what they carry and where importing is.
#[derive(Clone, Copy)]
pub struct Transfer {
    pub kind: ImportKind,
    pub import_href: &'static str,
    /// The exported file's name before its date: "customers".
    pub file_name: &'static str,
}

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

/// "Not interested" → "not-interested": a status in a test id or class.
pub fn slug(status: &str) -> String {
    status.to_lowercase().replace(' ', "-")
}

/// A list page: every row of one kind, filtered by status and searched as
/// the user types.
#[component]
pub fn ListPage<T>(spec: ListSpec<T>) -> impl IntoView
where
    T: Listed + Clone + PartialEq + Send + Sync + 'static,
{
    let crm = expect_context::<Crm>();
    let ListSpec {
        title,
        plural,
        new,
        intro,
        search_placeholder,
        search_label,
        empty_text,
        no_match_text,
        testid_prefix,
        row_testid,
        columns,
        remember_filter_as,
        owner_filter_as,
        transfer,
        bulk,
        ready,
        rows,
        cells,
    } = spec;
    let selection = bulk.map(|_| Selection::new());
    let filter = RwSignal::new(ListFilter {
        status: remember_filter_as.and_then(remembered),
        ..ListFilter::default()
    });
    let all = Memo::new(move |_| {
        let mut all = rows(crm);
        all.sort_unstable_by(T::list_order);
        all
    });
    // "mine", a member's id, or empty for everyone's.
    let owner_choice = RwSignal::new(owner_filter_as.and_then(remembered).unwrap_or_default());
    let owner = Memo::new(move |_| owner_choice.with(|choice| chosen_owner(choice, crm.user_id())));
    let counts = Memo::new(move |_| {
        let owner = owner.get();
        all.with(|all| {
            StatusCount::tally(
                all.iter()
                    .filter(|row| owner.is_none_or(|owner| row.owner() == Some(owner))),
            )
        })
    });
    let shown = Memo::new(move |_| {
        let owner = owner.get();
        filter.with(|filter| {
            let filter = ListFilter {
                owner,
                ..filter.clone()
            };
            all.with(|all| filter.positions(all))
        })
    });
    let choose = move |status: Option<&'static str>| {
        filter.update(|filter| filter.status = status.map(str::to_owned));
        if let Some(key) = remember_filter_as {
            remember(key, status);
        }
    };
    let filter_button = move |status: Option<&'static str>, count: Signal<usize>| {
        let name = status.map_or_else(|| "all".to_owned(), slug);
        view! {
            <button
                aria-pressed=move || (filter.with(|filter| filter.status.as_deref() == status)).to_string()
                on:click=move |_| choose(status)
                data-testid=format!("{testid_prefix}status-{name}")
            >
                {status.unwrap_or("All")}
                " "
                <span class="count">{move || count.get()}</span>
            </button>
        }
    };
    view! {
        <section class="list-page">
            <div class="page-head">
                <h1>{title}</h1>
                {transfer.map(|transfer| view! { <TransferButtons transfer all shown/> })}
                {new.map(|(href, label)| view! {
                    <WhenCanEdit>
                        <A href=href attr:class="button primary">
                            {label}
                        </A>
                    </WhenCanEdit>
                })}
            </div>
            {intro.map(|intro| view! { <p class="muted">{intro}</p> })}
            <input
                class="search"
                type="search"
                placeholder=search_placeholder
                aria-label=search_label
                prop:value=move || filter.with(|filter| filter.query.clone())
                on:input=move |event| filter.update(|filter| filter.query = event_target_value(&event))
            />
            {owner_filter_as.map(|key| view! { <OwnerFilter choice=owner_choice remember_as=key/> })}
            <div class="status-filter" role="group" aria-label="Filter by status">
                {filter_button(None, Signal::derive(move || counts.with(|counts| counts.iter().map(|c| c.count).sum::<usize>())))}
                {move || {
                    counts
                        .get()
                        .into_iter()
                        .map(|StatusCount { status, count }| filter_button(Some(status), Signal::stored(count)))
                        .collect_view()
                }}
            </div>
            <Show
                when=move || crm.status.with(ready)
                fallback=move || view! { <p class="muted">{format!("Loading {plural} from this device…")}</p> }
            >
                <Show
                    when=move || !shown.with(Vec::is_empty)
                    fallback=move || {
                        view! {
                            <p class="empty" data-testid="empty-list">
                                {move || if all.with(Vec::is_empty) { empty_text } else { no_match_text }}
                            </p>
                        }
                    }
                >
                    {bulk.zip(selection).map(|(spec, selection)| {
                        let export = transfer.map(|transfer| {
                            Callback::new(move |ids: Vec<Uuid>| download_rows(crm, transfer, &ids))
                        });
                        view! { <BulkBar spec plural export selection all shown/> }
                    })}
                    <VirtualTable all shown columns row_testid cells selection/>
                </Show>
            </Show>
        </section>
    }
}

/// "Export" (what the list shows, as CSV) and, for editors, "Import".
#[component]
fn TransferButtons<T>(
    transfer: Transfer,
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
) -> impl IntoView
where
    T: Listed + Clone + PartialEq + Send + Sync + 'static,
{
    let crm = expect_context::<Crm>();
    let problem = RwSignal::new(None::<String>);
    let export = move |_| {
        let ids: Vec<Uuid> = shown.with_untracked(|shown| {
            all.with_untracked(|all| shown.iter().map(|&at| all[at].id()).collect())
        });
        problem.set(download_rows(crm, transfer, &ids));
    };
    view! {
        <button data-testid="export" on:click=export>"Export"</button>
        <WhenCanEdit>
            <A href=transfer.import_href attr:class="button" attr:data-testid="import">
                "Import"
            </A>
        </WhenCanEdit>
        {move || problem.get().map(|problem| view! { <p class="form-summary" role="alert">{problem}</p> })}
    }
}

/// Downloads these rows as the list's CSV file, named after the list and
/// the day; answers why the browser could not.
fn download_rows(crm: Crm, transfer: Transfer, ids: &[Uuid]) -> Option<String> {
    let bytes = crm.export(transfer.kind, ids);
    let name = format!(
        "{}-{}.csv",
        transfer.file_name,
        chrono::Utc::now().date_naive()
    );
    download(&name, "text/csv", &bytes).err()
}

/// The owner an owner filter's choice stands for: "mine" is the signed-in
/// member, an id that member, anything else everyone.
fn chosen_owner(choice: &str, me: Option<Uuid>) -> Option<Uuid> {
    if choice == "mine" {
        me
    } else {
        Uuid::parse_str(choice).ok()
    }
}

/// Whose records a list shows: mine, everyone's or one member's,
/// remembered on this device.
#[component]
fn OwnerFilter(choice: RwSignal<String>, remember_as: &'static str) -> impl IntoView {
    view! {
        <label class="owner-filter">
            "Owner "
            <select
                data-testid="owner-filter"
                prop:value=move || choice.get()
                on:change=move |event| {
                    let value = event_target_value(&event);
                    remember(remember_as, Some(&value).filter(|value| !value.is_empty()).map(String::as_str));
                    choice.set(value);
                }
            >
                <option value="">"Everyone"</option>
                <option value="mine">"Mine"</option>
                <OtherMemberOptions/>
            </select>
        </label>
    }
}

/// An `option` for each current member but the signed-in one, valued by
/// user id: the rest of a "whose records" menu.
#[component]
pub fn OtherMemberOptions() -> impl IntoView {
    let crm = expect_context::<Crm>();
    move || {
        crm.people
            .with(|people| people.members.clone())
            .into_iter()
            .filter(|(id, _)| Some(*id) != crm.user_id())
            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
    }
}

/// The table of a list page, drawing only the rows in view: spacer rows
/// stand in for the rest. The view is measured on scroll, resize and
/// whenever the rows shown change.
#[component]
fn VirtualTable<T>(
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
    columns: &'static [Column],
    row_testid: &'static str,
    cells: fn(Crm, Vec<T>) -> Vec<AnyView>,
    /// The rows selected, for a list with bulk actions: each row and the
    /// header get a checkbox.
    selection: Option<Selection>,
) -> impl IntoView
where
    T: Listed + Clone + PartialEq + Send + Sync + 'static,
{
    let body = NodeRef::<leptos::html::Tbody>::new();
    let row_height = RwSignal::new(ROW_HEIGHT_GUESS_PX);
    let view_box = RwSignal::new((0.0_f64, 1000.0_f64));
    let row_selector = format!("tr[data-testid={row_testid}]");
    let measure = move || {
        let Some(measured) = body
            .get_untracked()
            .and_then(|body| measure_rows(&body, &row_selector))
        else {
            return;
        };
        if let Some(height) = measured
            .row_height
            .filter(|height| *height != row_height.get_untracked())
        {
            row_height.set(height);
        }
        view_box.set((measured.top, measured.view_height));
    };
    let on_scroll = window_event_listener(leptos::ev::scroll, {
        let measure = measure.clone();
        move |_| measure()
    });
    let on_resize = window_event_listener(leptos::ev::resize, {
        let measure = measure.clone();
        move |_| measure()
    });
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
    let width = columns.len() + usize::from(selection.is_some());
    view! {
        <div class="table-wrap">
            <table class="customer-table" aria-rowcount=move || shown.with(Vec::len) + 1>
                <thead>
                    <tr>
                        {selection.map(|selection| view! { <SelectAll selection all shown/> })}
                        {columns
                            .iter()
                            .map(|column| view! { <th class:optional=column.optional>{column.header}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody node_ref=body>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=width style:height=move || pixels(drawn.get().start, row_height.get())></td>
                    </tr>
                    // Keyed by place: scrolling never hands a row's
                    // elements (a focused checkbox) to another place.
                    <For
                        each=move || {
                            let drawn = drawn.get();
                            let end = drawn.end.min(shown.with(Vec::len));
                            drawn.start.min(end)..end
                        }
                        key=|at| *at
                        let:at
                    >
                        <ListRow at all shown row_testid cells selection/>
                    </For>
                    <tr class="spacer" aria-hidden="true">
                        <td
                            colspan=width
                            style:height=move || {
                                let after = shown.with(Vec::len).saturating_sub(drawn.get().end);
                                pixels(after, row_height.get())
                            }
                        ></td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}

/// The row drawn at place `at` of the rows shown: its cells follow the
/// record there, redrawn only when that record or the place's record
/// changes.
#[component]
fn ListRow<T>(
    at: usize,
    all: Memo<Vec<T>>,
    shown: Memo<Vec<usize>>,
    row_testid: &'static str,
    cells: fn(Crm, Vec<T>) -> Vec<AnyView>,
    selection: Option<Selection>,
) -> impl IntoView
where
    T: Listed + Clone + PartialEq + Send + Sync + 'static,
{
    let crm = expect_context::<Crm>();
    let row = Memo::new(move |_| {
        shown.with(|shown| {
            let row = *shown.get(at)?;
            all.with(|all| all.get(row).cloned())
        })
    });
    view! {
        <tr data-testid=row_testid aria-rowindex=at + 2>
            {selection.map(|selection| view! { <SelectRow selection row at all shown/> })}
            {move || row.get().map(|row| cells(crm, vec![row]))}
        </tr>
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

    #[test]
    fn mine_is_the_signed_in_member_and_anything_unknown_is_everyone() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert_eq!(chosen_owner("mine", Some(me)), Some(me));
        assert_eq!(chosen_owner(&other.to_string(), Some(me)), Some(other));
        assert_eq!(chosen_owner("", Some(me)), None);
        assert_eq!(chosen_owner("mine", None), None, "signed out: everyone's");
    }

    #[test]
    fn a_status_becomes_a_slug_for_test_ids_and_classes() {
        assert_eq!(slug("Not interested"), "not-interested");
        assert_eq!(slug("Prospect"), "prospect");
    }
}
