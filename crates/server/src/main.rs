//! `cuecard`: serve the API and widget, import Markdown help, manage sites.

use anyhow::{Context as _, bail};
use clap::Parser;
use engine::Locale;
use engine::render::Renderer;
use server::config::{
    CheckConfig, Command, Config, ExportConfig, ImportConfig, KeysCommand, ReportConfig, ReportKind, ServeConfig,
    SiteCommand, SitePut,
};
use server::{AppState, http, import};
use std::sync::Arc;
use store::{ImportOptions, Role, Site, SiteSpec, SnippetFilter, Store};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(run());
    // Whatever a dropped request left running (a blocking database call) gets a moment, no more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

async fn run() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("invalid --log filter")?)
        .with_writer(std::io::stderr)
        .init();
    let store = open_store(&config).await?;
    match config.command {
        Command::Serve(serve_config) => serve(serve_config, store).await,
        Command::Migrate => {
            println!("database schema at migration {}", store.schema_version().await?);
            Ok(())
        }
        Command::Import(import_config) => import_dir(import_config, store.as_ref()).await,
        Command::Site(SiteCommand::Put(site)) => put_site(site, store.as_ref()).await,
        Command::Export(export_config) => export_dir(export_config, store.as_ref()).await,
        Command::Site(SiteCommand::List) => list_sites(store.as_ref()).await,
        Command::Keys(command) => keys(command, store.as_ref()).await,
        Command::Report(report_config) => report(report_config, store.as_ref()).await,
        Command::Check(check_config) => check(check_config, store.as_ref()).await,
        Command::SeedDemoTraffic { site, days } => seed_demo_traffic(&site, days, store.as_ref()).await,
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let renderer = Renderer::new(config.image_hosts.clone());
    store::open(&config.database_url, renderer, config.database_pool)
        .await
        .with_context(|| format!("opening {}", without_credentials(&config.database_url)))
}

/// A database URL fit for messages and logs: no user name or password.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, rest))) => format!("{scheme}://…@{rest}"),
        _ => url.to_owned(),
    }
}

async fn serve(config: ServeConfig, store: Arc<dyn Store>) -> anyhow::Result<()> {
    if !config.widget_dir.join("cuecard.js").is_file() {
        tracing::warn!(dir = %config.widget_dir.display(), "no built widget here; /widget/ will answer 404 (build it with `cargo xtask widget`)");
    }
    let state = AppState::load_serving_first(store)
        .await
        .context("loading site indexes")?
        .with_events_queue(usize::try_from(config.events_queue).unwrap_or(usize::MAX));
    state.coverage.set_enabled(config.coverage_counters);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "cuecard serving");
    println!("cuecard serving on http://{address}");
    let public_limits = public_limits(&config)?;
    if let Some(limits) = public_limits.clone() {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                ticker.tick().await;
                limits.forget_idle_clients();
            }
        });
    }
    let options = http::RouterOptions {
        widget_dir: config.widget_dir.clone(),
        console_dir: config.console_dir.clone(),
        session_length: std::time::Duration::from_secs(config.session_hours * 3600),
        request_timeout: config.request_timeout(),
        public_limits,
        metrics: config.metrics_listen.is_none(),
    };
    if let Some(address) = config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("listening on {address} for metrics"))?;
        tracing::info!(%address, "metrics served here");
        let metrics = axum::Router::new().route("/metrics", axum::routing::get(server::metrics::render));
        tokio::spawn(async move { axum::serve(listener, metrics).await });
    }
    server::run(listener, state, options, config.connection_policy(), config.background(), shutdown_signal()).await?;
    tracing::info!("cuecard stopped");
    Ok(())
}

