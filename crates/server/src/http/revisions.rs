//! `/admin/v1/sites/{site}/snippets/{id}/revisions`: every state a snippet had, what changed
//! between two of them, and bringing an old one back (as a new version, so nothing is lost).

use super::Path;
use super::auth::AdminKey;
use super::convert::{draft_to_wire, time_to_wire};
use super::snippets::change;
use super::{ApiError, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use store::{Revision, Role};

#[utoipa::path(get, path = "/admin/v1/sites/{site}/snippets/{id}/revisions", tag = "revisions",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id")),
    responses((status = 200, body = wire::admin::RevisionList), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id)): Path<(String, i64)>,
) -> Result<axum::Json<wire::admin::RevisionList>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let revisions = state.store.revisions(site.id, id).await?;
    Ok(axum::Json(wire::admin::RevisionList { revisions: revisions.iter().map(revision_to_wire).collect() }))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/snippets/{id}/revisions/{version}/diff", tag = "revisions",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("version" = i64, Path, description = "The newer revision"), wire::admin::DiffQuery),
    responses((status = 200, body = wire::admin::RevisionDiff), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id, version)): Path<(String, i64, i64)>,
    Query(query): Query<wire::admin::DiffQuery>,
) -> Result<axum::Json<wire::admin::RevisionDiff>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let revisions = state.store.revisions(site.id, id).await?;
    let against = query.against.unwrap_or(version - 1);
    let find = |wanted: i64| revisions.iter().find(|revision| revision.version == wanted).ok_or(ApiError::NotFound);
    let (newer, older) = (find(version)?, find(against)?);
    Ok(axum::Json(compare(older, newer)))
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/snippets/{id}/revisions/{version}/restore", tag = "revisions",
    description = "Makes an old revision's content current again, as a new version; the status stays as it is.",
    params(("site" = String, Path, description = "Public site key"), ("id" = i64, Path, description = "Snippet id"),
        ("version" = i64, Path, description = "The revision to bring back"),
        ("If-Match" = String, Header, description = "The ETag of the current version")),
    responses((status = 200, body = wire::admin::Snippet), (status = 412, body = wire::admin::StaleBody),
        (status = 428, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    key: AdminKey,
    Path((site, id, version)): Path<(String, i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let revisions = state.store.revisions(site.id, id).await?;
    let old = revisions.into_iter().find(|revision| revision.version == version).ok_or(ApiError::NotFound)?;
    change(&state, &key, &site, id, &headers, |current| {
        Ok(store::SnippetDraft { status: current.draft.status, ..old.draft })
    })
    .await
}

fn revision_to_wire(revision: &Revision) -> wire::admin::Revision {
    wire::admin::Revision {
        version: revision.version,
        actor: revision.actor.clone(),
        created_at: time_to_wire(revision.created_at),
        snippet: draft_to_wire(&revision.draft),
    }
}

/// The fields that differ, and a unified diff of the Markdown.
fn compare(older: &Revision, newer: &Revision) -> wire::admin::RevisionDiff {
    let (before, after) = (&older.draft, &newer.draft);
    let fields: [(&str, bool); 11] = [
        ("slug", before.slug != after.slug),
        ("locale", before.locale != after.locale),
        ("title", before.title != after.title),
        ("markdown", before.markdown != after.markdown),
        ("moment", before.moment != after.moment),
        ("targets", before.targets != after.targets),
        ("roles", before.roles != after.roles),
        ("priority", before.priority != after.priority),
        ("status", before.status != after.status),
        ("window", (before.publish_at, before.expire_at) != (after.publish_at, after.expire_at)),
        ("app_versions", before.app_versions != after.app_versions),
    ];
    let markdown_diff = if before.markdown == after.markdown {
        String::new()
    } else {
        similar::TextDiff::from_lines(&before.markdown, &after.markdown)
            .unified_diff()
            .header(&format!("version {}", older.version), &format!("version {}", newer.version))
            .to_string()
    };
    wire::admin::RevisionDiff {
        from: older.version,
        to: newer.version,
        changed: fields.iter().filter(|(_, changed)| *changed).map(|(name, _)| (*name).to_owned()).collect(),
        markdown_diff,
    }
}
