//! `/admin/v1/sites/{site}`: the site's settings, which its owner changes (origins allowed to
//! embed the widget, locales, the widget's look).

use super::auth::AdminKey;
use super::convert::site_to_wire;
use super::{ApiError, Json};
use crate::AppState;
use axum::extract::{Path, State};
use engine::Locale;
use store::{Role, SiteChanges};

#[utoipa::path(get, path = "/admin/v1/sites/{site}", tag = "sites",
    params(("site" = String, Path, description = "Public site key")),
    responses((status = 200, body = wire::admin::Site), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn read(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
) -> Result<axum::Json<wire::admin::Site>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    Ok(axum::Json(site_to_wire(&site)))
}

#[utoipa::path(patch, path = "/admin/v1/sites/{site}", tag = "sites",
    params(("site" = String, Path, description = "Public site key")),
    request_body = wire::admin::SitePatch,
    responses((status = 200, body = wire::admin::Site), (status = 403, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Json(patch): Json<wire::admin::SitePatch>,
) -> Result<axum::Json<wire::admin::Site>, ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
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
    let updated = state.store.update_site(site.id, &changes).await?;
    state.indexes.content_changed();
    Ok(axum::Json(site_to_wire(&updated)))
}
