//! The browser side: IndexedDB store, server transport and the sync loop.
//!
//! Compiled only into the WASM bundle. It wires the plain-Rust engine to the
//! browser and keeps [`Crm`]'s status in step with the network.

mod idb;
mod tabs;

pub use tabs::{broadcast, TabMessage, Tabs};

use crate::api;
use crate::crm::{user_message, AccountState, Crm, Device, REMOVED_KEY};
use crate::domain::ConvertRequest;
use crate::domain::{
    device_label, Account, BatchChange, Entity, HistoryEntry, Origin, People, StorageUse,
};
use crate::error::AppError;
use crate::sync::Replica;
use crate::sync::{
    Backoff, Engine, EngineError, PullRequest, PullResponse, PushRequest, PushResponse, SyncReport,
    Transport, TransportError,
};
use chrono::Utc;
use futures::channel::mpsc::UnboundedSender;
use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::future::LocalBoxFuture;
use futures::future::{select, Either};
use futures::StreamExt;
use gloo_storage::{LocalStorage, Storage};
use gloo_timers::future::TimeoutFuture;
use idb::IndexedDbStore;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;

use uuid::Uuid;

/// The engine as the browser runs it.
pub type BrowserEngine = Engine<IndexedDbStore, ServerTransport>;

/// Name of the IndexedDB database holding records, outbox and cursor.
const DATABASE_NAME: &str = "clientele";
/// localStorage key of a copy of this browser's sync client id.
const CLIENT_ID_KEY: &str = "clientele.client_id";
/// localStorage key of the signed-in account: who the local copy belongs
/// to, readable offline when the server cannot be asked.
const ACCOUNT_KEY: &str = "clientele.account";
/// localStorage key of the workspace's members as last heard (owner names
/// and choices, offline too); erased with the rest on sign-out.
const PEOPLE_KEY: &str = "clientele.people";
/// How often a syncing tab asks the server for its member's current role.
const ACCOUNT_CHECK_EVERY_MS: f64 = 60_000.0;
/// How often an idle, online tab asks for colleagues' changes.
const POLL_INTERVAL_MS: u32 = 5_000;
/// How long an account call (who am I, sign out) may take before the app
/// goes on without its answer.
const ACCOUNT_CALL_MS: u32 = 5_000;
/// How long a push or pull may take before it counts as the server being
/// unreachable; a full pull page (2 MB) needs about 1.1 Mbit/s to arrive within it.
const SYNC_CALL_MS: u32 = 15_000;
/// How often a long pull redraws the lists with the rows it has so far.
const SHOW_PULLED_EVERY_MS: f64 = 1_000.0;
/// What a device says after pulling everything again (see `SyncReport`).
const PULLED_AGAIN: &str = "This device was away longer than the Trash keeps deleted records \
    (30 days), so it loaded the workspace again from the server. Changes not yet sent were kept.";

/// Talks to the server through the generated server-function clients.
pub struct ServerTransport;

fn transport_error(error: AppError) -> TransportError {
    match error {
        AppError::Transport(reason) => TransportError::Unreachable(reason),
        AppError::NotSignedIn => TransportError::SignedOut,
        AppError::Removed => TransportError::Removed,
        other => TransportError::Refused(other.to_string()),
    }
}

impl Transport for ServerTransport {
    async fn push(&self, request: PushRequest) -> Result<PushResponse, TransportError> {
        within(
            SYNC_CALL_MS,
            api::push(request.client_id, request.mutations, Some(this_device())),
        )
        .await
        .ok_or(TransportError::NoAnswer)?
        .map_err(transport_error)
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse, TransportError> {
        let page = within(
            SYNC_CALL_MS,
            api::pull(request.client_id, request.cursor, request.limit),
        )
        .await
        .ok_or(TransportError::NoAnswer)?
        .map_err(transport_error)?;
        page.decode().map_err(|error| {
            TransportError::Refused(format!("the server sent a malformed page of rows: {error}"))
        })
    }
}

/// How this browser names itself in the history ("Chrome on Linux").
fn this_device() -> String {
    device_label(&window().navigator().user_agent().unwrap_or_default())
}

/// History pages pulled per turn of the sync loop: a first catch-up of a
/// large workspace's history goes on over several turns, and never holds
/// up the next sync of the records for long.
const HISTORY_PAGES_PER_TURN: usize = 20;
/// The pause between two turns of a history catch-up: long enough for
/// the page to breathe, far shorter than the idle poll.
const HISTORY_TURN_GAP_MS: u32 = 200;

/// How far one turn of the history catch-up got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HistoryTurn {
    /// Everything the server has is stored on this device.
    CaughtUp,
    /// More pages are waiting: the next turn comes soon.
    MoreWaiting,
    /// The server or the store failed: the next sync tries again, at the
    /// sync loop's own pace, so a failing server is never asked in a loop.
    Failed,
}

