//! The Synchronize Device Firmware endpoint: request checks in ThingSpace's order, the documented
//! error bodies, and the 200 answer in its documented shape or in the variant spellings.

use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::devices::{self, DeviceOutcome};
use crate::faults::{Fault, Latency, Omission, NOT_JSON_PAGE};
use crate::request_log::RequestRecord;
use crate::{server, timefmt, App, EmulatorState};

/// At most this many devices per request (SDK docs).
pub const MAX_DEVICES: usize = 100;
/// The account the emulator treats as inactive.
pub const INACTIVE_ACCOUNT: &str = "0000999999-00001";

/// A finished answer: status, content type, body and an optional `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn json(status: StatusCode, body: String) -> Self {
        Self::new(status, "application/json", body)
    }

    pub fn new(status: StatusCode, content_type: &str, body: String) -> Self {
        Self {
            status,
            content_type: content_type.to_string(),
            body,
            retry_after: None,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response();
        if let Some(value) = self.retry_after.and_then(|v| v.parse().ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Every documented way ThingSpace refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 401, gateway fault 900902.
    MissingCredentials,
    /// 401, gateway fault 900901.
    InvalidCredentials,
    SessionMissing,
    SessionExpired,
    SessionInvalid,
    /// 400 `INVALID_PARAMETER` with this message.
    InvalidParameter(&'static str),
    /// 404, gateway fault 900906.
    NoMatchingResource,
}

impl Rejection {
    pub fn answer(self) -> Answer {
        match self {
            Self::MissingCredentials => gateway_fault(
                StatusCode::UNAUTHORIZED,
                "900902",
                "Missing Credentials",
                "Invalid Credentials. Make sure your API invocation call has a header: \
                 'Authorization : Bearer ACCESS_TOKEN' or 'Authorization : Basic ACCESS_TOKEN' \
                 or 'apikey: API_KEY'",
            ),
            Self::InvalidCredentials => gateway_fault(
                StatusCode::UNAUTHORIZED,
                "900901",
                "Invalid Credentials",
                "Access failure for API: /api/fota/v3, version: v3 status: (900901) - Invalid \
                 Credentials. Make sure you have provided the correct security credentials",
            ),
            Self::SessionMissing => fota_error(
                "REQUEST_FAILED.SessionToken.Missing",
                "SessionToken is missing",
            ),
            Self::SessionExpired => fota_error(
                "REQUEST_FAILED.SessionToken.Expired",
                "SessionToken Expired",
            ),
            Self::SessionInvalid => fota_error(
                "REQUEST_FAILED.SessionToken.Invalid",
                "SessionToken Invalid",
            ),
            Self::InvalidParameter(message) => fota_error("INVALID_PARAMETER", message),
            Self::NoMatchingResource => gateway_fault(
                StatusCode::NOT_FOUND,
                "900906",
                "No matching resource found",
                "No matching resource found for given API Request",
            ),
        }
    }
}

fn fota_error(code: &str, message: &str) -> Answer {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct FotaError<'a> {
        error_code: &'a str,
        error_message: &'a str,
    }
    let body = FotaError {
        error_code: code,
        error_message: message,
    };
    Answer::json(StatusCode::BAD_REQUEST, to_json(&body))
}

fn gateway_fault(status: StatusCode, code: &str, message: &str, description: &str) -> Answer {
    #[derive(Serialize)]
    struct Envelope<'a> {
        fault: Fault<'a>,
    }
    #[derive(Serialize)]
    struct Fault<'a> {
        code: &'a str,
        message: &'a str,
        description: &'a str,
    }
    let body = Envelope {
        fault: Fault {
            code,
            message,
            description,
        },
    };
    Answer::json(status, to_json(&body))
}

