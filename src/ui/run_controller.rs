//! The run on screen and its one owner. What happens when an answer arrives is in this file:
//! [`Active::send`] hands the result to the engine ([`SyncRun::complete`]), records which rows
//! changed, notifies every view once, and fills the freed request slot ([`Active::pump`]).
//!
//! The engine's state is the only state: progress, error and "running" are read from the
//! [`SyncRun`], the rows and the summary from the [`ResultSet`] its outcomes are written into,
//! through [`RunController`]'s methods, which track one trigger, so nothing is copied by hand
//! into signals that must be kept in step. A run ends once, by construction: only `pump` sets its
//! end time, and only while it has none.
//!
//! Synchronize starts a new result set; "Retry failed" runs over devices of the set on screen,
//! whose new outcomes replace their old ones there ([`RunRequest::into_current_set`]).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{AbortController, AbortSignal};

use crate::core::api_error::ApiError;
use crate::core::evidence::RequestRecord;
use crate::core::fota::{request_body, SyncAnswer};
use crate::core::imei::Imei;
use crate::core::outcome::{Outcome, Summary};
use crate::core::pace::PaceFigures;
use crate::core::results::ResultSet;
use crate::core::run::{Batch, Completion, Next, Progress, SyncRun};
use crate::net::{put_devices, Answered, CallError, Credentials};

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

/// A new set's key in storage: its start time and a random part, so that two tabs never
/// collide.
fn new_set_key(now: f64) -> Rc<str> {
    let random = (js_sys::Math::random() * 1e9) as u64;
    Rc::from(format!("{:013}-{random:09}", now as u64).as_str())
}

/// One request of the result set's runs: its record, and what `Copy as cURL` needs to repeat it.
pub struct LoggedRequest {
    pub record: RequestRecord,
    pub url: Rc<str>,
    pub devices: Vec<Imei>,
}

/// Called once when a run ends.
type OnFinish = Rc<dyn Fn(&FinishedRun)>;

/// Called when a token error has paused the run and nothing is in flight any more.
type OnPause = Rc<dyn Fn(&ApiError)>;

/// A run that ended, as the portal is told of it.
pub struct FinishedRun {
    pub account: String,
    pub summary: Summary,
}

/// The one owner of the run on screen. Cheap to copy: every field is a handle.
#[derive(Clone, Copy)]
pub struct RunController {
    current: StoredValue<Option<Rc<Active>>, LocalStorage>,
    /// Notified whenever the run on screen changed; every view reads through it.
    changed: Trigger,
    transport: StoredValue<Transport, LocalStorage>,
    clock: StoredValue<fn() -> f64, LocalStorage>,
    on_finish: StoredValue<Option<OnFinish>, LocalStorage>,
    on_pause: StoredValue<Option<OnPause>, LocalStorage>,
    runs: StoredValue<u64>,
    sets: StoredValue<u64>,
}

/// A run and what drives it: its requests, its backoff timer, its cancel signal.
struct Active {
    /// 1 for the first run, then 2, 3, …
    id: u64,
    /// The result set's number: 1 for the first, then 2, 3, …; a new number means new rows.
    set_id: u64,
    set: Rc<RefCell<ResultSet>>,
    /// The set's key in storage, and when its first run started (ms since the epoch).
    set_key: Rc<str>,
    set_started_at: f64,
    /// A set of the history, shown to read and export: nothing is sent for it.
    read_only: bool,
    /// Every request of the set's runs, in the order sent.
    log: Rc<RefCell<Vec<LoggedRequest>>>,
    /// The request URL, shared by the run's log entries.
    shared_url: Rc<str>,
    /// The position in the set of each device of the run.
    place: Vec<usize>,
    account: String,
    run: RefCell<SyncRun>,
    url: String,
    /// Replaced when a paused run resumes with new tokens.
    credentials: RefCell<Credentials>,
    timeout_ms: u32,
    abort: AbortController,
    timer_at: Cell<Option<f64>>,
    started_at: f64,
    /// Set once, by `pump`, when the engine says the run is finished.
    ended_at: Cell<Option<f64>>,
    /// The page (and a portal) was told of the current pause.
    pause_told: Cell<bool>,
    /// Positions in the set whose outcome changed since the table last drew them.
    unseen: RefCell<Vec<usize>>,
    /// Positions in the set whose outcome or request count changed since the last save.
    unsaved: RefCell<Vec<usize>>,
    controller: RunController,
}

