//! The columns of the results, defined once: the table's header, its row prototype and its
//! drawing, and the CSV download all read [`COLUMNS`].

use std::borrow::Cow;

use super::fota::UpdateTime;
use super::imei::Imei;
use super::outcome::Outcome;
use super::time::format_rfc3339_millis;

/// What a column shows of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Imei,
    Status,
    Reason,
    FirmwareVersion,
    /// When the firmware last changed: local time in the table, RFC 3339 UTC in the CSV.
    Updated,
}

/// One column of the results.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub field: Field,
    /// The table cell's class, which the stylesheet and the tests use.
    pub class: &'static str,
    /// The table's header.
    pub header: &'static str,
    /// The CSV's header: where the table's would be ambiguous in a spreadsheet, more exact.
    pub csv_header: &'static str,
}

pub const COLUMNS: [Column; 5] = [
    Column {
        field: Field::Imei,
        class: "imei",
        header: "IMEI",
        csv_header: "IMEI",
    },
    Column {
        field: Field::Status,
        class: "status",
        header: "Status",
        csv_header: "Status",
    },
    Column {
        field: Field::Reason,
        class: "reason",
        header: "Reason",
        csv_header: "Reason",
    },
    Column {
        field: Field::FirmwareVersion,
        class: "firmware",
        header: "Firmware version",
        csv_header: "Firmware version",
    },
    Column {
        field: Field::Updated,
        class: "updated",
        header: "Updated",
        csv_header: "Updated (UTC)",
    },
];

impl Field {
    /// The device's value as the CSV writes it (the table writes the same, but for `Updated`,
    /// which it shows in the user's time zone).
    pub fn text<'a>(self, imei: &'a Imei, outcome: &'a Outcome) -> Cow<'a, str> {
        let report = outcome.report();
        match self {
            Field::Imei => imei.as_str().into(),
            Field::Status => outcome.status_text().into(),
            Field::Reason => outcome.reason_text().into(),
            Field::FirmwareVersion => report.map_or("", |r| r.firmware_version.as_str()).into(),
            Field::Updated => match report.map(|r| &r.updated) {
                Some(UpdateTime::At(t)) => format_rfc3339_millis(t).into(),
                Some(UpdateTime::Unparsed(raw)) => raw.as_str().into(),
                Some(UpdateTime::Unknown) | None => "".into(),
            },
        }
    }
}
