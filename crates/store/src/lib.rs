//! Where sites and snippets live. The service holds an `Arc<dyn Store>`: SQLite is the
//! embedded default, PostgreSQL the backend for several instances. The database is the source
//! of truth; resolution runs on indexes built from what [`Store::servable_snippets`] returns.

/// A backend's `Store` impl: each operation is written in the backend's file of its concern as
/// an inherent method of the same name (inherent methods win over the trait's, so the calls are
/// not recursive); `$extra` holds what the backend writes here itself.
macro_rules! store_in_inherent_methods {
    ($backend:ty { $($extra:item)* }) => {
        #[async_trait::async_trait]
        impl $crate::Store for $backend {
            $($extra)*

            async fn import(
                &self,
                public_key: &str,
                drafts: Vec<$crate::SnippetDraft>,
                options: $crate::ImportOptions,
            ) -> $crate::Result<$crate::ImportReport> {
                Self::import(self, public_key, drafts, options).await
            }

            async fn servable_snippets(&self, site_id: i64) -> $crate::Result<Vec<engine::Snippet>> {
                Self::servable_snippets(self, site_id).await
            }

            async fn snippet(&self, site_id: i64, id: i64) -> $crate::Result<Option<$crate::StoredSnippet>> {
                Self::snippet(self, site_id, id).await
            }

            async fn snippets(
                &self,
                site_id: i64,
                filter: &$crate::SnippetFilter,
            ) -> $crate::Result<Vec<$crate::StoredSnippet>> {
                Self::snippets(self, site_id, filter).await
            }

            async fn create_snippet(
                &self,
                site_id: i64,
                draft: &$crate::SnippetDraft,
                actor: &str,
            ) -> $crate::Result<$crate::StoredSnippet> {
                Self::create_snippet(self, site_id, draft, actor).await
            }

            async fn update_snippet(
                &self,
                site_id: i64,
                id: i64,
                expected: &$crate::Precondition,
                draft: &$crate::SnippetDraft,
                actor: &str,
            ) -> $crate::Result<$crate::StoredSnippet> {
                Self::update_snippet(self, site_id, id, expected, draft, actor).await
            }

            async fn revisions(&self, site_id: i64, snippet_id: i64) -> $crate::Result<Vec<$crate::Revision>> {
                Self::revisions(self, site_id, snippet_id).await
            }

            async fn create_key(
                &self,
                site_id: i64,
                role: $crate::Role,
                label: &str,
            ) -> $crate::Result<$crate::CreatedKey> {
                Self::create_key(self, site_id, role, label).await
            }

            async fn keys(&self, site_id: i64) -> $crate::Result<Vec<$crate::ApiKey>> {
                Self::keys(self, site_id).await
            }

            async fn revoke_key(&self, site_id: i64, key_id: i64) -> $crate::Result<$crate::ApiKey> {
                Self::revoke_key(self, site_id, key_id).await
            }

            async fn rotate_key(
                &self,
                site_id: i64,
                key_id: i64,
                overlap_secs: i64,
            ) -> $crate::Result<$crate::CreatedKey> {
                Self::rotate_key(self, site_id, key_id, overlap_secs).await
            }

            async fn record_event_batches(&self, batches: &[$crate::EventBatch]) -> $crate::Result<usize> {
                Self::record_event_batches(self, batches).await
            }

            async fn add_coverage(&self, counts: &[$crate::CoverageCount]) -> $crate::Result<()> {
                Self::add_coverage(self, counts).await
            }

            async fn coverage(
                &self,
                site_id: i64,
                from_day: i64,
                to_day: i64,
            ) -> $crate::Result<Vec<$crate::CoverageCount>> {
                Self::coverage(self, site_id, from_day, to_day).await
            }

            async fn delete_events_before(&self, before: engine::Timestamp) -> $crate::Result<u64> {
                Self::delete_events_before(self, before).await
            }

            async fn events(&self, site_id: i64, after: i64, limit: u32) -> $crate::Result<Vec<$crate::StoredEvent>> {
                Self::events(self, site_id, after, limit).await
            }

            async fn authenticate(
                &self,
                presented: &$crate::keys::PresentedKey,
            ) -> $crate::Result<Option<$crate::ApiKey>> {
                Self::authenticate(self, presented).await
            }

            fn render_markdown(&self, markdown: &str) -> String {
                self.renderer.render(markdown)
            }

            async fn start_session(
                &self,
                key_id: i64,
                token_hash: &[u8; 32],
                expires_at: i64,
            ) -> $crate::Result<$crate::Session> {
                Self::start_session(self, key_id, token_hash, expires_at).await
            }

            async fn session(&self, token_hash: &[u8; 32]) -> $crate::Result<Option<$crate::Session>> {
                Self::session(self, token_hash).await
            }

            async fn end_session(&self, token_hash: &[u8; 32]) -> $crate::Result<bool> {
                Self::end_session(self, token_hash).await
            }
        }
    };
}

