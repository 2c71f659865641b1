//! A token input: a password field with a show/hide toggle. Its value lives only in memory.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::core::token::{clean, TokenKind};

/// Show or Hide: the toggle's own state (`aria-pressed`) says which, and the field before it
/// changes type. Written on the elements, not through a signal and reactive attributes (bundle
/// size); a new field (the portal's tokens and back) starts hidden again.
fn toggle(ev: leptos::ev::MouseEvent) {
    let Some(button) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<Element>().ok())
    else {
        return;
    };
    let shown = button.get_attribute("aria-pressed").as_deref() != Some("true");
    let _ = button.set_attribute("aria-pressed", if shown { "true" } else { "false" });
    button.set_text_content(Some(if shown { "Hide" } else { "Show" }));
    if let Some(input) = button.previous_element_sibling() {
        let _ = input.set_attribute("type", if shown { "text" } else { "password" });
    }
}

#[component]
pub fn SecretField(
    /// The visible label, also the field's accessible name.
    label: &'static str,
    id: &'static str,
    kind: TokenKind,
    value: RwSignal<String>,
) -> impl IntoView {
    let toggle_name = format!("Show {}", label.to_ascii_lowercase());
    let note_id = format!("{id}-note");
    // What was removed from the paste, or why it cannot be a token; nothing for an empty field.
    let note = move || {
        value.with(|v| match clean(kind, v) {
            Ok(token) => token.note(kind),
            Err(_) if v.trim().is_empty() => None,
            Err(e) => Some(e.to_string()),
        })
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="secret">
                <input
                    id=id
                    name=id
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=note_id.clone()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
                <button
                    type="button"
                    class="toggle"
                    aria-label=toggle_name
                    aria-pressed="false"
                    on:click=toggle
                >
                    "Show"
                </button>
            </div>
            <p class="hint token-note" id=note_id aria-live="polite">{note}</p>
        </div>
    }
}
