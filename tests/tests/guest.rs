//! The widget as a polite guest: under a strict Content-Security-Policy, when the policy forbids
//! WebAssembly, and on a page whose CSS is hostile, in real Chromium.

mod support;

use serde_json::Value;
use support::{Browser, Stack, eventually};

/// Waits for the launcher, opens the panel and waits for its cards.
async fn open_panel(browser: &Browser) -> Vec<String> {
    browser.wait_for_launcher().await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the page's snippets", |titles| !titles.is_empty()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_csp_host_works_without_a_single_violation() {
    let stack = Stack::start_custom(Vec::new(), |options| {
        options.content_security_policy = Some(format!(
            "default-src 'none'; script-src 'self' {api} 'wasm-unsafe-eval'; style-src 'self'; \
             connect-src {api}; img-src 'self'; base-uri 'none'; form-action 'self'",
            api = options.api_origin
        ));
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    let titles = open_panel(&browser).await;
    assert!(titles.contains(&"How a new claim is put together".to_owned()), "{titles:?}");
    // Hotspots (this page asks for them) are placed through the CSSOM, which the CSP allows.
    eventually("the hotspots", || async {
        let shown = browser
            .js(r#"return document.querySelector("cuecard-widget").shadowRoot
                     .querySelectorAll(".cc-spot:not([hidden])").length;"#)
            .await;
        shown.as_u64().filter(|shown| *shown > 5)
    })
    .await;
    browser.assert_page_clean().await;
    let warnings = browser.page_problems().await["consoleWarnings"].clone();
    assert_eq!(warnings, serde_json::json!([]), "no warnings either");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_wasm_unsafe_eval_the_widget_stays_hidden_and_the_host_keeps_working() {
    let stack = Stack::start_custom(Vec::new(), |options| {
        options.content_security_policy = Some(format!(
            "default-src 'none'; script-src 'self' {api}; style-src 'self'; connect-src {api}; img-src 'self'",
            api = options.api_origin
        ));
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    // The widget loads at idle or on the first interaction; the worker uses the form meanwhile.
    browser.click("#claim-vat-number").await;
    let warnings = eventually("the widget's one warning", || async {
        let warnings = browser.page_problems().await["consoleWarnings"].clone();
        warnings.as_array().filter(|warnings| !warnings.is_empty()).cloned()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let problems = browser.page_problems().await;
    let warnings_now = problems["consoleWarnings"].as_array().unwrap();
    assert_eq!(warnings_now.len(), 1, "exactly one warning: {warnings_now:?}");
    assert!(warnings[0].as_str().unwrap().starts_with("Cuecard"), "{warnings:?}");
    assert_eq!(problems["errors"], serde_json::json!([]), "nothing thrown into the page");
    assert_eq!(problems["rejections"], serde_json::json!([]));
    let state = browser
        .js(r##"var field = document.querySelector("#claim-vat-number");
               return [document.querySelectorAll("cuecard-widget").length, document.activeElement === field];"##)
        .await;
    assert_eq!(state, serde_json::json!([0, true]), "the widget is gone and the host page works");
}

/// Computed styles and boxes of the widget's visible parts.
async fn widget_look(browser: &Browser) -> Value {
    browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               function look(selector) {
                 var element = root.querySelector(selector);
                 var style = getComputedStyle(element);
                 var box = element.getBoundingClientRect();
                 return [selector, style.fontFamily, style.fontSize, style.fontWeight, style.lineHeight,
                         style.color, style.backgroundColor, style.direction, style.letterSpacing,
                         style.textTransform, Math.round(box.width), Math.round(box.height),
                         Math.round(window.innerWidth - box.right), Math.round(window.innerHeight - box.bottom)];
               }
               return [".cc-launcher", ".cc-panel", ".cc-title", ".cc-card", ".cc-card-title", ".cc-search-input"].map(look);"#)
        .await
}

/// Every host element's box, to show the widget moves nothing.
async fn host_boxes(browser: &Browser) -> Value {
    browser
        .js(r#"return Array.from(document.body.querySelectorAll("*"))
                 .filter(function (element) { return element.tagName !== "CUECARD-WIDGET"; })
                 .map(function (element) {
                   var box = element.getBoundingClientRect();
                   return [element.tagName, box.x, box.y, box.width, box.height, getComputedStyle(element).fontSize];
                 });"#)
        .await
}

const HOSTILE_CSS: &str = "<style>\
    html, body { font: italic 700 30px/3 serif !important; direction: rtl !important; letter-spacing: 4px !important;\
      text-transform: uppercase !important; color: lime !important; }\
    body * { all: unset !important; }\
    button { font-size: 40px !important; }\
    </style>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_host_css_changes_nothing_and_the_widget_moves_nothing() {
    let plain = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&plain.page("/claims/new.html")).await;
    open_panel(&browser).await;
    let expected = widget_look(&browser).await;

    let hostile = Stack::start_custom(Vec::new(), |options| options.head_prefix.push_str(HOSTILE_CSS)).await;
    browser.goto(&hostile.page("/claims/new.html")).await;
    open_panel(&browser).await;
    assert_eq!(widget_look(&browser).await, expected, "the host's CSS reaches nothing inside the widget");

    // With the panel open, every host element is where it would be without the widget.
    let with_widget = host_boxes(&browser).await;
    browser.js(r#"document.querySelector("cuecard-widget").remove(); return null;"#).await;
    assert_eq!(host_boxes(&browser).await, with_widget, "the widget changed the host's layout");
    assert_eq!(browser.new_globals().await, ["Cuecard"]);
}
