//! Shared state provided at the root: the runtime config and the current run.

use leptos::prelude::*;

use super::portal::TokenState;
use super::run_controller::RunController;
use crate::core::config::{AppConfig, ConfigError};

/// Configuration as loaded at start-up, with the note shown when the defaults had to be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedConfig {
    pub config: AppConfig,
    pub note: Option<String>,
}

impl LoadedConfig {
    /// The config from `config.json` as fetched: its valid keys, with a note naming each key
    /// that could not be used; the defaults, with a note saying why, when the file could not be.
    pub fn from_fetch(fetched: Result<String, ConfigError>) -> LoadedConfig {
        match fetched.and_then(|text| AppConfig::read(&text)) {
            Ok(read) => LoadedConfig {
                note: read.note(),
                config: read.config,
            },
            Err(why) => LoadedConfig {
                config: AppConfig::default(),
                note: Some(format!("{why}. Using the built-in defaults.")),
            },
        }
    }
}

/// What every component may need, provided once by the root component.
#[derive(Clone, Copy)]
pub struct AppContext {
    pub config: StoredValue<LoadedConfig>,
    pub run: RunController,
    pub tokens: TokenState,
    /// The form's account and API base URL, which a portal may fill in.
    pub account: RwSignal<String>,
    pub base_url: RwSignal<String>,
}

impl AppContext {
    pub fn expect() -> AppContext {
        expect_context::<AppContext>()
    }
}
