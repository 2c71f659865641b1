//! The results table's view in the URL's fragment, `#only=unsuccessful&sort=firmware-desc`, so
//! that back and forward move between views and a link reopens the same view (docs/USING.md,
//! "Views in the address"). The fragment is `application/x-www-form-urlencoded` (WHATWG URL
//! standard; the page encodes and decodes it, `src/ui/app.rs`) and holds only what the table's
//! controls hold: the find box's text (`find`), the filter (`only=unsuccessful`), the sort (`sort=COLUMN` or `sort=COLUMN-desc`, the columns
//! named by their class: `imei`, `status`, `reason`, `firmware`, `updated`), the workbench's open
//! outcome group (`group=KIND`, the outcome kinds' names, with `status` and `reason` for a
//! failure, `error` for an error) or firmware bar (`version`). Never a token, never a list of
//! devices; a comparison's group, which lists devices, is left out.

use std::borrow::Cow;

use super::columns::COLUMNS;
use super::firmware::VersionKey;
use super::outcome::OutcomeKind;
use super::table_view::{Direction, ViewQuery};
use super::triage::GroupKey;

/// The fragment's `(key, value)` pairs for `query`, in order, before encoding: none for the
/// default view.
pub fn pairs(query: &ViewQuery) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !query.find.is_empty() {
        out.push(("find", query.find.clone()));
    }
    if query.only_unsuccessful {
        out.push(("only", "unsuccessful".to_owned()));
    }
    if let Some((field, direction)) = query.sort {
        if let Some(column) = COLUMNS.iter().find(|c| c.field == field) {
            let desc = if direction == Direction::Descending {
                "-desc"
            } else {
                ""
            };
            out.push(("sort", format!("{}{desc}", column.class)));
        }
    }
    if let Some(group) = &query.group {
        out.push(("group", group.css_class().to_owned()));
        match group {
            GroupKey::Failed { status, reason } => {
                out.push(("status", status.to_string()));
                out.push(("reason", reason.to_string()));
            }
            GroupKey::Error(text) => {
                out.push(("error", text.to_string()));
            }
            _ => {}
        }
    }
    if let Some(VersionKey::Version(version)) = &query.bar {
        out.push(("version", version.to_string()));
    }
    out
}

