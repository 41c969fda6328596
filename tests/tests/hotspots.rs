//! Hotspots on the demo claim form (its script tag has `data-hotspots`): a marker beside each field
//! whose key has help, placed without moving the page; opened in place with the mouse or the
//! keyboard, closed with Escape or by going back to the page; fields the page adds later (an overlay, as after an XHR) get theirs too, and the
//! markers stay above the page's own overlays.

mod support;

use serde_json::Value;
use support::{Browser, Stack, eventually};

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// Every visible marker: its key and its box, as the page sees it.
const MARKERS: &str = r#"
    var host = document.querySelector("cuecard-widget");
    if (!host || !host.shadowRoot) return [];
    return Array.from(host.shadowRoot.querySelectorAll(".cc-spot")).filter(function (marker) {
      return !marker.hidden;
    }).map(function (marker) {
      var box = marker.getBoundingClientRect();
      return { key: marker.getAttribute("data-help-key"), label: marker.getAttribute("aria-label"),
               left: box.left, top: box.top, width: box.width, height: box.height };
    });"#;

/// The page's own layout: every element's box and the document's size.
const LAYOUT: &str = r#"
    var boxes = Array.from(document.body.querySelectorAll("*")).filter(function (element) {
      return element.tagName !== "CUECARD-WIDGET";
    }).map(function (element) {
      var box = element.getBoundingClientRect();
      return [element.tagName, box.left, box.top, box.width, box.height].join(" ");
    });
    return { boxes: boxes, width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight };"#;

async fn markers(browser: &Browser) -> Vec<Value> {
    serde_json::from_value(browser.js(MARKERS).await).unwrap()
}

fn keys(markers: &[Value]) -> Vec<String> {
    markers.iter().map(|marker| marker["key"].as_str().unwrap().to_owned()).collect()
}

fn marker_for<'a>(markers: &'a [Value], key: &str) -> &'a Value {
    markers.iter().find(|marker| marker["key"] == key).unwrap_or_else(|| panic!("no marker for {key}: {markers:?}"))
}

async fn field_box(browser: &Browser, selector: &str) -> Value {
    browser
        .js(&format!(
            r#"var box = document.querySelector("{selector}").getBoundingClientRect();
               return {{ left: box.left, right: box.right, top: box.top, bottom: box.bottom }};"#
        ))
        .await
}

