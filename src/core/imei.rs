//! IMEIs: parsing one, and splitting a pasted list into valid, unique devices and problems.
//!
//! An IMEI is 15 decimal digits whose last digit is a Luhn check digit over the first 14
//! (3GPP TS 23.003). An IMEISV is the same 14 digits followed by a 2-digit software version.
//! Entries are read as people and spreadsheets write them: label groups (`35-693810-000016-6`),
//! Excel's text guards (`="356938100000018"`, `'356938100000018`) and quotes are unwrapped;
//! Excel's scientific notation (`3.56938E+14`) is recognised and explained, never guessed at.

use std::fmt;

use rustc_hash::FxHashMap;

use super::as_seen::{as_seen, visible, Reading, Readings};

/// A well-formed IMEI: 15 ASCII digits, kept inline so that a list of 100,000 costs no
/// allocation per device. Its check digit may be wrong: users may send test devices on purpose.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Imei([u8; 15]);

impl Imei {
    /// Parses a strictly valid IMEI (15 digits, correct check digit).
    pub fn parse(text: &str) -> Result<Imei, ImeiError> {
        let imei = Imei::parse_lenient(text)?;
        match check_digit_error(&imei.0) {
            None => Ok(imei),
            Some(expected) => Err(ImeiError::CheckDigit { expected }),
        }
    }

    /// Parses 15 digits without verifying the check digit. Other digit strings are explained:
    /// 16 digits as an IMEISV, 14 as a missing check digit (each with the IMEI it most likely
    /// means), Excel's scientific notation as lost digits.
    pub fn parse_lenient(text: &str) -> Result<Imei, ImeiError> {
        let bytes = text.as_bytes();
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(if is_scientific(text) {
                ImeiError::ScientificNotation
            } else {
                ImeiError::NonDigits
            });
        }
        match bytes.len() {
            15 => Ok(Imei(bytes.try_into().unwrap_or([b'0'; 15]))),
            16 => Err(ImeiError::Imeisv {
                suggestion: with_check_digit(bytes),
            }),
            14 => Err(ImeiError::MissingCheckDigit {
                suggestion: with_check_digit(bytes),
            }),
            n => Err(ImeiError::Length(n)),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 15 digits as a number: a cheap, exact key for maps of many devices (a `u64` hashes
    /// in one step, 15 bytes in several).
    pub fn number(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'))
    }

    /// The IMEI whose 15 digits are `n` (leading zeros kept): [`Imei::number`] read back.
    /// `None` from 10^15 up.
    pub fn from_number(mut n: u64) -> Option<Imei> {
        if n >= 1_000_000_000_000_000 {
            return None;
        }
        let mut digits = [b'0'; 15];
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        Some(Imei(digits))
    }
}

impl fmt::Debug for Imei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Imei({})", self.as_str())
    }
}

impl fmt::Display for Imei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImeiError {
    /// Something other than 0-9 in the entry.
    NonDigits,
    /// One visible character outside ASCII among digits that is no digit in any script (a
    /// Cyrillic `О` for a zero): named, with its code point, as it is hard to tell by eye.
    NotADigit(char),
    /// All digits, but not 14, 15 or 16 of them.
    Length(usize),
    /// 15 digits whose last one is not the Luhn check digit of the first 14.
    CheckDigit { expected: u8 },
    /// A number as Excel shows a large one (`3.56938E+14`, `3,56938E+14`): the digits past
    /// the sixth are lost for good.
    ScientificNotation,
    /// 16 digits: an IMEISV, whose IMEI is the first 14 digits and their check digit.
    Imeisv { suggestion: Imei },
    /// 14 digits: an IMEI without its check digit.
    MissingCheckDigit { suggestion: Imei },
}

impl ImeiError {
    /// The IMEI the entry most likely means, sent only if the user accepts it.
    pub fn suggestion(&self) -> Option<Imei> {
        match self {
            ImeiError::Imeisv { suggestion } | ImeiError::MissingCheckDigit { suggestion } => {
                Some(*suggestion)
            }
            _ => None,
        }
    }
}

impl fmt::Display for ImeiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImeiError::NonDigits => f.write_str("contains non-digits"),
            ImeiError::NotADigit(c) => write!(
                f,
                "contains non-digits: “{c}” (U+{:04X}) is not a digit",
                u32::from(*c)
            ),
            ImeiError::Length(n) => write!(f, "is not 15 digits (it has {n})"),
            ImeiError::CheckDigit { expected } => {
                write!(f, "Luhn check digit is wrong (expected {expected})")
            }
            ImeiError::ScientificNotation => f.write_str(
                "is a number Excel rounded when it saved the file (scientific notation): the rest of the IMEI is not in this file. Re-export the column formatted as Text",
            ),
            ImeiError::Imeisv { suggestion } => write!(
                f,
                "has 16 digits: an IMEISV (IMEI and software version)? Its IMEI is {suggestion}"
            ),
            ImeiError::MissingCheckDigit { suggestion } => write!(
                f,
                "has 14 digits: an IMEI without its check digit? With it: {suggestion}"
            ),
        }
    }
}

