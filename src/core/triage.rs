//! Outcomes grouped for triage, by kind and by the server's words: which devices failed the same
//! way, and how many of them.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::outcome::{Outcome, OutcomeKind};

/// The group an outcome belongs to. Borrowed from the outcome by [`key_of`] (no allocation, so
/// it can be taken for every device of a large run); [`GroupKey::into_owned`] gives the
/// `GroupKey<'static>` a view keeps as its selected group.
///
/// The variants are declared in the order groups of equal size are listed, [`OutcomeKind::ALL`]'s.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey<'a> {
    /// Every success, one group.
    Success,
    /// A failure status with its reason, both as the server sent them.
    Failed {
        status: Cow<'a, str>,
        reason: Cow<'a, str>,
    },
    NoResult,
    /// An error's whole text, which already names the HTTP status and what the server said.
    Error(Cow<'a, str>),
    NotSent,
    /// Only while a run goes on.
    Waiting,
}

impl GroupKey<'_> {
    /// The key with its own copies of the server's words.
    pub fn into_owned(self) -> GroupKey<'static> {
        match self {
            GroupKey::Success => GroupKey::Success,
            GroupKey::Failed { status, reason } => GroupKey::Failed {
                status: Cow::Owned(status.into_owned()),
                reason: Cow::Owned(reason.into_owned()),
            },
            GroupKey::NoResult => GroupKey::NoResult,
            GroupKey::Error(text) => GroupKey::Error(Cow::Owned(text.into_owned())),
            GroupKey::NotSent => GroupKey::NotSent,
            GroupKey::Waiting => GroupKey::Waiting,
        }
    }

    /// Whether `outcome` is in this group.
    pub fn contains(&self, outcome: &Outcome) -> bool {
        key_of(outcome) == *self
    }

    /// The kind of the group's outcomes.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            GroupKey::Success => OutcomeKind::Success,
            GroupKey::Failed { .. } => OutcomeKind::Failed,
            GroupKey::NoResult => OutcomeKind::NoResult,
            GroupKey::Error(_) => OutcomeKind::Error,
            GroupKey::NotSent => OutcomeKind::NotSent,
            GroupKey::Waiting => OutcomeKind::Waiting,
        }
    }

    /// The row class of the group's outcomes (as [`Outcome::css_class`]), for styling.
    pub fn css_class(&self) -> &'static str {
        self.kind().css_class()
    }

    /// What the triage panel shows: `Succeeded`, `Failed: DeviceNotFound — device not found`
    /// (`Failed: DeviceNotFound` without a reason), `No result`, `Error: HTTP 502 Bad Gateway
    /// (after 4 tries)`, `Not sent`, `Waiting`.
    pub fn label(&self) -> String {
        let kind = self.kind().label();
        match self {
            GroupKey::Failed { status, reason } => {
                let status = if status.is_empty() {
                    "(no status)"
                } else {
                    status
                };
                if reason.is_empty() {
                    format!("{kind}: {status}")
                } else {
                    format!("{kind}: {status} — {reason}")
                }
            }
            GroupKey::Error(text) => format!("{kind}: {text}"),
            _ => kind.to_owned(),
        }
    }
}

/// The group of `outcome`, borrowing the server's words from it.
pub fn key_of(outcome: &Outcome) -> GroupKey<'_> {
    match outcome {
        Outcome::Success(_) => GroupKey::Success,
        Outcome::Failed(r) => GroupKey::Failed {
            status: Cow::Borrowed(&r.status),
            reason: Cow::Borrowed(&r.reason),
        },
        Outcome::NoResult => GroupKey::NoResult,
        Outcome::Error(text) => GroupKey::Error(Cow::Borrowed(text)),
        Outcome::NotSent => GroupKey::NotSent,
        Outcome::Waiting => GroupKey::Waiting,
    }
}

/// One line of the triage panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub key: GroupKey<'static>,
    /// [`GroupKey::label`].
    pub label: String,
    /// Devices in the group, at least 1.
    pub count: usize,
}