/// Checks a request as ThingSpace does (credentials, session, account, body) and returns the
/// IMEIs asked about, in request order.
pub fn check(headers: &HeaderMap, account: &str, body: &[u8]) -> Result<Vec<String>, Rejection> {
    let bearer = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(Rejection::MissingCredentials)?;
    if ["invalid", "expired"].contains(&bearer.to_ascii_lowercase().as_str()) {
        return Err(Rejection::InvalidCredentials);
    }

    let session = header_str(headers, "vz-m2m-token")
        .map(str::trim)
        .unwrap_or_default();
    match session.to_ascii_lowercase().as_str() {
        "" => return Err(Rejection::SessionMissing),
        "expired" => return Err(Rejection::SessionExpired),
        "invalid" => return Err(Rejection::SessionInvalid),
        _ => {}
    }

    if !is_account_name(account) {
        return Err(Rejection::InvalidParameter("Invalid account name format"));
    }
    if account == INACTIVE_ACCOUNT {
        return Err(Rejection::InvalidParameter("Inactive account"));
    }

    let devices = device_list(body).ok_or(Rejection::InvalidParameter("Input binding error"))?;
    if devices.is_empty() {
        return Err(Rejection::InvalidParameter("Device list is empty"));
    }
    if devices.len() > MAX_DEVICES {
        return Err(Rejection::InvalidParameter(
            "Device list exceeds the maximum of 100 devices",
        ));
    }
    if !devices.iter().all(|imei| devices::is_valid_imei(imei)) {
        return Err(Rejection::InvalidParameter("Invalid device id format"));
    }
    Ok(devices)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `^\d{10}-\d{5}$`
fn is_account_name(account: &str) -> bool {
    let bytes = account.as_bytes();
    bytes.len() == 16
        && bytes[10] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 10 || b.is_ascii_digit())
}

fn device_list(body: &[u8]) -> Option<Vec<String>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value
        .get("deviceList")?
        .as_array()?
        .iter()
        .map(|entry| entry.as_str().map(str::to_string))
        .collect()
}

/// How a 200 answer spells its keys and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `deviceFirmwarVersionList`, `Reason`, `VersionUpdateTime` in Go's layout.
    Documented,
    /// `deviceFirmwareVersionList`, `reason`, `firmwareVersionUpdateTime` with this time style.
    Variant(TimeStyle),
}

/// Time values a variant answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    Rfc3339,
    Go,
    Empty,
}

/// The 200 answer for `devices` of `account`.
pub fn success(account: &str, devices: &[String], shape: Shape) -> Answer {
    let outcomes = devices.iter().map(|imei| devices::outcome(imei));
    let body = match shape {
        Shape::Documented => to_json(&DocumentedAnswer {
            account_name: account,
            devices: outcomes.map(DocumentedDevice::from).collect(),
        }),
        Shape::Variant(style) => to_json(&VariantAnswer {
            account_name: account,
            devices: outcomes.map(|o| VariantDevice::new(o, style)).collect(),
        }),
    };
    Answer::json(StatusCode::OK, body)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentedAnswer<'a> {
    account_name: &'a str,
    #[serde(rename = "deviceFirmwarVersionList")]
    devices: Vec<DocumentedDevice>,
}

/// One device in the documented spelling and key order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentedDevice {
    device_id: String,
    status: &'static str,
    #[serde(rename = "Reason")]
    reason: &'static str,
    firmware_version: String,
    #[serde(rename = "VersionUpdateTime")]
    version_update_time: String,
}

