//! Runtime configuration read from `config.json` beside `index.html`, and the API base URL rules.
//!
//! Every key is optional, and one bad key costs only that key: the file is read with serde's
//! derive into a [`RawConfig`] whose fields take any JSON value, then [`RawConfig::validate`]
//! checks each key on its own, keeps every valid one and names each bad one ([`KeyError`]).
//! A hand-edited file is read as people write it: a byte-order mark, CRLF line ends, `//` and
//! `/* */` comments, a trailing comma, a whole number written as `30000.0`.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::fota::MAX_DEVICES_PER_REQUEST;
use super::run::{Pacing, RunSettings, MAX_ATTEMPTS, MAX_CONCURRENCY};

pub const DEFAULT_API_BASE_URL: &str = "api/fota/v3";
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Days without a firmware change after which a device counts as stale.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 30;
/// Finished result sets kept in IndexedDB unless config.json says otherwise.
pub const DEFAULT_HISTORY_LIMIT: u32 = 20;

/// Settings an operator changes per deployment without rebuilding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    pub api_base_url: String,
    pub request_timeout_ms: u32,
    pub run: RunSettings,
    /// Origins of portal pages allowed to hand over credentials; empty: no handoff.
    pub allowed_parent_origins: Vec<String>,
    pub theme: Theme,
    /// Days without a firmware change after which a successful device counts as stale; 0 turns
    /// the check off.
    pub stale_after_days: u32,
    /// Finished result sets kept in the browser's IndexedDB, the newest; 0 turns storage off
    /// entirely (no run is saved, resumed or kept), for portals that forbid it.
    pub history_limit: u32,
}

/// Light, dark, or whatever the user's system prefers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorScheme {
    #[default]
    Auto,
    Light,
    Dark,
}

/// A portal's look: a colour scheme and values for the `--fota-*` custom properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    pub color_scheme: ColorScheme,
    /// `(property, value)`, e.g. `("--fota-accent", "#0a58ca")`.
    pub properties: Vec<(String, String)>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            request_timeout_ms: DEFAULT_TIMEOUT_MS,
            run: RunSettings::default(),
            allowed_parent_origins: Vec::new(),
            theme: Theme::default(),
            stale_after_days: DEFAULT_STALE_AFTER_DAYS,
            history_limit: DEFAULT_HISTORY_LIMIT,
        }
    }
}

/// `config.json` as read (`camelCase` keys, as in the README), each key still unchecked: any
/// JSON value, `None` when missing or `null` (both mean the default). Every field takes any
/// value, so that one bad key does not fail the whole file; [`RawConfig::validate`] checks
/// them. (serde's readers of typed fields would bring their error messages, float formatting
/// among them, for errors this module words itself.)
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawConfig {
    /// Text: [`ApiBase::parse`].
    pub api_base_url: Option<Value>,
    /// The whole numbers: also when written with a zero fraction (`30000.0`, `3e4`).
    pub request_timeout_ms: Option<Value>,
    pub batch_size: Option<Value>,
    pub concurrency: Option<Value>,
    pub max_attempts: Option<Value>,
    /// Text: `"adaptive"` or `"fixed"` ([`Pacing::parse`]).
    pub pacing: Option<Value>,
    /// A list of origins, or one origin written without the brackets.
    pub allowed_parent_origins: Option<Value>,
    /// An object: `colorScheme` (text) and `properties` (an object of texts).
    pub theme: Option<Value>,
    pub stale_after_days: Option<Value>,
    pub history_limit: Option<Value>,
}

/// The keys [`RawConfig`] reads, for naming a misspelt one.
pub const KEYS: [&str; 10] = [
    "apiBaseUrl",
    "requestTimeoutMs",
    "batchSize",
    "concurrency",
    "maxAttempts",
    "pacing",
    "allowedParentOrigins",
    "theme",
    "staleAfterDays",
    "historyLimit",
];

/// What is wrong with one key; the key's other siblings still apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// The key as the file spells it (`theme.colorScheme` for a key inside `theme`).
    pub key: String,
    pub problem: KeyProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// A value of another kind or out of range; `expected` says what fits, `found` quotes
    /// what the file has.
    Invalid { expected: String, found: String },
    /// A key the app does not know, with the known key it most likely means.
    Unknown { did_you_mean: Option<&'static str> },
    /// The key is given more than once: the last one applies, as in a browser's JSON.parse.
    Repeated,
    /// Read, though not as documented (one origin without the list's brackets).
    ReadAs(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match &self.problem {
            KeyProblem::Invalid { expected, found } => {
                write!(
                    f,
                    "{key} must be {expected}, not {found}: the default is used"
                )
            }
            KeyProblem::Unknown {
                did_you_mean: Some(known),
            } => write!(
                f,
                "{key} is not a known key (did you mean {known}?): ignored"
            ),
            KeyProblem::Unknown { did_you_mean: None } => {
                write!(f, "{key} is not a known key: ignored")
            }
            KeyProblem::Repeated => write!(f, "{key} is given more than once: the last applies"),
            KeyProblem::ReadAs(how) => write!(f, "{key} {how}"),
        }
    }
}

