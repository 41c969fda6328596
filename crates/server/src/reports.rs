//! The insights reports. The store ranks and pages the daily rollups (in SQL, so no report
//! pulls a site's history into memory); this module checks the query, adds what needs Rust
//! (the Wilson interval, app versions in semver order) and assembles the `wire` answer, for
//! the admin API (`http/reports.rs`) and `cuecard report` alike.

use crate::http::convert::{moment_from_wire, moment_to_wire, time_to_wire};
use store::{Paging, ReportScope, Store};

/// Days a report covers when no range is given.
const DEFAULT_DAYS: i64 = 30;
/// The longest range one report covers.
const MAX_DAYS: i64 = 400;
/// "Not helpful" comments shown per snippet.
const COMMENTS_PER_SNIPPET: u32 = 5;
/// Rows per list when no `limit` is given, and the most one page holds.
const DEFAULT_ROWS: u32 = 100;
const MAX_ROWS: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the `{name}` parameter is invalid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The report's days (since 1970-01-01, UTC), filters and page.
pub fn scope(query: &wire::admin::ReportQuery, today: i64) -> Result<(ReportScope, Paging), ReportError> {
    let day_of = |name: &'static str, text: &str| {
        let invalid = |message: String| ReportError::Invalid { name, message };
        let date: jiff::civil::Date =
            text.parse().map_err(|_| invalid(format!("`{text}` is not a date (YYYY-MM-DD)")))?;
        let midnight = date.to_zoned_datetime(jiff::tz::TimeZone::UTC).map_err(|error| invalid(error.to_string()))?;
        Ok::<_, ReportError>(midnight.timestamp().as_second().div_euclid(86_400))
    };
    let to = query.to.as_deref().map(|text| day_of("to", text)).transpose()?.unwrap_or(today);
    let from = query.from.as_deref().map(|text| day_of("from", text)).transpose()?.unwrap_or(to - (DEFAULT_DAYS - 1));
    if from > to || to - from >= MAX_DAYS {
        return Err(ReportError::Invalid {
            name: "from",
            message: format!("`from` is on or before `to`, at most {MAX_DAYS} days apart"),
        });
    }
    let limit = query.limit.unwrap_or(DEFAULT_ROWS);
    if !(1..=MAX_ROWS).contains(&limit) {
        return Err(ReportError::Invalid { name: "limit", message: format!("`limit` is from 1 to {MAX_ROWS}") });
    }
    let scope = ReportScope {
        from_day: from,
        to_day: to,
        place: query.route.clone(),
        help_key: query.key.clone(),
        role: query.role.clone(),
        locale: query.locale.clone(),
        app_version: query.app_version.clone(),
    };
    Ok((scope, Paging { limit, offset: query.offset.unwrap_or(0) }))
}

/// `YYYY-MM-DD` of a day since 1970-01-01.
pub fn date(day: i64) -> String {
    jiff::Timestamp::from_second(day * 86_400).map_or_else(
        |_| day.to_string(),
        |timestamp| timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string(),
    )
}

fn today() -> i64 {
    crate::http::unix_now().div_euclid(86_400)
}

/// How each snippet did, most viewed first.
pub async fn snippets(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::SnippetReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let ranked = store.snippet_totals(site_id, &scope, query.moment.map(moment_from_wire), paging).await?;
    let ids: Vec<i64> = ranked.rows.iter().map(|row| row.snippet_id).collect();
    let mut comments = store.unhelpful_comments(site_id, &ids, COMMENTS_PER_SNIPPET).await?;
    let snippets = ranked
        .rows
        .into_iter()
        .map(|totals| {
            let rated = totals.helpful + totals.not_helpful;
            let interval = wilson(totals.helpful, rated);
            #[allow(clippy::cast_precision_loss)]
            let rate = (rated > 0).then(|| totals.helpful as f64 / rated as f64);
            let (own, others) = comments.drain(..).partition(|(id, _, _)| *id == totals.snippet_id);
            comments = others;
            wire::admin::SnippetReportRow {
                id: totals.snippet_id,
                slug: totals.slug,
                title: totals.title,
                moment: moment_to_wire(totals.moment),
                views: totals.views,
                views_by_source: wire::admin::ViewsBySource {
                    panel: totals.panel,
                    hotspot: totals.hotspot,
                    search: totals.search,
                    page: totals.page,
                },
                helpful: totals.helpful,
                not_helpful: totals.not_helpful,
                helpful_rate: rate,
                helpful_rate_low: interval.map(|(low, _)| low),
                helpful_rate_high: interval.map(|(_, high)| high),
                comments: own
                    .into_iter()
                    .map(|(_, at, text): (i64, i64, String)| wire::admin::Comment { at: time_to_wire(at), text })
                    .collect(),
            }
        })
        .collect();
    Ok(wire::admin::SnippetReport { from: date(scope.from_day), to: date(scope.to_day), total: ranked.total, snippets })
}

