//! The ThingSpace account name, documented as `0000123456-00001`: 10 digits, a dash, 5 digits.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountName(String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountError {
    Empty,
    Format,
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::Empty => f.write_str("Enter the account name, e.g. 0000123456-00001."),
            AccountError::Format => f.write_str(
                "The account name must be 10 digits, a dash and 5 digits, e.g. 0000123456-00001.",
            ),
        }
    }
}

impl AccountName {
    /// Accepts the documented form, ignoring surrounding white space.
    pub fn parse(text: &str) -> Result<AccountName, AccountError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AccountError::Empty);
        }
        let (left, right) = text.split_once('-').ok_or(AccountError::Format)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if digits(left, 10) && digits(right, 5) {
            Ok(AccountName(text.to_owned()))
        } else {
            Err(AccountError::Format)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a URL path segment. Valid names need no escaping; this stays correct if the
    /// accepted form ever widens.
    pub fn path_segment(&self) -> String {
        percent_encode_segment(&self.0)
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_form_is_accepted_and_trimmed() {
        let acc = AccountName::parse("  0000123456-00001 ").unwrap();
        assert_eq!(acc.as_str(), "0000123456-00001");
        assert_eq!(acc.path_segment(), "0000123456-00001");
    }

    #[test]
    fn other_forms_are_refused_with_a_reason() {
        assert_eq!(AccountName::parse(""), Err(AccountError::Empty));
        for bad in [
            "0000123456",
            "000012345-00001",
            "0000123456-0001",
            "0000123456_00001",
            "000012345a-00001",
            "0000123456-00001-1",
        ] {
            assert_eq!(AccountName::parse(bad), Err(AccountError::Format), "{bad}");
        }
        assert!(AccountError::Format
            .to_string()
            .contains("0000123456-00001"));
    }

    #[test]
    fn path_segments_escape_reserved_characters() {
        assert_eq!(percent_encode_segment("a/b c?é"), "a%2Fb%20c%3F%C3%A9");
    }
}
