//! The Cuecard service: the only crate that knows HTTP. Handlers extract, call the store or the
//! engine, and convert to `wire` types at the edge.

pub mod check;
pub mod config;
pub mod coverage;
pub mod http;
pub mod import;
pub mod indexes;
pub mod ingest;
pub mod metrics;
pub mod reports;
pub mod serve;
pub mod synthetic;

use indexes::{Indexes, RefreshError, SearchReadiness};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub indexes: Arc<Indexes>,
    /// Where help was wanted, counted since the last flush to the store.
    pub coverage: Arc<coverage::Coverage>,
    /// Closed days of the insights rollups, kept in memory for the reports.
    pub rollups: Arc<reports::rollups::Rollups>,
    /// Accepted events, queued and written in batches.
    pub ingest: Arc<ingest::Ingest>,
}

impl AppState {
    /// Loads every site's indexes, search included, before the first request is served.
    pub async fn load(store: Arc<dyn Store>) -> Result<AppState, RefreshError> {
        Self::load_with(store, SearchReadiness::Awaited).await
    }

    /// Loads what `/v1/help` needs and lets search indexes follow in the background, so a
    /// large site starts serving sooner (search answers 503 until its index is ready).
    pub async fn load_serving_first(store: Arc<dyn Store>) -> Result<AppState, RefreshError> {
        Self::load_with(store, SearchReadiness::InBackground).await
    }

    async fn load_with(store: Arc<dyn Store>, readiness: SearchReadiness) -> Result<AppState, RefreshError> {
        let indexes = Arc::new(Indexes::default());
        indexes.refresh(store.as_ref(), readiness).await?;
        let ingest = Arc::new(ingest::Ingest::start(store.clone(), ingest::Ingest::DEFAULT_CAPACITY));
        Ok(AppState { store, indexes, coverage: Arc::default(), rollups: Arc::default(), ingest })
    }

    /// Bounds the event queue at `capacity` events (`--events-queue`).
    pub fn with_events_queue(mut self, capacity: usize) -> AppState {
        self.ingest = Arc::new(ingest::Ingest::start(self.store.clone(), capacity));
        self
    }

    /// An admin write changed content: this instance serves it before the write is answered,
    /// so an author who checks at once sees her change (the swap is cheap; other instances
    /// follow as PostgreSQL announces the change, or within the refresh interval on SQLite).
    pub async fn content_changed(&self) {
        if let Err(error) = self.indexes.refresh(self.store.as_ref(), SearchReadiness::Awaited).await {
            tracing::error!(%error, "refreshing indexes after a write failed; the refresher will retry");
            self.indexes.content_changed();
        }
    }

    /// Writes the coverage counted so far to the store; on failure keeps it for the next try.
    pub async fn flush_coverage(&self) {
        let counts = self.coverage.take();
        if counts.is_empty() {
            return;
        }
        if let Err(error) = self.store.add_coverage(&counts).await {
            tracing::error!(%error, rows = counts.len(), "writing coverage counters failed; keeping them for the next try");
            self.coverage.restore(counts);
        } else {
            self.rollups.forget_open_days().await;
        }
    }

    /// Flushes coverage counters every `every`.
    pub fn spawn_coverage_flusher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                state.flush_coverage().await;
            }
        })
    }

    /// Deletes events older than `retention` now and every hour: free text (searches, comments)
    /// is not kept longer than the operator said.
    pub fn spawn_retention(&self, retention: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(3600));
            loop {
                ticker.tick().await;
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                let before = i64::try_from(now.saturating_sub(retention).as_secs()).unwrap_or(0);
                match store.delete_events_before(before).await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "deleted events past their retention"),
                    Err(error) => tracing::error!(%error, "deleting old events failed; trying again in an hour"),
                }
            }
        })
    }

    /// Picks up content written by other processes (other instances, `cuecard import` while
    /// serving): as the store announces each change where it can (PostgreSQL), else by looking
    /// every `every` (SQLite).
    pub fn spawn_refresher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        let announced = state.store.announces_changes();
        let listen = {
            let state = state.clone();
            async move {
                if !announced {
                    return;
                }
                loop {
                    if let Err(error) = state.store.wait_for_change().await {
                        tracing::error!(%error, "listening for content changes failed; listening again in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    state.indexes.content_changed();
                }
            }
        };
        let refresh = async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick(), if !announced => {}
                    () = state.indexes.wait_for_change() => {}
                }
                if let Err(error) = state.indexes.refresh(state.store.as_ref(), SearchReadiness::InBackground).await {
                    tracing::error!(%error, "refreshing indexes failed; serving the previous ones");
                }
            }
        };
        tokio::spawn(async move {
            tokio::join!(listen, refresh);
        })
    }
}

/// How often counted coverage is written to the store.
pub const COVERAGE_FLUSH_EVERY: Duration = Duration::from_secs(10);

/// What runs beside the server while it serves.
#[derive(Debug, Clone, Copy)]
pub struct Background {
    /// How often to look for content written by another process (SQLite; PostgreSQL announces
    /// each change).
    pub refresh_every: Duration,
    /// Events older than this are deleted (checked hourly).
    pub events_retention: Duration,
}

/// Serves `state` on `listener` until `shutdown` resolves, refreshing indexes and deleting old
/// events in the background; then drains connections as `policy` says.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    options: http::RouterOptions,
    policy: serve::ConnectionPolicy,
    background: Background,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = state.spawn_refresher(background.refresh_every);
    let retention = state.spawn_retention(background.events_retention);
    let flusher = state.spawn_coverage_flusher(COVERAGE_FLUSH_EVERY);
    let result = serve::serve(listener, http::router(state.clone(), options), policy, shutdown).await;
    refresher.abort();
    retention.abort();
    flusher.abort();
    // What the server holds goes to the store before the process exits.
    state.flush_coverage().await;
    result
}
