//! The compiled per-site matcher: a builder turns snippets into lookup tables once, and
//! `resolve` answers a context by looking up only what the context names, so its cost follows
//! the number of matches, not the number of snippets.

mod explain;
pub(crate) mod url_patterns;

use crate::{Error, Locale, Snippet, Status, Target, Timestamp};
use compact_str::CompactString;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use url_patterns::PatternSet;

pub use explain::{Explanation, Miss, NearMiss};
pub use url_patterns::{UrlPatternMatcher, canonical_path};

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

/// Snippets behind one key, route or prefix; inline for the usual handful.
type Hits = SmallVec<[SnippetIdx; 4]>;

/// What ranking needs of a snippet, packed densely so resolving a context in a site of a
/// million snippets touches one cache line per candidate, not five scattered allocations.
#[derive(Debug, Clone, Copy)]
struct Meta {
    id: i64,
    priority: i32,
    /// Into `SiteIndex::locales`.
    locale: u16,
    /// Translations share a group (their slug).
    group: u32,
    /// Bit `n` is role `n` of `SiteIndex::roles`; 0 with `every_role` means everyone.
    role_bits: u64,
    /// A role beyond the 64th: check names.
    many_roles: bool,
    /// The snippet has a validity window or a version range: check the snippet itself.
    conditional: bool,
}
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
    meta: Vec<Meta>,
    /// Interned locale tags and role names, in order of first use.
    locales: Vec<CompactString>,
    roles: Vec<CompactString>,
    groups: HashMap<CompactString, u32>,
    by_id: HashMap<i64, SnippetIdx>,
    by_key: HashMap<CompactString, Hits>,
    /// `invoice.*` is stored under `invoice`, with its source text for reasons.
    by_key_prefix: HashMap<CompactString, (CompactString, Hits)>,
    by_route: HashMap<CompactString, Hits>,
    url_patterns: PatternSet<SnippetIdx>,
    /// Route templates made of literal and `:name` segments, matched against the page's path
    /// when the app told no route: `/approvals/:id` helps on `/approvals/CLM-1042` without glue.
    route_paths: PatternSet<SnippetIdx>,
    site_wide: Vec<SnippetIdx>,
    /// Every `publish_at` and `expire_at`, sorted: when answers may change by time alone.
    changes: Vec<Timestamp>,
    /// Which keys, prefixes and routes have snippets. Small enough to stay in cache, it spares
    /// a large site two memory misses for each key a context names that has no help (ancestor
    /// keys mostly).
    present: Presence,
}

/// A Bloom filter over `(namespace, name)`: "certainly absent" or "maybe present".
struct Presence(fastbloom::BloomFilter<rustc_hash::FxBuildHasher>);

impl std::fmt::Debug for Presence {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Presence")
    }
}

impl Presence {
    fn new(expected: usize) -> Presence {
        let filter = fastbloom::BloomFilter::with_false_pos(0.01)
            .hasher(rustc_hash::FxBuildHasher)
            .expected_items(expected.max(1));
        Presence(filter)
    }

    fn insert(&mut self, namespace: u8, name: &str) {
        self.0.insert(&(namespace, name));
    }

    fn may_have(&self, namespace: u8, name: &str) -> bool {
        self.0.contains(&(namespace, name))
    }
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
                meta: Vec::new(),
                locales: Vec::new(),
                roles: Vec::new(),
                groups: HashMap::default(),
                by_id: HashMap::default(),
                by_key: HashMap::default(),
                by_key_prefix: HashMap::default(),
                by_route: HashMap::default(),
                url_patterns: PatternSet::default(),
                route_paths: PatternSet::default(),
                site_wide: Vec::new(),
                changes: Vec::new(),
                present: Presence::new(1),
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

    /// The first moment after `now` at which a snippet appears or expires, so an answer
    /// computed at `now` stays right until then.
    pub fn next_change_after(&self, now: Timestamp) -> Option<Timestamp> {
        let after = self.changes.partition_point(|change| *change <= now);
        self.changes.get(after).copied()
    }

    /// A snippet by id, if the index holds it.
    pub fn snippet(&self, id: i64) -> Option<&Snippet> {
        let idx = *self.by_id.get(&id)?;
        Some(&self.snippets[idx as usize])
    }

