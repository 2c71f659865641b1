//! The form: account, IMEIs, tokens and base URL, and the run's buttons; the run controller
//! checks the form when one is pressed, and the alert says what to fix.

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::context::AppContext;
use super::focus_later;
use super::imei_field::ImeiField;
use super::portal::TokenState;
use super::secret_field::SecretField;
use crate::core::count_of;
use crate::core::imei::parse_list;
use crate::core::token::TokenKind;

#[component]
pub fn SyncForm() -> impl IntoView {
    let context = AppContext::expect();
    let (account, base_url, tokens) = (context.account, context.base_url, context.tokens);
    let imei_text = RwSignal::new(String::new());
    let allow_bad_check_digit = RwSignal::new(false);
    let list = Memo::new(move |_| imei_text.with(|t| parse_list(t, allow_bad_check_digit.get())));
    let run = context.run;
    let running = Memo::new(move |_| run.running());
    let (synchronize_button, cancel_button) = (
        NodeRef::<html::Button>::new(),
        NodeRef::<html::Button>::new(),
    );
    let unsuccessful = Memo::new(move |_| run.unsuccessful());

    // On the button's click, which Enter in a field also fires (implicit submission), and not on
    // the form's submit: before a submit, Chromium's autofill reads every field of the form,
    // 15 ms of the press for 300,000 IMEIs. The click's default, the submit, is
    // cancelled.
    let on_synchronize = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        run.synchronize(list.with_untracked(|l| l.devices.clone()));
    };
    let paused = Memo::new(move |_| run.paused().is_some());
    // Idle, running, paused: the buttons change with each.
    let phase = Memo::new(move |_| u8::from(running.get()) + u8::from(paused.get()));
    keep_focus_in_the_actions(phase, synchronize_button, cancel_button);
    let cancel = move |_| run.cancel();
    let resume = move |_| run.resume();
    let retry_failed = move |_| run.retry_failed();
    let can_retry = move || !running.get() && unsuccessful.with(|u| !u.is_empty());

    view! {
        <form class="sync-form" novalidate>
            <div class="field">
                <label for="account">"Account"</label>
                <input
                    id="account"
                    name="account"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    placeholder="0000123456-00001"
                    prop:value=move || account.get()
                    on:input=move |ev| account.set(event_target_value(&ev))
                />
            </div>
            <ImeiField text=imei_text allow_bad_check_digit list />
            <Tokens tokens />
            <div class="field">
                <label for="api-base-url">"API base URL"</label>
                <input
                    id="api-base-url"
                    name="api-base-url"
                    type="text"
                    autocomplete="url"
                    spellcheck="false"
                    prop:value=move || base_url.get()
                    on:input=move |ev| base_url.set(event_target_value(&ev))
                />
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    on:click=on_synchronize
                    disabled=move || running.get()
                    node_ref=synchronize_button
                >
                    "Synchronize"
                </button>
                <button type="button" class="primary" on:click=resume hidden=move || !paused.get()>
                    "Resume"
                </button>
                // Hidden rather than taken out of the page (a <Show> each costs the bundle more).
                <button type="button" on:click=cancel node_ref=cancel_button hidden=move || !running.get()>
                    "Cancel"
                </button>
                <button
                    type="button"
                    title=move || format!("Run again with the {} that did not succeed", unsuccessful.with(|u| count_of(u.len(), "device", "devices")))
                    on:click=retry_failed
                    hidden=move || !can_retry()
                >
                    "Retry failed"
                </button>
            </div>
            <Alert />
        </form>
    }
}

