//! `GET /v1/help`: the worker's context in, ranked snippets with reasons out; `GET /v1/hotspots`:
//! the keys on a page in, the first snippet of each out; `GET /v1/snippets/{id}`: one snippet.

use super::ApiError;
use super::caching::{respond_json, respond_json_encoded};
use super::convert::{context_from_wire, write_help_body};
use super::public::PublicSite;
use crate::indexes::{Answer, SiteEntry};
use crate::{AppState, coverage};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use std::hash::{Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

#[utoipa::path(get, path = "/v1/help", tag = "public",
    description = "The snippets for where the worker is, best first, each with the reason it matched; at \
        most 20, with `truncated: true` when more matched. Cacheable: answers carry a strong ETag and honour If-None-Match.",
    params(wire::HelpQuery),
    responses((status = 200, body = wire::HelpResponse, headers(("ETag" = String))), (status = 304),
        (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    PublicSite(entry): PublicSite,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    answer(&state, &entry, Lookup::Help, uri.query().unwrap_or_default(), &headers)
}

#[utoipa::path(get, path = "/v1/hotspots", tag = "public",
    description = "Hotspots for the widget: `keys` lists the help keys present on the page (not a focus \
        chain); the answer has, for each key with help, the snippet the worker would see first on \
        focusing that field, with `reason.target` set to the key. Keys without help are left out. \
        Cacheable like `/v1/help`.",
    params(wire::HelpQuery),
    responses((status = 200, body = wire::HelpResponse, headers(("ETag" = String))), (status = 304),
        (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
pub async fn hotspots(
    State(state): State<AppState>,
    PublicSite(entry): PublicSite,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    answer(&state, &entry, Lookup::Hotspots, uri.query().unwrap_or_default(), &headers)
}

/// What a context-shaped public query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// `/v1/help`: everything for where the worker is, best first.
    Help,
    /// `/v1/hotspots`: each page key's first snippet.
    Hotspots,
}

fn answer(
    state: &AppState,
    entry: &SiteEntry,
    lookup: Lookup,
    raw_query: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let now = unix_now();
    let answer = cached_answer(entry, lookup, raw_query, now)?;
    state.coverage.record(entry.site.id, now, &answer.sightings);
    Ok(respond_json_encoded(answer.etag, headers, "public, max-age=30", answer.body, answer.gzip))
}

#[utoipa::path(get, path = "/v1/boot", tag = "public",
    description = "The widget's first answer, which the loader shows before the wasm has loaded: what \
        `/v1/help` answers for the same query, the site's look, and the widget's launcher and open \
        panel rendered as HTML by the widget's own components. Not counted as help wanted (the \
        loader may ask before the worker opens help). Cacheable like `/v1/help`.",
    params(wire::HelpQuery),
    responses((status = 200, body = wire::Boot, headers(("ETag" = String))), (status = 304),
        (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
pub async fn boot(PublicSite(entry): PublicSite, headers: HeaderMap, uri: Uri) -> Result<Response, ApiError> {
    let raw_query = uri.query().unwrap_or_default();
    let now = unix_now();
    let help = cached_answer(&entry, Lookup::Help, raw_query, now)?;
    let cache_key: Box<str> = format!("boot?{raw_query}").into();
    let answer = match entry.answers.get(&cache_key) {
        Some(answer) if answer.valid_until.is_none_or(|until| now < until) => answer,
        _ => {
            let query: wire::HelpQuery =
                serde_urlencoded::from_str(raw_query).map_err(|error| ApiError::InvalidQuery(error.to_string()))?;
            let help_body: wire::HelpResponse =
                serde_json::from_slice(&help.body).map_err(|error| ApiError::Internal(error.to_string()))?;
            let look = super::convert::site_to_wire(&entry.site).widget.look();
            let locale = query.locale.as_deref();
            let boot = wire::Boot {
                closed: widget::render::widget_html(&[], locale, &look, false),
                open: widget::render::widget_html(&help_body.snippets, locale, &look, true),
                help: help_body,
                look,
            };
            let body =
                bytes::Bytes::from(serde_json::to_vec(&boot).map_err(|error| ApiError::Internal(error.to_string()))?);
            let mut hasher = rustc_hash::FxHasher::default();
            body.hash(&mut hasher);
            let answer = Answer {
                etag: super::caching::etag(hasher.finish()),
                gzip: super::caching::gzip(&body),
                body,
                valid_until: help.valid_until,
                sightings: std::sync::Arc::new([]),
            };
            entry.answers.insert(cache_key, answer.clone());
            answer
        }
    };
    Ok(respond_json_encoded(answer.etag, &headers, "public, max-age=30", answer.body, answer.gzip))
}

/// The answer for a context-shaped query, from the site's cache or computed (and kept).
fn cached_answer(
    entry: &SiteEntry,
    lookup: Lookup,
    raw_query: &str,
    now: engine::Timestamp,
) -> Result<Answer, ApiError> {
    // The same context (the widget sends it byte for byte the same) gets the answer computed
    // the first time, until content changes or a snippet's time window opens or closes.
    let cache_key: Box<str> = match lookup {
        Lookup::Help => raw_query.into(),
        Lookup::Hotspots => format!("hotspots?{raw_query}").into(),
    };
    let answer = match entry.answers.get(&cache_key) {
        Some(answer) if answer.valid_until.is_none_or(|until| now < until) => {
            metrics::counter!("cuecard_answers_total", "from" => "cache").increment(1);
            answer
        }
        _ => {
            metrics::counter!("cuecard_answers_total", "from" => "index").increment(1);
            let query: wire::HelpQuery =
                serde_urlencoded::from_str(raw_query).map_err(|error| ApiError::InvalidQuery(error.to_string()))?;
            let context = context_from_wire(&query)?;
            let (matches, truncated, sightings) = match lookup {
                Lookup::Help => {
                    let mut matches = entry.index.resolve(&context, now);
                    let sightings = coverage::help_sightings(&context, &matches);
                    let truncated = matches.len() > wire::HelpResponse::CARDS_MAX;
                    matches.truncate(wire::HelpResponse::CARDS_MAX);
                    (matches, truncated, sightings)
                }
                // One card per page key at most, and the keys are bounded.
                Lookup::Hotspots => {
                    let found = entry.index.field_help(&context, now);
                    let page = engine::Context { keys: Vec::new(), ..context.clone() };
                    let sightings = coverage::hotspot_sightings(&context, &entry.index.resolve(&page, now), &found);
                    (found, false, sightings)
                }
            };
            let answer = compute(entry, &matches, truncated, sightings, now);
            entry.answers.insert(cache_key, answer.clone());
            answer
        }
    };
    Ok(answer)
}

fn compute(
    entry: &SiteEntry,
    matches: &[engine::Match<'_>],
    truncated: bool,
    sightings: std::sync::Arc<[coverage::Sighting]>,
    now: engine::Timestamp,
) -> Answer {
    // The body is a function of the content version and the matches: hash those, not the body.
    let mut hasher = rustc_hash::FxHasher::default();
    (entry.site.content_version, truncated).hash(&mut hasher);
    for found in matches {
        (found.snippet.id, found.reason.kind, found.reason.target, found.reason.role).hash(&mut hasher);
        found.reason.locale.hash(&mut hasher);
    }
    let body = bytes::Bytes::from(write_help_body(&entry.card_prefixes, matches, truncated));
    Answer {
        etag: super::caching::etag(hasher.finish()),
        gzip: super::caching::gzip(&body),
        body,
        valid_until: entry.index.next_change_after(now),
        sightings,
    }
}

#[utoipa::path(get, path = "/v1/snippets/{id}", tag = "public",
    description = "One published snippet by id, for `Cuecard('show', id)`; 404 for drafts, archived \
        snippets, snippets outside their time window and other sites' snippets.",
    params(("id" = i64, Path, description = "Snippet id"),
        ("site" = String, Query, description = "Public site key", min_length = 1, max_length = 64, pattern = r"^pk_[A-Za-z0-9_]{3,61}$")),
    responses((status = 200, body = wire::SnippetBody, headers(("ETag" = String))), (status = 304),
        (status = 404, body = wire::ErrorBody)))]
pub async fn snippet(
    PublicSite(entry): PublicSite,
    super::Path(id): super::Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snippet = entry.index.snippet(id).filter(|snippet| snippet.is_live(unix_now())).ok_or(ApiError::NotFound)?;
    let body = wire::SnippetBody {
        id: snippet.id,
        title: snippet.title.clone(),
        html: snippet.html.clone(),
        moment: super::convert::moment_to_wire(snippet.moment),
        locale: snippet.locale.to_string(),
    };
    let mut hasher = rustc_hash::FxHasher::default();
    (entry.site.content_version, snippet.id).hash(&mut hasher);
    let bytes = serde_json::to_vec(&body).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(respond_json(super::caching::etag(hasher.finish()), &headers, "public, max-age=30", bytes.into()))
}

pub fn unix_now() -> engine::Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}
