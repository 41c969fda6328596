//! The snippet editor: every field of a snippet, a live preview rendered by the service's own
//! renderer (what the worker will see, byte for byte), targets checked as they are typed, drafts,
//! publish / unpublish, archive, translations, revisions with their diff and restore.
//!
//! Nothing typed is lost: the form is kept in the tab's `sessionStorage` on every change until
//! the service has it, so a reload or a sign-out brings it back; and a save that meets a newer
//! version (412) shows theirs beside yours and offers to merge both, keep yours or take theirs.

use crate::api::{self, Failure};
use crate::app::{Alert, Status as StatusLine, console, go, set_title};
use crate::i18n::{Text, moment_name, role_name, status_name};
use crate::merge::merge;
use crate::route::{NewSnippet, Page};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use wire::admin::{KeyRole, TargetSpec};

/// Quiet time after typing before the preview is asked for.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(300);

/// One target as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRow {
    /// `key`, `route` or `url`.
    pub kind: String,
    pub value: String,
}

/// The editor's fields as typed (text, before the service checks them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub markdown: String,
    pub moment: String,
    pub targets: Vec<TargetRow>,
    /// Comma-separated.
    pub roles: String,
    pub priority: String,
    /// `YYYY-MM-DDTHH:MM`, UTC, as a `datetime-local` input holds it.
    pub publish_at: String,
    pub expire_at: String,
    pub app_versions: String,
}

pub fn target_text(target: &TargetSpec) -> String {
    match target {
        TargetSpec::Key(key) => key.clone(),
        TargetSpec::Route(route) => route.clone(),
        TargetSpec::Url(pattern) => pattern.clone(),
    }
}

fn target_row(target: &TargetSpec) -> TargetRow {
    let kind = match target {
        TargetSpec::Key(_) => "key",
        TargetSpec::Route(_) => "route",
        TargetSpec::Url(_) => "url",
    };
    TargetRow { kind: kind.into(), value: target_text(target) }
}

fn target_spec(row: &TargetRow) -> TargetSpec {
    let value = row.value.trim().to_owned();
    match row.kind.as_str() {
        "route" => TargetSpec::Route(value),
        "url" => TargetSpec::Url(value),
        _ => TargetSpec::Key(value),
    }
}

fn lower_name<T: std::fmt::Debug>(value: &T) -> String {
    // The wire enums serialize in snake case; their Debug names are the same words.
    format!("{value:?}").to_lowercase()
}

impl Form {
    pub fn from_snippet(snippet: &wire::admin::Snippet) -> Form {
        let local_time =
            |time: &Option<String>| time.as_deref().map(|time| time.chars().take(16).collect()).unwrap_or_default();
        Form {
            slug: snippet.slug.clone(),
            locale: snippet.locale.clone(),
            title: snippet.title.clone(),
            markdown: snippet.markdown.clone(),
            moment: lower_name(&snippet.moment),
            targets: snippet.targets.iter().map(target_row).collect(),
            roles: snippet.roles.join(", "),
            priority: snippet.priority.to_string(),
            publish_at: local_time(&snippet.publish_at),
            expire_at: local_time(&snippet.expire_at),
            app_versions: snippet.app_versions.clone().unwrap_or_default(),
        }
    }

    /// The admin API's input; `Err` names a field the browser can already tell is wrong.
    pub fn to_input(&self, status: Option<wire::admin::Status>) -> Result<wire::admin::SnippetInput, String> {
        let moment: wire::Moment = serde_json::from_value(serde_json::Value::String(self.moment.clone()))
            .map_err(|_| format!("moment `{}`", self.moment))?;
        let priority = if self.priority.trim().is_empty() {
            0
        } else {
            self.priority.trim().parse().map_err(|_| format!("priority `{}`", self.priority))?
        };
        let time = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| if text.len() == 16 { format!("{text}:00Z") } else { format!("{text}Z") })
        };
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        Ok(wire::admin::SnippetInput {
            slug: self.slug.trim().to_owned(),
            locale: optional(&self.locale),
            title: self.title.trim().to_owned(),
            markdown: self.markdown.clone(),
            moment,
            targets: self.targets.iter().filter(|row| !row.value.trim().is_empty()).map(target_spec).collect(),
            roles: wire::split_list(Some(&self.roles)).map(str::to_owned).collect(),
            priority,
            status,
            publish_at: time(&self.publish_at),
            expire_at: time(&self.expire_at),
            app_versions: optional(&self.app_versions),
        })
    }

    /// Field by field, `self` (yours) merged with `theirs`, both edited from `base`: a field only
    /// one side changed takes that change; the body merges line by line.
    pub fn merged(&self, base: &Form, theirs: &Form) -> (Form, bool) {
        fn pick<T: PartialEq + Clone>(base: &T, ours: &T, theirs: &T) -> T {
            if ours == base { theirs.clone() } else { ours.clone() }
        }
        let body = merge(&base.markdown, &self.markdown, &theirs.markdown);
        let form = Form {
            slug: self.slug.clone(),
            locale: self.locale.clone(),
            title: pick(&base.title, &self.title, &theirs.title),
            markdown: body.text,
            moment: pick(&base.moment, &self.moment, &theirs.moment),
            targets: pick(&base.targets, &self.targets, &theirs.targets),
            roles: pick(&base.roles, &self.roles, &theirs.roles),
            priority: pick(&base.priority, &self.priority, &theirs.priority),
            publish_at: pick(&base.publish_at, &self.publish_at, &theirs.publish_at),
            expire_at: pick(&base.expire_at, &self.expire_at, &theirs.expire_at),
            app_versions: pick(&base.app_versions, &self.app_versions, &theirs.app_versions),
        };
        (form, body.clean)
    }
}

