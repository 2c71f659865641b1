//! Pasted and imported text read as a person sees it: invisible characters dropped,
//! compatibility forms (full-width `３`, superscripts, mathematical digits) read as the plain
//! characters they show, decimal digits of every script read as `0`-`9`.
//!
//! Outlook, Teams, PDF viewers and right-to-left locales put characters around and inside numbers
//! that no one can see: soft hyphens, direction marks and isolates, word joiners, zero-width
//! spaces, variation selectors, byte-order marks. A character's reading is Unicode's NFKC form
//! (UAX #15) without the format characters (general category Cf) and the other
//! default-ignorable code points (UAX #44 `Default_Ignorable_Code_Point`), with dash punctuation
//! (Pd, and U+2212 MINUS SIGN) read as `-` and curly quotes as straight ones. In the browser
//! the normalization and the two character classes are the JavaScript engine's own
//! (`String.prototype.normalize`, Unicode property escapes), natively the `unicode-normalization`
//! and `unicode-properties` crates: a native test checks the tables written here against them.

use std::borrow::Cow;
use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};

/// How a character other than ASCII reads inside a list of entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Nothing a person can see (a direction mark, a soft hyphen, a zero-width space).
    Invisible,
    /// Space between entries: Unicode white space (no-break and narrow spaces, the line and
    /// paragraph separators U+2028/U+2029, NEL), and the commas and semicolons of other
    /// scripts (full-width, ideographic, Arabic).
    Separator,
    /// What the character shows, in plain characters: `３` → `3`, `٣` → `3`, `–` → `-`.
    Text(String),
}

thread_local! {
    /// Every character read so far: each crosses to the engine's normalizer once per page.
    static READINGS: RefCell<FxHashMap<char, Reading>> = RefCell::new(FxHashMap::default());
}

/// The readings of `distinct` (none ASCII, each once), from the cache, the new ones worked out
/// together in one call.
fn with_readings<T>(distinct: &[char], then: impl FnOnce(&FxHashMap<char, Reading>) -> T) -> T {
    READINGS.with_borrow_mut(|known| {
        let new: Vec<char> = distinct
            .iter()
            .copied()
            .filter(|c| !known.contains_key(c))
            .collect();
        if !new.is_empty() {
            for (c, folded) in new.iter().zip(fold_chars(&new)) {
                known.insert(*c, reading(*c, &folded));
            }
        }
        then(known)
    })
}

/// The distinct characters of `text` outside ASCII (a paste of 300,000 lines has a handful;
/// a table with notes in Japanese a few thousand).
fn distinct_non_ascii(text: &str) -> Vec<char> {
    let mut seen: FxHashSet<char> = FxHashSet::default();
    let mut last = '\0';
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if c != last {
            seen.insert(c);
        }
        last = c;
    }
    seen.into_iter().collect()
}

/// The readings of the characters outside ASCII in `text`, for [`Readings::get`].
pub struct Readings(FxHashMap<char, Reading>);

impl Readings {
    /// The readings `text` needs (empty for ASCII text).
    pub fn of(text: &str) -> Readings {
        if text.is_ascii() {
            return Readings(FxHashMap::default());
        }
        let distinct = distinct_non_ascii(text);
        with_readings(&distinct, |known| {
            Readings(
                distinct
                    .iter()
                    .filter_map(|c| known.get(c).map(|r| (*c, r.clone())))
                    .collect(),
            )
        })
    }

    /// How `c`, not ASCII, reads; `None` when [`Readings::of`] was not given it.
    pub fn get(&self, c: char) -> Option<&Reading> {
        self.0.get(&c)
    }
}

