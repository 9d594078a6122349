//! Importing a CSV file into customers or leads, on this device and offline
//! too: choose the file, map its columns, check every row (with progress and
//! Cancel), decide about duplicates, then save everything as one batch that
//! syncs like any edit. The rules are `domain::import`'s.

use super::kit::WhenCanEdit;
use super::platform::{
    download, read_chosen_file, remember, remembered, windows_1252, yield_to_page,
};
use crate::crm::Crm;
use crate::domain::{
    guess_mapping, mapping_memory_key, read_table, BatchChange, Counts, Decisions, DuplicateChoice,
    Entity, FieldKind, ImportKind, ImportReceipt, Origin, Outcome, PlannedRow, Planner, Table,
    Target, FILE_MAX_BYTES,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

/// Rows checked between two paints: small enough that no frame waits long.
const ROWS_PER_SLICE: usize = 500;
/// Rows the preview shows as they will be saved.
const PREVIEW_ROWS: usize = 20;

/// Where an import stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    Choose,
    Map,
    Checking { done: usize, total: usize },
    Preview,
    Saving,
    Done { created: usize, updated: usize },
}

/// What an import page needs from its list: what it imports and where the
/// list is.
#[derive(Clone, Copy)]
struct Import {
    kind: ImportKind,
    plural: &'static str,
    /// The list the records show in, and its name: "/", "customers".
    list_href: &'static str,
    list_name: &'static str,
}

/// The state one import shares between its steps.
#[derive(Clone, Copy)]
struct ImportState {
    crm: Crm,
    import: Import,
    step: RwSignal<Step>,
    file_name: RwSignal<String>,
    table: RwSignal<Option<Table>>,
    mapping: RwSignal<Vec<Option<Target>>>,
    plan: RwSignal<Option<Planner>>,
    decisions: RwSignal<Decisions>,
    cancelled: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
}

/// Importing customers, each with its default contact.
#[component]
pub fn CustomerImportPage() -> impl IntoView {
    let import = Import {
        kind: ImportKind::Customers,
        plural: "customers",
        list_href: "/",
        list_name: "customers",
    };
    view! { <ImportPage import/> }
}

/// Importing contacts onto customers already here.
#[component]
pub fn ContactImportPage() -> impl IntoView {
    let import = Import {
        kind: ImportKind::Contacts,
        plural: "contacts",
        list_href: "/",
        list_name: "customers",
    };
    view! { <ImportPage import/> }
}

/// Importing leads.
#[component]
pub fn LeadImportPage() -> impl IntoView {
    let import = Import {
        kind: ImportKind::Leads,
        plural: "leads",
        list_href: "/leads",
        list_name: "leads",
    };
    view! { <ImportPage import/> }
}

#[component]
fn ImportPage(import: Import) -> impl IntoView {
    let state = ImportState {
        crm: expect_context::<Crm>(),
        import,
        step: RwSignal::new(Step::Choose),
        file_name: RwSignal::new(String::new()),
        table: RwSignal::new(None),
        mapping: RwSignal::new(Vec::new()),
        plan: RwSignal::new(None),
        decisions: RwSignal::new(Decisions::default()),
        cancelled: RwSignal::new(false),
        problem: RwSignal::new(None),
    };
    provide_context(state);
    view! {
        <section class="import-page">
            <div class="page-head">
                <h1>{format!("Import {}", import.plural)}</h1>
                <A href=import.list_href>{format!("Back to {}", import.list_name)}</A>
            </div>
            <WhenCanEdit>
                <Show when=move || state.problem.with(Option::is_some)>
                    <p class="form-summary" role="alert" data-testid="import-problem">
                        {move || state.problem.get()}
                    </p>
                </Show>
                {move || match state.step.get() {
                    Step::Choose => view! { <ChooseFile/> }.into_any(),
                    Step::Map => view! { <MapColumns/> }.into_any(),
                    Step::Checking { done, total } => view! { <Checking done total/> }.into_any(),
                    Step::Preview => view! { <Preview/> }.into_any(),
                    Step::Saving => {
                        view! { <p role="status" data-testid="import-saving">"Saving on this device…"</p> }
                            .into_any()
                    }
                    Step::Done { created, updated } => view! { <Done created updated/> }.into_any(),
                }}
            </WhenCanEdit>
        </section>
    }
}

