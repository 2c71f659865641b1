//! How long the core's work for the workbench takes on 300,000 devices: the result set taking
//! every outcome, its triage groups and firmware chart, the table's finds, filters and sorts,
//! the TSV of every row, and the comparison of two such sets.
//! Natively, in release: `cargo bench --bench workbench_300k`. Prints the best of 5 runs of
//! each (machines differ: the figures are printed, not checked against targets).

use std::time::{Duration, Instant};

use fota_sync::core::columns::Field;
use fota_sync::core::compare::{compare, Comparison, Side};
use fota_sync::core::export::{csv_of, tsv};
use fota_sync::core::firmware::versions;
use fota_sync::core::fota::{DeviceReport, UpdateTime};
use fota_sync::core::imei::{luhn_check_digit, Imei};
use fota_sync::core::outcome::Outcome;
use fota_sync::core::results::ResultSet;
use fota_sync::core::table_view::{view, Direction, ViewQuery};
use fota_sync::core::triage::groups;

const DEVICES: usize = 300_000;

fn imei(body: u64) -> Imei {
    let body = format!("{:014}", body % 100_000_000_000_000);
    Imei::parse(&format!("{body}{}", luhn_check_digit(body.as_bytes()))).unwrap()
}

fn report(status: &str, reason: &str, firmware: &str, updated: UpdateTime) -> Box<DeviceReport> {
    Box::new(DeviceReport {
        device_id: String::new(),
        status: status.into(),
        reason: reason.into(),
        firmware_version: firmware.into(),
        updated,
    })
}

/// Runs `f` 5 times and prints the fastest, with the size `f` returns.
fn time(what: &str, f: &mut dyn FnMut() -> usize) {
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..5 {
        let start = Instant::now();
        size = f();
        best = best.min(start.elapsed());
    }
    println!(
        "{what:<52} {:>9.2} ms  ({size})",
        best.as_secs_f64() * 1000.0
    );
}

/// A run's outcomes: a tenth failed (50 reasons), a tenth errors, a tenth without a result,
/// the rest successes with as many versions as the emulator reports (tens of thousands).
fn workbench() {
    let devices: Vec<Imei> = (0..DEVICES as u64)
        .map(|i| imei(i * 7_919_777 + 35_000_000_000_000))
        .collect();
    let outcomes: Vec<Outcome> = (0..DEVICES)
        .map(|i| match i % 10 {
            0 => Outcome::Failed(report(
                "FirmwareVersionUpdateFailed",
                &format!("device {} not found", i % 50),
                "",
                UpdateTime::Unknown,
            )),
            1 => Outcome::Error("HTTP 502 Bad Gateway (after 4 tries)".into()),
            2 => Outcome::NoResult,
            _ => Outcome::Success(report(
                "FirmwareVersionUpdateSuccess",
                "",
                &format!("SR1.2.0.0-{}", 10_000 + i * 7_919 % 90_000),
                UpdateTime::parse(&format!("2022-02-{:02}T06:10:01.441Z", 1 + i % 28)),
            )),
        })
        .collect();
    time("triage groups of every outcome", &mut || {
        groups(&outcomes).len()
    });
    time("firmware versions of every outcome, top 10", &mut || {
        versions(&outcomes, 10).len()
    });
    let mut set = ResultSet::new(devices.clone());
    time("result set: every outcome set", &mut || {
        set = ResultSet::new(devices.clone());
        for (p, o) in outcomes.iter().enumerate() {
            set.set(p, o.clone());
        }
        set.devices().len()
    });
    time("groups kept by the set", &mut || set.groups().len());
    time("versions kept by the set, top 10", &mut || {
        set.versions(10).len()
    });
    let query = |find: &str, sort| ViewQuery {
        find: find.into(),
        sort,
        ..ViewQuery::default()
    };
    time("view, find 4 digits", &mut || {
        view(&set, &query("7919", None)).len()
    });
    time("view, find 1 digit", &mut || {
        view(&set, &query("5", None)).len()
    });
    time("view, only unsuccessful", &mut || {
        let q = ViewQuery {
            only_unsuccessful: true,
            ..ViewQuery::default()
        };
        view(&set, &q).len()
    });
    for field in [
        Field::Imei,
        Field::Status,
        Field::Reason,
        Field::FirmwareVersion,
        Field::Updated,
    ] {
        for direction in [Direction::Ascending, Direction::Descending] {
            time(&format!("view, sort {field:?} {direction:?}"), &mut || {
                view(&set, &query("", Some((field, direction)))).len()
            });
        }
    }
    let all: Vec<usize> = (0..DEVICES).collect();
    time("tsv of every row", &mut || {
        tsv(&devices, &outcomes, &all).len()
    });
}

/// Two runs of 300,000 devices compared: the same list again, and a list sharing 95% of its
/// devices in another order.
fn comparison() {
    let versions: Vec<String> = (0..40).map(|v| format!("SR1.2.{v}")).collect();
    let outcome = |i: usize, bump: usize| match i % 10 {
        0 => Outcome::Failed(report(
            "FirmwareVersionUpdateFailed",
            "device not found",
            "",
            UpdateTime::Unknown,
        )),
        1 => Outcome::NoResult,
        _ => Outcome::Success(report(
            "FirmwareVersionUpdateSuccess",
            "",
            &versions[(i + bump) % 40],
            UpdateTime::Unknown,
        )),
    };
    // A device's later outcome is shifted by one place for every seventh device and its
    // version by one for every thirteenth, so that some fail anew, some recover and some
    // change firmware.
    let later = |i: usize| {
        outcome(
            i + usize::from(i.is_multiple_of(7)),
            usize::from(i.is_multiple_of(13)),
        )
    };
    let n = DEVICES;
    let before_devices: Vec<Imei> = (0..n as u64).map(|i| imei(i * 7_919 + 1)).collect();
    let before_outcomes: Vec<Outcome> = (0..n).map(|i| outcome(i, 0)).collect();
    let after_ids: Vec<usize> = (0..n).map(|k| (k * 7 + n / 20) % n + n / 20).collect();
    let after_devices: Vec<Imei> = after_ids
        .iter()
        .map(|&i| imei(i as u64 * 7_919 + 1))
        .collect();
    let after_outcomes: Vec<Outcome> = after_ids.iter().map(|&i| later(i)).collect();
    let again_outcomes: Vec<Outcome> = (0..n).map(later).collect();
    let before = Side {
        devices: &before_devices,
        outcomes: &before_outcomes,
    };
    let after = Side {
        devices: &after_devices,
        outcomes: &after_outcomes,
    };
    let again = Side {
        devices: &before_devices,
        outcomes: &again_outcomes,
    };
    let mut comparison = Comparison::default();
    time("compare with the same list again", &mut || {
        comparison = compare(before, again);
        comparison.groups.len()
    });
    time("compare with 5% on each side only, all moved", &mut || {
        comparison = compare(before, after);
        comparison.groups.len()
    });
    let largest = &comparison.groups[0];
    let side = largest.side(before, after);
    time(
        &format!("csv of the largest group ({} devices)", largest.count()),
        &mut || csv_of(side.devices, side.outcomes, &largest.positions).len(),
    );
}

fn main() {
    workbench();
    comparison();
}
