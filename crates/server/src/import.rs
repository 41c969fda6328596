//! Docs-as-code: a folder of Markdown files with YAML front matter becomes snippet drafts.
//!
//! ```markdown
//! ---
//! title: Enter the VAT number
//! moment: apply
//! targets:
//!   - key: claim.vat-number
//!   - route: /claims/new
//!   - url: /approvals/:id
//! roles: [approver]
//! priority: 10
//! ---
//! Body in **Markdown**.
//! ```
//!
//! The slug is the file's path below the folder without `.md`; `NAME.fr.md` is the French
//! translation of `NAME`. `README.md` files are documentation for authors and are skipped.
//!
//! [`export_file`] is the way back: it writes a snippet as a file this module reads to the same
//! draft, so a site can move to git and back without loss.

use engine::{Locale, Moment, Status, Target};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use store::SnippetDraft;

/// A file that could not be read as a snippet, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(formatter, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ImportError {}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    moment: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    targets: Vec<TargetSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    /// Shown from this time on: `2027-01-01` (UTC midnight) or `2027-01-01T08:00:00+01:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    publish_at: Option<String>,
    /// Not shown from this time on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expire_at: Option<String>,
    /// Host app versions, as a semver range: `">=2.3, <3"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_versions: Option<String>,
}

fn is_zero(number: &i32) -> bool {
    *number == 0
}

/// An RFC 3339 timestamp or a date (midnight UTC), in unix seconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp.as_second());
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| format!("`{text}` is not a date (`2027-01-01`) or an RFC 3339 time (`2027-01-01T08:00:00Z`)"))?;
    let midnight = date.to_zoned_datetime(jiff::tz::TimeZone::UTC).map_err(|error| error.to_string())?;
    Ok(midnight.timestamp().as_second())
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum TargetSpec {
    Key(String),
    Route(String),
    Url(String),
}

/// One snippet read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub file: PathBuf,
    pub draft: SnippetDraft,
}

/// Reads every `.md` file below `dir` (sorted, so runs are reproducible).
pub fn read_dir(dir: &Path, default_locale: &Locale) -> Result<Vec<SourceFile>, ImportError> {
    let mut files = Vec::new();
    collect_markdown(dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(dir).unwrap_or(&file);
            let text = std::fs::read_to_string(&file).map_err(|error| ImportError {
                file: file.clone(),
                line: None,
                message: error.to_string(),
            })?;
            let slug_path = relative.to_string_lossy().replace('\\', "/");
            let draft = parse(&slug_path, &text, default_locale).map_err(|(line, message)| ImportError {
                file: file.clone(),
                line,
                message,
            })?;
            Ok(SourceFile { file, draft })
        })
        .collect()
}

fn collect_markdown(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let unreadable =
        |error: std::io::Error| ImportError { file: dir.to_owned(), line: None, message: error.to_string() };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_markdown(&path, files)?;
        } else if name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md") {
            files.push(path);
        }
    }
    Ok(())
}

/// Splits `NAME.fr-CA` into (`NAME`, `fr-CA`) when the suffix is a language tag.
fn split_locale_suffix(stem: &str) -> (&str, Option<Locale>) {
    if let Some((name, suffix)) = stem.rsplit_once('.') {
        let language = suffix.split('-').next().unwrap_or_default();
        if !name.is_empty()
            && matches!(language.len(), 2 | 3)
            && !name.ends_with('/')
            && let Ok(locale) = Locale::parse(suffix)
        {
            return (name, Some(locale));
        }
    }
    (stem, None)
}

