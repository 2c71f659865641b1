//! How the page starts runs: Synchronize, Retry failed, a group's Sync again, Resume and a
//! stored run resumed, each checked against the form ([`RunForm::check`]) and started by
//! [`RunController::start`]. What the form must fix is the controller's
//! [`problems`](RunController::problems).

use leptos::prelude::*;

use super::{RunController, RunRequest, StoredSet};
use crate::core::form::{self, FormInput, FormProblem};
use crate::core::imei::Imei;
use crate::core::run::{RunSettings, SyncRun};
use crate::net::Credentials;
use crate::ui::context::LoadedConfig;
use crate::ui::portal::TokenState;

/// The form runs are started from: the fields it shares with the rest of the page, and the
/// config that sets every run's timeout and batching.
#[derive(Clone, Copy)]
pub struct RunForm {
    pub account: RwSignal<String>,
    pub base_url: RwSignal<String>,
    pub tokens: TokenState,
    pub config: StoredValue<LoadedConfig>,
}

impl RunForm {
    /// A run over `devices` with the form's account, tokens and base URL, or what the form
    /// must fix, one line each. `into_current_set`: see [`RunRequest`].
    pub fn check(
        &self,
        devices: Vec<Imei>,
        into_current_set: bool,
    ) -> Result<RunRequest, Vec<String>> {
        let (bearer, session) = self.tokens.current();
        let checked = form::check(FormInput {
            account: &self.account.get_untracked(),
            base_url: &self.base_url.get_untracked(),
            devices,
            bearer_token: &bearer,
            session_token: &session,
        })
        .map_err(lines)?;
        let (timeout_ms, settings) = self.settings();
        Ok(RunRequest {
            account: checked.account.to_string(),
            url: checked.url,
            credentials: Credentials {
                bearer_token: checked.bearer_token,
                session_token: checked.session_token,
            },
            timeout_ms,
            run: SyncRun::new(checked.devices, settings),
            into_current_set,
        })
    }

    /// Every run's request timeout (ms) and engine settings, from the config.
    fn settings(&self) -> (u32, RunSettings) {
        self.config
            .with_value(|c| (c.config.request_timeout_ms, c.config.run))
    }
}

fn lines(problems: Vec<FormProblem>) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

impl RunController {
    /// Connects the controller to the form its runs are started from.
    pub fn use_form(&self, form: RunForm) {
        self.wiring.update_value(|w| w.form = Some(form));
    }

    /// Synchronize: a new result set of `devices`, if the form checks out.
    pub fn synchronize(&self, devices: Vec<Imei>) {
        self.launch(devices, false);
    }

    /// Retry failed: a run over the devices of the set on screen that did not succeed.
    pub fn retry_failed(&self) {
        let devices = untrack(|| self.unsuccessful());
        self.launch(devices, true);
    }

    /// Sync again on a group of the workbench: a run over `devices` of the set on screen, as
    /// Retry failed is.
    pub fn sync_again(&self, devices: Vec<Imei>) {
        self.launch(devices, true);
    }

    /// A run checked against the form; what the form must fix otherwise. Ignored while a run
    /// goes.
    fn launch(&self, devices: Vec<Imei>, into_current_set: bool) {
        if self.running_untracked() {
            return;
        }
        let Some(form) = self.wiring.with_value(|w| w.form) else {
            return;
        };
        match form.check(devices, into_current_set) {
            Err(problems) => self.problems.set(problems),
            Ok(request) => {
                self.problems.set(Vec::new());
                self.start(request);
            }
        }
    }

    /// Resume: goes on with a paused run with the form's tokens, if both are there.
    pub fn resume(&self) {
        let Some(form) = self.wiring.with_value(|w| w.form) else {
            return;
        };
        let (bearer, session) = form.tokens.current();
        match form::check_tokens(&bearer, &session) {
            Err(problems) => self.problems.set(lines(problems)),
            Ok((bearer_token, session_token)) => {
                self.problems.set(Vec::new());
                self.resume_with(Credentials {
                    bearer_token,
                    session_token,
                });
            }
        }
    }

    /// Resume of a run a reload or a closed tab interrupted: shows its stored set and runs
    /// over the devices still waiting, for its own account and URL, with `credentials`.
    pub fn resume_stored(&self, stored: StoredSet, credentials: Credentials) {
        let Some(form) = self.wiring.with_value(|w| w.form) else {
            return;
        };
        let (timeout_ms, settings) = form.settings();
        let left = stored.set.unfinished();
        let (account, url) = (stored.account.clone(), stored.url.clone());
        self.show(stored, false);
        self.start(RunRequest {
            account,
            url,
            credentials,
            timeout_ms,
            run: SyncRun::new(left, settings),
            into_current_set: true,
        });
    }
}
