//! The results workbench beside the table: outcomes grouped for triage (each group can be
//! shown, copied, downloaded and synced again), the firmware versions at a glance, and the
//! evidence for support (the request log, Copy as cURL, the JSON download).
//!
//! The tallies cover the whole result set; while a run goes they are worked out at most every
//! [`TALLY_EVERY_MS`], and at once when it ends.

use std::time::Duration;

use leptos::prelude::*;

use super::context::AppContext;
use super::copy::copy_text;
use super::download::save_text;
use super::run_controller::RunController;
use crate::core::evidence::{curl, RequestRecord};
use crate::core::export::{csv_of, file_name};
use crate::core::firmware::{staleness, Staleness, VersionBar};
use crate::core::fota::request_body;
use crate::core::table_view::ViewQuery;
use crate::core::time::format_seconds;
use crate::core::triage::{positions, Group, GroupKey};
use crate::core::{count_of, thousands};

// `history.rs` still draws its lists with these.
/// The shortest time between two tallies while answers come in, in ms.
const TALLY_EVERY_MS: f64 = 1_000.0;
/// Firmware versions shown as bars of their own; the rest are one "Other" bar.
const TOP_VERSIONS: usize = 8;
/// Requests listed in the log, the latest; the JSON download has them all.
const LOG_SHOWN: usize = 200;

/// What the panels show of the result set.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tallies {
    groups: Vec<Group>,
    bars: Vec<VersionBar>,
    stale: Staleness,
    requests: usize,
}

fn tally(run: RunController, stale_after_days: u32) -> Tallies {
    let mut t = run
        .with_set_untracked(|set| Tallies {
            groups: set.groups(),
            bars: set.versions(TOP_VERSIONS),
            stale: staleness(set.outcomes(), js_sys::Date::now(), stale_after_days),
            requests: 0,
        })
        .unwrap_or_default();
    t.requests = run.with_request_log_untracked(<[_]>::len);
    t
}

/// The panels of the result set on screen, hidden while there is none. `query` is the table's:
/// a group's Show and a firmware bar filter it.
#[component]
pub fn Workbench(query: RwSignal<ViewQuery>) -> impl IntoView {
    let context = AppContext::expect();
    let run = context.run;
    let stale_after_days = context.config.with_value(|c| c.config.stale_after_days);
    let tallies = RwSignal::new(Tallies::default());
    let last = StoredValue::new(f64::NEG_INFINITY);
    let timer = StoredValue::new(false);
    // Throttled: at once when a run starts or ends, otherwise at most every TALLY_EVERY_MS.
    let running = Memo::new(move |_| run.running());
    Effect::new(move || {
        run.track();
        let _ = running.get();
        let now = js_sys::Date::now();
        let wait = last.get_value() + TALLY_EVERY_MS - now;
        if !running.get_untracked() || wait <= 0.0 {
            last.set_value(now);
            tallies.set(tally(run, stale_after_days));
        } else if !timer.get_value() {
            timer.set_value(true);
            set_timeout(
                move || {
                    timer.try_set_value(false);
                    // The run ended meanwhile and was tallied then: nothing new to draw.
                    let now = js_sys::Date::now();
                    if last
                        .try_get_value()
                        .is_some_and(|at| now - at < TALLY_EVERY_MS - 1.0)
                    {
                        return;
                    }
                    last.try_set_value(now);
                    tallies.try_set(tally(run, stale_after_days));
                },
                Duration::from_millis(wait.ceil() as u64),
            );
        }
    });
    // A new result set: filters of the old one no longer apply. The first set shown keeps them:
    // they came with the page's link (core::view_link).
    let set_id = Memo::new(move |_| run.set_id());
    Effect::new(move |previous: Option<u64>| {
        let id = set_id.get();
        if previous.is_some_and(|p| p != 0 && p != id) {
            query.update(|q| {
                q.group = None;
                q.bar = None;
            });
        }
        id
    });
    let can_sync = Memo::new(move |_| !running.get() && !run.read_only());
    let note = RwSignal::new(String::new());
    let stale = move || {
        let Staleness { stale, .. } = tallies.with(|t| t.stale);
        (stale_after_days > 0).then(|| {
            let verb = if stale == 1 { "has" } else { "have" };
            format!(
                "{} of the successful devices {verb} firmware last updated more than {stale_after_days} days ago (marked in the table).",
                thousands(stale)
            )
        })
    };
    view! {
        <section class="workbench" aria-label="Workbench" hidden=move || set_id.get() == 0>
            {panel(
                "panel triage",
                "triage-heading",
                "Outcomes",
                view! {
                    <ul class="groups" aria-labelledby="triage-heading">
                        {move || {
                            let (shown, can_sync) = (query.with(|q| q.group.clone()), can_sync.get());
                            tallies
                                .with(|t| t.groups.clone())
                                .into_iter()
                                .map(|group| {
                                    let shown = shown.as_ref() == Some(&group.key);
                                    view! { <GroupItem group shown can_sync query note /> }
                                })
                                .collect_view()
                        }}
                    </ul>
                },
            )}
            {panel(
                "panel versions",
                "versions-heading",
                "Firmware versions",
                view! {
                    <ul class="bars" aria-labelledby="versions-heading">
                        <li class="hint" hidden=move || tallies.with(|t| !t.bars.is_empty())>
                            "No device has reported a version yet."
                        </li>
                        {move || tallies.with(|t| bar_items(&t.bars, query))}
                    </ul>
                    <p class="stale-count">{stale}</p>
                },
            )}
            {panel(
                "panel evidence",
                "evidence-heading",
                "Evidence for support",
                view! { <RequestLog tallies note /> },
            )}
            <p class="hint workbench-note" aria-live="polite">{move || note.get()}</p>
        </section>
    }
}

