//! The Cuecard widget, mounted by the loader (`loader/cuecard.js`) into an open shadow root.
//!
//! The loader owns the page-facing surface (the `Cuecard` global, the host element, history
//! events); this crate owns everything inside the shadow root. Every export is called by the
//! loader inside `try`, so nothing thrown here reaches the host page.

pub mod api;
pub mod app;
pub mod context;
pub mod decode;
mod dom;
pub mod events;
pub mod hotspots;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod render;

use app::{App, Settings, Ui};
use context::{ContextUpdate, PageContext};
use js_sys::{Array, Reflect};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, ShadowRoot};

/// The widget's stylesheet, minified. The loader carries it (`cargo xtask widget` puts it there):
/// the loader adopts it before the wasm loads, so it shows the launcher at once.
pub const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// The running widget, as the loader holds it.
#[wasm_bindgen]
pub struct Widget {
    ui: Ui,
    host: Element,
    settings: Settings,
    focus_listener: Closure<dyn FnMut(Event)>,
    hidden_listener: Closure<dyn FnMut(Event)>,
    /// The page watcher of hotspots, once the page or the site turned them on.
    hotspots: Rc<RefCell<Option<hotspots::Watcher>>>,
}

fn field_of(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn string_field(object: &JsValue, name: &str) -> Option<String> {
    field_of(object, name).as_string()
}

/// A field that may be absent (leave as is), null (clear) or a string; anything else is left
/// as is too (the loader told the console).
fn optional_string_field(object: &JsValue, name: &str) -> Option<Option<String>> {
    let value = field_of(object, name);
    if value.is_null() { Some(None) } else { value.as_string().map(Some) }
}

/// A list given as an array of strings or one comma-separated string.
fn list_field(object: &JsValue, name: &str) -> Option<Vec<String>> {
    let value = Reflect::get(object, &JsValue::from_str(name)).ok()?;
    if value.is_undefined() {
        return None;
    }
    if let Some(text) = value.as_string() {
        return Some(wire::split_list(Some(&text)).map(str::to_owned).collect());
    }
    let array = value.dyn_into::<Array>().ok()?;
    Some(array.iter().filter_map(|item| item.as_string()).collect())
}

fn context_update(argument: &JsValue) -> ContextUpdate {
    if !argument.is_object() {
        return ContextUpdate::default();
    }
    ContextUpdate {
        route: optional_string_field(argument, "route"),
        keys: list_field(argument, "keys")
            .map(|keys| context::collect_keys(keys.iter().map(String::as_str), context::FOCUS_KEYS_MAX)),
        roles: list_field(argument, "roles"),
        locale: optional_string_field(argument, "locale"),
        app_version: optional_string_field(argument, "appVersion"),
    }
}

#[wasm_bindgen]
impl Widget {
    /// One `Cuecard(name, argument)` call from the page.
    pub fn command(&self, name: &str, argument: JsValue) {
        match name {
            "setContext" => {
                let update = context_update(&argument);
                self.ui.context.update(|context| context.update(update));
            }
            "open" => self.ui.set_open(true),
            "close" => {
                self.ui.set_open(false);
                self.ui.viewing.set(None);
            }
            "toggle" => self.ui.set_open(!self.ui.open.get_untracked()),
            "show" => match argument.as_f64() {
                Some(id) if id.fract() == 0.0 && id > 0.0 => self.show(id as i64),
                _ => web_sys::console::warn_1(&JsValue::from_str("Cuecard: `show` takes a snippet id")),
            },
            other => {
                web_sys::console::warn_2(&JsValue::from_str("Cuecard: unknown command"), &JsValue::from_str(other))
            }
        }
    }

    /// Stops listening to the page and closes the panel; the loader then removes the host.
    pub fn shutdown(&self) {
        if let Some(document) = dom::document() {
            let _ =
                document.remove_event_listener_with_callback("focusin", self.focus_listener.as_ref().unchecked_ref());
            let _ = document
                .remove_event_listener_with_callback("visibilitychange", self.hidden_listener.as_ref().unchecked_ref());
        }
        if let Some(hotspots) = self.hotspots.borrow_mut().take() {
            hotspots.stop();
        }
        self.ui.viewing.set(None);
        self.ui.set_open(false);
        self.ui.flush_events();
    }

    /// The page's URL changed (pushState, replaceState, popstate, hashchange).
    pub fn location_changed(&self) {
        let path = dom::current_path();
        let keys = dom::focused_keys(&self.host).unwrap_or_default();
        self.ui.context.update(|context| context.navigated(&path, keys));
    }
}

impl Widget {
    /// Opens the panel on snippet `id` (published, of this site), fetched by id.
    fn show(&self, id: i64) {
        let (ui, api, site) = (self.ui, self.settings.api.clone(), self.settings.site.clone());
        ui.set_open(true);
        api::fetch_snippet(&api, &site, id, move |viewed| {
            ui.record(wire::EventKind::SnippetView, |event| {
                event.snippet = Some(id);
                event.via = Some(wire::EventVia::Page);
            });
            ui.view(viewed.into());
        });
    }
}

/// Mounts the widget into `shadow`, whose host the loader has put on the page, beside what the
/// loader shows there already (the service's rendering of these same views), which the loader
/// removes once this returns. `config`: `{ site, api, locale, hotspots, emit }` from the script
/// tag and the loader, `context` (the page's `setContext` arguments so far), `boot` (`{ help, look }`,
/// the first answer, if it came), `open` and `words` (the panel as the worker left it) and
/// `field` (the element the worker was in before reaching for help).
#[wasm_bindgen]
pub fn mount(shadow: ShadowRoot, config: JsValue) -> Result<Widget, JsValue> {
    let site = string_field(&config, "site").ok_or("Cuecard: data-site is missing")?;
    let api = string_field(&config, "api").ok_or("Cuecard: api origin is missing")?;
    let document = dom::document().ok_or("no document")?;
    let host = shadow.host();
    let field = |name: &str| field_of(&config, name);

    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("cc-mount");
    shadow.append_child(&container)?;

    let page_locale = dom::page_locale(string_field(&config, "locale"));
    let mut initial = PageContext::new(&dom::current_path(), page_locale);
    // The field the worker was in before reaching for help (the loader watched), else focus now.
    let last_field = field("field").dyn_into::<Element>().ok().map(|field| dom::keys_of(Some(field)));
    if let Some(keys) = last_field.or_else(|| dom::focused_keys(&host)) {
        initial.focused(keys);
    }
    // What the page told `setContext` before the widget ran, in order: the first render has it.
    if let Ok(updates) = field("context").dyn_into::<Array>() {
        for update in updates.iter() {
            initial.update(context_update(&update));
        }
    }
    let emit = field("emit").dyn_into().ok();
    let ui = Ui::new(initial, events::Tracker::new(&api, &site), emit);
    let settings = Settings { site, api };

    // The first answer: its cards are this context's until the service says otherwise.
    let boot = field("boot");
    let (first, look) = api::boot_from_js(&boot);
    ui.left.set(look.left);
    ui.label.set(look.label);
    if let Some(cards) = &first {
        ui.cards.set(cards.clone());
    }
    ui.words.set(string_field(&config, "words").unwrap_or_default());
    ui.open.set(field("open").is_truthy());
    // Kept as the answer for the widget's own first context: the loader asked for the same one
    // (and if the page's context moved meanwhile, the widget asks again anyway, as it does
    // whenever it shows a kept answer).
    let first = first.map(|cards| (ui.context.with_untracked(|context| context.to_query(&settings.site)), cards));
    let app_settings = settings.clone();
    // Inside the mount: it starts the executor the context's effect runs on.
    leptos::mount::mount_to(container.clone(), move || {
        app::follow_context(ui, app_settings.clone(), first);
        view! { <App ui settings=app_settings /> }
    })
    .forget();
    // Hotspots: `data-hotspots` on the script tag turns them on (`="off"`: off) whatever the
    // site's settings say; without it the site's settings decide.
    let hotspots: Rc<RefCell<Option<hotspots::Watcher>>> = Rc::default();
    let page_hotspots = string_field(&config, "hotspots").map(|value| !matches!(value.as_str(), "off" | "false"));
    if page_hotspots.unwrap_or(look.hotspots) {
        *hotspots.borrow_mut() = hotspots::watch(ui, &container, settings.clone());
    }
    // Events still queued when the worker leaves the page (or hides it) go out at once.
    let hidden_listener = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        if dom::document().is_some_and(|document| document.hidden()) {
            ui.flush_events();
        }
    });
    document.add_event_listener_with_callback("visibilitychange", hidden_listener.as_ref().unchecked_ref())?;

    let (focus_host, focus_shadow) = (host.clone(), shadow.clone());
    let focus_listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let Some(target) = dom::event_target_element(&event) else {
            return;
        };
        // Focus moving into the widget keeps the field the worker came from.
        if target == focus_host || JsValue::from(target.get_root_node()) == JsValue::from(&focus_shadow) {
            return;
        }
        let keys = dom::keys_of(Some(target));
        ui.context.update(|context| context.focused(keys));
    });
    document.add_event_listener_with_callback("focusin", focus_listener.as_ref().unchecked_ref())?;

    Ok(Widget { ui, host, settings, focus_listener, hidden_listener, hotspots })
}
