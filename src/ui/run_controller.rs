//! The result set on screen and the run over it, with their one owner, [`RunController`].
//!
//! The controller holds two things: the set on screen (`Shown`: its rows, where it is stored,
//! what changed since the views and storage looked) and, once one was started over it, the
//! latest run (`ActiveRun`: the sans-IO [`SyncRun`] with its requests and timer). A set read
//! back from storage is shown with no run. How a run starts, retries, syncs a group again and
//! resumes, with the form's checks, is in `run_controller/launch.rs`; what happens when an
//! answer arrives is in `run_controller/active_run.rs`.
//!
//! The engine's state is the only state: progress, error and "running" are read from the
//! [`SyncRun`], the rows and the summary from the [`ResultSet`] its outcomes are written into,
//! through the controller's methods, which track one trigger, so nothing is copied by hand into
//! signals that must be kept in step. Methods that read without tracking end in `_untracked`.

mod active_run;
mod launch;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use web_sys::AbortSignal;

use crate::core::api_error::ApiError;
use crate::core::evidence::RequestRecord;
use crate::core::fota::SyncAnswer;
use crate::core::imei::Imei;
use crate::core::outcome::{Outcome, Summary};
use crate::core::pace::PaceFigures;
use crate::core::results::ResultSet;
use crate::core::run::{Progress, SyncRun};
use crate::net::{put_devices, Answered, CallError, Credentials};
use active_run::ActiveRun;
pub use launch::RunForm;

/// One request as the transport sends it.
pub struct SyncRequest {
    pub url: String,
    pub credentials: Credentials,
    /// `{"deviceList": [...]}`.
    pub body: String,
    pub timeout_ms: u32,
    /// Fires when the run is cancelled or stopped.
    pub cancel: AbortSignal,
    /// Where the transport writes what came back, for the request log.
    pub answered: Rc<RefCell<Answered>>,
}

/// What a request came back as.
pub type CallResult = Result<SyncAnswer, CallError>;

/// How requests go out: [`network`] in the app, a fake in browser tests.
pub type Transport = Rc<dyn Fn(SyncRequest) -> Pin<Box<dyn Future<Output = CallResult>>>>;

/// The real transport: [`put_devices`].
pub fn network() -> Transport {
    Rc::new(|r: SyncRequest| {
        Box::pin(async move {
            put_devices(
                &r.url,
                &r.credentials,
                r.body,
                r.timeout_ms,
                Some(&r.cancel),
                &r.answered,
            )
            .await
        })
    })
}

/// Everything a run needs, once the form checked out.
pub struct RunRequest {
    pub account: String,
    pub url: String,
    pub credentials: Credentials,
    pub timeout_ms: u32,
    pub run: SyncRun,
    /// The run's devices are of the result set on screen (Retry failed): their outcomes go
    /// there, and the others keep theirs. Otherwise the run starts a new set.
    pub into_current_set: bool,
}

/// A result set read back from storage, to show.
pub struct StoredSet {
    pub key: String,
    pub set: ResultSet,
    pub account: String,
    pub url: String,
    pub started_at: f64,
    /// `None`: its run was interrupted (a reload, a closed tab).
    pub ended_at: Option<f64>,
}

/// One request of the result set's runs: its record, and what `Copy as cURL` needs to repeat it.
pub struct LoggedRequest {
    pub record: RequestRecord,
    pub url: Rc<str>,
    pub devices: Vec<Imei>,
}

/// A run that ended, as the portal is told of it.
pub struct FinishedRun {
    pub account: String,
    pub summary: Summary,
}

