//! The Synchronize Device Firmware exchange: the request body, and a tolerant decoder for every
//! answer variant listed in THINGSPACE.md.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde_json::{Map, Value};

use super::imei::Imei;
use super::time::{format_datetime, format_utc_millis, parse_timestamp};

/// The only status ThingSpace documents as a success; any other value is shown verbatim.
pub const SUCCESS_STATUS: &str = "FirmwareVersionUpdateSuccess";

/// The header that carries the bearer token, as `Bearer <token>`.
pub const BEARER_HEADER: &str = "Authorization";
/// The header that carries the session token.
pub const SESSION_TOKEN_HEADER: &str = "VZ-M2M-Token";
/// The request's other headers, as the app sends them.
pub const JSON_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
];

/// Most devices one request may carry.
pub const MAX_DEVICES_PER_REQUEST: usize = 100;

/// `{"deviceList": [...]}`.
pub fn request_body(devices: &[Imei]) -> String {
    // IMEIs are 15 ASCII digits: nothing to escape.
    let mut body = String::with_capacity(16 + devices.len() * 18);
    body.push_str(r#"{"deviceList":["#);
    for (i, imei) in devices.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push('"');
        body.push_str(imei.as_str());
        body.push('"');
    }
    body.push_str("]}");
    body
}

/// When a device's firmware version last changed, as the server reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateTime {
    Unknown,
    At(DateTime<Utc>),
    /// A value in a format the app does not know, kept to show as is.
    Unparsed(String),
}

impl UpdateTime {
    /// Accepts Go's `time.String()` layout (`2022-02-04 06:10:01.441 +0000 UTC`, fraction
    /// optional) and RFC 3339; empty means unknown, and so does Go's zero time
    /// (`0001-01-01 00:00:00 +0000 UTC`, in any zone: `0001-01-01 00:19:32 +0019 LMT`), which
    /// a Go server sends for a device that never reported.
    pub fn parse(text: &str) -> UpdateTime {
        let text = text.trim();
        if text.is_empty() {
            return UpdateTime::Unknown;
        }
        if let Some(t) = parse_timestamp(text) {
            let t = t.with_timezone(&Utc);
            // Go's zero time is 0001-01-01 00:00:00 UTC; local-mean-time zones print it with an
            // offset rounded to minutes, so it can land a few seconds either side.
            return if t.year() <= 1 {
                UpdateTime::Unknown
            } else {
                UpdateTime::At(t)
            };
        }
        UpdateTime::Unparsed(text.to_owned())
    }

    /// The time for the Updated column in the zone `tz`, and the exact UTC value for its tooltip.
    pub fn display_in<Tz: TimeZone>(&self, tz: &Tz) -> (String, String)
    where
        Tz::Offset: std::fmt::Display,
    {
        match self {
            UpdateTime::Unknown => (String::new(), String::new()),
            UpdateTime::At(t) => (
                format_datetime(&t.with_timezone(tz).naive_local()),
                format_utc_millis(t),
            ),
            UpdateTime::Unparsed(raw) => (raw.clone(), "As sent by the server".to_owned()),
        }
    }
}

/// One device's entry in a 200 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceReport {
    pub device_id: String,
    pub status: String,
    pub reason: String,
    pub firmware_version: String,
    pub updated: UpdateTime,
}

impl DeviceReport {
    pub fn is_success(&self) -> bool {
        self.status == SUCCESS_STATUS
    }
}

/// A decoded 200 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncAnswer {
    pub account_name: Option<String>,
    pub reports: Vec<DeviceReport>,
}

impl SyncAnswer {
    pub fn report_for(&self, imei: &Imei) -> Option<&DeviceReport> {
        self.reports.iter().find(|r| r.device_id == imei.as_str())
    }
}

/// Why a 200 answer could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub why: String,
}

fn first_of<'a>(object: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| object.get(*k))
}

