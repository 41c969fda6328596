//! axe-core (the rules engine from npm) run in Chromium on each of the widget's states — launcher,
//! hotspots, a hotspot's snippet, panel, snippet, search results, and help unavailable — for the
//! WCAG 2.1 A and AA rules.

mod support;

use support::{Browser, Stack, eventually};

/// Runs axe on the widget (inside its shadow root) and returns the violations, each as
/// `rule: target (summary)`.
async fn violations(browser: &Browser, state: &str) -> Vec<String> {
    browser
        .js(r#"window.__axeResult = null;
               axe.run({ include: [["cuecard-widget"]] },
                       { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                 .then(function (result) {
                   // An empty check would pass vacuously: there must be rules that looked and passed.
                   if (result.passes.length < 5) { window.__axeResult = ["only " + result.passes.length + " rules applied"]; return; }
                   window.__axeResult = result.violations.map(function (violation) {
                     return violation.id + ": " + violation.nodes.map(function (node) {
                       return JSON.stringify(node.target) + " (" + node.failureSummary + ")";
                     }).join("; ");
                   });
                 }, function (error) { window.__axeResult = ["axe failed: " + error]; });
               return null;"#)
        .await;
    let found = eventually(&format!("axe on the {state}"), || async {
        let result = browser.js("return window.__axeResult;").await;
        (!result.is_null()).then_some(result)
    })
    .await;
    serde_json::from_value(found).unwrap()
}

async fn widget_shows(browser: &Browser, what: &str, selector: &str) {
    eventually(what, || async {
        let script = format!(
            r#"var host = document.querySelector("cuecard-widget");
               var found = host && host.shadowRoot && host.shadowRoot.querySelector({selector:?});
               return !!found && found.getClientRects().length > 0;"#
        );
        browser.js(&script).await.as_bool().filter(|shown| *shown)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_of_the_widget_passes_axe() {
    let axe = support::axe_source();
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.js(&format!("{axe}\nreturn null;")).await;
    let mut report = Vec::new();

    widget_shows(&browser, "the launcher", ".cc-launcher").await;
    widget_shows(&browser, "the hotspots", ".cc-spot:not([hidden])").await;
    report.push(("launcher and hotspots", violations(&browser, "launcher").await));

    browser.click_in_widget(r#".cc-spot[data-help-key="claim.amount"]"#).await;
    widget_shows(&browser, "a hotspot's snippet", ".cc-spot-card .cc-body").await;
    report.push(("hotspot snippet", violations(&browser, "hotspot snippet").await));
    browser.click_in_widget(".cc-spot-card .cc-close").await;

    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the panel's list", |titles| titles.len() > 1).await;
    report.push(("panel", violations(&browser, "panel").await));

    browser.click_in_widget(".cc-context .cc-card").await;
    widget_shows(&browser, "the snippet", ".cc-body").await;
    report.push(("snippet", violations(&browser, "snippet").await));
    browser.click_in_widget(".cc-no").await;
    widget_shows(&browser, "the reason box", ".cc-comment").await;
    report.push(("feedback", violations(&browser, "feedback").await));

    browser.click_in_widget(".cc-back").await;
    browser.click_in_widget(".cc-search-input").await;
    browser.client.active_element().await.unwrap().send_keys("receipt").await.unwrap();
    widget_shows(&browser, "search results", ".cc-hit").await;
    report.push(("search results", violations(&browser, "search results").await));

    // The service refuses the context: the panel says help is unavailable.
    browser.js("Cuecard('close'); Cuecard('setContext', { appVersion: 'not a version' }); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    browser.js("Cuecard('open'); return null;").await;
    eventually("help unavailable", || async {
        let text = browser
            .js(r#"var status = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-context .cc-status");
                   return status ? status.textContent : null;"#)
            .await;
        text.as_str().filter(|text| text.contains("unavailable")).map(str::to_owned)
    })
    .await;
    report.push(("unavailable", violations(&browser, "unavailable state").await));

    let failing: Vec<_> = report.iter().filter(|(_, found)| !found.is_empty()).collect();
    assert!(failing.is_empty(), "axe found violations: {failing:#?}");
}
