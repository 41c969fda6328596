//! The console's shell: sign-in, the navigation, the language, and which page shows.

use crate::api::{self, Failure};
use crate::i18n::{Lang, Text};
use crate::route::Page;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::admin::{KeyRole, SessionInfo};

/// What every page can reach.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    pub session: RwSignal<Option<SessionInfo>>,
    pub lang: RwSignal<Lang>,
    pub page: RwSignal<Page>,
    /// A message for the next page to show (a snippet created here, opened there).
    pub flash: RwSignal<Option<String>>,
}

impl Console {
    pub fn text(&self) -> &'static Text {
        self.lang.get_untracked().text()
    }

    /// The signed-in site's public key.
    pub fn site(&self) -> String {
        self.session.with_untracked(|session| session.as_ref().map(|session| session.site.clone()).unwrap_or_default())
    }

    /// Whether the signed-in key has `needed` or more (the service checks again anyway).
    pub fn can(&self, needed: KeyRole) -> bool {
        self.session
            .with_untracked(|session| session.as_ref().is_some_and(|session| rank(session.key.role) >= rank(needed)))
    }

    /// Handles a failure every page may meet: a session that ended sends the author to sign-in
    /// (what she typed is kept locally by the pages that take input).
    pub fn failed(&self, failure: &Failure) -> String {
        if *failure == Failure::SignedOut {
            self.session.set(None);
        }
        failure.message()
    }
}

pub fn rank(role: KeyRole) -> u8 {
    match role {
        KeyRole::Viewer => 0,
        KeyRole::Author => 1,
        KeyRole::Publisher => 2,
        KeyRole::Owner => 3,
    }
}

pub fn console() -> Console {
    expect_context::<Console>()
}

/// Goes to `page` (through the fragment, so the browser's back button works).
pub fn go(page: &Page) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&page.href());
    }
}

fn current_page() -> Page {
    let hash = web_sys::window().and_then(|window| window.location().hash().ok()).unwrap_or_default();
    Page::parse(&hash)
}

/// Where the signed-in check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Checking,
    Done,
}

#[component]
pub fn App() -> impl IntoView {
    let console = Console {
        session: RwSignal::new(None),
        lang: RwSignal::new(Lang::initial()),
        page: RwSignal::new(current_page()),
        flash: RwSignal::new(None),
    };
    provide_context(console);
    let check = RwSignal::new(Check::Checking);
    spawn_local(async move {
        if let Ok(session) = api::get::<SessionInfo>("/admin/v1/session").await {
            console.session.set(Some(session));
        }
        check.set(Check::Done);
    });
    let listener = window_event_listener(leptos::ev::hashchange, move |_| console.page.set(current_page()));
    on_cleanup(move || listener.remove());
    // The page's language follows the choice; so does the document's `lang`.
    Effect::new(move |_| {
        let lang = console.lang.get();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.tag());
        }
        lang.remember();
    });
    move || {
        let text = console.lang.get().text();
        match (check.get(), console.session.with(Option::is_some)) {
            (Check::Checking, _) => view! { <p class="loading" role="status">{text.loading}</p> }.into_any(),
            (Check::Done, false) => view! { <SignIn text/> }.into_any(),
            (Check::Done, true) => view! { <Shell text/> }.into_any(),
        }
    }
}

