//! The Leptos components. They read signals and render; decisions live in `context` and `api`.

use crate::api::{self, FetchError};
use crate::context::PageContext;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Where the panel's list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Loading,
    Ready,
    Unavailable,
}

/// The widget's whole reactive state; `Copy`, so handlers and the JS API share it.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub open: RwSignal<bool>,
    pub context: RwSignal<PageContext>,
    pub cards: RwSignal<Vec<wire::Card>>,
    pub status: RwSignal<Status>,
    pub viewing: RwSignal<Option<wire::Card>>,
}

impl Ui {
    pub fn new(context: PageContext) -> Ui {
        Ui {
            open: RwSignal::new(false),
            context: RwSignal::new(context),
            cards: RwSignal::new(Vec::new()),
            status: RwSignal::new(Status::Loading),
            viewing: RwSignal::new(None),
        }
    }
}

/// Settings from the script tag.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site: String,
    pub api: String,
}

/// A plain label for a moment of need, as workers think of it.
pub fn moment_label(moment: wire::Moment) -> &'static str {
    match moment {
        wire::Moment::New => "Getting started",
        wire::Moment::More => "Learn more",
        wire::Moment::Apply => "How do I…",
        wire::Moment::Solve => "Fix a problem",
        wire::Moment::Change => "What's changed",
    }
}

/// Keeps the list in step with the context while the panel is open. Answers are cached per
/// query so going back to a field or screen shows its help at once; a stale answer (the
/// context moved on while it was in flight) is dropped.
fn follow_context(ui: Ui, settings: Settings) {
    let cache: Rc<RefCell<HashMap<wire::HelpQuery, Vec<wire::Card>>>> = Rc::default();
    let latest: Rc<RefCell<Option<wire::HelpQuery>>> = Rc::default();
    Effect::new(move |_| {
        if !ui.open.get() {
            return;
        }
        let query = ui.context.with(|context| context.to_query(&settings.site));
        if latest.borrow().as_ref() == Some(&query) {
            return;
        }
        *latest.borrow_mut() = Some(query.clone());
        if let Some(cards) = cache.borrow().get(&query) {
            ui.cards.set(cards.clone());
            ui.status.set(Status::Ready);
        } else {
            ui.status.set(Status::Loading);
        }
        let (cache, latest, api_base) = (cache.clone(), latest.clone(), settings.api.clone());
        spawn_local(async move {
            let result = api::fetch_help(&api_base, &query).await;
            if latest.borrow().as_ref() != Some(&query) {
                return;
            }
            match result {
                Ok(cards) => {
                    cache.borrow_mut().insert(query, cards.clone());
                    ui.cards.set(cards);
                    ui.status.set(Status::Ready);
                }
                Err(FetchError::Unreachable | FetchError::Status(_) | FetchError::Malformed) => {
                    // Keep showing what was cached for this context, if anything.
                    if cache.borrow().get(&query).is_none() {
                        ui.status.set(Status::Unavailable);
                    }
                    // Let the next open or context change try again.
                    *latest.borrow_mut() = None;
                }
            }
        });
    });
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
    follow_context(ui, settings);

    let close = move || {
        ui.open.set(false);
        ui.viewing.set(None);
        if let Some(launcher) = launcher.get_untracked() {
            let _ = launcher.focus();
        }
    };
    let toggle = move |_| {
        if ui.open.get_untracked() {
            close();
        } else {
            ui.open.set(true);
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
        <div class="cc-root" on:keydown=on_keydown>
            <Show when=move || ui.open.get()>
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
                        <h2 id="cuecard-title" class="cc-title">"Help"</h2>
                        <button type="button" class="cc-close" aria-label="Close help" on:click=move |_| close()>
                            <span aria-hidden="true">"×"</span>
                        </button>
                    </header>
                    <Show when=move || ui.viewing.with(Option::is_some) fallback=move || view! { <CardList ui panel /> }>
                        <SnippetView ui panel />
                    </Show>
                </section>
            </Show>
            <button
                type="button"
                class="cc-launcher"
                aria-expanded=move || ui.open.get().to_string()
                aria-controls="cuecard-panel"
                node_ref=launcher
                on:click=toggle
            >
                <span class="cc-launcher-icon" aria-hidden="true">"?"</span>
                <span class="cc-launcher-text">"Help"</span>
            </button>
        </div>
    }
}

#[component]
fn CardList(ui: Ui, panel: NodeRef<html::Section>) -> impl IntoView {
    let message = move || match (ui.status.get(), ui.cards.with(Vec::is_empty)) {
        (Status::Loading, true) => Some("Loading help…"),
        (Status::Unavailable, _) => Some("Help is unavailable right now. Please try again later."),
        (Status::Ready, true) => Some("No help for this screen yet."),
        _ => None,
    };
    view! {
        <p class="cc-status" role="status">{message}</p>
        <ul class="cc-list" aria-busy=move || (ui.status.get() == Status::Loading).to_string()>
            <For each=move || ui.cards.get() key=|card| (card.id, card.reason.kind) let:card>
                {
                    let label = moment_label(card.moment);
                    let field = card.reason.kind == wire::ReasonKind::FieldKey;
                    let title = card.title.clone();
                    view! {
                        <li class="cc-item" class:cc-field=field>
                            <button
                                type="button"
                                class="cc-card"
                                data-snippet=card.id.to_string()
                                on:click=move |_| {
                                    ui.viewing.set(Some(card.clone()));
                                    focus_later(panel);
                                }
                            >
                                <span class="cc-card-title">{title}</span>
                                <span class="cc-card-moment">{label}</span>
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

#[component]
fn SnippetView(ui: Ui, panel: NodeRef<html::Section>) -> impl IntoView {
    let card = move || ui.viewing.get();
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
            "Back"
        </button>
        <article class="cc-snippet">
            <p class="cc-card-moment">{move || card().map(|card| moment_label(card.moment))}</p>
            <h3 class="cc-snippet-title">{move || card().map(|card| card.title)}</h3>
            // Sanitized on the server when the snippet was written; nothing else is inserted as HTML.
            <div class="cc-body" inner_html=move || card().map(|card| card.html).unwrap_or_default()></div>
        </article>
    }
}
