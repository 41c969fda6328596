//! The site: its settings (name, origins, locales, the widget's look with a live preview of the
//! launcher and panel), its secret keys (create — shown once —, rotate with overlap, revoke) and
//! the embed snippet, ready to copy. Owners only; the service checks again.

use crate::api::{self, Failure};
use crate::app::{Alert, Status, console, copy, set_title, table_region};
use crate::i18n::{Text, role_name};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::admin::{KeyRole, LauncherPosition, Site, SitePatch, WidgetSettings};

/// The form's text fields for a site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SiteForm {
    name: String,
    /// One per line.
    origins: String,
    /// Comma-separated.
    locales: String,
    widget: WidgetSettings,
}

impl SiteForm {
    fn of(site: &Site) -> SiteForm {
        SiteForm {
            name: site.name.clone(),
            origins: site.origins.join("\n"),
            locales: site.locales.join(", "),
            widget: site.widget.clone(),
        }
    }

    fn patch(&self) -> SitePatch {
        SitePatch {
            name: Some(self.name.trim().to_owned()),
            origins: Some(
                self.origins.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect(),
            ),
            locales: Some(wire::split_list(Some(&self.locales)).map(str::to_owned).collect()),
            widget: Some(self.widget.clone()),
            ..SitePatch::default()
        }
    }
}

/// The one line an app developer pastes into the host app's pages.
pub fn embed_snippet(service_origin: &str, site_key: &str, locale: &str) -> String {
    format!(
        "<script async src=\"{service_origin}/widget/cuecard.js\" data-site=\"{site_key}\" data-locale=\"{locale}\"></script>"
    )
}

