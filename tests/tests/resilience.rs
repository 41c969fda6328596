//! When the service is down: help already seen stays on screen, new contexts say quietly that
//! help is unavailable, and the widget waits as long as the service's `Retry-After` asks instead
//! of retrying on every open. Nothing reaches the page as an error; a fault inside the widget
//! switches it off quietly.

mod support;

use std::sync::atomic::Ordering;
use support::{Browser, Stack, eventually};

async fn status_text(browser: &Browser) -> String {
    let text = browser
        .js(
            r#"var status = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-context .cc-status");
               return status ? status.textContent : "";"#,
        )
        .await;
    text.as_str().unwrap_or_default().to_owned()
}

async fn reopen(browser: &Browser) {
    browser.js("Cuecard('close'); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    browser.js("Cuecard('open'); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_service_down_cached_help_stays_and_retries_wait() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click_in_widget(".cc-launcher").await;
    let before = browser.wait_for_cards("the route's snippets", |titles| titles.len() > 1).await;

    // The service goes down. The context already seen keeps its help (from the widget's cache,
    // and the browser's: the answer may be reused for 30 s).
    stack.outage.store(true, Ordering::SeqCst);
    reopen(&browser).await;
    assert_eq!(browser.card_titles().await, before, "the cached help stays");
    assert_eq!(status_text(&browser).await, "");

    // A context never seen gets the quiet message, without another request: the service asked
    // for 30 s.
    browser.js("Cuecard('setContext', { route: '/claims/:id' }); return null;").await;
    eventually("help unavailable", || async {
        let text = status_text(&browser).await;
        text.contains("unavailable").then_some(text)
    })
    .await;
    assert_eq!(stack.refused.load(Ordering::SeqCst), 1);
    for _ in 0..4 {
        reopen(&browser).await;
    }
    assert_eq!(stack.refused.load(Ordering::SeqCst), 1, "Retry-After is honoured: one request, not one per open");
    let problems = browser.page_problems().await;
    assert_eq!(problems["errors"], serde_json::json!([]), "{problems}");
    assert_eq!(problems["rejections"], serde_json::json!([]), "{problems}");
    assert_eq!(problems["consoleErrors"], serde_json::json!([]), "{problems}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_inside_the_widget_switches_it_off_quietly() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    eventually("the widget with its hotspots", || async {
        let shown = browser
            .js(r#"var host = document.querySelector("cuecard-widget");
                   return host && host.shadowRoot ? host.shadowRoot.querySelectorAll(".cc-spot").length : 0;"#)
            .await;
        shown.as_u64().filter(|shown| *shown > 0)
    })
    .await;

    // The page swaps in a `fetch` that throws. Opening the panel runs into it inside a promise
    // callback, where the exception escapes the widget's code (as a trap would): the glue's guard
    // catches it, and the widget removes itself.
    browser.js("window.fetch = function () { throw new TypeError('this page broke fetch'); }; return null;").await;
    browser.click_in_widget(".cc-launcher").await;
    eventually("the widget to switch itself off", || async {
        browser.js(r#"return document.querySelector("cuecard-widget") === null;"#).await.as_bool().filter(|gone| *gone)
    })
    .await;
    browser.assert_page_clean().await;
    let warnings = browser.page_problems().await["consoleWarnings"].clone();
    let warnings: Vec<String> = serde_json::from_value(warnings).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("Cuecard: help is disabled on this page.") && warnings[0].contains("broke fetch"));

    // Later calls do nothing, and the page goes on working.
    browser
        .js("Cuecard('open'); Cuecard('setContext', { route: '/claims/new' }); Cuecard('toggle'); return null;")
        .await;
    browser.click("#claim-merchant").await;
    browser.client.active_element().await.unwrap().send_keys("Hotel Adler").await.unwrap();
    let value = browser.js(r#"return document.getElementById("claim-merchant").value;"#).await;
    assert_eq!(value, "Hotel Adler");
    browser.assert_page_clean().await;
    assert_eq!(browser.page_problems().await["consoleWarnings"].as_array().unwrap().len(), 1, "still one warning");
}

/// The page's `fetch`, wrapped: `/v1/help` answers pass through `window.alterHelp` (set by the
/// test) before the widget reads them.
const ALTER_HELP: &str = r#"
    var original = window.fetch;
    window.alterHelp = function (body) { return body; };
    window.fetch = function (input, init) {
        var url = typeof input === "string" ? input : input.url;
        return original.call(window, input, init).then(function (response) {
            if (url.indexOf("/v1/help?") < 0 || !response.ok) { return response; }
            return response.json().then(function (body) {
                return new Response(JSON.stringify(window.alterHelp(body)),
                    { status: response.status, headers: response.headers });
            });
        });
    };
    return null;"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_read_as_the_wire_types_say() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the form's snippets", |titles| !titles.is_empty()).await;
    browser.wait_for_takeover().await;
    browser.js(ALTER_HELP).await;

    // A newer service's answer, with fields this widget does not know (of every JSON kind), and
    // fields the wire types default: read, the unknown ones skipped.
    browser
        .js(r#"window.alterHelp = function (body) {
                   body.next_page = { cursor: [1, 2.5, null, true, "x"] };
                   body.snippets.forEach(function (card) {
                       card.badge = 3.5; card.tags = ["a", { b: null }];
                       card.reason.weight = -1;
                   });
                   delete body.truncated;
                   return body;
               }; return null;"#)
        .await;
    browser.js("Cuecard('setContext', { route: '/approvals', roles: ['approver'] }); return null;").await;
    let titles = browser
        .wait_for_cards("the approvals' snippets", |titles| titles.iter().any(|title| title.contains("pprov")))
        .await;
    assert!(titles.len() > 1, "{titles:?}");
    assert_eq!(status_text(&browser).await, "");

    // An answer that breaks the contract (an id that is not a number) is not shown as help: the
    // worker reads that help is unavailable, and the page sees no error.
    browser
        .js(r#"window.alterHelp = function (body) {
                   body.snippets.forEach(function (card) { card.id = String(card.id); });
                   return body;
               }; return null;"#)
        .await;
    browser.js("Cuecard('setContext', { route: '/claims' }); return null;").await;
    eventually("help unavailable", || async {
        let text = status_text(&browser).await;
        text.contains("unavailable").then_some(text)
    })
    .await;
    assert!(browser.card_titles().await.is_empty(), "nothing half-read is shown");
    browser.assert_page_clean().await;
}
