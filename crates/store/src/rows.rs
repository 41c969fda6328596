//! What both backends share: rows as they are stored and their conversion to the store's types,
//! the JSON columns, and the checks a write makes before it reaches the database.

use crate::*;
use engine::{Locale, Moment, Status, Target};
use sqlx::FromRow;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(FromRow)]
pub(crate) struct SiteRow {
    pub(crate) id: i64,
    pub(crate) public_key: String,
    pub(crate) name: String,
    pub(crate) origins: String,
    pub(crate) default_locale: String,
    pub(crate) locales: String,
    pub(crate) widget_settings: String,
    pub(crate) content_version: i64,
    pub(crate) settings_version: i64,
}

pub(crate) const SITE_COLUMNS: &str =
    "id, public_key, name, origins, default_locale, locales, widget_settings, content_version, settings_version";

#[derive(FromRow)]
pub(crate) struct SnippetRow {
    pub(crate) id: i64,
    pub(crate) site_id: i64,
    pub(crate) slug: String,
    pub(crate) locale: String,
    pub(crate) title: String,
    pub(crate) body_markdown: String,
    pub(crate) body_html: String,
    pub(crate) moment: String,
    pub(crate) roles: String,
    pub(crate) priority: i64,
    pub(crate) status: String,
    pub(crate) publish_at: Option<i64>,
    pub(crate) expire_at: Option<i64>,
    pub(crate) app_versions: Option<String>,
    pub(crate) version: i64,
    pub(crate) imported_version: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) const SNIPPET_COLUMNS: &str =
    "id, site_id, slug, locale, title, body_markdown, body_html, moment, roles, priority,
     status, publish_at, expire_at, app_versions, version, imported_version, created_at, updated_at";

#[derive(FromRow)]
pub(crate) struct RevisionRow {
    pub(crate) version: i64,
    pub(crate) title: String,
    pub(crate) body_markdown: String,
    pub(crate) moment: String,
    pub(crate) roles: String,
    pub(crate) priority: i64,
    pub(crate) status: String,
    pub(crate) publish_at: Option<i64>,
    pub(crate) expire_at: Option<i64>,
    pub(crate) app_versions: Option<String>,
    pub(crate) targets: String,
    pub(crate) actor: String,
    pub(crate) created_at: i64,
}

#[derive(FromRow)]
pub(crate) struct KeyRow {
    pub(crate) id: i64,
    pub(crate) site_id: i64,
    pub(crate) lookup: String,
    pub(crate) role: String,
    pub(crate) label: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: Option<i64>,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) last_used_at: Option<i64>,
}

pub(crate) const KEY_COLUMNS: &str =
    "id, site_id, lookup, role, label, created_at, expires_at, revoked_at, last_used_at";

/// What serving needs of a snippet: its HTML and plain text, not its Markdown.
#[derive(FromRow)]
pub(crate) struct ServableRow {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) locale: String,
    pub(crate) title: String,
    pub(crate) body_html: String,
    pub(crate) body_text: Option<String>,
    pub(crate) moment: String,
    pub(crate) roles: String,
    pub(crate) priority: i64,
    pub(crate) status: String,
    pub(crate) publish_at: Option<i64>,
    pub(crate) expire_at: Option<i64>,
    pub(crate) app_versions: Option<String>,
}

impl ServableRow {
    /// The snippet as the engine serves it, with its targets (in order).
    pub(crate) fn into_snippet(self, targets: Vec<Target>) -> Result<engine::Snippet> {
        Ok(engine::Snippet {
            id: self.id,
            slug: self.slug,
            locale: Locale::parse(&self.locale).map_err(corrupt)?,
            title: self.title,
            html: self.body_html,
            moment: Moment::parse(&self.moment).map_err(corrupt)?,
            roles: from_json(&self.roles)?,
            priority: i32::try_from(self.priority).map_err(corrupt)?,
            status: Status::parse(&self.status).map_err(corrupt)?,
            targets,
            publish_at: self.publish_at,
            expire_at: self.expire_at,
            app_versions: self.app_versions.as_deref().map(engine::parse_app_versions).transpose().map_err(corrupt)?,
            text: self.body_text.unwrap_or_default(),
        })
    }
}

#[derive(FromRow)]
pub(crate) struct TargetRow {
    pub(crate) snippet_id: i64,
    pub(crate) kind: String,
    pub(crate) value: String,
}

/// A failed migration as the store reports it: a database a newer release migrated (an applied
/// migration above this binary's newest) is refused with a clear message.
pub(crate) fn migration_error(migrator: &sqlx::migrate::Migrator, error: sqlx::migrate::MigrateError) -> Error {
    let known = migrator.iter().map(|migration| migration.version).max().unwrap_or(0);
    match error {
        // (An applied migration this binary lacks below its newest is not "newer": a removed or
        // renumbered one, reported as sqlx says.)
        sqlx::migrate::MigrateError::VersionMissing(applied) if applied > known => {
            Error::NewerDatabase { applied, known }
        }
        other => Error::Migration(other),
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Corrupt(what.to_string())
}

pub(crate) fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|error| corrupt(format!("JSON list `{text}`: {error}")))
}

