//! The reports' queries on PostgreSQL: the daily rollups of a range, and the lookups a report's
//! page needs (one query each, never one per row).

use super::PgStore;
use crate::rows::{EventDayRow, SearchDayRow, StaleRow, stale_targets, summary};
use crate::{AppVersionSeen, EventDay, Reports, Result, SearchDay, SnippetSummary, TargetsSeen};
use sqlx::{Postgres, Transaction};

#[async_trait::async_trait]
impl Reports for PgStore {
    async fn event_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<EventDay>> {
        let rows: Vec<EventDayRow> = sqlx::query_as(
            "SELECT day, kind, place, help_key, roles, locale, app_version, snippet_id, via, helpful, specific, count
             FROM event_days WHERE site_id = $1 AND day BETWEEN $2 AND $3",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(EventDayRow::into_event_day).collect())
    }

    async fn search_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<SearchDay>> {
        let rows: Vec<SearchDayRow> = sqlx::query_as(
            "SELECT day, query, searches, empty, viewed FROM search_days WHERE site_id = $1 AND day BETWEEN $2 AND $3",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(SearchDayRow::into_search_day).collect())
    }

    async fn snippet_summaries(&self, site_id: i64, ids: &[i64]) -> Result<Vec<SnippetSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, slug, title, moment FROM snippets WHERE id = ANY($1) AND site_id = $2")
                .bind(ids)
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(summary).collect()
    }

