//! The results as CSV (RFC 4180), for spreadsheets and scripts: every device of the run, in
//! input order, whether or not its row is on screen; and the rows on screen as CSV or as
//! tab-separated text for the clipboard.

use super::columns::COLUMNS;
use super::imei::Imei;
use super::outcome::Outcome;
use super::time::format_rfc3339_millis;

/// One line per device, after a header line, in the columns of [`COLUMNS`]; lines end in CRLF.
pub fn csv<'a>(rows: impl IntoIterator<Item = (&'a Imei, &'a Outcome)>) -> String {
    write(rows, Format::Csv)
}

/// The devices at `positions` (indexes into `devices` and `outcomes`, as the table view gives
/// them), in that order; a position past either slice is skipped.
fn rows_at<'a>(
    devices: &'a [Imei],
    outcomes: &'a [Outcome],
    positions: &'a [usize],
) -> impl Iterator<Item = (&'a Imei, &'a Outcome)> {
    positions
        .iter()
        .filter_map(|&p| Some((devices.get(p)?, outcomes.get(p)?)))
}

/// [`csv`] of the rows at `positions` only (the table's rows as shown): it reads back into the
/// IMEI field as exactly those devices.
pub fn csv_of(devices: &[Imei], outcomes: &[Outcome], positions: &[usize]) -> String {
    csv(rows_at(devices, outcomes, positions))
}

/// The rows at `positions` as tab-separated values, for the clipboard: a header line, then a
/// line per row, in the columns and with the values of [`csv`], lines ending in LF. Pasted
/// into Excel, Google Sheets or LibreOffice they fill rows and columns.
///
/// The IANA `text/tab-separated-values` definition has no quoting (a field "may not contain
/// tabs"), so a tab, CR or LF inside a field becomes a space; a field a spreadsheet would run
/// as a formula gets a leading `'`, as in the CSV.
pub fn tsv(devices: &[Imei], outcomes: &[Outcome], positions: &[usize]) -> String {
    write(rows_at(devices, outcomes, positions), Format::Tsv)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Tsv,
}

fn write<'a>(rows: impl IntoIterator<Item = (&'a Imei, &'a Outcome)>, format: Format) -> String {
    let rows = rows.into_iter();
    let mut out = String::with_capacity(64 + rows.size_hint().0 * 80);
    push_record(&mut out, COLUMNS.map(|c| c.csv_header), format);
    for (imei, outcome) in rows {
        let fields = COLUMNS.map(|c| c.field.text(imei, outcome));
        push_record(&mut out, fields.each_ref().map(|f| f.as_ref()), format);
    }
    out
}

fn push_record<const N: usize>(out: &mut String, fields: [&str; N], format: Format) {
    for (i, field) in fields.into_iter().enumerate() {
        match format {
            Format::Csv => {
                if i > 0 {
                    out.push(',');
                }
                push_field(out, field);
            }
            Format::Tsv => {
                if i > 0 {
                    out.push('\t');
                }
                push_tsv_field(out, field);
            }
        }
    }
    out.push_str(if format == Format::Csv { "\r\n" } else { "\n" });
}

