//! Events on PostgreSQL: raw events, the daily rollups they feed, coverage counters, retention.

use super::{PgStore, reports};
use crate::plan::Rollups;
use crate::rows::{CoverageRow, EventRow};
use crate::*;
use sqlx::{Postgres, QueryBuilder, Transaction};

impl PgStore {
    pub(super) async fn record_event_batches(&self, batches: &[EventBatch]) -> Result<usize> {
        if batches.iter().all(|batch| batch.events.is_empty()) {
            return Ok(0);
        }
        let mut transaction = self.pool.begin().await?;
        let stored = Self::insert_events(&mut transaction, batches).await?;
        // The rollups, in the same transaction: reports never disagree with the events. Rows are
        // upserted in key order, so writers on several instances never deadlock.
        let Rollups { days, searches } = Rollups::of(batches);
        let days: Vec<_> = days.into_iter().collect();
        for chunk in days.chunks(1000) {
            let mut upsert = QueryBuilder::<Postgres>::new(
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
                     helpful, specific) DO UPDATE SET count = event_days.count + excluded.count",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        let searches: Vec<_> = searches.into_iter().collect();
        for chunk in searches.chunks(1000) {
            let mut upsert = QueryBuilder::<Postgres>::new(
                "INSERT INTO search_days (site_id, day, query, searches, empty, viewed) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, day, query), (searches, empty, viewed))| {
                row.push_bind(site_id)
                    .push_bind(day)
                    .push_bind(query)
                    .push_bind(searches)
                    .push_bind(empty)
                    .push_bind(viewed);
            });
            upsert.push(
                " ON CONFLICT (site_id, day, query) DO UPDATE SET searches = search_days.searches + excluded.searches,
                     empty = search_days.empty + excluded.empty, viewed = search_days.viewed + excluded.viewed",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(stored)
    }

    /// Appends every batch's events in one statement: each column bound as one array.
    async fn insert_events(transaction: &mut Transaction<'_, Postgres>, batches: &[EventBatch]) -> Result<usize> {
        let rows: Vec<(i64, i64, &Event)> = batches
            .iter()
            .flat_map(|batch| batch.events.iter().map(|event| (batch.site_id, batch.at, event)))
            .collect();
        let text = |pick: fn(&Event) -> &Option<String>| -> Vec<Option<&str>> {
            rows.iter().map(|(_, _, event)| pick(event).as_deref()).collect()
        };
        sqlx::query(
            "INSERT INTO events (site_id, kind, route, help_key, locale, snippet_id, query, results, helpful,
                 comment, roles, app_version, via, specific, created_at)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                 $7::text[], $8::bigint[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[],
                 $14::boolean[], $15::bigint[])",
        )
        .bind(rows.iter().map(|(site_id, _, _)| *site_id).collect::<Vec<i64>>())
        .bind(rows.iter().map(|(_, _, event)| event.kind.as_str()).collect::<Vec<&str>>())
        .bind(text(|event| &event.route))
        .bind(text(|event| &event.help_key))
        .bind(text(|event| &event.locale))
        .bind(rows.iter().map(|(_, _, event)| event.snippet_id).collect::<Vec<Option<i64>>>())
        .bind(text(|event| &event.query))
        .bind(rows.iter().map(|(_, _, event)| event.results).collect::<Vec<Option<i64>>>())
        .bind(rows.iter().map(|(_, _, event)| event.helpful).collect::<Vec<Option<bool>>>())
        .bind(text(|event| &event.comment))
        .bind(text(|event| &event.roles))
        .bind(text(|event| &event.app_version))
        .bind(text(|event| &event.via))
        .bind(rows.iter().map(|(_, _, event)| event.specific).collect::<Vec<Option<bool>>>())
        .bind(rows.iter().map(|(_, at, _)| *at).collect::<Vec<i64>>())
        .execute(&mut **transaction)
        .await?;
        Ok(rows.len())
    }

    pub(super) async fn add_coverage(&self, counts: &[CoverageCount]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut transaction = self.pool.begin().await?;
        // Sites deleted since the counts were taken are skipped (their rows would be orphans).
        let sites: std::collections::HashSet<i64> =
            sqlx::query_scalar("SELECT id FROM sites").fetch_all(&mut *transaction).await?.into_iter().collect();
        let counts: Vec<&CoverageCount> = counts.iter().filter(|count| sites.contains(&count.site_id)).collect();
        // Every upsert in key order, so instances flushing at once never deadlock.
        for chunk in crate::plan::coverage_rows(&counts).chunks(1000) {
            let mut upsert = QueryBuilder::<Postgres>::new(
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
                 DO UPDATE SET seen = coverage.seen + excluded.seen, helped = coverage.helped + excluded.helped",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        for chunk in crate::plan::sighting_rows(&counts).chunks(1000) {
            let mut upsert = QueryBuilder::<Postgres>::new(
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
                     first_day = LEAST(sightings.first_day, excluded.first_day),
                     last_day = GREATEST(sightings.last_day, excluded.last_day),
                     seen = sightings.seen + excluded.seen",
            );
            upsert.build().execute(&mut *transaction).await?;
        }
        for chunk in crate::plan::app_versions_seen(&counts).chunks(1000) {
            let mut upsert = QueryBuilder::<Postgres>::new(
                "INSERT INTO seen_app_versions (site_id, app_version, first_day, last_day) ",
            );
            upsert.push_values(chunk, |mut row, ((site_id, app_version), (first, last))| {
                row.push_bind(site_id).push_bind(app_version).push_bind(first).push_bind(last);
            });
            upsert.push(
                " ON CONFLICT (site_id, app_version) DO UPDATE SET
                     first_day = LEAST(seen_app_versions.first_day, excluded.first_day),
                     last_day = GREATEST(seen_app_versions.last_day, excluded.last_day)",
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
             WHERE site_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, place, help_key, app_version",
        )
        .bind(site_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(CoverageRow::into_count).collect())
    }

    pub(super) async fn delete_events_before(&self, before: engine::Timestamp) -> Result<u64> {
        // In slices, so no transaction holds many rows for long.
        let mut deleted = 0;
        loop {
            let result =
                sqlx::query("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1 LIMIT 5000)")
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
             FROM events WHERE site_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(site_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(EventRow::into_stored).collect())
    }
}
