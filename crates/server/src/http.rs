//! The route table, and the layers every request goes through.

mod assets;
pub mod convert;
mod error;
mod health;
mod help;
mod search;

pub use error::ApiError;

use crate::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted on any route.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct RouterOptions {
    pub widget_dir: PathBuf,
    pub request_timeout: Duration,
}

pub fn router(state: AppState, options: RouterOptions) -> Router {
    let public_api = Router::new()
        .route("/v1/help", get(help::resolve))
        .route("/v1/search", get(search::query))
        .layer(cors_for_site_origins(&state));
    Router::new()
        .merge(public_api)
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .nest_service("/widget", assets::service(&options.widget_dir))
        .fallback(error::not_found)
        .with_state(state)
        // Innermost first: each layer wraps the ones above it.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(error::json_error_bodies))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// CORS for the public API: a browser origin is allowed only for the site named in `?site=`.
fn cors_for_site_origins(state: &AppState) -> CorsLayer {
    let indexes = state.indexes.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, parts: &Parts| {
            site_key(parts.uri.query())
                .and_then(|key| indexes.get(&key))
                .is_some_and(|entry| entry.allows_origin(origin.as_bytes()))
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE, IF_NONE_MATCH])
        .expose_headers([ETAG])
        .max_age(Duration::from_secs(3600))
}

fn site_key(query: Option<&str>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct SiteOnly {
        site: Option<String>,
    }
    axum::extract::Query::<SiteOnly>::try_from_uri(&format!("/?{}", query?).parse().ok()?)
        .ok()?
        .0
        .site
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Query-string extractor whose rejections are JSON `ApiError`s.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|query| Query(query.0))
            .map_err(|rejection| ApiError::InvalidQuery(rejection.body_text()))
    }
}

/// A JSON answer with a strong ETag derived from `etag`; 304 (and no body built) when the
/// client already has it.
pub fn respond_json(
    etag: u64,
    request_headers: &HeaderMap,
    cache_control: &'static str,
    body: impl FnOnce() -> Vec<u8>,
) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{etag:016x}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cached = request_headers
        .get(IF_NONE_MATCH)
        .is_some_and(|candidates| etag_matches(candidates.as_bytes(), etag.as_bytes()));
    let headers = [(ETAG, etag), (CACHE_CONTROL, HeaderValue::from_static(cache_control))];
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body(),
    )
        .into_response()
}

fn etag_matches(candidates: &[u8], etag: &[u8]) -> bool {
    candidates.split(|byte| *byte == b',').any(|candidate| {
        let candidate = candidate.trim_ascii();
        candidate == b"*" || candidate.strip_prefix(b"W/").unwrap_or(candidate) == etag
    })
}
