//! The form as a whole: what was typed checked into everything a run needs, or every problem
//! with it, each with a message that says what to do.

use std::fmt;

use super::account::{AccountError, AccountName};
use super::config::ApiBase;
use super::imei::Imei;
use super::token::{clean, TokenError, TokenKind};

/// The form's fields as typed (the tokens as pasted or handed over by a portal).
pub struct FormInput<'a> {
    pub account: &'a str,
    pub base_url: &'a str,
    /// The valid, unique IMEIs of the list, or the devices of "Retry failed".
    pub devices: Vec<Imei>,
    pub bearer_token: &'a str,
    pub session_token: &'a str,
}

/// A form that checked out. Deliberately not `Debug`: it holds the tokens.
pub struct CheckedForm {
    pub account: AccountName,
    /// `{base}/firmware/{account}/devices`.
    pub url: String,
    pub devices: Vec<Imei>,
    pub bearer_token: String,
    pub session_token: String,
}

/// One thing wrong with the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormProblem {
    Account(AccountError),
    BaseUrl(String),
    NoDevices,
    Token(TokenError),
}

impl fmt::Display for FormProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormProblem::Account(e) => e.fmt(f),
            FormProblem::BaseUrl(why) => write!(f, "API base URL: {why}."),
            FormProblem::NoDevices => f.write_str("Enter at least one valid IMEI."),
            FormProblem::Token(e) => e.fmt(f),
        }
    }
}

/// Checks every field; all problems are reported at once, in the form's order.
pub fn check(input: FormInput<'_>) -> Result<CheckedForm, Vec<FormProblem>> {
    let mut problems = Vec::new();
    let account = AccountName::parse(input.account)
        .map_err(|e| problems.push(FormProblem::Account(e)))
        .ok();
    if input.devices.is_empty() {
        problems.push(FormProblem::NoDevices);
    }
    let (bearer, session) = cleaned(input.bearer_token, input.session_token, &mut problems);
    let base = ApiBase::parse(input.base_url)
        .map_err(|e| problems.push(FormProblem::BaseUrl(e)))
        .ok();
    match (account, base, bearer, session) {
        (Some(account), Some(base), Some(bearer), Some(session)) if problems.is_empty() => {
            Ok(CheckedForm {
                url: base.sync_url(&account.path_segment()),
                account,
                devices: input.devices,
                bearer_token: bearer,
                session_token: session,
            })
        }
        _ => Err(problems),
    }
}

/// Both tokens cleaned ([`clean`]), each problem pushed to `problems`.
fn cleaned(
    bearer: &str,
    session: &str,
    problems: &mut Vec<FormProblem>,
) -> (Option<String>, Option<String>) {
    let mut one = |kind, pasted| {
        clean(kind, pasted)
            .map(|t| t.value)
            .map_err(|e| problems.push(FormProblem::Token(e)))
            .ok()
    };
    (
        one(TokenKind::Bearer, bearer),
        one(TokenKind::Session, session),
    )
}

/// The tokens alone, for Resume after a token error paused a run: `(bearer, session)`,
/// cleaned, or what is wrong with them.
pub fn check_tokens(bearer: &str, session: &str) -> Result<(String, String), Vec<FormProblem>> {
    let mut problems = Vec::new();
    match cleaned(bearer, session, &mut problems) {
        (Some(bearer), Some(session)) => Ok((bearer, session)),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(account: &'a str, bearer: &'a str, devices: usize) -> FormInput<'a> {
        FormInput {
            account,
            base_url: "api/fota/v3",
            devices: vec![Imei::parse("490154203237518").unwrap(); devices],
            bearer_token: bearer,
            session_token: "s",
        }
    }

    #[test]
    fn a_good_form_gives_the_url_and_clean_tokens() {
        let form = check(input(" 0000123456-00001 ", "Bearer abc\n", 1))
            .ok()
            .unwrap();
        assert_eq!(form.url, "api/fota/v3/firmware/0000123456-00001/devices");
        assert_eq!(form.bearer_token, "abc");
        assert_eq!(form.account.as_str(), "0000123456-00001");
    }

    #[test]
    fn every_problem_is_reported_in_the_forms_order() {
        let problems = check(FormInput {
            base_url: "ftp://x",
            ..input("", "a b", 0)
        })
        .err()
        .unwrap();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4);
        assert!(shown[0].starts_with("Enter the account name"));
        assert_eq!(shown[1], "Enter at least one valid IMEI.");
        assert!(shown[2].contains("bearer token has a space"));
        assert!(shown[3].starts_with("API base URL: "), "{}", shown[3]);
    }
}
