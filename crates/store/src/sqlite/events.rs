//! Events on SQLite: raw events, the daily rollups they feed, coverage counters, retention.

use super::{SqliteStore, reports};
use crate::*;
use sqlx::{FromRow, QueryBuilder, Sqlite, Transaction};
use std::collections::HashMap;

/// One row of `event_days`: kind, place, help key, roles, locale, app version, snippet (or -1),
/// via, helpful and specific (-1 for none, else 0 or 1).
type DayRow = (String, String, String, String, String, String, i64, String, i64, i64);

impl SqliteStore {
    pub(super) async fn record_event_batches(&self, batches: &[EventBatch]) -> Result<usize> {
        if batches.iter().all(|batch| batch.events.is_empty()) {
            return Ok(0);
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut stored = 0;
        for batch in batches {
            stored += Self::record_in(&mut transaction, batch.site_id, batch.at, &batch.events).await?;
        }
        transaction.commit().await?;
        Ok(stored)
    }

    /// Appends `events` of `site_id` at `at`, and their rollups, in `transaction`.
    async fn record_in(
        transaction: &mut Transaction<'_, Sqlite>,
        site_id: i64,
        at: i64,
        events: &[Event],
    ) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let day = at.div_euclid(86_400);
        // The rollups' increments, summed over the batch first: one upsert per distinct row.
        let flag = |value: Option<bool>| value.map_or(-1, i64::from);
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut rollup: HashMap<DayRow, i64> = HashMap::new();
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
            insert.build().execute(&mut **transaction).await?;
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
            upsert.build().execute(&mut **transaction).await?;
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
            upsert.build().execute(&mut **transaction).await?;
        }
        Ok(events.len())
    }

    pub(super) async fn add_coverage(&self, counts: &[CoverageCount]) -> Result<()> {
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

    pub(super) async fn coverage(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<CoverageCount>> {
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

    pub(super) async fn delete_events_before(&self, before: engine::Timestamp) -> Result<u64> {
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

    pub(super) async fn events(&self, site_id: i64, after: i64, limit: u32) -> Result<Vec<StoredEvent>> {
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
}
