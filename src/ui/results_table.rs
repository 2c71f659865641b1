//! The per-device results, one row per device of the run, in input order.
//!
//! The table is windowed: only the rows in view (and a few either side) are in the DOM, with a
//! spacer row above and below standing in for the rest. A 10,000-device run changes a hundred
//! rows per answer; with every row in the DOM, each change laid the whole table out again and
//! the page stopped answering for seconds. Screen readers still learn the full size of the table
//! from `aria-rowcount` and each row's place from `aria-rowindex`; every row, in view or not, is
//! in the CSV export.

use chrono::Local;
use leptos::html;
use leptos::prelude::*;

use super::context::AppContext;
use super::run_view::RowView;
use crate::core::outcome::Outcome;
use crate::core::window::Window;

/// Row height assumed until a row has been measured (px).
const GUESS_ROW_PX: f64 = 34.0;

#[component]
pub fn ResultsTable() -> impl IntoView {
    let run = AppContext::expect().run;
    let has_rows = move || run.rows.with(|r| !r.is_empty());
    view! {
        <Show when=has_rows>
            <WindowedTable />
        </Show>
    }
}

#[component]
fn WindowedTable() -> impl IntoView {
    let run = AppContext::expect().run;
    let wrap = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let view_height = RwSignal::new(viewport_height());
    // Every row is given the height of the first one measured, rounded up to whole pixels, so
    // that the spacers stand in for exactly as many rows as they replace.
    let row_px = RwSignal::new(None::<f64>);

    let total = move || run.rows.with(Vec::len);
    let window = Memo::new(move |_| {
        Window::of(
            total(),
            scroll_top.get(),
            view_height.get(),
            row_px.get().unwrap_or(GUESS_ROW_PX),
        )
    });
    let visible = move || {
        let w = window.get();
        run.rows.with(|rows| rows[w.start..w.end].to_vec())
    };
    let row_height = move || row_px.get().map(|px| format!("{px}px"));
    let spacer = move |px: f64| (px > 0.0).then(|| format!("{px}px"));
    let top = move || {
        let w = window.get();
        spacer(w.start as f64 * row_px.get().unwrap_or(GUESS_ROW_PX))
    };
    let bottom = move || {
        let w = window.get();
        spacer((w.total - w.end) as f64 * row_px.get().unwrap_or(GUESS_ROW_PX))
    };

    // A new run starts at its first row.
    Effect::new(move |previous: Option<u64>| {
        let id = run.rows.with(|rows| rows.first().map_or(0, |r| r.run));
        if previous.is_some_and(|p| p != id) {
            if let Some(wrap) = wrap.get_untracked() {
                wrap.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
        id
    });
    // Measure a row once the first ones are in the DOM, in the next frame, where the browser
    // lays the page out anyway, rather than forcing a layout in the task that added them.
    Effect::new(move || {
        window.track();
        if row_px.get_untracked().is_some() {
            return;
        }
        request_animation_frame(move || {
            // The table may be gone by then (a run with no rows replaced it).
            let Some(Some(wrap)) = wrap.try_get_untracked() else { return };
            if let Ok(Some(row)) = wrap.query_selector("tbody tr.row") {
                let height = row.get_bounding_client_rect().height().ceil();
                if height > 0.0 && row_px.try_get_untracked().flatten().is_none() {
                    row_px.try_set(Some(height));
                }
            }
        });
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| {
        view_height.set(viewport_height());
    });
    on_cleanup(move || resize.remove());

    let on_scroll = move |_| {
        if let Some(wrap) = wrap.get_untracked() {
            scroll_top.set(f64::from(wrap.scroll_top()));
        }
    };
    view! {
        <div class="table-wrap" node_ref=wrap on:scroll=on_scroll>
            <table class="results" aria-rowcount=move || total() + 1>
                <caption class="visually-hidden">"Firmware per device"</caption>
                <thead>
                    <tr aria-rowindex="1">
                        <th scope="col">"IMEI"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Firmware version"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    <Show when=move || top().is_some()>
                        <tr class="spacer" aria-hidden="true" style:height=top>
                            <td colspan="5"></td>
                        </tr>
                    </Show>
                    <For each=visible key=|row| (row.run, row.position) let:row>
                        <ResultRow row=row height=Signal::derive(row_height) />
                    </For>
                    <Show when=move || bottom().is_some()>
                        <tr class="spacer" aria-hidden="true" style:height=bottom>
                            <td colspan="5"></td>
                        </tr>
                    </Show>
                </tbody>
            </table>
        </div>
    }
}

/// The height of the browser's viewport: the table's scroll area is never taller.
fn viewport_height() -> f64 {
    window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(800.0)
}

/// One device. The cells are rebuilt when its outcome changes (once or twice per run).
#[component]
fn ResultRow(row: RowView, height: Signal<Option<String>>) -> impl IntoView {
    let outcome = row.outcome;
    let class = outcome.clone();
    let stripe = if row.position % 2 == 1 { " alt" } else { "" };
    view! {
        <tr
            class=move || format!("row {}{stripe}", class.with(Outcome::css_class))
            aria-rowindex=row.position + 2
            style:height=height
        >
            <td class="imei">{row.imei.to_string()}</td>
            {move || {
                outcome.with(|o| {
                    let report = o.report();
                    let (updated, utc) = report
                        .map(|r| r.updated.display_in(&Local))
                        .unwrap_or_default();
                    let reason = o.reason_text();
                    view! {
                        <td class="status">{o.status_text().to_owned()}</td>
                        <td class="reason" title=reason.to_owned()>{reason.to_owned()}</td>
                        <td class="firmware">
                            {report.map(|r| r.firmware_version.clone()).unwrap_or_default()}
                        </td>
                        <td class="updated">
                            <time title=utc>{updated}</time>
                        </td>
                    }
                })
            }}
        </tr>
    }
}
