//! Events on SQLite: raw events, the daily rollups they feed, coverage counters, retention.

use super::{SqliteStore, reports};
use crate::plan::Rollups;
use crate::rows::{CoverageRow, EventRow};
use crate::*;
use sqlx::{QueryBuilder, Sqlite, Transaction};

impl SqliteStore {
    pub(super) async fn record_event_batches(&self, batches: &[EventBatch]) -> Result<usize> {
        if batches.iter().all(|batch| batch.events.is_empty()) {
            return Ok(0);
        }
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut stored = 0;
        for batch in batches {
            stored += Self::insert_events(&mut transaction, batch).await?;
        }
        // The rollups, in the same transaction: reports never disagree with the events.
        let Rollups { days, searches } = Rollups::of(batches);
        let days: Vec<_> = days.into_iter().collect();
        for chunk in days.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO event_days (site_id, day, kind, place, help_key, roles, locale, app_version, snippet_id,
                     via, helpful, specific, count) ",
            );
            upsert.push_values(chunk, |mut row, (key, count)| {
                let (
                    site_id,
                    day,
                    kind,
                    place,
                    help_key,
                    roles,
                    locale,
                    app_version,
                    snippet_id,
                    via,
                    helpful,
                    specific,
                ) = key;
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
        let searches: Vec<_> = searches.into_iter().collect();
        for chunk in searches.chunks(500) {
            let mut upsert =
                QueryBuilder::<Sqlite>::new("INSERT INTO search_days (site_id, day, query, searches, empty, viewed) ");
            upsert.push_values(chunk, |mut row, ((site_id, day, query), (searches, empty, viewed))| {
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
        Ok(stored)
    }

    /// Appends one request's events in `transaction`, many rows per statement (15 values each,
    /// well under SQLite's limit of variables).
    async fn insert_events(transaction: &mut Transaction<'_, Sqlite>, batch: &EventBatch) -> Result<usize> {
        for chunk in batch.events.chunks(500) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (site_id, kind, route, help_key, locale, snippet_id, query, results, helpful,
                     comment, roles, app_version, via, specific, created_at) ",
            );
            insert.push_values(chunk, |mut row, event| {
                row.push_bind(batch.site_id)
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
                    .push_bind(batch.at);
            });
            insert.build().execute(&mut **transaction).await?;
        }
        Ok(batch.events.len())
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
        for chunk in crate::plan::coverage_rows(&counts).chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO coverage (site_id, day, place, help_key, app_version, seen, helped) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, day, place, help_key, app_version), (seen, helped))| {
                row.push_bind(site_id)
                    .push_bind(day)
                    .push_bind(place)
                    .push_bind(help_key)
                    .push_bind(app_version)
                    .push_bind(seen)
                    .push_bind(helped);
            });
            upsert.push(
                " ON CONFLICT (site_id, day, place, help_key, app_version)
                 DO UPDATE SET seen = seen + excluded.seen, helped = helped + excluded.helped",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        // Each field also counts for its page as a whole (key ''), so "was this place seen" is
        // one row away.
        for chunk in crate::plan::sighting_rows(&counts).chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO sightings (site_id, place, help_key, app_version, first_day, last_day, seen) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, place, help_key, app_version), (first, last, seen))| {
                row.push_bind(site_id)
                    .push_bind(place)
                    .push_bind(help_key)
                    .push_bind(app_version)
                    .push_bind(first)
                    .push_bind(last)
                    .push_bind(seen);
            });
            upsert.push(
                " ON CONFLICT (site_id, place, help_key, app_version) DO UPDATE SET
                     first_day = MIN(first_day, excluded.first_day), last_day = MAX(last_day, excluded.last_day),
                     seen = seen + excluded.seen",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        let versions = crate::plan::app_versions_seen(&counts);
        for chunk in versions.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO seen_app_versions (site_id, app_version, first_day, last_day) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, app_version), (first, last))| {
                row.push_bind(site_id).push_bind(app_version).push_bind(first).push_bind(last);
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
        let rows: Vec<CoverageRow> = sqlx::query_as(
            "SELECT site_id, day, place, help_key, app_version, seen, helped FROM coverage
             WHERE site_id = ? AND day BETWEEN ? AND ? ORDER BY day, place, help_key, app_version",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CoverageRow::into_count).collect())
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
        Ok(rows.into_iter().map(EventRow::into_stored).collect())
    }
}
