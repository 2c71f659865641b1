//! The account the answer named, the counts per outcome, and how far the run has got.

use leptos::prelude::*;

use super::context::AppContext;
use crate::core::outcome::Summary;

#[component]
pub fn RunSummary() -> impl IntoView {
    let run = AppContext::expect().run;
    let counts = move || {
        run.summary.get().map(|s: Summary| {
            let mut items = vec![
                ("Total", s.total, "total"),
                ("Succeeded", s.succeeded, "succeeded"),
                ("Failed", s.failed, "failed"),
                ("No result", s.no_result, "no-result"),
            ];
            if s.error > 0 {
                items.push(("Error", s.error, "error"));
            }
            if s.not_sent > 0 {
                items.push(("Not sent", s.not_sent, "not-sent"));
            }
            if s.waiting > 0 {
                items.push(("Waiting", s.waiting, "waiting"));
            }
            items
                .into_iter()
                .map(|(term, n, class)| {
                    view! {
                        <div class=class>
                            <dt>{term}</dt>
                            <dd>{n}</dd>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    let progress = move || {
        let (done, total) = run.batches.get();
        run.running
            .get()
            .then(|| format!("Synchronizing… {done} of {total} requests answered"))
    };
    view! {
        <Show when=move || run.summary.with(Option::is_some)>
            <section class="summary" aria-label="Run summary">
                <Show when=move || run.account.with(Option::is_some)>
                    <p class="account">
                        "Account " <strong>{move || run.account.get().unwrap_or_default()}</strong>
                    </p>
                </Show>
                <dl aria-label="Summary">{counts}</dl>
                <p class="progress" role="status">{progress}</p>
            </section>
        </Show>
    }
}
