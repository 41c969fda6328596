//! What the insights reports ask of a store: the daily rollups of a range, and the few lookups
//! a report's page needs. Ranking happens in the service (`server::reports`), which keeps
//! closed days in memory.

use crate::Result;
use engine::Timestamp;

/// One row of the daily event rollup: every dimension, and how many events had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDay {
    pub day: i64,
    pub kind: String,
    pub place: String,
    pub help_key: String,
    pub roles: String,
    pub locale: String,
    pub app_version: String,
    /// -1 for none.
    pub snippet_id: i64,
    pub via: String,
    /// 1, 0, or -1 when not a rating.
    pub helpful: i64,
    /// 1, 0, or -1 when not known.
    pub specific: i64,
    pub count: u64,
}

/// One row of the daily search rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDay {
    pub day: i64,
    pub query: String,
    pub searches: u64,
    pub empty: u64,
    pub viewed: u64,
}

/// What a report shows of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub moment: engine::Moment,
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
    /// A site's daily event rollup from `from_day` to `to_day` (inclusive).
    async fn event_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<EventDay>>;

    /// A site's daily search rollup from `from_day` to `to_day` (inclusive).
    async fn search_days(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<SearchDay>>;

    /// Slug, title and moment of the site's snippets with these ids (any status).
    async fn snippet_summaries(&self, site_id: i64, ids: &[i64]) -> Result<Vec<SnippetSummary>>;

    /// Ids of the site's snippets of one moment (any status).
    async fn snippet_ids_of_moment(&self, site_id: i64, moment: engine::Moment) -> Result<Vec<i64>>;

    /// Whether the site's pages asked for anything on or after `day` (the site has traffic).
    async fn pages_seen_since(&self, site_id: i64, day: i64) -> Result<bool>;

    /// The host app versions the site's pages reported, oldest first seen first.
    async fn app_versions_seen(&self, site_id: i64) -> Result<Vec<AppVersionSeen>>;

    /// Published snippets with targets whose targets were last seen before `since` (or never;
    /// neither when `since` is `None`), or whose newest version seen (by its index in
    /// `versions`, oldest to newest) is below `versions`' last: one page, never seen first, then
    /// the longest unseen, and how many there are in all.
    async fn stale_targets(
        &self,
        site_id: i64,
        since: Option<i64>,
        versions: &[String],
        limit: u32,
        offset: u32,
    ) -> Result<(u64, Vec<TargetsSeen>)>;

    /// The latest "not helpful" comments (within retention) of each snippet, newest first:
    /// `(snippet, when, text)`, at most `per_snippet` each.
    async fn unhelpful_comments(
        &self,
        site_id: i64,
        snippet_ids: &[i64],
        per_snippet: u32,
    ) -> Result<Vec<(i64, Timestamp, String)>>;
}
