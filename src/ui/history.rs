//! Runs that survive: the result set on screen is saved in IndexedDB while its run goes (a
//! whole save, then steps of the rows that changed, at most every [`SAVE_EVERY_MS`], at its
//! end, and when the page is hidden or left), an interrupted run is offered for Resume at the
//! next start, finished sets are kept as a history (`historyLimit` of them) to open, delete and
//! compare. With `historyLimit: 0` nothing here runs: the database is never opened.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use ::idb::Database;
use chrono::{DateTime, Local};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::context::AppContext;
use super::copy::copy_text;
use super::download::save_text;
use super::run_controller::StoredSet;
use super::workbench::{button, clear, clicked, el};
use crate::core::autosave::{Autosave, Plan, SAVE_EVERY_MS};
use crate::core::compare::{compare, Change, Side};
use crate::core::export::{csv_of, file_name};
use crate::core::form::check_tokens;
use crate::core::results::ResultSet;
use crate::core::stored::{beyond_limit, Unreadable};
use crate::core::table_view::ViewQuery;
use crate::core::thousands;
use crate::core::time::format_datetime;
use crate::idb::{self, Loaded, Lost, StoreError, StoredMeta, Write, NEWER_ELSEWHERE};
use crate::net::Credentials;
use crate::tabs::{self, News, RunLock};

/// How long opening the database may take before the page says that runs are not saved:
/// some WebKit versions leave `indexedDB.open` pending forever.
const OPEN_DEADLINE_MS: u64 = 4_000;

/// Said when opening the database outlasts [`OPEN_DEADLINE_MS`].
const NOT_ANSWERING: &str = "This browser's storage did not answer within 4 seconds: runs are not being saved (the run goes on in memory, and a reload loses it).";

/// Said when another tab, or the user clearing the site's data, deleted the database.
const DELETED: &str = "The stored runs were deleted (in another tab, or the site's data was cleared): what is on screen is saved again from now.";

/// Said of an unfinished run that another tab of the app is running.
const RUNNING_ELSEWHERE: &str = "This run is going on in another tab.";

/// Said when a stored run's records are not there at all (and only then).
const GONE: &str = "That stored run is gone (deleted in another tab?).";

/// The notes a save that works ends; any other note stays.
const STORAGE_NOTES: [&str; 4] = [
    StoreError::Quota.note(),
    StoreError::Unavailable.note(),
    StoreError::Failed.note(),
    NOT_ANSWERING,
];

/// Reopening after the browser closed the connection, at most this many times in a row.
const REOPEN_TRIES: u32 = 3;

/// Where the page stands with the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Connection {
    /// Not open: opened when needed.
    Closed,
    Opening,
    Open,
    /// Refused (storage off, or a newer release of the app holds it): not tried again.
    Refused,
}

/// `2026-11-30 10:42:07`, local time.
fn local_time(ms: f64) -> String {
    DateTime::from_timestamp_millis(ms as i64)
        .map(|t| format_datetime(&t.with_timezone(&Local).naive_local()))
        .unwrap_or_default()
}