/// Parses one file. Errors carry the 1-based line in the file, where known.
pub fn parse(relative_path: &str, text: &str, default_locale: &Locale) -> Result<SnippetDraft, (Option<u64>, String)> {
    let stem = relative_path.strip_suffix(".md").unwrap_or(relative_path);
    let (slug, file_locale) = split_locale_suffix(stem);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let after_open = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or((Some(1), "a snippet starts with `---` and YAML front matter".to_owned()))?;
    let (yaml, body) =
        split_front_matter(after_open).ok_or((None, "the front matter has no closing `---` line".to_owned()))?;
    let front: FrontMatter = serde_saphyr::from_str(yaml).map_err(|error| {
        // Line 1 of the YAML is line 2 of the file.
        let line = error.location().map(|location| location.line() + 1);
        let message = error.to_string();
        let first_line = message.lines().next().unwrap_or("invalid front matter").to_owned();
        (line, first_line)
    })?;

    let at_line = |needle: &str| {
        yaml.lines().position(|line| line.trim_start().starts_with(needle)).map(|index| index as u64 + 2)
    };
    let locale = match (front.locale.as_deref(), file_locale) {
        (Some(declared), file_locale) => {
            let declared = Locale::parse(declared).map_err(|error| (at_line("locale:"), error.to_string()))?;
            if file_locale.as_ref().is_some_and(|from_name| *from_name != declared) {
                return Err((at_line("locale:"), format!("locale `{declared}` disagrees with the file name")));
            }
            declared
        }
        (None, Some(from_name)) => from_name,
        (None, None) => default_locale.clone(),
    };
    let moment = Moment::parse(&front.moment).map_err(|error| (at_line("moment:"), error.to_string()))?;
    let status = match front.status.as_deref() {
        None => Status::Published,
        Some(status) => Status::parse(status).map_err(|error| (at_line("status:"), error.to_string()))?,
    };
    let targets = front
        .targets
        .into_iter()
        .map(|target| match target {
            TargetSpec::Key(key) => Target::Key(key),
            TargetSpec::Route(route) => Target::Route(route),
            TargetSpec::Url(pattern) => Target::UrlPattern(pattern),
        })
        .collect();
    let time = |field: &str, value: Option<&str>| {
        value.map(|value| parse_time(value.trim()).map_err(|message| (at_line(field), message))).transpose()
    };
    let publish_at = time("publish_at:", front.publish_at.as_deref())?;
    let expire_at = time("expire_at:", front.expire_at.as_deref())?;
    let app_versions = front
        .app_versions
        .as_deref()
        .map(|range| engine::parse_app_versions(range).map_err(|error| (at_line("app_versions:"), error.to_string())))
        .transpose()?;
    let draft = SnippetDraft {
        slug: slug.to_owned(),
        locale,
        title: front.title,
        markdown: body.to_owned(),
        moment,
        roles: front.roles,
        priority: front.priority,
        status,
        targets,
        publish_at,
        expire_at,
        app_versions,
    };
    draft.validate().map_err(|error| (None, error.to_string()))?;
    Ok(draft)
}

/// A snippet as a file: its path below the export folder and its text, which [`parse`] reads back
/// to the same draft. The default locale's file is `SLUG.md`, others `SLUG.LOCALE.md`.
pub fn export_file(draft: &SnippetDraft, default_locale: &Locale) -> Result<(PathBuf, String), String> {
    // `guide.de` in the default locale would read back as `guide` in German: name the locale.
    let ambiguous = split_locale_suffix(&draft.slug).1.is_some();
    let path = if draft.locale == *default_locale && !ambiguous {
        format!("{}.md", draft.slug)
    } else {
        format!("{}.{}.md", draft.slug, draft.locale)
    };
    let front = FrontMatter {
        title: draft.title.clone(),
        moment: draft.moment.as_str().to_owned(),
        targets: draft
            .targets
            .iter()
            .map(|target| match target {
                Target::Key(key) => TargetSpec::Key(key.clone()),
                Target::Route(route) => TargetSpec::Route(route.clone()),
                Target::UrlPattern(pattern) => TargetSpec::Url(pattern.clone()),
            })
            .collect(),
        roles: draft.roles.clone(),
        priority: draft.priority,
        locale: None,
        status: (draft.status != Status::Published).then(|| draft.status.as_str().to_owned()),
        publish_at: draft.publish_at.map(crate::http::convert::time_to_wire),
        expire_at: draft.expire_at.map(crate::http::convert::time_to_wire),
        app_versions: draft.app_versions.as_ref().map(ToString::to_string),
    };
    let yaml = serde_saphyr::to_string(&front).map_err(|error| error.to_string())?;
    let newline = if yaml.ends_with('\n') { "" } else { "\n" };
    Ok((PathBuf::from(path), format!("---\n{yaml}{newline}---\n{}", draft.markdown)))
}