/// Where help is opened most.
pub async fn demand(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::DemandReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let ranked = store.demand(site_id, &scope, paging).await?;
    let places = ranked
        .rows
        .into_iter()
        .map(|row| wire::admin::DemandRow {
            place: row.place,
            key: row.help_key,
            roles: row.roles,
            opens: row.opens,
            views: row.views,
        })
        .collect();
    Ok(wire::admin::DemandReport { from: date(scope.from_day), to: date(scope.to_day), total: ranked.total, places })
}

/// Where help is missing.
pub async fn gaps(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::GapReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let gap = |row: store::PlaceCount| wire::admin::GapRow { place: row.place, key: row.help_key, count: row.count };
    let opened = store.opened_without_help(site_id, &scope, paging).await?;
    let searches = store.search_gaps(site_id, scope.from_day, scope.to_day, paging).await?;
    let fields = store.fields_without_help(site_id, &scope, paging).await?;
    Ok(wire::admin::GapReport {
        from: date(scope.from_day),
        to: date(scope.to_day),
        opened_without_help: opened.rows.into_iter().map(gap).collect(),
        opened_without_help_total: opened.total,
        searches: searches
            .rows
            .into_iter()
            .map(|row| wire::admin::SearchGapRow {
                query: row.query,
                searches: row.searches,
                empty: row.empty,
                without_view: row.searches.saturating_sub(row.viewed),
            })
            .collect(),
        searches_total: searches.total,
        fields_without_help: fields.rows.into_iter().map(gap).collect(),
        fields_without_help_total: fields.total,
    })
}

