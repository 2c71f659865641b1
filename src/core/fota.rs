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
    /// The documented success status, compared as a gateway may vary it: any case, spaces around.
    pub fn is_success(&self) -> bool {
        self.status.trim().eq_ignore_ascii_case(SUCCESS_STATUS)
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

/// The `charset` parameter of a `Content-Type` value (RFC 9110 §8.3.1), lowercased and unquoted,
/// for the browser's `TextDecoder`: `application/json; charset=ISO-8859-1` gives `iso-8859-1`.
/// `None` when there is none: JSON is UTF-8 (RFC 8259 §8.1).
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    })
}

/// Why a 2xx body gave no device list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Nothing but whitespace (or a JSON `null`): the server answered with nothing.
    Empty,
    /// JSON that stops before its end: the body was cut off on the way.
    CutOff,
    /// Not JSON at all: an HTML page, plain text, binary data.
    NotJson,
    /// JSON, but no device firmware list anywhere the app looks.
    NoList,
}

/// The list's key, as documented (with its typo) and as the SDKs spell it, in the folded form
/// of [`same_key`].
const LIST_KEYS: [&str; 2] = ["devicefirmwarversionlist", "devicefirmwareversionlist"];

/// Whether `key` is `folded` once case, `_`, `-` and spaces are ignored: gateways and
/// converters re-case keys (`deviceID`, `DeviceId`, `STATUS`) or snake-case them (`device_id`).
fn same_key(key: &str, folded: &str) -> bool {
    key.bytes()
        .filter(|b| !matches!(b, b'_' | b'-' | b' '))
        .map(|b| b.to_ascii_lowercase())
        .eq(folded.bytes())
}

/// The value of the first key that matches one of `folded` (see [`same_key`]).
pub(crate) fn field<'a>(object: &'a Map<String, Value>, folded: &[&str]) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| folded.iter().any(|f| same_key(k, f)))
        .map(|(_, v)| v)
}

/// [`field`], looking up the `usual` spelling first: the map's own lookup is the fast path for
/// the answers ThingSpace sends as documented (300,000 entries in a large run).
fn entry_field<'a>(
    object: &'a Map<String, Value>,
    usual: &str,
    folded: &[&str],
) -> Option<&'a Value> {
    object.get(usual).or_else(|| field(object, folded))
}

/// The keys under which XML-to-JSON converters put an element's text when it also has
/// attributes: Newtonsoft `#text`, BadgerFish `$`, xml2js `_`, xml-js `_text`.
const TEXT_KEYS: [&str; 4] = ["#text", "$", "_", "_text"];

/// Text for a value that should be a string, trimmed. Numbers are accepted (a whole number
/// written as a float, `490154203237518.0`, as a whole number); a one-element array (xml2js'
/// `explicitArray`) or an object holding an element's text (see [`TEXT_KEYS`]) stands for its
/// content; anything else is empty.
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.trim().to_owned(),
        // Through an integer: formatting a float exactly costs the bundle several KB.
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e17 => (f as i64).to_string(),
            _ => n.to_string(),
        },
        Some(Value::Array(items)) if items.len() == 1 => text_of(items.first()),
        Some(Value::Object(object)) => text_of(TEXT_KEYS.iter().find_map(|k| object.get(*k))),
        _ => String::new(),
    }
}

/// A device id as sent, with every space and invisible format character (a BOM, a zero-width
/// space) taken out, so that it matches the IMEI asked about.
fn device_id_of(value: Option<&Value>) -> String {
    let mut id = text_of(value);
    if id.chars().any(|c| c.is_whitespace() || is_format_char(c)) {
        id.retain(|c| !c.is_whitespace() && !is_format_char(c));
    }
    id
}

/// The invisible characters that show up around copied or converted ids.
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
    )
}

