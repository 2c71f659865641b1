//! Component tests in a real browser: mount, act, let the DOM settle, check what a user sees.

#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use fota_sync::core::api_error::ApiError;
use fota_sync::core::config::AppConfig;
use fota_sync::core::fota::decode_answer;
use fota_sync::core::imei::Imei;
use fota_sync::core::run::{Pacing, RunSettings, SyncRun};
use fota_sync::net::{CallError, Credentials};
use fota_sync::ui::app::Console;
use fota_sync::ui::context::LoadedConfig;
use fota_sync::ui::run_controller::{
    CallResult, RunController, RunRequest, SyncRequest, Transport,
};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests do not see each other's DOM.
fn container() -> HtmlElement {
    let document = document();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.unchecked_into()
}

fn loaded(note: Option<&str>) -> LoadedConfig {
    LoadedConfig {
        config: AppConfig::default(),
        note: note.map(str::to_owned),
    }
}

/// A stand-in server: each request waits until the test replies to it.
#[derive(Clone, Default)]
struct FakeServer {
    calls: Rc<RefCell<Vec<FakeCall>>>,
}

struct FakeCall {
    body: String,
    resolve: js_sys::Function,
    result: Rc<RefCell<Option<CallResult>>>,
}

impl FakeServer {
    fn transport(&self) -> Transport {
        let calls = self.calls.clone();
        Rc::new(move |request: SyncRequest| {
            let slot = Rc::new(RefCell::new(None));
            let mut resolve = None;
            let promise = js_sys::Promise::new(&mut |done, _| resolve = Some(done));
            calls.borrow_mut().push(FakeCall {
                body: request.body,
                resolve: resolve.expect("the executor runs at once"),
                result: slot.clone(),
            });
            Box::pin(async move {
                let _ = JsFuture::from(promise).await;
                let result = slot.borrow_mut().take();
                result.expect("replied")
            })
        })
    }

    /// Answers request `index` (0 for the first sent).
    fn reply(&self, index: usize, result: CallResult) {
        let calls = self.calls.borrow();
        let call = &calls[index];
        *call.result.borrow_mut() = Some(result);
        call.resolve.call0(&JsValue::NULL).unwrap();
    }

    fn sent(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|c| c.body.clone()).collect()
    }
}

/// Mounts the working page with runs sent to a fake server; returns its root, the run's
/// owner and the server.
fn mount_console() -> (HtmlElement, RunController, FakeServer) {
    let root = container();
    let server = FakeServer::default();
    let run = Rc::new(Cell::new(None));
    let handle = {
        let (run, transport) = (run.clone(), server.transport());
        leptos::mount::mount_to(root.clone(), move || {
            let controller = RunController::new(transport, js_sys::Date::now);
            run.set(Some(controller));
            view! { <Console loaded=loaded(None) run=controller /> }
        })
    };
    handle.forget();
    (root, run.get().expect("console takes the run"), server)
}

