//! Builders the core's unit tests share: devices, servers' reports, outcomes of every kind and
//! result sets. Compiled for tests only.

use proptest::prelude::*;

use super::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};
use super::imei::{luhn_check_digit, Imei};
use super::outcome::Outcome;
use super::results::ResultSet;

/// The valid IMEI whose first 14 digits are `body` (below 10^14, zero-padded; larger numbers
/// wrap), with its check digit.
pub(crate) fn imei(body: u64) -> Imei {
    let body = format!("{:014}", body % 100_000_000_000_000);
    Imei::parse(&format!("{body}{}", luhn_check_digit(body.as_bytes()))).unwrap()
}

/// `n` distinct valid IMEIs, in ascending order: `35000000000000x` and on.
pub(crate) fn imeis(n: usize) -> Vec<Imei> {
    (0..n as u64)
        .map(|i| imei(35_000_000_000_000 + i))
        .collect()
}

/// Any valid IMEI.
pub(crate) fn arb_imei() -> impl Strategy<Value = Imei> {
    (0u64..100_000_000_000_000).prop_map(imei)
}

/// A report with these words, no device id and no update time.
pub(crate) fn report(status: &str, reason: &str, firmware: &str) -> DeviceReport {
    DeviceReport {
        device_id: String::new(),
        status: status.into(),
        reason: reason.into(),
        firmware_version: firmware.into(),
        updated: UpdateTime::Unknown,
    }
}

/// A failure with this status and reason, and no firmware version.
pub(crate) fn failed(status: &str, reason: &str) -> Outcome {
    Outcome::Failed(Box::new(report(status, reason, "")))
}

/// A success reporting `firmware`.
pub(crate) fn success(firmware: &str) -> Outcome {
    Outcome::Success(Box::new(report(SUCCESS_STATUS, "", firmware)))
}

/// Outcomes of every kind, with a handful of the server's words, so that groups collide.
pub(crate) fn arb_outcome() -> impl Strategy<Value = Outcome> {
    let words = prop::sample::select(vec!["", "DeviceNotFound", "device not found", "x"]);
    prop_oneof![
        Just(Outcome::Waiting),
        prop::sample::select(vec!["", "v1", "V1", "v2", "SR1.2"]).prop_map(success),
        (words.clone(), words.clone()).prop_map(|(s, r)| failed(s, r)),
        Just(Outcome::NoResult),
        words.prop_map(|w| Outcome::Error(w.into())),
        Just(Outcome::NotSent),
    ]
}

/// A result set of `devices` whose outcomes were set one by one, as answers come in.
pub(crate) fn set_of(devices: &[Imei], outcomes: &[Outcome]) -> ResultSet {
    let mut set = ResultSet::new(devices.to_vec());
    for (p, o) in outcomes.iter().enumerate() {
        set.set(p, o.clone());
    }
    set
}
