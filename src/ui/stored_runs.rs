//! The page's stored runs, without DOM: the connection to IndexedDB (opened when needed with a
//! deadline, given up when the browser takes it away, opened again), the entries it lists, the
//! saves waiting for their write, reads and deletes, and the note saying what went wrong.

use std::rc::Rc;
use std::time::Duration;

use ::idb::Database;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::run_controller::StoredSet;
use crate::core::autosave::{Autosave, Plan, Queued, SaveQueue};
use crate::core::results::ResultSet;
use crate::core::stored::{beyond_limit, Unreadable};
use crate::idb::{self, Loaded, Lost, StoreError, StoredMeta, Write, NEWER_ELSEWHERE};
use crate::tabs::News;

/// How long opening the database may take before the page says that runs are not saved:
/// some WebKit versions leave `indexedDB.open` pending forever.
const OPEN_DEADLINE_MS: u64 = 4_000;

/// Said when opening the database outlasts [`OPEN_DEADLINE_MS`].
const NOT_ANSWERING: &str = "This browser's storage did not answer within 4 seconds: runs are not being saved (the run goes on in memory, and a reload loses it).";

/// Said when another tab, or the user clearing the site's data, deleted the database.
const DELETED: &str = "The stored runs were deleted (in another tab, or the site's data was cleared): what is on screen is saved again from now.";

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

/// Work that waits for the database to be open.
pub type WithDb = Box<dyn FnOnce(Rc<Database>)>;

/// What one save writes: its set's list entry and the records.
type Save = (StoredMeta, Write);

/// The stored runs of this page: a handle to copy into every closure that needs them.
#[derive(Clone, Copy)]
pub struct StoredRuns {
    /// How many finished sets are kept; with 0 nothing is stored and nothing is opened.
    limit: usize,
    db: StoredValue<Option<Rc<Database>>, LocalStorage>,
    connection: StoredValue<Connection>,
    /// Every stored set's entry, as listed or written last.
    pub entries: RwSignal<Vec<StoredMeta>>,
    /// What the section says: why storage fails, or why a stored run cannot be read or resumed.
    pub note: RwSignal<String>,
    /// Loads and deletes asked for while the database was not open.
    waiting: StoredValue<Vec<WithDb>, LocalStorage>,
    reopened: StoredValue<u32>,
    autosave: StoredValue<Autosave>,
    queue: StoredValue<SaveQueue<Save>, LocalStorage>,
    /// Saves the set on screen again (a whole save): given by the autosave.
    save_again: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
    /// The channel on which the tabs tell each other that the stored runs changed.
    news: StoredValue<Option<Rc<News>>, LocalStorage>,
}

impl StoredRuns {
    /// The stored runs, keeping `limit` finished sets; the database is opened at once unless
    /// `limit` is 0.
    pub fn new(limit: usize) -> StoredRuns {
        let store = StoredRuns {
            limit,
            db: StoredValue::new_local(None),
            connection: StoredValue::new(Connection::Closed),
            entries: RwSignal::new(Vec::new()),
            note: RwSignal::new(String::new()),
            waiting: StoredValue::new_local(Vec::new()),
            reopened: StoredValue::new(0),
            autosave: StoredValue::new(Autosave::default()),
            queue: StoredValue::new_local(SaveQueue::default()),
            save_again: StoredValue::new_local(None),
            news: StoredValue::new_local(None),
        };
        if limit > 0 {
            store.open();
        }
        store
    }

    /// How many finished sets are kept (0: none, and storage is off).
    pub fn limit(self) -> usize {
        self.limit
    }

    /// Sets how the set on screen is saved again, whole (after the database came back).
    pub fn on_save_again(self, save: impl Fn() + 'static) {
        self.save_again.set_value(Some(Rc::new(save)));
    }

    /// Keeps the channel to the other tabs, told of every change this page stores.
    pub fn tell_through(self, news: News) {
        self.news.set_value(Some(Rc::new(news)));
    }

    fn tell(self, key: &str) {
        if let Some(news) = self.news.try_get_value().flatten() {
            news.tell(key);
        }
    }

    fn save_again(self) {
        if let Some(save) = self.save_again.try_get_value().flatten() {
            save();
        }
    }

    fn clear_storage_note(self) {
        self.note.try_update(|n| {
            if STORAGE_NOTES.contains(&n.as_str()) {
                n.clear();
            }
        });
    }

