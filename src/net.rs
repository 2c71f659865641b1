//! The one door to the network: the PUT to Synchronize Device Firmware, with its headers,
//! timeout and abort, turned into one typed result.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::Request;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, RequestCredentials, RequestMode};

use crate::core::api_error::{AnswerHeaders, ApiError, Reach};
use crate::core::config::{check_answer, ConfigError};
use crate::core::fota::{
    charset_of, SyncAnswer, BEARER_HEADER, JSON_HEADERS, SESSION_TOKEN_HEADER,
};

/// The two secrets a call needs. Deliberately not `Debug`, so they cannot be logged by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub bearer_token: String,
    pub session_token: String,
}

/// The longest delay a browser timer takes, in ms (2^31 - 1, about 24.8 days).
pub const MAX_TIMER_MS: u64 = i32::MAX as u64;

/// Aborts the controller after `ms` unless dropped first; says whether it fired.
struct Timeout {
    handle: Option<leptos::prelude::TimeoutHandle>,
    fired: Rc<Cell<bool>>,
}

impl Timeout {
    fn start(controller: &AbortController, ms: u32) -> Timeout {
        let fired = Rc::new(Cell::new(false));
        let handle = leptos::prelude::set_timeout_with_handle(
            {
                let (fired, controller) = (fired.clone(), controller.clone());
                move || {
                    fired.set(true);
                    controller.abort();
                }
            },
            // Browsers' timers take a 32-bit count of ms; Leptos' helper throws past it.
            std::time::Duration::from_millis(u64::from(ms).min(MAX_TIMER_MS)),
        )
        .ok();
        Timeout { handle, fired }
    }

    fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.clear();
        }
    }
}

/// How a call ended when it did not produce an answer or an API error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    Api(ApiError),
    /// Aborted through the caller's signal (the user cancelled).
    Cancelled,
}

impl From<ApiError> for CallError {
    fn from(e: ApiError) -> Self {
        CallError::Api(e)
    }
}

/// What the server sent back, for the request log: its status and its body as text. Empty
/// (`status: None`) when no answer came.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answered {
    pub status: Option<u16>,
    pub text: String,
}

