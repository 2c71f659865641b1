//! Component tests in a real browser: mount, act, let the DOM settle, check what a user sees.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use fota_sync::core::api_error::ApiError;
use fota_sync::core::config::AppConfig;
use fota_sync::core::fota::decode_answer;
use fota_sync::core::imei::Imei;
use fota_sync::core::run::{Batch, Completion, Next, RunSettings, SyncRun};
use fota_sync::ui::app::Console;
use fota_sync::ui::context::{AppContext, LoadedConfig};
use fota_sync::ui::run_view::RunView;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
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

/// Mounts the working page; returns its root and the run it shows.
fn mount_console() -> (HtmlElement, RunView) {
    let root = container();
    let run = Rc::new(Cell::new(None));
    let handle = {
        let run = run.clone();
        leptos::mount::mount_to(root.clone(), move || {
            let view = view! { <Console loaded=loaded(None) /> };
            run.set(Some(AppContext::expect().run));
            view
        })
    };
    handle.forget();
    (root, run.get().expect("console provides its run"))
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
    let (root, _) = mount_console();
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
    let (root, _) = mount_console();
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
    let problems = texts(&root, "ul[aria-label='Problems'] li");
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
    assert!(root
        .query_selector("ul[aria-label='Problems']")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn submitting_an_incomplete_form_explains_and_keeps_what_was_typed() {
    let (root, _) = mount_console();
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
async fn token_fields_are_hidden_until_shown() {
    let (root, _) = mount_console();
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
    let (root, _) = mount_console();
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
    let (root, run_view) = mount_console();
    let devices: Vec<Imei> = ["490154203237518", "356938035643809", "353879234252633"]
        .iter()
        .map(|s| Imei::parse(s).unwrap())
        .collect();
    let mut run = SyncRun::new(devices, RunSettings::default());
    run_view.start(&run, "0000123456-00001", 0.0);
    frame().await;
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["Waiting", "Waiting", "Waiting"]
    );
    assert_eq!(summary_value(&root, "Waiting").as_deref(), Some("3"));

    let batch = next_batch(&mut run);
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
    let changes = run.complete(Completion {
        batch_id: batch.id,
        result: Ok(answer),
        now: 0.0,
        jitter: 0.0,
    });
    run_view.apply(&run, changes);
    frame().await;

    let header = texts(&root, "thead th");
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
    let (root, run_view) = mount_console();
    let devices = vec![Imei::parse("490154203237518").unwrap()];
    let mut first = SyncRun::new(devices.clone(), RunSettings::default());
    run_view.start(&first, "0000123456-00001", 0.0);
    let batch = next_batch(&mut first);
    let changes = first.complete(Completion {
        batch_id: batch.id,
        result: Err(ApiError::Timeout { after_ms: 1 }),
        now: 0.0,
        jitter: 1.0,
    });
    run_view.apply(&first, changes);
    frame().await;
    assert_eq!(
        texts(&root, "tbody td.status"),
        ["Waiting"],
        "a timeout is retried"
    );
    let changes = first.cancel();
    run_view.apply(&first, changes);
    frame().await;
    assert_eq!(texts(&root, "tbody td.status"), ["Not sent"]);

    let second = SyncRun::new(devices, RunSettings::default());
    run_view.start(&second, "0000123456-00001", 0.0);
    frame().await;
    assert_eq!(texts(&root, "tbody td.status"), ["Waiting"]);
}

#[wasm_bindgen_test]
async fn a_failed_request_is_announced_and_earlier_rows_stay() {
    let (root, run_view) = mount_console();
    let devices = vec![Imei::parse("490154203237518").unwrap()];
    let mut run = SyncRun::new(devices, RunSettings::default());
    run_view.start(&run, "0000123456-00001", 0.0);
    let batch = next_batch(&mut run);
    let error = ApiError::from_response(
        400,
        r#"{"errorCode": "INVALID_PARAMETER", "errorMessage": "Inactive account"}"#,
        None,
    );
    let changes = run.complete(Completion {
        batch_id: batch.id,
        result: Err(error),
        now: 0.0,
        jitter: 0.0,
    });
    run_view.apply(&run, changes);
    frame().await;
    let alert = find(&root, "[role=alert]").text_content().unwrap();
    assert!(
        alert.contains("INVALID_PARAMETER: Inactive account"),
        "{alert}"
    );
    assert_eq!(texts(&root, "tbody td.status"), ["Error"]);
    assert_eq!(summary_value(&root, "Error").as_deref(), Some("1"));
}

#[wasm_bindgen_test]
async fn a_large_run_has_a_row_per_device_and_an_answer_redraws_its_own() {
    let (root, run_view) = mount_console();
    let devices: Vec<Imei> = (0..1_050u64)
        .map(|i| {
            let body = format!("{:014}", 35_693_810_000_000u64 + i);
            let check = fota_sync::core::imei::luhn_check_digit(body.as_bytes());
            Imei::parse(&format!("{body}{check}")).unwrap()
        })
        .collect();
    let mut run = SyncRun::new(devices.clone(), RunSettings::default());
    run_view.start(&run, "0000123456-00001", 0.0);
    // Rows come in a few hundred per frame, in groups of 100.
    for _ in 0..10 {
        frame().await;
    }
    let imeis = texts(&root, "tbody td.imei");
    assert_eq!(imeis.len(), 1_050);
    assert!(imeis
        .iter()
        .zip(&devices)
        .all(|(shown, d)| shown == d.as_str()));
    assert_eq!(
        root.query_selector_all("table.results > tbody")
            .unwrap()
            .length(),
        11
    );

    // The second batch (devices 100 to 199) answers with no entries: those rows only change.
    let _first = next_batch(&mut run);
    let second = next_batch(&mut run);
    let empty = decode_answer(r#"{"deviceFirmwarVersionList": []}"#).unwrap();
    let changes = run.complete(Completion {
        batch_id: second.id,
        result: Ok(empty),
        now: 0.0,
        jitter: 0.0,
    });
    run_view.apply(&run, changes);
    frame().await;
    let statuses = texts(&root, "tbody td.status");
    assert!(statuses[..100].iter().all(|s| s == "Waiting"));
    assert!(statuses[100..200].iter().all(|s| s == "No result"));
    assert!(statuses[200..].iter().all(|s| s == "Waiting"));
    let row = find(&root, "tbody tr:nth-child(1)");
    assert_eq!(row.get_attribute("role").as_deref(), Some("row"));
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

fn next_batch(run: &mut SyncRun) -> Batch {
    match run.next(0.0) {
        Next::Send(batch) => batch,
        other => panic!("expected a request, got {other:?}"),
    }
}

async fn tick() {
    leptos::task::tick().await;
}

/// Lets effects run and then the next animation frame pass: the results table adds and redraws
/// its rows in frames.
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