/// The one owner of the set on screen and of the run over it. Cheap to copy: every field is a
/// handle.
#[derive(Clone, Copy)]
pub struct RunController {
    shown: StoredValue<Option<Rc<Shown>>, LocalStorage>,
    /// The latest run over the set on screen, going or over; `None` for a stored set shown as
    /// it was read.
    run: StoredValue<Option<Rc<ActiveRun>>, LocalStorage>,
    /// Notified whenever the set or its run changed; every tracked read goes through it.
    changed: Trigger,
    wiring: StoredValue<Wiring, LocalStorage>,
    /// What the form must fix, from the last start it refused; empty once one is accepted.
    problems: RwSignal<Vec<String>>,
    /// Numbers given so far to runs (a stored set shown counts as one) and to result sets.
    runs: StoredValue<u64>,
    sets: StoredValue<u64>,
}

/// What the controller is connected to: how requests go out, the clock, the page's callbacks
/// and the form runs are started from.
struct Wiring {
    transport: Transport,
    /// Milliseconds since the epoch.
    clock: fn() -> f64,
    on_finish: Option<OnFinish>,
    on_pause: Option<OnPause>,
    form: Option<RunForm>,
}

/// Called once when a run ends.
type OnFinish = Rc<dyn Fn(&FinishedRun)>;

/// Called when a token error has paused the run and nothing is in flight any more.
type OnPause = Rc<dyn Fn(&ApiError)>;

/// The result set on screen: its rows, where it is stored, and which rows changed since the
/// table drew them and since storage saved them.
struct Shown {
    /// 1 for the first set, then 2, 3, …; a new number means new rows.
    id: u64,
    set: RefCell<ResultSet>,
    /// Its key in storage: its first run's start time and a random part, so that two tabs
    /// never collide.
    key: Rc<str>,
    /// When its first run started (ms since the epoch).
    started_at: f64,
    /// A set of the history, shown to read and export: nothing is sent for it. A run started
    /// over it makes it a set of this tab's again.
    read_only: Cell<bool>,
    /// How it was stored, for a set read back from storage.
    stored: Option<StoredOrigin>,
    /// Every request of the set's runs, in the order sent.
    log: RefCell<Vec<LoggedRequest>>,
    /// Positions whose outcome changed since the table last drew them.
    unseen: RefCell<Vec<usize>>,
    /// Positions whose outcome or request count changed since the last save.
    unsaved: RefCell<Vec<usize>>,
}

/// What a stored set says of the run that made it.
struct StoredOrigin {
    account: String,
    url: String,
    /// When it ended; its start time for an interrupted run.
    ended_at: f64,
}

impl Shown {
    fn new(id: u64, set: ResultSet, key: Rc<str>, started_at: f64) -> Shown {
        Shown {
            id,
            set: RefCell::new(set),
            key,
            started_at,
            read_only: Cell::new(false),
            stored: None,
            log: RefCell::default(),
            unseen: RefCell::default(),
            unsaved: RefCell::default(),
        }
    }

    /// A new set's key in storage.
    fn new_key(now: f64) -> Rc<str> {
        let random = (js_sys::Math::random() * 1e9) as u64;
        Rc::from(format!("{:013}-{random:09}", now as u64).as_str())
    }

    /// Devices at `positions` wait for a new run's answers: the table redraws them, and the
    /// next save writes them.
    fn wait_again(&self, positions: &[usize]) {
        let mut set = self.set.borrow_mut();
        for &p in positions {
            set.set(p, Outcome::Waiting);
        }
        *self.unseen.borrow_mut() = positions.to_vec();
        self.unsaved.borrow_mut().extend(positions);
        self.read_only.set(false);
    }
}

fn js_now() -> f64 {
    js_sys::Date::now()
}

impl RunController {
    /// A controller sending through `transport`, with `clock` giving ms since the epoch.
    pub fn new(transport: Transport, clock: fn() -> f64) -> RunController {
        RunController {
            shown: StoredValue::new_local(None),
            run: StoredValue::new_local(None),
            changed: Trigger::new(),
            wiring: StoredValue::new_local(Wiring {
                transport,
                clock,
                on_finish: None,
                on_pause: None,
                form: None,
            }),
            problems: RwSignal::new(Vec::new()),
            runs: StoredValue::new(0),
            sets: StoredValue::new(0),
        }
    }

