//! A result set in columns, as the browser's IndexedDB keeps it (README, "What is stored"):
//! one typed array per field, which the browser copies in one step, and each distinct text
//! once. Never a token: a result set holds none.
//!
//! A set of 300,000 devices is about 10 MB: 8 bytes per IMEI, 1 per outcome kind, 3 × 4 per
//! text id, 8 per update time, 4 per request count, and the distinct texts.

use rustc_hash::FxHashMap;

use super::columns::Field;
use super::fota::{DeviceReport, UpdateTime};
use super::imei::Imei;
use super::outcome::{Outcome, OutcomeKind};
use super::results::ResultSet;

/// The layout this build writes, stored as `version` in every record.
///
/// - 1 (released with the first durable runs): a set's list entry, its columns under its key,
///   its IMEIs under `KEY#devices` as a bare `Float64Array`.
/// - 2: the same entry and columns; the IMEIs as `{version, devices}`; and the steps of a
///   running set, `KEY#step#NNNNNNNNNN`, each the outcomes that changed since the step before.
pub const STORED_VERSION: u32 = 2;

/// The oldest layout this build reads (and migrates as it reads).
pub const OLDEST_READ: u32 = 1;

/// What the Status column shows for a report without a status ([`Outcome::status_text`]),
/// read back as an empty status.
const NO_STATUS: &str = "(no status)";

/// Why a stored record cannot be read. A record that is not there at all is neither: it is
/// gone (deleted in another tab, or the browser cleared the site's data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a newer release of the app, in the layout it names.
    Newer(u32),
    /// Not a record any release wrote, or cut: what does not fit.
    Damaged(String),
}

impl Unreadable {
    /// What the page says of a stored run that cannot be opened.
    pub fn message(&self) -> String {
        match self {
            Unreadable::Newer(v) => format!(
                "That stored run was saved by a newer version of FOTA Sync (layout {v}; this version reads up to {STORED_VERSION}): reload the page to get the newer version, then open it."
            ),
            Unreadable::Damaged(why) => {
                format!("That stored run is damaged ({why}) and cannot be read: delete it.")
            }
        }
    }

    /// A short label for the history list.
    pub fn label(&self) -> &'static str {
        match self {
            Unreadable::Newer(_) => "saved by a newer version of FOTA Sync",
            Unreadable::Damaged(_) => "damaged, cannot be read",
        }
    }
}

/// The layout a record declares in its `version` field (`None`: no number there), if this
/// build reads it.
pub fn layout_of(version: Option<f64>) -> Result<u32, Unreadable> {
    match version {
        Some(v) if v.fract() == 0.0 && v > f64::from(STORED_VERSION) && v < 1e9 => {
            Err(Unreadable::Newer(v as u32))
        }
        Some(v)
            if v.fract() == 0.0
                && v >= f64::from(OLDEST_READ)
                && v <= f64::from(STORED_VERSION) =>
        {
            Ok(v as u32)
        }
        // No f64 formatting in the bundle for this (about 12 KB): the layout is not named.
        Some(_) => Err(Unreadable::Damaged("its layout version is unknown".into())),
        None => Err(Unreadable::Damaged("it names no layout version".into())),
    }
}

/// A result set (or some of its devices) as columns, row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredColumns {
    /// Each IMEI's 15 digits as a number ([`Imei::number`]; below 2^53, exact in an f64).
    pub devices: Vec<f64>,
    /// Each device's [`OutcomeKind`] as its number: 0 waiting, 1 success, 2 failed, 3 no
    /// result, 4 error, 5 not sent.
    pub kinds: Vec<u8>,
    /// The id in `texts` of each device's Status, Reason (an error's text) and Firmware version.
    pub status: Vec<u32>,
    pub reason: Vec<u32>,
    pub firmware: Vec<u32>,
    /// When each device's firmware last changed, in ms since the Unix epoch; NaN when unknown
    /// or not a time the app reads (then its text is in `unparsed`).
    pub updated: Vec<f64>,
    /// Pairs (row, id in `texts`) of update times kept as the server wrote them.
    pub unparsed: Vec<u32>,
    /// How many requests carried each device.
    pub requests: Vec<u32>,
    /// Every distinct text, each once.
    pub texts: Vec<String>,
}

/// The devices of a running set whose outcome or request count changed since the step before:
/// their positions in the set, and their rows (with the texts they use).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredStep {
    pub positions: Vec<u32>,
    pub rows: StoredColumns,
}

