//! The page-facing API in real Chromium: calls queued before the loader, `on` and `off`
//! handlers, `show`, `close`, `shutdown` and coming back after it (as React's StrictMode does),
//! and the script included twice or added again.

mod support;

use store::SnippetFilter;
use support::{Browser, SITE_KEY, Stack, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_drives_the_widget_and_hears_from_it() {
    let stack = Stack::start_custom(Vec::new(), |options| {
        // Calls made before the loader, as the README shows, and a second copy of the script tag.
        options.head_prefix.push_str(&format!(
            r#"<script>
window.Cuecard = window.Cuecard || function () {{ (Cuecard.q = Cuecard.q || []).push(arguments); }};
window.__cuecardTest.heard = [];
window.__cuecardTest.onOpen = function () {{ __cuecardTest.heard.push('open'); }};
Cuecard('on', 'open', __cuecardTest.onOpen);
Cuecard('on', 'close', function () {{ __cuecardTest.heard.push('close'); }});
Cuecard('on', 'feedback', function (detail) {{ __cuecardTest.heard.push('feedback ' + detail.helpful); }});
Cuecard('on', 'open', function () {{ throw new Error('a broken page handler'); }});
Cuecard('setContext', {{ route: '/claims/new' }});
</script>
<script async src="{api}/widget/cuecard.js" data-site="{SITE_KEY}"></script>"#,
            api = options.api_origin
        ));
    })
    .await;
    let site = stack.store.site(SITE_KEY).await.unwrap().unwrap();
    let receipt = stack
        .store
        .snippets(
            site.id,
            &SnippetFilter { slug_prefix: Some("claim-form/receipt".into()), ..SnippetFilter::default() },
        )
        .await
        .unwrap()
        .remove(0);

    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.js(&format!("Cuecard('show', {}); return null;", receipt.id)).await;
    let title = eventually("the snippet shown by id", || async {
        let title = browser
            .js(r#"var host = document.querySelector("cuecard-widget");
                   var title = host && host.shadowRoot.querySelector(".cc-snippet-title");
                   return title ? title.textContent : null;"#)
            .await;
        title.as_str().filter(|title| !title.is_empty()).map(str::to_owned)
    })
    .await;
    assert_eq!(title, "The receipt upload fails");

    browser.click_in_widget(".cc-yes").await;
    browser.js("Cuecard('close'); return null;").await;
    let heard = eventually("the handlers to hear open, feedback and close", || async {
        let heard = browser.js("return window.__cuecardTest.heard;").await;
        let heard: Vec<String> = serde_json::from_value(heard).unwrap_or_default();
        heard.contains(&"close".to_owned()).then_some(heard)
    })
    .await;
    assert_eq!(heard, ["open", "feedback true", "close"]);
    let count = browser.js(r#"return document.querySelectorAll("cuecard-widget").length;"#).await;
    assert_eq!(count, 1, "the script included twice gives one widget");

    // A page handler that throws is reported on the console but stops nothing.
    let problems = browser.page_problems().await;
    assert_eq!(problems["consoleErrors"].as_array().unwrap().len(), 1, "{problems}");
    assert_eq!(problems["errors"], serde_json::json!([]));

    // Shutdown removes the widget, quietly.
    let widgets = r#"return document.querySelectorAll("cuecard-widget").length;"#;
    browser.js("Cuecard('shutdown'); return null;").await;
    assert_eq!(browser.js(widgets).await, 0);
    let problems = browser.page_problems().await;
    assert_eq!(problems["errors"], serde_json::json!([]), "{problems}");
    assert_eq!(problems["consoleWarnings"], serde_json::json!([]), "a shutdown is not a failure: {problems}");

    // As in React's StrictMode (mount, clean up, mount again): the next call brings it back, and
    // a handler taken off with `off` hears nothing more.
    browser
        .js("Cuecard('off', 'open', __cuecardTest.onOpen); Cuecard('setContext', { route: '/claims/new' }); Cuecard('open'); return null;")
        .await;
    browser.wait_for_cards("the panel after coming back", |titles| !titles.is_empty()).await;
    assert_eq!(browser.js(widgets).await, 1);
    let heard: Vec<String> = serde_json::from_value(browser.js("return window.__cuecardTest.heard;").await).unwrap();
    assert_eq!(heard, ["open", "feedback true", "close"], "the handler taken off was called");

    // Shut down again, then the script tag added back (a router re-rendering the page's head).
    browser
        .js(&format!(
            r#"Cuecard('shutdown');
               var tag = document.createElement('script'); tag.async = true;
               tag.src = '{api}/widget/cuecard.js'; tag.setAttribute('data-site', '{SITE_KEY}');
               document.head.appendChild(tag); return null;"#,
            api = stack.api_origin
        ))
        .await;
    eventually("the widget back after its script tag was added again", || async {
        (browser.js(widgets).await == 1).then_some(())
    })
    .await;
    browser.wait_for_launcher().await;
    let problems = browser.page_problems().await;
    assert_eq!(problems["errors"], serde_json::json!([]), "{problems}");
}
