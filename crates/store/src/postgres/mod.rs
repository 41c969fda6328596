//! The backend for several instances: PostgreSQL (15 and later), shared by every `cuecard serve`
//! behind a load balancer.
//!
//! Writes to one site's content are serialized by a lock on the site's row (`FOR NO KEY UPDATE`,
//! which event and coverage inserts referencing the site do not wait for), so conditional
//! writes keep their promise across instances. A trigger announces every change of a site's
//! content version on the `cuecard_content` channel when its transaction commits; each
//! instance listens ([`Store::wait_for_change`]) and rebuilds that site's indexes.

use crate::rows::*;
use crate::{Error, Precondition, Result, Site, SiteChanges, SiteSpec};
use engine::render::Renderer;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

mod events;
mod import;
mod keys;
mod reports;
mod snippets;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel content changes are announced on (see the migration's trigger).
const CONTENT_CHANNEL: &str = "cuecard_content";

/// Connections per instance unless the operator says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 10;

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    renderer: Renderer,
    /// Told of content changes by every instance; connected at the first wait.
    listener: tokio::sync::Mutex<Option<PgListener>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/database`; `?options=-c search_path=SCHEMA` for
    /// another schema) with up to `pool_size` connections, applies this release's migrations
    /// (sqlx holds an advisory lock meanwhile, so instances starting together migrate once), and
    /// re-renders stored HTML if `renderer`'s policy differs from the one it was made with.
    pub async fn open(url: &str, renderer: Renderer, pool_size: u32) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let options =
            if options.get_application_name().is_some() { options } else { options.application_name("cuecard") };
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await.map_err(|error| migration_error(&MIGRATOR, error))?;
        let store = PgStore { pool, renderer, listener: tokio::sync::Mutex::new(None) };
        store.apply_render_policy().await?;
        Ok(store)
    }

    /// When the rendering policy changed, every snippet's HTML is rendered again from its
    /// Markdown in one transaction, and every site's indexes rebuilt. Instances starting together
    /// take turns (an advisory lock): the first does the work, the others find it done.
    async fn apply_render_policy(&self) -> Result<usize> {
        let fingerprint = self.renderer.fingerprint();
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('cuecard_render_policy'))")
            .execute(&mut *transaction)
            .await?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_settings WHERE name = 'render_policy'")
                .fetch_optional(&mut *transaction)
                .await?;
        if stored.is_some_and(|stored| stored == fingerprint) {
            return Ok(0);
        }
        let stored: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, body_markdown, body_html FROM snippets").fetch_all(&mut *transaction).await?;
        let changed = crate::plan::rerendered(&self.renderer, stored);
        for (id, html) in &changed {
            sqlx::query("UPDATE snippets SET body_html = $1 WHERE id = $2")
                .bind(html)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        if !changed.is_empty() {
            sqlx::query("UPDATE sites SET content_version = content_version + 1").execute(&mut *transaction).await?;
        }
        sqlx::query(
            "INSERT INTO store_settings (name, value) VALUES ('render_policy', $1)
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
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE public_key = $1")))
                .bind(public_key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(SiteRow::into_site).transpose()
    }

    /// The site, its row locked until `transaction` ends: writes to one site's content or keys
    /// take turns, on whichever instance they arrive.
    pub(super) async fn lock_site(transaction: &mut Transaction<'_, Postgres>, site_id: i64) -> Result<Site> {
        let row: Option<SiteRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {SITE_COLUMNS} FROM sites WHERE id = $1 FOR NO KEY UPDATE")))
                .bind(site_id)
                .fetch_optional(&mut **transaction)
                .await?;
        row.map(SiteRow::into_site).transpose()?.ok_or(Error::NotFound)
    }

    pub(super) async fn bump_content_version(
        transaction: &mut Transaction<'_, Postgres>,
        site_id: i64,
        at: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE sites SET content_version = content_version + 1, updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(site_id)
            .execute(&mut **transaction)
            .await?;
        Ok(())
    }

    async fn listen(&self) -> Result<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CONTENT_CHANNEL).await?;
        Ok(listener)
    }
}

// The operations not written here are inherent methods in the file of their concern.
store_in_inherent_methods!(PgStore {
    async fn schema_version(&self) -> Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?;
        Ok(version.unwrap_or(0))
    }

    fn announces_changes(&self) -> bool {
        true
    }

    async fn wait_for_change(&self) -> Result<()> {
        let mut listener = self.listener.lock().await;
        let Some(connected) = listener.as_mut() else {
            // Changes made before listening began were not announced to this instance.
            *listener = Some(self.listen().await?);
            return Ok(());
        };
        match connected.try_recv().await {
            Ok(_) => Ok(()),
            Err(error) => {
                *listener = None;
                Err(error.into())
            }
        }
    }

    async fn put_site(&self, spec: &SiteSpec) -> Result<Site> {
        spec.validate()?;
        let at = now();
        sqlx::query(
            "INSERT INTO sites (public_key, name, origins, default_locale, locales, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (public_key) DO UPDATE SET
                 name = excluded.name, origins = excluded.origins,
                 default_locale = excluded.default_locale, locales = excluded.locales,
                 updated_at = excluded.updated_at, content_version = sites.content_version + 1,
                 settings_version = sites.settings_version + 1",
        )
        .bind(&spec.public_key)
        .bind(&spec.name)
        .bind(to_json(&spec.origins))
        .bind(spec.default_locale.as_str())
        .bind(locales_to_json(&crate::plan::other_locales(spec)))
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
        let mut transaction = self.pool.begin().await?;
        let current = Self::lock_site(&mut transaction, site_id).await?;
        if !expected.allows(current.settings_version) {
            return Err(Error::StaleSite(Box::new(current)));
        }
        let Some(update) = crate::plan::site_update(&current, changes)? else {
            return Ok(current);
        };
        sqlx::query(
            "UPDATE sites SET name = $1, origins = $2, default_locale = $3, locales = $4, widget_settings = $5,
                 content_version = content_version + 1, settings_version = settings_version + 1, updated_at = $6
             WHERE id = $7",
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
        let updated = Self::lock_site(&mut transaction, site_id).await?;
        transaction.commit().await?;
        Ok(updated)
    }
});
