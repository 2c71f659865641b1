//! The set on screen saved while its run goes: a whole save, then steps of the rows that
//! changed, at most every [`SAVE_EVERY_MS`](crate::core::autosave::SAVE_EVERY_MS), at its
//! end, and when the page is hidden or left.

use std::time::Duration;

use leptos::prelude::*;

use crate::core::autosave::Plan;
use crate::idb::{StoredMeta, Write};
use crate::ui::run_controller::RunController;
use crate::ui::stored_runs::StoredRuns;

/// Saves the set on screen in `store` as its run goes; nothing when `store` keeps nothing.
pub fn keep_saved(run: RunController, store: StoredRuns) {
    if store.limit() == 0 {
        return;
    }
    store.on_save_again(move || save(run, store, false));
    let timer = StoredValue::new(false);
    Effect::new(move |was_running: Option<bool>| {
        run.track();
        let running = run.running();
        if run.set_id() == 0 {
            return running;
        }
        // A run is first saved SAVE_EVERY_MS after it starts, with answers in it (the start
        // itself allocates for every device: no save in the same task).
        let started = run.times().map_or(f64::NEG_INFINITY, |(at, _)| at);
        let due = store.save_due_in(started, js_sys::Date::now());
        if was_running == Some(true) && !running || due <= 0.0 || was_running.is_none() {
            save(run, store, false);
        } else if !timer.get_value() {
            timer.set_value(true);
            set_timeout(
                move || {
                    timer.try_set_value(false);
                    save(run, store, false);
                },
                Duration::from_millis(due.ceil() as u64),
            );
        }
        running
    });
    // What is on screen is what survives: a hidden or left page writes at once.
    let flush = move |_| match run.running_untracked() {
        true => save(run, store, true),
        false => store.write_all(),
    };
    let handles = [
        window_event_listener_untyped("pagehide", flush),
        window_event_listener_untyped("visibilitychange", move |e| {
            if document().hidden() {
                flush(e);
            }
        }),
    ];
    on_cleanup(move || handles.into_iter().for_each(|h| h.remove()));
}

/// Takes what is to be saved of the set on screen now; `now`: writes every waiting save at
/// once (the page is being hidden or left).
fn save(run: RunController, store: StoredRuns, now: bool) {
    let Some((key, started_at, read_only)) = run.stored_identity_untracked() else {
        return;
    };
    if read_only || !store.can_save(&key) {
        return;
    }
    let (account, url) = run.request_target_untracked().unwrap_or_default();
    let ended_at = run
        .times()
        .and_then(|(_, ended)| ended)
        .filter(|_| run.paused().is_none());
    let plan = store.plan(&key, ended_at.is_some(), js_sys::Date::now());
    let changed = run.take_unsaved();
    if let Plan::Step { .. } = plan {
        if changed.is_empty() && !now {
            // Nothing new: the step number is given back.
            store.unplan(&key);
            return;
        }
    }
    let taken = run.with_set_untracked(|s| {
        let write = match plan {
            Plan::Whole { with_devices } => Write::Whole {
                columns: s.columns(),
                with_devices,
                drop: Vec::new(),
            },
            Plan::Step { seq } => Write::Step {
                seq,
                step: s.step(&changed),
            },
        };
        (write, s.summary())
    });
    let Some((write, summary)) = taken else {
        return;
    };
    let meta = StoredMeta {
        key: key.to_string(),
        account,
        url,
        started_at,
        ended_at,
        summary,
        unreadable: None,
    };
    store.save(plan, meta, write, now);
}
