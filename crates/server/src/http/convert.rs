//! The edge between the engine's types and the wire's: requests in, answers out.
//! Nothing else in the server builds a `wire` value from an `engine` one.

use super::ApiError;
use engine::Locale;

pub const PATH_MAX_LEN: usize = 2048;
/// A focus chain, or for `/v1/hotspots` the distinct keys on a page (the rule the widget applies).
pub const KEYS_MAX: usize = wire::rules::KEYS_MAX;
pub const ROLES_MAX: usize = wire::rules::ROLES_MAX;

fn invalid(name: &'static str, error: impl ToString) -> ApiError {
    ApiError::InvalidParameter { name, message: error.to_string() }
}

/// Checks every context parameter against its limits and builds the engine's context.
pub fn context_from_wire(query: &wire::HelpQuery) -> Result<engine::Context, ApiError> {
    let path = match query.path.as_deref() {
        None | Some("") => None,
        Some(path) if path.chars().count() > PATH_MAX_LEN => {
            return Err(ApiError::ParameterTooLong { name: "path", max: PATH_MAX_LEN });
        }
        Some(path) if !path.starts_with('/') || path.contains(['?', '#']) || path.chars().any(char::is_control) => {
            return Err(invalid(
                "path",
                "a path starts with `/` and has no query string, fragment or control characters",
            ));
        }
        // Read as the browser would: `/a/../b` is `/b`.
        Some(path) => Some(engine::canonical_path(path).into_owned()),
    };
    let route = match query.route.as_deref() {
        None | Some("") => None,
        Some(route) if route.chars().count() > engine::Target::ROUTE_MAX_LEN => {
            return Err(ApiError::ParameterTooLong { name: "route", max: engine::Target::ROUTE_MAX_LEN });
        }
        Some(route) => {
            engine::validate_route(route).map_err(|error| invalid("route", error))?;
            Some(route.to_owned())
        }
    };
    let keys = list("keys", query.keys.as_deref(), KEYS_MAX, engine::validate_help_key)?;
    let roles = list("roles", query.roles.as_deref(), ROLES_MAX, engine::validate_role)?;
    let locale = match query.locale.as_deref() {
        None | Some("") => None,
        Some(tag) => Some(Locale::parse(tag).map_err(|error| ApiError::InvalidLocale(error.to_string()))?),
    };
    let app_version = match query.app_version.as_deref() {
        None | Some("") => None,
        Some(version) => Some(engine::parse_app_version(version).map_err(|error| invalid("app_version", error))?),
    };
    Ok(engine::Context { path, route, keys, roles, locale, app_version })
}

fn list(
    name: &'static str,
    text: Option<&str>,
    max_items: usize,
    validate: fn(&str) -> Result<(), engine::Error>,
) -> Result<Vec<String>, ApiError> {
    let mut items = Vec::new();
    for item in wire::split_list(text) {
        if items.len() == max_items {
            return Err(ApiError::ParameterTooLong { name, max: max_items });
        }
        validate(item).map_err(|error| invalid(name, error))?;
        items.push(item.to_owned());
    }
    Ok(items)
}

pub fn moment_to_wire(moment: engine::Moment) -> wire::Moment {
    match moment {
        engine::Moment::New => wire::Moment::New,
        engine::Moment::More => wire::Moment::More,
        engine::Moment::Apply => wire::Moment::Apply,
        engine::Moment::Solve => wire::Moment::Solve,
        engine::Moment::Change => wire::Moment::Change,
    }
}

pub fn reason_to_wire(reason: &engine::Reason<'_>) -> wire::Reason {
    wire::Reason {
        kind: match reason.kind {
            engine::MatchKind::FieldKey => wire::ReasonKind::FieldKey,
            engine::MatchKind::AncestorKey(_) => wire::ReasonKind::AncestorKey,
            engine::MatchKind::Route => wire::ReasonKind::Route,
            engine::MatchKind::UrlPattern => wire::ReasonKind::UrlPattern,
            engine::MatchKind::SiteWide => wire::ReasonKind::SiteWide,
        },
        target: reason.target.map(str::to_owned),
        role: reason.role.map(str::to_owned),
        locale: reason.locale.to_string(),
    }
}

