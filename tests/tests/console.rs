//! The console in real Chromium, as an author and an L&D lead use it: sign in with a key, find a
//! field without help in the gap list, write and publish a snippet for it, see it in the demo app;
//! edit it in two tabs and settle the conflict without losing either text; a viewer changes
//! nothing; sign-out ends the session on the server. Plus every page through axe-core, by keyboard,
//! at 320 px and at 200 % zoom, in three languages.

mod support;

use fantoccini::Locator;
use store::Role;
use support::{Browser, Stack, eventually};

async fn key(stack: &Stack, role: Role) -> String {
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    stack.store.create_key(site.id, role, role.as_str()).await.unwrap().plaintext
}

/// Waits until `selector` matches an element, then gives it.
async fn find(browser: &Browser, selector: &str) -> fantoccini::elements::Element {
    let selector = selector.to_owned();
    eventually(&format!("element {selector}"), || async { browser.client.find(Locator::Css(&selector)).await.ok() })
        .await
}

/// Waits until an element with this XPath exists, then gives it.
async fn find_xpath(browser: &Browser, xpath: &str) -> fantoccini::elements::Element {
    let xpath = xpath.to_owned();
    eventually(&format!("element {xpath}"), || async { browser.client.find(Locator::XPath(&xpath)).await.ok() }).await
}

async fn click_button(browser: &Browser, label: &str) {
    find_xpath(browser, &format!("//button[normalize-space()='{label}'] | //a[normalize-space()='{label}']"))
        .await
        .click()
        .await
        .unwrap();
}

async fn type_into(browser: &Browser, selector: &str, text: &str) {
    let field = find(browser, selector).await;
    field.send_keys(text).await.unwrap();
}

async fn replace_text(browser: &Browser, selector: &str, text: &str) {
    let field = find(browser, selector).await;
    field.clear().await.unwrap();
    // `clear` fires no input event; typing does.
    field.send_keys(text).await.unwrap();
}

async fn wait_for_text(browser: &Browser, selector: &str, wanted: &str) -> String {
    let script = format!("var found = document.querySelector({selector:?}); return found ? found.textContent : null;");
    eventually(&format!("{selector} to say {wanted:?}"), || async {
        browser.js(&script).await.as_str().filter(|text| text.contains(wanted)).map(str::to_owned)
    })
    .await
}

async fn value_of(browser: &Browser, selector: &str) -> String {
    let script = format!("var found = document.querySelector({selector:?}); return found ? found.value : '';");
    browser.js(&script).await.as_str().unwrap_or_default().to_owned()
}

/// Waits until the field `selector` holds `wanted` somewhere in its value.
async fn wait_for_value(browser: &Browser, selector: &str, wanted: &str) {
    eventually(&format!("{selector} to hold {wanted:?}"), || async {
        value_of(browser, selector).await.contains(wanted).then_some(())
    })
    .await;
}

