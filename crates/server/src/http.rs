//! The route table, and the layers every request goes through.

mod assets;
mod auth;
pub mod caching;
mod console;
pub mod convert;
mod cors;
mod error;
mod events;
mod events_export;
mod health;
mod help;
mod keys;
pub mod limits;
pub mod openapi;
mod preview;
mod public;
mod reports;
mod revisions;
mod search;
mod session;
mod sites;
mod snippets;
mod widget_config;

pub use error::{ApiError, ERROR_CODES};
pub use help::unix_now;
pub use session::SessionLength;

use crate::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::X_CONTENT_TYPE_OPTIONS;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted on any route.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// Longest URL (path and query) accepted: 414 beyond it.
pub const URI_LIMIT_BYTES: usize = 48 * 1024;
/// Largest total of request header names and values accepted: 431 beyond it. (Heads larger
/// than [`crate::serve::HEAD_BUFFER_BYTES`] are refused by the HTTP parser before this.)
pub const HEADERS_LIMIT_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct RouterOptions {
    pub widget_dir: PathBuf,
    /// The built console (`index.html` and its hashed files), served under `/console/`.
    pub console_dir: PathBuf,
    /// How long a console session lasts.
    pub session_length: Duration,
    pub request_timeout: Duration,
    /// Limits on the public API per site and client; `None` for none.
    pub public_limits: Option<limits::PublicLimits>,
    /// Serve `/metrics` here (not when it has its own address, `--metrics-listen`).
    pub metrics: bool,
}

pub fn router(state: AppState, options: RouterOptions) -> Router {
    crate::metrics::handle(); // installs the recorder before the first request counts
    let public_limits = options.public_limits.clone();
    let public_state = state.clone();
    // The public layer (site, origin, preflights, CORS) wraps the rate limit, so a 429 is
    // readable by the site's pages too.
    let public_api = Router::new()
        .route("/v1/help", get(help::resolve))
        .route("/v1/hotspots", get(help::hotspots))
        .route("/v1/boot", get(help::boot))
        .route("/v1/search", get(search::query))
        .route("/v1/events", post(events::record))
        .route("/v1/snippets/{id}", get(help::snippet))
        .route("/v1/widget-config", get(widget_config::show))
        .route_layer(middleware::from_fn(move |request, next| limits::enforce(public_limits.clone(), request, next)))
        .route_layer(middleware::from_fn(move |request, next| public::layer(public_state.clone(), request, next)));
    // No CORS here: browsers on widget origins can never call the admin API.
    let site = "/admin/v1/sites/{site}";
    let admin_api = Router::new()
        .route("/admin/v1/session", get(session::show).post(session::sign_in).delete(session::sign_out))
        .route(site, get(sites::read).patch(sites::update))
        .route(&format!("{site}/snippets"), get(snippets::list).post(snippets::create))
        .route(&format!("{site}/snippets/{{id}}"), get(snippets::read).put(snippets::update).delete(snippets::archive))
        .route(&format!("{site}/snippets/{{id}}/publish"), post(snippets::publish))
        .route(&format!("{site}/snippets/{{id}}/unpublish"), post(snippets::unpublish))
        .route(&format!("{site}/snippets/{{id}}/revisions"), get(revisions::list))
        .route(&format!("{site}/snippets/{{id}}/revisions/{{version}}/diff"), get(revisions::diff))
        .route(&format!("{site}/snippets/{{id}}/revisions/{{version}}/restore"), post(revisions::restore))
        .route(&format!("{site}/keys"), get(keys::list).post(keys::create))
        .route(&format!("{site}/keys/{{id}}"), axum::routing::delete(keys::revoke))
        .route(&format!("{site}/keys/{{id}}/rotate"), post(keys::rotate))
        .route(&format!("{site}/preview"), get(preview::show))
        .route(&format!("{site}/preview/draft"), post(preview::draft))
        .route(&format!("{site}/explain"), get(preview::explain))
        .route(&format!("{site}/reports/snippets"), get(reports::snippets))
        .route(&format!("{site}/reports/demand"), get(reports::demand))
        .route(&format!("{site}/reports/gaps"), get(reports::gaps))
        .route(&format!("{site}/reports/coverage"), get(reports::coverage))
        .route(&format!("{site}/reports/stale"), get(reports::stale))
        .route(&format!("{site}/events"), get(events_export::export));
    let document = openapi::document();
    let ops =
        if options.metrics { Router::new().route("/metrics", get(crate::metrics::render)) } else { Router::new() };
    Router::new()
        .merge(ops)
        .merge(public_api)
        .merge(admin_api)
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], document) }
            }),
        )
        .nest_service("/widget", assets::service(&options.widget_dir))
        .nest_service("/console", console::service(&options.console_dir))
        .fallback(error::not_found)
        .with_state(state)
        .layer(axum::Extension(SessionLength(options.session_length)))
        // Innermost first: each layer wraps the ones above it.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(request_limits))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, options.request_timeout))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn(error::json_error_bodies))
        .layer(PropagateRequestIdLayer::x_request_id())
        // Logs name the method and path, never the query string: public queries carry where a
        // worker is (`path=/claims/CLM-1042`), which must not end up in logs.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|id| id.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Refuses URLs and headers over their limits with JSON errors, and reads a request's body
