//! Compiled per-site indexes, rebuilt off the request path and swapped in atomically.
//!
//! Requests clone an `Arc` under a read lock held for nanoseconds; a rebuild compiles the new
//! index on a blocking thread and only then takes the write lock to swap it in.

use engine::{SearchIndex, SiteIndex, SiteSettings};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::{Site, Store};

/// A site's settings and its compiled indexes, as one immutable unit.
#[derive(Debug)]
pub struct SiteEntry {
    pub site: Site,
    /// Published snippets only: what workers see.
    pub index: SiteIndex,
    /// Empty only while a site's first search index is being built.
    pub search: std::sync::OnceLock<SearchIndex>,
    /// Each snippet's card as JSON up to its reason (`{"id":…,"moment":"apply","reason":`), by
    /// position in the index: answers are assembled from these, not serialized per request.
    pub card_prefixes: Vec<Box<str>>,
    /// Finished `/v1/help` answers by query string. Dropped with the entry when content
    /// changes, so a cached answer is never staler than the index it came from.
    pub answers: quick_cache::sync::Cache<Box<str>, Answer>,
}

/// A finished answer and how long it stays right.
#[derive(Debug, Clone)]
pub struct Answer {
    pub etag: axum::http::HeaderValue,
    pub body: bytes::Bytes,
    /// The body gzip-compressed once, when the answer was made, for clients that accept it
    /// (every browser); `None` when compressing would not make it smaller.
    pub gzip: Option<bytes::Bytes>,
    /// A snippet appears or expires at this time (unix seconds); recompute from then on.
    pub valid_until: Option<engine::Timestamp>,
    /// Where help was wanted, as this answer says: counted each time it is served.
    pub sightings: Arc<[crate::coverage::Sighting]>,
}

/// Distinct contexts whose answers a site keeps (screens × fields × roles × locales).
pub const CACHED_ANSWERS_PER_SITE: usize = 4096;

impl SiteEntry {
    /// Whether a browser page at `origin` may call the public API for this site.
    pub fn allows_origin(&self, origin: &[u8]) -> bool {
        self.site.origins.iter().any(|allowed| allowed.as_bytes() == origin)
    }
}

#[derive(Debug, Default)]
pub struct Indexes {
    by_key: RwLock<HashMap<String, Arc<SiteEntry>>>,
    /// Wakes the refresher at once when this process changed content (the admin API).
    changed: tokio::sync::Notify,
    /// One refresh at a time: an admin write's and the background refresher's never interleave.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("site `{site}` has content the engine refuses: {error}")]
    Engine { site: String, error: engine::Error },
    #[error("index build was cancelled: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl Indexes {
    /// Content changed: rebuild what changed now rather than at the next periodic look.
    pub fn content_changed(&self) {
        self.changed.notify_one();
    }

    /// Resolves at the next [`Indexes::content_changed`] (or at once if one is pending).
    pub async fn wait_for_change(&self) {
        self.changed.notified().await;
    }

    pub fn get(&self, public_key: &str) -> Option<Arc<SiteEntry>> {
        let by_key = self.by_key.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_key.get(public_key).cloned()
    }

    /// Rebuilds the indexes of sites whose content changed since they were built, and drops
    /// sites that no longer exist. Returns how many were rebuilt.
    ///
    /// A site already serving keeps its old entry, search included, until the new one is
    /// complete. A site seen for the first time serves `/v1/help` at once; with
    /// [`SearchReadiness::InBackground`] its search index follows on a blocking thread.
    pub async fn refresh(&self, store: &dyn Store, readiness: SearchReadiness) -> Result<usize, RefreshError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let sites = store.sites().await?;
        let mut rebuilt = 0;
        for site in &sites {
            let current = self.get(&site.public_key);
            if current.as_ref().is_some_and(|entry| entry.site == *site) {
                continue;
            }
            let started = std::time::Instant::now();
            let snippets = store.servable_snippets(site.id).await?;
            let loaded = started.elapsed();
            let site_for_build = site.clone();
            let entry = Arc::new(tokio::task::spawn_blocking(move || build_entry(site_for_build, snippets)).await??);
            let first_time = current.is_none();
            let entry = if first_time && readiness == SearchReadiness::InBackground {
                let entry_for_search = entry.clone();
                tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    let key = entry_for_search.site.public_key.clone();
                    let searchable = SearchIndex::build(&entry_for_search.index)
                        .map(|search| entry_for_search.search.set(search).is_ok());
                    match searchable {
                        Ok(_) => tracing::info!(site = %key, elapsed = ?started.elapsed(), "search index built"),
                        Err(error) => tracing::error!(site = %key, %error, "search index failed; search unavailable"),
                    }
                });
                entry
            } else {
                tokio::task::spawn_blocking(move || {
                    let search = SearchIndex::build(&entry.index)
                        .map_err(|error| RefreshError::Engine { site: entry.site.public_key.clone(), error })?;
                    let _ = entry.search.set(search);
                    Ok::<_, RefreshError>(entry)
                })
                .await??
            };
            metrics::counter!("cuecard_index_rebuilds_total").increment(1);
            metrics::histogram!("cuecard_index_rebuild_seconds").record(started.elapsed().as_secs_f64());
            tracing::info!(
                site = %site.public_key,
                snippets = entry.index.len(),
                version = site.content_version,
                ?loaded,
                elapsed = ?started.elapsed(),
                "index built"
            );
            let mut by_key = self.by_key.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            by_key.insert(site.public_key.clone(), entry);
            rebuilt += 1;
        }
        let mut by_key = self.by_key.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_key.retain(|key, _| sites.iter().any(|site| site.public_key == *key));
        Ok(rebuilt)
    }
}

/// Whether a site's first search index is awaited or built while `/v1/help` already serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReadiness {
    Awaited,
    InBackground,
}

/// Compiles a site's resolution index and prepared cards; search comes separately.
fn build_entry(site: Site, snippets: Vec<engine::Snippet>) -> Result<SiteEntry, RefreshError> {
    let mut builder = SiteIndex::builder(SiteSettings { default_locale: site.default_locale.clone() });
    for snippet in snippets {
        builder.add(snippet).map_err(|error| RefreshError::Engine { site: site.public_key.clone(), error })?;
    }
    let index = builder.build();
    let card_prefixes = index.snippets().iter().map(crate::http::convert::card_prefix).collect();
    Ok(SiteEntry {
        site,
        index,
        search: std::sync::OnceLock::new(),
        card_prefixes,
        answers: quick_cache::sync::Cache::new(CACHED_ANSWERS_PER_SITE),
    })
}