async fn sign_in(browser: &Browser, stack: &Stack, secret: &str) {
    browser.goto(&format!("{}/console/", stack.api_origin)).await;
    type_into(browser, "#secret-key", secret).await;
    click_button(browser, "Sign in").await;
    find(browser, "header.top nav").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_finds_a_gap_writes_help_for_it_and_workers_see_it() {
    let stack = Stack::start().await;
    let owner = key(&stack, Role::Owner).await;
    let viewer = key(&stack, Role::Viewer).await;
    let browser = Browser::start().await;

    // A worker's visit counts the claim form's fields; `claim.notes` has no help yet.
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.wait_for_launcher().await;
    eventually("the hotspots", || async {
        browser
            .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                   return root.querySelectorAll(".cc-spot:not([hidden])").length > 0 || null;"#)
            .await
            .as_bool()
    })
    .await;
    stack.state.flush_coverage().await;

    // Sign in with the owner key; the key never stays in the browser.
    sign_in(&browser, &stack, &owner).await;
    let stored = browser.js("return JSON.stringify(localStorage) + document.cookie;").await;
    assert!(!stored.as_str().unwrap().contains(&owner), "the key was kept in the browser");

    // The gap list has the field; "write help for this" opens the editor with its key filled in.
    click_button(&browser, "Insights").await;
    let write = find_xpath(
        &browser,
        "//table[caption[starts-with(normalize-space(), 'Fields seen without any help')]]//tr[td[normalize-space()='claim.notes']]//a[contains(@class, 'write-help')]",
    )
    .await;
    write.click().await.unwrap();
    find(&browser, "#title").await;
    wait_for_value(&browser, "#target-value-0", "claim.notes").await;
    type_into(&browser, "#title", "What to put in the notes").await;
    type_into(&browser, "#markdown", "Anything the **approver** should know.").await;
    // The preview is the service's rendering, as workers will get it.
    eventually("the preview", || async {
        browser
            .js("return document.querySelector('.snippet-body').innerHTML;")
            .await
            .as_str()
            .filter(|html| html.contains("<strong>approver</strong>"))
            .map(drop)
    })
    .await;
    click_button(&browser, "Publish").await;
    wait_for_text(&browser, ".status", "Published").await;
    let url = browser.client.current_url().await.unwrap();
    let snippet_id: i64 = url.fragment().unwrap().trim_start_matches("/snippets/").parse().unwrap();

    // A worker focusing the field now gets it.
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.wait_for_launcher().await;
    browser.js("document.querySelector('[data-help-key=\"claim.notes\"] textarea, [data-help-key=\"claim.notes\"]').focus(); return null;").await;
    browser.click_in_widget(".cc-launcher").await;
    browser
        .wait_for_cards("the new snippet", |titles| {
            titles.first().is_some_and(|title| title == "What to put in the notes")
        })
        .await;

    // Two tabs edit the same version. The first saves; the second meets the conflict, after a
    // reload that keeps what it typed, and merges both texts.
    let editor = format!("{}/console/#/snippets/{snippet_id}", stack.api_origin);
    browser.goto(&editor).await;
    let first_tab = browser.client.window().await.unwrap();
    let second_tab = browser.client.new_window(true).await.unwrap().handle;
    browser.client.switch_to_window(second_tab.clone()).await.unwrap();
    browser.goto(&editor).await;
    find(&browser, "#markdown").await;
    wait_for_value(&browser, "#markdown", "approver").await;
    type_into(&browser, "#markdown", "\nSecond tab: mention the project code.").await;

    browser.client.switch_to_window(first_tab).await.unwrap();
    wait_for_value(&browser, "#markdown", "approver").await;
    type_into(&browser, "#markdown", "\nFirst tab: keep it short.").await;
    click_button(&browser, "Save changes").await;
    wait_for_text(&browser, ".status", "version").await;

    browser.client.switch_to_window(second_tab).await.unwrap();
    browser.client.refresh().await.unwrap();
    wait_for_text(&browser, ".notice", "restored").await;
    wait_for_value(&browser, "#markdown", "Second tab").await;
    click_button(&browser, "Save changes").await;
    wait_for_text(&browser, ".conflict h2", "newer version").await;
    let theirs = browser.js("return document.querySelector('.conflict .theirs pre').textContent;").await;
    assert!(theirs.as_str().unwrap().contains("First tab"), "their version is shown: {theirs}");
    click_button(&browser, "Merge both").await;
    let merged = value_of(&browser, "#markdown").await;
    assert!(
        merged.contains("First tab: keep it short.") && merged.contains("Second tab: mention the project code."),
        "{merged}"
    );
    // Both appended at the end: both texts are kept between markers, for the author to settle.
    let settled = merged
        .lines()
        .filter(|line| !line.starts_with("<<<<<<<") && !line.starts_with("=======") && !line.starts_with(">>>>>>>"))
        .collect::<Vec<_>>()
        .join("\n");
    replace_text(&browser, "#markdown", &settled).await;
    click_button(&browser, "Save changes").await;
    wait_for_text(&browser, ".status", "version").await;
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    let saved = stack.store.snippet(site.id, snippet_id).await.unwrap().unwrap();
    assert!(saved.draft.markdown.contains("First tab: keep it short."), "{}", saved.draft.markdown);
    assert!(saved.draft.markdown.contains("Second tab: mention the project code."), "{}", saved.draft.markdown);
    assert!(!saved.draft.markdown.contains("<<<<<<<"));

    // Sign-out ends the session on the service: the same cookie, put back, no longer works.
    let session_page = format!("{}/admin/v1/session", stack.api_origin);
    browser.goto(&session_page).await;
    let cookie = browser.client.get_named_cookie("cuecard_session").await.unwrap();
    assert!(cookie.http_only().unwrap_or(false), "{cookie:?}");
    assert!(browser.client.source().await.unwrap().contains("\"role\":\"owner\""));
    browser.goto(&editor).await;
    click_button(&browser, "Sign out").await;
    find(&browser, "#secret-key").await;
    browser.goto(&session_page).await;
    browser.client.add_cookie(cookie).await.unwrap();
    browser.client.refresh().await.unwrap();
    let source = browser.client.source().await.unwrap();
    assert!(source.contains("session_ended"), "the old cookie still works: {source}");
    browser.client.delete_all_cookies().await.unwrap();

    // A viewer sees no way to change anything, and the API refuses a change anyway.
    sign_in(&browser, &stack, &viewer).await;
    browser.goto(&editor).await;
    wait_for_value(&browser, "#markdown", "First tab").await;
    let buttons = browser.js("return Array.from(document.querySelectorAll('.actions button')).map(function (b) { return b.textContent; });").await;
    assert_eq!(buttons, serde_json::json!([]), "a viewer has no edit buttons");
    assert_eq!(browser.js("return document.querySelector('.snippet-form fieldset').disabled;").await, true);
    let refused = browser
        .js(&format!(
            r#"return fetch('/admin/v1/sites/{}/snippets/{snippet_id}/unpublish', {{ method: 'POST',
                 headers: {{ 'x-cuecard-console': '1', 'if-match': '*' }} }}).then(function (r) {{ return r.status; }});"#,
            support::SITE_KEY
        ))
        .await;
    assert_eq!(refused, 403);
}
