//! `cargo xtask bench`: the engine's criterion benches, then the release service loaded with
//! 100k synthetic snippets and measured with wrk on loopback against its own trivial route
//! (help with and without coverage counting, search, event ingest), on SQLite and on
//! PostgreSQL in the same run, then the insights reports over a synthetic year of 10 million
//! events.

use crate::service::{Server, status_of};
use crate::{Workspace, cargo, prerequisites, run, run_with_env};
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SITE: &str = "pk_bench";
const SEED: u64 = 7;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Snippets in the loaded service.
    #[arg(long, default_value_t = 100_000)]
    snippets: usize,
    /// Seconds of load per endpoint.
    #[arg(long, default_value_t = 5)]
    seconds: u32,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Site sizes for the engine benches (comma-separated).
    #[arg(long, default_value = "1000,10000,100000,1000000")]
    engine_sizes: String,
    /// Skip the engine benches (criterion).
    #[arg(long)]
    service_only: bool,
    /// Skip the loaded service.
    #[arg(long)]
    engine_only: bool,
    /// Only the insights reports at volume.
    #[arg(long)]
    insights_only: bool,
    /// Only time to help in headless Chromium on Slow 4G + 4x CPU, against driver.js.
    #[arg(long)]
    browser: bool,
    /// Cold page loads per contender for `--browser`.
    #[arg(long, default_value_t = 18)]
    browser_samples: usize,
    /// Events in the insights benchmark's synthetic year (seeded once, then reused).
    #[arg(long, default_value_t = 10_000_000)]
    insights_events: u64,
}

pub fn run_bench(workspace: &Workspace, args: &BenchArgs) -> anyhow::Result<()> {
    if args.browser {
        return crate::bench_browser::run_browser_bench(workspace, args.browser_samples);
    }
    if args.insights_only {
        return insights(workspace, args);
    }
    if !args.service_only {
        run_with_env(
            workspace,
            &cargo(),
            &["bench", "--package", "engine", "--features", "synthetic", "--bench", "engine"],
            &[("CUECARD_BENCH_SIZES", &args.engine_sizes)],
        )?;
    }
    if !args.engine_only {
        service(workspace, args)?;
        insights(workspace, args)?;
    }
    Ok(())
}

/// The insights reports over a synthetic year of events (`crates/server/benches/insights.rs`).
fn insights(workspace: &Workspace, args: &BenchArgs) -> anyhow::Result<()> {
    run_with_env(
        workspace,
        &cargo(),
        &["bench", "--package", "server", "--bench", "insights"],
        &[
            ("CUECARD_BENCH_EVENTS", &args.insights_events.to_string()),
            ("CUECARD_BENCH_SNIPPETS", &args.snippets.to_string()),
        ],
    )
}

/// Rate limiting stays on (its cost is part of the figure) with a quota the load never reaches.
const BENCH_SERVE_ARGS: &[&str] =
    &["--refresh-secs", "3600", "--public-rate-limit", "1000000000", "--public-rate-burst", "1000000000"];

impl Server {
    /// Resident memory, from /proc.
    fn resident_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kilobytes * 1024)
    }
}