pub fn card_to_wire(found: &engine::Match<'_>) -> wire::Card {
    let snippet = found.snippet;
    wire::Card {
        id: snippet.id,
        title: snippet.title.clone(),
        html: snippet.html.clone(),
        moment: moment_to_wire(snippet.moment),
        reason: reason_to_wire(&found.reason),
    }
}

/// A snippet's card as JSON up to (not including) its reason, built once per index.
/// `write_help_body` completes it; a test holds it equal to serializing `card_to_wire`.
pub fn card_prefix(snippet: &engine::Snippet) -> Box<str> {
    let json = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let moment = json(moment_to_wire(snippet.moment).as_str());
    format!(
        r#"{{"id":{},"title":{},"html":{},"moment":{moment},"reason":"#,
        snippet.id,
        json(&snippet.title),
        json(&snippet.html)
    )
    .into_boxed_str()
}

/// `{"snippets":[…]}` for these matches, from the entry's prepared card prefixes.
pub fn write_help_body(card_prefixes: &[Box<str>], matches: &[engine::Match<'_>], truncated: bool) -> Vec<u8> {
    let capacity = matches.iter().map(|found| card_prefixes[found.position].len() + 160).sum::<usize>() + 16;
    let mut body = Vec::with_capacity(capacity);
    body.extend_from_slice(b"{\"snippets\":[");
    for (index, found) in matches.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(card_prefixes[found.position].as_bytes());
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut body, &reason_to_wire(&found.reason));
        body.push(b'}');
    }
    body.extend_from_slice(if truncated { b"],\"truncated\":true}" } else { b"]}" });
    body
}

pub fn search_hit_to_wire(hit: &engine::SearchHit<'_>) -> wire::SearchHit {
    let snippet = hit.snippet;
    wire::SearchHit {
        id: snippet.id,
        title: snippet.title.clone(),
        html: snippet.html.clone(),
        excerpt: hit.excerpt.clone(),
        moment: moment_to_wire(snippet.moment),
        score: hit.score,
        reason: hit.context.as_ref().map(reason_to_wire),
    }
}

pub fn moment_from_wire(moment: wire::Moment) -> engine::Moment {
    match moment {
        wire::Moment::New => engine::Moment::New,
        wire::Moment::More => engine::Moment::More,
        wire::Moment::Apply => engine::Moment::Apply,
        wire::Moment::Solve => engine::Moment::Solve,
        wire::Moment::Change => engine::Moment::Change,
    }
}

pub fn status_to_wire(status: engine::Status) -> wire::admin::Status {
    match status {
        engine::Status::Draft => wire::admin::Status::Draft,
        engine::Status::Published => wire::admin::Status::Published,
        engine::Status::Archived => wire::admin::Status::Archived,
    }
}

pub fn status_from_wire(status: wire::admin::Status) -> engine::Status {
    match status {
        wire::admin::Status::Draft => engine::Status::Draft,
        wire::admin::Status::Published => engine::Status::Published,
        wire::admin::Status::Archived => engine::Status::Archived,
    }
}

pub fn role_to_wire(role: store::Role) -> wire::admin::KeyRole {
    match role {
        store::Role::Viewer => wire::admin::KeyRole::Viewer,
        store::Role::Author => wire::admin::KeyRole::Author,
        store::Role::Publisher => wire::admin::KeyRole::Publisher,
        store::Role::Owner => wire::admin::KeyRole::Owner,
    }
}

pub fn role_from_wire(role: wire::admin::KeyRole) -> store::Role {
    match role {
        wire::admin::KeyRole::Viewer => store::Role::Viewer,
        wire::admin::KeyRole::Author => store::Role::Author,
        wire::admin::KeyRole::Publisher => store::Role::Publisher,
        wire::admin::KeyRole::Owner => store::Role::Owner,
    }
}

