//! The compiled per-site matcher: a builder turns snippets into lookup tables once, and
//! `resolve` answers a context by looking up only what the context names.

use crate::{Error, Locale, Snippet, Status, Target, Timestamp};
use std::collections::{HashMap, HashSet};
use urlpattern::{UrlPattern, UrlPatternInit, UrlPatternMatchInput, UrlPatternOptions};

/// What the index needs to know about its site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    /// The last resort of every locale fallback chain.
    pub default_locale: Locale,
}

/// Where the worker is, as far as resolution cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `location.pathname`, no query string.
    pub path: Option<String>,
    /// The app's route template, when it told us.
    pub route: Option<String>,
    /// Help keys of the focused element and its ancestors, innermost first.
    pub keys: Vec<String>,
    pub roles: Vec<String>,
    pub locale: Option<Locale>,
}

/// How a snippet matched, strongest first: the derived order is the ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    /// The focused element's own help key.
    FieldKey,
    /// An ancestor's help key; `1` is the parent's.
    AncestorKey(u8),
    Route,
    UrlPattern,
    SiteWide,
}

/// Why a snippet was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'a> {
    pub kind: MatchKind,
    /// The key, route or pattern that matched; `None` for site-wide snippets.
    pub target: Option<&'a str>,
    /// The role that made a role-specific snippet apply.
    pub role: Option<&'a str>,
    /// The snippet's locale, maybe a fallback of the requested one.
    pub locale: &'a Locale,
}

/// One resolved snippet with the reason it is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub snippet: &'a Snippet,
    pub reason: Reason<'a>,
}

type SnippetIdx = u32;

/// A site's snippets compiled for resolution. Immutable: content changes build a new one.
#[derive(Debug)]
pub struct SiteIndex {
    settings: SiteSettings,
    snippets: Vec<Snippet>,
    by_id: HashMap<i64, SnippetIdx>,
    by_key: HashMap<String, Vec<SnippetIdx>>,
    by_route: HashMap<String, Vec<SnippetIdx>>,
    url_patterns: Vec<(UrlPattern, SnippetIdx, String)>,
    site_wide: Vec<SnippetIdx>,
}

/// Collects snippets, checks them and compiles their targets.
#[derive(Debug)]
pub struct SiteIndexBuilder {
    include_drafts: bool,
    index: SiteIndex,
}

pub(crate) fn compile_url_pattern(pattern: &str) -> Result<UrlPattern, Error> {
    let invalid = |reason: String| Error::InvalidUrlPattern {
        pattern: pattern.chars().take(520).collect(),
        reason,
    };
    if !pattern.starts_with('/') || pattern.len() > Target::ROUTE_MAX_LEN {
        return Err(invalid(
            "a pathname pattern starts with `/` and has at most 512 characters".into(),
        ));
    }
    let init = UrlPatternInit {
        pathname: Some(pattern.to_owned()),
        ..UrlPatternInit::default()
    };
    UrlPattern::parse(init, UrlPatternOptions::default()).map_err(|error| invalid(error.to_string()))
}

fn url_pattern_matches(pattern: &UrlPattern, path: &str) -> bool {
    let input = UrlPatternMatchInput::Init(UrlPatternInit {
        pathname: Some(path.to_owned()),
        ..UrlPatternInit::default()
    });
    pattern.test(input).unwrap_or(false)
}

impl SiteIndex {
    pub fn builder(settings: SiteSettings) -> SiteIndexBuilder {
        SiteIndexBuilder {
            index: SiteIndex {
                settings,
                snippets: Vec::new(),
                by_id: HashMap::new(),
                by_key: HashMap::new(),
                by_route: HashMap::new(),
                url_patterns: Vec::new(),
                site_wide: Vec::new(),
            },
            include_drafts: false,
        }
    }

    pub fn settings(&self) -> &SiteSettings {
        &self.settings
    }

    pub fn len(&self) -> usize {
        self.snippets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snippets.is_empty()
    }

    /// A snippet by id, if the index holds it.
    pub fn snippet(&self, id: i64) -> Option<&Snippet> {
        let idx = *self.by_id.get(&id)?;
        Some(&self.snippets[idx as usize])
    }

