//! The insights reports: what they conclude from the daily rollups is pure functions, tested
//! with exact numbers; the `async` functions at the top fetch the rollups and assemble the
//! `wire` answer, for the admin API (`http/reports.rs`) and `cuecard report` alike.

use crate::http::convert::{moment_to_wire, time_to_wire};
use std::collections::BTreeMap;
use store::{CoverageCount, EventDay, SearchDay, Store};

/// Days a report covers when no range is given.
const DEFAULT_DAYS: i64 = 30;
/// The longest range one report covers.
const MAX_DAYS: i64 = 400;
/// "Not helpful" comments shown per snippet.
const COMMENTS_PER_SNIPPET: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the `{name}` parameter is invalid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// The report's days (since 1970-01-01, UTC) and filters.
pub fn range_and_filter(query: &wire::admin::ReportQuery, today: i64) -> Result<(i64, i64, Filter), ReportError> {
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
    let filter = Filter {
        place: query.route.clone(),
        help_key: query.key.clone(),
        role: query.role.clone(),
        locale: query.locale.clone(),
        app_version: query.app_version.clone(),
    };
    Ok((from, to, filter))
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
    let (from, to, filter) = range_and_filter(query, today())?;
    let rows = store.event_days(site_id, from, to).await?;
    let mut snippets = Vec::new();
    for (id, counts) in snippet_counts(&rows, &filter) {
        let Some(stored) = store.snippet(site_id, id).await? else { continue };
        let moment = moment_to_wire(stored.draft.moment);
        if query.moment.is_some_and(|wanted| wanted != moment) {
            continue;
        }
        let rated = counts.helpful + counts.not_helpful;
        let interval = wilson(counts.helpful, rated);
        #[allow(clippy::cast_precision_loss)]
        let rate = (rated > 0).then(|| counts.helpful as f64 / rated as f64);
        let comments = store
            .unhelpful_comments(site_id, id, COMMENTS_PER_SNIPPET)
            .await?
            .into_iter()
            .map(|(at, text)| wire::admin::Comment { at: time_to_wire(at), text })
            .collect();
        snippets.push(wire::admin::SnippetReportRow {
            id,
            slug: stored.draft.slug,
            title: stored.draft.title,
            moment,
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
            comments,
        });
    }
    snippets.sort_by(|a, b| b.views.cmp(&a.views).then_with(|| a.id.cmp(&b.id)));
    Ok(wire::admin::SnippetReport { from: date(from), to: date(to), snippets })
}