/// (up to the body limit) before anything answers it: a handler or layer that answers early
/// (401, 429) leaves the body read, so the client's keep-alive connection stays usable.
async fn request_limits(request: Request, next: Next) -> Response {
    // Measured without formatting the URI: this runs on every request.
    let uri = request.uri();
    let uri_bytes = uri.path_and_query().map_or(0, |part| part.as_str().len())
        + uri.authority().map_or(0, |authority| authority.as_str().len());
    if uri_bytes > URI_LIMIT_BYTES {
        return ApiError::UriTooLong.into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if header_bytes > HEADERS_LIMIT_BYTES {
        return ApiError::HeadersTooLarge.into_response();
    }
    if axum::body::HttpBody::size_hint(request.body()).exact() == Some(0) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(error) => {
            let too_large =
                std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                ApiError::PayloadTooLarge.into_response()
            } else {
                ApiError::InvalidBody(format!("the body could not be read: {error}")).into_response()
            }
        }
    }
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Path-parameter extractor whose rejections are JSON `ApiError`s (`invalid_parameter`).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| ApiError::InvalidParameter { name: "path", message: rejection.body_text() })
    }
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

/// JSON body extractor whose rejections are JSON `ApiError`s naming what was wrong.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::PayloadTooLarge),
            Err(rejection) if rejection.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Err(ApiError::InvalidBody("send JSON with `Content-Type: application/json`".into()))
            }
            Err(rejection) => Err(ApiError::InvalidBody(rejection.body_text())),
        }
    }
}

/// The ETag of a versioned admin resource (a snippet, a site's settings): its version.
pub fn version_etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The versions a change may apply to, from `If-Match` (RFC 9110 §13.1.1): 428 without one;
/// `*` matches any version; a list matches any of its entity tags. Comparison is strong, so weak
/// (`W/"3"`) and foreign tags never match and end in the 412 with the current version.
pub fn if_match(headers: &HeaderMap) -> Result<store::Precondition, ApiError> {
    let mut present = false;
    let mut versions = Vec::new();
    for value in headers.get_all(axum::http::header::IF_MATCH) {
        present = true;
        for candidate in value.to_str().unwrap_or_default().split(',').map(str::trim) {
            if candidate == "*" {
                return Ok(store::Precondition::Any);
            }
            if let Some(version) = candidate.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'))
                && let Ok(version) = version.parse::<i64>()
            {
                versions.push(version);
            }
        }
    }
    if present { Ok(store::Precondition::OneOf(versions)) } else { Err(ApiError::PreconditionRequired) }
}
