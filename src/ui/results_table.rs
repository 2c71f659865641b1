//! The per-device results: one row per device of the run, in input order, every row in the
//! table (find in page, select and copy work on all of them).
//!
//! A run of 10,000 devices changes a hundred rows per answer. The rows are therefore drawn by
//! hand rather than as a reactive view each: a row is a clone of one prototype `<tr>`, and an
//! answer rewrites the text of its own rows only (as text, never as HTML). Laid out as a CSS
//! table, each change made the browser lay the whole table out again; so the rows are grids, in
//! `<tbody>` groups of [`GROUP_ROWS`] that the browser lays out and paints only near the view
//! (`content-visibility: auto`, style/main.css). Explicit roles keep the table a table for
//! assistive technology whatever its CSS display.
//!
//! Measured against the alternative (issue 10): a keyed `<For>` of reactive rows (a trigger per
//! row, each cell a reactive text), on the same grid CSS, with `bash .ci/bench`'s 10,000-device
//! run (median of 3, 2026-11-30, same machine and emulator):
//!
//! | | hand-drawn rows | reactive `<For>` rows |
//! | --- | --- | --- |
//! | Synchronize → "finished in" | 1482 ms | 1678 ms |
//! | Synchronize → first request | 5 ms | 288 ms |
//! | longest main-thread task | none over 50 ms | 312 ms |
//! | Synchronize → 10,000 rows in the DOM | 320 ms | 289 ms |
//! | wasm, brotli | 153,874 bytes | 157,464 bytes |
//!
//! The reactive rows build all 10,000 rows in one task before the first request goes out, and
//! freeze the page for a third of a second; spreading them over frames would mean a windowed or
//! staged `<For>`, which is what this module does by hand in fewer bytes. Hand-drawn rows stay.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::Local;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::context::AppContext;
use super::run_controller::RunController;
use crate::core::columns::{Field, COLUMNS};
use crate::core::imei::Imei;
use crate::core::outcome::Outcome;

/// Rows per `<tbody>`.
pub const GROUP_ROWS: usize = 100;
/// Rows added to the table per animation frame, so that 10,000 never freeze the page.
const ROWS_PER_FRAME: usize = 500;

/// The rows in the DOM for the run on screen.
#[derive(Default)]
struct Drawn {
    run: u64,
    rows: Vec<Element>,
    groups: Vec<Element>,
    /// Rows as a waiting device shows them, striped and not: cloned for each new row.
    prototypes: Option<[Element; 2]>,
    /// A frame is asked for to draw changed rows.
    frame_pending: bool,
}

type Shared = Rc<RefCell<Drawn>>;

#[component]
pub fn ResultsTable() -> impl IntoView {
    let run = AppContext::expect().run;
    let table = NodeRef::<html::Table>::new();
    let drawn: Shared = Rc::default();
    // Rows are per result set: a retry redraws its devices' rows in place.
    let run_id = Memo::new(move |_| run.set_id());

    // A new run: the old rows go, the new ones are added a few groups per frame.
    let for_runs = drawn.clone();
    Effect::new(move || {
        let id = run_id.get();
        let Some(table) = table.get() else { return };
        // The stylesheet sizes a group that is not laid out from this, so it states no number
        // of its own.
        let _ = web_sys::HtmlElement::style(&table)
            .set_property("--rows-per-group", &GROUP_ROWS.to_string());
        {
            let mut d = for_runs.borrow_mut();
            for group in d.groups.drain(..) {
                group.remove();
            }
            d.rows.clear();
            d.run = id;
        }
        // From the next frame on: the task that started the run only sends its first requests.
        let (table, drawn): (Element, Shared) = (table.unchecked_into(), for_runs.clone());
        request_animation_frame(move || add_rows(run, table, drawn, id));
    });
    // Answers: redraw the rows whose outcome changed and that are already in the DOM (rows
    // added later are drawn with their outcome of the moment).
    let for_answers = drawn;
    Effect::new(move || {
        run.track();
        if std::mem::replace(&mut for_answers.borrow_mut().frame_pending, true) {
            return;
        }
        let drawn = for_answers.clone();
        request_animation_frame(move || redraw_changed(run, &drawn));
    });

    // Hides the succeeded rows with a class and CSS: nothing is redrawn, and the CSV keeps
    // every device.
    let filter = move |ev: leptos::ev::Event| {
        if let Some(table) = table.get_untracked() {
            let _ = table
                .class_list()
                .toggle_with_force("only-unsuccessful", event_target_checked(&ev));
        }
    };
    let no_run = move || run_id.get() == 0;
    view! {
        <label class="check table-filter" hidden=no_run>
            <input type="checkbox" on:change=filter />
            "Show only devices that did not succeed"
        </label>
        // Scrolls sideways when narrow: focusable, so that the keyboard can scroll it too.
        <div class="table-wrap" hidden=no_run role="region" aria-label="Results" tabindex="0">
            <table class="results" role="table" node_ref=table>
                <caption class="visually-hidden">"Firmware per device"</caption>
                <thead role="rowgroup">
                    <tr role="row">
                        {COLUMNS
                            .map(|c| {
                                view! { <th scope="col" role="columnheader" class=c.class>{c.header}</th> }
                            })
                            .to_vec()}
                    </tr>
                </thead>
            </table>
        </div>
    }
}

