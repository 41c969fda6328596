//! The one place configuration comes from: flags, each with a `CUECARD_*` variable and a default.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Cuecard: contextual help at the point of work.
#[derive(Debug, Parser)]
#[command(name = "cuecard", version, about, propagate_version = true)]
pub struct Config {
    /// Where content lives: `sqlite://FILE` (created if missing), or `postgres://USER@HOST/DATABASE`
    /// for several instances sharing one database (`?options=-c%20search_path%3DSCHEMA` for a schema).
    #[arg(long, env = "CUECARD_DATABASE_URL", default_value = "sqlite://cuecard.db", global = true)]
    pub database_url: String,

    /// Most PostgreSQL connections this instance opens (instances × this must stay below the
    /// server's `max_connections`). SQLite ignores it.
    #[arg(long, env = "CUECARD_DATABASE_POOL", default_value_t = store::DEFAULT_POOL_SIZE, value_parser = clap::value_parser!(u32).range(2..=1000), global = true)]
    pub database_pool: u32,

    /// Hosts whose https images snippets may show (comma-separated); none by default.
    #[arg(long, env = "CUECARD_IMAGE_HOSTS", value_delimiter = ',', global = true)]
    pub image_hosts: Vec<String>,

    /// Log filter, in `tracing` syntax (`info`, `cuecard=debug,tower_http=info`).
    #[arg(long, env = "CUECARD_LOG", default_value = "info", global = true)]
    pub log: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the widget's assets.
    Serve(ServeConfig),
    /// Bring the database's schema up to this release and exit (every command does this first;
    /// run it alone before starting several instances of a new release).
    Migrate,
    /// Load a folder of Markdown snippets (with YAML front matter) into a site.
    Import(ImportConfig),
    /// Write a site's snippets as Markdown files that `import` reads back to the same content.
    Export(ExportConfig),
    /// Manage sites.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Manage a site's secret admin keys (`sk_…`).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Before a release: compare the `data-help-key`s in the app's source with the site's
    /// published help; exits 1 when a field has no help or help names a key the source lost.
    Check(CheckConfig),
    /// Add a month of synthetic widget traffic to a site, for demos (every event says app
    /// version `0.0.0-synthetic`, so it is never mistaken for real traffic).
    SeedDemoTraffic {
        #[arg(long, env = "CUECARD_SITE")]
        site: String,
        /// How many days, ending today.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=365))]
        days: i64,
    },
    /// Print an insights report: `snippets`, `demand`, `gaps`, `coverage` or `stale` (as a table, or `--json`).
    Report(ReportConfig),
}

#[derive(Debug, Clone, Args)]
pub struct CheckConfig {
    /// The host app's source folder (HTML, JSX/TSX, Vue, Svelte, JS…).
    pub dir: PathBuf,
    /// Public key of the site (`pk_…`).
    #[arg(long, env = "CUECARD_SITE")]
    pub site: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportKind {
    /// How each snippet did: views by source, helpful rate with its interval.
    Snippets,
    /// Where help is opened most, by place, key and roles.
    Demand,
    /// Where help is missing.
    Gaps,
    /// The share of fields seen that have help, per place and per day.
    Coverage,
    /// Published snippets whose targets pages no longer show.
    Stale,
}

#[derive(Debug, Clone, Args)]
pub struct ReportConfig {
    pub kind: ReportKind,
    /// Public key of the site (`pk_…`).
    #[arg(long, env = "CUECARD_SITE")]
    pub site: String,
    /// First day (`YYYY-MM-DD`); 30 days before `--to` by default.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`); today by default.
    #[arg(long)]
    pub to: Option<String>,
    /// Only this route template or URL pattern.
    #[arg(long)]
    pub route: Option<String>,
    /// Only this help key.
    #[arg(long)]
    pub key: Option<String>,
    /// Only workers with this role.
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub locale: Option<String>,
    #[arg(long)]
    pub app_version: Option<String>,
    /// Print the report as JSON (the admin API's shape) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Rows per list (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "CUECARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder holding the built widget (`cuecard.js` and its hashed files), served under `/widget/`.
    #[arg(long, env = "CUECARD_WIDGET_DIR", default_value = "widget/dist")]
    pub widget_dir: PathBuf,

    /// Folder holding the built console (`index.html` and its hashed files), served under `/console/`.
    #[arg(long, env = "CUECARD_CONSOLE_DIR", default_value = "console/dist")]
    pub console_dir: PathBuf,

    /// How long a console sign-in lasts (hours); signing out ends it sooner.
    #[arg(long, env = "CUECARD_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_hours: u64,

    /// Most events waiting to be stored at once; beyond it `POST /v1/events` answers 503 with
    /// `Retry-After` (each waiting event holds about 300 bytes).
    #[arg(long, env = "CUECARD_EVENTS_QUEUE", default_value_t = crate::ingest::Ingest::DEFAULT_CAPACITY as u64,
        value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub events_queue: u64,

    /// How often to look for content changed by another process on SQLite (seconds); PostgreSQL
    /// announces each change to every instance at once.
    #[arg(long, env = "CUECARD_REFRESH_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: u64,

    /// Longest time a request may take before it gets a 408 (seconds).
    #[arg(long, env = "CUECARD_REQUEST_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout_secs: u64,

    /// Public API budget per site and client address per minute, sustained (a search costs 4,
    /// an event batch 1 + 1 per KiB, anything else 1); 0 for no limit. Sized for an office of
    /// 2,000 workers behind one address.
    #[arg(long, env = "CUECARD_PUBLIC_RATE_LIMIT", default_value_t = Self::DEFAULT_PUBLIC_RATE_LIMIT)]
    pub public_rate_limit: u32,

