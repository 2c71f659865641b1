//! Tokens as people paste them: with the `Bearer ` scheme or a whole `Authorization:` header
//! line copied from Postman or curl, with line breaks and spaces around them. What is sent is
//! the bare token; what cannot be a token is refused with a message that says why.
//!
//! A token is an RFC 6750 `b64token` (letters, digits, `-._~+/` and trailing `=`) in practice;
//! the check here is looser on purpose (any visible ASCII), refusing only what could never be
//! sent as one header value: whitespace inside, and characters outside ASCII.

use std::fmt;

/// Which of the two tokens, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// The OAuth access token, sent as `Authorization: Bearer <token>`.
    Bearer,
    /// The session token from `session/login`, sent as `VZ-M2M-Token: <token>`.
    Session,
}

impl TokenKind {
    fn name(self) -> &'static str {
        match self {
            TokenKind::Bearer => "bearer token",
            TokenKind::Session => "session token",
        }
    }

    /// Header names and schemes that a paste may start with, lower case, outermost first.
    fn prefixes(self) -> &'static [&'static str] {
        match self {
            TokenKind::Bearer => &["authorization:", "bearer"],
            TokenKind::Session => &["vz-m2m-token:"],
        }
    }
}

/// A token ready to send, and what was taken off the paste to get it. Deliberately not
/// `Debug`, so that it cannot be logged by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct CleanToken {
    pub value: String,
    /// The prefixes removed (`Bearer`, `Authorization:`), as pasted, for the visible note.
    pub removed: Vec<String>,
}

impl CleanToken {
    /// The note shown beside the field when a prefix was removed.
    pub fn note(&self, kind: TokenKind) -> Option<String> {
        let removed = self
            .removed
            .iter()
            .map(|p| format!("“{p}”"))
            .collect::<Vec<_>>();
        (!removed.is_empty()).then(|| {
            let verb = if removed.len() == 1 { "was" } else { "were" };
            format!(
                "{} {verb} removed from the start of the {}: the app adds what is needed.",
                removed.join(" and "),
                kind.name()
            )
        })
    }
}

/// Why a paste is not a token. It never holds the token's text, so it may be shown or logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    Empty(TokenKind),
    /// A space, tab or line break inside the token.
    InnerWhitespace(TokenKind),
    /// A character no header value may carry (outside visible ASCII).
    Character(TokenKind, char),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Empty(kind) => write!(f, "Paste the {}.", kind.name()),
            TokenError::InnerWhitespace(kind) => write!(
                f,
                "The {} has a space or line break inside it. Copy it again in one piece and paste it.",
                kind.name()
            ),
            TokenError::Character(kind, c) => write!(
                f,
                "The {} contains “{c}” (U+{:04X}), which no token has. Copy it again from its source and paste it.",
                kind.name(),
                u32::from(*c)
            ),
        }
    }
}

