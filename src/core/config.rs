//! Runtime configuration read from `config.json` beside `index.html`, and the API base URL rules.

use serde_json::{Map, Value};

use super::fota::MAX_DEVICES_PER_REQUEST;
use super::run::{RunSettings, MAX_ATTEMPTS, MAX_CONCURRENCY};

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

/// The value of `key`, unless it is missing or `null`: both mean the default.
fn given<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

/// `accent` or `--fota-accent` → `--fota-accent`; names are letters, digits and dashes only.
/// A value that is not a string is not allowed either.
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
        _ => Err(format!(
            "config.json theme property \"{name}\" is not allowed"
        )),
    }
}

/// An origin as the browser writes it: scheme, host and optional port, nothing more.
fn is_origin(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ']))
}

impl AppConfig {
    /// Reads `config.json`; every key is optional. An error says what is wrong, for the note the
    /// app shows when it falls back to the defaults.
    ///
    /// The file is read as a JSON value and then key by key (serde's derived readers cost about
    /// 5 KB of the brotli bundle); `null` counts as a missing key.
    pub fn from_json(text: &str) -> Result<AppConfig, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("config.json could not be read: {e}"))?;
        let raw = value
            .as_object()
            .ok_or("config.json could not be read: it is not a JSON object")?;
        let defaults = AppConfig::default();
        let api_base_url = match given(raw, "apiBaseUrl") {
            Some(url) => {
                let url = url
                    .as_str()
                    .ok_or("config.json apiBaseUrl must be a string")?;
                ApiBase::parse(url).map_err(|e| format!("config.json apiBaseUrl: {e}"))?;
                url.to_owned()
            }
            None => defaults.api_base_url,
        };
        let request_timeout_ms = match given(raw, "requestTimeoutMs").map(Value::as_u64) {
            None => defaults.request_timeout_ms,
            Some(Some(0)) => return Err("config.json requestTimeoutMs must be above 0".to_owned()),
            Some(ms) => ms
                .and_then(|ms| u32::try_from(ms).ok())
                .ok_or("config.json requestTimeoutMs must be a whole number of milliseconds")?,
        };
        let in_range = |name: &str, max: usize, default: usize| match given(raw, name) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|v| (1..=max as u64).contains(v))
                .map(|v| v as usize)
                .ok_or_else(|| format!("config.json {name} must be from 1 to {max}")),
        };
        let run = RunSettings {
            batch_size: in_range(
                "batchSize",
                MAX_DEVICES_PER_REQUEST,
                defaults.run.batch_size,
            )?,
            concurrency: in_range("concurrency", MAX_CONCURRENCY, defaults.run.concurrency)?,
            max_attempts: in_range(
                "maxAttempts",
                MAX_ATTEMPTS as usize,
                defaults.run.max_attempts as usize,
            )? as u32,
            ..defaults.run
        };
        let allowed_parent_origins = match given(raw, "allowedParentOrigins") {
            None => Vec::new(),
            Some(list) => list
                .as_array()
                .ok_or("config.json allowedParentOrigins must be a list of origins")?
                .iter()
                .map(|origin| match origin.as_str() {
                    Some(origin) if is_origin(origin) => Ok(origin.to_owned()),
                    Some(bad) => Err(format!(
                        "config.json allowedParentOrigins: \"{bad}\" is not an origin like https://portal.example.com"
                    )),
                    None => Err("config.json allowedParentOrigins must be a list of origins".to_owned()),
                })
                .collect::<Result<_, _>>()?,
        };
        let theme = match given(raw, "theme") {
            None => Theme::default(),
            Some(theme) => {
                let theme = theme
                    .as_object()
                    .ok_or("config.json theme must be an object")?;
                let color_scheme =
                    match given(theme, "colorScheme").map(Value::as_str) {
                        None | Some(Some("auto")) => ColorScheme::Auto,
                        Some(Some("light")) => ColorScheme::Light,
                        Some(Some("dark")) => ColorScheme::Dark,
                        Some(_) => return Err(
                            "config.json theme colorScheme must be \"light\", \"dark\" or \"auto\""
                                .to_owned(),
                        ),
                    };
                // In name order: serde_json's map is sorted (its `preserve_order` is off).
                let properties = match theme.get("properties") {
                    None => Vec::new(),
                    Some(properties) => properties
                        .as_object()
                        .ok_or("config.json theme properties must be an object")?
                        .iter()
                        .map(|(name, value)| theme_property(name, value.as_str()))
                        .collect::<Result<_, _>>()?,
                };
                Theme {
                    color_scheme,
                    properties,
                }
            }
        };
        let whole = |key: &str, default: u32, error: &'static str| {
            given(raw, key).map_or(Ok(default), |v| {
                v.as_u64().and_then(|d| u32::try_from(d).ok()).ok_or(error)
            })
        };
        let stale_after_days = whole(
            "staleAfterDays",
            defaults.stale_after_days,
            "config.json staleAfterDays must be a whole number of days, 0 to turn the check off",
        )?;
        let history_limit = whole(
            "historyLimit",
            defaults.history_limit,
            "config.json historyLimit must be a whole number of runs to keep, 0 to store nothing",
        )?;
        Ok(AppConfig {
            api_base_url,
            request_timeout_ms,
            run,
            allowed_parent_origins,
            theme,
            stale_after_days,
            history_limit,
        })
    }
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

    #[test]
    fn every_key_is_optional() {
        assert_eq!(AppConfig::from_json("{}").unwrap(), AppConfig::default());
        let c = AppConfig::from_json(
            r#"{"apiBaseUrl": "https://proxy.example.com/fota", "requestTimeoutMs": 5000, "x": 1}"#,
        )
        .unwrap();
        assert_eq!(c.api_base_url, "https://proxy.example.com/fota");
        assert_eq!(c.request_timeout_ms, 5000);
        let c = AppConfig::from_json(r#"{"batchSize": 50, "concurrency": 2, "maxAttempts": 1}"#)
            .unwrap();
        assert_eq!(
            (c.run.batch_size, c.run.concurrency, c.run.max_attempts),
            (50, 2, 1)
        );
    }

    #[test]
    fn history_limit_is_a_whole_number_or_off() {
        assert_eq!(AppConfig::default().history_limit, 20);
        let limit = |json: &str| AppConfig::from_json(json).map(|c| c.history_limit);
        assert_eq!(limit(r#"{"historyLimit": 5}"#), Ok(5));
        assert_eq!(limit(r#"{"historyLimit": 0}"#), Ok(0));
        for bad in [r#"{"historyLimit": -1}"#, r#"{"historyLimit": true}"#] {
            assert!(limit(bad).unwrap_err().contains("historyLimit"), "{bad}");
        }
    }

    #[test]
    fn stale_after_days_is_a_whole_number_of_days_or_off() {
        assert_eq!(AppConfig::default().stale_after_days, 30);
        let days = |json: &str| AppConfig::from_json(json).map(|c| c.stale_after_days);
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
        let c = AppConfig::from_json(
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
            assert!(AppConfig::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn broken_config_is_explained() {
        assert!(AppConfig::from_json("not json")
            .unwrap_err()
            .contains("config.json"));
        assert!(AppConfig::from_json(r#"{"apiBaseUrl": "ftp://x"}"#)
            .unwrap_err()
            .contains("apiBaseUrl"));
        assert!(AppConfig::from_json(r#"{"requestTimeoutMs": 0}"#).is_err());
        assert!(AppConfig::from_json(r#"{"requestTimeoutMs": "fast"}"#).is_err());
        let too_big = AppConfig::from_json(r#"{"batchSize": 101}"#).unwrap_err();
        assert!(
            too_big.contains("batchSize must be from 1 to 100"),
            "{too_big}"
        );
        assert!(AppConfig::from_json(r#"{"concurrency": 0}"#).is_err());
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
            (r#"{"theme": {"properties": null}}"#, "properties"),
            (r#"{"theme": {"properties": {"accent": 1}}}"#, "accent"),
            ("[]", "JSON object"),
        ] {
            let error = AppConfig::from_json(bad).unwrap_err();
            assert!(error.contains(key), "{bad}: {error}");
        }
        // `null` is a missing key.
        assert_eq!(
            AppConfig::from_json(r#"{"apiBaseUrl": null, "batchSize": null, "theme": null}"#),
            Ok(AppConfig::default())
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