    /// The snippets for `context`, best first, one per slug, each with its reason.
    ///
    /// Ranking: match kind (field key, ancestor key by depth, route, URL pattern, site-wide),
    /// then role-specific before generic, then position in the locale fallback chain, then
    /// priority (higher first), then id. Deterministic for a given index, context and `now`.
    pub fn resolve<'a>(&'a self, context: &Context, now: Timestamp) -> Vec<Match<'a>> {
        let locales = Locale::fallbacks(context.locale.as_ref(), &self.settings.default_locale);
        let mut best: HashMap<SnippetIdx, (MatchKind, &str)> = HashMap::new();
        let mut offer = |idx: SnippetIdx, kind: MatchKind, target: &'a str| {
            let entry = best.entry(idx).or_insert((kind, target));
            if kind < entry.0 {
                *entry = (kind, target);
            }
        };
        // A key repeated up the tree counts where it is nearest.
        let mut seen_keys = HashSet::new();
        for (depth, key) in context.keys.iter().enumerate() {
            if !seen_keys.insert(key.as_str()) {
                continue;
            }
            let kind = match depth {
                0 => MatchKind::FieldKey,
                depth => MatchKind::AncestorKey(u8::try_from(depth).unwrap_or(u8::MAX)),
            };
            if let Some((stored_key, hits)) = self.by_key.get_key_value(key.as_str()) {
                for &idx in hits {
                    offer(idx, kind, stored_key);
                }
            }
        }
        if let Some(route) = &context.route
            && let Some((stored_route, hits)) = self.by_route.get_key_value(route.as_str())
        {
            for &idx in hits {
                offer(idx, MatchKind::Route, stored_route);
            }
        }
        if let Some(path) = &context.path {
            for (pattern, idx, source) in &self.url_patterns {
                if url_pattern_matches(pattern, path) {
                    offer(*idx, MatchKind::UrlPattern, source);
                }
            }
        }
        for &idx in &self.site_wide {
            offer(idx, MatchKind::SiteWide, "");
        }

        let mut ranked: Vec<(RankKey, Match<'_>)> = best
            .into_iter()
            .filter_map(|(idx, (kind, target))| {
                let snippet = &self.snippets[idx as usize];
                if !snippet.is_live(now) {
                    return None;
                }
                let role = if snippet.roles.is_empty() {
                    None
                } else {
                    let role = snippet.roles.iter().find(|role| context.roles.contains(role))?;
                    Some(role.as_str())
                };
                let locale_rank = locales.iter().position(|locale| *locale == snippet.locale)?;
                let key = RankKey {
                    kind,
                    generic: role.is_none(),
                    locale_rank,
                    priority: std::cmp::Reverse(snippet.priority),
                    id: snippet.id,
                };
                let reason = Reason {
                    kind,
                    target: (kind != MatchKind::SiteWide).then_some(target),
                    role,
                    locale: &snippet.locale,
                };
                Some((key, Match { snippet, reason }))
            })
            .collect();
        ranked.sort_unstable_by(|left, right| left.0.cmp(&right.0));

        // Translations share a slug: keep the best-ranked one.
        let mut slugs_seen = HashSet::new();
        ranked
            .into_iter()
            .filter(|(_, found)| slugs_seen.insert(found.snippet.slug.as_str()))
            .map(|(_, found)| found)
            .collect()
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RankKey {
    kind: MatchKind,
    generic: bool,
    locale_rank: usize,
    priority: std::cmp::Reverse<i32>,
    id: i64,
}

impl SiteIndexBuilder {
    /// Also index drafts, for an author's preview. Archived snippets are never indexed.
    pub fn include_drafts(mut self, include: bool) -> Self {
        self.include_drafts = include;
        self
    }

    /// Adds a snippet, checking its targets. Snippets that must not be served are skipped.
    pub fn add(&mut self, snippet: Snippet) -> Result<&mut Self, Error> {
        let servable = match snippet.status {
            Status::Published => true,
            Status::Draft => self.include_drafts,
            Status::Archived => false,
        };
        let idx = SnippetIdx::try_from(self.index.snippets.len()).unwrap_or(SnippetIdx::MAX);
        let mut compiled = Vec::new();
        for target in &snippet.targets {
            target.validate()?;
            if let Target::UrlPattern(pattern) = target {
                compiled.push((compile_url_pattern(pattern)?, idx, pattern.clone()));
            }
        }
        if !servable {
            return Ok(self);
        }
        let index = &mut self.index;
        for target in &snippet.targets {
            match target {
                Target::Key(key) => index.by_key.entry(key.clone()).or_default().push(idx),
                Target::Route(route) => index.by_route.entry(route.clone()).or_default().push(idx),
                Target::UrlPattern(_) => {}
            }
        }
        index.url_patterns.extend(compiled);
        if snippet.targets.is_empty() {
            index.site_wide.push(idx);
        }
        index.by_id.insert(snippet.id, idx);
        index.snippets.push(snippet);
        Ok(self)
    }

    pub fn build(self) -> SiteIndex {
        self.index
    }
}

#[cfg(test)]
mod tests;
