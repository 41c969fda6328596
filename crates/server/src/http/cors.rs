//! CORS for the public API: a browser origin is granted only for the site named in `?site=`,
//! and only if that site lists it (the public layer in `public.rs` decides). Widget origins
//! never reach the admin API.
//!
//! Written here rather than with tower-http's `CorsLayer` because the grant depends on the
//! site in the query string, which the public layer looks up once for the handlers anyway.

use axum::body::Body;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, VARY,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

/// The answer to a preflight (`OPTIONS` with `Origin`) for a public endpoint: allowed methods
/// and headers for an origin the site lists, nothing for others (the browser then refuses).
pub fn preflight(granted: Option<&HeaderValue>) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    if granted.is_some() {
        let response_headers = response.headers_mut();
        response_headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        response_headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, if-none-match"));
        response_headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600"));
    }
    grant(response, granted)
}

/// Marks an answer of a public endpoint as varying by `Origin` and, for an origin the site
/// allows (the handler checked), lets that origin read it.
pub fn grant(mut response: Response, allowed_origin: Option<&HeaderValue>) -> Response {
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed_origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("etag, retry-after"));
    }
    response
}