fn js_now() -> f64 {
    js_sys::Date::now()
}

impl RunController {
    /// A controller sending through `transport`, with `clock` giving ms since the epoch.
    pub fn new(transport: Transport, clock: fn() -> f64) -> RunController {
        RunController {
            current: StoredValue::new_local(None),
            changed: Trigger::new(),
            transport: StoredValue::new_local(transport),
            clock: StoredValue::new_local(clock),
            on_finish: StoredValue::new_local(None),
            on_pause: StoredValue::new_local(None),
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
        self.on_finish.set_value(Some(Rc::new(callback)));
    }

    /// Called each time a token error pauses a run, once its requests in flight came back, with
    /// the error (which says which token to renew).
    pub fn on_pause(&self, callback: impl Fn(&ApiError) + 'static) {
        self.on_pause.set_value(Some(Rc::new(callback)));
    }

    /// Goes on with a paused run, sending with `credentials` from now on. Ignored unless the
    /// run on screen is paused.
    pub fn resume(&self, credentials: Credentials) {
        let Some(active) = self.current.get_value() else {
            return;
        };
        if active.ended_at.get().is_some() || active.run.borrow().paused().is_none() {
            return;
        }
        *active.credentials.borrow_mut() = credentials;
        active.pause_told.set(false);
        active.run.borrow_mut().resume();
        active.pump();
    }

    /// The token error that paused the run on screen, if it is paused.
    /// Only once the requests in flight came back: one sent with the old tokens could still
    /// meet the error after a Resume with new ones.
    pub fn paused(&self) -> Option<ApiError> {
        self.read(|a| {
            let run = a.run.borrow();
            run.paused().filter(|_| run.in_flight() == 0).cloned()
        })
        .flatten()
    }

    /// Shows a new run and sends its first requests. Ignored while a run goes.
    pub fn start(&self, request: RunRequest) {
        if self.running_untracked() {
            return;
        }
        let id = self.runs.get_value() + 1;
        self.runs.set_value(id);
        let devices = request.run.devices();
        // The set on screen, if the run's devices are all of it; its devices wait again.
        let current = self
            .current
            .get_value()
            .filter(|_| request.into_current_set)
            .and_then(|previous| {
                let place = previous.set.borrow_mut().positions_of(devices);
                (place.len() == devices.len()).then_some((previous, place))
            });
        let now = self.now();
        // Positions of the set on screen not saved yet, and the ones waiting again.
        let mut carried = Vec::new();
        let (set_id, set, log, place, unseen, set_key, set_started_at) = match current {
            Some((previous, place)) => {
                for &p in &place {
                    previous.set.borrow_mut().set(p, Outcome::Waiting);
                }
                carried = std::mem::take(&mut *previous.unsaved.borrow_mut());
                carried.extend(&place);
                let (set, log) = (previous.set.clone(), previous.log.clone());
                let key = previous.set_key.clone();
                let started = previous.set_started_at;
                (
                    previous.set_id,
                    set,
                    log,
                    place.clone(),
                    place,
                    key,
                    started,
                )
            }
            None => {
                let set_id = self.next_set_id();
                let set = Rc::new(RefCell::new(ResultSet::new(devices.to_vec())));
                let place = (0..devices.len()).collect();
                let key = new_set_key(now);
                (set_id, set, Rc::default(), place, Vec::new(), key, now)
            }
        };
        let active = Rc::new(Active {
            id,
            set_id,
            set,
            set_key,
            set_started_at,
            read_only: false,
            log,
            shared_url: Rc::from(request.url.as_str()),
            place,
            account: request.account,
            run: RefCell::new(request.run),
            url: request.url,
            credentials: RefCell::new(request.credentials),
            timeout_ms: request.timeout_ms,
            abort: AbortController::new().expect("AbortController is available"),
            timer_at: Cell::new(None),
            started_at: now,
            ended_at: Cell::new(None),
            pause_told: Cell::new(false),
            unseen: RefCell::new(unseen),
            unsaved: RefCell::new(carried),
            controller: *self,
        });
        self.current.set_value(Some(active.clone()));
        self.changed.notify();
        active.pump();
    }

    fn next_set_id(&self) -> u64 {
        let id = self.sets.get_value() + 1;
        self.sets.set_value(id);
        id
    }

    /// Shows a stored result set with no run going: to read and export when `read_only` (a set
    /// of the history), or to resume (Retry failed and Sync again then run over it, under its
    /// stored `key`). Ignored while a run goes.
    pub fn show(&self, stored: StoredSet, read_only: bool) {
        if self.running_untracked() {
            return;
        }
        let run = SyncRun::new(Vec::new(), crate::core::run::RunSettings::default());
        let id = self.runs.get_value() + 1;
        self.runs.set_value(id);
        let active = Rc::new(Active {
            id,
            set_id: self.next_set_id(),
            set: Rc::new(RefCell::new(stored.set)),
            set_key: Rc::from(stored.key.as_str()),
            set_started_at: stored.started_at,
            read_only,
            log: Rc::default(),
            shared_url: Rc::from(stored.url.as_str()),
            place: Vec::new(),
            account: stored.account,
            run: RefCell::new(run),
            url: stored.url,
            credentials: RefCell::new(Credentials::default()),
            timeout_ms: 0,
            abort: AbortController::new().expect("AbortController is available"),
            timer_at: Cell::new(None),
            started_at: stored.started_at,
            ended_at: Cell::new(stored.ended_at.or(Some(stored.started_at))),
            pause_told: Cell::new(false),
            unseen: RefCell::new(Vec::new()),
            unsaved: RefCell::new(Vec::new()),
            controller: *self,
        });
        self.current.set_value(Some(active));
        self.changed.notify();
    }

    /// The stored key of the set on screen, when its first run started, and whether it is a
    /// set of the history shown read-only; untracked.
    pub fn stored_identity(&self) -> Option<(Rc<str>, f64, bool)> {
        self.current
            .try_with_value(|c| {
                c.as_ref()
                    .map(|a| (a.set_key.clone(), a.set_started_at, a.read_only))
            })
            .flatten()
    }

    /// True while the set on screen is one of the history, shown read-only.
    pub fn read_only(&self) -> bool {
        self.read(|a| a.read_only).unwrap_or(false)
    }

    /// Stops the run: requests in flight are aborted, devices without an answer are "Not sent".
    pub fn cancel(&self) {
        let Some(active) = self.current.get_value() else {
            return;
        };
        let changes = active.run.borrow_mut().cancel();
        active.abort.abort();
        active.record(changes);
        active.pump();
    }

    /// The clock's time; the browser's if the page that owned the controller is gone.
    fn now(&self) -> f64 {
        self.clock
            .try_get_value()
            .map_or_else(js_now, |clock| clock())
    }

    /// Reads the run on screen, tracking every change to it.
    fn read<T>(&self, f: impl FnOnce(&Active) -> T) -> Option<T> {
        self.changed.track();
        self.current.with_value(|c| c.as_deref().map(f))
    }

    /// True while a run goes; untracked.
    pub fn running_untracked(&self) -> bool {
        self.current
            .with_value(|c| c.as_ref().is_some_and(|a| a.ended_at.get().is_none()))
    }

    /// The number of the run on screen, 0 before the first.
    pub fn run_id(&self) -> u64 {
        self.read(|a| a.id).unwrap_or(0)
    }

    /// The number of the result set on screen, 0 before the first: a new number means new rows.
    pub fn set_id(&self) -> u64 {
        self.read(|a| a.set_id).unwrap_or(0)
    }

    /// True from Synchronize until every device has its outcome.
    pub fn running(&self) -> bool {
        self.read(|a| a.ended_at.get().is_none()).unwrap_or(false)
    }

    /// The counts over the whole result set on screen.
    pub fn summary(&self) -> Option<Summary> {
        self.read(|a| a.set.borrow().summary())
    }

    /// How far the run on screen has got (its own devices only).
    /// A stored set shown with no run: its own counts.
    pub fn progress(&self) -> Progress {
        self.read(|a| match a.run.borrow().progress() {
            Progress { total: 0, .. } => {
                let s = a.set.borrow().summary();
                Progress {
                    done: s.total - s.waiting,
                    total: s.total,
                    ..Progress::default()
                }
            }
            p => p,
        })
        .unwrap_or_default()
    }

    /// The adaptive pace of the run on screen while it goes; `None` at a fixed pace.
    pub fn pace(&self) -> Option<PaceFigures> {
        let now = self.now();
        self.read(|a| {
            a.run
                .borrow()
                .pace(now)
                .filter(|_| a.ended_at.get().is_none())
        })
        .flatten()
    }

    /// What stopped the run, or the latest batch that failed for good.
    pub fn error(&self) -> Option<ApiError> {
        self.read(|a| a.run.borrow().error().cloned()).flatten()
    }

    /// The account the answers named.
    pub fn answered_account(&self) -> Option<String> {
        self.read(|a| a.run.borrow().account_name().map(str::to_owned))
            .flatten()
    }

    /// The account the run was started for.
    pub fn requested_account(&self) -> String {
        self.read(|a| a.account.clone()).unwrap_or_default()
    }

    /// When the run started and, once over, ended (ms since the epoch).
    pub fn times(&self) -> Option<(f64, Option<f64>)> {
        self.read(|a| (a.started_at, a.ended_at.get()))
    }

    /// The devices of the result set that did not succeed, for "Retry failed"; none while a
    /// run goes, and none for a set of the history (read-only).
    pub fn unsuccessful(&self) -> Vec<Imei> {
        self.read(|a| match a.ended_at.get() {
            Some(_) if !a.read_only => a.set.borrow().unsuccessful(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
    }

    /// Every device of the result set and its outcome so far, as CSV.
    pub fn csv(&self) -> String {
        self.current
            .with_value(|c| {
                c.as_ref().map(|a| {
                    let set = a.set.borrow();
                    crate::core::export::csv(set.devices().iter().zip(set.outcomes()))
                })
            })
            .unwrap_or_default()
    }

    /// Calls `f` with result set `id`, if it is still on screen;
    /// untracked.
    pub fn with_rows<T>(&self, id: u64, f: impl FnOnce(&ResultSet) -> T) -> Option<T> {
        self.current.try_with_value(|c| {
            let a = c.as_ref().filter(|a| a.set_id == id)?;
            let set = a.set.borrow();
            Some(f(&set))
        })?
    }

    /// The positions of result set `id` whose outcome changed since the last call; untracked.
    pub fn take_changed_rows(&self, id: u64) -> Vec<usize> {
        self.current
            .try_with_value(|c| {
                c.as_ref()
                    .filter(|a| a.set_id == id)
                    .map(|a| std::mem::take(&mut *a.unseen.borrow_mut()))
            })
            .flatten()
            .unwrap_or_default()
    }

    /// The positions of the set on screen whose outcome or request count changed since the
    /// last call, each once, in order; untracked. A whole save takes them all.
    pub fn take_unsaved(&self) -> Vec<usize> {
        let mut positions = self
            .current
            .try_with_value(|c| {
                c.as_ref()
                    .map(|a| std::mem::take(&mut *a.unsaved.borrow_mut()))
            })
            .flatten()
            .unwrap_or_default();
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    /// Calls `f` with the request log of the result set on screen (empty before a run); untracked.
    pub fn with_request_log<T>(&self, f: impl FnOnce(&[LoggedRequest]) -> T) -> T {
        let log = self
            .current
            .try_with_value(|c| c.as_ref().map(|a| a.log.clone()))
            .flatten()
            .unwrap_or_default();
        let log = log.borrow();
        f(&log)
    }

    /// Calls `f` with the result set on screen, if any; untracked.
    pub fn with_set<T>(&self, f: impl FnOnce(&ResultSet) -> T) -> Option<T> {
        self.current
            .try_with_value(|c| c.as_ref().map(|a| f(&a.set.borrow())))
            .flatten()
    }

    /// The account and API URL of the run on screen; untracked.
    pub fn request_target(&self) -> Option<(String, String)> {
        self.current
            .try_with_value(|c| c.as_ref().map(|a| (a.account.clone(), a.url.clone())))
            .flatten()
    }

    /// How many requests carried each device of the result set on screen; untracked.
    pub fn requests_per_device(&self) -> Vec<u32> {
        self.current
            .try_with_value(|c| c.as_ref().map(|a| a.set.borrow().requests().to_vec()))
            .flatten()
            .unwrap_or_default()
    }

    /// Tracks every change to the run on screen, for views that redraw on their own terms.
    pub fn track(&self) {
        self.changed.track();
    }
}

impl Active {
    /// Fills every free request slot, waits out backoffs with a timer, and ends the run once.
    fn pump(self: &Rc<Self>) {
        if self.ended_at.get().is_some() {
            return;
        }
        let ctl = self.controller;
        loop {
            let next = self.run.borrow_mut().next(ctl.now());
            match next {
                Next::Send(batch) => {
                    let sent = self.run.borrow().batch_positions(batch.id);
                    let place = &self.place;
                    let sent: Vec<usize> = sent.filter_map(|i| place.get(i).copied()).collect();
                    self.set.borrow_mut().count_request(sent.iter().copied());
                    self.unsaved.borrow_mut().extend(sent);
                    spawn_local(self.clone().send(batch));
                }
                Next::WaitUntil(at) => {
                    self.wake_at(at);
                    break;
                }
                Next::Busy => break,
                Next::Paused => {
                    // Once per pause: a backoff timer that fires meanwhile pumps again.
                    if !self.pause_told.replace(true) {
                        if let Some(callback) = ctl.on_pause.try_get_value().flatten() {
                            if let Some(error) = self.run.borrow().paused() {
                                callback(error);
                            }
                        }
                    }
                    break;
                }
                Next::Finished => {
                    self.ended_at.set(Some(ctl.now()));
                    if let Some(callback) = ctl.on_finish.try_get_value().flatten() {
                        callback(&FinishedRun {
                            account: self.account.clone(),
                            summary: self.set.borrow().summary(),
                        });
                    }
                    break;
                }
            }
        }
        ctl.changed.notify();
    }

    /// Asks to be pumped again at `at`, unless an earlier wake-up is already set.
    fn wake_at(self: &Rc<Self>, at: f64) {
        if self.timer_at.get().is_some_and(|t| t <= at) {
            return;
        }
        self.timer_at.set(Some(at));
        let active = self.clone();
        let delay = Duration::from_millis(
            ((at - self.controller.now()).max(0.0).ceil() as u64).min(crate::net::MAX_TIMER_MS),
        );
        set_timeout(
            move || {
                active.timer_at.set(None);
                active.pump();
            },
            delay,
        );
    }

    /// Sends one batch, and hands how it ended to the engine.
    async fn send(self: Rc<Self>, batch: Batch) {
        let Some(transport) = self.controller.transport.try_get_value() else {
            return;
        };
        let answered = Rc::new(RefCell::new(Answered::default()));
        let started_at = self.controller.now();
        let credentials = self.credentials.borrow().clone();
        let result = transport(SyncRequest {
            url: self.url.clone(),
            credentials,
            body: request_body(&batch.devices),
            timeout_ms: self.timeout_ms,
            cancel: self.abort.signal(),
            answered: answered.clone(),
        })
        .await;
        let answered = answered.take();
        let record = RequestRecord {
            batch: batch.id,
            attempt: batch.attempt,
            devices: batch.devices.len(),
            status: answered.status,
            duration_ms: self.controller.now() - started_at,
            started_at_ms: started_at,
            ..RequestRecord::default()
        };
        self.log.borrow_mut().push(LoggedRequest {
            record: record.with_answer(&answered.text),
            url: self.shared_url.clone(),
            devices: batch.devices.clone(),
        });
        let result = match result {
            Err(CallError::Cancelled) => {
                self.run.borrow_mut().abandon(batch.id);
                self.pump();
                return;
            }
            Ok(answer) => Ok(answer),
            Err(CallError::Api(error)) => Err(error),
        };
        let changes = self.run.borrow_mut().complete(Completion {
            batch_id: batch.id,
            result,
            now: self.controller.now(),
            jitter: js_sys::Math::random(),
        });
        if self.run.borrow().is_stopped() {
            self.abort.abort();
        }
        self.record(changes);
        self.pump();
    }

    /// Writes the run's changed outcomes into the result set, and remembers which rows the
    /// table must redraw.
    fn record(&self, changes: Vec<(usize, Outcome)>) {
        let mut set = self.set.borrow_mut();
        let mut unseen = self.unseen.borrow_mut();
        let mut unsaved = self.unsaved.borrow_mut();
        for (i, outcome) in changes {
            if let Some(&p) = self.place.get(i) {
                set.set(p, outcome);
                unseen.push(p);
                unsaved.push(p);
            }
        }
    }
}
