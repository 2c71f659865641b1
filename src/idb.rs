//! The browser's IndexedDB, through the `idb` crate: result sets saved while their run goes (to
//! resume after a reload) and kept once finished (the history). Every way a call can end is one
//! typed result ([`StoreError`], [`Loaded`]); the layouts are [`crate::core::stored`]'s.
//!
//! Database `fota-sync`, version 1, two object stores keyed by the set's key:
//! - `sets`: what the history lists ([`StoredMeta`]): account, API URL, times, counts;
//! - `columns`: the set itself ([`StoredColumns`]) under `KEY`, as typed arrays (its texts as
//!   one UTF-8 array, `textBytes`, and where each ends, `textEnds`); its IMEIs under
//!   `KEY#devices`, saved once per set and page, since they never change; and while its run
//!   goes, its steps under `KEY#step#NNNNNNNNNN` (the rows that changed since the step before),
//!   folded into `KEY` by the next whole save.
//!
//! Every record carries the layout it was written in (`version`). Tokens are never written:
//! no record has a field for them.

use std::rc::Rc;

use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Query, TransactionMode};
use js_sys::{Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::outcome::Summary;
use crate::core::stored::{layout_of, StoredColumns, StoredStep, Unreadable, STORED_VERSION};

const DATABASE: &str = "fota-sync";
/// The database's own version (its object stores), not a record layout.
const DATABASE_VERSION: u32 = 1;
const SETS: &str = "sets";
const COLUMNS: &str = "columns";

/// Why storage did not work; the run always goes on in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The browser's storage quota for this site is used up (`QuotaExceededError`).
    Quota,
    /// IndexedDB is missing, blocked (private windows, portal policies) or failed.
    Unavailable,
    /// The connection was closed under the app (`InvalidStateError`): open it again and retry.
    Closed,
    /// The browser's storage failed (`UnknownError`: Chromium's "Internal error opening backing
    /// store", WebKit's "Connection to Indexed Database server lost"): open it again and retry.
    Failed,
    /// The database is of a newer release of the app (`VersionError` on open).
    Newer,
}

impl StoreError {
    /// What the page says.
    pub const fn note(&self) -> &'static str {
        match self {
            StoreError::Quota => "This browser's storage for the site is full: the run is not saved and goes on in memory (nothing on screen is lost). Delete old runs from the history to make room.",
            StoreError::Unavailable => "This browser does not let the app save runs (private window or site settings): the run goes on in memory, and a reload loses it.",
            StoreError::Closed | StoreError::Failed => "This browser's storage failed (connection lost or a disk problem): runs are not saved, and the run goes on in memory (nothing on screen is lost). A reload may bring storage back.",
            StoreError::Newer => NEWER_ELSEWHERE,
        }
    }
}

/// What the page says when a newer release of the app holds the database.
pub const NEWER_ELSEWHERE: &str = "A newer version of FOTA Sync has taken over this browser's stored runs (in another tab): reload this page to use it. Until then, runs here are not saved (they go on in memory).";

/// What happened to an open connection, told by the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// Another tab opens the database at a newer version: a newer release of the app.
    Newer,
    /// Another tab (or the user clearing the site's data) deletes the database.
    Deleted,
    /// The browser closed it (a storage failure, data cleared from its settings).
    Closed,
}

/// A stored set as the history lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMeta {
    /// Unique per set: its start time and a random part.
    pub key: String,
    pub account: String,
    /// The request URL the set's runs used.
    pub url: String,
    /// ms since the Unix epoch.
    pub started_at: f64,
    /// When its last run ended; `None` while a run goes (or went, when the page closed).
    pub ended_at: Option<f64>,
    pub summary: Summary,
    /// Why its entry cannot be read (then only its key is sure): listed, to delete.
    pub unreadable: Option<Unreadable>,
}

/// A stored set as read back.
pub enum Loaded {
    /// Its columns and its steps since, in order.
    Set(Box<StoredColumns>, Vec<StoredStep>),
    /// Not there: deleted in another tab, or the site's data was cleared.
    Gone,
    /// There, but not readable by this release.
    Unreadable(Unreadable),
}

