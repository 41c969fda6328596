//! Search, "was this helpful?" and the events they send, in real Chromium against the real
//! service: what the worker did ends up in the database, without the query string or identity.

mod support;

use support::{Browser, Stack, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_searches_reads_and_says_it_did_not_help() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html?draft=7#top")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the route's snippets", |titles| titles.len() > 1).await;

    // The list is grouped by moment of need under plain headings.
    let headings = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               return Array.from(root.querySelectorAll(".cc-group-title")).map(function (h) { return h.textContent; });"#)
        .await;
    let headings: Vec<String> = serde_json::from_value(headings).unwrap();
    assert!(headings.contains(&"Getting started".to_owned()), "{headings:?}");
    let unique: std::collections::HashSet<_> = headings.iter().collect();
    assert_eq!(unique.len(), headings.len(), "one group per moment: {headings:?}");

    // A search with a typo finds the receipt snippet; the list makes way for the results.
    browser.click_in_widget(".cc-search-input").await;
    browser.client.active_element().await.unwrap().send_keys("recipt uplod").await.unwrap();
    let hits = eventually("search results", || async {
        let hits = browser
            .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                   return Array.from(root.querySelectorAll(".cc-hit-title")).map(function (e) { return e.textContent; });"#)
            .await;
        let hits: Vec<String> = serde_json::from_value(hits).unwrap_or_default();
        (!hits.is_empty()).then_some(hits)
    })
    .await;
    assert_eq!(hits[0], "The receipt upload fails", "{hits:?}");
    let status = browser
        .js(r#"return document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-found .cc-status").textContent;"#)
        .await;
    assert!(status.as_str().unwrap().contains("for “recipt uplod”"), "{status}");

    // Open it, answer "No" with a reason.
    browser.click_in_widget(".cc-hit").await;
    browser.click_in_widget(".cc-no").await;
    browser.click_in_widget(".cc-comment").await;
    browser.client.active_element().await.unwrap().send_keys("My receipt is a photo").await.unwrap();
    browser.click_in_widget(".cc-send").await;
    eventually("the thanks", || async {
        let text = browser
            .js(r#"return document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-feedback").textContent;"#)
            .await;
        text.as_str().filter(|text| text.contains("Thank you")).map(str::to_owned)
    })
    .await;

    // Closing the panel sends the batch; the service stored every event.
    browser.click_in_widget(".cc-close").await;
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    let events = eventually("the events in the database", || async {
        let events = stack.store.events(site.id, 0, 100).await.unwrap();
        (events.iter().any(|stored| stored.event.kind == "feedback")).then_some(events)
    })
    .await;
    let kinds: Vec<&str> = events.iter().map(|stored| stored.event.kind.as_str()).collect();
    assert!(kinds.starts_with(&["panel_open"]), "{kinds:?}");
    assert!(events[0].event.results.unwrap() > 1, "the open counts what it listed: {:?}", events[0]);
    let search = events.iter().rev().find(|stored| stored.event.kind == "search").unwrap();
    assert_eq!(search.event.query.as_deref(), Some("recipt uplod"));
    assert!(search.event.results.unwrap() >= 1);
    let view = events.iter().find(|stored| stored.event.kind == "snippet_view").unwrap();
    let feedback = events.iter().find(|stored| stored.event.kind == "feedback").unwrap();
    assert_eq!(view.event.snippet_id, feedback.event.snippet_id);
    assert_eq!(feedback.event.helpful, Some(false));
    assert_eq!(feedback.event.comment.as_deref(), Some("My receipt is a photo"));
    assert!(events.iter().all(|stored| format!("{:?}", stored.event).find("draft=7").is_none()));
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_queued_when_the_worker_leaves_the_page_still_arrive() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click_in_widget(".cc-launcher").await;
    browser.wait_for_cards("the route's snippets", |titles| titles.len() > 1).await;
    browser.click_in_widget(".cc-context .cc-card").await;
    // Straight to another page of the app, long before the batch's timer would fire.
    browser.goto(&stack.page("/claims/")).await;
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    let events = eventually("the events of the page left behind", || async {
        let events = stack.store.events(site.id, 0, 100).await.unwrap();
        events.iter().any(|stored| stored.event.kind == "snippet_view").then_some(events)
    })
    .await;
    assert!(events.iter().any(|stored| stored.event.kind == "panel_open"), "{events:?}");
}
