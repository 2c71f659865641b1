//! The IMEI list: a textarea with a live count of valid, unique devices and every problem found.

use leptos::prelude::*;

use crate::core::imei::ImeiList;

/// Problems listed at most; a paste of 100,000 bad lines must not build 100,000 list items.
const PROBLEMS_SHOWN: usize = 100;

#[component]
pub fn ImeiField(
    text: RwSignal<String>,
    allow_bad_check_digit: RwSignal<bool>,
    list: Memo<ImeiList>,
) -> impl IntoView {
    let count = move || {
        list.with(|l| match l.devices.len() {
            1 => "1 valid, unique IMEI".to_owned(),
            n => format!("{n} valid, unique IMEIs"),
        })
    };
    let problems = move || {
        list.with(|l| {
            l.problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        })
    };
    let hidden = move || list.with(|l| l.problems.len().saturating_sub(PROBLEMS_SHOWN));
    let has_problems = move || list.with(|l| !l.problems.is_empty());
    view! {
        <div class="field imeis">
            <label for="imeis">"IMEIs"</label>
            <p class="hint" id="imeis-hint">
                "One per line, or separated by commas, semicolons, spaces or tabs. Duplicates are dropped."
            </p>
            <textarea
                id="imeis"
                name="imeis"
                rows="8"
                spellcheck="false"
                aria-describedby="imeis-hint imei-count"
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <p id="imei-count" class="count" aria-live="polite">{count}</p>
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || allow_bad_check_digit.get()
                    on:change=move |ev| allow_bad_check_digit.set(event_target_checked(&ev))
                />
                "Include IMEIs that fail only the check digit"
            </label>
            <Show when=has_problems>
                <ul class="problems" aria-label="Problems">
                    <For each=problems key=|p| p.clone() let:problem>
                        <li>{problem}</li>
                    </For>
                    <Show when=move || hidden() != 0>
                        <li class="more">{move || format!("…and {} more problems", hidden())}</li>
                    </Show>
                </ul>
            </Show>
        </div>
    }
}
