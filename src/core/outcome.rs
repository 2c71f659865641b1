//! What happened to each device of a run, and the summary that always adds up.

use super::fota::{DeviceReport, SyncAnswer};
use super::imei::Imei;
use rustc_hash::FxHashMap;

/// A device's state in a run. Every state but `Waiting` is terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not answered yet.
    Waiting,
    /// The report is boxed, here and in `Failed`, so that an outcome is 12 bytes on wasm32, not
    /// 68: a run of 300,000 devices starts with 3.6 MB of waiting outcomes, not 20 MB (its
    /// setup was ~20 ms of the press of Synchronize).
    Success(Box<DeviceReport>),
    /// Answered with any status other than the documented success.
    Failed(Box<DeviceReport>),
    /// Sent, but missing from the answer.
    NoResult,
    /// Its request failed for good; the text says how.
    Error(String),
    /// The run stopped before the device was sent.
    NotSent,
}

// Every device holds one outcome from the press of Synchronize: it stays the size of a String
// (12 bytes on wasm32), whatever the report grows to.
const _: () = assert!(std::mem::size_of::<Outcome>() == std::mem::size_of::<String>());

impl Outcome {
    /// The text of the Status column.
    pub fn status_text(&self) -> &str {
        match self {
            Outcome::Waiting => "Waiting",
            Outcome::Success(r) | Outcome::Failed(r) => {
                if r.status.is_empty() {
                    "(no status)"
                } else {
                    &r.status
                }
            }
            Outcome::NoResult => "No result",
            Outcome::Error(_) => "Error",
            Outcome::NotSent => "Not sent",
        }
    }

    /// The text of the Reason column.
    pub fn reason_text(&self) -> &str {
        match self {
            Outcome::Success(r) | Outcome::Failed(r) => &r.reason,
            Outcome::NoResult => "The answer did not include this device",
            Outcome::Error(why) => why,
            Outcome::Waiting | Outcome::NotSent => "",
        }
    }

    pub fn report(&self) -> Option<&DeviceReport> {
        match self {
            Outcome::Success(r) | Outcome::Failed(r) => Some(r),
            _ => None,
        }
    }

    /// A short class name for styling the row.
    pub fn css_class(&self) -> &'static str {
        match self {
            Outcome::Waiting => "waiting",
            Outcome::Success(_) => "success",
            Outcome::Failed(_) => "failed",
            Outcome::NoResult => "no-result",
            Outcome::Error(_) => "error",
            Outcome::NotSent => "not-sent",
        }
    }
}

/// The outcome of each device sent in one request, in the order sent. Devices the answer left
/// out get `NoResult`; entries for devices not sent are ignored; if a device appears twice, the
/// first entry counts.
pub fn outcomes_of(sent: &[Imei], answer: &SyncAnswer) -> Vec<Outcome> {
    let mut by_id: FxHashMap<&str, &DeviceReport> = FxHashMap::default();
    for report in &answer.reports {
        by_id.entry(report.device_id.as_str()).or_insert(report);
    }
    sent.iter()
        .map(|imei| match by_id.get(imei.as_str()) {
            Some(r) if r.is_success() => Outcome::Success(Box::new((*r).clone())),
            Some(r) => Outcome::Failed(Box::new((*r).clone())),
            None => Outcome::NoResult,
        })
        .collect()
}

/// Counts per outcome. `total` is always the sum of the others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub no_result: usize,
    pub error: usize,
    pub not_sent: usize,
    pub waiting: usize,
}

impl Summary {
    /// The names of the seven counts, in the order of [`Summary::counts`], as stored records
    /// write them.
    pub const NAMES: [&'static str; 7] = [
        "total",
        "succeeded",
        "failed",
        "noResult",
        "error",
        "notSent",
        "waiting",
    ];

    /// The seven counts, in the order of [`Summary::NAMES`].
    pub fn counts(&self) -> [usize; 7] {
        [
            self.total,
            self.succeeded,
            self.failed,
            self.no_result,
            self.error,
            self.not_sent,
            self.waiting,
        ]
    }

