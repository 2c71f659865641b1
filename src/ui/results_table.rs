//! The per-device results: a window onto the result set. However many devices (300,000 and
//! more), the table holds only the rows in view and a few more above and below; scrolling the
//! table redraws the window. A row's place comes from CSS (`--i`, its index among the rows
//! shown, times the row height), so no position is computed in pixels here, and the body is as
//! tall as all its rows (`--n`). Rows are drawn by hand rather than as reactive views: a row is a
//! clone of one prototype `<tr>` whose cells are written as text, never as HTML. `aria-rowcount`
//! and `aria-rowindex` tell assistive technology how many rows there are and where each one is.
//!
//! Measured before (issue 10), with every row in the DOM in groups the browser laid out only near
//! the view (`content-visibility`), against a keyed `<For>` of reactive rows, 10,000 devices: the
//! hand-drawn rows finished the run in 1482 ms against 1678 ms, sent the first request after
//! 5 ms against 288 ms, and had no task over 50 ms against one of 312 ms. The window keeps the
//! hand-drawn rows and needs no group machinery; with 300,000 devices, all rows in the DOM would
//! take seconds to add and a sort or a search would have to move them all.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::Local;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::context::AppContext;
use super::copy::copy_text;
use super::dom::element;
use super::run_controller::RunController;
use crate::core::columns::{Field, COLUMNS};
use crate::core::count_of;
use crate::core::export::tsv;
use crate::core::firmware::is_stale;
use crate::core::imei::Imei;
use crate::core::outcome::Outcome;
use crate::core::report::{facts_line, RunFacts};
use crate::core::table_view::{summary_line, view, Direction, ViewQuery};

/// Rows drawn above and below the ones in view, so that a quick scroll shows no gap.
const OVERSCAN_ROWS: usize = 12;
/// Rows drawn before the table's height is known (its first frame).
const FIRST_WINDOW_ROWS: usize = 40;

/// The rows in the DOM, and what they show.
#[derive(Default)]
struct Window {
    /// The result set shown.
    set: u64,
    /// The positions in the set of the rows shown, in the order shown.
    order: Vec<usize>,
    /// `<tr>` elements in the body, for the rows `first..first + pool.len()` of `order`.
    pool: Vec<Element>,
    /// Height of a row in CSS pixels, measured from the first row drawn.
    row_px: f64,
    /// Rows as a waiting device shows them: cloned for each new `<tr>`.
    prototype: Option<Element>,
    /// A frame is asked for to redraw the window.
    frame_pending: bool,
    /// The order must be worked out again (new answers while a filter or a sort is on).
    stale_order: bool,
    /// `staleAfterDays` from the config.
    stale_after_days: u32,
    /// A new set is shown: the next draw starts at its top (scrolled there in the frame, not in
    /// the press of Synchronize, where it forced a layout of the whole page).
    to_top: bool,
    /// When the order was last worked out (ms since the epoch): during a run, at most every
    /// [`REORDER_EVERY_MS`], so that a filter over 300,000 devices does not take every frame.
    ordered_at: f64,
    /// Printing: the rows the report lists, all of them drawn, whatever the screen's view and
    /// scroll (a redraw while printing keeps them).
    print: Option<ViewQuery>,
}

impl Window {
    /// The order is worked out again at the next draw, however soon after the last (a new set,
    /// a new query, the start or end of a print).
    fn reorder_now(&mut self) {
        self.stale_order = true;
        self.ordered_at = f64::NEG_INFINITY;
    }
}

/// The shortest time between two orderings of the rows while answers come in, in ms.
const REORDER_EVERY_MS: f64 = 500.0;

type Shared = Rc<RefCell<Window>>;