    /// Public API budget a client may spend at once before the per-minute rate applies.
    #[arg(long, env = "CUECARD_PUBLIC_RATE_BURST", default_value_t = Self::DEFAULT_PUBLIC_RATE_BURST,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub public_rate_burst: u32,

    /// Behind a reverse proxy: the header it appends the client's address to (`x-forwarded-for`).
    /// Unset, the socket's peer address is the client.
    #[arg(long, env = "CUECARD_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// With `--client-ip-header`: how many proxies append to it; the client is that many
    /// entries from the right (what the client writes itself is ignored).
    #[arg(long, env = "CUECARD_TRUSTED_PROXIES", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub trusted_proxies: u16,

    /// With `--client-ip-header`, instead of counting proxies: the proxies' networks
    /// (`10.0.0.0/8,fd00::/8`); the client is the right-most entry outside them, and a peer
    /// outside them is the client whatever it sends.
    #[arg(long, env = "CUECARD_TRUSTED_PROXY_NETWORKS", value_delimiter = ',')]
    pub trusted_proxy_networks: Vec<ipnet::IpNet>,

    /// Longest time a client may take to send a request's line and headers (seconds).
    #[arg(long, env = "CUECARD_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_read_timeout_secs: u64,

    /// How long a keep-alive connection may wait for its next request (seconds).
    #[arg(long, env = "CUECARD_IDLE_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,

    /// Most connections open at once; beyond it the one idle longest is closed. Lowered to what
    /// the open-file limit allows (raised at start as far as the system lets it).
    #[arg(long, env = "CUECARD_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish before they are dropped (seconds).
    #[arg(long, env = "CUECARD_SHUTDOWN_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,

    /// Serve `/metrics` (Prometheus) on this address only, instead of beside the API
    /// (`127.0.0.1:9090`, for a scraper on a private network).
    #[arg(long, env = "CUECARD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Count where help was wanted (coverage counters) on every help and hotspots answer;
    /// `false` turns it off (to measure what it costs).
    #[arg(long, env = "CUECARD_COVERAGE_COUNTERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub coverage_counters: bool,

    /// Widget events (with their search words and comments) are deleted after this many days.
    #[arg(long, env = "CUECARD_EVENTS_RETENTION_DAYS", default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub events_retention_days: u64,
}

impl ServeConfig {
    pub const DEFAULT_PUBLIC_RATE_LIMIT: u32 = 30_000;
    pub const DEFAULT_PUBLIC_RATE_BURST: u32 = 5_000;

    pub fn refresh_interval(&self) -> Duration {
        Duration::from_secs(self.refresh_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn connection_policy(&self) -> crate::serve::ConnectionPolicy {
        crate::serve::ConnectionPolicy {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: crate::serve::connections_that_fit(
                usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            ),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        }
    }

    pub fn background(&self) -> crate::Background {
        crate::Background {
            refresh_every: self.refresh_interval(),
            events_retention: Duration::from_secs(self.events_retention_days * 86_400),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ImportConfig {
    /// Folder of `.md` files; the slug is the path without `.md`, `NAME.fr.md` is NAME in French.
    pub dir: PathBuf,

    /// Public key of the site to import into (`pk_…`).
    #[arg(long, env = "CUECARD_SITE")]
    pub site: String,

    /// Print what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite snippets edited through the admin API since the last import (otherwise they
    /// are kept and reported as conflicts).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportConfig {
    /// Folder to write `.md` files into (created if missing; existing files are overwritten).
    pub dir: PathBuf,

    /// Public key of the site to export (`pk_…`).
    #[arg(long, env = "CUECARD_SITE")]
    pub site: String,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a secret key and print it, once.
    Create {
        /// Public key of the site the key is for (`pk_…`).
        #[arg(long, env = "CUECARD_SITE")]
        site: String,
        /// `viewer`, `author`, `publisher` or `owner`.
        #[arg(long)]
        role: String,
        /// What the key is for, to recognise it in `keys list`.
        #[arg(long)]
        label: String,
    },
    /// List a site's keys (never their secrets).
    List {
        #[arg(long, env = "CUECARD_SITE")]
        site: String,
    },
    /// Revoke a key at once.
    Revoke {
        #[arg(long, env = "CUECARD_SITE")]
        site: String,
        /// The key's id, from `keys list`.
        id: i64,
    },
    /// Replace a key by a new one; the old one keeps working for the overlap.
    Rotate {
        #[arg(long, env = "CUECARD_SITE")]
        site: String,
        /// The key's id, from `keys list`.
        id: i64,
        /// How long the old key keeps working (seconds).
        #[arg(long, default_value_t = 86_400)]
        overlap_secs: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site, or update it if its key exists.
    Put(SitePut),
    /// List sites.
    List,
}

#[derive(Debug, Clone, Args)]
pub struct SitePut {
    /// Public site key (`pk_…`), as used in the embed script's `data-site`.
    pub key: String,

    /// Display name.
    #[arg(long)]
    pub name: String,

    /// An origin allowed to embed the widget (`https://app.example.com`); repeat for several.
    #[arg(long = "origin")]
    pub origins: Vec<String>,

    /// Locale used when a worker's locale has no snippet.
    #[arg(long, default_value = "en")]
    pub default_locale: String,

    /// A further locale authors write in (`de`); repeat for several.
    #[arg(long = "locale")]
    pub locales: Vec<String>,
}
