//! Hotspots (opt in with `data-hotspots` on the script tag): a small help marker beside each host
//! element whose `data-help-key` has a snippet; opening one shows that snippet in place.
//!
//! Markers live in the widget's shadow root, fixed over the page at their element's position, so
//! the host's layout never moves and its CSS never reaches them. A `MutationObserver` notices
//! elements the host adds or reveals later (after an XHR, in a dialog); scrolling and resizing
//! only move the markers. Work is batched into one animation frame; nothing polls.

use crate::app::{Settings, Ui};
use crate::context::collect_keys;
use crate::dom::composed_contains;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, MutationObserver, MutationObserverInit, ShadowRoot};

/// Most distinct help keys asked about per page.
pub const PAGE_KEYS_MAX: usize = wire::rules::KEYS_MAX;
/// Most keyed elements looked at (and marked) per page, in document order.
const MARKERS_MAX: u32 = 200;
/// Marker size and gap from its element, in CSS pixels (as in `style.css`).
const MARKER: i32 = 20;
const GAP: i32 = 4;
/// Width of the snippet card a marker opens.
const CARD_WIDTH: i32 = 320;

/// The markers and the card a marker opens. Plain DOM rather than Leptos views: markers come and
/// go with the page's elements, and building them directly costs a fraction of the wasm (the
/// widget's payload budget) that a view per marker does.
pub struct Hotspots {
    ui: Ui,
    /// Holds the markers, then the card.
    root: HtmlElement,
    layer: HtmlElement,
    card: HtmlElement,
    title: HtmlElement,
    body: HtmlElement,
    /// "Was this helpful?", then the thanks; and its Yes/No buttons.
    question: HtmlElement,
    answers: HtmlElement,
    /// The marked elements and the card of each, in document order; `reason.target` is the
    /// element's key.
    marked: RefCell<Vec<(Element, wire::Card)>>,
    /// The marker whose snippet is open.
    open: Cell<Option<usize>>,
}

fn element(document: &web_sys::Document, name: &str, class: &str) -> Option<HtmlElement> {
    let element: HtmlElement = document.create_element(name).ok()?.dyn_into().ok()?;
    element.set_class_name(class);
    Some(element)
}

