//! Living inside a portal: the postMessage handoff, the theme from config, and tokens kept in
//! this tab's sessionStorage only when the user asks for it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Window};

use super::run_controller::RunController;
use crate::core::config::{ColorScheme, Theme};
use crate::core::embed::{self, Downloads, Handoff, Post, ProgressPosts};
use crate::core::outcome::Summary;

const STORED_BEARER: &str = "fota-sync.bearerToken";
const STORED_SESSION: &str = "fota-sync.sessionToken";

/// The tokens a run uses, where they came from, and whether the user wants them kept.
#[derive(Clone, Copy)]
pub struct TokenState {
    pub bearer: RwSignal<String>,
    pub session: RwSignal<String>,
    /// Credentials from the parent page, and its origin (checked against the allow-list).
    pub portal: RwSignal<Option<(Handoff, String)>>,
    /// The user chose to type their own tokens although the portal gave some.
    pub use_own: RwSignal<bool>,
    /// "Remember tokens in this tab".
    pub remember: RwSignal<bool>,
}

fn window() -> Window {
    web_sys::window().expect("a browser window")
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

impl TokenState {
    /// Starts from what this tab remembered, if the user asked for it before.
    pub fn new() -> TokenState {
        let stored = session_storage().and_then(|s| {
            let bearer = s.get_item(STORED_BEARER).ok().flatten()?;
            let session = s.get_item(STORED_SESSION).ok().flatten()?;
            Some((bearer, session))
        });
        let remember = stored.is_some();
        let (bearer, session) = stored.unwrap_or_default();
        let state = TokenState {
            bearer: RwSignal::new(bearer),
            session: RwSignal::new(session),
            portal: RwSignal::new(None),
            use_own: RwSignal::new(false),
            remember: RwSignal::new(remember),
        };
        Effect::new(move |_| state.persist());
        state
    }

    /// Keeps sessionStorage in step: the tokens while "remember" is on, nothing otherwise.
    fn persist(&self) {
        let (remember, bearer, session) =
            (self.remember.get(), self.bearer.get(), self.session.get());
        let Some(storage) = session_storage() else {
            return;
        };
        if remember {
            let _ = storage.set_item(STORED_BEARER, &bearer);
            let _ = storage.set_item(STORED_SESSION, &session);
        } else {
            let _ = storage.remove_item(STORED_BEARER);
            let _ = storage.remove_item(STORED_SESSION);
        }
    }

    /// True while the portal's tokens are the ones in use: the portal gave some, and the user
    /// did not choose to type their own.
    pub fn from_portal(&self) -> bool {
        self.portal.with(Option::is_some) && !self.use_own.get()
    }

    /// The origin of the parent page that handed over tokens, the only one told anything about
    /// a run; `None` without a handoff. Untracked.
    pub fn portal_origin_untracked(&self) -> Option<String> {
        self.portal
            .with_untracked(|p| p.as_ref().map(|(_, o)| o.clone()))
    }

    /// The tokens to send: the portal's, or the typed ones.
    pub fn current(&self) -> (String, String) {
        if untrack(|| self.from_portal()) {
            self.portal.with_untracked(|p| {
                let (h, _) = p.as_ref().expect("checked above");
                (h.bearer_token.clone(), h.session_token.clone())
            })
        } else {
            (self.bearer.get_untracked(), self.session.get_untracked())
        }
    }

    /// "Forget tokens": typed, remembered and portal-provided tokens all go.
    pub fn forget(&self) {
        self.bearer.set(String::new());
        self.session.set(String::new());
        self.remember.set(false);
        self.portal.set(None);
        self.use_own.set(false);
    }
}

impl Default for TokenState {
    fn default() -> Self {
        TokenState::new()
    }
}

/// True when the app runs inside a frame.
pub fn is_framed() -> bool {
    let window = window();
    window
        .parent()
        .ok()
        .flatten()
        .is_some_and(|parent| !js_sys::Object::is(&parent, &window))
}

/// Whether a download can reach the user from this frame ([`embed::downloads`]): the frame's
/// `sandbox` attribute when a same-origin parent lets the app read it, else the sandbox probe.
pub fn downloads() -> Downloads {
    let framed = is_framed();
    let attribute = window()
        .frame_element()
        .ok()
        .flatten()
        .map(|frame| frame.get_attribute("sandbox"));
    // Setting `document.domain` throws in every sandboxed frame, whatever its flags, and
    // changes nothing in an origin-keyed one; it runs only for a frame of another origin.
    let sandboxed = framed && attribute.is_none() && {
        let document = document();
        let domain = js_sys::Reflect::get(&document, &"domain".into()).unwrap_or_default();
        js_sys::Reflect::set(&document, &"domain".into(), &domain).is_err()
    };
    embed::downloads(framed, attribute.as_ref().map(Option::as_deref), sandboxed)
}

/// Applies the configured colour scheme and custom properties to the document, and marks a
/// framed page so the layout can be compact.
pub fn apply_theme(theme: &Theme) {
    let Some(root) = window().document().and_then(|d| d.document_element()) else {
        return;
    };
    match theme.color_scheme {
        ColorScheme::Auto => {}
        ColorScheme::Light => {
            let _ = root.set_attribute("data-theme", "light");
        }
        ColorScheme::Dark => {
            let _ = root.set_attribute("data-theme", "dark");
        }
    }
    if is_framed() {
        let _ = root.class_list().add_1("framed");
    }
    let style = root.unchecked_ref::<web_sys::HtmlElement>().style();
    for (name, value) in &theme.properties {
        let _ = style.set_property(name, value);
    }
}

/// Posts a JSON message to the parent page, at `origin` only.
fn post_to_parent(json: &str, origin: &str) {
    let Ok(Some(parent)) = window().parent() else {
        return;
    };
    if let Ok(message) = js_sys::JSON::parse(json) {
        let _ = parent.post_message(&message, origin);
    }
}

/// A message as JSON text for [`embed::parse_handoff`]: a string as it is (some portals post
/// JSON text), an object with only the keys the handoff reads, so that anything else in it (a
/// BigInt, a cycle, a DOM object) cannot make it unreadable.
fn message_text(data: &JsValue) -> String {
    if let Some(text) = data.as_string() {
        return text;
    }
    let keys: js_sys::Array = embed::HANDOFF_KEYS
        .iter()
        .map(|k| JsValue::from_str(k))
        .collect();
    js_sys::JSON::stringify_with_replacer(data, &keys)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Takes the messages the page's inbox (`portal_inbox.js`) held from the parent before the app
/// listened, and stops it holding more. Portals post their tokens at the frame's load event,
/// which may come before the WebAssembly has started; the inbox, the page's first script and a
/// file (the Content-Security-Policy allows no inline script), keeps only messages from the
/// parent window that look like credentials, the latest four, in memory. Their origin is checked
/// here against `allowedParentOrigins`, as for any later message: the inbox runs before the
/// config is known.
fn take_held_messages() -> Vec<MessageEvent> {
    let take = js_sys::Reflect::get(&window(), &"fotaSyncInbox".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    take.and_then(|take| take.call0(&JsValue::NULL).ok())
        .map(|held| {
            js_sys::Array::from(&held)
                .iter()
                .map(JsCast::unchecked_into)
                .collect()
        })
        .unwrap_or_default()
}

/// Listens for credentials from the parent page, first reading those it posted before the app
/// started, and announces that the app is ready. Messages from other origins, or from anything
/// but the parent, are dropped unread.
pub fn listen_for_handoff(
    allowed: Vec<String>,
    tokens: TokenState,
    on_handoff: impl Fn(&Handoff) + 'static,
) {
    // Taken in any case, so that the inbox holds no token once the app runs.
    let held = take_held_messages();
    if allowed.is_empty() || !is_framed() {
        return;
    }
    let parent = window().parent().ok().flatten();
    // The ready message goes to every allowed origin; the browser delivers it only to the one
    // the parent page really has.
    let ready_to = allowed.clone();
    let hear = move |event: MessageEvent| {
        let origin = event.origin();
        if !embed::origin_allowed(&origin, &allowed) {
            return;
        }
        let from_parent = match (event.source(), &parent) {
            (Some(source), Some(parent)) => js_sys::Object::is(&source, parent),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let text = message_text(&event.data());
        if let Some(handoff) = embed::parse_handoff(&text) {
            tokens.portal.set(Some((handoff.clone(), origin)));
            tokens.use_own.set(false);
            on_handoff(&handoff);
        }
    };
    for event in held {
        hear(event);
    }
    // The listener lives as long as the page.
    let _ = window_event_listener(leptos::ev::message, hear);
    let ready = embed::ready_message();
    for origin in &ready_to {
        post_to_parent(&ready, origin);
    }
}

/// Asks the parent page for fresh tokens (`reason`: which one, see
/// [`crate::core::api_error::ApiError::token_to_renew`]), if the run uses tokens it handed over;
/// only the origin that handed them over is told. Never a login: five failed logins lock a
/// ThingSpace account.
pub fn ask_for_credentials(tokens: &TokenState, reason: &str) {
    if untrack(|| tokens.from_portal()) {
        if let Some(origin) = tokens.portal_origin_untracked() {
            post_to_parent(&embed::credentials_needed_message(reason), &origin);
        }
    }
}

/// Tells the parent page how a run ended, if a parent handed over credentials.
pub fn report_result(tokens: &TokenState, account: &str, summary: &Summary) {
    if let Some(origin) = tokens.portal_origin_untracked() {
        post_to_parent(&embed::result_message(account, summary), &origin);
    }
}

/// Posts the progress of each run (`fota-sync:progress`) to the parent page that handed over
/// tokens, to its origin only, while the run goes: at once when it starts, then at most every
/// second ([`ProgressPosts`]), the latest progress always arriving. Nothing without a portal's
/// tokens; how the run ended is `fota-sync:result`'s ([`report_result`]).
pub fn report_progress(tokens: TokenState, run: RunController) {
    let posts = Rc::new(RefCell::new(ProgressPosts::default()));
    let waiting = Rc::new(Cell::new(false));
    Effect::new(move || {
        // Tracked: every change of the run's progress or pause runs this again.
        let _ = (run.progress(), run.paused());
        post_progress(tokens, run, posts.clone(), waiting.clone());
    });
}

/// Posts the run's progress now, or, too soon after the last message, once it is due (one
/// timer at a time: `waiting`). Reads nothing tracked.
fn post_progress(
    tokens: TokenState,
    run: RunController,
    posts: Rc<RefCell<ProgressPosts>>,
    waiting: Rc<Cell<bool>>,
) {
    let origin = tokens.portal_origin_untracked();
    let Some(origin) = origin.filter(|_| run.running_untracked()) else {
        return;
    };
    let id = untrack(|| run.run_id());
    let next = posts.borrow_mut().next(id, js_sys::Date::now());
    match next {
        Post::Now => {
            let (progress, paused) = untrack(|| (run.progress(), run.paused().is_some()));
            let message = embed::progress_message(progress.done, progress.total, paused);
            post_to_parent(&message, &origin);
        }
        Post::Later(ms) if !waiting.replace(true) => {
            set_timeout(
                move || {
                    waiting.set(false);
                    post_progress(tokens, run, posts, waiting);
                },
                Duration::from_millis(ms.ceil() as u64),
            );
        }
        Post::Later(_) => {}
    }
}