/// Finds the closing `---` line; returns (yaml, body).
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "---" {
            return Some((&text[..offset], &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en() -> Locale {
        Locale::parse("en").unwrap()
    }

    #[test]
    fn a_file_becomes_a_draft() {
        let text = "---\ntitle: Enter the VAT number\nmoment: apply\ntargets:\n  - key: claim.vat-number\n  - route: /claims/new\n  - url: /approvals/:id\nroles: [approver]\npriority: 10\n---\nBody **here**.\n";
        let draft = parse("claim-form/vat-number.md", text, &en()).unwrap();
        assert_eq!(draft.slug, "claim-form/vat-number");
        assert_eq!(draft.locale, en());
        assert_eq!(draft.moment, Moment::Apply);
        assert_eq!(
            draft.targets,
            [
                Target::Key("claim.vat-number".into()),
                Target::Route("/claims/new".into()),
                Target::UrlPattern("/approvals/:id".into())
            ]
        );
        assert_eq!(draft.roles, ["approver"]);
        assert_eq!(draft.priority, 10);
        assert_eq!(draft.status, Status::Published);
        assert_eq!(draft.markdown, "Body **here**.\n");
    }

    #[test]
    fn validity_windows_and_version_ranges_are_read() {
        let text = "---\ntitle: New rates\nmoment: change\npublish_at: 2027-01-01\nexpire_at: 2027-01-31T00:00:00Z\napp_versions: \">=2.3, <3\"\n---\nx";
        let draft = parse("rates.md", text, &en()).unwrap();
        assert_eq!(draft.publish_at, Some(1_798_761_600));
        assert_eq!(draft.expire_at, Some(1_798_761_600 + 30 * 86_400));
        assert_eq!(draft.app_versions.map(|range| range.to_string()).as_deref(), Some(">=2.3, <3"));
        let bad = "---\ntitle: x\nmoment: change\npublish_at: next monday\n---\n";
        assert_eq!(parse("x.md", bad, &en()).unwrap_err().0, Some(4));
        let bad = "---\ntitle: x\nmoment: change\napp_versions: soon\n---\n";
        assert_eq!(parse("x.md", bad, &en()).unwrap_err().0, Some(4));
    }

    #[test]
    fn the_file_name_gives_the_translation_locale() {
        let text = "---\ntitle: TVA\nmoment: apply\n---\nx";
        let draft = parse("claim-form/vat-number.fr.md", text, &en()).unwrap();
        assert_eq!((draft.slug.as_str(), draft.locale.as_str()), ("claim-form/vat-number", "fr"));
        let draft = parse("guide.pt-BR.md", text, &en()).unwrap();
        assert_eq!((draft.slug.as_str(), draft.locale.as_str()), ("guide", "pt-BR"));
        let draft = parse("release.notes.md", text, &en()).unwrap();
        assert_eq!((draft.slug.as_str(), draft.locale.as_str()), ("release.notes", "en"));
    }

    #[test]
    fn exported_files_read_back_to_the_same_draft() {
        let text = "---\ntitle: \"Rates: 2027\"\nmoment: change\ntargets:\n  - key: claim.*\n  - url: /approvals/:id\nroles: [approver, 'manager']\npriority: -3\nstatus: draft\npublish_at: 2027-01-01\nexpire_at: 2027-01-31T08:00:00+01:00\napp_versions: \">=2.3, <3\"\n---\n# Rates\n\n---\n\nNew *rates*.  \n";
        let draft = parse("finance/rates.md", text, &en()).unwrap();
        let (path, exported) = export_file(&draft, &en()).unwrap();
        assert_eq!(path, PathBuf::from("finance/rates.md"));
        assert_eq!(parse("finance/rates.md", &exported, &en()).unwrap(), draft, "{exported}");
        let german = SnippetDraft { locale: Locale::parse("de").unwrap(), ..draft.clone() };
        let (path, exported) = export_file(&german, &en()).unwrap();
        assert_eq!(path, PathBuf::from("finance/rates.de.md"));
        assert_eq!(parse(path.to_str().unwrap(), &exported, &en()).unwrap(), german);
        let tricky = SnippetDraft { slug: "guide.de".into(), ..draft };
        let (path, exported) = export_file(&tricky, &en()).unwrap();
        assert_eq!(parse(path.to_str().unwrap(), &exported, &en()).unwrap(), tricky);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("no front matter", "# Title\n", Some(1), "starts with `---`"),
            ("unclosed", "---\ntitle: x\n", None, "no closing"),
            ("unknown field", "---\ntitle: x\nmoment: apply\ntitel: y\n---\n", Some(4), "titel"),
            ("bad moment", "---\ntitle: x\nmoment: later\n---\n", Some(3), "moment of need"),
            ("bad pattern", "---\ntitle: x\nmoment: new\ntargets:\n  - url: /a/(\n---\n", None, "URL pattern"),
            ("bad yaml", "---\ntitle: [x\nmoment: new\n---\n", Some(2), ""),
            ("locale clash", "---\ntitle: x\nmoment: new\nlocale: de\n---\n", Some(4), "disagrees"),
        ];
        for (name, text, line, needle) in cases {
            let (found_line, message) = parse("a.fr.md", text, &en()).unwrap_err();
            assert!(message.contains(needle), "{name}: {message}");
            assert_eq!(found_line, line, "{name}: {message}");
        }
    }
}
