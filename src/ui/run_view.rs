//! The current run as signals: one per row, so a batch's answer re-renders only its own rows.

use leptos::prelude::*;

use crate::core::api_error::ApiError;
use crate::core::imei::Imei;
use crate::core::outcome::{Outcome, Summary};
use crate::core::run::{Change, Progress, SyncRun};

/// Rows added to the table per animation frame.
const ROWS_PER_FRAME: usize = 250;

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
    pub rows: RwSignal<Vec<RowView>>,
    /// How many rows are in the table so far: a large run's rows are added a chunk per frame,
    /// so that the page never freezes while 10,000 of them are built.
    pub shown: RwSignal<usize>,
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
            shown: RwSignal::new(0),
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
        self.shown.set(0);
        self.show_more();
        self.summary.set(Some(run.summary()));
        self.account.set(None);
        self.error.set(None);
        self.progress.set(run.progress());
        self.started_at.set(now);
        self.ended_at.set(None);
        self.unsuccessful.set(Vec::new());
        self.running.set(true);
    }

    /// The rows currently in the table.
    pub fn shown_rows(&self) -> Vec<RowView> {
        let shown = self.shown.get();
        self.rows
            .with(|rows| rows[..shown.min(rows.len())].to_vec())
    }

    /// Adds the next chunk of rows, and asks for another frame until all are in.
    fn show_more(self) {
        let total = self.rows.with_untracked(Vec::len);
        let shown = self.shown.get_untracked();
        if shown >= total {
            return;
        }
        self.shown.set((shown + ROWS_PER_FRAME).min(total));
        let run_id = self.rows.with_untracked(|rows| rows.first().map(|r| r.run));
        request_animation_frame(move || {
            // A newer run replaced the rows: its own loop takes over.
            if self.rows.with_untracked(|rows| rows.first().map(|r| r.run)) == run_id {
                self.show_more();
            }
        });
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