/// Pulls the workspace's history after the records (see
/// `api::pull_history`), a few pages at a time. A failure only postpones
/// it: the history is never in the way of a sync.
async fn catch_up_history(engine: &BrowserEngine) -> HistoryTurn {
    let store = engine.store();
    let Ok(mut cursor) = store.history_cursor().await else {
        return HistoryTurn::Failed;
    };
    for _ in 0..HISTORY_PAGES_PER_TURN {
        let Some(Ok(page)) = within(SYNC_CALL_MS, api::pull_history(cursor)).await else {
            return HistoryTurn::Failed;
        };
        if store
            .keep_history(&page.entries, page.cursor)
            .await
            .is_err()
        {
            return HistoryTurn::Failed;
        }
        cursor = page.cursor;
        if !page.more {
            return HistoryTurn::CaughtUp;
        }
    }
    HistoryTurn::MoreWaiting
}

/// What this page lends the UI once its store is open (see [`Device`]).
struct BrowserDevice {
    engine: Rc<BrowserEngine>,
    /// The sync loop's wake-up; the loop ends when this is dropped.
    wake: UnboundedSender<()>,
    tabs: Rc<Tabs>,
}

impl Device for BrowserDevice {
    fn with_replica(&self, read: &mut dyn FnMut(&Replica)) {
        self.engine.read(|replica| read(replica));
    }

    fn upsert(
        &self,
        entity: Entity,
        id: Uuid,
        patch: Map<String, Value>,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(async move { self.engine.upsert(entity, id, &patch).await })
    }

    fn save_batch(
        &self,
        changes: Vec<BatchChange>,
        origin: Option<Origin>,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(async move { self.engine.save_batch(&changes, origin).await })
    }

    fn delete(&self, entity: Entity, id: Uuid) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(self.engine.delete(entity, id))
    }

    fn unmerge(&self, entity: Entity, id: Uuid) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(self.engine.unmerge(entity, id))
    }

    fn convert(
        &self,
        lead_id: Uuid,
        request: ConvertRequest,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(self.engine.convert(lead_id, request))
    }

    fn unconvert(
        &self,
        lead_id: Uuid,
        status: String,
    ) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(async move { self.engine.unconvert(lead_id, &status).await })
    }

    fn discard_rejected(&self, mutation_id: u64) -> LocalBoxFuture<'_, Result<(), EngineError>> {
        Box::pin(self.engine.discard_rejected(mutation_id))
    }

    fn sync_now(&self) {
        // The loop holds the receiver for the page's lifetime.
        let _ = self.wake.unbounded_send(());
    }

    fn history(
        &self,
        entity: Entity,
        id: Uuid,
    ) -> LocalBoxFuture<'_, Result<Vec<HistoryEntry>, EngineError>> {
        Box::pin(async move { Ok(self.engine.store().history_of(entity, id).await?) })
    }

    fn tell_other_tabs(&self) {
        self.tabs.announce(&TabMessage::Changed);
    }
}

thread_local! {
    /// The device lent to the UI, kept here too so signing out can close
    /// its store and tell the other tabs through its channel.
    static LENT: RefCell<Option<Rc<BrowserDevice>>> = const { RefCell::new(None) };
}

