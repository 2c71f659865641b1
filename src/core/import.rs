//! IMEIs from a file: a plain list, or a table exported by a spreadsheet or by ThingSpace, of
//! which only the IMEI column is taken.
//!
//! A file is decoded by its byte-order mark (UTF-8, UTF-16LE as Excel's "Unicode Text", UTF-16BE),
//! else as UTF-8 when it is valid, else as Windows-1252 (older Excel); the decoding itself is
//! the browser's `TextDecoder` (WHATWG Encoding). Tables are read as CSV records (RFC 4180: a
//! quoted field may hold the separator, doubled quotes and line breaks), with Excel's `sep=;`
//! first line or Windows PowerShell's `#TYPE` first line. Every entry keeps the file's own
//! line, so that a problem names where to find it.

use super::as_seen::as_seen;
use super::imei::looks_like_imei;

/// Header names, compared without case, spaces, `_` or `-`, that mark the IMEI column, the
/// most telling first: a table with both `id` and `IMEI` columns gives its `IMEI` column.
const IMEI_HEADERS: [&str; 5] = ["imei", "imeinumber", "deviceimei", "deviceid", "id"];

/// The separators a table may use, in the order preferred when a header line has several.
const DELIMITERS: [char; 3] = [',', ';', '\t'];

/// The encoding of a file's bytes, as a WHATWG Encoding label for `TextDecoder`, and how many
/// leading bytes are its byte-order mark.
pub fn detect_encoding(bytes: &[u8]) -> (&'static str, usize) {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => ("utf-8", 3),
        [0xFF, 0xFE, ..] => ("utf-16le", 2),
        [0xFE, 0xFF, ..] => ("utf-16be", 2),
        // UTF-16 without a mark: ASCII text has a zero in every other byte.
        [a, 0, ..] if *a != 0 => ("utf-16le", 0),
        [0, b, ..] if *b != 0 => ("utf-16be", 0),
        _ if std::str::from_utf8(bytes).is_ok() => ("utf-8", 0),
        _ => ("windows-1252", 0),
    }
}

/// Why a file's bytes are not text at all: a spreadsheet saved in its own format. The message
/// says what to do instead; `None` for anything that may be text.
pub fn not_text(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x50, 0x4B, 0x03, 0x04, ..] => Some(
            "it is an Excel workbook (.xlsx) or another zipped file, not text. Save it as CSV (in Excel: File, Save As, CSV UTF-8) and add that file",
        ),
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => Some(
            "it is an old Excel workbook (.xls), not text. Save it as CSV (in Excel: File, Save As, CSV UTF-8) and add that file",
        ),
        _ => None,
    }
}

/// What a file gives the IMEI field.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    /// One entry per line for a table; a plain list as it is.
    pub text: String,
    /// The header of the column taken, when the file was a table with one.
    pub column: Option<String>,
    /// The file's own line (1-based) of each line of `text`.
    pub file_lines: Vec<u32>,
}

impl Imported {
    /// The non-blank lines the field receives.
    pub fn lines(&self) -> usize {
        self.text.lines().filter(|l| !l.trim().is_empty()).count()
    }

    /// What the import note says once the lines are in the field.
    pub fn summary(&self, file: &str) -> String {
        let lines = match self.lines() {
            0 => return format!("{file} has no IMEIs. Nothing was added."),
            1 => "1 line".to_owned(),
            n => format!("{n} lines"),
        };
        match &self.column {
            Some(column) => format!("Added {lines} from the “{column}” column of {file}."),
            None => format!("Added {lines} from {file}."),
        }
    }
}

/// One field of a record and the file line it starts on.
struct Field {
    text: String,
    line: u32,
}

/// Reads RFC 4180 records from `text`, whose first line is line `first_line`. Lenient as
/// spreadsheets need: quotes inside an unquoted field are kept, text after a closing quote is
/// appended, a quote left open runs to the end, and CR, LF and CRLF all end a record.
fn records(text: &str, delimiter: Option<char>, first_line: u32) -> Vec<Vec<Field>> {
    let mut out = Vec::new();
    let mut record: Vec<Field> = Vec::new();
    let mut field = String::new();
    let mut line = first_line;
    let mut field_line = line;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            '\r' | '\n' if quoted => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
                field.push('\n');
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(Field {
                    text: std::mem::take(&mut field),
                    line: field_line,
                });
                out.push(std::mem::take(&mut record));
                line += 1;
                field_line = line;
            }
            c if Some(c) == delimiter && !quoted => {
                record.push(Field {
                    text: std::mem::take(&mut field),
                    line: field_line,
                });
                field_line = line;
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(Field {
            text: field,
            line: field_line,
        });
        out.push(record);
    }
    out
}

