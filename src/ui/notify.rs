//! Desktop notifications (the W3C/WHATWG Notifications API), asked for only when the user ticks
//! *Notify me when a long run ends*, never at load. Where the API is missing or refused (the
//! user, the browser's settings, or a cross-origin portal frame, where browsers refuse it
//! outright) they are simply off.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Whether this browser has the Notifications API at all (an old WebView, an embedded browser).
fn supported() -> bool {
    js_sys::Reflect::has(&window(), &JsValue::from_str("Notification")).unwrap_or(false)
}

/// Whether notifications may be shown now: supported and granted.
pub fn allowed() -> bool {
    supported() && Notification::permission() == NotificationPermission::Granted
}

/// Asks for the permission if it was never given or refused (the browser shows its prompt: call
/// this from the user's click); `true` once granted.
pub async fn ask() -> bool {
    if !supported() {
        return false;
    }
    if Notification::permission() == NotificationPermission::Default {
        // Safari before 15 answers through a callback and returns no promise: then off.
        if let Ok(promise) = Notification::request_permission() {
            if promise.is_instance_of::<js_sys::Promise>() {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            }
        }
    }
    allowed()
}

/// Shows `title` and `body`; a later one replaces it (one tag for the app) and alerts again.
/// Nothing happens where notifications are not [`allowed`], nor where the constructor throws
/// (Chrome for Android allows only a service worker's).
pub fn show(title: &str, body: &str) {
    if !allowed() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag("fota-sync-run");
    // Replacing an earlier one (a pause, then the end) alerts again.
    options.set_renotify(true);
    let _ = Notification::new_with_options(title, &options);
}