/// `9,500 succeeded · 300 failed · 200 errors`: the counts that are not zero.
fn counts(meta: &StoredMeta) -> String {
    let s = &meta.summary;
    [
        (s.succeeded, "succeeded"),
        (s.failed, "failed"),
        (s.no_result, "no result"),
        (s.error, "error"),
        (s.not_sent, "not sent"),
        (s.waiting, "waiting"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{} {what}", thousands(*n)))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// One group of a comparison, ready to show: its label and its devices' positions, in the set
/// on screen or, for the devices only in the earlier run, in that one. Its rows are read when
/// copied or downloaded.
#[derive(Clone)]
struct Compared {
    label: String,
    positions: Arc<[usize]>,
    only_before: bool,
}

/// A comparison on screen: when the earlier run started, the earlier set, the groups.
type Comparison = (String, Rc<ResultSet>, Vec<Compared>);

/// A save waiting for its write: the list entry, what it was planned as, the records.
type Queued = (StoredMeta, Plan, Write);

/// Work that waits for the database to be open.
type WithDb = Box<dyn FnOnce(Rc<Database>)>;

#[component]
pub fn History(query: RwSignal<ViewQuery>) -> impl IntoView {
    let context = AppContext::expect();
    let config = context.config.get_value().config;
    let limit = config.history_limit as usize;
    let run = context.run;
    let db = StoredValue::new_local(None::<Rc<Database>>);
    let connection = StoredValue::new(Connection::Closed);
    let metas = RwSignal::new(Vec::<StoredMeta>::new());
    let note = RwSignal::new(String::new());
    let compared = RwSignal::new_local(None::<Comparison>);
    let autosave = StoredValue::new(Autosave::default());
    // Saves wait here for their write, one at a time; each set's whole save replaces what of
    // it still waits (so a new Synchronize never loses the last set's end).
    let pending = StoredValue::new_local(Vec::<Queued>::new());
    let writing = StoredValue::new(false);
    let writer = StoredValue::new_local(None::<Rc<dyn Fn()>>);
    let saver = StoredValue::new_local(None::<Rc<dyn Fn(bool)>>);
    // Loads and deletes asked for while the database was not open.
    let waiting = StoredValue::new_local(Vec::<WithDb>::new());
    let reopened = StoredValue::new(0u32);
    // A save was skipped while the database was not open: one is due once it is.
    let owed = StoredValue::new(false);
    let last_asked = StoredValue::new(f64::NEG_INFINITY);
    // The run this tab holds (Web Locks), the sets other tabs are running, and the channel on
    // which the tabs tell each other that the stored runs changed.
    let held = StoredValue::new_local(None::<(String, RunLock)>);
    let elsewhere = RwSignal::new(Vec::<String>::new());
    let watched = StoredValue::new(Vec::<String>::new());
    let news = StoredValue::new_local(None::<Rc<News>>);
    let refresher = StoredValue::new_local(None::<Rc<dyn Fn()>>);
    let tell = move |key: &str| {
        if let Some(news) = news.try_get_value().flatten() {
            news.tell(key);
        }
    };

    let clear_storage_note = move || {
        note.try_update(|n| {
            if STORAGE_NOTES.contains(&n.as_str()) {
                n.clear();
            }
        });
    };
    let save_again = move || {
        if let Some(save) = saver.try_get_value().flatten() {
            save(false);
        }
    };

    // Opening, with a deadline; the connection is given up when the browser takes it away
    // (another tab upgrades or deletes the database), and opened again when needed.
    let open_db = move || {
        if limit == 0 || connection.try_get_value() != Some(Connection::Closed) {
            return;
        }
        connection.set_value(Connection::Opening);
        let lost: Rc<dyn Fn(Lost)> = Rc::new(move |how| {
            if db.try_set_value(None).is_some() {
                return;
            }
            autosave.update_value(|a| *a = Autosave::default());
            match how {
                Lost::Newer => {
                    connection.set_value(Connection::Refused);
                    note.set(NEWER_ELSEWHERE.to_owned());
                }
                Lost::Deleted => {
                    connection.set_value(Connection::Closed);
                    metas.set(Vec::new());
                    note.set(DELETED.to_owned());
                    save_again();
                }
                Lost::Closed => connection.set_value(Connection::Closed),
            }
        });
        set_timeout(
            move || {
                if connection.try_get_value() == Some(Connection::Opening) {
                    note.set(NOT_ANSWERING.to_owned());
                }
            },
            Duration::from_millis(OPEN_DEADLINE_MS),
        );
        spawn_local(async move {
            let opened = match idb::open(lost).await {
                Ok(opened) => idb::list(&opened).await.map(|listed| (opened, listed)),
                Err(e) => Err(e),
            };
            if connection.try_get_value() != Some(Connection::Opening) {
                return;
            }
            match opened {
                Err(e) => {
                    connection.set_value(Connection::Refused);
                    waiting.set_value(Vec::new());
                    note.set(e.note().to_owned());
                }
                Ok((opened, listed)) => {
                    let opened = Rc::new(opened);
                    db.set_value(Some(opened.clone()));
                    connection.set_value(Connection::Open);
                    clear_storage_note();
                    metas.set(listed);
                    for work in waiting.try_update_value(std::mem::take).unwrap_or_default() {
                        work(opened.clone());
                    }
                    if owed.try_update_value(std::mem::take) == Some(true) {
                        save_again();
                    }
                    if let Some(next) = writer.try_get_value().flatten() {
                        next();
                    }
                }
            }
        });
    };
    // Runs `work` with the database, at once if it is open, else once it is.
    let with_db = move |work: WithDb| match db.try_get_value().flatten() {
        Some(database) => work(database),
        None if connection.try_get_value() == Some(Connection::Refused) => {}
        None => {
            waiting.update_value(|w| w.push(work));
            open_db();
        }
    };
    if limit > 0 {
        open_db();
    }

    // Writes one save; every request goes out before this returns (see idb::save).
    let write_one = move |database: Rc<Database>, (meta, plan, mut write): Queued| {
        if let Write::Whole { drop, .. } = &mut write {
            let mut finished: Vec<(String, f64)> = metas.with_untracked(|m| {
                m.iter()
                    .filter(|m| m.key != meta.key && m.unreadable.is_none())
                    .filter_map(|m| Some((m.key.clone(), m.ended_at?)))
                    .collect()
            });
            if let Some(end) = meta.ended_at {
                finished.push((meta.key.clone(), end));
            }
            *drop = beyond_limit(finished, limit);
        }
        let done = idb::save(&database, &meta, &write);
        spawn_local(async move {
            match done.await {
                Ok(()) => {
                    autosave.try_update_value(|a| a.saved(&meta.key, plan));
                    reopened.try_set_value(0);
                    clear_storage_note();
                    let dropped = match &write {
                        Write::Whole { drop, .. } => drop.clone(),
                        Write::Step { .. } => Vec::new(),
                    };
                    tell(&meta.key);
                    metas.update(|m| {
                        m.retain(|old| old.key != meta.key && !dropped.contains(&old.key));
                        m.push(meta);
                    });
                }
                Err(e) => {
                    autosave.try_update_value(|a| a.failed(&meta.key));
                    let tries = reopened.try_update_value(|n| {
                        *n += 1;
                        *n
                    });
                    let lost = matches!(e, StoreError::Closed | StoreError::Failed);
                    if lost && tries.is_some_and(|n| n <= REOPEN_TRIES) {
                        // The connection is gone under the app (WebKit drops it in background
                        // tabs): open it again, and save the whole set there.
                        if let Some(old) = db.try_update_value(Option::take).flatten() {
                            old.close();
                        }
                        connection.try_set_value(Connection::Closed);
                        save_again();
                    } else {
                        note.try_set(e.note().to_owned());
                    }
                }
            }
            writing.try_set_value(false);
            if let Some(next) = writer.try_get_value().flatten() {
                next();
            }
        });
    };
    // Also called from a timeout: after the page's last view is gone, it does nothing.
    let write_next = move || {
        let Some(database) = db.try_get_value().flatten() else {
            return;
        };
        if writing.try_get_value() != Some(false) {
            return;
        }
        let next = pending
            .try_update_value(|p| (!p.is_empty()).then(|| p.remove(0)))
            .flatten();
        if let Some(next) = next {
            writing.set_value(true);
            write_one(database, next);
        }
    };
    writer.set_value(Some(Rc::new(write_next)));
    // Every waiting save written now, in order (the database keeps the order of writes).
    let write_all = move || {
        if let Some(database) = db.try_get_value().flatten() {
            for queued in pending.try_update_value(std::mem::take).unwrap_or_default() {
                writing.set_value(true);
                write_one(database.clone(), queued);
            }
        }
    };
    // Takes what is to be saved of the set on screen now; `now`: writes every waiting save at
    // once (the page is being hidden or left: a task later may never come).
    let save = move |now: bool| {
        let Some((key, started_at, read_only)) = run.stored_identity_untracked() else {
            return;
        };
        if read_only
            || connection
                .try_get_value()
                .is_none_or(|c| c == Connection::Refused)
        {
            return;
        }
        if db.with_value(Option::is_none) {
            // No snapshot while there is nowhere to write it: a whole save once there is.
            autosave.update_value(|a| a.failed(&key));
            owed.set_value(true);
            open_db();
            return;
        }
        last_asked.set_value(js_sys::Date::now());
        let (account, url) = run.request_target_untracked().unwrap_or_default();
        let ended_at = run
            .times()
            .and_then(|(_, ended)| ended)
            .filter(|_| run.paused().is_none());
        let plan = autosave
            .try_update_value(|a| a.plan(&key, ended_at.is_some()))
            .unwrap_or(Plan::Whole { with_devices: true });
        let changed = run.take_unsaved();
        if let Plan::Step { .. } = plan {
            if changed.is_empty() && !now {
                // Nothing new: the step number is given back.
                autosave.update_value(|a| a.unplan(&key));
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
        pending.update_value(|p| {
            if let Plan::Whole { .. } = plan {
                p.retain(|(m, _, _)| m.key != meta.key);
            }
            p.push((meta, plan, write));
        });
        match now {
            true => write_all(),
            // Written in a task of its own: the snapshot and the store's copy of it each take
            // a share of a frame with 300,000 devices, too much for one task.
            false => set_timeout(write_next, Duration::ZERO),
        }
    };
    saver.set_value(Some(Rc::new(save)));
    let timer = StoredValue::new(false);
    Effect::new(move |was_running: Option<bool>| {
        run.track();
        let running = run.running();
        if limit == 0 || run.set_id() == 0 {
            return running;
        }
        // A run is first saved SAVE_EVERY_MS after it starts, with answers in it (the start
        // itself allocates for every device: no save in the same task).
        let started = run.times().map_or(f64::NEG_INFINITY, |(at, _)| at);
        let due = last_asked.get_value().max(started) + SAVE_EVERY_MS - js_sys::Date::now();
        if was_running == Some(true) && !running || due <= 0.0 || was_running.is_none() {
            save(false);
        } else if !timer.get_value() {
            timer.set_value(true);
            set_timeout(
                move || {
                    timer.try_set_value(false);
                    save(false);
                },
                Duration::from_millis(due.ceil() as u64),
            );
        }
        running
    });
    // What is on screen is what survives: a hidden or left page writes at once.
    if limit > 0 {
        let flush = move |_| match run.running_untracked() {
            true => save(true),
            false => write_all(),
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

    // What the other tabs did: the list read again, and which unfinished runs they are running
    // (each watched until its tab lets go of it, then read again).
    let refresh = move || {
        with_db(Box::new(move |database| {
            spawn_local(async move {
                if let Ok(listed) = idb::list(&database).await {
                    metas.try_set(listed);
                }
                let mine = held
                    .try_with_value(|h| h.as_ref().map(|(k, _)| k.clone()))
                    .flatten();
                let running: Vec<String> = tabs::running()
                    .await
                    .into_iter()
                    .filter(|k| Some(k) != mine.as_ref())
                    .collect();
                for key in &running {
                    let new = watched.try_update_value(|w| {
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
                            watched.try_update_value(|w| w.retain(|k| *k != key));
                            if let Some(refresh) = refresher.try_get_value().flatten() {
                                refresh();
                            }
                        });
                    }
                }
                elsewhere.try_set(running);
            });
        }));
    };
    refresher.set_value(Some(Rc::new(refresh)));
    if limit > 0 {
        news.set_value(Some(Rc::new(News::open(move |_| refresh()))));
        refresh();
    }
    // A run going in this tab holds its set, so that other tabs do not offer it for Resume.
    Effect::new(move || {
        run.track();
        let wanted = run
            .stored_identity_untracked()
            .filter(|(_, _, read_only)| !read_only && limit > 0 && run.running())
            .map(|(key, _, _)| key.to_string());
        let current = held.with_value(|h| h.as_ref().map(|(k, _)| k.clone()));
        if current == wanted {
            return;
        }
        if let Some((_, lock)) = held.try_update_value(Option::take).flatten() {
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
                        held.try_set_value(Some((key, lock)));
                    }
                    (Some(lock), false) => lock.release(),
                    (None, _) => {}
                }
            });
        }
    });

    // The newest set whose run was interrupted, unless it is the one on screen.
    let unfinished = move || {
        let on_screen = run.set_id();
        let key = run.stored_identity_untracked().map(|(k, _, _)| k);
        metas.with(|m| {
            m.iter()
                .filter(|m| m.ended_at.is_none() && m.unreadable.is_none())
                .filter(|m| on_screen == 0 || key.as_deref() != Some(m.key.as_str()))
                .max_by(|a, b| a.started_at.total_cmp(&b.started_at))
                .cloned()
        })
    };
    // Newest first. Plain functions, not memos: a few entries, read when drawn.
    let finished = move || {
        let mut list: Vec<StoredMeta> =
            metas.with(|m| m.iter().filter(|m| m.ended_at.is_some()).cloned().collect());
        crate::core::sort_list(&mut list, |a, b| {
            b.started_at
                .total_cmp(&a.started_at)
                .then_with(|| a.key.cmp(&b.key))
        });
        list
    };

    let load = move |meta: StoredMeta, then: Rc<dyn Fn(StoredSet)>| {
        if let Some(why) = &meta.unreadable {
            note.set(why.message());
            return;
        }
        with_db(Box::new(move |database| {
            spawn_local(async move {
                let read = match idb::load(&database, &meta.key).await {
                    Ok(Loaded::Set(columns, steps)) => ResultSet::from_columns(&columns)
                        .and_then(|mut set| {
                            steps.iter().try_for_each(|step| set.apply(step))?;
                            Ok(set)
                        })
                        .map_err(|why| Unreadable::Damaged(why).message()),
                    Ok(Loaded::Gone) => Err(GONE.to_owned()),
                    Ok(Loaded::Unreadable(why)) => Err(why.message()),
                    Err(e) => Err(e.note().to_owned()),
                };
                match read {
                    Ok(set) => then(StoredSet {
                        key: meta.key,
                        set,
                        account: meta.account,
                        url: meta.url,
                        started_at: meta.started_at,
                        ended_at: meta.ended_at,
                    }),
                    Err(message) => note.set(message),
                }
            });
        }));
    };
    let forget = move |keys: Option<Vec<String>>| {
        with_db(Box::new(move |database| {
            spawn_local(async move {
                match idb::delete(&database, keys.as_deref()).await {
                    Ok(()) => {
                        autosave.try_update_value(|a| a.deleted(keys.as_deref()));
                        tell("");
                        metas.update(|m| match &keys {
                            None => m.clear(),
                            Some(keys) => m.retain(|meta| !keys.contains(&meta.key)),
                        })
                    }
                    Err(e) => note.set(e.note().to_owned()),
                }
            });
        }));
    };

    let resume = move |()| {
        let Some(meta) = untrack(unfinished) else {
            return;
        };
        let (bearer, session) = context.tokens.current();
        let (bearer_token, session_token) = match check_tokens(&bearer, &session) {
            Ok(tokens) => tokens,
            Err(problems) => {
                let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                note.set(format!("Resume needs both tokens: {}", problems.join(" ")));
                return;
            }
        };
        note.set(String::new());
        let credentials = Credentials {
            bearer_token,
            session_token,
        };
        let key = meta.key.clone();
        spawn_local(async move {
            let Some(lock) = tabs::hold_run(&key).await else {
                note.set(RUNNING_ELSEWHERE.to_owned());
                refresh();
                return;
            };
            if let Some((_, old)) = held.try_update_value(|h| h.replace((key, lock))).flatten() {
                old.release();
            }
            load(
                meta,
                Rc::new(move |stored: StoredSet| run.resume_stored(stored, credentials.clone())),
            );
        });
    };
    let discard = move |()| {
        if let Some(meta) = untrack(unfinished) {
            forget(Some(vec![meta.key]));
        }
    };

    let open = move |meta: StoredMeta| {
        compared.set(None);
        load(meta, Rc::new(move |stored| run.show(stored, true)));
    };
    let compare_with = move |before: StoredMeta| {
        let when = local_time(before.started_at);
        load(
            before,
            Rc::new(move |stored: StoredSet| {
                let groups = run
                    .with_set_untracked(|after| {
                        let groups = compare(Side::of(&stored.set), Side::of(after)).groups;
                        groups
                            .into_iter()
                            .map(|g| Compared {
                                label: g.change.label(),
                                only_before: g.change == Change::OnlyBefore,
                                positions: Arc::from(g.positions),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                compared.set(Some((when.clone(), Rc::new(stored.set), groups)));
            }),
        );
    };
    // The earlier finished set of the same account as the one on screen.
    let previous = move || {
        let (account, started) = (run.requested_account(), run.times()?.0);
        let key = run.stored_identity_untracked().map(|(k, _, _)| k);
        finished()
            .into_iter()
            .filter(|m| m.unreadable.is_none())
            .filter(|m| m.account == account && m.started_at < started)
            .find(|m| key.as_deref() != Some(m.key.as_str()))
    };
    // A new set on screen: the comparison was of the old one.
    Effect::new(move |before: Option<u64>| {
        let id = run.set_id();
        if before.is_some_and(|b| b != id) {
            compared.set(None);
            query.update(|q| q.only = None);
        }
        id
    });

    // Drawn by hand, a click on any of their buttons handled once per part (the button says
    // what it does in data-action, and which item in data-i), as the workbench's lists are.
    let (note_line, read_only_line, summary) = (
        NodeRef::<html::P>::new(),
        NodeRef::<html::P>::new(),
        NodeRef::<html::Summary>::new(),
    );
    let (resume_box, list_box, compare_box) = (
        NodeRef::<html::Div>::new(),
        NodeRef::<html::Div>::new(),
        NodeRef::<html::Div>::new(),
    );
    Effect::new(move || {
        let Some(div) = resume_box.get() else { return };
        clear(&div);
        if let Some(meta) = unfinished() {
            let text = format!(
                "Unfinished run: {} of {} devices done, account {}, started {}.",
                thousands(meta.summary.total - meta.summary.waiting),
                thousands(meta.summary.total),
                meta.account,
                local_time(meta.started_at),
            );
            let _ = div.append_child(&el("p", "", &text));
            if elsewhere.with(|e| e.contains(&meta.key)) {
                let _ = div.append_child(&el("p", "elsewhere", RUNNING_ELSEWHERE));
                return;
            }
            let resume = button("Resume", "resume", 0, None);
            resume.set_class_name("primary");
            let _ = div.append_child(&resume);
            let _ = div.append_child(&button("Discard", "discard", 0, None));
        }
    });
    Effect::new(move || {
        let Some(div) = list_box.get() else { return };
        clear(&div);
        if let Some(before) = previous() {
            let text = format!(
                "Compare with the previous run ({})",
                local_time(before.started_at)
            );
            let _ = div.append_child(&button(&text, "previous", 0, None));
        }
        let list = finished();
        if let Some(s) = summary.get() {
            s.set_text_content(Some(&format!("History ({})", list.len())));
        }
        let ul = el("ul", "history-list", "");
        {
            for (i, meta) in list.iter().enumerate() {
                let li = el("li", "", "");
                let (text, actions) = match &meta.unreadable {
                    Some(why) => (
                        format!("A stored run {}", why.label()),
                        &[("Delete", "delete")][..],
                    ),
                    None => (
                        format!(
                            "{} · {} · {} devices · {}",
                            local_time(meta.started_at),
                            meta.account,
                            thousands(meta.summary.total),
                            counts(meta),
                        ),
                        &[
                            ("Open", "open"),
                            ("Compare", "compare"),
                            ("Delete", "delete"),
                        ][..],
                    ),
                };
                let _ = li.append_child(&el("span", "", &text));
                for (label, action) in actions {
                    let _ = li.append_child(&button(label, action, i, None));
                }
                let _ = ul.append_child(&li);
            }
        }
        let _ = div.append_child(&ul);
        let _ = div.append_child(&button("Clear all", "clear", 0, None));
    });
    Effect::new(move || {
        let Some(div) = compare_box.get() else { return };
        clear(&div);
        div.set_hidden(compared.with(Option::is_none));
        let only = query.with(|q| q.only.as_ref().map(|(label, _)| label.clone()));
        compared.with(|c| {
            let Some((when, _, groups)) = c else { return };
            let _ = div.append_child(&el("h2", "", &format!("Compared with the run of {when}")));
            let ul = el("ul", "", "");
            for (i, g) in groups.iter().enumerate() {
                let li = el("li", "", "");
                let _ = li.append_child(&el(
                    "span",
                    "",
                    &format!("{} · {}", g.label, thousands(g.positions.len())),
                ));
                if !g.only_before {
                    let pressed = only.as_deref() == Some(g.label.as_str());
                    let _ = li.append_child(&button("Show", "show", i, Some(pressed)));
                }
                let _ = li.append_child(&button("Copy IMEIs", "copy", i, None));
                let _ = li.append_child(&button("Download CSV", "csv", i, None));
                let _ = ul.append_child(&li);
            }
            let _ = div.append_child(&ul);
            if let Some(label) = &only {
                let p = el("p", "", &format!("The table shows: {label}. "));
                let _ = p.append_child(&button("Show every device", "all", 0, None));
                let _ = div.append_child(&p);
            }
        });
    });
    // One handler for every button of the section: each says what it does (data-action) and
    // which item (data-i).
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some((action, i)) = clicked(&ev) else {
            return;
        };
        let meta = untrack(finished).get(i).cloned();
        let group = compared.with_untracked(|c| {
            c.as_ref()
                .and_then(|(_, before, g)| Some((before.clone(), g.get(i)?.clone())))
        });
        // The group's rows, from the set they are in.
        let rows = |(before, g): &(Rc<ResultSet>, Compared), csv: bool| {
            let text = |set: &ResultSet| match csv {
                true => csv_of(set.devices(), set.outcomes(), &g.positions),
                false => g
                    .positions
                    .iter()
                    .map(|&p| set.devices()[p].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            match g.only_before {
                true => text(before),
                false => run.with_set_untracked(text).unwrap_or_default(),
            }
        };
        match (action.as_str(), meta, group) {
            ("resume", ..) => resume(()),
            ("discard", ..) => discard(()),
            ("previous", ..) => {
                if let Some(before) = untrack(previous) {
                    compare_with(before);
                }
            }
            ("clear", ..) => forget(None),
            ("all", ..) => query.update(|q| q.only = None),
            ("open", Some(meta), _) => open(meta),
            ("compare", Some(meta), _) => compare_with(meta),
            ("delete", Some(meta), _) => forget(Some(vec![meta.key])),
            ("show", _, Some((_, g))) => query.update(|q| {
                let same = q.only.as_ref().is_some_and(|(l, _)| **l == *g.label);
                q.only = (!same).then(|| (Arc::from(g.label.as_str()), g.positions.clone()));
            }),
            ("copy", _, Some(group)) => copy_text(
                rows(&group, false),
                note,
                format!("Copied {} IMEIs.", group.1.positions.len()),
            ),
            ("csv", _, Some(group)) => {
                let name = file_name(&run.requested_account(), js_sys::Date::now());
                let _ = save_text(&name, "text/csv;charset=utf-8", &rows(&group, true));
            }
            _ => {}
        }
    };
    // What changes as text, written by hand rather than as reactive view parts.
    Effect::new(move || {
        let (Some(note_p), Some(p)) = (note_line.get(), read_only_line.get()) else {
            return;
        };
        note_p.set_text_content(Some(&note.get()));
        let shown = run.read_only();
        p.set_hidden(!shown);
        if shown {
            let from = run.times().map(|t| local_time(t.0)).unwrap_or_default();
            p.set_text_content(Some(&format!(
                "A stored run from {from}, read-only: export it or compare it; Synchronize starts a new one."
            )));
        }
    });

    view! {
        <section class="history" aria-label="Stored runs" hidden=limit == 0 on:click=on_click>
            <p class="store-note" role="status" node_ref=note_line></p>
            <div class="resume" node_ref=resume_box></div>
            <p class="read-only" node_ref=read_only_line hidden></p>
            <details>
                <summary node_ref=summary></summary>
                <p class="hint">
                    {format!("Kept in this browser only (IndexedDB), never with tokens: the newest {limit} finished runs.")}
                </p>
                <div node_ref=list_box></div>
            </details>
            <div class="comparison" role="region" aria-label="Comparison" node_ref=compare_box hidden></div>
        </section>
    }
}