fn error_name(value: &JsValue) -> String {
    value
        .dyn_ref::<web_sys::DomException>()
        .map(|e| e.name())
        .unwrap_or_default()
}

/// How an idb call's failure reads to the app.
fn fail(error: idb::Error) -> StoreError {
    use idb::Error as E;
    let name = match &error {
        E::DomException(e) => e.name(),
        E::TransactionOpenFailed(v)
        | E::UpdateFailed(v)
        | E::GetFailed(v)
        | E::GetAllFailed(v)
        | E::DeleteFailed(v)
        | E::ClearFailed(v)
        | E::TransactionCommitError(v)
        | E::IndexedDbOpenFailed(v)
        | E::ObjectStoreNotFound(v) => error_name(v),
        _ => String::new(),
    };
    of_name(&name)
}

fn of_name(name: &str) -> StoreError {
    match name {
        "QuotaExceededError" => StoreError::Quota,
        "InvalidStateError" | "TransactionInactiveError" => StoreError::Closed,
        "UnknownError" => StoreError::Failed,
        "VersionError" => StoreError::Newer,
        _ => StoreError::Unavailable,
    }
}

/// Opens (and on first use creates) the database; `lost` is told once if the browser takes
/// the connection away (the connection is then closed, so that another tab is not blocked).
pub async fn open(lost: Rc<dyn Fn(Lost)>) -> Result<Database, StoreError> {
    let factory = Factory::new().map_err(fail)?;
    let mut request = factory
        .open(DATABASE, Some(DATABASE_VERSION))
        .map_err(fail)?;
    request.on_upgrade_needed(|event| {
        if let Ok(db) = event.database() {
            let _ = db.create_object_store(SETS, ObjectStoreParams::new());
            let _ = db.create_object_store(COLUMNS, ObjectStoreParams::new());
        }
    });
    // Firefox's private windows refuse IndexedDB with InvalidStateError on open.
    let mut db = request.await.map_err(|e| match fail(e) {
        StoreError::Closed => StoreError::Unavailable,
        other => other,
    })?;
    let on_change = lost.clone();
    db.on_version_change(move |event| {
        if let Some(db) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::IdbDatabase>().ok())
        {
            db.close();
        }
        let newer = event
            .dyn_ref::<web_sys::IdbVersionChangeEvent>()
            .and_then(|e| e.new_version());
        on_change(match newer {
            Some(_) => Lost::Newer,
            None => Lost::Deleted,
        });
    });
    db.on_close(move |_| lost(Lost::Closed));
    Ok(db)
}