/// Why `config.json` as a whole could not be used: every key takes its default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No answer at all (offline, blocked).
    Unreachable,
    /// An HTTP status other than 2xx.
    Status(u16),
    /// A web page came instead of the file: a single-page host's fallback to `index.html`,
    /// a login page, an error page.
    Html,
    /// The file is empty.
    Empty,
    /// Not JSON: where (1-based line and column) and what, in plain words.
    Syntax {
        line: usize,
        column: usize,
        what: &'static str,
    },
    /// JSON, but not an object of keys: what it is instead.
    NotAnObject(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Unreachable => f.write_str("config.json could not be loaded (no answer from the server)"),
            ConfigError::Status(404) => f.write_str(
                "config.json was not found beside the app (HTTP 404): add the file, or leave it out on purpose",
            ),
            ConfigError::Status(status) => {
                let reason = http::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default();
                write!(f, "config.json could not be loaded (HTTP {status}{reason})")
            }
            ConfigError::Html => f.write_str(
                "config.json came back as a web page (HTML), not the file: the server answers its own page for a file it does not have (a single-page host's fallback). Put config.json beside index.html",
            ),
            ConfigError::Empty => f.write_str("config.json is empty"),
            ConfigError::Syntax { line, column, what } => write!(
                f,
                "config.json is not valid JSON at line {line}, column {column}: {what}"
            ),
            ConfigError::NotAnObject(what) => write!(
                f,
                "config.json holds {what}, not settings in braces ({{\"apiBaseUrl\": \"...\"}})"
            ),
        }
    }
}

/// `config.json` read: the config (the valid keys, defaults for the rest) and each key that
/// could not be used, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRead {
    pub config: AppConfig,
    pub problems: Vec<KeyError>,
}

impl ConfigRead {
    /// The note the app shows when some keys could not be used: each named, with the file.
    pub fn note(&self) -> Option<String> {
        if self.problems.is_empty() {
            return None;
        }
        let each: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        Some(format!(
            "config.json: {}. Every other key applies.",
            each.join("; ")
        ))
    }
}