/// A run of `devices` at the fixed pace: these tests count the requests in flight.
fn request(devices: Vec<Imei>, settings: RunSettings) -> RunRequest {
    let settings = RunSettings {
        pacing: Pacing::Fixed,
        ..settings
    };
    RunRequest {
        account: "0000123456-00001".into(),
        url: "api/fota/v3/firmware/0000123456-00001/devices".into(),
        credentials: Credentials {
            bearer_token: "b".into(),
            session_token: "s".into(),
        },
        timeout_ms: 30_000,
        run: SyncRun::new(devices, settings),
        into_current_set: false,
    }
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn texts(root: &Element, selector: &str) -> Vec<String> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

fn label_for(root: &Element, id: &str) -> String {
    find(root, &format!("label[for='{id}']"))
        .text_content()
        .unwrap()
}

fn type_into(root: &Element, selector: &str, value: &str) {
    let element = find(root, selector);
    if let Some(area) = element.dyn_ref::<HtmlTextAreaElement>() {
        area.set_value(value);
    } else {
        element.unchecked_ref::<HtmlInputElement>().set_value(value);
    }
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

fn click(root: &Element, selector: &str) {
    find(root, selector).unchecked_into::<HtmlElement>().click();
}

fn summary_value(root: &Element, term: &str) -> Option<String> {
    let nodes = root
        .query_selector_all("dl[aria-label='Summary'] > div")
        .unwrap();
    (0..nodes.length()).find_map(|i| {
        let item: Element = nodes.item(i).unwrap().unchecked_into();
        (find(&item, "dt").text_content().unwrap() == term)
            .then(|| find(&item, "dd").text_content().unwrap())
    })
}

#[wasm_bindgen_test]
async fn every_field_has_its_contracted_label() {
    let (root, _, _) = mount_console();
    tick().await;
    assert_eq!(label_for(&root, "account"), "Account");
    assert_eq!(label_for(&root, "imeis"), "IMEIs");
    assert_eq!(label_for(&root, "bearer-token"), "Bearer token");
    assert_eq!(label_for(&root, "session-token"), "Session token");
    assert_eq!(label_for(&root, "api-base-url"), "API base URL");
    assert_eq!(
        find(&root, "button[type=submit]").text_content().unwrap(),
        "Synchronize"
    );
    let base = find(&root, "#api-base-url").unchecked_into::<HtmlInputElement>();
    assert_eq!(base.value(), "api/fota/v3");
}

#[wasm_bindgen_test]
async fn typing_imeis_shows_the_count_and_every_problem() {
    let (root, _, _) = mount_console();
    type_into(
        &root,
        "#imeis",
        "490154203237518, 356938035643809\n12345;490154203237518 49015420323751x\n990000473475989",
    );
    tick().await;
    assert_eq!(
        find(&root, "#imei-count").text_content().unwrap(),
        "2 valid, unique IMEIs"
    );
    let problems = texts(&root, "ul[aria-label='Problems'] li:not([hidden])");
    assert_eq!(
        problems,
        [
            "Entry 3 (line 2): \"12345\" is not 15 digits (it has 5)",
            "Entry 4 (line 2): \"490154203237518\" is a duplicate of entry 1",
            "Entry 5 (line 2): \"49015420323751x\" contains non-digits",
            "Entry 6 (line 3): \"990000473475989\" Luhn check digit is wrong (expected 8)",
        ]
    );
    click(&root, "input[type=checkbox]");
    tick().await;
    assert_eq!(
        find(&root, "#imei-count").text_content().unwrap(),
        "3 valid, unique IMEIs"
    );
    type_into(&root, "#imeis", "490154203237518");
    tick().await;
    assert_eq!(
        find(&root, "#imei-count").text_content().unwrap(),
        "1 valid, unique IMEI"
    );
    assert!(
        root.query_selector("ul[aria-label='Problems']:not([hidden])")
            .unwrap()
            .is_none(),
        "no problems, no list shown"
    );
}

#[wasm_bindgen_test]
async fn submitting_an_incomplete_form_explains_and_keeps_what_was_typed() {
    let (root, _, _) = mount_console();
    type_into(&root, "#account", "12345");
    type_into(&root, "#imeis", "12345");
    type_into(&root, "#api-base-url", "ftp://example.com");
    click(&root, "button[type=submit]");
    tick().await;
    let alert = find(&root, "[role=alert]").text_content().unwrap();
    assert!(alert.contains("10 digits, a dash and 5 digits"), "{alert}");
    assert!(alert.contains("at least one valid IMEI"), "{alert}");
    assert!(alert.contains("bearer token"), "{alert}");
    assert!(alert.contains("session token"), "{alert}");
    assert!(alert.contains("API base URL"), "{alert}");
    let account = find(&root, "#account").unchecked_into::<HtmlInputElement>();
    assert_eq!(account.value(), "12345");
    let imeis = find(&root, "#imeis").unchecked_into::<HtmlTextAreaElement>();
    assert_eq!(imeis.value(), "12345");
    assert!(find(&root, ".table-wrap").has_attribute("hidden"));
    assert!(root.query_selector("tbody tr").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_pasted_token_says_what_was_removed_or_why_it_is_refused() {
    let (root, _, _) = mount_console();
    tick().await;
    let note = || find(&root, "#bearer-token-note").text_content().unwrap();
    assert_eq!(note(), "");
    type_into(&root, "#bearer-token", "  Bearer eyJabc.def\n");
    tick().await;
    assert_eq!(
        note(),
        "“Bearer” was removed from the start of the bearer token: the app adds what is needed."
    );
    type_into(&root, "#bearer-token", "eyJabc def");
    tick().await;
    assert!(note().contains("space or line break inside"), "{}", note());
    let input = find(&root, "#bearer-token");
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("bearer-token-note")
    );
}

#[wasm_bindgen_test]
async fn token_fields_are_hidden_until_shown() {
    let (root, _, _) = mount_console();
    let bearer = find(&root, "#bearer-token").unchecked_into::<HtmlInputElement>();
    assert_eq!(bearer.type_(), "password");
    click(&root, "button[aria-label='Show bearer token']");
    tick().await;
    assert_eq!(bearer.type_(), "text");
    let session = find(&root, "#session-token").unchecked_into::<HtmlInputElement>();
    assert_eq!(session.type_(), "password");
    click(&root, "button[aria-label='Show bearer token']");
    tick().await;
    assert_eq!(bearer.type_(), "password");
}

fn session_storage() -> web_sys::Storage {
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
}

#[wasm_bindgen_test]
async fn tokens_stay_in_memory_unless_the_user_asks_to_remember_them() {
    session_storage().clear().unwrap();
    let (root, _, _) = mount_console();
    type_into(&root, "#bearer-token", "bearer-secret-1");
    type_into(&root, "#session-token", "session-secret-1");
    tick().await;
    assert_eq!(session_storage().length().unwrap(), 0);
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(local.length().unwrap(), 0);

    let remember = root
        .query_selector_all(".token-actions input[type=checkbox]")
        .unwrap()
        .item(0)
        .unwrap()
        .unchecked_into::<HtmlElement>();
    remember.click();
    tick().await;
    let stored: Vec<String> = (0..session_storage().length().unwrap())
        .map(|i| {
            let key = session_storage().key(i).unwrap().unwrap();
            session_storage().get_item(&key).unwrap().unwrap()
        })
        .collect();
    assert!(stored.contains(&"bearer-secret-1".to_owned()), "{stored:?}");
    assert_eq!(local.length().unwrap(), 0, "never localStorage");

    let forget = root.query_selector_all(".token-actions button").unwrap();
    let forget = (0..forget.length())
        .map(|i| forget.item(i).unwrap().unchecked_into::<HtmlElement>())
        .find(|b| b.text_content().unwrap() == "Forget tokens")
        .expect("a Forget tokens button");
    forget.click();
    tick().await;
    assert_eq!(session_storage().length().unwrap(), 0);
    let bearer = find(&root, "#bearer-token").unchecked_into::<HtmlInputElement>();
    assert_eq!(bearer.value(), "");
}

#[wasm_bindgen_test]
async fn answers_fill_the_table_in_input_order_as_text() {
    let (root, run, server) = mount_console();
    let devices: Vec<Imei> = ["490154203237518", "356938035643809", "353879234252633"]
        .iter()
        .map(|s| Imei::parse(s).unwrap())
        .collect();
    run.start(request(devices, RunSettings::default()));
    frame().await;
    assert_eq!(
        server.sent(),
        [r#"{"deviceList":["490154203237518","356938035643809","353879234252633"]}"#]
    );
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["Waiting", "Waiting", "Waiting"]
    );
    assert_eq!(summary_value(&root, "Waiting").as_deref(), Some("3"));

    let answer = decode_answer(
        r#"{"accountName": "0000123456-00001", "deviceFirmwarVersionList": [
            {"deviceId": "353879234252633", "status": "FirmwareVersionUpdateFailed",
             "Reason": "<img src=x onerror=alert(1)>", "firmwareVersion": "<b>SR1</b>",
             "VersionUpdateTime": ""},
            {"deviceId": "490154203237518", "status": "FirmwareVersionUpdateSuccess",
             "Reason": "", "firmwareVersion": "SR1.2.0.0-10657",
             "VersionUpdateTime": "2022-02-04 06:10:01.441 +0000 UTC"}]}"#,
    )
    .unwrap();
    server.reply(0, Ok(answer));
    settled().await;

    let header = texts(&root, "table.results thead th");
    assert_eq!(
        header,
        ["IMEI", "Status", "Reason", "Firmware version", "Updated"]
    );
    assert_eq!(
        texts(&root, "tbody td.imei"),
        ["490154203237518", "356938035643809", "353879234252633"]
    );
    assert_eq!(
        texts(&root, "tbody td.status"),
        [
            "FirmwareVersionUpdateSuccess",
            "No result",
            "FirmwareVersionUpdateFailed"
        ]
    );
    assert_eq!(
        texts(&root, "tbody td.reason")[2],
        "<img src=x onerror=alert(1)>"
    );
    assert!(root.query_selector("tbody img, tbody b").unwrap().is_none());
    let time = find(&root, "tbody tr:first-child time");
    assert_eq!(
        time.get_attribute("title").unwrap(),
        "2022-02-04 06:10:01.441 UTC"
    );
    assert!(time.text_content().unwrap().starts_with("2022-02-0"));
    assert!(find(&root, ".summary .account")
        .text_content()
        .unwrap()
        .contains("0000123456-00001"));
    for (term, n) in [
        ("Total", "3"),
        ("Succeeded", "1"),
        ("Failed", "1"),
        ("No result", "1"),
    ] {
        assert_eq!(summary_value(&root, term).as_deref(), Some(n), "{term}");
    }
    assert_eq!(summary_value(&root, "Waiting"), None);
}

#[wasm_bindgen_test]
async fn a_second_run_shows_its_own_rows() {
    let (root, run, server) = mount_console();
    let devices = vec![Imei::parse("490154203237518").unwrap()];
    run.start(request(devices.clone(), RunSettings::default()));
    frame().await;
    server.reply(0, Err(CallError::Api(ApiError::Timeout { after_ms: 1 })));
    settled().await;
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["Waiting"],
        "a timeout is retried"
    );
    assert!(run.running());
    run.cancel();
    frame().await;
    assert_eq!(texts(&root, "tbody td.status"), ["Not sent"]);
    assert!(!run.running());

    run.start(request(devices, RunSettings::default()));
    frame().await;
    assert_eq!(texts(&root, "tbody td.status"), ["Waiting"]);
}

