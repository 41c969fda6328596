//! Keyboard only: the launcher, the panel's controls, a snippet and its feedback are reached with
//! Tab and used with Enter, each shows a visible focus ring, and Escape returns to the launcher.

mod support;

use support::{Browser, Stack, eventually};

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// The focused element inside the widget: its class and whether it draws a focus outline.
async fn focused(browser: &Browser) -> (String, bool) {
    let value = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               var element = root.activeElement;
               if (!element) return ["", false];
               var style = getComputedStyle(element);
               return [element.className, style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0];"#)
        .await;
    (value[0].as_str().unwrap_or_default().to_owned(), value[1].as_bool().unwrap_or(false))
}

async fn press(browser: &Browser, key: &str) {
    browser.client.active_element().await.unwrap().send_keys(key).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}

/// Tabs until an element with `class` has focus; every stop on the way shows a focus ring.
async fn tab_to(browser: &Browser, class: &str) {
    for _ in 0..40 {
        press(browser, TAB).await;
        let (focused_class, ring) = focused(browser).await;
        if !focused_class.is_empty() {
            assert!(ring, "`{focused_class}` has focus but no visible focus ring");
        }
        if focused_class.split_whitespace().any(|name| name == class) {
            return;
        }
    }
    panic!("Tab never reached .{class}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_is_reachable_and_usable_from_the_keyboard() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.wait_for_launcher().await;
    // From the page's own fields, Tab reaches the launcher (it is last in the page's order).
    browser.click("#claim-vat-number").await;
    tab_to(&browser, "cc-launcher").await;
    press(&browser, ENTER).await;
    browser.wait_for_cards("the panel", |titles| !titles.is_empty()).await;
    let (panel_focus, _) = focused(&browser).await;
    assert!(panel_focus.contains("cc-panel"), "opening moves focus into the panel: {panel_focus}");

    tab_to(&browser, "cc-search-input").await;
    tab_to(&browser, "cc-card").await;
    press(&browser, ENTER).await;
    eventually("the snippet", || async {
        let open = browser
            .js(r#"return !!document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-body");"#)
            .await;
        open.as_bool().filter(|open| *open)
    })
    .await;
    tab_to(&browser, "cc-yes").await;
    press(&browser, ENTER).await;
    let thanks = browser
        .js(r#"return document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-feedback-question").textContent;"#)
        .await;
    assert_eq!(thanks, "Thank you for telling us.");

    press(&browser, ESCAPE).await;
    let (after_escape, _) = focused(&browser).await;
    assert!(after_escape.contains("cc-launcher"), "Escape returns focus to the launcher: {after_escape}");
    let open =
        browser.js(r#"return !!document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-panel");"#).await;
    assert_eq!(open, false);
}