/// Opens the local store, hands the engine to the UI and starts syncing.
/// `preload_pages` fetches the code of the pages split from the main bundle
/// once the first screen is painted.
pub fn start<P>(crm: Crm, preload_pages: fn() -> P)
where
    P: std::future::Future + 'static,
{
    let on_online = window_event_listener(leptos::ev::online, move |_| {
        crm.status.update(|status| status.online = true);
        crm.sync_now();
    });
    let on_offline = window_event_listener(leptos::ev::offline, move |_| {
        crm.status.update(|status| status.online = false);
    });
    // The listeners live as long as the page: the app is never unmounted.
    std::mem::forget((on_online, on_offline));
    register_service_worker();
    spawn_local(async move {
        crm.status
            .update(|status| status.online = navigator_online());
        let Some(account) = account_of_this_browser().await else {
            crm.account.set(AccountState::SignedOut);
            return;
        };
        crm.account.set(AccountState::SignedIn(account));
        if let Ok(people) = LocalStorage::get::<People>(PEOPLE_KEY) {
            crm.people.set(people);
        }
        spawn_local(refresh_people(crm));
        spawn_local(keep_storage(crm));
        match open_engine().await {
            Ok(engine) => {
                let engine = Rc::new(engine);
                let tabs = Rc::new(Tabs::join({
                    let engine = Rc::clone(&engine);
                    move |message| hear_other_tab(crm, Rc::clone(&engine), message)
                }));
                let (wake, woken) = unbounded();
                let device = Rc::new(BrowserDevice {
                    engine: Rc::clone(&engine),
                    wake,
                    tabs: Rc::clone(&tabs),
                });
                LENT.set(Some(Rc::clone(&device)));
                crm.attach(device);
                // The customers are listed; once the list is painted, the
                // rest of the store and the code of the other pages, then sync.
                after_next_paint().await;
                // A page whose code failed to load says so when opened, and
                // loads then.
                let (loaded, _) = futures::join!(engine.load_rest(), preload_pages());
                if let Err(error) = loaded {
                    crm.status
                        .update(|status| status.error = Some(user_message(&error)));
                    return;
                }
                crm.fully_loaded();
                sync_loop(crm, engine, tabs, woken).await;
            }
            Err(error) => crm
                .status
                .update(|status| status.error = Some(user_message(&error))),
        }
    });
}

/// Resolves once the browser has painted what is on screen now: a frame,
/// then a task after it. Reading the rest of a big store first would hold
/// the first screen back for seconds.
async fn after_next_paint() {
    let (painted, on_paint) = futures::channel::oneshot::channel();
    request_animation_frame(move || {
        // The receiver is awaited below; if it is gone there is no one to tell.
        let _ = painted.send(());
    });
    // A dropped frame callback (a hidden tab) should not hold the load back forever.
    let _ = select(on_paint, TimeoutFuture::new(200)).await;
    TimeoutFuture::new(0).await;
}

/// Another tab changed the shared store or finished a sync.
fn hear_other_tab(crm: Crm, engine: Rc<BrowserEngine>, message: TabMessage) {
    match message {
        TabMessage::Changed => spawn_local(async move {
            match engine.reload().await {
                Ok(()) => {
                    crm.changed();
                    // If this tab holds the sync lease, the change goes out now.
                    crm.sync_now();
                }
                Err(error) => crm
                    .status
                    .update(|status| status.error = Some(user_message(&error))),
            }
        }),
        TabMessage::Synced { at, error } => crm.status.update(|status| {
            status.last_synced = Some(at);
            status.error = error;
        }),
        TabMessage::SignedOut => {
            // Nothing this tab runs may write while the erase goes on.
            engine.store().close();
            leave_for_sign_in();
        }
    }
}

/// Asks the server who this member is now, so a role an admin changed
/// shows or hides the edit controls without signing in again, and a
/// removal is noticed even while nothing is pushed or pulled.
async fn refresh_account(crm: Crm) {
    match within(ACCOUNT_CALL_MS, api::auth::me()).await {
        Some(Ok(account)) => {
            let known = crm.account.with_untracked(
                |known| matches!(known, AccountState::SignedIn(stored) if *stored == account),
            );
            if !known {
                let _ = LocalStorage::set(ACCOUNT_KEY, &account);
                crm.account.set(AccountState::SignedIn(account));
            }
        }
        Some(Err(AppError::Removed)) => leave_removed(crm).await,
        // Offline, signed out or slow: the sync status says so already.
        _ => {}
    }
}

/// Asks the server who is in the workspace, for owner names and choices;
/// kept on the device so they work offline.
async fn refresh_people(crm: Crm) {
    if let Some(Ok(team)) = within(ACCOUNT_CALL_MS, api::team::members()).await {
        let people = People::of_team(&team);
        if crm.people.with_untracked(|known| *known != people) {
            let _ = LocalStorage::set(PEOPLE_KEY, &people);
            crm.people.set(people);
        }
    }
}

/// The account recorded on this browser, or, when there is none but the
/// server still has a session for it, that session's account.
async fn account_of_this_browser() -> Option<Account> {
    if let Ok(account) = LocalStorage::get::<Account>(ACCOUNT_KEY) {
        return Some(account);
    }
    if !navigator_online() {
        return None;
    }
    let account = within(ACCOUNT_CALL_MS, api::auth::me()).await?.ok()?;
    signed_in(&account).await.ok()?;
    Some(account)
}