fn set(target: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

fn get(source: &JsValue, name: &str) -> JsValue {
    Reflect::get(source, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A record of `version` STORED_VERSION.
fn record() -> Object {
    let o = Object::new();
    set(&o, "version", &JsValue::from(STORED_VERSION));
    o
}

/// The layout a record says it was written in.
fn layout(record: &JsValue) -> Result<u32, Unreadable> {
    match record.is_object() {
        true => layout_of(get(record, "version").as_f64()),
        false => Err(Unreadable::Damaged("it is not a record".into())),
    }
}

fn missing(name: &str) -> Unreadable {
    Unreadable::Damaged(format!("its {name} is missing"))
}

/// The list entry as a record. Built field by field with `Reflect`, as every record here, not
/// from a serde struct: with no `serde_wasm_bindgen`, a serde record would go through
/// `serde_json` text and `JSON.parse`, bringing serde's serializer into a bundle that has no
/// room for it, for a dozen fields; and the columns' typed arrays cannot go through JSON.
fn meta_record(meta: &StoredMeta) -> Object {
    let o = record();
    set(&o, "key", &JsValue::from_str(&meta.key));
    set(&o, "account", &JsValue::from_str(&meta.account));
    set(&o, "url", &JsValue::from_str(&meta.url));
    set(&o, "startedAt", &JsValue::from(meta.started_at));
    let ended = meta.ended_at.map_or(JsValue::NULL, JsValue::from);
    set(&o, "endedAt", &ended);
    for (name, n) in Summary::NAMES.iter().zip(meta.summary.counts()) {
        set(&o, name, &JsValue::from(n as f64));
    }
    o
}

/// A list entry of layout 1 or 2 (the same fields), or why it cannot be read.
fn meta_of(record: &JsValue) -> Result<StoredMeta, Unreadable> {
    layout(record)?;
    let text = |name| get(record, name).as_string().ok_or_else(|| missing(name));
    let number = |name| get(record, name).as_f64().ok_or_else(|| missing(name));
    let mut counts = [0; 7];
    for (n, name) in counts.iter_mut().zip(Summary::NAMES) {
        *n = number(name)? as usize;
    }
    let [total, succeeded, failed, no_result, error, not_sent, waiting] = counts;
    let ended = get(record, "endedAt");
    Ok(StoredMeta {
        key: text("key")?,
        account: text("account")?,
        url: text("url")?,
        started_at: number("startedAt")?,
        ended_at: match ended.is_null() {
            true => None,
            false => Some(ended.as_f64().ok_or_else(|| missing("endedAt"))?),
        },
        summary: Summary {
            total,
            succeeded,
            failed,
            no_result,
            error,
            not_sent,
            waiting,
        },
        unreadable: None,
    })
}

/// The columns' fields as typed arrays; `texts` as one UTF-8 array and where each ends: one
/// copy, not a string per text (a set may hold 100,000 distinct versions, and a save must not
/// hold the page up).
fn columns_record(c: &StoredColumns, o: &Object) {
    set(o, "kinds", &Uint8Array::from(&c.kinds[..]));
    set(o, "status", &Uint32Array::from(&c.status[..]));
    set(o, "reason", &Uint32Array::from(&c.reason[..]));
    set(o, "firmware", &Uint32Array::from(&c.firmware[..]));
    set(o, "updated", &Float64Array::from(&c.updated[..]));
    set(o, "unparsed", &Uint32Array::from(&c.unparsed[..]));
    set(o, "requests", &Uint32Array::from(&c.requests[..]));
    let mut bytes = Vec::with_capacity(c.texts.iter().map(String::len).sum());
    let mut ends = Vec::with_capacity(c.texts.len());
    for text in &c.texts {
        bytes.extend_from_slice(text.as_bytes());
        ends.push(bytes.len() as u32);
    }
    set(o, "textBytes", &Uint8Array::from(&bytes[..]));
    set(o, "textEnds", &Uint32Array::from(&ends[..]));
}

fn typed<T: JsCast>(record: &JsValue, name: &str) -> Result<T, Unreadable> {
    get(record, name).dyn_into::<T>().map_err(|_| missing(name))
}

/// Columns of layout 1 or 2 (the same fields), but for `devices`.
fn columns_of(record: &JsValue) -> Result<StoredColumns, Unreadable> {
    layout(record)?;
    let u32s = |name| typed::<Uint32Array>(record, name).map(|a| a.to_vec());
    let bytes = typed::<Uint8Array>(record, "textBytes")?.to_vec();
    let mut start = 0;
    let mut texts = Vec::new();
    for end in u32s("textEnds")? {
        let text = bytes
            .get(start..end as usize)
            .and_then(|t| String::from_utf8(t.to_vec()).ok())
            .ok_or_else(|| Unreadable::Damaged("its texts are cut".into()))?;
        texts.push(text);
        start = end as usize;
    }
    Ok(StoredColumns {
        devices: Vec::new(),
        kinds: typed::<Uint8Array>(record, "kinds")?.to_vec(),
        status: u32s("status")?,
        reason: u32s("reason")?,
        firmware: u32s("firmware")?,
        updated: typed::<Float64Array>(record, "updated")?.to_vec(),
        unparsed: u32s("unparsed")?,
        requests: u32s("requests")?,
        texts,
    })
}

/// A set's IMEIs: layout 1 stored the bare array, layout 2 a record holding it.
fn devices_of(record: &JsValue) -> Result<Vec<f64>, Unreadable> {
    if let Some(bare) = record.dyn_ref::<Float64Array>() {
        return Ok(bare.to_vec());
    }
    layout(record)?;
    Ok(typed::<Float64Array>(record, "devices")?.to_vec())
}

fn step_of(record: &JsValue) -> Result<StoredStep, Unreadable> {
    let mut rows = columns_of(record)?;
    rows.devices = typed::<Float64Array>(record, "devices")?.to_vec();
    Ok(StoredStep {
        positions: typed::<Uint32Array>(record, "positions")?.to_vec(),
        rows,
    })
}

/// The key of a set's IMEIs, stored apart from its other columns: they never change while
/// the set's runs go, so a save does not copy them again.
fn devices_key(key: &str) -> JsValue {
    JsValue::from_str(&format!("{key}#devices"))
}

/// The key of a set's step `seq` (from 1): ten digits, so that keys sort as steps do.
fn step_key(key: &str, seq: u32) -> JsValue {
    JsValue::from_str(&format!("{key}#step#{seq:010}"))
}

/// Every step of a set (`#step#` then digits; `:` sorts after `9`).
fn steps_of(key: &str) -> Result<Query, StoreError> {
    let range = KeyRange::bound(
        &JsValue::from_str(&format!("{key}#step#")),
        &JsValue::from_str(&format!("{key}#step#:")),
        None,
        None,
    )
    .map_err(fail)?;
    Ok(Query::KeyRange(range))
}

/// One write to the database, with the list entry of its set.
pub enum Write {
    /// The whole set (folding its steps in, which are deleted), with its IMEIs when
    /// `with_devices` (its first whole save in this page); and the sets `drop` names go (the
    /// history beyond its limit).
    Whole {
        columns: StoredColumns,
        with_devices: bool,
        drop: Vec<String>,
    },
    /// The rows changed since the step before, as step `seq`.
    Step { seq: u32, step: StoredStep },
}

/// Writes `write` and `meta` in one transaction: all of it, or nothing.
pub fn save(
    db: &Database,
    meta: &StoredMeta,
    write: &Write,
) -> impl std::future::Future<Output = Result<(), StoreError>> {
    // Every request goes out now, before the first await: a transaction commits itself once
    // a task passes with nothing asked of it.
    let tx = db
        .transaction(&[SETS, COLUMNS], TransactionMode::ReadWrite)
        .map_err(fail);
    let sent = tx.and_then(|tx| {
        let sets = tx.object_store(SETS).map_err(fail)?;
        let cols = tx.object_store(COLUMNS).map_err(fail)?;
        let handle = sets.transaction();
        let key = JsValue::from_str(&meta.key);
        let put = |store: &idb::ObjectStore, value: &JsValue, key: &JsValue| {
            store.put(value, Some(key)).map(|_| ()).map_err(fail)
        };
        let written = (|| {
            put(&sets, &meta_record(meta), &key)?;
            match write {
                Write::Whole {
                    columns,
                    with_devices,
                    drop: gone,
                } => {
                    let o = record();
                    columns_record(columns, &o);
                    put(&cols, &o, &key)?;
                    if *with_devices {
                        let d = record();
                        set(&d, "devices", &Float64Array::from(&columns.devices[..]));
                        put(&cols, &d, &devices_key(&meta.key))?;
                    }
                    cols.delete(steps_of(&meta.key)?).map_err(fail)?;
                    for old in gone {
                        sets.delete(Query::Key(JsValue::from_str(old)))
                            .map_err(fail)?;
                        cols.delete(Query::Key(JsValue::from_str(old)))
                            .map_err(fail)?;
                        cols.delete(Query::Key(devices_key(old))).map_err(fail)?;
                        cols.delete(steps_of(old)?).map_err(fail)?;
                    }
                }
                Write::Step { seq, step } => {
                    let o = record();
                    columns_record(&step.rows, &o);
                    set(&o, "devices", &Float64Array::from(&step.rows.devices[..]));
                    set(&o, "positions", &Uint32Array::from(&step.positions[..]));
                    put(&cols, &o, &step_key(&meta.key, *seq))?;
                }
            }
            Ok(())
        })();
        // Nothing half written: what this transaction did so far is undone. A transaction the
        // browser aborted (Chromium's quota) names the cause; the request only that it ended.
        if let Err(error) = written {
            let cause = handle.error().map(|e| of_name(&e.name()));
            let _ = tx.abort();
            return Err(cause.unwrap_or(error));
        }
        Ok((tx.commit().map_err(fail)?, handle))
    });
    async move {
        let (done, handle) = sent?;
        match done.await {
            Ok(result) if result.is_committed() => Ok(()),
            _ => Err(handle
                .error()
                .map_or(StoreError::Unavailable, |e| of_name(&e.name()))),
        }
    }
}

/// Every stored set's list entry, in no particular order; an entry that cannot be read is
/// listed under its key with why.
pub async fn list(db: &Database) -> Result<Vec<StoredMeta>, StoreError> {
    let tx = db
        .transaction(&[SETS], TransactionMode::ReadOnly)
        .map_err(fail)?;
    let store = tx.object_store(SETS).map_err(fail)?;
    let (keys, values) = (
        store.get_all_keys(None, None).map_err(fail)?,
        store.get_all(None, None).map_err(fail)?,
    );
    let (keys, values) = (keys.await.map_err(fail)?, values.await.map_err(fail)?);
    Ok(keys
        .iter()
        .zip(values.iter())
        .map(|(key, value)| {
            meta_of(value).unwrap_or_else(|why| StoredMeta {
                key: key.as_string().unwrap_or_default(),
                account: String::new(),
                url: String::new(),
                started_at: 0.0,
                ended_at: Some(0.0),
                summary: Summary::default(),
                unreadable: Some(why),
            })
        })
        .collect())
}

/// The set stored under `key`: its columns and steps, or that it is gone or unreadable.
pub async fn load(db: &Database, key: &str) -> Result<Loaded, StoreError> {
    let tx = db
        .transaction(&[COLUMNS], TransactionMode::ReadOnly)
        .map_err(fail)?;
    let store = tx.object_store(COLUMNS).map_err(fail)?;
    let (record, devices, steps) = (
        store
            .get(Query::Key(JsValue::from_str(key)))
            .map_err(fail)?,
        store.get(Query::Key(devices_key(key))).map_err(fail)?,
        store.get_all(Some(steps_of(key)?), None).map_err(fail)?,
    );
    let record = record.await.map_err(fail)?;
    let devices = devices.await.map_err(fail)?;
    let steps = steps.await.map_err(fail)?;
    let Some(record) = record else {
        return Ok(Loaded::Gone);
    };
    let read = || -> Result<Loaded, Unreadable> {
        let mut columns = columns_of(&record)?;
        columns.devices = devices_of(&devices.ok_or_else(|| missing("list of IMEIs"))?)?;
        let steps = steps.iter().map(step_of).collect::<Result<_, _>>()?;
        Ok(Loaded::Set(Box::new(columns), steps))
    };
    Ok(read().unwrap_or_else(Loaded::Unreadable))
}

/// Deletes the sets of `keys`; every set when `keys` is `None` ("Clear all").
pub async fn delete(db: &Database, keys: Option<&[String]>) -> Result<(), StoreError> {
    let tx = db
        .transaction(&[SETS, COLUMNS], TransactionMode::ReadWrite)
        .map_err(fail)?;
    for name in [SETS, COLUMNS] {
        let store = tx.object_store(name).map_err(fail)?;
        match keys {
            None => {
                store.clear().map_err(fail)?;
            }
            Some(keys) => {
                for key in keys {
                    store
                        .delete(Query::Key(JsValue::from_str(key)))
                        .map_err(fail)?;
                    store.delete(Query::Key(devices_key(key))).map_err(fail)?;
                    store.delete(steps_of(key)?).map_err(fail)?;
                }
            }
        }
    }
    match tx.commit().map_err(fail)?.await {
        Ok(result) if result.is_committed() => Ok(()),
        _ => Err(StoreError::Unavailable),
    }
}
