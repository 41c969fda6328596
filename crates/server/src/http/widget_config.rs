//! `GET /v1/widget-config?site=…`: the site's look for the widget (launcher position, accent
//! colour, launcher label), as its owner set it through the admin API.

use super::ApiError;
use super::caching::respond_json;
use super::public::PublicSite;
use axum::http::HeaderMap;
use axum::response::Response;
use std::hash::{Hash, Hasher};

#[utoipa::path(get, path = "/v1/widget-config", tag = "public",
    params(("site" = String, Query, description = "Public site key", min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")),
    responses((status = 200, body = wire::admin::WidgetSettings, headers(("ETag" = String))), (status = 304),
        (status = 404, body = wire::ErrorBody)))]
pub async fn show(PublicSite(entry): PublicSite, headers: HeaderMap) -> Result<Response, ApiError> {
    let settings = super::convert::site_to_wire(&entry.site).widget;
    let body = serde_json::to_vec(&settings).map_err(|error| ApiError::Internal(error.to_string()))?;
    let mut hasher = rustc_hash::FxHasher::default();
    body.hash(&mut hasher);
    Ok(respond_json(super::caching::etag(hasher.finish()), &headers, "public, max-age=60", body.into()))
}
