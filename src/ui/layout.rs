//! The frame around every page: header, sync status and refused changes.

use super::account::is_public_path;
use super::form::{form_fields, RecordForm};
use super::kit::UndoNotice;
use crate::crm::{AccountState, Crm, SyncStatus};
use crate::domain::{Entity, FieldError, FieldKind};
use crate::sync::{Op, RejectedMutation};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Header with navigation and sync status, then the page. A signed-out
/// visitor sees only the brand, and any page but the public ones sends
/// them to sign in.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    let signed_out = move || crm.account.get() == AccountState::SignedOut;
    Effect::new(move |_| {
        if signed_out() && !is_public_path(&location.pathname.get()) {
            navigate(
                "/login",
                leptos_router::NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let account_label = move || match crm.account.get() {
        AccountState::SignedIn(account) => account.email,
        _ => "Account".to_owned(),
    };
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                "Clientele"
            </A>
            <Show when=move || !signed_out()>
                <nav>
                    <A href="/home">"Home"</A>
                    <A href="/">"Customers"</A>
                    <A href="/leads">"Leads"</A>
                    <A href="/pipeline">"Pipeline"</A>
                    <A href="/tasks">"Tasks"</A>
                    <A href="/duplicates">"Duplicates"</A>
                    <A href="/trash">"Trash"</A>
                    <A href="/account" attr:class="account-link" attr:data-testid="account-link" attr:title=account_label>
                        {account_label}
                    </A>
                </nav>
                <SyncIndicator/>
            </Show>
        </header>
        <StaleChanges/>
        <RejectedChanges/>
        <main class="page">{children()}</main>
        <UndoNotice/>
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

fn status_text(status: &SyncStatus) -> String {
    if !status.loaded {
        return status
            .error
            .clone()
            .unwrap_or_else(|| "Opening local data…".to_owned());
    }
    let waiting = (status.pending > 0)
        .then(|| format!("{} waiting", plural(status.pending, "change", "changes")));
    if !status.online {
        return waiting.unwrap_or_else(|| "All changes saved on this device".to_owned());
    }
    if status.syncing && status.pulled > 0 {
        let received = plural(status.pulled, "record", "records");
        return match status.pull_progress() {
            Some((done, total)) => {
                format!("Syncing… {received} received ({}%)", percent(done, total))
            }
            None => format!("Syncing… {received} received"),
        };
    }
    if let Some(error) = &status.error {
        return format!("Sync failed: {error}");
    }
    if let Some(waiting) = waiting {
        return waiting;
    }
    match status.last_synced {
        Some(time) => format!("All changes synced at {}", super::clock::time_of_day(&time)),
        None => "Connecting…".to_owned(),
    }
}

/// What a screen reader hears when the status line changes: online or
/// offline, changes waiting, a failure, a sign-in needed. Sync times and a
/// running sync's counts are left out, so a long sync is announced once
/// rather than at every batch of records it receives.
fn announcement(status: &SyncStatus) -> String {
    if !status.loaded {
        return status.error.clone().unwrap_or_default();
    }
    if status.signed_out_on_server {
        return "Signed out. Sign in again to sync the changes on this device.".to_owned();
    }
    let waiting = plural(status.pending, "change", "changes");
    if !status.online {
        return if status.pending > 0 {
            format!("Offline. {waiting} waiting.")
        } else {
            "Offline. All changes saved on this device.".to_owned()
        };
    }
    if let Some(error) = &status.error {
        return format!("Sync failed: {error}");
    }
    if status.pending > 0 {
        format!("Online. {waiting} waiting.")
    } else if status.syncing && status.pulled > 0 {
        "Online. Syncing.".to_owned()
    } else {
        "Online. All changes synced.".to_owned()
    }
}

fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        100
    } else {
        done.saturating_mul(100) / total
    }
}

/// Online or offline, changes waiting, last sync, and a retry after errors.
#[component]
fn SyncIndicator() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let status = crm.status;
    let state = move || {
        let status = status.get();
        if !status.online {
            "offline"
        } else if status.error.is_some() {
            "error"
        } else if status.syncing || status.pending > 0 || status.saving > 0 {
            "syncing"
        } else {
            "synced"
        }
    };
    let announced = Memo::new(move |_| status.with(announcement));
    view! {
        <div
            class="sync-status"
            data-testid="sync-status"
            data-state=state
            data-pending=move || status.get().pending.to_string()
            data-loaded=move || status.get().loaded.to_string()
        >
            // The live region: only what `announcement` keeps, so the
            // progress below can change many times a second in silence.
            <span class="visually-hidden" role="status" data-testid="sync-announcement">
                {move || announced.get()}
            </span>
            <span class="dot" aria-hidden="true"></span>
            <strong data-testid="connection">
                {move || if status.get().online { "Online" } else { "Offline" }}
            </strong>
            <span data-testid="sync-detail">{move || status_text(&status.get())}</span>
            {move || {
                status
                    .with(SyncStatus::pull_progress)
                    .map(|(done, total)| {
                        view! {
                            <progress
                                class="sync-progress"
                                data-testid="sync-progress"
                                aria-label="Sync progress"
                                max=total
                                value=done
                            ></progress>
                        }
                    })
            }}
            <span class="storage-detail muted" data-testid="storage-detail">
                {move || status.with(|status| status.storage.as_ref().map(|storage| storage.describe()))}
            </span>
            <Show when=move || {
                status.get().error.is_some() && status.get().online
                    && !status.get().signed_out_on_server
            }>
                <button class="link" on:click=move |_| crm.sync_now()>
                    "Retry"
                </button>
            </Show>
            <Show when=move || status.get().signed_out_on_server>
                <A href="/login" attr:class="link" attr:data-testid="sign-in-again">
                    "Sign in"
                </A>
            </Show>
        </div>
    }
}

fn stale_text(count: usize) -> String {
    let changes = plural(count, "change", "changes");
    let verb = if count == 1 { "has" } else { "have" };
    format!(
        "{changes} made more than a day ago {verb} not reached the server. \
         Keep this tab open while online, or sign in again if you were signed out."
    )
}

/// Changes that have waited more than a day, said plainly with what to do:
/// the status line's count alone does not tell that something is wrong.
#[component]
fn StaleChanges() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let stale = move || crm.status.with(|status| status.stale);
    view! {
        <Show when=move || { stale() > 0 }>
            <section class="attention" data-testid="stale-changes" role="alert">
                <p>{move || stale_text(stale())}</p>
            </section>
        </Show>
    }
}

