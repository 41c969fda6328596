//! When the service is down: help already seen stays on screen, new contexts say quietly that
//! help is unavailable, and the widget waits as long as the service's `Retry-After` asks instead
//! of retrying on every open. Nothing reaches the page as an error.

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
