//! A token input: a password field with a show/hide toggle. Its value lives only in memory.

use leptos::prelude::*;

use crate::core::token::{clean, TokenKind};

#[component]
pub fn SecretField(
    /// The visible label, also the field's accessible name.
    label: &'static str,
    id: &'static str,
    kind: TokenKind,
    value: RwSignal<String>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
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
                    type=move || if shown.get() { "text" } else { "password" }
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
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <p class="hint token-note" id=note_id aria-live="polite">{note}</p>
        </div>
    }
}
