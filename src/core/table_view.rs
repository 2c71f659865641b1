//! Which rows the results table shows, and in what order: find by IMEI digits, filter by a
//! triage group, a firmware bar or "not successful", and a stable sort by any column.
//!
//! Rows are positions: indexes into the run's devices and outcomes, which are the same length
//! and in the order the user entered the devices.

use std::cmp::Ordering;
use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::columns::{text_order, Field};
use super::firmware::VersionKey;
use super::fota::UpdateTime;
use super::imei::Imei;
use super::outcome::{Outcome, OutcomeKind};
use super::results::ResultSet;
use super::thousands;
use super::triage::GroupKey;

/// Which way a column sorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// What the user asked the table to show. The default shows every row in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewQuery {
    /// The "Find IMEI" box, read by [`find_digits`]: rows whose IMEI contains these digits.
    pub find: String,
    /// Only the devices of this triage group.
    pub group: Option<GroupKey<'static>>,
    /// Only the devices of this firmware bar.
    pub bar: Option<VersionKey>,
    /// Only devices that did not succeed.
    pub only_unsuccessful: bool,
    /// Only these positions (ascending), with what they are: a group of a comparison with
    /// another run, e.g. `Firmware 1.2 → 1.3`.
    pub only: Option<(Arc<str>, Arc<[usize]>)>,
    /// The column sorted by, of [`super::columns::COLUMNS`]; `None`: input order.
    pub sort: Option<(Field, Direction)>,
}

