//! The printed report of a run (docs/USING.md, "Print report"): the line that heads it, saying
//! what the run was sent to, when, and with which settings, never a token. The page's summary,
//! workbench and results table print beside it (style/main.css, `@media print`).

use super::run::RunSettings;
use super::time::{format_seconds, format_utc_millis};

/// What a run was, for the report's heading.
pub struct RunFacts<'a> {
    pub account: &'a str,
    /// Where the run's requests went: the Synchronize Device Firmware URL.
    pub request_url: &'a str,
    pub run: RunSettings,
    pub request_timeout_ms: u32,
    /// When the run started and ended, in ms since the epoch; `ended_ms` is `None` while it goes.
    pub started_ms: f64,
    pub ended_ms: Option<f64>,
}

/// "Account 0000123456-00001 · sent to https://…/firmware/0000123456-00001/devices · started
/// 2026-12-08 00:41:07.120 UTC · ended 2026-12-08 00:42:07.500 UTC · 100 devices per request,
/// at most 4 requests in flight (adaptive), 4 tries, 30 s timeout". A run still going says
/// `not ended yet`.
pub fn facts_line(f: &RunFacts<'_>) -> String {
    let at = |ms: f64| {
        chrono::DateTime::from_timestamp_millis(ms as i64)
            .map(|t| format_utc_millis(&t))
            .unwrap_or_default()
    };
    let ended = f.ended_ms.map_or_else(
        || "not ended yet".to_owned(),
        |ms| format!("ended {}", at(ms)),
    );
    format!(
        "Account {} · sent to {} · started {} · {ended} · {} devices per request, at most {} requests in flight ({}), {} tries, {} timeout",
        f.account,
        f.request_url,
        at(f.started_ms),
        f.run.batch_size,
        f.run.concurrency,
        f.run.pacing.name(),
        f.run.max_attempts,
        format_seconds(f64::from(f.request_timeout_ms)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::run::Pacing;

    #[test]
    fn the_heading_names_the_account_times_and_settings() {
        let mut f = RunFacts {
            account: "0000123456-00001",
            request_url:
                "https://thingspace.verizon.com/api/fota/v3/firmware/0000123456-00001/devices",
            run: RunSettings {
                batch_size: 100,
                concurrency: 4,
                pacing: Pacing::Adaptive,
                max_attempts: 4,
                ..RunSettings::default()
            },
            request_timeout_ms: 30_000,
            started_ms: 1_765_154_467_120.0,
            ended_ms: Some(1_765_154_527_500.0),
        };
        assert_eq!(
            facts_line(&f),
            "Account 0000123456-00001 · sent to \
             https://thingspace.verizon.com/api/fota/v3/firmware/0000123456-00001/devices · started \
             2025-12-08 00:41:07.120 UTC · ended 2025-12-08 00:42:07.500 UTC · 100 devices per \
             request, at most 4 requests in flight (adaptive), 4 tries, 30 s timeout"
        );
        f.ended_ms = None;
        f.run.pacing = Pacing::Fixed;
        let going = facts_line(&f);
        assert!(going.contains("· not ended yet ·"), "{going}");
        assert!(going.contains("(fixed)"), "{going}");
    }
}