/// A panel of the workbench: a region named by its heading (whose id is `id`), which assistive
/// technology lists among the page's landmarks; `class` is `panel` and what it shows.
fn panel(
    class: &'static str,
    id: &'static str,
    heading: &'static str,
    body: impl IntoView,
) -> impl IntoView {
    view! {
        <section class=class aria-labelledby=id>
            <h2 id=id>{heading}</h2>
            {body}
        </section>
    }
}

/// What a button of an outcome group does.
#[derive(Clone, Copy)]
enum GroupAction {
    /// Shows only the group in the table; pressed again, every device.
    Show,
    CopyImeis,
    DownloadCsv,
    /// Runs the group's devices again, as Retry failed does.
    SyncAgain,
}

/// One outcome group: its label and count, and Show (pressed while the table shows only the
/// group: `shown`), Copy IMEIs, Download CSV, Sync again (unless `can_sync` is false: while a
/// run goes, or the set is read-only).
#[component]
fn GroupItem(
    group: Group,
    shown: bool,
    can_sync: bool,
    query: RwSignal<ViewQuery>,
    note: RwSignal<String>,
) -> impl IntoView {
    let Group { key, label, count } = group;
    let class = key.css_class();
    let on = {
        let label = label.clone();
        move |action| {
            let (key, label) = (key.clone(), label.clone());
            move |_| on_group(action, &key, &label, query, note)
        }
    };
    view! {
        <li class=class>
            <span class="group-label">{label.clone()}</span>
            <span class="group-count">{thousands(count)}</span>
            <span class="group-actions" role="group" aria-label=label>
                <button type="button" aria-pressed=pressed(shown) on:click=on(GroupAction::Show)>"Show"</button>
                <button type="button" on:click=on(GroupAction::CopyImeis)>"Copy IMEIs"</button>
                <button type="button" on:click=on(GroupAction::DownloadCsv)>"Download CSV"</button>
                <button type="button" disabled=!can_sync on:click=on(GroupAction::SyncAgain)>
                    "Sync again"
                </button>
            </span>
        </li>
    }
}

/// `aria-pressed`'s value.
fn pressed(on: bool) -> &'static str {
    if on {
        "true"
    } else {
        "false"
    }
}

