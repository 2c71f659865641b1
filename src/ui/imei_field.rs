//! The IMEI list: a textarea with a live count of valid, unique devices and every problem found.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::focus_later;
use crate::core::imei::{accept_suggestions, ImeiList};
use crate::core::import::{detect_encoding, extract, not_text, FieldOrigins};

/// Problems listed at most; a paste of 100,000 bad lines must not build 100,000 list items.
const PROBLEMS_SHOWN: usize = 100;
/// A list of more entries is kept in the field but not shown until asked: Chromium lays a
/// textarea out line by line, and with 300,000 lines every garbage collection of the page took
/// ~470 ms and any style change to the field ~500 ms (Chromium 156; 10,000 lines: ~16 ms).
const ENTRIES_SHOWN: usize = 10_000;
/// Larger files are refused: a million IMEIs fit in 17 MB.
const MAX_FILE_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// The text of `file`, decoded by the browser's `TextDecoder` in the encoding its bytes show
/// (`detect_encoding`): `Blob.text()` would read everything as UTF-8. The error is the note.
async fn read_text(file: &web_sys::File) -> Result<String, String> {
    let name = file.name();
    let unreadable = || format!("{name} could not be read.");
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| unreadable())?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if let Some(why) = not_text(&bytes) {
        return Err(format!("{name} was not imported: {why}."));
    }
    let (label, bom) = detect_encoding(&bytes);
    let decoder = web_sys::TextDecoder::new_with_label(label).map_err(|_| unreadable())?;
    decoder
        .decode_with_u8_array(&bytes[bom..])
        .map_err(|_| unreadable())
}

