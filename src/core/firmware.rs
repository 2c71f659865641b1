//! The firmware versions the successful devices reported, as bars of a chart, and which
//! devices have not had a firmware change for a long time.

use rustc_hash::FxHashMap;

use super::fota::{DeviceReport, UpdateTime};
use super::outcome::Outcome;

/// Which devices a bar stands for, to filter the table with. Only successes are in any bar.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VersionKey {
    /// One version, as reported; empty for devices that reported none.
    Version(String),
    /// Every version not shown as a bar of its own: the versions shown (a few), in the order of
    /// their bars, are kept to tell them apart.
    Other { shown: Vec<String> },
}

impl VersionKey {
    /// Whether `outcome` is a success counted in this bar.
    pub fn matches(&self, outcome: &Outcome) -> bool {
        let Outcome::Success(report) = outcome else {
            return false;
        };
        let version = report.firmware_version.as_str();
        match self {
            VersionKey::Version(v) => v == version,
            VersionKey::Other { shown } => !shown.iter().any(|s| s == version),
        }
    }
}

/// One bar of the firmware chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionBar {
    pub key: VersionKey,
    /// The version, `Not reported`, or `Other (12 versions)`.
    pub label: String,
    /// Successful devices in the bar.
    pub count: usize,
}

/// The label of devices that reported no firmware version.
pub const NOT_REPORTED: &str = "Not reported";

/// Successful devices per firmware version, largest first, equal counts by version (the
/// empty version, shown as [`NOT_REPORTED`], sorts before any other). The first `top` versions
/// are bars of their own and the rest one `Other (N versions)` bar, last; when the rest is a
/// single version it is shown as itself, since a bar named "Other" would hide its name for
/// nothing. Versions are compared exactly (`V1` and `v1` are two bars). Empty without
/// successes.
pub fn versions(outcomes: &[Outcome], top: usize) -> Vec<VersionBar> {
    let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
    for outcome in outcomes {
        if let Outcome::Success(report) = outcome {
            *counts.entry(report.firmware_version.as_str()).or_insert(0) += 1;
        }
    }
    bars(counts.into_iter().collect(), top)
}

/// The bars of `by_count` (each version, once, with its count of successful devices, at least
/// 1) as [`versions`] draws them with `top` bars.
///
/// Only the bars shown are sorted: a fleet may report tens of thousands of versions (the
/// emulator does), and the chart is redrawn every second while a run goes.
pub fn bars(mut by_count: Vec<(&str, usize)>, top: usize) -> Vec<VersionBar> {
    let order = |a: &(&str, usize), b: &(&str, usize)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    let shown = if by_count.len() == top + 1 {
        by_count.len()
    } else {
        top.min(by_count.len())
    };
    if shown < by_count.len() && shown > 0 {
        by_count.select_nth_unstable_by(shown - 1, order);
    }
    super::sort_list(&mut by_count[..shown], order);
    let mut bars: Vec<VersionBar> = by_count[..shown]
        .iter()
        .map(|&(version, count)| VersionBar {
            key: VersionKey::Version(version.to_owned()),
            label: if version.is_empty() {
                NOT_REPORTED.to_owned()
            } else {
                version.to_owned()
            },
            count,
        })
        .collect();
    let rest = &by_count[shown..];
    if !rest.is_empty() {
        let shown: Vec<String> = by_count[..shown]
            .iter()
            .map(|(v, _)| (*v).to_owned())
            .collect();
        bars.push(VersionBar {
            key: VersionKey::Other { shown },
            label: format!("Other ({} versions)", rest.len()),
            count: rest.iter().map(|(_, c)| c).sum(),
        });
    }
    bars
}

const MS_PER_DAY: f64 = 86_400_000.0;

/// Whether the device's firmware last changed more than `stale_after_days` days (of 24 hours)
/// before `now_ms` (ms since the Unix epoch, as `Date.now()`). Never stale when
/// `stale_after_days` is 0 (the check is off), or when the time is unknown: empty, Go's zero
/// time ("never", which [`UpdateTime::parse`] already reads as unknown) or a text the app
/// cannot read; nor when it lies in the future (a server clock ahead of the user's).
pub fn is_stale(report: &DeviceReport, now_ms: f64, stale_after_days: u32) -> bool {
    match &report.updated {
        UpdateTime::At(t) if stale_after_days > 0 => {
            now_ms - t.timestamp_millis() as f64 > f64::from(stale_after_days) * MS_PER_DAY
        }
        _ => false,
    }
}

/// How the successful devices' firmware ages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Staleness {
    /// Successes whose firmware is stale ([`is_stale`]).
    pub stale: usize,
    /// Successes whose update time is unknown, so that they can be neither.
    pub unknown: usize,
}