impl ImportState {
    /// Reads the chosen file and maps its columns as last time, or guessed.
    fn open(self, input: leptos::web_sys::HtmlInputElement) {
        spawn_local(async move {
            self.problem.set(None);
            let read = read_chosen_file(&input, FILE_MAX_BYTES)
                .await
                .and_then(|(name, bytes)| {
                    Ok((
                        name,
                        read_table(&bytes, windows_1252).map_err(|e| e.to_string())?,
                    ))
                });
            match read {
                Ok((name, table)) if table.rows.is_empty() => {
                    self.problem.set(Some(format!(
                        "{name} has a header row but no rows to import."
                    )));
                }
                Ok((name, table)) => {
                    let kind = self.import.kind;
                    let mapping = remembered(&mapping_memory_key(kind, &table.headers))
                        .map(|keys| {
                            keys.split(',')
                                .map(|key| kind.target(key))
                                .collect::<Vec<_>>()
                        })
                        .filter(|mapping| mapping.len() == table.headers.len())
                        .unwrap_or_else(|| guess_mapping(kind, &table.headers));
                    self.mapping.set(mapping);
                    self.file_name.set(name);
                    self.table.set(Some(table));
                    self.step.set(Step::Map);
                }
                Err(message) => self.problem.set(Some(message)),
            }
        });
    }

    /// Checks every row in slices, painting between them; Cancel stops it
    /// with nothing saved.
    fn check(self) {
        let kind = self.import.kind;
        let Some((headers, total)) = self
            .table
            .with_untracked(|table| table.as_ref().map(|t| (t.headers.clone(), t.rows.len())))
        else {
            return;
        };
        let mapping = self.mapping.get_untracked();
        let keys: Vec<String> = mapping
            .iter()
            .map(|target| target.map_or_else(|| "-".to_owned(), Target::key))
            .collect();
        remember(&mapping_memory_key(kind, &headers), Some(&keys.join(",")));
        let Some(mut planner) = self.crm.import_planner(kind, &headers, &mapping) else {
            self.problem.set(Some("Sign in again to import.".into()));
            return;
        };
        self.cancelled.set(false);
        self.problem.set(None);
        spawn_local(async move {
            for start in (0..total).step_by(ROWS_PER_SLICE) {
                self.step.set(Step::Checking { done: start, total });
                yield_to_page().await;
                if self.cancelled.get_untracked() {
                    self.step.set(Step::Map);
                    return;
                }
                let end = (start + ROWS_PER_SLICE).min(total);
                self.table.with_untracked(|table| {
                    if let Some(table) = table {
                        planner.add(&table.rows[start..end]);
                    }
                });
            }
            self.plan.set(Some(planner));
            self.step.set(Step::Preview);
        });
    }

    /// Saves the plan as one batch: every change shown at once, or none.
    fn save(self) {
        let kind = self.import.kind;
        let changes = self.plan.with_untracked(|plan| {
            plan.as_ref()
                .map(|plan| {
                    self.crm
                        .import_changes(plan, self.decisions.get_untracked())
                })
                .unwrap_or_default()
        });
        let created = changes
            .iter()
            .filter(|change| change.creates && change.entity == kind.entity())
            .count();
        let updated = changes.iter().filter(|change| !change.creates).count();
        let receipt = ImportReceipt::of(
            kind,
            &self.file_name.get_untracked(),
            chrono::Utc::now(),
            &changes,
        );
        let batch: Vec<BatchChange> = changes.into_iter().map(Into::into).collect();
        self.step.set(Step::Saving);
        spawn_local(async move {
            yield_to_page().await;
            let label = format!(
                "Imported {created} new and updated {updated} {}",
                self.import.plural
            );
            match self
                .crm
                .save_batch(batch, label, Some(Origin::Import))
                .await
            {
                Ok(()) => {
                    // Too large a receipt for this browser only loses the undo.
                    let kept = serde_json::to_string(&receipt).ok();
                    remember(&ImportReceipt::memory_key(kind.entity()), kept.as_deref());
                    self.step.set(Step::Done { created, updated });
                }
                Err(error) => {
                    self.problem.set(Some(error.message()));
                    self.step.set(Step::Preview);
                }
            }
        });
    }

    fn counts(self) -> Counts {
        self.plan
            .with(|plan| plan.as_ref().map(Planner::counts).unwrap_or_default())
    }
}