#[wasm_bindgen_test]
async fn a_retry_updates_the_same_result_set_and_the_others_keep_their_outcome() {
    let (root, run, server) = mount_console();
    let devices: Vec<Imei> = ["490154203237518", "356938035643809", "353879234252633"]
        .iter()
        .map(|s| Imei::parse(s).unwrap())
        .collect();
    let one_per_request = RunSettings {
        batch_size: 1,
        max_attempts: 1,
        ..RunSettings::default()
    };
    run.start(request(devices.clone(), one_per_request));
    frame().await;
    let answer = |imei: &str, status: &str, version: &str| {
        decode_answer(&format!(
            r#"{{"deviceFirmwarVersionList": [{{"deviceId": "{imei}", "status": "{status}",
                "Reason": "", "firmwareVersion": "{version}", "VersionUpdateTime": ""}}]}}"#
        ))
        .unwrap()
    };
    server.reply(
        0,
        Ok(answer(
            "490154203237518",
            "FirmwareVersionUpdateSuccess",
            "SR1",
        )),
    );
    server.reply(1, Err(CallError::Api(ApiError::Timeout { after_ms: 1 })));
    server.reply(
        2,
        Ok(answer(
            "353879234252633",
            "FirmwareVersionUpdateFailed",
            "SR0",
        )),
    );
    settled().await;
    frame().await;
    assert_eq!(texts(&root, "tbody td.status")[1], "Error");
    let failed = run.unsuccessful();
    assert_eq!(failed, vec![devices[1], devices[2]]);

    // Retry failed: only the two are sent; the first keeps its success and its firmware.
    let mut retry = request(failed, one_per_request);
    retry.into_current_set = true;
    run.start(retry);
    frame().await;
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["FirmwareVersionUpdateSuccess", "Waiting", "Waiting"]
    );
    assert_eq!(
        texts(&root, "tbody td.reason")[1],
        "",
        "the old error is gone"
    );
    server.reply(
        3,
        Ok(answer(
            "356938035643809",
            "FirmwareVersionUpdateSuccess",
            "SR2",
        )),
    );
    server.reply(
        4,
        Ok(answer(
            "353879234252633",
            "FirmwareVersionUpdateSuccess",
            "SR2",
        )),
    );
    settled().await;
    frame().await;
    assert_eq!(server.sent().len(), 5);
    assert_eq!(
        texts(&root, "tbody td.firmware"),
        ["SR1", "SR2", "SR2"],
        "one table for the whole fleet"
    );
    assert_eq!(summary_value(&root, "Total").as_deref(), Some("3"));
    assert_eq!(summary_value(&root, "Succeeded").as_deref(), Some("3"));
    assert_eq!(run.requests_per_device(), vec![1, 2, 2]);
    assert!(run
        .csv()
        .contains("490154203237518,FirmwareVersionUpdateSuccess,,SR1"));

    // A new Synchronize starts a new set.
    run.start(request(vec![devices[0]], one_per_request));
    frame().await;
    assert_eq!(texts(&root, "tbody td.status"), ["Waiting"]);
    assert_eq!(run.requests_per_device(), vec![1]);
}

