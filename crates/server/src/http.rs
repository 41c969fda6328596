//! The route table, and the layers every request goes through.

mod assets;
pub mod convert;
mod cors;
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
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;
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
        .route("/v1/help", get(help::resolve).options(cors::preflight))
        .route("/v1/search", get(search::query).options(cors::preflight));
    Router::new()
        .merge(public_api)
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .nest_service("/widget", assets::service(&options.widget_dir))
        .fallback(error::not_found)
        .with_state(state)
        // Innermost first: each layer wraps the ones above it.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, options.request_timeout))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(error::json_error_bodies))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Query-string extractor whose rejections are JSON `ApiError`s.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(Query)
            .map_err(|error| ApiError::InvalidQuery(error.to_string()))
    }
}

/// A JSON answer with a strong ETag derived from `etag`; 304 when the client already has it.
pub fn respond_json(
    etag: HeaderValue,
    request_headers: &HeaderMap,
    cache_control: &'static str,
    body: bytes::Bytes,
) -> Response {
    let cached = request_headers
        .get(IF_NONE_MATCH)
        .is_some_and(|candidates| etag_matches(candidates.as_bytes(), etag.as_bytes()));
    let headers = [(ETAG, etag), (CACHE_CONTROL, HeaderValue::from_static(cache_control))];
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// A strong ETag from a 64-bit hash.
pub fn etag(hash: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hash:016x}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn etag_matches(candidates: &[u8], etag: &[u8]) -> bool {
    candidates.split(|byte| *byte == b',').any(|candidate| {
        let candidate = candidate.trim_ascii();
        candidate == b"*" || candidate.strip_prefix(b"W/").unwrap_or(candidate) == etag
    })
}
