//! The Leptos components. They read signals and render; decisions live in `context` and `api`.

use crate::api;
use crate::context::PageContext;
use crate::events::{Tracker, event_at};
use crate::i18n::{Language, Text};
use leptos::html;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Where the panel's list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Loading,
    Ready,
    Unavailable,
}

/// A snippet open in the panel, from the list or from search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewed {
    pub id: i64,
    pub title: String,
    pub html: String,
    pub moment: wire::Moment,
}

impl From<&wire::Card> for Viewed {
    fn from(card: &wire::Card) -> Viewed {
        Viewed { id: card.id, title: card.title.clone(), html: card.html.clone(), moment: card.moment }
    }
}

impl From<&wire::SearchHit> for Viewed {
    fn from(hit: &wire::SearchHit) -> Viewed {
        Viewed { id: hit.id, title: hit.title.clone(), html: hit.html.clone(), moment: hit.moment }
    }
}

impl From<wire::SnippetBody> for Viewed {
    fn from(snippet: wire::SnippetBody) -> Viewed {
        Viewed { id: snippet.id, title: snippet.title, html: snippet.html, moment: snippet.moment }
    }
}

/// Where "Was this helpful?" stands for the open snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    Asking,
    /// "No" was chosen; an optional reason may follow.
    Explaining,
    Thanked,
}

/// Search results for the words typed, or none while the box is empty.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchState {
    Idle,
    Searching,
    Found { words: String, hits: Vec<wire::SearchHit> },
    Failed,
}

/// The widget's whole reactive state; `Copy`, so handlers and the JS API share it.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub open: RwSignal<bool>,
    pub context: RwSignal<PageContext>,
    pub cards: RwSignal<Vec<wire::Card>>,
    pub status: RwSignal<Status>,
    pub viewing: RwSignal<Option<Viewed>>,
    pub words: RwSignal<String>,
    pub search: RwSignal<SearchState>,
    pub feedback: RwSignal<Feedback>,
    /// The site puts the launcher bottom left (its widget settings).
    pub left: RwSignal<bool>,
    /// The site's launcher text, if it set one.
    pub label: RwSignal<Option<String>>,
    tracker: StoredValue<Tracker, LocalStorage>,
    /// The loader's `emit(name, detail)`, which calls the page's `Cuecard('on', …)` handlers.
    emit: StoredValue<Option<js_sys::Function>, LocalStorage>,
}

impl Ui {
    pub fn new(context: PageContext, tracker: Tracker, emit: Option<js_sys::Function>) -> Ui {
        Ui {
            tracker: StoredValue::new_local(tracker),
            emit: StoredValue::new_local(emit),
            open: RwSignal::new(false),
            context: RwSignal::new(context),
            cards: RwSignal::new(Vec::new()),
            status: RwSignal::new(Status::Loading),
            viewing: RwSignal::new(None),
            words: RwSignal::new(String::new()),
            search: RwSignal::new(SearchState::Idle),
            feedback: RwSignal::new(Feedback::Asking),
            left: RwSignal::new(false),
            label: RwSignal::new(None),
        }
    }

    /// The language of the widget's own words (tracks the context).
    pub fn language(&self) -> Language {
        self.context.with(|context| Language::from_tag(context.locale_tag()))
    }

    pub fn text(&self) -> &'static Text {
        self.language().text()
    }

    /// `rtl` for right-to-left locales, for the widget's `dir`.
    pub fn direction(&self) -> &'static str {
        let rtl = self.context.with(|context| crate::i18n::is_rtl(context.locale_tag()));
        if rtl { "rtl" } else { "ltr" }
    }

    /// The words for views built now. Panel views are rebuilt each time the panel opens, so a
    /// language change shows from the next open without a reactive closure per string.
    pub fn text_now(&self) -> &'static Text {
        self.context.with_untracked(|context| Language::from_tag(context.locale_tag()).text())
    }

    /// Reports `kind` where the worker is, after `fill` adds the details.
    pub fn record(&self, kind: wire::EventKind, fill: impl FnOnce(&mut wire::Event)) {
        let mut event = self.context.with_untracked(|context| event_at(kind, context));
        fill(&mut event);
        self.tracker.with_value(|tracker| tracker.record(event));
    }

    /// Tells the page's handlers (`Cuecard('on', name, handler)`).
    pub fn emit(&self, name: &str, detail: &wasm_bindgen::JsValue) {
        self.emit.with_value(|emit| {
            if let Some(emit) = emit {
                let _ = emit.call2(&wasm_bindgen::JsValue::NULL, &wasm_bindgen::JsValue::from_str(name), detail);
            }
        });
    }

    /// Sends the events queued so far.
    pub fn flush_events(&self) {
        self.tracker.with_value(Tracker::flush);
    }

    /// Opens or closes the panel. Setting what already holds changes nothing (the panel is built
    /// afresh on each open, so it must not be rebuilt under the worker's hands).
    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            self.open.set(open);
        }
    }

    /// Opens `viewed` in the panel and asks afresh whether it helped.
    pub fn view(&self, viewed: Viewed) {
        self.feedback.set(Feedback::Asking);
        self.viewing.set(Some(viewed));
    }
}

