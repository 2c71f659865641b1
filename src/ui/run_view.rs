//! The current run as signals: one per row, so a batch's answer re-renders only its own rows.

use leptos::prelude::*;

use crate::core::api_error::ApiError;
use crate::core::imei::Imei;
use crate::core::outcome::{Outcome, Summary};
use crate::core::run::{Change, Progress, SyncRun};

/// One row of the results table.
#[derive(Clone)]
pub struct RowView {
    /// Which run the row belongs to: a new run must not reuse an old row's signal.
    pub run: u64,
    pub position: usize,
    pub imei: Imei,
    /// Reference-counted, not owned by the reactive scope that started the run: "Retry failed"
    /// starts runs from a button that disappears, and would take arena signals with it.
    pub outcome: ArcRwSignal<Outcome>,
}

/// The run on screen. Cheap to copy: every field is a signal handle.
#[derive(Clone, Copy)]
pub struct RunView {
    /// Every device of the run; the table renders those in view.
    pub rows: RwSignal<Vec<RowView>>,
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
            rows: RwSignal::new(Vec::new()),
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
        let run_id = self
            .rows
            .with_untracked(|rows| rows.first().map_or(0, |r| r.run + 1));
        self.requested_account.set(account.to_owned());
        let rows = run
            .devices()
            .iter()
            .enumerate()
            .map(|(position, imei)| RowView {
                run: run_id,
                position,
                imei: *imei,
                outcome: ArcRwSignal::new(Outcome::Waiting),
            })
            .collect();
        self.rows.set(rows);
        self.summary.set(Some(run.summary()));
        self.account.set(None);
        self.error.set(None);
        self.progress.set(run.progress());
        self.started_at.set(now);
        self.ended_at.set(None);
        self.unsuccessful.set(Vec::new());
        self.running.set(true);
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
        self.rows.with_untracked(|rows| {
            for (position, outcome) in changes {
                if let Some(row) = rows.get(position) {
                    row.outcome.set(outcome);
                }
            }
        });
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
