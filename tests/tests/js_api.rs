//! The page-facing API in real Chromium: calls queued before the loader, `on` handlers, `show`,
//! `close`, `shutdown`, and the script included twice.

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
Cuecard('on', 'open', function () {{ __cuecardTest.heard.push('open'); }});
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

    // Shutdown removes the widget; later calls are ignored quietly.
    browser.js("Cuecard('shutdown'); Cuecard('open'); Cuecard('show', 1); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let count = browser.js(r#"return document.querySelectorAll("cuecard-widget").length;"#).await;
    assert_eq!(count, 0);
    let problems = browser.page_problems().await;
    assert_eq!(problems["errors"], serde_json::json!([]), "{problems}");
    assert_eq!(problems["consoleWarnings"], serde_json::json!([]), "a shutdown is not a failure: {problems}");
}