/// The answer to `GET config.json` as the network gave it, checked before it is read as JSON.
/// `content_type` is the `Content-Type` header, if any.
pub fn check_answer(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<(), ConfigError> {
    let html_type = content_type.is_some_and(|t| {
        let t = t.trim_start().to_ascii_lowercase();
        t.starts_with("text/html") || t.starts_with("application/xhtml")
    });
    let looks_html = body
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<');
    if html_type || looks_html {
        return Err(ConfigError::Html);
    }
    if !(200..300).contains(&status) {
        return Err(ConfigError::Status(status));
    }
    Ok(())
}

/// What a JSON value is, in words, for a message: `the text "50"`, `-3`, `a list`. A number is
/// written without float formatting: a whole one as an integer (`30000.0` as `30000`), one past
/// what any key takes or with a fraction in words.
fn quote(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => match n.as_f64() {
            Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
            Some(n) if n.fract() == 0.0 => format!("a number past {}", u32::MAX),
            _ => "a number with a fraction".into(),
        },
        Value::String(s) => quote_text(s),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// `the text "..."`, cut at 60 characters.
fn quote_text(text: &str) -> String {
    format!("the text \"{}\"", super::shorten(text, 60))
}

/// The known key that `key` most likely means: the same but for case, `_`, `-` or spaces, or
/// one or two letters off.
fn did_you_mean(key: &str) -> Option<&'static str> {
    let squash = |k: &str| -> String {
        k.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = squash(key);
    KEYS.iter()
        .copied()
        .find(|known| squash(known) == wanted)
        .or_else(|| {
            KEYS.iter()
                .copied()
                .find(|known| edit_distance(&squash(known), &wanted) <= 2)
        })
}

/// Levenshtein distance, for the short key names of [`KEYS`].
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The keys of a JSON object in file order, repeated ones included (serde_json's `Map` keeps
/// only the last).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

/// `text` as strict JSON: without a byte-order mark, `//` and `/* */` comments (outside
/// strings) and commas before `}` or `]`. Every line keeps its place, so that a syntax error's
/// line and column still point into the file as written.
pub fn strict_json(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains(['/', ',']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            match b {
                b'\\' if i + 1 < bytes.len() => {
                    out.push(bytes[i + 1]);
                    i += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
            continue;
        } else if bytes[i..].starts_with(b"/*") {
            let end = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
            out.extend(
                bytes[i..end]
                    .iter()
                    .map(|&c| if c == b'\n' { b'\n' } else { b' ' }),
            );
            i = end;
            continue;
        } else if b == b',' {
            let next = bytes[i + 1..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .copied();
            out.push(if matches!(next, Some(b'}' | b']')) {
                b' '
            } else {
                b','
            });
        } else {
            in_string = b == b'"';
            out.push(b);
        }
        i += 1;
    }
    // Only ASCII bytes were replaced, by ASCII bytes.
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| text.to_owned()))
}

/// A syntax error in plain words, from serde_json's category and the text at its place.
fn syntax_error(text: &str, e: &serde_json::Error) -> ConfigError {
    let (line, column) = (e.line(), e.column());
    let at = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.get(column.saturating_sub(1)..))
        .unwrap_or_default()
        .trim_start();
    let what = if e.is_eof() {
        "the file ends before its last } or ]"
    } else if at.starts_with('\'') {
        "JSON writes text in double quotes (\"...\"), not single ones"
    } else if at.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        "a name or text without double quotes around it"
    } else if at.starts_with('"') {
        "a comma is missing before this"
    } else {
        "check the commas, quotes and brackets there"
    };
    ConfigError::Syntax { line, column, what }
}

impl AppConfig {
    /// Reads `config.json`; every key is optional. `Err` when the file as a whole cannot be
    /// used; otherwise the valid keys apply and each bad one is named.
    pub fn read(text: &str) -> Result<ConfigRead, ConfigError> {
        let json = strict_json(text);
        if json.trim().is_empty() {
            return Err(ConfigError::Empty);
        }
        let entries = match serde_json::from_str::<Entries>(&json) {
            Ok(entries) => entries.0,
            Err(e) if e.is_data() => {
                let kind = match serde_json::from_str::<Value>(&json) {
                    Ok(Value::Array(_)) => "a list",
                    Ok(Value::String(_)) => "a text",
                    Ok(Value::Number(_)) => "a number",
                    _ => "a single value",
                };
                return Err(ConfigError::NotAnObject(kind));
            }
            Err(e) => return Err(syntax_error(&json, &e)),
        };
        let mut problems = Vec::new();
        let mut object = Map::new();
        for (key, value) in entries {
            if object.contains_key(&key) {
                problems.push(KeyError {
                    key: key.clone(),
                    problem: KeyProblem::Repeated,
                });
            } else if !KEYS.contains(&key.as_str()) && !is_comment_key(&key) {
                problems.push(KeyError {
                    key: key.clone(),
                    problem: KeyProblem::Unknown {
                        did_you_mean: did_you_mean(&key),
                    },
                });
            }
            object.insert(key, value);
        }
        // Never fails: every field takes any value.
        let raw = RawConfig::deserialize(Value::Object(object)).unwrap_or_default();
        let (config, mut invalid) = raw.validate();
        problems.append(&mut invalid);
        Ok(ConfigRead { config, problems })
    }
}

/// `$schema`, and keys that by convention hold a comment (`//`, `_comment`, `#`).
fn is_comment_key(key: &str) -> bool {
    key == "$schema" || key.starts_with(['/', '_', '#'])
}

/// Each key's problems, gathered while [`RawConfig::validate`] checks the keys one by one.
#[derive(Default)]
struct Problems(Vec<KeyError>);

impl Problems {
    /// Names `key` as `expected` but `found` (in words).
    fn invalid(&mut self, key: &str, expected: String, found: String) {
        self.0.push(KeyError {
            key: key.to_owned(),
            problem: KeyProblem::Invalid { expected, found },
        });
    }

    /// A whole number in `min..=max` (also written as `30000.0`), or `None` when `value` is
    /// missing or, with the problem named, not one.
    fn whole(
        &mut self,
        key: &str,
        value: &Option<Value>,
        min: u32,
        max: u32,
        unit: &str,
    ) -> Option<u32> {
        let value = value.as_ref()?;
        let n = value.as_f64().unwrap_or(f64::NAN);
        if n.fract() == 0.0 && (f64::from(min)..=f64::from(max)).contains(&n) {
            return Some(n as u32);
        }
        self.invalid(
            key,
            format!("a whole number{unit} from {min} to {max}"),
            quote(value),
        );
        None
    }
}

impl RawConfig {
    /// Checks each key on its own: the valid ones apply, every other takes its default and is
    /// named, in [`KEYS`] order.
    pub fn validate(self) -> (AppConfig, Vec<KeyError>) {
        let mut problems = Problems::default();
        let p = &mut problems;
        let defaults = AppConfig::default();
        let api_base_url = match &self.api_base_url {
            None => None,
            Some(Value::String(url)) => match ApiBase::parse(url) {
                Ok(base) => Some(base.as_str().to_owned()),
                Err(e) => {
                    p.invalid("apiBaseUrl", format!("a usable URL ({e})"), quote_text(url));
                    None
                }
            },
            Some(other) => {
                p.invalid("apiBaseUrl", "a URL in quotes".into(), quote(other));
                None
            }
        };
        let request_timeout_ms = p.whole(
            "requestTimeoutMs",
            &self.request_timeout_ms,
            1,
            u32::MAX,
            " of milliseconds",
        );
        let batch_size = p.whole(
            "batchSize",
            &self.batch_size,
            1,
            MAX_DEVICES_PER_REQUEST as u32,
            "",
        );
        let concurrency = p.whole(
            "concurrency",
            &self.concurrency,
            1,
            MAX_CONCURRENCY as u32,
            "",
        );
        let max_attempts = p.whole("maxAttempts", &self.max_attempts, 1, MAX_ATTEMPTS, "");
        let pacing = match &self.pacing {
            None => None,
            Some(value) => {
                let pacing = value.as_str().and_then(|s| Pacing::parse(s.trim()));
                if pacing.is_none() {
                    p.invalid("pacing", "\"adaptive\" or \"fixed\"".into(), quote(value));
                }
                pacing
            }
        };
        let allowed_parent_origins = origins(p, self.allowed_parent_origins);
        let theme = match &self.theme {
            None => Theme::default(),
            Some(Value::Object(theme)) => Theme {
                color_scheme: color_scheme(p, theme.get("colorScheme")),
                properties: theme_properties(p, theme.get("properties")),
            },
            Some(other) => {
                p.invalid(
                    "theme",
                    "an object ({\"colorScheme\": \"dark\"})".into(),
                    quote(other),
                );
                Theme::default()
            }
        };
        let stale_after_days = p.whole(
            "staleAfterDays",
            &self.stale_after_days,
            0,
            u32::MAX,
            " of days (0 turns the check off)",
        );
        let history_limit = p.whole(
            "historyLimit",
            &self.history_limit,
            0,
            u32::MAX,
            " of runs (0 stores nothing)",
        );
        let config = AppConfig {
            api_base_url: api_base_url.unwrap_or(defaults.api_base_url),
            request_timeout_ms: request_timeout_ms.unwrap_or(defaults.request_timeout_ms),
            run: RunSettings {
                batch_size: batch_size.map_or(defaults.run.batch_size, |n| n as usize),
                concurrency: concurrency.map_or(defaults.run.concurrency, |n| n as usize),
                max_attempts: max_attempts.unwrap_or(defaults.run.max_attempts),
                pacing: pacing.unwrap_or(defaults.run.pacing),
                ..defaults.run
            },
            allowed_parent_origins,
            theme,
            stale_after_days: stale_after_days.unwrap_or(defaults.stale_after_days),
            history_limit: history_limit.unwrap_or(defaults.history_limit),
        };
        (config, problems.0)
    }
}

/// `allowedParentOrigins`: the valid origins of the list, each other one named; one origin
/// without the list's brackets is read as a list of it, and said so.
fn origins(p: &mut Problems, value: Option<Value>) -> Vec<String> {
    const KEY: &str = "allowedParentOrigins";
    const LIST: &str = "a list of origins like [\"https://portal.example.com\"]";
    match value {
        None => Vec::new(),
        Some(Value::String(one)) if is_origin(one.trim()) => {
            let one = one.trim().to_owned();
            p.0.push(KeyError {
                key: KEY.into(),
                problem: KeyProblem::ReadAs(format!(
                    "should be a list ([\"{one}\"]): read as a list of that one origin"
                )),
            });
            vec![one]
        }
        Some(Value::Array(list)) if list.iter().all(Value::is_string) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|origin| {
                let trimmed = origin.trim();
                if is_origin(trimmed) {
                    return Some(trimmed.to_owned());
                }
                p.invalid(
                    KEY,
                    "a list of origins like https://portal.example.com (scheme and host, no path)"
                        .into(),
                    quote_text(origin),
                );
                None
            })
            .collect(),
        Some(other) => {
            p.invalid(KEY, LIST.into(), quote(&other));
            Vec::new()
        }
    }
}