/// Unix seconds as RFC 3339 (`2027-01-01T00:00:00Z`).
pub fn time_to_wire(seconds: engine::Timestamp) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |timestamp| timestamp.to_string())
}

pub fn target_from_wire(target: wire::admin::TargetSpec) -> engine::Target {
    match target {
        wire::admin::TargetSpec::Key(key) => engine::Target::Key(key),
        wire::admin::TargetSpec::Route(route) => engine::Target::Route(route),
        wire::admin::TargetSpec::Url(pattern) => engine::Target::UrlPattern(pattern),
    }
}

fn target_to_wire(target: &engine::Target) -> wire::admin::TargetSpec {
    match target {
        engine::Target::Key(key) => wire::admin::TargetSpec::Key(key.clone()),
        engine::Target::Route(route) => wire::admin::TargetSpec::Route(route.clone()),
        engine::Target::UrlPattern(pattern) => wire::admin::TargetSpec::Url(pattern.clone()),
    }
}

pub fn draft_to_wire(draft: &store::SnippetDraft) -> wire::admin::SnippetInput {
    wire::admin::SnippetInput {
        slug: draft.slug.clone(),
        locale: Some(draft.locale.to_string()),
        title: draft.title.clone(),
        markdown: draft.markdown.clone(),
        moment: moment_to_wire(draft.moment),
        targets: draft.targets.iter().map(target_to_wire).collect(),
        roles: draft.roles.clone(),
        priority: draft.priority,
        status: Some(status_to_wire(draft.status)),
        publish_at: draft.publish_at.map(time_to_wire),
        expire_at: draft.expire_at.map(time_to_wire),
        app_versions: draft.app_versions.as_ref().map(ToString::to_string),
    }
}

pub fn snippet_to_wire(stored: &store::StoredSnippet) -> wire::admin::Snippet {
    let draft = &stored.draft;
    wire::admin::Snippet {
        id: stored.id,
        slug: draft.slug.clone(),
        locale: draft.locale.to_string(),
        title: draft.title.clone(),
        markdown: draft.markdown.clone(),
        html: stored.html.clone(),
        moment: moment_to_wire(draft.moment),
        targets: draft.targets.iter().map(target_to_wire).collect(),
        roles: draft.roles.clone(),
        priority: draft.priority,
        status: status_to_wire(draft.status),
        publish_at: draft.publish_at.map(time_to_wire),
        expire_at: draft.expire_at.map(time_to_wire),
        app_versions: draft.app_versions.as_ref().map(ToString::to_string),
        version: stored.version,
        created_at: time_to_wire(stored.created_at),
        updated_at: time_to_wire(stored.updated_at),
    }
}

/// An author's snippet as a draft the store accepts; `default_locale` fills a missing locale.
pub fn draft_from_wire(
    input: wire::admin::SnippetInput,
    default_locale: &Locale,
    status: engine::Status,
) -> Result<store::SnippetDraft, ApiError> {
    let invalid = |field: &str, message: String| ApiError::Validation(format!("`{field}`: {message}"));
    let locale = match input.locale.as_deref() {
        None | Some("") => default_locale.clone(),
        Some(tag) => Locale::parse(tag).map_err(|error| invalid("locale", error.to_string()))?,
    };
    let time = |field: &str, value: Option<&str>| {
        value
            .map(|value| crate::import::parse_time(value.trim()).map_err(|message| invalid(field, message)))
            .transpose()
    };
    let app_versions = input
        .app_versions
        .as_deref()
        .map(|range| engine::parse_app_versions(range).map_err(|error| invalid("app_versions", error.to_string())))
        .transpose()?;
    let draft = store::SnippetDraft {
        slug: input.slug,
        locale,
        title: input.title,
        markdown: input.markdown,
        moment: moment_from_wire(input.moment),
        roles: input.roles,
        priority: input.priority,
        status,
        targets: input.targets.into_iter().map(target_from_wire).collect(),
        publish_at: time("publish_at", input.publish_at.as_deref())?,
        expire_at: time("expire_at", input.expire_at.as_deref())?,
        app_versions,
    };
    draft.validate().map_err(|error| ApiError::Validation(error.to_string()))?;
    Ok(draft)
}