/// Records a successful sign-in. The local copy is kept only when it is
/// this same user's (a session that expired while changes were queued);
/// anyone else's, or a copy of unknown owner, is erased first.
pub async fn signed_in(account: &Account) -> Result<(), String> {
    let same_user = LocalStorage::get::<Account>(ACCOUNT_KEY)
        .is_ok_and(|stored| stored.user_id == account.user_id);
    if !same_user {
        erase_local_copy().await?;
    }
    LocalStorage::set(ACCOUNT_KEY, account).map_err(|_| {
        "This browser cannot store that you signed in; allow site data and try again.".to_owned()
    })
}

/// Signs out, leaving nothing of this user in the browser.
///
/// First this page stops writing: the engine's store is closed and the sync
/// loop ends, so a pull already on its way cannot land after the erase (a
/// transaction it started before finishes first; the erase waits for it).
/// Then the server session ends when reachable, other tabs are sent to the
/// sign-in page (they close their store on hearing it), and the records,
/// outbox, cursor, client id and every localStorage key are erased. The
/// service worker's cache keeps only the public shell and bundle, which
/// hold no user data.
pub async fn sign_out(crm: Crm) -> Result<(), String> {
    erase_and_leave(crm, true).await
}

/// The server said this member was removed from the workspace: erase
/// everything as a sign-out does (queued changes included: the server
/// would never apply them) and open the sign-in page, which says why.
async fn leave_removed(crm: Crm) {
    if let Err(message) = erase_and_leave(crm, false).await {
        crm.status.update(|status| status.error = Some(message));
        return;
    }
    let _ = LocalStorage::set(REMOVED_KEY, "1");
    leave_for_sign_in();
}

/// What signing out and being removed share; `tell_server` ends the
/// server session too (a removed member's is already gone).
async fn erase_and_leave(crm: Crm, tell_server: bool) -> Result<(), String> {
    drop(crm.detach());
    // Dropping the last handle on the wake-up ends the sync loop.
    let tabs = LENT.take().map(|device| {
        device.engine.store().close();
        Rc::clone(&device.tabs)
    });
    // Offline, or with a server that does not answer, the server session
    // simply expires; the local copy goes now either way.
    if tell_server {
        let _ = within(ACCOUNT_CALL_MS, api::auth::logout()).await;
    }
    // Through this tab's own channel when it has one, which does not hear
    // itself: this tab leaves only once the erase is done.
    match &tabs {
        Some(tabs) => {
            tabs.release_sync_lease();
            tabs.announce(&TabMessage::SignedOut);
        }
        None => broadcast(&TabMessage::SignedOut),
    }
    erase_local_copy().await?;
    LocalStorage::clear();
    Ok(())
}