#[component]
fn LanguagePicker(text: &'static Text) -> impl IntoView {
    let console = console();
    view! {
        <label class="language">
            <span>{text.language}</span>
            <select on:change=move |event| {
                if let Some(lang) = Lang::from_tag(&event_target_value(&event)) {
                    console.lang.set(lang);
                }
            }>
                {Lang::ALL
                    .into_iter()
                    .map(|lang| {
                        view! {
                            <option value=lang.tag() selected=console.lang.get_untracked() == lang>
                                {lang.name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn SignIn(text: &'static Text) -> impl IntoView {
    let console = console();
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    set_title(text.sign_in);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::sign_in(&key.get_untracked()).await {
                Ok(session) => {
                    key.set(String::new());
                    console.session.set(Some(session));
                }
                Err(failure) => error.set(Some(failure.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <main id="main" class="sign-in">
            <h1>{text.sign_in_title}</h1>
            <p>{text.sign_in_intro}</p>
            <form on:submit=submit>
                <label for="secret-key">{text.secret_key}</label>
                <input
                    id="secret-key"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    required=true
                    aria-describedby="secret-key-hint"
                    prop:value=move || key.get()
                    on:input=move |event| key.set(event_target_value(&event))
                />
                <p id="secret-key-hint" class="hint">{text.secret_key_hint}</p>
                <button type="submit" class="primary" disabled=move || busy.get()>{text.sign_in}</button>
                <p class="error" role="alert">{move || error.get()}</p>
            </form>
            <LanguagePicker text/>
        </main>
    }
}

pub fn set_title(title: &str) {
    document().set_title(&format!("{title} · Cuecard"));
}

#[component]
fn Shell(text: &'static Text) -> impl IntoView {
    let console = console();
    let session = console.session.get_untracked();
    let (site_name, role) = session
        .as_ref()
        .map(|session| (session.site_name.clone(), crate::i18n::role_name(text, session.key.role)))
        .unwrap_or_default();
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            console.session.set(None);
        });
    };
    let owner = console.can(KeyRole::Owner);
    let nav_link = move |href: &'static str, label: &'static str, matches: fn(&Page) -> bool| {
        view! {
            <li>
                <a href=href aria-current=move || console.page.with(matches).then_some("page")>{label}</a>
            </li>
        }
    };
    // A new page takes the focus to its heading, so screen readers say where the author is.
    Effect::new(move |previous: Option<()>| {
        console.page.track();
        if previous.is_some() {
            request_animation_frame(|| {
                if let Ok(Some(heading)) = document().query_selector("main h1") {
                    let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(heading).focus();
                }
            });
        }
    });
    let skip = move |_| {
        if let Some(main) = document().get_element_by_id("main") {
            let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(main).focus();
        }
    };
    view! {
        <button type="button" class="skip" on:click=skip>{text.skip_to_content}</button>
        <header class="top">
            <p class="brand">"Cuecard"</p>
            <nav aria-label=text.main_navigation>
                <ul>
                    {nav_link("#/snippets", text.nav_snippets, |page| matches!(page, Page::Snippets(_) | Page::New(_) | Page::Edit(_)))}
                    {nav_link("#/explain", text.nav_explain, |page| matches!(page, Page::Explain(_)))}
                    {nav_link("#/insights", text.nav_insights, |page| matches!(page, Page::Insights))}
                    {owner.then(|| nav_link("#/site", text.nav_site, |page| matches!(page, Page::Site)))}
                </ul>
            </nav>
            <div class="who">
                <p>
                    <span class="site-name">{site_name}</span>
                    " · "
                    <span class="role">{role}</span>
                </p>
                <LanguagePicker text/>
                <button type="button" on:click=sign_out>{text.sign_out}</button>
            </div>
        </header>
        <main id="main" tabindex="-1">
            {move || match console.page.get() {
                Page::Snippets(filter) => view! { <crate::snippets::List text filter/> }.into_any(),
                Page::New(new) => view! { <crate::editor::Editor text id=None new/> }.into_any(),
                Page::Edit(id) => view! { <crate::editor::Editor text id=Some(id) new=Default::default()/> }.into_any(),
                Page::Explain(query) => view! { <crate::explain::Explain text query/> }.into_any(),
                Page::Insights => view! { <crate::insights::Insights text/> }.into_any(),
                Page::Site => view! { <crate::site::SitePage text/> }.into_any(),
            }}
        </main>
    }
}

/// A message that screen readers announce when it appears.
#[component]
pub fn Status(message: RwSignal<Option<String>>) -> impl IntoView {
    view! { <p class="status" role="status">{move || message.get()}</p> }
}

/// An error that screen readers announce at once.
#[component]
pub fn Alert(message: RwSignal<Option<String>>) -> impl IntoView {
    view! { <p class="error" role="alert">{move || message.get()}</p> }
}

/// Copies `text` to the clipboard; says so in `status`.
pub fn copy(text: String, status: RwSignal<Option<String>>, done: &'static str) {
    if let Some(window) = web_sys::window() {
        let promise = window.navigator().clipboard().write_text(&text);
        spawn_local(async move {
            if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                status.set(Some(done.to_owned()));
            }
        });
    }
}

/// A table that scrolls sideways by itself on narrow screens, in a region named `label` that the
/// keyboard reaches. `action` names a last column of buttons, for screen readers only.
pub fn table_region(
    label: String,
    caption: Option<String>,
    headers: Vec<&'static str>,
    action: Option<&'static str>,
    body: impl IntoView,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            <table>
                {caption.map(|caption| view! { <caption>{caption}</caption> })}
                <thead><tr>
                    {headers.into_iter().map(|header| view! { <th scope="col">{header}</th> }).collect_view()}
                    {action.map(|action| view! { <th scope="col"><span class="visually-hidden">{action}</span></th> })}
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// Rows of text cells.
pub fn text_rows(rows: Vec<Vec<String>>) -> impl IntoView {
    rows.into_iter()
        .map(|row| view! { <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr> })
        .collect_view()
}