    /// Opens the database, with a deadline, unless it is open, being opened or refused.
    fn open(self) {
        if self.limit == 0 || self.connection.try_get_value() != Some(Connection::Closed) {
            return;
        }
        self.connection.set_value(Connection::Opening);
        set_timeout(
            move || {
                if self.connection.try_get_value() == Some(Connection::Opening) {
                    self.note.set(NOT_ANSWERING.to_owned());
                }
            },
            Duration::from_millis(OPEN_DEADLINE_MS),
        );
        spawn_local(async move {
            let opened = match idb::open(Rc::new(move |how| self.lost(how))).await {
                Ok(opened) => idb::list(&opened).await.map(|listed| (opened, listed)),
                Err(e) => Err(e),
            };
            if self.connection.try_get_value() != Some(Connection::Opening) {
                return;
            }
            match opened {
                Err(e) => {
                    self.connection.set_value(Connection::Refused);
                    self.waiting.set_value(Vec::new());
                    self.note.set(e.note().to_owned());
                }
                Ok((opened, listed)) => {
                    let opened = Rc::new(opened);
                    self.db.set_value(Some(opened.clone()));
                    self.connection.set_value(Connection::Open);
                    self.clear_storage_note();
                    self.entries.set(listed);
                    let waiting = self.waiting.try_update_value(std::mem::take);
                    for work in waiting.unwrap_or_default() {
                        work(opened.clone());
                    }
                    if self.queue.try_update_value(SaveQueue::take_owed) == Some(true) {
                        self.save_again();
                    }
                    self.write_next();
                }
            }
        });
    }

    /// The browser took the connection away (another tab upgrades or deletes the database,
    /// or storage failed): given up, and opened again when needed unless a newer app has it.
    fn lost(self, how: Lost) {
        if self.db.try_set_value(None).is_some() {
            return;
        }
        self.autosave.update_value(|a| *a = Autosave::default());
        match how {
            Lost::Newer => {
                self.connection.set_value(Connection::Refused);
                self.note.set(NEWER_ELSEWHERE.to_owned());
            }
            Lost::Deleted => {
                self.connection.set_value(Connection::Closed);
                self.entries.set(Vec::new());
                self.note.set(DELETED.to_owned());
                self.save_again();
            }
            Lost::Closed => self.connection.set_value(Connection::Closed),
        }
    }

    /// Runs `work` with the database: at once if it is open, else once it is (never when
    /// storage was refused).
    pub fn with_db(self, work: WithDb) {
        match self.db.try_get_value().flatten() {
            Some(database) => work(database),
            None if self.connection.try_get_value() == Some(Connection::Refused) => {}
            None => {
                self.waiting.update_value(|w| w.push(work));
                self.open();
            }
        }
    }

    /// Whether a save of set `key` can be taken now. While the database is not open, none
    /// is: a whole save is owed for once it is, and it is opened.
    pub fn can_save(self, key: &str) -> bool {
        let connection = self.connection.try_get_value();
        if connection.is_none_or(|c| c == Connection::Refused) {
            return false;
        }
        if self.db.with_value(Option::is_none) {
            self.autosave.update_value(|a| a.failed(key));
            self.queue.update_value(SaveQueue::owe);
            self.open();
            return false;
        }
        true
    }

    /// What the next save of set `key` is; `ended`: its run is over. Notes the time it was
    /// asked for (`now`, ms since the Unix epoch).
    pub fn plan(self, key: &str, ended: bool, now: f64) -> Plan {
        self.queue.update_value(|q| q.asked(now));
        self.autosave
            .try_update_value(|a| a.plan(key, ended))
            .unwrap_or(Plan::Whole { with_devices: true })
    }

    /// Gives back the step [`StoredRuns::plan`] just gave for `key`: nothing changed.
    pub fn unplan(self, key: &str) {
        self.autosave.update_value(|a| a.unplan(key));
    }

    /// In how many ms the next save of a run started at `started` is due.
    pub fn save_due_in(self, started: f64, now: f64) -> f64 {
        self.queue.with_value(|q| q.due_in(started, now))
    }

    /// Queues a save planned as `plan`; `now`: writes every waiting save at once (the page is
    /// being hidden or left: a task later may never come).
    pub fn save(self, plan: Plan, meta: StoredMeta, write: Write, now: bool) {
        let key = meta.key.clone();
        self.queue.update_value(|q| {
            q.push(Queued {
                key,
                plan,
                write: (meta, write),
            })
        });
        match now {
            true => self.write_all(),
            // Written in a task of its own: the snapshot and the store's copy of it each take
            // a share of a frame with 300,000 devices, too much for one task.
            false => set_timeout(move || self.write_next(), Duration::ZERO),
        }
    }

    /// Writes the next waiting save unless one is being written. Also called from a timeout:
    /// after the page's last view is gone, it does nothing.
    fn write_next(self) {
        let Some(database) = self.db.try_get_value().flatten() else {
            return;
        };
        if let Some(next) = self.queue.try_update_value(SaveQueue::take_next).flatten() {
            self.write_one(database, next);
        }
    }