/// The rows of the result set the table shows: `query` is what the user chose here (find,
/// sort, only unsuccessful) and in the workbench (a group, a firmware bar).
#[component]
pub fn ResultsTable(query: RwSignal<ViewQuery>) -> impl IntoView {
    let run = AppContext::expect().run;
    let wrap = NodeRef::<html::Div>::new();
    let table = NodeRef::<html::Table>::new();
    let body = NodeRef::<html::Tbody>::new();
    let stale_after_days = AppContext::expect()
        .config
        .with_value(|c| c.config.stale_after_days);
    let window: Shared = Rc::new(RefCell::new(Window {
        stale_after_days,
        ..Window::default()
    }));
    let set_id = Memo::new(move |_| run.set_id());
    // "Showing 312 of 10,000 devices".
    let shown = RwSignal::new((0usize, 0usize));

    let parts = move || {
        Some(Parts {
            wrap: wrap.get_untracked()?.unchecked_into(),
            table: table.get_untracked()?.unchecked_into(),
            body: body.get_untracked()?.unchecked_into(),
        })
    };
    let redraw = {
        let window = window.clone();
        move || {
            if let Some(parts) = parts() {
                schedule(run, parts, window.clone(), query, shown);
            }
        }
    };
    // A new result set or a new query: the order is worked out again, the window redrawn.
    let for_sets = window.clone();
    let redraw_all = redraw.clone();
    Effect::new(move || {
        let id = set_id.get();
        query.track();
        {
            let mut w = for_sets.borrow_mut();
            if w.set != id {
                w.set = id;
                w.to_top = true;
            }
            w.reorder_now();
        }
        redraw_all();
    });
    // Answers: the rows in view are redrawn at the next frame, once however many came in.
    let for_answers = window.clone();
    let redraw_answers = redraw.clone();
    Effect::new(move || {
        run.track();
        let id = for_answers.borrow().set;
        // The changed rows are all redrawn with the window; what changed is not needed.
        let _ = run.take_changed_rows(id);
        if query.with_untracked(|q| *q != ViewQuery::default()) {
            for_answers.borrow_mut().stale_order = true;
        }
        redraw_answers();
    });
    let on_scroll = {
        let redraw = redraw.clone();
        move |_| redraw()
    };
    let on_resize = redraw.clone();
    let resize = window_event_listener(leptos::ev::resize, move |_| on_resize());
    on_cleanup(move || resize.remove());

    let print_every = RwSignal::new(false);
    let heading = RwSignal::new(String::new());
    let print = print_report(
        run,
        window.clone(),
        parts,
        redraw,
        shown,
        print_every,
        heading,
    );

    let filter = move |ev: leptos::ev::Event| {
        let only = event_target_checked(&ev);
        query.update(|q| q.only_unsuccessful = only);
    };
    let find = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        query.update(|q| q.find = text);
    };
    let copy_note = RwSignal::new(String::new());
    let copy_rows = {
        let window = window.clone();
        move |_| {
            let text = run
                .with_rows_untracked(window.borrow().set, |set| {
                    tsv(set.devices(), set.outcomes(), &window.borrow().order)
                })
                .unwrap_or_default();
            let rows = window.borrow().order.len();
            copy_text(
                text,
                copy_note,
                format!(
                    "Copied {} (tab-separated, with a header line).",
                    count_of(rows, "row", "rows")
                ),
            );
        }
    };
    let no_run = move || set_id.get() == 0;
    let sort_of = move |field: Field| {
        query.with(|q| match q.sort {
            Some((f, Direction::Ascending)) if f == field => "ascending",
            Some((f, Direction::Descending)) if f == field => "descending",
            _ => "none",
        })
    };
    // None, then ascending, then descending, then none again.
    let sort_by = move |field: Field| {
        query.update(|q| {
            q.sort = match q.sort {
                Some((f, Direction::Ascending)) if f == field => {
                    Some((field, Direction::Descending))
                }
                Some((f, Direction::Descending)) if f == field => None,
                _ => Some((field, Direction::Ascending)),
            }
        });
    };
    view! {
        <div class="table-tools" hidden=no_run>
            <div class="field find">
                <label for="find-imei">"Find IMEI"</label>
                <input
                    id="find-imei"
                    type="search"
                    inputmode="numeric"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || query.with(|q| q.find.clone())
                    on:input=find
                />
            </div>
            <label class="check table-filter">
                <input
                    type="checkbox"
                    prop:checked=move || query.with(|q| q.only_unsuccessful)
                    on:change=filter
                />
                "Show only devices that did not succeed"
            </label>
            <button type="button" on:click=copy_rows>"Copy rows"</button>
            <button type="button" on:click=print>"Print report"</button>
            <label class="check">
                <input type="checkbox" bind:checked=print_every />
                "Print every device, not only those that did not succeed"
            </label>
            <p class="shown" id="rows-shown" role="status">
                {move || {
                    let (n, of) = shown.get();
                    summary_line(n, of)
                }}
            </p>
            <p class="hint copy-note" aria-live="polite">{move || copy_note.get()}</p>
        </div>
        // Printed only with a result set on screen (style/main.css: after the tools, when shown).
        <div class="print-only report-head">
            <h2>"FOTA Sync report"</h2>
            <p>{move || heading.get()}</p>
        </div>
        // Scrolls when the rows do not fit: focusable, so that the keyboard can scroll it too.
        <div
            class="table-wrap"
            hidden=no_run
            role="region"
            aria-label="Results"
            aria-describedby="rows-shown"
            tabindex="0"
            node_ref=wrap
            on:scroll=on_scroll
        >
            <table class="results" role="table" node_ref=table>
                <caption class="visually-hidden">"Firmware per device"</caption>
                <thead role="rowgroup">
                    <tr role="row" aria-rowindex="1">
                        {COLUMNS
                            .map(|c| {
                                view! {
                                    <th scope="col" role="columnheader" class=c.class aria-sort=move || sort_of(c.field)>
                                        <button type="button" class="sort" on:click=move |_| sort_by(c.field)>
                                            {c.header}
                                        </button>
                                    </th>
                                }
                            })
                            .to_vec()}
                    </tr>
                </thead>
                <tbody role="rowgroup" node_ref=body></tbody>
            </table>
        </div>
    }
}

