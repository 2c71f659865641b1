//! The columns of the results, defined once: the table's header, its row prototype and its
//! drawing, and the CSV download all read [`COLUMNS`]; and the order the text columns sort in.

use std::borrow::Cow;
use std::cmp::Ordering;

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

/// The order of texts in the table: ignoring ASCII case, then exactly (so that `V1` and `v1`
/// do not interleave). Every text column and the Updated column's unread times sort by it.
pub(crate) fn text_order(a: &str, b: &str) -> Ordering {
    folded(a).cmp(folded(b)).then_with(|| a.cmp(b))
}

/// `text`'s bytes, ASCII letters in lower case.
fn folded(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().map(|b| b.to_ascii_lowercase())
}

/// The rank of each of `texts` in the order the table sorts texts: ignoring ASCII case, then
/// exactly. A column may hold 100,000 distinct versions (the emulator's do): the sort is of
/// numbers, the texts compared whole only where their first 16 bytes tie.
pub(crate) fn rank_texts(texts: &[Box<str>]) -> Vec<u32> {
    // Each text's first 16 bytes, folded, as one number: most texts differ there ("SR1.2.0.0-
    // 12345" is 15 bytes), so the sort compares numbers; texts whose first 16 folded bytes are
    // the same are then put in order by their whole text.
    let prefix = |t: &str| {
        let mut bytes = [0u8; 16];
        for (slot, b) in bytes.iter_mut().zip(folded(t)) {
            *slot = b;
        }
        u128::from_be_bytes(bytes)
    };
    let prefixes: Vec<u128> = texts.iter().map(|t| prefix(t)).collect();
    super::ranks(texts.len(), &|a, b| {
        prefixes[a]
            .cmp(&prefixes[b])
            .then_with(|| text_order(&texts[a], &texts[b]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The ranks put texts in the order of a comparison sort (ASCII case ignored, then
        /// exactly), also texts that share their first 16 bytes.
        #[test]
        fn text_ranks_agree_with_a_comparison_sort(
            texts in proptest::collection::hash_set("(SR1.2.0.0-|sr1.2.0.0-1234|)[a-cA-C0-9]{0,4}", 0..60),
        ) {
            let texts: Vec<Box<str>> = texts.into_iter().map(Into::into).collect();
            let rank = rank_texts(&texts);
            let mut by_rank: Vec<&str> = texts.iter().map(|t| &**t).collect();
            by_rank.sort_by_key(|t| rank[texts.iter().position(|x| &**x == *t).unwrap()]);
            let mut expected: Vec<&str> = texts.iter().map(|t| &**t).collect();
            expected.sort_by(|a, b| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()).then(a.cmp(b)));
            prop_assert_eq!(by_rank, expected);
        }
    }
}
