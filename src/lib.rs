//! Clientele: an offline-first CRM.
//!
//! One crate, two builds (DESIGN.md section 3): the server binary (feature
//! `ssr`) and the browser bundle (feature `hydrate`). `domain` and `sync` are
//! pure and shared by both; `server` and `client` are the adapters of each
//! side; `api` is the network surface between them; `ui` is the Leptos app.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod error;
pub mod sync;
pub mod ui;

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod server;

/// The WASM entry point: takes over the server-rendered page, or mounts the
/// app into the offline shell the service worker served for another URL.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    if client::page_rendered_for_this_url() {
        leptos::mount::hydrate_body(app::App);
    } else {
        client::clear_body();
        leptos::mount::mount_to_body(app::App);
    }
}
