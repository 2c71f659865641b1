//! The DOM helpers for what is drawn by hand rather than as views: the windowed results table,
//! whose reason is given in `results_table.rs`.

use web_sys::Element;

/// A new element named `name` (`"tr"`, `"td"`, ...) of the page's document.
pub(crate) fn element(name: &str) -> Element {
    leptos::prelude::document()
        .create_element(name)
        .expect("the document creates elements")
}