    /// The worker's locale chain and roles in the index's interned terms.
    fn audience<'c>(&self, context: &'c Context) -> Audience<'c> {
        let tags = Locale::fallbacks(context.locale.as_ref(), &self.settings.default_locale);
        let locales =
            tags.iter().map(|tag| self.locales.iter().position(|known| known == tag).map(|id| id as u16)).collect();
        let mut role_bits = 0u64;
        for role in &context.roles {
            if let Some(bit) = self.roles.iter().position(|known| known == role).filter(|bit| *bit < 64) {
                role_bits |= 1 << bit;
            }
        }
        Audience { locales, role_bits, roles: &context.roles, app_version: context.app_version.as_ref() }
    }

    /// Whether the snippet at `position` may be shown to this audience now: live, for one of
    /// their roles (or everyone), for their app version, in their locale chain. Returns whether
    /// a role made it apply, and its rank in the locale chain.
    fn admits(&self, meta: &Meta, position: usize, audience: &Audience<'_>, now: Timestamp) -> Option<(bool, usize)> {
        let locale_rank = audience.locales.iter().position(|locale| *locale == Some(meta.locale))?;
        let for_everyone = meta.role_bits == 0 && !meta.many_roles;
        let for_role = meta.role_bits & audience.role_bits != 0
            || (meta.many_roles && self.snippets[position].roles.iter().any(|role| audience.roles.contains(role)));
        if !for_everyone && !for_role {
            return None;
        }
        if meta.conditional {
            let snippet = &self.snippets[position];
            let version_fits =
                |versions: &semver::VersionReq| audience.app_version.is_some_and(|version| versions.matches(version));
            if !snippet.is_live(now) || snippet.app_versions.as_ref().is_some_and(|versions| !version_fits(versions)) {
                return None;
            }
        }
        Some((for_role, locale_rank))
    }

    /// [`SiteIndex::admits`] for callers outside resolution (search): the role that applies and
    /// the locale rank.
    pub(crate) fn admits_for<'a>(
        &'a self,
        position: usize,
        context: &Context,
        now: Timestamp,
    ) -> Option<(Option<&'a str>, usize)> {
        let audience = self.audience(context);
        let (for_role, locale_rank) = self.admits(&self.meta[position], position, &audience, now)?;
        Some((for_role.then(|| self.role_of(position, context)).flatten(), locale_rank))
    }

    /// The first of the snippet's roles that the worker has.
    fn role_of(&self, position: usize, context: &Context) -> Option<&str> {
        self.snippets[position].roles.iter().find(|role| context.roles.contains(role)).map(String::as_str)
    }

    /// The snippets for `context`, best first, one per slug, each with its reason.
    ///
    /// Ranking: match kind (field key, ancestor key by depth, route, URL pattern, site-wide),
    /// exact keys before `prefix.*` keys (longer prefixes first), then role-specific before
    /// generic, then position in the locale fallback chain, then priority (higher first), then
    /// id. Deterministic for a given index, context and `now`.
    pub fn resolve<'a>(&'a self, context: &Context, now: Timestamp) -> Vec<Match<'a>> {
        let audience = self.audience(context);
        let candidates = self.candidates(context);
        self.rank(candidates, context, |meta, position| self.admits(meta, position, &audience, now))
    }

    /// Every snippet one of whose targets fits the context (whoever the worker is), with its
    /// strongest match and that target.
    fn candidates<'a>(&'a self, context: &Context) -> HashMap<SnippetIdx, (Strength, &'a str)> {
        let mut best: HashMap<SnippetIdx, (Strength, &'a str)> = HashMap::default();
        let mut offer = |&position: &SnippetIdx, strength: Strength, target: &'a str| {
            let entry = best.entry(position).or_insert((strength, target));
            if strength < entry.0 {
                *entry = (strength, target);
            }
        };
        // Look everything up first, then rank: the lookups do not depend on each other, so
        // the processor overlaps their memory misses, which dominate in large sites.
        let mut found: SmallVec<[(Strength, &'a str, &'a Hits); 12]> = SmallVec::new();
        let mut prefixes_tried: SmallVec<[&str; 8]> = SmallVec::new();
        for (depth, key) in context.keys.iter().enumerate() {
            // A key repeated up the tree counts where it is nearest.
            if context.keys[..depth].contains(key) {
                continue;
            }
            let kind = match depth {
                0 => MatchKind::FieldKey,
                depth => MatchKind::AncestorKey(u8::try_from(depth).unwrap_or(u8::MAX)),
            };
            if self.present.may_have(KEY, key)
                && let Some((stored_key, hits)) = self.by_key.get_key_value(key.as_str())
            {
                found.push((Strength { kind, key_distance: 0 }, stored_key, hits));
            }
            if self.by_key_prefix.is_empty() {
                continue;
            }
            let cuts = key.match_indices('.').map(|(index, _)| index).rev();
            for (distance, cut) in cuts.enumerate() {
                // A prefix already tried for a nearer key matched there, more strongly.
                let prefix = &key[..cut];
                if prefixes_tried.contains(&prefix) {
                    continue;
                }
                prefixes_tried.push(prefix);
                if self.present.may_have(PREFIX, prefix)
                    && let Some((source, hits)) = self.by_key_prefix.get(prefix)
                {
                    let key_distance = u8::try_from(distance + 1).unwrap_or(u8::MAX);
                    found.push((Strength { kind, key_distance }, source, hits));
                }
            }
        }
        if let Some(route) = &context.route
            && self.present.may_have(ROUTE, route)
            && let Some((stored_route, hits)) = self.by_route.get_key_value(route.as_str())
        {
            found.push((Strength { kind: MatchKind::Route, key_distance: 0 }, stored_route, hits));
        }
        for (strength, target, hits) in found {
            for hit in hits {
                offer(hit, strength, target);
            }
        }
        // No route from the app: the route templates its path fits, as if the app had said so.
        if context.route.is_none()
            && let Some(path) = &context.path
        {
            self.route_paths.for_each_match(path, |found| {
                for hit in &found.snippets {
                    offer(hit, Strength { kind: MatchKind::Route, key_distance: 0 }, &found.source);
                }
            });
        }
        if let Some(path) = &context.path {
            self.url_patterns.for_each_match(path, |found| {
                for hit in &found.snippets {
                    offer(hit, Strength { kind: MatchKind::UrlPattern, key_distance: 0 }, &found.source);
                }
            });
        }
        for hit in &self.site_wide {
            offer(hit, Strength { kind: MatchKind::SiteWide, key_distance: 0 }, "");
        }

        best
    }

    /// The candidates `admit` lets through (with whether a role made them apply and their
    /// locale rank), ranked, one per slug, each with its reason.
    fn rank<'a>(
        &'a self,
        candidates: HashMap<SnippetIdx, (Strength, &'a str)>,
        context: &Context,
        admit: impl Fn(&Meta, usize) -> Option<(bool, usize)>,
    ) -> Vec<Match<'a>> {
        let mut ranked: Vec<(RankKey, usize, &'a str)> = Vec::with_capacity(candidates.len());
        ranked.extend(candidates.into_iter().filter_map(|(idx, (strength, target))| {
            let position = idx as usize;
            let meta = &self.meta[position];
            let (for_role, locale_rank) = admit(meta, position)?;
            let key = RankKey {
                strength,
                generic: !for_role,
                locale_rank,
                priority: std::cmp::Reverse(meta.priority),
                id: meta.id,
                group: meta.group,
            };
            Some((key, position, target))
        }));
        ranked.sort_unstable_by(|left, right| left.0.cmp(&right.0));

        // Translations share a group (their slug): keep the best-ranked one.
        let mut groups_seen = rustc_hash::FxHashSet::with_capacity_and_hasher(ranked.len(), Default::default());
        ranked
            .into_iter()
            .filter(|(key, _, _)| groups_seen.insert(key.group))
            .map(|(key, position, target)| {
                let snippet = &self.snippets[position];
                let reason = Reason {
                    kind: key.strength.kind,
                    target: (key.strength.kind != MatchKind::SiteWide).then_some(target),
                    role: if key.generic { None } else { self.role_of(position, context) },
                    locale: &snippet.locale,
                };
                Match { snippet, position, reason }
            })
            .collect()
    }

    /// Hotspots: for each help key in `context.keys` — here the keys present on the page, not a
    /// focus chain — the snippet a worker would see first on focusing an element with that key
    /// alone (its own key or a `prefix.*` of it, for the worker's roles, locale and version).
    /// Keys without such a snippet are left out. The reason's target is the page key, so the
    /// widget knows which elements to mark. Route, path and site-wide snippets never count.
    pub fn field_help<'a>(&'a self, context: &'a Context, now: Timestamp) -> Vec<Match<'a>> {
        let mut alone = Context { path: None, route: None, keys: Vec::new(), ..context.clone() };
        let mut found = Vec::new();
        for (index, key) in context.keys.iter().enumerate() {
            if context.keys[..index].contains(key) {
                continue;
            }
            alone.keys = vec![key.clone()];
            let best = self.resolve(&alone, now).into_iter().find(|found| found.reason.kind == MatchKind::FieldKey);
            if let Some(best) = best {
                found.push(Match { reason: Reason { target: Some(key.as_str()), ..best.reason }, ..best });
            }
        }
        found
    }
}

