//! The insights reports, for the admin API (`http/reports.rs`) and `cuecard report` alike:
//! the daily rollups of the range (closed days kept in memory by [`rollups`]) are filtered,
//! summed and ranked here, and only the page asked for is looked up and returned.

pub mod rollups;

use crate::http::convert::{moment_from_wire, moment_to_wire, time_to_wire};
use rollups::{Kind, Rollups, Strings, Via, View};
use rustc_hash::FxHashMap as HashMap;
use store::Store;

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
    /// Two valid dates that make no range (backwards, or longer than the reports keep).
    #[error("{0}")]
    Range(String),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// What a report covers: days since 1970-01-01, UTC (both included), and filters; `None`
/// keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub from_day: i64,
    pub to_day: i64,
    /// Route template or URL pattern.
    pub place: Option<String>,
    pub help_key: Option<String>,
    /// One of the worker's roles.
    pub role: Option<String>,
    pub locale: Option<String>,
    pub app_version: Option<String>,
}

/// Which page of each list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    pub offset: u32,
}

impl Paging {
    /// One page of `rows` ranked by `order` (only the rows up to the page are fully sorted),
    /// and how many there are in all.
    fn page<T>(self, mut rows: Vec<T>, mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) -> (u64, Vec<T>) {
        let total = rows.len() as u64;
        let end = (self.offset as usize).saturating_add(self.limit as usize);
        if end < rows.len() {
            rows.select_nth_unstable_by(end, &mut order);
            rows.truncate(end);
        }
        rows.sort_unstable_by(order);
        (total, rows.into_iter().skip(self.offset as usize).collect())
    }
}

