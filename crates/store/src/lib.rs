//! Where sites and snippets live. The service holds an `Arc<dyn Store>`; SQLite is the
//! embedded default. The database is the source of truth; resolution runs on indexes built
//! from what [`Store::servable_snippets`] returns.

mod sqlite;

pub use sqlite::SqliteStore;

use engine::{Locale, Moment, Status, Target, Timestamp};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("no site with key `{0}`")]
    UnknownSite(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
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
    /// Bumped by every change to the site's snippets, so indexes know when to rebuild.
    pub content_version: i64,
}

/// What an operator says a site is; created or updated by public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    pub public_key: String,
    pub name: String,
    pub origins: Vec<String>,
    pub default_locale: Locale,
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
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(Error::Invalid("a site name has 1 to 200 characters".into()));
        }
        for origin in &self.origins {
            validate_origin(origin)?;
        }
        Ok(())
    }
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

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// `slug (locale)` of each new snippet.
    pub created: Vec<String>,
    /// `slug (locale)` of each snippet whose content changed.
    pub updated: Vec<String>,
    pub unchanged: usize,
}

/// Persistence of sites and snippets. Every method is one transaction.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates the site or updates it in place, by public key.
    async fn put_site(&self, spec: &SiteSpec) -> Result<Site>;

    async fn site(&self, public_key: &str) -> Result<Option<Site>>;

    async fn sites(&self) -> Result<Vec<Site>>;

    /// Creates or updates snippets by `(slug, locale)`, all or nothing. Snippets whose content
    /// did not change keep their row untouched.
    async fn import(&self, public_key: &str, drafts: Vec<SnippetDraft>) -> Result<ImportReport>;

    /// The site's snippets that can be served or previewed (drafts and published), for
    /// building its index.
    async fn servable_snippets(&self, site_id: i64) -> Result<Vec<engine::Snippet>>;
}
