//! The results as CSV (RFC 4180), for spreadsheets and scripts: every device of the run, in
//! input order, whether or not its row is on screen.

use super::columns::COLUMNS;
use super::imei::Imei;
use super::outcome::Outcome;
use super::time::format_rfc3339_millis;

/// One line per device, after a header line, in the columns of [`COLUMNS`]; lines end in CRLF.
pub fn csv<'a>(rows: impl IntoIterator<Item = (&'a Imei, &'a Outcome)>) -> String {
    let mut out = String::new();
    push_record(&mut out, COLUMNS.map(|c| c.csv_header));
    for (imei, outcome) in rows {
        let fields = COLUMNS.map(|c| c.field.text(imei, outcome));
        push_record(&mut out, fields.each_ref().map(|f| f.as_ref()));
    }
    out
}

fn push_record<const N: usize>(out: &mut String, fields: [&str; N]) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field);
    }
    out.push_str("\r\n");
}

/// Quoted when it holds a comma, quote or line break. Text from the server that a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
fn push_field(out: &mut String, field: &str) {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || field.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// `fota-sync-0000123456-00001-20261126T012424Z.csv`: the account (only its safe characters)
/// and when the file was made, in UTC.
pub fn file_name(account: &str, now_ms: f64) -> String {
    let account: String = account
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let stamp = chrono::DateTime::from_timestamp_millis(now_ms as i64)
        .map(|t| {
            format_rfc3339_millis(&t)
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == 'T')
                .take(15)
                .collect::<String>()
                + "Z"
        })
        .unwrap_or_default();
    match (account.is_empty(), stamp.is_empty()) {
        (false, false) => format!("fota-sync-{account}-{stamp}.csv"),
        (true, false) => format!("fota-sync-{stamp}.csv"),
        (false, true) => format!("fota-sync-{account}.csv"),
        (true, true) => "fota-sync.csv".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};

    fn imei(s: &str) -> Imei {
        Imei::parse_lenient(s).unwrap()
    }

    fn report(status: &str, reason: &str, firmware: &str, updated: UpdateTime) -> DeviceReport {
        DeviceReport {
            device_id: String::new(),
            status: status.into(),
            reason: reason.into(),
            firmware_version: firmware.into(),
            updated,
        }
    }

    /// Reads the CSV back with the `csv` crate, to check that what is written reads back field
    /// for field.
    fn read(text: &str) -> Vec<Vec<String>> {
        assert!(text.ends_with("\r\n"), "text ends with CRLF");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn every_outcome_is_a_line_in_input_order() {
        let at = UpdateTime::parse("2022-02-04 06:10:01.441 +0000 UTC");
        let devices = [
            imei("990000862471854"),
            imei("356938035643809"),
            imei("490154203237518"),
            imei("358240051111110"),
        ];
        let outcomes = [
            Outcome::Success(report(SUCCESS_STATUS, "", "VZ_8.6.2", at)),
            Outcome::Failed(report(
                "FirmwareVersionUpdateFailed",
                "Device unreachable",
                "",
                UpdateTime::Unknown,
            )),
            Outcome::NotSent,
            Outcome::Error("Server error (HTTP 503)".into()),
        ];
        let text = csv(devices.iter().zip(&outcomes));
        assert!(text.ends_with("\r\n"));
        assert_eq!(
            read(&text),
            [
                vec![
                    "IMEI",
                    "Status",
                    "Reason",
                    "Firmware version",
                    "Updated (UTC)"
                ],
                vec![
                    "990000862471854",
                    SUCCESS_STATUS,
                    "",
                    "VZ_8.6.2",
                    "2022-02-04T06:10:01.441Z"
                ],
                vec![
                    "356938035643809",
                    "FirmwareVersionUpdateFailed",
                    "Device unreachable",
                    "",
                    ""
                ],
                vec!["490154203237518", "Not sent", "", "", ""],
                vec![
                    "358240051111110",
                    "Error",
                    "Server error (HTTP 503)",
                    "",
                    ""
                ],
            ]
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        let odd = report(
            "Odd, \"quoted\"",
            "line one\nline two",
            "v1,2",
            UpdateTime::Unparsed("soon".into()),
        );
        let devices = [imei("990000862471854")];
        let text = csv(devices.iter().zip(&[Outcome::Failed(odd)]));
        assert_eq!(
            read(&text)[1],
            [
                "990000862471854",
                "Odd, \"quoted\"",
                "line one\nline two",
                "v1,2",
                "soon"
            ]
        );
        assert!(text.contains("\"Odd, \"\"quoted\"\"\""));
    }

    #[test]
    fn server_text_is_never_a_formula() {
        for evil in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"] {
            let devices = [imei("990000862471854")];
            let outcome = Outcome::Failed(report(evil, evil, evil, UpdateTime::Unknown));
            let line = &read(&csv(devices.iter().zip(&[outcome])))[1];
            for field in &line[1..4] {
                assert_eq!(field, &format!("'{evil}"), "{line:?}");
            }
        }
    }

    #[test]
    fn the_file_is_named_after_the_account_and_the_time() {
        // 2026-11-26 01:24:24.5 UTC
        let at = 1_795_656_264_500.0;
        assert_eq!(
            file_name("0000123456-00001", at),
            "fota-sync-0000123456-00001-20261126T012424Z.csv"
        );
        assert_eq!(
            file_name("../a b/c", at),
            "fota-sync-..abc-20261126T012424Z.csv"
        );
        assert_eq!(file_name("", at), "fota-sync-20261126T012424Z.csv");
    }
}
