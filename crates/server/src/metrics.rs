//! Prometheus metrics at `/metrics` (or on `--metrics-listen`), recorded with the `metrics`
//! crate and rendered by `metrics-exporter-prometheus`: requests by route template and status,
//! latency, answers served from the cache, index rebuilds, events, database errors and
//! connections. No label ever carries a raw path, a site key or anything about a worker.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets (seconds): help is answered in microseconds, admin writes in milliseconds.
const LATENCY_BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only this one's");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!("cuecard_http_requests_total", "Requests by route template, method and status");
    metrics::describe_histogram!("cuecard_http_request_duration_seconds", "Time to answer, by route template");
    metrics::describe_counter!(
        "cuecard_answers_total",
        "Help and hotspot answers, by whether they came from the cache"
    );
    metrics::describe_counter!("cuecard_index_rebuilds_total", "Site indexes rebuilt");
    metrics::describe_histogram!("cuecard_index_rebuild_seconds", "Time to rebuild one site's indexes");
    metrics::describe_counter!("cuecard_events_total", "Widget events, by outcome (accepted, refused, shed)");
    metrics::describe_gauge!("cuecard_events_queued", "Widget events waiting to be stored");
    metrics::describe_counter!("cuecard_event_writes_total", "Transactions that stored queued widget events");
    metrics::describe_counter!("cuecard_database_errors_total", "Database errors seen by the service");
    metrics::describe_counter!("cuecard_rate_limited_total", "Public requests refused by the rate limit");
    metrics::describe_gauge!("cuecard_connections_open", "Client connections open");
    metrics::describe_counter!("cuecard_connections_closed_total", "Connections the server closed, by reason");
}

/// Counts and times every request by its route template (`/admin/v1/sites/{site}/snippets/{id}`).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |matched| matched.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("cuecard_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("cuecard_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// `GET /metrics`: the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    description = "Prometheus metrics (text format 0.0.4). Absent here when `--metrics-listen` serves them elsewhere.",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
pub async fn render() -> Response {
    let body = handle().render();
    ([(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], body).into_response()
}