/// `theme.colorScheme`: `light`, `dark` or `auto` (the default, also when missing or `null`).
fn color_scheme(p: &mut Problems, value: Option<&Value>) -> ColorScheme {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return ColorScheme::Auto;
    };
    match value.as_str().map(str::trim) {
        Some("auto") => ColorScheme::Auto,
        Some("light") => ColorScheme::Light,
        Some("dark") => ColorScheme::Dark,
        _ => {
            p.invalid(
                "theme.colorScheme",
                "\"light\", \"dark\" or \"auto\"".into(),
                quote(value),
            );
            ColorScheme::Auto
        }
    }
}

/// `theme.properties`, in name order (serde_json's map is sorted: its `preserve_order` is off);
/// each bad property is named on its own.
fn theme_properties(p: &mut Problems, value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(name, value)| match theme_property(name, value.as_str()) {
                Ok(property) => Some(property),
                Err(expected) => {
                    p.invalid(&format!("theme.properties.{name}"), expected, quote(value));
                    None
                }
            })
            .collect(),
        Some(other) => {
            p.invalid(
                "theme.properties",
                "an object ({\"accent\": \"#0a58ca\"})".into(),
                quote(other),
            );
            Vec::new()
        }
    }
}

/// `accent` or `--fota-accent` → `--fota-accent`; names are letters, digits and dashes only,
/// values text without `;`, braces or angle brackets (they could end the declaration).
fn theme_property(name: &str, value: Option<&str>) -> Result<(String, String), String> {
    let short = name.strip_prefix("--fota-").unwrap_or(name);
    let name_ok = !short.is_empty()
        && short
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match value {
        Some(value) if name_ok && !value.contains([';', '{', '}', '<', '>']) => {
            Ok((format!("--fota-{short}"), value.trim().to_owned()))
        }
        _ if !name_ok => Err("a property name of letters, digits and dashes".into()),
        _ => Err("a CSS value in quotes, without ; { } < >".into()),
    }
}

