//! The root: loads the runtime config, provides the shared context, lays out the page.

use leptos::prelude::*;

use super::context::{AppContext, LoadedConfig};
use super::results_table::ResultsTable;
use super::run_view::RunView;
use super::summary::RunSummary;
use super::sync_form::SyncForm;
use crate::net::fetch_config_text;

#[component]
pub fn App() -> impl IntoView {
    let config =
        LocalResource::new(|| async { LoadedConfig::from_fetch(fetch_config_text().await) });
    view! {
        <main class="app">
            <header>
                <h1>"FOTA Sync"</h1>
                <p class="tagline">"Synchronize device firmware versions with ThingSpace."</p>
            </header>
            <Suspense fallback=|| view! { <p class="loading">"Loading configuration…"</p> }>
                {move || config.get().map(|loaded| view! { <Console loaded /> })}
            </Suspense>
        </main>
    }
}

/// The working page, once the config is known.
#[component]
pub fn Console(loaded: LoadedConfig) -> impl IntoView {
    let note = loaded.note.clone();
    provide_context(AppContext {
        config: StoredValue::new(loaded),
        run: RunView::new(),
    });
    view! {
        {note.map(|note| view! { <p class="config-note">{note}</p> })}
        <SyncForm />
        <RunSummary />
        <ResultsTable />
    }
}
