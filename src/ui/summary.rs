//! The account the answer named, the counts per outcome, and how far the run has got.

use leptos::prelude::*;

use super::context::AppContext;
use super::context::LoadedConfig;
use super::download::save_text;
use super::notify;
use super::run_controller::RunController;
use crate::core::announce::{paused_line, tab_title, Announcer, EndNotifier, RunEnd};
use crate::core::evidence::{result_json, JsonExport};
use crate::core::export::{file_name, json_file_name};
use crate::core::outcome::{CountName, OutcomeKind, Summary};
use crate::core::run::Progress;

use crate::core::time::format_seconds as seconds;

/// "120 of 250 devices · 2 requests in flight · 1 retry · 3.2 s elapsed · about 4.1 s left",
/// with the adaptive `pace` after the requests in flight while the run goes, or, paused by a
/// token error, "Paused for new tokens · 120 of 250 devices · …".
fn progress_text(
    p: &Progress,
    elapsed_ms: f64,
    ended: bool,
    paused: bool,
    pace: Option<String>,
) -> String {
    let mut parts = vec![format!(
        "{} of {} {}",
        p.done,
        p.total,
        if p.total == 1 { "device" } else { "devices" }
    )];
    if paused && !ended {
        parts.insert(0, "Paused for new tokens".to_owned());
    } else if !ended {
        parts.push(match p.in_flight {
            1 => "1 request in flight".to_owned(),
            n => format!("{n} requests in flight"),
        });
        parts.extend(pace);
    }
    parts.push(match p.retries {
        1 => "1 retry".to_owned(),
        n => format!("{n} retries"),
    });
    if ended {
        parts.push(format!("finished in {}", seconds(elapsed_ms)));
    } else {
        parts.push(format!("{} elapsed", seconds(elapsed_ms)));
        if let Some(left) = p.remaining_ms(elapsed_ms).filter(|_| !paused) {
            parts.push(format!("about {} left", seconds(left)));
        }
    }
    parts.join(" · ")
}

/// Whether the summary shows the count `name` when it is 0: the total, succeeded, failed and
/// no result always; errors, devices not sent and waiting ones only when there are some.
fn always_shown(name: CountName) -> bool {
    !matches!(
        name,
        CountName::Of(OutcomeKind::Error | OutcomeKind::NotSent | OutcomeKind::Waiting)
    )
}

