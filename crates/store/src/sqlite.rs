//! The embedded default backend: one SQLite file in WAL mode with foreign keys on.
//!
//! `synchronous = NORMAL` in WAL mode keeps every committed transaction across a process crash
//! (`kill -9`); only an operating-system crash can lose the last commits.

use crate::keys::{self, NewSecret, PresentedKey};
use crate::{
    ApiKey, CoverageCount, CreatedKey, Error, Event, ImportOptions, ImportReport, Precondition, Result, Revision, Role,
    Session, Site, SiteChanges, SiteSpec, SnippetDraft, SnippetFilter, Store, StoredEvent, StoredSnippet,
};
use engine::render::Renderer;
use engine::{Locale, Moment, Status, Target};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, FromRow, QueryBuilder, Sqlite, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod reports;

#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    renderer: Renderer,
}

#[derive(FromRow)]
struct SiteRow {
    id: i64,
    public_key: String,
    name: String,
    origins: String,
    default_locale: String,
    locales: String,
    widget_settings: String,
    content_version: i64,
    settings_version: i64,
}

const SITE_COLUMNS: &str =
    "id, public_key, name, origins, default_locale, locales, widget_settings, content_version, settings_version";

#[derive(FromRow)]
struct SnippetRow {
    id: i64,
    site_id: i64,
    slug: String,
    locale: String,
    title: String,
    body_markdown: String,
    body_html: String,
    moment: String,
    roles: String,
    priority: i64,
    status: String,
    publish_at: Option<i64>,
    expire_at: Option<i64>,
    app_versions: Option<String>,
    version: i64,
    imported_version: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const SNIPPET_COLUMNS: &str = "id, site_id, slug, locale, title, body_markdown, body_html, moment, roles, priority,
     status, publish_at, expire_at, app_versions, version, imported_version, created_at, updated_at";

#[derive(FromRow)]
struct RevisionRow {
    version: i64,
    title: String,
    body_markdown: String,
    moment: String,
    roles: String,
    priority: i64,
    status: String,
    publish_at: Option<i64>,
    expire_at: Option<i64>,
    app_versions: Option<String>,
    targets: String,
    actor: String,
    created_at: i64,
}

#[derive(FromRow)]
struct KeyRow {
    id: i64,
    site_id: i64,
    lookup: String,
    role: String,
    label: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

const KEY_COLUMNS: &str = "id, site_id, lookup, role, label, created_at, expires_at, revoked_at, last_used_at";

/// What serving needs of a snippet: its HTML and plain text, not its Markdown.
#[derive(FromRow)]
struct ServableRow {
    id: i64,
    slug: String,
    locale: String,
    title: String,
    body_html: String,
    body_text: Option<String>,
    moment: String,
    roles: String,
    priority: i64,
    status: String,
    publish_at: Option<i64>,
    expire_at: Option<i64>,
    app_versions: Option<String>,
}

#[derive(FromRow)]
struct TargetRow {
    snippet_id: i64,
    kind: String,
    value: String,
}

/// Id ranges a site is loaded in, in parallel.
const LOAD_PARTS: i64 = 4;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Corrupt(what.to_string())
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|error| corrupt(format!("JSON list `{text}`: {error}")))
}

fn locales_to_json(locales: &[Locale]) -> String {
    to_json(&locales.iter().map(|locale| locale.as_str().to_owned()).collect::<Vec<_>>())
}

fn targets_to_json(targets: &[Target]) -> String {
    let pairs: Vec<[&str; 2]> = targets
        .iter()
        .map(|target| {
            let (kind, value) = target_parts(target);
            [kind, value]
        })
        .collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

fn targets_from_json(text: &str) -> Result<Vec<Target>> {
    let pairs: Vec<(String, String)> =
        serde_json::from_str(text).map_err(|error| corrupt(format!("targets `{text}`: {error}")))?;
    pairs.into_iter().map(|(kind, value)| target_from_parts(&kind, value)).collect()
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database) if database.is_unique_violation())
}

fn target_parts(target: &Target) -> (&'static str, &str) {
    match target {
        Target::Key(key) => ("key", key),
        Target::Route(route) => ("route", route),
        Target::UrlPattern(pattern) => ("url", pattern),
    }
}

fn target_from_parts(kind: &str, value: String) -> Result<Target> {
    match kind {
        "key" => Ok(Target::Key(value)),
        "route" => Ok(Target::Route(value)),
        "url" => Ok(Target::UrlPattern(value)),
        other => Err(corrupt(format!("target kind `{other}`"))),
    }
}