/// Whether a spreadsheet would run `field` as a formula (`=`, `+`, `-`, `@`, tab, CR first).
fn is_formula(field: &str) -> bool {
    field.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn push_tsv_field(out: &mut String, field: &str) {
    if is_formula(field) {
        out.push('\'');
    }
    out.extend(field.chars().map(|c| match c {
        '\t' | '\r' | '\n' => ' ',
        c => c,
    }));
}

/// Quoted when it holds a comma, quote or line break. Text from the server that a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
fn push_field(out: &mut String, field: &str) {
    let formula = is_formula(field);
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
    named(account, now_ms, "csv")
}

/// [`file_name`] for the JSON download: `fota-sync-0000123456-00001-20261126T012424Z.json`.
pub fn json_file_name(account: &str, now_ms: f64) -> String {
    named(account, now_ms, "json")
}

fn named(account: &str, now_ms: f64, extension: &str) -> String {
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
        (false, false) => format!("fota-sync-{account}-{stamp}.{extension}"),
        (true, false) => format!("fota-sync-{stamp}.{extension}"),
        (false, true) => format!("fota-sync-{account}.{extension}"),
        (true, true) => format!("fota-sync.{extension}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fota::{DeviceReport, UpdateTime, SUCCESS_STATUS};
    use crate::core::test_support;

    fn imei(s: &str) -> Imei {
        Imei::parse_lenient(s).unwrap()
    }

    fn report(status: &str, reason: &str, firmware: &str, updated: UpdateTime) -> DeviceReport {
        DeviceReport {
            updated,
            ..test_support::report(status, reason, firmware)
        }
    }

    /// Reads the CSV back with the `csv` crate, to check that what is written reads back field
    /// for field.
    fn read(text: &str) -> Vec<Vec<String>> {
        assert!(text.ends_with("\r\n"), "text ends with CRLF");
        records(&mut csv::ReaderBuilder::new(), text)
    }

    fn records(reader: &mut csv::ReaderBuilder, text: &str) -> Vec<Vec<String>> {
        reader
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
            Outcome::Success(Box::new(report(SUCCESS_STATUS, "", "VZ_8.6.2", at))),
            Outcome::Failed(Box::new(report(
                "FirmwareVersionUpdateFailed",
                "Device unreachable",
                "",
                UpdateTime::Unknown,
            ))),
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
        let text = csv(devices.iter().zip(&[Outcome::Failed(Box::new(odd))]));
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
            let outcome = Outcome::Failed(Box::new(report(evil, evil, evil, UpdateTime::Unknown)));
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
        assert_eq!(
            json_file_name("0000123456-00001", at),
            "fota-sync-0000123456-00001-20261126T012424Z.json"
        );
    }

    /// Reads tab-separated text with the `csv` crate, quoting off: the IANA definition's reading.
    fn read_tsv(text: &str) -> Vec<Vec<String>> {
        records(
            csv::ReaderBuilder::new().delimiter(b'\t').quoting(false),
            text,
        )
    }

    #[test]
    fn tsv_is_the_shown_rows_with_the_csvs_columns() {
        let devices = [
            imei("990000862471854"),
            imei("356938035643809"),
            imei("490154203237518"),
        ];
        let outcomes = [
            Outcome::Success(Box::new(report(
                SUCCESS_STATUS,
                "",
                "VZ_8.6.2",
                UpdateTime::parse("2022-02-04T06:10:01.441Z"),
            ))),
            Outcome::Failed(Box::new(report(
                "Failed",
                "tab\there\r\nand \"quotes\"",
                "=1+1",
                UpdateTime::Unknown,
            ))),
            Outcome::NotSent,
        ];
        let text = tsv(&devices, &outcomes, &[1, 0, 7]);
        let rows = read_tsv(&text);
        assert_eq!(rows[0], COLUMNS.map(|c| c.csv_header), "the CSV's header");
        assert_eq!(
            rows[1..],
            [
                [
                    "356938035643809",
                    "Failed",
                    "tab here  and \"quotes\"",
                    "'=1+1",
                    ""
                ],
                [
                    "990000862471854",
                    SUCCESS_STATUS,
                    "",
                    "VZ_8.6.2",
                    "2022-02-04T06:10:01.441Z"
                ],
            ],
            "position 7 is past the end and skipped"
        );
        assert_eq!(text.lines().count(), 3);
    }

    fn arb_outcome() -> impl proptest::strategy::Strategy<Value = Outcome> {
        use proptest::prelude::*;
        let text = "\\PC{0,12}|[\t\r\n,\"=+@-]{0,4}";
        prop_oneof![
            (text, text).prop_map(|(s, r)| Outcome::Failed(Box::new(report(
                &s,
                &r,
                &s,
                UpdateTime::Unknown
            )))),
            text.prop_map(Outcome::Error),
            Just(Outcome::NotSent),
        ]
    }

    proptest::proptest! {
        #[test]
        fn a_subset_csv_imports_as_exactly_its_devices(
            rows in proptest::collection::vec((crate::core::test_support::arb_imei(), arb_outcome()), 1..20),
            picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..20),
        ) {
            let (devices, outcomes): (Vec<Imei>, Vec<Outcome>) = rows.into_iter().unzip();
            let positions: Vec<usize> = picks.iter().map(|p| p.index(devices.len())).collect();
            let imported = crate::core::import::extract(&csv_of(&devices, &outcomes, &positions));
            let expected: Vec<&str> = positions.iter().map(|&p| devices[p].as_str()).collect();
            proptest::prop_assert_eq!(imported.text.lines().collect::<Vec<_>>(), expected);
        }

        #[test]
        fn tsv_keeps_a_field_per_column_whatever_the_server_wrote(
            outcomes in proptest::collection::vec(arb_outcome(), 0..10),
        ) {
            let devices = vec![imei("990000862471854"); outcomes.len()];
            let positions: Vec<usize> = (0..outcomes.len()).collect();
            let records = read_tsv(&tsv(&devices, &outcomes, &positions));
            proptest::prop_assert_eq!(records.len(), outcomes.len() + 1);
            for (record, outcome) in records[1..].iter().zip(&outcomes) {
                proptest::prop_assert_eq!(record.len(), COLUMNS.len());
                let reason = outcome.reason_text().replace(['\t', '\r', '\n'], " ");
                let reason = if is_formula(outcome.reason_text()) { format!("'{reason}") } else { reason };
                proptest::prop_assert_eq!(&record[2], &reason);
            }
        }
    }
}
