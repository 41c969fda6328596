//! The daily rollups a report ranks, in memory. A closed day (before today, UTC, and a few
//! minutes past midnight so late writes have landed) never changes, so once read it is kept —
//! its text interned to small numbers, about 40 bytes a row — until the row budget needs the
//! room (least recently used days go first). Today is read again once it is 10 s old, or when
//! this instance has written coverage counters.
//! Ranking 30 days of a site with 10 million events a year then takes milliseconds instead of
//! SQLite grouping hundreds of thousands of rows.

use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{CoverageCount, EventDay, SearchDay, Store};

/// Rows kept across all sites (about 40 bytes each): about 160 MB at most.
const DEFAULT_BUDGET_ROWS: usize = 4_000_000;
/// How long an open day (today) read from the store answers reports before it is read again:
/// reports show today's events within this many seconds, as they do the coverage counters.
const OPEN_FRESH_SECS: i64 = 10;
/// A day is closed this long after its midnight (UTC), when no write for it is still in flight
/// (coverage counters are flushed every 10 s).
const CLOSE_AFTER_SECS: i64 = 300;

/// Each distinct text of a site's rollups once, as a number.
#[derive(Debug, Default)]
pub struct Strings {
    ids: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
}

impl Strings {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        let text: Arc<str> = text.into();
        self.texts.push(text.clone());
        self.ids.insert(text, id);
        id
    }

    /// The number of a text, if any row has it.
    pub fn find(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    pub fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", |text| text)
    }
}

/// What an event rollup row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PanelOpen,
    SnippetView,
    Search,
    Feedback,
    Other,
}

/// Where a viewed snippet was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Panel,
    Hotspot,
    Search,
    Page,
    None,
}

/// One row of `event_days`, its text as numbers.
#[derive(Debug, Clone, Copy)]
pub struct EventRow {
    pub kind: Kind,
    pub via: Via,
    /// 1, 0, or -1 when not a rating.
    pub helpful: i8,
    /// 1, 0, or -1 when not known.
    pub specific: i8,
    pub place: u32,
    pub help_key: u32,
    pub roles: u32,
    pub locale: u32,
    pub app_version: u32,
    /// -1 for none.
    pub snippet: i64,
    pub count: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchRow {
    pub query: u32,
    pub searches: u64,
    pub empty: u64,
    pub viewed: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct CoverageRow {
    pub day: i64,
    pub place: u32,
    pub help_key: u32,
    pub app_version: u32,
    pub seen: u64,
    pub helped: u64,
}

/// One day of a site's rollups.
#[derive(Debug, Default)]
pub struct Day {
    /// Days since 1970-01-01, UTC.
    pub day: i64,
    pub events: Vec<EventRow>,
    pub searches: Vec<SearchRow>,
    pub coverage: Vec<CoverageRow>,
}

impl Day {
    fn rows(&self) -> usize {
        self.events.len() + self.searches.len() + self.coverage.len()
    }
}

/// A site's rollups for a report's range, and the texts their numbers stand for.
pub struct View<'a> {
    pub strings: &'a Strings,
    pub days: Vec<Arc<Day>>,
}

#[derive(Debug, Default)]
struct SiteDays {
    strings: Strings,
    /// Closed days, with when each was last used.
    days: BTreeMap<i64, (Arc<Day>, u64)>,
    /// Open days, with when each was read (unix seconds).
    open: BTreeMap<i64, (Arc<Day>, engine::Timestamp)>,
}

#[derive(Debug, Default)]
struct State {
    sites: HashMap<i64, SiteDays>,
    rows: usize,
    clock: u64,
}

/// The closed days kept in memory, for every site.
#[derive(Debug)]
pub struct Rollups {
    // Held while a report's days load, so concurrent reports read a day from the store once.
    state: tokio::sync::Mutex<State>,
    budget_rows: usize,
}

impl Default for Rollups {
    fn default() -> Self {
        Rollups::with_budget(DEFAULT_BUDGET_ROWS)
    }
}

impl Rollups {
    pub fn with_budget(budget_rows: usize) -> Rollups {
        Rollups { state: tokio::sync::Mutex::default(), budget_rows }
    }

    /// Forgets the open days read so far: the next report reads them again (after this
    /// instance wrote to them).
    pub async fn forget_open_days(&self) {
        for site in self.state.lock().await.sites.values_mut() {
            site.open.clear();
        }
    }