/// The device entries a list value stands for. An array is the list; a single object is a list
/// of one (XML-to-JSON converters write one element so); an object that is not an entry but
/// wraps one key (the converter's item element, `{"deviceFirmwareVersion": [...]}`), inside the
/// array or around it, stands for what it wraps; `null`, `{}` or an empty string (an empty XML
/// element) is an empty list. `None` for anything else.
fn entries_of(list: &Value, depth: u8) -> Option<Vec<&Map<String, Value>>> {
    let mut entries = Vec::new();
    match list {
        Value::Array(items) => {
            entries.reserve(items.len());
            for item in items {
                collect_entries(item, depth, &mut entries);
            }
        }
        Value::Object(_) => collect_entries(list, depth, &mut entries),
        Value::Null => {}
        Value::String(s) if s.trim().is_empty() => {}
        _ => return None,
    }
    Some(entries)
}

/// Adds the entries that `item` is or wraps to `entries`.
fn collect_entries<'a>(item: &'a Value, depth: u8, entries: &mut Vec<&'a Map<String, Value>>) {
    let Value::Object(object) = item else {
        return;
    };
    if object.len() == 1 && depth > 0 && field(object, &["deviceid"]).is_none() {
        match object.values().next() {
            Some(Value::Array(inner)) => {
                for item in inner {
                    collect_entries(item, depth - 1, entries);
                }
                return;
            }
            Some(inner @ Value::Object(_)) => return collect_entries(inner, depth - 1, entries),
            _ => {}
        }
    }
    entries.push(object);
}

/// The object that holds the device list: the answer itself, or, one or two levels down, the
/// object a converter wrapped it in (the XML root element, `{"DeviceFirmwareList": {...}}`, or
/// an envelope such as `{"data": {...}}`).
fn holder_of(object: &Map<String, Value>, depth: u8) -> Option<(&Map<String, Value>, &Value)> {
    if let Some(list) = field(object, &LIST_KEYS) {
        return Some((object, list));
    }
    if depth == 0 {
        return None;
    }
    object
        .values()
        .filter_map(Value::as_object)
        .find_map(|inner| holder_of(inner, depth - 1))
}

/// Decodes a 2xx body. A UTF-8 byte order mark is skipped; keys match whatever their case or
/// separators; unknown fields are ignored; entries that are not objects or have no device id are
/// skipped; a bare array of entries is read as the list. Only a body with no device list at all
/// is [`Unreadable`], and the reason says which way.
pub fn decode_answer(body: &str) -> Result<SyncAnswer, Unreadable> {
    let body = body.trim_start_matches('\u{feff}');
    if body.trim().is_empty() {
        return Err(Unreadable::Empty);
    }
    let value: Value = serde_json::from_str(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => Unreadable::CutOff,
        _ => Unreadable::NotJson,
    })?;
    let (account_name, list) = match &value {
        Value::Null => return Err(Unreadable::Empty),
        Value::Object(object) => {
            let (holder, list) = holder_of(object, 2).ok_or(Unreadable::NoList)?;
            let account = text_of(field(holder, &["accountname"]));
            ((!account.is_empty()).then_some(account), list)
        }
        Value::Array(_) => (None, &value),
        _ => return Err(Unreadable::NoList),
    };
    let reports: Vec<DeviceReport> = entries_of(list, 2)
        .ok_or(Unreadable::NoList)?
        .into_iter()
        .filter_map(report_of)
        .collect();
    // A bare array counts as the list only when it holds device entries: `[]` or `[1, 2]`
    // says nothing about the devices asked about.
    if value.is_array() && reports.is_empty() {
        return Err(Unreadable::NoList);
    }
    Ok(SyncAnswer {
        account_name,
        reports,
    })
}

