//! What a write works out before it reaches the database, the same on both backends: which
//! snippets an import creates or rewrites, what a site update changes, which stored HTML a new
//! render policy changes, the rollups a batch of events adds to, and what coverage counters say
//! about fields, app versions and snippets. Each backend only says it in its own SQL.

use crate::*;
use engine::Locale;
use engine::render::Renderer;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Every draft valid, and each `(slug, locale)` once.
pub(crate) fn validate_import(drafts: &[SnippetDraft]) -> Result<()> {
    let mut seen = HashSet::new();
    for draft in drafts {
        draft.validate()?;
        if !seen.insert((draft.slug.as_str(), draft.locale.as_str())) {
            return Err(Error::Invalid(format!(
                "snippet `{}` ({}) appears twice in one import",
                draft.slug, draft.locale
            )));
        }
    }
    Ok(())
}

/// One write an import makes.
pub(crate) enum ImportWrite {
    Insert(SnippetDraft),
    /// New content over snippet `id`, which is at `version`.
    Rewrite {
        id: i64,
        version: i64,
        draft: SnippetDraft,
    },
}

/// What importing `drafts` over the site's `existing` snippets (with the version the last import
/// wrote) does: unchanged ones are counted, ones edited through the API since the last import
/// are conflicts unless `force`d.
pub(crate) fn plan_import(
    existing: Vec<(StoredSnippet, Option<i64>)>,
    drafts: Vec<SnippetDraft>,
    force: bool,
) -> (ImportReport, Vec<ImportWrite>) {
    let mut existing: HashMap<(String, Locale), (StoredSnippet, Option<i64>)> = existing
        .into_iter()
        .map(|(stored, imported)| ((stored.draft.slug.clone(), stored.draft.locale.clone()), (stored, imported)))
        .collect();
    let mut report = ImportReport::default();
    let mut writes = Vec::new();
    for draft in drafts {
        let label = format!("{} ({})", draft.slug, draft.locale);
        match existing.remove(&(draft.slug.clone(), draft.locale.clone())) {
            Some((stored, _)) if stored.draft == draft => report.unchanged += 1,
            Some((stored, imported_version)) => {
                let edited_since_import = imported_version != Some(stored.version);
                if edited_since_import && !force {
                    report.conflicts.push(label);
                    continue;
                }
                writes.push(ImportWrite::Rewrite { id: stored.id, version: stored.version, draft });
                report.updated.push(label);
            }
            None => {
                writes.push(ImportWrite::Insert(draft));
                report.created.push(label);
            }
        }
    }
    (report, writes)
}

/// A site's settings after an update.
pub(crate) struct SiteUpdate {
    pub(crate) name: String,
    pub(crate) origins: Vec<String>,
    pub(crate) default_locale: Locale,
    /// The locales besides the default.
    pub(crate) others: Vec<Locale>,
    pub(crate) widget_settings: String,
}

/// What `changes` make of `current` (checked), or `None` when they change nothing.
pub(crate) fn site_update(current: &Site, changes: &SiteChanges) -> Result<Option<SiteUpdate>> {
    changes.validate(current)?;
    let default_locale = changes.default_locale.clone().unwrap_or_else(|| current.default_locale.clone());
    let others: Vec<Locale> = changes
        .locales
        .as_ref()
        .unwrap_or(&current.locales)
        .iter()
        .filter(|locale| **locale != default_locale)
        .cloned()
        .collect();
    let update = SiteUpdate {
        name: changes.name.clone().unwrap_or_else(|| current.name.clone()),
        origins: changes.origins.clone().unwrap_or_else(|| current.origins.clone()),
        widget_settings: changes.widget_settings.clone().unwrap_or_else(|| current.widget_settings.clone()),
        others,
        default_locale,
    };
    let unchanged = update.name == current.name
        && update.origins == current.origins
        && update.default_locale == current.default_locale
        && crate::site_locales(&update.default_locale, &update.others) == current.locales
        && update.widget_settings == current.widget_settings;
    Ok((!unchanged).then_some(update))
}

/// The locales of a site spec besides its default.
pub(crate) fn other_locales(spec: &SiteSpec) -> Vec<Locale> {
    spec.locales.iter().filter(|locale| **locale != spec.default_locale).cloned().collect()
}

/// The render-policy step: of the stored snippets `(id, markdown, html)`, those whose HTML the
/// `renderer` now renders differently, with their new HTML.
pub(crate) fn rerendered(renderer: &Renderer, stored: Vec<(i64, String, String)>) -> Vec<(i64, String)> {
    stored
        .into_iter()
        .filter_map(|(id, markdown, html)| {
            let rendered = renderer.render(&markdown);
            (rendered != html).then_some((id, rendered))
        })
        .collect()
}

/// One row of `event_days`: site, day, kind, place, help key, roles, locale, app version,
/// snippet (or -1), via, helpful and specific (-1 for none, else 0 or 1).
pub(crate) type DayRow = (i64, i64, String, String, String, String, String, String, i64, String, i64, i64);

/// What batches of events add to the daily rollups, summed first (one upsert per row) and in
/// key order, so concurrent writers upsert rows in the same order and never deadlock.
#[derive(Default)]
pub(crate) struct Rollups {
    pub(crate) days: BTreeMap<DayRow, i64>,
    /// (site, day, normalized words) → searches, searches that found nothing, views from results.
    pub(crate) searches: BTreeMap<(i64, i64, String), (i64, i64, i64)>,
}