/// Print report: the same on the button and on the browser's own print (Ctrl+P). On
/// `beforeprint` the table draws every device that did not succeed (or, with `every`, every
/// device), at once, in input order, whatever the screen's find, filter and sort, and `heading`
/// says what the run was; on `afterprint` the screen's view comes back. Returns the button's
/// click handler. window.print() blocks until its dialog closes, and its `beforeprint` comes
/// from inside that click: the heading is written first and drawn at the next frame, then
/// printed. A print the browser refuses (a sandboxed frame without allow-modals) fires no
/// `beforeprint`, and the table stays as it is.
fn print_report(
    run: RunController,
    window: Shared,
    parts: impl Fn() -> Option<Parts> + Copy + 'static,
    redraw: impl Fn() + 'static,
    shown: RwSignal<(usize, usize)>,
    every: RwSignal<bool>,
    heading: RwSignal<String>,
) -> impl Fn(leptos::ev::MouseEvent) + Copy + 'static {
    let config = AppContext::expect().config;
    // The heading's words; nothing with no result set on screen.
    let write_heading = move || {
        let Some((started_ms, ended_ms)) = untrack(|| run.times()) else {
            return;
        };
        let (account, request_url) = run.request_target_untracked().unwrap_or_default();
        let (settings, request_timeout_ms) =
            config.with_value(|c| (c.config.run, c.config.request_timeout_ms));
        let facts = facts_line(&RunFacts {
            account: &account,
            request_url: &request_url,
            run: settings,
            request_timeout_ms,
            started_ms,
            ended_ms,
        });
        let listed = if every.get_untracked() {
            "every device"
        } else {
            "the devices that did not succeed"
        };
        heading.set(format!("{facts}. Listed below: {listed}."));
    };
    let before_print = window.clone();
    let _ = window_event_listener_untyped("beforeprint", move |_| {
        write_heading();
        let Some(parts) = parts() else { return };
        let mut w = before_print.borrow_mut();
        w.print = Some(ViewQuery {
            only_unsuccessful: !every.get_untracked(),
            ..ViewQuery::default()
        });
        w.reorder_now();
        draw_window(run, &parts, &mut w, &ViewQuery::default(), shown);
    });
    let _ = window_event_listener_untyped("afterprint", move |_| {
        let mut w = window.borrow_mut();
        w.print = None;
        w.reorder_now();
        drop(w);
        redraw();
    });
    move |_| {
        write_heading();
        request_animation_frame(|| {
            let _ = leptos::prelude::window().print();
        });
    }
}

/// The elements the window is drawn into.
struct Parts {
    wrap: HtmlElement,
    table: HtmlElement,
    body: HtmlElement,
}

/// Asks for a frame to redraw the window, unless one is asked for already.
fn schedule(
    run: RunController,
    parts: Parts,
    window: Shared,
    query: RwSignal<ViewQuery>,
    shown: RwSignal<(usize, usize)>,
) {
    if std::mem::replace(&mut window.borrow_mut().frame_pending, true) {
        return;
    }
    request_animation_frame(move || {
        window.borrow_mut().frame_pending = false;
        let again =
            query.with_untracked(|q| draw_window(run, &parts, &mut window.borrow_mut(), q, shown));
        // The order was due but too soon after the last: a later frame does it.
        if again {
            schedule(run, parts, window, query, shown);
        }
    });
}