/// [`Staleness`] among the successes of `outcomes`.
pub fn staleness(outcomes: &[Outcome], now_ms: f64, stale_after_days: u32) -> Staleness {
    let mut counts = Staleness::default();
    for outcome in outcomes {
        if let Outcome::Success(report) = outcome {
            if !matches!(report.updated, UpdateTime::At(_)) {
                counts.unknown += 1;
            } else if is_stale(report, now_ms, stale_after_days) {
                counts.stale += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{arb_outcome, failed, success};
    use proptest::prelude::*;

    fn bars(outcomes: &[Outcome], top: usize) -> Vec<(String, usize)> {
        versions(outcomes, top)
            .into_iter()
            .map(|b| (b.label, b.count))
            .collect()
    }

    fn owned(expected: &[(&str, usize)]) -> Vec<(String, usize)> {
        expected.iter().map(|&(l, c)| (l.to_owned(), c)).collect()
    }

    #[test]
    fn successes_per_version_largest_first_the_rest_as_other() {
        let mut outcomes = vec![failed("Failed", "x"), Outcome::NoResult];
        for (version, n) in [("v1", 2), ("v3", 5), ("", 2), ("v2", 1), ("v0", 1)] {
            outcomes.extend(std::iter::repeat_n(success(version), n));
        }
        assert_eq!(
            bars(&outcomes, 2),
            owned(&[("v3", 5), (NOT_REPORTED, 2), ("Other (3 versions)", 4)])
        );
        assert_eq!(
            bars(&outcomes, 4),
            owned(&[
                ("v3", 5),
                (NOT_REPORTED, 2),
                ("v1", 2),
                ("v0", 1),
                ("v2", 1)
            ]),
            "one version left is shown as itself"
        );
        assert_eq!(bars(&outcomes, 0), owned(&[("Other (5 versions)", 11)]));
        assert!(versions(&[failed("Failed", "")], 5).is_empty());
    }

    #[test]
    fn a_bar_filters_to_its_devices() {
        let outcomes = [success("v1"), success("v2"), success("v3"), success("v1")];
        let bars = versions(&outcomes, 1);
        let members = |bar: &VersionBar| -> Vec<usize> {
            (0..outcomes.len())
                .filter(|&i| bar.key.matches(&outcomes[i]))
                .collect()
        };
        assert_eq!(members(&bars[0]), [0, 3]);
        assert_eq!(members(&bars[1]), [1, 2]);
        assert!(!bars[0].key.matches(&failed("s", "")));
    }

    #[test]
    fn stale_after_the_configured_days() {
        let day = 86_400_000.0;
        let at = |text: &str| match success("v1") {
            Outcome::Success(mut r) => {
                r.updated = UpdateTime::parse(text);
                r
            }
            _ => unreachable!(),
        };
        let changed = at("2024-01-01T00:00:00Z");
        let t0 = 1_704_067_200_000.0;
        assert!(!is_stale(&changed, t0 + 30.0 * day, 30));
        assert!(is_stale(&changed, t0 + 30.0 * day + 1.0, 30));
        assert!(!is_stale(&changed, t0 + 3650.0 * day, 0), "0 turns it off");
        assert!(
            !is_stale(&changed, t0 - day, 1),
            "a time ahead of the clock"
        );
        for never in ["", "0001-01-01 00:00:00 +0000 UTC", "last week"] {
            assert!(!is_stale(&at(never), t0, 1), "{never:?}");
        }
        let outcomes = [
            Outcome::Success(changed.clone()),
            Outcome::Success(at("")),
            Outcome::Success(at("2024-02-01T00:00:00Z")),
            Outcome::Failed(changed),
        ];
        assert_eq!(
            staleness(&outcomes, t0 + 40.0 * day, 30),
            Staleness {
                stale: 1,
                unknown: 1
            }
        );
    }

    proptest! {
        #[test]
        fn bars_count_every_success_once(
            outcomes in proptest::collection::vec(arb_outcome(), 0..60),
            top in 0usize..6,
        ) {
            let bars = versions(&outcomes, top);
            let successes = outcomes.iter().filter(|o| matches!(o, Outcome::Success(_))).count();
            prop_assert_eq!(bars.iter().map(|b| b.count).sum::<usize>(), successes);
            for outcome in &outcomes {
                let in_bars = bars.iter().filter(|b| b.key.matches(outcome)).count();
                prop_assert_eq!(in_bars, usize::from(matches!(outcome, Outcome::Success(_))));
            }
            for bar in &bars {
                prop_assert_eq!(outcomes.iter().filter(|o| bar.key.matches(o)).count(), bar.count);
            }
            prop_assert!(bars.len() <= top + 1);
        }
    }
}