/// Where help is opened most.
pub async fn demand(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::DemandReport, ReportError> {
    let (from, to, filter) = range_and_filter(query, today())?;
    let rows = store.event_days(site_id, from, to).await?;
    let places = demand_rows(&rows, &filter)
        .into_iter()
        .map(|(place, key, roles, opens, views)| wire::admin::DemandRow { place, key, roles, opens, views })
        .collect();
    Ok(wire::admin::DemandReport { from: date(from), to: date(to), places })
}

/// Where help is missing.
pub async fn gaps(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::GapReport, ReportError> {
    let (from, to, filter) = range_and_filter(query, today())?;
    let rows = store.event_days(site_id, from, to).await?;
    let gap = |(place, key, count)| wire::admin::GapRow { place, key, count };
    let searches = search_gaps(&store.search_days(site_id, from, to).await?)
        .into_iter()
        .map(|(query, searches, empty, without_view)| wire::admin::SearchGapRow {
            query,
            searches,
            empty,
            without_view,
        })
        .collect();
    let coverage = store.coverage(site_id, from, to).await?;
    Ok(wire::admin::GapReport {
        from: date(from),
        to: date(to),
        opened_without_help: opened_without_help(&rows, &filter).into_iter().map(gap).collect(),
        searches,
        fields_without_help: fields_without_help(&coverage, &filter).into_iter().map(gap).collect(),
    })
}

/// Filters on where and who; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub place: Option<String>,
    pub help_key: Option<String>,
    pub role: Option<String>,
    pub locale: Option<String>,
    pub app_version: Option<String>,
}

impl Filter {
    pub fn keeps(&self, row: &EventDay) -> bool {
        let equal = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|wanted| wanted == value);
        equal(&self.place, &row.place)
            && equal(&self.help_key, &row.help_key)
            && equal(&self.locale, &row.locale)
            && equal(&self.app_version, &row.app_version)
            && self.role.as_deref().is_none_or(|role| row.roles.split(',').any(|has| has == role))
    }

    fn keeps_place(&self, place: &str, help_key: &str) -> bool {
        self.place.as_deref().is_none_or(|wanted| wanted == place)
            && self.help_key.as_deref().is_none_or(|wanted| wanted == help_key)
    }
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

/// One snippet's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
pub fn snippet_counts(rows: &[EventDay], filter: &Filter) -> BTreeMap<i64, SnippetCounts> {
    let mut counts: BTreeMap<i64, SnippetCounts> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.snippet_id >= 0 && filter.keeps(row)) {
        let snippet = counts.entry(row.snippet_id).or_default();
        match row.kind.as_str() {
            "snippet_view" => {
                snippet.views += row.count;
                match row.via.as_str() {
                    "hotspot" => snippet.hotspot += row.count,
                    "search" => snippet.search += row.count,
                    "page" => snippet.page += row.count,
                    _ => snippet.panel += row.count,
                }
            }
            "feedback" if row.helpful == 1 => snippet.helpful += row.count,
            "feedback" if row.helpful == 0 => snippet.not_helpful += row.count,
            _ => {}
        }
    }
    counts
}

/// Panel opens and views per (place, key, roles), most opened first.
pub fn demand_rows(rows: &[EventDay], filter: &Filter) -> Vec<(String, String, String, u64, u64)> {
    let mut places: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    for row in rows.iter().filter(|row| filter.keeps(row)) {
        let entry = places.entry((row.place.clone(), row.help_key.clone(), row.roles.clone())).or_default();
        match row.kind.as_str() {
            "panel_open" => entry.0 += row.count,
            "snippet_view" => entry.1 += row.count,
            _ => {}
        }
    }
    let mut ranked: Vec<_> = places
        .into_iter()
        .filter(|(_, (opens, views))| opens + views > 0)
        .map(|((place, key, roles), (opens, views))| (place, key, roles, opens, views))
        .collect();
    ranked.sort_by(|a, b| (b.3, b.4).cmp(&(a.3, a.4)).then_with(|| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2))));
    ranked
}

/// Panel opens where the context had no specific help, per (place, key), most frequent first.
pub fn opened_without_help(rows: &[EventDay], filter: &Filter) -> Vec<(String, String, u64)> {
    let mut places: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.kind == "panel_open" && row.specific == 0 && filter.keeps(row)) {
        *places.entry((row.place.clone(), row.help_key.clone())).or_default() += row.count;
    }
    rank(places)
}

/// Searches that found nothing or led to no view, per normalized query, most frequent first.
pub fn search_gaps(rows: &[SearchDay]) -> Vec<(String, u64, u64, u64)> {
    let mut queries: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for row in rows {
        let entry = queries.entry(row.query.clone()).or_default();
        entry.0 += row.searches;
        entry.1 += row.empty;
        entry.2 += row.viewed;
    }
    let mut gaps: Vec<_> = queries
        .into_iter()
        .map(|(query, (searches, empty, viewed))| (query, searches, empty, searches.saturating_sub(viewed)))
        .filter(|(_, searches, empty, without_view)| *searches > 0 && (*empty > 0 || *without_view > 0))
        .collect();
    gaps.sort_by(|a, b| (b.2, b.3, b.1).cmp(&(a.2, a.3, a.1)).then_with(|| a.0.cmp(&b.0)));
    gaps
}