/// Cards grouped by moment of need, groups in the order of their best card.
pub fn group_by_moment(cards: &[wire::Card]) -> Vec<(wire::Moment, Vec<wire::Card>)> {
    let mut groups: Vec<(wire::Moment, Vec<wire::Card>)> = Vec::new();
    for card in cards {
        match groups.iter_mut().find(|(moment, _)| *moment == card.moment) {
            Some((_, group)) => group.push(card.clone()),
            None => groups.push((card.moment, vec![card.clone()])),
        }
    }
    groups
}

/// No help could be had for a context never seen: say so, and show no other screen's cards.
fn unavailable(ui: Ui) {
    ui.cards.set(Vec::new());
    ui.status.set(Status::Unavailable);
}

/// `wire::rules::SEARCH_MAX_CHARS` and `COMMENT_MAX_CHARS` as the inputs' `maxlength` (written
/// out: a number attribute costs the wasm half a kilobyte; a test checks they agree).
const SEARCH_MAXLENGTH: &str = "200";
const COMMENT_MAXLENGTH: &str = "1000";

/// Fewest characters worth searching for.
pub const SEARCH_MIN_CHARS: usize = 2;
/// Quiet time after a context change before help is asked for it (a navigation and the app's
/// `setContext` for the new screen make one request).
const CONTEXT_SETTLE_MS: u64 = 50;
/// Quiet time after typing before a search runs.
const SEARCH_DEBOUNCE_MS: u64 = 250;

/// Settings from the script tag.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site: String,
    pub api: String,
}