    /// The app's controller: the network and the browser's clock.
    pub fn for_network() -> RunController {
        RunController::new(network(), js_now)
    }

    /// Called once when each run ends, with its account and counts.
    pub fn on_finish(&self, callback: impl Fn(&FinishedRun) + 'static) {
        self.wiring
            .update_value(|w| w.on_finish = Some(Rc::new(callback)));
    }

    /// Called each time a token error pauses a run, once its requests in flight came back, with
    /// the error (which says which token to renew).
    pub fn on_pause(&self, callback: impl Fn(&ApiError) + 'static) {
        self.wiring
            .update_value(|w| w.on_pause = Some(Rc::new(callback)));
    }

    /// Shows a new run and sends its first requests: over a new result set, or over devices of
    /// the set on screen when `into_current_set` (their outcomes wait again; the others keep
    /// theirs). Ignored while a run goes. Unchecked: the page's buttons start runs through
    /// [`RunController::synchronize`] and its siblings, which check the form first.
    pub fn start(&self, request: RunRequest) {
        if self.running_untracked() {
            return;
        }
        self.runs.update_value(|n| *n += 1);
        let devices = request.run.devices();
        let now = self.now();
        let current = self
            .shown
            .get_value()
            .filter(|_| request.into_current_set)
            .and_then(|shown| {
                let place = shown.set.borrow_mut().positions_of(devices);
                (place.len() == devices.len()).then_some((shown, place))
            });
        let (shown, place) = match current {
            Some((shown, place)) => {
                shown.wait_again(&place);
                (shown, place)
            }
            None => {
                let set = ResultSet::new(devices.to_vec());
                let id = self.next_set_id();
                let shown = Shown::new(id, set, Shown::new_key(now), now);
                (Rc::new(shown), (0..devices.len()).collect())
            }
        };
        let run = Rc::new(ActiveRun::new(*self, shown.clone(), place, request, now));
        self.shown.set_value(Some(shown));
        self.run.set_value(Some(run.clone()));
        self.changed.notify();
        run.pump();
    }

    fn next_set_id(&self) -> u64 {
        self.sets.update_value(|n| *n += 1);
        self.sets.get_value()
    }

    /// Shows a stored result set with no run going: to read and export when `read_only` (a set
    /// of the history), or to resume (Retry failed and Sync again then run over it, under its
    /// stored `key`). Ignored while a run goes.
    pub fn show(&self, stored: StoredSet, read_only: bool) {
        if self.running_untracked() {
            return;
        }
        self.runs.update_value(|n| *n += 1);
        let shown = Shown {
            read_only: Cell::new(read_only),
            stored: Some(StoredOrigin {
                account: stored.account,
                url: stored.url,
                ended_at: stored.ended_at.unwrap_or(stored.started_at),
            }),
            ..Shown::new(
                self.next_set_id(),
                stored.set,
                Rc::from(stored.key.as_str()),
                stored.started_at,
            )
        };
        self.shown.set_value(Some(Rc::new(shown)));
        self.run.set_value(None);
        self.changed.notify();
    }

    /// Stops the run: requests in flight are aborted, devices without an answer are "Not sent".
    pub fn cancel(&self) {
        if let Some(run) = self.run.get_value() {
            run.cancel();
        }
    }

    /// Goes on with a paused run, sending with `credentials` from now on (the portal's fresh
    /// tokens). Ignored unless the run on screen is paused.
    pub fn resume_with(&self, credentials: Credentials) {
        if let Some(run) = self.run.get_value() {
            run.resume(credentials);
        }
    }

    /// The clock's time; the browser's if the page that owned the controller is gone.
    fn now(&self) -> f64 {
        self.wiring
            .try_with_value(|w| (w.clock)())
            .unwrap_or_else(js_now)
    }

    /// Reads the set on screen, tracking every change to it or its run.
    fn read<T>(&self, f: impl FnOnce(&Shown) -> T) -> Option<T> {
        self.changed.track();
        self.shown.with_value(|s| s.as_deref().map(f))
    }