#[wasm_bindgen_test]
async fn a_failed_request_is_announced_and_earlier_rows_stay() {
    let (root, run, server) = mount_console();
    let devices = vec![Imei::parse("490154203237518").unwrap()];
    run.start(request(devices, RunSettings::default()));
    let error = ApiError::from_response(
        400,
        r#"{"errorCode": "INVALID_PARAMETER", "errorMessage": "Inactive account"}"#,
        None,
    );
    frame().await;
    server.reply(0, Err(CallError::Api(error)));
    settled().await;
    let alert = find(&root, "[role=alert]").text_content().unwrap();
    assert!(
        alert.contains("INVALID_PARAMETER: Inactive account"),
        "{alert}"
    );
    assert_eq!(texts(&root, "tbody td.status"), ["Error"]);
    assert_eq!(summary_value(&root, "Error").as_deref(), Some("1"));
}

#[wasm_bindgen_test]
async fn a_large_run_draws_the_rows_in_view_and_scrolling_shows_the_others() {
    use_the_apps_stylesheet();
    let (root, run, server) = mount_console();
    let devices: Vec<Imei> = (0..1_050u64)
        .map(|i| {
            let body = format!("{:014}", 35_693_810_000_000u64 + i);
            let check = fota_sync::core::imei::luhn_check_digit(body.as_bytes());
            Imei::parse(&format!("{body}{check}")).unwrap()
        })
        .collect();
    run.start(request(devices.clone(), RunSettings::default()));
    for _ in 0..3 {
        frame().await;
    }
    let table = find(&root, "table.results");
    assert_eq!(
        table.get_attribute("aria-rowcount").as_deref(),
        Some("1051")
    );
    // Only the rows in view and a few around are in the DOM, in order, from the first.
    let drawn = texts(&root, "tbody td.imei");
    assert!(
        (10..200).contains(&drawn.len()),
        "{} rows drawn",
        drawn.len()
    );
    assert!(drawn
        .iter()
        .zip(&devices)
        .all(|(shown, d)| shown == d.as_str()));
    let row = find(&root, "tbody tr");
    assert_eq!(row.get_attribute("role").as_deref(), Some("row"));
    assert_eq!(row.get_attribute("aria-rowindex").as_deref(), Some("2"));

    // Scrolled to the 191st row: it is drawn, at its place.
    let row_px = row.get_bounding_client_rect().height();
    let wrap: HtmlElement = find(&root, ".table-wrap").unchecked_into();
    wrap.set_scroll_top((190.0 * row_px).ceil() as i32);
    frame().await;
    frame().await;
    let at = |index: usize| find(&root, &format!("tbody tr[aria-rowindex='{}']", index + 2));
    assert_eq!(texts(&at(190), "td.imei"), [devices[190].as_str()]);
    assert!(root
        .query_selector("tbody tr[aria-rowindex='2']")
        .unwrap()
        .is_none());
    let top = at(190).get_bounding_client_rect().top() - wrap.get_bounding_client_rect().top();
    assert!(
        top.abs() < row_px * 2.0,
        "row 191 is {top} px from the top of the view"
    );

    // The second batch (devices 100 to 199) answers with no entries: its rows change, and the
    // third batch's rows still wait.
    assert_eq!(server.sent().len(), 4, "four requests in flight");
    let empty = decode_answer(r#"{"deviceFirmwarVersionList": []}"#).unwrap();
    server.reply(1, Ok(empty));
    settled().await;
    frame().await;
    assert_eq!(texts(&at(190), "td.status"), ["No result"]);
    assert_eq!(texts(&at(199), "td.status"), ["No result"]);
    assert_eq!(texts(&at(200), "td.status"), ["Waiting"]);
}

/// The app's own stylesheet in the test page: the table's window depends on its row height.
fn use_the_apps_stylesheet() {
    let document = document();
    if document.get_element_by_id("app-style").is_some() {
        return;
    }
    let style = document.create_element("style").unwrap();
    style.set_id("app-style");
    style.set_text_content(Some(include_str!("../style/main.css")));
    document.head().unwrap().append_child(&style).unwrap();
}

#[wasm_bindgen_test]
async fn a_config_problem_is_shown_as_a_note() {
    let root = container();
    let broken = LoadedConfig::from_fetch(Ok("{not json".to_owned()));
    leptos::mount::mount_to(root.clone(), move || view! { <Console loaded=broken /> }).forget();
    tick().await;
    let note = find(&root, ".config-note").text_content().unwrap();
    assert!(
        note.contains("config.json") && note.contains("defaults"),
        "{note}"
    );
}

/// A run ends once: a token error pauses it, Cancel ends it, and a backoff timer that fires
/// after that neither ends it again (a second result message to a portal) nor touches the newer
/// run on screen.
#[wasm_bindgen_test]
async fn a_run_ends_once_even_when_a_backoff_timer_fires_after_it() {
    let (root, run, server) = mount_console();
    let ended = Rc::new(RefCell::new(Vec::new()));
    {
        let ended = ended.clone();
        run.on_finish(move |r| ended.borrow_mut().push(r.summary));
    }
    let settings = RunSettings {
        batch_size: 1,
        concurrency: 2,
        ..RunSettings::default()
    };
    let two = vec![
        Imei::parse("490154203237518").unwrap(),
        Imei::parse("356938035643809").unwrap(),
    ];
    run.start(request(two, settings));
    frame().await;
    server.reply(
        0,
        Err(CallError::Api(ApiError::from_response(503, "", None))),
    );
    let expired = ApiError::from_response(
        400,
        r#"{"errorCode": "REQUEST_FAILED.SessionToken.Expired", "errorMessage": "x"}"#,
        None,
    );
    let paused_with = Rc::new(RefCell::new(Vec::new()));
    {
        let paused_with = paused_with.clone();
        run.on_pause(move |e| paused_with.borrow_mut().push(e.token_to_renew()));
    }
    server.reply(1, Err(CallError::Api(expired)));
    settled().await;
    assert!(ended.borrow().is_empty(), "the token error pauses the run");
    assert_eq!(*paused_with.borrow(), [Some("session-expired")]);
    assert_eq!(texts(&root, "tbody td.status"), ["Waiting", "Waiting"]);
    run.cancel();
    settled().await;
    assert_eq!(ended.borrow().len(), 1, "Cancel ends the paused run");
    assert_eq!(texts(&root, "tbody td.status"), ["Not sent", "Not sent"]);

    // A new run, answered only after the first run's backoff (at least 250 ms) has fired.
    run.start(request(
        vec![Imei::parse("353879234252633").unwrap()],
        RunSettings::default(),
    ));
    sleep(1_000).await;
    let answer = decode_answer(
        r#"{"deviceFirmwarVersionList": [{"deviceId": "353879234252633",
            "status": "FirmwareVersionUpdateSuccess", "firmwareVersion": "v"}]}"#,
    )
    .unwrap();
    server.reply(2, Ok(answer));
    settled().await;
    assert_eq!(
        server.sent().len(),
        3,
        "the first run sent nothing after it ended"
    );
    let ended = ended.borrow();
    assert_eq!(ended.len(), 2, "each run ended once");
    assert_eq!((ended[0].error, ended[0].not_sent), (0, 2));
    assert_eq!((ended[1].total, ended[1].succeeded), (1, 1));
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["FirmwareVersionUpdateSuccess"]
    );
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |done, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&done, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

