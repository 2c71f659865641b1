//! The per-device results, one row per device of the run, in input order.

use chrono::Local;
use leptos::prelude::*;

use super::context::AppContext;
use super::run_view::RowView;

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
                        <For each=move || run.rows.get() key=|row| row.position let:row>
                            <ResultRow row=row />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn ResultRow(row: RowView) -> impl IntoView {
    let outcome = row.outcome;
    let updated = Memo::new(move |_| {
        outcome.with(|o| {
            o.report()
                .map(|r| r.updated.display_in(&Local))
                .unwrap_or_default()
        })
    });
    view! {
        <tr class=move || outcome.with(|o| o.css_class())>
            <td class="imei">{row.imei.to_string()}</td>
            <td class="status">{move || outcome.with(|o| o.status_text().to_owned())}</td>
            <td class="reason">{move || outcome.with(|o| o.reason_text().to_owned())}</td>
            <td class="firmware">
                {move || {
                    outcome.with(|o| o.report().map(|r| r.firmware_version.clone()).unwrap_or_default())
                }}
            </td>
            <td class="updated">
                <time title=move || updated.with(|u| u.1.clone())>{move || updated.with(|u| u.0.clone())}</time>
            </td>
        </tr>
    }
}
