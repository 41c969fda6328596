//! The author's previews: `GET …/preview` (what the widget would show in a context, drafts
//! included, each with the reason it matched), `GET …/explain` (what workers get there, in the
//! widget's order, and every snippet that almost showed with why not — the engine explains) and
//! `POST …/preview/draft` (a draft's body rendered by the store's own renderer and sanitizer, byte
//! for byte what saving it would store, and its targets checked as the author types).

use super::Path;
use super::auth::AdminKey;
use super::convert::{card_to_wire, context_from_wire, reason_to_wire, status_to_wire, target_from_wire, time_to_wire};
use super::help::unix_now;
use super::{ApiError, Json, Query};
use crate::AppState;
use axum::extract::State;
use engine::{SiteIndex, SiteSettings};
use store::Role;

/// Longest Markdown body a draft check renders (the snippet limit).
const DRAFT_MARKDOWN_MAX: usize = 20_000;
const DRAFT_TARGETS_MAX: usize = 50;

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
    let index = index_with_drafts(&state, &site).await?;
    let cards = index.resolve(&context, unix_now()).iter().map(preview_card).collect();
    Ok(axum::Json(wire::admin::Preview { snippets: cards }))
}

#[utoipa::path(get, path = "/admin/v1/sites/{site}/explain", tag = "preview",
    params(("site" = String, Path, description = "Public site key"), wire::HelpQuery),
    responses((status = 200, body = wire::admin::Explanation)),
    security(("secret_key" = [])))]
pub async fn explain(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Query(query): Query<wire::HelpQuery>,
) -> Result<axum::Json<wire::admin::Explanation>, ApiError> {
    let site = key.site(&state, &site, Role::Viewer).await?;
    let context = context_from_wire(&query)?;
    let index = index_with_drafts(&state, &site).await?;
    let explanation = index.explain(&context, unix_now());
    let mut shown: Vec<wire::admin::PreviewCard> = explanation.shown.iter().map(preview_card).collect();
    // The widget shows at most this many; the rest would not be seen either.
    shown.truncate(wire::HelpResponse::CARDS_MAX);
    let near_misses = explanation
        .near_misses
        .iter()
        .map(|near| wire::admin::NearMiss {
            id: near.snippet.id,
            slug: near.snippet.slug.clone(),
            title: near.snippet.title.clone(),
            status: status_to_wire(near.snippet.status),
            reason: reason_to_wire(&near.reason),
            why_not: near.misses.iter().map(|miss| miss_to_wire(miss, near.snippet)).collect(),
        })
        .collect();
    Ok(axum::Json(wire::admin::Explanation { shown, near_misses }))
}

fn preview_card(found: &engine::Match<'_>) -> wire::admin::PreviewCard {
    wire::admin::PreviewCard {
        card: card_to_wire(found),
        slug: found.snippet.slug.clone(),
        status: status_to_wire(found.snippet.status),
    }
}

fn miss_to_wire(miss: &engine::Miss<'_>, snippet: &engine::Snippet) -> wire::admin::WhyNot {
    use wire::admin::WhyNot;
    match miss {
        engine::Miss::Draft => WhyNot::Draft,
        engine::Miss::Role { needs } => WhyNot::Role { needs: needs.to_vec() },
        engine::Miss::Locale { chain } => WhyNot::Locale {
            locale: snippet.locale.as_str().to_owned(),
            chain: chain.iter().map(|tag| (*tag).to_owned()).collect(),
        },
        engine::Miss::NotYetPublished { publish_at } => {
            WhyNot::NotYetPublished { publish_at: time_to_wire(*publish_at) }
        }
        engine::Miss::Expired { expire_at } => WhyNot::Expired { expire_at: time_to_wire(*expire_at) },
        engine::Miss::AppVersion { range, version } => {
            WhyNot::AppVersion { range: range.to_string(), version: version.map(ToString::to_string) }
        }
        engine::Miss::Translation { shown } => WhyNot::Translation { shown: *shown },
    }
}

#[utoipa::path(post, path = "/admin/v1/sites/{site}/preview/draft", tag = "preview",
    params(("site" = String, Path, description = "Public site key")),
    request_body = wire::admin::DraftCheck,
    responses((status = 200, body = wire::admin::DraftChecked)),
    security(("secret_key" = [])))]
pub async fn draft(
    State(state): State<AppState>,
    key: AdminKey,
    Path(site): Path<String>,
    Json(check): Json<wire::admin::DraftCheck>,
) -> Result<axum::Json<wire::admin::DraftChecked>, ApiError> {
    key.site(&state, &site, Role::Viewer).await?;
    if check.markdown.len() > DRAFT_MARKDOWN_MAX {
        return Err(ApiError::Validation(format!("the body is longer than {DRAFT_MARKDOWN_MAX} bytes")));
    }
    if check.targets.len() > DRAFT_TARGETS_MAX {
        return Err(ApiError::Validation(format!("at most {DRAFT_TARGETS_MAX} targets")));
    }
    let store = state.store.clone();
    let checked = tokio::task::spawn_blocking(move || wire::admin::DraftChecked {
        html: store.render_markdown(&check.markdown),
        targets: check
            .targets
            .into_iter()
            .map(|target| target_from_wire(target).validate().err().map(|error| error.to_string()))
            .collect(),
    })
    .await
    .map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(axum::Json(checked))
}

/// The site's snippets, drafts included, compiled now: previews are rare and must reflect drafts
/// written a moment ago.
async fn index_with_drafts(state: &AppState, site: &store::Site) -> Result<SiteIndex, ApiError> {
    let snippets = state.store.servable_snippets(site.id).await?;
    let settings = SiteSettings { default_locale: site.default_locale.clone() };
    tokio::task::spawn_blocking(move || {
        let mut builder = SiteIndex::builder(settings).include_drafts(true);
        for snippet in snippets {
            builder.add(snippet)?;
        }
        Ok::<_, engine::Error>(builder.build())
    })
    .await
    .map_err(|error| ApiError::Internal(error.to_string()))?
    .map_err(|error| ApiError::Internal(error.to_string()))
}