#[component]
pub fn RunSummary() -> impl IntoView {
    let run = AppContext::expect().run;
    let counts = move || {
        run.summary().map(|s: Summary| {
            s.entries()
                .into_iter()
                .filter(|&(name, n)| n > 0 || always_shown(name))
                .map(|(name, n)| {
                    view! {
                        <div class=name.css_class()>
                            <dt>{name.label()}</dt>
                            <dd>{n}</dd>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    let progress = move || {
        let p = run.progress();
        let (started, ended) = run.times().unwrap_or_default();
        let elapsed = ended.unwrap_or_else(js_sys::Date::now) - started;
        let pace = run.pace().map(|pace| pace.text());
        progress_text(&p, elapsed, ended.is_some(), run.paused().is_some(), pace)
    };
    // What a screen reader hears: a line when one is due (core::announce), in a polite region of
    // its own; set only when the line is new, so nothing is read twice.
    let announcement = RwSignal::new(String::new());
    let announcer = StoredValue::new(Announcer::default());
    // The desktop notification, for a long run that stops while the tab is hidden (opted in).
    let notify_on = RwSignal::new(false);
    const NOTIFY_HINT: &str =
        "When a run of over a minute ends or pauses while this tab is hidden.";
    let notify_note = RwSignal::new(NOTIFY_HINT.to_owned());
    let notifier = StoredValue::new(EndNotifier::default());
    Effect::new(move || {
        let (id, progress, times) = (run.run_id(), run.progress(), run.times());
        let summary = run.summary().unwrap_or_default();
        let end = times
            .and_then(|(_, ended)| ended)
            .map(|_| (RunEnd::of(&summary, run.error().is_some()), &summary));
        let line = announcer
            .try_update_value(|a| a.next(id, js_sys::Date::now(), &progress, end))
            .flatten();
        // The tab's title follows the run, for whoever looks at another tab meanwhile.
        let paused = run.paused().is_some();
        let title = tab_title(times.map(|_| &progress), paused, end);
        let document = document();
        if document.title() != title {
            document.set_title(&title);
        }
        let lasted = times.map_or(0.0, |(started, ended)| {
            ended.unwrap_or_else(js_sys::Date::now) - started
        });
        let due = notifier
            .try_update_value(|n| n.next(id, lasted, paused || end.is_some()))
            .unwrap_or(false);
        if due && document.hidden() && notify_on.get_untracked() {
            // At the end, the line just announced; on a pause, none is.
            let body = line.clone().filter(|_| end.is_some());
            notify::show(&title, &body.unwrap_or_else(|| paused_line(&progress)));
        }
        if let Some(line) = line {
            announcement.set(line);
        }
    });
    let on_notify = move |ev| {
        if !event_target_checked(&ev) {
            notify_on.set(false);
            return;
        }
        leptos::task::spawn_local(async move {
            let granted = notify::ask().await;
            notify_on.set(granted);
            notify_note.set(
                if granted {
                    NOTIFY_HINT
                } else {
                    "Notifications are off: this browser, its settings or the portal's frame refuse them."
                }
                .to_owned(),
            );
        });
    };
    let total = Memo::new(move |_| run.progress().total);
    let done = Memo::new(move |_| run.progress().done);
    let account = Memo::new(move |_| run.answered_account());
    let config = AppContext::expect().config;
    let download = move |_| {
        let name = file_name(&untrack(|| run.requested_account()), js_sys::Date::now());
        // Creating a Blob and a link cannot fail in a browser that runs the app.
        let _ = save_text(&name, "text/csv;charset=utf-8", &run.csv());
    };
    view! {
        <p id="run-announcer" class="visually-hidden" role="status">{move || announcement.get()}</p>
        <Show when=move || run.run_id() != 0>
            <section class="summary" aria-label="Run summary">
                <Show when=move || account.with(Option::is_some)>
                    <p class="account">
                        "Account " <strong>{move || account.get().unwrap_or_default()}</strong>
                    </p>
                </Show>
                <dl aria-label="Summary">{counts}</dl>
                <progress
                    aria-label="Run progress"
                    max=move || total.get().max(1)
                    value=move || done.get()
                ></progress>
                // Changes every frame: seen, not announced (see #run-announcer).
                <p class="progress">{progress}</p>
                <p class="summary-actions">
                    <label>
                        <input
                            type="checkbox"
                            prop:checked=move || notify_on.get()
                            on:change=on_notify
                        />
                        " Notify me when a long run ends"
                    </label>
                    <span class="hint">{move || notify_note.get()}</span>
                </p>
                <div class="summary-actions">
                    <button type="button" on:click=download>"Download CSV"</button>
                    <span class="hint">"Every device and its outcome, for a spreadsheet."</span>
                </div>
                <div class="summary-actions">
                    <button type="button" on:click=move |_| download_json(run, config)>
                        "Download JSON"
                    </button>
                    <span class="hint">
                        "For support: the settings (never the tokens), every device with its outcome and requests, and each request with the server's answer."
                    </span>
                </div>
            </section>
        </Show>
    }
}

/// Saves the whole result set as JSON (`core::evidence::result_json`; docs/USING.md, "Download
/// JSON").
fn download_json(run: RunController, config: StoredValue<LoadedConfig>) {
    let (account, url) = run.request_target_untracked().unwrap_or_default();
    let config = config.with_value(|c| c.config.clone());
    let now = js_sys::Date::now();
    let json = run.with_request_log_untracked(|log| {
        let records: Vec<_> = log.iter().map(|l| l.record.clone()).collect();
        run.with_set_untracked(|set| {
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
        // Creating a Blob and a link cannot fail in a browser that runs the app.
        let _ = save_text(&json_file_name(&account, now), "application/json", &json);
    }
}