/// Writes the synthetic site as Markdown files, unless the same site is already there.
fn write_site(dir: &Path, count: usize) -> anyhow::Result<()> {
    let stamp = dir.join(".generated");
    let expected = format!("{count} {SEED}");
    if std::fs::read_to_string(&stamp).is_ok_and(|found| found == expected) {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(dir);
    for index in 0..count {
        let snippet = engine::synthetic::snippet(index, SEED);
        let file = dir.join(format!("{}.md", snippet.slug));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut front = format!(
            "---\ntitle: {}\nmoment: {}\nlocale: {}\npriority: {}\n",
            serde_json::to_string(&snippet.title)?,
            snippet.moment.as_str(),
            snippet.locale,
            snippet.priority
        );
        if !snippet.roles.is_empty() {
            front.push_str(&format!("roles: [{}]\n", snippet.roles.join(", ")));
        }
        if !snippet.targets.is_empty() {
            front.push_str("targets:\n");
            for target in &snippet.targets {
                let (kind, value) = match target {
                    engine::Target::Key(key) => ("key", key),
                    engine::Target::Route(route) => ("route", route),
                    engine::Target::UrlPattern(pattern) => ("url", pattern),
                };
                front.push_str(&format!("  - {kind}: {}\n", serde_json::to_string(value)?));
            }
        }
        std::fs::write(file, format!("{front}---\n{}", snippet.markdown))?;
    }
    std::fs::write(stamp, expected)?;
    Ok(())
}

fn query_string<T: serde::Serialize>(query: &T) -> anyhow::Result<String> {
    Ok(serde_urlencoded::to_string(query)?)
}

/// Request paths for wrk: `/v1/help` and `/v1/search` over realistic contexts and queries.
fn request_paths(site_size: usize) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let contexts = engine::synthetic::contexts(256, site_size, SEED);
    let queries = engine::synthetic::queries(256, SEED);
    let mut help = Vec::new();
    let mut search = Vec::new();
    for (context, text) in contexts.iter().zip(&queries) {
        let help_query = wire::HelpQuery {
            site: SITE.into(),
            path: context.path.clone(),
            route: context.route.clone(),
            keys: Some(context.keys.join(",")),
            roles: Some(context.roles.join(",")),
            locale: context.locale.as_ref().map(ToString::to_string),
            app_version: None,
        };
        help.push(format!("/v1/help?{}", query_string(&help_query)?));
        let search_query = wire::SearchQuery {
            site: SITE.into(),
            q: text.clone(),
            limit: Some(10),
            path: help_query.path.clone(),
            route: help_query.route.clone(),
            keys: help_query.keys.clone(),
            roles: help_query.roles.clone(),
            locale: help_query.locale.clone(),
            app_version: None,
        };
        search.push(format!("/v1/search?{}", query_string(&search_query)?));
    }
    Ok((help, search))
}

#[derive(Debug)]
struct Load {
    requests_per_second: f64,
    p50: String,
    p99: String,
    errors: String,
}

/// Alternating runs of hello-world and `/v1/help`.
const ROUNDS: usize = 3;

fn best(kept: Option<Load>, round: Load) -> Load {
    match kept {
        Some(kept) if kept.requests_per_second >= round.requests_per_second => kept,
        _ => round,
    }
}

/// Runs wrk for a bounded time against `paths` (rotated by a Lua script).
fn load(scratch: &Path, address: &str, name: &str, paths: &[String], args: &BenchArgs) -> anyhow::Result<Load> {
    let list: Vec<String> = paths.iter().map(|path| format!("  {path:?},")).collect();
    let script = format!(
        "local paths = {{\n{}\n}}\nlocal i = 0\nrequest = function()\n  i = (i % #paths) + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
        list.join("\n")
    );
    run_wrk(scratch, address, name, &script, args)
}