/// Takes the IMEI column of a table; any other text is kept as a list, and the IMEI field's
/// parser reports what is not an IMEI. `text` is the decoded file.
pub fn extract(text: &str) -> Imported {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // One line end, LF, as a textarea holds it: CR LF, and a lone CR (old Mac exports), too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let (body, first_line, sep) = match excel_separator(&text) {
        Some((sep, rest)) => (rest, 2, Some(sep)),
        None => match powershell_type_line(&text) {
            Some(rest) => (rest, 2, None),
            None => (text.as_str(), 1, None),
        },
    };
    // The separators the header line uses, most used first, then none (a one-column file):
    // the first that gives an IMEI column is the file's.
    let header = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let candidates = match sep {
        Some(sep) => vec![Some(sep)],
        None => delimiters_by_use(header)
            .into_iter()
            .map(Some)
            .chain([None])
            .collect(),
    };
    for delimiter in candidates {
        let rows = records(body, delimiter, first_line);
        let rows: Vec<&Vec<Field>> = rows
            .iter()
            .filter(|r| r.iter().any(|f| !f.text.trim().is_empty()))
            .collect();
        if let Some((column, name, skip)) = imei_column(&rows) {
            return table(&rows[skip..], column, name, body.len());
        }
    }
    plain(body, first_line)
}

/// The IMEI column of a table: `(column, its header, rows to skip)`. A column whose header
/// names it wins, unless none of its cells looks like an IMEI while another column's do (`ID`
/// beside `Serial`).
fn imei_column(rows: &[&Vec<Field>]) -> Option<(usize, Option<String>, usize)> {
    let first = rows.first()?;
    let by_header = first
        .iter()
        .map(|f| header_rank(&f.text))
        .enumerate()
        .min_by_key(|&(_, rank)| rank)
        .filter(|&(_, rank)| rank < NOT_A_HEADER)
        .map(|(column, _)| (column, Some(first[column].text.trim().to_owned()), 1));
    let by_content = column_by_content(rows);
    match (by_header, by_content) {
        (Some(header), Some(content)) => {
            let named_holds_imeis = rows[1..].iter().any(|r| {
                r.get(header.0)
                    .is_some_and(|f| looks_like_imei(f.text.trim()))
            });
            Some(if named_holds_imeis { header } else { content })
        }
        (header, content) => header.or(content),
    }
}

/// One entry per data row: the row's cell in `column` or, for a row too short to have one, the
/// row's cells (an IMEI typed in the wrong column is still an entry, and every other cell is
/// reported), each with the file line it starts on.
fn table(rows: &[&Vec<Field>], column: usize, name: Option<String>, size: usize) -> Imported {
    let mut out = Imported {
        text: String::with_capacity(size / 2),
        column: name,
        file_lines: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let (value, line) = match row.get(column) {
            Some(field) => (field.text.trim().to_owned(), field.line),
            None => {
                let cells: Vec<&str> = row.iter().map(|f| f.text.trim()).collect();
                (cells.join(" ").trim().to_owned(), row[0].line)
            }
        };
        if !value.is_empty() {
            // A line break inside a quoted cell must not start a second entry.
            out.text
                .extend(value.chars().map(|c| if c == '\n' { ' ' } else { c }));
            out.text.push('\n');
            out.file_lines.push(line);
        }
    }
    out
}

/// Excel's `sep=;` first line: the separator, and the text after that line.
fn excel_separator(text: &str) -> Option<(char, &str)> {
    let end = text.find('\n').unwrap_or(text.len());
    let first = text[..end].trim_end_matches('\r');
    let sep = first
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("sep="))
        .map(|_| &first[4..])?;
    let mut chars = sep.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some((c, text.get(end + 1..).unwrap_or_default())),
        _ => None,
    }
}

/// The text after Windows PowerShell's `#TYPE System.Management.Automation.PSCustomObject`
/// first line (`Export-Csv` and `ConvertTo-Csv` before PowerShell 6 write it unless told
/// `-NoTypeInformation`). It is not data: taken as the header, it hid the real header on the
/// next line, so the file was read as a list and every name and quote became a problem.
fn powershell_type_line(text: &str) -> Option<&str> {
    let end = text.find('\n').unwrap_or(text.len());
    text[..end]
        .starts_with("#TYPE ")
        .then(|| text.get(end + 1..).unwrap_or_default())
}

