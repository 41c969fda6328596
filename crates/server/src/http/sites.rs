//! `/admin/v1/sites/{site}`: the site's settings, which its owner changes (origins allowed to
//! embed the widget, locales, the widget's look).

use super::Path;
use super::auth::AdminKey;
use super::convert::site_to_wire;
use super::{ApiError, Json, if_match, version_etag};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ETAG;
use axum::response::{IntoResponse, Response};
use engine::Locale;
use store::{Role, SiteChanges};

/// The site's settings with their ETag, as every settings answer is sent.
fn respond(site: &store::Site) -> Response {
    ([(ETAG, version_etag(site.settings_version))], axum::Json(site_to_wire(site))).into_response()
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}", tag = "sites",
    params(("site" = String, Path, description = "Public site key")),
    responses((status = 200, body = wire::admin::Site, headers(("ETag" = String))), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn read(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    Ok(respond(&site))
}

#[utoipa::path(patch, path = "/admin/v1/sites/{site}", tag = "sites",
    description = "Changes the fields present; `origins`, `locales` and `widget` are replaced whole, so send \
        `If-Match` with the ETag of the settings you read (or `*` to overwrite whatever is there).",
    params(("site" = String, Path, description = "Public site key"),
        ("If-Match" = String, Header, description = "The ETag of the settings this change is based on, or `*`")),
    request_body = wire::admin::SitePatch,
    responses((status = 200, body = wire::admin::Site, headers(("ETag" = String))), (status = 403, body = wire::ErrorBody),
        (status = 412, body = wire::admin::StaleSiteBody), (status = 422, body = wire::ErrorBody),
        (status = 428, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    headers: HeaderMap,
    Json(patch): Json<wire::admin::SitePatch>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
    let expected = if_match(&headers)?;
    let locale = |tag: &str| Locale::parse(tag).map_err(|error| ApiError::Validation(error.to_string()));
    let widget_settings = match &patch.widget {
        Some(widget) => {
            widget.validate().map_err(ApiError::Validation)?;
            Some(serde_json::to_string(widget).map_err(|error| ApiError::Internal(error.to_string()))?)
        }
        None => None,
    };
    let changes = SiteChanges {
        name: patch.name,
        origins: patch.origins,
        default_locale: patch.default_locale.as_deref().map(locale).transpose()?,
        locales: patch.locales.map(|tags| tags.iter().map(|tag| locale(tag)).collect()).transpose()?,
        widget_settings,
    };
    let updated = state.store.update_site(site.id, &expected, &changes).await?;
    state.content_changed().await;
    Ok(respond(&updated))
}
