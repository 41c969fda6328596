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

/// axe-core's WCAG 2.1 A and AA violations on the whole page, each as `rule: targets`.
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.js(&format!("{axe}\nreturn null;")).await;
    browser
        .js(r#"window.__axeResult = null;
               axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                 .then(function (result) {
                   if (result.passes.length < 5) { window.__axeResult = ["only " + result.passes.length + " rules applied"]; return; }
                   window.__axeResult = result.violations.map(function (violation) {
                     return violation.id + ": " + violation.nodes.map(function (node) { return JSON.stringify(node.target); }).join("; ");
                   });
                 }, function (error) { window.__axeResult = ["axe failed: " + error]; });
               return null;"#)
        .await;
    let found = eventually("axe", || async {
        let result = browser.js("return window.__axeResult;").await;
        (!result.is_null()).then_some(result)
    })
    .await;
    serde_json::from_value(found).unwrap()
}

/// Records CSP violations from now on (the console's page has no room for a recorder of its own:
/// its policy allows no inline script).
async fn watch_csp(browser: &Browser) {
    browser
        .js(r#"window.__cspViolations = window.__cspViolations || [];
               document.addEventListener("securitypolicyviolation", function (event) {
                 window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
               });
               return null;"#)
        .await;
}

/// Whether the page fits its width (no sideways scrolling), and what sticks out if not.
async fn overflow(browser: &Browser) -> serde_json::Value {
    browser
        .js(r#"var width = document.documentElement.clientWidth;
               if (document.documentElement.scrollWidth <= width + 1) return null;
               var wide = Array.from(document.querySelectorAll("body *"))
                 .filter(function (element) {
                   var box = element.getBoundingClientRect();
                   return box.right > width + 1 && !(element.parentElement && element.parentElement.closest(".table-wrap, .chart-box"));
                 })
                 .slice(0, 5)
                 .map(function (element) { return element.tagName + "." + element.className + " " + Math.round(element.getBoundingClientRect().right); });
               return wide.concat(["scroll width " + document.documentElement.scrollWidth + ", viewport " + width]);"#)
        .await
}

/// Presses Tab until the focused element says `label`; fails after many tries.
async fn tab_to(browser: &Browser, label: &str) {
    for _ in 0..60 {
        let focused =
            browser.js("var a = document.activeElement; return a ? [a.id, (a.textContent || '').trim()] : [];").await;
        if focused.as_array().is_some_and(|names| names.iter().any(|name| name == label)) {
            return;
        }
        browser.client.active_element().await.unwrap().send_keys("\u{e004}").await.unwrap();
    }
    panic!("Tab never reached {label:?}");
}

async fn press_enter(browser: &Browser) {
    browser.client.active_element().await.unwrap().send_keys("\u{e007}").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_passes_axe_works_by_keyboard_fits_narrow_screens_and_speaks_three_languages() {
    let stack = Stack::start().await;
    let owner = key(&stack, Role::Owner).await;
    // A few days of synthetic traffic, so the insights have charts and tables to check.
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    let help: Vec<(i64, Vec<engine::Target>)> = stack
        .store
        .snippets(site.id, &store::SnippetFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|stored| (stored.id, stored.draft.targets))
        .collect();
    let now = server::http::unix_now();
    for (at, event) in server::synthetic::traffic(&help, 5, now, 7) {
        stack.store.record_events_at(site.id, at, &[event]).await.unwrap();
    }
    let axe = support::axe_source();
    let browser = Browser::start().await;
    let mut report = Vec::new();

    // Load time of the console on loopback, cold (reported, never asserted).
    browser.goto(&format!("{}/console/", stack.api_origin)).await;
    find(&browser, "#secret-key").await;
    let timing = browser
        .js(r#"var nav = performance.getEntriesByType("navigation")[0];
               var bytes = performance.getEntriesByType("resource").reduce(function (sum, entry) { return sum + entry.transferSize; }, nav.transferSize);
               return { ready_ms: Math.round(performance.now()), bytes: bytes };"#)
        .await;
    eprintln!("console cold load on loopback: {timing}");
    watch_csp(&browser).await;
    report.push(("sign-in", violations(&browser, &axe).await));

    // Signed in by keyboard alone: type the key, Enter; then Tab to a page and Enter.
    browser.client.find(Locator::Css("#secret-key")).await.unwrap().click().await.unwrap();
    browser.client.active_element().await.unwrap().send_keys(&owner).await.unwrap();
    press_enter(&browser).await;
    find(&browser, "header.top nav").await;
    find(&browser, "tbody tr").await;
    report.push(("snippet list", violations(&browser, &axe).await));

    tab_to(&browser, "New snippet").await;
    press_enter(&browser).await;
    find(&browser, "#title").await;
    tab_to(&browser, "title").await;
    browser.client.active_element().await.unwrap().send_keys("Typed by keyboard").await.unwrap();
    tab_to(&browser, "markdown").await;
    browser.client.active_element().await.unwrap().send_keys("All by *keyboard*.").await.unwrap();
    tab_to(&browser, "Add a target").await;
    press_enter(&browser).await;
    tab_to(&browser, "target-kind-0").await;
    browser.client.active_element().await.unwrap().send_keys("URL").await.unwrap();
    tab_to(&browser, "target-value-0").await;
    browser.client.active_element().await.unwrap().send_keys("/claims/(unclosed").await.unwrap();
    wait_for_text(&browser, "#target-problem-0", "URL pattern").await;
    report.push(("editor with a target problem", violations(&browser, &axe).await));
    browser.js("document.querySelector('#target-kind-0').focus(); return null;").await;
    tab_to(&browser, "target-value-0").await;
    let field = browser.client.active_element().await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("/claims/keyboard/:id").await.unwrap();
    tab_to(&browser, "Save draft").await;
    press_enter(&browser).await;
    wait_for_text(&browser, ".status", "Saved").await;
    find_xpath(&browser, "//h1[normalize-space()='Typed by keyboard']").await;

    // The history with a diff, after a second save.
    type_into(&browser, "#markdown", " And more.").await;
    click_button(&browser, "Save draft").await;
    wait_for_text(&browser, ".status", "version 2").await;
    click_button(&browser, "Show the history").await;
    click_button(&browser, "Show changes version 2").await;
    wait_for_text(&browser, ".diff", "And more.").await;
    report.push(("editor with history and diff", violations(&browser, &axe).await));

    // A conflict: someone else saves meanwhile.
    let url = browser.client.current_url().await.unwrap();
    let id: i64 = url.fragment().unwrap().trim_start_matches("/snippets/").parse().unwrap();
    let current = stack.store.snippet(site.id, id).await.unwrap().unwrap();
    let theirs = store::SnippetDraft { title: "Changed elsewhere".into(), ..current.draft.clone() };
    stack
        .store
        .update_snippet(site.id, id, &store::Precondition::OneOf(vec![current.version]), &theirs, "test")
        .await
        .unwrap();
    type_into(&browser, "#markdown", " Mine.").await;
    click_button(&browser, "Save draft").await;
    find(&browser, ".conflict").await;
    report.push(("editor in conflict", violations(&browser, &axe).await));
    click_button(&browser, "Merge both").await;
    assert_eq!(value_of(&browser, "#title").await, "Changed elsewhere", "their title, as only they changed it");
    assert!(value_of(&browser, "#markdown").await.ends_with("Mine."));

    browser
        .goto(&format!("{}/console/#/explain?route=/claims/new&keys=claim.vat-number&roles=employee", stack.api_origin))
        .await;
    find(&browser, "#shown-title").await;
    report.push(("what shows here", violations(&browser, &axe).await));

    click_button(&browser, "Insights").await;
    find(&browser, ".chart-box svg").await;
    find(&browser, "#coverage-title").await;
    browser.js("document.querySelectorAll('details').forEach(function (d) { d.open = true; }); return null;").await;
    report.push(("insights", violations(&browser, &axe).await));

    click_button(&browser, "Site").await;
    find(&browser, "#site-name").await;
    type_into(&browser, "#new-key-label", "for the help desk").await;
    click_button(&browser, "Create a key").await;
    find(&browser, "#new-secret").await;
    // The look preview follows the picks, through the stylesheet's object model (CSP allows it).
    browser
        .js(r#"var input = document.querySelector('#accent-color'); input.value = '#aa3300';
               input.dispatchEvent(new Event('input', { bubbles: true })); return null;"#)
        .await;
    eventually("the launcher preview in the new colour", || async {
        browser
            .js("return getComputedStyle(document.querySelector('.preview-launcher')).backgroundColor;")
            .await
            .as_str()
            .filter(|color| *color == "rgb(170, 51, 0)")
            .map(drop)
    })
    .await;
    report.push(("site", violations(&browser, &axe).await));

    // Narrow screens: 320 px wide, and 640 px (a 1280 px window at 200 % zoom) — nothing scrolls sideways.
    for (width, pages) in [(320, ["#/snippets", "#/site", "#/insights"]), (640, ["#/snippets", "#/site", "#/insights"])]
    {
        browser.client.set_window_size(width, 900).await.unwrap();
        let inner = browser.js("return window.innerWidth;").await;
        assert!(inner.as_u64().unwrap() <= u64::from(width), "the window is {inner} px wide");
        for page in pages {
            browser.goto(&format!("{}/console/{page}", stack.api_origin)).await;
            find(&browser, "main h1").await;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            assert_eq!(overflow(&browser).await, serde_json::Value::Null, "{page} at {width} px scrolls sideways");
        }
        let editor = format!("{}/console/#/snippets/{id}", stack.api_origin);
        browser.goto(&editor).await;
        find(&browser, "#markdown").await;
        assert_eq!(overflow(&browser).await, serde_json::Value::Null, "the editor at {width} px scrolls sideways");
    }
    browser.client.set_window_size(1200, 900).await.unwrap();

    // German and French: the words change, the page's language with them, and axe still passes.
    for (lang, snippets) in [("de", "Neues Snippet"), ("fr", "Nouvelle fiche")] {
        browser.goto(&format!("{}/console/#/snippets", stack.api_origin)).await;
        let picker = find(&browser, ".language select").await;
        picker.select_by_value(lang).await.unwrap();
        find_xpath(&browser, &format!("//a[normalize-space()='{snippets}']")).await;
        assert_eq!(browser.js("return document.documentElement.lang;").await, lang);
        report.push((if lang == "de" { "list in German" } else { "list in French" }, violations(&browser, &axe).await));
    }

    let csp = browser.js("return window.__cspViolations;").await;
    assert_eq!(csp, serde_json::json!([]), "the console broke its own CSP");
    let failing: Vec<_> = report.iter().filter(|(_, found)| !found.is_empty()).collect();
    assert!(failing.is_empty(), "axe found violations: {failing:#?}");
}
