//! What the insights reports ask of a store: rankings and shares computed where the rollups
//! are (in SQL), a page at a time, so a report never pulls a site's history into memory.

use crate::Result;
use engine::Timestamp;

/// What a report covers: days since 1970-01-01, UTC (both included), and filters; `None`
/// keeps everything. Reports with days alone read the narrow rollups; filters need the wide one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
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

impl ReportScope {
    /// Whether only days are asked (no filter on where or who).
    pub fn days_only(&self) -> bool {
        self.place.is_none()
            && self.help_key.is_none()
            && self.role.is_none()
            && self.locale.is_none()
            && self.app_version.is_none()
    }
}

/// One page of a ranked report: the rows asked for and how many there are in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranked<T> {
    pub total: u64,
    pub rows: Vec<T>,
}

/// Which page of a ranked report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    pub offset: u32,
}

/// How one snippet did in a report's range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetTotals {
    pub snippet_id: i64,
    pub slug: String,
    pub title: String,
    pub moment: engine::Moment,
    pub views: u64,
    pub panel: u64,
    pub hotspot: u64,
    pub search: u64,
    pub page: u64,
    pub helpful: u64,
    pub not_helpful: u64,
}

/// Help opened at one place, key and set of roles in a report's range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceTotals {
    pub place: String,
    pub help_key: String,
    /// Comma-separated; `""` for none.
    pub roles: String,
    pub opens: u64,
    pub views: u64,
}

/// A place and key, and how often (opens without help, or times seen on a page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceCount {
    pub place: String,
    pub help_key: String,
    pub count: u64,
}

/// Searches with the same normalized words in a report's range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTotals {
    pub query: String,
    pub searches: u64,
    /// Searches that found nothing.
    pub empty: u64,
    /// Views of a result that followed.
    pub viewed: u64,
}

/// Distinct fields seen, and how many of them had help, for one place or one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldShare<T> {
    pub of: T,
    pub fields_seen: u64,
    pub fields_with_help: u64,
}

/// A published snippet with targets, and when pages last showed any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetsSeen {
    pub snippet_id: i64,
    pub slug: String,
    pub title: String,
    /// The last day any target was seen; `None` if never.
    pub last_day: Option<i64>,
    /// The newest of `versions` (an index into it) any target was seen with; `None` if none.
    pub newest_version: Option<usize>,
}

/// A host app version pages reported, and the first day it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppVersionSeen {
    pub app_version: String,
    pub first_day: i64,
}

/// The reports' queries, part of every [`crate::Store`].
#[async_trait::async_trait]
pub trait Reports {
    /// Snippets' views and ratings in the scope (of `moment` only, if given), most viewed first.
    async fn snippet_totals(
        &self,
        site_id: i64,
        scope: &ReportScope,
        moment: Option<engine::Moment>,
        paging: Paging,
    ) -> Result<Ranked<SnippetTotals>>;

    /// Panel opens and views per place, key and roles in the scope, most opened first.
    async fn demand(&self, site_id: i64, scope: &ReportScope, paging: Paging) -> Result<Ranked<PlaceTotals>>;

    /// Panel opens without specific help per place and key in the scope, most frequent first.
    async fn opened_without_help(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<PlaceCount>>;

    /// Searches that found nothing or led to no view, by normalized words, from `from_day` to
    /// `to_day`: most often empty first, then most often without a view.
    async fn search_gaps(
        &self,
        site_id: i64,
        from_day: i64,
        to_day: i64,
        paging: Paging,
    ) -> Result<Ranked<SearchTotals>>;

    /// Fields seen on pages in the scope that never had help there, most seen first.
    async fn fields_without_help(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<PlaceCount>>;

    /// Per place: distinct fields seen in the scope and how many had help; most fields first.
    async fn coverage_by_place(
        &self,
        site_id: i64,
        scope: &ReportScope,
        paging: Paging,
    ) -> Result<Ranked<FieldShare<String>>>;

    /// Per day: distinct fields seen and how many had help, oldest first.
    async fn coverage_by_day(&self, site_id: i64, scope: &ReportScope) -> Result<Vec<FieldShare<i64>>>;

    /// Whether the site's pages asked for anything on or after `day` (the site has traffic).
    async fn pages_seen_since(&self, site_id: i64, day: i64) -> Result<bool>;

    /// The host app versions the site's pages reported, oldest first seen first.
    async fn app_versions_seen(&self, site_id: i64) -> Result<Vec<AppVersionSeen>>;

    /// Published snippets with targets whose targets were last seen before `since` (or never),
    /// or whose newest version seen (by its index in `versions`, oldest to newest) is below
    /// `versions`' last; the others are left out.
    async fn stale_targets(&self, site_id: i64, since: i64, versions: &[String]) -> Result<Vec<TargetsSeen>>;

    /// The latest "not helpful" comments (within retention) of each snippet, newest first:
    /// `(snippet, when, text)`, at most `per_snippet` each.
    async fn unhelpful_comments(
        &self,
        site_id: i64,
        snippet_ids: &[i64],
        per_snippet: u32,
    ) -> Result<Vec<(i64, Timestamp, String)>>;
}