pub mod keys;
mod plan;
mod postgres;
mod reports;
mod rows;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use keys::Role;
pub use postgres::{DEFAULT_POOL_SIZE, PgStore};
pub use reports::*;
pub use sqlite::SqliteStore;

use engine::render::Renderer;
use std::sync::Arc;

/// Opens the store a database URL names: `sqlite://FILE` (created if missing) or
/// `postgres://…` (`postgresql://…`) with up to `pool_size` connections.
pub async fn open(url: &str, renderer: Renderer, pool_size: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, renderer).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url, renderer, pool_size).await?))
    } else {
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        Err(Error::Invalid(format!(
            "unsupported database URL scheme `{scheme}`: expected `sqlite://FILE` or `postgres://USER@HOST/DATABASE`"
        )))
    }
}

use engine::{Locale, Moment, Status, Target, Timestamp};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("no site with key `{0}`")]
    UnknownSite(String),
    #[error("not found")]
    NotFound,
    /// The snippet changed since the version the writer read; carries the current one.
    #[error("snippet {} is at version {}", .0.id, .0.version)]
    Stale(Box<StoredSnippet>),
    /// The site's settings changed since the version the writer read; carries the current ones.
    #[error("site {} is at settings version {}", .0.public_key, .0.settings_version)]
    StaleSite(Box<Site>),
    #[error("{0}")]
    Duplicate(String),
    /// The change would leave the data in a state the store refuses (the site's last owner key).
    #[error("{0}")]
    Conflict(String),
    #[error("no random source: {0}")]
    Random(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A newer release migrated the database past what this binary knows: running on would
    /// read and write a schema it does not understand.
    #[error(
        "the database has migration {applied}, which this cuecard does not know (it knows migrations up to \
         {known}): a newer release upgraded it; run that release or a later one"
    )]
    NewerDatabase { applied: i64, known: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    /// Whether the database refused the data itself (a unique, foreign key, not-null or check
    /// constraint), rather than failing for a reason of its own (locked, full, gone).
    pub fn is_constraint(&self) -> bool {
        use sqlx::error::ErrorKind;
        matches!(self, Error::Database(sqlx::Error::Database(database)) if matches!(database.kind(),
            ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation))
    }
}

/// One embedding application of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: i64,
    /// Public site key (`pk_…`), safe in page source.
    pub public_key: String,
    pub name: String,
    /// Origins allowed to call the public API from a browser (`https://app.example.com`).
    pub origins: Vec<String>,
    pub default_locale: Locale,
    /// Locales authors write in, the default first.
    pub locales: Vec<Locale>,
    /// The widget's look and wording for this site, as a JSON object the service validates.
    pub widget_settings: String,
    /// Bumped by every change to the site's snippets, so indexes know when to rebuild.
    pub content_version: i64,
    /// Bumped by every change to the site's own settings; the admin API's ETag carries it.
    pub settings_version: i64,
}

/// Which current versions a conditional change may be applied to (from `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Whatever the current version is (`If-Match: *`).
    Any,
    /// One of these versions; an empty list never matches.
    OneOf(Vec<i64>),
}

impl Precondition {
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::OneOf(versions) => versions.contains(&version),
        }
    }
}

impl From<i64> for Precondition {
    fn from(version: i64) -> Self {
        Precondition::OneOf(vec![version])
    }
}

/// What an owner may change about a site through the admin API; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteChanges {
    pub name: Option<String>,
    pub origins: Option<Vec<String>>,
    pub default_locale: Option<Locale>,
    pub locales: Option<Vec<Locale>>,
    pub widget_settings: Option<String>,
}

/// What an operator says a site is; created or updated by public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    pub public_key: String,
    pub name: String,
    pub origins: Vec<String>,
    pub default_locale: Locale,
    /// Further locales authors write in; the default is always one.
    pub locales: Vec<Locale>,
}