/// The first step: a file input.
#[component]
fn ChooseFile() -> impl IntoView {
    let state = expect_context::<ImportState>();
    view! {
        <p>
            "Choose a CSV file (comma, semicolon or tab separated, UTF-8 or as Excel saves it). "
            "The first row names the columns. Nothing is saved until you confirm."
        </p>
        <label class="file-choice">
            "CSV file "
            <input
                type="file"
                accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values"
                data-testid="import-file"
                on:change=move |event| state.open(event_target(&event))
            />
        </label>
        {(state.import.kind == ImportKind::Customers).then(|| view! {
            <p>
                "Adding people to customers already here? "
                <A href="/contacts/import">"Import contacts instead"</A>
                ", matched to their customer by its name or email."
            </p>
        })}
        <LastImport/>
    }
}

/// The last import of this kind on this device, with "Undo import": it
/// removes what the import created and empties what it filled, except
/// records changed since, which it names.
#[component]
fn LastImport() -> impl IntoView {
    let state = expect_context::<ImportState>();
    let entity = state.import.kind.entity();
    let key = ImportReceipt::memory_key(entity);
    let receipt = RwSignal::new(
        remembered(&key).and_then(|json| serde_json::from_str::<ImportReceipt>(&json).ok()),
    );
    let outcome = RwSignal::new(None::<String>);
    let undo = move |_| {
        let Some(found) = receipt.get_untracked() else {
            return;
        };
        let plan = state.crm.undo_import(&found);
        let left: Vec<String> = plan
            .changed_since
            .iter()
            .map(|&id| state.crm.record_name(entity, id))
            .collect();
        let key = key.clone();
        spawn_local(async move {
            let label = format!("Undid the import of {}", found.file_name);
            match state
                .crm
                .save_batch(plan.changes, label, Some(Origin::Undo))
                .await
            {
                Ok(()) => {
                    remember(&key, None);
                    receipt.set(None);
                    let mut said = format!(
                        "Undone: removed {} {} and emptied the fields it filled in {}.",
                        plan.removed, state.import.plural, plan.emptied
                    );
                    if !left.is_empty() {
                        said.push_str(&format!(
                            " Changed since, so left as they are: {}.",
                            left.join(", ")
                        ));
                    }
                    outcome.set(Some(said));
                }
                Err(error) => state.problem.set(Some(error.message())),
            }
        });
    };
    view! {
        {move || receipt.get().map(|found| view! {
            <p class="last-import" data-testid="last-import">
                {format!(
                    "Last import on this device: {}, {} new and {} filled in, {}. ",
                    found.file_name,
                    found.created.len(),
                    found.filled.len(),
                    found.at.format("%d %b %Y %H:%M UTC"),
                )}
                <button data-testid="import-undo" on:click=undo.clone()>"Undo import"</button>
            </p>
        })}
        {move || outcome.get().map(|said| view! { <p role="status" data-testid="import-undone">{said}</p> })}
    }
}

/// The second step: which field each column fills.
#[component]
fn MapColumns() -> impl IntoView {
    let state = expect_context::<ImportState>();
    let targets = state.import.kind.targets();
    let columns = move || {
        state.table.with(|table| {
            let Some(table) = table else {
                return Vec::new();
            };
            let sample = |at: usize| {
                table
                    .rows
                    .first()
                    .and_then(|row| row.cells.get(at))
                    .cloned()
            };
            table
                .headers
                .iter()
                .enumerate()
                .map(|(at, header)| (at, header.clone(), sample(at).unwrap_or_default()))
                .collect()
        })
    };
    view! {
        <p data-testid="import-summary">
            {move || {
                let rows = state.table.with(|table| table.as_ref().map_or(0, |t| t.rows.len()));
                format!("{}: {rows} rows. Choose the field each column fills.", state.file_name.get())
            }}
        </p>
        <div class="table-wrap">
        <table class="mapping">
            <thead>
                <tr><th>"Column"</th><th>"First row"</th><th>"Fills"</th></tr>
            </thead>
            <tbody>
                <For each=columns key=|(at, header, _)| (*at, header.clone()) let:((at, header, sample))>
                    <tr>
                        <td>{header.clone()}</td>
                        <td class="muted">{sample}</td>
                        <td><TargetChoice at header=header.clone() targets=targets.clone()/></td>
                    </tr>
                </For>
            </tbody>
        </table>
        </div>
        <div class="actions">
            <button class="primary" data-testid="import-check" on:click=move |_| state.check()>
                "Check rows"
            </button>
            <button on:click=move |_| state.step.set(Step::Choose)>"Choose another file"</button>
        </div>
    }
}

