//! The result set: every device the user entered, its latest outcome and how many requests it
//! took, across the runs that sent it. Synchronize starts a set; "Retry failed" (and "Sync
//! again" on a group) sends some of its devices once more, and their new outcomes replace the
//! old ones in the same set, so the table, the summary and the exports always cover the whole
//! fleet that was entered.

use rustc_hash::FxHashMap;

use super::imei::Imei;
use super::outcome::{Outcome, Summary};

/// Devices in the order entered, each with its latest outcome and its count of requests.
#[derive(Clone, Debug, Default)]
pub struct ResultSet {
    devices: Vec<Imei>,
    outcomes: Vec<Outcome>,
    requests: Vec<u32>,
    summary: Summary,
    /// Position of each device, built on the first lookup (a first run never needs it).
    index: Option<FxHashMap<Imei, usize>>,
}

impl ResultSet {
    /// A set of `devices` (distinct, as the form's list is), every one waiting, none sent.
    pub fn new(devices: Vec<Imei>) -> ResultSet {
        let outcomes = vec![Outcome::Waiting; devices.len()];
        ResultSet {
            summary: Summary::of(&outcomes),
            requests: vec![0; devices.len()],
            devices,
            outcomes,
            index: None,
        }
    }

    pub fn devices(&self) -> &[Imei] {
        &self.devices
    }

    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// How many requests carried each device, retries and later runs included.
    pub fn requests(&self) -> &[u32] {
        &self.requests
    }

    /// The counts over the whole set.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// The position in the set of each device of `subset`, in `subset`'s order; devices not in
    /// the set are left out.
    pub fn positions_of(&mut self, subset: &[Imei]) -> Vec<usize> {
        let devices = &self.devices;
        let index = self
            .index
            .get_or_insert_with(|| devices.iter().enumerate().map(|(i, d)| (*d, i)).collect());
        subset
            .iter()
            .filter_map(|d| index.get(d).copied())
            .collect()
    }

    /// Gives the device at `position` its new outcome; positions past the end are ignored.
    pub fn set(&mut self, position: usize, outcome: Outcome) {
        if let Some(slot) = self.outcomes.get_mut(position) {
            self.summary.remove(slot);
            self.summary.add(&outcome);
            *slot = outcome;
        }
    }

    /// Counts one more request for each device at `positions`.
    pub fn count_request(&mut self, positions: impl IntoIterator<Item = usize>) {
        for p in positions {
            if let Some(n) = self.requests.get_mut(p) {
                *n += 1;
            }
        }
    }

    /// The devices whose outcome is not a success, in the order entered.
    pub fn unsuccessful(&self) -> Vec<Imei> {
        self.devices
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, o)| !matches!(o, Outcome::Success(_)))
            .map(|(d, _)| *d)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};

    fn imeis(n: usize) -> Vec<Imei> {
        (0..n)
            .map(|i| Imei::parse_lenient(&format!("35693810{i:06}0")).expect("15 digits"))
            .collect()
    }

    fn success() -> Outcome {
        Outcome::Success(DeviceReport {
            device_id: String::new(),
            status: SUCCESS_STATUS.to_owned(),
            reason: String::new(),
            firmware_version: "1.0".to_owned(),
            updated: UpdateTime::Unknown,
        })
    }

    #[test]
    fn a_retry_updates_its_devices_and_keeps_the_others() {
        let devices = imeis(5);
        let mut set = ResultSet::new(devices.clone());
        for p in 0..5 {
            set.set(
                p,
                if p % 2 == 0 {
                    success()
                } else {
                    Outcome::NotSent
                },
            );
        }
        set.count_request([0, 2, 4]);
        assert_eq!(set.unsuccessful(), vec![devices[1], devices[3]]);

        // "Retry failed" sends devices 1 and 3 again: they wait, then answer; 0, 2 and 4 keep theirs.
        let again = set.positions_of(&set.unsuccessful());
        assert_eq!(again, vec![1, 3]);
        for &p in &again {
            set.set(p, Outcome::Waiting);
        }
        assert_eq!(set.summary().waiting, 2);
        set.count_request(again.iter().copied());
        set.set(1, success());
        set.set(3, Outcome::Error("HTTP 500".into()));
        let s = set.summary();
        assert_eq!(
            (s.total, s.succeeded, s.error, s.waiting, s.not_sent),
            (5, 4, 1, 0, 0)
        );
        assert_eq!(s, Summary::of(set.outcomes()));
        assert_eq!(set.requests(), &[1, 1, 1, 1, 1]);
        assert_eq!(set.unsuccessful(), vec![devices[3]]);
    }

    #[test]
    fn positions_follow_the_subset_and_skip_strangers() {
        let devices = imeis(4);
        let mut set = ResultSet::new(devices[..3].to_vec());
        assert_eq!(
            set.positions_of(&[devices[2], devices[3], devices[0]]),
            vec![2, 0]
        );
        set.set(9, success());
        set.count_request([9]);
        assert_eq!(set.summary(), Summary::of(set.outcomes()));
    }
}