async fn tick() {
    leptos::task::tick().await;
}

/// Lets effects run and then the next animation frame pass: the results table adds and redraws
/// its rows in frames.
/// Lets an answer reach the table: the fake server's reply resolves in a microtask, the run
/// notifies its views, and the table draws in the next animation frame.
async fn settled() {
    frame().await;
    frame().await;
}

async fn frame() {
    tick().await;
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(frame).await.unwrap();
    tick().await;
}

/// The browser's own NFKC and Unicode property escapes read pasted text as the native crates do
/// (the native tests check the tables against them): invisible characters dropped, full-width
/// and other-script digits as ASCII, dashes as `-`, other scripts' spaces and commas as spaces.
#[wasm_bindgen_test]
fn pasted_text_reads_in_the_browser_as_the_native_crates_read_it() {
    use fota_sync::core::as_seen::{as_seen, visible};
    assert_eq!(as_seen("\u{200e}３５６\u{00ad}９\u{2069}"), "3569");
    assert_eq!(as_seen("٣٥٦۹३५𝟑"), "3569353");
    assert_eq!(as_seen("35–69\u{2011}3\u{2212}8"), "35-69-3-8");
    assert_eq!(as_seen("“1” ‘2’"), "\"1\" '2'");
    assert_eq!(
        as_seen("1\u{a0}2\u{2028}3，4\u{3000}5\u{feff}\u{fe0f}\u{2060}\u{200b}"),
        "1 2 3 4 5"
    );
    assert_eq!(as_seen("\u{1F600}ｸ①"), "\u{1F600}ク1");
    assert_eq!(visible("\u{200e}３\u{00ad}５"), "３５");
    let list = fota_sync::core::imei::parse_list("\u{2067}٣٥٦٩٣٨١٠٠٠٠٠٠١٨\u{2069}", false);
    assert_eq!(list.devices.len(), 1, "{:?}", list.problems);
}
