//! The set on screen compared with a stored one: a group per kind of change, each to show in
//! the table, copy or download.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use super::{local_time, Action};
use crate::core::compare::{compare, Change, Side};
use crate::core::export::{csv_of, file_name};
use crate::core::results::ResultSet;
use crate::core::table_view::ViewQuery;
use crate::core::thousands;
use crate::idb::StoredMeta;
use crate::ui::copy::copy_text;
use crate::ui::download::save_text;
use crate::ui::run_controller::{RunController, StoredSet};
use crate::ui::stored_runs::StoredRuns;

/// One group of a comparison, ready to show: its label and its devices' positions, in the set
/// on screen or, for the devices only in the earlier run, in that one. Its rows are read when
/// copied or downloaded.
#[derive(Clone)]
pub struct ComparedGroup {
    label: String,
    positions: Arc<[usize]>,
    only_before: bool,
}

/// A comparison on screen: when the earlier run started, the earlier set, the groups.
pub struct Compared {
    when: String,
    before: Rc<ResultSet>,
    groups: Vec<ComparedGroup>,
}

/// The comparison on screen, if any.
pub type ComparedSignal = RwSignal<Option<Compared>, LocalStorage>;

/// Reads the stored set of `before` and compares the set on screen with it.
pub fn compare_with(
    run: RunController,
    store: StoredRuns,
    compared: ComparedSignal,
    before: StoredMeta,
) {
    let when = local_time(before.started_at);
    store.load(
        before,
        Box::new(move |stored: StoredSet| {
            let groups = run
                .with_set(|after| {
                    let groups = compare(Side::of(&stored.set), Side::of(after)).groups;
                    groups
                        .into_iter()
                        .map(|g| ComparedGroup {
                            label: g.change.label(),
                            only_before: g.change == Change::OnlyBefore,
                            positions: Arc::from(g.positions),
                        })
                        .collect()
                })
                .unwrap_or_default();
            compared.set(Some(Compared {
                when,
                before: Rc::new(stored.set),
                groups,
            }));
        }),
    );
}

/// The comparison's region: hidden until there is one; a new set on screen ends it (and the
/// table's filter on one of its groups).
#[component]
pub fn ComparisonPanel(
    run: RunController,
    compared: ComparedSignal,
    query: RwSignal<ViewQuery>,
    note: RwSignal<String>,
) -> impl IntoView {
    Effect::new(move |before: Option<u64>| {
        let id = run.set_id();
        if before.is_some_and(|b| b != id) {
            compared.set(None);
            query.update(|q| q.only = None);
        }
        id
    });
    let shown = move || {
        compared.with(|c| {
            let c = c.as_ref()?;
            let groups = c
                .groups
                .iter()
                .map(|group| {
                    view! {
                        <Group group=group.clone() before=c.before.clone() run query note />
                    }
                })
                .collect_view();
            Some(view! {
                <h2>{format!("Compared with the run of {}", c.when)}</h2>
                <ul>{groups}</ul>
                <Showing query />
            })
        })
    };
    view! {
        <div
            class="comparison"
            role="region"
            aria-label="Comparison"
            hidden=move || compared.with(Option::is_none)
        >
            {shown}
        </div>
    }
}

/// One group: its label and count, Show (unless its devices are only in the earlier run),
/// Copy IMEIs, Download CSV.
#[component]
fn Group(
    group: ComparedGroup,
    before: Rc<ResultSet>,
    run: RunController,
    query: RwSignal<ViewQuery>,
    note: RwSignal<String>,
) -> impl IntoView {
    let group = Rc::new(group);
    // The group's rows, from the set they are in: its IMEIs, or as CSV.
    let rows = {
        let group = group.clone();
        move |csv: bool| {
            let text = |set: &ResultSet| match csv {
                true => csv_of(set.devices(), set.outcomes(), &group.positions),
                false => group
                    .positions
                    .iter()
                    .map(|&p| set.devices()[p].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            match group.only_before {
                true => text(&before),
                false => run.with_set(text).unwrap_or_default(),
            }
        }
    };
    let show = (!group.only_before).then(|| {
        let (label, positions) = (group.label.clone(), group.positions.clone());
        let pressed = {
            let label = label.clone();
            Signal::derive(move || {
                query.with(|q| q.only.as_ref().is_some_and(|(l, _)| **l == *label))
            })
        };
        let toggle = Rc::new(move || {
            query.update(|q| {
                let same = q.only.as_ref().is_some_and(|(l, _)| **l == *label);
                q.only = (!same).then(|| (Arc::from(label.as_str()), positions.clone()));
            })
        });
        view! { <Action label="Show" act=toggle pressed /> }
    });
    let copy = {
        let (rows, count) = (rows.clone(), group.positions.len());
        Rc::new(move || copy_text(rows(false), note, format!("Copied {count} IMEIs.")))
    };
    let download = Rc::new(move || {
        let name = file_name(&run.requested_account(), js_sys::Date::now());
        let _ = save_text(&name, "text/csv;charset=utf-8", &rows(true));
    });
    view! {
        <li>
            <span>{format!("{} · {}", group.label, thousands(group.positions.len()))}</span>
            {show}
            <Action label="Copy IMEIs" act=copy />
            <Action label="Download CSV" act=download />
        </li>
    }
}

/// Which group the table shows, with the way back to every device; nothing when it shows all.
#[component]
fn Showing(query: RwSignal<ViewQuery>) -> impl IntoView {
    move || {
        let label = query.with(|q| q.only.as_ref().map(|(label, _)| label.clone()))?;
        Some(view! {
            <p>
                "The table shows: " {label.to_string()} ". "
                <Action label="Show every device" act=Rc::new(move || query.update(|q| q.only = None)) />
            </p>
        })
    }
}
