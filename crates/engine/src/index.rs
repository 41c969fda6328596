//! The compiled per-site matcher: a builder turns snippets into lookup tables once, and
//! `resolve` answers a context by looking up only what the context names, so its cost follows
//! the number of matches, not the number of snippets.

pub(crate) mod url_patterns;

use crate::{Error, Locale, Snippet, Status, Target, Timestamp};
use std::collections::{HashMap, HashSet};
use url_patterns::PatternSet;

pub use url_patterns::matches as url_pattern_matches;

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
    /// The host app's version, for snippets limited to version ranges.
    pub app_version: Option<semver::Version>,
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
    /// The key (or `prefix.*`), route or pattern that matched; `None` for site-wide snippets.
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
    /// The snippet's position in [`SiteIndex::snippets`], for callers that keep per-snippet data.
    pub position: usize,
    pub reason: Reason<'a>,
}

type SnippetIdx = u32;

/// How well one target matched: kind first, then how far a `prefix.*` key is from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Strength {
    kind: MatchKind,
    /// 0 for an exact key; n for a wildcard n segments shorter than the key.
    key_distance: u8,
}

/// A site's snippets compiled for resolution. Immutable: content changes build a new one.
#[derive(Debug)]
pub struct SiteIndex {
    settings: SiteSettings,
    snippets: Vec<Snippet>,
    by_id: HashMap<i64, SnippetIdx>,
    by_key: HashMap<String, Vec<SnippetIdx>>,
    /// `invoice.*` is stored under `invoice`, with its source text for reasons.
    by_key_prefix: HashMap<String, (String, Vec<SnippetIdx>)>,
    by_route: HashMap<String, Vec<SnippetIdx>>,
    url_patterns: PatternSet<SnippetIdx>,
    site_wide: Vec<SnippetIdx>,
}

/// Collects snippets, checks them and compiles their targets.
#[derive(Debug)]
pub struct SiteIndexBuilder {
    include_drafts: bool,
    index: SiteIndex,
}

impl SiteIndex {
    pub fn builder(settings: SiteSettings) -> SiteIndexBuilder {
        SiteIndexBuilder {
            index: SiteIndex {
                settings,
                snippets: Vec::new(),
                by_id: HashMap::new(),
                by_key: HashMap::new(),
                by_key_prefix: HashMap::new(),
                by_route: HashMap::new(),
                url_patterns: PatternSet::default(),
                site_wide: Vec::new(),
            },
            include_drafts: false,
        }
    }

    pub fn settings(&self) -> &SiteSettings {
        &self.settings
    }

    /// Every indexed snippet, in insertion order ([`Match::position`] indexes this).
    pub fn snippets(&self) -> &[Snippet] {
        &self.snippets
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

    /// Whether the snippet at `position` may be shown to this worker now: live, for one of
    /// their roles (or everyone), for their app version, and in their locale chain. Returns the
    /// role that made it apply and its rank in `locales`.
    pub(crate) fn admits<'a>(
        &'a self,
        position: usize,
        context: &Context,
        locales: &[Locale],
        now: Timestamp,
    ) -> Option<(Option<&'a str>, usize)> {
        let snippet = &self.snippets[position];
        if !snippet.is_live(now) {
            return None;
        }
        let version_fits = |versions: &semver::VersionReq| {
            context
                .app_version
                .as_ref()
                .is_some_and(|version| versions.matches(version))
        };
        if snippet
            .app_versions
            .as_ref()
            .is_some_and(|versions| !version_fits(versions))
        {
            return None;
        }
        let role = if snippet.roles.is_empty() {
            None
        } else {
            Some(snippet.roles.iter().find(|role| context.roles.contains(role))?.as_str())
        };
        let locale_rank = locales.iter().position(|locale| *locale == snippet.locale)?;
        Some((role, locale_rank))
    }