    /// Every waiting save written now, in order (the database keeps the order of writes).
    pub fn write_all(self) {
        if let Some(database) = self.db.try_get_value().flatten() {
            let all = self.queue.try_update_value(SaveQueue::take_all);
            for queued in all.unwrap_or_default() {
                self.write_one(database.clone(), queued);
            }
        }
    }

    /// Writes one save; every request goes out before this returns (see [`idb::save`]).
    fn write_one(self, database: Rc<Database>, queued: Queued<Save>) {
        let Queued {
            plan,
            write: (meta, mut write),
            ..
        } = queued;
        if let Write::Whole { drop, .. } = &mut write {
            let mut finished: Vec<(String, f64)> = self.entries.with_untracked(|m| {
                m.iter()
                    .filter(|m| m.key != meta.key && m.unreadable.is_none())
                    .filter_map(|m| Some((m.key.clone(), m.ended_at?)))
                    .collect()
            });
            if let Some(end) = meta.ended_at {
                finished.push((meta.key.clone(), end));
            }
            *drop = beyond_limit(finished, self.limit);
        }
        let done = idb::save(&database, &meta, &write);
        spawn_local(async move {
            match done.await {
                Ok(()) => self.written(meta, plan, write),
                Err(e) => self.not_written(&meta.key, e),
            }
            self.queue.try_update_value(SaveQueue::written);
            self.write_next();
        });
    }

    fn written(self, meta: StoredMeta, plan: Plan, write: Write) {
        self.autosave.try_update_value(|a| a.saved(&meta.key, plan));
        self.reopened.try_set_value(0);
        self.clear_storage_note();
        let dropped = match write {
            Write::Whole { drop, .. } => drop,
            Write::Step { .. } => Vec::new(),
        };
        self.tell(&meta.key);
        self.entries.update(|m| {
            m.retain(|old| old.key != meta.key && !dropped.contains(&old.key));
            m.push(meta);
        });
    }

    fn not_written(self, key: &str, e: StoreError) {
        self.autosave.try_update_value(|a| a.failed(key));
        let tries = self.reopened.try_update_value(|n| {
            *n += 1;
            *n
        });
        let lost = matches!(e, StoreError::Closed | StoreError::Failed);
        if lost && tries.is_some_and(|n| n <= REOPEN_TRIES) {
            // The connection is gone under the app (WebKit drops it in background tabs): open
            // it again, and save the whole set there.
            if let Some(old) = self.db.try_update_value(Option::take).flatten() {
                old.close();
            }
            self.connection.try_set_value(Connection::Closed);
            self.save_again();
        } else {
            self.note.try_set(e.note().to_owned());
        }
    }

    /// Reads the set of `meta` back and hands it to `then`; says why when it cannot.
    pub fn load(self, meta: StoredMeta, then: Box<dyn FnOnce(StoredSet)>) {
        if let Some(why) = &meta.unreadable {
            self.note.set(why.message());
            return;
        }
        self.with_db(Box::new(move |database| {
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
                    Err(message) => self.note.set(message),
                }
            });
        }));
    }

    /// Deletes the sets of `keys`; every set when `None` ("Clear all").
    pub fn forget(self, keys: Option<Vec<String>>) {
        self.with_db(Box::new(move |database| {
            spawn_local(async move {
                match idb::delete(&database, keys.as_deref()).await {
                    Ok(()) => {
                        self.autosave
                            .try_update_value(|a| a.deleted(keys.as_deref()));
                        self.tell("");
                        self.entries.update(|m| match &keys {
                            None => m.clear(),
                            Some(keys) => m.retain(|meta| !keys.contains(&meta.key)),
                        })
                    }
                    Err(e) => self.note.set(e.note().to_owned()),
                }
            });
        }));
    }

    /// The finished sets, newest first (tracked). A plain function, not a memo: a few
    /// entries, read when drawn.
    pub fn finished(self) -> Vec<StoredMeta> {
        let mut list: Vec<StoredMeta> = self
            .entries
            .with(|m| m.iter().filter(|m| m.ended_at.is_some()).cloned().collect());
        crate::core::sort_list(&mut list, |a, b| {
            b.started_at
                .total_cmp(&a.started_at)
                .then_with(|| a.key.cmp(&b.key))
        });
        list
    }

    /// The newest readable set whose run was interrupted, other than set `on_screen` (tracked).
    pub fn unfinished(self, on_screen: Option<&str>) -> Option<StoredMeta> {
        self.entries.with(|m| {
            m.iter()
                .filter(|m| m.ended_at.is_none() && m.unreadable.is_none())
                .filter(|m| on_screen != Some(m.key.as_str()))
                .max_by(|a, b| a.started_at.total_cmp(&b.started_at))
                .cloned()
        })
    }
}
