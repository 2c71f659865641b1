//! CORS as a careful proxy answers it: exact origins from an allow-list, never `*`.
//!
//! A preflight from an origin not on the list gets 403 without CORS headers: the browser would
//! refuse it either way, and a 403 says why in the network panel and in a test, where a bare 204
//! looks like success.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::App;

const API_METHODS: &str = "PUT";
const API_HEADERS: &str = "Authorization, VZ-M2M-Token, Content-Type, Accept";
const CONTROL_METHODS: &str = "GET, POST, PUT";
const CONTROL_HEADERS: &str = "Content-Type";
/// Chromium's cap, in seconds.
const MAX_AGE: &str = "7200";

pub(crate) async fn apply(State(app): State<App>, request: Request, next: Next) -> Response {
    let Some(origin) = cross_origin(request.headers()) else {
        return next.run(request).await;
    };
    let allowed = app.allowed_origins.contains(&origin);
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    if is_preflight {
        if !allowed {
            return StatusCode::FORBIDDEN.into_response();
        }
        let (methods, headers) = if request.uri().path().starts_with("/_emulator/") {
            (CONTROL_METHODS, CONTROL_HEADERS)
        } else {
            (API_METHODS, API_HEADERS)
        };
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        allow(h, &origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(headers),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        return response;
    }

    let mut response = next.run(request).await;
    if allowed {
        let h = response.headers_mut();
        allow(h, &origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After, WWW-Authenticate"),
        );
    }
    response
}

/// The request's `Origin` unless there is none or it is the emulator's own (same-origin).
fn cross_origin(headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_origin = host.is_some_and(|host| origin.strip_prefix("http://") == Some(host));
    (!same_origin).then(|| origin.to_string())
}

fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}
