//! Drives a run in the browser: fills every free request slot, waits out backoffs with a timer,
//! feeds each answer to the engine and shows what changed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortController;

use super::run_view::RunView;
use crate::core::fota::request_body;
use crate::core::run::{Batch, Completion, Next, SyncRun};
use crate::net::{put_devices, CallError, Credentials};

/// Everything a run needs, once the form checked out.
pub struct RunRequest {
    pub account: String,
    pub url: String,
    pub credentials: Credentials,
    pub timeout_ms: u32,
    pub run: SyncRun,
}

/// A run in progress. Shared by its requests, its timer and the Cancel button.
pub struct Runner {
    run: RefCell<SyncRun>,
    url: String,
    credentials: Credentials,
    timeout_ms: u32,
    abort: AbortController,
    view: RunView,
    timer_at: Cell<Option<f64>>,
    /// Set once the run is over. A backoff timer can still fire after a token error or Cancel
    /// ended the run; it must neither end it a second time (a second result message to the
    /// portal) nor touch the view, which may already show a newer run.
    finished: Cell<bool>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl Runner {
    /// Shows the new run and sends its first requests.
    pub fn start(view: RunView, request: RunRequest) -> Rc<Runner> {
        view.start(&request.run, &request.account, now());
        let runner = Rc::new(Runner {
            run: RefCell::new(request.run),
            url: request.url,
            credentials: request.credentials,
            timeout_ms: request.timeout_ms,
            abort: AbortController::new().expect("AbortController is available"),
            view,
            timer_at: Cell::new(None),
            finished: Cell::new(false),
        });
        runner.pump();
        runner
    }

    /// Stops the run: requests in flight are aborted, devices without an answer are "Not sent".
    pub fn cancel(self: &Rc<Self>) {
        let changes = self.run.borrow_mut().cancel();
        self.abort.abort();
        self.view.apply(&self.run.borrow(), changes);
        self.pump();
    }

    fn pump(self: &Rc<Self>) {
        if self.finished.get() {
            return;
        }
        loop {
            let next = self.run.borrow_mut().next(now());
            match next {
                Next::Send(batch) => spawn_local(self.clone().send(batch)),
                Next::WaitUntil(at) => {
                    self.wake_at(at);
                    break;
                }
                Next::Busy => break,
                Next::Finished => {
                    self.finished.set(true);
                    self.view.finish(&self.run.borrow());
                    break;
                }
            }
        }
        self.view.show_progress(&self.run.borrow());
    }

    /// Asks to be pumped again at `at`, unless an earlier wake-up is already set.
    fn wake_at(self: &Rc<Self>, at: f64) {
        if self.timer_at.get().is_some_and(|t| t <= at) {
            return;
        }
        self.timer_at.set(Some(at));
        let runner = self.clone();
        let delay = Duration::from_millis((at - now()).max(0.0).ceil() as u64);
        set_timeout(
            move || {
                runner.timer_at.set(None);
                runner.pump();
            },
            delay,
        );
    }

    async fn send(self: Rc<Self>, batch: Batch) {
        let body = request_body(&batch.devices);
        let result = put_devices(
            &self.url,
            &self.credentials,
            body,
            self.timeout_ms,
            Some(&self.abort.signal()),
        )
        .await;
        let changes = {
            let mut run = self.run.borrow_mut();
            let result = match result {
                Err(CallError::Cancelled) => {
                    run.abandon(batch.id);
                    None
                }
                Ok(answer) => Some(Ok(answer)),
                Err(CallError::Api(error)) => Some(Err(error)),
            };
            result.map_or_else(Vec::new, |result| {
                run.complete(Completion {
                    batch_id: batch.id,
                    result,
                    now: now(),
                    jitter: js_sys::Math::random(),
                })
            })
        };
        if self.run.borrow().is_stopped() {
            self.abort.abort();
        }
        self.view.apply(&self.run.borrow(), changes);
        self.pump();
    }
}