    /// Reads the run over the set on screen, tracking every change to it.
    fn read_run<T>(&self, f: impl FnOnce(&ActiveRun) -> T) -> Option<T> {
        self.changed.track();
        self.run.with_value(|r| r.as_deref().map(f))
    }

    /// Reads the set on screen without tracking; `None` also once the page is gone.
    fn read_untracked<T>(&self, f: impl FnOnce(&Shown) -> T) -> Option<T> {
        self.shown.try_with_value(|s| s.as_deref().map(f)).flatten()
    }

    /// True while a run goes; untracked.
    pub fn running_untracked(&self) -> bool {
        self.run
            .with_value(|r| r.as_ref().is_some_and(|r| r.ended_at.get().is_none()))
    }

    /// True from Synchronize until every device has its outcome.
    pub fn running(&self) -> bool {
        self.read_run(|r| r.ended_at.get().is_none())
            .unwrap_or(false)
    }

    /// The token error that paused the run on screen, if it is paused.
    /// Only once the requests in flight came back: one sent with the old tokens could still
    /// meet the error after a Resume with new ones.
    pub fn paused(&self) -> Option<ApiError> {
        self.read_run(ActiveRun::paused).flatten()
    }

    /// What the form must fix, from the last start it refused (Synchronize, Retry failed, Sync
    /// again, Resume); empty once one is accepted.
    pub fn problems(&self) -> ReadSignal<Vec<String>> {
        self.problems.read_only()
    }

    /// The number of the run on screen, 0 before the first; a stored set shown counts as one.
    pub fn run_id(&self) -> u64 {
        self.changed.track();
        self.runs.get_value()
    }

    /// The number of the result set on screen, 0 before the first: a new number means new rows.
    pub fn set_id(&self) -> u64 {
        self.read(|s| s.id).unwrap_or(0)
    }

    /// True while the set on screen is one of the history, shown read-only.
    pub fn read_only(&self) -> bool {
        self.read(|s| s.read_only.get()).unwrap_or(false)
    }

    /// The counts over the whole result set on screen.
    pub fn summary(&self) -> Option<Summary> {
        self.read(|s| s.set.borrow().summary())
    }

    /// How far the run on screen has got (its own devices only).
    /// A stored set shown with no run: its own counts.
    pub fn progress(&self) -> Progress {
        match self.read_run(|r| r.engine.borrow().progress()) {
            Some(p) if p.total != 0 => p,
            _ => self
                .read(|s| {
                    let s = s.set.borrow().summary();
                    Progress {
                        done: s.total - s.waiting,
                        total: s.total,
                        ..Progress::default()
                    }
                })
                .unwrap_or_default(),
        }
    }

    /// The adaptive pace of the run on screen while it goes; `None` at a fixed pace.
    pub fn pace(&self) -> Option<PaceFigures> {
        let now = self.now();
        self.read_run(|r| {
            r.engine
                .borrow()
                .pace(now)
                .filter(|_| r.ended_at.get().is_none())
        })
        .flatten()
    }

    /// What stopped the run, or the latest batch that failed for good.
    pub fn error(&self) -> Option<ApiError> {
        self.read_run(|r| r.engine.borrow().error().cloned())
            .flatten()
    }

    /// The account the answers named.
    pub fn answered_account(&self) -> Option<String> {
        self.read_run(|r| r.engine.borrow().account_name().map(str::to_owned))
            .flatten()
    }

    /// The account the run was started for.
    pub fn requested_account(&self) -> String {
        self.changed.track();
        self.target_untracked(|account, _| account.to_owned())
            .unwrap_or_default()
    }

    /// When the run started and, once over, ended (ms since the epoch); a stored set's own.
    pub fn times(&self) -> Option<(f64, Option<f64>)> {
        self.read_run(|r| (r.started_at, r.ended_at.get()))
            .or_else(|| {
                self.read(|s| {
                    let ended = s.stored.as_ref().map(|o| o.ended_at);
                    (s.started_at, ended)
                })
            })
    }