/// The IMEI of 14 digits (an IMEISV's or a bare body) with its check digit appended.
fn with_check_digit(body: &[u8]) -> Imei {
    let mut digits = [0u8; 15];
    digits[..14].copy_from_slice(&body[..14]);
    digits[14] = b'0' + luhn_check_digit(&body[..14]);
    Imei(digits)
}

/// `3.56938E+14`, `3,56938E+14`, `3.56938E14`, `4E+14`: one digit, an optional decimal part
/// after a point or comma, and an exponent. How Excel shows a number too large for its cell.
fn is_scientific(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(e) = b.iter().position(|c| matches!(c, b'E' | b'e')) else {
        return false;
    };
    let (mantissa, exponent) = (&b[..e], &b[e + 1..]);
    let exponent = exponent.strip_prefix(b"+").unwrap_or(exponent);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let mantissa_ok = match mantissa {
        [d] => d.is_ascii_digit(),
        [d, b'.' | b',', rest @ ..] => d.is_ascii_digit() && digits(rest),
        _ => false,
    };
    mantissa_ok && digits(exponent)
}

/// True when a table cell looks like an IMEI or IMEISV, however a spreadsheet wrote it: 14 to
/// 16 digits once read as a person sees them ([`as_seen`]) and unwrapped, or a 15- or 16-digit
/// number in scientific notation. Phone numbers (10 digits) and ICCIDs (19 or 20) do not.
pub fn looks_like_imei(cell: &str) -> bool {
    let seen = as_seen(cell);
    let text = unwrap_entry(seen.trim());
    if is_scientific(&text) {
        let exponent = text.rsplit(['E', 'e']).next().unwrap_or_default();
        return matches!(exponent.trim_start_matches('+'), "13" | "14" | "15");
    }
    (14..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// An entry as the user meant it: without Excel's `="…"` text guard or leading apostrophe,
/// surrounding quotes, a label glued to it (`IMEI:356938100000018`), or the dashes of label
/// groups (`35-693810-000016-6`).
pub fn unwrap_entry(raw: &str) -> std::borrow::Cow<'_, str> {
    let mut text = strip_label(raw).unwrap_or(raw);
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        text = inner;
    } else if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        text = inner;
    } else if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        text = inner;
    }
    text = text.strip_prefix('\'').unwrap_or(text);
    let grouped = text.contains('-')
        && text
            .split('-')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()));
    if grouped {
        std::borrow::Cow::Owned(text.replace('-', ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// What follows `IMEI:`, `IMEI1:`, `IMEISV#` or `imei=` at the start of `text`, when something
/// does.
fn strip_label(text: &str) -> Option<&str> {
    let head = text.get(..4).filter(|h| h.eq_ignore_ascii_case("imei"))?;
    let mut rest = &text[head.len()..];
    if rest
        .get(..2)
        .is_some_and(|sv| sv.eq_ignore_ascii_case("sv"))
    {
        rest = &rest[2..];
    } else if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        rest = &rest[1..];
    }
    let value = rest.strip_prefix([':', '#', '='])?;
    (!value.is_empty()).then_some(value)
}

/// The Luhn check digit for the 14 leading digits of an IMEI.
pub fn luhn_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// `Some(expected)` when the 15-digit string's check digit is wrong.
fn check_digit_error(bytes: &[u8; 15]) -> Option<u8> {
    let expected = luhn_check_digit(&bytes[..14]);
    (bytes[14] - b'0' != expected).then_some(expected)
}

/// What is wrong with one entry of a pasted list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Invalid(ImeiError),
    /// The same IMEI already appeared as entry `of_entry`; this one is dropped.
    Duplicate {
        of_entry: usize,
    },
}

/// One problem, with its position so the user can find it in what they pasted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based position among the entries of the list.
    pub entry: usize,
    /// 1-based line of the text the entry stands on.
    pub line: usize,
    /// The entry as typed, shortened if very long.
    pub text: String,
    /// Where the entry stands in the text, in bytes, to replace it with a suggestion.
    pub span: std::ops::Range<usize>,
    pub kind: ProblemKind,
    /// True when the entry is sent despite the problem (check digit only, when allowed).
    pub included: bool,
}

impl Problem {
    /// The message, with the entry's place given as `place` (`line 7`, `devices.csv line 7`).
    pub fn describe(&self, place: &str) -> String {
        let mut out = format!("Entry {} ({place}): \"{}\" ", self.entry, self.text);
        match &self.kind {
            ProblemKind::Invalid(e) => out.push_str(&e.to_string()),
            ProblemKind::Duplicate { of_entry } => {
                out.push_str(&format!("is a duplicate of entry {of_entry}"))
            }
        }
        if self.included {
            out.push_str("; sent anyway");
        }
        out
    }