/// The report's days, filters and page.
pub fn scope(query: &wire::admin::ReportQuery, today: i64) -> Result<(Scope, Paging), ReportError> {
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
        return Err(ReportError::Range(format!("`from` is on or before `to`, at most {MAX_DAYS} days apart")));
    }
    let limit = query.limit.unwrap_or(DEFAULT_ROWS);
    if !(1..=MAX_ROWS).contains(&limit) {
        return Err(ReportError::Invalid { name: "limit", message: format!("`limit` is from 1 to {MAX_ROWS}") });
    }
    let scope = Scope {
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

/// A scope's filters as the rollups' numbers: `Some(None)` is a filter on a text no row has.
struct Filter {
    place: Option<Option<u32>>,
    help_key: Option<Option<u32>>,
    locale: Option<Option<u32>>,
    app_version: Option<Option<u32>>,
    role: Option<String>,
    /// Whether a `roles` text has the role, worked out once per text.
    roles: HashMap<u32, bool>,
}

impl Filter {
    fn new(scope: &Scope, strings: &Strings) -> Filter {
        let find = |wanted: &Option<String>| wanted.as_deref().map(|text| strings.find(text));
        Filter {
            place: find(&scope.place),
            help_key: find(&scope.help_key),
            locale: find(&scope.locale),
            app_version: find(&scope.app_version),
            role: scope.role.clone(),
            roles: HashMap::default(),
        }
    }

    fn equal(wanted: Option<Option<u32>>, value: u32) -> bool {
        wanted.is_none_or(|wanted| wanted == Some(value))
    }

    /// Whether where and which version a row is about pass.
    fn keeps_place(&self, place: u32, help_key: u32, app_version: u32) -> bool {
        Self::equal(self.place, place)
            && Self::equal(self.help_key, help_key)
            && Self::equal(self.app_version, app_version)
    }

    fn keeps(&mut self, row: &rollups::EventRow, strings: &Strings) -> bool {
        if !self.keeps_place(row.place, row.help_key, row.app_version) || !Self::equal(self.locale, row.locale) {
            return false;
        }
        let Some(role) = &self.role else { return true };
        *self.roles.entry(row.roles).or_insert_with(|| strings.text(row.roles).split(',').any(|has| has == role))
    }
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

/// One snippet's counts in a range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnippetCounts {
    pub views: u64,
    pub panel: u64,
    pub hotspot: u64,
    pub search: u64,
    pub page: u64,
    pub helpful: u64,
    pub not_helpful: u64,
}

/// Views by source and ratings per snippet id.
fn snippet_counts(view: &View<'_>, filter: &mut Filter) -> HashMap<i64, SnippetCounts> {
    let mut counts: HashMap<i64, SnippetCounts> = HashMap::default();
    for day in &view.days {
        for row in &day.events {
            if row.snippet < 0
                || !matches!(row.kind, Kind::SnippetView | Kind::Feedback)
                || !filter.keeps(row, view.strings)
            {
                continue;
            }
            let snippet = counts.entry(row.snippet).or_default();
            match (row.kind, row.helpful) {
                (Kind::SnippetView, _) => {
                    snippet.views += row.count;
                    *match row.via {
                        Via::Hotspot => &mut snippet.hotspot,
                        Via::Search => &mut snippet.search,
                        Via::Page => &mut snippet.page,
                        Via::Panel | Via::None => &mut snippet.panel,
                    } += row.count;
                }
                (_, 1) => snippet.helpful += row.count,
                (_, 0) => snippet.not_helpful += row.count,
                _ => {}
            }
        }
    }
    counts
}

/// How each snippet did, most viewed first.
pub async fn snippets(
    store: &dyn Store,
    rollups: &Rollups,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::SnippetReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let of_moment: Option<std::collections::HashSet<i64>> = match query.moment {
        Some(moment) => {
            Some(store.snippet_ids_of_moment(site_id, moment_from_wire(moment)).await?.into_iter().collect())
        }
        None => None,
    };
    let range = (scope.from_day, scope.to_day);
    let (total, page) = rollups
        .with_range(store, site_id, range, crate::http::unix_now(), |view| {
            let mut filter = Filter::new(&scope, view.strings);
            let counts: Vec<(i64, SnippetCounts)> = snippet_counts(&view, &mut filter)
                .into_iter()
                .filter(|(id, _)| of_moment.as_ref().is_none_or(|ids| ids.contains(id)))
                .collect();
            paging.page(counts, |a, b| b.1.views.cmp(&a.1.views).then(a.0.cmp(&b.0)))
        })
        .await?;
    let ids: Vec<i64> = page.iter().map(|(id, _)| *id).collect();
    let summaries: HashMap<i64, store::SnippetSummary> =
        store.snippet_summaries(site_id, &ids).await?.into_iter().map(|summary| (summary.id, summary)).collect();
    let mut comments = store.unhelpful_comments(site_id, &ids, COMMENTS_PER_SNIPPET).await?;
    let snippets = page
        .into_iter()
        .filter_map(|(id, counts)| {
            let summary = summaries.get(&id)?;
            let rated = counts.helpful + counts.not_helpful;
            let interval = wilson(counts.helpful, rated);
            #[allow(clippy::cast_precision_loss)]
            let rate = (rated > 0).then(|| counts.helpful as f64 / rated as f64);
            let (own, others): (Vec<_>, Vec<_>) = comments.drain(..).partition(|(snippet, _, _)| *snippet == id);
            comments = others;
            Some(wire::admin::SnippetReportRow {
                id,
                slug: summary.slug.clone(),
                title: summary.title.clone(),
                moment: moment_to_wire(summary.moment),
                views: counts.views,
                views_by_source: wire::admin::ViewsBySource {
                    panel: counts.panel,
                    hotspot: counts.hotspot,
                    search: counts.search,
                    page: counts.page,
                },
                helpful: counts.helpful,
                not_helpful: counts.not_helpful,
                helpful_rate: rate,
                helpful_rate_low: interval.map(|(low, _)| low),
                helpful_rate_high: interval.map(|(_, high)| high),
                comments: own
                    .into_iter()
                    .map(|(_, at, text)| wire::admin::Comment { at: time_to_wire(at), text })
                    .collect(),
            })
        })
        .collect();
    Ok(wire::admin::SnippetReport { from: date(scope.from_day), to: date(scope.to_day), total, snippets })
}

/// A ranked row: its texts as numbers, and its counts.
type Counted<const N: usize> = ([u32; N], (u64, u64));

/// Orders ranked rows by count, most first, then by their texts.
fn by_count_then_text<const N: usize>(
    strings: &Strings,
) -> impl FnMut(&Counted<N>, &Counted<N>) -> std::cmp::Ordering + '_ {
    move |a, b| {
        b.1.cmp(&a.1).then_with(|| a.0.iter().map(|id| strings.text(*id)).cmp(b.0.iter().map(|id| strings.text(*id))))
    }
}