fn set(element: &Element, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

impl Hotspots {
    /// Builds the (empty) layer and the card inside `container`, in the widget's shadow root.
    fn new(ui: Ui, container: &Element) -> Option<Hotspots> {
        let document = crate::dom::document()?;
        let text = ui.text_now();
        let root = element(&document, "div", "cc-hotspots")?;
        set(&root, "lang", ui.language().tag());
        let layer = element(&document, "div", "")?;
        let card = element(&document, "section", "cc-spot-card")?;
        for (name, value) in
            [("role", "dialog"), ("aria-modal", "false"), ("aria-labelledby", "cuecard-spot-title"), ("tabindex", "-1")]
        {
            set(&card, name, value);
        }
        card.set_hidden(true);
        let close = element(&document, "button", "cc-close")?;
        set(&close, "type", "button");
        set(&close, "aria-label", text.close_help);
        close.set_inner_html("<span aria-hidden=\"true\">×</span>");
        let title = element(&document, "h3", "cc-snippet-title")?;
        title.set_id("cuecard-spot-title");
        let body = element(&document, "div", "cc-body")?;
        // Asked like the panel asks, with the panel's words and classes.
        let question = element(&document, "p", "cc-feedback-question")?;
        set(&question, "role", "status");
        let answers = element(&document, "div", "cc-feedback-buttons")?;
        for (class, word) in [("cc-yes", text.yes), ("cc-no", text.no)] {
            let answer = element(&document, "button", class)?;
            set(&answer, "type", "button");
            answer.set_text_content(Some(word));
            answers.append_child(&answer).ok()?;
        }
        let feedback = element(&document, "div", "cc-feedback")?;
        feedback.append_child(&question).ok()?;
        feedback.append_child(&answers).ok()?;
        for child in [&close, &title, &body, &feedback] {
            card.append_child(child).ok()?;
        }
        root.append_child(&layer).ok()?;
        root.append_child(&card).ok()?;
        container.append_child(&root).ok()?;
        Some(Hotspots {
            ui,
            root,
            layer,
            card,
            title,
            body,
            question,
            answers,
            marked: RefCell::default(),
            open: Cell::new(None),
        })
    }

    fn marker(&self, index: usize) -> Option<HtmlElement> {
        self.layer.children().item(u32::try_from(index).ok()?)?.dyn_into().ok()
    }

    /// Shows markers for `marked` (rebuilt only when they changed) and puts them in place.
    fn show(&self, marked: Vec<(Element, wire::Card)>) {
        if *self.marked.borrow() == marked {
            self.position();
            return;
        }
        self.close(false);
        let text = self.ui.text_now();
        self.layer.set_text_content(None);
        let Some(document) = crate::dom::document() else {
            return;
        };
        for (index, (_, card)) in marked.iter().enumerate() {
            let Some(marker) = element(&document, "button", "cc-spot") else {
                return;
            };
            let label = format!("{}: {}", text.help, card.title);
            let key = card.reason.target.as_deref().unwrap_or_default();
            let index = index.to_string();
            for (name, value) in [
                ("type", "button"),
                ("data-index", &index),
                ("data-help-key", key),
                ("aria-label", &label),
                ("aria-haspopup", "dialog"),
                ("aria-expanded", "false"),
            ] {
                set(&marker, name, value);
            }
            marker.set_hidden(true);
            marker.set_text_content(Some("?"));
            let _ = self.layer.append_child(&marker);
        }
        *self.marked.borrow_mut() = marked;
        self.position();
    }

    /// Opens marker `index`'s snippet below it, or closes it when it is open.
    fn toggle(&self, index: usize) {
        if self.open.get() == Some(index) {
            self.close(true);
            return;
        }
        self.close(false);
        let Some(card) = self.marked.borrow().get(index).map(|(_, card)| card.clone()) else {
            return;
        };
        self.ui.record(wire::EventKind::SnippetView, |event| {
            event.snippet = Some(card.id);
            event.key.clone_from(&card.reason.target);
            event.via = Some(wire::EventVia::Hotspot);
        });
        self.title.set_text_content(Some(&card.title));
        // Sanitized on the server when the snippet was written.
        self.body.set_inner_html(&card.html);
        self.question.set_text_content(Some(self.ui.text_now().was_it_helpful));
        self.answers.set_hidden(false);
        self.open.set(Some(index));
        if let Some(marker) = self.marker(index) {
            set(&marker, "aria-expanded", "true");
        }
        self.card.set_hidden(false);
        self.position();
        let _ = self.card.focus();
    }

    /// A click on a marker opens or closes its snippet, one on the card's close button closes it;
    /// Escape closes it, and so does focus moving on to the page (not to another window).
    fn handle(&self, event: &web_sys::Event) {
        match event.type_().as_str() {
            "click" => {
                let Some(button) =
                    crate::dom::event_target_element(event).and_then(|target| target.closest("button").ok()?)
                else {
                    return;
                };
                let helpful = button.class_name() == "cc-yes";
                match button.get_attribute("data-index").and_then(|index| index.parse().ok()) {
                    Some(index) => self.toggle(index),
                    None if helpful || button.class_name() == "cc-no" => self.answer(helpful),
                    None => self.close(true),
                }
            }
            "keydown" => {
                let escape = event.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|key| key.key() == "Escape");
                if escape && self.open.get().is_some() {
                    event.stop_propagation();
                    self.close(true);
                }
            }
            _ => {
                let next = event.dyn_ref::<web_sys::FocusEvent>().and_then(web_sys::FocusEvent::related_target);
                let staying = next
                    .and_then(|next| next.dyn_into::<web_sys::Node>().ok())
                    .is_some_and(|next| self.root.contains(Some(&next)));
                let page_has_focus =
                    crate::dom::document().is_some_and(|document| document.has_focus().unwrap_or(false));
                if !staying && page_has_focus {
                    self.close(false);
                }
            }
        }
    }

    /// "Was this helpful?" answered for the open snippet: reported as the panel reports it.
    fn answer(&self, helpful: bool) {
        let Some(id) = self.open.get().and_then(|index| Some(self.marked.borrow().get(index)?.1.id)) else {
            return;
        };
        crate::app::send_feedback(self.ui, id, helpful, None);
        self.question.set_text_content(Some(self.ui.text_now().thanks));
        self.answers.set_hidden(true);
        let _ = self.card.focus();
    }

    /// Closes the open snippet, giving focus back to its marker if asked.
    fn close(&self, refocus: bool) {
        let Some(index) = self.open.take() else {
            return;
        };
        self.card.set_hidden(true);
        if let Some(marker) = self.marker(index) {
            set(&marker, "aria-expanded", "false");
            if refocus {
                let _ = marker.focus();
            }
        }
    }

    /// Puts each marker beside its element, and the open card below its marker. Markers of
    /// elements that are hidden or scrolled out of view are hidden too.
    fn position(&self) {
        let Some(window) = crate::dom::window() else {
            return;
        };
        let size = |value: Result<JsValue, JsValue>| value.ok().and_then(|value| value.as_f64()).unwrap_or(0.0) as i32;
        let (width, height) = (size(window.inner_width()), size(window.inner_height()));
        let rtl = self.ui.direction() == "rtl";
        let Some(document) = crate::dom::document() else {
            return;
        };
        // Whether a marker at `left` would lie on nothing but the page behind `element` (its
        // ancestors' background), not on other content such as text beside it.
        // (Asked of the element's own tree: a web component's shadow root sees its own content.)
        let free = |left: i32, top: i32, element: &Element| {
            let (x, y) = ((left + MARKER / 2) as f32, (top + MARKER / 2) as f32);
            let hits = match element.get_root_node().dyn_into::<ShadowRoot>() {
                Ok(root) => root.elements_from_point(x, y),
                Err(_) => document.elements_from_point(x, y),
            };
            let first = hits
                .iter()
                .filter_map(|hit| hit.dyn_into::<Element>().ok())
                .find(|hit| hit.local_name() != "cuecard-widget");
            left >= 0 && left + MARKER <= width && first.is_none_or(|hit| composed_contains(&hit, element))
        };
        for (index, (element, _)) in self.marked.borrow().iter().enumerate() {
            let Some(marker) = self.marker(index) else {
                return;
            };
            let rect = element.get_bounding_client_rect();
            let (top, right, bottom) = (rect.top() as i32, rect.right() as i32, rect.bottom() as i32);
            let shown = (rect.width() > 0.0 || rect.height() > 0.0) && bottom > 0 && top < height;
            marker.set_hidden(!shown);
            // After the element (on its right, or its left in a right-to-left locale), else before
            // it, where that covers none of the page's content; else just inside its own edge.
            let top = top + (bottom - top - MARKER) / 2;
            let (start, end) = (rect.left() as i32 - GAP - MARKER, right + GAP);
            let (after, before) = if rtl { (start, end) } else { (end, start) };
            // (Hit tests only for markers on screen: scrolling must stay cheap.)
            let left = if !shown || free(after, top, element) {
                after
            } else if free(before, top, element) {
                before
            } else if rtl {
                start + MARKER + 2 * GAP
            } else {
                right - MARKER - GAP
            };
            place(&marker, left, top);
            if self.open.get() == Some(index) {
                let below = if top + MARKER + GAP + 200 < height { top + MARKER + GAP } else { (top - 208).max(8) };
                place(&self.card, (left + MARKER - CARD_WIDTH).clamp(8, (width - CARD_WIDTH - 8).max(8)), below);
            }
        }
    }
}

