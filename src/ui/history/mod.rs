//! Runs that survive: the result set on screen is saved in IndexedDB while its run goes
//! ([`autosave`]), an interrupted run is offered for Resume at the next start ([`resume`]),
//! finished sets are kept as a history (`historyLimit` of them) to open, delete ([`list`]) and
//! compare ([`comparison`]). With `historyLimit: 0` nothing here runs: the database is never
//! opened.

mod autosave;
mod comparison;
mod list;
mod other_tabs;
mod resume;

use std::rc::Rc;

use chrono::{DateTime, Local};
use leptos::prelude::*;

use self::comparison::{ComparedSignal, ComparisonPanel};
use self::list::StoredRunList;
use self::other_tabs::OtherTabs;
use self::resume::ResumeOffer;
use super::context::AppContext;
use super::stored_runs::StoredRuns;
use crate::core::table_view::ViewQuery;
use crate::core::time::format_datetime;

/// `2026-11-30 10:42:07`, local time.
fn local_time(ms: f64) -> String {
    DateTime::from_timestamp_millis(ms as i64)
        .map(|t| format_datetime(&t.with_timezone(&Local).naive_local()))
        .unwrap_or_default()
}

/// A button of the section: its label, what a click does, a toggle's state (`aria-pressed`)
/// and its look.
struct Act {
    label: String,
    act: Rc<dyn Fn()>,
    pressed: Option<bool>,
    class: Option<&'static str>,
}

impl Act {
    fn new(label: impl Into<String>, act: impl Fn() + 'static) -> Act {
        Act {
            label: label.into(),
            act: Rc::new(act),
            pressed: None,
            class: None,
        }
    }

    fn pressed(self, pressed: bool) -> Act {
        let pressed = Some(pressed);
        Act { pressed, ..self }
    }

    fn primary(self) -> Act {
        let class = Some("primary");
        Act { class, ..self }
    }
}

/// The buttons of `acts`, in order: every button of the section is drawn here, so that they
/// share one drawing.
fn buttons(acts: Vec<Act>) -> impl IntoView {
    acts.into_iter()
        .map(
            |Act {
                 label,
                 act,
                 pressed,
                 class,
             }| {
                view! {
                    <button
                        type="button"
                        class=class
                        aria-pressed=pressed.map(|p| p.to_string())
                        on:click=move |_| act()
                    >
                        {label}
                    </button>
                }
            },
        )
        .collect_view()
}

/// An item of the history or of a comparison: what it says, then its buttons.
#[component]
fn Line(text: String, acts: Vec<Act>) -> impl IntoView {
    view! {
        <li>
            <span>{text}</span>
            {buttons(acts)}
        </li>
    }
}

/// The stored runs' section: its note, the resume offer, what a stored set on screen is, the
/// history and a comparison. `query`: the table's, which a comparison group may filter.
#[component]
pub fn History(query: RwSignal<ViewQuery>) -> impl IntoView {
    let context = AppContext::expect();
    let limit = context.config.get_value().config.history_limit as usize;
    let run = context.run;
    let store = StoredRuns::new(limit);
    autosave::keep_saved(run, store);
    let others = OtherTabs::watch(run, store);
    let compared: ComparedSignal = RwSignal::new_local(None);
    let note = store.note;

    let read_only = move || {
        let from = run.times().map(|t| local_time(t.0)).unwrap_or_default();
        format!("A stored run from {from}, read-only: export it or compare it; Synchronize starts a new one.")
    };
    view! {
        <section class="history" aria-label="Stored runs" hidden=limit == 0>
            <p class="store-note" role="status">
                {move || note.with(|n| (!n.is_empty()).then(|| n.clone()))}
            </p>
            <ResumeOffer store others />
            <p class="read-only" hidden=move || !run.read_only()>
                {move || run.read_only().then(read_only)}
            </p>
            <details>
                <summary>{move || format!("History ({})", store.finished().len())}</summary>
                <p class="hint">
                    {format!("Kept in this browser only (IndexedDB), never with tokens: the newest {limit} finished runs.")}
                </p>
                <StoredRunList run store compared />
            </details>
            <ComparisonPanel run compared query note />
        </section>
    }
}
