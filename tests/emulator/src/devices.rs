//! What each device "reports": a pure function of its IMEI, so every run and every test sees the
//! same firmware, time and status for the same device.
//!
//! About 80% of IMEIs succeed; the rest fail with one of [`FAILURE_REASONS`]. To pick IMEIs of a
//! kind, call [`imeis_where`] (or `GET /_emulator/outcomes?status=failure&count=3` from a browser
//! test), and [`outcome`] to know what the emulator will answer for one IMEI.

use std::sync::atomic::{AtomicU64, Ordering};

/// The documented success status.
pub const SUCCESS: &str = "FirmwareVersionUpdateSuccess";
/// The status of every failing device.
pub const FAILURE: &str = "FirmwareVersionUpdateFailed";
/// The reasons a failing device gives, picked by hash.
pub const FAILURE_REASONS: [&str; 3] = [
    "Device did not respond",
    "Device is offline",
    "DM server timeout",
];

/// Share of IMEIs that succeed, in percent.
const SUCCESS_PERCENT: u64 = 80;
/// Update times fall in 2022-01-01T00:00:00Z plus up to two years.
const TIME_RANGE_START_MS: i64 = 1_640_995_200_000;
const TIME_RANGE_LEN_MS: u64 = 2 * 365 * 86_400_000;
/// First 14 digits [`imeis_where`] counts up from (a GSMA-style TAC, then a serial).
const SAMPLE_BASE: u64 = 35_693_810_000_000;

/// What one device reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceOutcome {
    pub device_id: String,
    pub status: &'static str,
    /// Empty on success.
    pub reason: &'static str,
    pub firmware_version: String,
    /// Milliseconds since the Unix epoch; each answer renders it in its own layout.
    pub update_time_ms: i64,
}

impl DeviceOutcome {
    pub fn is_success(&self) -> bool {
        self.status == SUCCESS
    }
}

/// The firmware release the fleet is on: 0 at start (and after a reset). Each release moves
/// about a third of the devices to a new firmware version, as a rollout does between two syncs
/// (`PUT /_emulator/release`), so that comparing two runs has versions that changed.
static RELEASE: AtomicU64 = AtomicU64::new(0);

/// Sets the release the next answers report (see [`RELEASE`]).
pub fn set_release(release: u64) {
    RELEASE.store(release, Ordering::Relaxed);
}

/// Whether `imei` is among the devices a release moves to a new version.
pub fn moves_with_releases(imei: &str) -> bool {
    hash(imei, 7).is_multiple_of(3)
}

/// What the emulator answers for `imei` (any string; the endpoint only asks for valid IMEIs).
pub fn outcome(imei: &str) -> DeviceOutcome {
    let release = RELEASE.load(Ordering::Relaxed);
    let version = if release > 0 && moves_with_releases(imei) {
        hash(imei, 1 + 1_000 * release)
    } else {
        hash(imei, 1)
    };
    let time = hash(imei, 2);
    let status = hash(imei, 3);
    let succeeded = status % 100 < SUCCESS_PERCENT;
    let reason_index = (status / 100) as usize % FAILURE_REASONS.len();
    DeviceOutcome {
        device_id: imei.to_string(),
        status: if succeeded { SUCCESS } else { FAILURE },
        reason: if succeeded {
            ""
        } else {
            FAILURE_REASONS[reason_index]
        },
        firmware_version: format!("SR1.2.0.0-{}", 10_000 + version % 90_000),
        update_time_ms: TIME_RANGE_START_MS + (time % TIME_RANGE_LEN_MS) as i64,
    }
}

/// 15 ASCII digits whose last is the Luhn check digit of the first 14 (3GPP TS 23.003).
pub fn is_valid_imei(candidate: &str) -> bool {
    candidate.len() == 15
        && candidate.bytes().all(|b| b.is_ascii_digit())
        && luhn_digit(&candidate[..14]) == candidate.as_bytes()[14] - b'0'
}

/// `body` (14 digits) followed by its Luhn check digit.
pub fn complete_imei(body: &str) -> String {
    format!("{body}{}", luhn_digit(body))
}

/// The first `count` valid IMEIs, counting up from a fixed base, whose outcome satisfies `keep`.
pub fn imeis_where(count: usize, keep: impl Fn(&DeviceOutcome) -> bool) -> Vec<String> {
    (SAMPLE_BASE..)
        .map(|body| complete_imei(&body.to_string()))
        .filter(|imei| keep(&outcome(imei)))
        .take(count)
        .collect()
}

fn luhn_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// FNV-1a over the IMEI and a salt, finished with SplitMix64's mixer for well-spread bits.
fn hash(imei: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in imei.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_real_imeis_and_rejects_the_fake_doc_examples() {
        assert!(is_valid_imei("490154203237518"));
        assert!(is_valid_imei("356938035643809"));
        assert!(!is_valid_imei("490154203237519"));
        assert!(!is_valid_imei("990000473475989"));
        assert!(!is_valid_imei("990013907835573"));
        assert!(!is_valid_imei("49015420323751"));
        assert!(!is_valid_imei("49015420323751a"));
    }

    #[test]
    fn complete_imei_appends_the_check_digit() {
        assert_eq!(complete_imei("49015420323751"), "490154203237518");
    }

    #[test]
    fn outcome_is_a_pure_function_of_the_imei() {
        assert_eq!(outcome("490154203237518"), outcome("490154203237518"));
        assert_ne!(
            outcome("490154203237518").firmware_version,
            outcome("356938035643809").firmware_version
        );
    }

    #[test]
    fn about_four_in_five_succeed_and_failures_say_why() {
        let imeis = imeis_where(1000, |_| true);
        let outcomes: Vec<_> = imeis.iter().map(|imei| outcome(imei)).collect();
        let successes = outcomes.iter().filter(|o| o.is_success()).count();
        assert!((750..=850).contains(&successes), "{successes} successes");
        for o in &outcomes {
            assert_eq!(o.is_success(), o.reason.is_empty());
        }
        for reason in FAILURE_REASONS {
            assert!(outcomes.iter().any(|o| o.reason == reason), "{reason}");
        }
    }

    #[test]
    fn versions_and_times_stay_in_their_ranges() {
        for imei in imeis_where(200, |_| true) {
            let o = outcome(&imei);
            let (prefix, build) = o.firmware_version.split_once('-').unwrap();
            assert_eq!(prefix, "SR1.2.0.0");
            assert_eq!(build.len(), 5);
            assert!(o.update_time_ms >= TIME_RANGE_START_MS);
            assert!(o.update_time_ms < TIME_RANGE_START_MS + TIME_RANGE_LEN_MS as i64);
        }
    }

    #[test]
    fn imeis_where_finds_valid_imeis_of_the_asked_kind() {
        let failing = imeis_where(5, |o| !o.is_success());
        assert_eq!(failing.len(), 5);
        for imei in &failing {
            assert!(is_valid_imei(imei));
            assert_eq!(outcome(imei).status, FAILURE);
        }
    }
}