/// Cleans a pasted token: surrounding whitespace and line breaks go, and so does a leading
/// header name or scheme (`Authorization:`, `Bearer`, `VZ-M2M-Token:`, any case, any spaces),
/// repeated or not (`Bearer Bearer eyJ…`).
pub fn clean(kind: TokenKind, pasted: &str) -> Result<CleanToken, TokenError> {
    let mut text = pasted.trim();
    let mut removed = Vec::new();
    'strip: loop {
        for prefix in kind.prefixes() {
            let Some(head) = text.get(..prefix.len()) else {
                continue;
            };
            let rest = &text[prefix.len()..];
            // A scheme needs whitespace after it: "bearerToken" is a token, not a scheme.
            let ends =
                prefix.ends_with(':') || rest.is_empty() || rest.starts_with(char::is_whitespace);
            if head.eq_ignore_ascii_case(prefix) && ends {
                removed.push(head.to_owned());
                text = rest.trim_start();
                continue 'strip;
            }
        }
        break;
    }
    if text.is_empty() {
        return Err(TokenError::Empty(kind));
    }
    if text.contains(char::is_whitespace) {
        return Err(TokenError::InnerWhitespace(kind));
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(TokenError::Character(kind, c));
    }
    Ok(CleanToken {
        value: text.to_owned(),
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

    fn bearer(text: &str) -> Result<String, TokenError> {
        clean(TokenKind::Bearer, text).map(|t| t.value)
    }

    #[test]
    fn schemes_and_header_names_are_removed_once_or_more() {
        for pasted in [
            format!("Bearer {JWT}"),
            format!("bearer  {JWT}"),
            format!("BEARER\t{JWT}\r\n"),
            format!("  \n Bearer Bearer {JWT} \n"),
            format!("Authorization: Bearer {JWT}"),
            format!("authorization:bearer\n{JWT}"),
            JWT.to_owned(),
        ] {
            assert_eq!(bearer(&pasted).as_deref(), Ok(JWT), "{pasted:?}");
        }
        assert_eq!(bearer("bearerToken123").as_deref(), Ok("bearerToken123"));
        let session = clean(TokenKind::Session, " VZ-M2M-Token: abc-123 \n").unwrap();
        assert_eq!(session.value, "abc-123");
        assert_eq!(
            clean(TokenKind::Session, "Bearer abc").map(|t| t.value),
            Err(TokenError::InnerWhitespace(TokenKind::Session))
        );
    }

    #[test]
    fn the_note_says_what_was_removed() {
        let t = clean(TokenKind::Bearer, &format!("Bearer {JWT}")).unwrap();
        assert_eq!(
            t.note(TokenKind::Bearer).unwrap(),
            "“Bearer” was removed from the start of the bearer token: the app adds what is needed."
        );
        assert_eq!(
            clean(TokenKind::Bearer, JWT)
                .unwrap()
                .note(TokenKind::Bearer),
            None
        );
        let both = clean(TokenKind::Bearer, &format!("Authorization: Bearer {JWT}")).unwrap();
        assert_eq!(
            both.note(TokenKind::Bearer).unwrap(),
            "“Authorization:” and “Bearer” were removed from the start of the bearer token: the app adds what is needed."
        );
    }

    #[test]
    fn what_cannot_be_a_token_is_refused_with_a_reason() {
        assert_eq!(bearer("  \n"), Err(TokenError::Empty(TokenKind::Bearer)));
        assert_eq!(bearer("Bearer "), Err(TokenError::Empty(TokenKind::Bearer)));
        assert_eq!(
            bearer("eyJ abc"),
            Err(TokenError::InnerWhitespace(TokenKind::Bearer))
        );
        assert_eq!(
            bearer("eyJ\nabc"),
            Err(TokenError::InnerWhitespace(TokenKind::Bearer))
        );
        assert_eq!(
            bearer("eyJ\u{a0}abc"),
            Err(TokenError::InnerWhitespace(TokenKind::Bearer))
        );
        assert_eq!(
            bearer("eyJ\u{200b}abc"),
            Err(TokenError::Character(TokenKind::Bearer, '\u{200b}'))
        );
        let message = TokenError::InnerWhitespace(TokenKind::Session).to_string();
        assert!(message.contains("session token") && message.contains("one piece"));
        assert!(TokenError::Character(TokenKind::Bearer, '“')
            .to_string()
            .contains("U+201C"));
    }

    proptest! {
        #[test]
        fn a_token_survives_any_wrapping_people_paste(
            token in "[A-Za-z0-9._~+/-]{1,40}=?",
            before in "[ \t\r\n]{0,3}",
            scheme in prop::sample::select(vec!["", "Bearer ", "bearer\t", "Authorization: Bearer  "]),
            after in "[ \t\r\n]{0,3}",
        ) {
            let pasted = format!("{before}{scheme}{token}{after}");
            prop_assert_eq!(bearer(&pasted), Ok(token.clone()));
            let value = clean(TokenKind::Session, &format!("{before}{token}{after}")).map(|t| t.value);
            prop_assert_eq!(value, Ok(token));
        }
    }
}
