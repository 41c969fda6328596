//! "What shows here, and why not": pick a context (or paste a page's URL) and see the cards the
//! widget would show, in its order, with each reason, and the snippets that almost showed with
//! why they did not. The service's engine explains (`GET …/explain`); this page only shows.

use crate::api;
use crate::app::{Alert, console, go, set_title};
use crate::i18n::{Text, reason_text, status_name, why_not_text};
use crate::route::{ExplainQuery, Page};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The path of a pasted page URL (`https://app.example/claims/7?tab=2` → `/claims/7`), as the
/// widget would send it: no query string, no fragment. A bare path is taken as it is.
pub fn path_of(url: &str) -> String {
    let url = url.trim();
    let without_origin = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => url,
    };
    let path = without_origin.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() { String::new() } else { path.to_owned() }
}

#[component]
pub fn Explain(text: &'static Text, query: ExplainQuery) -> impl IntoView {
    let console = console();
    set_title(text.nav_explain);
    let draft = RwSignal::new(query.clone());
    let answer = RwSignal::new(None::<wire::admin::Explanation>);
    let error = RwSignal::new(None::<String>);
    let asked = query != ExplainQuery::default();
    if asked {
        let path = path_of(&query.url);
        let request = api::with_query(
            &api::site_path(&console.site(), "/explain"),
            &[
                ("site", &console.site()),
                ("path", &path),
                ("route", &query.route),
                ("keys", &query.keys),
                ("roles", &query.roles),
                ("locale", &query.locale),
                ("app_version", &query.app_version),
            ],
        );
        spawn_local(async move {
            match api::get::<wire::admin::Explanation>(&request).await {
                Ok(found) => answer.set(Some(found)),
                Err(failure) => error.set(Some(console.failed(&failure))),
            }
        });
    }
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        go(&Page::Explain(draft.get_untracked()));
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      hint: &'static str,
                      get: fn(&ExplainQuery) -> String,
                      set: fn(&mut ExplainQuery, String)| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="text" aria-describedby=hint_id.clone()
                    prop:value=move || draft.with(get)
                    on:input=move |event| draft.update(|query| set(query, event_target_value(&event)))/>
                <p id=hint_id class="hint">{hint}</p>
            </div>
        }
    };
    view! {
        <h1 tabindex="-1">{text.nav_explain}</h1>
        <p>{text.explain_intro}</p>
        <form class="explain-form" on:submit=submit>
            {field("explain-url", text.page_url, text.page_url_hint, |query| query.url.clone(), |query, value| query.url = value)}
            <div class="row">
                {field("explain-route", text.route, text.route_hint, |query| query.route.clone(), |query, value| query.route = value)}
                {field("explain-keys", text.help_keys, text.help_keys_hint, |query| query.keys.clone(), |query, value| query.keys = value)}
            </div>
            <div class="row">
                {field("explain-roles", text.roles, text.roles_hint, |query| query.roles.clone(), |query, value| query.roles = value)}
                {field("explain-locale", text.locale, text.locale_hint, |query| query.locale.clone(), |query, value| query.locale = value)}
                {field("explain-version", text.app_version, text.app_version_hint, |query| query.app_version.clone(), |query, value| query.app_version = value)}
            </div>
            <button type="submit" class="primary">{text.show_what_shows}</button>
        </form>
        <Alert message=error/>
        {move || answer.get().map(|found| view! {
            <section aria-labelledby="shown-title">
                <h2 id="shown-title">{format!("{} ({})", text.shown_here, found.shown.len())}</h2>
                {found.shown.is_empty().then(|| view! { <p>{text.nothing_shown}</p> })}
                <ol class="explained">
                    {found.shown.into_iter().map(|card| view! {
                        <li>
                            <a href=Page::Edit(card.card.id).href()>{card.card.title.clone()}</a>
                            <span class="why">{reason_text(text, &card.card.reason)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </section>
            <section aria-labelledby="near-title">
                <h2 id="near-title">{format!("{} ({})", text.almost_shown, found.near_misses.len())}</h2>
                {found.near_misses.is_empty().then(|| view! { <p>{text.nothing_almost}</p> })}
                <ul class="explained">
                    {found.near_misses.into_iter().map(|near| {
                        let status = format!("{:?}", near.status).to_lowercase();
                        view! {
                            <li>
                                <a href=Page::Edit(near.id).href()>{near.title.clone()}</a>
                                " "
                                <span class=format!("badge {status}")>{status_name(text, &status)}</span>
                                <span class="why">{reason_text(text, &near.reason)}</span>
                                <ul class="why-not">
                                    {near.why_not.iter().map(|why| view! { <li>{why_not_text(text, why)}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_url_becomes_the_path_the_widget_would_send() {
        assert_eq!(path_of("https://app.example.com/claims/42/edit?tab=2#notes"), "/claims/42/edit");
        assert_eq!(path_of("http://127.0.0.1:8081/claims/"), "/claims/");
        assert_eq!(path_of("https://app.example.com"), "/");
        assert_eq!(path_of("/approvals/7?x"), "/approvals/7");
        assert_eq!(path_of("  "), "");
    }
}
