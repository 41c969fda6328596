//! CORS for the public API: a browser origin is granted only for the site named in `?site=`,
//! and only if that site lists it. Widget origins never reach the admin API.
//!
//! Written here rather than with tower-http's `CorsLayer` because the grant depends on the
//! site in the query string, which the handlers look up anyway: a layer would clone its
//! configuration and parse the query again on every widget request.

use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;

/// The `site` parameter of a query string, percent-decoded.
fn site_key(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(name, _)| name == "site").map(|(_, value)| value.into_owned())
}

/// A preflight (`OPTIONS` with `Origin`) for a public endpoint: allowed methods and headers
/// for origins the site lists, nothing for others (the browser then refuses the request).
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let origin = headers.get(ORIGIN);
    let granted = origin.filter(|origin| {
        site_key(uri.query())
            .and_then(|key| state.indexes.get(&key))
            .is_some_and(|entry| entry.allows_origin(origin.as_bytes()))
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_key_is_read_from_the_query() {
        assert_eq!(site_key(Some("path=/x&site=pk_a%5Fb")), Some("pk_a_b".into()));
        assert_eq!(site_key(Some("path=/x")), None);
        assert_eq!(site_key(None), None);
    }
}