    /// The devices of the result set that did not succeed, for "Retry failed"; none while a
    /// run goes, and none for a set of the history (read-only).
    pub fn unsuccessful(&self) -> Vec<Imei> {
        if self.running() {
            return Vec::new();
        }
        self.read(|s| match s.read_only.get() {
            false => s.set.borrow().unsuccessful(),
            true => Vec::new(),
        })
        .unwrap_or_default()
    }

    /// How many requests carried each device of the result set on screen.
    pub fn requests_per_device(&self) -> Vec<u32> {
        self.read(|s| s.set.borrow().requests().to_vec())
            .unwrap_or_default()
    }

    /// Every device of the result set and its outcome so far, as CSV.
    pub fn csv(&self) -> String {
        self.read(|s| {
            let set = s.set.borrow();
            crate::core::export::csv(set.devices().iter().zip(set.outcomes()))
        })
        .unwrap_or_default()
    }

    /// Tracks every change to the set on screen and its run, for views that redraw on their
    /// own terms.
    pub fn track(&self) {
        self.changed.track();
    }

    /// The stored key of the set on screen, when its first run started, and whether it is a
    /// set of the history shown read-only; untracked.
    pub fn stored_identity_untracked(&self) -> Option<(Rc<str>, f64, bool)> {
        self.read_untracked(|s| (s.key.clone(), s.started_at, s.read_only.get()))
    }

    /// Calls `f` with result set `id`, if it is still on screen; untracked.
    pub fn with_rows_untracked<T>(&self, id: u64, f: impl FnOnce(&ResultSet) -> T) -> Option<T> {
        self.read_untracked(|s| (s.id == id).then(|| f(&s.set.borrow())))
            .flatten()
    }

    /// Calls `f` with the result set on screen, if any; untracked.
    pub fn with_set_untracked<T>(&self, f: impl FnOnce(&ResultSet) -> T) -> Option<T> {
        self.read_untracked(|s| f(&s.set.borrow()))
    }

    /// Calls `f` with the request log of the result set on screen (empty before a run);
    /// untracked.
    pub fn with_request_log_untracked<T>(&self, f: impl FnOnce(&[LoggedRequest]) -> T) -> T {
        let shown = self.shown.try_get_value().flatten();
        match shown {
            Some(s) => f(&s.log.borrow()),
            None => f(&[]),
        }
    }

    /// The account and API URL of the run on screen, or of the stored set shown; untracked.
    pub fn request_target_untracked(&self) -> Option<(String, String)> {
        self.target_untracked(|account, url| (account.to_owned(), url.to_owned()))
    }

    fn target_untracked<T>(&self, f: impl FnOnce(&str, &str) -> T) -> Option<T> {
        let run = self.run.try_get_value().flatten();
        match run {
            Some(r) => Some(f(&r.account, &r.url)),
            None => self
                .read_untracked(|s| s.stored.as_ref().map(|o| f(&o.account, &o.url)))
                .flatten(),
        }
    }

    /// The positions of result set `id` whose outcome changed since the last call; untracked.
    pub fn take_changed_rows(&self, id: u64) -> Vec<usize> {
        self.read_untracked(|s| match s.id == id {
            true => std::mem::take(&mut *s.unseen.borrow_mut()),
            false => Vec::new(),
        })
        .unwrap_or_default()
    }

    /// The positions of the set on screen whose outcome or request count changed since the
    /// last call, each once, in order; untracked. A whole save takes them all.
    pub fn take_unsaved(&self) -> Vec<usize> {
        let mut positions = self
            .read_untracked(|s| std::mem::take(&mut *s.unsaved.borrow_mut()))
            .unwrap_or_default();
        crate::core::sort_indexes(&mut positions, &|a, b| a.cmp(&b));
        positions.dedup();
        positions
    }
}
