//! A sync run: the validated devices split into requests of at most 100, sent a few at a time
//! (as many as the adaptive [`Pace`] allows, or a fixed number), retried when a retry can help,
//! and every device brought to exactly one terminal outcome.
//!
//! The engine is a plain state machine: the caller asks what to send next, performs the request,
//! and reports how it ended. Time is passed in, so tests drive it with a fake clock.

use std::ops::Range;

use super::api_error::ApiError;
use super::fota::{SyncAnswer, MAX_DEVICES_PER_REQUEST};
use super::imei::Imei;
use super::outcome::{outcomes_of, Outcome, Summary};
use super::pace::{Answer, Gate, Pace, PaceFigures, Signal};

/// Most requests in flight at once.
pub const MAX_CONCURRENCY: usize = 16;
/// Most tries per batch.
pub const MAX_ATTEMPTS: u32 = 10;

/// How many requests a run keeps in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pacing {
    /// As many as the server's answers show it takes, up to `concurrency` ([`Pace`]).
    #[default]
    Adaptive,
    /// Always `concurrency`.
    Fixed,
}

impl Pacing {
    /// `"adaptive"` or `"fixed"`, as `config.json` spells them.
    pub fn parse(name: &str) -> Option<Pacing> {
        [Pacing::Adaptive, Pacing::Fixed]
            .into_iter()
            .find(|p| p.name() == name)
    }

    /// The name `config.json` and the JSON export use: `"adaptive"` or `"fixed"`.
    pub fn name(self) -> &'static str {
        match self {
            Pacing::Adaptive => "adaptive",
            Pacing::Fixed => "fixed",
        }
    }
}

/// How a run batches, overlaps and retries its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSettings {
    /// Devices per request, 1 to 100.
    pub batch_size: usize,
    /// Requests in flight at most: always with [`Pacing::Fixed`], a ceiling with
    /// [`Pacing::Adaptive`].
    pub concurrency: usize,
    pub pacing: Pacing,
    /// Tries per batch, the first included.
    pub max_attempts: u32,
    pub backoff_base_ms: u32,
    pub backoff_cap_ms: u32,
    /// No retry sooner than this, in ms, whatever the jitter drew or `Retry-After` said
    /// (`Retry-After: 0` or a date in the past from a throttling gateway).
    pub retry_floor_ms: u32,
    /// A `Retry-After` longer than this, in ms, fails the batch instead of holding the run (a
    /// daily quota's `Retry-After: 86400`): the device says how long the server asked to wait.
    pub longest_wait_ms: u32,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            batch_size: MAX_DEVICES_PER_REQUEST,
            concurrency: 4,
            pacing: Pacing::Adaptive,
            max_attempts: 4,
            backoff_base_ms: 500,
            backoff_cap_ms: 20_000,
            retry_floor_ms: 250,
            longest_wait_ms: 300_000,
        }
    }
}

impl RunSettings {
    /// The settings with every value brought into its allowed range. `config.json` refuses
    /// values out of these same ranges with a message; this guards every other caller.
    pub fn clamped(self) -> RunSettings {
        RunSettings {
            batch_size: self.batch_size.clamp(1, MAX_DEVICES_PER_REQUEST),
            concurrency: self.concurrency.clamp(1, MAX_CONCURRENCY),
            pacing: self.pacing,
            max_attempts: self.max_attempts.clamp(1, MAX_ATTEMPTS),
            backoff_base_ms: self.backoff_base_ms,
            backoff_cap_ms: self.backoff_cap_ms.max(self.backoff_base_ms),
            retry_floor_ms: self.retry_floor_ms,
            longest_wait_ms: self.longest_wait_ms,
        }
    }

    /// Full-jitter exponential backoff before try `attempt + 1`: a uniform share (`jitter` in
    /// 0..1) of `min(cap, base × 2^(attempt-1))`.
    pub fn backoff_ms(&self, attempt: u32, jitter: f64) -> f64 {
        let exp = f64::from(self.backoff_base_ms) * 2f64.powi(attempt.saturating_sub(1) as i32);
        jitter.clamp(0.0, 1.0) * exp.min(f64::from(self.backoff_cap_ms))
    }
}

/// How long the server's `Retry-After` asks to wait from `now`, in ms; 0 without one.
fn asked_wait(error: &ApiError, now: f64) -> f64 {
    error.retry_after().map_or(0.0, |r| r.wait_ms(now))
}

/// One request's worth of devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Position of the batch in the run, from 0.
    pub id: usize,
    /// 1 for the first try.
    pub attempt: u32,
    pub devices: Vec<Imei>,
}

/// What the caller should do now.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    Send(Batch),
    /// Nothing to send before this time (ms, same clock as `now`); ask again then.
    WaitUntil(f64),
    /// Every slot is taken or everything left is in flight: ask again after a completion.
    Busy,
    /// A token error paused the run and nothing is in flight: nothing is sent until
    /// [`SyncRun::resume`] (with new tokens) or [`SyncRun::cancel`].
    Paused,
    Finished,
}

/// Devices with an outcome out of all, requests in flight and retries so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub in_flight: usize,
    pub retries: usize,
}

impl Progress {
    /// What is left, extrapolated from the pace so far; `None` until something is done.
    pub fn remaining_ms(&self, elapsed_ms: f64) -> Option<f64> {
        (self.done > 0 && elapsed_ms > 0.0)
            .then(|| elapsed_ms / self.done as f64 * (self.total - self.done) as f64)
    }
}

