//! Two result sets of one account side by side (by default the one on screen and the one before
//! it): which devices changed firmware, newly fail, recovered, still fail, are in one set only,
//! or stayed as they were. Each group is a list of positions, for the table, the clipboard and
//! the CSV.

use rustc_hash::FxHashMap;

use super::firmware::NOT_REPORTED;
use super::imei::Imei;
use super::outcome::Outcome;
use super::results::ResultSet;

/// One result set as compared: its devices and their outcomes, position for position (as
/// [`ResultSet::devices`] and [`ResultSet::outcomes`]); rows past the shorter slice are left
/// out. Devices are expected to be distinct, as in a `ResultSet`.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub devices: &'a [Imei],
    pub outcomes: &'a [Outcome],
}

impl<'a> Side<'a> {
    pub fn of(set: &'a ResultSet) -> Side<'a> {
        Side {
            devices: set.devices(),
            outcomes: set.outcomes(),
        }
    }

    fn len(&self) -> usize {
        self.devices.len().min(self.outcomes.len())
    }
}

/// How a device went from the earlier set to this one. A success is [`Outcome::Success`];
/// every other outcome (failed, no result, error, not sent, waiting) is not. Firmware versions
/// are compared exactly (`V1` and `v1` differ), and "not reported" (empty) is a version of its
/// own.
///
/// The variants are declared in the order groups of equal size are listed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(test, derive(Debug))]
pub enum Change {
    /// A success in both sets, reporting firmware `from` in the earlier one and `to` (not the
    /// same) in this one; empty when not reported. One group per pair of versions.
    FirmwareChanged { from: String, to: String },
    /// A success in the earlier set, not in this one. A device not sent (the run was stopped)
    /// or still waiting (the run goes on) is not a success either: its Status says which.
    NewlyFailing,
    /// Not a success in the earlier set, a success in this one, whatever its firmware.
    Recovered,
    /// Not a success in either set. Kept apart from [`Change::Unchanged`]: the devices that
    /// fail run after run are the ones to hand to support, and mixed in with the healthy ones
    /// they would be lost in a copy or an export.
    StillFailing,
    /// In the earlier set only; its positions are in the earlier set.
    OnlyBefore,
    /// In this set only.
    OnlyAfter,
    /// A success in both sets, with the same firmware version.
    Unchanged,
}

impl Change {
    /// What the comparison panel shows: `Firmware 1.2 → 1.3` (`Not reported` for an empty
    /// version), `Newly failing`, `Recovered`, `Still failing`, `Only in the earlier run`,
    /// `Only in this run`, `Unchanged`.
    pub fn label(&self) -> String {
        let version = |v: &str| if v.is_empty() { NOT_REPORTED } else { v }.to_owned();
        match self {
            Change::FirmwareChanged { from, to } => {
                "Firmware ".to_owned() + &version(from) + " → " + &version(to)
            }
            Change::NewlyFailing => "Newly failing".to_owned(),
            Change::Recovered => "Recovered".to_owned(),
            Change::StillFailing => "Still failing".to_owned(),
            Change::OnlyBefore => "Only in the earlier run".to_owned(),
            Change::OnlyAfter => "Only in this run".to_owned(),
            Change::Unchanged => "Unchanged".to_owned(),
        }
    }
}

/// One group of a comparison: the devices with the same [`Change`].
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct ChangeGroup {
    pub change: Change,
    /// The devices' positions, ascending: in the earlier set for [`Change::OnlyBefore`], in
    /// this set for every other group (see [`ChangeGroup::side`]). Never empty.
    pub positions: Vec<usize>,
}

impl ChangeGroup {
    /// Devices in the group, at least 1.
    pub fn count(&self) -> usize {
        self.positions.len()
    }

    /// The set `positions` index, of `before` and `after` as given to [`compare`]: the rows to
    /// show, copy ([`super::export::tsv`]) or export ([`super::export::csv_of`]).
    pub fn side<'a>(&self, before: Side<'a>, after: Side<'a>) -> Side<'a> {
        if self.change == Change::OnlyBefore {
            before
        } else {
            after
        }
    }
}

/// The groups of a comparison, largest first; groups of equal size in [`Change`]'s order, and
/// firmware changes of equal size by their versions (from, then to; an unreported version
/// first, as in the firmware chart). Every device of `after`
/// is in exactly one group, and so is every device of `before` that `after` lacks; the others
/// of `before` are counted under their position in `after`. So the counts add up to
/// `after`'s devices plus [`Change::OnlyBefore`]'s.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Comparison {
    pub groups: Vec<ChangeGroup>,
}