impl SiteSpec {
    pub fn validate(&self) -> Result<()> {
        let key_ok = self.public_key.len() <= 64
            && self.public_key.strip_prefix("pk_").is_some_and(|rest| {
                rest.len() >= 3 && rest.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
            });
        if !key_ok {
            return Err(Error::Invalid(format!(
                "`{}` is not a public site key: `pk_` then 3 to 61 letters, digits or `_`",
                self.public_key
            )));
        }
        validate_site_fields(&self.name, &self.origins)
    }
}

fn validate_site_fields(name: &str, origins: &[String]) -> Result<()> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(Error::Invalid("a site name has 1 to 200 characters".into()));
    }
    if origins.len() > 100 {
        return Err(Error::Invalid("a site allows at most 100 origins".into()));
    }
    for origin in origins {
        validate_origin(origin)?;
    }
    Ok(())
}

impl SiteChanges {
    pub fn validate(&self, current: &Site) -> Result<()> {
        validate_site_fields(
            self.name.as_deref().unwrap_or(&current.name),
            self.origins.as_deref().unwrap_or(&current.origins),
        )?;
        if self.locales.as_ref().is_some_and(|locales| locales.len() > 50) {
            return Err(Error::Invalid("a site has at most 50 locales".into()));
        }
        Ok(())
    }
}

/// The default locale first, then the others once each.
fn site_locales(default_locale: &Locale, others: &[Locale]) -> Vec<Locale> {
    let mut locales = vec![default_locale.clone()];
    for locale in others {
        if !locales.contains(locale) {
            locales.push(locale.clone());
        }
    }
    locales
}

/// An origin as browsers send it: scheme, host and optional port, nothing else.
fn validate_origin(origin: &str) -> Result<()> {
    let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    let well_formed = rest.is_some_and(|host_port| {
        !host_port.is_empty()
            && host_port.len() <= 253
            && host_port
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b':' | b'[' | b']'))
    });
    if !well_formed {
        return Err(Error::Invalid(format!(
            "`{origin}` is not an origin: expected `https://host` or `http://host:port`, without path or trailing slash"
        )));
    }
    Ok(())
}

/// A snippet as an author writes it; the store renders and sanitizes `markdown` on write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetDraft {
    /// Stable name within the site (`claim-form/vat-number`); translations share it.
    pub slug: String,
    pub locale: Locale,
    pub title: String,
    pub markdown: String,
    pub moment: Moment,
    pub roles: Vec<String>,
    pub priority: i32,
    pub status: Status,
    pub targets: Vec<Target>,
    pub publish_at: Option<Timestamp>,
    pub expire_at: Option<Timestamp>,
    /// Host app versions the snippet is for (`>=2.3, <3`); `None` for all.
    pub app_versions: Option<semver::VersionReq>,
}

impl SnippetDraft {
    pub const TITLE_MAX_LEN: usize = 200;
    pub const MARKDOWN_MAX_LEN: usize = 64 * 1024;
    pub const TARGETS_MAX: usize = 64;

    /// Checks everything a snippet must satisfy before it is stored.
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::Invalid(format!("snippet `{}`: {message}", self.slug)));
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 200
            && !self.slug.starts_with('/')
            && !self.slug.contains("..")
            && self.slug.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'/' | b'.'));
        if !slug_ok {
            return invalid("a slug has 1 to 200 letters, digits, `-`, `_`, `.` or `/`".into());
        }
        if self.title.trim().is_empty() || self.title.len() > Self::TITLE_MAX_LEN {
            return invalid(format!("a title has 1 to {} characters", Self::TITLE_MAX_LEN));
        }
        if self.markdown.len() > Self::MARKDOWN_MAX_LEN {
            return invalid(format!("the body is over {} bytes", Self::MARKDOWN_MAX_LEN));
        }
        if self.targets.len() > Self::TARGETS_MAX {
            return invalid(format!("more than {} targets", Self::TARGETS_MAX));
        }
        for target in &self.targets {
            if let Err(error) = target.validate() {
                return invalid(error.to_string());
            }
        }
        for role in &self.roles {
            if let Err(error) = engine::validate_role(role) {
                return invalid(error.to_string());
            }
        }
        if let (Some(start), Some(end)) = (self.publish_at, self.expire_at)
            && end <= start
        {
            return invalid("expire_at must be after publish_at".into());
        }
        Ok(())
    }
}

/// A snippet as stored: the author's draft plus what the store keeps about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnippet {
    pub id: i64,
    pub site_id: i64,
    pub draft: SnippetDraft,
    /// The sanitized HTML rendered from `draft.markdown` on write.
    pub html: String,
    /// Bumped by every change; the admin API's ETag and `If-Match` carry it.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One past (or the current) state of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub version: i64,
    pub draft: SnippetDraft,
    /// Who wrote it: `import`, `key:ID` or `cli`.
    pub actor: String,
    pub created_at: Timestamp,
}