/// A device whose outcome changed: its position in the run and its new outcome.
pub type Change = (usize, Outcome);

/// How one request ended, as the caller reports it to [`SyncRun::complete`].
#[derive(Clone, Debug)]
pub struct Completion {
    pub batch_id: usize,
    pub result: Result<SyncAnswer, ApiError>,
    /// When it ended, in ms since the epoch (the clock `Retry-After` dates are read against).
    pub now: f64,
    /// A uniform draw in 0..1 for the backoff's jitter.
    pub jitter: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum BatchState {
    Queued {
        attempt: u32,
        not_before: f64,
    },
    /// Sent at `sent_at`, in ms.
    InFlight {
        attempt: u32,
        sent_at: f64,
    },
    Done,
}

/// The state of one run.
#[derive(Clone, Debug)]
pub struct SyncRun {
    settings: RunSettings,
    devices: Vec<Imei>,
    /// Whether each device has its outcome. The outcomes themselves go to the caller as
    /// [`Change`]s (the result set keeps them): a flag a device is all the run needs, where a
    /// second copy of every outcome cost 20 MB and ~30 ms at the start of 300,000 devices.
    answered: Vec<bool>,
    ranges: Vec<Range<usize>>,
    states: Vec<BatchState>,
    summary: Summary,
    account_name: Option<String>,
    /// The latest error that failed a batch for good or stopped the run.
    error: Option<ApiError>,
    stopped: bool,
    /// The token error that paused the run, until it is resumed.
    paused: Option<ApiError>,
    retries: usize,
    /// The adaptive pace; `None` with [`Pacing::Fixed`].
    pace: Option<Pace>,
}

impl SyncRun {
    pub fn new(devices: Vec<Imei>, settings: RunSettings) -> SyncRun {
        let settings = settings.clamped();
        let size = settings.batch_size;
        let ranges: Vec<Range<usize>> = (0..devices.len())
            .step_by(size)
            .map(|start| start..(start + size).min(devices.len()))
            .collect();
        let states = vec![
            BatchState::Queued {
                attempt: 1,
                not_before: f64::NEG_INFINITY,
            };
            ranges.len()
        ];
        SyncRun {
            settings,
            summary: Summary::waiting(devices.len()),
            answered: vec![false; devices.len()],
            devices,
            ranges,
            states,
            account_name: None,
            error: None,
            stopped: false,
            paused: None,
            retries: 0,
            pace: (settings.pacing == Pacing::Adaptive).then(|| Pace::new(settings.concurrency)),
        }
    }

    pub fn settings(&self) -> RunSettings {
        self.settings
    }

    pub fn devices(&self) -> &[Imei] {
        &self.devices
    }

    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// The positions in the run of batch `id`'s devices; empty for an unknown batch.
    pub fn batch_positions(&self, id: usize) -> Range<usize> {
        self.ranges.get(id).cloned().unwrap_or(0..0)
    }

    pub fn batch_count(&self) -> usize {
        self.ranges.len()
    }

    pub fn in_flight(&self) -> usize {
        self.states
            .iter()
            .filter(|s| matches!(s, BatchState::InFlight { .. }))
            .count()
    }

    /// The adaptive pace's figures at `now`; `None` with [`Pacing::Fixed`].
    pub fn pace(&self, now: f64) -> Option<PaceFigures> {
        self.pace.as_ref().map(|p| p.figures(now))
    }

    /// Whether a request may go at `now`: the pace decides, or the fixed concurrency.
    fn gate(&mut self, now: f64, in_flight: usize) -> Gate {
        match &mut self.pace {
            Some(pace) => pace.gate(now, in_flight),
            None if in_flight < self.settings.concurrency => Gate::Go,
            None => Gate::Full,
        }
    }

    /// Requests sent again after a failure so far.
    pub fn retries(&self) -> usize {
        self.retries
    }

    /// The account name from the latest answer that carried one.
    pub fn account_name(&self) -> Option<&str> {
        self.account_name.as_deref()
    }

    /// The error to show: what stopped the run, or the latest batch that failed for good.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// True once the run was cancelled: it ends for good.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The token error (a bearer-token fault or a session-token error) that paused the run;
    /// `None` while it goes.
    pub fn paused(&self) -> Option<&ApiError> {
        self.paused.as_ref()
    }

    /// Goes on after a pause, with the tokens renewed by the caller: the batches that met the
    /// token error are sent again at once (they were queued for no later time), as their same
    /// attempt; batches waiting out a backoff or a `Retry-After` keep waiting. Does nothing
    /// unless paused.
    pub fn resume(&mut self) {
        if self.paused.take().is_some() {
            self.error = None;
        }
    }