/// Sets a fixed element's position through the CSSOM (which a strict `style-src` allows).
fn place(element: &HtmlElement, left: i32, top: i32) {
    let style = element.style();
    let _ = style.set_property("left", &format!("{left}px"));
    let _ = style.set_property("top", &format!("{top}px"));
}

/// The page's elements with a well-formed help key, and their keys: the document's in document
/// order, then those inside web components' open shadow roots (which `shadow_roots` finds).
fn page_elements(roots: &[ShadowRoot]) -> Vec<(Element, String)> {
    let mut found = Vec::new();
    let Some(document) = crate::dom::document() else {
        return found;
    };
    let lists = std::iter::once(document.query_selector_all("[data-help-key]"))
        .chain(roots.iter().map(|root| root.query_selector_all("[data-help-key]")));
    for list in lists.filter_map(Result::ok) {
        for index in 0..list.length() {
            if found.len() >= MARKERS_MAX as usize {
                return found;
            }
            let Some(element) = list.item(index).and_then(|node| node.dyn_into::<Element>().ok()) else {
                continue;
            };
            // A container of keyed fields (a whole form, a component with fields in its shadow
            // root) gets a marker only if it asks for one.
            let holds = |root: Option<&web_sys::DocumentFragment>| match root {
                Some(root) => root.query_selector("[data-help-key]").ok().flatten().is_some(),
                None => element.query_selector("[data-help-key]").ok().flatten().is_some(),
            };
            let shadow = element.shadow_root();
            if (holds(None) || holds(shadow.as_deref())) && !element.has_attribute("data-hotspot") {
                continue;
            }
            let attribute = element.get_attribute("data-help-key").unwrap_or_default();
            if let Some(key) = collect_keys([attribute.as_str()], 1).pop() {
                found.push((element, key));
            }
        }
    }
    found
}