/// The open card's title and whether focus is inside it, or `None` while it is closed.
async fn open_card(browser: &Browser) -> Option<(String, bool)> {
    let value = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               var card = root.querySelector(".cc-spot-card");
               if (!card || card.hidden) return null;
               return [card.querySelector(".cc-snippet-title").textContent,
                       !!root.activeElement && card.contains(root.activeElement),
                       card.querySelector(".cc-body").innerHTML.length];"#)
        .await;
    let values = value.as_array()?;
    assert!(values[2].as_u64().unwrap() > 0, "the card shows the snippet's body");
    Some((values[0].as_str().unwrap().to_owned(), values[1].as_bool().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_with_help_get_markers_that_open_their_snippet_in_place() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    let layout_before = browser.js(LAYOUT).await;

    // Markers come with the widget (loaded when the page is idle), one per field with help.
    let found = eventually("the claim form's hotspots", || async {
        let found = markers(&browser).await;
        (found.len() >= 9).then_some(found)
    })
    .await;
    let found_keys = keys(&found);
    for key in ["claim.date", "claim.amount", "claim.vat-number", "claim.tax", "app.role"] {
        assert!(found_keys.iter().any(|found| found == key), "no marker for {key}: {found_keys:?}");
    }
    // The form holds keyed fields: its own key (which has help) gets no marker, as it did not
    // ask; the tax fieldset asks (`data-hotspot`) and has one.
    assert!(!found_keys.iter().any(|found| found == "claim.form"), "a container's marker: {found_keys:?}");
    assert_eq!(browser.js(LAYOUT).await, layout_before, "the markers moved nothing on the page");

    // The role switcher's marker covers none of the header's text (the user's name beside it).
    let role = marker_for(&found, "app.role");
    let name = field_box(&browser, ".user-chip").await;
    let (left, right) =
        (role["left"].as_f64().unwrap(), role["left"].as_f64().unwrap() + role["width"].as_f64().unwrap());
    let (top, bottom) =
        (role["top"].as_f64().unwrap(), role["top"].as_f64().unwrap() + role["height"].as_f64().unwrap());
    let apart = right <= name["left"].as_f64().unwrap()
        || left >= name["right"].as_f64().unwrap()
        || bottom <= name["top"].as_f64().unwrap()
        || top >= name["bottom"].as_f64().unwrap();
    assert!(apart, "the marker {role} lies on the user's name {name}");

    // Beside its field: just right of it, centred on it.
    let amount = marker_for(&found, "claim.amount");
    assert_eq!(amount["label"], "Help: Entering the amount");
    let field = field_box(&browser, "#claim-amount").await;
    let left = amount["left"].as_f64().unwrap();
    assert!((left - field["right"].as_f64().unwrap()).abs() <= 6.0, "marker {amount} beside field {field}");
    let middle = amount["top"].as_f64().unwrap() + amount["height"].as_f64().unwrap() / 2.0;
    let field_middle = (field["top"].as_f64().unwrap() + field["bottom"].as_f64().unwrap()) / 2.0;
    assert!((middle - field_middle).abs() <= 2.0, "marker {amount} centred on field {field}");

    // Scrolling moves the markers with their fields.
    browser.js("window.scrollBy(0, 120);").await;
    eventually("the marker to follow its field", || async {
        let field = field_box(&browser, "#claim-amount").await;
        let marker = markers(&browser).await.into_iter().find(|marker| marker["key"] == "claim.amount")?;
        let middle = marker["top"].as_f64()? + marker["height"].as_f64()? / 2.0;
        let field_middle = (field["top"].as_f64()? + field["bottom"].as_f64()?) / 2.0;
        ((middle - field_middle).abs() <= 2.0).then_some(())
    })
    .await;
    browser.js("window.scrollTo(0, 0);").await;

    // Opening a marker shows its snippet in place, with focus in it; Escape closes it and gives
    // focus back to the marker.
    browser.click_in_widget(r#".cc-spot[data-help-key="claim.amount"]"#).await;
    let (title, focus_inside) = eventually("the amount's card", || open_card(&browser)).await;
    assert_eq!(title, "Entering the amount");
    assert!(focus_inside, "opening moves focus into the card");
    browser.client.active_element().await.unwrap().send_keys(ESCAPE).await.unwrap();
    eventually("the card to close", || async { open_card(&browser).await.is_none().then_some(()) }).await;
    let focused = browser
        .js(r#"var active = document.querySelector("cuecard-widget").shadowRoot.activeElement;
               return active && active.getAttribute("data-help-key");"#)
        .await;
    assert_eq!(focused, "claim.amount", "focus returns to the marker");

    // The keyboard opens one too: Enter on a focused marker.
    browser
        .js(r#"document.querySelector("cuecard-widget").shadowRoot
                 .querySelector('.cc-spot[data-help-key="claim.tax"]').focus();"#)
        .await;
    browser.client.active_element().await.unwrap().send_keys(ENTER).await.unwrap();
    let (title, _) = eventually("the tax card", || open_card(&browser)).await;
    assert_eq!(title, "Why we ask for tax details");
    // It asks whether it helped, as the panel does.
    let asked = browser
        .js(r#"return document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-spot-card .cc-feedback-question").textContent;"#)
        .await;
    assert_eq!(asked, "Was this helpful?");
    browser.click_in_widget(".cc-spot-card .cc-yes").await;
    let thanked = browser
        .js(r#"var card = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-spot-card");
               return [card.querySelector(".cc-feedback-question").textContent, card.querySelector(".cc-feedback-buttons").hidden];"#)
        .await;
    assert_eq!(thanked, serde_json::json!(["Thank you for telling us.", true]));
    // Going back to work on the page closes it.
    browser.click("#claim-merchant").await;
    eventually("the card to close as focus leaves", || async { open_card(&browser).await.is_none().then_some(()) })
        .await;

    // In a right-to-left locale the marker goes before the field, on its left.
    browser.js("Cuecard('setContext', { locale: 'ar' }); return null;").await;
    eventually("the marker on the field's left", || async {
        let field = field_box(&browser, "#claim-amount").await;
        let marker = markers(&browser).await.into_iter().find(|marker| marker["key"] == "claim.amount")?;
        let right = marker["left"].as_f64()? + marker["width"].as_f64()?;
        (right <= field["left"].as_f64()? && field["left"].as_f64()? - right <= 6.0).then_some(())
    })
    .await;

    // Views from hotspots are reported with the field's key.
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    eventually("the hotspot views in the database", || async {
        let events = stack.store.events(site.id, 0, 100).await.unwrap();
        let views: Vec<_> = events
            .iter()
            .filter(|stored| stored.event.kind == "snippet_view")
            .filter_map(|stored| stored.event.help_key.clone())
            .collect();
        let helpful: Vec<_> =
            events.iter().filter(|stored| stored.event.kind == "feedback").map(|stored| stored.event.helpful).collect();
        (views == ["claim.amount", "claim.tax"] && helpful == [Some(true)]).then_some(())
    })
    .await;
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_the_page_adds_later_get_markers_above_its_overlays() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    eventually("the claim form's hotspots", || async { (markers(&browser).await.len() >= 10).then_some(()) }).await;

    // The page opens an overlay (as after an XHR) with a field the form did not have, above a
    // sticky header of its own. Nothing polls: the widget's MutationObserver sees it.
    browser
        .js(r#"var header = document.createElement("div");
               header.style.cssText = "position:sticky;top:0;z-index:9999;height:40px;background:#fff";
               document.body.prepend(header);
               var overlay = document.createElement("div");
               overlay.id = "overlay";
               overlay.style.cssText = "position:fixed;inset:0;z-index:100000;background:rgba(0,0,0,.4)";
               overlay.innerHTML = '<div style="margin:120px auto;width:320px;padding:16px;background:#fff">' +
                 '<label>Search claims <input id="overlay-search" data-help-key="claims.filter"></label>' +
                 '<input id="overlay-nothing" data-help-key="claims.no-help-here"></div>';
               document.body.appendChild(overlay);"#)
        .await;
    let filter = eventually("a marker for the overlay's field", || async {
        let found = markers(&browser).await;
        found.iter().find(|marker| marker["key"] == "claims.filter").cloned()
    })
    .await;
    assert_eq!(filter["label"], "Help: Finding a claim quickly");
    assert!(!keys(&markers(&browser).await).iter().any(|key| key == "claims.no-help-here"), "no help, no marker");

    // The marker is on top: the page's overlay does not cover it, and neither does the header.
    let (x, y) = (
        filter["left"].as_f64().unwrap() + filter["width"].as_f64().unwrap() / 2.0,
        filter["top"].as_f64().unwrap() + filter["height"].as_f64().unwrap() / 2.0,
    );
    let on_top = browser.js(&format!("return document.elementFromPoint({x}, {y}).tagName;")).await;
    assert_eq!(on_top, "CUECARD-WIDGET", "the marker is above the page's overlay");
    let launcher_on_top = browser
        .js(r#"var box = document.querySelector("cuecard-widget").shadowRoot.querySelector(".cc-launcher").getBoundingClientRect();
               return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2).tagName;"#)
        .await;
    assert_eq!(launcher_on_top, "CUECARD-WIDGET", "the launcher is above the page's overlay");

    // Closing the overlay removes its marker.
    browser.js(r#"document.getElementById("overlay").hidden = true;"#).await;
    eventually("the overlay's marker to go", || async {
        (!keys(&markers(&browser).await).iter().any(|key| key == "claims.filter")).then_some(())
    })
    .await;
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_can_turn_hotspots_on_for_pages_that_do_not_ask() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    // The claims list's script tag has no `data-hotspots`: by default, no markers.
    browser.goto(&stack.page("/claims/")).await;
    browser.click("#claims-search").await; // the first interaction loads the widget at once
    browser.wait_for_launcher().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(markers(&browser).await.is_empty(), "no hotspots unless the page or the site asks");

    // The site's owner turns them on (PATCH /admin/v1/sites/{site} with `widget.hotspots`).
    let site = stack.store.site(support::SITE_KEY).await.unwrap().unwrap();
    let changes = store::SiteChanges { widget_settings: Some(r#"{"hotspots":true}"#.into()), ..Default::default() };
    stack.store.update_site(site.id, &store::Precondition::Any, &changes).await.unwrap();
    let url = format!("{}/v1/widget-config?site={}&poll=", stack.api_origin, support::SITE_KEY);
    eventually("the new settings to be served", || async {
        let body = browser
            .js(&format!(
                "var request = new XMLHttpRequest(); request.open('GET', '{url}' + Date.now(), false); \
                 request.send(); return request.responseText;"
            ))
            .await;
        body.as_str().filter(|body| body.contains("hotspots")).map(str::to_owned)
    })
    .await;
    // A worker who comes later (the first browser may reuse its answer for a minute).
    drop(browser);
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/")).await;
    let found = eventually("the site's hotspots", || async {
        let found = markers(&browser).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert!(keys(&found).iter().any(|key| key == "claims.filter"), "{found:?}");
    browser.assert_page_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_inside_web_components_get_markers() {
    let stack = Stack::start().await;
    let browser = Browser::start().await;
    browser.goto(&stack.page("/claims/new.html")).await;
    eventually("the claim form's hotspots", || async { (markers(&browser).await.len() >= 10).then_some(()) }).await;

    // A web component (open shadow root) with a keyed field, as a design system would ship one.
    browser
        .js(r#"customElements.define("acme-search", class extends HTMLElement {
                   constructor() {
                       super();
                       var root = this.attachShadow({ mode: "open" });
                       root.innerHTML = '<div id="scroller"><div id="above"></div>' +
                           '<label>Search claims <input id="inner" data-help-key="claims.filter"></label>' +
                           '<div id="below"></div></div><div id="more"></div>';
                       root.getElementById("scroller").style.cssText = "height:80px;overflow:auto";
                       root.getElementById("above").style.height = "20px";
                       root.getElementById("below").style.height = "300px";
                   }
               });
               customElements.define("acme-status", class extends HTMLElement {
                   constructor() {
                       super();
                       this.attachShadow({ mode: "open" }).innerHTML =
                           '<select id="status" data-help-key="claims.status-filter"><option>All</option></select>';
                   }
               });
               var search = document.createElement("acme-search");
               search.id = "component";
               search.style.cssText = "display:block;position:fixed;top:320px;left:40px;width:420px;padding:8px;background:#fff";
               document.body.appendChild(search);
               return null;"#)
        .await;
    let filter = eventually("a marker for the component's field", || async {
        markers(&browser).await.into_iter().find(|marker| marker["key"] == "claims.filter")
    })
    .await;
    assert_eq!(filter["label"], "Help: Finding a claim quickly");
    let field = browser
        .js(r#"var box = document.getElementById("component").shadowRoot.getElementById("inner").getBoundingClientRect();
               return { right: box.right, top: box.top, bottom: box.bottom };"#)
        .await;
    let middle = filter["top"].as_f64().unwrap() + filter["height"].as_f64().unwrap() / 2.0;
    assert!(filter["left"].as_f64().unwrap() >= field["right"].as_f64().unwrap(), "beside the field: {filter} {field}");
    assert!(middle > field["top"].as_f64().unwrap() && middle < field["bottom"].as_f64().unwrap(), "{filter} {field}");

    // Scrolling inside the component (its scroll events stay in its shadow tree) moves the marker.
    browser.js(r#"document.getElementById("component").shadowRoot.getElementById("scroller").scrollTop = 15;"#).await;
    let before = filter["top"].as_f64().unwrap();
    eventually("the marker to follow the component's scrolling", || async {
        let found = markers(&browser).await.into_iter().find(|marker| marker["key"] == "claims.filter");
        found.filter(|marker| (marker["top"].as_f64().unwrap() - (before - 15.0)).abs() < 1.0)
    })
    .await;

    // A component the first one adds later, inside its own shadow root: watched there too.
    browser
        .js(r#"document.getElementById("component").shadowRoot.getElementById("more")
                   .appendChild(document.createElement("acme-status"));
               return null;"#)
        .await;
    eventually("a marker for the nested component's field", || async {
        markers(&browser).await.into_iter().find(|marker| marker["key"] == "claims.status-filter")
    })
    .await;

    // Opening the marker shows the snippet in place, as for any field.
    browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               root.querySelector('.cc-spot[data-help-key="claims.filter"]').click(); return null;"#)
        .await;
    let (title, _) = eventually("the card", || open_card(&browser)).await;
    assert_eq!(title, "Finding a claim quickly");

    // Removing the component removes its markers.
    browser.js(r#"document.getElementById("component").remove(); return null;"#).await;
    eventually("the component's markers to go", || async {
        let keys = keys(&markers(&browser).await);
        (!keys.iter().any(|key| key == "claims.filter" || key == "claims.status-filter")).then_some(())
    })
    .await;

    // A component on the page before its script defines it (no mutation reports the shadow root
    // its definition brings): its field gets a marker once it is defined. The component itself
    // carries a key too, but holds keyed fields in its shadow root: no marker of its own.
    browser
        .js(r#"var late = document.createElement("acme-late");
               late.setAttribute("data-help-key", "claims.status-filter");
               late.style.cssText = "display:block;position:fixed;top:420px;left:40px;width:300px;background:#fff";
               document.body.appendChild(late);
               setTimeout(function () {
                   customElements.define("acme-late", class extends HTMLElement {
                       constructor() {
                           super();
                           this.attachShadow({ mode: "open" }).innerHTML =
                               '<input id="late" data-help-key="claims.filter">';
                       }
                   });
               }, 400);
               return null;"#)
        .await;
    eventually("a marker for the late component's field", || async {
        markers(&browser).await.into_iter().find(|marker| marker["key"] == "claims.filter")
    })
    .await;
    assert!(
        !keys(&markers(&browser).await).iter().any(|key| key == "claims.status-filter"),
        "a component holding keyed fields gets no marker of its own"
    );
    browser.assert_page_clean().await;
}