/// Text for a value that should be a string; numbers are accepted, anything else is empty.
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Decodes a 200 body. Unknown fields are ignored, entries that are not objects or have no
/// device id are skipped, and only a body with no device list at all is unreadable.
pub fn decode_answer(body: &str) -> Result<SyncAnswer, Unreadable> {
    let value: Value = serde_json::from_str(body).map_err(|e| Unreadable {
        why: format!("not JSON ({e})"),
    })?;
    let object = value.as_object().ok_or_else(|| Unreadable {
        why: "not a JSON object".to_owned(),
    })?;
    let list = first_of(
        object,
        &["deviceFirmwarVersionList", "deviceFirmwareVersionList"],
    )
    .and_then(Value::as_array)
    .ok_or_else(|| Unreadable {
        why: "no device firmware list in it".to_owned(),
    })?;
    let reports = list
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|entry| {
            let device_id = text_of(entry.get("deviceId"));
            if device_id.is_empty() {
                return None;
            }
            Some(DeviceReport {
                device_id,
                status: text_of(entry.get("status")),
                reason: text_of(first_of(entry, &["Reason", "reason"])),
                firmware_version: text_of(entry.get("firmwareVersion")),
                updated: UpdateTime::parse(&text_of(first_of(
                    entry,
                    &["VersionUpdateTime", "firmwareVersionUpdateTime"],
                ))),
            })
        })
        .collect();
    Ok(SyncAnswer {
        account_name: object
            .get("accountName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        reports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const DOCUMENTED: &str = r#"{
      "accountName": "0000123456-00001",
      "deviceFirmwarVersionList": [
        {
          "deviceId": "490154203237518",
          "status": "FirmwareVersionUpdateSuccess",
          "Reason": "",
          "firmwareVersion": "SR1.2.0.0-10657",
          "VersionUpdateTime": "2022-02-04 06:10:01.441 +0000 UTC"
        }
      ]
    }"#;

    #[test]
    fn request_body_is_the_documented_shape() {
        let devices = [Imei::parse("490154203237518").unwrap()];
        assert_eq!(
            request_body(&devices),
            r#"{"deviceList":["490154203237518"]}"#
        );
    }

    #[test]
    fn documented_answer_decodes() {
        let answer = decode_answer(DOCUMENTED).unwrap();
        assert_eq!(answer.account_name.as_deref(), Some("0000123456-00001"));
        let r = &answer.reports[0];
        assert!(r.is_success());
        assert_eq!(r.firmware_version, "SR1.2.0.0-10657");
        let expected = Utc.with_ymd_and_hms(2022, 2, 4, 6, 10, 1).unwrap()
            + chrono::Duration::milliseconds(441);
        assert_eq!(r.updated, UpdateTime::At(expected));
    }

    #[test]
    fn other_spellings_decode_the_same() {
        let body = r#"{"deviceFirmwareVersionList": [{"deviceId": "490154203237518",
            "status": "FirmwareVersionUpdateFailed", "reason": "Device is offline",
            "firmwareVersion": "SR1.2", "firmwareVersionUpdateTime": "2016-03-13T12:52:32.123Z",
            "extra": {"nested": true}}]}"#;
        let r = &decode_answer(body).unwrap().reports[0];
        assert!(!r.is_success());
        assert_eq!(r.reason, "Device is offline");
        assert_eq!(
            r.updated,
            UpdateTime::At(
                Utc.with_ymd_and_hms(2016, 3, 13, 12, 52, 32).unwrap()
                    + chrono::Duration::milliseconds(123)
            )
        );
    }

    #[test]
    fn times_in_every_layout() {
        let at = |s| match UpdateTime::parse(s) {
            UpdateTime::At(t) => t.to_rfc3339(),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            at("2022-02-04 06:10:01 +0000 UTC"),
            "2022-02-04T06:10:01+00:00"
        );
        assert_eq!(
            at("2022-02-04 01:10:01.5 -0500 EST m=+0.000000001"),
            "2022-02-04T06:10:01.500+00:00"
        );
        assert_eq!(at("2016-03-13T12:52:32Z"), "2016-03-13T12:52:32+00:00");
        assert_eq!(
            at("2016-03-13T14:52:32.1+02:00"),
            "2016-03-13T12:52:32.100+00:00"
        );
        assert_eq!(UpdateTime::parse(""), UpdateTime::Unknown);
        for never in [
            "0001-01-01 00:00:00 +0000 UTC",
            "0001-01-01 00:19:32 +0019 LMT",
            "0000-12-31 19:03:58 -0456 LMT",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(UpdateTime::parse(never), UpdateTime::Unknown, "{never}");
        }
        assert!(matches!(
            UpdateTime::parse("0002-01-01 00:00:00 +0000 UTC"),
            UpdateTime::At(_)
        ));
        assert_eq!(UpdateTime::parse("  "), UpdateTime::Unknown);
        assert_eq!(
            UpdateTime::parse("yesterday"),
            UpdateTime::Unparsed("yesterday".into())
        );
    }

    #[test]
    fn times_display_in_the_users_zone_with_utc_beside() {
        let t = UpdateTime::parse("2022-02-04 06:10:01.441 +0000 UTC");
        let new_york = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(
            t.display_in(&new_york),
            (
                "2022-02-04 01:10:01".to_owned(),
                "2022-02-04 06:10:01.441 UTC".to_owned()
            )
        );
        assert_eq!(UpdateTime::Unknown.display_in(&Utc).0, "");
        assert_eq!(UpdateTime::parse("soon").display_in(&Utc).0, "soon");
    }

    #[test]
    fn odd_entries_are_skipped_not_fatal() {
        let body = r#"{"deviceFirmwarVersionList": [1, null, {"status": "x"},
            {"deviceId": 490154203237518, "status": null}]}"#;
        let answer = decode_answer(body).unwrap();
        assert_eq!(answer.account_name, None);
        assert_eq!(answer.reports.len(), 1);
        assert_eq!(answer.reports[0].device_id, "490154203237518");
        assert_eq!(answer.reports[0].status, "");
    }

    #[test]
    fn bodies_without_a_list_are_unreadable() {
        for body in [
            "",
            "<html>",
            "[]",
            "{}",
            r#"{"deviceFirmwarVersionList": {}}"#,
            "{\"a\":",
        ] {
            assert!(decode_answer(body).is_err(), "{body}");
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[0-9]{15}".prop_map(Value::String),
            "\\PC{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            let keys = prop_oneof![
                Just("deviceFirmwarVersionList".to_owned()),
                Just("deviceFirmwareVersionList".to_owned()),
                Just("deviceId".to_owned()),
                Just("status".to_owned()),
                Just("Reason".to_owned()),
                Just("VersionUpdateTime".to_owned()),
                "[a-z]{1,8}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(keys, inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn decoder_never_panics_on_any_json(value in arb_json()) {
            let _ = decode_answer(&value.to_string());
        }

        #[test]
        fn decoder_never_panics_on_any_text(text in "\\PC{0,200}") {
            let _ = decode_answer(&text);
        }

        #[test]
        fn time_parser_never_panics(text in "\\PC{0,60}") {
            let _ = UpdateTime::parse(&text);
        }
    }
}