pub(crate) fn locales_to_json(locales: &[Locale]) -> String {
    to_json(&locales.iter().map(|locale| locale.as_str().to_owned()).collect::<Vec<_>>())
}

pub(crate) fn targets_to_json(targets: &[Target]) -> String {
    let pairs: Vec<[&str; 2]> = targets
        .iter()
        .map(|target| {
            let (kind, value) = target_parts(target);
            [kind, value]
        })
        .collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn targets_from_json(text: &str) -> Result<Vec<Target>> {
    let pairs: Vec<(String, String)> =
        serde_json::from_str(text).map_err(|error| corrupt(format!("targets `{text}`: {error}")))?;
    pairs.into_iter().map(|(kind, value)| target_from_parts(&kind, value)).collect()
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database) if database.is_unique_violation())
}

pub(crate) fn target_parts(target: &Target) -> (&'static str, &str) {
    match target {
        Target::Key(key) => ("key", key),
        Target::Route(route) => ("route", route),
        Target::UrlPattern(pattern) => ("url", pattern),
    }
}

pub(crate) fn target_from_parts(kind: &str, value: String) -> Result<Target> {
    match kind {
        "key" => Ok(Target::Key(value)),
        "route" => Ok(Target::Route(value)),
        "url" => Ok(Target::UrlPattern(value)),
        other => Err(corrupt(format!("target kind `{other}`"))),
    }
}

impl SiteRow {
    pub(crate) fn into_site(self) -> Result<Site> {
        let default_locale = Locale::parse(&self.default_locale).map_err(corrupt)?;
        let others = from_json(&self.locales)?
            .iter()
            .map(|locale| Locale::parse(locale).map_err(corrupt))
            .collect::<Result<Vec<_>>>()?;
        Ok(Site {
            id: self.id,
            public_key: self.public_key,
            name: self.name,
            origins: from_json(&self.origins)?,
            locales: crate::site_locales(&default_locale, &others),
            default_locale,
            widget_settings: self.widget_settings,
            content_version: self.content_version,
            settings_version: self.settings_version,
        })
    }
}

/// The parts of a draft every snippet-shaped row has.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_from_parts(
    slug: String,
    locale: &str,
    title: String,
    markdown: String,
    moment: &str,
    roles: &str,
    priority: i64,
    status: &str,
    publish_at: Option<i64>,
    expire_at: Option<i64>,
    app_versions: Option<&str>,
    targets: Vec<Target>,
) -> Result<SnippetDraft> {
    Ok(SnippetDraft {
        slug,
        locale: Locale::parse(locale).map_err(corrupt)?,
        title,
        markdown,
        moment: Moment::parse(moment).map_err(corrupt)?,
        roles: from_json(roles)?,
        priority: i32::try_from(priority).map_err(corrupt)?,
        status: Status::parse(status).map_err(corrupt)?,
        targets,
        publish_at,
        expire_at,
        app_versions: app_versions.map(engine::parse_app_versions).transpose().map_err(corrupt)?,
    })
}