/// The menu of fields one column can fill.
#[component]
fn TargetChoice(at: usize, header: String, targets: Vec<Target>) -> impl IntoView {
    let state = expect_context::<ImportState>();
    let chosen = move || {
        state
            .mapping
            .with(|mapping| mapping.get(at).copied().flatten().map(Target::key))
            .unwrap_or_default()
    };
    let choose = move |key: String| {
        let target = state.import.kind.target(&key);
        state.mapping.update(|mapping| {
            if let Some(slot) = mapping.get_mut(at) {
                *slot = target;
            }
        });
    };
    view! {
        <select
            aria-label=format!("Field for column {header}")
            data-testid=format!("import-map-{at}")
            prop:value=chosen
            on:change=move |event| choose(event_target_value(&event))
        >
            <option value="">"Leave out"</option>
            {targets
                .into_iter()
                .map(|target| view! { <option value=target.key()>{target.label()}</option> })
                .collect_view()}
        </select>
    }
}

/// Checking rows: how far it got, and Cancel.
#[component]
fn Checking(done: usize, total: usize) -> impl IntoView {
    let state = expect_context::<ImportState>();
    view! {
        <p role="status">{format!("Checking rows: {done} of {total}")}</p>
        <progress data-testid="import-progress" aria-label="Rows checked" max=total value=done></progress>
        <div class="actions">
            <button data-testid="import-cancel" on:click=move |_| state.cancelled.set(true)>
                "Cancel"
            </button>
        </div>
    }
}

/// The preview: counts, decisions about duplicates, the first rows as they
/// will be saved, and the rows with problems to download.
#[component]
fn Preview() -> impl IntoView {
    let state = expect_context::<ImportState>();
    let counts = Memo::new(move |_| state.counts());
    let download_problems = move |_| {
        let bytes = state.plan.with_untracked(|plan| {
            state.table.with_untracked(|table| match (plan, table) {
                (Some(plan), Some(table)) => plan.problem_rows_csv(table),
                _ => Vec::new(),
            })
        });
        if let Err(message) = download("rows-with-problems.csv", "text/csv", &bytes) {
            state.problem.set(Some(message));
        }
    };
    view! {
        <dl class="import-counts">
            <Count label="New" testid="import-new" count=Signal::derive(move || counts.get().new)/>
            <Count label="Already here" testid="import-duplicates" count=Signal::derive(move || counts.get().duplicates)/>
            <Count label="Repeated in the file" testid="import-repeats" count=Signal::derive(move || counts.get().repeats)/>
            <Count label="With problems (skipped)" testid="import-invalid" count=Signal::derive(move || counts.get().invalid)/>
        </dl>
        <DuplicateChoices/>
        <Show when=move || { counts.get().invalid > 0 }>
            <button data-testid="import-download-problems" on:click=download_problems>
                "Download the rows with problems"
            </button>
        </Show>
        <PreviewRows/>
        <div class="actions">
            <button class="primary" data-testid="import-confirm" on:click=move |_| state.save()>
                "Import"
            </button>
            <button on:click=move |_| state.step.set(Step::Map)>"Back to the columns"</button>
        </div>
    }
}

#[component]
fn Count(label: &'static str, testid: &'static str, count: Signal<usize>) -> impl IntoView {
    view! {
        <div>
            <dt>{label}</dt>
            <dd data-testid=testid>{move || count.get()}</dd>
        </div>
    }
}

/// What to do with each kind of duplicate.
#[component]
fn DuplicateChoices() -> impl IntoView {
    let state = expect_context::<ImportState>();
    let choice = |label: &'static str,
                  testid: &'static str,
                  get: fn(&Decisions) -> DuplicateChoice,
                  set: fn(&mut Decisions, DuplicateChoice),
                  fills: bool| {
        let value = move || choice_value(state.decisions.with(get)).to_owned();
        view! {
            <label>
                {label}
                " "
                <select
                    data-testid=testid
                    prop:value=value
                    on:change=move |event| {
                        let chosen = parse_choice(&event_target_value(&event));
                        state.decisions.update(|decisions| set(decisions, chosen));
                    }
                >
                    <option value="skip">"Skip"</option>
                    {fills.then(|| view! { <option value="fill">"Fill their empty fields"</option> })}
                    <option value="create">"Create anyway"</option>
                </select>
            </label>
        }
    };
    view! {
        <fieldset class="duplicate-choices">
            <legend>"Duplicates"</legend>
            {choice("Same email as a record here", "import-same-email", |d| d.same_email, |d, c| d.same_email = c, true)}
            {choice("Same name or phone as a record here", "import-similar", |d| d.similar, |d, c| d.similar = c, true)}
            {choice("Repeated within the file", "import-repeat-choice", |d| d.repeats, |d, c| d.repeats = c, false)}
        </fieldset>
    }
}

