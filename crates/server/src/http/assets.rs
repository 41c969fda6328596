//! The widget's files. The loader (`cuecard.js`) and its type declarations (`cuecard.d.ts`) keep
//! their names and a short cache, so new
//! releases reach pages within minutes; every other file is content-hashed and immutable.
//! Any page may load them (they are public), so CORS is open here and only here.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;

pub const LOADER_FILE: &str = "cuecard.js";

pub fn service(dir: &Path) -> axum::routing::Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    axum::routing::Router::new()
        .fallback_service(files)
        .layer(ServiceBuilder::new().layer(middleware::from_fn(asset_headers)))
}

/// The TypeScript declarations of the embed, beside the loader (not content-hashed either).
pub const TYPES_FILE: &str = "cuecard.d.ts";

async fn asset_headers(request: Request, next: Next) -> Response {
    let file = request.uri().path().trim_start_matches('/').to_owned();
    let is_loader = file == LOADER_FILE || file == TYPES_FILE;
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let headers = response.headers_mut();
    if file == TYPES_FILE {
        // Not MPEG transport stream, whatever the extension says.
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    let cache = if is_loader { "public, max-age=300" } else { "public, max-age=31536000, immutable" };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