impl SnippetRow {
    pub(crate) fn into_stored(self, targets: Vec<Target>) -> Result<StoredSnippet> {
        let draft = draft_from_parts(
            self.slug,
            &self.locale,
            self.title,
            self.body_markdown,
            &self.moment,
            &self.roles,
            self.priority,
            &self.status,
            self.publish_at,
            self.expire_at,
            self.app_versions.as_deref(),
            targets,
        )?;
        Ok(StoredSnippet {
            id: self.id,
            site_id: self.site_id,
            draft,
            html: self.body_html,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl RevisionRow {
    pub(crate) fn into_revision(self, slug: &str, locale: &str) -> Result<Revision> {
        let targets = targets_from_json(&self.targets)?;
        let draft = draft_from_parts(
            slug.to_owned(),
            locale,
            self.title,
            self.body_markdown,
            &self.moment,
            &self.roles,
            self.priority,
            &self.status,
            self.publish_at,
            self.expire_at,
            self.app_versions.as_deref(),
            targets,
        )?;
        Ok(Revision { version: self.version, draft, actor: self.actor, created_at: self.created_at })
    }
}

impl KeyRow {
    pub(crate) fn into_key(self) -> Result<ApiKey> {
        Ok(ApiKey {
            id: self.id,
            site_id: self.site_id,
            lookup: self.lookup,
            role: Role::parse(&self.role).ok_or_else(|| corrupt(format!("key role `{}`", self.role)))?,
            label: self.label,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
        })
    }
}

pub(crate) fn duplicate_or(error: sqlx::Error, draft: &SnippetDraft) -> Error {
    if is_unique_violation(&error) {
        Error::Duplicate(format!("the site already has a snippet `{}` in locale `{}`", draft.slug, draft.locale))
    } else {
        Error::Database(error)
    }
}

pub(crate) fn validate_label(label: &str) -> Result<()> {
    if label.trim().is_empty() || label.len() > 100 {
        return Err(Error::Invalid("a key label has 1 to 100 characters".into()));
    }
    Ok(())
}

#[derive(FromRow)]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) route: Option<String>,
    pub(crate) help_key: Option<String>,
    pub(crate) locale: Option<String>,
    pub(crate) snippet_id: Option<i64>,
    pub(crate) query: Option<String>,
    pub(crate) results: Option<i64>,
    pub(crate) helpful: Option<bool>,
    pub(crate) comment: Option<String>,
    pub(crate) roles: Option<String>,
    pub(crate) app_version: Option<String>,
    pub(crate) via: Option<String>,
    pub(crate) specific: Option<bool>,
    pub(crate) created_at: i64,
}

impl EventRow {
    pub(crate) fn into_stored(self) -> StoredEvent {
        StoredEvent {
            id: self.id,
            created_at: self.created_at,
            event: Event {
                kind: self.kind,
                route: self.route,
                help_key: self.help_key,
                locale: self.locale,
                snippet_id: self.snippet_id,
                query: self.query,
                results: self.results,
                helpful: self.helpful,
                comment: self.comment,
                roles: self.roles,
                app_version: self.app_version,
                via: self.via,
                specific: self.specific,
            },
        }
    }
}

#[derive(FromRow)]
pub(crate) struct CoverageRow {
    pub(crate) site_id: i64,
    pub(crate) day: i64,
    pub(crate) place: String,
    pub(crate) help_key: String,
    pub(crate) app_version: String,
    pub(crate) seen: i64,
    pub(crate) helped: i64,
}

impl CoverageRow {
    pub(crate) fn into_count(self) -> CoverageCount {
        CoverageCount {
            site_id: self.site_id,
            day: self.day,
            place: self.place,
            help_key: self.help_key,
            app_version: self.app_version,
            seen: u64::try_from(self.seen).unwrap_or(0),
            helped: u64::try_from(self.helped).unwrap_or(0),
        }
    }
}

#[derive(FromRow)]
pub(crate) struct EventDayRow {
    pub(crate) day: i64,
    pub(crate) kind: String,
    pub(crate) place: String,
    pub(crate) help_key: String,
    pub(crate) roles: String,
    pub(crate) locale: String,
    pub(crate) app_version: String,
    pub(crate) snippet_id: i64,
    pub(crate) via: String,
    pub(crate) helpful: i64,
    pub(crate) specific: i64,
    pub(crate) count: i64,
}

impl EventDayRow {
    pub(crate) fn into_event_day(self) -> EventDay {
        EventDay {
            day: self.day,
            kind: self.kind,
            place: self.place,
            help_key: self.help_key,
            roles: self.roles,
            locale: self.locale,
            app_version: self.app_version,
            snippet_id: self.snippet_id,
            via: self.via,
            helpful: self.helpful,
            specific: self.specific,
            count: u64::try_from(self.count).unwrap_or(0),
        }
    }
}

#[derive(FromRow)]
pub(crate) struct SearchDayRow {
    pub(crate) day: i64,
    pub(crate) query: String,
    pub(crate) searches: i64,
    pub(crate) empty: i64,
    pub(crate) viewed: i64,
}

impl SearchDayRow {
    pub(crate) fn into_search_day(self) -> SearchDay {
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        SearchDay {
            day: self.day,
            query: self.query,
            searches: count(self.searches),
            empty: count(self.empty),
            viewed: count(self.viewed),
        }
    }
}

/// What a report shows of a snippet, from `(id, slug, title, moment)`.
pub(crate) fn summary((id, slug, title, moment): (i64, String, String, String)) -> Result<SnippetSummary> {
    Ok(SnippetSummary { id, slug, title, moment: Moment::parse(&moment).map_err(corrupt)? })
}

/// A stale-help row `(total, id, slug, title, last day, newest version)` with the version as an
/// index into `versions`.
pub(crate) type StaleRow = (i64, i64, String, String, Option<i64>, Option<String>);

pub(crate) fn stale_targets(rows: Vec<StaleRow>, versions: &[String]) -> (u64, Vec<TargetsSeen>) {
    let total = rows.first().map_or(0, |row| u64::try_from(row.0).unwrap_or(0));
    let rows = rows
        .into_iter()
        .map(|(_, snippet_id, slug, title, last_day, newest)| TargetsSeen {
            snippet_id,
            slug,
            title,
            last_day,
            newest_version: newest.and_then(|newest| versions.iter().position(|version| *version == newest)),
        })
        .collect();
    (total, rows)
}