/// What a find box's text looks for: its digits, with the spaces and dashes of a printed IMEI
/// (`35 693810 000016 6`, `35-693810-000016-6`) dropped. `Some(empty)` finds every row; `None`
/// finds none, since an IMEI holds nothing but digits (a letter typed by mistake shows an empty
/// table rather than every row).
pub fn find_digits(find: &str) -> Option<Vec<u8>> {
    let mut digits = Vec::with_capacity(find.len());
    for c in find.chars() {
        match c {
            '0'..='9' => digits.push(c as u8),
            '-' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    Some(digits)
}

/// Whether the IMEI's digits contain `digits` anywhere.
fn contains_digits(imei: &Imei, digits: &[u8]) -> bool {
    digits.is_empty()
        || imei
            .as_str()
            .as_bytes()
            .windows(digits.len())
            .any(|w| w == digits)
}

/// The positions the table shows, in the order it shows them: the rows that pass every filter
/// of `query` (they combine: a row must pass all), sorted by `query.sort`. Sorting is stable
/// (rows with equal values keep input order, in both directions) and follows what the column
/// shows:
/// - IMEI: by number (15 digits each, so their text order too);
/// - Status, Reason, Firmware version: by text, ignoring ASCII case (then exactly, so that
///   `V1` and `v1` do not interleave);
/// - Updated: by instant; times the app could not read come after every instant, by text.
///
/// Empty cells come last in both directions. Filtering reads every device (about 10 ms for
/// 300,000 natively); a sort is then one pass over the rows' kept ranks (see [`ResultSet`]).
pub fn view(set: &ResultSet, query: &ViewQuery) -> Vec<usize> {
    let (devices, outcomes) = (set.devices(), set.outcomes());
    let Some(digits) = find_digits(&query.find) else {
        return Vec::new();
    };
    let shown = |&i: &usize| {
        let outcome = &outcomes[i];
        !(query.only_unsuccessful && outcome.kind() == OutcomeKind::Success)
            && query.group.as_ref().is_none_or(|g| g.contains(outcome))
            && query.bar.as_ref().is_none_or(|b| b.matches(outcome))
            && contains_digits(&devices[i], &digits)
    };
    let positions: Vec<usize> = match &query.only {
        Some((_, only)) => only
            .iter()
            .copied()
            .filter(|&i| i < devices.len() && shown(&i))
            .collect(),
        None => (0..devices.len()).filter(shown).collect(),
    };
    match query.sort {
        None => positions,
        Some((Field::Imei, direction)) => by_imei(devices, positions, direction),
        Some((Field::Updated, direction)) => by_rank(outcomes, positions, direction),
        Some((field, direction)) => by_text(set, positions, field, direction),
    }
}

/// An IMEI's 15 digits as a number.
fn imei_number(imei: &Imei) -> u64 {
    imei.as_str()
        .bytes()
        .fold(0, |n, b| n * 10 + u64::from(b.wrapping_sub(b'0')))
}

fn by_imei(devices: &[Imei], positions: Vec<usize>, direction: Direction) -> Vec<usize> {
    // The set's IMEIs are distinct: each row's rank is its number's place among the numbers,
    // and the rows sort by (rank, position) packed in a u64, as `sort_by_ranks` does (one sort
    // routine in the bundle for every column).
    let numbers: Vec<u64> = positions
        .iter()
        .map(|&i| imei_number(&devices[i]))
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    let ranks = numbers
        .iter()
        .map(|n| Some(sorted.partition_point(|m| m < n) as u32))
        .collect();
    sort_by_ranks(positions, ranks, sorted.len(), direction)
}

/// A cell's value in its column's sort order: instants (Updated) first, then texts ignoring
/// ASCII case, then exactly (statuses, reasons and versions are ASCII in practice; Unicode case
/// tables would cost the bundle several KB).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Cell<'a> {
    At(i64),
    Text(&'a str),
}

/// The order of two cells, without copying either (a column may hold 100,000 distinct texts).
fn cell_order(a: &Cell<'_>, b: &Cell<'_>) -> Ordering {
    match (*a, *b) {
        (Cell::At(a), Cell::At(b)) => a.cmp(&b),
        (Cell::At(_), Cell::Text(_)) => Ordering::Less,
        (Cell::Text(_), Cell::At(_)) => Ordering::Greater,
        (Cell::Text(a), Cell::Text(b)) => text_order(a, b),
    }
}

/// Sorts a text column (Status, Reason, Firmware version) by the rank of each row's text among
/// the set's distinct texts, which the set ranks once ([`ResultSet::text_ranks`]).
fn by_text(
    set: &ResultSet,
    positions: Vec<usize>,
    field: Field,
    direction: Direction,
) -> Vec<usize> {
    let (texts, rank) = (set.texts(), set.text_ranks());
    let ranks = positions
        .iter()
        .map(|&i| {
            let t = set.cell(i, field).unwrap_or(0) as usize;
            (!texts[t].is_empty()).then_some(rank[t])
        })
        .collect();
    sort_by_ranks(positions, ranks, texts.len(), direction)
}

/// Sorts by Updated: by each row's rank among the distinct values of the column, found with a
/// map and ranked once.
fn by_rank(outcomes: &[Outcome], positions: Vec<usize>, direction: Direction) -> Vec<usize> {
    let cell = |i: usize| -> Option<Cell<'_>> {
        match outcomes[i].report().map(|r| &r.updated) {
            Some(UpdateTime::At(t)) => Some(Cell::At(t.timestamp_millis())),
            Some(UpdateTime::Unparsed(raw)) if !raw.is_empty() => Some(Cell::Text(raw)),
            _ => None,
        }
    };
    // Rows map to the index of their value among the distinct ones, in first-seen order.
    let mut index: FxHashMap<Cell<'_>, u32> = FxHashMap::default();
    let mut distinct: Vec<Cell<'_>> = Vec::new();
    let row_values: Vec<Option<u32>> = positions
        .iter()
        .map(|&i| {
            cell(i).map(|v| {
                *index.entry(v).or_insert_with(|| {
                    distinct.push(v);
                    (distinct.len() - 1) as u32
                })
            })
        })
        .collect();
    let rank = super::ranks(distinct.len(), &|a, b| {
        cell_order(&distinct[a], &distinct[b])
    });
    let ranks = row_values
        .into_iter()
        .map(|v| v.map(|d| rank[d as usize]))
        .collect();
    sort_by_ranks(positions, ranks, distinct.len(), direction)
}

/// Sorts `positions` (ascending, as the filters give them) by their `ranks` (below
/// `distinct`; `None`: a blank cell, last in both directions), equal ranks in position order:
/// a counting sort, one pass to count and one to place, whatever the number of rows.
fn sort_by_ranks(
    positions: Vec<usize>,
    ranks: Vec<Option<u32>>,
    distinct: usize,
    direction: Direction,
) -> Vec<usize> {
    let bucket = |rank: Option<u32>| match (rank, direction) {
        (None, _) => distinct,
        (Some(r), Direction::Ascending) => r as usize,
        (Some(r), Direction::Descending) => distinct - 1 - r as usize,
    };
    // starts[b]: where bucket b's rows go.
    let mut starts = vec![0usize; distinct + 2];
    for &rank in &ranks {
        starts[bucket(rank) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut sorted = vec![0usize; positions.len()];
    for (&p, rank) in positions.iter().zip(ranks) {
        let b = bucket(rank);
        sorted[starts[b]] = p;
        starts[b] += 1;
    }
    sorted
}

/// `Showing 312 of 10,000 devices`, `Showing all 10,000 devices`, `Showing 1 device`, or
/// `No devices`: the line above the table.
pub fn summary_line(shown: usize, total: usize) -> String {
    let noun = if total == 1 { "device" } else { "devices" };
    match (shown, total) {
        (_, 0) => "No devices".to_owned(),
        (1, 1) => "Showing 1 device".to_owned(),
        (s, t) if s == t => format!("Showing all {} {noun}", thousands(t)),
        (s, t) => format!("Showing {} of {} {noun}", thousands(s), thousands(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::DeviceReport;
    use crate::core::test_support::{arb_outcome, failed, imei, report, set_of, success};
    use crate::core::triage::key_of;
    use proptest::prelude::*;

    fn updated(text: &str) -> Outcome {
        Outcome::Success(Box::new(DeviceReport {
            updated: UpdateTime::parse(text),
            ..report("FirmwareVersionUpdateSuccess", "", "v1")
        }))
    }

    fn sorted(outcomes: &[Outcome], field: Field, direction: Direction) -> Vec<usize> {
        let devices: Vec<Imei> = (0..outcomes.len() as u64).map(imei).collect();
        let query = ViewQuery {
            sort: Some((field, direction)),
            ..ViewQuery::default()
        };
        view(&set_of(&devices, outcomes), &query)
    }

    #[test]
    fn find_reads_digits_and_printed_groups() {
        assert_eq!(find_digits(" 35-6938 "), Some(b"356938".to_vec()));
        assert_eq!(find_digits(""), Some(vec![]));
        assert_eq!(find_digits("35a"), None);
        let devices = [imei(35_693_803_564_380), imei(49_015_420_323_751)];
        let outcomes = [Outcome::NotSent, Outcome::NotSent];
        let find = |text: &str| {
            let query = ViewQuery {
                find: text.into(),
                ..ViewQuery::default()
            };
            view(&set_of(&devices, &outcomes), &query)
        };
        assert_eq!(find("3564"), [0]);
        assert_eq!(find("0 3"), [0, 1]);
        assert_eq!(find(devices[1].as_str()), [1]);
        assert_eq!(find(""), [0, 1]);
        assert!(find("l").is_empty(), "a letter finds nothing");
        assert!(find("3564380x").is_empty());
    }

    #[test]
    fn filters_combine() {
        let devices: Vec<Imei> = (10..16).map(imei).collect();
        let outcomes = [
            success("v1"),
            failed("A", "r"),
            success("v2"),
            failed("A", "r"),
            Outcome::NoResult,
            success("v1"),
        ];
        let query = |q: ViewQuery| view(&set_of(&devices, &outcomes), &q);
        assert_eq!(
            query(ViewQuery {
                only_unsuccessful: true,
                ..ViewQuery::default()
            }),
            [1, 3, 4]
        );
        assert_eq!(
            query(ViewQuery {
                group: Some(key_of(&outcomes[1]).into_owned()),
                find: devices[3].as_str()[10..].into(),
                ..ViewQuery::default()
            }),
            [3]
        );
        assert_eq!(
            query(ViewQuery {
                bar: Some(VersionKey::Version("v1".into())),
                sort: Some((Field::Imei, Direction::Descending)),
                ..ViewQuery::default()
            }),
            [5, 0]
        );
        assert!(query(ViewQuery {
            bar: Some(VersionKey::Version("v1".into())),
            only_unsuccessful: true,
            ..ViewQuery::default()
        })
        .is_empty());
    }

    #[test]
    fn text_columns_sort_ignoring_case_blanks_last_ties_in_input_order() {
        let outcomes = [
            failed("b", ""),
            failed("B", "x"),
            failed("a", ""),
            failed("b", "y"),
            failed("", "x"),
            failed("A", ""),
        ];
        assert_eq!(
            sorted(&outcomes, Field::Status, Direction::Ascending),
            [4, 5, 2, 1, 0, 3],
            "(no status) is a text too"
        );
        assert_eq!(
            sorted(&outcomes, Field::Reason, Direction::Ascending),
            [1, 4, 3, 0, 2, 5]
        );
        assert_eq!(
            sorted(&outcomes, Field::Reason, Direction::Descending),
            [3, 1, 4, 0, 2, 5]
        );
    }

    #[test]
    fn updated_sorts_by_instant_not_by_text() {
        let outcomes = [
            updated("2022-02-04 06:10:01 +0000 UTC"),
            updated("2022-02-04 01:10:02 -0500 EST"),
            updated("2021-12-31T23:59:59Z"),
            updated("soon"),
            updated(""),
            Outcome::NotSent,
            updated("2022-02-04T06:10:01Z"),
        ];
        assert_eq!(
            sorted(&outcomes, Field::Updated, Direction::Ascending),
            [2, 0, 6, 1, 3, 4, 5]
        );
        assert_eq!(
            sorted(&outcomes, Field::Updated, Direction::Descending),
            [3, 1, 0, 6, 2, 4, 5]
        );
    }

    #[test]
    fn the_line_above_the_table() {
        assert_eq!(summary_line(312, 10_000), "Showing 312 of 10,000 devices");
        assert_eq!(
            summary_line(300_000, 300_000),
            "Showing all 300,000 devices"
        );
        assert_eq!(summary_line(0, 1), "Showing 0 of 1 device");
        assert_eq!(summary_line(1, 1), "Showing 1 device");
        assert_eq!(summary_line(0, 0), "No devices");
    }

    /// The order a comparison sort of the CSV's texts gives: the oracle for the packed sorts.
    fn oracle(devices: &[Imei], outcomes: &[Outcome], field: Field, dir: Direction) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..outcomes.len()).collect();
        rows.sort_by(|&a, &b| {
            let (a, b) = (
                field.text(&devices[a], &outcomes[a]),
                field.text(&devices[b], &outcomes[b]),
            );
            // Ignoring ASCII case, then exactly.
            let key = |t: &str| (t.to_ascii_lowercase(), t.to_owned());
            let by_value = key(a.as_ref()).cmp(&key(b.as_ref()));
            let by_value = match dir {
                Direction::Ascending => by_value,
                Direction::Descending => by_value.reverse(),
            };
            a.is_empty().cmp(&b.is_empty()).then(by_value)
        });
        rows
    }

    proptest! {
        #[test]
        fn sorts_agree_with_a_comparison_sort(
            outcomes in proptest::collection::vec(arb_outcome(), 0..50),
            numbers in proptest::collection::vec(0u64..1000, 50),
            field in prop::sample::select(vec![Field::Imei, Field::Status, Field::Reason, Field::FirmwareVersion]),
            descending in any::<bool>(),
        ) {
            let devices: Vec<Imei> = numbers[..outcomes.len()].iter().map(|&n| imei(n)).collect();
            let dir = if descending { Direction::Descending } else { Direction::Ascending };
            let query = ViewQuery { sort: Some((field, dir)), ..ViewQuery::default() };
            prop_assert_eq!(
                view(&set_of(&devices, &outcomes), &query),
                oracle(&devices, &outcomes, field, dir)
            );
        }

        #[test]
        fn filters_only_remove_rows(
            outcomes in proptest::collection::vec(arb_outcome(), 0..50),
            find in "[0-9]{0,3}",
            only_unsuccessful in any::<bool>(),
        ) {
            let devices: Vec<Imei> = (0..outcomes.len() as u64).map(|n| imei(n * 7919)).collect();
            let query = ViewQuery { find: find.clone(), only_unsuccessful, ..ViewQuery::default() };
            let shown = view(&set_of(&devices, &outcomes), &query);
            for i in 0..outcomes.len() {
                let expected = devices[i].as_str().contains(&find)
                    && !(only_unsuccessful && matches!(outcomes[i], Outcome::Success(_)));
                prop_assert_eq!(shown.contains(&i), expected);
            }
            prop_assert!(shown.windows(2).all(|w| w[0] < w[1]), "input order without a sort");
        }
    }
}
