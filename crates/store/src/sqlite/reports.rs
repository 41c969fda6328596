//! The reports' queries on SQLite: the daily rollups of a range, and the lookups a report's
//! page needs (one query each, never one per row).

use super::SqliteStore;
use crate::{AppVersionSeen, EventDay, Reports, Result, SearchDay, SnippetSummary, TargetsSeen};
use sqlx::FromRow;

#[async_trait::async_trait]
impl Reports for SqliteStore {
    async fn event_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<EventDay>> {
        #[derive(FromRow)]
        struct Row {
            day: i64,
            kind: String,
            place: String,
            help_key: String,
            roles: String,
            locale: String,
            app_version: String,
            snippet_id: i64,
            via: String,
            helpful: i64,
            specific: i64,
            count: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT day, kind, place, help_key, roles, locale, app_version, snippet_id, via, helpful, specific, count
             FROM event_days WHERE site_id = ? AND day BETWEEN ? AND ?",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| EventDay {
                day: row.day,
                kind: row.kind,
                place: row.place,
                help_key: row.help_key,
                roles: row.roles,
                locale: row.locale,
                app_version: row.app_version,
                snippet_id: row.snippet_id,
                via: row.via,
                helpful: row.helpful,
                specific: row.specific,
                count: u64::try_from(row.count).unwrap_or(0),
            })
            .collect())
    }

    async fn search_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<SearchDay>> {
        let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT day, query, searches, empty, viewed FROM search_days WHERE site_id = ? AND day BETWEEN ? AND ?",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|(day, query, searches, empty, viewed)| SearchDay {
                day,
                query,
                searches: count(searches),
                empty: count(empty),
                viewed: count(viewed),
            })
            .collect())
    }

    async fn snippet_summaries(&self, site_id: i64, ids: &[i64]) -> Result<Vec<SnippetSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.slug, s.title, s.moment FROM json_each(?1) wanted CROSS JOIN snippets s ON s.id = wanted.value
             WHERE s.site_id = ?2",
        )
        .bind(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, slug, title, moment)| {
                Ok(SnippetSummary { id, slug, title, moment: engine::Moment::parse(&moment).map_err(super::corrupt)? })
            })
            .collect()
    }

    async fn snippet_ids_of_moment(&self, site_id: i64, moment: engine::Moment) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM snippets WHERE site_id = ? AND moment = ?")
            .bind(site_id)
            .bind(moment.as_str())
            .fetch_all(&self.pool)
            .await?)
    }

    async fn pages_seen_since(&self, site_id: i64, day: i64) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM coverage WHERE site_id = ? AND day >= ?)")
            .bind(site_id)
            .bind(day)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn app_versions_seen(&self, site_id: i64) -> Result<Vec<AppVersionSeen>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT app_version, first_day FROM seen_app_versions WHERE site_id = ? ORDER BY first_day, app_version",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(app_version, first_day)| AppVersionSeen { app_version, first_day }).collect())
    }

    async fn stale_targets(&self, site_id: i64, since: i64, versions: &[String]) -> Result<Vec<TargetsSeen>> {
        // A key target `a.b` is seen as the key itself; `a.*` as any key in [`a.`, `a/`) (`/`
        // follows `.` in byte order); route and URL pattern targets as the place.
        let rows: Vec<(i64, String, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "WITH targets AS (
                 SELECT s.id, t.kind, t.value FROM snippets s JOIN snippet_targets t ON t.snippet_id = s.id
                 WHERE s.site_id = ?1 AND s.status = 'published'),
             ranks AS (SELECT value AS app_version, key AS rank FROM json_each(?2)),
             matched AS (
                 SELECT targets.id, f.last_day, f.app_version FROM targets
                     JOIN sightings f INDEXED BY sightings_by_key ON f.site_id = ?1 AND f.help_key = targets.value
                     WHERE targets.kind = 'key' AND targets.value NOT LIKE '%.*'
                 UNION ALL
                 SELECT targets.id, f.last_day, f.app_version FROM targets
                     JOIN sightings f ON f.site_id = ?1
                         AND f.help_key > substr(targets.value, 1, length(targets.value) - 1)
                         AND f.help_key < substr(targets.value, 1, length(targets.value) - 2) || '/'
                     WHERE targets.kind = 'key' AND targets.value LIKE '%.*'
                 UNION ALL
                 SELECT targets.id, f.last_day, f.app_version FROM targets
                     JOIN sightings f ON f.site_id = ?1 AND f.place = targets.value AND f.help_key = ''
                     WHERE targets.kind IN ('route', 'url')),
             seen AS (
                 SELECT matched.id, MAX(matched.last_day) AS last_day, MAX(ranks.rank) AS newest
                 FROM matched LEFT JOIN ranks ON ranks.app_version = matched.app_version GROUP BY matched.id)
             SELECT s.id, s.slug, s.title, seen.last_day, seen.newest
             FROM (SELECT DISTINCT id FROM targets) ids JOIN snippets s ON s.id = ids.id
                 LEFT JOIN seen ON seen.id = ids.id
             WHERE seen.last_day IS NULL OR seen.last_day < ?3 OR seen.newest < ?4
             ORDER BY s.id",
        )
        .bind(site_id)
        .bind(serde_json::to_string(versions).unwrap_or_else(|_| "[]".into()))
        .bind(since)
        .bind(i64::try_from(versions.len()).unwrap_or(i64::MAX) - 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(snippet_id, slug, title, last_day, newest)| TargetsSeen {
                snippet_id,
                slug,
                title,
                last_day,
                newest_version: newest.and_then(|index| usize::try_from(index).ok()),
            })
            .collect())
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
            "SELECT c.snippet_id, c.created_at, c.comment FROM json_each(?1) wanted CROSS JOIN events c ON c.id IN (
                 SELECT newest.id FROM events newest
                 WHERE newest.site_id = ?2 AND newest.snippet_id = wanted.value AND newest.kind = 'feedback'
                     AND newest.helpful = 0 AND newest.comment IS NOT NULL
                 ORDER BY newest.id DESC LIMIT ?3)
             ORDER BY c.snippet_id, c.id DESC",
        )
        .bind(serde_json::to_string(snippet_ids).unwrap_or_else(|_| "[]".into()))
        .bind(site_id)
        .bind(i64::from(per_snippet))
        .fetch_all(&self.pool)
        .await?)
    }
}
