//! The IMEI list: a textarea with a live count of valid, unique devices and every problem found.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::imei::ImeiList;
use crate::core::import::extract;

/// Problems listed at most; a paste of 100,000 bad lines must not build 100,000 list items.
const PROBLEMS_SHOWN: usize = 100;
/// Larger files are refused: a million IMEIs fit in 17 MB.
const MAX_FILE_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// Reads `file` and adds its IMEIs to the end of the field, or says why it could not.
async fn import(
    file: web_sys::File,
    field: web_sys::HtmlTextAreaElement,
    text: RwSignal<String>,
) -> String {
    let name = file.name();
    if file.size() > MAX_FILE_BYTES {
        return format!("{name} was not imported: it is larger than 32 MB.");
    }
    let content = match JsFuture::from(file.text()).await {
        Ok(value) => value.as_string().unwrap_or_default(),
        Err(_) => return format!("{name} could not be read."),
    };
    let imported = extract(&content);
    let lines = imported.lines();
    if lines == 0 {
        return format!("{name} has no IMEIs.");
    }
    let mut value = field.value();
    if !value.is_empty() && !value.ends_with('\n') {
        value.push('\n');
    }
    value.push_str(&imported.text);
    field.set_value(&value);
    // The form may be gone by the time a large file is read.
    text.try_set(value);
    let entries = if lines == 1 {
        "1 line".to_owned()
    } else {
        format!("{lines} lines")
    };
    match imported.column {
        Some(column) => format!("Added {entries} from the “{column}” column of {name}."),
        None => format!("Added {entries} from {name}."),
    }
}

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
    let import_note = RwSignal::new(String::new());
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same file can be chosen again.
        input.set_value("");
        let Some(field) = document()
            .get_element_by_id("imeis")
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        else {
            return;
        };
        import_note.set(format!("Reading {}…", file.name()));
        spawn_local(async move {
            let note = import(file, field, text).await;
            import_note.try_set(note);
        });
    };
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
            <div class="import">
                <label for="imei-file">"Add IMEIs from a file"</label>
                <input
                    type="file"
                    id="imei-file"
                    accept=".csv,.txt,.tsv,text/csv,text/plain"
                    aria-describedby="imei-file-hint"
                    on:change=on_file
                />
                <span class="hint" id="imei-file-hint">
                    "A list, or a CSV whose IMEI column is used"
                </span>
            </div>
            <p class="hint" aria-live="polite">{move || import_note.get()}</p>
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