/// The worker, in the index's interned terms.
struct Audience<'c> {
    /// The locale chain; `None` for a tag no snippet has.
    locales: SmallVec<[Option<u16>; 4]>,
    role_bits: u64,
    roles: &'c [String],
    app_version: Option<&'c semver::Version>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RankKey {
    strength: Strength,
    generic: bool,
    locale_rank: usize,
    priority: std::cmp::Reverse<i32>,
    id: i64,
    /// Not a ranking criterion (ids are unique): carried along for deduplication.
    group: u32,
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
        let locale = intern(&mut index.locales, snippet.locale.as_str());
        let mut role_bits = 0u64;
        let mut many_roles = false;
        for role in &snippet.roles {
            match intern(&mut index.roles, role) {
                bit @ 0..64 => role_bits |= 1 << bit,
                _ => many_roles = true,
            }
        }
        let next_group = u32::try_from(index.groups.len()).unwrap_or(u32::MAX);
        let group = *index.groups.entry(snippet.slug.as_str().into()).or_insert(next_group);
        let meta = Meta {
            id: snippet.id,
            priority: snippet.priority,
            locale: u16::try_from(locale).unwrap_or(u16::MAX),
            group,
            role_bits,
            many_roles,
            conditional: snippet.publish_at.is_some() || snippet.expire_at.is_some() || snippet.app_versions.is_some(),
        };
        index.meta.push(meta);
        let hit = idx;
        for target in &snippet.targets {
            match target {
                Target::Key(key) => match key.strip_suffix(".*") {
                    Some(prefix) => {
                        let entry = index.by_key_prefix.entry(prefix.into());
                        entry.or_insert_with(|| (key.into(), Hits::new())).1.push(hit);
                    }
                    None => index.by_key.entry(key.into()).or_default().push(hit),
                },
                Target::Route(route) => {
                    index.by_route.entry(route.into()).or_default().push(hit);
                    if let Some(pattern_id) = index.route_paths.intern_segments(route) {
                        index.route_paths.attach(pattern_id, hit);
                    }
                }
                Target::UrlPattern(_) => {}
            }
        }
        for pattern_id in pattern_ids {
            index.url_patterns.attach(pattern_id, hit);
        }
        if snippet.targets.is_empty() {
            index.site_wide.push(hit);
        }
        index.changes.extend(snippet.publish_at.into_iter().chain(snippet.expire_at));
        index.by_id.insert(snippet.id, idx);
        index.snippets.push(snippet);
        Ok(self)
    }

    pub fn build(mut self) -> SiteIndex {
        let index = &mut self.index;
        index.changes.sort_unstable();
        index.changes.dedup();
        let names = index.by_key.len() + index.by_key_prefix.len() + index.by_route.len();
        let mut present = Presence::new(names);
        for key in index.by_key.keys() {
            present.insert(KEY, key);
        }
        for prefix in index.by_key_prefix.keys() {
            present.insert(PREFIX, prefix);
        }
        for route in index.by_route.keys() {
            present.insert(ROUTE, route);
        }
        index.present = present;
        self.index
    }
}

/// Namespaces of [`SiteIndex::present`].
const KEY: u8 = 0;
const PREFIX: u8 = 1;
const ROUTE: u8 = 2;

/// The position of `name` in `table`, appending it if new.
fn intern(table: &mut Vec<CompactString>, name: &str) -> usize {
    match table.iter().position(|known| known == name) {
        Some(position) => position,
        None => {
            table.push(name.into());
            table.len() - 1
        }
    }
}

#[cfg(test)]
mod tests;