/// The 95% Wilson score interval for `successes` of `total`.
pub fn wilson(successes: u64, total: u64) -> Option<(f64, f64)> {
    if total == 0 {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    #[allow(clippy::cast_precision_loss)]
    let (n, p) = (total as f64, successes as f64 / total as f64);
    let denominator = 1.0 + Z * Z / n;
    let center = (p + Z * Z / (2.0 * n)) / denominator;
    let margin = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / denominator;
    Some(((center - margin).max(0.0), (center + margin).min(1.0)))
}

/// The share of fields seen that have help, per place and per day.
pub async fn coverage(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::CoverageReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    #[allow(clippy::cast_precision_loss)]
    let row = |name: String, seen: u64, helped: u64| wire::admin::CoverageRow {
        name,
        fields_seen: seen,
        fields_with_help: helped,
        share: (seen > 0).then(|| helped as f64 / seen as f64),
    };
    let places = store.coverage_by_place(site_id, &scope, paging).await?;
    let days = store.coverage_by_day(site_id, &scope).await?;
    Ok(wire::admin::CoverageReport {
        from: date(scope.from_day),
        to: date(scope.to_day),
        places: places.rows.into_iter().map(|share| row(share.of, share.fields_seen, share.fields_with_help)).collect(),
        places_total: places.total,
        days: days.into_iter().map(|share| row(date(share.of), share.fields_seen, share.fields_with_help)).collect(),
    })
}

/// The host app versions to compare, oldest to newest by semver: versions that do not parse,
/// and synthetic demo traffic's, are left out.
pub fn ordered_versions(seen: &[store::AppVersionSeen]) -> Vec<String> {
    let mut versions: Vec<semver::Version> = seen
        .iter()
        .filter(|seen| seen.app_version != crate::synthetic::SYNTHETIC_APP_VERSION)
        .filter_map(|seen| seen.app_version.parse().ok())
        .collect();
    versions.sort();
    versions.dedup();
    versions.iter().map(ToString::to_string).collect()
}

/// Which candidates are stale help, in the report's order: targets unseen since `since` (only
/// if the site had traffic since), or vanished in a newer app version; never seen first, then
/// the longest unseen.
pub fn stale(
    candidates: Vec<store::TargetsSeen>,
    versions: &[String],
    since: i64,
    had_traffic: bool,
) -> Vec<wire::admin::StaleRow> {
    let mut rows: Vec<(Option<i64>, wire::admin::StaleRow)> = candidates
        .into_iter()
        .filter_map(|seen| {
            let unseen = had_traffic && seen.last_day.is_none_or(|day| day < since);
            let vanished_in = seen.newest_version.and_then(|newest| versions.get(newest + 1)).cloned();
            (unseen || vanished_in.is_some()).then(|| {
                let row = wire::admin::StaleRow {
                    id: seen.snippet_id,
                    slug: seen.slug,
                    title: seen.title,
                    last_seen: seen.last_day.map(date),
                    last_app_version: seen.newest_version.and_then(|newest| versions.get(newest)).cloned(),
                    vanished_in,
                };
                (seen.last_day, row)
            })
        })
        .collect();
    rows.sort_by_key(|(last, row)| (last.is_some(), *last, row.id));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Published snippets whose targets were not seen in the range while the site had traffic, or
/// vanished in a newer host app version.
pub async fn stale_help(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::StaleReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let versions = ordered_versions(&store.app_versions_seen(site_id).await?);
    let had_traffic = store.pages_seen_since(site_id, scope.from_day).await?;
    let rows = if had_traffic || versions.len() > 1 {
        stale(store.stale_targets(site_id, scope.from_day, &versions).await?, &versions, scope.from_day, had_traffic)
    } else {
        Vec::new()
    };
    let total = rows.len() as u64;
    let snippets = rows.into_iter().skip(paging.offset as usize).take(paging.limit as usize).collect();
    Ok(wire::admin::StaleReport { from: date(scope.from_day), to: date(scope.to_day), total, snippets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_interval_matches_the_textbook() {
        let (low, high) = wilson(8, 10).unwrap();
        assert!((low - 0.4902).abs() < 1e-3 && (high - 0.9433).abs() < 1e-3, "{low} {high}");
        let (low, high) = wilson(0, 5).unwrap();
        assert!(low == 0.0 && (high - 0.4345).abs() < 1e-3, "{low} {high}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn versions_are_compared_by_semver_without_synthetic_traffic() {
        let seen = |version: &str, first_day| store::AppVersionSeen { app_version: version.into(), first_day };
        let versions = ordered_versions(&[
            seen("2.10.0", 5),
            seen(crate::synthetic::SYNTHETIC_APP_VERSION, 1),
            seen("2.9.1", 3),
            seen("not a version", 2),
            seen("2.10.0-rc.1", 4),
        ]);
        assert_eq!(versions, ["2.9.1", "2.10.0-rc.1", "2.10.0"]);
    }

    #[test]
    fn stale_help_is_unseen_since_the_range_or_vanished_in_a_newer_version() {
        let versions: Vec<String> = vec!["2.3.0".into(), "2.4.0".into()];
        let candidate = |id, last_day, newest_version| store::TargetsSeen {
            snippet_id: id,
            slug: format!("s{id}"),
            title: String::new(),
            last_day,
            newest_version,
        };
        let candidates = vec![
            candidate(1, Some(12), Some(0)), // still seen on 2.3 pages, gone from 2.4
            candidate(2, Some(8), Some(1)),  // not seen since day 8
            candidate(3, None, None),        // never seen
            candidate(4, Some(12), Some(1)), // seen on the newest version: fine
        ];
        let rows = stale(candidates.clone(), &versions, 10, true);
        let summary: Vec<_> = rows
            .iter()
            .map(|row| (row.id, row.last_seen.is_some(), row.last_app_version.as_deref(), row.vanished_in.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [(3, false, None, None), (2, true, Some("2.4.0"), None), (1, true, Some("2.3.0"), Some("2.4.0"))]
        );
        let quiet = stale(candidates, &versions, 10, false);
        assert_eq!(quiet.iter().map(|row| row.id).collect::<Vec<_>>(), [1], "no traffic: only what vanished");
    }
}