/// What the tab keeps until the service has it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LocalDraft {
    form: Form,
    /// The version the form started from, as read then.
    base: Option<wire::admin::Snippet>,
}

/// The tab's own storage: it survives reloads and crashes of the page (the browser restores it
/// with the tab), and two tabs editing the same snippet never overwrite each other's drafts.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Where a snippet's unsaved form is kept: per site and snippet, or per new snippet's starting
/// point (a draft begun for one gap is not offered when writing help for another).
fn draft_key(site: &str, id: Option<i64>, new: &NewSnippet) -> String {
    match id {
        Some(id) => format!("cuecard.draft.{site}.{id}"),
        None => format!("cuecard.draft.{site}.{}", Page::New(new.clone()).href()),
    }
}

fn load_draft(key: &str) -> Option<LocalDraft> {
    serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
}

fn keep_draft(key: &str, draft: &LocalDraft) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(draft)) {
        let _ = storage.set_item(key, &json);
    }
}

fn forget_draft(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

#[component]
pub fn Editor(text: &'static Text, id: Option<i64>, new: NewSnippet) -> impl IntoView {
    let console = console();
    let site = console.site();
    let storage_key = draft_key(&site, id, &new);
    set_title(if id.is_some() { text.edit_snippet } else { text.new_snippet });

    let form = RwSignal::new(Form { moment: "apply".into(), ..Form::default() });
    let base = RwSignal::new(None::<wire::admin::Snippet>);
    let conflict = RwSignal::new(None::<wire::admin::Snippet>);
    let loaded = RwSignal::new(false);
    // The form as it was before the author typed: the snippet as read, or a new one's start.
    let baseline = RwSignal::new(None::<Form>);
    let restored = RwSignal::new(false);
    let preview = RwSignal::new(None::<wire::admin::DraftChecked>);
    let status = RwSignal::new(console.flash.get_untracked());
    console.flash.set(None);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let site_settings = RwSignal::new(None::<wire::admin::Site>);
    let translations = RwSignal::new(Vec::<wire::admin::Snippet>::new());
    // A new snippet's slug follows its title until the author types a slug herself.
    let slug_follows_title = RwSignal::new(id.is_none());

    // Load: the snippet (or what a new one starts from), then any unsaved local draft over it.
    {
        let site = site.clone();
        let storage_key = storage_key.clone();
        spawn_local(async move {
            if let Ok(settings) = api::get::<wire::admin::Site>(&api::site_path(&site, "")).await {
                site_settings.set(Some(settings));
            }
            match id {
                Some(id) => {
                    match api::get::<wire::admin::Snippet>(&api::site_path(&site, &format!("/snippets/{id}"))).await {
                        Ok(snippet) => {
                            form.set(Form::from_snippet(&snippet));
                            baseline.set(Some(Form::from_snippet(&snippet)));
                            load_translations(&site, &snippet, translations).await;
                            base.set(Some(snippet));
                        }
                        Err(failure) => error.set(Some(console.failed(&failure))),
                    }
                }
                None => {
                    let mut start = Form { moment: "apply".into(), ..Form::default() };
                    if let Some(from) = new.from
                        && let Ok(source) =
                            api::get::<wire::admin::Snippet>(&api::site_path(&site, &format!("/snippets/{from}"))).await
                    {
                        start = Form { locale: new.locale.clone(), ..Form::from_snippet(&source) };
                    }
                    if !new.key.is_empty() {
                        start.targets.push(TargetRow { kind: "key".into(), value: new.key.clone() });
                    }
                    if !new.route.is_empty() {
                        let kind = if new.route.contains([':', '*', '(']) && !new.route.contains("/:") {
                            "url"
                        } else {
                            "route"
                        };
                        start.targets.push(TargetRow { kind: kind.into(), value: new.route.clone() });
                    }
                    if !new.title.is_empty() {
                        start.title = new.title.clone();
                    }
                    if !new.slug.is_empty() {
                        start.slug = new.slug.clone();
                    }
                    if start.slug.is_empty() {
                        start.slug = suggested_slug(&new);
                    }
                    slug_follows_title.set(start.slug.is_empty());
                    baseline.set(Some(start.clone()));
                    form.set(start);
                }
            }
            if let Some(draft) = load_draft(&storage_key)
                && baseline.with_untracked(|baseline| baseline.as_ref() != Some(&draft.form))
            {
                form.set(draft.form);
                if draft.base.is_some() {
                    base.set(draft.base);
                }
                restored.set(true);
            }
            loaded.set(true);
        });
    }

    // Keep every change locally until it is saved.
    {
        let storage_key = storage_key.clone();
        Effect::new(move |_| {
            let current = form.get();
            if !loaded.get_untracked() {
                return;
            }
            let unchanged = baseline.with_untracked(|baseline| baseline.as_ref() == Some(&current));
            if unchanged {
                forget_draft(&storage_key);
            } else {
                keep_draft(&storage_key, &LocalDraft { form: current, base: base.get_untracked() });
            }
        });
    }

    // The live preview: the service renders the body and checks the targets as they are typed.
    {
        let site = site.clone();
        let generation = StoredValue::new(0u32);
        Effect::new(move |_| {
            let check = form.with(|form| wire::admin::DraftCheck {
                markdown: form.markdown.clone(),
                targets: form.targets.iter().map(target_spec).collect(),
            });
            generation.update_value(|value| *value += 1);
            let mine = generation.get_value();
            let path = api::site_path(&site, "/preview/draft");
            set_timeout(
                move || {
                    if generation.get_value() != mine {
                        return;
                    }
                    spawn_local(async move {
                        if let Ok(checked) =
                            api::send::<_, wire::admin::DraftChecked>(Method::POST, &path, None, &check).await
                            && generation.get_value() == mine
                        {
                            preview.set(Some(checked));
                        }
                    });
                },
                PREVIEW_DEBOUNCE,
            );
        });
    }

    let dirty = move || {
        let read = base.with(|base| base.as_ref().map(Form::from_snippet));
        form.with(|form| read.as_ref() != Some(form))
    };
    let current_status = move || base.with(|base| base.as_ref().map(|snippet| snippet.status));

    // Saves the form with `status` (None keeps a new snippet a draft); 412 opens the conflict.
    let save = {
        let site = site.clone();
        let storage_key = storage_key.clone();
        move |new_status: Option<wire::admin::Status>, done: &'static str| {
            let input = match form.with_untracked(|form| form.to_input(new_status)) {
                Ok(input) => input,
                Err(field) => {
                    error.set(Some(format!("{}: {field}", text.check_field)));
                    return;
                }
            };
            let site = site.clone();
            let storage_key = storage_key.clone();
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let saved = match base.get_untracked() {
                    Some(current) => {
                        let input = wire::admin::SnippetInput { status: new_status.or(Some(current.status)), ..input };
                        let path = api::site_path(&site, &format!("/snippets/{}", current.id));
                        api::send::<_, wire::admin::Snippet>(Method::PUT, &path, Some(current.version), &input).await
                    }
                    None => api::send(Method::POST, &api::site_path(&site, "/snippets"), None, &input).await,
                };
                busy.set(false);
                match saved {
                    Ok(snippet) => {
                        forget_draft(&storage_key);
                        let was_new = base.get_untracked().is_none();
                        baseline.set(Some(Form::from_snippet(&snippet)));
                        form.set(Form::from_snippet(&snippet));
                        base.set(Some(snippet.clone()));
                        restored.set(false);
                        status.set(Some(format!("{done} ({} {})", text.version, snippet.version)));
                        if was_new {
                            forget_draft(&draft_key(&site, Some(snippet.id), &NewSnippet::default()));
                            console.flash.set(status.get_untracked());
                            go(&Page::Edit(snippet.id));
                        }
                    }
                    Err(Failure::Stale(theirs)) => conflict.set(Some(*theirs)),
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };

    // Publish, unpublish, archive: actions on the saved version.
    let act = {
        let site = site.clone();
        move |action: &'static str, done: &'static str| {
            let Some(current) = base.get_untracked() else { return };
            let site = site.clone();
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let (method, path) = match action {
                    "archive" => (Method::DELETE, format!("/snippets/{}", current.id)),
                    action => (Method::POST, format!("/snippets/{}/{action}", current.id)),
                };
                let result =
                    api::act::<wire::admin::Snippet>(method, &api::site_path(&site, &path), Some(current.version))
                        .await;
                busy.set(false);
                match result {
                    Ok(snippet) => {
                        baseline.set(Some(Form::from_snippet(&snippet)));
                        form.set(Form::from_snippet(&snippet));
                        base.set(Some(snippet));
                        status.set(Some(done.to_owned()));
                    }
                    Err(Failure::Stale(theirs)) => conflict.set(Some(*theirs)),
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };

    let save_draft = {
        let save = save.clone();
        move |_| save(None, text.saved)
    };
    let save_and_publish = {
        let save = save.clone();
        let act = act.clone();
        move |_| {
            if dirty() || base.with_untracked(Option::is_none) {
                save(Some(wire::admin::Status::Published), text.published_done);
            } else {
                act("publish", text.published_done);
            }
        }
    };
    let unpublish = {
        let act = act.clone();
        move |_| act("unpublish", text.unpublished_done)
    };
    let confirm_archive = RwSignal::new(false);
    let archive = {
        let act = act.clone();
        move |_| {
            if confirm_archive.get_untracked() {
                confirm_archive.set(false);
                act("archive", text.archived_done);
            } else {
                confirm_archive.set(true);
            }
        }
    };
    let discard_local = {
        let storage_key = storage_key.clone();
        move |_| {
            forget_draft(&storage_key);
            if let Some(start) = baseline.get_untracked() {
                form.set(start);
            }
            restored.set(false);
        }
    };

    let can_author = console.can(KeyRole::Author);
    let can_publish = console.can(KeyRole::Publisher);
    let locales = move || site_settings.with(|site| site.as_ref().map(|site| site.locales.clone()).unwrap_or_default());

    view! {
        <div class="page-head">
            <h1 tabindex="-1">
                {move || {
                    let title = form.with(|form| form.title.clone());
                    if id.is_none() {
                        text.new_snippet.to_owned()
                    } else if title.is_empty() {
                        text.edit_snippet.to_owned()
                    } else {
                        title
                    }
                }}
            </h1>
            {move || current_status().map(|status| {
                let name = lower_name(&status);
                view! { <span class=format!("badge {name}")>{status_name(text, &name)}</span> }
            })}
        </div>
        {move || restored.get().then(|| view! {
            <div class="notice" role="status">
                <p>{text.restored_draft}</p>
                <button type="button" on:click=discard_local.clone()>{text.discard_local}</button>
            </div>
        })}
        {move || conflict.get().map(|theirs| view! { <Conflict text theirs form base conflict status/> })}
        <Alert message=error/>
        <StatusLine message=status/>
        <div class="editor">
            <form class="snippet-form" on:submit=|event: leptos::ev::SubmitEvent| event.prevent_default()>
                <fieldset disabled=move || !can_author>
                    <legend class="visually-hidden">{text.edit_snippet}</legend>
                    <div class="field">
                        <label for="title">{text.title}</label>
                        <input id="title" type="text" required=true maxlength="200"
                            prop:value=move || form.with(|form| form.title.clone())
                            on:input=move |event| form.update(|form| {
                                form.title = event_target_value(&event);
                                if slug_follows_title.get_untracked() {
                                    form.slug = slugify(&form.title);
                                }
                            })/>
                    </div>
                    <div class="field">
                        <label for="markdown">{text.body}</label>
                        <textarea id="markdown" rows="12" aria-describedby="markdown-hint"
                            prop:value=move || form.with(|form| form.markdown.clone())
                            on:input=move |event| form.update(|form| form.markdown = event_target_value(&event))></textarea>
                        <p id="markdown-hint" class="hint">{text.body_hint}</p>
                    </div>
                    <div class="row">
                        <div class="field">
                            <label for="slug">{text.slug}</label>
                            <input id="slug" type="text" required=true readonly=move || base.with(Option::is_some)
                                aria-describedby="slug-hint"
                                prop:value=move || form.with(|form| form.slug.clone())
                                on:input=move |event| {
                                    slug_follows_title.set(false);
                                    form.update(|form| form.slug = event_target_value(&event));
                                }/>
                            <p id="slug-hint" class="hint">{text.slug_hint}</p>
                        </div>
                        <div class="field">
                            <label for="locale">{text.locale}</label>
                            <input id="locale" type="text" list="site-locales" readonly=move || base.with(Option::is_some)
                                prop:value=move || form.with(|form| form.locale.clone())
                                on:input=move |event| form.update(|form| form.locale = event_target_value(&event))/>
                            <datalist id="site-locales">
                                {move || locales().into_iter().map(|locale| view! { <option value=locale.clone()></option> }).collect_view()}
                            </datalist>
                        </div>
                        <div class="field">
                            <label for="moment">{text.moment}</label>
                            <select id="moment" on:change=move |event| form.update(|form| form.moment = event_target_value(&event))>
                                {["new", "more", "apply", "solve", "change"].into_iter().map(|moment| view! {
                                    <option value=moment selected=move || form.with(|form| form.moment == moment)>{moment_name(text, moment)}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    </div>
                    <Targets text form preview/>
                    <div class="row">
                        <div class="field">
                            <label for="roles">{text.roles}</label>
                            <input id="roles" type="text" aria-describedby="roles-hint"
                                prop:value=move || form.with(|form| form.roles.clone())
                                on:input=move |event| form.update(|form| form.roles = event_target_value(&event))/>
                            <p id="roles-hint" class="hint">{text.roles_hint}</p>
                        </div>
                        <div class="field">
                            <label for="priority">{text.priority}</label>
                            <input id="priority" type="number" step="1"
                                prop:value=move || form.with(|form| form.priority.clone())
                                on:input=move |event| form.update(|form| form.priority = event_target_value(&event))/>
                        </div>
                    </div>
                    <div class="row">
                        <div class="field">
                            <label for="publish-at">{text.publish_at}</label>
                            <input id="publish-at" type="datetime-local"
                                prop:value=move || form.with(|form| form.publish_at.clone())
                                on:input=move |event| form.update(|form| form.publish_at = event_target_value(&event))/>
                        </div>
                        <div class="field">
                            <label for="expire-at">{text.expire_at}</label>
                            <input id="expire-at" type="datetime-local"
                                prop:value=move || form.with(|form| form.expire_at.clone())
                                on:input=move |event| form.update(|form| form.expire_at = event_target_value(&event))/>
                        </div>
                        <div class="field">
                            <label for="app-versions">{text.app_versions}</label>
                            <input id="app-versions" type="text" placeholder=">=2.3, <3"
                                prop:value=move || form.with(|form| form.app_versions.clone())
                                on:input=move |event| form.update(|form| form.app_versions = event_target_value(&event))/>
                        </div>
                    </div>
                </fieldset>
                <div class="actions">
                    {can_author.then(|| view! {
                        <button type="button" class="primary" disabled=move || busy.get() on:click=save_draft.clone()>
                            {move || if current_status() == Some(wire::admin::Status::Published) { text.save_changes } else { text.save_draft }}
                        </button>
                    })}
                    {can_publish.then(|| view! {
                        <button type="button" disabled=move || busy.get() on:click=save_and_publish.clone()>
                            {move || if current_status() == Some(wire::admin::Status::Published) && !dirty() { text.published_state } else { text.publish }}
                        </button>
                    })}
                    {move || (can_publish && current_status() == Some(wire::admin::Status::Published)).then(|| view! {
                        <button type="button" disabled=move || busy.get() on:click=unpublish.clone()>{text.unpublish}</button>
                    })}
                    {move || (can_author && base.with(Option::is_some) && current_status() != Some(wire::admin::Status::Archived)).then(|| view! {
                        <button type="button" class="danger" disabled=move || busy.get() on:click=archive.clone()>
                            {move || if confirm_archive.get() { text.confirm_archive } else { text.archive }}
                        </button>
                    })}
                </div>
            </form>
            <section class="preview-pane" aria-labelledby="preview-title">
                <h2 id="preview-title">{text.preview}</h2>
                <p class="hint">{text.preview_hint}</p>
                <div class="worker-card">
                    <h3>{move || form.with(|form| form.title.clone())}</h3>
                    <div class="snippet-body" inner_html=move || preview.with(|preview| preview.as_ref().map(|checked| checked.html.clone()).unwrap_or_default())></div>
                </div>
                {move || base.get().map(|snippet| view! {
                    <p>
                        <a href=Page::Explain(crate::route::ExplainQuery {
                            keys: snippet.targets.iter().find_map(|target| match target { TargetSpec::Key(key) => Some(key.clone()), _ => None }).unwrap_or_default(),
                            route: snippet.targets.iter().find_map(|target| match target { TargetSpec::Route(route) => Some(route.clone()), _ => None }).unwrap_or_default(),
                            ..Default::default()
                        }).href()>{text.check_where_it_shows}</a>
                    </p>
                })}
            </section>
        </div>
        {move || base.get().map(|snippet| view! { <Translations text snippet translations locales=Signal::derive(locales)/> })}
        {move || base.get().map(|snippet| view! { <History text snippet base baseline form status error conflict/> })}
    }
}

fn suggested_slug(new: &NewSnippet) -> String {
    let source = if !new.key.is_empty() {
        new.key.clone()
    } else if !new.title.is_empty() {
        new.title.clone()
    } else {
        new.route.clone()
    };
    slugify(&source)
}

/// A slug from any text: lower-case ASCII letters and digits, runs of anything else as one `-`.
fn slugify(source: &str) -> String {
    let mut slug = String::new();
    for character in source.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

async fn load_translations(
    site: &str,
    snippet: &wire::admin::Snippet,
    translations: RwSignal<Vec<wire::admin::Snippet>>,
) {
    let path = api::with_query(&api::site_path(site, "/snippets"), &[("slug_prefix", &snippet.slug), ("limit", "100")]);
    if let Ok(list) = api::get::<wire::admin::SnippetList>(&path).await {
        translations.set(
            list.snippets.into_iter().filter(|other| other.slug == snippet.slug && other.id != snippet.id).collect(),
        );
    }
}

#[component]
fn Targets(
    text: &'static Text,
    form: RwSignal<Form>,
    preview: RwSignal<Option<wire::admin::DraftChecked>>,
) -> impl IntoView {
    let add = move |_| form.update(|form| form.targets.push(TargetRow { kind: "key".into(), value: String::new() }));
    view! {
        <fieldset class="targets">
            <legend>{text.targets}</legend>
            <p class="hint">{text.targets_hint}</p>
            <For each=move || 0..form.with(|form| form.targets.len()) key=|index| *index let:index>
                {
                    let value_id = format!("target-value-{index}");
                    let kind_id = format!("target-kind-{index}");
                    let problem_id = format!("target-problem-{index}");
                    let problem = move || preview.with(|preview| {
                        preview.as_ref().and_then(|checked| checked.targets.get(index).cloned().flatten())
                    });
                    view! {
                        <div class="target-row">
                            <label class="visually-hidden" for=kind_id.clone()>{format!("{} {}", text.target_kind, index + 1)}</label>
                            <select id=kind_id on:change=move |event| form.update(|form| {
                                if let Some(row) = form.targets.get_mut(index) { row.kind = event_target_value(&event); }
                            })>
                                {[("key", text.kind_key), ("route", text.kind_route), ("url", text.kind_url)].into_iter().map(|(kind, name)| view! {
                                    <option value=kind selected=move || form.with(|form| form.targets.get(index).is_some_and(|row| row.kind == kind))>{name}</option>
                                }).collect_view()}
                            </select>
                            <label class="visually-hidden" for=value_id.clone()>{format!("{} {}", text.target, index + 1)}</label>
                            <input id=value_id type="text" aria-describedby=problem_id.clone()
                                aria-invalid=move || problem().is_some().then_some("true")
                                prop:value=move || form.with(|form| form.targets.get(index).map(|row| row.value.clone()).unwrap_or_default())
                                on:input=move |event| form.update(|form| {
                                    if let Some(row) = form.targets.get_mut(index) { row.value = event_target_value(&event); }
                                })/>
                            <button type="button" on:click=move |_| form.update(|form| { if index < form.targets.len() { form.targets.remove(index); } })>
                                {text.remove}<span class="visually-hidden">{format!(" {} {}", text.target, index + 1)}</span>
                            </button>
                            <p id=problem_id class="problem">{problem}</p>
                        </div>
                    }
                }
            </For>
            <button type="button" on:click=add>{text.add_target}</button>
            <p class="hint">{move || form.with(|form| form.targets.is_empty()).then_some(text.site_wide_hint)}</p>
        </fieldset>
    }
}

#[component]
fn Conflict(
    text: &'static Text,
    theirs: wire::admin::Snippet,
    form: RwSignal<Form>,
    base: RwSignal<Option<wire::admin::Snippet>>,
    conflict: RwSignal<Option<wire::admin::Snippet>>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let their_form = Form::from_snippet(&theirs);
    let mine = form.get_untracked();
    let merge_both = {
        let theirs = theirs.clone();
        let their_form = their_form.clone();
        move |_| {
            let started_from = base.with_untracked(|base| base.as_ref().map(Form::from_snippet)).unwrap_or_default();
            let (merged, clean) = form.with_untracked(|mine| mine.merged(&started_from, &their_form));
            form.set(merged);
            base.set(Some(theirs.clone()));
            conflict.set(None);
            status.set(Some((if clean { text.merged_clean } else { text.merged_with_markers }).to_owned()));
        }
    };
    let keep_mine = {
        let theirs = theirs.clone();
        move |_| {
            base.set(Some(theirs.clone()));
            conflict.set(None);
            status.set(Some(text.kept_mine.to_owned()));
        }
    };
    let take_theirs = {
        let theirs = theirs.clone();
        let their_form = their_form.clone();
        move |_| {
            form.set(their_form.clone());
            base.set(Some(theirs.clone()));
            conflict.set(None);
            status.set(Some(text.took_theirs.to_owned()));
        }
    };
    view! {
        <section class="conflict" role="region" aria-labelledby="conflict-title">
            <h2 id="conflict-title">{format!("{} ({} {})", text.conflict_title, text.version, theirs.version)}</h2>
            <p>{text.conflict_intro}</p>
            <div class="side-by-side">
                <div class="theirs">
                    <h3>{text.their_version}</h3>
                    <p class="field-title">{their_form.title.clone()}</p>
                    <pre class="markdown">{their_form.markdown.clone()}</pre>
                </div>
                <div class="mine">
                    <h3>{text.your_version}</h3>
                    <p class="field-title">{mine.title.clone()}</p>
                    <pre class="markdown">{mine.markdown.clone()}</pre>
                </div>
            </div>
            <div class="actions">
                <button type="button" class="primary" on:click=merge_both>{text.merge_both}</button>
                <button type="button" on:click=keep_mine>{text.keep_mine}</button>
                <button type="button" on:click=take_theirs>{text.take_theirs}</button>
            </div>
        </section>
    }
}

#[component]
fn Translations(
    text: &'static Text,
    snippet: wire::admin::Snippet,
    translations: RwSignal<Vec<wire::admin::Snippet>>,
    locales: Signal<Vec<String>>,
) -> impl IntoView {
    let slug = snippet.slug.clone();
    let id = snippet.id;
    let own_locale = snippet.locale.clone();
    view! {
        <section class="translations" aria-labelledby="translations-title">
            <h2 id="translations-title">{text.translations}</h2>
            <ul>
                {move || translations.get().into_iter().map(|other| view! {
                    <li><a href=Page::Edit(other.id).href()>{format!("{} — {}", other.locale, other.title)}</a></li>
                }).collect_view()}
            </ul>
            <p class="translate-into">
                {move || {
                    let present: Vec<String> = translations.with(|all| all.iter().map(|other| other.locale.clone()).collect());
                    locales.get().into_iter()
                        .filter(|locale| *locale != own_locale && !present.contains(locale))
                        .map(|locale| {
                            let href = Page::New(NewSnippet { slug: slug.clone(), locale: locale.clone(), from: Some(id), ..NewSnippet::default() }).href();
                            view! { <a class="button" href=href>{format!("{} {locale}", text.translate_into)}</a> " " }
                        })
                        .collect_view()
                }}
            </p>
        </section>
    }
}

#[component]
fn History(
    text: &'static Text,
    snippet: wire::admin::Snippet,
    base: RwSignal<Option<wire::admin::Snippet>>,
    baseline: RwSignal<Option<Form>>,
    form: RwSignal<Form>,
    status: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    conflict: RwSignal<Option<wire::admin::Snippet>>,
) -> impl IntoView {
    let console = console();
    let site = console.site();
    let revisions = RwSignal::new(None::<Vec<wire::admin::Revision>>);
    let diff = RwSignal::new(None::<wire::admin::RevisionDiff>);
    let id = snippet.id;
    let load = {
        let site = site.clone();
        move || {
            let site = site.clone();
            spawn_local(async move {
                let path = api::site_path(&site, &format!("/snippets/{id}/revisions"));
                match api::get::<wire::admin::RevisionList>(&path).await {
                    Ok(list) => revisions.set(Some(list.revisions)),
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };
    let show_history = {
        let load = load.clone();
        move |_| load()
    };
    let can_author = console.can(KeyRole::Author);
    view! {
        <section class="history" aria-labelledby="history-title">
            <h2 id="history-title">{text.history}</h2>
            {move || revisions.with(Option::is_none).then(|| view! {
                <button type="button" on:click=show_history.clone()>{text.show_history}</button>
            })}
            {move || revisions.get().map(|list| {
                let site = site.clone();
                let load = load.clone();
                view! {
                    <ol class="revisions">
                        {list.into_iter().map(|revision| {
                            let version = revision.version;
                            let site_for_diff = site.clone();
                            let site_for_restore = site.clone();
                            let load = load.clone();
                            let show_diff = move |_| {
                                let site = site_for_diff.clone();
                                spawn_local(async move {
                                    let path = api::site_path(&site, &format!("/snippets/{id}/revisions/{version}/diff"));
                                    match api::get::<wire::admin::RevisionDiff>(&path).await {
                                        Ok(found) => diff.set(Some(found)),
                                        Err(failure) => error.set(Some(console.failed(&failure))),
                                    }
                                });
                            };
                            let restore = move |_| {
                                let site = site_for_restore.clone();
                                let load = load.clone();
                                let Some(current) = base.get_untracked() else { return };
                                spawn_local(async move {
                                    let path = api::site_path(&site, &format!("/snippets/{id}/revisions/{version}/restore"));
                                    match api::act::<wire::admin::Snippet>(Method::POST, &path, Some(current.version)).await {
                                        Ok(snippet) => {
                                            baseline.set(Some(Form::from_snippet(&snippet)));
                                            form.set(Form::from_snippet(&snippet));
                                            base.set(Some(snippet));
                                            status.set(Some(format!("{} {version}", text.restored_version)));
                                            load();
                                        }
                                        Err(Failure::Stale(theirs)) => conflict.set(Some(*theirs)),
                                        Err(failure) => error.set(Some(console.failed(&failure))),
                                    }
                                });
                            };
                            view! {
                                <li>
                                    <span>{format!("{} {version} · {} · {}", text.version, crate::i18n::short_time(&revision.created_at), revision.actor)}</span>
                                    " "
                                    {(version > 1).then(|| view! { <button type="button" on:click=show_diff>{text.show_changes}<span class="visually-hidden">{format!(" {} {version}", text.version)}</span></button> })}
                                    " "
                                    {can_author.then(|| view! { <button type="button" on:click=restore>{text.restore}<span class="visually-hidden">{format!(" {} {version}", text.version)}</span></button> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }
            })}
            {move || diff.get().map(|found| view! {
                <div class="diff" role="region" aria-label=format!("{} {} → {}", text.changes, found.from, found.to)>
                    <h3>{format!("{} {} → {}", text.changes, found.from, found.to)}</h3>
                    <p>{format!("{}: {}", text.changed_fields, found.changed.join(", "))}</p>
                    <pre>{found.markdown_diff.lines().map(|line| {
                        let class = if line.starts_with('+') && !line.starts_with("+++") { "added" } else if line.starts_with('-') && !line.starts_with("---") { "removed" } else { "same" };
                        view! { <span class=class>{format!("{line}\n")}</span> }
                    }).collect_view()}</pre>
                </div>
            })}
            <p class="hint">{format!("{}: {}", text.your_role, role_name(text, console.session.with_untracked(|session| session.as_ref().map_or(KeyRole::Viewer, |session| session.key.role))))}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet() -> wire::admin::Snippet {
        wire::admin::Snippet {
            id: 4,
            slug: "vat".into(),
            locale: "en".into(),
            title: "VAT".into(),
            markdown: "Line one\nLine two\nLine three\n".into(),
            html: String::new(),
            moment: wire::Moment::Apply,
            targets: vec![TargetSpec::Key("claim.vat".into()), TargetSpec::Url("/claims/:id".into())],
            roles: vec!["employee".into(), "approver".into()],
            priority: 2,
            status: wire::admin::Status::Published,
            publish_at: Some("2027-01-01T08:30:00Z".into()),
            expire_at: None,
            app_versions: Some(">=2".into()),
            version: 3,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn a_snippet_goes_through_the_form_unchanged() {
        let snippet = snippet();
        let input = Form::from_snippet(&snippet).to_input(Some(snippet.status)).unwrap();
        assert_eq!(input.title, snippet.title);
        assert_eq!(input.markdown, snippet.markdown);
        assert_eq!(input.targets, snippet.targets);
        assert_eq!(input.roles, snippet.roles);
        assert_eq!(input.priority, 2);
        assert_eq!(input.publish_at.as_deref(), Some("2027-01-01T08:30:00Z"));
        assert_eq!(input.app_versions.as_deref(), Some(">=2"));
        assert_eq!(input.moment, wire::Moment::Apply);
    }

    #[test]
    fn merging_takes_each_sides_changes_field_by_field() {
        let base = Form::from_snippet(&snippet());
        let mine = Form {
            title: "VAT number".into(),
            markdown: "Line one, mine\nLine two\nLine three\n".into(),
            ..base.clone()
        };
        let theirs = Form {
            roles: "employee".into(),
            markdown: "Line one\nLine two\nLine three, theirs\n".into(),
            ..base.clone()
        };
        let (merged, clean) = mine.merged(&base, &theirs);
        assert!(clean);
        assert_eq!(merged.title, "VAT number");
        assert_eq!(merged.roles, "employee");
        assert_eq!(merged.markdown, "Line one, mine\nLine two\nLine three, theirs\n");
    }

    #[test]
    fn a_new_snippet_for_a_key_gets_a_slug_from_it() {
        let new = NewSnippet { key: "claim.cost-centre".into(), ..NewSnippet::default() };
        assert_eq!(suggested_slug(&new), "claim-cost-centre");
        let new = NewSnippet { title: "Where is my refund?".into(), ..NewSnippet::default() };
        assert_eq!(suggested_slug(&new), "where-is-my-refund");
        assert_eq!(slugify("  Über: die Kostenstelle!  "), "ber-die-kostenstelle");
    }
}