/// The open shadow roots of the page's web components, nested ones too, outermost first (the
/// widget's own excepted). Every element is asked, since any may host one: once per rescan,
/// which only a change of the page's elements or of the context causes.
fn shadow_roots() -> Vec<ShadowRoot> {
    let mut roots: Vec<ShadowRoot> = Vec::new();
    let Some(document) = crate::dom::document() else {
        return roots;
    };
    let mut next = 0;
    let mut all = document.query_selector_all("*").ok();
    while let Some(list) = all {
        for index in 0..list.length() {
            let Some(element) = list.item(index).map(JsCast::unchecked_into::<Element>) else {
                continue;
            };
            if let Some(root) = element.shadow_root()
                && element.local_name() != "cuecard-widget"
            {
                roots.push(root);
            }
        }
        all = roots.get(next).and_then(|root| root.query_selector_all("*").ok());
        next += 1;
    }
    roots
}

/// What the watcher has to do at the next animation frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    Nothing,
    /// Scrolled or resized: move the markers.
    Move,
    /// The page's elements changed: look for keyed elements again, then move.
    Rescan,
}

/// The running hotspots: what `Widget::shutdown` stops.
pub struct Watcher {
    spots: Rc<Hotspots>,
    observer: MutationObserver,
    on_move: Closure<dyn FnMut()>,
    observing: Rc<RefCell<Option<Observing>>>,
    _on_event: Closure<dyn Fn(web_sys::Event)>,
}

/// Watching web components' open shadow roots as well as the document: for changes (the
/// document's observer) and for scrolling inside them (scroll events stay in their shadow tree).
struct Observing {
    observer: MutationObserver,
    options: MutationObserverInit,
    /// The document's element, which the observer always watches.
    page: web_sys::Node,
    on_move: js_sys::Function,
    /// Asks for a rescan (once a custom element is defined).
    on_defined: js_sys::Function,
    roots: Vec<ShadowRoot>,
    /// Custom elements on the page not yet defined, whose definition is awaited.
    awaited: Vec<String>,
}