fn choice_value(choice: DuplicateChoice) -> &'static str {
    match choice {
        DuplicateChoice::Skip => "skip",
        DuplicateChoice::FillEmpty => "fill",
        DuplicateChoice::CreateAnyway => "create",
    }
}

fn parse_choice(value: &str) -> DuplicateChoice {
    match value {
        "fill" => DuplicateChoice::FillEmpty,
        "create" => DuplicateChoice::CreateAnyway,
        _ => DuplicateChoice::Skip,
    }
}

/// The first rows as they will be saved, each with its outcome.
#[component]
fn PreviewRows() -> impl IntoView {
    let state = expect_context::<ImportState>();
    let rows = move || {
        state.plan.with(|plan| {
            plan.as_ref()
                .map(|plan| {
                    plan.rows()
                        .iter()
                        .take(PREVIEW_ROWS)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <h2>{format!("The first {PREVIEW_ROWS} rows as they will be saved")}</h2>
        // Focusable, so a keyboard can scroll it on a narrow screen.
        <div class="table-wrap" tabindex="0" role="region" aria-label="Rows as they will be saved">
            <table class="import-preview">
                <thead>
                    <tr><th>"Line"</th><th>"Saved as"</th><th>"Outcome"</th></tr>
                </thead>
                <tbody>
                    {move || rows().into_iter().map(|row| preview_row(state, row)).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn preview_row(state: ImportState, row: PlannedRow) -> impl IntoView {
    let entity = state.import.kind.entity();
    // In the form's order, owners by name.
    let shown = |fields: &serde_json::Map<String, serde_json::Value>, entity: Entity| {
        entity
            .fields()
            .iter()
            .filter_map(|spec| {
                let value = fields.get(spec.name)?;
                let text = match (spec.kind, value.as_str()) {
                    (FieldKind::Member, Some(id)) => uuid::Uuid::parse_str(id)
                        .map_or_else(|_| id.to_owned(), |id| state.crm.person_name(id)),
                    (_, Some(text)) => text.to_owned(),
                    (_, None) => value.to_string(),
                };
                Some(format!("{}: {text}", spec.label))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let mut saved = shown(&row.record, entity);
    if let Some(contact) = &row.contact {
        saved.push_str(&format!(" — Contact: {}", shown(contact, Entity::Contact)));
    }
    let outcome = match &row.outcome {
        Outcome::New => "New".to_owned(),
        Outcome::Duplicate { reason, .. } => format!("Already here ({})", reason.describe()),
        Outcome::Repeat { line, reason } => format!("Repeats line {line} ({})", reason.describe()),
        Outcome::Invalid(problems) => problems
            .iter()
            .map(|problem| format!("{}: {}", problem.column, problem.message))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let outcome = row.warnings.iter().fold(outcome, |outcome, warning| {
        format!("{outcome}; {}: {}", warning.column, warning.message)
    });
    let invalid = matches!(row.outcome, Outcome::Invalid(_));
    view! {
        <tr data-testid="import-preview-row" class:invalid=invalid>
            <td>{row.line}</td>
            <td>{saved}</td>
            <td>{outcome}</td>
        </tr>
    }
}

/// The import is saved on this device: what it did, and where to go.
#[component]
fn Done(created: usize, updated: usize) -> impl IntoView {
    let state = expect_context::<ImportState>();
    let Import {
        plural,
        list_href,
        list_name,
        ..
    } = state.import;
    view! {
        <p role="status" data-testid="import-done">
            {format!("Imported {created} new {plural} and filled in {updated} existing ones. They sync like any change.")}
        </p>
        <div class="actions">
            <A href=list_href attr:class="button primary">{format!("Open {list_name}")}</A>
            <button on:click=move |_| state.step.set(Step::Choose)>"Import another file"</button>
        </div>
        <LastImport/>
    }
}
