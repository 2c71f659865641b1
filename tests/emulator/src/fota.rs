//! The Synchronize Device Firmware endpoint: request checks in ThingSpace's order, the documented
//! error bodies, and the 200 answer in its documented shape or in the variant spellings.

use std::time::{Duration, Instant, SystemTime};

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::ext::ReasonPhrase;
use serde::Serialize;
use serde_json::Value;

use crate::devices::{self, DeviceOutcome};
use crate::faults::{Fault, Latency, Omission, NOT_JSON_PAGE};
use crate::request_log::RequestRecord;
use crate::{rate_limit, server, timefmt, App, EmulatorState};

/// At most this many devices per request (SDK docs).
pub const MAX_DEVICES: usize = 100;
/// The account the emulator treats as inactive.
pub const INACTIVE_ACCOUNT: &str = "0000999999-00001";

/// A finished answer: status, content type, body and an optional `Retry-After`; a recorded
/// answer also brings its reason phrase and its other headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: StatusCode,
    /// The status line's reason phrase when it is not the standard one (Cloudflare's
    /// `522 Origin Connection Time-out`); `None` sends the standard one.
    pub reason: Option<String>,
    /// The `Content-Type` header.
    pub content_type: String,
    /// More headers, sent in this order after `Content-Type`.
    pub headers: Vec<(String, String)>,
    /// The body, sent as is.
    pub body: String,
    /// A `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl Answer {
    /// An `application/json` answer.
    pub fn json(status: StatusCode, body: String) -> Self {
        Self::new(status, "application/json", body)
    }

    /// An answer with only a `Content-Type` header.
    pub fn new(status: StatusCode, content_type: &str, body: String) -> Self {
        Self {
            status,
            reason: None,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body,
            retry_after: None,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let body = encode_body(self.body, &self.content_type);
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        // An answer without a body (204, or a bare 401 challenge) may have no Content-Type.
        match HeaderValue::from_str(&self.content_type) {
            Ok(value) if !self.content_type.is_empty() => {
                headers.insert(header::CONTENT_TYPE, value);
            }
            _ => {
                headers.remove(header::CONTENT_TYPE);
            }
        }
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(name, value);
            }
        }
        if let Some(value) = self.retry_after.and_then(|v| v.parse().ok()) {
            headers.insert(header::RETRY_AFTER, value);
        }
        if let Some(reason) = self.reason.and_then(|r| ReasonPhrase::try_from(r).ok()) {
            response.extensions_mut().insert(reason);
        }
        response
    }
}

/// The body's bytes in the charset its `Content-Type` names: ISO-8859-1 (and its superset as
/// browsers read it, windows-1252) for characters up to U+00FF, else UTF-8. Rules and recorded
/// answers are written in UTF-8; a front end that answers in Latin-1 sends other bytes.
fn encode_body(body: String, content_type: &str) -> Vec<u8> {
    let lower = content_type.to_ascii_lowercase();
    let latin1 = ["iso-8859-1", "latin1", "windows-1252"]
        .iter()
        .any(|name| lower.contains(&format!("charset={name}")));
    if latin1 && body.chars().all(|c| u32::from(c) <= 0xFF) {
        body.chars().map(|c| c as u8).collect()
    } else {
        body.into_bytes()
    }
}

/// Every documented way ThingSpace refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 401, gateway fault 900902.
    MissingCredentials,
    /// 401, gateway fault 900901.
    InvalidCredentials,
    /// 400 `REQUEST_FAILED.SessionToken.Missing`.
    SessionMissing,
    /// 400 `REQUEST_FAILED.SessionToken.Expired`.
    SessionExpired,
    /// 400 `REQUEST_FAILED.SessionToken.Invalid`.
    SessionInvalid,
    /// 400 `INVALID_PARAMETER` with this message.
    InvalidParameter(&'static str),
    /// 404, gateway fault 900906.
    NoMatchingResource,
}