impl Observing {
    /// Watches `roots` from now on, and no longer the roots no longer among them.
    fn watch(&mut self, roots: &[ShadowRoot]) {
        let mut dropped = false;
        for root in self.roots.iter().filter(|root| !roots.contains(root)) {
            let _ = root.remove_event_listener_with_callback_and_bool("scroll", &self.on_move, true);
            dropped = true;
        }
        // An observer cannot stop watching one node: it starts again on the document and the
        // roots still there, so a component the page dropped (and may keep) costs no rescans.
        if dropped {
            self.observer.disconnect();
            let _ = self.observer.observe_with_options(&self.page, &self.options);
            self.roots.clear();
        }
        for root in roots {
            if !self.roots.contains(root) {
                let _ = self.observer.observe_with_options(root, &self.options);
                let _ = root.add_event_listener_with_callback_and_bool("scroll", &self.on_move, true);
                self.roots.push(root.clone());
            }
        }
        // A component defined later (its script loads after it is on the page) gets its shadow
        // root then, which no mutation reports: a rescan follows its definition.
        let Some(registry) = crate::dom::window().map(|window| window.custom_elements()) else {
            return;
        };
        let undefined = std::iter::once(
            crate::dom::document().and_then(|document| document.query_selector_all(":not(:defined)").ok()),
        )
        .chain(roots.iter().map(|root| root.query_selector_all(":not(:defined)").ok()));
        for list in undefined.flatten() {
            for index in 0..list.length() {
                let Some(name) = list.item(index).map(|node| node.unchecked_into::<Element>().local_name()) else {
                    continue;
                };
                if !self.awaited.contains(&name)
                    && let Ok(defined) = registry.when_defined(&name)
                {
                    // (`then` through the promise itself: the callback is a function JS owns.)
                    if let Ok(then) = js_sys::Reflect::get(&defined, &JsValue::from_str("then")) {
                        let _ = then.unchecked_into::<js_sys::Function>().call1(&defined, &self.on_defined);
                    }
                    self.awaited.push(name);
                }
            }
        }
    }
}

impl Watcher {
    /// Stops watching the page and removes the markers.
    pub fn stop(&self) {
        self.observer.disconnect();
        if let Some(mut observing) = self.observing.borrow_mut().take() {
            observing.watch(&[]);
        }
        if let Some(window) = crate::dom::window() {
            let on_move = self.on_move.as_ref().unchecked_ref();
            let _ = window.remove_event_listener_with_callback_and_bool("scroll", on_move, true);
            let _ = window.remove_event_listener_with_callback("resize", on_move);
        }
        self.spots.root.remove();
    }
}

