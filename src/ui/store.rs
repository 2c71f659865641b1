//! The browser's IndexedDB, through the `idb` crate: result sets saved while their run goes (to
//! resume after a reload) and kept once finished (the history). README, "What is stored".
//!
//! Database `fota-sync`, version 1, two object stores keyed by the set's key:
//! - `sets`: what the history lists ([`StoredMeta`]): account, API URL, times, counts;
//! - `columns`: the set itself ([`StoredColumns`]), as typed arrays (its texts as one UTF-8
//!   array, `textBytes`, and where each ends, `textEnds`); its IMEIs under `KEY#devices`, saved
//!   once per set and page, since they never change.
//!
//! Tokens are never written: neither record has a field for them.

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, Query, TransactionMode};
use js_sys::{Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::outcome::Summary;
use crate::core::stored::{StoredColumns, STORED_VERSION};

const DATABASE: &str = "fota-sync";
const SETS: &str = "sets";
const COLUMNS: &str = "columns";

/// Why storage did not work; the run always goes on in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The browser's storage quota for this site is used up (`QuotaExceededError`).
    Quota,
    /// IndexedDB is missing, blocked (private windows, portal policies) or failed.
    Unavailable,
}

impl StoreError {
    /// What the page says.
    pub fn note(&self) -> &'static str {
        match self {
            StoreError::Quota => "This browser's storage for the site is full: the run is not saved and goes on in memory (nothing on screen is lost). Delete old runs from the history to make room.",
            StoreError::Unavailable => "This browser does not let the app save runs (private window or site settings): the run goes on in memory, and a reload loses it.",
        }
    }
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
}

fn fail<T>(_: T) -> StoreError {
    StoreError::Unavailable
}

/// Opens (and on first use creates) the database.
pub async fn open() -> Result<Database, StoreError> {
    let factory = Factory::new().map_err(fail)?;
    let mut request = factory.open(DATABASE, Some(1)).map_err(fail)?;
    request.on_upgrade_needed(|event| {
        if let Ok(db) = event.database() {
            let _ = db.create_object_store(SETS, ObjectStoreParams::new());
            let _ = db.create_object_store(COLUMNS, ObjectStoreParams::new());
        }
    });
    request.await.map_err(fail)
}