fn optional(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

#[component]
pub fn SitePage(text: &'static Text) -> impl IntoView {
    let console = console();
    set_title(text.nav_site);
    let site = RwSignal::new(None::<Site>);
    let form = RwSignal::new(SiteForm::default());
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let site_key = console.site();
    {
        let site_key = site_key.clone();
        spawn_local(async move {
            match api::get::<Site>(&api::site_path(&site_key, "")).await {
                Ok(found) => {
                    form.set(SiteForm::of(&found));
                    site.set(Some(found));
                }
                Err(failure) => error.set(Some(console.failed(&failure))),
            }
        });
    }
    let save = {
        let site_key = site_key.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let Some(current) = site.get_untracked() else { return };
            let patch = form.with_untracked(SiteForm::patch);
            let site_key = site_key.clone();
            spawn_local(async move {
                match api::send::<_, Site>(Method::PATCH, &api::site_path(&site_key, ""), Some(current.version), &patch)
                    .await
                {
                    Ok(saved) => {
                        form.set(SiteForm::of(&saved));
                        site.set(Some(saved));
                        error.set(None);
                        status.set(Some(text.saved.into()));
                    }
                    Err(Failure::StaleSite(theirs)) => {
                        // Keep what was typed; base it on their version so saving again applies it.
                        site.set(Some(*theirs));
                        error.set(Some(text.site_conflict.into()));
                    }
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };
    let origin = web_sys::window().and_then(|window| window.location().origin().ok()).unwrap_or_default();
    let embed = move || {
        let locale =
            site.with(|site| site.as_ref().map(|site| site.default_locale.clone()).unwrap_or_else(|| "en".into()));
        embed_snippet(&origin, &site_key, &locale)
    };
    let copied = RwSignal::new(None::<String>);
    let text_input = move |id: &'static str,
                           label: &'static str,
                           get: fn(&WidgetSettings) -> Option<String>,
                           set: fn(&mut WidgetSettings, Option<String>)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="text"
                    prop:value=move || form.with(|form| get(&form.widget).unwrap_or_default())
                    on:input=move |event| form.update(|form| set(&mut form.widget, optional(event_target_value(&event))))/>
            </div>
        }
    };
    let color_input = move |id: &'static str,
                            label: &'static str,
                            fallback: &'static str,
                            get: fn(&WidgetSettings) -> Option<String>,
                            set: fn(&mut WidgetSettings, Option<String>)| {
        view! {
            <div class="field color">
                <label for=id>{label}</label>
                <input id=id type="color"
                    prop:value=move || form.with(|form| get(&form.widget).unwrap_or_else(|| fallback.into()))
                    on:input=move |event| form.update(|form| set(&mut form.widget, optional(event_target_value(&event))))/>
            </div>
        }
    };
    view! {
        <h1 tabindex="-1">{text.nav_site}</h1>
        <Alert message=error/>
        <Status message=status/>
        <section aria-labelledby="settings-title">
            <h2 id="settings-title">{text.settings}</h2>
            <form class="site-form" on:submit=save>
                <div class="field">
                    <label for="site-name">{text.site_name}</label>
                    <input id="site-name" type="text" required=true prop:value=move || form.with(|form| form.name.clone())
                        on:input=move |event| form.update(|form| form.name = event_target_value(&event))/>
                </div>
                <div class="field">
                    <label for="site-origins">{text.origins}</label>
                    <textarea id="site-origins" rows="3" aria-describedby="origins-hint" prop:value=move || form.with(|form| form.origins.clone())
                        on:input=move |event| form.update(|form| form.origins = event_target_value(&event))></textarea>
                    <p id="origins-hint" class="hint">{text.origins_hint}</p>
                </div>
                <div class="field">
                    <label for="site-locales">{text.locales}</label>
                    <input id="site-locales" type="text" aria-describedby="locales-hint" prop:value=move || form.with(|form| form.locales.clone())
                        on:input=move |event| form.update(|form| form.locales = event_target_value(&event))/>
                    <p id="locales-hint" class="hint">{text.locales_hint}</p>
                </div>
                <fieldset class="look">
                    <legend>{text.widget_look}</legend>
                    <div class="look-fields">
                        {text_input("launcher-label", text.launcher_label, |widget| widget.launcher_label.clone(), |widget, value| widget.launcher_label = value)}
                        <div class="field">
                            <label for="launcher-position">{text.launcher_position}</label>
                            <select id="launcher-position" on:change=move |event| form.update(|form| {
                                form.widget.position = if event_target_value(&event) == "left" { LauncherPosition::BottomLeft } else { LauncherPosition::BottomRight };
                            })>
                                <option value="right" selected=move || form.with(|form| form.widget.position == LauncherPosition::BottomRight)>{text.bottom_right}</option>
                                <option value="left" selected=move || form.with(|form| form.widget.position == LauncherPosition::BottomLeft)>{text.bottom_left}</option>
                            </select>
                        </div>
                        {color_input("accent-color", text.accent_color, "#1f5fbf", |widget| widget.accent_color.clone(), |widget, value| widget.accent_color = value)}
                        {color_input("surface-color", text.surface_color, "#ffffff", |widget| widget.surface_color.clone(), |widget, value| widget.surface_color = value)}
                        {color_input("text-color", text.text_color, "#1a1a1a", |widget| widget.text_color.clone(), |widget, value| widget.text_color = value)}
                        <div class="field">
                            <label for="radius">{text.corner_radius}</label>
                            <input id="radius" type="number" min="0" max="24"
                                prop:value=move || form.with(|form| form.widget.radius_px.map(|radius| radius.to_string()).unwrap_or_default())
                                on:input=move |event| form.update(|form| form.widget.radius_px = event_target_value(&event).parse().ok())/>
                        </div>
                        {text_input("font", text.font, |widget| widget.font.clone(), |widget, value| widget.font = value)}
                        <div class="field check">
                            <input id="hotspots" type="checkbox" prop:checked=move || form.with(|form| form.widget.hotspots)
                                on:change=move |event| form.update(|form| form.widget.hotspots = event_target_checked(&event))/>
                            <label for="hotspots">{text.hotspots}</label>
                        </div>
                    </div>
                    <LookPreview text form/>
                </fieldset>
                <button type="submit" class="primary">{text.save_settings}</button>
            </form>
        </section>
        <section aria-labelledby="embed-title">
            <h2 id="embed-title">{text.embed}</h2>
            <p>{text.embed_hint}</p>
            <pre class="embed"><code>{embed.clone()}</code></pre>
            <button type="button" on:click=move |_| copy(embed(), copied, text.copied)>{text.copy_embed}</button>
            <Status message=copied/>
        </section>
        <Keys text/>
    }
}

/// The launcher and the panel as the site's look would draw them, changing as the author picks.
#[component]
fn LookPreview(text: &'static Text, form: RwSignal<SiteForm>) -> impl IntoView {
    let widget = move || form.with(|form| form.widget.clone());
    let color = |value: Option<String>, fallback: &str| value.unwrap_or_else(|| fallback.to_owned());
    view! {
        <div class="look-preview" aria-label=text.look_preview role="group">
            <p class="hint">{text.look_preview}</p>
            <div class="preview-stage" class:left=move || widget().position == LauncherPosition::BottomLeft>
                <div class="preview-panel"
                    style:background-color=move || color(widget().surface_color, "#ffffff")
                    style:color=move || color(widget().text_color, "#1a1a1a")
                    style:border-radius=move || format!("{}px", widget().radius_px.unwrap_or(12))
                    style:font-family=move || widget().font.unwrap_or_else(|| "system-ui, sans-serif".into())>
                    <p class="preview-heading">{text.preview_panel_heading}</p>
                    <p class="preview-card" style:border-color=move || color(widget().accent_color, "#1f5fbf")>{text.preview_card}</p>
                </div>
                <span class="preview-launcher"
                    style:background-color=move || color(widget().accent_color, "#1f5fbf")
                    style:font-family=move || widget().font.unwrap_or_else(|| "system-ui, sans-serif".into())>
                    {move || widget().launcher_label.unwrap_or_else(|| text.preview_launcher.into())}
                </span>
            </div>
        </div>
    }
}

#[component]
fn Keys(text: &'static Text) -> impl IntoView {
    let console = console();
    let site_key = console.site();
    let keys = RwSignal::new(Vec::<wire::admin::Key>::new());
    let created = RwSignal::new(None::<wire::admin::CreatedKey>);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let role = RwSignal::new(KeyRole::Author);
    let label = RwSignal::new(String::new());
    let reload = {
        let site_key = site_key.clone();
        move || {
            let site_key = site_key.clone();
            spawn_local(async move {
                match api::get::<wire::admin::KeyList>(&api::site_path(&site_key, "/keys")).await {
                    Ok(list) => keys.set(list.keys),
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };
    reload();
    let create = {
        let site_key = site_key.clone();
        let reload = reload.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let request = wire::admin::KeyCreate { role: role.get_untracked(), label: label.get_untracked() };
            let site_key = site_key.clone();
            let reload = reload.clone();
            spawn_local(async move {
                match api::send::<_, wire::admin::CreatedKey>(
                    Method::POST,
                    &api::site_path(&site_key, "/keys"),
                    None,
                    &request,
                )
                .await
                {
                    Ok(new) => {
                        created.set(Some(new));
                        label.set(String::new());
                        error.set(None);
                        reload();
                    }
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };
    let key_action = {
        let site_key = site_key.clone();
        let reload = reload.clone();
        move |id: i64, rotate: bool| {
            let site_key = site_key.clone();
            let reload = reload.clone();
            spawn_local(async move {
                let result = if rotate {
                    let path = api::site_path(&site_key, &format!("/keys/{id}/rotate"));
                    api::send::<_, wire::admin::CreatedKey>(
                        Method::POST,
                        &path,
                        None,
                        &wire::admin::KeyRotate { overlap_seconds: None },
                    )
                    .await
                    .map(|new| created.set(Some(new)))
                } else {
                    api::act::<wire::admin::Key>(
                        Method::DELETE,
                        &api::site_path(&site_key, &format!("/keys/{id}")),
                        None,
                    )
                    .await
                    .map(|_| status.set(Some(text.revoked.into())))
                };
                match result {
                    Ok(()) => reload(),
                    Err(failure) => error.set(Some(console.failed(&failure))),
                }
            });
        }
    };
    let copied = RwSignal::new(None::<String>);
    view! {
        <section aria-labelledby="keys-title">
            <h2 id="keys-title">{text.keys}</h2>
            <Alert message=error/>
            <Status message=status/>
            {move || created.get().map(|new| {
                let secret = new.secret.clone();
                view! {
                    <div class="notice new-key" role="status">
                        <p><strong>{text.key_shown_once}</strong></p>
                        <label for="new-secret">{format!("{} ({})", text.new_key, role_name(text, new.key.role))}</label>
                        <input id="new-secret" type="text" readonly=true value=secret.clone()/>
                        <button type="button" on:click=move |_| copy(secret.clone(), copied, text.copied)>{text.copy_key}</button>
                        <Status message=copied/>
                    </div>
                }
            })}
            {table_region(
                text.keys.into(),
                None,
                vec![text.key_label, text.role, text.key_prefix, text.last_used, text.key_state],
                Some(text.actions),
                        {move || keys.get().into_iter().map(|key| {
                            let active = key.revoked_at.is_none();
                            let state = match (&key.revoked_at, &key.expires_at) {
                                (Some(at), _) => format!("{} {}", text.revoked, crate::i18n::short_time(at)),
                                (None, Some(at)) => format!("{} {}", text.expires, crate::i18n::short_time(at)),
                                (None, None) => text.active.into(),
                            };
                            let id = key.id;
                            let rotate = key_action.clone();
                            let revoke = key_action.clone();
                            let label = key.label.clone();
                            view! {
                                <tr>
                                    <td>{key.label.clone()}</td>
                                    <td>{role_name(text, key.role)}</td>
                                    <td><code>{key.prefix.clone()}</code></td>
                                    <td>{key.last_used_at.as_deref().map(crate::i18n::short_time).unwrap_or_else(|| text.never.into())}</td>
                                    <td>{state}</td>
                                    <td>
                                        {active.then(|| view! {
                                            <button type="button" on:click=move |_| rotate(id, true)>{text.rotate}<span class="visually-hidden">{format!(" {label}")}</span></button>
                                            " "
                                            <button type="button" class="danger" on:click=move |_| revoke(id, false)>{text.revoke}<span class="visually-hidden">{format!(" {}", key.label)}</span></button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()},
            )}
            <p class="hint">{text.rotate_hint}</p>
            <form class="new-key-form" on:submit=create>
                <h3>{text.create_key}</h3>
                <div class="row">
                    <div class="field">
                        <label for="new-key-role">{text.role}</label>
                        <select id="new-key-role" on:change=move |event| {
                            if let Ok(found) = serde_json::from_value::<KeyRole>(serde_json::Value::String(event_target_value(&event))) {
                                role.set(found);
                            }
                        }>
                            {[KeyRole::Viewer, KeyRole::Author, KeyRole::Publisher, KeyRole::Owner].into_iter().map(|option| {
                                let value = format!("{option:?}").to_lowercase();
                                view! { <option value=value selected=option == KeyRole::Author>{role_name(text, option)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="new-key-label">{text.key_label}</label>
                        <input id="new-key-label" type="text" required=true maxlength="100"
                            prop:value=move || label.get() on:input=move |event| label.set(event_target_value(&event))/>
                    </div>
                </div>
                <button type="submit">{text.create_key}</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embed_snippet_is_one_script_tag_for_the_site() {
        assert_eq!(
            embed_snippet("https://help.example.com", "pk_demo_acme", "en"),
            "<script async src=\"https://help.example.com/widget/cuecard.js\" data-site=\"pk_demo_acme\" data-locale=\"en\"></script>"
        );
    }
}
