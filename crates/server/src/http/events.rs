//! `POST /v1/events?site=…`: what workers did in the widget (panel opens, snippet views, searches,
//! "was this helpful?"), validated and appended in batches. The raw path is checked but never
//! stored: events keep the route template and help key, and no identity.
//!
//! The body may be sent as `text/plain`, so browsers post it without a CORS preflight.

use super::ApiError;
use super::convert::context_from_wire;
use super::public::PublicSite;
use crate::AppState;
use crate::indexes::SiteEntry;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Most events one request may carry; the widget sends fewer.
pub const BATCH_MAX: usize = 50;
const QUERY_MAX_CHARS: usize = wire::rules::SEARCH_MAX_CHARS;
const COMMENT_MAX_CHARS: usize = wire::rules::COMMENT_MAX_CHARS;
const RESULTS_MAX: u32 = 10_000;

#[utoipa::path(post, path = "/v1/events", tag = "public",
    description = "Appends a batch of widget events (at most 50). Accepts `application/json` or `text/plain` bodies.",
    params(("site" = String, Query, description = "Public site key", min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")),
    request_body = wire::EventBatch,
    responses((status = 202, body = wire::EventsAccepted), (status = 400, body = wire::ErrorBody),
        (status = 422, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody),
        (status = 503, body = wire::ErrorBody, description = "The event queue is full; `Retry-After` says when to try again")))]
pub async fn record(
    State(state): State<AppState>,
    PublicSite(entry): PublicSite,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    let accepted = accept(&state, &entry, &headers, &body).await.inspect_err(|error| {
        // (A batch shed for a full queue is counted, in events, where it is shed.)
        if !matches!(error, ApiError::Busy) {
            metrics::counter!("cuecard_events_total", "outcome" => "refused").increment(1);
        }
    })?;
    metrics::counter!("cuecard_events_total", "outcome" => "accepted").increment(u64::from(accepted));
    Ok((StatusCode::ACCEPTED, axum::Json(wire::EventsAccepted { accepted })).into_response())
}

async fn accept(state: &AppState, entry: &SiteEntry, headers: &HeaderMap, body: &[u8]) -> Result<u32, ApiError> {
    // `text/plain` is what `navigator.sendBeacon` sends a string as; anything else, or nothing, is refused.
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if !matches!(media_type.as_deref(), Some("application/json" | "text/plain")) {
        return Err(ApiError::UnsupportedMediaType(
            "send the events as JSON with `Content-Type: application/json` (or `text/plain`)".into(),
        ));
    }
    let batch: wire::EventBatch =
        serde_json::from_slice(body).map_err(|error| ApiError::InvalidBody(error.to_string()))?;
    if batch.events.len() > BATCH_MAX {
        return Err(ApiError::Validation(format!("at most {BATCH_MAX} events per request")));
    }
    let now = super::help::unix_now();
    let events = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(position, event)| {
            to_store(entry, event, now).map_err(|message| ApiError::Validation(format!("event {position}: {message}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let batch = store::EventBatch { site_id: entry.site.id, at: now, events };
    let stored = state.ingest.record(batch).await.map_err(|error| match error {
        crate::ingest::IngestError::Full => ApiError::Busy,
        crate::ingest::IngestError::Store(error) => ApiError::from(error),
        crate::ingest::IngestError::Stopped | crate::ingest::IngestError::Write(_) => {
            ApiError::Internal(error.to_string())
        }
    })?;
    Ok(u32::try_from(stored).unwrap_or(u32::MAX))
}

/// Checks one event and keeps what may be stored.
fn to_store(entry: &SiteEntry, event: wire::Event, now: engine::Timestamp) -> Result<store::Event, String> {
    let context = wire::HelpQuery {
        site: String::new(),
        path: event.path,
        route: event.route,
        keys: event.key,
        roles: event.roles,
        locale: event.locale,
        app_version: event.app_version,
    };
    let context = context_from_wire(&context).map_err(|error| error.to_string())?;
    // Where the worker was, as a template: the app's route, else the URL pattern the path
    // matched, else nothing. The path itself is never kept.
    let place = match &context.route {
        Some(route) => Some(route.clone()),
        None if context.path.is_some() => {
            let page = engine::Context { path: context.path.clone(), ..engine::Context::default() };
            entry
                .index
                .resolve(&page, now)
                .iter()
                .find(|found| found.reason.kind == engine::MatchKind::UrlPattern)
                .and_then(|found| found.reason.target.map(str::to_owned))
        }
        None => None,
    };
    // Whether the worker's context had help of its own, beyond site-wide snippets.
    let specific = (event.kind == wire::EventKind::PanelOpen).then(|| {
        entry.index.resolve(&context, now).iter().any(|found| found.reason.kind != engine::MatchKind::SiteWide)
    });
    let mut roles = context.roles.clone();
    roles.sort();
    roles.dedup();
    if context.keys.len() > 1 {
        return Err("`key` is one help key".into());
    }
    let needs = |present: bool, field: &str| {
        if present { Ok(()) } else { Err(format!("a {} event needs `{field}`", event.kind.as_str())) }
    };
    match event.kind {
        wire::EventKind::PanelOpen => {}
        wire::EventKind::SnippetView => needs(event.snippet.is_some(), "snippet")?,
        wire::EventKind::Search => needs(event.query.as_ref().is_some_and(|query| !query.trim().is_empty()), "query")?,
        wire::EventKind::Feedback => {
            needs(event.snippet.is_some(), "snippet")?;
            needs(event.helpful.is_some(), "helpful")?;
        }
    }
    if let Some(id) = event.snippet
        && entry.index.snippet(id).is_none()
    {
        return Err(format!("the site has no published snippet {id}"));
    }
    if event.query.as_ref().is_some_and(|query| query.chars().count() > QUERY_MAX_CHARS) {
        return Err(format!("`query` has at most {QUERY_MAX_CHARS} characters"));
    }
    if event.comment.as_ref().is_some_and(|comment| comment.chars().count() > COMMENT_MAX_CHARS) {
        return Err(format!("`comment` has at most {COMMENT_MAX_CHARS} characters"));
    }
    if event.results.is_some_and(|results| results > RESULTS_MAX) {
        return Err(format!("`results` is at most {RESULTS_MAX}"));
    }
    Ok(store::Event {
        kind: event.kind.as_str().to_owned(),
        route: place,
        roles: (!roles.is_empty()).then(|| roles.join(",")),
        app_version: context.app_version.map(|version| version.to_string()),
        via: event.via.map(|via| via.as_str().to_owned()),
        specific,
        help_key: context.keys.into_iter().next(),
        locale: context.locale.map(|locale| locale.to_string()),
        snippet_id: event.snippet,
        query: event.query.map(|query| query.trim().to_owned()),
        results: event.results.map(i64::from),
        helpful: event.helpful,
        comment: event.comment.map(|comment| comment.trim().to_owned()).filter(|comment| !comment.is_empty()),
    })
}
