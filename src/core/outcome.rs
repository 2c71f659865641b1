//! What happened to each device of a run, its kind, and the summary's counts that always add
//! up.

use super::fota::{DeviceReport, SyncAnswer};
use super::imei::Imei;
use rustc_hash::FxHashMap;

/// A device's state in a run. Every state but `Waiting` is terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not answered yet.
    Waiting,
    /// The report is boxed, here and in `Failed`, so that an outcome is 12 bytes on wasm32, not
    /// 68: a run of 300,000 devices starts with 3.6 MB of waiting outcomes, not 20 MB.
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

/// What kind of outcome a device has, without its details: what the summary counts, the triage
/// panel groups by, the rows are styled by and the stored columns keep.
///
/// The discriminant is the kind's number in stored records (0 waiting, 1 success, 2 failed,
/// 3 no result, 4 error, 5 not sent): changing it changes what every stored run reads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OutcomeKind {
    Waiting = 0,
    Success = 1,
    Failed = 2,
    NoResult = 3,
    Error = 4,
    NotSent = 5,
}

impl OutcomeKind {
    /// Every kind, in the order the summary and the triage panel list them.
    pub const ALL: [OutcomeKind; 6] = [
        OutcomeKind::Success,
        OutcomeKind::Failed,
        OutcomeKind::NoResult,
        OutcomeKind::Error,
        OutcomeKind::NotSent,
        OutcomeKind::Waiting,
    ];

    /// The kind's place in [`OutcomeKind::ALL`]: the order of the summary and of triage groups
    /// of equal size (waiting, stored as 0, is listed last).
    pub fn rank(self) -> u8 {
        (self as u8 + 5) % 6
    }

    /// The kind stored as `code` ([`OutcomeKind`]'s discriminant), if any.
    pub fn from_code(code: u8) -> Option<OutcomeKind> {
        OutcomeKind::ALL.into_iter().find(|k| *k as u8 == code)
    }

    /// The class of the kind's table rows, summary count and triage group (the stylesheet and
    /// the tests use it), and its name in the JSON export: `success`, `failed`, `no-result`,
    /// `error`, `not-sent`, `waiting`.
    pub fn css_class(self) -> &'static str {
        match self {
            OutcomeKind::Waiting => "waiting",
            OutcomeKind::Success => "success",
            OutcomeKind::Failed => "failed",
            OutcomeKind::NoResult => "no-result",
            OutcomeKind::Error => "error",
            OutcomeKind::NotSent => "not-sent",
        }
    }

    /// How the summary panel and the triage panel name the kind: `Succeeded`, `Failed`,
    /// `No result`, `Error`, `Not sent`, `Waiting` (also the Status column of the kinds
    /// without a report).
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Waiting => "Waiting",
            OutcomeKind::Success => "Succeeded",
            OutcomeKind::Failed => "Failed",
            OutcomeKind::NoResult => "No result",
            OutcomeKind::Error => "Error",
            OutcomeKind::NotSent => "Not sent",
        }
    }

    /// `n` devices of the kind in a sentence, without the number: `succeeded`, `failed`, `no
    /// result`, `error` or `errors`, `not sent`, `waiting`.
    pub fn in_words(self, n: usize) -> &'static str {
        match self {
            OutcomeKind::Error if n != 1 => "errors",
            OutcomeKind::Error => "error",
            OutcomeKind::Success => "succeeded",
            OutcomeKind::Failed => "failed",
            OutcomeKind::NoResult => "no result",
            OutcomeKind::NotSent => "not sent",
            OutcomeKind::Waiting => "waiting",
        }
    }
}

impl Outcome {
    /// The outcome's kind.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Waiting => OutcomeKind::Waiting,
            Outcome::Success(_) => OutcomeKind::Success,
            Outcome::Failed(_) => OutcomeKind::Failed,
            Outcome::NoResult => OutcomeKind::NoResult,
            Outcome::Error(_) => OutcomeKind::Error,
            Outcome::NotSent => OutcomeKind::NotSent,
        }
    }

    /// The text of the Status column: the server's status of a report (`(no status)` when it
    /// sent none), the kind's [`OutcomeKind::label`] otherwise.
    pub fn status_text(&self) -> &str {
        match self.report() {
            Some(r) if r.status.is_empty() => "(no status)",
            Some(r) => &r.status,
            None => self.kind().label(),
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

    /// The server's report of the device: for a success or a failure only.
    pub fn report(&self) -> Option<&DeviceReport> {
        match self {
            Outcome::Success(r) | Outcome::Failed(r) => Some(r),
            _ => None,
        }
    }

    /// A short class name for styling the row ([`OutcomeKind::css_class`]).
    pub fn css_class(&self) -> &'static str {
        self.kind().css_class()
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

/// One of the summary's seven counts: the total, or the devices of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountName {
    Total,
    Of(OutcomeKind),
}

impl CountName {
    /// The seven counts in the order the summary panel, the exports and stored records list
    /// them: the total, then [`OutcomeKind::ALL`].
    pub const ALL: [CountName; 7] = [
        CountName::Total,
        CountName::Of(OutcomeKind::Success),
        CountName::Of(OutcomeKind::Failed),
        CountName::Of(OutcomeKind::NoResult),
        CountName::Of(OutcomeKind::Error),
        CountName::Of(OutcomeKind::NotSent),
        CountName::Of(OutcomeKind::Waiting),
    ];

    /// The count's key in stored records and in the JSON the app writes: `total`,
    /// `succeeded`, `failed`, `noResult`, `error`, `notSent`, `waiting`.
    pub const fn stored_name(self) -> &'static str {
        match self {
            CountName::Total => "total",
            CountName::Of(OutcomeKind::Success) => "succeeded",
            CountName::Of(OutcomeKind::Failed) => "failed",
            CountName::Of(OutcomeKind::NoResult) => "noResult",
            CountName::Of(OutcomeKind::Error) => "error",
            CountName::Of(OutcomeKind::NotSent) => "notSent",
            CountName::Of(OutcomeKind::Waiting) => "waiting",
        }
    }

    /// The summary panel's term: `Total`, or the kind's [`OutcomeKind::label`].
    pub fn label(self) -> &'static str {
        match self {
            CountName::Total => "Total",
            CountName::Of(kind) => kind.label(),
        }
    }

    /// The summary panel's class, which the stylesheet colours: `total`, `succeeded`, or the
    /// kind's [`OutcomeKind::css_class`] for the others.
    pub fn css_class(self) -> &'static str {
        match self {
            CountName::Total => "total",
            CountName::Of(OutcomeKind::Success) => "succeeded",
            CountName::Of(kind) => kind.css_class(),
        }
    }
}

