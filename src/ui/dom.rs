//! The few DOM helpers for what is drawn by hand rather than as views: the windowed results
//! table, and the lists of `history.rs` until they are views too.

use wasm_bindgen::JsCast;
use web_sys::Element;

/// A new element named `name` (`"tr"`, `"td"`, ...) of the page's document.
pub(crate) fn element(name: &str) -> Element {
    leptos::prelude::document()
        .create_element(name)
        .expect("the document creates elements")
}

/// A new element with its class and its text (either left out when empty).
pub(crate) fn el(name: &str, class: &str, text: &str) -> Element {
    let e = element(name);
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    e
}

/// A `<button type="button">` saying what it does in `data-action` and which item in `data-i`,
/// with `aria-pressed` when `pressed` is given; [`clicked`] reads both back.
pub(crate) fn button(text: &str, action: &str, i: usize, pressed: Option<bool>) -> Element {
    let b = el("button", "", text);
    let _ = b.set_attribute("type", "button");
    let _ = b.set_attribute("data-action", action);
    let _ = b.set_attribute("data-i", &i.to_string());
    if let Some(p) = pressed {
        let _ = b.set_attribute("aria-pressed", if p { "true" } else { "false" });
    }
    b
}

/// Removes every child of `parent`.
pub(crate) fn clear(parent: &Element) {
    parent.set_text_content(None);
}

/// The `data-action` and `data-i` of the [`button`] a click was on.
pub(crate) fn clicked(ev: &leptos::ev::MouseEvent) -> Option<(String, usize)> {
    let button = ev
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("button[data-i]")
        .ok()??;
    let i = button.get_attribute("data-i")?.parse().ok()?;
    Some((button.get_attribute("data-action").unwrap_or_default(), i))
}
