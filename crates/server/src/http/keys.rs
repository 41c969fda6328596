//! `/admin/v1/sites/{site}/keys`: an owner's secret keys. A new key's secret is in the answer that
//! creates it and nowhere else, ever.

use super::Path;
use super::auth::AdminKey;
use super::convert::{key_to_wire, role_from_wire};
use super::{ApiError, Json};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use store::Role;

/// Longest overlap a rotation may give the old key.
const OVERLAP_MAX_SECS: i64 = 30 * 86_400;
const OVERLAP_DEFAULT_SECS: i64 = 86_400;

#[utoipa::path(get, path = "/admin/v1/sites/{site}/keys", tag = "keys",
    params(("site" = String, Path, description = "Public site key")),
    responses((status = 200, body = wire::admin::KeyList)),
    security(("secret_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
) -> Result<axum::Json<wire::admin::KeyList>, ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
    let keys = state.store.keys(site.id).await?;
    Ok(axum::Json(wire::admin::KeyList { keys: keys.iter().map(key_to_wire).collect() }))
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/keys", tag = "keys",
    params(("site" = String, Path, description = "Public site key")),
    request_body = wire::admin::KeyCreate,
    responses((status = 201, body = wire::admin::CreatedKey)),
    security(("secret_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Json(request): Json<wire::admin::KeyCreate>,
) -> Result<(StatusCode, axum::Json<wire::admin::CreatedKey>), ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
    let created = state.store.create_key(site.id, role_from_wire(request.role), request.label.trim()).await?;
    tracing::info!(site = %site.public_key, key = created.key.id, role = %created.key.role, "secret key created");
    Ok((StatusCode::CREATED, axum::Json(created_to_wire(created))))
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/keys/{id}/rotate", tag = "keys",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Key id")),
    request_body = wire::admin::KeyRotate,
    responses((status = 201, body = wire::admin::CreatedKey), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn rotate(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
    Json(request): Json<wire::admin::KeyRotate>,
) -> Result<(StatusCode, axum::Json<wire::admin::CreatedKey>), ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
    let overlap = request.overlap_seconds.unwrap_or(OVERLAP_DEFAULT_SECS);
    if !(0..=OVERLAP_MAX_SECS).contains(&overlap) {
        return Err(ApiError::Validation(format!("overlap_seconds is 0 to {OVERLAP_MAX_SECS}")));
    }
    let created = state.store.rotate_key(site.id, id, overlap).await?;
    tracing::info!(site = %site.public_key, old = id, new = created.key.id, overlap, "secret key rotated");
    Ok((StatusCode::CREATED, axum::Json(created_to_wire(created))))
}

#[utoipa::path(delete, path = "/admin/v1/sites/{site}/keys/{id}", tag = "keys",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = wire::admin::Key), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
) -> Result<axum::Json<wire::admin::Key>, ApiError> {
    let site = key.site(&state, &site, Role::Owner).await?;
    let revoked = state.store.revoke_key(site.id, id).await?;
    tracing::info!(site = %site.public_key, key = id, "secret key revoked");
    Ok(axum::Json(key_to_wire(&revoked)))
}

fn created_to_wire(created: store::CreatedKey) -> wire::admin::CreatedKey {
    wire::admin::CreatedKey { key: key_to_wire(&created.key), secret: created.plaintext }
}
