//! Help before the wasm: the launcher shows as soon as the loader runs, opens on the service's
//! first answer (the widget's own views rendered on the service), and the wasm, once it arrives,
//! takes that over where the worker is: focus, typed words, scroll, a click made meanwhile.
//! The wasm is held back by the test stand (`Stack::hold_wasm`), as a slow network would.

mod support;

use serde_json::Value;
use support::{Browser, Stack, eventually};

const SHADOW: &str = r#"var root = document.querySelector("cuecard-widget").shadowRoot;"#;

async fn in_widget(browser: &Browser, script: &str) -> Value {
    browser.js(&format!("{SHADOW} {script}")).await
}

/// Which resources of the widget the page fetched so far: `[wasm, boot]` counts.
async fn fetched(browser: &Browser) -> (u64, u64) {
    let value = browser
        .js(r#"var names = performance.getEntriesByType("resource").map(function (entry) { return entry.name; });
               return [names.filter(function (name) { return /\.wasm$/.test(name); }).length,
                       names.filter(function (name) { return name.indexOf("/v1/boot?") >= 0; }).length];"#)
        .await;
    (value[0].as_u64().unwrap(), value[1].as_u64().unwrap())
}

/// Waits until the widget's own views replaced the loader's: one container, not the one the
/// test marked `data-test-before`.
async fn taken_over(browser: &Browser) {
    eventually("the widget taking over", || async {
        let taken = in_widget(
            browser,
            "var mounts = root.querySelectorAll('.cc-mount'); return mounts.length === 1 && !mounts[0].hasAttribute('data-test-before');",
        )
        .await;
        taken.as_bool().filter(|taken| *taken)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_answer_shows_before_the_wasm_and_the_widget_takes_over_where_the_worker_is() {
    let stack = Stack::start().await;
    stack.hold_wasm();
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.wait_for_launcher().await;
    browser.click_in_widget(".cc-launcher").await;
    let titles = browser.wait_for_cards("the first answer's cards", |titles| !titles.is_empty()).await;
    assert!(titles.contains(&"How a new claim is put together".to_owned()), "{titles:?}");
    // Everything so far came without the wasm: no hotspot (the wasm draws those) and no wasm run.
    assert_eq!(in_widget(&browser, "return root.querySelectorAll('.cc-spot').length;").await, 0);
    assert_eq!(fetched(&browser).await.0, 0, "the wasm is still on its way");
    let focused = eventually("focus in the panel", || async {
        let id = in_widget(&browser, "return root.activeElement && root.activeElement.id;").await;
        (id == "cuecard-panel").then_some(id)
    })
    .await;
    assert_eq!(focused, "cuecard-panel");
    // The worker types a search while the wasm is still coming.
    browser.click_in_widget("#cuecard-search").await;
    browser.client.active_element().await.unwrap().send_keys("receipt").await.unwrap();
    in_widget(&browser, "root.querySelector('.cc-mount').setAttribute('data-test-before', ''); return null;").await;

    stack.release_wasm();
    // The widget's own views replace the loader's: one container, a new one.
    taken_over(&browser).await;
    let kept = in_widget(
        &browser,
        "var input = root.getElementById('cuecard-search');
         return [root.activeElement && root.activeElement.id, input.value, input.selectionStart];",
    )
    .await;
    assert_eq!(kept, serde_json::json!(["cuecard-search", "receipt", 7]), "focus, words and caret kept");
    // The words typed before are searched by the widget now.
    let hits = eventually("search results for the words typed before", || async {
        let hits = in_widget(
            &browser,
            "return Array.from(root.querySelectorAll('.cc-hits .cc-hit-title')).map(function (e) { return e.textContent; });",
        )
        .await;
        hits.as_array().filter(|hits| !hits.is_empty()).cloned()
    })
    .await;
    assert!(!hits.is_empty());
    // And the wasm runs the page from here: hotspots appear on this form.
    eventually("hotspots", || async {
        in_widget(&browser, "return root.querySelectorAll('.cc-spot').length;")
            .await
            .as_u64()
            .filter(|spots| *spots > 0)
    })
    .await;
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_clicked_before_the_wasm_opens_once_it_runs_and_escape_closes_before_it() {
    let stack = Stack::start().await;
    stack.hold_wasm();
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the first answer's cards", |titles| !titles.is_empty()).await;
    // Escape closes the first answer and gives focus back to the launcher, as the widget does.
    browser.client.active_element().await.unwrap().send_keys("\u{e00c}").await.unwrap();
    let closed = in_widget(
        &browser,
        "return [!!root.getElementById('cuecard-panel'), root.activeElement && root.activeElement.className];",
    )
    .await;
    assert_eq!(closed, serde_json::json!([false, "cc-launcher"]));
    browser.click_in_widget(".cc-launcher").await;
    let titles = browser.wait_for_cards("the cards again", |titles| !titles.is_empty()).await;
    browser.click_in_widget(".cc-context .cc-card").await;
    stack.release_wasm();
    let opened = eventually("the snippet clicked before the wasm came", || async {
        let title = in_widget(
            &browser,
            "var reading = root.querySelector('.cc-reading'); return reading && !reading.hidden ? root.querySelector('.cc-snippet-title').textContent : null;",
        )
        .await;
        title.as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(opened, titles[0]);
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_never_uses_help_fetches_no_wasm_and_one_small_first_answer() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    // The claims list asks for no hotspots: only reaching for help brings the wasm.
    browser.goto(&stack.page("/claims/")).await;
    browser.wait_for_launcher().await;
    eventually("the first answer", || async { (fetched(&browser).await.1 == 1).then_some(()) }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(fetched(&browser).await, (0, 1), "no wasm, one first answer");
    // Using the page (a click outside the widget) changes nothing.
    browser.click("h1").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(fetched(&browser).await.0, 0);
    // Opening help shows the cards at once (the first answer) and brings the widget.
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the claims list's cards", |titles| !titles.is_empty()).await;
    eventually("the wasm", || async { (fetched(&browser).await.0 == 1).then_some(()) }).await;
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_in_focus_and_the_panels_scroll_survive_the_hand_over() {
    let stack = Stack::start().await;
    stack.hold_wasm();
    let browser = Browser::start().await;
    // A short window, so the panel scrolls.
    browser.client.set_window_size(900, 480).await.unwrap();
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the first answer's cards", |titles| titles.len() > 1).await;
    let before = in_widget(
        &browser,
        "var cards = root.querySelectorAll('.cc-context .cc-card'), card = cards[cards.length - 1];
         card.focus();
         var panel = root.getElementById('cuecard-panel');
         panel.scrollTop = 30;
         root.querySelector('.cc-mount').setAttribute('data-test-before', '');
         return [card.getAttribute('data-snippet'), panel.scrollTop];",
    )
    .await;
    assert_eq!(before[1], 30, "the panel scrolls in this window");
    stack.release_wasm();
    taken_over(&browser).await;
    let after = in_widget(
        &browser,
        "return [root.activeElement && root.activeElement.getAttribute('data-snippet'), root.getElementById('cuecard-panel').scrollTop];",
    )
    .await;
    assert_eq!(after, before, "the same card in focus, the panel scrolled as it was");
    browser.assert_page_clean().await;
}