/// The view a fragment's decoded `(key, value)` pairs ask for, and the pairs that were not
/// understood, as written (`sort=colour`), for a note; those are ignored.
pub fn read_pairs(
    fragment: impl IntoIterator<Item = (String, String)>,
) -> (ViewQuery, Vec<String>) {
    let mut query = ViewQuery::default();
    let mut ignored = Vec::new();
    let (mut group, mut status, mut reason, mut error) = (None, None, None, None);
    for (key, value) in fragment {
        let understood = match key.as_str() {
            "find" => {
                query.find = value.clone();
                true
            }
            "only" => {
                query.only_unsuccessful = value == "unsuccessful";
                query.only_unsuccessful
            }
            "sort" => {
                let (name, direction) = match value.strip_suffix("-desc") {
                    Some(name) => (name, Direction::Descending),
                    None => (value.as_str(), Direction::Ascending),
                };
                query.sort = COLUMNS
                    .iter()
                    .find(|c| c.class == name)
                    .map(|c| (c.field, direction));
                query.sort.is_some()
            }
            "group" => {
                group = OutcomeKind::ALL
                    .into_iter()
                    .find(|k| k.css_class() == value);
                group.is_some()
            }
            "status" => {
                status = Some(value.to_string());
                true
            }
            "reason" => {
                reason = Some(value.to_string());
                true
            }
            "error" => {
                error = Some(value.to_string());
                true
            }
            "version" => {
                query.bar = Some(VersionKey::Version(value.to_string()));
                true
            }
            _ => false,
        };
        if !understood {
            ignored.push(format!("{key}={value}"));
        }
    }
    query.group = group.and_then(|kind| {
        Some(match kind {
            OutcomeKind::Success => GroupKey::Success,
            OutcomeKind::Failed => GroupKey::Failed {
                status: Cow::Owned(status.take()?),
                reason: Cow::Owned(reason.take().unwrap_or_default()),
            },
            OutcomeKind::NoResult => GroupKey::NoResult,
            OutcomeKind::Error => GroupKey::Error(Cow::Owned(error.take()?)),
            OutcomeKind::NotSent => GroupKey::NotSent,
            OutcomeKind::Waiting => GroupKey::Waiting,
        })
    });
    if group.is_some() && query.group.is_none() {
        ignored.push(format!("group={}", group.map_or("", |k| k.css_class())));
    }
    // A group or a bar: the table shows one of them, as the workbench allows.
    if query.group.is_some() {
        query.bar = None;
    }
    (query, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::columns::Field;

    /// The fragment written and read as `application/x-www-form-urlencoded` (WHATWG URL
    /// standard) by `form_urlencoded`, the oracle of the format. The page percent-encodes with
    /// `encodeURIComponent` (`%20` where this writes `+`) and reads both; the e2e tests cover it.
    fn fragment(query: &ViewQuery) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.extend_pairs(pairs(query));
        out.finish()
    }

    fn read_fragment(text: &str) -> (ViewQuery, Vec<String>) {
        let text = text.strip_prefix('#').unwrap_or(text);
        read_pairs(form_urlencoded::parse(text.as_bytes()).into_owned())
    }

    fn round_trip(query: ViewQuery) {
        let text = fragment(&query);
        assert_eq!(
            read_fragment(&format!("#{text}")),
            (query, vec![]),
            "{text}"
        );
    }

    #[test]
    fn every_view_the_table_can_show_reads_back_from_its_fragment() {
        assert_eq!(fragment(&ViewQuery::default()), "");
        let failed = ViewQuery {
            only_unsuccessful: true,
            sort: Some((Field::FirmwareVersion, Direction::Descending)),
            ..ViewQuery::default()
        };
        assert_eq!(fragment(&failed), "only=unsuccessful&sort=firmware-desc");
        round_trip(failed);
        round_trip(ViewQuery {
            find: "3569 38".into(),
            sort: Some((Field::Imei, Direction::Ascending)),
            group: Some(GroupKey::Failed {
                status: "FirmwareVersionUpdateFailed".into(),
                reason: "Device is offline & unreachable: 100%".into(),
            }),
            ..ViewQuery::default()
        });
        round_trip(ViewQuery {
            group: Some(GroupKey::Error(
                "HTTP 502 Bad Gateway (after 4 tries)".into(),
            )),
            ..ViewQuery::default()
        });
        for group in [
            GroupKey::Success,
            GroupKey::NoResult,
            GroupKey::NotSent,
            GroupKey::Waiting,
        ] {
            round_trip(ViewQuery {
                group: Some(group),
                ..ViewQuery::default()
            });
        }
        round_trip(ViewQuery {
            bar: Some(VersionKey::Version("SR1.2.0.0-13173".into())),
            ..ViewQuery::default()
        });
    }

    #[test]
    fn a_comparison_or_the_other_versions_stay_out_of_the_link() {
        let query = ViewQuery {
            only: Some(("Firmware 1.2 → 1.3".into(), vec![0, 4, 9].into())),
            bar: Some(VersionKey::Other {
                shown: vec!["1.2".into()],
            }),
            ..ViewQuery::default()
        };
        assert_eq!(fragment(&query), "");
    }

    #[test]
    fn what_a_link_asks_for_that_is_not_understood_is_named_and_ignored() {
        let (query, ignored) =
            read_fragment("#sort=colour&only=everything&group=failed&token=abc&find=12");
        assert_eq!(
            query,
            ViewQuery {
                find: "12".into(),
                ..ViewQuery::default()
            }
        );
        assert_eq!(
            ignored,
            [
                "sort=colour",
                "only=everything",
                "token=abc",
                "group=failed"
            ]
        );
        // A fragment from elsewhere (an anchor), or none.
        assert_eq!(read_fragment("#results").1, ["results="]);
        assert_eq!(read_fragment(""), (ViewQuery::default(), vec![]));
    }
}