/// Where help is opened most.
pub async fn demand(
    store: &dyn Store,
    rollups: &Rollups,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::DemandReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let (total, places, days) = rollups
        .with_range(store, site_id, (scope.from_day, scope.to_day), crate::http::unix_now(), |view| {
            let mut filter = Filter::new(&scope, view.strings);
            let mut places: HashMap<[u32; 3], (u64, u64)> = HashMap::default();
            let mut days = Vec::with_capacity(view.days.len());
            for day in &view.days {
                let mut on_day = (0, 0);
                for row in &day.events {
                    if matches!(row.kind, Kind::PanelOpen | Kind::SnippetView) && filter.keeps(row, view.strings) {
                        let entry = places.entry([row.place, row.help_key, row.roles]).or_default();
                        if row.kind == Kind::PanelOpen {
                            entry.0 += row.count;
                            on_day.0 += row.count;
                        } else {
                            entry.1 += row.count;
                            on_day.1 += row.count;
                        }
                    }
                }
                days.push(wire::admin::DemandDay { day: date(day.day), opens: on_day.0, views: on_day.1 });
            }
            let (total, page) = paging.page(places.into_iter().collect(), by_count_then_text(view.strings));
            let text = |id| view.strings.text(id).to_owned();
            let rows = page
                .into_iter()
                .map(|([place, key, roles], (opens, views))| wire::admin::DemandRow {
                    place: text(place),
                    key: text(key),
                    roles: text(roles),
                    opens,
                    views,
                })
                .collect::<Vec<_>>();
            (total, rows, days)
        })
        .await?;
    Ok(wire::admin::DemandReport { from: date(scope.from_day), to: date(scope.to_day), total, places, days })
}

/// Sums per (place, key) of what `count` says about each row, ranked.
fn place_gaps(
    strings: &Strings,
    paging: Paging,
    counted: impl Iterator<Item = ([u32; 2], u64)>,
) -> (u64, Vec<wire::admin::GapRow>) {
    let mut places: HashMap<[u32; 2], (u64, u64)> = HashMap::default();
    for (place, count) in counted {
        places.entry(place).or_default().0 += count;
    }
    let (total, page) = paging.page(places.into_iter().collect(), by_count_then_text(strings));
    let rows = page
        .into_iter()
        .map(|([place, key], (count, _))| wire::admin::GapRow {
            place: strings.text(place).to_owned(),
            key: strings.text(key).to_owned(),
            count,
        })
        .collect();
    (total, rows)
}

