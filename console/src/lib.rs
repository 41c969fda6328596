//! The Cuecard console: a Leptos app (client-side) where authors write, check and improve help,
//! and L&D leads read the insights — on the admin API the service already has, signed in with a
//! console session (`/admin/v1/session`). Served by the `cuecard` binary at `/console/`.
//!
//! Logic that decides something lives in plain modules with native tests (`route`, `merge`,
//! `charts`, `i18n`); the components read signals and render.

pub mod api;
pub mod app;
pub mod charts;
mod editor;
mod explain;
pub mod i18n;
mod insights;
pub mod merge;
pub mod route;
mod site;
mod snippets;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}