fn describe(rejected: &RejectedMutation) -> String {
    let action = match rejected.mutation.op {
        Op::Upsert => "Saving",
        Op::Delete => "Deleting",
        Op::Convert => "Converting",
        Op::Merge => "Merging",
        Op::Unmerge => "Unmerging",
        Op::Unconvert => "Undoing the conversion of",
    };
    let FieldError { field, message } = &rejected.error;
    let name = rejected
        .mutation
        .fields
        .iter()
        .find(|(field, _)| {
            [
                "name",
                "first_name",
                "person_name",
                "company_name",
                "title",
                "subject",
            ]
            .contains(&field.as_str())
        })
        .and_then(|(_, value)| value.as_str())
        .map(|name| format!(" \u{201c}{name}\u{201d}"))
        .unwrap_or_default();
    let field = if field.is_empty() {
        String::new()
    } else {
        format!(" ({field})")
    };
    format!(
        "{action} a {}{name} was refused{field}: {message}",
        rejected.mutation.entity.label()
    )
}

/// Changes the server refused, never dropped silently: each with its reason,
/// a way to fix and resend it, and a way to discard it.
#[component]
fn RejectedChanges() -> impl IntoView {
    let crm = expect_context::<Crm>();
    let rejected = Memo::new(move |_| crm.rejected());
    view! {
        <Show when=move || !rejected.get().is_empty()>
            <section class="attention" data-testid="rejected-changes" aria-live="polite">
                <h2>"Needs attention"</h2>
                <ul>
                    {move || {
                        rejected
                            .get()
                            .into_iter()
                            .map(|item| view! { <RejectedItem item=item/> })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn RejectedItem(item: RejectedMutation) -> impl IntoView {
    let crm = expect_context::<Crm>();
    let fixing = RwSignal::new(false);
    let id = item.mutation.id;
    let entity = item.mutation.entity;
    let record_id = item.mutation.record_id;
    let fields = form_fields(entity);
    let fixable = item.mutation.op == Op::Upsert && !fields.is_empty();
    let description = describe(&item);
    // An edit that lost to a delete is resent as a restore.
    let restores = item.error.field == "deleted";
    let refused_fields = item.mutation.fields;
    let discard = move || {
        spawn_local(async move {
            let _ = crm.discard_rejected(id).await;
        });
    };
    let form = move || {
        // The current record with the refused values on top, for the user to
        // correct. Read once: the form must not be redrawn (and its loading
        // awaited again) by every change to the store, its own save included.
        let mut initial = untrack(|| crm.fields_of(entity, record_id));
        initial.extend(refused_fields.clone());
        let mut fixed: Map<String, Value> = initial
            .iter()
            .filter(|(name, _)| {
                entity
                    .field(name)
                    .is_some_and(|spec| matches!(spec.kind, FieldKind::Reference(_)))
                    && entity.client_writable(name)
                    && !fields.contains(&name.as_str())
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        if restores {
            fixed.insert("deleted".to_owned(), Value::Bool(false));
        }
        let on_done = Callback::new(move |saved: bool| {
            fixing.set(false);
            if saved {
                discard();
            }
        });
        let form = FixForm {
            entity,
            record_id,
            fields,
            initial,
            fixed,
            on_done,
        };
        Suspend::new(async move {
            fix_form(form)
                .await
                .unwrap_or_else(PageCodeMissing::into_view)
        })
    };
    view! {
        <li data-testid="rejected-change">
            <span>{description}</span>
            <Show when=move || fixable && !fixing.get()>
                <button class="link" on:click=move |_| fixing.set(true)>
                    {if restores { "Restore with my changes" } else { "Fix and resend" }}
                </button>
            </Show>
            <button class="link" on:click=move |_| discard()>
                "Discard"
            </button>
            <Show when=move || fixing.get()>{form.clone()}</Show>
        </li>
    }
}

/// A refused change as the form to fix it starts.
pub(crate) struct FixForm {
    entity: Entity,
    record_id: Uuid,
    fields: &'static [&'static str],
    initial: Map<String, Value>,
    fixed: Map<String, Value>,
    on_done: Callback<bool>,
}

/// The form to fix a refused change. Split off the main bundle, like the
/// pages: most sessions never show it, and every one would download it.
#[leptos::wasm_split::wasm_split(
    fix_form,
    fallible,
    wasm_split_path = ::leptos::wasm_split,
    preload(preload_fix_form)
)]
pub(crate) fn fix_form(form: FixForm) -> Result<AnyView, PageCodeMissing> {
    // Built untracked, as a component body is: a `Suspend` awaits this, and
    // would redraw the form whenever anything it read changed.
    Ok(untrack(move || {
        view! {
            <RecordForm
                entity=form.entity
                record_id=form.record_id
                fields=form.fields
                initial=form.initial
                fixed=form.fixed
                submit_label="Resend"
                on_done=form.on_done
            />
        }
        .into_any()
    }))
}

/// Why a view could not be shown: its code is split off the main bundle and
/// never reached this device (a first visit whose network went away before
/// it loaded). Loading is tried again the next time the view is opened.
#[derive(Debug, thiserror::Error)]
#[error("this part of Clientele has not been downloaded to this device yet")]
pub struct PageCodeMissing;

impl From<leptos::wasm_split::SplitLoaderError> for PageCodeMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

impl PageCodeMissing {
    /// What shows in place of the missing view.
    pub fn into_view(self) -> AnyView {
        view! {
            <section class="empty" data-testid="page-code-missing">
                <p>"This part of Clientele has not been downloaded to this device yet. "
                   "Connect to the network and open it again."</p>
            </section>
        }
        .into_any()
    }
}

/// What the offline shell shows until the app mounts for the real URL.
#[component]
pub fn ShellPage() -> impl IntoView {
    view! { <p class="muted">"Opening Clientele…"</p> }
}

/// Shown for any URL the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    super::platform::respond_not_found();
    view! {
        <section class="empty">
            <h1>"Page not found"</h1>
            <p>
                <A href="/">"Back to customers"</A>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced() -> SyncStatus {
        SyncStatus {
            loaded: true,
            online: true,
            ..SyncStatus::default()
        }
    }

    #[test]
    fn a_long_sync_is_announced_once_whatever_its_progress() {
        let early = SyncStatus {
            syncing: true,
            pulled: 500,
            pull_at: 500,
            pull_head: Some(40_000),
            ..synced()
        };
        let late = SyncStatus {
            pulled: 39_000,
            pull_at: 39_000,
            ..early.clone()
        };
        assert_ne!(status_text(&early), status_text(&late));
        assert_eq!(announcement(&early), "Online. Syncing.");
        assert_eq!(announcement(&late), announcement(&early));
    }

    #[test]
    fn going_offline_is_announced_with_the_changes_waiting() {
        let offline = SyncStatus {
            online: false,
            pending: 3,
            ..synced()
        };
        assert_eq!(announcement(&offline), "Offline. 3 changes waiting.");
    }

    #[test]
    fn a_new_sync_time_is_not_announced_again() {
        let first = SyncStatus {
            last_synced: Some(chrono::DateTime::UNIX_EPOCH),
            ..synced()
        };
        let later = SyncStatus {
            last_synced: Some(chrono::Utc::now()),
            ..synced()
        };
        assert_eq!(announcement(&first), "Online. All changes synced.");
        assert_eq!(announcement(&later), announcement(&first));
    }

    #[test]
    fn a_failure_and_a_lost_session_are_announced() {
        let failed = SyncStatus {
            error: Some("The server cannot be reached.".to_owned()),
            ..synced()
        };
        assert_eq!(
            announcement(&failed),
            "Sync failed: The server cannot be reached."
        );
        let signed_out = SyncStatus {
            signed_out_on_server: true,
            ..failed
        };
        assert!(announcement(&signed_out).starts_with("Signed out."));
    }
}
