//! The Cuecard service: the only crate that knows HTTP. Handlers extract, call the store or the
//! engine, and convert to `wire` types at the edge.

pub mod config;
pub mod http;
pub mod import;
pub mod indexes;

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
        Ok(AppState { store, indexes })
    }

    /// Picks up content written by other processes (`cuecard import` while serving).
    pub fn spawn_refresher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    () = state.indexes.wait_for_change() => {}
                }
                if let Err(error) = state.indexes.refresh(state.store.as_ref(), SearchReadiness::InBackground).await {
                    tracing::error!(%error, "refreshing indexes failed; serving the previous ones");
                }
            }
        })
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, refreshing indexes in the background.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    options: http::RouterOptions,
    refresh_every: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = state.spawn_refresher(refresh_every);
    // Peer addresses are kept for rate limits per client.
    let service = http::router(state, options).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    refresher.abort();
    result
}
