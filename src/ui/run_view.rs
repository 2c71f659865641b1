//! The current run as the page shows it: its rows, counts, progress and error.

use leptos::prelude::*;

use crate::core::api_error::ApiError;
use crate::core::imei::Imei;
use crate::core::outcome::{Outcome, Summary};
use crate::core::run::{Change, Progress, SyncRun};

/// The devices of the run on screen and their outcomes, which the results table draws.
#[derive(Default)]
pub struct Rows {
    pub devices: Vec<Imei>,
    pub outcomes: Vec<Outcome>,
    /// Positions whose outcome changed since the table last drew them.
    pub changed: Vec<usize>,
}

/// The run on screen. Cheap to copy: every field is a handle.
///
/// The rows are plain data rather than a signal per row: the table keeps 10,000 rows in the
/// DOM and redraws only those whose outcome changed (see `results_table`), which is far cheaper
/// than a reactive view per row.
#[derive(Clone, Copy)]
pub struct RunView {
    pub rows: StoredValue<Rows>,
    /// The number of the run `rows` belong to, 0 before the first: a new value means new rows,
    /// and the table starts over.
    pub run_id: RwSignal<u64>,
    /// Notified when outcomes changed (which ones: `Rows::changed`).
    pub rows_changed: Trigger,
    pub summary: RwSignal<Option<Summary>>,
    pub account: RwSignal<Option<String>>,
    /// The account the run was started for.
    pub requested_account: RwSignal<String>,
    pub error: RwSignal<Option<ApiError>>,
    pub running: RwSignal<bool>,
    pub progress: RwSignal<Progress>,
    /// When the run started and, once it ended, when it ended (ms since the epoch).
    pub started_at: RwSignal<f64>,
    pub ended_at: RwSignal<Option<f64>>,
    /// Devices of the finished run that did not succeed, for "Retry failed".
    pub unsuccessful: RwSignal<Vec<Imei>>,
}

impl RunView {
    pub fn new() -> RunView {
        RunView {
            rows: StoredValue::new(Rows::default()),
            run_id: RwSignal::new(0),
            rows_changed: Trigger::new(),
            summary: RwSignal::new(None),
            account: RwSignal::new(None),
            requested_account: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            running: RwSignal::new(false),
            progress: RwSignal::new(Progress::default()),
            started_at: RwSignal::new(0.0),
            ended_at: RwSignal::new(None),
            unsuccessful: RwSignal::new(Vec::new()),
        }
    }

    /// Replaces what is on screen with a new run whose devices all wait.
    pub fn start(&self, run: &SyncRun, account: &str, now: f64) {
        self.requested_account.set(account.to_owned());
        self.rows.set_value(Rows {
            devices: run.devices().to_vec(),
            outcomes: run.outcomes().to_vec(),
            changed: Vec::new(),
        });
        self.run_id.update(|id| *id += 1);
        self.summary.set(Some(run.summary()));
        self.account.set(None);
        self.error.set(None);
        self.progress.set(run.progress());
        self.started_at.set(now);
        self.ended_at.set(None);
        self.unsuccessful.set(Vec::new());
        self.running.set(true);
    }

    /// Every device of the run and its outcome so far, as CSV.
    pub fn csv(&self) -> String {
        self.rows
            .with_value(|r| crate::core::export::csv(r.devices.iter().zip(&r.outcomes)))
    }

    pub fn show_progress(&self, run: &SyncRun) {
        let progress = run.progress();
        if self.progress.get_untracked() != progress {
            self.progress.set(progress);
        }
    }

    /// The run is over: nothing waits and nothing is in flight.
    pub fn finish(&self, run: &SyncRun) {
        self.ended_at.set(Some(js_sys::Date::now()));
        self.unsuccessful.set(run.unsuccessful());
        self.running.set(false);
    }

    /// Shows the devices whose outcome changed, and the run's new totals.
    pub fn apply(&self, run: &SyncRun, changes: Vec<Change>) {
        if !changes.is_empty() {
            self.rows.update_value(|rows| {
                for (position, outcome) in changes {
                    if let Some(slot) = rows.outcomes.get_mut(position) {
                        *slot = outcome;
                        rows.changed.push(position);
                    }
                }
            });
            self.rows_changed.notify();
        }
        self.summary.set(Some(run.summary()));
        if let Some(name) = run.account_name() {
            if self.account.with_untracked(|a| a.as_deref() != Some(name)) {
                self.account.set(Some(name.to_owned()));
            }
        }
        self.error.set(run.error().cloned());
    }
}

impl Default for RunView {
    fn default() -> Self {
        RunView::new()
    }
}
