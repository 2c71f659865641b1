//! The set on screen compared with a stored one: a group per kind of change, each to show in
//! the table, copy or download.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use super::{buttons, local_time, Act, Line};
use crate::core::compare::{compare, Change, Side};
use crate::core::export::{csv_of, file_name};
use crate::core::results::ResultSet;
use crate::core::table_view::ViewQuery;
use crate::core::{count_of, thousands};
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
                .with_set_untracked(|after| {
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
    // Drawn again when the table's query changes: which group it shows is part of each
    // group's Show (pressed or not) and of the line below them.
    let shown = move || {
        let only = query.with(|q| q.only.as_ref().map(|(label, _)| label.clone()));
        compared.with(|c| {
            let c = c.as_ref()?;
            let groups = c
                .groups
                .iter()
                .map(|group| {
                    let pressed = only.as_deref() == Some(group.label.as_str());
                    view! {
                        <Group group=group.clone() before=c.before.clone() pressed run query note />
                    }
                })
                .collect_view();
            let showing = only.map(|label| {
                let every = Act::new("Show every device", move || query.update(|q| q.only = None));
                view! {
                    <p>"The table shows: " {label.to_string()} ". " {buttons(vec![every])}</p>
                }
            });
            Some(view! {
                <h2>{format!("Compared with the run of {}", c.when)}</h2>
                <ul>{groups}</ul>
                {showing}
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

/// One group: its label and count, Show (unless its devices are only in the earlier run;
/// `pressed` while the table shows the group), Copy IMEIs, Download CSV.
#[component]
fn Group(
    group: ComparedGroup,
    before: Rc<ResultSet>,
    pressed: bool,
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
                false => run.with_set_untracked(text).unwrap_or_default(),
            }
        }
    };
    let mut acts = Vec::with_capacity(3);
    if !group.only_before {
        let (label, positions) = (group.label.clone(), group.positions.clone());
        let toggle = move || {
            query.update(|q| {
                let same = q.only.as_ref().is_some_and(|(l, _)| **l == *label);
                q.only = (!same).then(|| (Arc::from(label.as_str()), positions.clone()));
            })
        };
        acts.push(Act::new("Show", toggle).pressed(pressed));
    }
    let count = group.positions.len();
    let copy = {
        let rows = rows.clone();
        move || {
            copy_text(
                rows(false),
                note,
                format!("Copied {}.", count_of(count, "IMEI", "IMEIs")),
            )
        }
    };
    acts.push(Act::new("Copy IMEIs", copy));
    acts.push(Act::new("Download CSV", move || {
        let name = file_name(&run.requested_account(), js_sys::Date::now());
        let _ = save_text(&name, "text/csv;charset=utf-8", &rows(true));
    }));
    let text = format!("{} · {}", group.label, thousands(count));
    view! { <Line text acts /> }
}
