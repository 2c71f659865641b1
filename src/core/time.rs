//! Reading and writing the few time formats the app meets, by hand: chrono's strftime machinery
//! would add a fifth to the download for three fixed layouts. The tests check the parser against
//! chrono's own parsers as an oracle. (HTTP-dates are read by the `httpdate` crate.)

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

/// Reads `n` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at + n)?.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// RFC 3339 (`2016-03-13T12:52:32.1+02:00`) and Go's `time.String()` layout
/// (`2022-02-04 06:10:01.441 +0000 UTC [m=+0.1]`, fraction optional).
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let b = text.as_bytes();
    let (year, month, day) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b.get(10)?, b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            nanos *= 10;
        }
    }
    // Go separates the offset with a space and writes it without a colon.
    let go = b.get(i) == Some(&b' ');
    if go {
        i += 1;
    }
    let offset = match *b.get(i)? {
        b'Z' | b'z' if !go => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let h = digits(b, i + 1, 2)?;
            let colon = usize::from(!go);
            if !go && b.get(i + 3) != Some(&b':') {
                return None;
            }
            let m = digits(b, i + 3 + colon, 2)?;
            i += 5 + colon;
            let secs = (h * 3600 + m * 60) as i32;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    // Go may add the zone name and a monotonic reading; RFC 3339 ends here.
    if i != b.len() && !(go && b[i] == b' ') {
        return None;
    }
    let naive = NaiveDate::from_ymd_opt(year as i32, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)?;
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&naive)
        .single()
}

/// Appends `n` as exactly `width` digits.
fn push_digits(s: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        s.push(char::from(b'0' + (n / div % 10) as u8));
        div /= 10;
    }
}

/// `2022-02-04 06:10:01`.
pub fn format_datetime(t: &NaiveDateTime) -> String {
    let mut s = String::with_capacity(23);
    push_digits(&mut s, t.year().clamp(0, 9999) as u32, 4);
    s.push('-');
    push_digits(&mut s, t.month(), 2);
    s.push('-');
    push_digits(&mut s, t.day(), 2);
    s.push(' ');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s
}

/// `2022-02-04 06:10:01.441 UTC`.
pub fn format_utc_millis(t: &DateTime<Utc>) -> String {
    let naive = t.naive_utc();
    let mut s = format_datetime(&naive);
    s.push('.');
    push_digits(&mut s, naive.nanosecond() / 1_000_000 % 1000, 3);
    s.push_str(" UTC");
    s
}

/// `2022-02-04T06:10:01.441Z`: RFC 3339, which spreadsheets and scripts read back.
pub fn format_rfc3339_millis(t: &DateTime<Utc>) -> String {
    let mut s = format_utc_millis(t);
    s.truncate(s.len() - " UTC".len());
    s.replace_range(10..11, "T");
    s.push('Z');
    s
}