/// The future's output, or `None` if it takes longer than `ms`: a network
/// that accepts a connection and never answers must not hold the app.
pub async fn within<T>(ms: u32, future: impl std::future::Future<Output = T>) -> Option<T> {
    match select(std::pin::pin!(future), TimeoutFuture::new(ms)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

async fn erase_local_copy() -> Result<(), String> {
    let failed = |error: crate::sync::StoreError| {
        leptos::logging::warn!("erasing the local copy failed: {error}");
        "This browser could not erase its copy of the records; close other tabs of Clientele and try again.".to_owned()
    };
    let store = IndexedDbStore::open(DATABASE_NAME).await.map_err(failed)?;
    store.clear_everything().await.map_err(failed)?;
    LocalStorage::delete(CLIENT_ID_KEY);
    Ok(())
}

/// Loads the sign-in page afresh, dropping everything this page holds.
pub fn leave_for_sign_in() {
    let _ = window().location().set_href("/login");
}

async fn open_engine() -> Result<BrowserEngine, EngineError> {
    let store = IndexedDbStore::open(DATABASE_NAME).await?;
    let client_id = store.client_id(Uuid::now_v7()).await?;
    // A readable copy; the store's is the one that counts.
    let _ = LocalStorage::set(CLIENT_ID_KEY, client_id);
    // Customers first: the list is the first screen.
    Engine::open_with(store, ServerTransport, client_id, &[Entity::Customer]).await
}

/// Replaces the server-rendered page with the running app, keeping what was
/// typed into it meanwhile.
///
/// The browser build mounts rather than hydrates: nothing the server renders
/// holds data (the records are on the device), and hydration would compile
/// a second, asynchronous copy of every view into the bundle. The page is
/// plain HTML until the WASM arrives, though, and a slow line must not cost
/// anyone the email they typed into it: the text of each field and which one
/// had focus are kept for the app's field of the same id to take over (see
/// [`typed_before_start`]).
pub fn mount_over_server_page<F, V>(app: F)
where
    F: FnOnce() -> V + 'static,
    V: IntoView,
{
    let document = document();
    let focused = document
        .active_element()
        .map(|element| element.id())
        .filter(|id| !id.is_empty());
    TYPED_BEFORE_START.with_borrow_mut(|typed| {
        typed.text = typed_fields(&document);
        typed.focused = focused;
    });
    if let Some(body) = document.body() {
        body.set_inner_html("");
    }
    leptos::mount::mount_to_body(app);
    // Says the page is the app's now, not the server's HTML: what the
    // benchmark's cold visit waits for.
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute(APP_RUNNING_ATTRIBUTE, "true");
    }
}

/// The attribute on `<html>` that says the app has taken over the page.
const APP_RUNNING_ATTRIBUTE: &str = "data-app-running";

/// Text typed into the server's page before the app started, by field id.
#[derive(Default)]
struct TypedBeforeStart {
    text: HashMap<String, String>,
    focused: Option<String>,
}

thread_local! {
    static TYPED_BEFORE_START: RefCell<TypedBeforeStart> = RefCell::default();
}

/// What was typed into the server-rendered field `id` before the app
/// started, and whether it had focus; taken once, by the app's field that
/// replaces it.
pub fn typed_before_start(id: &str) -> (Option<String>, bool) {
    TYPED_BEFORE_START.with_borrow_mut(|typed| {
        let focused = typed.focused.as_deref() == Some(id);
        if focused {
            typed.focused = None;
        }
        (typed.text.remove(id), focused)
    })
}

/// The non-empty text fields of the page, by id.
fn typed_fields(document: &web_sys::Document) -> HashMap<String, String> {
    let Ok(fields) = document.query_selector_all("input[id], textarea[id]") else {
        return HashMap::new();
    };
    (0..fields.length())
        .filter_map(|index| fields.item(index))
        .filter_map(|node| {
            let (id, text) = if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
                (input.id(), input.value())
            } else {
                let area = node.dyn_ref::<web_sys::HtmlTextAreaElement>()?;
                (area.id(), area.value())
            };
            (!text.is_empty()).then_some((id, text))
        })
        .collect()
}

/// Asks the browser to keep the local copy (persistent storage: not cleared
/// under pressure), then shows whether it will and how much of the quota the
/// copy takes. Asked at every start while signed in, so a sign-in asks too.
async fn keep_storage(crm: Crm) {
    use wasm_bindgen_futures::JsFuture;
    let storage = window().navigator().storage();
    let persistent = match storage.persist() {
        Ok(asking) => JsFuture::from(asking)
            .await
            .ok()
            .and_then(|granted| granted.as_bool()),
        Err(_) => None,
    };
    show_storage_use(crm, persistent.unwrap_or(false)).await;
}

/// Reads how much of its quota this site uses, for the status line.
async fn show_storage_use(crm: Crm, persistent: bool) {
    let Ok(estimating) = window().navigator().storage().estimate() else {
        return;
    };
    let Ok(estimate) = wasm_bindgen_futures::JsFuture::from(estimating).await else {
        return;
    };
    let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
    let used = StorageUse {
        persistent,
        used_bytes: estimate.get_usage().unwrap_or(0.0),
        quota_bytes: estimate.get_quota().unwrap_or(0.0),
    };
    crm.status.update(|status| status.storage = Some(used));
}

/// Installs the service worker that keeps the app shell for offline use.
fn register_service_worker() {
    let container = window().navigator().service_worker();
    let registration = container.register("/sw.js");
    spawn_local(async move {
        if let Err(error) = wasm_bindgen_futures::JsFuture::from(registration).await {
            leptos::logging::warn!("the offline shell is unavailable: {error:?}");
        }
    });
}

fn navigator_online() -> bool {
    window().navigator().on_line()
}

/// Asks for the workspace's latest change, which the running sync's
/// progress bar measures against; without an answer there is no bar.
fn ask_for_head(crm: Crm) {
    spawn_local(async move {
        if let Ok(head) = api::sync_head().await {
            crm.status.update(|status| {
                if status.syncing {
                    status.pull_head = Some(head);
                }
            });
        }
    });
}