/// The separators a header line uses, outside quotes, most used first (ties in
/// [`DELIMITERS`]'s order).
fn delimiters_by_use(header: &str) -> Vec<char> {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = DELIMITERS.iter().position(|d| *d == c) {
                counts[i] += 1;
            }
        }
    }
    let mut used: Vec<(usize, char)> = counts
        .into_iter()
        .zip(DELIMITERS)
        .filter(|&(count, _)| count > 0)
        .collect();
    super::sort_list(&mut used, |a, b| b.0.cmp(&a.0));
    used.into_iter().map(|(_, d)| d).collect()
}

/// A table without a recognised header: its one column whose cells look like IMEIs. With
/// several such columns the file is a list after all. The first row is taken as a header when
/// its cell in that column does not look like an IMEI.
fn column_by_content(rows: &[&Vec<Field>]) -> Option<(usize, Option<String>, usize)> {
    let width = rows.iter().map(|r| r.len()).max()?;
    if width < 2 {
        return None;
    }
    let mut imei_like = (0..width).filter(|&c| {
        rows.iter()
            .any(|r| r.get(c).is_some_and(|f| looks_like_imei(f.text.trim())))
    });
    let column = imei_like.next()?;
    if imei_like.next().is_some() {
        return None;
    }
    let first = rows[0].get(column).map_or("", |f| f.text.trim());
    if looks_like_imei(first) || first.is_empty() {
        Some((column, None, 0))
    } else {
        Some((column, Some(first.to_owned()), 1))
    }
}

/// A list as it is (its line ends already LF, as the field's value will have them).
fn plain(text: &str, first_line: u32) -> Imported {
    // A final line end starts no line of the file: what is typed after it is not the file's.
    let lines = text.lines().count() as u32;
    Imported {
        text: text.to_owned(),
        column: None,
        file_lines: (first_line..first_line + lines).collect(),
    }
}

/// The rank of a header that names no IMEI column.
const NOT_A_HEADER: usize = usize::MAX;

/// How telling `name` is as the IMEI column's header, 0 the most (read as a person sees it:
/// `ＩＭＥＩ` typed in full width is `IMEI`): `IMEI`, then a numbered
/// `IMEI 1` (a dual-SIM device's first IMEI before its second), then the rest of
/// [`IMEI_HEADERS`] in order; [`NOT_A_HEADER`] for any other name.
fn header_rank(name: &str) -> usize {
    let key: String = as_seen(name)
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if let Some(number) = key.strip_prefix("imei").filter(|n| !n.is_empty()) {
        if number.bytes().all(|b| b.is_ascii_digit()) {
            return 1;
        }
    }
    match IMEI_HEADERS.iter().position(|h| *h == key) {
        Some(0) => 0,
        Some(i) => i + 1,
        None => NOT_A_HEADER,
    }
}

/// Where the lines of the IMEI field came from: typed, or a file's own line.
///
/// Valid while the field still begins with what it held after the last import: an edit inside
/// the imported lines (or above them) makes the field's own line numbers the truth again.
#[derive(Clone, Debug, Default)]
pub struct FieldOrigins {
    /// The field's whole value right after the last import.
    snapshot: String,
    blocks: Vec<ImportedBlock>,
}

#[derive(Clone, Debug)]
struct ImportedBlock {
    file: String,
    /// The field line (1-based) of the block's first line.
    first_line: usize,
    file_lines: Vec<u32>,
}

impl FieldOrigins {
    /// Appends `imported`, read from `file`, after the field's value `field`; returns the
    /// field's new value and remembers where its lines came from.
    pub fn append(&mut self, field: &str, file: &str, imported: &Imported) -> String {
        if !self.holds(field) {
            self.blocks.clear();
        }
        let mut value = String::with_capacity(field.len() + imported.text.len() + 1);
        value.push_str(field);
        if !value.is_empty() && !value.ends_with('\n') {
            value.push('\n');
        }
        let first_line = value.bytes().filter(|&b| b == b'\n').count() + 1;
        value.push_str(&imported.text);
        // The snapshot ends at a line's end, so that `follow` can find it again.
        if !value.is_empty() && !value.ends_with('\n') {
            value.push('\n');
        }
        self.blocks.push(ImportedBlock {
            file: file.to_owned(),
            first_line,
            file_lines: imported.file_lines.clone(),
        });
        self.snapshot.clone_from(&value);
        value
    }