/// PUTs `body` to `url` and decodes the answer. The request is aborted after `timeout_ms`, or
/// when `cancel` fires. What came back, decoded or not, is also written to `answered`.
pub async fn put_devices(
    url: &str,
    credentials: &Credentials,
    body: String,
    timeout_ms: u32,
    cancel: Option<&AbortSignal>,
    answered: &RefCell<Answered>,
) -> Result<SyncAnswer, CallError> {
    let controller = AbortController::new().map_err(|_| unreachable_at(url))?;
    let timeout = Timeout::start(&controller, timeout_ms);
    if cancel.is_some_and(AbortSignal::aborted) {
        return Err(CallError::Cancelled);
    }
    // Several requests may share one cancel signal, so each adds and removes its own listener.
    let forward_cancel = Closure::<dyn FnMut()>::new({
        let controller = controller.clone();
        move || controller.abort()
    });
    if let Some(signal) = cancel {
        let _ = signal
            .add_event_listener_with_callback("abort", forward_cancel.as_ref().unchecked_ref());
    }
    let outcome = exchange(url, credentials, body, &controller.signal(), answered).await;
    if let Some(signal) = cancel {
        let _ = signal
            .remove_event_listener_with_callback("abort", forward_cancel.as_ref().unchecked_ref());
    }
    let timed_out = timeout.fired();
    drop(timeout);
    match outcome {
        Ok(answer) => Ok(answer),
        Err(_) if timed_out => Err(ApiError::Timeout {
            after_ms: timeout_ms,
        }
        .into()),
        Err(_) if cancel.is_some_and(AbortSignal::aborted) => Err(CallError::Cancelled),
        Err(ApiError::Unreachable { url, .. }) => {
            let reach = probe(&url).await;
            Err(ApiError::Unreachable { url, reach }.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn unreachable_at(url: &str) -> ApiError {
    ApiError::Unreachable {
        url: absolute(url),
        reach: Reach::Unknown,
    }
}

/// How long a probe's finding is reused: the requests of one run fail together, and one
/// probe explains them all.
const PROBE_REUSE_MS: f64 = 10_000.0;
/// A probe that gets no answer in this time counts as no server.
const PROBE_TIMEOUT_MS: u32 = 5_000;

thread_local! {
    /// The last probe: the origin, when, and what it found.
    static LAST_PROBE: RefCell<Option<(String, f64, Reach)>> = const { RefCell::new(None) };
}

/// Tells a server that is down from one whose CORS headers do not allow this page, after a
/// request to `url` failed with no answer. Only for another origin (on this page's own origin
/// CORS plays no part): a `no-cors` GET, without credentials or any header, resolves with an
/// opaque answer when something answers at all, and rejects when nothing does.
async fn probe(url: &str) -> Reach {
    let Some(window) = web_sys::window() else {
        return Reach::Unknown;
    };
    let Some(origin) = web_sys::Url::new(url).ok().map(|u| u.origin()) else {
        return Reach::Unknown;
    };
    let page_origin = window.location().origin().unwrap_or_default();
    if page_origin == origin {
        return Reach::Unknown;
    }
    let now = js_sys::Date::now();
    let cached = LAST_PROBE.with_borrow(|last| {
        last.as_ref()
            .filter(|(o, at, _)| *o == origin && now - at < PROBE_REUSE_MS)
            .map(|(_, _, reach)| reach.clone())
    });
    if let Some(reach) = cached {
        return reach;
    }
    let Ok(controller) = AbortController::new() else {
        return Reach::Unknown;
    };
    let _timeout = Timeout::start(&controller, PROBE_TIMEOUT_MS);
    let sent = Request::get(url)
        .mode(RequestMode::NoCors)
        .credentials(RequestCredentials::Omit)
        .cache(web_sys::RequestCache::NoStore)
        .abort_signal(Some(&controller.signal()))
        .send()
        .await;
    let reach = if sent.is_ok() {
        Reach::CorsBlocked { page_origin }
    } else {
        Reach::NoServer
    };
    LAST_PROBE.with_borrow_mut(|last| *last = Some((origin, js_sys::Date::now(), reach.clone())));
    reach
}

/// The URL as the browser resolves it against the page, so messages show where the request
/// really went and Copy as cURL gives a shell the whole URL.
pub fn absolute(url: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .and_then(|base| web_sys::Url::new_with_base(url, &base).ok())
        .map_or_else(|| url.to_owned(), |u| u.href())
}

async fn exchange(
    url: &str,
    credentials: &Credentials,
    body: String,
    signal: &AbortSignal,
    answered: &RefCell<Answered>,
) -> Result<SyncAnswer, ApiError> {
    // The headers as `core::fota` names them, which Copy as cURL repeats.
    let mut request = Request::put(url)
        .header(
            BEARER_HEADER,
            &format!("Bearer {}", credentials.bearer_token),
        )
        .header(SESSION_TOKEN_HEADER, &credentials.session_token);
    for (name, value) in JSON_HEADERS {
        request = request.header(name, value);
    }
    let request = request
        .abort_signal(Some(signal))
        .body(body)
        .map_err(|_| unreachable_at(url))?;
    let response = request.send().await.map_err(|_| unreachable_at(url))?;
    let status = response.status();
    answered.borrow_mut().status = Some(status);
    let headers = response.headers();
    let (retry_after, www_authenticate) =
        (headers.get("retry-after"), headers.get("www-authenticate"));
    // The server answered: a body that breaks off is a network failure, never a CORS one, so
    // it is never probed; `core` decides what the answer is.
    let charset = headers.get("content-type").and_then(|t| charset_of(&t));
    let text = response
        .binary()
        .await
        .ok()
        .map(|bytes| decode_text(&bytes, charset.as_deref()));
    if let Some(text) = &text {
        answered.borrow_mut().text.clone_from(text);
    }
    ApiError::read_answer(
        status,
        text.as_deref(),
        AnswerHeaders {
            retry_after: retry_after.as_deref(),
            www_authenticate: www_authenticate.as_deref(),
        },
    )
}

/// A body's text in the charset its `Content-Type` names (a front end may send JSON in
/// ISO-8859-1 or windows-1252, which `Response.text()` would read as UTF-8 and garble), by the
/// browser's `TextDecoder`; UTF-8 for none, or for a label the browser does not know. A UTF-8
/// byte order mark is dropped, as `text()` does.
fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    charset
        .and_then(|label| web_sys::TextDecoder::new_with_label(label).ok())
        .and_then(|decoder| decoder.decode_with_u8_array(bytes).ok())
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(bytes);
            text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned()
        })
}

/// Fetches `config.json` beside the page: its text, or why it is not the file (no answer, an
/// HTTP error, a web page served in its place: [`crate::core::config::check_answer`]).
///
/// `index.html` preloads it (`<link rel="preload" href="config.json" as="fetch" crossorigin>`), so
/// the answer is usually there before the wasm has started. The browser hands the preload to this
/// request only when URL, mode (`cors`) and credentials (`same-origin`) are the same: keep them so
/// (the e2e test "a load asks once for config.json ..." in tests/e2e/nginx.spec.ts checks it).
pub async fn fetch_config_text() -> Result<String, ConfigError> {
    let response = Request::get("config.json")
        .cache(web_sys::RequestCache::NoCache)
        .send()
        .await
        .map_err(|_| ConfigError::Unreachable)?;
    let content_type = response.headers().get("content-type");
    let text = response
        .text()
        .await
        .map_err(|_| ConfigError::Unreachable)?;
    check_answer(response.status(), content_type.as_deref(), &text)?;
    Ok(text)
}