impl Rejection {
    /// The documented status and body.
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
    check_bearer(headers)?;
    check_session(headers)?;

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

/// `Authorization` as the gateway reads it: the scheme `Bearer` (that case), one space, then a
/// token of visible ASCII characters. No header, another scheme, or no token: 900902. A token with
/// whitespace or anything but visible ASCII in it (`Bearer Bearer eyJ…`, `Bearer  eyJ…`, a pasted
/// non-breaking space), the scheme alone twice (`Bearer Bearer`), or the tokens `invalid` and
/// `expired` (any case): 900901.
fn check_bearer(headers: &HeaderMap) -> Result<(), Rejection> {
    let value = headers
        .get(header::AUTHORIZATION)
        .map_or(&[][..], HeaderValue::as_bytes);
    let token = value
        .strip_prefix(b"Bearer ")
        .filter(|token| !token.iter().all(|b| matches!(b, b' ' | b'\t')))
        .ok_or(Rejection::MissingCredentials)?;
    let invalid = ["invalid", "expired", "bearer"];
    if !is_visible_ascii(token)
        || invalid
            .iter()
            .any(|t| token.eq_ignore_ascii_case(t.as_bytes()))
    {
        return Err(Rejection::InvalidCredentials);
    }
    Ok(())
}

/// `VZ-M2M-Token`: none or only whitespace is missing; whitespace around or inside it, or anything
/// but visible ASCII, is invalid; `expired` and `invalid` (any case) are what they say.
fn check_session(headers: &HeaderMap) -> Result<(), Rejection> {
    let token = headers
        .get("vz-m2m-token")
        .map_or(&[][..], HeaderValue::as_bytes);
    if token.iter().all(|b| matches!(b, b' ' | b'\t')) {
        return Err(Rejection::SessionMissing);
    }
    if !is_visible_ascii(token) || token.eq_ignore_ascii_case(b"invalid") {
        return Err(Rejection::SessionInvalid);
    }
    if token.eq_ignore_ascii_case(b"expired") {
        return Err(Rejection::SessionExpired);
    }
    Ok(())
}

/// Every byte is a visible ASCII character (RFC 5234 VCHAR): no space, tab or non-ASCII.
fn is_visible_ascii(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| (0x21..=0x7e).contains(b))
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

/// How a 200 answer spells its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// The portal's: `deviceFirmwarVersionList`, `Reason`, `VersionUpdateTime`.
    Documented,
    /// The SDKs': `deviceFirmwareVersionList`, `reason`, `firmwareVersionUpdateTime`.
    Sdk,
}

impl Keys {
    /// The time layout that goes with the spelling: Go's for the portal's, RFC 3339 for the SDKs'.
    pub fn default_time(self) -> TimeStyle {
        match self {
            Self::Documented => TimeStyle::Go,
            Self::Sdk => TimeStyle::Rfc3339,
        }
    }
}

/// How a 200 answer is written: its keys, its times, and the quirks of other serializers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The spelling of the keys.
    pub keys: Keys,
    /// The time of the devices [`Shape::every`] picks; the others get [`Keys::default_time`].
    pub time: TimeStyle,
    /// `time` applies to the k-th, 2k-th, ... device of the answer (1: to every device).
    pub every: usize,
    /// Failed devices answer `null` for their reason, firmware version and time.
    pub nulls: bool,
    /// `deviceId` is a JSON number, not a string.
    pub numeric_id: bool,
}

impl Shape {
    /// Exactly as documented.
    pub const DOCUMENTED: Self = Self {
        keys: Keys::Documented,
        time: TimeStyle::Go,
        every: 1,
        nulls: false,
        numeric_id: false,
    };

    /// The SDKs' spelling with `time` for every device.
    pub fn sdk(time: TimeStyle) -> Self {
        Self {
            keys: Keys::Sdk,
            time,
            ..Self::DOCUMENTED
        }
    }

    /// The fields of the `index`-th device of the answer.
    fn fields(&self, outcome: DeviceOutcome, index: usize) -> Fields {
        let style = if (index + 1).is_multiple_of(self.every) {
            self.time
        } else {
            self.keys.default_time()
        };
        let null = self.nulls && !outcome.is_success();
        Fields {
            device_id: match outcome.device_id.parse::<u64>() {
                Ok(number) if self.numeric_id => Value::from(number),
                _ => Value::String(outcome.device_id),
            },
            status: outcome.status,
            reason: (!null).then_some(outcome.reason),
            firmware_version: (!null).then_some(outcome.firmware_version),
            time: (!null).then(|| style.render(outcome.update_time_ms)),
        }
    }
}