impl Rollups {
    pub(crate) fn of(batches: &[EventBatch]) -> Rollups {
        let flag = |value: Option<bool>| value.map_or(-1, i64::from);
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut rollups = Rollups::default();
        for batch in batches {
            let day = batch.at.div_euclid(86_400);
            for event in &batch.events {
                let key = (
                    batch.site_id,
                    day,
                    event.kind.clone(),
                    text(&event.route),
                    text(&event.help_key),
                    text(&event.roles),
                    text(&event.locale),
                    text(&event.app_version),
                    event.snippet_id.unwrap_or(-1),
                    text(&event.via),
                    flag(event.helpful),
                    flag(event.specific),
                );
                *rollups.days.entry(key).or_default() += 1;
                let search = match (event.kind.as_str(), event.query.as_deref()) {
                    ("search", Some(query)) => Some((query, 1, i64::from(event.results == Some(0)), 0)),
                    ("snippet_view", Some(query)) if event.via.as_deref() == Some("search") => Some((query, 0, 0, 1)),
                    _ => None,
                };
                if let Some((query, searches, empty, viewed)) = search {
                    let key = (batch.site_id, day, crate::normalize_query(query));
                    let entry = rollups.searches.entry(key).or_default();
                    entry.0 += searches;
                    entry.1 += empty;
                    entry.2 += viewed;
                }
            }
        }
        rollups
    }
}

/// A counter as the database stores it.
pub(crate) fn stored_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Coverage counts summed by (site, day, place, key, app version) → (seen, helped), in key
/// order: one upsert per row, rows locked in the same order by every writer.
pub(crate) type CoverageKey = (i64, i64, String, String, String);

pub(crate) fn coverage_rows(counts: &[&CoverageCount]) -> Vec<(CoverageKey, (i64, i64))> {
    let mut rows: BTreeMap<CoverageKey, (i64, i64)> = BTreeMap::new();
    for count in counts {
        let key = (count.site_id, count.day, count.place.clone(), count.help_key.clone(), count.app_version.clone());
        let row = rows.entry(key).or_default();
        row.0 = row.0.saturating_add(stored_count(count.seen));
        row.1 = row.1.saturating_add(stored_count(count.helped));
    }
    rows.into_iter().collect()
}

/// (site, place, help key, app version) of a sighting.
pub(crate) type SightingKey = (i64, String, String, String);

/// The sightings coverage counts add to: each field, and each field's page as a whole (key ''),
/// as (first day, last day, seen), in key order.
pub(crate) fn sighting_rows(counts: &[&CoverageCount]) -> Vec<(SightingKey, (i64, i64, i64))> {
    let mut rows: BTreeMap<SightingKey, (i64, i64, i64)> = BTreeMap::new();
    let pages = counts.iter().filter(|count| !count.help_key.is_empty()).map(|count| (*count, ""));
    for (count, help_key) in counts.iter().map(|count| (*count, count.help_key.as_str())).chain(pages) {
        let key = (count.site_id, count.place.clone(), help_key.to_owned(), count.app_version.clone());
        let row = rows.entry(key).or_insert((count.day, count.day, 0));
        *row = (row.0.min(count.day), row.1.max(count.day), row.2.saturating_add(stored_count(count.seen)));
    }
    rows.into_iter().collect()
}

/// Per site and host app version in `counts`: the first and last day seen, in key order.
pub(crate) fn app_versions_seen(counts: &[&CoverageCount]) -> Vec<((i64, String), (i64, i64))> {
    let mut versions: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
    for count in counts.iter().filter(|count| !count.app_version.is_empty()) {
        let days = versions.entry((count.site_id, count.app_version.clone())).or_insert((count.day, count.day));
        *days = (days.0.min(count.day), days.1.max(count.day));
    }
    versions.into_iter().collect()
}

/// The target values these sightings (place, help key) may show: the key, each key pattern
/// above it (`a.*`, `a.b.*` for `a.b.c`) and the place.
pub(crate) fn concerned_values(sightings: &[(&str, &str)]) -> Vec<String> {
    let mut values: BTreeSet<String> = BTreeSet::new();
    for (place, help_key) in sightings {
        if !place.is_empty() {
            values.insert((*place).to_owned());
        }
        if !help_key.is_empty() {
            values.insert((*help_key).to_owned());
            for (position, _) in help_key.match_indices('.') {
                values.insert(format!("{}.*", &help_key[..position]));
            }
        }
    }
    values.into_iter().collect()
}

/// From the sightings of a snippet's targets `(app version, last day)`: the last day any was
/// seen, and the newest app version (by semver) that showed one.
pub(crate) fn last_seen(seen: &[(String, Option<i64>)]) -> (Option<i64>, Option<String>) {
    let last_day = seen.iter().filter_map(|(_, day)| *day).max();
    let newest = seen
        .iter()
        .filter_map(|(version, _)| semver::Version::parse(version).ok())
        .max()
        .map(|version| version.to_string());
    (last_day, newest)
}

/// A session ends with the key that started it when that key is rotated out sooner.
pub(crate) fn session_expiry(key: &ApiKey, expires_at: i64) -> i64 {
    key.expires_at.map_or(expires_at, |key_expiry| key_expiry.min(expires_at))
}

/// Why a site's last owner key without an expiry cannot be revoked.
pub(crate) fn last_owner_key(key_id: i64) -> Error {
    Error::Conflict(format!(
        "key {key_id} is the site's last owner key that does not expire; create another owner key first (or, \
         locked out, run `cuecard keys create --role owner` on the server)"
    ))
}

/// Whether authenticating now should record the key's use (at most once a minute, so
/// authenticating is not a write per request).
pub(crate) fn records_use(key: &ApiKey, at: i64) -> bool {
    key.last_used_at.is_none_or(|last| at - last >= 60)
}
