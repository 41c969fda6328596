//! The embedded default backend: one SQLite file in WAL mode with foreign keys on.
//!
//! `synchronous = NORMAL` in WAL mode keeps every committed transaction across a process crash
//! (`kill -9`); only an operating-system crash can lose the last commits.

use crate::rows::*;
use crate::{Error, Precondition, Result, Site, SiteChanges, SiteSpec};
use engine::render::Renderer;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

mod events;
mod import;
mod keys;
mod reports;
mod snippets;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Brings the schema up to this binary's migrations; refuses a database a newer release migrated.
async fn migrate(pool: &SqlitePool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(|error| migration_error(&MIGRATOR, error))
}

#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    renderer: Renderer,
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
        migrate(&pool).await?;
        let store = SqliteStore { pool, renderer };
        store.fill_missing_text().await?;
        store.fill_missing_sightings().await?;
        store.apply_render_policy().await?;
        Ok(store)
    }

    /// The latest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64> {
        let (version,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?;
        Ok(version.unwrap_or(0))
    }

    /// Snippets with targets written before `snippet_sightings` existed get their row, once.
    pub(super) async fn fill_missing_sightings(&self) -> Result<()> {
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
    pub(super) async fn fill_missing_text(&self) -> Result<()> {
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
    pub(super) async fn apply_render_policy(&self) -> Result<usize> {
        let fingerprint = self.renderer.fingerprint();
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored: Option<(String,)> = sqlx::query_as("SELECT value FROM store_settings WHERE name = 'render_policy'")
            .fetch_optional(&mut *transaction)
            .await?;
        if stored.is_some_and(|(stored,)| stored == fingerprint) {
            return Ok(0);
        }
        let stored: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, body_markdown, body_html FROM snippets").fetch_all(&mut *transaction).await?;
        let changed = crate::plan::rerendered(&self.renderer, stored);
        for (id, html) in &changed {
            sqlx::query("UPDATE snippets SET body_html = ? WHERE id = ?")
                .bind(html)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        if !changed.is_empty() {
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
        Ok(changed.len())
    }

    pub(super) async fn site_by_key(&self, public_key: &str) -> Result<Option<Site>> {
        let row: Option<SiteRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE public_key = ?")))
                .bind(public_key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(SiteRow::into_site).transpose()
    }

    pub(super) async fn site_in(transaction: &mut Transaction<'_, Sqlite>, site_id: i64) -> Result<Site> {
        let row: Option<SiteRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = ?")))
                .bind(site_id)
                .fetch_optional(&mut **transaction)
                .await?;
        row.map(SiteRow::into_site).transpose()?.ok_or(Error::NotFound)
    }

    pub(super) async fn content_version(&self, site_id: i64) -> Result<i64> {
        let (version,): (i64,) = sqlx::query_as("SELECT content_version FROM sites WHERE id = ?")
            .bind(site_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    pub(super) async fn bump_content_version(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
        at: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE sites SET content_version = content_version + 1, updated_at = ? WHERE id = ?")
            .bind(at)
            .bind(site_id)
            .execute(&mut **transaction)
            .await?;
        Ok(())
    }
}

// The operations not written here are inherent methods in the file of their concern.
store_in_inherent_methods!(SqliteStore {
    async fn schema_version(&self) -> Result<i64> {
        Self::schema_version(self).await
    }

    async fn put_site(&self, spec: &SiteSpec) -> Result<Site> {
        spec.validate()?;
        let at = now();
        let others = crate::plan::other_locales(spec);
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
        let Some(update) = crate::plan::site_update(&current, changes)? else {
            return Ok(current);
        };
        sqlx::query(
            "UPDATE sites SET name = ?, origins = ?, default_locale = ?, locales = ?, widget_settings = ?,
                 content_version = content_version + 1, settings_version = settings_version + 1, updated_at = ?
             WHERE id = ?",
        )
        .bind(&update.name)
        .bind(to_json(&update.origins))
        .bind(update.default_locale.as_str())
        .bind(locales_to_json(&update.others))
        .bind(&update.widget_settings)
        .bind(now())
        .bind(site_id)
        .execute(&mut *transaction)
        .await?;
        let updated = Self::site_in(&mut transaction, site_id).await?;
        transaction.commit().await?;
        Ok(updated)
    }
});