impl ResultSet {
    /// The set as columns, to store. Linear in the devices, no hashing but for update times the
    /// app could not read (rare).
    pub fn columns(&self) -> StoredColumns {
        // `str::to_owned`, not `to_string` (which formats: ~2 ms for 90,000 versions per save).
        let texts: Vec<String> = self.texts().iter().map(|t| (**t).to_owned()).collect();
        self.rows(0..self.devices().len(), texts, |id, _| id)
    }

    /// The rows at `positions` (each at most once), with only the texts they use: a step, a
    /// few KB for a second of answers whatever the set's size.
    pub fn step(&self, positions: &[usize]) -> StoredStep {
        let mut local: FxHashMap<u32, u32> = FxHashMap::default();
        let rows = self.rows(positions.iter().copied(), Vec::new(), |id, texts| {
            *local.entry(id).or_insert_with(|| {
                texts.push((*self.texts()[id as usize]).to_owned());
                texts.len() as u32 - 1
            })
        });
        StoredStep {
            positions: positions.iter().map(|&p| p as u32).collect(),
            rows,
        }
    }

    /// The rows at `positions`, each text id passed through `id` (which may add to `texts`).
    fn rows(
        &self,
        positions: impl ExactSizeIterator<Item = usize>,
        mut texts: Vec<String>,
        mut id: impl FnMut(u32, &mut Vec<String>) -> u32,
    ) -> StoredColumns {
        let n = positions.len();
        let mut c = StoredColumns {
            devices: Vec::with_capacity(n),
            kinds: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            reason: Vec::with_capacity(n),
            firmware: Vec::with_capacity(n),
            updated: Vec::with_capacity(n),
            unparsed: Vec::new(),
            requests: Vec::with_capacity(n),
            texts: Vec::new(),
        };
        for (row, p) in positions.enumerate() {
            let outcome = &self.outcomes()[p];
            c.devices.push(self.devices()[p].number() as f64);
            c.kinds.push(outcome.kind() as u8);
            c.requests.push(self.requests()[p]);
            let mut cell = |field| id(self.cell(p, field).unwrap_or(0), &mut texts);
            c.status.push(cell(Field::Status));
            c.reason.push(cell(Field::Reason));
            c.firmware.push(cell(Field::FirmwareVersion));
            c.updated.push(match outcome.report().map(|r| &r.updated) {
                Some(UpdateTime::At(t)) => t.timestamp_millis() as f64,
                Some(UpdateTime::Unparsed(raw)) => {
                    c.unparsed.push(row as u32);
                    c.unparsed.push(texts.len() as u32);
                    texts.push(raw.clone());
                    f64::NAN
                }
                _ => f64::NAN,
            });
        }
        c.texts = texts;
        c
    }

    /// The set the columns describe; an error names what does not fit (a cut or corrupted
    /// record), and nothing is half read.
    pub fn from_columns(c: &StoredColumns) -> Result<ResultSet, String> {
        let devices = devices_of(&c.devices)?;
        let outcomes = outcomes_of(c, &devices)?;
        let mut set = ResultSet::new(devices);
        for (p, outcome) in outcomes.into_iter().enumerate() {
            set.set(p, outcome);
        }
        set.count_request_times(&c.requests);
        Ok(set)
    }

    /// Writes a step's rows over the set's; an error names what does not fit (then nothing
    /// is changed).
    pub fn apply(&mut self, step: &StoredStep) -> Result<(), String> {
        let devices = devices_of(&step.rows.devices)?;
        if step.positions.len() != devices.len() {
            return Err("a step's positions differ in number from its rows".into());
        }
        for (&p, device) in step.positions.iter().zip(&devices) {
            if self.devices().get(p as usize) != Some(device) {
                return Err(format!(
                    "a step names device {} at row {p}",
                    device.as_str()
                ));
            }
        }
        let outcomes = outcomes_of(&step.rows, &devices)?;
        for ((&p, outcome), &requests) in
            step.positions.iter().zip(outcomes).zip(&step.rows.requests)
        {
            self.set(p as usize, outcome);
            self.set_request_count(p as usize, requests);
        }
        Ok(())
    }
}

fn devices_of(numbers: &[f64]) -> Result<Vec<Imei>, String> {
    numbers
        .iter()
        .map(|&d| Imei::from_number(d as u64).ok_or_else(|| format!("{} is not an IMEI", d as u64)))
        .collect()
}

