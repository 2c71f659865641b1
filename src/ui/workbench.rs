//! The results workbench beside the table: outcomes grouped for triage (each group can be
//! shown, copied, downloaded and synced again), the firmware versions at a glance, and the
//! evidence for support (the request log, Copy as cURL, the JSON download).
//!
//! The tallies cover the whole result set; while a run goes they are worked out at most every
//! [`TALLY_EVERY_MS`], and at once when it ends.

use std::time::Duration;

use leptos::prelude::*;

use super::context::AppContext;
use super::download::save_text;
use super::results_table::copy_text;
use super::run_controller::RunController;
use crate::core::evidence::{curl, result_json, JsonExport};
use crate::core::export::{csv_of, file_name, json_file_name};
use crate::core::firmware::{staleness, versions, Staleness, VersionBar, VersionKey};
use crate::core::table_view::ViewQuery;
use crate::core::thousands;
use crate::core::time::format_seconds;
use crate::core::triage::{groups, positions, Group, GroupKey};

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
        .with_set(|set| Tallies {
            groups: groups(set.outcomes()),
            bars: versions(set.outcomes(), TOP_VERSIONS),
            stale: staleness(set.outcomes(), js_sys::Date::now(), stale_after_days),
            requests: 0,
        })
        .unwrap_or_default();
    t.requests = run.with_request_log(<[_]>::len);
    t
}

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
                    last.try_set_value(js_sys::Date::now());
                    tallies.try_set(tally(run, stale_after_days));
                },
                Duration::from_millis(wait.ceil() as u64),
            );
        }
    });
    // A new result set: filters of the old one no longer apply.
    let set_id = Memo::new(move |_| run.set_id());
    Effect::new(move |previous: Option<u64>| {
        let id = set_id.get();
        if previous.is_some_and(|p| p != id) {
            query.update(|q| {
                q.group = None;
                q.bar = None;
            });
        }
        id
    });
    view! {
        <Show when=move || set_id.get() != 0>
            <section class="workbench" aria-label="Workbench">
                <Triage tallies query />
                <Versions tallies query stale_after_days />
                <Evidence tallies />
            </section>
        </Show>
    }
}