/// The groups of `outcomes`, largest first; groups of equal size in [`GroupKey`]'s kind order
/// (success, failed, no result, error, not sent, waiting), then by label. Every outcome is in
/// exactly one group, so the counts add up to `outcomes.len()`. Strings are copied once per
/// group, not per device.
pub fn groups(outcomes: &[Outcome]) -> Vec<Group> {
    let mut counts: FxHashMap<GroupKey<'_>, usize> = FxHashMap::default();
    for outcome in outcomes {
        *counts.entry(key_of(outcome)).or_insert(0) += 1;
    }
    listed(counts)
}

/// The groups of `counts` (each group's key, once, with its count of devices, at least 1) in
/// the order [`groups`] lists them.
pub fn listed<'a>(counts: impl IntoIterator<Item = (GroupKey<'a>, usize)>) -> Vec<Group> {
    let mut groups: Vec<Group> = counts
        .into_iter()
        .map(|(key, count)| Group {
            label: key.label(),
            key: key.into_owned(),
            count,
        })
        .collect();
    super::sort_list(&mut groups, |a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.key.kind().rank().cmp(&b.key.kind().rank()))
            .then_with(|| a.label.cmp(&b.label))
    });
    groups
}

/// The positions (indexes into `outcomes`, ascending) of the devices in the group `key`.
pub fn positions(outcomes: &[Outcome], key: &GroupKey<'_>) -> Vec<usize> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| key.contains(o))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{arb_outcome, failed, success};
    use proptest::prelude::*;

    #[test]
    fn failures_group_by_status_and_reason_largest_first() {
        let outcomes = [
            failed("DeviceNotFound", "device not found"),
            success("v1"),
            Outcome::Error("HTTP 502 Bad Gateway (after 4 tries)".into()),
            failed("DeviceNotFound", "device not found"),
            failed("DeviceNotFound", "offline"),
            success("v2"),
            failed("DeviceNotFound", "device not found"),
            Outcome::NotSent,
            failed("", ""),
        ];
        let listed: Vec<(String, usize)> = groups(&outcomes)
            .into_iter()
            .map(|g| (g.label, g.count))
            .collect();
        let expected = [
            ("Failed: DeviceNotFound — device not found", 3),
            ("Succeeded", 2),
            ("Failed: (no status)", 1),
            ("Failed: DeviceNotFound — offline", 1),
            ("Error: HTTP 502 Bad Gateway (after 4 tries)", 1),
            ("Not sent", 1),
        ];
        assert_eq!(
            listed,
            expected.map(|(l, c)| (l.to_owned(), c)).to_vec(),
            "ties: kind order, then label"
        );
    }

    #[test]
    fn a_groups_positions_are_its_devices() {
        let outcomes = [
            failed("A", "r"),
            Outcome::Waiting,
            failed("A", "r"),
            failed("A", "other"),
        ];
        let key = key_of(&outcomes[2]).into_owned();
        assert_eq!(positions(&outcomes, &key), [0, 2]);
        assert_eq!(positions(&outcomes, &GroupKey::Waiting), [1]);
        assert!(positions(&outcomes, &GroupKey::Success).is_empty());
        assert_eq!(key.css_class(), outcomes[0].css_class());
    }

    proptest! {
        #[test]
        fn every_device_is_in_exactly_one_group(
            outcomes in proptest::collection::vec(arb_outcome(), 0..60),
        ) {
            let groups = groups(&outcomes);
            prop_assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), outcomes.len());
            let mut seen = vec![0; outcomes.len()];
            for group in &groups {
                let at = positions(&outcomes, &group.key);
                prop_assert_eq!(at.len(), group.count);
                for p in at {
                    seen[p] += 1;
                    prop_assert_eq!(group.key.css_class(), outcomes[p].css_class());
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
            for pair in groups.windows(2) {
                prop_assert!(pair[0].count >= pair[1].count);
            }
            let labels: std::collections::HashSet<&str> =
                groups.iter().map(|g| g.label.as_str()).collect();
            prop_assert_eq!(labels.len(), groups.len(), "labels tell groups apart");
        }
    }
}
