//! The heart of Cuecard: decide which snippets a worker sees in a context, in which order, and why.
//!
//! Pure by design: no I/O, no async, no clock (callers pass `now`), no serde. The service
//! compiles each site's published snippets into a [`SiteIndex`] and resolves contexts against it.

mod index;
mod locale;
pub mod render;
pub mod search;
mod snippet;
#[cfg(feature = "synthetic")]
pub mod synthetic;

pub use index::{
    Context, Explanation, Match, MatchKind, Miss, NearMiss, Reason, SiteIndex, SiteIndexBuilder, SiteSettings,
    UrlPatternMatcher, canonical_path,
};
pub use locale::Locale;
pub use search::{SearchHit, SearchIndex};
pub use snippet::{
    Moment, Snippet, Status, Target, parse_app_version, parse_app_versions, validate_help_key, validate_role,
    validate_route,
};

/// Unix time in seconds; the engine never reads a clock, callers pass it.
pub type Timestamp = i64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("`{0}` is not a valid locale (expected a BCP 47 tag such as `en` or `fr-CA`)")]
    InvalidLocale(String),
    #[error("`{pattern}` is not a valid URL pattern: {reason}")]
    InvalidUrlPattern { pattern: String, reason: String },
    #[error("`{0}` is not a valid help key (letters, digits and `._-:`, at most 128 characters)")]
    InvalidHelpKey(String),
    #[error("`{0}` is not a valid route template (it must start with `/`, at most 512 characters)")]
    InvalidRoute(String),
    #[error("`{0}` is not a valid role (letters, digits and `._-:`, at most 64 characters)")]
    InvalidRole(String),
    #[error("`{0}` is not a moment of need (expected new, more, apply, solve or change)")]
    InvalidMoment(String),
    #[error("`{0}` is not a status (expected draft, published or archived)")]
    InvalidStatus(String),
    #[error("`{0}` is not an app version (expected semver such as `2.3.1`, `2.3` or `2`)")]
    InvalidAppVersion(String),
    #[error("`{range}` is not a version range: {reason}")]
    InvalidVersionRange { range: String, reason: String },
    #[error("search index: {0}")]
    Search(String),
}