/// Which snippets a listing returns, in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnippetFilter {
    pub status: Option<Status>,
    pub locale: Option<Locale>,
    pub moment: Option<Moment>,
    /// Only snippets with this exact target value (a help key, route or URL pattern).
    pub target: Option<String>,
    /// Only slugs starting with this (`claim-form/`).
    pub slug_prefix: Option<String>,
    /// Only snippets with this text in their title, slug or Markdown (ignoring ASCII case).
    pub text: Option<String>,
    /// Only ids greater than this: the cursor of the previous page.
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// A secret admin key as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub site_id: i64,
    /// The key's public id part (`sk_` + these 12 hex digits + …), for telling keys apart.
    pub lookup: String,
    pub role: Role,
    pub label: String,
    pub created_at: Timestamp,
    /// Set when the key was rotated out: it keeps working until then.
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires_at| now < expires_at)
    }
}

/// A running console session: the key it was started with, and when it ends by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub key: ApiKey,
    pub expires_at: Timestamp,
}

/// A key just created; `plaintext` is shown once and never stored.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub plaintext: String,
}

/// How an import treats snippets edited through the API since the last import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Overwrite them with the files' content instead of keeping them.
    pub force: bool,
    /// Work out the plan and change nothing.
    pub dry_run: bool,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// `slug (locale)` of each new snippet.
    pub created: Vec<String>,
    /// `slug (locale)` of each snippet whose content changed.
    pub updated: Vec<String>,
    /// `slug (locale)` of each snippet edited through the API since the last import, kept as it
    /// is (unless forced, when it is in `updated`).
    pub conflicts: Vec<String>,
    pub unchanged: usize,
}

/// How often a place (route template or URL pattern, `""` for neither) and help key (`""` for
/// the page) were asked about on one day, and how often specific help existed for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CoverageCount {
    pub site_id: i64,
    /// Days since 1970-01-01, UTC.
    pub day: i64,
    pub place: String,
    pub help_key: String,
    /// The host app's version; `""` when the page gave none.
    pub app_version: String,
    pub seen: u64,
    pub helped: u64,
}

/// Something a worker did in the widget, as stored: where and what, never who.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// `panel_open`, `snippet_view`, `search` or `feedback`.
    pub kind: String,
    /// The place template: the app's route, else the URL pattern the path matched; never a path.
    pub route: Option<String>,
    pub help_key: Option<String>,
    pub locale: Option<String>,
    pub snippet_id: Option<i64>,
    pub query: Option<String>,
    pub results: Option<i64>,
    pub helpful: Option<bool>,
    pub comment: Option<String>,
    /// The worker's roles, sorted and comma-separated.
    pub roles: Option<String>,
    pub app_version: Option<String>,
    /// Where a viewed snippet was opened from: `panel`, `hotspot`, `search` or `page`.
    pub via: Option<String>,
    /// Whether the context had specific help (a snippet for the key, route or pattern).
    pub specific: Option<bool>,
}

/// The events one request brought: one site's, at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBatch {
    pub site_id: i64,
    /// When they were received (unix seconds).
    pub at: Timestamp,
    pub events: Vec<Event>,
}

/// Search words as reports group them: lower case, single spaces.
pub fn normalize_query(query: &str) -> String {
    query.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub event: Event,
    pub created_at: Timestamp,
}

