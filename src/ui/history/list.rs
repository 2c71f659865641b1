//! The finished runs kept in this browser, newest first: each to open, compare with the set
//! on screen, or delete; the previous run of the same account to compare with; Clear all.

use leptos::prelude::*;

use super::comparison::{compare_with, ComparedSignal};
use super::{buttons, local_time, Act, Line};
use crate::core::outcome::CountName;
use crate::core::{count_of, thousands};
use crate::idb::StoredMeta;
use crate::ui::run_controller::RunController;
use crate::ui::stored_runs::StoredRuns;

/// `9,500 succeeded · 300 failed · 200 errors`: the counts that are not zero, in the summary's
/// order, each in its kind's words.
fn counts(meta: &StoredMeta) -> String {
    meta.summary
        .entries()
        .iter()
        .filter_map(|&(name, n)| match name {
            CountName::Of(kind) if n > 0 => Some(format!("{} {}", thousands(n), kind.in_words(n))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The earlier finished set of the same account as the one on screen (tracked).
fn previous(run: RunController, store: StoredRuns) -> Option<StoredMeta> {
    let (account, started) = (run.requested_account(), run.times()?.0);
    let key = run.stored_identity_untracked().map(|(k, _, _)| k);
    store
        .finished()
        .into_iter()
        .filter(|m| m.unreadable.is_none())
        .filter(|m| m.account == account && m.started_at < started)
        .find(|m| key.as_deref() != Some(m.key.as_str()))
}

/// The list, with "Compare with the previous run" above it and "Clear all" below.
#[component]
pub fn StoredRunList(
    run: RunController,
    store: StoredRuns,
    compared: ComparedSignal,
) -> impl IntoView {
    let compare_previous = move || {
        if let Some(before) = untrack(|| previous(run, store)) {
            compare_with(run, store, compared, before);
        }
    };
    // The button to compare with the previous run, when there is one, and the list.
    let listed = move || {
        let previous = previous(run, store).map(|before| {
            let label = format!(
                "Compare with the previous run ({})",
                local_time(before.started_at)
            );
            buttons(vec![Act::new(label, compare_previous)])
        });
        let items = store
            .finished()
            .into_iter()
            .map(|meta| view! { <StoredRunItem meta run store compared /> })
            .collect_view();
        view! {
            {previous}
            <ul class="history-list">{items}</ul>
        }
    };
    view! {
        <div>
            {listed}
            {buttons(vec![Act::new("Clear all", move || store.forget(None))])}
        </div>
    }
}

/// One stored run: when, account, devices, counts, and Open, Compare, Delete; an entry that
/// cannot be read says why and can only be deleted.
#[component]
fn StoredRunItem(
    meta: StoredMeta,
    run: RunController,
    store: StoredRuns,
    compared: ComparedSignal,
) -> impl IntoView {
    let key = meta.key.clone();
    let delete = Act::new("Delete", move || store.forget(Some(vec![key.clone()])));
    let Some(why) = &meta.unreadable else {
        let text = format!(
            "{} · {} · {} · {}",
            local_time(meta.started_at),
            meta.account,
            count_of(meta.summary.total, "device", "devices"),
            counts(&meta),
        );
        let open = {
            let meta = meta.clone();
            move || {
                compared.set(None);
                store.load(meta.clone(), Box::new(move |stored| run.show(stored, true)));
            }
        };
        let compare = move || compare_with(run, store, compared, meta.clone());
        let acts = vec![Act::new("Open", open), Act::new("Compare", compare), delete];
        return view! { <Line text acts /> };
    };
    view! { <Line text=format!("A stored run {}", why.label()) acts=vec![delete] /> }
}