/// A keyboard user keeps their place when a run starts, pauses, resumes or ends: the button
/// they pressed (Synchronize, Retry failed, Resume, Cancel) is disabled or goes away, which
/// would drop the focus to the page's start. If the focus was lost that way, it moves to Cancel
/// while a run goes (`phase` above 0) and to Synchronize once it is over; focus anywhere else
/// is left alone.
fn keep_focus_in_the_actions(
    phase: Memo<u8>,
    synchronize: NodeRef<html::Button>,
    cancel: NodeRef<html::Button>,
) {
    Effect::new(move |before: Option<u8>| {
        let now = phase.get();
        if before.is_some_and(|b| b != now) {
            // After the buttons are drawn for the new state.
            focus_later(move || {
                let lost = match document().active_element() {
                    None => true,
                    Some(el) => {
                        document().body().is_some_and(|body| *body == el)
                            || el
                                .dyn_ref::<web_sys::HtmlButtonElement>()
                                .is_some_and(|b| b.disabled())
                    }
                };
                let target = if now > 0 { cancel } else { synchronize };
                target.get_untracked().filter(|_| lost).map(Into::into)
            });
        }
        now
    });
}

/// The two tokens: typed (optionally remembered in this tab) or provided by the portal.
#[component]
fn Tokens(tokens: TokenState) -> impl IntoView {
    let portal_present = move || tokens.portal.with(Option::is_some);
    view! {
        <fieldset class="tokens">
            <legend class="visually-hidden">"Tokens"</legend>
            // Two Shows, not one with a fallback: a fallback is an AnyView, whose table of
            // functions for the typed fields cost 2.4 KB of the brotli bundle.
            <Show when=move || !tokens.from_portal()>
                <div class="token-fields">
                    <SecretField label="Bearer token" id="bearer-token" kind=TokenKind::Bearer value=tokens.bearer />
                    <SecretField label="Session token" id="session-token" kind=TokenKind::Session value=tokens.session />
                </div>
                <div class="token-actions">
                    <label class="check">
                        <input
                            type="checkbox"
                            prop:checked=move || tokens.remember.get()
                            on:change=move |ev| tokens.remember.set(event_target_checked(&ev))
                        />
                        "Remember tokens in this tab"
                    </label>
                    <button type="button" on:click=move |_| tokens.use_own.set(false) hidden=move || !portal_present()>
                        "Use the portal's tokens"
                    </button>
                    <button type="button" on:click=move |_| tokens.forget()>"Forget tokens"</button>
                </div>
            </Show>
            <Show when=move || tokens.from_portal()>
                <div class="token-fields">
                    <div class="field">
                        <span class="label">"Bearer token"</span>
                        <p class="provided">"Provided by the portal"</p>
                    </div>
                    <div class="field">
                        <span class="label">"Session token"</span>
                        <p class="provided">"Provided by the portal"</p>
                    </div>
                </div>
                <div class="token-actions">
                    <button type="button" on:click=move |_| tokens.use_own.set(true)>
                        "Use my own tokens"
                    </button>
                    <button type="button" on:click=move |_| tokens.forget()>"Forget tokens"</button>
                </div>
            </Show>
        </fieldset>
    }
}

/// The one place a failure is announced: what the form must fix, or how the last run failed.
#[component]
fn Alert() -> impl IntoView {
    let run = AppContext::expect().run;
    let problems = run.problems();
    // Changes only when the error does: the alert is written, and announced, once per error,
    // not again at every answer of a run that goes on.
    let error = Memo::new(move |_| run.error());
    let paused = Memo::new(move |_| run.paused().is_some());
    // Either, not into_any(): an AnyView compiles a table of functions for each type.
    let content = move || {
        let errors = problems.get();
        if !errors.is_empty() {
            return Some(Either::Left(view! {
                <p class="headline">"Please check the form:"</p>
                <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
            }));
        }
        error.get().map(|error| {
            let headline = if paused.get() {
                error.pause_headline()
            } else {
                error.headline()
            };
            Either::Right(view! {
                <p class="headline">{headline}</p>
                {error.raw().map(|raw| view! { <p class="raw"><code>{raw}</code></p> })}
            })
        })
    };
    view! {
        <Show when=move || problems.with(|e| !e.is_empty()) || error.with(Option::is_some)>
            <div class="alert" role="alert">{content}</div>
        </Show>
    }
}
