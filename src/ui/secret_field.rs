//! A token input: a password field with a show/hide toggle. Its value lives only in memory.

use leptos::prelude::*;

#[component]
pub fn SecretField(
    /// The visible label, also the field's accessible name.
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let toggle_name = format!("Show {}", label.to_lowercase());
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
        </div>
    }
}