/// Compares the earlier set `before` with `after` (usually the one on screen), matching
/// devices by IMEI. Linear in the devices of both, and cheapest when a device keeps its
/// position (the same list sent again): devices are looked up by IMEI only once one has moved.
/// Versions are copied once per group, not per device.
///
/// Devices are expected to be distinct on each side. If one is not, every position of `after`
/// is still in exactly one group, but which position of a device repeated in `before` it is
/// matched with is unspecified, and the repeats not matched count as only in the earlier run.
pub fn compare(before: Side<'_>, after: Side<'_>) -> Comparison {
    let before_len = before.len();
    // Each device's first position in `before`, by IMEI number, built on the first device that
    // moved.
    let mut index: Option<FxHashMap<u64, u32>> = None;
    let mut matched = vec![false; before_len];
    let mut newly_failing = Vec::new();
    let mut recovered = Vec::new();
    let mut still_failing = Vec::new();
    let mut only_after = Vec::new();
    let mut unchanged = Vec::new();
    let mut firmware: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
    for (j, (device, now)) in after.devices.iter().zip(after.outcomes).enumerate() {
        let i = if j < before_len && before.devices[j] == *device {
            j
        } else {
            let index = index.get_or_insert_with(|| {
                let mut index = FxHashMap::with_capacity_and_hasher(before_len, Default::default());
                for (i, device) in before.devices[..before_len].iter().enumerate() {
                    index.entry(device.number()).or_insert(i as u32);
                }
                index
            });
            let Some(&i) = index.get(&device.number()) else {
                only_after.push(j);
                continue;
            };
            i as usize
        };
        matched[i] = true;
        match (&before.outcomes[i], now) {
            (Outcome::Success(was), Outcome::Success(is)) => {
                if was.firmware_version == is.firmware_version {
                    unchanged.push(j);
                } else {
                    let pair = (was.firmware_version.as_str(), is.firmware_version.as_str());
                    firmware.entry(pair).or_default().push(j);
                }
            }
            (Outcome::Success(_), _) => newly_failing.push(j),
            (_, Outcome::Success(_)) => recovered.push(j),
            _ => still_failing.push(j),
        }
    }
    let only_before = (0..before_len).filter(|&i| !matched[i]).collect();
    let mut groups: Vec<ChangeGroup> = firmware
        .into_iter()
        .map(|((from, to), positions)| ChangeGroup {
            change: Change::FirmwareChanged {
                from: from.to_owned(),
                to: to.to_owned(),
            },
            positions,
        })
        .collect();
    let fixed = [
        (Change::NewlyFailing, newly_failing),
        (Change::Recovered, recovered),
        (Change::StillFailing, still_failing),
        (Change::OnlyBefore, only_before),
        (Change::OnlyAfter, only_after),
        (Change::Unchanged, unchanged),
    ];
    groups.extend(
        fixed
            .into_iter()
            .filter(|(_, positions)| !positions.is_empty())
            .map(|(change, positions)| ChangeGroup { change, positions }),
    );
    super::sort_list(&mut groups, |a, b| {
        b.count()
            .cmp(&a.count())
            .then_with(|| a.change.cmp(&b.change))
    });
    Comparison { groups }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{arb_outcome, failed, imei, success};
    use proptest::prelude::*;

    fn listed(comparison: &Comparison) -> Vec<(String, Vec<usize>)> {
        comparison
            .groups
            .iter()
            .map(|g| (g.change.label(), g.positions.clone()))
            .collect()
    }

    fn owned(expected: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
        expected
            .iter()
            .map(|&(l, p)| (l.to_owned(), p.to_vec()))
            .collect()
    }

    #[test]
    fn every_kind_of_change_has_its_group_largest_first() {
        let devices: Vec<Imei> = (0..14).map(imei).collect();
        let before = [
            success("1.2"),
            success("1.2"),
            success("1.2"),
            success(""),
            success("1.3"),
            success("1.3"),
            failed("DeviceNotFound", "not found"),
            Outcome::Error("HTTP 502".into()),
            failed("DeviceNotFound", "not found"),
            Outcome::NoResult,
            success("1.3"),
            success("1.3"),
            success("1.3"),
        ];
        // This run: devices in another order, device 12 left out, device 13 new.
        let order = [4, 0, 13, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11];
        let after_devices: Vec<Imei> = order.iter().map(|&d| devices[d]).collect();
        let after = [
            Outcome::NotSent,
            success("1.3"),
            success("1.3"),
            success("1.3"),
            success("1.4"),
            success("1.3"),
            success("1.3"),
            success("0.9"),
            Outcome::NoResult,
            failed("DeviceNotFound", "other reason"),
            Outcome::Waiting,
            failed("FirmwareVersionUpdateFailed", ""),
            success("1.3"),
        ];
        let before = Side {
            devices: &devices[..13],
            outcomes: &before,
        };
        let after = Side {
            devices: &after_devices,
            outcomes: &after,
        };
        let comparison = compare(before, after);
        assert_eq!(
            listed(&comparison),
            owned(&[
                ("Still failing", &[8, 9, 10]),
                ("Firmware 1.2 → 1.3", &[1, 3]),
                ("Newly failing", &[0, 11]),
                ("Unchanged", &[6, 12]),
                ("Firmware Not reported → 1.3", &[5]),
                ("Firmware 1.2 → 1.4", &[4]),
                ("Recovered", &[7]),
                ("Only in the earlier run", &[12]),
                ("Only in this run", &[2]),
            ]),
            "ties: firmware changes first, by version, then the other kinds in their order"
        );
        let only_before = &comparison.groups[7];
        assert_eq!(only_before.side(before, after).devices[12], devices[12]);
        let recovered = &comparison.groups[6];
        assert_eq!(recovered.side(before, after).devices[7], devices[6]);
    }

    #[test]
    fn versions_are_compared_exactly_and_empty_is_a_version() {
        let devices: Vec<Imei> = (0..4).map(imei).collect();
        let before = [success("v1"), success(""), success("1.2"), success("")];
        let after = [success("V1"), success("1.2"), success(""), success("")];
        let comparison = compare(
            Side {
                devices: &devices,
                outcomes: &before,
            },
            Side {
                devices: &devices,
                outcomes: &after,
            },
        );
        assert_eq!(
            listed(&comparison),
            owned(&[
                ("Firmware Not reported → 1.2", &[1]),
                ("Firmware 1.2 → Not reported", &[2]),
                ("Firmware v1 → V1", &[0]),
                ("Unchanged", &[3]),
            ]),
            "the empty version sorts first, as in the firmware chart"
        );
    }

    #[test]
    fn empty_sets_compare_to_nothing_and_rows_past_the_shorter_slice_are_left_out() {
        let none = Side {
            devices: &[],
            outcomes: &[],
        };
        assert!(compare(none, none).groups.is_empty());
        let devices = [imei(1), imei(2)];
        let outcomes = [success("1")];
        let one = Side {
            devices: &devices,
            outcomes: &outcomes,
        };
        assert_eq!(
            listed(&compare(none, one)),
            owned(&[("Only in this run", &[0])])
        );
        assert_eq!(
            listed(&compare(one, none)),
            owned(&[("Only in the earlier run", &[0])])
        );
    }

    #[test]
    fn result_sets_compare_as_their_devices_and_outcomes() {
        let devices: Vec<Imei> = (0..3).map(imei).collect();
        let mut earlier = ResultSet::new(devices.clone());
        earlier.set(0, success("1.2"));
        earlier.set(1, Outcome::NoResult);
        let mut now = ResultSet::new(devices[1..].to_vec());
        now.set(0, success("1.2"));
        assert_eq!(
            listed(&compare(Side::of(&earlier), Side::of(&now))),
            owned(&[
                ("Recovered", &[0]),
                ("Still failing", &[1]),
                ("Only in the earlier run", &[0]),
            ]),
            "a device still waiting is not a success"
        );
    }

    /// The comparison as a device-by-device reading of the definitions, by linear search:
    /// (label, whether the position is in `before`, position), sorted.
    fn oracle(before: Side<'_>, after: Side<'_>) -> Vec<(String, bool, usize)> {
        let version = |o: &Outcome| match o {
            Outcome::Success(r) if r.firmware_version.is_empty() => Some("Not reported".to_owned()),
            Outcome::Success(r) => Some(r.firmware_version.clone()),
            _ => None,
        };
        let mut out = Vec::new();
        for j in 0..after.len() {
            let found = (0..before.len()).find(|&i| before.devices[i] == after.devices[j]);
            let label = match found {
                None => "Only in this run".to_owned(),
                Some(i) => match (version(&before.outcomes[i]), version(&after.outcomes[j])) {
                    (Some(a), Some(b)) if a == b => "Unchanged".to_owned(),
                    (Some(a), Some(b)) => format!("Firmware {a} → {b}"),
                    (Some(_), None) => "Newly failing".to_owned(),
                    (None, Some(_)) => "Recovered".to_owned(),
                    (None, None) => "Still failing".to_owned(),
                },
            };
            out.push((label, false, j));
        }
        for i in 0..before.len() {
            if !after.devices[..after.len()].contains(&before.devices[i]) {
                out.push(("Only in the earlier run".to_owned(), true, i));
            }
        }
        out.sort();
        out
    }

    /// A set's devices and outcomes, as a test owns them.
    type Set = (Vec<Imei>, Vec<Outcome>);

    /// A set of distinct devices drawn from a pool of 12, in any order, with any outcomes.
    fn arb_side() -> impl Strategy<Value = Set> {
        let pool: Vec<Imei> = (100..112).map(imei).collect();
        proptest::sample::subsequence(pool, 0..=12)
            .prop_shuffle()
            .prop_flat_map(|devices| {
                let n = devices.len();
                (
                    Just(devices),
                    proptest::collection::vec(arb_outcome(), n..=n),
                )
            })
    }

    /// Two sides: any two sets, or the same list sent again with other outcomes.
    fn arb_sides() -> impl Strategy<Value = (Set, Set)> {
        prop_oneof![
            (arb_side(), arb_side()),
            arb_side().prop_flat_map(|(devices, outcomes)| {
                let n = devices.len();
                let again = proptest::collection::vec(arb_outcome(), n..=n);
                (Just((devices.clone(), outcomes)), (Just(devices), again))
            }),
        ]
    }

    proptest! {
        #[test]
        fn every_device_of_both_sets_is_in_exactly_one_group(
            ((before_devices, before_outcomes), (after_devices, after_outcomes)) in arb_sides(),
        ) {
            let before = Side { devices: &before_devices, outcomes: &before_outcomes };
            let after = Side { devices: &after_devices, outcomes: &after_outcomes };
            let comparison = compare(before, after);
            let mut got: Vec<(String, bool, usize)> = comparison
                .groups
                .iter()
                .flat_map(|g| {
                    let earlier = g.change == Change::OnlyBefore;
                    g.positions.iter().map(move |&p| (g.change.label(), earlier, p))
                })
                .collect();
            got.sort();
            prop_assert_eq!(&got, &oracle(before, after));

            let mut seen = vec![0; after_devices.len()];
            let mut only_before = 0;
            for group in &comparison.groups {
                prop_assert!(group.count() > 0);
                prop_assert!(group.positions.windows(2).all(|w| w[0] < w[1]));
                let side = group.side(before, after);
                for &p in &group.positions {
                    if group.change == Change::OnlyBefore {
                        only_before += 1;
                        prop_assert!(!after_devices.contains(&side.devices[p]));
                    } else {
                        seen[p] += 1;
                    }
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
            let in_both = before_devices.iter().filter(|d| after_devices.contains(d)).count();
            prop_assert_eq!(only_before + in_both, before_devices.len());
            prop_assert_eq!(
                comparison.groups.iter().map(ChangeGroup::count).sum::<usize>(),
                after_devices.len() + only_before
            );
            for pair in comparison.groups.windows(2) {
                prop_assert!(pair[0].count() >= pair[1].count());
            }
            let labels: std::collections::HashSet<String> =
                comparison.groups.iter().map(|g| g.change.label()).collect();
            prop_assert_eq!(labels.len(), comparison.groups.len(), "labels tell groups apart");
        }
    }
}
