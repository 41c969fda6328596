//! The embedded default backend: one SQLite file in WAL mode with foreign keys on.
//!
//! `synchronous = NORMAL` in WAL mode keeps every committed transaction across a process crash
//! (`kill -9`); only an operating-system crash can lose the last commits.

use crate::{Error, ImportReport, Result, Site, SiteSpec, SnippetDraft, Store};
use engine::render::Renderer;
use engine::{Locale, Moment, Status, Target};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, Sqlite, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    content_version: i64,
}

#[derive(FromRow)]
struct SnippetRow {
    id: i64,
    slug: String,
    locale: String,
    title: String,
    body_markdown: String,
    moment: String,
    roles: String,
    priority: i64,
    status: String,
    publish_at: Option<i64>,
    expire_at: Option<i64>,
    app_versions: Option<String>,
}

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
        Ok(Site {
            id: self.id,
            public_key: self.public_key,
            name: self.name,
            origins: from_json(&self.origins)?,
            default_locale: Locale::parse(&self.default_locale).map_err(corrupt)?,
            content_version: self.content_version,
        })
    }
}

impl SnippetRow {
    fn into_draft(self, targets: Vec<Target>) -> Result<SnippetDraft> {
        Ok(SnippetDraft {
            slug: self.slug,
            locale: Locale::parse(&self.locale).map_err(corrupt)?,
            title: self.title,
            markdown: self.body_markdown,
            moment: Moment::parse(&self.moment).map_err(corrupt)?,
            roles: from_json(&self.roles)?,
            priority: i32::try_from(self.priority).map_err(corrupt)?,
            status: Status::parse(&self.status).map_err(corrupt)?,
            targets,
            publish_at: self.publish_at,
            expire_at: self.expire_at,
            app_versions: self.app_versions.as_deref().map(engine::parse_app_versions).transpose().map_err(corrupt)?,
        })
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://cuecard.db`) and migrates it.
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
        Ok(store)
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

    async fn site_by_key(&self, public_key: &str) -> Result<Option<Site>> {
        let row: Option<SiteRow> = sqlx::query_as(
            "SELECT id, public_key, name, origins, default_locale, content_version FROM sites WHERE public_key = ?",
        )
        .bind(public_key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(SiteRow::into_site).transpose()
    }

    async fn snippets_with_targets(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
    ) -> Result<Vec<(i64, SnippetRow, Vec<Target>)>> {
        let rows: Vec<SnippetRow> = sqlx::query_as(
            "SELECT id, slug, locale, title, body_markdown, moment, roles, priority, status,
                    publish_at, expire_at, app_versions
             FROM snippets WHERE site_id = ? ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&mut **transaction)
        .await?;
        let mut targets = Self::targets_of_site(transaction, site_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let snippet_targets = targets.remove(&row.id).unwrap_or_default();
                (row.id, row, snippet_targets)
            })
            .collect())
    }

    async fn content_version(&self, site_id: i64) -> Result<i64> {
        let (version,): (i64,) = sqlx::query_as("SELECT content_version FROM sites WHERE id = ?")
            .bind(site_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
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

    /// Every target of the site's snippets, by snippet id, in their written order.
    async fn targets_of_site(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
    ) -> Result<HashMap<i64, Vec<Target>>> {
        let target_rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT t.snippet_id, t.kind, t.value FROM snippet_targets t
             JOIN snippets s ON s.id = t.snippet_id
             WHERE s.site_id = ? ORDER BY t.snippet_id, t.position",
        )
        .bind(site_id)
        .fetch_all(&mut **transaction)
        .await?;
        let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
        for row in target_rows {
            targets.entry(row.snippet_id).or_default().push(target_from_parts(&row.kind, row.value)?);
        }
        Ok(targets)
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
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn put_site(&self, spec: &SiteSpec) -> Result<Site> {
        spec.validate()?;
        let at = now();
        sqlx::query(
            "INSERT INTO sites (public_key, name, origins, default_locale, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (public_key) DO UPDATE SET
                 name = excluded.name, origins = excluded.origins,
                 default_locale = excluded.default_locale, updated_at = excluded.updated_at,
                 content_version = content_version + 1",
        )
        .bind(&spec.public_key)
        .bind(&spec.name)
        .bind(to_json(&spec.origins))
        .bind(spec.default_locale.as_str())
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
        let rows: Vec<SiteRow> = sqlx::query_as(
            "SELECT id, public_key, name, origins, default_locale, content_version FROM sites ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(SiteRow::into_site).collect()
    }

    async fn import(&self, public_key: &str, drafts: Vec<SnippetDraft>) -> Result<ImportReport> {
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
        let mut existing: HashMap<(String, String), (i64, SnippetDraft)> = HashMap::new();
        for (id, row, targets) in Self::snippets_with_targets(&mut transaction, site.id).await? {
            let draft = row.into_draft(targets)?;
            existing.insert((draft.slug.clone(), draft.locale.as_str().to_owned()), (id, draft));
        }
        let mut report = ImportReport::default();
        let at = now();
        for draft in drafts {
            let label = format!("{} ({})", draft.slug, draft.locale);
            let known = existing.get(&(draft.slug.clone(), draft.locale.as_str().to_owned()));
            if known.is_some_and(|(_, stored)| *stored == draft) {
                report.unchanged += 1;
                continue;
            }
            let html = self.renderer.render(&draft.markdown);
            let text = engine::render::plain_text(&draft.markdown);
            let snippet_id = if let Some((id, _)) = known {
                sqlx::query(
                    "UPDATE snippets SET title = ?, body_markdown = ?, body_html = ?, body_text = ?, moment = ?,
                         roles = ?, priority = ?, status = ?, publish_at = ?, expire_at = ?, app_versions = ?,
                         version = version + 1, updated_at = ?
                     WHERE id = ?",
                )
                .bind(&draft.title)
                .bind(&draft.markdown)
                .bind(&html)
                .bind(&text)
                .bind(draft.moment.as_str())
                .bind(to_json(&draft.roles))
                .bind(i64::from(draft.priority))
                .bind(draft.status.as_str())
                .bind(draft.publish_at)
                .bind(draft.expire_at)
                .bind(draft.app_versions.as_ref().map(ToString::to_string))
                .bind(at)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
                report.updated.push(label);
                *id
            } else {
                let result = sqlx::query(
                    "INSERT INTO snippets (site_id, slug, locale, title, body_markdown, body_html, body_text, moment,
                         roles, priority, status, publish_at, expire_at, app_versions, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(site.id)
                .bind(&draft.slug)
                .bind(draft.locale.as_str())
                .bind(&draft.title)
                .bind(&draft.markdown)
                .bind(&html)
                .bind(&text)
                .bind(draft.moment.as_str())
                .bind(to_json(&draft.roles))
                .bind(i64::from(draft.priority))
                .bind(draft.status.as_str())
                .bind(draft.publish_at)
                .bind(draft.expire_at)
                .bind(draft.app_versions.as_ref().map(ToString::to_string))
                .bind(at)
                .bind(at)
                .execute(&mut *transaction)
                .await?;
                report.created.push(label);
                result.last_insert_rowid()
            };
            Self::write_targets(&mut transaction, snippet_id, &draft.targets).await?;
        }
        if !report.created.is_empty() || !report.updated.is_empty() {
            sqlx::query("UPDATE sites SET content_version = content_version + 1, updated_at = ? WHERE id = ?")
                .bind(at)
                .bind(site.id)
                .execute(&mut *transaction)
                .await?;
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
}