    /// How far the run has got.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.summary.total - self.summary.waiting,
            total: self.summary.total,
            in_flight: self.in_flight(),
            retries: self.retries,
        }
    }

    /// True once no device waits and nothing is in flight.
    pub fn is_finished(&self) -> bool {
        self.summary.waiting == 0 && self.in_flight() == 0
    }

    /// What to do at time `now`. A `Send` marks its batch as in flight.
    pub fn next(&mut self, now: f64) -> Next {
        if self.stopped {
            return if self.in_flight() == 0 {
                Next::Finished
            } else {
                Next::Busy
            };
        }
        if self.paused.is_some() {
            return if self.in_flight() == 0 {
                Next::Paused
            } else {
                Next::Busy
            };
        }
        let mut earliest: Option<f64> = None;
        let mut in_flight = 0;
        let mut ready = None;
        for (id, state) in self.states.iter().enumerate() {
            match *state {
                BatchState::InFlight { .. } => in_flight += 1,
                BatchState::Queued {
                    attempt,
                    not_before,
                } => {
                    if not_before <= now {
                        ready = ready.or(Some((id, attempt)));
                    } else {
                        earliest = Some(earliest.map_or(not_before, |e: f64| e.min(not_before)));
                    }
                }
                BatchState::Done => {}
            }
        }
        if let Some((id, attempt)) = ready {
            return match self.gate(now, in_flight) {
                Gate::Go => {
                    self.states[id] = BatchState::InFlight {
                        attempt,
                        sent_at: now,
                    };
                    if let Some(pace) = &mut self.pace {
                        pace.sent(now);
                    }
                    Next::Send(Batch {
                        id,
                        attempt,
                        devices: self.devices[self.ranges[id].clone()].to_vec(),
                    })
                }
                Gate::WaitUntil(at) => Next::WaitUntil(at),
                Gate::Full => Next::Busy,
            };
        }
        let room = match &self.pace {
            Some(pace) => pace.in_flight_allowed(),
            None => self.settings.concurrency,
        };
        match (in_flight, earliest) {
            (0, None) => Next::Finished,
            (_, Some(at)) if in_flight < room => Next::WaitUntil(at),
            _ => Next::Busy,
        }
    }

    /// Records how a request ended, and returns the devices whose outcome changed. A failure
    /// that a retry can help is queued again after the longest of the backoff, the server's
    /// `Retry-After` and the retry floor.
    pub fn complete(&mut self, completion: Completion) -> Vec<Change> {
        let Completion {
            batch_id,
            result,
            now,
            jitter,
        } = completion;
        let Some(BatchState::InFlight { attempt, sent_at }) = self.states.get(batch_id).cloned()
        else {
            return Vec::new();
        };
        let range = self.ranges[batch_id].clone();
        if self.stopped {
            self.states[batch_id] = BatchState::Done;
            return Vec::new();
        }
        if let Some(pace) = &mut self.pace {
            let (signal, wait_ms) = match &result {
                Ok(_) => (Signal::Clean, 0.0),
                Err(error) => {
                    let asked = asked_wait(error, now);
                    let wait_ms = if asked <= f64::from(self.settings.longest_wait_ms) {
                        asked
                    } else {
                        0.0
                    };
                    let signal = match error.status() {
                        Some(429) => Signal::Throttled,
                        Some(503) => Signal::ServerError,
                        _ => Signal::Failed,
                    };
                    (signal, wait_ms)
                }
            };
            pace.answered(Answer {
                sent_at,
                now,
                signal,
                wait_ms,
            });
        }
        let changes = match result {
            Ok(answer) => {
                self.states[batch_id] = BatchState::Done;
                if answer.account_name.is_some() {
                    self.account_name = answer.account_name.clone();
                }
                let outcomes = outcomes_of(&self.devices[range.clone()], &answer);
                range.zip(outcomes).collect()
            }
            Err(error) if error.stops_run() => {
                // Every further request would meet the same error: the batch waits, as its
                // same attempt, for new tokens; requests in flight come back as they will.
                self.states[batch_id] = BatchState::Queued {
                    attempt,
                    not_before: f64::NEG_INFINITY,
                };
                self.error = Some(error.clone());
                self.paused = Some(error);
                Vec::new()
            }
            Err(error)
                if error.is_retryable()
                    && attempt < self.settings.max_attempts
                    && asked_wait(&error, now) <= f64::from(self.settings.longest_wait_ms) =>
            {
                let wait = self
                    .settings
                    .backoff_ms(attempt, jitter)
                    .max(asked_wait(&error, now))
                    .max(f64::from(self.settings.retry_floor_ms));
                self.states[batch_id] = BatchState::Queued {
                    attempt: attempt + 1,
                    not_before: now + wait,
                };
                self.retries += 1;
                Vec::new()
            }
            Err(error) => {
                self.states[batch_id] = BatchState::Done;
                let mut why = error.short();
                let asked = asked_wait(&error, now);
                if error.is_retryable() && asked > f64::from(self.settings.longest_wait_ms) {
                    why.push_str(&format!(
                        " (the server asked to wait {}; not retried)",
                        super::time::format_seconds(asked)
                    ));
                } else if attempt > 1 {
                    why.push_str(&format!(" (after {attempt} tries)"));
                }
                self.error = Some(error);
                let failed = Outcome::Error(why);
                range.map(|i| (i, failed.clone())).collect()
            }
        };
        self.apply(changes)
    }

    /// Stops the run: nothing more is sent, and every device without an outcome, in flight or
    /// not, ends as "Not sent". Answers that arrive afterwards are ignored.
    pub fn cancel(&mut self) -> Vec<Change> {
        let changes = self.stop();
        self.apply(changes)
    }

    fn stop(&mut self) -> Vec<Change> {
        self.stopped = true;
        self.paused = None;
        for state in &mut self.states {
            if matches!(state, BatchState::Queued { .. }) {
                *state = BatchState::Done;
            }
        }
        (0..self.devices.len())
            .filter(|&i| !self.answered[i])
            .map(|i| (i, Outcome::NotSent))
            .collect()
    }

    /// Aborted requests end here, so their devices keep the outcome `cancel` gave them.
    pub fn abandon(&mut self, batch_id: usize) {
        if let Some(state) = self.states.get_mut(batch_id) {
            *state = BatchState::Done;
        }
    }

    /// Gives each device its first terminal outcome; later changes to the same device are dropped.
    fn apply(&mut self, changes: Vec<Change>) -> Vec<Change> {
        let mut applied = Vec::with_capacity(changes.len());
        for (i, outcome) in changes {
            if !std::mem::replace(&mut self.answered[i], true) {
                self.summary.remove(&Outcome::Waiting);
                self.summary.add(&outcome);
                applied.push((i, outcome));
            }
        }
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::api_error::{Reach, RetryAfter};
    use crate::core::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};
    use crate::core::test_support::imeis;
    use proptest::prelude::*;

    /// config.json reads what the JSON export writes, and nothing else.
    #[test]
    fn a_pacing_reads_back_from_its_name() {
        for pacing in [Pacing::Adaptive, Pacing::Fixed] {
            assert_eq!(Pacing::parse(pacing.name()), Some(pacing));
        }
        assert_eq!(Pacing::parse("Adaptive"), None);
        assert_eq!(Pacing::parse(""), None);
    }

    fn answer_for(batch: &Batch, keep: impl Fn(usize) -> bool) -> SyncAnswer {
        SyncAnswer {
            account_name: Some("0000123456-00001".into()),
            reports: batch
                .devices
                .iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, d)| DeviceReport {
                    device_id: d.to_string(),
                    status: SUCCESS_STATUS.into(),
                    reason: String::new(),
                    firmware_version: "v".into(),
                    updated: UpdateTime::Unknown,
                })
                .collect(),
        }
    }

    /// The default settings at the fixed pace, for tests that count requests in flight.
    fn fixed() -> RunSettings {
        RunSettings {
            pacing: Pacing::Fixed,
            ..RunSettings::default()
        }
    }

    fn sequential(n: usize) -> SyncRun {
        SyncRun::new(
            imeis(n),
            RunSettings {
                concurrency: 1,
                ..fixed()
            },
        )
    }

    fn send(run: &mut SyncRun, now: f64) -> Batch {
        match run.next(now) {
            Next::Send(batch) => batch,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn done(
        batch_id: usize,
        result: Result<SyncAnswer, ApiError>,
        now: f64,
        jitter: f64,
    ) -> Completion {
        Completion {
            batch_id,
            result,
            now,
            jitter,
        }
    }

    fn status(code: u16) -> ApiError {
        ApiError::from_response(code, "<html></html>", None)
    }

    #[test]
    fn devices_are_split_into_requests_of_at_most_100() {
        let mut run = sequential(250);
        let mut sizes = Vec::new();
        while let Next::Send(batch) = run.next(0.0) {
            sizes.push(batch.devices.len());
            let answer = answer_for(&batch, |_| true);
            run.complete(done(batch.id, Ok(answer), 0.0, 0.5));
        }
        assert_eq!(sizes, [100, 100, 50]);
        assert!(run.is_finished());
        assert_eq!(run.summary().succeeded, 250);
        assert_eq!(run.account_name(), Some("0000123456-00001"));
        let big = RunSettings {
            batch_size: 1000,
            ..RunSettings::default()
        };
        assert_eq!(SyncRun::new(imeis(150), big).batch_count(), 2);
    }

    #[test]
    fn at_most_concurrency_requests_are_in_flight() {
        let mut run = SyncRun::new(imeis(1000), fixed());
        let first: Vec<Batch> = (0..4).map(|_| send(&mut run, 0.0)).collect();
        assert_eq!(run.next(0.0), Next::Busy);
        assert_eq!(run.in_flight(), 4);
        run.complete(done(
            first[2].id,
            Ok(answer_for(&first[2], |_| true)),
            1.0,
            0.5,
        ));
        assert_eq!(send(&mut run, 1.0).id, 4);
    }

    #[test]
    fn a_503_is_retried_after_a_backoff_and_then_succeeds() {
        let mut run = sequential(150);
        let b0 = send(&mut run, 0.0);
        assert!(run
            .complete(done(b0.id, Err(status(503)), 0.0, 1.0))
            .is_empty());
        assert_eq!(run.retries(), 1);
        // Batch 1 goes while batch 0 waits out its backoff (500 ms × jitter 1.0).
        let b1 = send(&mut run, 10.0);
        assert_eq!(b1.id, 1);
        run.complete(done(b1.id, Ok(answer_for(&b1, |_| true)), 20.0, 0.5));
        assert_eq!(run.next(20.0), Next::WaitUntil(500.0));
        let again = send(&mut run, 500.0);
        assert_eq!((again.id, again.attempt), (0, 2));
        run.complete(done(again.id, Ok(answer_for(&again, |_| true)), 600.0, 0.5));
        assert_eq!(run.summary().succeeded, 150);
        assert_eq!(run.next(600.0), Next::Finished);
    }

    #[test]
    fn retry_after_is_never_cut_short() {
        let mut run = sequential(10);
        let b = send(&mut run, 1000.0);
        let slow_down = ApiError::from_response(429, "", Some("2"));
        run.complete(done(b.id, Err(slow_down), 1000.0, 0.0));
        assert_eq!(run.next(2999.0), Next::WaitUntil(3000.0));
        assert_eq!(send(&mut run, 3000.0).attempt, 2);
    }

    #[test]
    fn no_retry_comes_sooner_than_the_floor() {
        let epoch_ms = 1_445_412_478_000.0; // Wed, 21 Oct 2015 07:27:58 GMT
        for retry_after in [
            Some("0"),
            Some("Wed, 21 Oct 2015 07:27:00 GMT"),
            Some("Wednesday, 21-Oct-15 07:27:00 GMT"),
            Some("Wed Oct 21 07:27:00 2015"),
            None,
        ] {
            let mut run = sequential(10);
            let b = send(&mut run, epoch_ms);
            let throttled = ApiError::from_response(
                429,
                r#"{"fault": {"code": "900800", "message": "Message throttled out"}}"#,
                retry_after,
            );
            assert!(throttled.retry_after().is_some() == retry_after.is_some());
            run.complete(done(b.id, Err(throttled), epoch_ms, 0.0));
            assert_eq!(
                run.next(epoch_ms),
                Next::WaitUntil(epoch_ms + 250.0),
                "{retry_after:?}"
            );
        }
        assert_eq!(
            RetryAfter::parse("Wed Oct 21 07:28:00 2015").map(|r| r.wait_ms(epoch_ms)),
            Some(2000.0)
        );
    }

    #[test]
    fn a_retry_after_beyond_the_longest_wait_fails_the_batch_with_the_servers_ask() {
        let mut run = sequential(10);
        let b = send(&mut run, 0.0);
        let daily = ApiError::from_response(429, "", Some("86400"));
        let changes = run.complete(done(b.id, Err(daily), 0.0, 0.0));
        assert_eq!(run.next(0.0), Next::Finished, "nothing waits a day");
        assert_eq!(changes.len(), 10);
        assert_eq!(
            changes[0].1.reason_text(),
            "Rate limited: HTTP 429 Too Many Requests: the server answered with nothing (the server asked to wait 86400 s; not retried)"
        );
        let mut run = sequential(10);
        let b = send(&mut run, 0.0);
        let minutes = ApiError::from_response(503, "", Some("300"));
        run.complete(done(b.id, Err(minutes), 0.0, 0.0));
        assert_eq!(
            run.next(0.0),
            Next::WaitUntil(300_000.0),
            "five minutes are waited"
        );
    }

    #[test]
    fn a_500_and_a_gateway_fault_on_429_are_retried_and_exhausted_429s_say_rate_limited() {
        let mut run = sequential(10);
        let b = send(&mut run, 0.0);
        run.complete(done(b.id, Err(status(500)), 0.0, 0.0));
        let mut now = 250.0;
        let mut changes = Vec::new();
        for attempt in 2..=4 {
            let b = send(&mut run, now);
            assert_eq!(b.attempt, attempt);
            let throttled = ApiError::from_response(
                429,
                r#"{"fault": {"code": 900800, "message": "Message throttled out"}}"#,
                Some("0"),
            );
            changes = run.complete(done(b.id, Err(throttled), now, 0.0));
            now += 250.0;
        }
        assert_eq!(run.summary().error, 10);
        assert_eq!(changes.len(), 10);
        assert_eq!(
            changes[0].1.reason_text(),
            "Rate limited: HTTP 429 Too Many Requests: fault 900800: Message throttled out (after 4 tries)"
        );
    }

    #[test]
    fn a_batch_gives_up_after_max_attempts_and_the_run_goes_on() {
        let mut run = sequential(150);
        let mut now = 0.0;
        for attempt in 1..=4 {
            let b = send(&mut run, now);
            assert_eq!((b.id, b.attempt), (0, attempt));
            run.complete(done(
                b.id,
                Err(ApiError::Timeout { after_ms: 30_000 }),
                now,
                1.0,
            ));
            now += 100_000.0;
        }
        assert_eq!(run.retries(), 3);
        let s = run.summary();
        assert_eq!((s.error, s.waiting), (100, 50));
        assert!(matches!(run.error(), Some(ApiError::Timeout { .. })));
        let b1 = send(&mut run, now);
        assert_eq!(b1.id, 1);
    }

    #[test]
    fn a_400_is_not_retried() {
        let mut run = sequential(10);
        let b = send(&mut run, 0.0);
        let bad = ApiError::from_response(
            400,
            r#"{"errorCode": "INVALID_PARAMETER", "errorMessage": "Inactive account"}"#,
            None,
        );
        run.complete(done(b.id, Err(bad), 0.0, 0.5));
        assert_eq!(run.summary().error, 10);
        assert_eq!(run.next(1e9), Next::Finished);
    }

    #[test]
    fn a_token_error_pauses_the_run_and_resume_sends_the_rest_once() {
        let mut run = SyncRun::new(imeis(1000), fixed());
        let batches: Vec<Batch> = (0..4).map(|_| send(&mut run, 0.0)).collect();
        run.complete(done(
            batches[0].id,
            Ok(answer_for(&batches[0], |_| true)),
            1.0,
            0.5,
        ));
        let expired = ApiError::from_response(
            400,
            r#"{"errorCode": "REQUEST_FAILED.SessionToken.Expired", "errorMessage": "SessionToken Expired"}"#,
            None,
        );
        run.complete(done(batches[1].id, Err(expired.clone()), 2.0, 0.5));
        assert!(matches!(run.paused(), Some(ApiError::SessionToken { .. })));
        assert_eq!(
            run.next(3.0),
            Next::Busy,
            "two requests are still in flight"
        );
        run.complete(done(
            batches[2].id,
            Ok(answer_for(&batches[2], |_| true)),
            4.0,
            0.5,
        ));
        // The other one meets the expired token too: it waits as well.
        run.complete(done(batches[3].id, Err(expired), 5.0, 0.5));
        assert_eq!(run.next(6.0), Next::Paused);
        assert_eq!(run.next(1e9), Next::Paused, "a pause does not time out");
        let s = run.summary();
        assert_eq!(
            (s.succeeded, s.error, s.not_sent, s.waiting),
            (200, 0, 0, 800)
        );
        assert!(!run.is_finished());

        run.resume();
        assert!(run.paused().is_none() && run.error().is_none());
        let mut sent = Vec::new();
        while let Next::Send(batch) = run.next(7.0) {
            sent.push(batch);
        }
        let ids: Vec<usize> = sent.iter().map(|b| b.id).collect();
        assert_eq!(ids, [1, 3, 4, 5], "the paused batches first, then the rest");
        assert_eq!(
            (sent[0].attempt, sent[1].attempt),
            (1, 1),
            "a token error is not a try"
        );
        assert_eq!(run.retries(), 0);
    }

    #[test]
    fn resume_keeps_a_backoff_that_began_before_the_pause() {
        let settings = RunSettings {
            concurrency: 2,
            ..fixed()
        };
        let mut run = SyncRun::new(imeis(200), settings);
        let (a, b) = (send(&mut run, 0.0), send(&mut run, 0.0));
        run.complete(done(a.id, Err(status(503)), 1.0, 0.5));
        let expired = ApiError::SessionToken {
            code: "REQUEST_FAILED.SessionToken.Expired".into(),
            message: String::new(),
        };
        run.complete(done(b.id, Err(expired), 2.0, 0.5));
        assert_eq!(run.next(3.0), Next::Paused);
        run.resume();
        // The refused batch goes at once; the 503's retry still waits out its backoff.
        assert!(matches!(run.next(3.0), Next::Send(batch) if batch.id == b.id));
        assert!(matches!(run.next(3.0), Next::WaitUntil(at) if at > 3.0));
    }

    #[test]
    fn a_bearer_fault_pauses_and_cancel_still_ends_the_run() {
        let mut run = SyncRun::new(imeis(300), RunSettings::default());
        let b = send(&mut run, 0.0);
        let fault = ApiError::from_response(
            401,
            r#"{"fault": {"code": "900901", "message": "Invalid Credentials", "description": "Access failure"}}"#,
            None,
        );
        assert!(fault.stops_run(), "{fault:?}");
        run.complete(done(b.id, Err(fault), 1.0, 0.5));
        while let Next::Send(other) = run.next(2.0) {
            run.abandon(other.id);
        }
        assert!(run.paused().is_some());
        run.cancel();
        assert!(
            run.paused().is_none(),
            "a cancelled run is over, not paused"
        );
        assert_eq!(run.next(3.0), Next::Finished);
        assert_eq!(run.summary().not_sent + run.summary().succeeded, 300);
    }

    #[test]
    fn cancel_marks_everything_without_an_answer_as_not_sent() {
        let mut run = sequential(250);
        let first = send(&mut run, 0.0);
        let answered = run.complete(done(first.id, Ok(answer_for(&first, |_| true)), 0.0, 0.5));
        assert!(answered
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Success(_))));
        let second = send(&mut run, 0.0);
        let cancelled = run.cancel();
        assert_eq!(cancelled.len(), 150);
        assert!(cancelled.iter().all(|(_, o)| *o == Outcome::NotSent));
        let positions: Vec<usize> = answered.iter().chain(&cancelled).map(|c| c.0).collect();
        assert_eq!(positions, (0..250).collect::<Vec<_>>(), "each device once");
        assert_eq!(run.next(0.0), Next::Busy);
        assert!(run
            .complete(done(second.id, Ok(answer_for(&second, |_| true)), 0.0, 0.5))
            .is_empty());
        assert_eq!(run.next(0.0), Next::Finished);
        let s = run.summary();
        assert_eq!((s.succeeded, s.not_sent, s.waiting), (100, 150, 0));
    }

    #[test]
    fn an_empty_run_is_finished_at_once() {
        let mut run = SyncRun::new(Vec::new(), RunSettings::default());
        assert_eq!(run.next(0.0), Next::Finished);
        assert!(run.is_finished());
    }

    #[test]
    fn progress_counts_and_estimates() {
        let mut run = sequential(200);
        let b = send(&mut run, 0.0);
        assert_eq!(
            run.progress(),
            Progress {
                done: 0,
                total: 200,
                in_flight: 1,
                retries: 0
            }
        );
        run.complete(done(b.id, Ok(answer_for(&b, |_| true)), 0.0, 0.5));
        let p = run.progress();
        assert_eq!((p.done, p.in_flight), (100, 0));
        assert_eq!(p.remaining_ms(3000.0), Some(3000.0));
        assert_eq!(Progress::default().remaining_ms(10.0), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = RunSettings::default();
        assert_eq!(s.backoff_ms(1, 1.0), 500.0);
        assert_eq!(s.backoff_ms(3, 1.0), 2000.0);
        assert_eq!(s.backoff_ms(10, 1.0), 20_000.0);
        assert_eq!(s.backoff_ms(3, 0.25), 500.0);
    }

    /// A server that admits `rps` requests a second with a burst of `burst` (a token bucket per
    /// account, full at the start, a token taken on arrival) and answers every request
    /// `latency_ms` after it was sent; over the limit, the gateway's 429 with `Retry-After` in
    /// whole seconds until a token is back, at least 1, as the emulator's `--rate-limit`.
    struct TokenBucket {
        rps: f64,
        burst: f64,
        tokens: f64,
        at: f64,
    }

    impl TokenBucket {
        fn new(rps: f64, burst: f64) -> TokenBucket {
            TokenBucket {
                rps,
                burst,
                tokens: burst,
                at: 0.0,
            }
        }

        /// `Ok` if a token was there at `now`, else the `Retry-After` in seconds.
        fn take(&mut self, now: f64) -> Result<(), u64> {
            self.tokens = (self.tokens + (now - self.at) * self.rps / 1000.0).min(self.burst);
            self.at = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                Ok(())
            } else {
                Err(((1.0 - self.tokens) / self.rps).ceil().max(1.0) as u64)
            }
        }
    }

    /// How a simulated run went: its time in ms, the requests sent, the 429s, the most requests
    /// in flight at once, and the counts.
    struct Simulated {
        elapsed_ms: f64,
        sent: usize,
        throttled: usize,
        most_in_flight: usize,
        summary: Summary,
    }

    /// A run of `n` devices against `server` in simulated time, filling every slot as the app
    /// does and waking when the run asks to.
    fn simulate(
        settings: RunSettings,
        n: usize,
        mut server: TokenBucket,
        latency_ms: f64,
    ) -> Simulated {
        let mut run = SyncRun::new(imeis(n), settings);
        let (mut now, mut sent, mut throttled, mut most_in_flight) = (0.0, 0, 0, 0);
        // Each request in flight: when its answer comes, the batch, and the server's verdict.
        let mut in_flight: Vec<(f64, Batch, Result<(), u64>)> = Vec::new();
        loop {
            let mut wake = f64::INFINITY;
            loop {
                match run.next(now) {
                    Next::Send(batch) => {
                        sent += 1;
                        let verdict = server.take(now);
                        throttled += usize::from(verdict.is_err());
                        in_flight.push((now + latency_ms, batch, verdict));
                        most_in_flight = most_in_flight.max(in_flight.len());
                    }
                    Next::WaitUntil(at) => {
                        wake = at;
                        break;
                    }
                    Next::Busy => break,
                    Next::Finished => {
                        return Simulated {
                            elapsed_ms: now,
                            sent,
                            throttled,
                            most_in_flight,
                            summary: run.summary(),
                        }
                    }
                    Next::Paused => panic!("nothing pauses this run"),
                }
            }
            let first =
                (0..in_flight.len()).min_by(|&a, &b| in_flight[a].0.total_cmp(&in_flight[b].0));
            match first {
                Some(i) if in_flight[i].0 <= wake => {
                    let (at, batch, verdict) = in_flight.swap_remove(i);
                    now = at;
                    let result = match verdict {
                        Ok(()) => Ok(answer_for(&batch, |_| true)),
                        Err(seconds) => Err(ApiError::from_response(
                            429,
                            r#"{"fault": {"code": "900800", "message": "Message throttled out"}}"#,
                            Some(&seconds.to_string()),
                        )),
                    };
                    run.complete(done(batch.id, result, now, 0.5));
                }
                _ => {
                    assert!(wake.is_finite(), "the run neither waits nor sends");
                    now = wake;
                }
            }
        }
    }

    #[test]
    fn adaptive_pace_comes_within_15_percent_of_a_rate_limit_with_under_2_percent_throttled() {
        // 20,000 devices, 200 requests: ideally 200 / 10 a second = 20 s.
        let run = simulate(
            RunSettings::default(),
            20_000,
            TokenBucket::new(10.0, 20.0),
            50.0,
        );
        let ideal_ms = 20_000.0;
        assert_eq!(run.summary.succeeded, 20_000, "every device through");
        assert!(
            run.elapsed_ms <= ideal_ms * 1.15,
            "{} ms against {ideal_ms} ms ideal",
            run.elapsed_ms
        );
        assert!(
            (run.throttled as f64) < 0.02 * run.sent as f64,
            "{} of {} requests throttled",
            run.throttled,
            run.sent
        );
        assert!(run.most_in_flight <= 4);
    }

    #[test]
    fn fixed_pace_keeps_its_concurrency_against_a_rate_limit() {
        let settings = RunSettings {
            max_attempts: MAX_ATTEMPTS,
            ..fixed()
        };
        let run = simulate(settings, 20_000, TokenBucket::new(10.0, 20.0), 50.0);
        assert_eq!(run.most_in_flight, 4);
        assert_eq!(run.summary.succeeded, 20_000);
        assert!(
            run.throttled * 2 > run.sent,
            "{} of {} requests throttled",
            run.throttled,
            run.sent
        );
    }

    #[test]
    fn adaptive_pace_reaches_the_ceiling_when_nothing_throttles() {
        let settings = RunSettings {
            concurrency: 8,
            ..RunSettings::default()
        };
        let run = simulate(settings, 100_000, TokenBucket::new(1e9, 1e9), 50.0);
        assert_eq!(run.summary.succeeded, 100_000);
        assert_eq!((run.throttled, run.most_in_flight), (0, 8));
    }

    /// What a fake transport answers to one request.
    #[derive(Clone, Debug)]
    enum Reply {
        All,
        Some,
        Transient(u16),
        Timeout,
        Refused,
        TokenExpired,
        CancelNow,
    }

    fn reply() -> impl Strategy<Value = Reply> {
        prop_oneof![
            4 => Just(Reply::All),
            2 => Just(Reply::Some),
            2 => prop_oneof![Just(429u16), Just(502), Just(503), Just(504)].prop_map(Reply::Transient),
            1 => Just(Reply::Timeout),
            1 => Just(Reply::Refused),
            1 => Just(Reply::TokenExpired),
            1 => Just(Reply::CancelNow),
        ]
    }

    proptest! {
        #[test]
        fn every_device_ends_in_exactly_one_terminal_outcome(
            n in 0usize..700,
            batch_size in 1usize..150,
            concurrency in 1usize..8,
            max_attempts in 1u32..5,
            adaptive in any::<bool>(),
            replies in proptest::collection::vec((reply(), 0.0f64..1.0, 0usize..8), 1..200),
        ) {
            let pacing = if adaptive { Pacing::Adaptive } else { Pacing::Fixed };
            let settings = RunSettings { batch_size, concurrency, max_attempts, pacing, ..RunSettings::default() };
            let mut run = SyncRun::new(imeis(n), settings);
            // What the caller learns: each device's outcome, from the changes the run returns.
            let mut outcomes = vec![Outcome::Waiting; n];
            let mut record = |changes: Vec<Change>| {
                for (i, outcome) in changes {
                    assert_eq!(outcomes[i], Outcome::Waiting, "device {} changed twice", i);
                    assert_ne!(outcome, Outcome::Waiting);
                    outcomes[i] = outcome;
                }
            };
            let mut now = 0.0;
            let mut in_flight: Vec<Batch> = Vec::new();
            let mut step = 0;
            let mut pauses = 0;
            loop {
                // Fill every free slot, as the app does.
                loop {
                    match run.next(now) {
                        Next::Send(batch) => {
                            prop_assert!(batch.devices.len() <= MAX_DEVICES_PER_REQUEST);
                            prop_assert!(batch.devices.len() <= settings.batch_size);
                            for other in &in_flight {
                                prop_assert!(other.devices.iter().all(|d| !batch.devices.contains(d)),
                                    "a device is in two requests at once");
                            }
                            in_flight.push(batch);
                            prop_assert!(in_flight.len() <= settings.concurrency);
                            if let Some(pace) = run.pace(now) {
                                prop_assert!(in_flight.len() <= pace.in_flight_allowed);
                                prop_assert!((1..=concurrency).contains(&pace.in_flight_allowed));
                            }
                        }
                        Next::WaitUntil(at) => {
                            prop_assert!(at > now);
                            if in_flight.is_empty() { now = at; } else { break; }
                        }
                        Next::Busy => { prop_assert!(!in_flight.is_empty()); break; }
                        // New tokens, as the user pastes them; a user whose tokens keep
                        // failing cancels in the end.
                        Next::Paused => {
                            prop_assert!(in_flight.is_empty());
                            pauses += 1;
                            if pauses > 20 { record(run.cancel()); } else { run.resume(); }
                        }
                        Next::Finished => break,
                    }
                }
                if in_flight.is_empty() {
                    prop_assert_eq!(run.next(now), Next::Finished);
                    break;
                }
                let (reply, jitter, pick) = replies[step % replies.len()].clone();
                step += 1;
                let batch = in_flight.remove(pick % in_flight.len());
                now += 10.0;
                let result = match reply {
                    Reply::All => Ok(answer_for(&batch, |_| true)),
                    Reply::Some => Ok(answer_for(&batch, |i| i % 3 != 0)),
                    Reply::Transient(code) => Err(status(code)),
                    Reply::Timeout => Err(ApiError::Timeout { after_ms: 1000 }),
                    Reply::Refused => Err(ApiError::Unreachable { url: "u".into(), reach: Reach::Unknown }),
                    Reply::TokenExpired => Err(ApiError::SessionToken { code: "REQUEST_FAILED.SessionToken.Expired".into(), message: String::new() }),
                    Reply::CancelNow => {
                        record(run.cancel());
                        for b in in_flight.drain(..) { run.abandon(b.id); }
                        run.abandon(batch.id);
                        continue;
                    }
                };
                record(run.complete(done(batch.id, result, now, jitter)));
                prop_assert!(step < 10_000, "the run does not end");
            }
            let s = run.summary();
            prop_assert_eq!(s.total, n);
            prop_assert_eq!(s.waiting, 0);
            prop_assert_eq!(s.succeeded + s.failed + s.no_result + s.error + s.not_sent, n);
            prop_assert_eq!(Summary::of(&outcomes), s);
            prop_assert!(run.is_finished());
        }
    }
}
