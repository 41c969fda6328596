//! The console's files, served at `/console/`: `index.html` (never cached, so a new release shows
//! at the next load) and content-hashed, immutable script, wasm and styles. Every answer carries
//! a strict Content-Security-Policy: scripts and styles from this service only, no inline code,
//! no `eval` (WebAssembly compilation is the one thing `'wasm-unsafe-eval'` allows), no framing.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_FRAME_OPTIONS};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use tower_http::services::ServeDir;

/// The console's policy. Snippet previews may show images from the hosts the service allows.
pub const POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self' https: data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub fn service(dir: &Path) -> axum::routing::Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    axum::routing::Router::new().fallback_service(files).layer(middleware::from_fn(console_headers))
}

async fn console_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_page = path.ends_with('/') || path.ends_with(".html");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if response.status().is_success() {
        let cache = if is_page { "no-cache" } else { "public, max-age=31536000, immutable" };
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}
