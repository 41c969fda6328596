//! Snippets on PostgreSQL: reading them (with their targets), writing them with their
//! revisions, and loading a site's servable snippets.

use super::{PgStore, reports};
use crate::rows::*;
use crate::*;
use engine::Target;
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Transaction};
use std::collections::HashMap;

/// Target rows grouped by snippet, in position order.
fn targets_by_snippet(rows: Vec<TargetRow>) -> Result<HashMap<i64, Vec<Target>>> {
    let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
    for row in rows {
        targets.entry(row.snippet_id).or_default().push(target_from_parts(&row.kind, row.value)?);
    }
    Ok(targets)
}

impl PgStore {
    /// Snippet rows with their targets (and the version the last import wrote), in id order.
    pub(super) async fn with_targets(
        transaction: &mut Transaction<'_, Postgres>,
        rows: Vec<SnippetRow>,
    ) -> Result<Vec<(StoredSnippet, Option<i64>)>> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let target_rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT snippet_id, kind, value FROM snippet_targets WHERE snippet_id = ANY($1)
             ORDER BY snippet_id, position",
        )
        .bind(&ids)
        .fetch_all(&mut **transaction)
        .await?;
        let mut targets = targets_by_snippet(target_rows)?;
        rows.into_iter()
            .map(|row| {
                let imported_version = row.imported_version;
                let snippet_targets = targets.remove(&row.id).unwrap_or_default();
                Ok((row.into_stored(snippet_targets)?, imported_version))
            })
            .collect()
    }

    pub(super) async fn stored_snippet(
        transaction: &mut Transaction<'_, Postgres>,
        site_id: i64,
        id: i64,
    ) -> Result<Option<(StoredSnippet, Option<i64>)>> {
        let rows: Vec<SnippetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = $1 AND id = $2"
        )))
        .bind(site_id)
        .bind(id)
        .fetch_all(&mut **transaction)
        .await?;
        Ok(Self::with_targets(transaction, rows).await?.pop())
    }

    pub(super) async fn write_targets(
        transaction: &mut Transaction<'_, Postgres>,
        snippet_id: i64,
        targets: &[Target],
    ) -> Result<()> {
        sqlx::query("DELETE FROM snippet_targets WHERE snippet_id = $1")
            .bind(snippet_id)
            .execute(&mut **transaction)
            .await?;
        let (kinds, values): (Vec<&str>, Vec<&str>) = targets.iter().map(target_parts).unzip();
        sqlx::query(
            "INSERT INTO snippet_targets (snippet_id, position, kind, value)
             SELECT $1, position - 1, kind, value FROM UNNEST($2::text[], $3::text[]) WITH ORDINALITY
                 AS target(kind, value, position)",
        )
        .bind(snippet_id)
        .bind(&kinds)
        .bind(&values)
        .execute(&mut **transaction)
        .await?;
        reports::refresh_snippet_sightings(transaction, &[snippet_id]).await
    }

    pub(super) async fn write_revision(
        transaction: &mut Transaction<'_, Postgres>,
        snippet_id: i64,
        version: i64,
        draft: &SnippetDraft,
        actor: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO snippet_revisions (snippet_id, version, title, body_markdown, moment, roles, priority,
                 status, publish_at, expire_at, app_versions, targets, actor, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
        transaction: &mut Transaction<'_, Postgres>,
        site_id: i64,
        draft: &SnippetDraft,
        actor: &str,
        imported: bool,
        at: i64,
    ) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO snippets (site_id, slug, locale, title, body_markdown, body_html, body_text, moment,
                 roles, priority, status, publish_at, expire_at, app_versions, imported_version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
             RETURNING id",
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
        .fetch_one(&mut **transaction)
        .await
        .map_err(|error| duplicate_or(error, draft))?;
        Self::write_targets(transaction, id, &draft.targets).await?;
        Self::write_revision(transaction, id, 1, draft, actor, at).await?;
        Ok(id)
    }

    /// Writes new content over snippet `id` (known to be at `version`), its targets and a revision.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn rewrite_snippet(
        &self,
        transaction: &mut Transaction<'_, Postgres>,
        id: i64,
        version: i64,
        draft: &SnippetDraft,
        actor: &str,
        imported: bool,
        at: i64,
    ) -> Result<()> {
        let next_version = version + 1;
        sqlx::query(
            "UPDATE snippets SET slug = $1, locale = $2, title = $3, body_markdown = $4, body_html = $5,
                 body_text = $6, moment = $7, roles = $8, priority = $9, status = $10, publish_at = $11,
                 expire_at = $12, app_versions = $13, version = $14,
                 imported_version = CASE WHEN $15 THEN $14 ELSE imported_version END, updated_at = $16
             WHERE id = $17 AND version = $18",
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

    /// One consistent snapshot (repeatable read): the servable rows and their targets agree.
    pub(super) async fn servable_snippets(&self, site_id: i64) -> Result<Vec<engine::Snippet>> {
        let mut transaction = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        let rows: Vec<ServableRow> = sqlx::query_as(
            "SELECT id, slug, locale, title, body_html, body_text, moment, roles, priority, status,
                    publish_at, expire_at, app_versions
             FROM snippets WHERE site_id = $1 AND status IN ('draft', 'published') ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&mut *transaction)
        .await?;
        let target_rows: Vec<TargetRow> = sqlx::query_as(
            "SELECT t.snippet_id, t.kind, t.value FROM snippet_targets t JOIN snippets s ON s.id = t.snippet_id
             WHERE s.site_id = $1 AND s.status IN ('draft', 'published') ORDER BY t.snippet_id, t.position",
        )
        .bind(site_id)
        .fetch_all(&mut *transaction)
        .await?;
        transaction.commit().await?;
        let mut targets = targets_by_snippet(target_rows)?;
        rows.into_iter()
            .map(|row| {
                let targets = targets.remove(&row.id).unwrap_or_default();
                row.into_snippet(targets)
            })
            .collect()
    }

    pub(super) async fn snippet(&self, site_id: i64, id: i64) -> Result<Option<StoredSnippet>> {
        let mut transaction = self.pool.begin().await?;
        let found = Self::stored_snippet(&mut transaction, site_id, id).await?;
        transaction.commit().await?;
        Ok(found.map(|(stored, _)| stored))
    }

    pub(super) async fn snippets(&self, site_id: i64, filter: &SnippetFilter) -> Result<Vec<StoredSnippet>> {
        let mut query =
            QueryBuilder::<Postgres>::new(format!("SELECT {SNIPPET_COLUMNS} FROM snippets WHERE site_id = "));
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
            query.push(" AND starts_with(slug, ").push_bind(prefix.clone()).push(")");
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            let text = text.to_ascii_lowercase();
            query.push(" AND (strpos(lower(title), ").push_bind(text.clone());
            query.push(") > 0 OR strpos(lower(slug), ").push_bind(text.clone());
            query.push(") > 0 OR strpos(lower(body_markdown), ").push_bind(text).push(") > 0)");
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
        let mut transaction = self.pool.begin().await?;
        Self::lock_site(&mut transaction, site_id).await?;
        // An archived snippet's slug is free again: the snippet comes back with the new content
        // as its next version, so its history stays in one place.
        let archived: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, version FROM snippets
             WHERE site_id = $1 AND slug = $2 AND locale = $3 AND status = 'archived'",
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
        let mut transaction = self.pool.begin().await?;
        Self::lock_site(&mut transaction, site_id).await?;
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
            sqlx::query_as("SELECT slug, locale FROM snippets WHERE site_id = $1 AND id = $2")
                .bind(site_id)
                .bind(snippet_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let (slug, locale) = identity.ok_or(Error::NotFound)?;
        let rows: Vec<RevisionRow> = sqlx::query_as(
            "SELECT version, title, body_markdown, moment, roles, priority, status, publish_at, expire_at,
                    app_versions, targets, actor, created_at
             FROM snippet_revisions WHERE snippet_id = $1 ORDER BY version DESC",
        )
        .bind(snippet_id)
        .fetch_all(&mut *transaction)
        .await?;
        transaction.commit().await?;
        rows.into_iter().map(|row| row.into_revision(&slug, &locale)).collect()
    }
}