    /// `n` devices, every one waiting: what a run and a result set start with, without a pass
    /// over 300,000 outcomes in the press of Synchronize.
    pub fn waiting(n: usize) -> Summary {
        Summary {
            total: n,
            waiting: n,
            ..Summary::default()
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.total += 1;
        let slot = match outcome {
            Outcome::Waiting => &mut self.waiting,
            Outcome::Success(_) => &mut self.succeeded,
            Outcome::Failed(_) => &mut self.failed,
            Outcome::NoResult => &mut self.no_result,
            Outcome::Error(_) => &mut self.error,
            Outcome::NotSent => &mut self.not_sent,
        };
        *slot += 1;
    }

    pub fn remove(&mut self, outcome: &Outcome) {
        let mut single = Summary::default();
        single.add(outcome);
        self.total -= single.total;
        self.succeeded -= single.succeeded;
        self.failed -= single.failed;
        self.no_result -= single.no_result;
        self.error -= single.error;
        self.not_sent -= single.not_sent;
        self.waiting -= single.waiting;
    }

    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Summary {
        let mut summary = Summary::default();
        outcomes.into_iter().for_each(|o| summary.add(o));
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::{decode_answer, UpdateTime};
    use crate::core::imei::luhn_check_digit;
    use proptest::prelude::*;

    fn imei(body: &str) -> Imei {
        Imei::parse(&format!("{body}{}", luhn_check_digit(body.as_bytes()))).unwrap()
    }

    fn report(id: &str, status: &str) -> DeviceReport {
        DeviceReport {
            device_id: id.into(),
            status: status.into(),
            reason: String::new(),
            firmware_version: "v1".into(),
            updated: UpdateTime::Unknown,
        }
    }

    #[test]
    fn each_sent_device_gets_one_outcome_in_order() {
        let sent = [
            imei("49015420323751"),
            imei("35693803564380"),
            imei("35387923425263"),
        ];
        let answer = SyncAnswer {
            account_name: None,
            reports: vec![
                report(sent[2].as_str(), "FirmwareVersionUpdateSuccess"),
                report("999999999999999", "FirmwareVersionUpdateSuccess"),
                report(sent[0].as_str(), "SomethingNew"),
                report(sent[0].as_str(), "FirmwareVersionUpdateSuccess"),
            ],
        };
        let outcomes = outcomes_of(&sent, &answer);
        assert_eq!(outcomes[0].status_text(), "SomethingNew");
        assert!(matches!(outcomes[0], Outcome::Failed(_)));
        assert_eq!(outcomes[1], Outcome::NoResult);
        assert_eq!(outcomes[1].status_text(), "No result");
        assert!(matches!(outcomes[2], Outcome::Success(_)));
        let summary = Summary::of(&outcomes);
        assert_eq!(
            (
                summary.total,
                summary.succeeded,
                summary.failed,
                summary.no_result
            ),
            (3, 1, 1, 1)
        );
    }

    #[test]
    fn waiting_is_the_summary_of_waiting_outcomes() {
        for n in [0, 1, 300_000] {
            assert_eq!(Summary::waiting(n), Summary::of(&vec![Outcome::Waiting; n]));
        }
    }

    #[test]
    fn summary_add_and_remove_balance() {
        let mut s = Summary::of(&[Outcome::Waiting, Outcome::Waiting]);
        s.remove(&Outcome::Waiting);
        s.add(&Outcome::NotSent);
        assert_eq!((s.total, s.waiting, s.not_sent), (2, 1, 1));
    }

    proptest! {
        #[test]
        fn every_device_is_accounted_for_whatever_the_answer(
            bodies in proptest::collection::vec("[0-9]{14}", 1..30),
            picks in proptest::collection::vec((0usize..40, "[A-Za-z]{0,30}"), 0..40),
            noise in "\\PC{0,40}",
        ) {
            let sent: Vec<Imei> = bodies.iter().map(|b| imei(b)).collect();
            let entries: Vec<serde_json::Value> = picks
                .iter()
                .map(|(i, status)| {
                    let id = sent.get(*i).map_or(noise.clone(), |d| d.to_string());
                    serde_json::json!({"deviceId": id, "status": status, "Reason": noise})
                })
                .collect();
            let body = serde_json::json!({"deviceFirmwarVersionList": entries}).to_string();
            let answer = decode_answer(&body).unwrap();
            let outcomes = outcomes_of(&sent, &answer);
            prop_assert_eq!(outcomes.len(), sent.len());
            let s = Summary::of(&outcomes);
            prop_assert_eq!(s.succeeded + s.failed + s.no_result, s.total);
            prop_assert_eq!(s.total, sent.len());
            prop_assert!(!outcomes.contains(&Outcome::Waiting));
        }
    }
}
