//! The one place configuration comes from: flags, each with a `CUECARD_*` variable and a default.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Cuecard: contextual help at the point of work.
#[derive(Debug, Parser)]
#[command(name = "cuecard", version, about, propagate_version = true)]
pub struct Config {
    /// Where content lives: `sqlite://FILE` (created if missing).
    #[arg(long, env = "CUECARD_DATABASE_URL", default_value = "sqlite://cuecard.db", global = true)]
    pub database_url: String,

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
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "CUECARD_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder holding the built widget (`cuecard.js` and its hashed files), served under `/widget/`.
    #[arg(long, env = "CUECARD_WIDGET_DIR", default_value = "widget/dist")]
    pub widget_dir: PathBuf,

    /// How often to look for content changed by another process (seconds).
    #[arg(long, env = "CUECARD_REFRESH_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: u64,

    /// Longest time a request may take before it gets a 408 (seconds).
    #[arg(long, env = "CUECARD_REQUEST_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout_secs: u64,

    /// Public API requests a client may make per site per minute, sustained; 0 for no limit.
    #[arg(long, env = "CUECARD_PUBLIC_RATE_LIMIT", default_value_t = 1200)]
    pub public_rate_limit: u32,

    /// Public API requests a client may make at once before the per-minute rate applies.
    #[arg(long, env = "CUECARD_PUBLIC_RATE_BURST", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub public_rate_burst: u32,

    /// Behind a reverse proxy: the header holding the client's address (`x-forwarded-for`),
    /// whose first address is used for rate limits. Unset, the socket's peer address is used.
    #[arg(long, env = "CUECARD_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
}

impl ServeConfig {
    pub fn refresh_interval(&self) -> Duration {
        Duration::from_secs(self.refresh_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
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
