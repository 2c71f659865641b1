//! The root: loads the runtime config, provides the shared context, lays out the page.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::context::{AppContext, LoadedConfig};
use super::copy::{CopyBox, CopyDialog};
use super::history::History;
use super::portal::{
    apply_theme, ask_for_credentials, listen_for_handoff, report_progress, report_result,
    TokenState,
};
use super::results_table::ResultsTable;
use super::run_controller::{RunController, RunForm};
use super::summary::RunSummary;
use super::sync_form::SyncForm;
use super::workbench::Workbench;
use crate::core::form::check_tokens;
use crate::core::table_view::ViewQuery;
use crate::core::view_link::{pairs, read_pairs};
use crate::net::{fetch_config_text, Credentials};

#[component]
pub fn App() -> impl IntoView {
    // The console is mounted once, when the config is known, in place of the loading note. (A
    // signal and a reactive child would also compile the code to redraw the whole console,
    // which never runs.) One node ref: the note's parent is <main>.
    let loading = NodeRef::<html::P>::new();
    leptos::task::spawn_local(async move {
        let loaded = LoadedConfig::from_fetch(fetch_config_text().await);
        let Some(loading) = loading.get_untracked() else {
            return;
        };
        if let Some(main) = loading.parent_element() {
            loading.remove();
            leptos::mount::mount_to(main.unchecked_into(), move || view! { <Console loaded /> })
                .forget();
        }
    });
    view! {
        // Named: framed in a portal, it sits beside the portal's own main landmark.
        <main class="app" aria-label="FOTA Sync">
            <header>
                <h1>"FOTA Sync"</h1>
                <p class="tagline">"Synchronize device firmware versions with ThingSpace."</p>
            </header>
            <p class="loading" node_ref=loading>"Loading configuration…"</p>
        </main>
    }
}

/// The working page, once the config is known.
#[component]
pub fn Console(
    loaded: LoadedConfig,
    /// The run's owner; by default one that sends over the network (tests pass a fake).
    #[prop(optional)]
    run: Option<RunController>,
) -> impl IntoView {
    let note = loaded.note.clone();
    apply_theme(&loaded.config.theme);
    let context = AppContext {
        account: RwSignal::new(String::new()),
        base_url: RwSignal::new(loaded.config.api_base_url.clone()),
        tokens: TokenState::new(),
        run: run.unwrap_or_else(RunController::for_network),
        config: StoredValue::new(loaded),
    };
    context.run.use_form(RunForm {
        account: context.account,
        base_url: context.base_url,
        tokens: context.tokens,
        config: context.config,
    });
    // The table's view lives in the URL's fragment (core::view_link): read at load, written as it
    // changes (a new history entry, but not for each key typed in Find), read on back/forward.
    let (from_link, ignored) = read_link();
    let query = RwSignal::new(from_link);
    let link_note = (!ignored.is_empty()).then(|| {
        format!(
            "Left out of this link's view, not understood: {}.",
            ignored.join(", ")
        )
    });
    Effect::new(move |before: Option<String>| {
        let now = query.get();
        let text = link_of(&now);
        if location_hash().trim_start_matches('#') != text {
            let location = window().location();
            let url = match text.as_str() {
                "" => {
                    location.pathname().unwrap_or_default() + &location.search().unwrap_or_default()
                }
                text => format!("#{text}"),
            };
            // The first view, or a key typed in Find: the entry is replaced, not added.
            let replace = before.is_none_or(|find| find != now.find);
            if let Ok(history) = window().history() {
                let _ = if replace {
                    history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
                } else {
                    history.push_state_with_url(&JsValue::NULL, "", Some(&url))
                };
            }
        }
        now.find
    });
    let _ = window_event_listener_untyped("popstate", move |_| {
        query.set(read_link().0);
    });
    provide_context(context);
    let copy_box = CopyBox::new();
    provide_context(copy_box);
    let allowed = context
        .config
        .with_value(|c| c.config.allowed_parent_origins.clone());
    listen_for_handoff(allowed, context.tokens, move |handoff| {
        let defaults = context.account.with_untracked(|a| handoff.form_defaults(a));
        if let Some(account) = defaults.account {
            context.account.set(account);
        }
        if let Some(url) = defaults.api_base_url {
            context.base_url.set(url);
        }
        // Fresh tokens for a run a token error paused: it goes on by itself.
        if let Ok((bearer_token, session_token)) =
            check_tokens(&handoff.bearer_token, &handoff.session_token)
        {
            context.run.resume_with(Credentials {
                bearer_token,
                session_token,
            });
        }
    });
    context
        .run
        .on_finish(move |run| report_result(&context.tokens, &run.account, &run.summary));
    report_progress(context.tokens, context.run);
    context.run.on_pause(move |error| {
        ask_for_credentials(&context.tokens, error.token_to_renew().unwrap_or_default());
    });
    view! {
        {note.map(|note| view! { <p class="config-note">{note}</p> })}
        {link_note.map(|note| view! { <p class="config-note">{note}</p> })}
        <SyncForm />
        <RunSummary />
        <History query />
        <Workbench query />
        <ResultsTable query />
        <CopyDialog copy_box />
    }
}

/// The page's URL fragment, with its `#` (`""` when there is none).
fn location_hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// The view the page's fragment asks for, and what of it was not understood
/// (core::view_link). The fragment is read as `application/x-www-form-urlencoded`: `&` between
/// pairs, `=` in each, `+` a space, then the browser's percent-decoding (a malformed escape is
/// kept as written).
fn read_link() -> (ViewQuery, Vec<String>) {
    let decode = |text: &str| {
        let text = text.replace('+', " ");
        js_sys::decode_uri_component(&text).map_or(text, String::from)
    };
    let hash = location_hash();
    read_pairs(
        hash.trim_start_matches('#')
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            }),
    )
}

/// The fragment for `query`, without its `#`: `key=value` pairs joined by `&`, each value
/// percent-encoded by the browser's `encodeURIComponent`, which `read_link` reads back.
fn link_of(query: &ViewQuery) -> String {
    let pairs: Vec<String> = pairs(query)
        .into_iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                String::from(js_sys::encode_uri_component(&value))
            )
        })
        .collect();
    pairs.join("&")
}
