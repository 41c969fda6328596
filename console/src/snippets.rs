//! The snippet list: filters (text, status, moment, locale, target) kept in the URL, and pages.

use crate::api;
use crate::app::{Alert, console, go, set_title, table_region};
use crate::i18n::{Text, moment_name, status_name};
use crate::route::{ListFilter, NewSnippet, Page};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::admin::{KeyRole, SnippetList};

const PAGE_SIZE: &str = "25";

#[component]
pub fn List(text: &'static Text, filter: ListFilter) -> impl IntoView {
    let console = console();
    set_title(text.nav_snippets);
    let found = RwSignal::new(None::<SnippetList>);
    let error = RwSignal::new(None::<String>);
    let path = api::with_query(
        &api::site_path(&console.site(), "/snippets"),
        &[
            ("text", &filter.text),
            ("status", &filter.status),
            ("moment", &filter.moment),
            ("locale", &filter.locale),
            ("target", &filter.target),
            ("after", &filter.after.map(|after| after.to_string()).unwrap_or_default()),
            ("limit", PAGE_SIZE),
        ],
    );
    spawn_local(async move {
        match api::get::<SnippetList>(&path).await {
            Ok(list) => found.set(Some(list)),
            Err(failure) => error.set(Some(console.failed(&failure))),
        }
    });
    let draft = RwSignal::new(filter.clone());
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        go(&Page::Snippets(ListFilter { after: None, ..draft.get_untracked() }));
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&ListFilter) -> String,
                      set: fn(&mut ListFilter, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type="search"
                    prop:value=move || draft.with(get)
                    on:input=move |event| draft.update(|filter| set(filter, event_target_value(&event)))
                />
            </div>
        }
    };
    let choice = move |id: &'static str,
                       label: &'static str,
                       options: Vec<(&'static str, &'static str)>,
                       get: fn(&ListFilter) -> String,
                       set: fn(&mut ListFilter, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id on:change=move |event| draft.update(|filter| set(filter, event_target_value(&event)))>
                    <option value="" selected=draft.with_untracked(get).is_empty()>{text.any}</option>
                    {options
                        .into_iter()
                        .map(|(value, name)| {
                            view! { <option value=value selected=draft.with_untracked(get) == value>{name}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }
    };
    let statuses = ["draft", "published", "archived"].map(|status| (status, status_name(text, status))).to_vec();
    let moments =
        ["new", "more", "apply", "solve", "change"].map(|moment| (moment, moment_name(text, moment))).to_vec();
    let next_page = {
        let filter = filter.clone();
        move || {
            found.with(|found| found.as_ref().and_then(|list| list.next_after)).map(|after| {
                let href = Page::Snippets(ListFilter { after: Some(after), ..filter.clone() }).href();
                view! { <a href=href>{text.next_page}</a> }
            })
        }
    };
    let first_page = filter.after.is_some().then(
        || view! { <a href=Page::Snippets(ListFilter { after: None, ..filter.clone() }).href()>{text.first_page}</a> },
    );
    view! {
        <div class="page-head">
            <h1 tabindex="-1">{text.nav_snippets}</h1>
            {console
                .can(KeyRole::Author)
                .then(|| view! { <a class="button primary" href=Page::New(NewSnippet::default()).href()>{text.new_snippet}</a> })}
        </div>
        <form class="filters" role="search" aria-label=text.filters on:submit=apply>
            {field("filter-text", text.filter_text, |filter| filter.text.clone(), |filter, value| filter.text = value)}
            {choice("filter-status", text.status, statuses, |filter| filter.status.clone(), |filter, value| filter.status = value)}
            {choice("filter-moment", text.moment, moments, |filter| filter.moment.clone(), |filter, value| filter.moment = value)}
            {field("filter-locale", text.locale, |filter| filter.locale.clone(), |filter, value| filter.locale = value)}
            {field("filter-target", text.target, |filter| filter.target.clone(), |filter, value| filter.target = value)}
            <button type="submit">{text.apply_filters}</button>
        </form>
        <Alert message=error/>
        {move || {
            found
                .get()
                .map(|list| {
                    if list.snippets.is_empty() {
                        return view! { <p>{text.no_snippets}</p> }.into_any();
                    }
                    view! {
                        {table_region(
                            text.nav_snippets.into(),
                            None,
                            vec![text.title, text.status, text.moment, text.locale, text.targets, text.updated],
                            None,
                                    {list
                                        .snippets
                                        .into_iter()
                                        .map(|snippet| {
                                            let targets = snippet
                                                .targets
                                                .iter()
                                                .map(crate::editor::target_text)
                                                .collect::<Vec<_>>()
                                                .join(", ");
                                            let status = format!("{:?}", snippet.status).to_lowercase();
                                            let moment = format!("{:?}", snippet.moment).to_lowercase();
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=Page::Edit(snippet.id).href()>{snippet.title}</a>
                                                        <br/>
                                                        <span class="slug">{snippet.slug}</span>
                                                    </td>
                                                    <td>
                                                        <span class=format!("badge {status}")>{status_name(text, &status)}</span>
                                                    </td>
                                                    <td>{moment_name(text, &moment)}</td>
                                                    <td>{snippet.locale}</td>
                                                    <td class="targets">
                                                        {if targets.is_empty() { text.site_wide.to_owned() } else { targets }}
                                                    </td>
                                                    <td>{crate::i18n::short_time(&snippet.updated_at)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()},
                        )}
                    }
                        .into_any()
                })
        }}
        <nav class="pager" aria-label=text.pages>
            {first_page}
            {next_page}
        </nav>
    }
}