    async fn snippet_ids_of_moment(&self, site_id: i64, moment: engine::Moment) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM snippets WHERE site_id = $1 AND moment = $2")
            .bind(site_id)
            .bind(moment.as_str())
            .fetch_all(&self.pool)
            .await?)
    }

    async fn pages_seen_since(&self, site_id: i64, day: i64) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM coverage WHERE site_id = $1 AND day >= $2)")
            .bind(site_id)
            .bind(day)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn app_versions_seen(&self, site_id: i64) -> Result<Vec<AppVersionSeen>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT app_version, first_day FROM seen_app_versions WHERE site_id = $1 ORDER BY first_day, app_version",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(app_version, first_day)| AppVersionSeen { app_version, first_day }).collect())
    }

    async fn stale_targets(
        &self,
        site_id: i64,
        since: Option<i64>,
        versions: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<TargetsSeen>)> {
        // Unseen since `since` (or never), or newest version seen older than the newest one.
        let older = versions.get(..versions.len().saturating_sub(1)).unwrap_or_default();
        let rows: Vec<StaleRow> = sqlx::query_as(
            "SELECT COUNT(*) OVER (), s.id, s.slug, s.title, seen.last_day, seen.newest_version FROM (
                 SELECT snippet_id FROM snippet_sightings WHERE site_id = $1 AND $2::bigint IS NOT NULL
                     AND last_day IS NULL
                 UNION SELECT snippet_id FROM snippet_sightings WHERE site_id = $1 AND last_day < $2
                 UNION SELECT snippet_id FROM snippet_sightings WHERE site_id = $1 AND newest_version = ANY($3)
             ) stale
             JOIN snippet_sightings seen ON seen.snippet_id = stale.snippet_id
             JOIN snippets s ON s.id = stale.snippet_id
             WHERE s.status = 'published'
             ORDER BY seen.last_day IS NOT NULL, seen.last_day, s.id LIMIT $4 OFFSET $5",
        )
        .bind(site_id)
        .bind(since)
        .bind(older)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        Ok(stale_targets(rows, versions))
    }

    async fn unhelpful_comments(
        &self,
        site_id: i64,
        snippet_ids: &[i64],
        per_snippet: u32,
    ) -> Result<Vec<(i64, engine::Timestamp, String)>> {
        if snippet_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(
            "SELECT c.snippet_id, c.created_at, c.comment FROM UNNEST($1::bigint[]) AS wanted(id)
             CROSS JOIN LATERAL (
                 SELECT newest.id, newest.snippet_id, newest.created_at, newest.comment FROM events newest
                 WHERE newest.site_id = $2 AND newest.snippet_id = wanted.id AND newest.kind = 'feedback'
                     AND newest.helpful = FALSE AND newest.comment IS NOT NULL
                 ORDER BY newest.id DESC LIMIT $3
             ) c
             ORDER BY c.snippet_id, c.id DESC",
        )
        .bind(snippet_ids)
        .bind(site_id)
        .bind(i64::from(per_snippet))
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Works out again when pages last showed any of these snippets' targets, and the newest app
/// version (by semver) that showed one, from the field sightings.
pub(super) async fn refresh_snippet_sightings(
    transaction: &mut Transaction<'_, Postgres>,
    snippet_ids: &[i64],
) -> Result<()> {
    for snippet_id in snippet_ids {
        let targeted: Option<i64> = sqlx::query_scalar(
            "SELECT s.site_id FROM snippets s
             WHERE s.id = $1 AND EXISTS (SELECT 1 FROM snippet_targets WHERE snippet_id = s.id)",
        )
        .bind(snippet_id)
        .fetch_optional(&mut **transaction)
        .await?;
        let Some(site_id) = targeted else {
            sqlx::query("DELETE FROM snippet_sightings WHERE snippet_id = $1")
                .bind(snippet_id)
                .execute(&mut **transaction)
                .await?;
            continue;
        };
        // A key target `a.b` is seen as the key itself; `a.*` as any key in [`a.`, `a/`) (`/`
        // follows `.` in byte order: `help_key` compares in the "C" collation); a route or URL
        // pattern as the page (key '').
        let seen: Vec<(String, Option<i64>)> = sqlx::query_as(
            "WITH targets AS (SELECT kind, value FROM snippet_targets WHERE snippet_id = $1)
             SELECT f.app_version, MAX(f.last_day) FROM targets
                 JOIN sightings f ON f.site_id = $2 AND f.help_key = targets.value
                 WHERE targets.kind = 'key' AND targets.value NOT LIKE '%.*' GROUP BY f.app_version
             UNION ALL
             SELECT f.app_version, MAX(f.last_day) FROM targets
                 JOIN sightings f ON f.site_id = $2
                     AND f.help_key > substr(targets.value, 1, length(targets.value) - 1)
                     AND f.help_key < substr(targets.value, 1, length(targets.value) - 2) || '/'
                 WHERE targets.kind = 'key' AND targets.value LIKE '%.*' GROUP BY f.app_version
             UNION ALL
             SELECT f.app_version, MAX(f.last_day) FROM targets
                 JOIN sightings f ON f.site_id = $2 AND f.place = targets.value AND f.help_key = ''
                 WHERE targets.kind IN ('route', 'url') GROUP BY f.app_version",
        )
        .bind(snippet_id)
        .bind(site_id)
        .fetch_all(&mut **transaction)
        .await?;
        let (last_day, newest) = crate::plan::last_seen(&seen);
        sqlx::query(
            "INSERT INTO snippet_sightings (snippet_id, site_id, last_day, newest_version) VALUES ($1, $2, $3, $4)
             ON CONFLICT (snippet_id) DO UPDATE SET site_id = excluded.site_id, last_day = excluded.last_day,
                 newest_version = excluded.newest_version",
        )
        .bind(snippet_id)
        .bind(site_id)
        .bind(last_day)
        .bind(newest)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// The snippets whose targets may be what these sightings (place, help key) show.
pub(super) async fn snippets_concerned(
    transaction: &mut Transaction<'_, Postgres>,
    sightings: &[(&str, &str)],
) -> Result<Vec<i64>> {
    let values = crate::plan::concerned_values(sightings);
    Ok(sqlx::query_scalar("SELECT DISTINCT snippet_id FROM snippet_targets WHERE value = ANY($1) ORDER BY snippet_id")
        .bind(&values)
        .fetch_all(&mut **transaction)
        .await?)
}