fn public_limits(config: &ServeConfig) -> anyhow::Result<Option<http::limits::PublicLimits>> {
    let Some(per_minute) = std::num::NonZeroU32::new(config.public_rate_limit) else {
        return Ok(None);
    };
    let burst = std::num::NonZeroU32::new(config.public_rate_burst).unwrap_or(per_minute);
    let header = config
        .client_ip_header
        .as_deref()
        .map(axum::http::HeaderName::try_from)
        .transpose()
        .context("invalid --client-ip-header")?;
    let client_address = match header {
        None if !config.trusted_proxy_networks.is_empty() => {
            bail!("--trusted-proxy-networks needs --client-ip-header (the header those proxies set)")
        }
        None => http::limits::ClientAddress::Peer,
        Some(header) if config.trusted_proxy_networks.is_empty() => {
            http::limits::ClientAddress::ProxyCount { header, proxies: usize::from(config.trusted_proxies) }
        }
        Some(header) => {
            http::limits::ClientAddress::ProxyNetworks { header, networks: config.trusted_proxy_networks.clone() }
        }
    };
    Ok(Some(http::limits::PublicLimits::new(http::limits::RateLimit { per_minute, burst }, client_address)))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
}

async fn site_named(store: &dyn Store, key: &str) -> anyhow::Result<Site> {
    store.site(key).await?.with_context(|| format!("no site `{key}`: create it with `cuecard site put`"))
}

async fn import_dir(config: ImportConfig, store: &dyn Store) -> anyhow::Result<()> {
    let site = site_named(store, &config.site).await?;
    let files = import::read_dir(&config.dir, &site.default_locale)?;
    let drafts: Vec<_> = files.into_iter().map(|file| file.draft).collect();
    let options = ImportOptions { force: config.force, dry_run: config.dry_run };
    let report = store.import(&config.site, drafts, options).await?;
    let verb = if config.dry_run { "dry run, nothing written; would import" } else { "imported" };
    println!(
        "{verb} into {}: {} created, {} updated, {} unchanged, {} conflicts",
        config.site,
        report.created.len(),
        report.updated.len(),
        report.unchanged,
        report.conflicts.len()
    );
    for created in &report.created {
        println!("  + {created}");
    }
    for updated in &report.updated {
        println!("  ~ {updated}");
    }
    for conflict in &report.conflicts {
        println!("  ! {conflict}: edited through the admin API since the last import; kept (use --force to overwrite)");
    }
    Ok(())
}