/// Does what a group's button says, for the group `key` labelled `label`.
fn on_group(
    action: GroupAction,
    key: &GroupKey<'static>,
    label: &str,
    query: RwSignal<ViewQuery>,
    note: RwSignal<String>,
) {
    let context = AppContext::expect();
    let run = context.run;
    let imeis = || {
        run.with_set_untracked(|set| {
            positions(set.outcomes(), key)
                .into_iter()
                .map(|p| set.devices()[p])
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    match action {
        GroupAction::Show => query.update(|q| {
            q.group = if q.group.as_ref() == Some(key) {
                None
            } else {
                Some(key.clone())
            };
            q.bar = None;
        }),
        GroupAction::CopyImeis => {
            let imeis = imeis();
            let text: String = imeis.iter().map(|i| format!("{}\n", i.as_str())).collect();
            let copied = count_of(imeis.len(), "IMEI", "IMEIs");
            copy_text(text, note, format!("Copied the {copied} of “{label}”."));
        }
        GroupAction::DownloadCsv => {
            let csv = run
                .with_set_untracked(|set| {
                    csv_of(
                        set.devices(),
                        set.outcomes(),
                        &positions(set.outcomes(), key),
                    )
                })
                .unwrap_or_default();
            let name = file_name(&run.requested_account(), js_sys::Date::now());
            let _ = save_text(&name, "text/csv;charset=utf-8", &csv);
        }
        GroupAction::SyncAgain => context.run.sync_again(imeis()),
    }
}

/// One bar per version.
fn bar_items(bars: &[VersionBar], query: RwSignal<ViewQuery>) -> impl IntoView {
    let most = bars.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    bars.iter()
        .map(|bar| {
            let shown = query.with(|q| q.bar.as_ref() == Some(&bar.key));
            view! { <BarItem bar=bar.clone() most shown query /> }
        })
        .collect_view()
}

/// A firmware version's bar: a button whose background shows its share of the longest bar
/// (`most` devices); pressed (`shown`), the table shows only its devices.
#[component]
fn BarItem(bar: VersionBar, most: usize, shown: bool, query: RwSignal<ViewQuery>) -> impl IntoView {
    let VersionBar { key, label, count } = bar;
    // Whole percents of the longest bar: the CSS width needs no float formatting.
    // Set through the CSSOM (a style property, not a style attribute, which the CSP forbids).
    let share = (count * 100).div_ceil(most).to_string();
    let toggle = move |_| {
        query.update(|q| {
            q.bar = if q.bar.as_ref() == Some(&key) {
                None
            } else {
                Some(key.clone())
            };
            q.group = None;
        });
    };
    view! {
        <li>
            <button type="button" class="bar" style:--share=share aria-pressed=pressed(shown) on:click=toggle>
                <span class="bar-label">{label}</span>
                <span class="bar-count">{count_of(count, "device", "devices")}</span>
            </button>
        </li>
    }
}

/// The request log, folded: the latest [`LOG_SHOWN`] of the requests tallied, newest first.
#[component]
fn RequestLog(tallies: RwSignal<Tallies>, note: RwSignal<String>) -> impl IntoView {
    let run = AppContext::expect().run;
    let requests = move || tallies.with(|t| t.requests);
    // The request whose answer is shown below its row.
    let opened = RwSignal::new(None::<usize>);
    let rows = move || {
        let (count, open) = (requests(), opened.get());
        run.with_request_log_untracked(|log| {
            let end = count.min(log.len());
            (end.saturating_sub(LOG_SHOWN)..end)
                .rev()
                .map(|index| {
                    let open = open == Some(index);
                    view! { <LogRow index record=&log[index].record open opened note /> }
                })
                .collect_view()
        })
    };
    view! {
        <details>
            <summary>
                {move || format!("Request log ({})", count_of(requests(), "request", "requests"))}
            </summary>
            <p class="hint">"Latest first; the JSON download has every request."</p>
            <div class="log-wrap">
                <table class="request-log">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Batch"</th>
                            <th scope="col">"Try"</th>
                            <th scope="col">"Devices"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Took"</th>
                            <th scope="col">"Evidence"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

/// The request at `index` of the log: its row with Answer and Copy as cURL, and its answer
/// below it when `open` (Answer sets `opened` to it, or back to `None`).
#[component]
fn LogRow<'a>(
    index: usize,
    record: &'a RequestRecord,
    open: bool,
    opened: RwSignal<Option<usize>>,
    note: RwSignal<String>,
) -> impl IntoView {
    let run = AppContext::expect().run;
    let status = record
        .status
        .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
    let cells = [
        (index + 1).to_string(),
        (record.batch + 1).to_string(),
        record.attempt.to_string(),
        record.devices.to_string(),
        status,
        format_seconds(record.duration_ms),
    ];
    let toggle =
        move |_| opened.update(|o| *o = if *o == Some(index) { None } else { Some(index) });
    let copy_curl = move |_| {
        let command = run.with_request_log_untracked(|log| {
            log.get(index).map(|entry| {
                curl(
                    "PUT",
                    &crate::net::absolute(&entry.url),
                    &request_body(&entry.devices),
                )
            })
        });
        if let Some(command) = command {
            copy_text(
                command,
                note,
                "Copied the request as a cURL command (tokens as $THINGSPACE_BEARER_TOKEN and $THINGSPACE_SESSION_TOKEN).".to_owned(),
            );
        }
    };
    // Copied only when shown: an answer may hold 64 KB.
    let answer = open.then(|| {
        if record.cut {
            format!("{}\n… (cut at 64 KB)", record.answer)
        } else {
            record.answer.clone()
        }
    });
    view! {
        <tr>
            {cells.into_iter().map(|text| view! { <td>{text}</td> }).collect_view()}
            <td class="log-actions">
                <button type="button" aria-expanded=pressed(open) on:click=toggle>"Answer"</button>
                <button type="button" on:click=copy_curl>"Copy as cURL"</button>
            </td>
        </tr>
        {answer.map(|answer| view! {
            <tr class="answer">
                <td colspan="7"><pre>{answer}</pre></td>
            </tr>
        })}
    }
}
