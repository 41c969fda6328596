//! `GET /v1/help`: the worker's context in, ranked snippets with reasons out.

use super::convert::{context_from_wire, write_help_body};
use super::{ApiError, Query, respond_json};
use crate::AppState;
use crate::indexes::SiteEntry;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use axum::response::Response;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SITE_KEY_MAX_LEN: usize = 64;

pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<wire::HelpQuery>,
) -> Result<Response, ApiError> {
    let entry = site_for_request(&state, &query.site, &headers)?;
    let context = context_from_wire(&query)?;
    let matches = entry.index.resolve(&context, unix_now());
    // The body is a function of the content version and the matches: hash those, not the body.
    let mut hasher = std::hash::DefaultHasher::new();
    entry.site.content_version.hash(&mut hasher);
    for found in &matches {
        (
            found.snippet.id,
            found.reason.kind,
            found.reason.target,
            found.reason.role,
        )
            .hash(&mut hasher);
        found.reason.locale.hash(&mut hasher);
    }
    let etag = hasher.finish();
    Ok(respond_json(etag, &headers, "public, max-age=30", || {
        write_help_body(&entry.card_prefixes, &matches)
    }))
}

/// The site named by a public key, if the calling browser origin (when there is one) may use it.
pub fn site_for_request(state: &AppState, key: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    if key.is_empty() {
        return Err(ApiError::MissingParameter("site"));
    }
    if key.len() > SITE_KEY_MAX_LEN {
        return Err(ApiError::ParameterTooLong {
            name: "site",
            max: SITE_KEY_MAX_LEN,
        });
    }
    let entry = state
        .indexes
        .get(key)
        .ok_or_else(|| ApiError::UnknownSite(key.to_owned()))?;
    if let Some(origin) = headers.get(ORIGIN)
        && !entry.allows_origin(origin.as_bytes())
    {
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Err(ApiError::OriginNotAllowed(origin));
    }
    Ok(entry)
}

pub fn unix_now() -> engine::Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}