/// Puts hotspots into `container` (in the shadow root) and keeps them on the page's keyed
/// elements: rescanning when the page's elements change, moving when it scrolls or resizes.
pub fn watch(ui: Ui, container: &Element, settings: Settings) -> Option<Watcher> {
    let spots = Rc::new(Hotspots::new(ui, container)?);
    let pending = Rc::new(Cell::new(Pending::Nothing));
    let hotspots = crate::api::Cards::new(&settings.api, "/v1/hotspots");
    let latest: Rc<RefCell<Option<wire::HelpQuery>>> = Rc::default();

    // Pairs the page's elements with the answer for the page's keys.
    let show = {
        let spots = spots.clone();
        move |elements: Vec<(Element, String)>, cards: &[wire::Card]| {
            let marked = elements
                .into_iter()
                .filter_map(|(element, key)| {
                    let card = cards.iter().find(|card| card.reason.target.as_deref() == Some(key.as_str()))?;
                    Some((element, card.clone()))
                })
                .collect();
            spots.show(marked);
        }
    };
    // The shadow roots watched besides the document (the observer and listener are made below).
    let observing: Rc<RefCell<Option<Observing>>> = Rc::default();
    let roots = {
        let observing = observing.clone();
        move || {
            let roots = shadow_roots();
            if let Some(observing) = observing.borrow_mut().as_mut() {
                observing.watch(&roots);
            }
            roots
        }
    };
    let rescan = move || {
        let elements = page_elements(&roots());
        let keys = collect_keys(elements.iter().map(|(_, key)| key.as_str()), PAGE_KEYS_MAX);
        if keys.is_empty() {
            show(elements, &[]);
            return;
        }
        let mut query = ui.context.with_untracked(|context| context.to_query(&settings.site));
        query.keys = Some(keys.join(","));
        if let Some(cards) = hotspots.cached(&query) {
            show(elements, &cards);
            return;
        }
        // Not while the same question is in flight, nor while backing off after failures.
        if latest.borrow().as_ref() == Some(&query) || !hotspots.ready() {
            return;
        }
        *latest.borrow_mut() = Some(query.clone());
        let latest = latest.clone();
        hotspots.fetch(query.clone(), move |result| {
            if latest.borrow().as_ref() != Some(&query) {
                return;
            }
            *latest.borrow_mut() = None;
            if let Ok(cards) = result {
                show(page_elements(&shadow_roots()), &cards);
            }
        });
    };

    let schedule = {
        let (pending, spots) = (pending.clone(), spots.clone());
        move |need: Pending| {
            if pending.get() == Pending::Nothing {
                let (pending, rescan, spots) = (pending.clone(), rescan.clone(), spots.clone());
                request_animation_frame(move || {
                    if pending.replace(Pending::Nothing) == Pending::Rescan {
                        rescan();
                    } else {
                        spots.position();
                    }
                });
            }
            pending.set(pending.get().max(need));
        }
    };

    // A new screen, role or language may have other hotspots.
    let on_context = schedule.clone();
    // (A render effect: no spawned task; it serves as long as the page does.)
    std::mem::forget(RenderEffect::new(move |_| {
        ui.context.track();
        on_context(Pending::Rescan);
    }));

    // Elements added or removed, or keys changed, change which elements are marked; anything else
    // (a class, a style, `hidden`) can only show, hide or move them, which needs no rescan.
    let on_mutation = schedule.clone();
    let observer_callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |records: js_sys::Array| {
        let rescan = records.iter().any(|record| {
            let record: web_sys::MutationRecord = record.unchecked_into();
            record.type_() == "childList" || record.attribute_name().as_deref() == Some("data-help-key")
        });
        on_mutation(if rescan { Pending::Rescan } else { Pending::Move });
    });
    let observer = MutationObserver::new(observer_callback.as_ref().unchecked_ref()).ok()?;
    observer_callback.forget();
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    options.set_attributes(true);
    // Keys, and what commonly shows or hides an element.
    let filter =
        js_sys::Array::of5(&"data-help-key".into(), &"hidden".into(), &"class".into(), &"style".into(), &"open".into());
    options.set_attribute_filter(&filter);
    let document = crate::dom::document()?;
    observer.observe_with_options(&document.document_element()?.into(), &options).ok()?;

    let on_defined = {
        let (observing, schedule) = (observing.clone(), schedule.clone());
        // (Only while watching; kept for good, since a definition may come after a shutdown.)
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if observing.borrow().is_some() {
                schedule(Pending::Rescan);
            }
        })
        .into_js_value()
    };
    let on_move = Closure::<dyn FnMut()>::new(move || schedule(Pending::Move));
    // The shadow roots of web components, as rescans find them.
    *observing.borrow_mut() = Some(Observing {
        observer: observer.clone(),
        options,
        page: document.document_element()?.into(),
        on_move: on_move.as_ref().unchecked_ref::<js_sys::Function>().clone(),
        on_defined: on_defined.unchecked_into(),
        roots: Vec::new(),
        awaited: Vec::new(),
    });
    let window = crate::dom::window()?;
    // Capture: scrolling any container moves its fields.
    let _ = window.add_event_listener_with_callback_and_bool("scroll", on_move.as_ref().unchecked_ref(), true);
    let _ = window.add_event_listener_with_callback("resize", on_move.as_ref().unchecked_ref());

    // One listener for the markers' and the card's clicks, keys and focus.
    let handler = spots.clone();
    // `Fn`, not `FnMut`: moving focus while handling one event dispatches another (focusout) at once.
    let on_event = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| handler.handle(&event));
    for name in ["click", "keydown", "focusout"] {
        let _ = spots.root.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
    }
    Some(Watcher { spots, observer, on_move, observing, _on_event: on_event })
}