/// Time values a 200 answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// `2022-02-04T06:10:01.441Z`
    Rfc3339,
    /// Go's `time.String()`, `2022-02-04 06:10:01.441 +0000 UTC`.
    Go,
    /// `""`
    Empty,
    /// Go's zero time, "never reported": `0001-01-01 00:00:00 +0000 UTC`.
    GoZero,
    /// Go's zero time in a local-mean-time zone: `0001-01-01 00:19:32 +0019 LMT`.
    GoZeroLmt,
}

impl TimeStyle {
    /// The names fault rules use, in the order of the variants.
    pub const NAMES: [&'static str; 5] = ["rfc3339", "go", "empty", "go-zero", "go-zero-lmt"];

    /// The style called `name` in fault rules.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "rfc3339" => Self::Rfc3339,
            "go" => Self::Go,
            "empty" => Self::Empty,
            "go-zero" => Self::GoZero,
            "go-zero-lmt" => Self::GoZeroLmt,
            _ => return None,
        })
    }

    /// A time, `unix_ms` milliseconds after the epoch, in this style.
    pub fn render(self, unix_ms: i64) -> String {
        match self {
            Self::Rfc3339 => timefmt::rfc3339(unix_ms),
            Self::Go => timefmt::go_layout(unix_ms),
            Self::Empty => String::new(),
            Self::GoZero => timefmt::GO_ZERO_UTC.into(),
            Self::GoZeroLmt => timefmt::GO_ZERO_LMT.into(),
        }
    }
}

/// One device's values, before they are spelled.
struct Fields {
    device_id: Value,
    status: &'static str,
    reason: Option<&'static str>,
    firmware_version: Option<String>,
    time: Option<String>,
}