/// Draws the rows in view (and the overscan) of the set on screen. Returns true when the order
/// is due again but was left for a later frame.
fn draw_window(
    run: RunController,
    parts: &Parts,
    w: &mut Window,
    query: &ViewQuery,
    shown: RwSignal<(usize, usize)>,
) -> bool {
    let set = w.set;
    let now = js_sys::Date::now();
    let stale = Stale {
        now_ms: now,
        days: w.stale_after_days,
    };
    let mut later = false;
    let printing = w.print.clone();
    let query = printing.as_ref().unwrap_or(query);
    let drawn = run.with_rows_untracked(set, |set| {
        let (devices, outcomes) = (set.devices(), set.outcomes());
        if w.stale_order && now - w.ordered_at < REORDER_EVERY_MS {
            later = true;
        } else if w.stale_order {
            w.order = view(set, query);
            w.stale_order = false;
            w.ordered_at = now;
            let _ = parts
                .body
                .style()
                .set_property("--n", &w.order.len().to_string());
            let _ = parts
                .table
                .set_attribute("aria-rowcount", &(w.order.len() + 1).to_string());
            shown.set((w.order.len(), devices.len()));
        }
        if std::mem::take(&mut w.to_top) {
            parts.wrap.set_scroll_top(0);
        }
        let (first, count) = match w.row_px {
            _ if printing.is_some() => (0, w.order.len()),
            px if px > 0.0 => {
                let top = f64::from(parts.wrap.scroll_top());
                let height = f64::from(parts.wrap.client_height());
                let first = ((top / px) as usize).saturating_sub(OVERSCAN_ROWS);
                (first, (height / px).ceil() as usize + 2 * OVERSCAN_ROWS)
            }
            _ => (0, FIRST_WINDOW_ROWS),
        };
        let first = first.min(w.order.len());
        let count = count.min(w.order.len() - first);
        while w.pool.len() < count {
            let prototype = w.prototype.get_or_insert_with(waiting_row);
            let tr: Element = prototype
                .clone_node_with_deep(true)
                .expect("a <tr> clones")
                .unchecked_into();
            let _ = parts.body.append_child(&tr);
            w.pool.push(tr);
        }
        for tr in w.pool.drain(count..) {
            tr.remove();
        }
        for (k, tr) in w.pool.iter().enumerate() {
            let index = first + k;
            let position = w.order[index];
            fill(tr, &devices[position], &outcomes[position], index, stale);
        }
    });
    if drawn.is_none() {
        for tr in w.pool.drain(..) {
            tr.remove();
        }
        w.order.clear();
        return false;
    }
    if w.row_px <= 0.0 {
        if let Some(tr) = w.pool.first() {
            w.row_px = tr.get_bounding_client_rect().height();
            // Now that the height is known, draw exactly the rows in view.
            if w.row_px > 0.0 {
                return draw_window(run, parts, w, query, shown);
            }
        }
    }
    later
}

/// Writes the device at `index` among the rows shown into `tr`: its place, its IMEI and its outcome.
fn fill(tr: &Element, imei: &Imei, outcome: &Outcome, index: usize, stale: Stale) {
    let index_text = index.to_string();
    if tr.get_attribute("data-i").as_deref() != Some(index_text.as_str()) {
        let _ = tr
            .unchecked_ref::<HtmlElement>()
            .style()
            .set_property("--i", &index_text);
        let _ = tr.set_attribute("data-i", &index_text);
        let _ = tr.set_attribute("aria-rowindex", &(index + 2).to_string());
    }
    if let Some(cell) = tr.first_element_child() {
        if cell.text_content().as_deref() != Some(imei.as_str()) {
            cell.set_text_content(Some(imei.as_str()));
        }
    }
    draw(tr, imei, outcome, index);
    if outcome.report().is_some_and(|r| {
        matches!(outcome, Outcome::Success(_)) && is_stale(r, stale.now_ms, stale.days)
    }) {
        let _ = tr.class_list().add_1("stale");
    }
}

/// When firmware counts as stale: last updated more than `days` before `now_ms` (config
/// `staleAfterDays`; 0: never).
#[derive(Clone, Copy)]
struct Stale {
    now_ms: f64,
    days: u32,
}

/// An empty row of a waiting device, a cell per column of [`COLUMNS`] (Updated holds a `<time>`).
fn waiting_row() -> Element {
    let tr = element("tr");
    let _ = tr.set_attribute("role", "row");
    tr.set_class_name(&row_class(&Outcome::Waiting, 0));
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