    /// The IMEI the user may accept in place of the entry.
    pub fn suggestion(&self) -> Option<Imei> {
        match &self.kind {
            ProblemKind::Invalid(e) => e.suggestion(),
            ProblemKind::Duplicate { .. } => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&format!("line {}", self.line)))
    }
}

/// `text` with every entry that has a suggestion replaced by it (what "Use the suggested
/// IMEIs" does); `list` must have been parsed from `text`.
pub fn accept_suggestions(text: &str, list: &ImeiList) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for problem in &list.problems {
        if let Some(imei) = problem.suggestion() {
            out.push_str(&text[at..problem.span.start]);
            out.push_str(imei.as_str());
            at = problem.span.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

/// The result of reading a pasted list: the devices to send, in input order, and every problem.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImeiList {
    pub devices: Vec<Imei>,
    pub problems: Vec<Problem>,
    /// How many entries the text held, valid or not.
    pub entries: usize,
}

/// Is `b` one of the separators users paste between IMEIs? All are ASCII, so splitting on bytes
/// keeps every entry a valid `str`.
fn is_separator(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | b',' | b';' | b' ' | b'\t')
}

/// True when the comma at `at` is the decimal comma of Excel's scientific notation
/// (`3,56938E+14`): one digit before it, then digits, an exponent and the entry's end.
fn is_decimal_comma(bytes: &[u8], start: usize, at: usize) -> bool {
    if at != start + 1 || !bytes[start].is_ascii_digit() {
        return false;
    }
    let end = bytes[at + 1..]
        .iter()
        .position(|&b| is_separator(b))
        .map_or(bytes.len(), |n| at + 1 + n);
    std::str::from_utf8(&bytes[start..end]).is_ok_and(is_scientific)
}

/// The entries of ASCII `text` with their 1-based line numbers and byte ranges: the fast path
/// of [`entries`], for the lists of 300,000 lines the field re-reads on every keystroke.
fn ascii_entries(text: &str) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut line = 1;
    std::iter::from_fn(move || {
        while at < bytes.len() && is_separator(bytes[at]) {
            if bytes[at] == b'\n' {
                line += 1;
            }
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len()
            && (!is_separator(bytes[at])
                || (bytes[at] == b',' && is_decimal_comma(bytes, start, at)))
        {
            at += 1;
        }
        Some((line, start..at))
    })
}

/// One entry of a list: where it stands in the text and what a person reads there.
struct Entry<'a> {
    line: usize,
    span: std::ops::Range<usize>,
    read: std::borrow::Cow<'a, str>,
}

/// An entry being read from text with characters outside ASCII.
struct PendingEntry {
    start: usize,
    read: String,
    /// Where invisible characters stand between visible ones: the length of `read` before
    /// them, where they start and where the next visible character starts.
    cuts: Vec<(usize, usize, usize)>,
    /// An invisible run after the last visible character: where it started.
    pending: Option<usize>,
}