fn set(target: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

fn get(source: &JsValue, name: &str) -> JsValue {
    Reflect::get(source, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn number(source: &JsValue, name: &str) -> f64 {
    get(source, name).as_f64().unwrap_or(f64::NAN)
}

fn count(source: &JsValue, name: &str) -> usize {
    get(source, name).as_f64().map_or(0, |n| n as usize)
}

const COUNTS: [&str; 7] = [
    "total",
    "succeeded",
    "failed",
    "noResult",
    "error",
    "notSent",
    "waiting",
];

fn summary_fields(s: &Summary) -> [usize; 7] {
    [
        s.total,
        s.succeeded,
        s.failed,
        s.no_result,
        s.error,
        s.not_sent,
        s.waiting,
    ]
}

fn meta_record(meta: &StoredMeta) -> Object {
    let o = Object::new();
    set(&o, "version", &JsValue::from(STORED_VERSION));
    set(&o, "key", &JsValue::from_str(&meta.key));
    set(&o, "account", &JsValue::from_str(&meta.account));
    set(&o, "url", &JsValue::from_str(&meta.url));
    set(&o, "startedAt", &JsValue::from(meta.started_at));
    let ended = meta.ended_at.map_or(JsValue::NULL, JsValue::from);
    set(&o, "endedAt", &ended);
    for (name, n) in COUNTS.iter().zip(summary_fields(&meta.summary)) {
        set(&o, name, &JsValue::from(n as f64));
    }
    o
}

fn meta_of(record: &JsValue) -> Option<StoredMeta> {
    if number(record, "version") != f64::from(STORED_VERSION) {
        return None;
    }
    let text = |name| get(record, name).as_string();
    let c = |name| count(record, name);
    Some(StoredMeta {
        key: text("key")?,
        account: text("account")?,
        url: text("url")?,
        started_at: number(record, "startedAt"),
        ended_at: get(record, "endedAt").as_f64(),
        summary: Summary {
            total: c("total"),
            succeeded: c("succeeded"),
            failed: c("failed"),
            no_result: c("noResult"),
            error: c("error"),
            not_sent: c("notSent"),
            waiting: c("waiting"),
        },
    })
}

fn columns_record(c: &StoredColumns) -> Object {
    let o = Object::new();
    set(&o, "version", &JsValue::from(STORED_VERSION));
    set(&o, "kinds", &Uint8Array::from(&c.kinds[..]));
    set(&o, "status", &Uint32Array::from(&c.status[..]));
    set(&o, "reason", &Uint32Array::from(&c.reason[..]));
    set(&o, "firmware", &Uint32Array::from(&c.firmware[..]));
    set(&o, "updated", &Float64Array::from(&c.updated[..]));
    set(&o, "unparsed", &Uint32Array::from(&c.unparsed[..]));
    set(&o, "requests", &Uint32Array::from(&c.requests[..]));
    // The texts as one UTF-8 array and where each ends: one copy, not a string per text (a
    // set may hold 100,000 distinct versions, and a save must not hold the page up).
    let mut bytes = Vec::with_capacity(c.texts.iter().map(String::len).sum());
    let mut ends = Vec::with_capacity(c.texts.len());
    for text in &c.texts {
        bytes.extend_from_slice(text.as_bytes());
        ends.push(bytes.len() as u32);
    }
    set(&o, "textBytes", &Uint8Array::from(&bytes[..]));
    set(&o, "textEnds", &Uint32Array::from(&ends[..]));
    o
}

fn columns_of(record: &JsValue) -> Option<StoredColumns> {
    if number(record, "version") != f64::from(STORED_VERSION) {
        return None;
    }
    let f64s = |name| {
        get(record, name)
            .dyn_into::<Float64Array>()
            .ok()
            .map(|a| a.to_vec())
    };
    let u32s = |name| {
        get(record, name)
            .dyn_into::<Uint32Array>()
            .ok()
            .map(|a| a.to_vec())
    };
    Some(StoredColumns {
        devices: Vec::new(),
        kinds: get(record, "kinds").dyn_into::<Uint8Array>().ok()?.to_vec(),
        status: u32s("status")?,
        reason: u32s("reason")?,
        firmware: u32s("firmware")?,
        updated: f64s("updated")?,
        unparsed: u32s("unparsed")?,
        requests: u32s("requests")?,
        texts: {
            let bytes = get(record, "textBytes")
                .dyn_into::<Uint8Array>()
                .ok()?
                .to_vec();
            let mut start = 0;
            let mut texts = Vec::new();
            for end in u32s("textEnds")? {
                let text = bytes.get(start..end as usize)?;
                texts.push(String::from_utf8(text.to_vec()).ok()?);
                start = end as usize;
            }
            texts
        },
    })
}

/// Whether a failed transaction ran out of quota.
fn quota_or_other(error: Option<web_sys::DomException>) -> StoreError {
    match error {
        Some(e) if e.name() == "QuotaExceededError" => StoreError::Quota,
        _ => StoreError::Unavailable,
    }
}

/// The key of a set's IMEIs, stored apart from its other columns: they never change while
/// the set's runs go, so a save does not copy them again.
fn devices_key(key: &str) -> JsValue {
    JsValue::from_str(&format!("{key}#devices"))
}

/// Saves a set and its list entry in one transaction (replacing an earlier save of the same
/// key), with its IMEIs when `with_devices` (the first save of a set in this page), and drops
/// the sets `drop` names (the history beyond its limit).
pub async fn save(
    db: &Database,
    meta: &StoredMeta,
    columns: &StoredColumns,
    with_devices: bool,
    drop: &[String],
) -> Result<(), StoreError> {
    let tx = db
        .transaction(&[SETS, COLUMNS], TransactionMode::ReadWrite)
        .map_err(fail)?;
    let (sets, cols) = (
        tx.object_store(SETS).map_err(fail)?,
        tx.object_store(COLUMNS).map_err(fail)?,
    );
    let key = JsValue::from_str(&meta.key);
    let handle = sets.transaction();
    let put = sets
        .put(&meta_record(meta), Some(&key))
        .and_then(|_| cols.put(&columns_record(columns), Some(&key)))
        .and_then(|request| match with_devices {
            true => cols.put(
                &Float64Array::from(&columns.devices[..]),
                Some(&devices_key(&meta.key)),
            ),
            false => Ok(request),
        });
    let error = match put {
        Err(idb::Error::UpdateFailed(e)) => Some(quota_or_other(e.dyn_into().ok())),
        Err(_) => Some(StoreError::Unavailable),
        Ok(_) => drop
            .iter()
            .flat_map(|old| {
                let key = |k: &str| Query::Key(JsValue::from_str(k));
                [
                    sets.delete(key(old)),
                    cols.delete(key(old)),
                    cols.delete(Query::Key(devices_key(old))),
                ]
            })
            .find_map(|d| d.err())
            .map(fail),
    };
    // Nothing half written: what this transaction did so far is undone.
    if let Some(error) = error {
        let _ = tx.abort();
        return Err(error);
    }
    let done = tx.commit().map_err(fail)?.await;
    match done {
        Ok(result) if result.is_committed() => Ok(()),
        _ => Err(quota_or_other(handle.error())),
    }
}

/// Every stored set's list entry, in no particular order.
pub async fn list(db: &Database) -> Result<Vec<StoredMeta>, StoreError> {
    let tx = db
        .transaction(&[SETS], TransactionMode::ReadOnly)
        .map_err(fail)?;
    let all = tx
        .object_store(SETS)
        .map_err(fail)?
        .get_all(None, None)
        .map_err(fail)?
        .await
        .map_err(fail)?;
    Ok(all.iter().filter_map(meta_of).collect())
}

/// The set stored under `key`, if it is there and readable.
pub async fn load(db: &Database, key: &str) -> Result<Option<StoredColumns>, StoreError> {
    let tx = db
        .transaction(&[COLUMNS], TransactionMode::ReadOnly)
        .map_err(fail)?;
    let store = tx.object_store(COLUMNS).map_err(fail)?;
    let get = |key: JsValue| store.get(Query::Key(key)).map_err(fail);
    let record = get(JsValue::from_str(key))?.await.map_err(fail)?;
    let devices = get(devices_key(key))?.await.map_err(fail)?;
    let devices = devices.and_then(|d| d.dyn_into::<Float64Array>().ok());
    Ok(record
        .as_ref()
        .and_then(columns_of)
        .zip(devices)
        .map(|(columns, devices)| StoredColumns {
            devices: devices.to_vec(),
            ..columns
        }))
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
                }
            }
        }
    }
    match tx.commit().map_err(fail)?.await {
        Ok(result) if result.is_committed() => Ok(()),
        _ => Err(StoreError::Unavailable),
    }
}
