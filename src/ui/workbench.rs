//! The results workbench beside the table: outcomes grouped for triage (each group can be
//! shown, copied, downloaded and synced again), the firmware versions at a glance, and the
//! evidence for support (the request log, Copy as cURL, the JSON download).
//!
//! The tallies cover the whole result set; while a run goes they are worked out at most every
//! [`TALLY_EVERY_MS`], and at once when it ends.

use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::context::AppContext;
use super::copy::copy_text;
use super::download::save_text;
use super::run_controller::{LoggedRequest, RunController};
use crate::core::evidence::curl;
use crate::core::export::{csv_of, file_name};
use crate::core::firmware::{staleness, Staleness, VersionBar};
use crate::core::fota::request_body;
use crate::core::table_view::ViewQuery;
use crate::core::thousands;
use crate::core::time::format_seconds;
use crate::core::triage::{positions, Group};

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

    // The lists are drawn by hand, a click on any of their buttons handled once per list (the
    // button says what it does in data-action, and which item in data-i): a view per item
    // cost more of the bundle than the whole feature's logic.
    let (groups_list, bars_list, log_body) = (
        NodeRef::<html::Ul>::new(),
        NodeRef::<html::Ul>::new(),
        NodeRef::<html::Tbody>::new(),
    );
    let opened = RwSignal::new(None::<usize>);
    Effect::new(move || {
        let q = query.get();
        let (can_sync, open) = (!running.get() && !run.read_only(), opened.get());
        tallies.with(|t| {
            if let Some(ul) = groups_list.get() {
                draw_groups(&ul, &t.groups, &q, can_sync);
            }
            if let Some(ul) = bars_list.get() {
                draw_bars(&ul, &t.bars, &q);
            }
            if let Some(body) = log_body.get() {
                run.with_request_log_untracked(|log| draw_log(&body, log, t.requests, open));
            }
        });
    });
    let note = RwSignal::new(String::new());
    let group_at = move |ev: &leptos::ev::MouseEvent| {
        let (action, i) = clicked(ev)?;
        let key = tallies
            .with_untracked(|t| t.groups.get(i).map(|g| (g.key.clone(), g.label.clone())))?;
        Some((action, key))
    };
    let on_groups = move |ev: leptos::ev::MouseEvent| {
        let Some((action, (key, label))) = group_at(&ev) else {
            return;
        };
        let imeis = || {
            run.with_set_untracked(|set| {
                positions(set.outcomes(), &key)
                    .into_iter()
                    .map(|p| set.devices()[p])
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        };
        match action.as_str() {
            "show" => query.update(|q| {
                q.group = if q.group.as_ref() == Some(&key) {
                    None
                } else {
                    Some(key.clone())
                };
                q.bar = None;
            }),
            "copy" => {
                let imeis = imeis();
                let text: String = imeis.iter().map(|i| format!("{}\n", i.as_str())).collect();
                copy_text(
                    text,
                    note,
                    format!("Copied the {} IMEIs of “{label}”.", imeis.len()),
                );
            }
            "csv" => {
                let csv = run
                    .with_set_untracked(|set| {
                        csv_of(
                            set.devices(),
                            set.outcomes(),
                            &positions(set.outcomes(), &key),
                        )
                    })
                    .unwrap_or_default();
                let name = file_name(&run.requested_account(), js_sys::Date::now());
                let _ = save_text(&name, "text/csv;charset=utf-8", &csv);
            }
            _ => run.sync_again(imeis()),
        }
    };
    let on_bars = move |ev: leptos::ev::MouseEvent| {
        let Some((_, i)) = clicked(&ev) else { return };
        let Some(key) = tallies.with_untracked(|t| t.bars.get(i).map(|b| b.key.clone())) else {
            return;
        };
        query.update(|q| {
            q.bar = if q.bar.as_ref() == Some(&key) {
                None
            } else {
                Some(key)
            };
            q.group = None;
        });
    };
    let on_log = move |ev: leptos::ev::MouseEvent| {
        let Some((action, i)) = clicked(&ev) else {
            return;
        };
        if action == "answer" {
            opened.update(|o| *o = if *o == Some(i) { None } else { Some(i) });
            return;
        }
        let command = run.with_request_log_untracked(|log| {
            log.get(i).map(|entry| {
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
        <section class="workbench" aria-label="Workbench" hidden=move || set_id.get() == 0>
            <div class="panel triage">
                <h2 id="triage-heading">"Outcomes"</h2>
                <ul class="groups" aria-labelledby="triage-heading" node_ref=groups_list on:click=on_groups></ul>
            </div>
            <div class="panel versions">
                <h2 id="versions-heading">"Firmware versions"</h2>
                <ul class="bars" aria-labelledby="versions-heading" node_ref=bars_list on:click=on_bars></ul>
                <p class="stale-count">{stale}</p>
            </div>
            <div class="panel evidence">
                <h2>"Evidence for support"</h2>
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
                            <tbody node_ref=log_body on:click=on_log></tbody>
                        </table>
                    </div>
                </details>
            </div>
            <p class="hint workbench-note" aria-live="polite">{move || note.get()}</p>
        </section>
    }
}

/// The `data-action` and `data-i` of the button a click was on.
pub(crate) fn clicked(ev: &leptos::ev::MouseEvent) -> Option<(String, usize)> {
    let button = ev
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("button[data-i]")
        .ok()??;
    let i = button.get_attribute("data-i")?.parse().ok()?;
    Some((button.get_attribute("data-action").unwrap_or_default(), i))
}

pub(crate) fn el(name: &str, class: &str, text: &str) -> Element {
    let e = document()
        .create_element(name)
        .expect("the document creates elements");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    e
}

pub(crate) fn button(text: &str, action: &str, i: usize, pressed: Option<bool>) -> Element {
    let b = el("button", "", text);
    let _ = b.set_attribute("type", "button");
    let _ = b.set_attribute("data-action", action);
    let _ = b.set_attribute("data-i", &i.to_string());
    if let Some(p) = pressed {
        let _ = b.set_attribute("aria-pressed", if p { "true" } else { "false" });
    }
    b
}

pub(crate) fn clear(parent: &Element) {
    parent.set_text_content(None);
}

/// One item per group: its label and count, and Show, Copy IMEIs, Download CSV, Sync again.
fn draw_groups(ul: &Element, groups: &[Group], q: &ViewQuery, can_sync: bool) {
    clear(ul);
    for (i, g) in groups.iter().enumerate() {
        let li = el("li", g.key.css_class(), "");
        let _ = li.append_child(&el("span", "group-label", &g.label));
        let _ = li.append_child(&el("span", "group-count", &thousands(g.count)));
        let actions = el("span", "group-actions", "");
        let _ = actions.set_attribute("role", "group");
        let _ = actions.set_attribute("aria-label", &g.label);
        let shown = q.group.as_ref() == Some(&g.key);
        for b in [
            button("Show", "show", i, Some(shown)),
            button("Copy IMEIs", "copy", i, None),
            button("Download CSV", "csv", i, None),
            button("Sync again", "sync", i, None),
        ] {
            let _ = actions.append_child(&b);
        }
        if !can_sync {
            if let Some(last) = actions.last_element_child() {
                let _ = last.set_attribute("disabled", "");
            }
        }
        let _ = li.append_child(&actions);
        let _ = ul.append_child(&li);
    }
}

/// One bar per version: a button whose background shows its share of the longest bar.
fn draw_bars(ul: &Element, bars: &[VersionBar], q: &ViewQuery) {
    clear(ul);
    if bars.is_empty() {
        let _ = ul.append_child(&el("li", "hint", "No device has reported a version yet."));
        return;
    }
    let most = bars.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let li = el("li", "", "");
        let b = button("", "bar", i, Some(q.bar.as_ref() == Some(&bar.key)));
        b.set_class_name("bar");
        // Whole percents of the longest bar: the CSS width needs no float formatting.
        let share = (bar.count * 100).div_ceil(most);
        let _ = b
            .unchecked_ref::<web_sys::HtmlElement>()
            .style()
            .set_property("--share", &share.to_string());
        let devices = if bar.count == 1 { "device" } else { "devices" };
        let _ = b.append_child(&el("span", "bar-label", &bar.label));
        let _ = b.append_child(&el(
            "span",
            "bar-count",
            &format!("{} {devices}", thousands(bar.count)),
        ));
        let _ = li.append_child(&b);
        let _ = ul.append_child(&li);
    }
}

/// The latest requests, newest first, each with Answer and Copy as cURL; the answer of `open`
/// below its row.
fn draw_log(body: &Element, log: &[LoggedRequest], count: usize, open: Option<usize>) {
    clear(body);
    let end = count.min(log.len());
    for index in (end.saturating_sub(LOG_SHOWN)..end).rev() {
        let r = &log[index].record;
        let tr = el("tr", "", "");
        let status = r
            .status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        for text in [
            (index + 1).to_string(),
            (r.batch + 1).to_string(),
            r.attempt.to_string(),
            r.devices.to_string(),
            status,
            format_seconds(r.duration_ms),
        ] {
            let _ = tr.append_child(&el("td", "", &text));
        }
        let actions = el("td", "log-actions", "");
        let answer = button("Answer", "answer", index, None);
        let _ = answer.set_attribute(
            "aria-expanded",
            if open == Some(index) { "true" } else { "false" },
        );
        let _ = actions.append_child(&answer);
        let _ = actions.append_child(&button("Copy as cURL", "curl", index, None));
        let _ = tr.append_child(&actions);
        let _ = body.append_child(&tr);
        if open == Some(index) {
            let row = el("tr", "answer", "");
            let cell = el("td", "", "");
            let _ = cell.set_attribute("colspan", "7");
            let text = if r.cut {
                format!("{}\n… (cut at 64 KB)", r.answer)
            } else {
                r.answer.clone()
            };
            let _ = cell.append_child(&el("pre", "", &text));
            let _ = row.append_child(&cell);
            let _ = body.append_child(&row);
        }
    }
}