/// Reads `file` and adds its IMEIs to the end of the field, or says why it could not.
async fn import(
    file: web_sys::File,
    field: web_sys::HtmlTextAreaElement,
    text: RwSignal<String>,
    origins: StoredValue<FieldOrigins>,
) -> String {
    let name = file.name();
    if file.size() > MAX_FILE_BYTES {
        return format!("{name} was not imported: it is larger than 32 MB.");
    }
    let content = match read_text(&file).await {
        Ok(content) => content,
        Err(note) => return note,
    };
    let imported = extract(&content);
    if imported.lines() == 0 {
        return imported.summary(&name);
    }
    // The form may be gone by the time a large file is read.
    let Some(value) = origins.try_update_value(|o| o.append(&field.value(), &name, &imported))
    else {
        return String::new();
    };
    field.set_value(&value);
    text.try_set(value);
    imported.summary(&name)
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
    let origins = StoredValue::new(FieldOrigins::default());
    // A long list stays out of the layout until the user asks to see it.
    let show_long = RwSignal::new(false);
    let long = move || list.with(|l| l.entries > ENTRIES_SHOWN);
    let folded = move || !show_long.get() && long();
    let show_button = NodeRef::<leptos::html::Button>::new();
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        // A paste that folds the list takes the box from under the caret: the focus goes to
        // "Show the list", which is described by the note saying why.
        if !untrack(long) {
            // A list shown on request and then cut short: the next long one folds again.
            if show_long.get_untracked() {
                show_long.set(false);
            }
        } else if untrack(folded) {
            focus_later(move || show_button.get_untracked().map(Into::into));
        }
    };
    let show = move |_| {
        show_long.set(true);
        focus_later(|| imei_textarea().map(Into::into));
    };
    let import_note = RwSignal::new(String::new());
    // The file picker, a file dropped on the field and a file pasted into it all end here.
    let start_import = move |file: web_sys::File| {
        let Some(field) = imei_textarea() else {
            return;
        };
        import_note.set(format!("Reading {}…", file.name()));
        spawn_local(async move {
            let note = import(file, field, text, origins).await;
            import_note.try_set(note);
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same file can be chosen again.
        input.set_value("");
        start_import(file);
    };
    // Dragging files over the field: it shows it takes them (and the browser does not open them).
    let dragging = RwSignal::new(false);
    let on_drag_over = move |ev: leptos::ev::DragEvent| {
        let Some(transfer) = ev.data_transfer() else {
            return;
        };
        if transfer.types().includes(&"Files".into(), 0) {
            ev.prevent_default();
            transfer.set_drop_effect("copy");
            dragging.set(true);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        dragging.set(false);
        if let Some(file) = first_file(ev.data_transfer()) {
            ev.prevent_default();
            start_import(file);
        }
    };
    // A copied file pasted into the field is imported; pasted text is left to the browser.
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(file) = first_file(ev.clipboard_data()) {
            ev.prevent_default();
            start_import(file);
        }
    };
    view! {
        // One class for the field's two states, not a reactive attribute each (bundle size):
        // `drop-target` while a file is dragged over it, `long` while its list is folded.
        <div
            class=move || match (dragging.get(), folded()) {
                (false, false) => "field imeis",
                (true, false) => "field imeis drop-target",
                (false, true) => "field imeis long",
                (true, true) => "field imeis drop-target long",
            }
            on:dragover=on_drag_over
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <label for="imeis">"IMEIs"</label>
            <p class="hint" id="imeis-hint">
                "One per line, or separated by commas, semicolons, spaces or tabs. Duplicates are dropped. A file dropped or pasted here is added like one chosen below."
            </p>
            <textarea
                id="imeis"
                name="imeis"
                rows="8"
                spellcheck="false"
                // Not kept by the browser as form state to restore either: Chromium copied all
                // of it a second after each change (42 ms for 300,000 lines).
                autocomplete="off"
                aria-describedby="imeis-hint imei-count"
                on:input=on_input
                on:paste=on_paste
            ></textarea>
            <p class="folded">
                // The count is the line below's.
                <span id="imeis-folded">
                    "Over 10,000 entries: kept as they are, not shown, so that the page stays quick."
                </span>
                " "
                <button type="button" aria-describedby="imeis-folded" node_ref=show_button on:click=show>
                    "Show the list"
                </button>
            </p>
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
            <Problems text list origins />
        </div>
    }
}

/// The list's problems, the first [`PROBLEMS_SHOWN`] of them, and the button that accepts
/// every suggested correction.
#[component]
fn Problems(
    text: RwSignal<String>,
    list: Memo<ImeiList>,
    origins: StoredValue<FieldOrigins>,
) -> impl IntoView {
    let problems = move || {
        // Imported entries are named by their file and its line while the field holds them.
        let imported = text.with(|t| origins.with_value(|o| o.holds(t)));
        list.with(|l| {
            l.problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(|p| match imported {
                    true => p.describe(&origins.with_value(|o| o.place(p.line))),
                    false => p.to_string(),
                })
                .collect::<Vec<_>>()
        })
    };
    let suggestions = move || {
        list.with(|l| {
            l.problems
                .iter()
                .filter(|p| p.suggestion().is_some())
                .count()
        })
    };
    let accept = move |_| {
        let Some(field) = imei_textarea() else {
            return;
        };
        let old = field.value();
        let new = list.with_untracked(|l| accept_suggestions(&old, l));
        origins.update_value(|o| o.follow(&old, &new));
        field.set_value(&new);
        text.set(new);
    };
    let hidden = move || list.with(|l| l.problems.len().saturating_sub(PROBLEMS_SHOWN));
    let has_problems = move || list.with(|l| !l.problems.is_empty());
    view! {
        // Hidden rather than taken out of the page: a <Show> each costs the bundle more.
        <button type="button" class="suggestions" on:click=accept hidden=move || suggestions() == 0>
            {move || match suggestions() {
                1 => "Use the suggested IMEI".to_owned(),
                n => format!("Use the {n} suggested IMEIs"),
            }}
        </button>
        <ul class="problems" aria-label="Problems" hidden=move || !has_problems()>
            // A list redrawn in place, not a keyed <For>: at most 100 lines of text, and the
            // keyed diff costs 3.5 KB of the brotli bundle.
            {move || {
                problems()
                    .into_iter()
                    .map(|problem| view! { <li>{problem}</li> })
                    .collect_view()
            }}
            <li class="more" hidden=move || hidden() == 0>
                {move || format!("…and {} more problems", hidden())}
            </li>
        </ul>
    }
}

/// The first file a drop or a paste carries, if any.
fn first_file(transfer: Option<web_sys::DataTransfer>) -> Option<web_sys::File> {
    transfer?.files()?.get(0)
}

/// The IMEI textarea, which is uncontrolled: its value is written only on import and when
/// suggestions are accepted.
fn imei_textarea() -> Option<web_sys::HtmlTextAreaElement> {
    document()
        .get_element_by_id("imeis")
        .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
}