/// The outcomes grouped by kind and by the server's words, largest first.
#[component]
fn Triage(tallies: RwSignal<Tallies>, query: RwSignal<ViewQuery>) -> impl IntoView {
    let context = AppContext::expect();
    let run = context.run;
    let note = RwSignal::new(String::new());
    let running = Memo::new(move |_| run.running());
    let imeis_of = move |key: &GroupKey<'static>| {
        run.with_set(|set| {
            positions(set.outcomes(), key)
                .into_iter()
                .map(|p| set.devices()[p])
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let rows = move || {
        tallies.with(|t| t.groups.clone()).into_iter().map(|group| {
            let Group { key, label, count } = group;
            let shown_key = key.clone();
            let is_shown = move || query.with(|q| q.group.as_ref() == Some(&shown_key));
            let (for_show, for_copy, for_csv, for_sync) = (key.clone(), key.clone(), key.clone(), key.clone());
            let copy_label = label.clone();
            let show = move |_| {
                let key = for_show.clone();
                query.update(|q| {
                    q.group = if q.group.as_ref() == Some(&key) { None } else { Some(key) };
                    q.bar = None;
                });
            };
            let copy = move |_| {
                let imeis = imeis_of(&for_copy);
                let text: String = imeis.iter().map(|i| format!("{}\n", i.as_str())).collect();
                copy_text(text, note, format!("Copied the {} IMEIs of “{copy_label}”.", imeis.len()));
            };
            let download = move |_| {
                let csv = run
                    .with_set(|set| csv_of(set.devices(), set.outcomes(), &positions(set.outcomes(), &for_csv)))
                    .unwrap_or_default();
                let name = file_name(&run.requested_account(), js_sys::Date::now());
                let _ = save_text(&name, "text/csv;charset=utf-8", &csv);
            };
            let sync_again = move |_| {
                let imeis = imeis_of(&for_sync);
                context.sync_again.with_value(|again| {
                    if let Some(again) = again {
                        again(imeis);
                    }
                });
            };
            view! {
                <li class=key.css_class()>
                    <span class="group-label">{label.clone()}</span>
                    <span class="group-count">{thousands(count)}</span>
                    <span class="group-actions" role="group" aria-label=label.clone()>
                        <button type="button" aria-pressed=move || is_shown().to_string() on:click=show>
                            "Show"
                        </button>
                        <button type="button" on:click=copy>"Copy IMEIs"</button>
                        <button type="button" on:click=download>"Download CSV"</button>
                        <button type="button" disabled=move || running.get() on:click=sync_again>
                            "Sync again"
                        </button>
                    </span>
                </li>
            }
        }).collect_view()
    };
    view! {
        <div class="panel triage">
            <h2 id="triage-heading">"Outcomes"</h2>
            <ul class="groups" aria-labelledby="triage-heading">{rows}</ul>
            <p class="hint" aria-live="polite">{move || note.get()}</p>
        </div>
    }
}

/// Devices per firmware version among the successes, as bars that filter the table.
#[component]
fn Versions(
    tallies: RwSignal<Tallies>,
    query: RwSignal<ViewQuery>,
    stale_after_days: u32,
) -> impl IntoView {
    let bars = move || {
        let bars = tallies.with(|t| t.bars.clone());
        let most = bars.iter().map(|b| b.count).max().unwrap_or(1).max(1);
        bars.into_iter()
            .map(|bar| {
                let VersionBar { key, label, count } = bar;
                // Whole percents of the longest bar: the CSS width needs no float formatting.
                let share = (count * 100).div_ceil(most);
                let shown_key = key.clone();
                let is_shown = move || query.with(|q| q.bar.as_ref() == Some(&shown_key));
                let choose = move |_| {
                    let key: VersionKey = key.clone();
                    query.update(|q| {
                        q.bar = if q.bar.as_ref() == Some(&key) { None } else { Some(key) };
                        q.group = None;
                    });
                };
                let devices = if count == 1 { "device" } else { "devices" };
                view! {
                    <li>
                        <button
                            type="button"
                            class="bar"
                            aria-pressed=move || is_shown().to_string()
                            style:--share=share.to_string()
                            on:click=choose
                        >
                            <span class="bar-label">{label}</span>
                            <span class="bar-count">{format!("{} {devices}", thousands(count))}</span>
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let stale = move || {
        let Staleness { stale, .. } = tallies.with(|t| t.stale);
        (stale_after_days > 0).then(|| {
            format!(
                "{} of the successful devices have firmware last updated more than {stale_after_days} days ago (marked in the table).",
                thousands(stale)
            )
        })
    };
    view! {
        <div class="panel versions">
            <h2 id="versions-heading">"Firmware versions"</h2>
            <Show
                when=move || tallies.with(|t| !t.bars.is_empty())
                fallback=|| view! { <p class="hint">"No device has reported a version yet."</p> }
            >
                <ul class="bars" aria-labelledby="versions-heading">{bars}</ul>
            </Show>
            <p class="stale-count">{stale}</p>
        </div>
    }
}

/// The request log with each answer as the server sent it, Copy as cURL, and the JSON download.
#[component]
fn Evidence(tallies: RwSignal<Tallies>) -> impl IntoView {
    let context = AppContext::expect();
    let run = context.run;
    let note = RwSignal::new(String::new());
    let opened = RwSignal::new(None::<usize>);
    let entries = move || {
        let count = tallies.with(|t| t.requests);
        run.with_request_log(|log| {
            let from = count.min(log.len()).saturating_sub(LOG_SHOWN);
            log[from..count.min(log.len())]
                .iter()
                .enumerate()
                .rev()
                .map(|(k, entry)| {
                    let index = from + k;
                    let r = &entry.record;
                    let status = r.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
                    let answer = if r.cut {
                        format!("{}\n… (cut at 64 KB)", r.answer)
                    } else {
                        r.answer.clone()
                    };
                    let command = curl("PUT", &absolute(&entry.url), &crate::core::fota::request_body(&entry.devices));
                    let copy = move |_| copy_text(command.clone(), note, "Copied the request as a cURL command (tokens as $THINGSPACE_BEARER_TOKEN and $THINGSPACE_SESSION_TOKEN).".to_owned());
                    let toggle = move |_| opened.update(|o| *o = if *o == Some(index) { None } else { Some(index) });
                    view! {
                        <tr>
                            <td>{index + 1}</td>
                            <td>{r.batch + 1}</td>
                            <td>{r.attempt}</td>
                            <td>{r.devices}</td>
                            <td class="status">{status}</td>
                            <td>{format_seconds(r.duration_ms)}</td>
                            <td class="log-actions">
                                <button type="button" aria-expanded=move || (opened.get() == Some(index)).to_string() on:click=toggle>
                                    "Answer"
                                </button>
                                <button type="button" on:click=copy>"Copy as cURL"</button>
                            </td>
                        </tr>
                        <Show when=move || opened.get() == Some(index)>
                            <tr class="answer">
                                <td colspan="7"><pre>{answer.clone()}</pre></td>
                            </tr>
                        </Show>
                    }
                })
                .collect_view()
        })
    };
    let download_json = move |_| {
        let (account, url) = run.request_target().unwrap_or_default();
        let config = context.config.with_value(|c| c.config.clone());
        let now = js_sys::Date::now();
        let json = run.with_request_log(|log| {
            let records: Vec<_> = log.iter().map(|l| l.record.clone()).collect();
            run.with_set(|set| {
                result_json(&JsonExport {
                    account: &account,
                    api_base_url: &url,
                    run: config.run,
                    request_timeout_ms: config.request_timeout_ms,
                    exported_at_ms: now,
                    devices: set.devices(),
                    outcomes: set.outcomes(),
                    requests_per_device: set.requests(),
                    requests: &records,
                })
            })
        });
        if let Some(json) = json {
            let _ = save_text(&json_file_name(&account, now), "application/json", &json);
        }
    };
    view! {
        <div class="panel evidence">
            <h2>"Evidence for support"</h2>
            <div class="summary-actions">
                <button type="button" on:click=download_json>"Download JSON"</button>
                <span class="hint">"Settings (no tokens), every device with its outcome and requests, and the request log."</span>
            </div>
            <details>
                <summary>{move || format!("Request log ({} requests)", thousands(tallies.with(|t| t.requests)))}</summary>
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
                        <tbody>{entries}</tbody>
                    </table>
                </div>
            </details>
            <p class="hint" aria-live="polite">{move || note.get()}</p>
        </div>
    }
}

/// `url` as the browser resolves it against the page: what a shell needs.
fn absolute(url: &str) -> String {
    document()
        .base_uri()
        .ok()
        .flatten()
        .and_then(|base| web_sys::Url::new_with_base(url, &base).ok())
        .map_or_else(|| url.to_owned(), |u| u.href())
}
