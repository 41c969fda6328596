//! `/admin/v1/sites/{site}/reports/…`: the insights reports (viewer role and up), answered from
//! the daily rollups by `crate::reports`, which the `cuecard report` command shares.

use super::auth::AdminKey;
use super::{ApiError, Path, Query};
use crate::AppState;
use crate::reports::{self, ReportError};
use axum::extract::State;
use store::Role;

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Invalid { name, message } => ApiError::InvalidParameter { name, message },
            ReportError::Range(message) => ApiError::Validation(message),
            ReportError::Store(error) => error.into(),
        }
    }
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/snippets", tag = "reports",
    description = "How each snippet did: views by where they were opened, helpful and not helpful with the \
        rate's 95% Wilson interval, and the latest \"not helpful\" comments. Most viewed first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::SnippetReport),
        (status = 422, body = wire::ErrorBody, description = "`from` is after `to`, or they are too far apart")),
    security(("secret_key" = [])))]
pub async fn snippets(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::SnippetReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    Ok(axum::Json(reports::snippets(state.store.as_ref(), &state.rollups, site.id, &query).await?))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/demand", tag = "reports",
    description = "Where workers open help most: panel opens and snippet views per place (route template or \
        URL pattern), help key and roles, most opened first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::DemandReport),
        (status = 422, body = wire::ErrorBody, description = "`from` is after `to`, or they are too far apart")),
    security(("secret_key" = [])))]
pub async fn demand(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::DemandReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    Ok(axum::Json(reports::demand(state.store.as_ref(), &state.rollups, site.id, &query).await?))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/gaps", tag = "reports",
    description = "Where help is missing: help opened with nothing specific for the field or place, searches \
        that found nothing or led to no snippet, and fields seen on workers' pages without any help. Most \
        frequent first.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::GapReport),
        (status = 422, body = wire::ErrorBody, description = "`from` is after `to`, or they are too far apart")),
    security(("secret_key" = [])))]
pub async fn gaps(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::GapReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    // What this instance counted but has not written yet belongs in the report too.
    state.flush_coverage().await;
    Ok(axum::Json(reports::gaps(state.store.as_ref(), &state.rollups, site.id, &query).await?))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/coverage", tag = "reports",
    description = "The share of fields seen on workers' pages that have help, per place (most fields first) \
        and per day.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::CoverageReport),
        (status = 422, body = wire::ErrorBody, description = "`from` is after `to`, or they are too far apart")),
    security(("secret_key" = [])))]
pub async fn coverage(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::CoverageReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    state.flush_coverage().await;
    Ok(axum::Json(reports::coverage(state.store.as_ref(), &state.rollups, site.id, &query).await?))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/reports/stale", tag = "reports",
    description = "Published snippets none of whose keys, routes or URL patterns workers' pages showed in the \
        range (30 days by default) although the site had traffic: help that may point at screens that changed.",
    params(("site" = String, Path, description = "Public site key"), wire::admin::ReportQuery),
    responses((status = 200, body = wire::admin::StaleReport),
        (status = 422, body = wire::ErrorBody, description = "`from` is after `to`, or they are too far apart")),
    security(("secret_key" = [])))]
pub async fn stale(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::ReportQuery>,
) -> Result<axum::Json<wire::admin::StaleReport>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    state.flush_coverage().await;
    Ok(axum::Json(reports::stale_help(state.store.as_ref(), site.id, &query).await?))
}
