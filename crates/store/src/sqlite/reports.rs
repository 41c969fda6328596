//! The reports' queries on SQLite. Days alone read the narrow rollups (`snippet_days`,
//! `place_days`); any filter on where or who reads the wide `event_days`. Either way SQLite
//! ranks and pages, and only one page of rows leaves the database.

use super::SqliteStore;
use crate::{
    AppVersionSeen, FieldShare, Paging, PlaceCount, PlaceTotals, Ranked, ReportScope, Reports, Result, SearchTotals,
    SnippetTotals, TargetsSeen,
};
use sqlx::{FromRow, QueryBuilder, Sqlite};

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// `WHERE` on a rollup with the scope's site, days and the filters the rollup has columns for.
fn push_scope(query: &mut QueryBuilder<Sqlite>, site_id: i64, scope: &ReportScope, who: bool) {
    query.push(" WHERE site_id = ").push_bind(site_id);
    query.push(" AND day BETWEEN ").push_bind(scope.from_day).push(" AND ").push_bind(scope.to_day);
    let mut equal = |column: &str, value: &Option<String>| {
        if let Some(value) = value {
            query.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
    };
    equal("place", &scope.place);
    equal("help_key", &scope.help_key);
    equal("app_version", &scope.app_version);
    if who {
        equal("locale", &scope.locale);
        if let Some(role) = &scope.role {
            // `roles` is sorted and comma-separated: match one whole role.
            query.push(" AND instr(',' || roles || ',', ',' || ").push_bind(role.clone()).push(" || ',') > 0");
        }
    }
}

fn push_paging(query: &mut QueryBuilder<Sqlite>, paging: Paging) {
    query.push(" LIMIT ").push_bind(i64::from(paging.limit)).push(" OFFSET ").push_bind(i64::from(paging.offset));
}

fn ranked<T>(rows: Vec<(i64, T)>) -> Ranked<T> {
    Ranked {
        total: rows.first().map_or(0, |(total, _)| count(*total)),
        rows: rows.into_iter().map(|(_, row)| row).collect(),
    }
}

#[async_trait::async_trait]
impl Reports for SqliteStore {
    async fn snippet_totals(
        &self,
        site_id: i64,
        scope: &ReportScope,
        moment: Option<engine::Moment>,
        paging: Paging,
    ) -> Result<Ranked<SnippetTotals>> {
        #[derive(FromRow)]
        struct Row {
            total: i64,
            snippet_id: i64,
            slug: String,
            title: String,
            moment: String,
            views: i64,
            panel: i64,
            hotspot: i64,
            search: i64,
            page: i64,
            helpful: i64,
            not_helpful: i64,
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT t.total, t.snippet_id, s.slug, s.title, s.moment, t.views, t.panel, t.hotspot, t.search, t.page,
                 t.helpful, t.not_helpful FROM (",
        );
        if scope.days_only() {
            query.push(
                "SELECT snippet_id, SUM(views) AS views, SUM(panel) AS panel, SUM(hotspot) AS hotspot,
                     SUM(search) AS search, SUM(page) AS page, SUM(helpful) AS helpful,
                     SUM(not_helpful) AS not_helpful, COUNT(*) OVER () AS total FROM snippet_days",
            );
            push_scope(&mut query, site_id, scope, false);
        } else {
            query.push(
                "SELECT snippet_id,
                     SUM(CASE WHEN kind = 'snippet_view' THEN count ELSE 0 END) AS views,
                     SUM(CASE WHEN kind = 'snippet_view' AND via NOT IN ('hotspot', 'search', 'page')
                         THEN count ELSE 0 END) AS panel,
                     SUM(CASE WHEN kind = 'snippet_view' AND via = 'hotspot' THEN count ELSE 0 END) AS hotspot,
                     SUM(CASE WHEN kind = 'snippet_view' AND via = 'search' THEN count ELSE 0 END) AS search,
                     SUM(CASE WHEN kind = 'snippet_view' AND via = 'page' THEN count ELSE 0 END) AS page,
                     SUM(CASE WHEN kind = 'feedback' AND helpful = 1 THEN count ELSE 0 END) AS helpful,
                     SUM(CASE WHEN kind = 'feedback' AND helpful = 0 THEN count ELSE 0 END) AS not_helpful,
                     COUNT(*) OVER () AS total FROM event_days",
            );
            push_scope(&mut query, site_id, scope, true);
            query.push(" AND snippet_id >= 0 AND kind IN ('snippet_view', 'feedback')");
        }
        if let Some(moment) = moment {
            query
                .push(" AND snippet_id IN (SELECT id FROM snippets WHERE site_id = ")
                .push_bind(site_id)
                .push(" AND moment = ")
                .push_bind(moment.as_str())
                .push(")");
        }
        query.push(" GROUP BY snippet_id ORDER BY views DESC, snippet_id");
        push_paging(&mut query, paging);
        query.push(") t JOIN snippets s ON s.id = t.snippet_id ORDER BY t.views DESC, t.snippet_id");
        let rows: Vec<Row> = query.build_query_as().fetch_all(&self.pool).await?;
        let mut totals = Vec::with_capacity(rows.len());
        for row in rows {
            totals.push((
                row.total,
                SnippetTotals {
                    snippet_id: row.snippet_id,
                    slug: row.slug,
                    title: row.title,
                    moment: engine::Moment::parse(&row.moment).map_err(super::corrupt)?,
                    views: count(row.views),
                    panel: count(row.panel),
                    hotspot: count(row.hotspot),
                    search: count(row.search),
                    page: count(row.page),
                    helpful: count(row.helpful),
                    not_helpful: count(row.not_helpful),
                },
            ));
        }
        Ok(ranked(totals))
    }

    async fn demand(&self, site_id: i64, scope: &ReportScope, paging: Paging) -> Result<Ranked<PlaceTotals>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) OVER (), place, help_key, roles, ");
        if scope.days_only() {
            query.push("SUM(opens) AS opened, SUM(views) AS viewed FROM place_days");
            push_scope(&mut query, site_id, scope, false);
        } else {
            query.push(
                "SUM(CASE WHEN kind = 'panel_open' THEN count ELSE 0 END) AS opened,
                 SUM(CASE WHEN kind = 'snippet_view' THEN count ELSE 0 END) AS viewed FROM event_days",
            );
            push_scope(&mut query, site_id, scope, true);
            query.push(" AND kind IN ('panel_open', 'snippet_view')");
        }
        query.push(
            " GROUP BY place, help_key, roles HAVING opened + viewed > 0
             ORDER BY opened DESC, viewed DESC, place, help_key, roles",
        );
        push_paging(&mut query, paging);
        let rows: Vec<(i64, String, String, String, i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(ranked(
            rows.into_iter()
                .map(|(total, place, help_key, roles, opens, views)| {
                    (total, PlaceTotals { place, help_key, roles, opens: count(opens), views: count(views) })
                })
                .collect(),
        ))
    }

    async fn opened_without_help(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<PlaceCount>> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) OVER (), place, help_key, ");
        if scope.days_only() {
            query.push("SUM(opens_without_help) AS opened FROM place_days");
            push_scope(&mut query, site_id, scope, false);
        } else {
            query.push("SUM(count) AS opened FROM event_days");
            push_scope(&mut query, site_id, scope, true);
            query.push(" AND kind = 'panel_open' AND specific = 0");
        }
        query.push(" GROUP BY place, help_key HAVING opened > 0 ORDER BY opened DESC, place, help_key");
        push_paging(&mut query, paging);
        place_counts(query.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn search_gaps(
        &self,
        site_id: i64,
        from_day: i64,
        to_day: i64,
        paging: Paging,
    ) -> Result<Ranked<SearchTotals>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT COUNT(*) OVER (), query, SUM(searches) AS searched, SUM(empty) AS found_nothing,
                 SUM(viewed) AS led_to_view FROM search_days WHERE site_id = ",
        );
        query.push_bind(site_id).push(" AND day BETWEEN ").push_bind(from_day).push(" AND ").push_bind(to_day);
        query.push(
            " GROUP BY query HAVING searched > 0 AND (found_nothing > 0 OR searched > led_to_view)
             ORDER BY found_nothing DESC, MAX(searched - led_to_view, 0) DESC, searched DESC, query",
        );
        push_paging(&mut query, paging);
        let rows: Vec<(i64, String, i64, i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(ranked(
            rows.into_iter()
                .map(|(total, query, searches, empty, viewed)| {
                    (
                        total,
                        SearchTotals { query, searches: count(searches), empty: count(empty), viewed: count(viewed) },
                    )
                })
                .collect(),
        ))
    }

    async fn fields_without_help(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<PlaceCount>> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT COUNT(*) OVER (), place, help_key, SUM(seen) AS times FROM coverage");
        push_scope(&mut query, site_id, scope, false);
        query.push(
            " AND help_key != '' GROUP BY place, help_key HAVING SUM(helped) = 0 ORDER BY times DESC, place, help_key",
        );
        push_paging(&mut query, paging);
        place_counts(query.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn coverage_by_place(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<FieldShare<String>>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT COUNT(*) OVER (), place, COUNT(*) AS fields, SUM(had_help) FROM
                 (SELECT place, help_key, MAX(helped > 0) AS had_help FROM coverage",
        );
        push_scope(&mut query, site_id, scope, false);
        query.push(" AND help_key != '' GROUP BY place, help_key) GROUP BY place ORDER BY fields DESC, place");
        push_paging(&mut query, paging);
        let rows: Vec<(i64, String, i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(ranked(
            rows.into_iter()
                .map(|(total, place, seen, helped)| {
                    (total, FieldShare { of: place, fields_seen: count(seen), fields_with_help: count(helped) })
                })
                .collect(),
        ))
    }

    async fn coverage_by_day(&self, site_id: i64, scope: &ReportScope) -> Result<Vec<FieldShare<i64>>> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT day, COUNT(*), SUM(had_help) FROM
                 (SELECT day, place, help_key, MAX(helped > 0) AS had_help FROM coverage",
        );
        push_scope(&mut query, site_id, scope, false);
        query.push(" AND help_key != '' GROUP BY day, place, help_key) GROUP BY day ORDER BY day");
        let rows: Vec<(i64, i64, i64)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(day, seen, helped)| FieldShare {
                of: day,
                fields_seen: count(seen),
                fields_with_help: count(helped),
            })
            .collect())
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
                     JOIN sightings f ON f.site_id = ?1 AND f.help_key = targets.value
                     WHERE targets.kind = 'key' AND targets.value NOT LIKE '%.*'
                 UNION ALL
                 SELECT targets.id, f.last_day, f.app_version FROM targets
                     JOIN sightings f ON f.site_id = ?1
                         AND f.help_key > substr(targets.value, 1, length(targets.value) - 1)
                         AND f.help_key < substr(targets.value, 1, length(targets.value) - 2) || '/'
                     WHERE targets.kind = 'key' AND targets.value LIKE '%.*'
                 UNION ALL
                 SELECT targets.id, f.last_day, f.app_version FROM targets
                     JOIN sightings f ON f.site_id = ?1 AND f.place = targets.value
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
            "SELECT c.snippet_id, c.created_at, c.comment FROM json_each(?1) wanted JOIN events c ON c.id IN (
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

fn place_counts(rows: Vec<(i64, String, String, i64)>) -> Result<Ranked<PlaceCount>> {
    Ok(ranked(
        rows.into_iter()
            .map(|(total, place, help_key, times)| (total, PlaceCount { place, help_key, count: count(times) }))
            .collect(),
    ))
}
