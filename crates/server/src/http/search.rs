//! `GET /v1/search`: what the worker typed, in their context, to ranked hits with excerpts.

use super::caching::respond_json;
use super::convert::{context_from_wire, search_hit_to_wire};
use super::help::unix_now;
use super::public::PublicSite;
use super::{ApiError, Query};
use crate::indexes::SiteEntry;
use axum::http::HeaderMap;
use axum::response::Response;
use std::hash::{Hash, Hasher};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 50;

#[utoipa::path(get, path = "/v1/search", tag = "public",
    description = "Typo-tolerant full-text search in the site's published snippets, boosted by context.",
    params(wire::SearchQuery),
    responses((status = 200, body = wire::SearchResponse), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody),
        (status = 503, body = wire::ErrorBody)))]
pub async fn query(
    PublicSite(entry): PublicSite,
    headers: HeaderMap,
    Query(query): Query<wire::SearchQuery>,
) -> Result<Response, ApiError> {
    search(entry, query, &headers).await
}

async fn search(
    entry: std::sync::Arc<SiteEntry>,
    query: wire::SearchQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let context = context_from_wire(&query.context())?;
    if query.q.trim().is_empty() {
        return Err(ApiError::MissingParameter("q"));
    }
    if query.q.chars().count() > engine::search::QUERY_MAX_LEN {
        return Err(ApiError::ParameterTooLong { name: "q", max: engine::search::QUERY_MAX_LEN });
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidParameter { name: "limit", message: format!("between 1 and {MAX_LIMIT}") });
    }
    if entry.search.get().is_none() {
        return Err(ApiError::SearchWarmingUp);
    }
    let now = unix_now();
    // Searching is CPU work: keep it off the async workers.
    let hits = tokio::task::spawn_blocking(move || {
        let Some(search) = entry.search.get() else {
            return Ok(wire::SearchResponse::default());
        };
        let hits = search.search(&entry.index, &query.q, &context, now, limit as usize)?;
        Ok::<_, engine::Error>(wire::SearchResponse { hits: hits.iter().map(search_hit_to_wire).collect() })
    })
    .await
    .map_err(|error| ApiError::Internal(error.to_string()))?
    .map_err(|error| ApiError::Internal(error.to_string()))?;
    let body = serde_json::to_vec(&hits).map_err(|error| ApiError::Internal(error.to_string()))?;
    let mut hasher = rustc_hash::FxHasher::default();
    body.hash(&mut hasher);
    Ok(respond_json(super::caching::etag(hasher.finish()), headers, "public, max-age=30", body.into()))
}