/// The 200 answer for `devices` of `account`.
pub fn success(account: &str, devices: &[String], shape: Shape) -> Answer {
    let fields = devices
        .iter()
        .enumerate()
        .map(|(i, imei)| shape.fields(devices::outcome(imei), i));
    let body = match shape.keys {
        Keys::Documented => to_json(&DocumentedAnswer {
            account_name: account,
            devices: fields.map(DocumentedDevice::from).collect(),
        }),
        Keys::Sdk => to_json(&VariantAnswer {
            account_name: account,
            devices: fields.map(VariantDevice::from).collect(),
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
    device_id: Value,
    status: &'static str,
    #[serde(rename = "Reason")]
    reason: Option<&'static str>,
    firmware_version: Option<String>,
    #[serde(rename = "VersionUpdateTime")]
    version_update_time: Option<String>,
}

impl From<Fields> for DocumentedDevice {
    fn from(f: Fields) -> Self {
        Self {
            device_id: f.device_id,
            status: f.status,
            reason: f.reason,
            firmware_version: f.firmware_version,
            version_update_time: f.time,
        }
    }
}

impl From<DeviceOutcome> for DocumentedDevice {
    fn from(outcome: DeviceOutcome) -> Self {
        Shape::DOCUMENTED.fields(outcome, 0).into()
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
    device_id: Value,
    status: &'static str,
    reason: Option<&'static str>,
    firmware_version: Option<String>,
    firmware_version_update_time: Option<String>,
}

impl From<Fields> for VariantDevice {
    fn from(f: Fields) -> Self {
        Self {
            device_id: f.device_id,
            status: f.status,
            reason: f.reason,
            firmware_version: f.firmware_version,
            firmware_version_update_time: f.time,
        }
    }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("answer types always serialize")
}

/// `PUT /api/fota/v3/firmware/{acc}/devices`: logs the request; takes a token from the
/// account's rate limit, as the gateway does before anything else, or throttles it; applies the
/// global latency and the first fault rule that applies (a throttled request reaches none), then
/// answers.
pub(crate) async fn synchronize(
    State(app): State<App>,
    Path(account): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let (seq, delay, verdict) = {
        let mut guard = app.state();
        let state = &mut *guard;
        let mut record = RequestRecord::new(&parts, Some(&account), &body);
        let mut delay = state.latency.delay(&mut state.jitter);
        let verdict = match state.limiter.take(&account, Instant::now()) {
            Err(wait) => {
                record.fault = Some(rate_limit::FAULT_NAME.into());
                Verdict::Throttled(wait)
            }
            Ok(()) => Verdict::Pass(state.rules.pick(&account).map(|(id, rule)| {
                record.rule_id = Some(id);
                record.fault = Some(rule.kind_name());
                rule.fault.clone()
            })),
        };
        if let Verdict::Pass(Some(Fault::Latency { ms, jitter_ms })) = verdict {
            delay += Latency { ms, jitter_ms }.delay(&mut state.jitter);
        }
        (log(state, record), delay, verdict)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = match verdict {
        Verdict::Throttled(wait) => rate_limit::throttled(wait, SystemTime::now()).into_response(),
        Verdict::Pass(fault) => respond(fault, &parts.headers, &account, &body).await,
    };
    finish(&app, seq, &response);
    response
}

/// What becomes of a request once it arrives.
enum Verdict {
    /// Over the account's rate limit: a token comes after this long.
    Throttled(Duration),
    /// Let through, with the fault rule that applies to it, if any.
    Pass(Option<Fault>),
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

/// Where a body is cut in half, on a character boundary.
pub(crate) fn half_of(body: &str) -> usize {
    let mut half = body.len() / 2;
    while !body.is_char_boundary(half) {
        half -= 1;
    }
    half
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
        None | Some(Fault::Latency { .. }) => normal(Shape::DOCUMENTED, None),
        Some(Fault::Status(canned)) => canned.answer(),
        Some(Fault::Reject(rejection)) => rejection.answer(),
        Some(Fault::Hang { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return server::drop_connection();
        }
        Some(Fault::Drop) => return server::drop_connection(),
        Some(Fault::Truncated) => {
            let mut answer = normal(Shape::DOCUMENTED, None);
            answer.body.truncate(half_of(&answer.body));
            answer
        }
        Some(Fault::Cut) => return server::cut_off(normal(Shape::DOCUMENTED, None)),
        Some(Fault::NotJson) => Answer::new(StatusCode::OK, "text/html", NOT_JSON_PAGE.into()),
        Some(Fault::Omit(omission)) => normal(Shape::DOCUMENTED, Some(omission)),
        Some(Fault::Variant(shape)) => normal(shape, None),
        Some(Fault::Answer(replay)) => replay.answer(SystemTime::now()),
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

    fn bearer(value: &[u8]) -> Result<Vec<String>, Rejection> {
        let mut h = valid_headers();
        h.insert("authorization", HeaderValue::from_bytes(value).unwrap());
        check(&h, ACCOUNT, &body(&[IMEI]))
    }

    fn session(value: &[u8]) -> Result<Vec<String>, Rejection> {
        let mut h = valid_headers();
        h.insert("vz-m2m-token", HeaderValue::from_bytes(value).unwrap());
        check(&h, ACCOUNT, &body(&[IMEI]))
    }

    #[test]
    fn a_bearer_token_is_one_word_of_visible_ascii() {
        for ok in [
            &b"Bearer t0k"[..],
            b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
            b"Bearer 6a1f-4c2e_~+/x==",
        ] {
            assert!(bearer(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
        }
        for invalid in [
            &b"Bearer Bearer eyJhbGciOiJIUzI1NiJ9"[..],
            b"Bearer bearer eyJhbGciOiJIUzI1NiJ9",
            b"Bearer Bearer",
            b"Bearer  eyJ",
            b"Bearer eyJ ",
            b"Bearer eyJ abc",
            b"Bearer eyJ\tabc",
            b"Bearer eyJ\xc2\xa0abc",
            b"Bearer \xa0eyJ",
        ] {
            assert_eq!(
                bearer(invalid),
                Err(Rejection::InvalidCredentials),
                "{}",
                String::from_utf8_lossy(invalid)
            );
        }
        for missing in [
            &b"bearer bearer eyJ"[..],
            b"Bearer\teyJ",
            b"Bearer",
            b"Bearer \t ",
        ] {
            assert_eq!(
                bearer(missing),
                Err(Rejection::MissingCredentials),
                "{}",
                String::from_utf8_lossy(missing)
            );
        }
    }

    #[test]
    fn a_session_token_with_whitespace_is_invalid() {
        assert!(session(b"s3ss-ion_1").is_ok());
        for invalid in [
            &b" s3ss"[..],
            b"s3ss ",
            b"s3 ss",
            b"s3\tss",
            b"s3\xc2\xa0ss",
            b"INVALID",
            b" expired",
        ] {
            assert_eq!(
                session(invalid),
                Err(Rejection::SessionInvalid),
                "{}",
                String::from_utf8_lossy(invalid)
            );
        }
        assert_eq!(session(b"  \t"), Err(Rejection::SessionMissing));
        assert_eq!(session(b"Expired"), Err(Rejection::SessionExpired));
    }

    /// The devices of a 200 answer of `shape` for `imeis`.
    fn devices_of(shape: Shape, imeis: &[String]) -> Vec<Value> {
        let value: Value = serde_json::from_str(&success(ACCOUNT, imeis, shape).body).unwrap();
        let list = match shape.keys {
            Keys::Documented => "deviceFirmwarVersionList",
            Keys::Sdk => "deviceFirmwareVersionList",
        };
        value[list].as_array().unwrap().clone()
    }

    #[test]
    fn go_zero_times_go_to_every_device_or_every_kth() {
        let imeis = devices::imeis_where(4, |_| true);
        let shape = Shape {
            time: TimeStyle::GoZero,
            ..Shape::DOCUMENTED
        };
        for device in devices_of(shape, &imeis) {
            assert_eq!(device["VersionUpdateTime"], "0001-01-01 00:00:00 +0000 UTC");
        }
        let shape = Shape {
            time: TimeStyle::GoZeroLmt,
            every: 2,
            ..Shape::DOCUMENTED
        };
        let times: Vec<String> = devices_of(shape, &imeis)
            .iter()
            .map(|d| d["VersionUpdateTime"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(times[1], "0001-01-01 00:19:32 +0019 LMT");
        assert_eq!(times[3], "0001-01-01 00:19:32 +0019 LMT");
        for (i, imei) in [(0, &imeis[0]), (2, &imeis[2])] {
            let expected = timefmt::go_layout(devices::outcome(imei).update_time_ms);
            assert_eq!(times[i], expected);
        }
        let sdk = devices_of(
            Shape {
                every: 2,
                ..Shape::sdk(TimeStyle::GoZero)
            },
            &imeis,
        );
        assert!(sdk[0]["firmwareVersionUpdateTime"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert_eq!(
            sdk[1]["firmwareVersionUpdateTime"],
            "0001-01-01 00:00:00 +0000 UTC"
        );
    }

    #[test]
    fn nulls_blank_out_failed_devices_only() {
        let ok = devices::imeis_where(1, DeviceOutcome::is_success).remove(0);
        let failed = devices::imeis_where(1, |o| !o.is_success()).remove(0);
        let shape = Shape {
            nulls: true,
            ..Shape::DOCUMENTED
        };
        let body = success(ACCOUNT, &[ok.clone(), failed.clone()], shape).body;
        let expected_failed = format!(
            r#"{{"deviceId":"{failed}","status":"FirmwareVersionUpdateFailed","Reason":null,"firmwareVersion":null,"VersionUpdateTime":null}}"#
        );
        assert!(body.ends_with(&format!("{expected_failed}]}}")), "{body}");
        let list = devices_of(shape, &[ok, failed]);
        assert_eq!(list[0]["Reason"], "");
        assert!(list[0]["firmwareVersion"].is_string());
        assert!(list[0]["VersionUpdateTime"].is_string());
    }

    #[test]
    fn numeric_ids_are_json_numbers_and_combine_with_other_quirks() {
        let imeis = vec!["356938100000018".to_string(), "356938100000000".to_string()];
        let shape = Shape {
            numeric_id: true,
            time: TimeStyle::GoZero,
            nulls: true,
            ..Shape::DOCUMENTED
        };
        let body = success(ACCOUNT, &imeis, shape).body;
        assert!(body.contains(r#""deviceId":356938100000018,"#), "{body}");
        let list = devices_of(shape, &imeis);
        assert_eq!(list[0]["deviceId"], 356_938_100_000_018_u64);
        assert_eq!(list[0]["VersionUpdateTime"], timefmt::GO_ZERO_UTC);
        // 356938100000000 is "Device is offline": nulls win over the time.
        assert_eq!(list[1]["deviceId"], 356_938_100_000_000_u64);
        assert!(list[1]["VersionUpdateTime"].is_null());
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
        let answer = success(ACCOUNT, &[IMEI.to_string()], Shape::DOCUMENTED);
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
        let answer = success(ACCOUNT, &[IMEI.to_string()], Shape::sdk(TimeStyle::Rfc3339));
        let value: Value = serde_json::from_str(&answer.body).unwrap();
        let device = &value["deviceFirmwareVersionList"][0];
        assert!(device.get("reason").is_some());
        assert!(device.get("Reason").is_none());
        let time = device["firmwareVersionUpdateTime"].as_str().unwrap();
        assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    }
}
