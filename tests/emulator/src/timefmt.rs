//! The time layouts ThingSpace answers in: Go's `time.String()` and RFC 3339, both in UTC.
//! Hand-rolled because the emulator needs only these two and no time zones.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Go's `time.String()` layout, `2022-02-04 06:10:01.441 +0000 UTC`; as in Go, trailing zeros of
/// the fraction are dropped, and so is the fraction when it is zero.
pub fn go_layout(unix_ms: i64) -> String {
    let (date, time, millis) = split(unix_ms);
    let fraction = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}").trim_end_matches('0').to_string()
    };
    format!("{date} {time}{fraction} +0000 UTC")
}

/// RFC 3339 with milliseconds, `2016-03-13T12:52:32.123Z`.
pub fn rfc3339(unix_ms: i64) -> String {
    let (date, time, millis) = split(unix_ms);
    format!("{date}T{time}.{millis:03}Z")
}

fn split(unix_ms: i64) -> (String, String, i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let secs = ms_of_day / 1000;
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
        ms_of_day % 1000,
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2022-02-04 06:10:01.441 UTC, the documented example.
    const DOC_EXAMPLE_MS: i64 = 1_643_955_001_441;

    #[test]
    fn go_layout_matches_the_documented_example() {
        assert_eq!(
            go_layout(DOC_EXAMPLE_MS),
            "2022-02-04 06:10:01.441 +0000 UTC"
        );
    }

    #[test]
    fn go_layout_trims_the_fraction_like_go() {
        assert_eq!(
            go_layout(DOC_EXAMPLE_MS - 441 + 400),
            "2022-02-04 06:10:01.4 +0000 UTC"
        );
        assert_eq!(go_layout(0), "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn rfc3339_keeps_three_fraction_digits() {
        assert_eq!(rfc3339(DOC_EXAMPLE_MS), "2022-02-04T06:10:01.441Z");
        assert_eq!(rfc3339(1_457_873_552_123), "2016-03-13T12:52:32.123Z");
    }

    #[test]
    fn leap_days_are_counted() {
        assert_eq!(rfc3339(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
    }
}
