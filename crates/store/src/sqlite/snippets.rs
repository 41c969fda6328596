//! Snippets on SQLite: reading them (with their targets), writing them with their revisions,
//! and loading a site's servable snippets.

use super::{SqliteStore, reports};
use crate::rows::*;
use crate::*;
use engine::Target;
use sqlx::sqlite::SqlitePool;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, Transaction};
use std::collections::HashMap;

/// Id ranges a site is loaded in, in parallel.
const LOAD_PARTS: i64 = 4;

impl SqliteStore {
    /// Snippet rows with their targets, in id order.
    pub(super) async fn with_targets(
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

    pub(super) async fn stored_snippet(
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

    /// Servable snippets with ids in `from..to`, with their targets.
    pub(super) async fn load_range(
        pool: &SqlitePool,
        site_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<engine::Snippet>> {
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
                let targets = targets.remove(&row.id).unwrap_or_default();
                row.into_snippet(targets)
            })
            .collect()
    }

    pub(super) async fn write_targets(
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

    pub(super) async fn write_revision(
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
    pub(super) async fn insert_snippet(
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
    pub(super) async fn rewrite_snippet(
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

    pub(super) async fn servable_snippets(&self, site_id: i64) -> Result<Vec<engine::Snippet>> {
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

    pub(super) async fn snippet(&self, site_id: i64, id: i64) -> Result<Option<StoredSnippet>> {
        let mut transaction = self.pool.begin().await?;
        let found = Self::stored_snippet(&mut transaction, site_id, id).await?;
        transaction.commit().await?;
        Ok(found.map(|(stored, _)| stored))
    }

    pub(super) async fn snippets(&self, site_id: i64, filter: &SnippetFilter) -> Result<Vec<StoredSnippet>> {
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

    pub(super) async fn create_snippet(
        &self,
        site_id: i64,
        draft: &SnippetDraft,
        actor: &str,
    ) -> Result<StoredSnippet> {
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

    pub(super) async fn update_snippet(
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

    pub(super) async fn revisions(&self, site_id: i64, snippet_id: i64) -> Result<Vec<Revision>> {
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
}