pub fn key_to_wire(key: &store::ApiKey) -> wire::admin::Key {
    wire::admin::Key {
        id: key.id,
        prefix: format!("{}{}…", store::keys::PREFIX, key.lookup),
        role: role_to_wire(key.role),
        label: key.label.clone(),
        created_at: time_to_wire(key.created_at),
        expires_at: key.expires_at.map(time_to_wire),
        revoked_at: key.revoked_at.map(time_to_wire),
        last_used_at: key.last_used_at.map(time_to_wire),
    }
}

pub fn site_to_wire(site: &store::Site) -> wire::admin::Site {
    wire::admin::Site {
        key: site.public_key.clone(),
        name: site.name.clone(),
        origins: site.origins.clone(),
        default_locale: site.default_locale.to_string(),
        locales: site.locales.iter().map(ToString::to_string).collect(),
        // Stored settings were validated on write; an unreadable value shows as the defaults.
        widget: serde_json::from_str(&site.widget_settings).unwrap_or_default(),
        version: site.settings_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use engine::{SiteIndex, SiteSettings, Snippet, Status, Target};

    #[test]
    fn the_wire_rules_the_widget_applies_are_the_engines() {
        let long = |n: usize| "k".repeat(n);
        let samples = [
            "claim.vat-number",
            "app:role_2",
            "",
            " ",
            "claim vat",
            "claim/vat",
            "clé",
            "a*",
            "a,b",
            "é",
            &long(64),
            &long(65),
            &long(128),
            &long(129),
        ];
        for sample in samples {
            assert_eq!(wire::rules::is_help_key(sample), engine::validate_help_key(sample).is_ok(), "key {sample:?}");
            assert_eq!(wire::rules::is_role(sample), engine::validate_role(sample).is_ok(), "role {sample:?}");
        }
        assert_eq!(wire::rules::SEARCH_MAX_CHARS, engine::search::QUERY_MAX_LEN);
    }

    #[test]
    fn prepared_cards_equal_serialized_cards() {
        let snippet = |id: i64, title: &str, html: &str, targets: Vec<Target>| Snippet {
            id,
            slug: format!("s{id}"),
            locale: Locale::parse("en").unwrap(),
            title: title.into(),
            html: html.into(),
            moment: engine::Moment::Solve,
            roles: vec!["approver".into()],
            priority: 0,
            status: Status::Published,
            targets,
            publish_at: None,
            expire_at: None,
            app_versions: None,
            text: String::new(),
        };
        let mut builder = SiteIndex::builder(SiteSettings { default_locale: Locale::parse("en").unwrap() });
        builder
            .add(snippet(1, "Quotes \" and \\ and \u{1}", "<p>é \u{2028}</p>\n", vec![Target::Key("a.b".into())]))
            .unwrap();
        builder.add(snippet(2, "Plain", "<p>x</p>", vec![])).unwrap();
        let index = builder.build();
        let prefixes: Vec<Box<str>> = index.snippets().iter().map(card_prefix).collect();
        let context =
            engine::Context { keys: vec!["a.b".into()], roles: vec!["approver".into()], ..engine::Context::default() };
        let matches = index.resolve(&context, 0);
        assert_eq!(matches.len(), 2);
        let fast = write_help_body(&prefixes, &matches, false);
        let slow = serde_json::to_vec(&wire::HelpResponse {
            snippets: matches.iter().map(card_to_wire).collect(),
            truncated: false,
        })
        .unwrap();
        assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
    }
}
