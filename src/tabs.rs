//! Other tabs of the app in this browser: which stored runs they are running (the Web Locks API,
//! a lock per set, `fota-sync:run:KEY`), and news that the stored runs changed (a
//! `BroadcastChannel`, `fota-sync`, whose messages carry nothing but a set's key). Where a
//! browser lacks either API, each tab goes on alone, as before.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const LOCK_PREFIX: &str = "fota-sync:run:";
const CHANNEL: &str = "fota-sync";

fn get(source: &JsValue, name: &str) -> JsValue {
    Reflect::get(source, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `navigator.locks`, where the browser has it (a secure context, not too old).
fn locks() -> Option<JsValue> {
    let navigator = get(&js_sys::global(), "navigator");
    let locks = get(&navigator, "locks");
    (locks.is_object()).then_some(locks)
}

/// Calls `locks.request(name, options, callback)`; the promise it returns.
fn request(locks: &JsValue, name: &str, options: &Object, callback: &Function) -> Option<Promise> {
    let request: Function = get(locks, "request").dyn_into().ok()?;
    request
        .call3(
            locks,
            &JsValue::from_str(&format!("{LOCK_PREFIX}{name}")),
            options,
            callback,
        )
        .ok()?
        .dyn_into()
        .ok()
}

/// This tab's hold on a set's run: other tabs see it as running here until it is released
/// (or the tab goes away).
pub struct RunLock {
    release: Option<Function>,
}

impl RunLock {
    /// Lets go of the run.
    pub fn release(self) {
        if let Some(release) = self.release {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// Takes the run of set `key` for this tab, unless another tab has it (then `None`). Without
/// the Web Locks API (or where it refuses, as in an opaque origin) every tab may take it.
pub async fn hold_run(key: &str) -> Option<RunLock> {
    let Some(locks) = locks() else {
        return Some(RunLock { release: None });
    };
    let release: Rc<RefCell<Option<Function>>> = Rc::default();
    let decide: Rc<RefCell<Option<Function>>> = Rc::default();
    let decided = Promise::new(&mut |resolve, _| *decide.borrow_mut() = Some(resolve));
    let (release_in, decide_in, decide_err) = (release.clone(), decide.clone(), decide.clone());
    let tell = move |decide: &Rc<RefCell<Option<Function>>>, granted: bool| {
        if let Some(resolve) = decide.borrow_mut().take() {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(granted));
        }
    };
    // The callback's promise holds the lock until `release` resolves it.
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            tell(&decide_in, false);
            return JsValue::UNDEFINED;
        }
        let held = Promise::new(&mut |resolve, _| *release_in.borrow_mut() = Some(resolve));
        tell(&decide_in, true);
        held.into()
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
    let refused: JsValue = Closure::once_into_js(move |_: JsValue| -> JsValue {
        tell(&decide_err, true);
        JsValue::UNDEFINED
    });
    match request(&locks, key, &options, callback.unchecked_ref()) {
        Some(asked) => {
            if let Ok(catch) = get(&asked, "catch").dyn_into::<Function>() {
                let _ = catch.call1(&asked, &refused);
            }
        }
        None => return Some(RunLock { release: None }),
    }
    let granted = JsFuture::from(decided).await.ok().and_then(|g| g.as_bool());
    let release = release.borrow_mut().take();
    match granted {
        Some(false) => None,
        _ => Some(RunLock { release }),
    }
}

/// The keys of the sets whose runs other tabs (or this one) hold now.
pub async fn running() -> Vec<String> {
    let Some(locks) = locks() else {
        return Vec::new();
    };
    let Some(query) = get(&locks, "query").dyn_into::<Function>().ok() else {
        return Vec::new();
    };
    let Some(promise) = query
        .call0(&locks)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return Vec::new();
    };
    let Ok(snapshot) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Array::from(&get(&snapshot, "held"))
        .iter()
        .filter_map(|lock| get(&lock, "name").as_string())
        .filter_map(|name| name.strip_prefix(LOCK_PREFIX).map(str::to_owned))
        .collect()
}

/// Waits until no tab holds the run of set `key` (its tab ended it, or closed); at once without
/// the Web Locks API.
pub async fn until_free(key: &str) {
    let Some(locks) = locks() else {
        return;
    };
    let callback = Closure::once_into_js(|_: JsValue| JsValue::UNDEFINED);
    if let Some(promise) = request(&locks, key, &Object::new(), callback.unchecked_ref()) {
        let _ = JsFuture::from(promise).await;
    }
}

/// The channel on which tabs tell each other that the stored runs changed.
pub struct News {
    channel: Option<web_sys::BroadcastChannel>,
    _listener: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl News {
    /// Listens for news from the other tabs: `heard` is called with the key a message names.
    pub fn open(heard: impl Fn(String) + 'static) -> News {
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
            return News {
                channel: None,
                _listener: None,
            };
        };
        let listener =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(key) = e.data().as_string() {
                    heard(key);
                }
            });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        News {
            channel: Some(channel),
            _listener: Some(listener),
        }
    }

    /// Tells the other tabs that set `key` changed in storage.
    pub fn tell(&self, key: &str) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(key));
        }
    }
}

impl Drop for News {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
