//! The log of requests that reached the FOTA API, with what each was answered, as
//! `GET /_emulator/requests` reports it.

use std::collections::BTreeMap;

use axum::http::request::Parts;
use serde::Serialize;

use crate::timefmt;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// 1, 2, ... in order of arrival.
    pub seq: u64,
    /// When the request arrived, RFC 3339 UTC.
    pub time: String,
    pub method: String,
    /// Path and query, as received.
    pub path: String,
    /// The `{acc}` path segment; `null` for paths that are not the endpoint.
    pub account: Option<String>,
    /// Every header, names in lower case (as HTTP/1.1 servers see them), repeated headers joined
    /// with ", ".
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The status answered; `null` while in flight and for a dropped or hung connection.
    pub status: Option<u16>,
    /// The kind of the fault rule that applied, if any, and its id.
    pub fault: Option<String>,
    pub rule_id: Option<u64>,
}

impl RequestRecord {
    pub fn new(parts: &Parts, account: Option<&str>, body: &[u8]) -> Self {
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_string())
                .and_modify(|joined| {
                    joined.push_str(", ");
                    joined.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        Self {
            seq: 0,
            time: timefmt::rfc3339(timefmt::now_ms()),
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_string(), |pq| pq.to_string()),
            account: account.map(str::to_string),
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
            status: None,
            fault: None,
            rule_id: None,
        }
    }
}
