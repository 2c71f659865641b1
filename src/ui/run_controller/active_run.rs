//! A run and what drives it: [`ActiveRun::send`] hands each answer to the engine
//! ([`SyncRun::complete`]), writes the changed outcomes into the set on screen, notifies every
//! view once, and fills the freed request slot ([`ActiveRun::pump`]). A run ends once, by
//! construction: only `pump` sets its end time, and only while it has none.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortController;

use super::{FinishedRun, LoggedRequest, RunController, RunRequest, Shown, SyncRequest};
use crate::core::api_error::ApiError;
use crate::core::evidence::RequestRecord;
use crate::core::fota::request_body;
use crate::core::outcome::Outcome;
use crate::core::run::{Batch, Completion, Next, SyncRun};
use crate::net::{Answered, CallError, Credentials};

/// The latest run over the set on screen: the engine, where its requests go, its timer.
pub(super) struct ActiveRun {
    /// The set its outcomes are written into, and the position there of each of its devices.
    shown: Rc<Shown>,
    place: Vec<usize>,
    pub(super) engine: RefCell<SyncRun>,
    pub(super) account: String,
    /// The request URL, shared by the run's log entries.
    pub(super) url: Rc<str>,
    /// Replaced when a paused run resumes with new tokens.
    credentials: RefCell<Credentials>,
    timeout_ms: u32,
    /// Aborts the requests in flight when the run is cancelled or stopped.
    abort: AbortController,
    /// When the backoff timer set last is due, while it is.
    timer_at: Cell<Option<f64>>,
    /// ms since the epoch.
    pub(super) started_at: f64,
    /// Set once, by `pump`, when the engine says the run is finished.
    pub(super) ended_at: Cell<Option<f64>>,
    /// The page (and a portal) was told of the current pause.
    pause_told: Cell<bool>,
    controller: RunController,
}

impl ActiveRun {
    /// The run of `request` over `place` (its devices' positions) in `shown`, started at `now`.
    pub(super) fn new(
        controller: RunController,
        shown: Rc<Shown>,
        place: Vec<usize>,
        request: RunRequest,
        now: f64,
    ) -> ActiveRun {
        ActiveRun {
            shown,
            place,
            engine: RefCell::new(request.run),
            account: request.account,
            url: Rc::from(request.url),
            credentials: RefCell::new(request.credentials),
            timeout_ms: request.timeout_ms,
            abort: AbortController::new().expect("AbortController is available"),
            timer_at: Cell::new(None),
            started_at: now,
            ended_at: Cell::new(None),
            pause_told: Cell::new(false),
            controller,
        }
    }

    /// The token error that paused the run, once the requests in flight came back.
    pub(super) fn paused(&self) -> Option<ApiError> {
        let engine = self.engine.borrow();
        engine.paused().filter(|_| engine.in_flight() == 0).cloned()
    }

    /// Goes on sending with `credentials`, if the run is paused.
    pub(super) fn resume(self: &Rc<Self>, credentials: Credentials) {
        if self.ended_at.get().is_some() || self.engine.borrow().paused().is_none() {
            return;
        }
        *self.credentials.borrow_mut() = credentials;
        self.pause_told.set(false);
        self.engine.borrow_mut().resume();
        self.pump();
    }

    /// Aborts the requests in flight; devices without an answer are "Not sent".
    pub(super) fn cancel(self: &Rc<Self>) {
        let changes = self.engine.borrow_mut().cancel();
        self.abort.abort();
        self.record(changes);
        self.pump();
    }

    /// Fills every free request slot, waits out backoffs with a timer, and ends the run once.
    pub(super) fn pump(self: &Rc<Self>) {
        if self.ended_at.get().is_some() {
            return;
        }
        let ctl = self.controller;
        loop {
            let next = self.engine.borrow_mut().next(ctl.now());
            match next {
                Next::Send(batch) => {
                    let sent = self.engine.borrow().batch_positions(batch.id);
                    let place = &self.place;
                    let sent: Vec<usize> = sent.filter_map(|i| place.get(i).copied()).collect();
                    self.shown
                        .set
                        .borrow_mut()
                        .count_request(sent.iter().copied());
                    self.shown.unsaved.borrow_mut().extend(sent);
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
                        let callback = ctl.wiring.try_with_value(|w| w.on_pause.clone());
                        if let Some(callback) = callback.flatten() {
                            if let Some(error) = self.engine.borrow().paused() {
                                callback(error);
                            }
                        }
                    }
                    break;
                }
                Next::Finished => {
                    self.ended_at.set(Some(ctl.now()));
                    let callback = ctl.wiring.try_with_value(|w| w.on_finish.clone());
                    if let Some(callback) = callback.flatten() {
                        callback(&FinishedRun {
                            account: self.account.clone(),
                            summary: self.shown.set.borrow().summary(),
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
        let run = self.clone();
        let delay = Duration::from_millis(
            ((at - self.controller.now()).max(0.0).ceil() as u64).min(crate::net::MAX_TIMER_MS),
        );
        set_timeout(
            move || {
                run.timer_at.set(None);
                run.pump();
            },
            delay,
        );
    }

    /// Sends one batch, and hands how it ended to the engine.
    async fn send(self: Rc<Self>, batch: Batch) {
        let ctl = self.controller;
        let Some(transport) = ctl.wiring.try_with_value(|w| w.transport.clone()) else {
            return;
        };
        let answered = Rc::new(RefCell::new(Answered::default()));
        let started_at = ctl.now();
        let credentials = self.credentials.borrow().clone();
        let result = transport(SyncRequest {
            url: self.url.to_string(),
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
            duration_ms: ctl.now() - started_at,
            started_at_ms: started_at,
            ..RequestRecord::default()
        };
        self.shown.log.borrow_mut().push(LoggedRequest {
            record: record.with_answer(&answered.text),
            url: self.url.clone(),
            devices: batch.devices.clone(),
        });
        let result = match result {
            Err(CallError::Cancelled) => {
                self.engine.borrow_mut().abandon(batch.id);
                self.pump();
                return;
            }
            Ok(answer) => Ok(answer),
            Err(CallError::Api(error)) => Err(error),
        };
        let changes = self.engine.borrow_mut().complete(Completion {
            batch_id: batch.id,
            result,
            now: ctl.now(),
            jitter: js_sys::Math::random(),
        });
        if self.engine.borrow().is_stopped() {
            self.abort.abort();
        }
        self.record(changes);
        self.pump();
    }

    /// Writes the run's changed outcomes into the set on screen, and remembers which rows the
    /// table must redraw and storage must save.
    fn record(&self, changes: Vec<(usize, Outcome)>) {
        let mut set = self.shown.set.borrow_mut();
        let mut unseen = self.shown.unseen.borrow_mut();
        let mut unsaved = self.shown.unsaved.borrow_mut();
        for (i, outcome) in changes {
            if let Some(&p) = self.place.get(i) {
                set.set(p, outcome);
                unseen.push(p);
                unsaved.push(p);
            }
        }
    }
}