/// `text` as a person reads it: invisible characters dropped, separators as ASCII spaces,
/// everything else in plain characters; borrowed when `text` is ASCII.
pub fn as_seen(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let readings = Readings::of(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match readings.get(c) {
            Some(Reading::Invisible) => {}
            Some(Reading::Separator) => out.push(' '),
            Some(Reading::Text(t)) => out.push_str(t),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` without the characters no one sees, visible ones as they are: what a message
/// quotes of an entry.
pub fn visible(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let readings = Readings::of(text);
    Cow::Owned(
        text.chars()
            .filter(|&c| readings.get(c) != Some(&Reading::Invisible))
            .collect(),
    )
}

/// Commas and semicolons that separate items in other scripts, once in NFKC form: ideographic
/// comma, Arabic comma and semicolon (full-width and small forms become ASCII under NFKC).
const OTHER_SEPARATORS: [char; 3] = ['\u{3001}', '\u{060C}', '\u{061B}'];

/// Curly and angle quotes that word processors put in place of `"`, and of `'`.
const DOUBLE_QUOTES: [char; 7] = [
    '\u{201C}', '\u{201D}', '\u{201E}', '\u{201F}', '\u{00AB}', '\u{00BB}', '\u{2033}',
];
const SINGLE_QUOTES: [char; 7] = [
    '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '\u{2039}', '\u{203A}', '\u{2032}',
];

/// The reading of `c` whose NFKC form without invisible characters, dashes as `-`, is
/// `folded`.
fn reading(c: char, folded: &str) -> Reading {
    if c.is_whitespace() || (!folded.is_empty() && folded.chars().all(char::is_whitespace)) {
        return Reading::Separator;
    }
    match folded {
        "" => return Reading::Invisible,
        "," | ";" => return Reading::Separator,
        _ => {}
    }
    let mut chars = folded.chars();
    if let (Some(only), None) = (chars.next(), chars.next()) {
        if OTHER_SEPARATORS.contains(&only) {
            return Reading::Separator;
        }
    }
    Reading::Text(
        folded
            .chars()
            .map(|c| match decimal_digit(c) {
                Some(d) => char::from(b'0' + d),
                None if DOUBLE_QUOTES.contains(&c) => '"',
                None if SINGLE_QUOTES.contains(&c) => '\'',
                None => c,
            })
            .collect(),
    )
}

/// The first code point (the zero) of every run of ten decimal digits (general category Nd)
/// that NFKC leaves as they are (Unicode 16): Arabic-Indic, Devanagari, Thai, Myanmar, ...
/// Checked natively against the `unicode-properties` crate.
const DIGIT_ZEROS: [u32; 68] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11DE0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1E140, 0x1E2F0,
    0x1E4F0, 0x1E5F1, 0x1E950,
];

/// The value of a decimal digit of any script (ASCII included), `None` for anything else.
pub fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    let code = c as u32;
    let at = DIGIT_ZEROS.partition_point(|&zero| zero <= code);
    let zero = DIGIT_ZEROS[at.checked_sub(1)?];
    (code - zero < 10).then(|| (code - zero) as u8)
}

/// Each character's NFKC form without the format and default-ignorable characters, dashes
/// as `-`, all in one call to the browser's engine.
#[cfg(target_arch = "wasm32")]
fn fold_chars(chars: &[char]) -> Vec<String> {
    use js_sys::{JsString, RegExp};
    // A line feed between them: NFKC never joins across it, and no character folds to one.
    let joined: String = chars.iter().flat_map(|c| [*c, '\n']).collect();
    let normalized = JsString::from(joined.as_str()).normalize("NFKC");
    let invisible = RegExp::new(r"[\p{Cf}\p{Default_Ignorable_Code_Point}]", "gu");
    let dashes = RegExp::new(r"[\p{Pd}\u2212]", "gu");
    let folded = normalized
        .replace_by_pattern(&invisible, "")
        .replace_by_pattern(&dashes, "-");
    let folded = String::from(folded);
    folded
        .split('\n')
        .take(chars.len())
        .map(str::to_owned)
        .collect()
}

/// Natively: the same from the `unicode-normalization` and `unicode-properties` crates.
#[cfg(not(target_arch = "wasm32"))]
fn fold_chars(chars: &[char]) -> Vec<String> {
    chars.iter().map(|&c| native::fold(c)).collect()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

    /// UAX #44 `Default_Ignorable_Code_Point` outside category Cf (DerivedCoreProperties.txt,
    /// Unicode 16): combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
    /// Mongolian free variation selectors, variation selectors, reserved ranges.
    const DEFAULT_IGNORABLE: [(u32, u32); 11] = [
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180D),
        (0x180F, 0x180F),
        (0x2065, 0x2065),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFF8),
        (0xE0000, 0xE0FFF),
    ];

    pub fn invisible(c: char) -> bool {
        let code = c as u32;
        c.general_category() == GeneralCategory::Format
            || DEFAULT_IGNORABLE
                .iter()
                .any(|&(from, to)| (from..=to).contains(&code))
    }

    pub fn fold(c: char) -> String {
        std::iter::once(c)
            .nfkc()
            .filter(|&c| !invisible(c))
            .map(|c| {
                if c.general_category() == GeneralCategory::DashPunctuation || c == '\u{2212}' {
                    '-'
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

    #[test]
    fn digit_zeros_are_every_run_of_digits_nfkc_keeps() {
        let mut zeros = Vec::new();
        let mut c = 0x80u32;
        while c <= 0x10FFFF {
            let Some(ch) = char::from_u32(c) else {
                c += 1;
                continue;
            };
            let kept = native::fold(ch) == ch.to_string();
            if ch.general_category() == GeneralCategory::DecimalNumber && kept {
                zeros.push(c);
                c += 10;
            } else {
                c += 1;
            }
        }
        assert_eq!(zeros, DIGIT_ZEROS);
        for zero in DIGIT_ZEROS {
            for d in 0..10 {
                let ch = char::from_u32(zero + d).unwrap();
                assert_eq!(
                    ch.general_category(),
                    GeneralCategory::DecimalNumber,
                    "{zero:X}+{d}"
                );
                assert_eq!(decimal_digit(ch), Some(d as u8));
            }
        }
    }

    #[test]
    fn what_outlook_teams_and_pdfs_add_is_invisible() {
        for c in [
            '\u{00AD}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202C}',
            '\u{202E}',
            '\u{2060}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{180E}',
            '\u{034F}',
            '\u{E0001}',
        ] {
            assert_eq!(
                reading(c, &native::fold(c)),
                Reading::Invisible,
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn compatibility_and_other_script_digits_read_as_ascii() {
        assert_eq!(as_seen("３５６９３８"), "356938");
        assert_eq!(as_seen("٣٥٦۹۳٨"), "356938");
        assert_eq!(as_seen("३५६"), "356");
        assert_eq!(as_seen("𝟑𝟓𝟔"), "356");
        assert_eq!(as_seen("35–6938—10\u{2212}0\u{2011}1"), "35-6938-10-0-1");
        assert_eq!(as_seen("“356” ‘7’"), "\"356\" '7'");
        assert_eq!(
            as_seen("1\u{a0}2\u{202f}3\u{3000}4\u{2028}5\u{85}6，7；8、9،0"),
            "1 2 3 4 5 6 7 8 9 0"
        );
        assert_eq!(visible("\u{200e}３５\u{00ad}６\u{2069}"), "３５６");
    }
}