/// Each row's outcome, `devices` being the rows' IMEIs.
fn outcomes_of(c: &StoredColumns, devices: &[Imei]) -> Result<Vec<Outcome>, String> {
    let n = devices.len();
    let lengths = [
        c.kinds.len(),
        c.status.len(),
        c.reason.len(),
        c.firmware.len(),
        c.updated.len(),
        c.requests.len(),
    ];
    if lengths.iter().any(|&l| l != n) || c.unparsed.len() % 2 == 1 {
        return Err("its columns differ in length".into());
    }
    let text = |id: u32| -> Result<&str, String> {
        c.texts
            .get(id as usize)
            .map(String::as_str)
            .ok_or_else(|| format!("text {id} is missing"))
    };
    let mut unparsed = c.unparsed.chunks(2).map(|pair| (pair[0] as usize, pair[1]));
    let mut next_unparsed = unparsed.next();
    let mut outcomes = Vec::with_capacity(n);
    for (p, device) in devices.iter().enumerate() {
        let updated = match next_unparsed {
            Some((at, id)) if at == p => {
                next_unparsed = unparsed.next();
                UpdateTime::Unparsed(text(id)?.to_owned())
            }
            _ if c.updated[p].is_finite() => {
                chrono::DateTime::from_timestamp_millis(c.updated[p] as i64)
                    .map_or(UpdateTime::Unknown, UpdateTime::At)
            }
            _ => UpdateTime::Unknown,
        };
        let report = || -> Result<Box<DeviceReport>, String> {
            let status = text(c.status[p])?;
            Ok(Box::new(DeviceReport {
                device_id: device.as_str().to_owned(),
                status: if status == NO_STATUS { "" } else { status }.to_owned(),
                reason: text(c.reason[p])?.to_owned(),
                firmware_version: text(c.firmware[p])?.to_owned(),
                updated: updated.clone(),
            }))
        };
        let kind = OutcomeKind::from_code(c.kinds[p])
            .ok_or_else(|| format!("outcome kind {} is unknown", c.kinds[p]))?;
        outcomes.push(match kind {
            OutcomeKind::Waiting => Outcome::Waiting,
            OutcomeKind::Success => Outcome::Success(report()?),
            OutcomeKind::Failed => Outcome::Failed(report()?),
            OutcomeKind::NoResult => Outcome::NoResult,
            OutcomeKind::Error => Outcome::Error(text(c.reason[p])?.to_owned()),
            OutcomeKind::NotSent => Outcome::NotSent,
        });
    }
    Ok(outcomes)
}