    /// The field changed from `old` to `new` without any line moving (suggestions accepted):
    /// the imported lines keep their places.
    pub fn follow(&mut self, old: &str, new: &str) {
        if !self.holds(old) {
            return;
        }
        let lines = self.snapshot.matches('\n').count();
        match new.match_indices('\n').nth(lines.wrapping_sub(1)) {
            Some((end, _)) if lines > 0 => self.snapshot = new[..=end].to_owned(),
            _ => self.blocks.clear(),
        }
    }

    /// True while the imported lines are where they were put in `field`.
    pub fn holds(&self, field: &str) -> bool {
        !self.blocks.is_empty() && field.starts_with(&self.snapshot)
    }

    /// The place to name for field line `line`: `devices.csv line 7` for an imported line,
    /// `line 12` for a typed one. Call only when [`FieldOrigins::holds`] the field.
    pub fn place(&self, line: usize) -> String {
        self.blocks
            .iter()
            .rev()
            .find_map(|b| {
                let at = line.checked_sub(b.first_line)?;
                b.file_lines
                    .get(at)
                    .map(|file_line| format!("{} line {file_line}", b.file))
            })
            .unwrap_or_else(|| format!("line {line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::imei::{parse_list, ImeiError, ProblemKind};
    use proptest::prelude::*;

    fn fields(rows: &[Vec<Field>]) -> Vec<Vec<(&str, u32)>> {
        rows.iter()
            .map(|r| r.iter().map(|f| (f.text.as_str(), f.line)).collect())
            .collect()
    }

    #[test]
    fn a_plain_list_is_kept_as_it_is() {
        let text = "990000862471854\n356938035643809, 490154203237518\nnot-an-imei\n";
        let imported = extract(text);
        assert_eq!(imported.text, text);
        assert_eq!(imported.column, None);
        assert_eq!(imported.file_lines, [1, 2, 3]);
        assert_eq!(extract("1\n2").file_lines, [1, 2]);
    }

    /// What goes into the field has only LF line ends, as a textarea's value has: suggestions
    /// and file lines point into that value (a Notepad file's CR LF once broke both).
    #[test]
    fn every_line_end_becomes_lf_as_in_a_textarea() {
        for text in [
            "\u{feff}356938100000018\r\n35693810000003\r\n\r\n3569381000000430\r\n",
            "356938100000018\r35693810000003\r\r3569381000000430\r",
            "sep=,\r\nIMEI\r\n356938100000018\r\n35693810000003\r\n",
        ] {
            let imported = extract(text);
            assert!(!imported.text.contains('\r'), "{text:?}");
        }
        let mut origins = FieldOrigins::default();
        let imported = extract("356938100000018\r\n35693810000003\r\n\r\n3569381000000430\r\n");
        let field = origins.append("", "notepad.txt", &imported);
        let list = parse_list(&field, false);
        assert_eq!(origins.place(list.problems[1].line), "notepad.txt line 4");
        let accepted = crate::core::imei::accept_suggestions(&field, &list);
        assert_eq!(
            accepted,
            "356938100000018\n356938100000034\n\n356938100000042\n"
        );
        origins.follow(&field, &accepted);
        let typed_after = format!("{accepted}abc\n");
        assert!(origins.holds(&typed_after));
        assert_eq!(
            origins.place(5),
            "line 5",
            "a line typed after the file is the field's"
        );
    }

    #[test]
    fn the_imei_column_of_a_table_is_taken_with_its_file_lines() {
        let text = "Name,IMEI,Notes\r\nTruck 1,990000862471854,\"front, left\"\r\n\r\nTruck 2,356938035643809,\r\n";
        let imported = extract(text);
        assert_eq!(imported.text, "990000862471854\n356938035643809\n");
        assert_eq!(imported.column.as_deref(), Some("IMEI"));
        assert_eq!(imported.file_lines, [2, 4]);
    }

    #[test]
    fn quoted_fields_hold_separators_quotes_and_line_breaks() {
        let text = "IMEI,Notes\n356938100000125,\"call before\nvisit\"\n\"35693810\"\"0\",\"said \"\"hi\"\", left\"\r\n490154203237518,x";
        let imported = extract(text);
        assert_eq!(
            imported.text,
            "356938100000125\n35693810\"0\n490154203237518\n"
        );
        assert_eq!(imported.file_lines, [2, 4, 5]);
        let rows = records("a,\"b\r\nc\",d\re", Some(','), 1);
        assert_eq!(
            fields(&rows),
            [vec![("a", 1), ("b\nc", 1), ("d", 2)], vec![("e", 3)]]
        );
    }

    #[test]
    fn the_apps_own_export_reads_back() {
        let text = "\u{feff}IMEI,Status,Reason,Firmware version,Updated (UTC)\r\n\
                    990000862471854,Error,\"Server error, HTTP 503\",,\r\n";
        assert_eq!(extract(text).text, "990000862471854\n");
    }

    #[test]
    fn separators_from_sep_lines_and_header_counts() {
        let sep = "sep=;\r\nIMEI;Battery\r\n3,56938E+14;3,7\r\n356938100000018;4,1\r\n";
        let imported = extract(sep);
        assert_eq!(imported.text, "3,56938E+14\n356938100000018\n");
        assert_eq!(imported.file_lines, [3, 4]);
        let semicolons = "\"Device ID\";Label\n\"990000862471854\";a\n356938035643809;b\n";
        assert_eq!(extract(semicolons).column.as_deref(), Some("Device ID"));
        assert_eq!(
            extract(semicolons).text,
            "990000862471854\n356938035643809\n"
        );
        let tabs = "label\tdevice_id\tplace, town\nx\t990000862471854\ty\n";
        assert_eq!(extract(tabs).text, "990000862471854\n");
    }

    #[test]
    fn a_one_column_file_with_an_imei_header_is_a_table() {
        let imported = extract("IMEI\n990000862471854\n");
        assert_eq!(imported.column.as_deref(), Some("IMEI"));
        assert_eq!(imported.text, "990000862471854\n");
        assert_eq!(imported.file_lines, [2]);
    }

    #[test]
    fn a_headerless_table_gives_its_one_column_of_imeis() {
        let text = "5551234567,356938100000018,89148000001234567890\n5551234568,356938100000026,89148000001234567891\n";
        let imported = extract(text);
        assert_eq!(imported.text, "356938100000018\n356938100000026\n");
        assert_eq!(imported.column, None);
        let labelled = "Phone,Serial\n5551234567,356938100000018\n";
        assert_eq!(extract(labelled).column.as_deref(), Some("Serial"));
        assert_eq!(extract(labelled).text, "356938100000018\n");
        let two_columns = "356938100000018,356938100000026\n";
        assert_eq!(extract(two_columns).text, two_columns);
    }

    #[test]
    fn lines_and_summary_count_what_the_field_receives() {
        assert_eq!(extract("Name,IMEI\nx,990000862471854\ny,\n").lines(), 1);
        assert_eq!(extract("990000862471854\n\n  \n12345\n").lines(), 2);
        assert_eq!(extract("").lines(), 0);
        assert_eq!(
            extract("Name,IMEI\nx,1\ny,2\n").summary("d.csv"),
            "Added 2 lines from the “IMEI” column of d.csv."
        );
        assert_eq!(
            extract("").summary("e.csv"),
            "e.csv has no IMEIs. Nothing was added."
        );
    }

    #[test]
    fn what_a_review_found_reads_right() {
        // A generic `ID` header does not beat a column of IMEIs.
        let ids = extract("ID,Serial\n1,356938100000018\n2,356938100000026\n");
        assert_eq!(ids.column.as_deref(), Some("Serial"));
        assert_eq!(ids.text, "356938100000018\n356938100000026\n");
        // Mac Excel's CR line ends: the sep= line, the header and the separator are found.
        let mac = extract("sep=;\rIMEI;Battery\r356938100000018;4,1\r");
        assert_eq!(mac.column.as_deref(), Some("IMEI"));
        assert_eq!(
            (mac.text.as_str(), mac.file_lines.as_slice()),
            ("356938100000018\n", &[3][..])
        );
        let cr = extract("IMEI\r356938100000018\r3,56938E+14\r");
        assert_eq!(cr.text, "356938100000018\n3,56938E+14\n");
        // A row too short for the IMEI column is still read, so nothing vanishes.
        let short = extract("Name,IMEI\nalpha,356938100000018\n356938100000026\n");
        assert_eq!(short.text, "356938100000018\n356938100000026\n");
        assert_eq!(short.file_lines, [2, 3]);
        // A tie in the header's separators goes to the one that gives an IMEI column.
        let tie = extract("IMEI;Notes, comments\n356938100000018;call, later\n");
        assert_eq!(tie.text, "356938100000018\n");
        // Dual-SIM inventories: the first IMEI column, and nothing else.
        let dual = extract("IMEI1,IMEI2,Serial\n356938100000018,356938100000026,R58M12\n");
        assert_eq!(dual.column.as_deref(), Some("IMEI1"));
        assert_eq!(dual.text, "356938100000018\n");
        let spaced = extract("Serial,IMEI 2,IMEI\nR58M12,356938100000026,356938100000018\n");
        assert_eq!(spaced.column.as_deref(), Some("IMEI"));
    }

    #[test]
    fn the_most_telling_header_wins() {
        assert_eq!(
            extract("id,imei\n7,990000862471854\n").text,
            "990000862471854\n"
        );
    }

    #[test]
    fn a_table_without_an_imei_column_is_kept_whole() {
        let text = "a,b\n1,2\n";
        assert_eq!(extract(text).text, text);
        assert_eq!(extract(text).column, None);
    }

    #[test]
    fn short_lines_and_odd_quotes_are_entries_not_lost() {
        // A quote left open runs to the end of the file: one short row, read whole.
        let text = "x,imei\nonly-one-field\n\"unterminated,990000862471854\n,356938035643809\n";
        assert_eq!(
            extract(text).text,
            "only-one-field\nunterminated,990000862471854 ,356938035643809\n"
        );
        let text = "x,imei\nonly-one-field\n,356938035643809\n";
        assert_eq!(extract(text).text, "only-one-field\n356938035643809\n");
    }

    #[test]
    fn workbooks_are_refused_with_what_to_do() {
        assert!(not_text(b"PK\x03\x04\x14\x00")
            .unwrap()
            .contains("CSV UTF-8"));
        assert!(not_text(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00")
            .unwrap()
            .contains(".xls"));
        assert_eq!(not_text(b"IMEI\r\n356938100000018"), None);
        assert_eq!(not_text(b""), None);
    }

    #[test]
    fn encodings_are_told_by_their_marks_and_their_bytes() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFIMEI"), ("utf-8", 3));
        assert_eq!(detect_encoding(b"\xFF\xFEI\0"), ("utf-16le", 2));
        assert_eq!(detect_encoding(b"\xFE\xFF\0I"), ("utf-16be", 2));
        assert_eq!(detect_encoding(b"I\0M\0"), ("utf-16le", 0));
        assert_eq!(detect_encoding("Zürich".as_bytes()), ("utf-8", 0));
        assert_eq!(detect_encoding(b"Z\xFCrich"), ("windows-1252", 0));
        assert_eq!(detect_encoding(b""), ("utf-8", 0));
    }

    #[test]
    fn problems_name_the_file_and_its_line_while_the_field_holds_them() {
        let mut origins = FieldOrigins::default();
        let imported = extract("sep=;\nIMEI;x\n356938100000018;a\n12345;b\n");
        let field = origins.append("356938100000026", "devices.csv", &imported);
        assert_eq!(field, "356938100000026\n356938100000018\n12345\n");
        let list = parse_list(&field, false);
        assert!(origins.holds(&field));
        assert_eq!(origins.place(list.problems[0].line), "devices.csv line 4");
        assert_eq!(origins.place(1), "line 1");
        let second = origins.append(&field, "more.txt", &extract("\n\n1"));
        assert!(second.ends_with("\n\n1\n"));
        assert_eq!(origins.place(4), "more.txt line 1");
        assert_eq!(origins.place(6), "more.txt line 3");
        assert_eq!(origins.place(3), "devices.csv line 4");
        let typed_after = format!("{second}356938035643809\n");
        assert!(origins.holds(&typed_after));
        let accepted = second.replacen("12345", "356938100000059", 1);
        origins.follow(&second, &accepted);
        assert!(origins.holds(&accepted));
        assert_eq!(origins.place(6), "more.txt line 3");
        let edited = accepted.replacen("356938100000018", "356938100000019", 1);
        assert!(!origins.holds(&edited));
        origins.append(&edited, "x.csv", &extract("IMEI\n1\n"));
        assert_eq!(origins.place(7), "x.csv line 2");
        assert_eq!(origins.place(3), "line 3");
    }

    #[test]
    fn an_export_imports_back_with_every_device() {
        use crate::core::outcome::Outcome;
        let devices = parse_list(
            "356938100000018 356938100000026 356938100000000 356938100000059",
            false,
        )
        .devices;
        let outcomes = [
            Outcome::NotSent,
            Outcome::Error("HTTP 502 Bad Gateway, \"quoted\"\r\nline".into()),
            Outcome::NoResult,
            Outcome::Waiting,
        ];
        let csv = crate::core::export::csv(devices.iter().zip(&outcomes));
        assert_eq!(parse_list(&extract(&csv).text, false).devices, devices);
    }

    /// Decodes a fixture as the browser's `TextDecoder` would: `encoding_rs` implements the
    /// same WHATWG Encoding Standard.
    fn decode(bytes: &[u8]) -> String {
        let (label, bom) = detect_encoding(bytes);
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        assert!(!had_errors, "{label}");
        text.into_owned()
    }

    fn kind_name(kind: &ProblemKind) -> &'static str {
        match kind {
            ProblemKind::Duplicate { .. } => "duplicate",
            ProblemKind::Invalid(e) => match e {
                ImeiError::NonDigits | ImeiError::NotADigit(_) => "non-digits",
                ImeiError::Length(_) => "length",
                ImeiError::CheckDigit { .. } => "check-digit",
                ImeiError::ScientificNotation => "scientific-notation",
                ImeiError::Imeisv { .. } => "imeisv",
                ImeiError::MissingCheckDigit { .. } => "missing-check-digit",
            },
        }
    }

    /// Every file in `tests/fixtures/real-world/`, exported as spreadsheets really export
    /// them, gives the devices and the problems (kind, text, the file's own line and the
    /// suggestion) that `expected.json` beside it lists.
    #[test]
    fn real_world_files_give_their_expected_devices_and_problems() {
        assert!(check_fixture_folder("real-world", None) >= 10);
    }

    /// Checks the files of `tests/fixtures/{folder}/` against its `expected.json` (only the
    /// file named `only`, when given); returns how many files were checked.
    fn check_fixture_folder(folder: &str, only: Option<&str>) -> usize {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(folder);
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let files: Vec<&serde_json::Value> = expected["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|case| only.is_none_or(|name| case["file"] == name))
            .collect();
        assert!(!files.is_empty(), "{folder}: no file {only:?}");
        for case in &files {
            let name = case["file"].as_str().unwrap();
            let text = decode(&std::fs::read(dir.join(name)).unwrap());
            let imported = extract(&text);
            assert_eq!(
                imported.column.as_deref(),
                case["column"].as_str(),
                "{name}: column"
            );
            let mut origins = FieldOrigins::default();
            let field = origins.append("", name, &imported);
            let list = parse_list(&field, false);
            let devices: Vec<&str> = list.devices.iter().map(|d| d.as_str()).collect();
            let want: Vec<&str> = case["devices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            assert_eq!(devices, want, "{name}: devices");
            let got: Vec<serde_json::Value> = list
                .problems
                .iter()
                .map(|p| {
                    let mut v = serde_json::json!({
                        "line": origins.place(p.line).rsplit(' ').next().unwrap().parse::<u32>().unwrap(),
                        "kind": kind_name(&p.kind),
                        "text": p.text,
                    });
                    if let Some(s) = p.suggestion() {
                        v["suggestion"] = s.to_string().into();
                    }
                    assert!(origins.place(p.line).starts_with(name), "{name}");
                    v
                })
                .collect();
            assert_eq!(
                &got,
                case["problems"].as_array().unwrap(),
                "{name}: problems"
            );
        }
        files.len()
    }

    /// Files from `tests/fixtures/real-world-hunt/` (issue 20, surface files), one test a
    /// kind, each checked against `expected.json` by the same helper.
    #[test]
    fn a_separator_ending_every_line_is_an_empty_column_not_a_problem() {
        check_fixture_folder("real-world-hunt", Some("excel-mac-trailing-comma.csv"));
    }

    #[test]
    fn a_byte_order_mark_before_a_quoted_header_still_names_the_column() {
        check_fixture_folder("real-world-hunt", Some("bom-quoted-header.csv"));
    }

    #[test]
    fn a_file_of_only_a_header_adds_nothing_and_says_so() {
        check_fixture_folder("real-world-hunt", Some("header-only.csv"));
        let text = decode(include_bytes!(
            "../../tests/fixtures/real-world-hunt/header-only.csv"
        ));
        assert_eq!(
            extract(&text).summary("header-only.csv"),
            "header-only.csv has no IMEIs. Nothing was added."
        );
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_read_by_its_zero_bytes() {
        check_fixture_folder("real-world-hunt", Some("utf16le-no-bom.txt"));
    }

    #[test]
    fn powershells_type_line_is_not_the_header() {
        check_fixture_folder("real-world-hunt", Some("powershell-type-line.csv"));
        // Before the header is known, and in a plain list, the line is still not an entry.
        let list = extract("#TYPE System.Object\n356938100000018\n");
        assert_eq!(
            (list.text.as_str(), list.file_lines.as_slice()),
            ("356938100000018\n", &[2][..])
        );
    }

    #[test]
    fn every_hunted_file_is_checked() {
        assert_eq!(check_fixture_folder("real-world-hunt", None), 5);
    }

    /// RFC 4180 text built from arbitrary fields: quoted when needed, and sometimes when not.
    fn csv_text() -> impl Strategy<Value = (String, char)> {
        let field = "[a-c ,;\t\"\r\né]{0,6}";
        let row = proptest::collection::vec((field, any::<bool>()), 1..5);
        (
            proptest::collection::vec(row, 1..8),
            prop::sample::select(vec![',', ';', '\t']),
            prop::sample::select(vec!["\r\n", "\n"]),
            any::<bool>(),
        )
            .prop_map(|(rows, delimiter, terminator, last)| {
                let mut out = String::new();
                for (i, row) in rows.iter().enumerate() {
                    let row: Vec<(String, bool)> = match row.as_slice() {
                        [(only, _)] if only.is_empty() => vec![("x".into(), false)],
                        _ => row.clone(),
                    };
                    for (j, (field, force)) in row.iter().enumerate() {
                        if j > 0 {
                            out.push(delimiter);
                        }
                        let needs =
                            field.contains([delimiter, '"', '\r', '\n']) || field.starts_with(' ');
                        if needs || *force {
                            out.push('"');
                            out.push_str(&field.replace('"', "\"\""));
                            out.push('"');
                        } else {
                            out.push_str(field);
                        }
                    }
                    if i + 1 < rows.len() || last {
                        out.push_str(terminator);
                    }
                }
                (out, delimiter)
            })
    }

    proptest! {
        /// The record reader agrees with the `csv` crate on fields, and on record lines where
        /// no CR is involved (the crate counts a record after a CRLF on the line before).
        #[test]
        fn records_agree_with_the_csv_crate((text, delimiter) in csv_text()) {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter as u8)
                .from_reader(text.as_bytes());
            let mut theirs: Vec<(u64, Vec<String>)> = Vec::new();
            for record in reader.records() {
                let record = record.unwrap();
                let line = record.position().unwrap().line();
                let fields = record
                    .iter()
                    .map(|f| f.replace("\r\n", "\n").replace('\r', "\n"))
                    .collect();
                theirs.push((line, fields));
            }
            let lines_comparable = !text.contains('\r');
            if !lines_comparable {
                for (line, _) in &mut theirs {
                    *line = 0;
                }
            }
            let ours: Vec<(u64, Vec<String>)> = records(&text, Some(delimiter), 1)
                .into_iter()
                .map(|r| {
                    let line = if lines_comparable { u64::from(r[0].line) } else { 0 };
                    (line, r.into_iter().map(|f| f.text).collect())
                })
                .collect();
            prop_assert_eq!(ours, theirs, "{:?}", text);
        }

        /// Whatever the server said, the app's own CSV download imports back to every device,
        /// in order.
        #[test]
        fn an_export_always_imports_back(
            bodies in proptest::collection::vec("[0-9]{14}", 1..30),
            reasons in proptest::collection::vec("[a-z =+@\"',;\t\r\n-]{0,12}", 1..30),
        ) {
            use crate::core::fota::{DeviceReport, UpdateTime};
            use crate::core::outcome::Outcome;
            let text: Vec<String> = bodies
                .iter()
                .map(|b| format!("{b}{}", crate::core::imei::luhn_check_digit(b.as_bytes())))
                .collect();
            let devices = parse_list(&text.join("\n"), false).devices;
            let outcomes: Vec<Outcome> = devices
                .iter()
                .zip(reasons.iter().cycle())
                .enumerate()
                .map(|(i, (d, reason))| match i % 3 {
                    0 => Outcome::Error(reason.clone()),
                    1 => Outcome::Failed(Box::new(DeviceReport {
                        device_id: d.to_string(),
                        status: reason.clone(),
                        reason: reason.clone(),
                        firmware_version: reason.clone(),
                        updated: UpdateTime::Unparsed(reason.clone()),
                    })),
                    _ => Outcome::NotSent,
                })
                .collect();
            let csv = crate::core::export::csv(devices.iter().zip(&outcomes));
            let imported = extract(&csv);
            prop_assert_eq!(imported.column.as_deref(), Some("IMEI"));
            prop_assert_eq!(parse_list(&imported.text, false).devices, devices);
        }

        #[test]
        fn extract_never_panics(text in "\\PC{0,80}") {
            let imported = extract(&text);
            prop_assert!(imported.file_lines.len() >= imported.text.lines().count());
        }
    }
}
