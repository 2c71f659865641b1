//! The time layouts the emulator writes: Go's `time.String()` and RFC 3339 (both in UTC) for
//! ThingSpace's answers, and the three HTTP-date forms for `Retry-After`. Hand-rolled because the
//! emulator needs only these and no time zones.

use std::time::{SystemTime, UNIX_EPOCH};

/// Go's zero `time.Time` as `String()` prints it in UTC: "never set".
pub const GO_ZERO_UTC: &str = "0001-01-01 00:00:00 +0000 UTC";
/// Go's zero `time.Time` in a zone whose year-1 offset is local mean time, as Go prints it for
/// Europe/Amsterdam (+00:19:32; the layout's `-0700` drops the seconds).
pub const GO_ZERO_LMT: &str = "0001-01-01 00:19:32 +0019 LMT";

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

/// The three forms of an HTTP-date (RFC 9110 §5.6.7); senders must use the first, recipients must
/// read all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpDateFormat {
    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
    #[default]
    Imf,
    /// Obsolete RFC 850, `Sunday, 06-Nov-94 08:49:37 GMT`.
    Rfc850,
    /// Obsolete ANSI C `asctime()`, `Sun Nov  6 08:49:37 1994`.
    Asctime,
}

impl HttpDateFormat {
    /// The names fault rules use: `imf`, `rfc850`, `asctime`.
    pub const NAMES: [&'static str; 3] = ["imf", "rfc850", "asctime"];

    /// The format named `imf`, `rfc850` or `asctime`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "imf" => Some(Self::Imf),
            "rfc850" => Some(Self::Rfc850),
            "asctime" => Some(Self::Asctime),
            _ => None,
        }
    }

    /// The form `date` is written in, assuming it is an HTTP-date: a dash means RFC 850, a comma
    /// without one IMF-fixdate, neither `asctime()`.
    pub fn of(date: &str) -> Self {
        if date.contains('-') {
            Self::Rfc850
        } else if date.contains(',') {
            Self::Imf
        } else {
            Self::Asctime
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `unix_secs` (seconds since the Unix epoch, UTC) as an HTTP-date in `format`.
pub fn http_date(unix_secs: i64, format: HttpDateFormat) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    let month = MONTHS[month as usize - 1];
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    match format {
        HttpDateFormat::Imf => format!("{}, {day:02} {month} {year:04} {time} GMT", &weekday[..3]),
        HttpDateFormat::Rfc850 => format!(
            "{weekday}, {day:02}-{month}-{:02} {time} GMT",
            year.rem_euclid(100)
        ),
        HttpDateFormat::Asctime => format!("{} {month} {day:>2} {time} {year}", &weekday[..3]),
    }
}

/// Seconds since the Unix epoch at `time` (negative before 1970), whole seconds toward the past.
pub fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => {
            let before = before.duration();
            -(before.as_secs() as i64) - i64::from(before.subsec_nanos() > 0)
        }
    }
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

    /// RFC 9110 §5.6.7's example, 784111777 s after the epoch, in its three forms.
    #[test]
    fn http_dates_come_in_the_three_forms_of_rfc_9110() {
        assert_eq!(
            http_date(784_111_777, HttpDateFormat::Imf),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            http_date(784_111_777, HttpDateFormat::Rfc850),
            "Sunday, 06-Nov-94 08:49:37 GMT"
        );
        assert_eq!(
            http_date(784_111_777, HttpDateFormat::Asctime),
            "Sun Nov  6 08:49:37 1994"
        );
        assert_eq!(
            http_date(1_796_028_072, HttpDateFormat::Asctime),
            "Mon Nov 30 08:41:12 2026"
        );
    }

    #[test]
    fn http_dates_read_back_as_the_same_instant_in_every_form() {
        // From 1970 to 2068 (RFC 850's two-digit years read as 1970..=2069), a day and a bit apart.
        for secs in (0..3_124_137_600_i64).step_by(86_400 * 37 + 3_601) {
            for format in HttpDateFormat::NAMES.map(|n| HttpDateFormat::from_name(n).unwrap()) {
                let text = http_date(secs, format);
                let read =
                    httpdate::parse_http_date(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(unix_secs(read), secs, "{text}");
                assert_eq!(HttpDateFormat::of(&text), format, "{text}");
            }
        }
    }

    #[test]
    fn unix_secs_round_toward_the_past() {
        use std::time::Duration;
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_millis(90_900)), 90);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(90)), -90);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_millis(1500)), -2);
    }

    #[test]
    fn leap_days_are_counted() {
        assert_eq!(rfc3339(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
    }
}
