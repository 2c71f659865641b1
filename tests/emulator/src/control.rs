//! The control API under `/_emulator/`: fault rules, latency, the rate limit, the request log,
//! reset, and the outcome of IMEIs so that browser tests can pick devices of each kind.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::devices::{self, DeviceOutcome};
use crate::faults::{FaultRule, Latency};
use crate::fota::DocumentedDevice;
use crate::rate_limit::{Limiter, RateLimit};
use crate::{App, EmulatorState};

/// Most outcomes one `GET /_emulator/outcomes` lists.
const MAX_SAMPLE: usize = 1000;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/faults", get(list_faults).post(add_fault))
        .route("/reset", post(reset))
        .route("/latency", get(latency).put(set_latency))
        .route(
            "/rate-limit",
            get(rate_limit)
                .put(set_rate_limit)
                .delete(remove_rate_limit),
        )
        .route("/release", put(set_release))
        .route("/requests", get(requests))
        .route("/outcomes", get(sample_outcomes))
        .route("/outcomes/{imei}", get(one_outcome))
}

fn bad_request(message: impl Into<String>) -> Response {
    let message: String = message.into();
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn add_fault(State(app): State<App>, body: Bytes) -> Response {
    let rule = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(FaultRule::from_json);
    match rule {
        Ok(rule) => {
            let id = app.state().rules.add(rule);
            (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
        }
        Err(message) => bad_request(message),
    }
}

async fn list_faults(State(app): State<App>) -> Json<Value> {
    Json(app.state().rules.to_json())
}

async fn reset(State(app): State<App>) -> StatusCode {
    *app.state() = EmulatorState::default();
    devices::set_release(0);
    StatusCode::NO_CONTENT
}

/// `{"release": N}`: the fleet's firmware release from now on (0: as at start); a third of the
/// devices report another version with each release.
async fn set_release(body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("release")?.as_u64())
    {
        Some(release) => {
            devices::set_release(release);
            Json(json!({ "release": release })).into_response()
        }
        None => bad_request("expected {\"release\": a whole number}"),
    }
}

async fn latency(State(app): State<App>) -> Json<Latency> {
    Json(app.state().latency)
}

async fn set_latency(State(app): State<App>, body: Bytes) -> Response {
    match serde_json::from_slice::<Latency>(&body) {
        Ok(latency) => {
            app.state().latency = latency;
            Json(latency).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}

async fn rate_limit(State(app): State<App>) -> Json<Value> {
    Json(app.state().limiter.to_json())
}

/// `{"rps": 10, "burst": 20}`: from now on, every account starts again with a full bucket and
/// the counts start again from 0.
async fn set_rate_limit(State(app): State<App>, body: Bytes) -> Response {
    match RateLimit::from_json(&body) {
        Ok(limit) => {
            let mut state = app.state();
            state.limiter = Limiter::new(Some(limit));
            Json(state.limiter.to_json()).into_response()
        }
        Err(message) => bad_request(message),
    }
}

async fn remove_rate_limit(State(app): State<App>) -> StatusCode {
    app.state().limiter = Limiter::default();
    StatusCode::NO_CONTENT
}

async fn requests(State(app): State<App>) -> Response {
    Json(app.state().log.clone()).into_response()
}

#[derive(Deserialize)]
struct Sample {
    count: Option<usize>,
    /// `success` or `failure`; any if absent.
    status: Option<String>,
}

async fn sample_outcomes(Query(sample): Query<Sample>) -> Response {
    let wanted: fn(&DeviceOutcome) -> bool = match sample.status.as_deref() {
        None => |_| true,
        Some("success") => DeviceOutcome::is_success,
        Some("failure") => |o| !o.is_success(),
        Some(other) => return bad_request(format!("status `{other}` is not success or failure")),
    };
    let count = sample.count.unwrap_or(10).min(MAX_SAMPLE);
    let outcomes: Vec<DocumentedDevice> = devices::imeis_where(count, wanted)
        .iter()
        .map(|imei| devices::outcome(imei).into())
        .collect();
    Json(outcomes).into_response()
}

async fn one_outcome(Path(imei): Path<String>) -> Response {
    if !devices::is_valid_imei(&imei) {
        return bad_request(format!("`{imei}` is not a valid IMEI (15 digits, Luhn)"));
    }
    Json(DocumentedDevice::from(devices::outcome(&imei))).into_response()
}