/// Runs wrk for a bounded time with a Lua script.
fn run_wrk(scratch: &Path, address: &str, name: &str, script_text: &str, args: &BenchArgs) -> anyhow::Result<Load> {
    let script = scratch.join(format!("{name}.lua"));
    std::fs::write(&script, script_text)?;
    let output = Command::new("wrk")
        .args(["--threads", "1", "--latency"])
        // Every browser asks for compressed answers; the service precompresses /v1/help's.
        .args(["--header", "Accept-Encoding: gzip, deflate, br, zstd"])
        .arg(format!("--connections={}", args.connections))
        .arg(format!("--duration={}s", args.seconds))
        .arg("--script")
        .arg(&script)
        .arg(format!("http://{address}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.split_whitespace().last())
            .unwrap_or("?")
            .to_owned()
    };
    let errors = text
        .lines()
        .filter(|line| line.contains("Non-2xx") || line.contains("Socket errors"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Load {
        requests_per_second: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
        errors,
    })
}

fn service(workspace: &Workspace, args: &BenchArgs) -> anyhow::Result<()> {
    prerequisites::wrk()?;
    run(workspace, &cargo(), &["build", "--release", "--package", "server", "--bin", "cuecard"])?;
    let binary = workspace.target_dir.join("release/cuecard");
    let scratch = workspace.target_dir.join("bench");
    std::fs::create_dir_all(&scratch)?;
    let help_dir = scratch.join(format!("help-{}", args.snippets));
    let generating = Instant::now();
    write_site(&help_dir, args.snippets)?;
    eprintln!("synthetic site of {} snippets ready in {:.1?}", args.snippets, generating.elapsed());

    let database = |name: &str| -> anyhow::Result<String> {
        let file = scratch.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let mut stale = file.as_os_str().to_owned();
            stale.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(stale));
        }
        Ok(format!("sqlite://{}", file.display()))
    };
    let cuecard = |database_url: &str, arguments: &[&str]| -> anyhow::Result<Duration> {
        let started = Instant::now();
        let status = Command::new(&binary)
            .args(arguments)
            .env("CUECARD_DATABASE_URL", database_url)
            .env("CUECARD_LOG", "warn")
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("cuecard {} failed", arguments.join(" "));
        }
        Ok(started.elapsed())
    };

    // The same binary with no content, for the memory baseline.
    let empty_url = database("empty.db")?;
    cuecard(&empty_url, &["site", "put", SITE, "--name", "Bench"])?;
    let (empty, _) = Server::start(&binary, &empty_url, BENCH_SERVE_ARGS, "/readyz")?;
    let baseline = empty.resident_bytes().unwrap_or(0);
    drop(empty);

    let loaded_url = database("loaded.db")?;
    cuecard(&loaded_url, &["site", "put", SITE, "--name", "Bench"])?;
    let help_dir_text = help_dir.to_string_lossy().into_owned();
    let import_time = cuecard(&loaded_url, &["import", &help_dir_text, "--site", SITE])?;
    let (help_paths, search_paths) = request_paths(args.snippets)?;
    let (server, startup) = Server::start(&binary, &loaded_url, BENCH_SERVE_ARGS, &help_paths[0])?;
    let mut search_ready = startup;
    let polled = Instant::now();
    while status_of(&server.address, &search_paths[0]) != Some(200) {
        if polled.elapsed() > Duration::from_secs(120) {
            bail!("search did not become ready within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    search_ready += polled.elapsed();
    let resident = server.resident_bytes().unwrap_or(0);

    // The same content served without counting where help was wanted, for what counting costs.
    let uncounted_args: Vec<&str> = BENCH_SERVE_ARGS.iter().copied().chain(["--coverage-counters", "false"]).collect();
    let (uncounted, _) = Server::start(&binary, &loaded_url, &uncounted_args, &help_paths[0])?;

    // The same content on PostgreSQL (a schema of its own on the test server).
    let postgres_url = postgres_schema(&prerequisites::postgres()?, "cuecard_bench")?;
    cuecard(&postgres_url, &["site", "put", SITE, "--name", "Bench"])?;
    let postgres_import_time = cuecard(&postgres_url, &["import", &help_dir_text, "--site", SITE])?;
    let (on_postgres, postgres_startup) = Server::start(&binary, &postgres_url, BENCH_SERVE_ARGS, &help_paths[0])?;

    // Hello, help and help without counting alternate for a few rounds and each keeps its best
    // round, so a burst of noise on this shared machine does not decide the ratios.
    let mut hello: Option<Load> = None;
    let mut help: Option<Load> = None;
    let mut help_uncounted: Option<Load> = None;
    let mut help_postgres: Option<Load> = None;
    for _ in 0..ROUNDS {
        let round = load(&scratch, &server.address, "hello", &["/healthz".to_owned()], args)?;
        hello = Some(best(hello, round));
        let round = load(&scratch, &server.address, "help", &help_paths, args)?;
        help = Some(best(help, round));
        let round = load(&scratch, &uncounted.address, "help-uncounted", &help_paths, args)?;
        help_uncounted = Some(best(help_uncounted, round));
        let round = load(&scratch, &on_postgres.address, "help-postgres", &help_paths, args)?;
        help_postgres = Some(best(help_postgres, round));
    }
    drop(uncounted);
    let help_postgres = help_postgres.context("no rounds")?;
    let (hello, help) = (hello.context("no rounds")?, help.context("no rounds")?);
    let help_uncounted = help_uncounted.context("no rounds")?;
    let search = load(&scratch, &server.address, "search", &search_paths, args)?;
    let ingest = run_wrk(&scratch, &server.address, "events", &events_script(EVENTS_PER_BATCH), args)?;
    let resident_after = server.resident_bytes().unwrap_or(0);
    drop(server);
    let search_postgres = load(&scratch, &on_postgres.address, "search-postgres", &search_paths, args)?;
    let ingest_postgres =
        run_wrk(&scratch, &on_postgres.address, "events-postgres", &events_script(EVENTS_PER_BATCH), args)?;
    drop(on_postgres);

    println!();
    println!(
        "cuecard (release) with {} synthetic snippets, wrk 1 thread, {} connections, {} s per run, loopback, Accept-Encoding as browsers send it; hello and help best of {ROUNDS} alternating runs",
        args.snippets, args.connections, args.seconds
    );
    println!("  import (cuecard import):          {:.1?} (PostgreSQL {:.1?})", import_time, postgres_import_time);
    println!(
        "  start until /v1/help answers:     {:.2?} (search ready after {:.2?}; PostgreSQL {:.2?})",
        startup, search_ready, postgres_startup
    );
    println!(
        "  memory: {:.0} MiB resident ({:.0} MiB empty) = {:.1} KiB per snippet; {:.0} MiB after load",
        resident as f64 / 1048576.0,
        baseline as f64 / 1048576.0,
        resident.saturating_sub(baseline) as f64 / 1024.0 / args.snippets as f64,
        resident_after as f64 / 1048576.0
    );
    println!();
    println!("  {:<28} {:>12} {:>10} {:>10} {:>16}", "endpoint", "requests/s", "p50", "p99", "vs hello-world");
    for (name, result) in [
        ("GET /healthz (hello)", &hello),
        ("GET /v1/help", &help),
        ("  … without counting", &help_uncounted),
        ("GET /v1/search", &search),
        ("POST /v1/events", &ingest),
        ("GET /v1/help (PostgreSQL)", &help_postgres),
        ("GET /v1/search (PostgreSQL)", &search_postgres),
        ("POST /v1/events (PostgreSQL)", &ingest_postgres),
    ] {
        println!(
            "  {name:<28} {:>12.0} {:>10} {:>10} {:>15.0}%{}",
            result.requests_per_second,
            result.p50,
            result.p99,
            100.0 * result.requests_per_second / hello.requests_per_second.max(1.0),
            if result.errors.is_empty() { String::new() } else { format!("  ({})", result.errors) }
        );
    }
    println!();
    println!(
        "  /v1/help counting where help was wanted: {:.1}% of the throughput without counting",
        100.0 * help.requests_per_second / help_uncounted.requests_per_second.max(1.0)
    );
    println!(
        "  /v1/help on PostgreSQL: {:.1}% of the throughput on SQLite (it never touches the database per request)",
        100.0 * help_postgres.requests_per_second / help.requests_per_second.max(1.0)
    );
    println!(
        "  event ingest: {:.0} events/s on SQLite, {:.0} events/s on PostgreSQL ({EVENTS_PER_BATCH} events per \
         request, as the widget batches them)",
        ingest.requests_per_second * EVENTS_PER_BATCH as f64,
        ingest_postgres.requests_per_second * EVENTS_PER_BATCH as f64
    );
    Ok(())
}

/// `server`'s URL for a fresh, empty `schema` (dropped first if a previous run left it).
fn postgres_schema(server: &str, schema: &str) -> anyhow::Result<String> {
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
    let status = Command::new("psql")
        .args([server, "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--command", &sql])
        .stdout(Stdio::null())
        .status()
        .context("running psql (Debian's postgresql-client) to make the benchmark's schema")?;
    if !status.success() {
        bail!("psql could not make schema {schema} on {server}");
    }
    let separator = if server.contains('?') { '&' } else { '?' };
    Ok(format!("{server}{separator}options=-c%20search_path%3D{schema}"))
}

/// Events per `POST /v1/events` in the ingest run.
const EVENTS_PER_BATCH: usize = 50;

/// A wrk script posting batches of widget events: panel opens on fields, snippet views and
/// searches, as a busy form would send them.
fn events_script(per_batch: usize) -> String {
    let events: Vec<String> = (0..per_batch)
        .map(|index| match index % 5 {
            0 | 1 => format!(
                r#"{{"kind":"panel_open","path":"/s{}/view1","key":"s{}.f{}","roles":"employee","locale":"en","app_version":"3.2.0"}}"#,
                index % 7,
                index % 7,
                index % 20
            ),
            2 | 3 => format!(
                r#"{{"kind":"snippet_view","snippet":1,"via":"panel","path":"/s{}/view1","key":"s{}.f{}","roles":"employee"}}"#,
                index % 7,
                index % 7,
                index % 20
            ),
            _ => r#"{"kind":"search","query":"mileage rate","results":2,"roles":"employee"}"#.to_owned(),
        })
        .collect();
    let body = format!(r#"{{"events":[{}]}}"#, events.join(","));
    format!(
        "wrk.method = \"POST\"\nwrk.path = \"/v1/events?site={SITE}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {body:?}\n"
    )
}
