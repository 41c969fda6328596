//! The insights reports at volume: a year of synthetic widget traffic (10 million events by
//! default) on a synthetic site of 100k snippets, in a real SQLite file, then every report's
//! p50 and p90 over repeated runs, with and without a filter. `cargo xtask bench` runs it;
//! alone: `cargo bench -p server --bench insights` (`CUECARD_BENCH_EVENTS`, `…_SNIPPETS`).
//!
//! The seeded database is kept (`target/bench/insights-*.db`) and reused while its shape is
//! the same, because seeding 10 million events takes minutes.
//!
//! The traffic's shape: 2,000 screens of 50 snippets each (the engine's synthetic site), demand
//! across screens Zipf-distributed (s = 1), weekends quieter; per event a place (one of the
//! screen's routes or URL patterns), a help key (one of 24, a few far more asked about) or the
//! page, one of 5 roles (1 in 10 workers has two), 3 locales, 3 host app versions rolled out
//! over the year; 40% panel opens, 40% views, 10% searches, 10% ratings.

use server::reports;
use std::time::{Duration, Instant};
use store::{CoverageCount, Event, ImportOptions, SnippetDraft, SqliteStore, Store};

const SITE: &str = "pk_bench_insights";
const SEED: u64 = 11;
const DAYS: i64 = 365;
const ROLES: &[&str] = &["employee", "approver", "admin", "finance", "auditor"];
const RUNS: usize = 21;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.replace('_', "").parse().ok()).unwrap_or(default)
}

/// Cumulative weights of a Zipf distribution over `n` ranks.
fn zipf(n: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    let mut cumulative = Vec::with_capacity(n);
    for rank in 1..=n {
        total += 1.0 / (rank as f64).powf(s);
        cumulative.push(total);
    }
    cumulative.iter().map(|weight| weight / total).collect()
}

fn draw(cumulative: &[f64], random: &mut fastrand::Rng) -> usize {
    let target = random.f64();
    cumulative.partition_point(|weight| *weight < target).min(cumulative.len() - 1)
}

/// The day's host app version: 3.0.0, then 3.1.0 from day 120, then 3.2.0 from day 250, each
/// rolled out over 30 days.
fn app_version(day_of_year: i64, random: &mut fastrand::Rng) -> &'static str {
    let share = |start: i64| ((day_of_year - start) as f64 / 30.0).clamp(0.0, 1.0);
    let roll = random.f64();
    if roll < share(250) {
        "3.2.0"
    } else if roll < share(120) {
        "3.1.0"
    } else {
        "3.0.0"
    }
}

struct Traffic {
    screens: Vec<f64>,
    fields: Vec<f64>,
    /// Snippet ids per screen.
    snippets: Vec<Vec<i64>>,
    queries: Vec<String>,
}

