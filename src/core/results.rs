//! The result set: every device the user entered, its latest outcome and how many requests it
//! took, across the runs that sent it. Synchronize starts a set; "Retry failed" (and "Sync
//! again" on a group) sends some of its devices once more, and their new outcomes replace the
//! old ones in the same set, so the table, the summary and the exports always cover the whole
//! fleet that was entered.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::columns::{rank_texts, Field};
use super::firmware::{bars, VersionBar};
use super::imei::Imei;
use super::outcome::{Outcome, OutcomeKind, Summary};
use super::triage::{key_of, listed, Group, GroupKey};

/// Devices in the order entered, each with its latest outcome and its count of requests.
///
/// The set also keeps, as outcomes change, what the workbench and the table would otherwise
/// work out from every device each time: the count of each triage group and of each firmware
/// version, and each row's Status, Reason and Firmware version as numbers that sort (a run
/// of 300,000 devices has a handful of distinct texts).
#[derive(Clone, Debug, Default)]
pub struct ResultSet {
    devices: Vec<Imei>,
    outcomes: Vec<Outcome>,
    requests: Vec<u32>,
    summary: Summary,
    /// Position of each device, built on the first lookup (a first run never needs it).
    index: Option<FxHashMap<Imei, usize>>,
    words: Words,
    /// Each row's [Status, Reason, Firmware version] as ids in `words`.
    cells: Vec<[WordId; 3]>,
    /// Devices per triage group and successful devices per firmware version: one map (one
    /// map type in the bundle).
    tallies: FxHashMap<TallyKey, usize>,
    /// [`rank_texts`] of `words`, while they number `.0`.
    ranks: RefCell<(usize, Rc<[u32]>)>,
}

/// Every distinct text of the set's cells and triage groups, stored once, each with its id
/// (its index in `texts`). Texts are never dropped: a set has few.
#[derive(Clone, Debug, Default)]
struct Words {
    ids: FxHashMap<Box<str>, WordId>,
    texts: Vec<Box<str>>,
}

/// A text's id in [`Words`]: its index in `texts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct WordId(u32);

impl Words {
    fn id(&mut self, text: &str) -> WordId {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = WordId(self.texts.len() as u32);
        self.texts.push(text.into());
        self.ids.insert(text.into(), id);
        id
    }

    fn text(&self, id: WordId) -> &str {
        &self.texts[id.0 as usize]
    }
}

/// What one of the set's tallies counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum TallyKey {
    /// The devices of a triage group: its kind, and the ids of its words (a failure's status
    /// and reason, an error's text; unused words are `WordId(0)`).
    Group(OutcomeKind, WordId, WordId),
    /// The successful devices reporting a firmware version.
    Version(WordId),
}

impl TallyKey {
    /// The triage group of `outcome`.
    fn group(words: &mut Words, outcome: &Outcome) -> TallyKey {
        let (a, b) = match key_of(outcome) {
            GroupKey::Failed { status, reason } => (words.id(&status), words.id(&reason)),
            GroupKey::Error(text) => (words.id(&text), WordId(0)),
            _ => (WordId(0), WordId(0)),
        };
        TallyKey::Group(outcome.kind(), a, b)
    }
}

fn cells_of(words: &mut Words, outcome: &Outcome) -> [WordId; 3] {
    [
        words.id(outcome.status_text()),
        words.id(outcome.reason_text()),
        words.id(outcome.report().map_or("", |r| r.firmware_version.as_str())),
    ]
}

/// Adds `by` (1 or -1) to the count at `key`, dropping counts that reach 0.
fn count<K: std::hash::Hash + Eq>(counts: &mut FxHashMap<K, usize>, key: K, by: isize) {
    match counts.entry(key) {
        Entry::Occupied(mut e) => match e.get().saturating_add_signed(by) {
            0 => {
                e.remove();
            }
            n => *e.get_mut() = n,
        },
        Entry::Vacant(e) => {
            if by > 0 {
                e.insert(by as usize);
            }
        }
    }
}