/// Keeps the list in step with the context while the panel is open. Answers are cached per
/// query so going back to a field or screen shows its help at once; a stale answer (the
/// context moved on while it was in flight) is dropped.
pub fn follow_context(ui: Ui, settings: Settings, first: Option<(wire::HelpQuery, Vec<wire::Card>)>) {
    let help = api::Cards::new(&settings.api, "/v1/help");
    if let Some((query, cards)) = first {
        help.remember(query, cards);
    }
    let latest: Rc<RefCell<Option<wire::HelpQuery>>> = Rc::default();
    let was_open = Rc::new(std::cell::Cell::new(false));
    // An open is reported once its list is known, with how many snippets it showed.
    let open_to_report = Rc::new(std::cell::Cell::new(false));
    let report_open = {
        let open_to_report = open_to_report.clone();
        move |count: usize| {
            if open_to_report.replace(false) {
                ui.record(wire::EventKind::PanelOpen, |event| {
                    event.results = Some(u32::try_from(count).unwrap_or(u32::MAX))
                });
            }
        }
    };
    let shown = latest.clone();
    // Shows what is known for `query` at once and asks the service (unless it is what shows).
    let refresh = Rc::new(move |query: wire::HelpQuery| {
        if latest.borrow().as_ref() == Some(&query) {
            return;
        }
        *latest.borrow_mut() = Some(query.clone());
        let cached = help.cached(&query).map(|cards| cards.clone());
        let has_cached = cached.is_some();
        match cached {
            Some(cards) => {
                report_open(cards.len());
                show_cards(ui, cards);
            }
            None => ui.status.set(Status::Loading),
        }
        if !help.ready() {
            // The service failed a moment ago: no request until the backoff ends.
            if !has_cached {
                unavailable(ui);
            }
            *latest.borrow_mut() = None;
            return;
        }
        let latest = latest.clone();
        let report_open = report_open.clone();
        help.fetch(query.clone(), move |result| {
            if latest.borrow().as_ref() != Some(&query) {
                return;
            }
            match result {
                Ok(cards) => {
                    report_open(cards.len());
                    show_cards(ui, cards);
                }
                Err(_) => {
                    // Keep showing what was cached for this context, if anything.
                    if !has_cached {
                        unavailable(ui);
                    }
                    // Let the next open or context change try again.
                    *latest.borrow_mut() = None;
                }
            }
        });
    });
    // A navigation and the `setContext` the app makes for it come as two changes: asked for
    // together, once they have settled.
    let generation = Rc::new(std::cell::Cell::new(0_u32));
    // A render effect runs at once and in step with its signals, without the spawned task an
    // `Effect` costs in wasm. It serves as long as the page does, so it is never dropped.
    std::mem::forget(RenderEffect::new(move |_| {
        let open = ui.open.get();
        let query = ui.context.with(|context| context.to_query(&settings.site));
        let opening = open && !was_open.replace(true);
        if opening {
            open_to_report.set(true);
            ui.emit("open", &wasm_bindgen::JsValue::UNDEFINED);
        }
        if !open {
            if was_open.replace(false) {
                *shown.borrow_mut() = None;
                ui.flush_events();
                ui.emit("close", &wasm_bindgen::JsValue::UNDEFINED);
            }
            return;
        }
        if opening {
            return refresh(query);
        }
        let mine = generation.get().wrapping_add(1);
        generation.set(mine);
        let (generation, refresh, site) = (generation.clone(), refresh.clone(), settings.site.clone());
        set_timeout(
            move || {
                if generation.get() == mine {
                    refresh(ui.context.with_untracked(|context| context.to_query(&site)));
                }
            },
            std::time::Duration::from_millis(CONTEXT_SETTLE_MS),
        );
    }));
}

/// Shows `cards`; the same cards again (a cached answer confirmed) leave the list's elements,
/// and the worker's focus among them, alone.
fn show_cards(ui: Ui, cards: Vec<wire::Card>) {
    if ui.cards.with_untracked(|shown| *shown != cards) {
        ui.cards.set(cards);
    }
    ui.status.set(Status::Ready);
}

/// Moves focus into the panel once it has rendered.
fn focus_later(panel: NodeRef<html::Section>) {
    request_animation_frame(move || {
        if let Some(panel) = panel.get_untracked() {
            let _ = panel.focus();
        }
    });
}

#[component]
pub fn App(ui: Ui, settings: Settings) -> impl IntoView {
    let launcher: NodeRef<html::Button> = NodeRef::new();
    let panel: NodeRef<html::Section> = NodeRef::new();
    provide_context(settings);

    let close = move || {
        ui.set_open(false);
        ui.viewing.set(None);
        if let Some(launcher) = launcher.get_untracked() {
            let _ = launcher.focus();
        }
    };
    let toggle = move |_| {
        if ui.open.get_untracked() {
            close();
        } else {
            ui.set_open(true);
            focus_later(panel);
        }
    };
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        if event.key() == "Escape" && ui.open.get_untracked() {
            event.stop_propagation();
            close();
        }
    };

    view! {
        <div
            class="cc-root"
            class:cc-left=move || ui.left.get()
            lang=move || ui.language().tag()
            dir=move || ui.direction()
            on:keydown=on_keydown
        >
            // Built afresh on each open, so the panel speaks the worker's language of the moment.
            {move || ui.open.get().then(|| view! {
                <section
                    id="cuecard-panel"
                    class="cc-panel"
                    role="dialog"
                    aria-modal="false"
                    aria-labelledby="cuecard-title"
                    tabindex="-1"
                    node_ref=panel
                >
                    <header class="cc-header">
                        <h2 id="cuecard-title" class="cc-title">{ui.text_now().help}</h2>
                        <button type="button" class="cc-close" aria-label=ui.text_now().close_help on:click=move |_| close()>
                            <span aria-hidden="true">"×"</span>
                        </button>
                    </header>
                    // Everything stays mounted and what is not in use is hidden: cheaper in wasm
                    // than swapping views, and the search box keeps its words across a snippet.
                    <div class="cc-browse" hidden=move || ui.viewing.with(Option::is_some)>
                        <SearchBox ui />
                        <div class="cc-context" hidden=move || ui.search.with(|search| *search != SearchState::Idle)>
                            <CardList ui panel />
                        </div>
                        <div class="cc-found" hidden=move || ui.search.with(|search| *search == SearchState::Idle)>
                            <SearchResults ui panel />
                        </div>
                    </div>
                    <div class="cc-reading" hidden=move || ui.viewing.with(Option::is_none)>
                        <SnippetView ui panel />
                    </div>
                </section>
            })}
            <button
                type="button"
                class="cc-launcher"
                aria-expanded=move || ui.open.get().to_string()
                aria-controls="cuecard-panel"
                node_ref=launcher
                on:click=toggle
            >
                <span class="cc-launcher-icon" aria-hidden="true">"?"</span>
                <span class="cc-launcher-text">{move || ui.label.get().unwrap_or_else(|| ui.text().help.to_owned())}</span>
            </button>
        </div>
    }
}

