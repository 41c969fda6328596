//! Coverage counters: which places (route templates or URL patterns) and help keys workers'
//! pages asked about, per site and day, and how often specific help existed for them. Counted
//! in memory on the request path — a few hash-map increments under a lock held for
//! nanoseconds, with the sightings of an answer prepared once and cached with it — and written
//! to the store in batches by a background task, and once more when the server stops.
//!
//! Nothing about the worker is counted: no path (only the template that matched it), no query
//! string, no address.

use engine::{Context, Match, MatchKind};
use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex};

/// One thing an answer says about where help was wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The route template, or the URL pattern that matched the path; empty for neither.
    pub place: Arc<str>,
    /// The help key asked about; empty for the page as a whole.
    pub help_key: Arc<str>,
    /// The host app's version; empty when the page gave none.
    pub app_version: Arc<str>,
    /// Whether a snippet for this key (or, for the page, this place) existed.
    pub helped: bool,
}

/// The place a context is at, as a template: its route, else the URL pattern its path matched
/// (from `matches`, a resolution of the context), else nothing.
fn place(context: &Context, matches: &[Match<'_>]) -> Arc<str> {
    if let Some(route) = &context.route {
        return route.as_str().into();
    }
    matches
        .iter()
        .find(|found| found.reason.kind == MatchKind::UrlPattern)
        .and_then(|found| found.reason.target)
        .unwrap_or_default()
        .into()
}

fn app_version(context: &Context) -> Arc<str> {
    context.app_version.as_ref().map_or_else(|| "".into(), |version| version.to_string().into())
}

/// What a `/v1/help` answer says: the focused key (or the page) and whether specific help existed.
pub fn help_sightings(context: &Context, matches: &[Match<'_>]) -> Arc<[Sighting]> {
    let place = place(context, matches);
    let (help_key, helped) = match context.keys.first() {
        Some(key) => (
            key.as_str().into(),
            matches.iter().any(|found| matches!(found.reason.kind, MatchKind::FieldKey | MatchKind::AncestorKey(_))),
        ),
        None => (
            "".into(),
            matches.iter().any(|found| matches!(found.reason.kind, MatchKind::Route | MatchKind::UrlPattern)),
        ),
    };
    Arc::from([Sighting { place, help_key, app_version: app_version(context), helped }])
}

/// What a `/v1/hotspots` answer says: every key on the page, and which of them have help.
/// `page_matches` resolves the page without keys, for the place.
pub fn hotspot_sightings(context: &Context, page_matches: &[Match<'_>], found: &[Match<'_>]) -> Arc<[Sighting]> {
    let place = place(context, page_matches);
    let version = app_version(context);
    let mut sightings: Vec<Sighting> = Vec::with_capacity(context.keys.len());
    for key in &context.keys {
        if sightings.iter().any(|sighting| *sighting.help_key == **key) {
            continue;
        }
        let helped = found.iter().any(|found| found.reason.target == Some(key.as_str()));
        sightings.push(Sighting {
            place: place.clone(),
            help_key: key.as_str().into(),
            app_version: version.clone(),
            helped,
        });
    }
    sightings.into()
}

/// An answer's sightings on a day, by the address of the answer's (shared, immutable)
/// sightings: counting a request hashes three integers and bumps a number, whatever the
/// strings. The `Arc` is kept with the count, so the address stays its own until the flush.
type Key = (usize, i64, i64);
/// A sighting's place, key and app version on a site and day.
type Place = (i64, i64, Arc<str>, Arc<str>, Arc<str>);
type Counted = (Arc<[Sighting]>, u64);

/// Counts since the last flush.
#[derive(Debug, Default)]
pub struct Coverage {
    counts: Mutex<HashMap<Key, Counted>>,
    /// Set to stop counting (`--coverage-counters false`).
    off: std::sync::atomic::AtomicBool,
}

impl Coverage {
    /// Turns counting on or off.
    pub fn set_enabled(&self, enabled: bool) {
        self.off.store(!enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts one answer's sightings for `site_id` on the day of `now` (unix seconds).
    pub fn record(&self, site_id: i64, now: engine::Timestamp, sightings: &Arc<[Sighting]>) {
        if self.off.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let key = (Arc::as_ptr(sightings).cast::<()>() as usize, site_id, now.div_euclid(86_400));
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match counts.get_mut(&key) {
            Some((_, count)) => *count += 1,
            None => {
                counts.insert(key, (sightings.clone(), 1));
            }
        }
    }

    /// Everything counted so far, summed per site, day, place and key, and a fresh start.
    pub fn take(&self) -> Vec<store::CoverageCount> {
        let counts = std::mem::take(&mut *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut summed: HashMap<Place, (u64, u64)> = HashMap::default();
        for ((_, site_id, day), (sightings, count)) in counts {
            for sighting in sightings.iter() {
                let place =
                    (site_id, day, sighting.place.clone(), sighting.help_key.clone(), sighting.app_version.clone());
                let entry = summed.entry(place).or_default();
                entry.0 += count;
                entry.1 += if sighting.helped { count } else { 0 };
            }
        }
        summed
            .into_iter()
            .map(|((site_id, day, place, help_key, app_version), (seen, helped))| store::CoverageCount {
                site_id,
                day,
                place: place.to_string(),
                help_key: help_key.to_string(),
                app_version: app_version.to_string(),
                seen,
                helped,
            })
            .collect()
    }

    /// Puts counts back after a failed write, so they are not lost: each as an answer of its
    /// own (one sighting, seen `seen` times, `helped` of them with help).
    pub fn restore(&self, counts: Vec<store::CoverageCount>) {
        let mut current = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for count in counts {
            let place: Arc<str> = count.place.into();
            let help_key: Arc<str> = count.help_key.into();
            let app_version: Arc<str> = count.app_version.into();
            let mut put = |helped: bool, times: u64| {
                if times == 0 {
                    return;
                }
                let sightings: Arc<[Sighting]> = Arc::from([Sighting {
                    place: place.clone(),
                    help_key: help_key.clone(),
                    app_version: app_version.clone(),
                    helped,
                }]);
                let key = (Arc::as_ptr(&sightings).cast::<()>() as usize, count.site_id, count.day);
                current.insert(key, (sightings, times));
            };
            put(true, count.helped);
            put(false, count.seen.saturating_sub(count.helped));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_summed_per_place_and_key_and_survive_a_failed_write() {
        let coverage = Coverage::default();
        let sighting = |key: &str, helped| Sighting {
            place: "/claims/new".into(),
            help_key: key.into(),
            app_version: "2.4.0".into(),
            helped,
        };
        let answer: Arc<[Sighting]> = Arc::from([sighting("claim.tax", true), sighting("claim.notes", false)]);
        let other: Arc<[Sighting]> = Arc::from([sighting("claim.tax", false)]);
        for _ in 0..3 {
            coverage.record(1, 86_400 * 5, &answer);
        }
        coverage.record(1, 86_400 * 5, &other);
        let mut taken = coverage.take();
        taken.sort();
        let summary: Vec<(&str, u64, u64)> =
            taken.iter().map(|count| (count.help_key.as_str(), count.seen, count.helped)).collect();
        assert_eq!(summary, [("claim.notes", 3, 0), ("claim.tax", 4, 3)]);
        assert!(coverage.take().is_empty());
        coverage.restore(taken.clone());
        let mut again = coverage.take();
        again.sort();
        assert_eq!(again, taken);
        coverage.set_enabled(false);
        coverage.record(1, 0, &answer);
        assert!(coverage.take().is_empty(), "nothing is counted when off");
    }
}
