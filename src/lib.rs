//! Clientele: an offline-first CRM.
//!
//! One crate, two builds (DESIGN.md section 3): the server binary (feature
//! `ssr`) and the browser bundle (feature `hydrate`). `domain` and `sync` are
//! pure and shared by both; `server` and `client` are the adapters of each
//! side; `api` is the network surface between them; `ui` is the Leptos app.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod crm;
pub mod domain;
pub mod error;
pub mod sync;
pub mod ui;

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod server;

/// The WASM entry point, named for the script Leptos renders to start the
/// app: it replaces the server-rendered page (or the offline shell the
/// service worker served for another URL) with the app.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    client::mount_over_server_page(app::App);
}
