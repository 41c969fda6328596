//! "What shows here, and why not": the cards the widget would show for a context, and the
//! snippets that *almost* showed — one of their targets fits the context — with every reason
//! they did not. The author's preview asks this; the engine answers it with the same lookups and
//! the same ranking as [`SiteIndex::resolve`], so what it calls shown is what workers get.

use super::{Audience, Meta, Reason, SiteIndex, Strength};
use crate::{Context, Locale, Match, MatchKind, Snippet, Status, Timestamp};

/// Why a snippet whose target fits the context is not among the cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss<'a> {
    /// It is a draft: only published snippets are shown.
    Draft,
    /// It is for these roles, and the worker has none of them.
    Role { needs: &'a [String] },
    /// Its locale is not in the worker's fallback chain (`chain`, best first).
    Locale { chain: Vec<&'a str> },
    /// Its time window has not begun.
    NotYetPublished { publish_at: Timestamp },
    /// Its time window is over.
    Expired { expire_at: Timestamp },
    /// It is for host app versions in `range`; the worker's (`None`: not given) is not.
    AppVersion { range: &'a semver::VersionReq, version: Option<&'a semver::Version> },
    /// A translation of it (same slug) is shown instead: `shown` ranked first.
    Translation { shown: i64 },
}

/// A snippet that almost showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss<'a> {
    pub snippet: &'a Snippet,
    /// How its target fitted the context (the role is never set: it did not apply).
    pub reason: Reason<'a>,
    /// Every reason it is not shown; never empty.
    pub misses: Vec<Miss<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation<'a> {
    /// The cards, in the widget's order, each with its reason.
    pub shown: Vec<Match<'a>>,
    /// Snippets with a fitting target that are not shown, strongest match first.
    pub near_misses: Vec<NearMiss<'a>>,
}

impl SiteIndex {
    /// Explains `context` at `now`. Drafts count as near misses only if the index holds them
    /// ([`super::SiteIndexBuilder::include_drafts`]); they are never shown.
    pub fn explain<'a>(&'a self, context: &'a Context, now: Timestamp) -> Explanation<'a> {
        let audience = self.audience(context);
        let candidates = self.candidates(context);
        let shown = self.rank(candidates.clone(), context, |meta, position| {
            if self.snippets[position].status != Status::Published {
                return None;
            }
            self.admits(meta, position, &audience, now)
        });
        let shown_ids: Vec<i64> = shown.iter().map(|found| found.snippet.id).collect();
        let mut near_misses: Vec<(Strength, NearMiss<'a>)> = candidates
            .into_iter()
            .filter(|(idx, _)| !shown_ids.contains(&self.meta[*idx as usize].id))
            .map(|(idx, (strength, target))| {
                let position = idx as usize;
                let snippet = &self.snippets[position];
                let mut misses = self.misses(&self.meta[position], position, &audience, context, now);
                if misses.is_empty() {
                    // Admitted but not shown: only a better-ranked translation does that.
                    let group = self.meta[position].group;
                    let translation = shown.iter().find(|found| self.meta[found.position].group == group);
                    misses.push(Miss::Translation { shown: translation.map_or(0, |found| found.snippet.id) });
                }
                let reason = Reason {
                    kind: strength.kind,
                    target: (strength.kind != MatchKind::SiteWide).then_some(target),
                    role: None,
                    locale: &snippet.locale,
                };
                (strength, NearMiss { snippet, reason, misses })
            })
            .collect();
        near_misses.sort_by(|left, right| left.0.cmp(&right.0).then(left.1.snippet.id.cmp(&right.1.snippet.id)));
        Explanation { shown, near_misses: near_misses.into_iter().map(|(_, near)| near).collect() }
    }

    /// Each rule of [`SiteIndex::admits`] (and publication) the snippet fails, checked apart.
    fn misses<'a>(
        &'a self,
        meta: &Meta,
        position: usize,
        audience: &Audience<'a>,
        context: &'a Context,
        now: Timestamp,
    ) -> Vec<Miss<'a>> {
        let snippet = &self.snippets[position];
        let mut misses = Vec::new();
        if snippet.status != Status::Published {
            misses.push(Miss::Draft);
        }
        let for_everyone = meta.role_bits == 0 && !meta.many_roles;
        if !for_everyone && !snippet.roles.iter().any(|role| context.roles.contains(role)) {
            misses.push(Miss::Role { needs: &snippet.roles });
        }
        if !audience.locales.contains(&Some(meta.locale)) {
            let chain = Locale::fallbacks(context.locale.as_ref(), &self.settings.default_locale).into_vec();
            misses.push(Miss::Locale { chain });
        }
        if let Some(publish_at) = snippet.publish_at.filter(|start| *start > now) {
            misses.push(Miss::NotYetPublished { publish_at });
        }
        if let Some(expire_at) = snippet.expire_at.filter(|end| *end <= now) {
            misses.push(Miss::Expired { expire_at });
        }
        if let Some(range) = &snippet.app_versions {
            let version = context.app_version.as_ref();
            if !version.is_some_and(|version| range.matches(version)) {
                misses.push(Miss::AppVersion { range, version });
            }
        }
        misses
    }
}