/// Where help is missing.
pub async fn gaps(
    store: &dyn Store,
    rollups: &Rollups,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::GapReport, ReportError> {
    let (scope, paging) = scope(query, today())?;
    let (from, to) = (date(scope.from_day), date(scope.to_day));
    let report = rollups
        .with_range(store, site_id, (scope.from_day, scope.to_day), crate::http::unix_now(), |view| {
            let strings = view.strings;
            let mut filter = Filter::new(&scope, strings);
            let events = view.days.iter().flat_map(|day| &day.events);
            let opened = events
                .filter(|row| row.kind == Kind::PanelOpen && row.specific == 0)
                .filter(|row| filter.keeps(row, strings))
                .map(|row| ([row.place, row.help_key], row.count));
            let (opened_total, opened_without_help) = place_gaps(strings, paging, opened);

            // Fields seen on pages and never with help there in the range.
            let empty = strings.find("");
            let mut fields: HashMap<[u32; 2], (u64, u64)> = HashMap::default();
            for row in view.days.iter().flat_map(|day| &day.coverage) {
                if Some(row.help_key) != empty && filter.keeps_place(row.place, row.help_key, row.app_version) {
                    let entry = fields.entry([row.place, row.help_key]).or_default();
                    entry.0 += row.seen;
                    entry.1 += row.helped;
                }
            }
            let unhelped =
                fields.into_iter().filter(|(_, (_, helped))| *helped == 0).map(|(field, (seen, _))| (field, seen));
            let (fields_total, fields_without_help) = place_gaps(strings, paging, unhelped);

            let mut queries: HashMap<u32, (u64, u64, u64)> = HashMap::default();
            for row in view.days.iter().flat_map(|day| &day.searches) {
                let entry = queries.entry(row.query).or_default();
                entry.0 += row.searches;
                entry.1 += row.empty;
                entry.2 += row.viewed;
            }
            let searched: Vec<(u32, u64, u64, u64)> = queries
                .into_iter()
                .map(|(query, (searches, empty, viewed))| (query, searches, empty, searches.saturating_sub(viewed)))
                .filter(|(_, searches, empty, without_view)| *searches > 0 && (*empty > 0 || *without_view > 0))
                .collect();
            let (searches_total, page) = paging.page(searched, |a, b| {
                (b.2, b.3, b.1).cmp(&(a.2, a.3, a.1)).then_with(|| strings.text(a.0).cmp(strings.text(b.0)))
            });
            wire::admin::GapReport {
                from,
                to,
                opened_without_help,
                opened_without_help_total: opened_total,
                searches: page
                    .into_iter()
                    .map(|(query, searches, empty, without_view)| wire::admin::SearchGapRow {
                        query: strings.text(query).to_owned(),
                        searches,
                        empty,
                        without_view,
                    })
                    .collect(),
                searches_total,
                fields_without_help,
                fields_without_help_total: fields_total,
            }
        })
        .await?;
    Ok(report)
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
    rollups: &Rollups,
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
    let (places_total, places, days) = rollups
        .with_range(store, site_id, (scope.from_day, scope.to_day), crate::http::unix_now(), |view| {
            let strings = view.strings;
            let filter = Filter::new(&scope, strings);
            let empty = strings.find("");
            // Each field once per range (whether it ever had help) and once per day.
            let mut fields: HashMap<[u32; 2], bool> = HashMap::default();
            let mut per_day: std::collections::BTreeMap<i64, HashMap<[u32; 2], bool>> = Default::default();
            for count in view.days.iter().flat_map(|day| &day.coverage) {
                if Some(count.help_key) == empty || !filter.keeps_place(count.place, count.help_key, count.app_version)
                {
                    continue;
                }
                *fields.entry([count.place, count.help_key]).or_default() |= count.helped > 0;
                *per_day.entry(count.day).or_default().entry([count.place, count.help_key]).or_default() |=
                    count.helped > 0;
            }
            let mut by_place: HashMap<[u32; 1], (u64, u64)> = HashMap::default();
            for ([place, _], helped) in fields {
                let entry = by_place.entry([place]).or_default();
                entry.0 += 1;
                entry.1 += u64::from(helped);
            }
            let (total, page) = paging.page(by_place.into_iter().collect(), |a, b| {
                b.1.0.cmp(&a.1.0).then_with(|| strings.text(a.0[0]).cmp(strings.text(b.0[0])))
            });
            let places: Vec<_> = page
                .into_iter()
                .map(|([place], (seen, helped))| row(strings.text(place).to_owned(), seen, helped))
                .collect();
            let days: Vec<_> = per_day
                .into_iter()
                .map(|(day, fields)| {
                    let helped = fields.values().filter(|helped| **helped).count() as u64;
                    row(date(day), fields.len() as u64, helped)
                })
                .collect();
            (total, places, days)
        })
        .await?;
    Ok(wire::admin::CoverageReport { from: date(scope.from_day), to: date(scope.to_day), places, places_total, days })
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

/// A stale snippet as the report shows it: the versions by name, and where its targets vanished.
pub fn stale_row(seen: store::TargetsSeen, versions: &[String]) -> wire::admin::StaleRow {
    wire::admin::StaleRow {
        id: seen.snippet_id,
        slug: seen.slug,
        title: seen.title,
        last_seen: seen.last_day.map(date),
        last_app_version: seen.newest_version.and_then(|newest| versions.get(newest)).cloned(),
        vanished_in: seen.newest_version.and_then(|newest| versions.get(newest + 1)).cloned(),
    }
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
    // Unseen only counts while the site had traffic; vanished needs a newer version.
    let had_traffic = store.pages_seen_since(site_id, scope.from_day).await?;
    let since = had_traffic.then_some(scope.from_day);
    let (total, rows) = if since.is_some() || versions.len() > 1 {
        store.stale_targets(site_id, since, &versions, paging.limit, paging.offset).await?
    } else {
        (0, Vec::new())
    };
    let snippets = rows.into_iter().map(|seen| stale_row(seen, &versions)).collect();
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
    fn a_stale_row_names_the_version_where_its_targets_vanished() {
        let versions: Vec<String> = vec!["2.3.0".into(), "2.4.0".into()];
        let seen = |newest_version| store::TargetsSeen {
            snippet_id: 1,
            slug: "vat".into(),
            title: String::new(),
            last_day: Some(20_000),
            newest_version,
        };
        let gone = stale_row(seen(Some(0)), &versions);
        assert_eq!((gone.last_app_version.as_deref(), gone.vanished_in.as_deref()), (Some("2.3.0"), Some("2.4.0")));
        let current = stale_row(seen(Some(1)), &versions);
        assert_eq!((current.last_app_version.as_deref(), current.vanished_in), (Some("2.4.0"), None));
        assert_eq!(stale_row(seen(None), &versions).last_seen.as_deref(), Some("2024-10-04"));
    }
}
