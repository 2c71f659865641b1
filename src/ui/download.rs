//! Saves text as a file through the browser's download, without a server round trip.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use super::copy::offer_file;
use crate::core::embed::Downloads;

/// Offers `text` as the file `name` of type `mime`. In a portal's frame that drops downloads
/// (or may), the copy box offers the text instead, with the way out ([`offer_file`]).
pub fn save_text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let downloads = super::portal::downloads();
    offer_file(name, text, downloads);
    if downloads == Downloads::Blocked {
        return Ok(());
    }
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let link: HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has its own copy once it started; the object URL only holds memory.
    set_timeout(
        move || {
            let _ = Url::revoke_object_url(&url);
        },
        Duration::from_secs(10),
    );
    Ok(())
}
