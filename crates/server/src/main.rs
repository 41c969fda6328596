//! `cuecard`: serve the API and widget, import Markdown help, manage sites.

use anyhow::{Context as _, bail};
use clap::Parser;
use engine::Locale;
use engine::render::Renderer;
use server::config::{Command, Config, ImportConfig, ServeConfig, SiteCommand, SitePut};
use server::{AppState, http, import};
use std::sync::Arc;
use store::{SiteSpec, SqliteStore, Store};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("invalid --log filter")?)
        .with_writer(std::io::stderr)
        .init();
    let store = open_store(&config).await?;
    match config.command {
        Command::Serve(serve_config) => serve(serve_config, store).await,
        Command::Import(import_config) => import_dir(import_config, store.as_ref()).await,
        Command::Site(SiteCommand::Put(site)) => put_site(site, store.as_ref()).await,
        Command::Site(SiteCommand::List) => list_sites(store.as_ref()).await,
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let renderer = Renderer::new(config.image_hosts.clone());
    if !config.database_url.starts_with("sqlite:") {
        bail!("unsupported database URL `{}`: expected `sqlite://FILE`", config.database_url);
    }
    let store = SqliteStore::open(&config.database_url, renderer)
        .await
        .with_context(|| format!("opening {}", config.database_url))?;
    Ok(Arc::new(store))
}

async fn serve(config: ServeConfig, store: Arc<dyn Store>) -> anyhow::Result<()> {
    if !config.widget_dir.join("cuecard.js").is_file() {
        tracing::warn!(dir = %config.widget_dir.display(), "no built widget here; /widget/ will answer 404 (build it with `cargo xtask widget`)");
    }
    let state = AppState::load_serving_first(store).await.context("loading site indexes")?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "cuecard serving");
    println!("cuecard serving on http://{address}");
    let options =
        http::RouterOptions { widget_dir: config.widget_dir.clone(), request_timeout: config.request_timeout() };
    server::run(listener, state, options, config.refresh_interval(), shutdown_signal()).await?;
    tracing::info!("cuecard stopped");
    Ok(())
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

async fn import_dir(config: ImportConfig, store: &dyn Store) -> anyhow::Result<()> {
    let site = store
        .site(&config.site)
        .await?
        .with_context(|| format!("no site `{}`: create it with `cuecard site put`", config.site))?;
    let files = import::read_dir(&config.dir, &site.default_locale)?;
    let drafts: Vec<_> = files.into_iter().map(|file| file.draft).collect();
    if config.dry_run {
        println!("dry run: {} snippet file(s) read from {}, nothing written", drafts.len(), config.dir.display());
        for draft in &drafts {
            println!("  {} ({}) — {}", draft.slug, draft.locale, draft.title);
        }
        return Ok(());
    }
    let report = store.import(&config.site, drafts).await?;
    println!(
        "imported into {}: {} created, {} updated, {} unchanged",
        config.site,
        report.created.len(),
        report.updated.len(),
        report.unchanged
    );
    for created in &report.created {
        println!("  + {created}");
    }
    for updated in &report.updated {
        println!("  ~ {updated}");
    }
    Ok(())
}

async fn put_site(site: SitePut, store: &dyn Store) -> anyhow::Result<()> {
    let spec = SiteSpec {
        public_key: site.key,
        name: site.name,
        origins: site.origins,
        default_locale: Locale::parse(&site.default_locale)?,
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
