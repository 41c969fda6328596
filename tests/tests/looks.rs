//! The widget's look and language: the site's settings (position, accent, label), the host's own
//! CSS custom properties, German and French strings, and right-to-left locales.

mod support;

use support::{Browser, SITE_KEY, Stack, eventually};

async fn launcher(browser: &Browser) -> serde_json::Value {
    eventually("the launcher", || async {
        let look = browser
            .js(r#"var host = document.querySelector("cuecard-widget");
                   var button = host && host.shadowRoot && host.shadowRoot.querySelector(".cc-launcher");
                   if (!button) return null;
                   var box = button.getBoundingClientRect();
                   return [button.textContent, getComputedStyle(button).backgroundColor, Math.round(box.left)];"#)
            .await;
        (!look.is_null()).then_some(look)
    })
    .await
}

/// Gives the demo site these widget settings and waits until the service serves them.
async fn set_look(stack: &Stack, browser: &Browser, settings: &str) {
    let site = stack.store.site(SITE_KEY).await.unwrap().unwrap();
    let changes = store::SiteChanges { widget_settings: Some(settings.into()), ..store::SiteChanges::default() };
    stack.store.update_site(site.id, &store::Precondition::Any, &changes).await.unwrap();
    // A page of the host's origin without the widget, so no answer is cached in the browser yet.
    browser.goto(&stack.page("/assets/favicon.svg")).await;
    let url = format!("{}/v1/widget-config?site={SITE_KEY}&poll=", stack.api_origin);
    eventually("the new settings to be served", || async {
        let body = browser
            .js(&format!(
                "var request = new XMLHttpRequest(); request.open('GET', '{url}' + Date.now(), false); request.send(); return request.responseText;"
            ))
            .await;
        body.as_str().filter(|body| body.contains("bottom-left")).map(str::to_owned)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sites_settings_then_the_hosts_properties_shape_the_launcher() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    set_look(
        &stack,
        &browser,
        r##"{"position":"bottom-left","accent_color":"#0b5cad","launcher_label":"Ask Acme",
             "surface_color":"#fdf6e3","text_color":"#222222","radius_px":4,"font":"Georgia, serif"}"##,
    )
    .await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.click("#claim-vat-number").await; // the first interaction loads the widget at once
    let look = eventually("the site's look", || async {
        let look = launcher(&browser).await;
        (look[1] == "rgb(11, 92, 173)").then_some(look)
    })
    .await;
    assert_eq!(look, serde_json::json!(["?Ask Acme", "rgb(11, 92, 173)", 20]), "label, accent, bottom left");
    browser.click_in_widget(".cc-launcher").await;
    let panel = eventually("the themed panel", || async {
        let panel = browser
            .js(r#"var panel = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-panel");
                   if (!panel) return null;
                   var style = getComputedStyle(panel);
                   return [style.backgroundColor, style.color, style.borderTopLeftRadius, style.fontFamily];"#)
            .await;
        (!panel.is_null()).then_some(panel)
    })
    .await;
    assert_eq!(panel, serde_json::json!(["rgb(253, 246, 227)", "rgb(34, 34, 34)", "4px", "Georgia, serif"]));

    // The host page's own custom property on the widget's element wins over the site's.
    let themed = Stack::start_custom(Vec::new(), |options| {
        options.head_prefix.push_str("<style>cuecard-widget { --cc-accent: rgb(120, 20, 90); }</style>");
    })
    .await;
    set_look(&themed, &browser, r##"{"position":"bottom-left","accent_color":"#0b5cad"}"##).await;
    browser.goto(&themed.page("/claims/new.html")).await;
    browser.click("#claim-vat-number").await;
    let look = eventually("the host's accent", || async {
        let look = launcher(&browser).await;
        (look[2] == 20).then_some(look)
    })
    .await;
    assert_eq!(look[1], "rgb(120, 20, 90)");
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_speaks_the_workers_language_and_turns_for_rtl() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    browser.js("Cuecard('setContext', { locale: 'de-CH' }); Cuecard('open'); return null;").await;
    let words = eventually("German words", || async {
        let words = browser
            .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                   var title = root.querySelector(".cc-title"), label = root.querySelector(".cc-search-label");
                   return title && label ? [title.textContent, label.textContent, root.querySelector(".cc-launcher").textContent] : null;"#)
            .await;
        (!words.is_null()).then_some(words)
    })
    .await;
    assert_eq!(words, serde_json::json!(["Hilfe", "Hilfe durchsuchen", "?Hilfe"]));

    // The panel's words are chosen when it opens.
    browser.js("Cuecard('close'); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    browser.js("Cuecard('setContext', { locale: 'fr' }); Cuecard('open'); return null;").await;
    let title = eventually("French words", || async {
        let title = browser
            .js(r#"var title = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-title");
                   return title ? title.textContent : null;"#)
            .await;
        title.as_str().filter(|title| *title == "Aide").map(str::to_owned)
    })
    .await;
    assert_eq!(title, "Aide");

    browser.js("Cuecard('close'); return null;").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    browser.js("Cuecard('setContext', { locale: 'ar' }); Cuecard('open'); return null;").await;
    let direction = eventually("right to left", || async {
        let direction = browser
            .js(r#"var panel = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-panel");
                   return panel ? getComputedStyle(panel).direction : null;"#)
            .await;
        direction.as_str().filter(|direction| *direction == "rtl").map(str::to_owned)
    })
    .await;
    assert_eq!(direction, "rtl");
    browser.assert_page_clean().await;
}

/// The open panel's background colour.
async fn panel_surface(browser: &Browser) -> String {
    browser.click_in_widget(".cc-launcher").await;
    eventually("the panel", || async {
        let surface = browser
            .js(r#"var panel = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-panel");
                   return panel ? getComputedStyle(panel).backgroundColor : null;"#)
            .await;
        surface.as_str().map(str::to_owned)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_follows_the_host_pages_scheme_not_the_workers_system() {
    // A worker whose system is dark, on the demo's light business app: a light panel.
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )
        .await;
    browser.goto(&stack.page("/claims/new.html")).await;
    assert_eq!(panel_surface(&browser).await, "rgb(255, 255, 255)", "light app, light panel");

    // A host page that declares itself dark gets a dark panel, on a light system too.
    let dark = Stack::start_custom(Vec::new(), |options| {
        options.head_prefix.push_str(r#"<meta name="color-scheme" content="dark">"#);
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&dark.page("/claims/new.html")).await;
    assert_eq!(panel_surface(&browser).await, "rgb(27, 33, 48)", "dark app, dark panel");
    browser.assert_page_clean().await;

    // A page that declares nothing but is dark (its background) gets a dark panel as well.
    let dark_background = Stack::start_custom(Vec::new(), |options| {
        options.head_prefix.push_str("<style>body { background: #14161c !important; color: #eee; }</style>");
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&dark_background.page("/claims/new.html")).await;
    assert_eq!(panel_surface(&browser).await, "rgb(27, 33, 48)", "dark background, dark panel");
    browser.assert_page_clean().await;
}
