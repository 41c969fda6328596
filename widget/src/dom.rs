//! Reading the host page: where the worker is and what has focus. Never writes to it.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Window};

pub fn window() -> Option<Window> {
    web_sys::window()
}

pub fn document() -> Option<Document> {
    window()?.document()
}

/// The page's path: `location.pathname`, or the hash's path in a hash-routed app.
pub fn current_path() -> String {
    let Some(location) = window().map(|window| window.location()) else {
        return "/".to_owned();
    };
    crate::context::page_path(&location.pathname().unwrap_or_default(), &location.hash().unwrap_or_default())
}

/// `element`'s parent, or out of a web component's open shadow root, its host.
pub fn composed_parent(element: &Element) -> Option<Element> {
    element
        .parent_element()
        .or_else(|| element.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok().map(|root| root.host()))
}

/// Whether `element` is `ancestor` or lies inside it, through open shadow roots too.
pub fn composed_contains(ancestor: &Element, element: &Element) -> bool {
    let mut current = Some(element.clone());
    while let Some(node) = current {
        if node == *ancestor {
            return true;
        }
        current = composed_parent(&node);
    }
    false
}

/// Help keys of `element` and its ancestors, innermost first.
pub fn keys_of(element: Option<Element>) -> Vec<String> {
    let mut attributes = Vec::new();
    let mut current = element;
    while let Some(node) = current {
        if let Some(key) = node.get_attribute("data-help-key") {
            attributes.push(key);
        }
        current = composed_parent(&node);
    }
    crate::context::collect_keys(attributes.iter().map(String::as_str), crate::context::FOCUS_KEYS_MAX)
}

/// Keys of the element that has focus now, unless focus is inside the widget itself.
pub fn focused_keys(host: &Element) -> Option<Vec<String>> {
    let active = document()?.active_element()?;
    if active == *host {
        return None;
    }
    Some(keys_of(Some(active)))
}

/// The language of the page: `data-locale` on the script tag (passed in), `<html lang>`, the browser.
pub fn page_locale(from_script: Option<String>) -> Option<String> {
    from_script
        .filter(|locale| !locale.is_empty())
        .or_else(|| {
            let lang = document()?.document_element()?.get_attribute("lang")?;
            (!lang.trim().is_empty()).then(|| lang.trim().to_owned())
        })
        .or_else(|| window()?.navigator().language())
}

/// The element an event started at, inside open shadow roots too (not the host it is retargeted to).
pub fn event_target_element(event: &web_sys::Event) -> Option<Element> {
    event.composed_path().get(0).dyn_into::<Element>().ok()
}
