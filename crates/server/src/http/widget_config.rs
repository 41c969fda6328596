//! `GET /v1/widget-config?site=…`: the site's look for the widget (launcher position, accent
//! colour, launcher label), as its owner set it through the admin API.

use super::help::site_in_query;
use super::{cors, respond_json};
use crate::AppState;
use axum::extract::State;
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use std::hash::{Hash, Hasher};

#[utoipa::path(get, path = "/v1/widget-config", tag = "public",
    params(("site" = String, Query, description = "Public site key", min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")),
    responses((status = 200, body = wire::admin::WidgetSettings, headers(("ETag" = String))), (status = 304),
        (status = 404, body = wire::ErrorBody)))]
pub async fn show(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let entry = match site_in_query(&state, uri.query().unwrap_or_default(), &headers) {
        Ok(entry) => entry,
        Err(error) => return cors::grant(error.into_response(), None),
    };
    let settings = super::convert::site_to_wire(&entry.site).widget;
    let body = serde_json::to_vec(&settings).unwrap_or_default();
    let mut hasher = rustc_hash::FxHasher::default();
    body.hash(&mut hasher);
    let response = respond_json(super::etag(hasher.finish()), &headers, "public, max-age=60", body.into());
    cors::grant(response, headers.get(ORIGIN))
}