/// Which stored sets to delete so that at most `limit` finished ones are kept: `finished`
/// holds each finished set's key and end time (ms); the oldest go first. A set still running
/// is never in the list, so it is never dropped.
pub fn beyond_limit(mut finished: Vec<(String, f64)>, limit: usize) -> Vec<String> {
    super::sort_list(&mut finished, |a, b| {
        b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0))
    });
    finished
        .into_iter()
        .skip(limit)
        .map(|(key, _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::outcome::Summary;
    use crate::core::test_support::{arb_outcome, imeis};
    use proptest::prelude::*;

    #[test]
    fn imei_numbers_read_back_with_leading_zeros() {
        for text in ["000000000000000", "012345678901234", "999999999999999"] {
            let imei = Imei::parse_lenient(text).unwrap();
            assert_eq!(Imei::from_number(imei.number()), Some(imei));
        }
        assert_eq!(Imei::from_number(1_000_000_000_000_000), None);
    }

    #[test]
    fn every_kind_of_outcome_reads_back_and_unfinished_devices_are_the_waiting_ones() {
        let mut set = ResultSet::new(imeis(7));
        let report = |status: &str, updated| DeviceReport {
            device_id: String::new(),
            status: status.into(),
            reason: "because".into(),
            firmware_version: "SR1.2".into(),
            updated,
        };
        set.set(
            0,
            Outcome::Success(Box::new(report(
                "FirmwareVersionUpdateSuccess",
                UpdateTime::parse("2022-02-04T06:10:01.441Z"),
            ))),
        );
        set.set(
            1,
            Outcome::Failed(Box::new(report(
                "",
                UpdateTime::Unparsed("yesterday".into()),
            ))),
        );
        set.set(2, Outcome::NoResult);
        set.set(
            3,
            Outcome::Error("HTTP 502 Bad Gateway (after 4 tries)".into()),
        );
        set.set(4, Outcome::NotSent);
        set.count_request([0, 1, 2, 3, 3]);
        let back = ResultSet::from_columns(&set.columns()).unwrap();
        assert_eq!(back.devices(), set.devices());
        assert_eq!(back.requests(), set.requests());
        for (a, b) in back.outcomes().iter().zip(set.outcomes()) {
            let strip = |o: &Outcome| match o.clone() {
                Outcome::Success(r) => Outcome::Success(Box::new(DeviceReport {
                    device_id: String::new(),
                    ..*r
                })),
                Outcome::Failed(r) => Outcome::Failed(Box::new(DeviceReport {
                    device_id: String::new(),
                    ..*r
                })),
                other => other,
            };
            assert_eq!(strip(a), strip(b));
        }
        assert_eq!(back.summary(), set.summary());
        assert_eq!(back.unfinished(), set.devices()[5..].to_vec());
    }

    #[test]
    fn a_damaged_record_is_refused_whole() {
        let mut set = ResultSet::new(imeis(3));
        set.set(0, Outcome::Error("x".into()));
        let good = set.columns();
        let mut short = good.clone();
        short.kinds.pop();
        assert!(ResultSet::from_columns(&short).is_err());
        let mut texts = good.clone();
        texts.texts.clear();
        assert!(ResultSet::from_columns(&texts).is_err());
        let mut kind = good;
        kind.kinds[1] = 9;
        assert!(ResultSet::from_columns(&kind)
            .unwrap_err()
            .contains("kind 9"));
    }

    #[test]
    fn steps_carry_only_the_changed_rows_and_rebuild_the_set() {
        let mut set = ResultSet::new(imeis(6));
        let snapshot = set.columns();
        set.set(
            4,
            Outcome::Failed(Box::new(DeviceReport {
                device_id: String::new(),
                status: "FirmwareUpgradeFailed".into(),
                reason: "busy".into(),
                firmware_version: "SR9".into(),
                updated: UpdateTime::Unparsed("soon".into()),
            })),
        );
        set.set(1, Outcome::Error("HTTP 500".into()));
        set.count_request([1, 4, 4]);
        let step = set.step(&[4, 1]);
        assert_eq!(step.positions, [4, 1]);
        assert_eq!(step.rows.kinds, [2, 4]);
        assert_eq!(step.rows.requests, [2, 1]);
        // Only the texts its rows use.
        let mut texts = step.rows.texts.clone();
        texts.sort();
        assert_eq!(
            texts,
            [
                "",
                "Error",
                "FirmwareUpgradeFailed",
                "HTTP 500",
                "SR9",
                "busy",
                "soon"
            ]
        );

        let mut back = ResultSet::from_columns(&snapshot).unwrap();
        back.apply(&step).unwrap();
        assert_eq!(back.summary(), set.summary());
        assert_eq!(back.requests(), set.requests());
        for p in 0..6 {
            assert_eq!(
                back.outcomes()[p].status_text(),
                set.outcomes()[p].status_text()
            );
            assert_eq!(
                back.outcomes()[p].report().map(|r| &r.updated),
                set.outcomes()[p].report().map(|r| &r.updated)
            );
        }
    }

    #[test]
    fn a_step_for_other_devices_changes_nothing() {
        let mut set = ResultSet::new(imeis(3));
        set.set(0, Outcome::NoResult);
        let step = set.step(&[0]);
        let mut other = ResultSet::new(imeis(4)[1..].to_vec());
        assert!(other.apply(&step).unwrap_err().contains("at row 0"));
        assert_eq!(other.summary().waiting, 3);
        let mut cut = step.clone();
        cut.positions.push(1);
        assert!(set.apply(&cut).is_err());
    }

    /// The records of tests/fixtures/stored/layout-1.json, as the released builds wrote them:
    /// each set's columns (typed arrays there) with its IMEIs, and its list entry.
    fn layout_1() -> Vec<(StoredColumns, serde_json::Value)> {
        let text = include_str!("../../tests/fixtures/stored/layout-1.json");
        let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
        let records = fixture["records"].as_array().unwrap();
        let value = |store: &str, key: &str| {
            records
                .iter()
                .find(|r| r["store"] == store && r["key"] == key)
                .map(|r| r["value"].clone())
                .unwrap()
        };
        let numbers = |v: &serde_json::Value| -> Vec<f64> {
            v["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_f64().unwrap_or(f64::NAN))
                .collect()
        };
        let u32s =
            |v: &serde_json::Value| -> Vec<u32> { numbers(v).iter().map(|&n| n as u32).collect() };
        ["finished", "unfinished"]
            .iter()
            .map(|which| {
                let key = fixture["sets"][which].as_str().unwrap();
                let c = value("columns", key);
                let bytes: Vec<u8> = numbers(&c["textBytes"]).iter().map(|&b| b as u8).collect();
                let mut start = 0;
                let texts = u32s(&c["textEnds"])
                    .into_iter()
                    .map(|end: u32| {
                        let text = String::from_utf8(bytes[start..end as usize].to_vec()).unwrap();
                        start = end as usize;
                        text
                    })
                    .collect();
                let columns = StoredColumns {
                    devices: numbers(&value("columns", &format!("{key}#devices"))),
                    kinds: numbers(&c["kinds"]).iter().map(|&k| k as u8).collect(),
                    status: u32s(&c["status"]),
                    reason: u32s(&c["reason"]),
                    firmware: u32s(&c["firmware"]),
                    updated: numbers(&c["updated"]),
                    unparsed: u32s(&c["unparsed"]),
                    requests: u32s(&c["requests"]),
                    texts,
                };
                assert_eq!(layout_of(c["version"].as_f64()), Ok(1));
                (columns, value("sets", key))
            })
            .collect()
    }

    #[test]
    fn sets_stored_by_the_released_layout_1_read_back_whole() {
        let sets = layout_1();
        let (finished, meta) = &sets[0];
        let set = ResultSet::from_columns(finished).unwrap();
        assert_eq!(
            set.summary().counts(),
            Summary::NAMES.map(|k| meta[k].as_u64().unwrap() as usize)
        );
        assert_eq!(set.devices()[0].as_str(), "356938100760009");
        let failed = set.outcomes()[1].report().unwrap();
        assert_eq!(
            (failed.reason.as_str(), &failed.updated),
            (
                "Device not reachable",
                &UpdateTime::Unparsed("last Tuesday".into())
            )
        );
        assert_eq!(
            set.outcomes()[3].reason_text(),
            "HTTP 502 Bad Gateway (after 4 tries)"
        );
        assert_eq!(set.requests(), [1, 1, 1, 4, 0, 1]);
        let (unfinished, meta) = &sets[1];
        let set = ResultSet::from_columns(unfinished).unwrap();
        assert!(meta["endedAt"].is_null());
        assert_eq!(set.unfinished().len(), 2);
        assert_eq!(
            set.outcomes()[1].report().unwrap().firmware_version,
            "SR1.3"
        );
    }

    #[test]
    fn layouts_are_read_migrated_or_named() {
        assert_eq!(layout_of(Some(1.0)), Ok(1));
        assert_eq!(layout_of(Some(2.0)), Ok(2));
        assert_eq!(layout_of(Some(3.0)), Err(Unreadable::Newer(3)));
        assert!(matches!(layout_of(Some(0.0)), Err(Unreadable::Damaged(_))));
        assert!(matches!(layout_of(Some(1.5)), Err(Unreadable::Damaged(_))));
        assert!(matches!(layout_of(None), Err(Unreadable::Damaged(_))));
        let newer = Unreadable::Newer(7).message();
        assert!(newer.contains("newer version") && !newer.contains("another tab"));
        let damaged = Unreadable::Damaged("text 3 is missing".into()).message();
        assert!(
            damaged.contains("damaged (text 3 is missing)") && !damaged.contains("another tab")
        );
    }

    #[test]
    fn the_oldest_finished_sets_go_beyond_the_limit() {
        let sets = vec![
            ("a".to_owned(), 3.0),
            ("b".to_owned(), 1.0),
            ("c".to_owned(), 2.0),
        ];
        assert_eq!(beyond_limit(sets.clone(), 2), ["b"]);
        assert_eq!(beyond_limit(sets.clone(), 0), ["a", "c", "b"]);
        assert!(beyond_limit(sets, 20).is_empty());
    }

    proptest! {
        #[test]
        fn columns_read_back_to_the_same_rows(
            outcomes in proptest::collection::vec(arb_outcome(), 0..40),
            requests in proptest::collection::vec(0u32..4, 40),
        ) {
            let mut set = ResultSet::new(imeis(outcomes.len()));
            for (p, o) in outcomes.iter().enumerate() {
                set.set(p, o.clone());
                set.count_request(std::iter::repeat_n(p, requests[p] as usize));
            }
            let back = ResultSet::from_columns(&set.columns()).unwrap();
            prop_assert_eq!(back.requests(), set.requests());
            prop_assert_eq!(back.summary(), set.summary());
            for (p, o) in set.outcomes().iter().enumerate() {
                let b = &back.outcomes()[p];
                prop_assert_eq!(b.status_text(), o.status_text());
                prop_assert_eq!(b.reason_text(), o.reason_text());
                prop_assert_eq!(b.report().map(|r| (&r.firmware_version, &r.updated, &r.status)), o.report().map(|r| (&r.firmware_version, &r.updated, &r.status)));
            }
        }
    }
}