/// `proxy.example.com` or `www.example.co.uk`: dot-separated labels of letters, digits and
/// dashes, the last of letters only (a top-level domain), as a host is written.
fn looks_like_host(segment: &str) -> bool {
    let labels: Vec<&str> = segment.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// An origin as the browser writes it: scheme, host and optional port, nothing more.
fn is_origin(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ']))
}

/// Where requests go: an absolute http(s) URL (a CORS proxy) or a path on the page's own origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiBase {
    Absolute(String),
    /// `/api/...` or `api/...`; the browser resolves it against the page.
    SameOrigin(String),
}

impl ApiBase {
    pub fn parse(text: &str) -> Result<ApiBase, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "enter the API base URL, e.g. https://proxy.example.com/api/fota/v3".into(),
            );
        }
        if text.chars().any(char::is_whitespace) {
            return Err("the API base URL must not contain spaces".into());
        }
        let lower = text.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
        {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if host.is_empty() {
                return Err("the API base URL has no host".into());
            }
            // A user name or password in the URL would be sent, shown and stored with every
            // run (RFC 3986 user-info, before an `@` in the authority).
            if host.contains('@') {
                return Err("the API base URL must not carry a user name or password (user@host): the proxy's credentials belong in the proxy".into());
            }
            return Ok(ApiBase::Absolute(text.to_owned()));
        }
        if text.starts_with("//") || text.starts_with('\\') {
            return Err(
                "write the scheme: https://host/path, or a path such as /api/fota/v3".into(),
            );
        }
        let first_segment = text.split('/').next().unwrap_or("");
        if looks_like_host(first_segment) {
            return Err(format!(
                "write the scheme: https://{text} (without it, {first_segment} is a folder of this site)"
            ));
        }
        if first_segment.contains(':') {
            return Err(
                "only http:// and https:// URLs, or a path on this site, are allowed".into(),
            );
        }
        Ok(ApiBase::SameOrigin(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            ApiBase::Absolute(s) | ApiBase::SameOrigin(s) => s,
        }
    }

    /// `{base}/firmware/{account}/devices`, with the account already encoded as a path segment.
    pub fn sync_url(&self, account_segment: &str) -> String {
        let base = self.as_str().trim_end_matches('/');
        format!("{base}/firmware/{account_segment}/devices")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config when every key of `text` could be used; else the first problem in words.
    fn from_json(text: &str) -> Result<AppConfig, String> {
        let read = AppConfig::read(text).map_err(|e| e.to_string())?;
        match read.problems.first() {
            None => Ok(read.config),
            Some(problem) => Err(problem.to_string()),
        }
    }

    #[test]
    fn every_key_is_optional() {
        assert_eq!(from_json("{}").unwrap(), AppConfig::default());
        let c = from_json(
            r#"{"apiBaseUrl": "https://proxy.example.com/fota", "requestTimeoutMs": 5000, "//": "note"}"#,
        )
        .unwrap();
        assert_eq!(c.api_base_url, "https://proxy.example.com/fota");
        assert_eq!(c.request_timeout_ms, 5000);
        let c = from_json(r#"{"batchSize": 50, "concurrency": 2, "maxAttempts": 1}"#).unwrap();
        assert_eq!(
            (c.run.batch_size, c.run.concurrency, c.run.max_attempts),
            (50, 2, 1)
        );
    }

    #[test]
    fn history_limit_is_a_whole_number_or_off() {
        assert_eq!(AppConfig::default().history_limit, 20);
        let limit = |json: &str| from_json(json).map(|c| c.history_limit);
        assert_eq!(limit(r#"{"historyLimit": 5}"#), Ok(5));
        assert_eq!(limit(r#"{"historyLimit": 0}"#), Ok(0));
        for bad in [r#"{"historyLimit": -1}"#, r#"{"historyLimit": true}"#] {
            assert!(limit(bad).unwrap_err().contains("historyLimit"), "{bad}");
        }
    }

    #[test]
    fn stale_after_days_is_a_whole_number_of_days_or_off() {
        assert_eq!(AppConfig::default().stale_after_days, 30);
        let days = |json: &str| from_json(json).map(|c| c.stale_after_days);
        assert_eq!(days(r#"{"staleAfterDays": 90}"#), Ok(90));
        assert_eq!(days(r#"{"staleAfterDays": 0}"#), Ok(0));
        for bad in [
            r#"{"staleAfterDays": -1}"#,
            r#"{"staleAfterDays": 1.5}"#,
            r#"{"staleAfterDays": "30"}"#,
        ] {
            let error = days(bad).unwrap_err();
            assert!(error.contains("staleAfterDays"), "{bad}: {error}");
        }
    }

    #[test]
    fn portal_settings_are_read_and_checked() {
        let c = from_json(
            r##"{"allowedParentOrigins": ["https://portal.example.com", "http://127.0.0.1:9000"],
                "theme": {"colorScheme": "dark", "properties": {"accent": "#0a58ca", "--fota-radius": "2px"}}}"##,
        )
        .unwrap();
        assert_eq!(c.allowed_parent_origins.len(), 2);
        assert_eq!(c.theme.color_scheme, ColorScheme::Dark);
        assert_eq!(
            c.theme.properties,
            [
                ("--fota-radius".to_owned(), "2px".to_owned()),
                ("--fota-accent".to_owned(), "#0a58ca".to_owned())
            ]
        );
        for bad in [
            r#"{"allowedParentOrigins": ["https://portal.example.com/"]}"#,
            r#"{"allowedParentOrigins": ["*"]}"#,
            r#"{"theme": {"properties": {"accent": "red; background: url(x)"}}}"#,
            r#"{"theme": {"properties": {"a b": "red"}}}"#,
            r#"{"theme": {"colorScheme": "blue"}}"#,
        ] {
            assert!(from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn broken_config_is_explained() {
        assert!(from_json("not json").unwrap_err().contains("config.json"));
        assert!(from_json(r#"{"apiBaseUrl": "ftp://x"}"#)
            .unwrap_err()
            .contains("apiBaseUrl"));
        assert!(from_json(r#"{"requestTimeoutMs": 0}"#).is_err());
        assert!(from_json(r#"{"requestTimeoutMs": "fast"}"#).is_err());
        let too_big = from_json(r#"{"batchSize": 101}"#).unwrap_err();
        assert!(
            too_big.contains("batchSize must be a whole number from 1 to 100, not 101"),
            "{too_big}"
        );
        assert!(from_json(r#"{"concurrency": 0}"#).is_err());
        // A value of the wrong type is named with its key.
        for (bad, key) in [
            (r#"{"apiBaseUrl": 1}"#, "apiBaseUrl"),
            (r#"{"requestTimeoutMs": "fast"}"#, "requestTimeoutMs"),
            (r#"{"requestTimeoutMs": 5000000000}"#, "requestTimeoutMs"),
            (r#"{"batchSize": 1.5}"#, "batchSize"),
            (r#"{"concurrency": "4"}"#, "concurrency"),
            (r#"{"maxAttempts": -1}"#, "maxAttempts"),
            (
                r#"{"allowedParentOrigins": "https://portal.example.com"}"#,
                "allowedParentOrigins",
            ),
            (r#"{"allowedParentOrigins": [1]}"#, "allowedParentOrigins"),
            (r#"{"theme": "dark"}"#, "theme"),
            (r#"{"theme": {"properties": {"accent": 1}}}"#, "accent"),
            ("[]", "holds a list, not settings in braces"),
        ] {
            let error = from_json(bad).unwrap_err();
            assert!(error.contains(key), "{bad}: {error}");
        }
        // `null` is a missing key.
        assert_eq!(
            from_json(r#"{"apiBaseUrl": null, "batchSize": null, "theme": null}"#),
            Ok(AppConfig::default())
        );
    }

    #[test]
    fn pacing_is_adaptive_unless_fixed_and_a_bad_value_costs_only_that_key() {
        assert_eq!(AppConfig::default().run.pacing, Pacing::Adaptive);
        let fixed = from_json(r#"{"pacing": "fixed", "concurrency": 8}"#).unwrap();
        assert_eq!(
            (fixed.run.pacing, fixed.run.concurrency),
            (Pacing::Fixed, 8)
        );
        for bad in [r#""slow""#, "1", "null"] {
            let read =
                AppConfig::read(&format!(r#"{{"pacing": {bad}, "concurrency": 8}}"#)).unwrap();
            assert_eq!(
                (read.config.run.pacing, read.config.run.concurrency),
                (Pacing::Adaptive, 8)
            );
            if bad != "null" {
                let note = read.note().unwrap();
                assert!(
                    note.contains(r#"pacing must be "adaptive" or "fixed", not "#),
                    "{note}"
                );
            }
        }
        let note = AppConfig::read(r#"{"pacing": "slow"}"#)
            .unwrap()
            .note()
            .unwrap();
        assert!(note.contains(r#"not the text "slow""#), "{note}");
    }

    /// What issue 20 found: one bad key threw away the whole file, a valid apiBaseUrl with it.
    #[test]
    fn one_bad_key_costs_only_that_key() {
        let read = AppConfig::read(
            r#"{"apiBaseUrl": "https://proxy.example.com/fota/v3", "batchSize": "50",
                "requestTimeoutMs": 30000.0, "concurrency": 2,
                "allowedParentOrigins": "https://portal.example.com", "maxAttempts": -3}"#,
        )
        .unwrap();
        assert_eq!(
            read.config.api_base_url,
            "https://proxy.example.com/fota/v3"
        );
        assert_eq!(read.config.request_timeout_ms, 30_000);
        assert_eq!(read.config.run.concurrency, 2);
        assert_eq!(
            read.config.run.batch_size,
            RunSettings::default().batch_size
        );
        assert_eq!(
            read.config.run.max_attempts,
            RunSettings::default().max_attempts
        );
        assert_eq!(
            read.config.allowed_parent_origins,
            ["https://portal.example.com"]
        );
        let keys: Vec<&str> = read.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["batchSize", "maxAttempts", "allowedParentOrigins"]);
        let note = read.note().unwrap();
        assert!(note.starts_with("config.json: "), "{note}");
        assert!(
            note.contains("batchSize must be a whole number from 1 to 100, not the text \"50\""),
            "{note}"
        );
        assert!(
            note.contains("maxAttempts must be a whole number from 1 to 10, not -3"),
            "{note}"
        );
        assert!(
            note.contains("allowedParentOrigins should be a list"),
            "{note}"
        );
        for word in ["expected", "invalid type", "line 1 column"] {
            assert!(!note.contains(word), "{note}");
        }
    }

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction_but_not_another() {
        let read = AppConfig::read(
            r#"{"requestTimeoutMs": 3e4, "historyLimit": 5.0, "staleAfterDays": 1.5}"#,
        )
        .unwrap();
        assert_eq!(read.config.request_timeout_ms, 30_000);
        assert_eq!(read.config.history_limit, 5);
        assert_eq!(read.config.stale_after_days, DEFAULT_STALE_AFTER_DAYS);
        assert_eq!(read.problems[0].key, "staleAfterDays");
        // Past what fits: named, never wrapped round.
        let huge = AppConfig::read(r#"{"requestTimeoutMs": 1e12, "batchSize": 1e300}"#).unwrap();
        assert_eq!(huge.config, AppConfig::default());
        assert_eq!(huge.problems.len(), 2);
    }

    /// Numbers are quoted in words without float formatting: a whole one as an integer, one
    /// with a fraction or past every key's range in words.
    #[test]
    fn numbers_are_named_as_written_without_float_formatting() {
        let read = AppConfig::read(
            r#"{"batchSize": 1.5, "concurrency": 1e300, "maxAttempts": -3.0, "apiBaseUrl": 7}"#,
        )
        .unwrap();
        let shown: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "apiBaseUrl must be a URL in quotes, not 7: the default is used",
                "batchSize must be a whole number from 1 to 100, not a number with a fraction: the default is used",
                "concurrency must be a whole number from 1 to 16, not a number past 4294967295: the default is used",
                "maxAttempts must be a whole number from 1 to 10, not -3: the default is used",
            ]
        );
    }

    /// Files as people edit them by hand: a byte-order mark (Notepad), CRLF, comments,
    /// trailing commas; every line keeps its number for a message.
    #[test]
    fn hand_edited_files_are_read() {
        let text = "\u{feff}{\r\n  // where requests go\r\n  \"apiBaseUrl\": \"https://p.example.com/a//b\", /* the proxy */\r\n  \"batchSize\": 50,\r\n}\r\n";
        let read = AppConfig::read(text).unwrap();
        assert_eq!(read.config.api_base_url, "https://p.example.com/a//b");
        assert_eq!(read.config.run.batch_size, 50);
        assert!(read.problems.is_empty());
        assert_eq!(strict_json("[1, 2,\n]"), "[1, 2 \n]");
        assert_eq!(strict_json(r#"{"a": "x,}//y"}"#), r#"{"a": "x,}//y"}"#);
    }

    #[test]
    fn broken_files_are_explained_in_plain_words_with_their_place() {
        let cases = [
            (
                "{\n  \"apiBaseUrl\": 'https://p.example.com'\n}",
                "line 2",
                "double quotes",
            ),
            (
                "{\n  apiBaseUrl: \"x\"\n}",
                "line 2",
                "without double quotes",
            ),
            (
                "{\"batchSize\": 5\n\"concurrency\": 2}",
                "line 2",
                "comma is missing",
            ),
            ("{\"batchSize\": 5", "line 1", "ends before"),
        ];
        for (text, place, what) in cases {
            let error = AppConfig::read(text).unwrap_err().to_string();
            assert!(
                error.contains(place) && error.contains(what),
                "{text}: {error}"
            );
            assert!(!error.contains("expected"), "{error}");
        }
        assert_eq!(AppConfig::read("  \n"), Err(ConfigError::Empty));
        assert_eq!(
            AppConfig::read("[]"),
            Err(ConfigError::NotAnObject("a list"))
        );
    }

    #[test]
    fn a_web_page_or_a_missing_file_is_named_as_such() {
        let page = "<!DOCTYPE html><html><head><title>FOTA Sync</title>";
        assert_eq!(
            check_answer(200, Some("text/html; charset=utf-8"), page),
            Err(ConfigError::Html)
        );
        assert_eq!(
            check_answer(200, None, &format!("\n  {page}")),
            Err(ConfigError::Html)
        );
        assert_eq!(
            check_answer(404, Some("text/html"), page),
            Err(ConfigError::Html)
        );
        assert_eq!(
            check_answer(404, Some("text/plain"), "Not Found"),
            Err(ConfigError::Status(404))
        );
        assert_eq!(check_answer(200, Some("application/json"), "{}"), Ok(()));
        let html = ConfigError::Html.to_string();
        assert!(
            html.contains("web page") && html.contains("single-page"),
            "{html}"
        );
        assert!(ConfigError::Status(404).to_string().contains("not found"));
        assert!(ConfigError::Status(503)
            .to_string()
            .contains("HTTP 503 Service Unavailable"));
    }

    #[test]
    fn misspelt_repeated_and_comment_keys() {
        let read = AppConfig::read(
            r#"{"apiBaseURL": "https://a.example.com", "batchsize": 5, "timeoutMs": 1,
                "batchSize": 10, "batchSize": 20, "$schema": "x", "_comment": "y"}"#,
        )
        .unwrap();
        assert_eq!(
            read.config.run.batch_size, 20,
            "the last applies, as in JSON.parse"
        );
        let shown: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "apiBaseURL is not a known key (did you mean apiBaseUrl?): ignored",
                "batchsize is not a known key (did you mean batchSize?): ignored",
                "timeoutMs is not a known key: ignored",
                "batchSize is given more than once: the last applies",
            ]
        );
    }

    #[test]
    fn urls_with_spaces_or_without_a_scheme() {
        let read =
            AppConfig::read(r#"{"apiBaseUrl": " https://p.example.com/api/fota/v3 \t"}"#).unwrap();
        assert_eq!(
            read.config.api_base_url,
            "https://p.example.com/api/fota/v3"
        );
        let read =
            AppConfig::read(r#"{"apiBaseUrl": "proxy.example.com/api/fota/v3", "batchSize": 7}"#)
                .unwrap();
        assert_eq!(read.config.api_base_url, DEFAULT_API_BASE_URL);
        assert_eq!(read.config.run.batch_size, 7);
        assert!(read
            .note()
            .unwrap()
            .contains("https://proxy.example.com/api/fota/v3"));
        assert!(ApiBase::parse("api/fota/v3").is_ok());
        assert!(
            ApiBase::parse("fota.v3/x").is_ok(),
            "a folder with a dot and a digit"
        );
    }

    #[test]
    fn theme_keys_fail_alone() {
        let read = AppConfig::read(
            r##"{"theme": {"colorScheme": "blue", "properties": {"accent": "#0a58ca", "bad": "red;x", "n": 1}},
                "historyLimit": 3}"##,
        )
        .unwrap();
        assert_eq!(read.config.history_limit, 3);
        assert_eq!(read.config.theme.color_scheme, ColorScheme::Auto);
        assert_eq!(
            read.config.theme.properties,
            [("--fota-accent".to_owned(), "#0a58ca".to_owned())]
        );
        let keys: Vec<&str> = read.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "theme.colorScheme",
                "theme.properties.bad",
                "theme.properties.n"
            ]
        );
    }

    #[test]
    fn base_urls_are_http_or_same_origin_paths() {
        assert_eq!(
            ApiBase::parse(" https://p.example.com/api/fota/v3/ "),
            Ok(ApiBase::Absolute(
                "https://p.example.com/api/fota/v3/".into()
            ))
        );
        assert_eq!(
            ApiBase::parse("/api/fota/v3"),
            Ok(ApiBase::SameOrigin("/api/fota/v3".into()))
        );
        assert_eq!(
            ApiBase::parse("api/fota/v3"),
            Ok(ApiBase::SameOrigin("api/fota/v3".into()))
        );
        for bad in [
            "",
            "javascript:alert(1)",
            "ftp://host/x",
            "//evil.example.com/x",
            "http://",
            "https:///path",
            "data:text/html,hi",
            "http://a b",
            "https://user:secret@proxy.example.com/api/fota/v3",
            "https://token@proxy.example.com",
        ] {
            assert!(ApiBase::parse(bad).is_err(), "{bad}");
        }
        // An @ after the host is part of the path, not user-info.
        assert!(ApiBase::parse("https://p.example.com/api/@v3").is_ok());
    }

    #[test]
    fn sync_url_joins_without_double_slashes() {
        let base = ApiBase::parse("https://p.example.com/api/fota/v3/").unwrap();
        assert_eq!(
            base.sync_url("0000123456-00001"),
            "https://p.example.com/api/fota/v3/firmware/0000123456-00001/devices"
        );
    }
}