impl Summary {
    /// The names of the seven counts, in the order of [`Summary::counts`], as stored records
    /// write them ([`CountName::stored_name`] of [`CountName::ALL`]).
    pub const NAMES: [&'static str; 7] = {
        let mut names = [""; 7];
        let mut i = 0;
        while i < 7 {
            names[i] = CountName::ALL[i].stored_name();
            i += 1;
        }
        names
    };

    /// The seven counts with their names, in the order of [`CountName::ALL`]: what the summary
    /// panel, the exports, the announcements and stored records list.
    pub fn entries(&self) -> [(CountName, usize); 7] {
        CountName::ALL.map(|name| (name, self.count(name)))
    }

    /// The seven counts, in the order of [`Summary::NAMES`].
    pub fn counts(&self) -> [usize; 7] {
        CountName::ALL.map(|name| self.count(name))
    }

    /// One of the counts.
    pub fn count(&self, name: CountName) -> usize {
        match name {
            CountName::Total => self.total,
            CountName::Of(kind) => self.of_kind(kind),
        }
    }

    /// The devices of `kind`.
    pub fn of_kind(&self, kind: OutcomeKind) -> usize {
        let mut summary = *self;
        *summary.slot(kind)
    }

    fn slot(&mut self, kind: OutcomeKind) -> &mut usize {
        match kind {
            OutcomeKind::Waiting => &mut self.waiting,
            OutcomeKind::Success => &mut self.succeeded,
            OutcomeKind::Failed => &mut self.failed,
            OutcomeKind::NoResult => &mut self.no_result,
            OutcomeKind::Error => &mut self.error,
            OutcomeKind::NotSent => &mut self.not_sent,
        }
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

    /// Counts one more device, of `outcome`'s kind.
    pub fn add(&mut self, outcome: &Outcome) {
        self.total += 1;
        *self.slot(outcome.kind()) += 1;
    }

    /// Counts one device fewer, of `outcome`'s kind (one that [`Summary::add`] counted).
    pub fn remove(&mut self, outcome: &Outcome) {
        self.total -= 1;
        *self.slot(outcome.kind()) -= 1;
    }

    /// The counts of `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Summary {
        let mut summary = Summary::default();
        outcomes.into_iter().for_each(|o| summary.add(o));
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::decode_answer;
    use crate::core::test_support::{self, imei};
    use proptest::prelude::*;

    fn report(id: &str, status: &str) -> DeviceReport {
        DeviceReport {
            device_id: id.into(),
            ..test_support::report(status, "", "v1")
        }
    }

    #[test]
    fn each_sent_device_gets_one_outcome_in_order() {
        let sent = [
            imei(49_015_420_323_751),
            imei(35_693_803_564_380),
            imei(35_387_923_425_263),
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
    fn kinds_keep_their_stored_numbers_and_listing_order() {
        let stored: Vec<u8> = OutcomeKind::ALL.iter().map(|&k| k as u8).collect();
        assert_eq!(
            stored,
            [1, 2, 3, 4, 5, 0],
            "the numbers stored records hold"
        );
        for (rank, kind) in OutcomeKind::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(kind.rank()), rank);
            assert_eq!(OutcomeKind::from_code(kind as u8), Some(kind));
        }
        assert_eq!(OutcomeKind::from_code(6), None);
        assert_eq!(
            Summary::NAMES,
            [
                "total",
                "succeeded",
                "failed",
                "noResult",
                "error",
                "notSent",
                "waiting"
            ]
        );
    }

    #[test]
    fn each_count_is_of_its_kind() {
        let outcomes = [
            Outcome::Waiting,
            Outcome::Success(Box::new(report("", "x"))),
            Outcome::Failed(Box::new(report("", "x"))),
            Outcome::NoResult,
            Outcome::Error("e".into()),
            Outcome::NotSent,
        ];
        for outcome in &outcomes {
            let summary = Summary::of([outcome]);
            let name = CountName::Of(outcome.kind());
            assert_eq!(summary.count(name), 1);
            assert_eq!(
                summary.counts().iter().sum::<usize>(),
                2,
                "itself and the total"
            );
            assert_eq!(outcome.css_class(), outcome.kind().css_class());
        }
        let s = Summary::of(&outcomes);
        let entries = s
            .entries()
            .map(|(name, n)| (name.label(), name.css_class(), n));
        assert_eq!(
            entries,
            [
                ("Total", "total", 6),
                ("Succeeded", "succeeded", 1),
                ("Failed", "failed", 1),
                ("No result", "no-result", 1),
                ("Error", "error", 1),
                ("Not sent", "not-sent", 1),
                ("Waiting", "waiting", 1),
            ]
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
            let sent: Vec<Imei> = bodies.iter().map(|b| imei(b.parse().unwrap())).collect();
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