/// Whether `text` reads as the digits of an IMEI or IMEISV, once unwrapped.
fn imei_sized(text: &str) -> bool {
    let text = unwrap_entry(text);
    (14..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

impl PendingEntry {
    /// The entry, or the entries when invisible characters stand between whole IMEIs
    /// (`356938100000018` U+200B `356938100000026` shows 30 digits, but means two IMEIs).
    fn finish(self, line: usize, end: usize, out: &mut Vec<Entry<'_>>) {
        if !self.cuts.is_empty() && !imei_sized(&self.read) {
            let mut bounds = vec![(0, self.start)];
            bounds.extend(self.cuts.iter().map(|&(len, _, next)| (len, next)));
            let pieces: Vec<(&str, std::ops::Range<usize>)> = bounds
                .iter()
                .enumerate()
                .map(|(i, &(from, start))| {
                    let (to, stop) = match self.cuts.get(i) {
                        Some(&(len, invisible, _)) => (len, invisible),
                        None => (self.read.len(), end),
                    };
                    (&self.read[from..to], start..stop)
                })
                .collect();
            if pieces.iter().all(|(read, _)| imei_sized(read)) {
                out.extend(pieces.into_iter().map(|(read, span)| Entry {
                    line,
                    span,
                    read: std::borrow::Cow::Owned(read.to_owned()),
                }));
                return;
            }
        }
        out.push(Entry {
            line,
            span: self.start..end,
            read: std::borrow::Cow::Owned(self.read),
        });
    }
}

/// The entries of `text` with their lines, byte ranges and readings ([`as_seen`]): invisible
/// characters dropped, other spaces and commas as separators, full-width and other-script
/// digits as ASCII. Split on ASCII separators first, byte by byte, so that only the entries
/// with characters outside ASCII are read character by character.
fn entries(text: &str) -> impl Iterator<Item = Entry<'_>> + '_ {
    let readings = Readings::of(text);
    ascii_entries(text).flat_map(move |(line, span)| {
        let raw = &text[span.clone()];
        let (one, several) = if raw.is_ascii() {
            let read = std::borrow::Cow::Borrowed(raw);
            (Some(Entry { line, span, read }), Vec::new())
        } else {
            (None, entries_as_seen(text, span, line, &readings))
        };
        one.into_iter().chain(several)
    })
}

/// The entries within `span` of `text` (on line `line`), which has characters outside ASCII:
/// character by character.
fn entries_as_seen<'a>(
    text: &'a str,
    span: std::ops::Range<usize>,
    line: usize,
    readings: &Readings,
) -> Vec<Entry<'a>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut current: Option<PendingEntry> = None;
    for (at, c) in text[span.clone()].char_indices() {
        let at = span.start + at;
        let kind = if c.is_ascii() {
            let decimal = c == ','
                && current
                    .as_ref()
                    .is_some_and(|e| is_decimal_comma(bytes, e.start, at));
            if is_separator(c as u8) && !decimal {
                Seen::Separator
            } else {
                Seen::Char(c)
            }
        } else {
            match readings.get(c) {
                Some(Reading::Invisible) => Seen::Invisible,
                Some(Reading::Separator) => Seen::Separator,
                Some(Reading::Text(shown)) => Seen::Text(shown),
                None => Seen::Char(c),
            }
        };
        if let Seen::Separator = kind {
            if let Some(entry) = current.take() {
                entry.finish(line, at, &mut out);
            }
            continue;
        }
        if let Seen::Invisible = kind {
            if let Some(entry) = &mut current {
                entry.pending.get_or_insert(at);
            }
            continue;
        }
        let entry = current.get_or_insert_with(|| PendingEntry {
            start: at,
            read: String::new(),
            cuts: Vec::new(),
            pending: None,
        });
        if let Some(invisible) = entry.pending.take() {
            entry.cuts.push((entry.read.len(), invisible, at));
        }
        match kind {
            Seen::Text(shown) => entry.read.push_str(shown),
            Seen::Char(c) => entry.read.push(c),
            Seen::Separator | Seen::Invisible => {}
        }
    }
    if let Some(entry) = current {
        entry.finish(line, span.end, &mut out);
    }
    out
}

/// A character of text with characters outside ASCII, as [`entries`] takes it.
enum Seen<'a> {
    Separator,
    Invisible,
    Char(char),
    Text(&'a str),
}

const MAX_SHOWN_ENTRY: usize = 40;

fn shorten(text: &str) -> String {
    super::shorten(text, MAX_SHOWN_ENTRY)
}

/// Splits `text` on newlines, commas, semicolons, spaces and tabs (not on the decimal comma of
/// `3,56938E+14`) and on the spaces and commas of other scripts, reads each entry as a person
/// sees it ([`super::as_seen`]: invisible characters dropped, full-width and other-script
/// digits as ASCII), unwraps it ([`unwrap_entry`]), skips labels (`IMEI:`), and keeps each
/// well-formed IMEI once, in first-seen order. Entries failing only the check digit are kept when
/// `allow_bad_check_digit` is set (test devices), and reported either way.
pub fn parse_list(text: &str, allow_bad_check_digit: bool) -> ImeiList {
    let mut list = ImeiList::default();
    // Keyed by the IMEI's numeric value; entries that fail only the check digit share the map,
    // so their duplicates are reported too.
    let mut first_seen: FxHashMap<u64, usize> = FxHashMap::default();
    for Entry { line, span, read } in entries(text) {
        let unwrapped = unwrap_entry(&read);
        if is_label(&unwrapped) {
            continue;
        }
        list.entries += 1;
        let entry = list.entries;
        let problem = |kind, included| Problem {
            entry,
            line,
            text: shorten(&visible(&text[span.clone()])),
            span: span.clone(),
            kind,
            included,
        };
        let parsed = Imei::parse_lenient(&unwrapped).map_err(|e| match e {
            ImeiError::NonDigits => name_non_digit(&text[span.clone()]),
            e => e,
        });
        let (imei, check_digit) = match parsed {
            Ok(imei) => (imei, check_digit_error(&imei.0)),
            Err(e) => {
                list.problems.push(problem(ProblemKind::Invalid(e), false));
                continue;
            }
        };
        let key = imei.number();
        if let Some(&of_entry) = first_seen.get(&key) {
            list.problems
                .push(problem(ProblemKind::Duplicate { of_entry }, false));
            continue;
        }
        first_seen.insert(key, entry);
        if let Some(expected) = check_digit {
            let kind = ProblemKind::Invalid(ImeiError::CheckDigit { expected });
            list.problems.push(problem(kind, allow_bad_check_digit));
            if !allow_bad_check_digit {
                continue;
            }
        }
        list.devices.push(imei);
    }
    list
}

