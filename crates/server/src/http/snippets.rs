//! `/admin/v1/sites/{site}/snippets`: authors create, read, list, update, archive, publish and
//! unpublish snippets. Every change names the version it was based on (`If-Match`), so two
//! editors can never silently overwrite each other.

use super::Path;
use super::auth::AdminKey;
use super::convert::{draft_from_wire, snippet_to_wire, status_from_wire};
use super::{ApiError, Json, Query, if_match, version_etag};
use crate::AppState;
use axum::extract::State;
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::Status;
use store::{Role, SnippetFilter, StoredSnippet};

/// Default and largest page of a listing.
const PAGE_DEFAULT: u32 = 50;
const PAGE_MAX: u32 = 500;

/// Authors write drafts; anything that is or becomes published needs a publisher.
pub fn role_for_change(current: Option<Status>, next: Status) -> Role {
    if current == Some(Status::Published) || next == Status::Published { Role::Publisher } else { Role::Author }
}

/// A snippet with its ETag, as every snippet answer is sent.
pub fn respond(status: StatusCode, stored: &StoredSnippet) -> Response {
    (status, [(ETAG, version_etag(stored.version))], axum::Json(snippet_to_wire(stored))).into_response()
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/snippets", tag = "snippets",
    params(("site" = String, Path, description = "Public site key"), wire::admin::SnippetListQuery),
    responses((status = 200, body = wire::admin::SnippetList), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::admin::SnippetListQuery>,
) -> Result<axum::Json<wire::admin::SnippetList>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let limit = query.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
    let locale = query
        .locale
        .as_deref()
        .map(engine::Locale::parse)
        .transpose()
        .map_err(|error| ApiError::InvalidLocale(error.to_string()))?;
    let filter = SnippetFilter {
        status: query.status.map(status_from_wire),
        locale,
        moment: query.moment.map(super::convert::moment_from_wire),
        target: query.target,
        slug_prefix: query.slug_prefix,
        text: query.text,
        after: query.after,
        limit: Some(limit + 1),
    };
    let mut found = state.store.snippets(site.id, &filter).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next_after = more.then(|| found.last().map(|stored| stored.id)).flatten();
    Ok(axum::Json(wire::admin::SnippetList { snippets: found.iter().map(snippet_to_wire).collect(), next_after }))
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/snippets", tag = "snippets",
    params(("site" = String, Path, description = "Public site key")),
    request_body = wire::admin::SnippetInput,
    responses((status = 201, body = wire::admin::Snippet), (status = 409, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site_key): Path<String>,
    Json(input): Json<wire::admin::SnippetInput>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site_key, Role::Viewer).await?;
    let status = input.status.map_or(Status::Draft, status_from_wire);
    key.require(role_for_change(None, status))?;
    let draft = draft_from_wire(input, &site.default_locale, status)?;
    let stored = state.store.create_snippet(site.id, &draft, &key.actor()).await?;
    state.content_changed().await;
    let mut response = respond(StatusCode::CREATED, &stored);
    let location = format!("/admin/v1/sites/{site_key}/snippets/{}", stored.id);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/snippets/{id}", tag = "snippets",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id")),
    responses((status = 200, body = wire::admin::Snippet, headers(("ETag" = String))), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn read(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let stored = state.store.snippet(site.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(respond(StatusCode::OK, &stored))
}

#[utoipa::path(put, path = "/admin/v1/sites/{site}/snippets/{id}", tag = "snippets",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("If-Match" = String, Header, description = "The ETag of the version this change is based on")),
    request_body = wire::admin::SnippetInput,
    responses((status = 200, body = wire::admin::Snippet), (status = 412, body = wire::admin::StaleBody),
        (status = 409, body = wire::ErrorBody, description = "Another snippet has this slug in this locale"),
        (status = 428, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
    headers: HeaderMap,
    Json(input): Json<wire::admin::SnippetInput>,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    change(&state, &key, &site, id, &headers, |current| {
        let status = input.status.map_or(current.draft.status, status_from_wire);
        draft_from_wire(input, &site.default_locale, status)
    })
    .await
}

#[utoipa::path(delete, path = "/admin/v1/sites/{site}/snippets/{id}", tag = "snippets",
    description = "Archives the snippet: it stops being served and stays in the history.",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("If-Match" = String, Header, description = "The ETag of the version this change is based on")),
    responses((status = 200, body = wire::admin::Snippet), (status = 412, body = wire::admin::StaleBody),
        (status = 428, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn archive(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    set_status(state, key, site, id, headers, Status::Archived).await
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/snippets/{id}/publish", tag = "snippets",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("If-Match" = String, Header, description = "The ETag of the version this change is based on")),
    responses((status = 200, body = wire::admin::Snippet), (status = 412, body = wire::admin::StaleBody)),
    security(("secret_key" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    set_status(state, key, site, id, headers, Status::Published).await
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/snippets/{id}/unpublish", tag = "snippets",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("If-Match" = String, Header, description = "The ETag of the version this change is based on")),
    responses((status = 200, body = wire::admin::Snippet), (status = 412, body = wire::admin::StaleBody)),
    security(("secret_key" = [])))]
pub async fn unpublish(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    set_status(state, key, site, id, headers, Status::Draft).await
}

async fn set_status(
    state: AppState,
    key: AdminKey,
    site: String,
    id: i64,
    headers: HeaderMap,
    status: Status,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    change(&state, &key, &site, id, &headers, |current| Ok(store::SnippetDraft { status, ..current.draft.clone() }))
        .await
}

/// Applies `make` to the current snippet and stores the result if the caller's `If-Match` still
/// names the current version; the role needed follows from the status before and after.
pub async fn change(
    state: &AppState,
    key: &AdminKey,
    site: &store::Site,
    id: i64,
    headers: &HeaderMap,
    make: impl FnOnce(&StoredSnippet) -> Result<store::SnippetDraft, ApiError>,
) -> Result<Response, ApiError> {
    let expected = if_match(headers)?;
    let current = state.store.snippet(site.id, id).await?.ok_or(ApiError::NotFound)?;
    let draft = make(&current)?;
    key.require(role_for_change(Some(current.draft.status), draft.status))?;
    let stored = state.store.update_snippet(site.id, id, &expected, &draft, &key.actor()).await?;
    state.content_changed().await;
    Ok(respond(StatusCode::OK, &stored))
}