async fn export_dir(config: ExportConfig, store: &dyn Store) -> anyhow::Result<()> {
    let site = site_named(store, &config.site).await?;
    let snippets = store.snippets(site.id, &SnippetFilter::default()).await?;
    for stored in &snippets {
        let (relative, text) = import::export_file(&stored.draft, &site.default_locale)
            .map_err(|error| anyhow::anyhow!("snippet `{}`: {error}", stored.draft.slug))?;
        let path = config.dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("exported {} snippet(s) of {} to {}", snippets.len(), site.public_key, config.dir.display());
    Ok(())
}

async fn keys(command: KeysCommand, store: &dyn Store) -> anyhow::Result<()> {
    let show = |key: &store::ApiKey| {
        let state = if key.revoked_at.is_some() {
            "revoked".to_owned()
        } else if let Some(expires_at) = key.expires_at {
            format!("expires {}", http::convert::time_to_wire(expires_at))
        } else {
            "active".to_owned()
        };
        println!("{}\t{}{}…\t{}\t{}\t{state}", key.id, store::keys::PREFIX, key.lookup, key.role, key.label);
    };
    match command {
        KeysCommand::Create { site, role, label } => {
            let site = site_named(store, &site).await?;
            let role =
                Role::parse(&role).with_context(|| format!("`{role}` is not viewer, author, publisher or owner"))?;
            let created = store.create_key(site.id, role, &label).await?;
            println!("{}", created.plaintext);
            eprintln!("key {} ({role}) for {}: shown once, store it now", created.key.id, site.public_key);
        }
        KeysCommand::List { site } => {
            let site = site_named(store, &site).await?;
            for key in store.keys(site.id).await? {
                show(&key);
            }
        }
        KeysCommand::Revoke { site, id } => {
            let site = site_named(store, &site).await?;
            show(&store.revoke_key(site.id, id).await?);
        }
        KeysCommand::Rotate { site, id, overlap_secs } => {
            let site = site_named(store, &site).await?;
            let created = store.rotate_key(site.id, id, overlap_secs).await?;
            println!("{}", created.plaintext);
            eprintln!("key {id} replaced by key {}; the old one works for {overlap_secs} s more", created.key.id);
        }
    }
    Ok(())
}

async fn seed_demo_traffic(site: &str, days: i64, store: &dyn Store) -> anyhow::Result<()> {
    let site = site_named(store, site).await?;
    let filter = SnippetFilter { status: Some(engine::Status::Published), ..SnippetFilter::default() };
    let help: Vec<(i64, Vec<engine::Target>)> =
        store.snippets(site.id, &filter).await?.into_iter().map(|stored| (stored.id, stored.draft.targets)).collect();
    let events = server::synthetic::traffic(&help, days, server::http::unix_now(), 20_261_203);
    // One batch per second of the month that has events, written as of that second.
    let mut start = 0;
    while start < events.len() {
        let at = events[start].0;
        let end =
            events[start..].iter().position(|(when, _)| *when != at).map_or(events.len(), |offset| start + offset);
        let batch: Vec<store::Event> = events[start..end].iter().map(|(_, event)| event.clone()).collect();
        store.record_events_at(site.id, at, &batch).await?;
        start = end;
    }
    println!(
        "added {} synthetic events over {days} days to {} (app version {})",
        events.len(),
        site.public_key,
        server::synthetic::SYNTHETIC_APP_VERSION
    );
    Ok(())
}

async fn check(config: CheckConfig, store: &dyn Store) -> anyhow::Result<()> {
    let site = site_named(store, &config.site).await?;
    let source = server::check::scan(&config.dir).with_context(|| format!("reading {}", config.dir.display()))?;
    let filter = SnippetFilter { status: Some(engine::Status::Published), ..SnippetFilter::default() };
    let mut targets = Vec::new();
    for stored in store.snippets(site.id, &filter).await? {
        for target in &stored.draft.targets {
            if let engine::Target::Key(key) = target {
                targets.push((stored.draft.slug.clone(), key.clone()));
            }
        }
    }
    let findings = server::check::compare(source.keys(), &targets);
    println!(
        "{} help keys in {}; {} key targets in {}'s published help",
        source.len(),
        config.dir.display(),
        targets.len(),
        site.public_key
    );
    for key in &findings.without_help {
        let files: Vec<String> = source[key].iter().map(|path| path.display().to_string()).collect();
        println!("  no help   {key}\t({})", files.join(", "));
    }
    for (slug, target) in &findings.orphaned {
        println!("  orphaned  {target}\t(snippet {slug}: no such key in the source)");
    }
    if findings.without_help.is_empty() && findings.orphaned.is_empty() {
        println!("every field has help, and all help points at fields that exist");
        return Ok(());
    }
    println!(
        "{} fields without help, {} snippets pointing at keys the source no longer has",
        findings.without_help.len(),
        findings.orphaned.len()
    );
    std::process::exit(1);
}

async fn report(config: ReportConfig, store: &dyn Store) -> anyhow::Result<()> {
    let site = site_named(store, &config.site).await?;
    let rollups = server::reports::rollups::Rollups::default();
    let query = wire::admin::ReportQuery {
        from: config.from,
        to: config.to,
        route: config.route,
        key: config.key,
        role: config.role,
        locale: config.locale,
        app_version: config.app_version,
        moment: None,
        limit: Some(config.limit),
        offset: None,
    };
    let print = |value: serde_json::Value| {
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        Ok(())
    };
    let shown = |value: &str| if value.is_empty() { "-".to_owned() } else { value.to_owned() };
    match config.kind {
        ReportKind::Snippets => {
            let report = server::reports::snippets(store, &rollups, site.id, &query).await?;
            if config.json {
                return print(serde_json::to_value(&report)?);
            }
            println!("snippets of {}, {} to {}", site.public_key, report.from, report.to);
            println!("views\tpanel\thotspot\tsearch\tpage\thelpful\tnot\trate (95% interval)\tslug");
            for row in &report.snippets {
                let rate = match (row.helpful_rate, row.helpful_rate_low, row.helpful_rate_high) {
                    (Some(rate), Some(low), Some(high)) => {
                        format!("{:.0}% ({:.0}–{:.0}%)", rate * 100.0, low * 100.0, high * 100.0)
                    }
                    _ => "-".to_owned(),
                };
                let by = &row.views_by_source;
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{rate}\t{}",
                    row.views, by.panel, by.hotspot, by.search, by.page, row.helpful, row.not_helpful, row.slug
                );
            }
        }
        ReportKind::Demand => {
            let report = server::reports::demand(store, &rollups, site.id, &query).await?;
            if config.json {
                return print(serde_json::to_value(&report)?);
            }
            println!("demand on {}, {} to {}", site.public_key, report.from, report.to);
            println!("opens\tviews\tplace\tkey\troles");
            for row in &report.places {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    row.opens,
                    row.views,
                    shown(&row.place),
                    shown(&row.key),
                    shown(&row.roles)
                );
            }
        }
        ReportKind::Gaps => {
            let report = server::reports::gaps(store, &rollups, site.id, &query).await?;
            if config.json {
                return print(serde_json::to_value(&report)?);
            }
            println!("gaps on {}, {} to {}", site.public_key, report.from, report.to);
            println!("help opened with nothing specific:\ncount\tplace\tkey");
            for row in &report.opened_without_help {
                println!("{}\t{}\t{}", row.count, shown(&row.place), shown(&row.key));
            }
            println!("searches that found nothing or led nowhere:\nsearches\tempty\twithout view\twords");
            for row in &report.searches {
                println!("{}\t{}\t{}\t{}", row.searches, row.empty, row.without_view, row.query);
            }
            println!("fields seen without help:\nseen\tplace\tkey");
            for row in &report.fields_without_help {
                println!("{}\t{}\t{}", row.count, shown(&row.place), shown(&row.key));
            }
        }
        ReportKind::Coverage => {
            let report = server::reports::coverage(store, &rollups, site.id, &query).await?;
            if config.json {
                return print(serde_json::to_value(&report)?);
            }
            println!("coverage on {}, {} to {}", site.public_key, report.from, report.to);
            println!("fields\twith help\tshare\tplace or day");
            for row in report.places.iter().chain(&report.days) {
                let share = row.share.map_or_else(|| "-".to_owned(), |share| format!("{:.0}%", share * 100.0));
                println!("{}\t{}\t{share}\t{}", row.fields_seen, row.fields_with_help, shown(&row.name));
            }
        }
        ReportKind::Stale => {
            let report = server::reports::stale_help(store, site.id, &query).await?;
            if config.json {
                return print(serde_json::to_value(&report)?);
            }
            println!("stale help on {}, unseen {} to {}", site.public_key, report.from, report.to);
            println!("last seen\tlast version\tvanished in\tslug");
            for row in &report.snippets {
                println!(
                    "{}\t{}\t{}\t{}",
                    row.last_seen.as_deref().unwrap_or("never"),
                    row.last_app_version.as_deref().unwrap_or("-"),
                    row.vanished_in.as_deref().unwrap_or("-"),
                    row.slug
                );
            }
        }
    }
    Ok(())
}

async fn put_site(site: SitePut, store: &dyn Store) -> anyhow::Result<()> {
    let spec = SiteSpec {
        public_key: site.key,
        name: site.name,
        origins: site.origins,
        default_locale: Locale::parse(&site.default_locale)?,
        locales: site.locales.iter().map(|tag| Locale::parse(tag)).collect::<Result<_, _>>()?,
    };
    let saved = store.put_site(&spec).await?;
    println!("site {} saved: {} (origins: {})", saved.public_key, saved.name, saved.origins.join(", "));
    Ok(())
}

async fn list_sites(store: &dyn Store) -> anyhow::Result<()> {
    for site in store.sites().await? {
        println!("{}\t{}\t{}\t{}", site.public_key, site.name, site.default_locale, site.origins.join(","));
    }
    Ok(())
}
