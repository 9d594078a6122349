//! Many tabs, one sync: a localStorage lease picks the tab that talks to the
//! server, and a BroadcastChannel tells the other tabs when the store changed.
//!
//! The store (IndexedDB) is shared by every tab of the origin, so a tab only
//! needs to hear "something changed" to re-read it; the message carries no
//! data. Both work with the network off.

use chrono::{DateTime, Utc};
use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL_NAME: &str = "clientele";
const LEASE_KEY: &str = "clientele.sync_lease";
/// How long a lease lasts without renewal: three sync polls, so a closed or
/// frozen tab hands over within seconds.
const LEASE_MS: f64 = 15_000.0;

/// What one tab tells the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TabMessage {
    /// The shared store changed (a local edit, a push's answer, pulled rows).
    Changed,
    /// The syncing tab finished a sync, so every tab can show when and how.
    Synced {
        at: DateTime<Utc>,
        error: Option<String>,
    },
    /// The user signed out and the local copy is gone: every tab leaves.
    SignedOut,
}

/// Tells every tab of this origin once, from a page that has not joined.
pub fn broadcast(message: &TabMessage) {
    if let (Ok(channel), Ok(text)) = (
        BroadcastChannel::new(CHANNEL_NAME),
        serde_json::to_string(message),
    ) {
        let _ = channel.post_message(&text.into());
        channel.close();
    }
}

#[derive(Serialize, Deserialize)]
struct Lease {
    tab: Uuid,
    until_ms: f64,
}

/// This tab's end of the coordination.
pub struct Tabs {
    id: Uuid,
    channel: Option<BroadcastChannel>,
}

impl Tabs {
    /// Joins the channel; without BroadcastChannel support the tab works alone.
    pub fn join(on_message: impl Fn(TabMessage) + 'static) -> Self {
        let channel = BroadcastChannel::new(CHANNEL_NAME).ok();
        if let Some(channel) = &channel {
            let listener = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
                let message = event
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str(&text).ok());
                if let Some(message) = message {
                    on_message(message);
                }
            });
            channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
            // The channel lives as long as the page, and so must its listener.
            listener.forget();
        }
        Self {
            id: Uuid::now_v7(),
            channel,
        }
    }

    /// Tells every other tab of this origin.
    pub fn announce(&self, message: &TabMessage) {
        if let (Some(channel), Ok(text)) = (&self.channel, serde_json::to_string(message)) {
            // A closed channel only means this tab is going away.
            let _ = channel.post_message(&text.into());
        }
    }

    /// Takes or renews the sync lease; `true` when this tab should sync now.
    ///
    /// Two tabs racing for a free lease may both win one round; that is
    /// harmless, because pushes are idempotent, and the read-back below makes
    /// the later writer the only holder from the next round on.
    pub fn hold_sync_lease(&self) -> bool {
        let now = js_sys::Date::now();
        let held_by_other = LocalStorage::get::<Lease>(LEASE_KEY)
            .ok()
            .is_some_and(|lease| lease.tab != self.id && lease.until_ms > now);
        if held_by_other {
            return false;
        }
        let mine = Lease {
            tab: self.id,
            until_ms: now + LEASE_MS,
        };
        if LocalStorage::set(LEASE_KEY, &mine).is_err() {
            // No localStorage (private mode quota): sync alone, as a single tab would.
            return true;
        }
        LocalStorage::get::<Lease>(LEASE_KEY).is_ok_and(|lease| lease.tab == self.id)
    }

    /// Gives the lease up so another tab takes over at once (the page is closing).
    pub fn release_sync_lease(&self) {
        if LocalStorage::get::<Lease>(LEASE_KEY).is_ok_and(|lease| lease.tab == self.id) {
            LocalStorage::delete(LEASE_KEY);
        }
    }
}
