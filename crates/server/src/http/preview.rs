//! `GET /admin/v1/sites/{site}/preview`: what the widget would show in a context, drafts
//! included, each with the reason it matched — the author's "what shows here, and why".

use super::Path;
use super::auth::AdminKey;
use super::convert::{card_to_wire, context_from_wire, status_to_wire};
use super::help::unix_now;
use super::{ApiError, Query};
use crate::AppState;
use axum::extract::State;
use engine::{SiteIndex, SiteSettings};
use store::Role;

#[utoipa::path(get, path = "/admin/v1/sites/{site}/preview", tag = "preview",
    params(("site" = String, Path, description = "Public site key"), wire::HelpQuery),
    responses((status = 200, body = wire::admin::Preview), (status = 404, body = wire::ErrorBody)),
    security(("secret_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::HelpQuery>,
) -> Result<axum::Json<wire::admin::Preview>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let context = context_from_wire(&query)?;
    let snippets = state.store.servable_snippets(site.id).await?;
    let settings = SiteSettings { default_locale: site.default_locale.clone() };
    // Built per request: previews are rare and must reflect drafts written a moment ago.
    let index = tokio::task::spawn_blocking(move || {
        let mut builder = SiteIndex::builder(settings).include_drafts(true);
        for snippet in snippets {
            builder.add(snippet)?;
        }
        Ok::<_, engine::Error>(builder.build())
    })
    .await
    .map_err(|error| ApiError::Internal(error.to_string()))?
    .map_err(|error| ApiError::Internal(error.to_string()))?;
    let cards = index
        .resolve(&context, unix_now())
        .iter()
        .map(|found| wire::admin::PreviewCard {
            card: card_to_wire(found),
            slug: found.snippet.slug.clone(),
            status: status_to_wire(found.snippet.status),
        })
        .collect();
    Ok(axum::Json(wire::admin::Preview { snippets: cards }))
}
