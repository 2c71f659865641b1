//! A sync run: the validated devices split into requests of at most 100, and the outcome of
//! every device as answers come back.

use std::ops::Range;

use super::api_error::ApiError;
use super::fota::{SyncAnswer, MAX_DEVICES_PER_REQUEST};
use super::imei::Imei;
use super::outcome::{outcomes_of, Outcome, Summary};

/// One request's worth of devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Position of the batch in the run, from 0.
    pub id: usize,
    pub devices: Vec<Imei>,
}

/// A device whose outcome changed: its position in the run and its new outcome.
pub type Change = (usize, Outcome);

/// The state of one run. Batches are sent one after another; the first failed batch stops the
/// run, so the devices after it end as "Not sent" and nothing is ever left waiting.
#[derive(Clone, Debug)]
pub struct SyncRun {
    devices: Vec<Imei>,
    outcomes: Vec<Outcome>,
    batches: Vec<Range<usize>>,
    next_batch: usize,
    summary: Summary,
    account_name: Option<String>,
    error: Option<ApiError>,
}

impl SyncRun {
    pub fn new(devices: Vec<Imei>, batch_size: usize) -> SyncRun {
        let size = batch_size.clamp(1, MAX_DEVICES_PER_REQUEST);
        let batches = (0..devices.len())
            .step_by(size)
            .map(|start| start..(start + size).min(devices.len()))
            .collect();
        let outcomes = vec![Outcome::Waiting; devices.len()];
        let summary = Summary::of(&outcomes);
        SyncRun {
            devices,
            outcomes,
            batches,
            next_batch: 0,
            summary,
            account_name: None,
            error: None,
        }
    }

    pub fn devices(&self) -> &[Imei] {
        &self.devices
    }

    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    pub fn summary(&self) -> Summary {
        self.summary
    }

    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// The account name from the latest answer that carried one.
    pub fn account_name(&self) -> Option<&str> {
        self.account_name.as_deref()
    }

