//! A result set in columns, as the browser's IndexedDB keeps it (README, "What is stored"):
//! one typed array per field, which the browser copies in one step, and each distinct text
//! once. Never a token: a result set holds none.
//!
//! A set of 300,000 devices is about 10 MB: 8 bytes per IMEI, 1 per outcome kind, 3 × 4 per
//! text id, 8 per update time, 4 per request count, and the distinct texts.

use super::columns::Field;
use super::fota::{DeviceReport, UpdateTime};
use super::imei::Imei;
use super::outcome::Outcome;
use super::results::ResultSet;

/// The version of this layout, stored with every set; a set of another version is not read.
pub const STORED_VERSION: u32 = 1;

/// What the Status column shows for a report without a status ([`Outcome::status_text`]),
/// read back as an empty status.
const NO_STATUS: &str = "(no status)";

/// A result set as columns, position by position (the order the devices were entered).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredColumns {
    /// Each IMEI's 15 digits as a number ([`Imei::number`]; below 2^53, exact in an f64).
    pub devices: Vec<f64>,
    /// 0 waiting, 1 success, 2 failed, 3 no result, 4 error, 5 not sent.
    pub kinds: Vec<u8>,
    /// The id in `texts` of each device's Status, Reason (an error's text) and Firmware version.
    pub status: Vec<u32>,
    pub reason: Vec<u32>,
    pub firmware: Vec<u32>,
    /// When each device's firmware last changed, in ms since the Unix epoch; NaN when unknown
    /// or not a time the app reads (then its text is in `unparsed`).
    pub updated: Vec<f64>,
    /// Pairs (position, id in `texts`) of update times kept as the server wrote them.
    pub unparsed: Vec<u32>,
    /// How many requests carried each device.
    pub requests: Vec<u32>,
    /// Every distinct text, each once.
    pub texts: Vec<String>,
}

impl ResultSet {
    /// The set as columns, to store. Linear in the devices, no hashing but for update times the
    /// app could not read (rare).
    pub fn columns(&self) -> StoredColumns {
        // `str::to_owned`, not `to_string` (which formats: ~2 ms for 90,000 versions per save).
        let mut texts: Vec<String> = self.texts().iter().map(|t| (**t).to_owned()).collect();
        let n = self.devices().len();
        let mut c = StoredColumns {
            devices: self.devices().iter().map(|d| d.number() as f64).collect(),
            kinds: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            reason: Vec::with_capacity(n),
            firmware: Vec::with_capacity(n),
            updated: Vec::with_capacity(n),
            unparsed: Vec::new(),
            requests: self.requests().to_vec(),
            texts: Vec::new(),
        };
        for (p, outcome) in self.outcomes().iter().enumerate() {
            c.kinds.push(match outcome {
                Outcome::Waiting => 0,
                Outcome::Success(_) => 1,
                Outcome::Failed(_) => 2,
                Outcome::NoResult => 3,
                Outcome::Error(_) => 4,
                Outcome::NotSent => 5,
            });
            let id = |field| self.cell(p, field).unwrap_or(0);
            c.status.push(id(Field::Status));
            c.reason.push(id(Field::Reason));
            c.firmware.push(id(Field::FirmwareVersion));
            c.updated.push(match outcome.report().map(|r| &r.updated) {
                Some(UpdateTime::At(t)) => t.timestamp_millis() as f64,
                Some(UpdateTime::Unparsed(raw)) => {
                    c.unparsed.push(p as u32);
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
        let n = c.devices.len();
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
        let devices = c
            .devices
            .iter()
            .map(|&d| {
                Imei::from_number(d as u64).ok_or_else(|| format!("{} is not an IMEI", d as u64))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut unparsed = c.unparsed.chunks(2).map(|pair| (pair[0] as usize, pair[1]));
        let mut next_unparsed = unparsed.next();
        let mut set = ResultSet::new(devices);
        for p in 0..n {
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
            let report = || -> Result<DeviceReport, String> {
                let status = text(c.status[p])?;
                Ok(DeviceReport {
                    device_id: set.devices()[p].as_str().to_owned(),
                    status: if status == NO_STATUS { "" } else { status }.to_owned(),
                    reason: text(c.reason[p])?.to_owned(),
                    firmware_version: text(c.firmware[p])?.to_owned(),
                    updated: updated.clone(),
                })
            };
            let outcome = match c.kinds[p] {
                0 => Outcome::Waiting,
                1 => Outcome::Success(Box::new(report()?)),
                2 => Outcome::Failed(Box::new(report()?)),
                3 => Outcome::NoResult,
                4 => Outcome::Error(text(c.reason[p])?.to_owned()),
                5 => Outcome::NotSent,
                k => return Err(format!("outcome kind {k} is unknown")),
            };
            set.set(p, outcome);
        }
        set.count_request_times(&c.requests);
        Ok(set)
    }
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
    use crate::core::triage::tests::arb_outcome;
    use proptest::prelude::*;

    fn imeis(n: usize) -> Vec<Imei> {
        (0..n as u64)
            .map(|i| Imei::from_number(35_693_810_000_000 + i * 7).unwrap())
            .collect()
    }

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