/// One entry as a report, `None` without a device id.
fn report_of(entry: &Map<String, Value>) -> Option<DeviceReport> {
    let device_id = device_id_of(entry_field(entry, "deviceId", &["deviceid"]));
    if device_id.is_empty() {
        return None;
    }
    Some(DeviceReport {
        device_id,
        status: text_of(entry_field(entry, "status", &["status"])),
        reason: text_of(entry_field(entry, "Reason", &["reason"])),
        firmware_version: text_of(entry_field(entry, "firmwareVersion", &["firmwareversion"])),
        updated: UpdateTime::parse(&text_of(entry_field(
            entry,
            "VersionUpdateTime",
            &["versionupdatetime", "firmwareversionupdatetime"],
        ))),
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
    fn bodies_without_a_list_say_why() {
        for (body, why) in [
            ("", Unreadable::Empty),
            (" \r\n", Unreadable::Empty),
            ("\u{feff}", Unreadable::Empty),
            ("null", Unreadable::Empty),
            ("<html>", Unreadable::NotJson),
            ("\u{1f}\u{8b}\u{8}\0", Unreadable::NotJson),
            ("[]", Unreadable::NoList),
            ("[1, 2]", Unreadable::NoList),
            ("{}", Unreadable::NoList),
            ("42", Unreadable::NoList),
            (r#"{"deviceFirmwarVersionList": 7}"#, Unreadable::NoList),
            ("{\"a\":", Unreadable::CutOff),
            (
                r#"{"deviceFirmwarVersionList":[{"deviceId":"4901542032"#,
                Unreadable::CutOff,
            ),
        ] {
            assert_eq!(decode_answer(body), Err(why), "{body:?}");
        }
    }

    const ID: &str = "490154203237518";

    /// The one report of `body`, which must decode.
    fn only_report(body: &str) -> DeviceReport {
        let answer = decode_answer(body).unwrap_or_else(|e| panic!("{e:?}: {body}"));
        assert_eq!(answer.reports.len(), 1, "{body}");
        answer.reports.into_iter().next().unwrap()
    }

    #[test]
    fn a_single_object_is_a_list_of_one() {
        for body in [
            r#"{"deviceFirmwarVersionList": {"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}}"#,
            r#"{"deviceFirmwareVersionList": {"deviceFirmwareVersion": {"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}}}"#,
            r#"{"deviceFirmwarVersionList": {"item": [{"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}]}}"#,
            r#"{"deviceFirmwarVersionList": [{"item": {"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}}]}"#,
            r#"{"DeviceFirmwareList": {"accountName": "0000123456-00001", "deviceFirmwarVersionList": {"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}}}"#,
            r#"{"data": {"deviceFirmwareVersionList": [{"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}]}}"#,
            r#"{"DeviceFirmwareList": {"deviceFirmwarVersionList": [{"deviceFirmwarVersion": [{"deviceId": ["490154203237518"], "status": ["FirmwareVersionUpdateSuccess"]}]}]}}"#,
            r#"[{"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess"}]"#,
        ] {
            let r = only_report(body);
            assert_eq!(r.device_id, ID, "{body}");
            assert!(r.is_success(), "{body}");
        }
        let wrapped = decode_answer(r#"{"DeviceFirmwareList": {"accountName": "0000123456-00001", "deviceFirmwarVersionList": []}}"#).unwrap();
        assert_eq!(wrapped.account_name.as_deref(), Some("0000123456-00001"));
        for empty in ["null", r#""""#, "{}", "[]"] {
            let body = format!(r#"{{"deviceFirmwarVersionList": {empty}}}"#);
            assert_eq!(decode_answer(&body).unwrap().reports, [], "{body}");
        }
    }

    #[test]
    fn every_key_matches_whatever_its_case_or_separators() {
        for body in [
            r#"{"DeviceFirmwarVersionList": [{"deviceID": "490154203237518", "STATUS": "FirmwareVersionUpdateFailed", "REASON": "Device is offline", "FirmwareVersion": "SR1.2", "versionUpdateTime": "2016-03-13T12:52:32Z"}]}"#,
            r#"{"device_firmware_version_list": [{"device_id": "490154203237518", "status": "FirmwareVersionUpdateFailed", "reason": "Device is offline", "firmware_version": "SR1.2", "firmware_version_update_time": "2016-03-13T12:52:32Z"}]}"#,
            r#"{"DEVICEFIRMWAREVERSIONLIST": [{"DeviceId": "490154203237518", "Status": "FirmwareVersionUpdateFailed", "reason": "Device is offline", "FIRMWAREVERSION": "SR1.2", "VersionUpdateTime": "2016-03-13T12:52:32Z"}]}"#,
        ] {
            let r = only_report(body);
            assert_eq!(r.device_id, ID, "{body}");
            assert_eq!(r.status, "FirmwareVersionUpdateFailed", "{body}");
            assert_eq!(r.reason, "Device is offline", "{body}");
            assert_eq!(r.firmware_version, "SR1.2", "{body}");
            assert!(matches!(r.updated, UpdateTime::At(_)), "{body}");
        }
    }

    #[test]
    fn ids_and_values_are_read_without_the_space_around_them() {
        for id in [
            " 490154203237518",
            "490154203237518 ",
            "\t490154203237518\r\n",
            "\u{a0}490154203237518\u{200b}",
            "\u{feff}490154203237518",
            "490 154 203 237 518",
        ] {
            let body = serde_json::json!({"deviceFirmwarVersionList": [
                {"deviceId": id, "status": " FirmwareVersionUpdateSuccess ", "firmwareVersion": " SR1.2 "}
            ]});
            let r = only_report(&body.to_string());
            assert_eq!(r.device_id, ID, "{id:?}");
            assert!(r.is_success(), "{id:?}");
            assert_eq!(r.firmware_version, "SR1.2");
        }
        let lower = only_report(
            r#"{"deviceFirmwarVersionList": [{"deviceId": "490154203237518", "status": "firmwareVersionUpdateSuccess"}]}"#,
        );
        assert!(lower.is_success());
    }

    #[test]
    fn values_as_xml_converters_write_them() {
        for body in [
            // xml2js' explicitArray: every element an array.
            r#"{"deviceFirmwarVersionList": [{"deviceId": ["490154203237518"], "status": ["FirmwareVersionUpdateSuccess"], "firmwareVersion": ["SR1.2"]}]}"#,
            // Text beside attributes: Newtonsoft, BadgerFish, xml-js.
            r##"{"deviceFirmwarVersionList": [{"deviceId": {"#text": "490154203237518"}, "status": {"$": "FirmwareVersionUpdateSuccess"}, "firmwareVersion": {"_text": "SR1.2", "_attributes": {"a": "b"}}}]}"##,
            // A number, or a whole number written as a float.
            r#"{"deviceFirmwarVersionList": [{"deviceId": 490154203237518, "status": "FirmwareVersionUpdateSuccess", "firmwareVersion": "SR1.2"}]}"#,
            r#"{"deviceFirmwarVersionList": [{"deviceId": 490154203237518.0, "status": "FirmwareVersionUpdateSuccess", "firmwareVersion": "SR1.2"}]}"#,
            r#"{"deviceFirmwarVersionList": [{"deviceId": 4.90154203237518e14, "status": "FirmwareVersionUpdateSuccess", "firmwareVersion": "SR1.2"}]}"#,
        ] {
            let r = only_report(body);
            assert_eq!(r.device_id, ID, "{body}");
            assert!(r.is_success(), "{body}");
            assert_eq!(r.firmware_version, "SR1.2", "{body}");
        }
    }

    #[test]
    fn the_charset_is_read_from_the_content_type() {
        assert_eq!(
            charset_of("application/json; charset=ISO-8859-1").as_deref(),
            Some("iso-8859-1")
        );
        assert_eq!(
            charset_of("application/json;CHARSET=\"windows-1252\";q=1").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(
            charset_of("application/json;charset=UTF-8").as_deref(),
            Some("utf-8")
        );
        for none in [
            "application/json",
            "",
            "text/html; boundary=x",
            "a; charset=",
        ] {
            assert_eq!(charset_of(none), None, "{none}");
        }
    }

    #[test]
    fn a_byte_order_mark_before_the_json_is_skipped() {
        let body = format!("\u{feff}{DOCUMENTED}");
        assert_eq!(decode_answer(&body), decode_answer(DOCUMENTED));
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