    /// The snippets for `context`, best first, one per slug, each with its reason.
    ///
    /// Ranking: match kind (field key, ancestor key by depth, route, URL pattern, site-wide),
    /// exact keys before `prefix.*` keys (longer prefixes first), then role-specific before
    /// generic, then position in the locale fallback chain, then priority (higher first), then
    /// id. Deterministic for a given index, context and `now`.
    pub fn resolve<'a>(&'a self, context: &Context, now: Timestamp) -> Vec<Match<'a>> {
        let locales = Locale::fallbacks(context.locale.as_ref(), &self.settings.default_locale);
        let mut best: HashMap<SnippetIdx, (Strength, &'a str)> = HashMap::new();
        let mut offer = |idx: SnippetIdx, strength: Strength, target: &'a str| {
            let entry = best.entry(idx).or_insert((strength, target));
            if strength < entry.0 {
                *entry = (strength, target);
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
                    offer(idx, Strength { kind, key_distance: 0 }, stored_key);
                }
            }
            let cuts = key.match_indices('.').map(|(index, _)| index).rev();
            for (distance, cut) in cuts.enumerate() {
                if let Some((source, hits)) = self.by_key_prefix.get(&key[..cut]) {
                    let key_distance = u8::try_from(distance + 1).unwrap_or(u8::MAX);
                    for &idx in hits {
                        offer(idx, Strength { kind, key_distance }, source);
                    }
                }
            }
        }
        if let Some(route) = &context.route
            && let Some((stored_route, hits)) = self.by_route.get_key_value(route.as_str())
        {
            for &idx in hits {
                offer(
                    idx,
                    Strength {
                        kind: MatchKind::Route,
                        key_distance: 0,
                    },
                    stored_route,
                );
            }
        }
        if let Some(path) = &context.path {
            self.url_patterns.for_each_match(path, |found| {
                for &idx in &found.snippets {
                    offer(
                        idx,
                        Strength {
                            kind: MatchKind::UrlPattern,
                            key_distance: 0,
                        },
                        &found.source,
                    );
                }
            });
        }
        for &idx in &self.site_wide {
            offer(
                idx,
                Strength {
                    kind: MatchKind::SiteWide,
                    key_distance: 0,
                },
                "",
            );
        }

        let mut ranked: Vec<(RankKey, Match<'a>)> = best
            .into_iter()
            .filter_map(|(idx, (strength, target))| {
                let position = idx as usize;
                let (role, locale_rank) = self.admits(position, context, &locales, now)?;
                let snippet = &self.snippets[position];
                let key = RankKey {
                    strength,
                    generic: role.is_none(),
                    locale_rank,
                    priority: std::cmp::Reverse(snippet.priority),
                    id: snippet.id,
                };
                let reason = Reason {
                    kind: strength.kind,
                    target: (strength.kind != MatchKind::SiteWide).then_some(target),
                    role,
                    locale: &snippet.locale,
                };
                Some((
                    key,
                    Match {
                        snippet,
                        position,
                        reason,
                    },
                ))
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
    strength: Strength,
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

    /// Adds a snippet, checking its targets. Snippets that must not be served are checked but
    /// not indexed.
    pub fn add(&mut self, snippet: Snippet) -> Result<&mut Self, Error> {
        let servable = match snippet.status {
            Status::Published => true,
            Status::Draft => self.include_drafts,
            Status::Archived => false,
        };
        if !servable {
            for target in &snippet.targets {
                target.validate()?;
            }
            return Ok(self);
        }
        let idx = SnippetIdx::try_from(self.index.snippets.len()).unwrap_or(SnippetIdx::MAX);
        let index = &mut self.index;
        // Compile (and so check) every pattern before touching any table.
        let mut pattern_ids = Vec::new();
        for target in &snippet.targets {
            match target {
                Target::UrlPattern(pattern) => pattern_ids.push(index.url_patterns.intern(pattern)?),
                Target::Key(_) | Target::Route(_) => target.validate()?,
            }
        }
        for target in &snippet.targets {
            match target {
                Target::Key(key) => match key.strip_suffix(".*") {
                    Some(prefix) => {
                        let entry = index.by_key_prefix.entry(prefix.to_owned());
                        entry.or_insert_with(|| (key.clone(), Vec::new())).1.push(idx);
                    }
                    None => index.by_key.entry(key.clone()).or_default().push(idx),
                },
                Target::Route(route) => index.by_route.entry(route.clone()).or_default().push(idx),
                Target::UrlPattern(_) => {}
            }
        }
        for pattern_id in pattern_ids {
            index.url_patterns.attach(pattern_id, idx);
        }
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
