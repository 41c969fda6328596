//! The shape of every public request (the widget's API): the site is found once, from the
//! query string's `site=pk_…`, and checked against the calling browser origin, by one layer
//! around the public router; handlers take it with the [`PublicSite`] extractor (whose
//! rejection is the API error). The same layer answers CORS preflights and grants the site's
//! origins on every answer, errors included, so the widget can read a 429's `Retry-After`.

use super::{ApiError, cors};
use crate::AppState;
use crate::indexes::SiteEntry;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::ORIGIN;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

pub const SITE_KEY_MAX_LEN: usize = 64;

/// What the layer found for this request's `site`.
#[derive(Clone)]
struct Lookup(Result<Arc<SiteEntry>, ApiError>);

/// The site a public request is for, its origin already checked.
pub struct PublicSite(pub Arc<SiteEntry>);

impl<S: Send + Sync> FromRequestParts<S> for PublicSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Lookup>() {
            Some(Lookup(found)) => found.clone().map(PublicSite),
            None => Err(ApiError::Internal("a public route outside the public layer".into())),
        }
    }
}

/// The public router's layer: finds the site once, answers preflights, grants CORS.
pub async fn layer(state: AppState, mut request: Request, next: Next) -> Response {
    let found = site_in_query(&state, request.uri().query().unwrap_or_default(), request.headers());
    // Only an origin the site lists may read the answer; the lookup checked it.
    let granted = found.as_ref().ok().and_then(|_| request.headers().get(ORIGIN).cloned());
    if request.method() == Method::OPTIONS {
        return cors::preflight(granted.as_ref());
    }
    request.extensions_mut().insert(Lookup(found));
    let response = next.run(request).await;
    cors::grant(response, granted.as_ref())
}

/// The site a public request's query string names (`site=pk_…`), checked against the calling
/// origin: the first step of every public endpoint.
fn site_in_query(state: &AppState, raw_query: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    site_for_request(state, &site_parameter(raw_query)?, headers)
}

/// The `site` parameter, found without parsing the rest of the query.
/// Only the `site` value is decoded (and only if it is encoded): this runs on every public
/// request, twice with rate limiting, so it allocates nothing in the usual case.
pub fn site_parameter(raw_query: &str) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    let mut found = None;
    for pair in raw_query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "site" {
            if found.is_some() {
                return Err(ApiError::InvalidQuery("duplicate field `site`".into()));
            }
            found = Some(value);
        }
    }
    let raw = found.unwrap_or_default();
    if !raw.contains(['%', '+']) {
        return Ok(std::borrow::Cow::Borrowed(raw));
    }
    let decoded = form_urlencoded::parse(raw.as_bytes()).next().map(|(name, _)| name.into_owned()).unwrap_or_default();
    Ok(std::borrow::Cow::Owned(decoded))
}

/// The site named by a public key, if the calling browser origin (when there is one) may use it.
pub fn site_for_request(state: &AppState, key: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    if key.is_empty() {
        return Err(ApiError::MissingParameter("site"));
    }
    if key.len() > SITE_KEY_MAX_LEN {
        return Err(ApiError::ParameterTooLong { name: "site", max: SITE_KEY_MAX_LEN });
    }
    let entry = state.indexes.get(key).ok_or_else(|| ApiError::UnknownSite(key.to_owned()))?;
    if let Some(origin) = headers.get(ORIGIN)
        && !entry.allows_origin(origin.as_bytes())
    {
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Err(ApiError::OriginNotAllowed(origin));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_parameter_is_found_and_decoded_only_when_encoded() {
        assert_eq!(site_parameter("path=%2Fx&site=pk_a_b&keys=a%2Cb").unwrap(), "pk_a_b");
        assert!(matches!(site_parameter("site=pk_a").unwrap(), std::borrow::Cow::Borrowed(_)));
        assert_eq!(site_parameter("site=pk%5Fa%5Fb").unwrap(), "pk_a_b");
        assert_eq!(site_parameter("site=pk+a").unwrap(), "pk a");
        assert_eq!(site_parameter("path=/x").unwrap(), "");
        assert_eq!(site_parameter("").unwrap(), "");
        assert!(site_parameter("site=pk_a&site=pk_b").is_err());
        assert_eq!(site_parameter("websites=pk_x&site=pk_y").unwrap(), "pk_y");
    }
}
