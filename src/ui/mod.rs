//! Components: they read signals, call the core, and show the result.

pub mod app;
pub mod context;
pub mod copy;
pub mod dom;
pub mod download;
pub mod history;
pub mod imei_field;
pub mod notify;
pub mod portal;
pub mod results_table;
pub mod run_controller;
pub mod secret_field;
pub mod stored_runs;
pub mod summary;
pub mod sync_form;
pub mod workbench;

/// Focuses what `to` finds at the next frame, once the page shows what this task changed (the
/// reactive updates of a task are drawn after it).
pub(crate) fn focus_later(to: impl FnOnce() -> Option<web_sys::HtmlElement> + 'static) {
    leptos::prelude::request_animation_frame(move || {
        if let Some(element) = to() {
            let _ = element.focus();
        }
    });
}