impl From<DeviceOutcome> for DocumentedDevice {
    fn from(outcome: DeviceOutcome) -> Self {
        Self {
            version_update_time: timefmt::go_layout(outcome.update_time_ms),
            device_id: outcome.device_id,
            status: outcome.status,
            reason: outcome.reason,
            firmware_version: outcome.firmware_version,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VariantAnswer<'a> {
    account_name: &'a str,
    #[serde(rename = "deviceFirmwareVersionList")]
    devices: Vec<VariantDevice>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VariantDevice {
    device_id: String,
    status: &'static str,
    reason: &'static str,
    firmware_version: String,
    firmware_version_update_time: String,
}

impl VariantDevice {
    fn new(outcome: DeviceOutcome, style: TimeStyle) -> Self {
        let time = match style {
            TimeStyle::Rfc3339 => timefmt::rfc3339(outcome.update_time_ms),
            TimeStyle::Go => timefmt::go_layout(outcome.update_time_ms),
            TimeStyle::Empty => String::new(),
        };
        Self {
            device_id: outcome.device_id,
            status: outcome.status,
            reason: outcome.reason,
            firmware_version: outcome.firmware_version,
            firmware_version_update_time: time,
        }
    }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("answer types always serialize")
}

/// `PUT /api/fota/v3/firmware/{acc}/devices`: logs the request, applies the global latency and
/// the first fault rule that applies, then answers.
pub(crate) async fn synchronize(
    State(app): State<App>,
    Path(account): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let (seq, delay, fault) = {
        let mut guard = app.state();
        let state = &mut *guard;
        let mut record = RequestRecord::new(&parts, Some(&account), &body);
        let mut delay = state.latency.delay(&mut state.jitter);
        let fault = state.rules.pick(&account).map(|(id, rule)| {
            record.rule_id = Some(id);
            record.fault = Some(rule.kind_name());
            rule.fault.clone()
        });
        if let Some(Fault::Latency { ms, jitter_ms }) = fault {
            delay += Latency { ms, jitter_ms }.delay(&mut state.jitter);
        }
        (log(state, record), delay, fault)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = respond(fault, &parts.headers, &account, &body).await;
    finish(&app, seq, &response);
    response
}

/// Any other path under the API base, or another method on the endpoint: the gateway's 404.
pub(crate) async fn no_matching_resource(State(app): State<App>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let seq = log(&mut app.state(), RequestRecord::new(&parts, None, &body));
    let response = Rejection::NoMatchingResource.answer().into_response();
    finish(&app, seq, &response);
    response
}

/// Requests bodies past this are read as empty, hence "Input binding error".
const BODY_LIMIT: usize = 1 << 20;

fn log(state: &mut EmulatorState, mut record: RequestRecord) -> u64 {
    record.seq = state.log.len() as u64 + 1;
    let seq = record.seq;
    state.log.push(record);
    seq
}

fn finish(app: &App, seq: u64, response: &Response) {
    let status = (!server::is_dropped(response)).then(|| response.status().as_u16());
    if let Some(record) = app.state().log.iter_mut().find(|r| r.seq == seq) {
        record.status = status;
    }
}

async fn respond(
    fault: Option<Fault>,
    headers: &HeaderMap,
    account: &str,
    body: &[u8],
) -> Response {
    let normal = |shape: Shape, omission: Option<Omission>| match check(headers, account, body) {
        Ok(devices) => {
            let devices = match omission {
                Some(omission) => omission.apply(&devices),
                None => devices,
            };
            success(account, &devices, shape)
        }
        Err(rejection) => rejection.answer(),
    };
    let answer = match fault {
        None | Some(Fault::Latency { .. }) => normal(Shape::Documented, None),
        Some(Fault::Status(canned)) => canned.answer(),
        Some(Fault::Reject(rejection)) => rejection.answer(),
        Some(Fault::Hang { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return server::drop_connection();
        }
        Some(Fault::Drop) => return server::drop_connection(),
        Some(Fault::Truncated) => {
            let mut answer = normal(Shape::Documented, None);
            let mut half = answer.body.len() / 2;
            while !answer.body.is_char_boundary(half) {
                half -= 1;
            }
            answer.body.truncate(half);
            answer
        }
        Some(Fault::NotJson) => Answer::new(StatusCode::OK, "text/html", NOT_JSON_PAGE.into()),
        Some(Fault::Omit(omission)) => normal(Shape::Documented, Some(omission)),
        Some(Fault::Variant(style)) => normal(Shape::Variant(style), None),
    };
    answer.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0000123456-00001";
    const IMEI: &str = "490154203237518";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    fn valid_headers() -> HeaderMap {
        headers(&[("authorization", "Bearer t0k"), ("vz-m2m-token", "s3ss")])
    }

    fn body(devices: &[&str]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "deviceList": devices })).unwrap()
    }

    #[test]
    fn a_valid_request_yields_its_devices_in_order() {
        let imeis = ["356938035643809", IMEI];
        assert_eq!(
            check(&valid_headers(), ACCOUNT, &body(&imeis)),
            Ok(imeis.map(String::from).to_vec())
        );
    }

    #[test]
    fn checks_come_in_thingspace_order() {
        let bad_body = b"nope".as_slice();
        assert_eq!(
            check(&HeaderMap::new(), "x", bad_body),
            Err(Rejection::MissingCredentials)
        );
        let no_session = headers(&[("authorization", "Bearer t")]);
        assert_eq!(
            check(&no_session, "x", bad_body),
            Err(Rejection::SessionMissing)
        );
        assert_eq!(
            check(&valid_headers(), "x", bad_body),
            Err(Rejection::InvalidParameter("Invalid account name format"))
        );
        assert_eq!(
            check(&valid_headers(), ACCOUNT, bad_body),
            Err(Rejection::InvalidParameter("Input binding error"))
        );
    }

    #[test]
    fn credentials_are_read_strictly() {
        for auth in ["Basic abc", "Bearer ", "Bearer    ", "bearer abc"] {
            let h = headers(&[("authorization", auth), ("vz-m2m-token", "s")]);
            assert_eq!(
                check(&h, ACCOUNT, &body(&[IMEI])),
                Err(Rejection::MissingCredentials),
                "{auth}"
            );
        }
        for auth in ["Bearer invalid", "Bearer EXPIRED"] {
            let h = headers(&[("authorization", auth), ("vz-m2m-token", "s")]);
            assert_eq!(
                check(&h, ACCOUNT, &body(&[IMEI])),
                Err(Rejection::InvalidCredentials)
            );
        }
    }

    #[test]
    fn account_names_follow_the_documented_form() {
        assert!(is_account_name(ACCOUNT));
        for bad in [
            "0000123456_00001",
            "000012345-000001",
            "0000123456-0001",
            "a000123456-00001",
        ] {
            assert!(!is_account_name(bad), "{bad}");
        }
    }

    #[test]
    fn device_lists_are_bounded_and_validated() {
        let h = valid_headers();
        let reject = |b: &[u8]| check(&h, ACCOUNT, b).unwrap_err();
        assert_eq!(
            reject(&body(&[])),
            Rejection::InvalidParameter("Device list is empty")
        );
        assert_eq!(
            reject(&body(&[IMEI; 101])),
            Rejection::InvalidParameter("Device list exceeds the maximum of 100 devices")
        );
        assert!(check(&h, ACCOUNT, &body(&[IMEI; 100])).is_ok());
        assert_eq!(
            reject(&body(&[IMEI, "990000473475989"])),
            Rejection::InvalidParameter("Invalid device id format")
        );
        assert_eq!(
            reject(br#"{"deviceList":[490154203237518]}"#),
            Rejection::InvalidParameter("Input binding error")
        );
        assert_eq!(
            reject(br#"{"devices":[]}"#),
            Rejection::InvalidParameter("Input binding error")
        );
    }

    #[test]
    fn the_documented_answer_keeps_its_typo_and_key_order() {
        let answer = success(ACCOUNT, &[IMEI.to_string()], Shape::Documented);
        let o = devices::outcome(IMEI);
        let expected = format!(
            r#"{{"accountName":"{ACCOUNT}","deviceFirmwarVersionList":[{{"deviceId":"{IMEI}","status":"{}","Reason":"{}","firmwareVersion":"{}","VersionUpdateTime":"{}"}}]}}"#,
            o.status,
            o.reason,
            o.firmware_version,
            timefmt::go_layout(o.update_time_ms)
        );
        assert_eq!(answer.body, expected);
        assert_eq!(answer.status, StatusCode::OK);
    }

    #[test]
    fn the_variant_answer_uses_the_other_spellings() {
        let answer = success(
            ACCOUNT,
            &[IMEI.to_string()],
            Shape::Variant(TimeStyle::Rfc3339),
        );
        let value: Value = serde_json::from_str(&answer.body).unwrap();
        let device = &value["deviceFirmwareVersionList"][0];
        assert!(device.get("reason").is_some());
        assert!(device.get("Reason").is_none());
        let time = device["firmwareVersionUpdateTime"].as_str().unwrap();
        assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    }
}