    /// The error that stopped the run, if one did.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    pub fn is_finished(&self) -> bool {
        self.summary.waiting == 0
    }

    /// The next batch to send, or `None` when every batch was sent or the run stopped.
    pub fn next_batch(&mut self) -> Option<Batch> {
        if self.error.is_some() {
            return None;
        }
        let range = self.batches.get(self.next_batch)?.clone();
        let batch = Batch {
            id: self.next_batch,
            devices: self.devices[range].to_vec(),
        };
        self.next_batch += 1;
        Some(batch)
    }

    /// Records how a batch's request ended and returns the devices whose outcome changed.
    pub fn complete(
        &mut self,
        batch_id: usize,
        result: Result<SyncAnswer, ApiError>,
    ) -> Vec<Change> {
        let Some(range) = self.batches.get(batch_id).cloned() else {
            return Vec::new();
        };
        let mut changes = match result {
            Ok(answer) => {
                if answer.account_name.is_some() {
                    self.account_name = answer.account_name.clone();
                }
                let outcomes = outcomes_of(&self.devices[range.clone()], &answer);
                range.zip(outcomes).collect()
            }
            Err(error) => {
                let short = Outcome::Error(error.short());
                self.error = Some(error);
                let mut changes: Vec<Change> = range.map(|i| (i, short.clone())).collect();
                changes.extend(self.waiting_after_sent(Outcome::NotSent));
                changes
            }
        };
        changes.retain(|(i, _)| self.outcomes[*i] == Outcome::Waiting);
        for (i, outcome) in &changes {
            self.set(*i, outcome.clone());
        }
        changes
    }

    /// Stops the run: nothing more is sent and every device still waiting, in flight or not,
    /// ends as "Not sent".
    pub fn cancel(&mut self) -> Vec<Change> {
        self.next_batch = self.batches.len();
        let changes: Vec<Change> = (0..self.devices.len())
            .filter(|&i| self.outcomes[i] == Outcome::Waiting)
            .map(|i| (i, Outcome::NotSent))
            .collect();
        for (i, outcome) in &changes {
            self.set(*i, outcome.clone());
        }
        changes
    }

    /// Devices in batches not yet sent, all marked `outcome`.
    fn waiting_after_sent(&self, outcome: Outcome) -> Vec<Change> {
        let start = self
            .batches
            .get(self.next_batch)
            .map_or(self.devices.len(), |r| r.start);
        (start..self.devices.len())
            .map(|i| (i, outcome.clone()))
            .collect()
    }

    fn set(&mut self, index: usize, outcome: Outcome) {
        self.summary.remove(&self.outcomes[index]);
        self.summary.add(&outcome);
        self.outcomes[index] = outcome;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};
    use crate::core::imei::luhn_check_digit;
    use proptest::prelude::*;

    fn devices(n: usize) -> Vec<Imei> {
        (0..n)
            .map(|i| {
                let body = format!("{:014}", 35_000_000_000_000u64 + i as u64);
                Imei::parse(&format!("{body}{}", luhn_check_digit(body.as_bytes()))).unwrap()
            })
            .collect()
    }

    fn all_succeed(batch: &Batch) -> SyncAnswer {
        SyncAnswer {
            account_name: Some("0000123456-00001".into()),
            reports: batch
                .devices
                .iter()
                .map(|d| DeviceReport {
                    device_id: d.to_string(),
                    status: SUCCESS_STATUS.into(),
                    reason: String::new(),
                    firmware_version: "v".into(),
                    updated: UpdateTime::Unknown,
                })
                .collect(),
        }
    }

    #[test]
    fn devices_are_split_into_requests_of_at_most_100() {
        let mut run = SyncRun::new(devices(250), 100);
        let mut sizes = Vec::new();
        while let Some(batch) = run.next_batch() {
            sizes.push(batch.devices.len());
            let answer = all_succeed(&batch);
            run.complete(batch.id, Ok(answer));
        }
        assert_eq!(sizes, [100, 100, 50]);
        assert!(run.is_finished());
        assert_eq!(run.summary().succeeded, 250);
        assert_eq!(run.account_name(), Some("0000123456-00001"));
        assert_eq!(SyncRun::new(devices(5), 1000).batch_count(), 1);
    }

    #[test]
    fn a_failed_batch_keeps_earlier_results_and_stops_the_run() {
        let mut run = SyncRun::new(devices(250), 100);
        let first = run.next_batch().unwrap();
        run.complete(first.id, Ok(all_succeed(&first)));
        let second = run.next_batch().unwrap();
        let changes = run.complete(second.id, Err(ApiError::Timeout { after_ms: 1000 }));
        assert_eq!(changes.len(), 150);
        assert!(run.next_batch().is_none());
        let s = run.summary();
        assert_eq!(
            (s.succeeded, s.error, s.not_sent, s.waiting),
            (100, 100, 50, 0)
        );
        assert!(run.is_finished());
        assert!(matches!(run.error(), Some(ApiError::Timeout { .. })));
    }

    #[test]
    fn cancel_marks_everything_still_waiting_as_not_sent() {
        let mut run = SyncRun::new(devices(250), 100);
        let first = run.next_batch().unwrap();
        run.complete(first.id, Ok(all_succeed(&first)));
        let second = run.next_batch().unwrap();
        assert_eq!(run.cancel().len(), 150);
        assert!(run.next_batch().is_none());
        assert!(run.complete(second.id, Ok(all_succeed(&second))).is_empty());
        let s = run.summary();
        assert_eq!((s.succeeded, s.not_sent, s.waiting), (100, 150, 0));
    }

    #[test]
    fn an_empty_run_is_finished_at_once() {
        let mut run = SyncRun::new(Vec::new(), 100);
        assert!(run.next_batch().is_none());
        assert!(run.is_finished());
    }

    proptest! {
        #[test]
        fn every_device_ends_in_one_terminal_outcome(
            n in 0usize..400,
            size in 1usize..150,
            fail_at in proptest::option::of(0usize..5),
        ) {
            let mut run = SyncRun::new(devices(n), size);
            let mut sent = 0;
            while let Some(batch) = run.next_batch() {
                prop_assert!(batch.devices.len() <= MAX_DEVICES_PER_REQUEST);
                sent += batch.devices.len();
                if Some(batch.id) == fail_at {
                    run.complete(batch.id, Err(ApiError::Unreachable { url: "u".into() }));
                } else {
                    let answer = all_succeed(&batch);
                    run.complete(batch.id, Ok(answer));
                }
            }
            let s = run.summary();
            prop_assert_eq!(s.total, n);
            prop_assert_eq!(s.waiting, 0);
            prop_assert_eq!(s.succeeded + s.error + s.not_sent, n);
            prop_assert_eq!(s.succeeded + s.error, sent);
            prop_assert_eq!(Summary::of(run.outcomes()), s);
        }
    }
}