impl ResultSet {
    /// A set of `devices` (distinct, as the form's list is), every one waiting, none sent.
    pub fn new(devices: Vec<Imei>) -> ResultSet {
        let outcomes = vec![Outcome::Waiting; devices.len()];
        let mut words = Words::default();
        let mut tallies = FxHashMap::default();
        if !devices.is_empty() {
            tallies.insert(
                TallyKey::group(&mut words, &Outcome::Waiting),
                devices.len(),
            );
        }
        ResultSet {
            summary: Summary::waiting(devices.len()),
            requests: vec![0; devices.len()],
            cells: vec![cells_of(&mut words, &Outcome::Waiting); devices.len()],
            devices,
            outcomes,
            index: None,
            words,
            tallies,
            ranks: RefCell::default(),
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
        let Some(slot) = self.outcomes.get_mut(position) else {
            return;
        };
        let (words, tallies) = (&mut self.words, &mut self.tallies);
        count(tallies, TallyKey::group(words, slot), -1);
        if slot.kind() == OutcomeKind::Success {
            count(tallies, TallyKey::Version(self.cells[position][2]), -1);
        }
        let cells = cells_of(words, &outcome);
        count(tallies, TallyKey::group(words, &outcome), 1);
        if outcome.kind() == OutcomeKind::Success {
            count(tallies, TallyKey::Version(cells[2]), 1);
        }
        self.cells[position] = cells;
        self.summary.remove(slot);
        self.summary.add(&outcome);
        *slot = outcome;
    }

    /// The triage groups of the set, as [`super::triage::groups`] lists them, from the counts
    /// kept as outcomes change (a handful of groups, whatever the number of devices).
    pub fn groups(&self) -> Vec<Group> {
        let text = |id| Cow::Borrowed(self.words.text(id));
        listed(self.tallies.iter().filter_map(|(key, &n)| {
            let &TallyKey::Group(kind, a, b) = key else {
                return None;
            };
            let key = match kind {
                OutcomeKind::Success => GroupKey::Success,
                OutcomeKind::Failed => GroupKey::Failed {
                    status: text(a),
                    reason: text(b),
                },
                OutcomeKind::NoResult => GroupKey::NoResult,
                OutcomeKind::Error => GroupKey::Error(text(a)),
                OutcomeKind::NotSent => GroupKey::NotSent,
                OutcomeKind::Waiting => GroupKey::Waiting,
            };
            Some((key, n))
        }))
    }

    /// The firmware chart of the set, as [`super::firmware::versions`] draws it with `top`
    /// bars, from the counts kept as outcomes change.
    pub fn versions(&self, top: usize) -> Vec<VersionBar> {
        bars(
            self.tallies
                .iter()
                .filter_map(|(key, &n)| match *key {
                    TallyKey::Version(id) => Some((self.words.text(id), n)),
                    TallyKey::Group(..) => None,
                })
                .collect(),
            top,
        )
    }

    /// Every distinct cell text of the set, indexed by the ids of [`ResultSet::cell`].
    pub fn texts(&self) -> &[Box<str>] {
        &self.words.texts
    }

    /// The rank of each of [`ResultSet::texts`] in the order the table sorts texts (ASCII case
    /// ignored, then exactly), worked out again only when new texts came in since the last
    /// call: sorting by another text column, or the other way, costs no ranking.
    pub fn text_ranks(&self) -> Rc<[u32]> {
        let mut cached = self.ranks.borrow_mut();
        if cached.0 != self.words.texts.len() || cached.1.len() != cached.0 {
            *cached = (self.words.texts.len(), rank_texts(&self.words.texts).into());
        }
        cached.1.clone()
    }

    /// The id in [`ResultSet::texts`] of the text the row at `position` shows in `field`'s
    /// column; `None` for the IMEI and Updated columns, which are not kept as texts.
    pub fn cell(&self, position: usize, field: Field) -> Option<u32> {
        let column = match field {
            Field::Status => 0,
            Field::Reason => 1,
            Field::FirmwareVersion => 2,
            Field::Imei | Field::Updated => return None,
        };
        Some(self.cells[position][column].0)
    }

    /// Counts one more request for each device at `positions`.
    pub fn count_request(&mut self, positions: impl IntoIterator<Item = usize>) {
        for p in positions {
            if let Some(n) = self.requests.get_mut(p) {
                *n += 1;
            }
        }
    }

    /// Sets how many requests carried the device at `position` (a stored step's count).
    pub fn set_request_count(&mut self, position: usize, requests: u32) {
        if let Some(n) = self.requests.get_mut(position) {
            *n = requests;
        }
    }

    /// Sets each device's count of requests (as [`ResultSet::requests`] gave them), for a set
    /// read back from storage.
    pub fn count_request_times(&mut self, requests: &[u32]) {
        for (n, &r) in self.requests.iter_mut().zip(requests) {
            *n = r;
        }
    }

    /// The devices without a final outcome (still waiting), in the order entered: what a run
    /// that was interrupted (a reload, a closed tab) has left to send when it resumes.
    pub fn unfinished(&self) -> Vec<Imei> {
        self.devices
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, o)| o.kind() == OutcomeKind::Waiting)
            .map(|(d, _)| *d)
            .collect()
    }

    /// The devices whose outcome is not a success, in the order entered.
    pub fn unsuccessful(&self) -> Vec<Imei> {
        self.devices
            .iter()
            .zip(&self.outcomes)
            .filter(|(_, o)| o.kind() != OutcomeKind::Success)
            .map(|(d, _)| *d)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{arb_outcome, imeis, success};

    #[test]
    fn a_retry_updates_its_devices_and_keeps_the_others() {
        let devices = imeis(5);
        let mut set = ResultSet::new(devices.clone());
        for p in 0..5 {
            set.set(
                p,
                if p % 2 == 0 {
                    success("1.0")
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
        set.set(1, success("1.0"));
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
        set.set(9, success("1.0"));
        set.count_request([9]);
        assert_eq!(set.summary(), Summary::of(set.outcomes()));
    }

    proptest::proptest! {
        /// The groups, the chart and the sortable cells the set keeps as outcomes change are
        /// what a count over every outcome gives, however often devices answer again.
        #[test]
        fn kept_tallies_match_a_whole_count(
            changes in proptest::collection::vec((0usize..12, arb_outcome()), 0..60),
            devices in 0usize..10,
        ) {
            use crate::core::{firmware::versions, triage::groups};
            let mut set = ResultSet::new(imeis(devices));
            for (p, o) in changes {
                set.set(p, o);
                proptest::prop_assert_eq!(set.groups(), groups(set.outcomes()));
                for top in [1, 3] {
                    proptest::prop_assert_eq!(set.versions(top), versions(set.outcomes(), top));
                }
                for (p, o) in set.outcomes().iter().enumerate() {
                    let text = |field| &*set.texts()[set.cell(p, field).unwrap() as usize];
                    proptest::prop_assert_eq!(text(Field::Status), o.status_text());
                    proptest::prop_assert_eq!(text(Field::Reason), o.reason_text());
                    proptest::prop_assert_eq!(
                        text(Field::FirmwareVersion),
                        o.report().map_or("", |r| r.firmware_version.as_str())
                    );
                }
            }
        }
    }
}