/// Syncs whenever woken (a local write, going online, "Retry") and every few
/// seconds; after a failure waits with backoff unless woken by the user.
async fn sync_loop(
    crm: Crm,
    engine: Rc<BrowserEngine>,
    tabs: Rc<Tabs>,
    mut woken: UnboundedReceiver<()>,
) {
    let mut backoff = Backoff::default();
    let mut account_checked_at: Option<f64> = None;
    // Whether the history may have entries this device lacks: at start,
    // and after any sync that moved something.
    let mut history_behind = true;
    let leaving = Rc::clone(&tabs);
    let on_leave =
        window_event_listener(leptos::ev::pagehide, move |_| leaving.release_sync_lease());
    // Released with the page.
    std::mem::forget(on_leave);
    loop {
        let mut wait_ms = POLL_INTERVAL_MS;
        let mut signed_out = false;
        let mut no_answer = false;
        if navigator_online() && tabs.hold_sync_lease() {
            let from = engine.read(Replica::cursor);
            crm.status.update(|status| {
                status.syncing = true;
                status.pulled = 0;
                status.pull_from = from;
                status.pull_at = from;
                status.pull_head = None;
            });
            // A first sync fetches everything: worth a bar from its start.
            // The question goes out beside the first pull, never before it.
            let mut head_asked = from == 0;
            if head_asked {
                ask_for_head(crm);
            }
            let mut last_shown: Option<f64> = None;
            let result = engine
                .sync(|progress| {
                    crm.status.update(|status| {
                        status.pulled = progress.rows;
                        status.pull_at = progress.cursor;
                    });
                    if progress.more && !head_asked {
                        // A long catch-up after time offline: find how long.
                        head_asked = true;
                        ask_for_head(crm);
                    }
                    // The first page shows at once (the app is usable before
                    // an initial sync ends); later ones at most once per
                    // interval, since each redraw re-reads whole lists.
                    let now = js_sys::Date::now();
                    if last_shown.is_none_or(|shown| now - shown >= SHOW_PULLED_EVERY_MS) {
                        last_shown = Some(now);
                        crm.changed();
                    }
                })
                .await;
            let error = match result {
                Ok(report) => {
                    backoff.reset();
                    let now = js_sys::Date::now();
                    if account_checked_at.is_none_or(|at| now - at >= ACCOUNT_CHECK_EVERY_MS) {
                        account_checked_at = Some(now);
                        spawn_local(refresh_account(crm));
                        spawn_local(refresh_people(crm));
                    }
                    if report.pulled_again {
                        crm.tell(PULLED_AGAIN.to_owned());
                    }
                    if report != SyncReport::default() {
                        history_behind = true;
                        tabs.announce(&TabMessage::Changed);
                        let persistent = crm.status.with_untracked(|status| {
                            status.storage.as_ref().is_some_and(|s| s.persistent)
                        });
                        spawn_local(show_storage_use(crm, persistent));
                    }
                    None
                }
                Err(EngineError::Transport(TransportError::Removed)) => {
                    leave_removed(crm).await;
                    return;
                }
                Err(error) => {
                    signed_out = matches!(error, EngineError::Transport(TransportError::SignedOut));
                    no_answer = matches!(error, EngineError::Transport(TransportError::NoAnswer));
                    let delay = backoff.next_delay(js_sys::Math::random());
                    wait_ms = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
                    Some(user_message(&error))
                }
            };
            let synced = error.is_none();
            let at = Utc::now();
            tabs.announce(&TabMessage::Synced {
                at,
                error: error.clone(),
            });
            crm.status.update(|status| {
                status.syncing = false;
                status.pull_head = None;
                status.signed_out_on_server = signed_out;
                // A server that never answers is as good as no network.
                status.online = navigator_online() && !no_answer;
                status.error = error;
                if status.error.is_none() {
                    status.last_synced = Some(at);
                }
            });
            crm.changed();
            if history_behind && synced {
                let turn = catch_up_history(&engine).await;
                crm.history_arrived();
                history_behind = turn != HistoryTurn::CaughtUp;
                if turn == HistoryTurn::MoreWaiting {
                    // More is waiting: the next turn comes soon, not after a poll.
                    wait_ms = wait_ms.min(HISTORY_TURN_GAP_MS);
                }
            }
        }
        crm.note_stale_changes();
        if signed_out {
            // Nothing will sync until the user signs in again (which reloads
            // the page); retrying would only race the new session's cookie.
            if woken.next().await.is_none() {
                return;
            }
        } else {
            let timer = TimeoutFuture::new(wait_ms);
            if let Either::Left((None, _)) = select(woken.next(), timer).await {
                return;
            }
        }
        while woken.try_recv().is_ok() {}
    }
}