impl Traffic {
    /// One day's events (about `per_day`) and the coverage they imply.
    fn day(
        &self,
        site_id: i64,
        day: i64,
        day_of_year: i64,
        per_day: u64,
        seed: u64,
    ) -> (Vec<Event>, Vec<CoverageCount>) {
        let mut random = fastrand::Rng::with_seed(seed ^ (day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let weekday = (day + 3).rem_euclid(7);
        let count = if weekday >= 5 { per_day * 3 / 10 } else { per_day };
        let mut events = Vec::with_capacity(count as usize);
        let mut coverage: std::collections::HashMap<(String, String, &'static str), (u64, u64)> =
            std::collections::HashMap::new();
        for _ in 0..count {
            let screen = draw(&self.screens, &mut random);
            let place = if random.bool() {
                format!("/s{screen}/view{}", random.u32(0..5))
            } else {
                format!("/s{screen}/:id/tab{}", random.u32(0..3))
            };
            let field = draw(&self.fields, &mut random);
            let key = match field {
                0..20 => Some(format!("s{screen}.f{field}")),
                20..24 => Some(format!("s{screen}.section{}", field - 20)),
                _ => None,
            };
            let mut roles = vec![ROLES[random.usize(0..ROLES.len())]];
            if random.u8(0..10) == 0 {
                roles.push(ROLES[random.usize(0..ROLES.len())]);
                roles.sort_unstable();
                roles.dedup();
            }
            let version = app_version(day_of_year, &mut random);
            let locale = match random.u8(0..10) {
                0..7 => "en",
                7..9 => "fr",
                _ => "de",
            };
            let specific = random.u8(0..10) < 7;
            let snippets = &self.snippets[screen % self.snippets.len()];
            let snippet = (!snippets.is_empty()).then(|| snippets[random.usize(0..snippets.len())]);
            let mut event = Event {
                kind: String::new(),
                route: Some(place.clone()),
                help_key: key.clone(),
                locale: Some(locale.into()),
                roles: Some(roles.join(",")),
                app_version: Some(version.into()),
                ..Event::default()
            };
            match random.u8(0..10) {
                0..4 => {
                    event.kind = "panel_open".into();
                    event.specific = Some(specific);
                    event.results = Some(if specific { 3 } else { 1 });
                }
                4..8 => {
                    event.kind = "snippet_view".into();
                    event.snippet_id = snippet;
                    event.via = Some(
                        match random.u8(0..20) {
                            0..12 => "panel",
                            12..17 => "hotspot",
                            17..19 => "search",
                            _ => "page",
                        }
                        .into(),
                    );
                    if event.via.as_deref() == Some("search") {
                        event.query = Some(self.queries[random.usize(0..self.queries.len())].clone());
                    }
                }
                8 => {
                    event.kind = "search".into();
                    event.query = Some(self.queries[random.usize(0..self.queries.len())].clone());
                    event.results = Some(if random.u8(0..100) < 15 { 0 } else { random.i64(1..10) });
                }
                _ => {
                    event.kind = "feedback".into();
                    event.snippet_id = snippet;
                    let helpful = random.u8(0..4) != 0;
                    event.helpful = Some(helpful);
                    if !helpful && random.u8(0..10) < 3 {
                        event.comment = Some("I still don't know what to put here".into());
                    }
                }
            }
            if event.snippet_id.is_none() && matches!(event.kind.as_str(), "snippet_view" | "feedback") {
                continue;
            }
            let sighting = coverage.entry((place, key.unwrap_or_default(), version)).or_default();
            sighting.0 += 1;
            sighting.1 += u64::from(specific);
            events.push(event);
        }
        let coverage = coverage
            .into_iter()
            .map(|((place, help_key, app_version), (seen, helped))| CoverageCount {
                site_id,
                day,
                place,
                help_key,
                app_version: app_version.into(),
                seen,
                helped,
            })
            .collect();
        (events, coverage)
    }
}

async fn seed(store: &SqliteStore, snippet_count: usize, events: u64, today: i64) -> anyhow::Result<i64> {
    let english = engine::Locale::parse("en").unwrap_or_else(|_| unreachable!("a fixed tag"));
    let french = engine::Locale::parse("fr").unwrap_or_else(|_| unreachable!("a fixed tag"));
    let german = engine::Locale::parse("de").unwrap_or_else(|_| unreachable!("a fixed tag"));
    store
        .put_site(&store::SiteSpec {
            public_key: SITE.into(),
            name: "Insights bench".into(),
            origins: Vec::new(),
            default_locale: english,
            locales: vec![french, german],
        })
        .await?;
    let started = Instant::now();
    let drafts: Vec<SnippetDraft> = (0..snippet_count)
        .map(|index| {
            let synthetic = engine::synthetic::snippet(index, SEED);
            SnippetDraft {
                slug: synthetic.slug,
                locale: engine::Locale::parse(synthetic.locale).unwrap_or_else(|_| unreachable!("fixed tags")),
                title: synthetic.title,
                markdown: synthetic.markdown,
                moment: synthetic.moment,
                roles: synthetic.roles,
                priority: synthetic.priority,
                status: engine::Status::Published,
                targets: synthetic.targets,
                publish_at: None,
                expire_at: None,
                app_versions: None,
            }
        })
        .collect();
    store.import(SITE, drafts, ImportOptions::default()).await?;
    let site = store.site(SITE).await?.ok_or_else(|| anyhow::anyhow!("the bench site is missing"))?;
    eprintln!("insights bench: {snippet_count} snippets imported in {:.1?}", started.elapsed());

    let mut snippets: Vec<Vec<i64>> = vec![Vec::new(); snippet_count.div_ceil(engine::synthetic::PER_SCREEN).max(1)];
    // Slugs are `s{screen}/n{index}`: views and ratings go to the screen's own snippets.
    for snippet in store.servable_snippets(site.id).await? {
        let screen: Option<usize> = snippet
            .slug
            .strip_prefix('s')
            .and_then(|rest| rest.split('/').next())
            .and_then(|screen| screen.parse().ok());
        if let Some(ids) = screen.and_then(|screen| snippets.get_mut(screen)) {
            ids.push(snippet.id);
        }
    }
    let traffic = Traffic {
        screens: zipf(snippets.len(), 1.0),
        fields: zipf(26, 1.0),
        snippets,
        queries: engine::synthetic::queries(400, SEED),
    };
    // Weekdays are busy, weekends at 30%: spread `events` over the year accordingly.
    let weeks = DAYS as f64 / 7.0;
    let per_day = (events as f64 / (weeks * (5.0 + 2.0 * 0.3))).round() as u64;
    let started = Instant::now();
    let mut written = 0u64;
    for (day_of_year, day) in ((today - DAYS + 1)..=today).enumerate() {
        let (events, coverage) = traffic.day(site.id, day, day_of_year as i64, per_day, SEED);
        for batch in events.chunks(5000) {
            written += store.record_events_at(site.id, day * 86_400 + 12 * 3600, batch).await? as u64;
        }
        store.add_coverage(&coverage).await?;
        if day_of_year % 30 == 29 {
            eprintln!("insights bench: {written} events written in {:.0?}", started.elapsed());
        }
    }
    eprintln!("insights bench: {written} events seeded in {:.1?}", started.elapsed());
    Ok(written as i64)
}

fn percentile(times: &mut [Duration], share: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * share).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let events = env_number("CUECARD_BENCH_EVENTS", 10_000_000);
    let snippet_count = env_number("CUECARD_BENCH_SNIPPETS", 100_000) as usize;
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| std::path::PathBuf::from("target"), Into::into);
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir)?;
    // The file name holds the shape and a version bumped when the schema or the generator
    // changes, so either seeds afresh; the `.done` file keeps the day the data ends.
    let file = dir.join(format!("insights-v3-{snippet_count}-{events}.db"));
    let done = dir.join(format!("insights-v3-{snippet_count}-{events}.done"));
    let url = format!("sqlite://{}", file.display());
    let today = server::http::unix_now().div_euclid(86_400);
    let last_day = match std::fs::read_to_string(&done).ok().and_then(|text| text.trim().parse::<i64>().ok()) {
        Some(day) => day,
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            let store = SqliteStore::open(&url, engine::render::Renderer::default()).await?;
            seed(&store, snippet_count, events, today).await?;
            std::fs::write(&done, today.to_string())?;
            today
        }
    };
    let store = SqliteStore::open(&url, engine::render::Renderer::default()).await?;
    let site = store.site(SITE).await?.ok_or_else(|| anyhow::anyhow!("the bench site is missing"))?;
    let date = |day: i64| reports::date(day);
    let last_30 =
        wire::admin::ReportQuery { from: Some(date(last_day - 29)), to: Some(date(last_day)), ..Default::default() };
    let filtered = |extra: fn(&mut wire::admin::ReportQuery)| {
        let mut query = last_30.clone();
        extra(&mut query);
        query
    };
    let mut last_7 = last_30.clone();
    last_7.from = Some(date(last_day - 6));
    let cases: Vec<(&str, wire::admin::ReportQuery)> = vec![
        ("last 30 days", last_30.clone()),
        ("30 d, one route", filtered(|query| query.route = Some("/s0/view1".into()))),
        ("30 d, one role", filtered(|query| query.role = Some("approver".into()))),
        ("last 7 days", last_7),
    ];
    println!();
    println!(
        "insights reports: {events} events over {DAYS} days, {snippet_count} snippets, SQLite (release); p50 / p90 of {RUNS} runs"
    );
    println!("  {:<10} {:>22} {:>22} {:>22} {:>22}", "report", cases[0].0, cases[1].0, cases[2].0, cases[3].0);
    let store: &dyn Store = &store;
    type Run<'a> = Box<
        dyn Fn(
                &'a wire::admin::ReportQuery,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, reports::ReportError>> + 'a>>
            + 'a,
    >;
    let id = site.id;
    let rollups_kept = reports::rollups::Rollups::default();
    let rollups = &rollups_kept;
    let kinds: Vec<(&str, Run<'_>)> = vec![
        (
            "snippets",
            Box::new(move |query| {
                Box::pin(async move { Ok(reports::snippets(store, rollups, id, query).await?.snippets.len()) })
            }),
        ),
        (
            "demand",
            Box::new(move |query| {
                Box::pin(async move { Ok(reports::demand(store, rollups, id, query).await?.places.len()) })
            }),
        ),
        (
            "gaps",
            Box::new(move |query| {
                Box::pin(async move { Ok(reports::gaps(store, rollups, id, query).await?.opened_without_help.len()) })
            }),
        ),
        (
            "coverage",
            Box::new(move |query| {
                Box::pin(async move { Ok(reports::coverage(store, rollups, id, query).await?.places.len()) })
            }),
        ),
        (
            "stale",
            Box::new(move |query| {
                Box::pin(async move { Ok(reports::stale_help(store, id, query).await?.snippets.len()) })
            }),
        ),
    ];
    let queries: Vec<&wire::admin::ReportQuery> = cases.iter().map(|(_, query)| query).collect();
    // The first report reads the closed days from SQLite; later ones find them in memory.
    let started = Instant::now();
    reports::demand(store, rollups, id, &cases[0].1).await?;
    println!("  first report after start (reads {} days from SQLite): {:.2?}", 30, started.elapsed());
    let mut worst = Duration::ZERO;
    for (name, run) in &kinds {
        let mut cells = Vec::new();
        for query in &queries {
            let mut times = Vec::with_capacity(RUNS);
            let mut rows = 0;
            for _ in 0..RUNS {
                let started = Instant::now();
                rows = run(query).await?;
                times.push(started.elapsed());
            }
            let p50 = percentile(&mut times, 0.5);
            worst = worst.max(p50);
            cells.push(format!("{:.1?} / {:.1?} ({rows})", p50, percentile(&mut times, 0.9)));
        }
        println!("  {name:<10} {:>22} {:>22} {:>22} {:>22}", cells[0], cells[1], cells[2], cells[3]);
    }
    println!("  slowest p50: {worst:.1?} (rows on the first page in brackets)");
    Ok(())
}