    /// Runs `report` on the site's rollups from `from_day` to `to_day`, reading from the store
    /// what is not in memory; `now` (unix seconds) decides which days are closed.
    pub async fn with_range<T>(
        &self,
        store: &dyn Store,
        site_id: i64,
        (from_day, to_day): (i64, i64),
        now: engine::Timestamp,
        report: impl FnOnce(View<'_>) -> T,
    ) -> store::Result<T> {
        let last_closed = (now - CLOSE_AFTER_SECS).div_euclid(86_400) - 1;
        let mut state = self.state.lock().await;
        state.clock += 1;
        let clock = state.clock;
        let missing: Vec<i64> = {
            let site = state.sites.entry(site_id).or_default();
            (from_day..=to_day.min(last_closed)).filter(|day| !site.days.contains_key(day)).collect()
        };
        // Contiguous runs of missing closed days, one read each; then the open days.
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for day in missing {
            match runs.last_mut() {
                Some((_, end)) if *end + 1 == day => *end = day,
                _ => runs.push((day, day)),
            }
        }
        for (first, last) in runs {
            let loaded = load(store, site_id, first, last).await?;
            let site = state.sites.entry(site_id).or_default();
            let mut added = 0;
            for day in first..=last {
                let rows = loaded.get(&day);
                let day_rows = intern(&mut site.strings, day, rows);
                added += day_rows.rows();
                site.days.insert(day, (Arc::new(day_rows), clock));
            }
            state.rows += added;
        }
        let mut open = Vec::new();
        if to_day > last_closed {
            let first = from_day.max(last_closed + 1);
            let site = state.sites.entry(site_id).or_default();
            site.open.retain(|day, (_, read)| *day > last_closed && now - *read < OPEN_FRESH_SECS);
            if (first..=to_day).any(|day| !site.open.contains_key(&day)) {
                let loaded = load(store, site_id, first, to_day).await?;
                let site = state.sites.entry(site_id).or_default();
                for day in first..=to_day {
                    let rows = intern(&mut site.strings, day, loaded.get(&day));
                    site.open.insert(day, (Arc::new(rows), now));
                }
            }
            let site = state.sites.entry(site_id).or_default();
            open.extend(site.open.range(first..=to_day).map(|(_, (day, _))| day.clone()));
        }
        let site = state.sites.entry(site_id).or_default();
        let mut days: Vec<Arc<Day>> = Vec::new();
        if from_day <= to_day.min(last_closed) {
            for (_, (day, used)) in site.days.range_mut(from_day..=to_day.min(last_closed)) {
                *used = clock;
                days.push(day.clone());
            }
        }
        days.extend(open);
        let answer = report(View { strings: &site.strings, days });
        evict(&mut state, self.budget_rows, clock);
        Ok(answer)
    }
}

/// Drops the least recently used closed days until the rows fit the budget, never one used by
/// the report that just ran.
fn evict(state: &mut State, budget_rows: usize, clock: u64) {
    while state.rows > budget_rows {
        let oldest = state
            .sites
            .iter()
            .flat_map(|(site, days)| days.days.iter().map(move |(day, (_, used))| (*used, *site, *day)))
            .filter(|(used, _, _)| *used < clock)
            .min();
        let Some((_, site, day)) = oldest else { return };
        if let Some((dropped, _)) = state.sites.get_mut(&site).and_then(|days| days.days.remove(&day)) {
            state.rows = state.rows.saturating_sub(dropped.rows());
        }
    }
}

type Loaded = HashMap<i64, (Vec<EventDay>, Vec<SearchDay>, Vec<CoverageCount>)>;

async fn load(store: &dyn Store, site_id: i64, first: i64, last: i64) -> store::Result<Loaded> {
    let mut loaded: Loaded = HashMap::default();
    for row in store.event_days(site_id, first, last).await? {
        loaded.entry(row.day).or_default().0.push(row);
    }
    for row in store.search_days(site_id, first, last).await? {
        loaded.entry(row.day).or_default().1.push(row);
    }
    for row in store.coverage(site_id, first, last).await? {
        loaded.entry(row.day).or_default().2.push(row);
    }
    Ok(loaded)
}

fn intern(strings: &mut Strings, day: i64, rows: Option<&(Vec<EventDay>, Vec<SearchDay>, Vec<CoverageCount>)>) -> Day {
    let Some((events, searches, coverage)) = rows else { return Day { day, ..Day::default() } };
    let small = |value: i64| i8::try_from(value).unwrap_or(-1);
    Day {
        day,
        events: events
            .iter()
            .map(|row| EventRow {
                kind: match row.kind.as_str() {
                    "panel_open" => Kind::PanelOpen,
                    "snippet_view" => Kind::SnippetView,
                    "search" => Kind::Search,
                    "feedback" => Kind::Feedback,
                    _ => Kind::Other,
                },
                via: match row.via.as_str() {
                    "panel" => Via::Panel,
                    "hotspot" => Via::Hotspot,
                    "search" => Via::Search,
                    "page" => Via::Page,
                    _ => Via::None,
                },
                helpful: small(row.helpful),
                specific: small(row.specific),
                place: strings.id(&row.place),
                help_key: strings.id(&row.help_key),
                roles: strings.id(&row.roles),
                locale: strings.id(&row.locale),
                app_version: strings.id(&row.app_version),
                snippet: row.snippet_id,
                count: row.count,
            })
            .collect(),
        searches: searches
            .iter()
            .map(|row| SearchRow {
                query: strings.id(&row.query),
                searches: row.searches,
                empty: row.empty,
                viewed: row.viewed,
            })
            .collect(),
        coverage: coverage
            .iter()
            .map(|row| CoverageRow {
                day,
                place: strings.id(&row.place),
                help_key: strings.id(&row.help_key),
                app_version: strings.id(&row.app_version),
                seen: row.seen,
                helped: row.helped,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opens(count: usize, place: &str) -> Vec<store::Event> {
        let open = store::Event {
            kind: "panel_open".into(),
            route: Some(place.into()),
            specific: Some(false),
            ..store::Event::default()
        };
        vec![open; count]
    }

    /// Panel opens per place in the range, as a report would sum them.
    fn opened(view: View<'_>) -> Vec<(String, u64)> {
        let mut places: BTreeMap<String, u64> = BTreeMap::new();
        for row in view.days.iter().flat_map(|day| &day.events) {
            *places.entry(view.strings.text(row.place).to_owned()).or_default() += row.count;
        }
        places.into_iter().collect()
    }

    #[tokio::test]
    async fn closed_days_are_read_once_and_today_every_ten_seconds_within_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rollups.db").display());
        let store = store::SqliteStore::open(&url, engine::render::Renderer::default()).await.unwrap();
        let spec = store::SiteSpec {
            public_key: "pk_rollups".into(),
            name: "Rollups".into(),
            origins: Vec::new(),
            default_locale: engine::Locale::parse("en").unwrap(),
            locales: Vec::new(),
        };
        let site = store.put_site(&spec).await.unwrap();
        let today = 20_000;
        let now = today * 86_400 + 12 * 3600;
        store.record_events_at(site.id, (today - 2) * 86_400, &opens(3, "/a")).await.unwrap();
        store.record_events_at(site.id, (today - 1) * 86_400, &opens(2, "/b")).await.unwrap();
        store.record_events_at(site.id, now, &opens(1, "/a")).await.unwrap();

        let rollups = Rollups::default();
        let range = (today - 6, today);
        let first = rollups.with_range(&store, site.id, range, now, opened).await.unwrap();
        assert_eq!(first, [("/a".into(), 4), ("/b".into(), 2)]);
        // Today is read again once 10 s old; closed days come from memory (a late write to one
        // is not seen).
        store.record_events_at(site.id, now, &opens(5, "/c")).await.unwrap();
        store.record_events_at(site.id, (today - 2) * 86_400, &opens(7, "/late")).await.unwrap();
        let soon = rollups.with_range(&store, site.id, range, now + 1, opened).await.unwrap();
        assert_eq!(soon, first, "within 10 s");
        let second = rollups.with_range(&store, site.id, range, now + OPEN_FRESH_SECS, opened).await.unwrap();
        assert_eq!(second, [("/a".into(), 4), ("/b".into(), 2), ("/c".into(), 5)]);
        // Just after midnight yesterday is still open; a fresh cache reads everything.
        let fresh = Rollups::with_budget(1);
        let late = fresh.with_range(&store, site.id, range, today * 86_400 + 60, opened).await.unwrap();
        assert_eq!(late, [("/a".into(), 4), ("/b".into(), 2), ("/c".into(), 5), ("/late".into(), 7)]);
        assert!(fresh.state.lock().await.sites[&site.id].days.contains_key(&(today - 2)), "kept while in use");
        // With a budget of one row, a day the last report did not use goes.
        let today_only = fresh.with_range(&store, site.id, (today, today), today * 86_400 + 60, opened).await.unwrap();
        assert_eq!(today_only, [("/a".into(), 1), ("/c".into(), 5)]);
        let state = fresh.state.lock().await;
        assert!(!state.sites[&site.id].days.contains_key(&(today - 2)), "evicted");
        assert!(state.rows <= 1, "{} rows kept", state.rows);
    }
}