/// A duration in ms as seconds with one decimal, `1.5 s` (whole seconds without it: `30 s`),
/// in integer arithmetic so that float formatting stays out of the build.
pub fn format_seconds(ms: f64) -> String {
    let tenths = (ms.max(0.0) as u64 + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{} s", tenths / 10)
    } else {
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rfc3339(text: &str) -> Option<String> {
        parse_timestamp(text).map(|t| t.with_timezone(&Utc).to_rfc3339())
    }

    #[test]
    fn both_layouts_with_and_without_fractions() {
        let cases = [
            (
                "2022-02-04 06:10:01.441 +0000 UTC",
                "2022-02-04T06:10:01.441+00:00",
            ),
            ("2022-02-04 06:10:01 +0000 UTC", "2022-02-04T06:10:01+00:00"),
            (
                "2022-02-04 01:10:01.5 -0500 EST m=+0.000000001",
                "2022-02-04T06:10:01.500+00:00",
            ),
            (
                "2022-02-04 06:10:01.34 +0000",
                "2022-02-04T06:10:01.340+00:00",
            ),
            ("2016-03-13T12:52:32.123Z", "2016-03-13T12:52:32.123+00:00"),
            ("2016-03-13t12:52:32z", "2016-03-13T12:52:32+00:00"),
            (
                "2016-03-13T14:52:32.1+02:00",
                "2016-03-13T12:52:32.100+00:00",
            ),
            (
                "2016-03-13T12:52:32.1234567891Z",
                "2016-03-13T12:52:32.123456789+00:00",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(rfc3339(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn near_misses_are_refused() {
        for text in [
            "",
            "2022-02-04",
            "2022-02-04 06:10:01",
            "2022-02-04T06:10:01",
            "2022-02-04T06:10:01.Z",
            "2022-02-04T06:10:01+0000",
            "2022-02-04 06:10:01 +00:00 UTC",
            "2022-13-04T06:10:01Z",
            "2022-02-30T06:10:01Z",
            "2022-02-04T24:10:01Z",
            "2022-02-04T06:10:01Zjunk",
            "2022/02/04 06:10:01 +0000 UTC",
        ] {
            assert_eq!(rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn formatting() {
        let t = parse_timestamp("2022-02-04 06:10:01.041 +0000 UTC")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_datetime(&t.naive_utc()), "2022-02-04 06:10:01");
        assert_eq!(format_utc_millis(&t), "2022-02-04 06:10:01.041 UTC");
        assert_eq!(format_seconds(30_000.0), "30 s");
        assert_eq!(format_seconds(1_500.0), "1.5 s");
        assert_eq!(format_seconds(1_249.0), "1.2 s");
        assert_eq!(format_seconds(-5.0), "0 s");
    }

    /// The instant `secs`.`nanos` in a zone `offset_min` east of UTC, written as `date_time`
    /// (a chrono format for the date and time) with the first `digits` digits of the fraction.
    fn written(
        secs: i64,
        nanos: u32,
        offset_min: i32,
        date_time: &str,
        digits: usize,
    ) -> (String, DateTime<FixedOffset>) {
        let t = DateTime::from_timestamp(secs, nanos).unwrap();
        let local = t.with_timezone(&FixedOffset::east_opt(offset_min * 60).unwrap());
        let mut text = local.format(date_time).to_string();
        if digits > 0 {
            text.push_str(&format!(".{:09}", nanos)[..digits + 1]);
        }
        (text, local)
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}") {
            let _ = parse_timestamp(&text);
        }

        #[test]
        fn agrees_with_chrono_on_rfc3339(
            secs in -62_135_596_800i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            offset_min in -1439i32..1440,
            digits in 0usize..10,
            zulu in any::<bool>(),
        ) {
            let (mut text, local) = written(secs, nanos, offset_min, "%Y-%m-%dT%H:%M:%S", digits);
            if zulu && offset_min == 0 {
                text.push('Z');
            } else {
                text.push_str(&local.format("%:z").to_string());
            }
            let ours = parse_timestamp(&text);
            let chrono = DateTime::parse_from_rfc3339(&text).ok();
            prop_assert!(ours.is_some(), "{text}");
            prop_assert_eq!(ours, chrono, "{}", text);
        }

        #[test]
        fn agrees_with_chrono_on_go_layouts(
            secs in -62_135_596_800i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            offset_min in -1439i32..1440,
            digits in 0usize..10,
            tail in prop::sample::select(vec!["", " UTC", " LMT", " +0330", " CET m=+0.000000001"]),
        ) {
            let (mut text, local) = written(secs, nanos, offset_min, "%Y-%m-%d %H:%M:%S", digits);
            text.push_str(&local.format(" %z").to_string());
            let chrono = DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f %z").ok();
            text.push_str(tail);
            let ours = parse_timestamp(&text);
            prop_assert!(ours.is_some(), "{text}");
            prop_assert_eq!(ours, chrono, "{}", text);
        }

        #[test]
        fn rfc3339_round_trips(secs in 0i64..4_000_000_000, millis in 0u32..1000) {
            let t = DateTime::from_timestamp(secs, millis * 1_000_000).unwrap();
            let text = t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            prop_assert_eq!(parse_timestamp(&text).map(|p| p.with_timezone(&Utc)), Some(t));
        }
    }
}
