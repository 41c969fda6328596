//! A snippet as the engine sees it: what it says, where it applies and who it is for.

use crate::{Error, Locale, Timestamp};

/// A short piece of help, ready to be indexed. `html` is already sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub id: i64,
    /// Stable name within the site; translations of one snippet share it.
    pub slug: String,
    pub locale: Locale,
    pub title: String,
    pub html: String,
    pub moment: Moment,
    /// Empty means everyone.
    pub roles: Vec<String>,
    /// Higher first among otherwise equal matches.
    pub priority: i32,
    pub status: Status,
    /// Empty means site-wide.
    pub targets: Vec<Target>,
    /// Not shown before this time.
    pub publish_at: Option<Timestamp>,
    /// Not shown from this time on.
    pub expire_at: Option<Timestamp>,
    /// Shown only to apps whose version matches (`>=2.3, <3`); `None` for every version.
    pub app_versions: Option<semver::VersionReq>,
    /// Plain text of the body, for search.
    pub text: String,
}

impl Snippet {
    /// Inside its `publish_at`..`expire_at` window at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.publish_at.is_none_or(|start| start <= now) && self.expire_at.is_none_or(|end| now < end)
    }
}

/// Where a snippet applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A `data-help-key` on the focused element or one of its ancestors.
    Key(String),
    /// The app's own route template, as given by `Cuecard('setContext', {route})`.
    Route(String),
    /// A WHATWG URLPattern pathname pattern matched against the path (`/orders/:id`).
    UrlPattern(String),
}

impl Target {
    pub const HELP_KEY_MAX_LEN: usize = 128;
    pub const ROUTE_MAX_LEN: usize = 512;

    /// Checks the syntax of the target; URL patterns are compiled by the index builder.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            Target::Key(key) => validate_key_target(key),
            Target::Route(route) => validate_route(route),
            Target::UrlPattern(pattern) => crate::UrlPatternMatcher::compile(pattern).map(drop),
        }
    }
}

fn is_name_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-' | ':')
}

/// A help key as set in `data-help-key`: letters, digits and `._-:`.
pub fn validate_help_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > Target::HELP_KEY_MAX_LEN || !key.chars().all(is_name_char) {
        return Err(Error::InvalidHelpKey(key.chars().take(140).collect()));
    }
    Ok(())
}

/// A key target: a help key, or `prefix.*` for every key below `prefix`.
fn validate_key_target(key: &str) -> Result<(), Error> {
    let exact = key.strip_suffix(".*").unwrap_or(key);
    validate_help_key(exact).map_err(|_| Error::InvalidHelpKey(key.chars().take(140).collect()))
}

/// A host app version: `2`, `2.3`, `v2.3.1` or `2.3.1-beta.1`, read as semver.
pub fn parse_app_version(text: &str) -> Result<semver::Version, Error> {
    let invalid = || Error::InvalidAppVersion(text.chars().take(64).collect());
    let trimmed = text.trim().trim_start_matches(['v', 'V']);
    if trimmed.is_empty() || trimmed.len() > 64 {
        return Err(invalid());
    }
    // Pad `2` and `2.3` to three numbers, keeping any pre-release or build suffix.
    let core_end = trimmed.find(['-', '+']).unwrap_or(trimmed.len());
    let (core, suffix) = trimmed.split_at(core_end);
    let padding = match core.matches('.').count() {
        0 => ".0.0",
        1 => ".0",
        _ => "",
    };
    semver::Version::parse(&format!("{core}{padding}{suffix}")).map_err(|_| invalid())
}

/// A version range such as `>=2.3, <3`.
pub fn parse_app_versions(text: &str) -> Result<semver::VersionReq, Error> {
    semver::VersionReq::parse(text).map_err(|error| Error::InvalidVersionRange {
        range: text.chars().take(64).collect(),
        reason: error.to_string(),
    })
}

pub fn validate_route(route: &str) -> Result<(), Error> {
    let well_formed = route.starts_with('/')
        && route.chars().count() <= Target::ROUTE_MAX_LEN
        && !route.chars().any(|character| character.is_whitespace() || character.is_control());
    if !well_formed {
        return Err(Error::InvalidRoute(route.chars().take(520).collect()));
    }
    Ok(())
}

pub fn validate_role(role: &str) -> Result<(), Error> {
    if role.is_empty() || role.len() > 64 || !role.chars().all(is_name_char) {
        return Err(Error::InvalidRole(role.chars().take(70).collect()));
    }
    Ok(())
}

/// Gottfredson & Mosher's five moments of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Moment {
    New,
    More,
    Apply,
    Solve,
    Change,
}

impl Moment {
    pub fn parse(text: &str) -> Result<Moment, Error> {
        match text {
            "new" => Ok(Moment::New),
            "more" => Ok(Moment::More),
            "apply" => Ok(Moment::Apply),
            "solve" => Ok(Moment::Solve),
            "change" => Ok(Moment::Change),
            other => Err(Error::InvalidMoment(other.chars().take(40).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Moment::New => "new",
            Moment::More => "more",
            Moment::Apply => "apply",
            Moment::Solve => "solve",
            Moment::Change => "change",
        }
    }
}

/// Only `Published` snippets reach workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    Published,
    Archived,
}

impl Status {
    pub fn parse(text: &str) -> Result<Status, Error> {
        match text {
            "draft" => Ok(Status::Draft),
            "published" => Ok(Status::Published),
            "archived" => Ok(Status::Archived),
            other => Err(Error::InvalidStatus(other.chars().take(40).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_keys_are_plain_names() {
        for good in ["claim.vat-number", "a", "ns:field_1"] {
            assert!(validate_help_key(good).is_ok(), "{good}");
        }
        let too_long = "k".repeat(129);
        for bad in ["", "has space", "quote\"", "<b>", too_long.as_str()] {
            assert!(validate_help_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_targets_may_end_in_a_wildcard() {
        assert!(Target::Key("invoice.*".into()).validate().is_ok());
        assert!(Target::Key("invoice.vat.*".into()).validate().is_ok());
        for bad in ["*", ".*", "invoice*", "in*voice", "invoice.*.x"] {
            assert!(Target::Key(bad.into()).validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn app_versions_are_read_leniently_as_semver() {
        for (input, expected) in [("2", "2.0.0"), ("2.3", "2.3.0"), ("v2.3.1", "2.3.1"), ("2.4-beta.1", "2.4.0-beta.1")]
        {
            assert_eq!(parse_app_version(input).unwrap().to_string(), expected, "{input}");
        }
        for bad in ["", "two", "2.x", "1.2.3.4"] {
            assert!(parse_app_version(bad).is_err(), "{bad}");
        }
        let range = parse_app_versions(">=2.3, <3").unwrap();
        assert!(range.matches(&parse_app_version("2.9").unwrap()));
        assert!(!range.matches(&parse_app_version("3.0").unwrap()));
        assert!(parse_app_versions("soon").is_err());
    }

    #[test]
    fn routes_start_with_a_slash() {
        assert!(validate_route("/orders/:id/edit").is_ok());
        assert!(validate_route("orders").is_err());
        assert!(validate_route("/a b").is_err());
    }

    #[test]
    fn moments_and_statuses_parse_from_their_names() {
        for moment in [Moment::New, Moment::More, Moment::Apply, Moment::Solve, Moment::Change] {
            assert_eq!(Moment::parse(moment.as_str()), Ok(moment));
        }
        for status in [Status::Draft, Status::Published, Status::Archived] {
            assert_eq!(Status::parse(status.as_str()), Ok(status));
        }
        assert!(Moment::parse("later").is_err());
        assert!(Status::parse("hidden").is_err());
    }
}
