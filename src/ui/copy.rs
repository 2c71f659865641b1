//! Copying text, for every Copy button: the clipboard when the browser allows it, else the text
//! shown selected in a read-only field with the keys that copy it, as code hosts fall back. The
//! same box offers a file's text when the portal's frame drops downloads.

use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::embed::{copy_keys, Downloads};

/// What the box shows, and whom to tell once the user copied it.
#[derive(Clone)]
struct Shown {
    title: &'static str,
    why: String,
    text: String,
    /// The call site's note, told `done` when the user copies from the box.
    note: Option<(RwSignal<String>, String)>,
    /// A download the frame dropped or may have dropped: the way out is the app in a tab.
    download: bool,
}

/// The one box of the page, provided at the root; [`copy_text`] and [`offer_file`] fill it.
#[derive(Clone, Copy)]
pub struct CopyBox(RwSignal<Option<Shown>>);

impl CopyBox {
    pub fn new() -> CopyBox {
        CopyBox(RwSignal::new(None))
    }

    fn show(shown: Shown) {
        if let Some(CopyBox(signal)) = use_context::<CopyBox>() {
            signal.try_set(Some(shown));
        }
    }
}

impl Default for CopyBox {
    fn default() -> Self {
        CopyBox::new()
    }
}

fn navigator() -> web_sys::Navigator {
    window().navigator()
}

/// Puts `text` on the clipboard and says `done` in `note`; where the browser refuses (a
/// portal's frame without `allow="clipboard-write"`, no clipboard outside a secure context, a
/// page without focus), the note says so and the box shows the text to copy by hand. Call it
/// from a click handler: the browser asks for the click's user activation.
pub fn copy_text(text: String, note: RwSignal<String>, done: String) {
    // Looked up now, while the handler's owner is current; the answer comes later.
    let copy_box = use_context::<CopyBox>();
    // `navigator.clipboard` is undefined outside a secure context (plain http, not localhost).
    let clipboard = js_sys::Reflect::get(&navigator(), &"clipboard".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
        .map(|c| c.unchecked_into::<web_sys::Clipboard>());
    let promise = clipboard.map(|c| c.write_text(&text));
    leptos::task::spawn_local(async move {
        let copied = match promise {
            Some(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
            None => false,
        };
        if copied {
            note.try_set(done);
            return;
        }
        note.try_set("Not copied: the browser did not allow it here. The text is selected in the box to copy by hand.".to_owned());
        if let Some(CopyBox(signal)) = copy_box {
            signal.try_set(Some(Shown {
                title: "Copy by hand",
                why: "The browser did not let the app use the clipboard here (in a portal's frame, the portal must allow it). The text is selected below."
                    .to_owned(),
                text,
                note: Some((note, done)),
                download: false,
            }));
        }
    });
}

/// Offers the text of the file `name` in the box when the frame drops downloads
/// ([`Downloads::Blocked`]) or may drop them ([`Downloads::Unknown`]), with the way out.
pub fn offer_file(name: &str, text: &str, downloads: Downloads) {
    let (title, why) = match downloads {
        Downloads::Allowed => return,
        Downloads::Blocked => (
            "Download blocked by the portal",
            format!("The portal's frame does not allow downloads, so “{name}” was not saved."),
        ),
        Downloads::Unknown => (
            "Did the file arrive?",
            format!("FOTA Sync runs in a sandboxed frame of the portal, which drops downloads without a word unless the portal allows them. If “{name}” did not arrive:"),
        ),
    };
    CopyBox::show(Shown {
        title,
        why: format!("{why} Its text is selected below: copy it into a file of that name, or open FOTA Sync in its own tab and download it there."),
        text: text.to_owned(),
        note: None,
        download: true,
    });
}

/// The box: a modal dialog with the text selected in a read-only field and the keys that copy
/// it; copying from it tells the call site's note, as a clipboard copy would have.
#[component]
pub fn CopyDialog(copy_box: CopyBox) -> impl IntoView {
    let CopyBox(shown) = copy_box;
    let dialog = NodeRef::<html::Dialog>::new();
    let field = NodeRef::<html::Textarea>::new();
    Effect::new(move || {
        let (Some(dialog), Some(field)) = (dialog.get(), field.get()) else {
            return;
        };
        let open = shown.with(|s| s.as_ref().map(|s| field.set_value(&s.text)).is_some());
        if !open {
            dialog.close();
            return;
        }
        if !dialog.open() {
            let _ = dialog.show_modal();
        }
        let _ = field.focus();
        field.select();
    });
    let copied = move |_| {
        // The browser copies the selection after this event: close once it has.
        set_timeout(
            move || {
                if let Some(Some(Shown {
                    note: Some((note, done)),
                    ..
                })) = shown.try_get_untracked()
                {
                    note.try_set(done);
                }
                shown.try_set(None);
            },
            Duration::ZERO,
        );
    };
    let keys = copy_keys(&navigator().platform().unwrap_or_default());
    let part = move |f: fn(&Shown) -> String| move || shown.with(|s| s.as_ref().map(f));
    // The app's own address, for a tab outside the portal (it never carries a token).
    let outside = window().location().href().unwrap_or_default();
    view! {
        <dialog class="copy-box" aria-labelledby="copy-box-title" node_ref=dialog on:close=move |_| shown.set(None)>
            <h2 id="copy-box-title">{part(|s| s.title.to_owned())}</h2>
            <p>{part(|s| s.why.clone())}</p>
            <textarea
                readonly
                rows="6"
                spellcheck="false"
                aria-labelledby="copy-box-title"
                aria-describedby="copy-box-keys"
                node_ref=field
                on:copy=copied
            ></textarea>
            <p id="copy-box-keys" class="copy-keys">"Press " <kbd>{keys}</kbd> " to copy."</p>
            <p class="copy-outside" hidden=move || !shown.with(|s| s.as_ref().is_some_and(|s| s.download))>
                "Open FOTA Sync in its own tab: "
                <a href=outside.clone() target="_blank" rel="noopener">{outside.clone()}</a>
            </p>
            <button type="button" on:click=move |_| shown.set(None)>"Close"</button>
        </dialog>
    }
}