#[component]
fn CardList(ui: Ui, panel: NodeRef<html::Section>) -> impl IntoView {
    let text = ui.text_now();
    let message = move || match (ui.status.get(), ui.cards.with(Vec::is_empty)) {
        (Status::Loading, true) => Some(text.loading),
        (Status::Unavailable, _) => Some(text.unavailable),
        (Status::Ready, true) => Some(text.nothing_here),
        _ => None,
    };
    view! {
        <p class="cc-status" role="status">{message}</p>
        <div class="cc-groups" aria-busy=move || (ui.status.get() == Status::Loading).to_string()>
            {move || ui.cards.with(|cards| group_by_moment(cards)).into_iter().map(|group| {
                    let (moment, cards) = group;
                    let heading = format!("cuecard-moment-{}", moment.as_str());
                    let labelled_by = heading.clone();
                    view! {
                        <section class="cc-group" aria-labelledby=labelled_by>
                            <h3 class="cc-group-title" id=heading>{text.moment(moment)}</h3>
                            {snippet_list(ui, panel, "cc-list", cards.iter().map(|card| Entry {
                                viewed: Viewed::from(card),
                                field: card.reason.kind == wire::ReasonKind::FieldKey,
                                excerpt: None,
                            }).collect())}
                        </section>
                    }
                }).collect_view()}
        </div>
    }
}

/// One snippet in a list: the context's snippets and search results.
struct Entry {
    viewed: Viewed,
    /// Help for the focused field itself.
    field: bool,
    /// A search hit's excerpt: escaped text with `<mark>` around the matched words.
    excerpt: Option<String>,
}

