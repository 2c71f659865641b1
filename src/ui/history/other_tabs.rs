//! The stored runs as the other tabs of the app change them: the list read again when they
//! say so, which unfinished runs they are running, and the run this tab holds (through
//! [`crate::tabs`]).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::idb;
use crate::tabs::{self, News, RunLock};
use crate::ui::run_controller::RunController;
use crate::ui::stored_runs::StoredRuns;

/// This tab's view of the others: a handle to copy into closures.
#[derive(Clone, Copy)]
pub struct OtherTabs {
    store: StoredRuns,
    /// The run this tab holds (Web Locks), with its set's key.
    held: StoredValue<Option<(String, RunLock)>, LocalStorage>,
    /// The keys of the sets other tabs are running.
    elsewhere: RwSignal<Vec<String>>,
    /// The keys waited on until their tab lets go of them.
    watched: StoredValue<Vec<String>>,
}

impl OtherTabs {
    /// Listens to the other tabs and reads what they run, unless `store` keeps nothing; holds
    /// the run going in this tab, so that other tabs do not offer it for Resume.
    pub fn watch(run: RunController, store: StoredRuns) -> OtherTabs {
        let tabs = OtherTabs {
            store,
            held: StoredValue::new_local(None),
            elsewhere: RwSignal::new(Vec::new()),
            watched: StoredValue::new(Vec::new()),
        };
        if store.limit() > 0 {
            store.tell_through(News::open(move |_| tabs.refresh()));
            tabs.refresh();
        }
        Effect::new(move || {
            run.track();
            let wanted = run
                .stored_identity_untracked()
                .filter(|(_, _, read_only)| !read_only && store.limit() > 0 && run.running())
                .map(|(key, _, _)| key.to_string());
            let current = tabs.held.with_value(|h| h.as_ref().map(|(k, _)| k.clone()));
            if current == wanted {
                return;
            }
            if let Some((_, lock)) = tabs.held.try_update_value(Option::take).flatten() {
                lock.release();
            }
            if let Some(key) = wanted {
                spawn_local(async move {
                    let lock = tabs::hold_run(&key).await;
                    let still = run
                        .stored_identity_untracked()
                        .is_some_and(|(k, _, _)| *k == *key)
                        && run.running_untracked();
                    match (lock, still) {
                        (Some(lock), true) => {
                            tabs.held.try_set_value(Some((key, lock)));
                        }
                        (Some(lock), false) => lock.release(),
                        (None, _) => {}
                    }
                });
            }
        });
        tabs
    }

    /// Whether another tab runs set `key` (tracked).
    pub fn running_elsewhere(self, key: &str) -> bool {
        self.elsewhere.with(|e| e.iter().any(|k| k == key))
    }

    /// This tab now holds the run of set `key`; a run it held before is let go.
    pub fn hold(self, key: String, lock: RunLock) {
        if let Some((_, old)) = self
            .held
            .try_update_value(|h| h.replace((key, lock)))
            .flatten()
        {
            old.release();
        }
    }

    /// Reads the list again, and which unfinished runs the other tabs are running (each
    /// watched until its tab lets go of it, then read again).
    pub fn refresh(self) {
        self.store.with_db(Box::new(move |database| {
            spawn_local(async move {
                if let Ok(listed) = idb::list(&database).await {
                    self.store.entries.try_set(listed);
                }
                let mine = self
                    .held
                    .try_with_value(|h| h.as_ref().map(|(k, _)| k.clone()))
                    .flatten();
                let running: Vec<String> = tabs::running()
                    .await
                    .into_iter()
                    .filter(|k| Some(k) != mine.as_ref())
                    .collect();
                for key in &running {
                    let new = self.watched.try_update_value(|w| {
                        let new = !w.contains(key);
                        if new {
                            w.push(key.clone());
                        }
                        new
                    });
                    if new == Some(true) {
                        let key = key.clone();
                        spawn_local(async move {
                            tabs::until_free(&key).await;
                            if self
                                .watched
                                .try_update_value(|w| w.retain(|k| *k != key))
                                .is_some()
                            {
                                self.refresh();
                            }
                        });
                    }
                }
                self.elsewhere.try_set(running);
            });
        }));
    }
}