/// Fields seen on workers' pages that never had help, per (place, key), most seen first.
pub fn fields_without_help(counts: &[CoverageCount], filter: &Filter) -> Vec<(String, String, u64)> {
    let mut fields: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for count in
        counts.iter().filter(|count| !count.help_key.is_empty() && filter.keeps_place(&count.place, &count.help_key))
    {
        let entry = fields.entry((count.place.clone(), count.help_key.clone())).or_default();
        entry.0 += count.seen;
        entry.1 += count.helped;
    }
    rank(fields.into_iter().filter(|(_, (_, helped))| *helped == 0).map(|(key, (seen, _))| (key, seen)).collect())
}

/// Per place: distinct fields seen and how many of them had help, places with most fields first.
pub fn coverage_by_place(counts: &[CoverageCount], filter: &Filter) -> Vec<(String, u64, u64)> {
    let mut fields: BTreeMap<(String, String), bool> = BTreeMap::new();
    for count in
        counts.iter().filter(|count| !count.help_key.is_empty() && filter.keeps_place(&count.place, &count.help_key))
    {
        *fields.entry((count.place.clone(), count.help_key.clone())).or_default() |= count.helped > 0;
    }
    let mut places: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for ((place, _), helped) in fields {
        let entry = places.entry(place).or_default();
        entry.0 += 1;
        entry.1 += u64::from(helped);
    }
    let mut ranked: Vec<_> = places.into_iter().map(|(place, (seen, helped))| (place, seen, helped)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// Per day: distinct (place, field) pairs seen and how many had help, oldest first.
pub fn coverage_by_day(counts: &[CoverageCount], filter: &Filter) -> Vec<(i64, u64, u64)> {
    let mut days: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for count in
        counts.iter().filter(|count| !count.help_key.is_empty() && filter.keeps_place(&count.place, &count.help_key))
    {
        // One row per (day, place, key) in the store, so each row is one distinct field that day.
        let entry = days.entry(count.day).or_default();
        entry.0 += 1;
        entry.1 += u64::from(count.helped > 0);
    }
    days.into_iter().map(|(day, (seen, helped))| (day, seen, helped)).collect()
}

/// Whether a snippet's target is what a coverage row saw.
fn target_seen(target: &engine::Target, count: &CoverageCount) -> bool {
    match target {
        engine::Target::Key(key) => match key.strip_suffix(".*") {
            Some(prefix) => count.help_key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
            None => count.help_key == *key,
        },
        engine::Target::Route(route) => count.place == *route,
        engine::Target::UrlPattern(pattern) => count.place == *pattern,
    }
}

/// Snippets (id and targets) none of whose targets were seen on or after `since` (a day), with
/// the last day any was seen; nothing when the site had no traffic since then. Site-wide
/// snippets (no targets) are never stale. Never seen first, then the longest unseen.
pub fn stale(snippets: &[(i64, Vec<engine::Target>)], counts: &[CoverageCount], since: i64) -> Vec<(i64, Option<i64>)> {
    if !counts.iter().any(|count| count.day >= since) {
        return Vec::new();
    }
    let mut found: Vec<(i64, Option<i64>)> = snippets
        .iter()
        .filter(|(_, targets)| !targets.is_empty())
        .map(|(id, targets)| {
            let last = counts
                .iter()
                .filter(|count| targets.iter().any(|target| target_seen(target, count)))
                .map(|count| count.day)
                .max();
            (*id, last)
        })
        .filter(|(_, last)| last.is_none_or(|day| day < since))
        .collect();
    found.sort_by_key(|(id, last)| (last.is_some(), *last, *id));
    found
}

fn rank(places: BTreeMap<(String, String), u64>) -> Vec<(String, String, u64)> {
    let mut ranked: Vec<_> = places.into_iter().map(|((place, key), count)| (place, key, count)).collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    ranked
}

/// The share of fields seen that have help, per place and per day.
pub async fn coverage(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::CoverageReport, ReportError> {
    let (from, to, filter) = range_and_filter(query, today())?;
    let counts = store.coverage(site_id, from, to).await?;
    #[allow(clippy::cast_precision_loss)]
    let row = |name: String, seen: u64, helped: u64| wire::admin::CoverageRow {
        name,
        fields_seen: seen,
        fields_with_help: helped,
        share: (seen > 0).then(|| helped as f64 / seen as f64),
    };
    Ok(wire::admin::CoverageReport {
        from: date(from),
        to: date(to),
        places: coverage_by_place(&counts, &filter)
            .into_iter()
            .map(|(place, seen, helped)| row(place, seen, helped))
            .collect(),
        days: coverage_by_day(&counts, &filter)
            .into_iter()
            .map(|(day, seen, helped)| row(date(day), seen, helped))
            .collect(),
    })
}

/// Published snippets whose targets were not seen in the range while the site had traffic.
pub async fn stale_help(
    store: &dyn Store,
    site_id: i64,
    query: &wire::admin::ReportQuery,
) -> Result<wire::admin::StaleReport, ReportError> {
    let (from, to, _) = range_and_filter(query, today())?;
    // When each target was last seen may lie before the range: look at all the history.
    let counts = store.coverage(site_id, 0, to).await?;
    let published = store
        .snippets(site_id, &store::SnippetFilter { status: Some(engine::Status::Published), ..Default::default() })
        .await?;
    let targets: Vec<(i64, Vec<engine::Target>)> =
        published.iter().map(|stored| (stored.id, stored.draft.targets.clone())).collect();
    let snippets = stale(&targets, &counts, from)
        .into_iter()
        .filter_map(|(id, last)| {
            let stored = published.iter().find(|stored| stored.id == id)?;
            Some(wire::admin::StaleRow {
                id,
                slug: stored.draft.slug.clone(),
                title: stored.draft.title.clone(),
                last_seen: last.map(date),
            })
        })
        .collect();
    Ok(wire::admin::StaleReport { from: date(from), to: date(to), snippets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn row(
        kind: &str,
        place: &str,
        key: &str,
        roles: &str,
        snippet: i64,
        via: &str,
        helpful: i64,
        specific: i64,
        count: u64,
    ) -> EventDay {
        EventDay {
            day: 20_000,
            kind: kind.into(),
            place: place.into(),
            help_key: key.into(),
            roles: roles.into(),
            locale: "en".into(),
            app_version: String::new(),
            snippet_id: snippet,
            via: via.into(),
            helpful,
            specific,
            count,
        }
    }

    #[test]
    fn the_wilson_interval_matches_the_textbook() {
        let (low, high) = wilson(8, 10).unwrap();
        assert!((low - 0.4902).abs() < 1e-3 && (high - 0.9433).abs() < 1e-3, "{low} {high}");
        let (low, high) = wilson(0, 5).unwrap();
        assert!(low == 0.0 && (high - 0.4345).abs() < 1e-3, "{low} {high}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn reports_count_what_the_rollups_say() {
        let rows = vec![
            row("panel_open", "/claims/new", "claim.vat-number", "employee", -1, "", -1, 1, 7),
            row("panel_open", "/claims/new", "claim.project", "employee", -1, "", -1, 0, 4),
            row("panel_open", "/approvals/:id", "", "approver", -1, "", -1, 0, 2),
            row("snippet_view", "/claims/new", "claim.vat-number", "employee", 3, "panel", -1, -1, 5),
            row("snippet_view", "/claims/new", "claim.vat-number", "employee", 3, "hotspot", -1, -1, 2),
            row("snippet_view", "/claims/new", "", "employee", 3, "search", -1, -1, 1),
            row("feedback", "/claims/new", "claim.vat-number", "employee", 3, "", 1, -1, 4),
            row("feedback", "/claims/new", "claim.vat-number", "employee", 3, "", 0, -1, 1),
        ];
        let all = Filter::default();
        let counts = &snippet_counts(&rows, &all)[&3];
        assert_eq!((counts.views, counts.panel, counts.hotspot, counts.search), (8, 5, 2, 1));
        assert_eq!((counts.helpful, counts.not_helpful), (4, 1));
        assert_eq!(
            demand_rows(&rows, &all)[..2],
            [
                ("/claims/new".into(), "claim.vat-number".into(), "employee".into(), 7, 7),
                ("/claims/new".into(), "claim.project".into(), "employee".into(), 4, 0)
            ]
        );
        assert_eq!(
            opened_without_help(&rows, &all),
            [("/claims/new".into(), "claim.project".into(), 4), ("/approvals/:id".into(), String::new(), 2)]
        );
        let approvers = Filter { role: Some("approver".into()), ..Filter::default() };
        assert_eq!(demand_rows(&rows, &approvers), [("/approvals/:id".into(), String::new(), "approver".into(), 2, 0)]);
    }

    #[test]
    fn coverage_and_stale_help_follow_what_pages_showed() {
        let seen = |day, place: &str, key: &str, helped| CoverageCount {
            site_id: 1,
            day,
            place: place.into(),
            help_key: key.into(),
            seen: 3,
            helped,
        };
        let counts = vec![
            seen(10, "/claims/new", "claim.vat-number", 3),
            seen(10, "/claims/new", "claim.project", 0),
            seen(11, "/claims/new", "claim.vat-number", 3),
            seen(11, "/approvals/:id", "approval.reason", 0),
            seen(11, "/approvals/:id", "", 3),
            seen(2, "/old/form", "old.field", 3),
        ];
        let all = Filter::default();
        assert_eq!(
            coverage_by_place(&counts, &all),
            [("/claims/new".into(), 2, 1), ("/approvals/:id".into(), 1, 0), ("/old/form".into(), 1, 1)]
        );
        assert_eq!(coverage_by_day(&counts, &all), [(2, 1, 1), (10, 2, 1), (11, 2, 1)]);
        let snippets = vec![
            (1, vec![engine::Target::Key("claim.vat-number".into())]),
            (2, vec![engine::Target::Key("old.field".into())]),
            (3, vec![engine::Target::Key("claim.*".into())]),
            (4, vec![engine::Target::Route("/gone".into())]),
            (5, vec![engine::Target::UrlPattern("/approvals/:id".into())]),
            (6, vec![]),
        ];
        assert_eq!(stale(&snippets, &counts, 10), [(4, None), (2, Some(2))]);
        assert!(stale(&snippets, &counts, 12).is_empty(), "no traffic since: nothing is called stale");
    }

    #[test]
    fn gaps_rank_searches_and_fields() {
        let search =
            |query: &str, searches, empty, viewed| SearchDay { day: 1, query: query.into(), searches, empty, viewed };
        let rows = vec![
            search("mileage", 5, 0, 5),
            search("per diem", 3, 3, 0),
            search("receipt", 4, 0, 1),
            search("per diem", 1, 1, 0),
        ];
        assert_eq!(search_gaps(&rows), [("per diem".into(), 4, 4, 4), ("receipt".into(), 4, 0, 3)]);
        let seen = |place: &str, key: &str, seen, helped| CoverageCount {
            site_id: 1,
            day: 1,
            place: place.into(),
            help_key: key.into(),
            seen,
            helped,
        };
        let counts = vec![
            seen("/claims/new", "claim.project", 9, 0),
            seen("/claims/new", "claim.vat-number", 9, 9),
            seen("/claims/new", "", 20, 20),
            seen("", "claim.notes", 3, 0),
        ];
        assert_eq!(
            fields_without_help(&counts, &Filter::default()),
            [("/claims/new".into(), "claim.project".into(), 9), (String::new(), "claim.notes".into(), 3)]
        );
    }
}