/// Persistence of sites, snippets and keys. Every method is one transaction.
#[async_trait::async_trait]
pub trait Store: Reports + Send + Sync + 'static {
    /// The latest migration applied to the database (opening a store applies this release's).
    async fn schema_version(&self) -> Result<i64>;

    /// Whether [`Store::wait_for_change`] tells of content other processes change (PostgreSQL's
    /// `LISTEN/NOTIFY`). Without it (SQLite) the service looks for changes at intervals.
    fn announces_changes(&self) -> bool {
        false
    }

    /// Resolves when content may have changed through another process: a change announced, or
    /// a connection lost or (re)made, during which one may have gone unannounced. Never
    /// resolves on a backend that does not announce changes.
    async fn wait_for_change(&self) -> Result<()> {
        std::future::pending().await
    }

    /// Creates the site or updates it in place, by public key.
    async fn put_site(&self, spec: &SiteSpec) -> Result<Site>;

    async fn site(&self, public_key: &str) -> Result<Option<Site>>;

    async fn sites(&self) -> Result<Vec<Site>>;

    /// Applies `changes` if the site's settings are at a version `expected` allows; otherwise
    /// fails with [`Error::StaleSite`] carrying the current site. No change writes nothing.
    async fn update_site(&self, site_id: i64, expected: &Precondition, changes: &SiteChanges) -> Result<Site>;

    /// Creates or updates snippets by `(slug, locale)`, all or nothing. Snippets whose content
    /// did not change keep their row untouched.
    async fn import(&self, public_key: &str, drafts: Vec<SnippetDraft>, options: ImportOptions)
    -> Result<ImportReport>;

    /// The site's snippets that can be served or previewed (drafts and published), for
    /// building its index.
    async fn servable_snippets(&self, site_id: i64) -> Result<Vec<engine::Snippet>>;

    async fn snippet(&self, site_id: i64, id: i64) -> Result<Option<StoredSnippet>>;

    async fn snippets(&self, site_id: i64, filter: &SnippetFilter) -> Result<Vec<StoredSnippet>>;

    /// Fails with [`Error::Duplicate`] when the site has the slug in that locale already, unless
    /// that snippet is archived: then it comes back with this content as its next version.
    async fn create_snippet(&self, site_id: i64, draft: &SnippetDraft, actor: &str) -> Result<StoredSnippet>;

    /// Replaces the snippet's content if its version is one `expected` allows; otherwise fails
    /// with [`Error::Stale`] carrying the current snippet. Unchanged content writes nothing.
    async fn update_snippet(
        &self,
        site_id: i64,
        id: i64,
        expected: &Precondition,
        draft: &SnippetDraft,
        actor: &str,
    ) -> Result<StoredSnippet>;

    /// Newest first.
    async fn revisions(&self, site_id: i64, snippet_id: i64) -> Result<Vec<Revision>>;

    async fn create_key(&self, site_id: i64, role: Role, label: &str) -> Result<CreatedKey>;

    async fn keys(&self, site_id: i64) -> Result<Vec<ApiKey>>;

    /// Fails with [`Error::Conflict`] when it is the site's last active owner key without an
    /// expiry: a site must keep a way in (the command line can always create a new one).
    async fn revoke_key(&self, site_id: i64, key_id: i64) -> Result<ApiKey>;

    /// A new key with the same site, role and label; the old one keeps working for `overlap_secs`.
    async fn rotate_key(&self, site_id: i64, key_id: i64, overlap_secs: i64) -> Result<CreatedKey>;

    /// Appends several requests' events (of any sites) in one transaction: all or none. Returns
    /// how many.
    async fn record_event_batches(&self, batches: &[EventBatch]) -> Result<usize>;

    /// Appends one site's events as received at `at` (unix seconds), in one transaction.
    async fn record_events_at(&self, site_id: i64, at: Timestamp, events: &[Event]) -> Result<usize> {
        self.record_event_batches(&[EventBatch { site_id, at, events: events.to_vec() }]).await
    }

    /// Adds counts to the coverage counters (one transaction, however many rows).
    async fn add_coverage(&self, counts: &[CoverageCount]) -> Result<()>;

    /// A site's coverage counters from `from_day` to `to_day` (inclusive), by day, place and key.
    async fn coverage(&self, site_id: i64, from_day: i64, to_day: i64) -> Result<Vec<CoverageCount>>;

    /// Deletes every site's events older than `before` (retention); returns how many.
    async fn delete_events_before(&self, before: Timestamp) -> Result<u64>;

    /// The site's events with ids above `after`, oldest first, at most `limit`.
    async fn events(&self, site_id: i64, after: i64, limit: u32) -> Result<Vec<StoredEvent>>;

    /// Markdown rendered and sanitized exactly as a snippet written now would store it.
    fn render_markdown(&self, markdown: &str) -> String;

    /// The active key a presented secret belongs to, if any.
    async fn authenticate(&self, presented: &keys::PresentedKey) -> Result<Option<ApiKey>>;

    /// Starts a console session of key `key_id` (see [`keys::SessionToken`]) lasting until
    /// `expires_at`. Sessions that ended or expired are deleted on the way.
    async fn start_session(&self, key_id: i64, token_hash: &[u8; 32], expires_at: Timestamp) -> Result<Session>;

    /// The session with this token hash while it runs: not ended, not expired, its key active.
    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>>;

    /// Ends a session (sign-out). Returns whether it was running.
    async fn end_session(&self, token_hash: &[u8; 32]) -> Result<bool>;
}