impl SiteRow {
    fn into_site(self) -> Result<Site> {
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
fn draft_from_parts(
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
    fn into_stored(self, targets: Vec<Target>) -> Result<StoredSnippet> {
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
    fn into_revision(self, slug: &str, locale: &str) -> Result<Revision> {
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
    fn into_key(self) -> Result<ApiKey> {
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

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://cuecard.db`), migrates it,
    /// and re-renders stored HTML if `renderer`'s policy differs from the one it was made with.
    pub async fn open(url: &str, renderer: Renderer) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let store = SqliteStore { pool, renderer };
        store.fill_missing_text().await?;
        store.fill_missing_sightings().await?;
        store.apply_render_policy().await?;
        Ok(store)
    }

    /// Snippets with targets written before `snippet_sightings` existed get their row, once.
    async fn fill_missing_sightings(&self) -> Result<()> {
        let missing: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT t.snippet_id FROM snippet_targets t
             WHERE NOT EXISTS (SELECT 1 FROM snippet_sightings seen WHERE seen.snippet_id = t.snippet_id)",
        )
        .fetch_all(&self.pool)
        .await?;
        for chunk in missing.chunks(1000) {
            let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            reports::refresh_snippet_sightings(&mut transaction, chunk).await?;
            transaction.commit().await?;
        }
        Ok(())
    }

    /// Rows written before plain text was stored get it now, once.
    async fn fill_missing_text(&self) -> Result<()> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, body_markdown FROM snippets WHERE body_text IS NULL")
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (id, markdown) in rows {
            sqlx::query("UPDATE snippets SET body_text = ? WHERE id = ?")
                .bind(engine::render::plain_text(&markdown))
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// When the rendering policy changed (new rules, other image hosts), every snippet's HTML is
    /// rendered again from its Markdown, in one transaction, and every site's indexes rebuilt.
    async fn apply_render_policy(&self) -> Result<usize> {
        let fingerprint = self.renderer.fingerprint();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored: Option<(String,)> = sqlx::query_as("SELECT value FROM store_settings WHERE name = 'render_policy'")
            .fetch_optional(&mut *transaction)
            .await?;
        if stored.is_some_and(|(stored,)| stored == fingerprint) {
            return Ok(0);
        }
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, body_markdown, body_html FROM snippets").fetch_all(&mut *transaction).await?;
        let mut changed = 0;
        for (id, markdown, html) in rows {
            let rendered = self.renderer.render(&markdown);
            if rendered != html {
                sqlx::query("UPDATE snippets SET body_html = ? WHERE id = ?")
                    .bind(rendered)
                    .bind(id)
                    .execute(&mut *transaction)
                    .await?;
                changed += 1;
            }
        }
        if changed > 0 {
            sqlx::query("UPDATE sites SET content_version = content_version + 1").execute(&mut *transaction).await?;
        }
        sqlx::query(
            "INSERT INTO store_settings (name, value) VALUES ('render_policy', ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(fingerprint)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(changed)
    }

    async fn site_by_key(&self, public_key: &str) -> Result<Option<Site>> {
        let row: Option<SiteRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE public_key = ?")))
                .bind(public_key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(SiteRow::into_site).transpose()
    }

    async fn site_in(transaction: &mut Transaction<'_, Sqlite>, site_id: i64) -> Result<Site> {
        let row: Option<SiteRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = ?")))
                .bind(site_id)
                .fetch_optional(&mut **transaction)
                .await?;
        row.map(SiteRow::into_site).transpose()?.ok_or(Error::NotFound)
    }

    /// Snippet rows with their targets, in id order.
    async fn with_targets(
        transaction: &mut Transaction<'_, Sqlite>,
        rows: Vec<SnippetRow>,
    ) -> Result<Vec<(StoredSnippet, Option<i64>)>> {
        let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
        for chunk in rows.chunks(500) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT snippet_id, kind, value FROM snippet_targets WHERE snippet_id IN (",
            );
            let mut ids = query.separated(", ");
            for row in chunk {
                ids.push_bind(row.id);
            }
            query.push(") ORDER BY snippet_id, position");
            let target_rows: Vec<TargetRow> = query.build_query_as().fetch_all(&mut **transaction).await?;
            for row in target_rows {
                targets.entry(row.snippet_id).or_default().push(target_from_parts(&row.kind, row.value)?);
            }
        }
        let mut stored = Vec::with_capacity(rows.len());
        for row in rows {
            let imported_version = row.imported_version;
            let snippet_targets = targets.remove(&row.id).unwrap_or_default();
            stored.push((row.into_stored(snippet_targets)?, imported_version));
        }
        Ok(stored)
    }

    async fn stored_snippet(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
        id: i64,
    ) -> Result<Option<(StoredSnippet, Option<i64>)>> {
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = ? AND id = ?"
        )))
        .bind(site_id)
        .bind(id)
        .fetch_all(&mut **transaction)
        .await?;
        Ok(Self::with_targets(transaction, rows).await?.pop())
    }

    async fn content_version(&self, site_id: i64) -> Result<i64> {
        let (version,): (i64,) = sqlx::query_as("SELECT content_version FROM sites WHERE id = ?")
            .bind(site_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    async fn bump_content_version(transaction: &mut Transaction<'_, Sqlite>, site_id: i64, at: i64) -> Result<()> {
        sqlx::query("UPDATE sites SET content_version = content_version + 1, updated_at = ? WHERE id = ?")
            .bind(at)
            .bind(site_id)
            .execute(&mut **transaction)
            .await?;
        Ok(())
    }

    /// Servable snippets with ids in `from..to`, with their targets.
    async fn load_range(pool: &SqlitePool, site_id: i64, from: i64, to: i64) -> Result<Vec<engine::Snippet>> {
        let mut transaction = pool.begin().await?;
        let rows: Vec<ServableRow> = sqlx::query_as(
            "SELECT id, slug, locale, title, body_html, body_text, moment, roles, priority, status,
                    publish_at, expire_at, app_versions
             FROM snippets
             WHERE site_id = ? AND id >= ? AND id < ? AND status IN ('draft', 'published')
             ORDER BY id",
        )
        .bind(site_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *transaction)
        .await?;
        let target_rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT snippet_id, kind, value FROM snippet_targets
             WHERE snippet_id >= ? AND snippet_id < ? ORDER BY snippet_id, position",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *transaction)
        .await?;
        transaction.commit().await?;
        let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
        for row in target_rows {
            targets.entry(row.snippet_id).or_default().push(target_from_parts(&row.kind, row.value)?);
        }
        rows.into_iter()
            .map(|row| {
                Ok(engine::Snippet {
                    id: row.id,
                    slug: row.slug,
                    locale: Locale::parse(&row.locale).map_err(corrupt)?,
                    title: row.title,
                    html: row.body_html,
                    moment: Moment::parse(&row.moment).map_err(corrupt)?,
                    roles: from_json(&row.roles)?,
                    priority: i32::try_from(row.priority).map_err(corrupt)?,
                    status: Status::parse(&row.status).map_err(corrupt)?,
                    targets: targets.remove(&row.id).unwrap_or_default(),
                    publish_at: row.publish_at,
                    expire_at: row.expire_at,
                    app_versions: row
                        .app_versions
                        .as_deref()
                        .map(engine::parse_app_versions)
                        .transpose()
                        .map_err(corrupt)?,
                    text: row.body_text.unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn write_targets(
        transaction: &mut Transaction<'_, Sqlite>,
        snippet_id: i64,
        targets: &[Target],
    ) -> Result<()> {
        sqlx::query("DELETE FROM snippet_targets WHERE snippet_id = ?")
            .bind(snippet_id)
            .execute(&mut **transaction)
            .await?;
        for (position, target) in targets.iter().enumerate() {
            let (kind, value) = target_parts(target);
            sqlx::query("INSERT INTO snippet_targets (snippet_id, position, kind, value) VALUES (?, ?, ?, ?)")
                .bind(snippet_id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(kind)
                .bind(value)
                .execute(&mut **transaction)
                .await?;
        }
        reports::refresh_snippet_sightings(transaction, &[snippet_id]).await
    }

    async fn write_revision(
        transaction: &mut Transaction<'_, Sqlite>,
        snippet_id: i64,
        version: i64,
        draft: &SnippetDraft,
        actor: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO snippet_revisions (snippet_id, version, title, body_markdown, moment, roles, priority,
                 status, publish_at, expire_at, app_versions, targets, actor, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(snippet_id)
        .bind(version)
        .bind(&draft.title)
        .bind(&draft.markdown)
        .bind(draft.moment.as_str())
        .bind(to_json(&draft.roles))
        .bind(i64::from(draft.priority))
        .bind(draft.status.as_str())
        .bind(draft.publish_at)
        .bind(draft.expire_at)
        .bind(draft.app_versions.as_ref().map(ToString::to_string))
        .bind(targets_to_json(&draft.targets))
        .bind(actor)
        .bind(at)
        .execute(&mut **transaction)
        .await?;
        Ok(())
    }

    /// Inserts a new snippet at version 1 with its targets and first revision.
    async fn insert_snippet(
        &self,
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
        draft: &SnippetDraft,
        actor: &str,
        imported: bool,
        at: i64,
    ) -> Result<i64> {
        let result = sqlx::query(
            "INSERT INTO snippets (site_id, slug, locale, title, body_markdown, body_html, body_text, moment,
                 roles, priority, status, publish_at, expire_at, app_versions, imported_version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(site_id)
        .bind(&draft.slug)
        .bind(draft.locale.as_str())
        .bind(&draft.title)
        .bind(&draft.markdown)
        .bind(self.renderer.render(&draft.markdown))
        .bind(engine::render::plain_text(&draft.markdown))
        .bind(draft.moment.as_str())
        .bind(to_json(&draft.roles))
        .bind(i64::from(draft.priority))
        .bind(draft.status.as_str())
        .bind(draft.publish_at)
        .bind(draft.expire_at)
        .bind(draft.app_versions.as_ref().map(ToString::to_string))
        .bind(imported.then_some(1_i64))
        .bind(at)
        .bind(at)
        .execute(&mut **transaction)
        .await
        .map_err(|error| duplicate_or(error, draft))?;
        let id = result.last_insert_rowid();
        Self::write_targets(transaction, id, &draft.targets).await?;
        Self::write_revision(transaction, id, 1, draft, actor, at).await?;
        Ok(id)
    }

    /// Writes new content over snippet `id` (known to be at `version`), its targets and a revision.
    #[allow(clippy::too_many_arguments)]
    async fn rewrite_snippet(
        &self,
        transaction: &mut Transaction<'_, Sqlite>,
        id: i64,
        version: i64,
        draft: &SnippetDraft,
        actor: &str,
        imported: bool,
        at: i64,
    ) -> Result<()> {
        let next_version = version + 1;
        sqlx::query(
            "UPDATE snippets SET slug = ?, locale = ?, title = ?, body_markdown = ?, body_html = ?, body_text = ?,
                 moment = ?, roles = ?, priority = ?, status = ?, publish_at = ?, expire_at = ?, app_versions = ?,
                 version = ?, imported_version = CASE WHEN ? THEN ? ELSE imported_version END, updated_at = ?
             WHERE id = ? AND version = ?",
        )
        .bind(&draft.slug)
        .bind(draft.locale.as_str())
        .bind(&draft.title)
        .bind(&draft.markdown)
        .bind(self.renderer.render(&draft.markdown))
        .bind(engine::render::plain_text(&draft.markdown))
        .bind(draft.moment.as_str())
        .bind(to_json(&draft.roles))
        .bind(i64::from(draft.priority))
        .bind(draft.status.as_str())
        .bind(draft.publish_at)
        .bind(draft.expire_at)
        .bind(draft.app_versions.as_ref().map(ToString::to_string))
        .bind(next_version)
        .bind(imported)
        .bind(next_version)
        .bind(at)
        .bind(id)
        .bind(version)
        .execute(&mut **transaction)
        .await
        .map_err(|error| duplicate_or(error, draft))?;
        Self::write_targets(transaction, id, &draft.targets).await?;
        Self::write_revision(transaction, id, next_version, draft, actor, at).await?;
        Ok(())
    }

    async fn key_by_id(&self, site_id: i64, key_id: i64) -> Result<ApiKey> {
        let row: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = ? AND id = ?")))
                .bind(site_id)
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(Error::NotFound)?.into_key()
    }

    async fn insert_key(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
        role: Role,
        label: &str,
        at: i64,
    ) -> Result<(i64, String)> {
        let secret = NewSecret::generate().map_err(|error| Error::Random(error.to_string()))?;
        let result = sqlx::query(
            "INSERT INTO api_keys (site_id, lookup, secret_hash, role, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(site_id)
        .bind(&secret.lookup)
        .bind(secret.hash.as_slice())
        .bind(role.as_str())
        .bind(label)
        .bind(at)
        .execute(&mut **transaction)
        .await?;
        Ok((result.last_insert_rowid(), secret.plaintext))
    }
}

fn duplicate_or(error: sqlx::Error, draft: &SnippetDraft) -> Error {
    if is_unique_violation(&error) {
        Error::Duplicate(format!("the site already has a snippet `{}` in locale `{}`", draft.slug, draft.locale))
    } else {
        Error::Database(error)
    }
}

fn validate_label(label: &str) -> Result<()> {
    if label.trim().is_empty() || label.len() > 100 {
        return Err(Error::Invalid("a key label has 1 to 100 characters".into()));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn put_site(&self, spec: &SiteSpec) -> Result<Site> {
        spec.validate()?;
        let at = now();
        let others: Vec<Locale> =
            spec.locales.iter().filter(|locale| **locale != spec.default_locale).cloned().collect();
        sqlx::query(
            "INSERT INTO sites (public_key, name, origins, default_locale, locales, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (public_key) DO UPDATE SET
                 name = excluded.name, origins = excluded.origins,
                 default_locale = excluded.default_locale, locales = excluded.locales,
                 updated_at = excluded.updated_at, content_version = content_version + 1,
                 settings_version = settings_version + 1",
        )
        .bind(&spec.public_key)
        .bind(&spec.name)
        .bind(to_json(&spec.origins))
        .bind(spec.default_locale.as_str())
        .bind(locales_to_json(&others))
        .bind(at)
        .bind(at)
        .execute(&self.pool)
        .await?;
        self.site_by_key(&spec.public_key).await?.ok_or_else(|| Error::UnknownSite(spec.public_key.clone()))
    }

    async fn site(&self, public_key: &str) -> Result<Option<Site>> {
        self.site_by_key(public_key).await
    }

    async fn sites(&self) -> Result<Vec<Site>> {
        let rows: Vec<SiteRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY id")))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(SiteRow::into_site).collect()
    }

    async fn update_site(&self, site_id: i64, expected: &Precondition, changes: &SiteChanges) -> Result<Site> {
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let current = Self::site_in(&mut transaction, site_id).await?;
        if !expected.allows(current.settings_version) {
            return Err(Error::StaleSite(Box::new(current)));
        }
        changes.validate(&current)?;
        let default_locale = changes.default_locale.clone().unwrap_or_else(|| current.default_locale.clone());
        let others: Vec<Locale> = changes
            .locales
            .as_ref()
            .unwrap_or(&current.locales)
            .iter()
            .filter(|locale| **locale != default_locale)
            .cloned()
            .collect();
        let name = changes.name.as_ref().unwrap_or(&current.name);
        let origins = changes.origins.as_ref().unwrap_or(&current.origins);
        let widget_settings = changes.widget_settings.as_ref().unwrap_or(&current.widget_settings);
        let unchanged = *name == current.name
            && *origins == current.origins
            && default_locale == current.default_locale
            && crate::site_locales(&default_locale, &others) == current.locales
            && *widget_settings == current.widget_settings;
        if unchanged {
            return Ok(current);
        }
        sqlx::query(
            "UPDATE sites SET name = ?, origins = ?, default_locale = ?, locales = ?, widget_settings = ?,
                 content_version = content_version + 1, settings_version = settings_version + 1, updated_at = ?
             WHERE id = ?",
        )
        .bind(name)
        .bind(to_json(origins))
        .bind(default_locale.as_str())
        .bind(locales_to_json(&others))
        .bind(widget_settings)
        .bind(now())
        .bind(site_id)
        .execute(&mut *transaction)
        .await?;
        let updated = Self::site_in(&mut transaction, site_id).await?;
        transaction.commit().await?;
        Ok(updated)
    }

    async fn import(
        &self,
        public_key: &str,
        drafts: Vec<SnippetDraft>,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        let mut seen = std::collections::HashSet::new();
        for draft in &drafts {
            draft.validate()?;
            if !seen.insert((draft.slug.as_str(), draft.locale.as_str())) {
                return Err(Error::Invalid(format!(
                    "snippet `{}` ({}) appears twice in one import",
                    draft.slug, draft.locale
                )));
            }
        }
        let site = self.site_by_key(public_key).await?.ok_or_else(|| Error::UnknownSite(public_key.to_owned()))?;
        // IMMEDIATE takes the write lock up front, so concurrent writers queue instead of failing.
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = ? ORDER BY id"
        )))
        .bind(site.id)
        .fetch_all(&mut *transaction)
        .await?;
        let mut existing: HashMap<(String, String), (StoredSnippet, Option<i64>)> = HashMap::new();
        for (stored, imported_version) in Self::with_targets(&mut transaction, rows).await? {
            let key = (stored.draft.slug.clone(), stored.draft.locale.as_str().to_owned());
            existing.insert(key, (stored, imported_version));
        }
        let mut report = ImportReport::default();
        let at = now();
        for draft in drafts {
            let label = format!("{} ({})", draft.slug, draft.locale);
            match existing.get(&(draft.slug.clone(), draft.locale.as_str().to_owned())) {
                Some((stored, _)) if stored.draft == draft => report.unchanged += 1,
                Some((stored, imported_version)) => {
                    let edited_since_import = *imported_version != Some(stored.version);
                    if edited_since_import && !options.force {
                        report.conflicts.push(label);
                        continue;
                    }
                    self.rewrite_snippet(&mut transaction, stored.id, stored.version, &draft, "import", true, at)
                        .await?;
                    report.updated.push(label);
                }
                None => {
                    self.insert_snippet(&mut transaction, site.id, &draft, "import", true, at).await?;
                    report.created.push(label);
                }
            }
        }
        if options.dry_run {
            transaction.rollback().await?;
            return Ok(report);
        }
        if !report.created.is_empty() || !report.updated.is_empty() {
            Self::bump_content_version(&mut transaction, site.id, at).await?;
        }
        transaction.commit().await?;
        Ok(report)
    }

    async fn servable_snippets(&self, site_id: i64) -> Result<Vec<engine::Snippet>> {
        // Large sites load in id ranges on several connections at once (each has its own SQLite
        // thread), which roughly halves start-up on two cores. The ranges are separate reads, so
        // a write landing between them is caught by the version check and the load repeated.
        loop {
            let version_before = self.content_version(site_id).await?;
            let (low, high): (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT MIN(id), MAX(id) FROM snippets WHERE site_id = ?")
                    .bind(site_id)
                    .fetch_one(&self.pool)
                    .await?;
            let (Some(low), Some(high)) = (low, high) else {
                return Ok(Vec::new());
            };
            let span = (high - low) / LOAD_PARTS + 1;
            let parts: Vec<_> = (0..LOAD_PARTS)
                .map(|part| {
                    let pool = self.pool.clone();
                    let (from, to) = (low + part * span, low + (part + 1) * span);
                    tokio::spawn(async move { Self::load_range(&pool, site_id, from, to).await })
                })
                .collect();
            let mut snippets = Vec::new();
            for part in parts {
                let loaded = part.await.map_err(|error| Error::Corrupt(format!("load task failed: {error}")))??;
                snippets.extend(loaded);
            }
            if self.content_version(site_id).await? == version_before {
                return Ok(snippets);
            }
        }
    }

    async fn snippet(&self, site_id: i64, id: i64) -> Result<Option<StoredSnippet>> {
        let mut transaction = self.pool.begin().await?;
        let found = Self::stored_snippet(&mut transaction, site_id, id).await?;
        transaction.commit().await?;
        Ok(found.map(|(stored, _)| stored))
    }

    async fn snippets(&self, site_id: i64, filter: &SnippetFilter) -> Result<Vec<StoredSnippet>> {
        let mut query = QueryBuilder::<Sqlite>::new(format!("SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = "));
        query.push_bind(site_id);
        if let Some(status) = filter.status {
            query.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(locale) = &filter.locale {
            query.push(" AND locale = ").push_bind(locale.as_str().to_owned());
        }
        if let Some(moment) = filter.moment {
            query.push(" AND moment = ").push_bind(moment.as_str());
        }
        if let Some(target) = &filter.target {
            query
                .push(" AND id IN (SELECT snippet_id FROM snippet_targets WHERE value = ")
                .push_bind(target.clone())
                .push(")");
        }
        if let Some(prefix) = &filter.slug_prefix {
            query.push(" AND substr(slug, 1, ").push_bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX));
            query.push(") = ").push_bind(prefix.clone());
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            let text = text.to_ascii_lowercase();
            query.push(" AND (instr(lower(title), ").push_bind(text.clone());
            query.push(") > 0 OR instr(lower(slug), ").push_bind(text.clone());
            query.push(") > 0 OR instr(lower(body_markdown), ").push_bind(text).push(") > 0)");
        }
        if let Some(after) = filter.after {
            query.push(" AND id > ").push_bind(after);
        }
        query.push(" ORDER BY id");
        if let Some(limit) = filter.limit {
            query.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let mut transaction = self.pool.begin().await?;
        let rows: Vec<SnippetRow> = query.build_query_as().fetch_all(&mut *transaction).await?;
        let stored = Self::with_targets(&mut transaction, rows).await?;
        transaction.commit().await?;
        Ok(stored.into_iter().map(|(stored, _)| stored).collect())
    }

    async fn create_snippet(&self, site_id: i64, draft: &SnippetDraft, actor: &str) -> Result<StoredSnippet> {
        draft.validate()?;
        let at = now();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // An archived snippet's slug is free again: the snippet comes back with the new content
        // as its next version, so its history stays in one place.
        let archived: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, version FROM snippets WHERE site_id = ? AND slug = ? AND locale = ? AND status = 'archived'",
        )
        .bind(site_id)
        .bind(&draft.slug)
        .bind(draft.locale.as_str())
        .fetch_optional(&mut *transaction)
        .await?;
        let id = match archived {
            Some((id, version)) => {
                self.rewrite_snippet(&mut transaction, id, version, draft, actor, false, at).await?;
                id
            }
            None => self.insert_snippet(&mut transaction, site_id, draft, actor, false, at).await?,
        };
        Self::bump_content_version(&mut transaction, site_id, at).await?;
        let (stored, _) = Self::stored_snippet(&mut transaction, site_id, id).await?.ok_or(Error::NotFound)?;
        transaction.commit().await?;
        Ok(stored)
    }

    async fn update_snippet(
        &self,
        site_id: i64,
        id: i64,
        expected: &Precondition,
        draft: &SnippetDraft,
        actor: &str,
    ) -> Result<StoredSnippet> {
        draft.validate()?;
        let at = now();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (current, _) = Self::stored_snippet(&mut transaction, site_id, id).await?.ok_or(Error::NotFound)?;
        if !expected.allows(current.version) {
            return Err(Error::Stale(Box::new(current)));
        }
        if current.draft == *draft {
            return Ok(current);
        }
        self.rewrite_snippet(&mut transaction, id, current.version, draft, actor, false, at).await?;
        Self::bump_content_version(&mut transaction, site_id, at).await?;
        let (stored, _) = Self::stored_snippet(&mut transaction, site_id, id).await?.ok_or(Error::NotFound)?;
        transaction.commit().await?;
        Ok(stored)
    }

    async fn revisions(&self, site_id: i64, snippet_id: i64) -> Result<Vec<Revision>> {
        let mut transaction = self.pool.begin().await?;
        let identity: Option<(String, String)> =
            sqlx::query_as("SELECT slug, locale FROM snippets WHERE site_id = ? AND id = ?")
                .bind(site_id)
                .bind(snippet_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let (slug, locale) = identity.ok_or(Error::NotFound)?;
        let rows: Vec<RevisionRow> = sqlx::query_as(
            "SELECT version, title, body_markdown, moment, roles, priority, status, publish_at, expire_at,
                    app_versions, targets, actor, created_at
             FROM snippet_revisions WHERE snippet_id = ? ORDER BY version DESC",
        )
        .bind(snippet_id)
        .fetch_all(&mut *transaction)
        .await?;
        transaction.commit().await?;
        rows.into_iter().map(|row| row.into_revision(&slug, &locale)).collect()
    }

    async fn create_key(&self, site_id: i64, role: Role, label: &str) -> Result<CreatedKey> {
        validate_label(label)?;
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (id, plaintext) = Self::insert_key(&mut transaction, site_id, role, label, now()).await?;
        transaction.commit().await?;
        Ok(CreatedKey { key: self.key_by_id(site_id, id).await?, plaintext })
    }

    async fn keys(&self, site_id: i64) -> Result<Vec<ApiKey>> {
        let rows: Vec<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = ? ORDER BY id")))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    async fn revoke_key(&self, site_id: i64, key_id: i64) -> Result<ApiKey> {
        let at = now();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let key: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE site_id = ? AND id = ?")))
                .bind(site_id)
                .bind(key_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let key = key.ok_or(Error::NotFound)?.into_key()?;
        if key.role == Role::Owner && key.is_active(at) {
            let (other_owners,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM api_keys WHERE site_id = ? AND id <> ? AND role = 'owner'
                     AND revoked_at IS NULL AND expires_at IS NULL",
            )
            .bind(site_id)
            .bind(key_id)
            .fetch_one(&mut *transaction)
            .await?;
            if other_owners == 0 {
                return Err(Error::Conflict(format!(
                    "key {key_id} is the site's last owner key that does not expire; create another owner key \
                     first (or, locked out, run `cuecard keys create --role owner` on the server)"
                )));
            }
        }
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE site_id = ? AND id = ?")
            .bind(at)
            .bind(site_id)
            .bind(key_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        self.key_by_id(site_id, key_id).await
    }

    async fn rotate_key(&self, site_id: i64, key_id: i64, overlap_secs: i64) -> Result<CreatedKey> {
        let old = self.key_by_id(site_id, key_id).await?;
        let at = now();
        if !old.is_active(at) {
            return Err(Error::Invalid(format!("key {key_id} is revoked or expired; create a new one instead")));
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let expires_at = at.saturating_add(overlap_secs.max(0));
        sqlx::query("UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?), ?) WHERE id = ?")
            .bind(expires_at)
            .bind(expires_at)
            .bind(key_id)
            .execute(&mut *transaction)
            .await?;
        let (id, plaintext) = Self::insert_key(&mut transaction, site_id, old.role, &old.label, at).await?;
        transaction.commit().await?;
        Ok(CreatedKey { key: self.key_by_id(site_id, id).await?, plaintext })
    }

    async fn record_events(&self, site_id: i64, events: &[Event]) -> Result<usize> {
        self.record_events_at(site_id, now(), events).await
    }

    async fn record_events_at(&self, site_id: i64, at: i64, events: &[Event]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let day = at.div_euclid(86_400);
        // The rollups' increments, summed over the batch first: one upsert per distinct row.
        let flag = |value: Option<bool>| value.map_or(-1, i64::from);
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut rollup: HashMap<(String, String, String, String, String, String, i64, String, i64, i64), i64> =
            HashMap::new();
        let mut searched: HashMap<String, (i64, i64, i64)> = HashMap::new();
        for event in events {
            let key = (
                event.kind.clone(),
                text(&event.route),
                text(&event.help_key),
                text(&event.roles),
                text(&event.locale),
                text(&event.app_version),
                event.snippet_id.unwrap_or(-1),
                text(&event.via),
                flag(event.helpful),
                flag(event.specific),
            );
            *rollup.entry(key).or_default() += 1;
            let search = match (event.kind.as_str(), event.query.as_deref()) {
                ("search", Some(query)) => Some((query, 1, i64::from(event.results == Some(0)), 0)),
                ("snippet_view", Some(query)) if event.via.as_deref() == Some("search") => Some((query, 0, 0, 1)),
                _ => None,
            };
            if let Some((query, searches, empty, viewed)) = search {
                let entry = searched.entry(crate::normalize_query(query)).or_default();
                entry.0 += searches;
                entry.1 += empty;
                entry.2 += viewed;
            }
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Many rows per statement (15 values each, well under SQLite's limit of variables).
        for chunk in events.chunks(500) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (site_id, kind, route, help_key, locale, snippet_id, query, results, helpful,
                     comment, roles, app_version, via, specific, created_at) ",
            );
            insert.push_values(chunk, |mut row, event| {
                row.push_bind(site_id)
                    .push_bind(&event.kind)
                    .push_bind(&event.route)
                    .push_bind(&event.help_key)
                    .push_bind(&event.locale)
                    .push_bind(event.snippet_id)
                    .push_bind(&event.query)
                    .push_bind(event.results)
                    .push_bind(event.helpful)
                    .push_bind(&event.comment)
                    .push_bind(&event.roles)
                    .push_bind(&event.app_version)
                    .push_bind(&event.via)
                    .push_bind(event.specific)
                    .push_bind(at);
            });
            insert.build().execute(&mut *transaction).await?;
        }
        // The rollups, in the same transaction: reports never disagree with the events.
        let rollup: Vec<_> = rollup.iter().collect();
        for chunk in rollup.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO event_days (site_id, day, kind, place, help_key, roles, locale, app_version, snippet_id,
                     via, helpful, specific, count) ",
            );
            upsert.push_values(chunk, |mut row, (key, count)| {
                let (kind, place, help_key, roles, locale, app_version, snippet_id, via, helpful, specific) = key;
                row.push_bind(site_id)
                    .push_bind(day)
                    .push_bind(kind)
                    .push_bind(place)
                    .push_bind(help_key)
                    .push_bind(roles)
                    .push_bind(locale)
                    .push_bind(app_version)
                    .push_bind(snippet_id)
                    .push_bind(via)
                    .push_bind(helpful)
                    .push_bind(specific)
                    .push_bind(count);
            });
            upsert.push(
                " ON CONFLICT (site_id, day, kind, place, help_key, roles, locale, app_version, snippet_id, via,
                     helpful, specific) DO UPDATE SET count = count + excluded.count",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        let searched: Vec<_> = searched.into_iter().collect();
        for chunk in searched.chunks(500) {
            let mut upsert =
                QueryBuilder::<Sqlite>::new("INSERT INTO search_days (site_id, day, query, searches, empty, viewed) ");
            upsert.push_values(chunk, |mut row, (query, (searches, empty, viewed))| {
                row.push_bind(site_id)
                    .push_bind(day)
                    .push_bind(query)
                    .push_bind(searches)
                    .push_bind(empty)
                    .push_bind(viewed);
            });
            upsert.push(
                " ON CONFLICT (site_id, day, query) DO UPDATE SET searches = searches + excluded.searches,
                     empty = empty + excluded.empty, viewed = viewed + excluded.viewed",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(events.len())
    }

    async fn add_coverage(&self, counts: &[CoverageCount]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Sites deleted since the counts were taken are skipped (their rows would be orphans).
        let sites: std::collections::HashSet<i64> =
            sqlx::query_scalar("SELECT id FROM sites").fetch_all(&mut *transaction).await?.into_iter().collect();
        let counts: Vec<&CoverageCount> = counts.iter().filter(|count| sites.contains(&count.site_id)).collect();
        let number = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        for chunk in counts.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO coverage (site_id, day, place, help_key, app_version, seen, helped) ",
            );
            upsert.push_values(chunk, |mut row, count| {
                row.push_bind(count.site_id)
                    .push_bind(count.day)
                    .push_bind(&count.place)
                    .push_bind(&count.help_key)
                    .push_bind(&count.app_version)
                    .push_bind(number(count.seen))
                    .push_bind(number(count.helped));
            });
            upsert.push(
                " ON CONFLICT (site_id, day, place, help_key, app_version)
                 DO UPDATE SET seen = seen + excluded.seen, helped = helped + excluded.helped",
            );
            upsert.build().execute(&mut *transaction).await?;
            // Each field also counts for its page as a whole (key ''), so "was this place seen"
            // is one row away.
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO sightings (site_id, place, help_key, app_version, first_day, last_day, seen) ",
            );
            let pages = chunk.iter().filter(|count| !count.help_key.is_empty()).map(|count| (*count, ""));
            let rows: Vec<(&CoverageCount, &str)> =
                chunk.iter().map(|count| (*count, count.help_key.as_str())).chain(pages).collect();
            upsert.push_values(rows, |mut row, (count, help_key)| {
                row.push_bind(count.site_id)
                    .push_bind(&count.place)
                    .push_bind(help_key)
                    .push_bind(&count.app_version)
                    .push_bind(count.day)
                    .push_bind(count.day)
                    .push_bind(number(count.seen));
            });
            upsert.push(
                " ON CONFLICT (site_id, place, help_key, app_version) DO UPDATE SET
                     first_day = MIN(first_day, excluded.first_day), last_day = MAX(last_day, excluded.last_day),
                     seen = seen + excluded.seen",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        let mut versions: HashMap<(i64, &str), (i64, i64)> = HashMap::new();
        for count in counts.iter().filter(|count| !count.app_version.is_empty()) {
            let days = versions.entry((count.site_id, &count.app_version)).or_insert((count.day, count.day));
            *days = (days.0.min(count.day), days.1.max(count.day));
        }
        let versions: Vec<_> = versions.into_iter().collect();
        for chunk in versions.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO seen_app_versions (site_id, app_version, first_day, last_day) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, app_version), (first, last))| {
                row.push_bind(site_id).push_bind(*app_version).push_bind(first).push_bind(last);
            });
            upsert.push(
                " ON CONFLICT (site_id, app_version) DO UPDATE SET
                     first_day = MIN(first_day, excluded.first_day), last_day = MAX(last_day, excluded.last_day)",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        let seen: Vec<(&str, &str)> =
            counts.iter().map(|count| (count.place.as_str(), count.help_key.as_str())).collect();
        let concerned = reports::snippets_concerned(&mut transaction, &seen).await?;
        reports::refresh_snippet_sightings(&mut transaction, &concerned).await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn coverage(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<CoverageCount>> {
        let rows: Vec<(i64, i64, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT site_id, day, place, help_key, app_version, seen, helped FROM coverage
             WHERE site_id = ? AND day BETWEEN ? AND ? ORDER BY day, place, help_key, app_version",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(site_id, day, place, help_key, app_version, seen, helped)| CoverageCount {
                site_id,
                day,
                place,
                help_key,
                app_version,
                seen: u64::try_from(seen).unwrap_or(0),
                helped: u64::try_from(helped).unwrap_or(0),
            })
            .collect())
    }

    async fn delete_events_before(&self, before: engine::Timestamp) -> Result<u64> {
        // In slices, so writers of new events never wait long behind one big delete.
        let mut deleted = 0;
        loop {
            let result =
                sqlx::query("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < ? LIMIT 5000)")
                    .bind(before)
                    .execute(&self.pool)
                    .await?;
            deleted += result.rows_affected();
            if result.rows_affected() < 5000 {
                return Ok(deleted);
            }
        }
    }

    async fn events(&self, site_id: i64, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        #[derive(FromRow)]
        struct EventRow {
            id: i64,
            kind: String,
            route: Option<String>,
            help_key: Option<String>,
            locale: Option<String>,
            snippet_id: Option<i64>,
            query: Option<String>,
            results: Option<i64>,
            helpful: Option<bool>,
            comment: Option<String>,
            roles: Option<String>,
            app_version: Option<String>,
            via: Option<String>,
            specific: Option<bool>,
            created_at: i64,
        }
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT id, kind, route, help_key, locale, snippet_id, query, results, helpful, comment, roles,
                    app_version, via, specific, created_at
             FROM events WHERE site_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(site_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredEvent {
                id: row.id,
                created_at: row.created_at,
                event: Event {
                    kind: row.kind,
                    route: row.route,
                    help_key: row.help_key,
                    locale: row.locale,
                    snippet_id: row.snippet_id,
                    query: row.query,
                    results: row.results,
                    helpful: row.helpful,
                    comment: row.comment,
                    roles: row.roles,
                    app_version: row.app_version,
                    via: row.via,
                    specific: row.specific,
                },
            })
            .collect())
    }

    async fn authenticate(&self, presented: &PresentedKey) -> Result<Option<ApiKey>> {
        #[derive(FromRow)]
        struct AuthRow {
            secret_hash: Vec<u8>,
            #[sqlx(flatten)]
            key: KeyRow,
        }
        let row: Option<AuthRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT secret_hash, {KEY_COLUMNS} FROM api_keys WHERE lookup = ?")))
                .bind(&presented.lookup)
                .fetch_optional(&self.pool)
                .await?;
        let Some(AuthRow { secret_hash, key }) = row else {
            return Ok(None);
        };
        if !keys::hashes_match(&presented.hash, &secret_hash) {
            return Ok(None);
        }
        let key = key.into_key()?;
        let at = now();
        if !key.is_active(at) {
            return Ok(None);
        }
        // Recorded at most once a minute, so authenticating is not a write per request.
        if key.last_used_at.is_none_or(|last| at - last >= 60) {
            sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
                .bind(at)
                .bind(key.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(key))
    }

    fn render_markdown(&self, markdown: &str) -> String {
        self.renderer.render(markdown)
    }

    async fn start_session(&self, key_id: i64, token_hash: &[u8; 32], expires_at: i64) -> Result<Session> {
        let at = now();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR ended_at IS NOT NULL")
            .bind(at)
            .execute(&mut *transaction)
            .await?;
        let key: Option<KeyRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?")))
                .bind(key_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let key = key.ok_or(Error::NotFound)?.into_key()?;
        if !key.is_active(at) {
            return Err(Error::NotFound);
        }
        // A rotated-out key's session ends with the key.
        let expires_at = key.expires_at.map_or(expires_at, |key_expiry| key_expiry.min(expires_at));
        sqlx::query("INSERT INTO sessions (token_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash.as_slice())
            .bind(key_id)
            .bind(at)
            .bind(expires_at)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Session { key, expires_at })
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        #[derive(FromRow)]
        struct SessionRow {
            session_expires_at: i64,
            #[sqlx(flatten)]
            key: KeyRow,
        }
        let at = now();
        let columns = KEY_COLUMNS.split(", ").map(|column| format!("k.{column}")).collect::<Vec<_>>().join(", ");
        let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT s.expires_at AS session_expires_at, {columns} FROM sessions s JOIN api_keys k ON k.id = s.key_id
             WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?"
        )))
        .bind(token_hash.as_slice())
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let key = row.key.into_key()?;
        Ok(key.is_active(at).then_some(Session { key, expires_at: row.session_expires_at }))
    }

    async fn end_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let ended = sqlx::query("UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL")
            .bind(now())
            .bind(token_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() > 0)
    }
}