/// A label pasted with the numbers (`IMEI:`, `IMEI 1`, `IMEISV`, a column's header): not an
/// entry.
fn is_label(text: &str) -> bool {
    let word = text.trim_end_matches([':', '#', '.']);
    let Some(_) = word.get(..4).filter(|w| w.eq_ignore_ascii_case("imei")) else {
        return false;
    };
    let rest = &word[4..];
    rest.is_empty()
        || rest.eq_ignore_ascii_case("sv")
        || rest.eq_ignore_ascii_case("/sv")
        || (rest.len() == 1 && rest.as_bytes()[0].is_ascii_digit())
}

/// Why an entry is not digits. A number with one odd character outside ASCII (a Cyrillic `О`
/// among the digits looks like a zero) names it with its code point; any other entry (a word,
/// ASCII junk that shows in the quoted entry) is just not digits.
fn name_non_digit(raw: &str) -> ImeiError {
    let shown = visible(raw);
    let read = |c: char| as_seen(&c.to_string()).into_owned();
    let digit = |c: char| read(c).bytes().all(|b| b.is_ascii_digit());
    let mut odd = shown.chars().filter(|&c| !digit(c));
    match (odd.next(), odd.next()) {
        (Some(c), None) if !read(c).is_ascii() && shown.chars().any(digit) => {
            ImeiError::NotADigit(c)
        }
        _ => ImeiError::NonDigits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check_digit(body: &str) -> String {
        format!("{body}{}", luhn_check_digit(body.as_bytes()))
    }

    #[test]
    fn known_imeis_pass_and_documentation_examples_fail() {
        for ok in ["490154203237518", "356938035643809", "353879234252633"] {
            assert!(Imei::parse(ok).is_ok(), "{ok}");
        }
        for fake in ["990000473475989", "990013907835573"] {
            assert!(matches!(
                Imei::parse(fake),
                Err(ImeiError::CheckDigit { .. })
            ));
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(Imei::parse("12345"), Err(ImeiError::Length(5)));
        assert_eq!(Imei::parse("49015420323751x"), Err(ImeiError::NonDigits));
        assert_eq!(
            Imei::parse("490154203237519"),
            Err(ImeiError::CheckDigit { expected: 8 })
        );
        assert_eq!(Imei::parse("٤٩٠١٥٤٢٠٣٢٣٧٥١٨"), Err(ImeiError::NonDigits));
    }

    #[test]
    fn list_accepts_every_separator_and_reports_positions() {
        let text = "490154203237518, 356938035643809;353879234252633\t12345\r\n\
                    490154203237518  abc 490154203237519";
        let list = parse_list(text, false);
        let sent: Vec<&str> = list.devices.iter().map(Imei::as_str).collect();
        assert_eq!(
            sent,
            ["490154203237518", "356938035643809", "353879234252633"]
        );
        assert_eq!(list.entries, 7);
        let shown: Vec<String> = list.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "Entry 4 (line 1): \"12345\" is not 15 digits (it has 5)",
                "Entry 5 (line 2): \"490154203237518\" is a duplicate of entry 1",
                "Entry 6 (line 2): \"abc\" contains non-digits",
                "Entry 7 (line 2): \"490154203237519\" Luhn check digit is wrong (expected 8)",
            ]
        );
    }

    #[test]
    fn bad_check_digit_is_sent_only_when_allowed() {
        let text = "990000473475989\n990000473475989";
        let strict = parse_list(text, false);
        assert!(strict.devices.is_empty());
        assert_eq!(strict.problems.len(), 2);
        assert_eq!(
            strict.problems[1].kind,
            ProblemKind::Duplicate { of_entry: 1 }
        );
        let lenient = parse_list(text, true);
        assert_eq!(lenient.devices.len(), 1);
        assert!(lenient.problems[0].included);
        assert!(lenient.problems[0].to_string().ends_with("sent anyway"));
    }

    #[test]
    fn spreadsheet_and_label_forms_are_unwrapped() {
        let text =
            "=\"356938100000018\"\n'356938100000026\n35-693810-000005-9\n\"356938035643809\"";
        let list = parse_list(text, false);
        let sent: Vec<&str> = list.devices.iter().map(Imei::as_str).collect();
        assert_eq!(
            sent,
            [
                "356938100000018",
                "356938100000026",
                "356938100000059",
                "356938035643809"
            ]
        );
        assert!(list.problems.is_empty());
        let again = parse_list("35-693810-000001-8 356938100000018", false);
        assert_eq!(
            again.problems[0].kind,
            ProblemKind::Duplicate { of_entry: 1 }
        );
        for not_groups in ["-356938100000018", "35--6938100000018", "356938100000018-"] {
            assert_eq!(
                parse_list(not_groups, false).problems[0].kind,
                ProblemKind::Invalid(ImeiError::NonDigits),
                "{not_groups}"
            );
        }
    }

    #[test]
    fn scientific_notation_is_explained_and_never_split_or_expanded() {
        let list = parse_list("3.56938E+14, 3,56938E+14;3,56938e14\n4E+14 1,5", false);
        let kinds: Vec<(&str, &ProblemKind)> = list
            .problems
            .iter()
            .map(|p| (p.text.as_str(), &p.kind))
            .collect();
        let sci = &ProblemKind::Invalid(ImeiError::ScientificNotation);
        assert_eq!(
            kinds,
            [
                ("3.56938E+14", sci),
                ("3,56938E+14", sci),
                ("3,56938e14", sci),
                ("4E+14", sci),
                ("1", &ProblemKind::Invalid(ImeiError::Length(1))),
                ("5", &ProblemKind::Invalid(ImeiError::Length(1))),
            ]
        );
        assert!(list.devices.is_empty());
        assert!(list.problems[0]
            .to_string()
            .contains("Re-export the column formatted as Text"));
    }

    #[test]
    fn imeisv_and_missing_check_digit_suggest_an_imei_that_is_sent_only_when_accepted() {
        let text = "3569381000000112\n35693810000002 356938100000059";
        let list = parse_list(text, true);
        assert_eq!(
            list.devices.len(),
            1,
            "suggestions are not sent by themselves"
        );
        let suggested: Vec<String> = list
            .problems
            .iter()
            .map(|p| p.suggestion().unwrap().to_string())
            .collect();
        assert_eq!(suggested, ["356938100000018", "356938100000026"]);
        assert!(list.problems[0].to_string().contains("IMEISV"));
        assert!(list.problems[1]
            .to_string()
            .contains("without its check digit"));
        let accepted = accept_suggestions(text, &list);
        assert_eq!(accepted, "356938100000018\n356938100000026 356938100000059");
        assert_eq!(parse_list(&accepted, false).devices.len(), 3);
    }

    #[test]
    fn spaces_from_web_pages_separate_entries_and_keep_every_span() {
        let text = "356938100000018\u{a0}356938100000026\u{200b}3569381000000112\u{202f}\u{feff}";
        let list = parse_list(text, false);
        let sent: Vec<&str> = list.devices.iter().map(Imei::as_str).collect();
        assert_eq!(sent, ["356938100000018", "356938100000026"]);
        assert_eq!(&text[list.problems[0].span.clone()], "3569381000000112");
        assert_eq!(
            accept_suggestions(text, &list),
            "356938100000018\u{a0}356938100000026\u{200b}356938100000018\u{202f}\u{feff}"
        );
    }

    fn sent(text: &str) -> Vec<String> {
        parse_list(text, false)
            .devices
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// What Outlook, Teams, PDF viewers and right-to-left locales put inside and around a
    /// number: each is read away, and the entry is the IMEI a person sees.
    #[test]
    fn invisible_characters_inside_and_around_an_imei_are_read_away() {
        for invisible in [
            "\u{00AD}",
            "\u{200E}",
            "\u{200F}",
            "\u{2066}",
            "\u{2067}",
            "\u{2068}",
            "\u{2069}",
            "\u{202A}",
            "\u{202B}",
            "\u{202C}",
            "\u{202D}",
            "\u{202E}",
            "\u{2060}",
            "\u{FE0E}",
            "\u{FE0F}",
            "\u{200B}",
            "\u{200C}",
            "\u{200D}",
            "\u{FEFF}",
            "\u{061C}",
            "\u{180E}",
            "\u{034F}",
            "\u{2061}",
            "\u{E0020}",
        ] {
            let text = format!(
                "{invisible}3569381{invisible}00000018{invisible}\n{invisible}356938100000026"
            );
            let list = parse_list(&text, false);
            assert_eq!(
                sent(&text),
                ["356938100000018", "356938100000026"],
                "{invisible:?}"
            );
            assert!(
                list.problems.is_empty(),
                "{invisible:?}: {:?}",
                list.problems
            );
            assert_eq!(list.entries, 2);
        }
        // Nothing but invisible characters is no entry at all.
        assert_eq!(parse_list("\u{200E}\u{2069}\n\u{FEFF}", false).entries, 0);
    }

    #[test]
    fn full_width_and_other_script_digits_are_digits() {
        let written = |zero: u32| -> String {
            "356938100000018"
                .bytes()
                .map(|d| char::from_u32(zero + u32::from(d - b'0')).unwrap())
                .collect()
        };
        // Full-width, Arabic-Indic, Persian, Devanagari, Bengali, Thai, mathematical bold.
        for zero in [0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1D7CE] {
            let text = written(zero);
            assert_eq!(sent(&text), ["356938100000018"], "{text}");
            let isolated = format!("\u{2067}{text}\u{2069}");
            assert_eq!(sent(&isolated), ["356938100000018"], "{isolated}");
        }
        // The problem quotes what is there, less what no one sees.
        let list = parse_list("\u{200E}３５６９３８１００００００１９\u{200E}", false);
        assert_eq!(list.problems[0].text, "３５６９３８１００００００１９");
        assert_eq!(
            list.problems[0].kind,
            ProblemKind::Invalid(ImeiError::CheckDigit { expected: 8 })
        );
    }

    /// Visible junk stays a problem, named with its code point when it is not ASCII (a
    /// Cyrillic О looks like a zero).
    #[test]
    fn a_look_alike_that_is_not_a_digit_is_named() {
        let list = parse_list("3569381О0000018 35693810000001x", false);
        assert_eq!(
            list.problems[0].to_string(),
            "Entry 1 (line 1): \"3569381О0000018\" contains non-digits: “О” (U+041E) is not a digit"
        );
        assert_eq!(
            list.problems[1].to_string(),
            "Entry 2 (line 1): \"35693810000001x\" contains non-digits"
        );
        let word = parse_list("gelöscht", false);
        assert_eq!(
            word.problems[0].kind,
            ProblemKind::Invalid(ImeiError::NonDigits)
        );
    }

    #[test]
    fn spaces_line_separators_and_commas_of_every_script_separate() {
        let imeis = ["356938100000018", "356938100000026"];
        for separator in [
            "\u{00A0}", "\u{202F}", "\u{2009}", "\u{2007}", "\u{3000}", "\u{2028}", "\u{2029}",
            "\u{0085}", "\u{FF0C}", "\u{FF1B}", "\u{3001}", "\u{060C}", "\u{061B}", "\u{FE50}",
        ] {
            assert_eq!(sent(&imeis.join(separator)), imeis, "{separator:?}");
        }
    }

    /// Word and Outlook turn `-` into an en dash or a non-breaking hyphen, and quotes into
    /// curly ones; Excel's text guard and apostrophe may come with a direction mark.
    #[test]
    fn word_processor_dashes_and_quotes_are_read_as_typed() {
        for text in [
            "35–693810–000001–8",
            "35‑693810‑000001‑8",
            "35−693810−000001−8",
            "“356938100000018”",
            "‘356938100000018’",
            "\u{200E}'356938100000018",
            "＝\"356938100000018\"",
        ] {
            assert_eq!(sent(text), ["356938100000018"], "{text}");
        }
    }

    #[test]
    fn imei_labels_are_not_entries() {
        let text = "IMEI: 356938100000018\nIMEI1:356938100000026\nimei#356938100000059\nIMEI\n356938035643809";
        let list = parse_list(text, false);
        assert_eq!(list.devices.len(), 4);
        assert!(list.problems.is_empty(), "{:?}", list.problems);
        assert_eq!(list.entries, 4);
        // An IMEISV after its label still gets its suggestion.
        let sv = parse_list("IMEISV: 3569381000000112", false);
        assert_eq!(
            sv.problems[0].suggestion().unwrap().as_str(),
            "356938100000018"
        );
    }

    /// A zero-width space between two whole IMEIs shows 30 digits but means two devices; inside
    /// one it is read away. Suggestions replace only their own piece.
    #[test]
    fn invisible_characters_between_whole_imeis_separate_them() {
        let text = "356938100000018\u{200B}3569381000000112\u{2060}35693810000002";
        let list = parse_list(text, false);
        assert_eq!(sent(text), ["356938100000018"]);
        assert_eq!(list.entries, 3);
        assert_eq!(&text[list.problems[0].span.clone()], "3569381000000112");
        assert_eq!(
            accept_suggestions(text, &list),
            "356938100000018\u{200B}356938100000018\u{2060}356938100000026"
        );
        assert_eq!(
            parse_list("3569381000\u{200B}00018", false).devices.len(),
            1
        );
    }

    #[test]
    fn problems_name_their_place() {
        let list = parse_list("\n\n12345", false);
        assert_eq!(
            list.problems[0].describe("devices.csv line 7"),
            "Entry 1 (devices.csv line 7): \"12345\" is not 15 digits (it has 5)"
        );
        assert_eq!(list.problems[0].span, 2..7);
    }

    #[test]
    fn long_entries_are_shortened_in_messages() {
        let list = parse_list(&"9".repeat(500), false);
        assert!(list.problems[0].text.chars().count() <= MAX_SHOWN_ENTRY + 1);
    }

    proptest! {
        #[test]
        fn parser_never_panics_and_accepts_exactly_luhn_valid_15_digits(s in "\\PC{0,20}") {
            let valid = s.len() == 15
                && s.bytes().all(|b| b.is_ascii_digit())
                && luhn_check_digit(&s.as_bytes()[..14]) == s.as_bytes()[14] - b'0';
            prop_assert_eq!(Imei::parse(&s).is_ok(), valid);
        }

        #[test]
        fn digit_strings_are_accepted_iff_the_check_digit_matches(s in "[0-9]{15}") {
            let expected = luhn_check_digit(&s.as_bytes()[..14]);
            prop_assert_eq!(Imei::parse(&s).is_ok(), s.as_bytes()[14] - b'0' == expected);
        }

        #[test]
        fn any_one_digit_change_is_caught(body in "[0-9]{14}", pos in 0usize..15, delta in 1u8..10) {
            let valid = with_check_digit(&body);
            prop_assert!(Imei::parse(&valid).is_ok());
            let mut bytes = valid.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Imei::parse(&changed).is_err());
        }

        #[test]
        fn list_keeps_order_and_uniqueness(bodies in proptest::collection::vec("[0-9]{14}", 0..50)) {
            let imeis: Vec<String> = bodies.iter().map(|b| with_check_digit(b)).collect();
            let list = parse_list(&imeis.join("\n"), false);
            let mut expected: Vec<&str> = Vec::new();
            for i in &imeis {
                if !expected.contains(&i.as_str()) {
                    expected.push(i);
                }
            }
            let sent: Vec<&str> = list.devices.iter().map(Imei::as_str).collect();
            prop_assert_eq!(sent, expected.clone());
            prop_assert_eq!(list.problems.len(), imeis.len() - expected.len());
        }

        #[test]
        fn suggestions_are_the_first_14_digits_and_their_check_digit(body in "[0-9]{14}", sv in "[0-9]{2}") {
            let expected = with_check_digit(&body);
            for entry in [body.clone(), format!("{body}{sv}")] {
                let list = parse_list(&entry, false);
                let suggestion = list.problems[0].suggestion().map(|i| i.to_string());
                prop_assert_eq!(suggestion.as_deref(), Some(expected.as_str()));
                prop_assert!(Imei::parse(&expected).is_ok());
            }
        }

        /// However an IMEI is dressed (digits of any width or script, invisible characters
        /// anywhere), it reads as itself.
        #[test]
        fn a_dressed_imei_reads_as_itself(
            body in "[0-9]{14}",
            forms in proptest::collection::vec(0usize..5, 15),
            marks in proptest::collection::vec(prop::sample::select(vec!["", "", "\u{200E}", "\u{00AD}", "\u{2069}", "\u{FE0F}", "\u{FEFF}", "\u{2060}"]), 16),
        ) {
            let imei = with_check_digit(&body);
            let mut text = String::new();
            for (i, d) in imei.bytes().enumerate() {
                text.push_str(marks[i]);
                let v = u32::from(d - b'0');
                let zero = [0x30, 0xFF10, 0x0660, 0x06F0, 0x1D7CE][forms[i]];
                text.push(char::from_u32(zero + v).unwrap());
            }
            text.push_str(marks[15]);
            prop_assert_eq!(sent(&text), vec![imei]);
        }

        /// The reading agrees with the crates' own: the whole text (not character by
        /// character) less general category Cf, in NFKC.
        #[test]
        fn readings_agree_with_nfkc_of_the_whole_text(
            chars in proptest::collection::vec(prop::sample::select(vec![
                '1', '7', 'a', 'Z', '-', '\u{FF11}', '\u{FF17}', '\u{FF21}', '\u{00B9}', '\u{2460}',
                '\u{1D7D0}', '\u{00AD}', '\u{200E}', '\u{2066}', '\u{202C}', '\u{2060}', '\u{FEFF}',
                '\u{200B}', '\u{2013}', '\u{FF0D}', '\u{00C5}', 'A', '\u{030A}', '\u{212B}',
            ]), 0..30)
        ) {
            use unicode_normalization::UnicodeNormalization;
            use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
            let text: String = chars.into_iter().collect();
            let visible: String = text
                .chars()
                .filter(|c| c.general_category() != GeneralCategory::Format)
                .collect();
            let oracle: String = visible
                .nfkc()
                .map(|c| if c.general_category() == GeneralCategory::DashPunctuation { '-' } else { c })
                .collect();
            let ours: String = super::super::as_seen::as_seen(&text).nfc().collect();
            prop_assert_eq!(ours, oracle);
        }

        #[test]
        fn every_entry_is_sent_or_reported(text in "[0-9a-z ,;\\n]{0,200}", allow in any::<bool>()) {
            let list = parse_list(&text, allow);
            let included = list.problems.iter().filter(|p| p.included).count();
            prop_assert_eq!(list.devices.len() + list.problems.len() - included, list.entries);
        }
    }
}
