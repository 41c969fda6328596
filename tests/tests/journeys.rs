//! A worker's journeys through the demo app with the widget embedded by its script tag, in real
//! headless Chromium, against the real service on another origin.

mod support;

use support::{Browser, Stack, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launcher_shows_the_routes_help_and_a_focused_field_comes_first() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;

    // The launcher is a button named "Help" inside the widget's shadow root.
    let name = eventually("the launcher", || async {
        let value = browser
            .js(r#"var host = document.querySelector("cuecard-widget");
                   var button = host && host.shadowRoot && host.shadowRoot.querySelector(".cc-launcher");
                   return button ? button.textContent : null;"#)
            .await;
        value.as_str().map(str::to_owned)
    })
    .await;
    assert!(name.contains("Help"), "{name:?}");

    browser.click_in_widget(".cc-launcher").await;
    let titles = browser
        .wait_for_cards("the route's snippets", |titles| {
            titles.iter().any(|title| title == "How a new claim is put together")
        })
        .await;
    assert_eq!(titles.first().map(String::as_str), Some("How a new claim is put together"), "{titles:?}");
    assert!(titles.contains(&"Acme expense policy at a glance".to_owned()), "site-wide help is listed: {titles:?}");
    assert!(!titles.iter().any(|title| title == "Enter the VAT number"), "no field has focus yet: {titles:?}");

    // Escape closes the panel and puts focus back on the launcher.
    let escape = "\u{E00C}";
    browser.client.active_element().await.unwrap().send_keys(escape).await.unwrap();
    eventually("the panel to close and focus to return", || async {
        let state = browser
            .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                   return !root.querySelector(".cc-panel") && root.activeElement && root.activeElement.classList.contains("cc-launcher");"#)
            .await;
        state.as_bool().filter(|closed| *closed)
    })
    .await;

    // The worker is on the VAT number field (inside the tax fieldset, inside the form).
    browser.click("#claim-vat-number").await;
    browser.click_in_widget(".cc-launcher").await;
    let titles = browser
        .wait_for_cards("the field's snippet first", |titles| {
            titles.first().is_some_and(|title| title == "Enter the VAT number")
        })
        .await;
    // Grouped by moment of need, groups in the order of their best card: the field's group first,
    // and within a group the ranking holds (field, then ancestors nearest first, then the route).
    let position = |wanted: &str| titles.iter().position(|title| title == wanted);
    for expected in ["Why we ask for tax details", "Checklist before you submit", "How a new claim is put together"] {
        assert!(position(expected) > Some(0), "{expected} is listed after the field's snippet: {titles:?}");
    }
    let groups = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               return Array.from(root.querySelectorAll(".cc-group")).map(function (group) {
                 return Array.from(group.querySelectorAll(".cc-card-title")).map(function (e) { return e.textContent; });
               });"#)
        .await;
    let groups: Vec<Vec<String>> = serde_json::from_value(groups).unwrap();
    assert_eq!(groups[0][0], "Enter the VAT number", "{groups:?}");
    assert_eq!(groups.iter().flatten().count(), titles.len(), "every card is in one group: {groups:?}");

    // The snippet opens to its full text, and Back returns to the list.
    browser.click_in_widget(".cc-item:first-child .cc-card").await;
    let body = eventually("the snippet's text", || async {
        let text = browser
            .js(r#"var body = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-body");
                   return body ? body.textContent : null;"#)
            .await;
        text.as_str().filter(|text| !text.is_empty()).map(str::to_owned)
    })
    .await;
    assert!(body.contains("VAT identification number"), "{body}");
    browser.click_in_widget(".cc-back").await;
    browser.wait_for_cards("the list again", |titles| titles.len() > 1).await;

    browser.assert_page_clean().await;
    assert_eq!(browser.new_globals().await, ["Cuecard"], "the widget adds one global");
    // Hotspots are placed through the CSSOM (`style.setProperty`), which a strict `style-src`
    // allows (tests/tests/guest.rs); nothing else carries a style attribute.
    let styling = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               return [root.adoptedStyleSheets.length,
                       root.querySelectorAll("style, [style]:not(.cc-spot):not(.cc-spot-card)").length,
                       document.querySelector("cuecard-widget").hasAttribute("style")];"#)
        .await;
    assert_eq!(styling, serde_json::json!([1, 0, false]), "one adopted sheet, no style elements or attributes");
}

/// How many `/v1/help` requests the page made so far.
async fn help_requests(browser: &Browser) -> u64 {
    browser
        .js(r#"return performance.getEntriesByType("resource").filter(function (entry) { return entry.name.indexOf("/v1/help?") >= 0; }).length;"#)
        .await
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_routed_app_gets_the_help_of_its_hash_path_by_route_template() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the home page's help", |titles| !titles.is_empty()).await;
    // A hash-routed screen, for an approver: the widget follows the hash's path, and the route
    // template `/approvals/:id` fits it with no route from the app.
    browser
        .js("Cuecard('setContext', { roles: ['approver'] }); location.hash = '#/approvals/CLM-1042'; return null;")
        .await;
    browser
        .wait_for_cards("the claim's help", |titles| {
            titles.iter().any(|title| title == "Reviewing a claim before you decide")
        })
        .await;
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_follows_single_page_navigation() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/approvals/")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser
        .wait_for_cards("the approvals list's help", |titles| {
            titles.iter().any(|title| title == "Approving claims: how it works")
        })
        .await;

    // The widget runs (it took the first answer over), and has asked for this screen's help.
    browser.wait_for_takeover().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = help_requests(&browser).await;

    // Opening a claim is a pushState; the app then tells the widget the route template.
    browser.click("a.claim-link[data-claim='CLM-1042']").await;
    let titles = browser
        .wait_for_cards("a claim's help", |titles| {
            titles.iter().any(|title| title == "Reviewing a claim before you decide")
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(help_requests(&browser).await - before, 1, "the navigation and its setContext: one request");
    assert!(!titles.iter().any(|title| title == "Approving claims: how it works"), "{titles:?}");
    let path = browser.js("return location.pathname;").await;
    assert_eq!(path, "/approvals/CLM-1042");

    // The History tab is a pushState the app does not describe: the widget notices it itself
    // and the URL pattern `/approvals/:id/history` applies.
    browser.click("#tab-history").await;
    let titles = browser
        .wait_for_cards("the audit trail's help", |titles| {
            titles.iter().any(|title| title == "Reading the audit trail")
        })
        .await;
    assert!(
        !titles.iter().any(|title| title == "Reviewing a claim before you decide"),
        "stale route dropped: {titles:?}"
    );

    // Browser back (popstate) returns to the claim and its help.
    browser.client.back().await.unwrap();
    browser
        .wait_for_cards("the claim's help after going back", |titles| {
            titles.iter().any(|title| title == "Reviewing a claim before you decide")
                && !titles.iter().any(|title| title == "Reading the audit trail")
        })
        .await;

    browser.assert_page_clean().await;
}