/// A list of snippets to open. Both lists are built here, so the wasm carries one view type for
/// them rather than two.
fn snippet_list(ui: Ui, panel: NodeRef<html::Section>, class: &'static str, entries: Vec<Entry>) -> impl IntoView {
    view! {
        <ul class=class>
            {entries.into_iter().map(|entry| {
                let hit = entry.excerpt.is_some();
                let title = entry.viewed.title.clone();
                let id = entry.viewed.id;
                view! {
                    <li class="cc-item" class:cc-field=entry.field>
                        <button
                            type="button"
                            class=if hit { "cc-card cc-hit" } else { "cc-card" }
                            data-snippet=id.to_string()
                            on:click=move |_| {
                                record_view(ui, id, if hit { wire::EventVia::Search } else { wire::EventVia::Panel });
                                ui.view(entry.viewed.clone());
                                focus_later(panel);
                            }
                        >
                            <span class=if hit { "cc-hit-title" } else { "cc-card-title" }>{title}</span>
                            // Escaped by the service; only <mark> around the matched words.
                            <span class="cc-excerpt" inner_html=entry.excerpt></span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

fn record_view(ui: Ui, id: i64, via: wire::EventVia) {
    ui.record(wire::EventKind::SnippetView, |event| {
        event.snippet = Some(id);
        event.via = Some(via);
        // A view from search says what was searched, so searches that led nowhere can be told.
        if via == wire::EventVia::Search {
            event.query = ui.search.with_untracked(|search| match search {
                SearchState::Found { words, .. } => Some(words.clone()),
                _ => None,
            });
        }
    });
}

/// Runs the search for `words` unless newer words arrived meanwhile (`generation` moved on).
fn run_search(ui: Ui, words: String, generation: StoredValue<u64>, delay_ms: u64) {
    let settings = expect_context::<Settings>();
    let mine = generation.get_value() + 1;
    generation.set_value(mine);
    let search = move || {
        if generation.get_value() != mine {
            return;
        }
        let words = words.trim().to_owned();
        if words.chars().count() < SEARCH_MIN_CHARS {
            ui.search.set(SearchState::Idle);
            return;
        }
        ui.search.set(SearchState::Searching);
        let context = ui.context.with_untracked(|context| context.to_query(&settings.site));
        api::fetch_search(&settings.api, &context, &words.clone(), move |result| {
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(hits) => {
                    ui.record(wire::EventKind::Search, |event| {
                        event.query = Some(words.clone());
                        event.results = Some(u32::try_from(hits.len()).unwrap_or(u32::MAX));
                    });
                    ui.search.set(SearchState::Found { words, hits });
                }
                Err(_) => ui.search.set(SearchState::Failed),
            }
        });
    };
    if delay_ms > 0 {
        set_timeout(search, std::time::Duration::from_millis(delay_ms));
    } else {
        search();
    }
}

#[component]
fn SearchBox(ui: Ui) -> impl IntoView {
    let generation = StoredValue::new(0_u64);
    let on_input = move |event: web_sys::Event| {
        let words = event_target_value(&event);
        ui.words.set(words.clone());
        run_search(ui, words, generation, SEARCH_DEBOUNCE_MS);
    };
    // Words typed before the widget took the page's first answer over are searched at once.
    let typed = ui.words.get_untracked();
    if ui.search.with_untracked(|search| *search == SearchState::Idle)
        && typed.trim().chars().count() >= SEARCH_MIN_CHARS
    {
        run_search(ui, typed, generation, 0);
    }
    let on_submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        run_search(ui, ui.words.get_untracked(), generation, 0);
    };
    view! {
        <form class="cc-search" role="search" on:submit=on_submit>
            <label class="cc-search-label" for="cuecard-search">{ui.text_now().search_label}</label>
            <input
                id="cuecard-search"
                class="cc-search-input"
                type="search"
                autocomplete="off"
                spellcheck="false"
                maxlength=SEARCH_MAXLENGTH
                prop:value=move || ui.words.get()
                on:input=on_input
            />
        </form>
    }
}

#[component]
fn SearchResults(ui: Ui, panel: NodeRef<html::Section>) -> impl IntoView {
    let text = ui.text_now();
    let message = move || {
        ui.search.with(|search| match search {
            SearchState::Searching => text.searching.to_owned(),
            SearchState::Failed => text.search_unavailable.to_owned(),
            SearchState::Found { words, hits } => text.search_outcome(words, hits.len()),
            SearchState::Idle => String::new(),
        })
    };
    let hits = move || {
        ui.search.with(|search| match search {
            SearchState::Found { hits, .. } => hits.clone(),
            _ => Vec::new(),
        })
    };
    view! {
        <p class="cc-status" role="status">{message}</p>
        {move || {
            let entries = hits()
                .iter()
                .map(|hit| Entry { viewed: Viewed::from(hit), field: false, excerpt: Some(hit.excerpt.clone()) })
                .collect();
            snippet_list(ui, panel, "cc-list cc-hits", entries)
        }}
    }
}

/// "Was this helpful?" answered for snippet `id` (in the panel or a hotspot's card): an event,
/// and the page's `feedback` handlers told.
pub fn send_feedback(ui: Ui, id: i64, helpful: bool, comment: Option<String>) {
    ui.record(wire::EventKind::Feedback, |event| {
        event.snippet = Some(id);
        event.helpful = Some(helpful);
        event.comment = comment.filter(|text| !text.trim().is_empty());
    });
    let detail = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&detail, &"snippet".into(), &wasm_bindgen::JsValue::from_f64(id as f64));
    let _ = js_sys::Reflect::set(&detail, &"helpful".into(), &wasm_bindgen::JsValue::from_bool(helpful));
    ui.emit("feedback", &detail);
}

#[component]
fn SnippetView(ui: Ui, panel: NodeRef<html::Section>) -> impl IntoView {
    let text = ui.text_now();
    let viewed = move || ui.viewing.get();
    let comment = RwSignal::new(String::new());
    let send = move |helpful: bool, text: Option<String>| {
        let Some(id) = ui.viewing.with_untracked(|viewed| viewed.as_ref().map(|viewed| viewed.id)) else {
            return;
        };
        send_feedback(ui, id, helpful, text);
        ui.feedback.set(Feedback::Thanked);
        comment.set(String::new());
        // The focused button is hidden now: keep focus in the panel, not on the page's body.
        focus_later(panel);
    };

    view! {
        <button
            type="button"
            class="cc-back"
            on:click=move |_| {
                ui.viewing.set(None);
                focus_later(panel);
            }
        >
            <span aria-hidden="true">"← "</span>
            {ui.text_now().back}
        </button>
        <article class="cc-snippet">
            <p class="cc-card-moment">{move || viewed().map(|viewed| text.moment(viewed.moment))}</p>
            <h3 class="cc-snippet-title">{move || viewed().map(|viewed| viewed.title)}</h3>
            // Sanitized on the server when the snippet was written; nothing else is inserted as HTML.
            <div class="cc-body" inner_html=move || viewed().map(|viewed| viewed.html).unwrap_or_default()></div>
        </article>
        <div class="cc-feedback" role="group" aria-labelledby="cuecard-feedback-question">
            // All three states stay in the DOM and the inactive ones are hidden: cheaper than
            // swapping views, and the question keeps its id for `aria-labelledby`.
            <p id="cuecard-feedback-question" class="cc-feedback-question" role="status">
                {move || match ui.feedback.get() {
                    Feedback::Asking => text.was_it_helpful,
                    Feedback::Explaining => text.what_were_you_looking_for,
                    Feedback::Thanked => text.thanks,
                }}
            </p>
            <div class="cc-feedback-buttons" hidden=move || ui.feedback.get() != Feedback::Asking>
                <button type="button" class="cc-yes" on:click=move |_| send(true, None)>{text.yes}</button>
                <button type="button" class="cc-no" on:click=move |_| {
                    ui.feedback.set(Feedback::Explaining);
                    focus_later(panel);
                }>{text.no}</button>
            </div>
            <div class="cc-explain" hidden=move || ui.feedback.get() != Feedback::Explaining>
                <textarea
                    class="cc-comment"
                    aria-labelledby="cuecard-feedback-question"
                    maxlength=COMMENT_MAXLENGTH
                    rows="3"
                    prop:value=move || comment.get()
                    on:input=move |event| comment.set(event_target_value(&event))
                ></textarea>
                <div class="cc-feedback-buttons">
                    <button type="button" class="cc-send" on:click=move |_| send(false, Some(comment.get_untracked()))>{text.send}</button>
                    <button type="button" class="cc-skip" on:click=move |_| send(false, None)>{text.skip}</button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_limits_are_the_wire_rules() {
        assert_eq!(SEARCH_MAXLENGTH, wire::rules::SEARCH_MAX_CHARS.to_string());
        assert_eq!(COMMENT_MAXLENGTH, wire::rules::COMMENT_MAX_CHARS.to_string());
    }

    fn card(id: i64, moment: wire::Moment) -> wire::Card {
        wire::Card {
            id,
            title: format!("card {id}"),
            html: String::new(),
            moment,
            reason: wire::Reason { kind: wire::ReasonKind::Route, target: None, role: None, locale: "en".into() },
        }
    }

    #[test]
    fn groups_follow_the_best_card_of_each_moment_and_keep_the_ranking() {
        let cards = [
            card(1, wire::Moment::Apply),
            card(2, wire::Moment::Solve),
            card(3, wire::Moment::Apply),
            card(4, wire::Moment::New),
        ];
        let groups = group_by_moment(&cards);
        let shape: Vec<(wire::Moment, Vec<i64>)> =
            groups.iter().map(|(moment, cards)| (*moment, cards.iter().map(|card| card.id).collect())).collect();
        assert_eq!(
            shape,
            [(wire::Moment::Apply, vec![1, 3]), (wire::Moment::Solve, vec![2]), (wire::Moment::New, vec![4])]
        );
    }
}
