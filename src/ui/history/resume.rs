//! The offer to resume the newest interrupted run, or to discard it.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::other_tabs::OtherTabs;
use super::{buttons, local_time, Act};
use crate::core::form::check_tokens;
use crate::core::{count_of, thousands};
use crate::idb::StoredMeta;
use crate::net::Credentials;
use crate::tabs;
use crate::ui::context::AppContext;
use crate::ui::run_controller::StoredSet;
use crate::ui::stored_runs::StoredRuns;

/// Said of an unfinished run that another tab of the app is running.
const RUNNING_ELSEWHERE: &str = "This run is going on in another tab.";

/// The newest set whose run was interrupted, unless it is the one on screen (tracked).
fn unfinished(context: AppContext, store: StoredRuns) -> Option<StoredMeta> {
    let run = context.run;
    let on_screen = run.set_id();
    let key = run.stored_identity_untracked().map(|(k, _, _)| k);
    store.unfinished(key.as_deref().filter(|_| on_screen != 0))
}

/// The unfinished run, with Resume and Discard (or that another tab is running it); empty
/// when there is none.
#[component]
pub fn ResumeOffer(store: StoredRuns, others: OtherTabs) -> impl IntoView {
    let context = AppContext::expect();
    let offer = move || {
        let meta = unfinished(context, store)?;
        let text = format!(
            "Unfinished run: {} of {} done, account {}, started {}.",
            thousands(meta.summary.total - meta.summary.waiting),
            count_of(meta.summary.total, "device", "devices"),
            meta.account,
            local_time(meta.started_at),
        );
        let elsewhere = others.running_elsewhere(&meta.key);
        let acts = match elsewhere {
            true => Vec::new(),
            false => vec![
                Act::new("Resume", move || resume(context, store, others)).primary(),
                Act::new("Discard", move || discard(context, store)),
            ],
        };
        let elsewhere = elsewhere.then(|| view! { <p class="elsewhere">{RUNNING_ELSEWHERE}</p> });
        Some(view! { <p>{text}</p> {elsewhere} {buttons(acts)} })
    };
    view! { <div class="resume">{offer}</div> }
}

/// Resumes the unfinished run under the tokens in the form: its set on screen, its devices
/// still waiting sent, once this tab holds its run.
fn resume(context: AppContext, store: StoredRuns, others: OtherTabs) {
    let Some(meta) = untrack(|| unfinished(context, store)) else {
        return;
    };
    let (bearer, session) = context.tokens.current();
    let (bearer_token, session_token) = match check_tokens(&bearer, &session) {
        Ok(tokens) => tokens,
        Err(problems) => {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            store
                .note
                .set(format!("Resume needs both tokens: {}", problems.join(" ")));
            return;
        }
    };
    store.note.set(String::new());
    let credentials = Credentials {
        bearer_token,
        session_token,
    };
    let run = context.run;
    let key = meta.key.clone();
    spawn_local(async move {
        let Some(lock) = tabs::hold_run(&key).await else {
            store.note.set(RUNNING_ELSEWHERE.to_owned());
            others.refresh();
            return;
        };
        others.hold(key, lock);
        store.load(
            meta,
            Box::new(move |stored: StoredSet| run.resume_stored(stored, credentials)),
        );
    });
}

/// Deletes the unfinished run.
fn discard(context: AppContext, store: StoredRuns) {
    if let Some(meta) = untrack(|| unfinished(context, store)) {
        store.forget(Some(vec![meta.key]));
    }
}
