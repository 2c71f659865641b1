//! The per-device results, one row per device of the run, in input order.

use chrono::Local;
use leptos::prelude::*;

use super::context::AppContext;
use super::run_view::RowView;
use crate::core::outcome::Outcome;

#[component]
pub fn ResultsTable() -> impl IntoView {
    let run = AppContext::expect().run;
    let has_rows = move || run.rows.with(|r| !r.is_empty());
    view! {
        <Show when=has_rows>
            <div class="table-wrap">
                <table class="results">
                    <caption class="visually-hidden">"Firmware per device"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"IMEI"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col">"Firmware version"</th>
                            <th scope="col">"Updated"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || run.shown_rows() key=|row| (row.run, row.position) let:row>
                            <ResultRow row=row />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

/// One device. The whole row is rebuilt when its outcome changes (once or twice per run), which
/// keeps the reactive cost per row low enough to create 10,000 of them quickly.
#[component]
fn ResultRow(row: RowView) -> impl IntoView {
    let outcome = row.outcome;
    let class = outcome.clone();
    view! {
        <tr class=move || class.with(Outcome::css_class)>
            <td class="imei">{row.imei.to_string()}</td>
            {move || {
                outcome.with(|o| {
                    let report = o.report();
                    let (updated, utc) = report
                        .map(|r| r.updated.display_in(&Local))
                        .unwrap_or_default();
                    view! {
                        <td class="status">{o.status_text().to_owned()}</td>
                        <td class="reason">{o.reason_text().to_owned()}</td>
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