/// Draws the rows whose outcome changed since the last frame, once per frame however many
/// answers came in: answers are handled at once, and the drawing waits for the frame.
fn redraw_changed(run: RunController, drawn: &Shared) {
    let mut d = drawn.borrow_mut();
    d.frame_pending = false;
    let changed = run.take_changed_rows(d.run);
    run.with_rows(d.run, |devices, outcomes| {
        for position in changed {
            if let (Some(tr), Some(imei), Some(outcome)) = (
                d.rows.get(position),
                devices.get(position),
                outcomes.get(position),
            ) {
                draw(tr, imei, outcome, position);
            }
        }
    });
}

/// Adds the next rows of run `id` to `table`, and asks for another frame until all are in.
fn add_rows(run: RunController, table: Element, drawn: Shared, id: u64) {
    // A newer run replaced the rows: its own loop takes over.
    if drawn.borrow().run != id {
        return;
    }
    let more = run.with_rows(id, |devices, outcomes| {
        let mut d = drawn.borrow_mut();
        let end = (d.rows.len() + ROWS_PER_FRAME).min(devices.len());
        while d.rows.len() < end {
            let first = d.rows.len();
            let group = element("tbody");
            let _ = group.set_attribute("role", "rowgroup");
            for position in first..(first + GROUP_ROWS).min(devices.len()) {
                let tr = new_row(&mut d, &devices[position], &outcomes[position], position);
                let _ = group.append_child(&tr);
                d.rows.push(tr);
            }
            let _ = table.append_child(&group);
            d.groups.push(group);
        }
        d.rows.len() < devices.len()
    });
    if more == Some(true) {
        request_animation_frame(move || add_rows(run, table, drawn, id));
    }
}

/// A row for the device at `position`, with its outcome of the moment.
fn new_row(d: &mut Drawn, imei: &Imei, outcome: &Outcome, position: usize) -> Element {
    let prototypes = d
        .prototypes
        .get_or_insert_with(|| [waiting_row(false), waiting_row(true)]);
    let tr: Element = prototypes[position % 2]
        .clone_node_with_deep(true)
        .expect("a <tr> clones")
        .unchecked_into();
    if let Some(cell) = tr.first_element_child() {
        cell.set_text_content(Some(imei.as_str()));
    }
    if *outcome != Outcome::Waiting {
        draw(&tr, imei, outcome, position);
    }
    tr
}

/// An empty row of a waiting device, a cell per column of [`COLUMNS`] (Updated holds a `<time>`).
fn waiting_row(striped: bool) -> Element {
    let tr = element("tr");
    let _ = tr.set_attribute("role", "row");
    tr.set_class_name(&row_class(&Outcome::Waiting, usize::from(striped)));
    for column in COLUMNS {
        let td = element("td");
        let _ = td.set_attribute("role", "cell");
        td.set_class_name(column.class);
        match column.field {
            Field::Status => td.set_text_content(Some(Outcome::Waiting.status_text())),
            Field::Updated => {
                let _ = td.append_child(&element("time"));
            }
            Field::Imei | Field::Reason | Field::FirmwareVersion => {}
        }
        let _ = tr.append_child(&td);
    }
    tr
}

fn row_class(outcome: &Outcome, position: usize) -> String {
    let stripe = if position % 2 == 1 { " alt" } else { "" };
    format!("{}{stripe}", outcome.css_class())
}

/// Writes `outcome` into a row, as text, cell by cell in the order of [`COLUMNS`]. Every cell is
/// written, empty ones too: a retried device's row goes from its old outcome to waiting to its
/// new one.
fn draw(tr: &Element, imei: &Imei, outcome: &Outcome, position: usize) {
    tr.set_class_name(&row_class(outcome, position));
    let mut cell = tr.first_element_child();
    for column in COLUMNS {
        let Some(td) = cell else { return };
        match column.field {
            Field::Imei => {}
            Field::Status => td.set_text_content(Some(outcome.status_text())),
            Field::Reason | Field::FirmwareVersion => {
                let text = column.field.text(imei, outcome);
                td.set_text_content(Some(&text));
                // The cell shows one line; the whole text is in its tooltip.
                set_or_remove_title(&td, &text);
            }
            Field::Updated => {
                let (updated, utc) = outcome
                    .report()
                    .map(|report| report.updated.display_in(&Local))
                    .unwrap_or_default();
                if let Some(time) = td.first_element_child() {
                    time.set_text_content(Some(&updated));
                    set_or_remove_title(&time, &utc);
                }
            }
        }
        cell = td.next_element_sibling();
    }
}

fn set_or_remove_title(element: &Element, title: &str) {
    let _ = if title.is_empty() {
        element.remove_attribute("title")
    } else {
        element.set_attribute("title", title)
    };
}

fn element(name: &str) -> Element {
    document()
        .create_element(name)
        .expect("the document creates elements")
}
