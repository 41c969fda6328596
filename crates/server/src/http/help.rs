//! `GET /v1/help`: the worker's context in, ranked snippets with reasons out; `GET /v1/hotspots`:
//! the keys on a page in, the first snippet of each out; `GET /v1/snippets/{id}`: one snippet.

use super::convert::{context_from_wire, write_help_body};
use super::{ApiError, cors, respond_json};
use crate::AppState;
use crate::indexes::{Answer, SiteEntry};
use axum::extract::State;
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SITE_KEY_MAX_LEN: usize = 64;

#[utoipa::path(get, path = "/v1/help", tag = "public",
    description = "The snippets for where the worker is, best first, each with the reason it matched; at \
        most 20, with `truncated: true` when more matched. Cacheable: answers carry a strong ETag and honour If-None-Match.",
    params(wire::HelpQuery),
    responses((status = 200, body = wire::HelpResponse, headers(("ETag" = String))), (status = 304),
        (status = 400, body = wire::ErrorBody), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
pub async fn resolve(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    respond(&state, Lookup::Help, &headers, &uri)
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
pub async fn hotspots(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    respond(&state, Lookup::Hotspots, &headers, &uri)
}

/// What a context-shaped public query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// `/v1/help`: everything for where the worker is, best first.
    Help,
    /// `/v1/hotspots`: each page key's first snippet.
    Hotspots,
}

fn respond(state: &AppState, lookup: Lookup, headers: &HeaderMap, uri: &Uri) -> Response {
    let raw_query = uri.query().unwrap_or_default();
    let entry = match site_in_query(state, raw_query, headers) {
        Ok(entry) => entry,
        Err(error) => return cors::grant(error.into_response(), None),
    };
    let response = answer(&entry, lookup, raw_query, headers).unwrap_or_else(IntoResponse::into_response);
    cors::grant(response, headers.get(ORIGIN))
}

fn answer(entry: &SiteEntry, lookup: Lookup, raw_query: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let now = unix_now();
    // The same context (the widget sends it byte for byte the same) gets the answer computed
    // the first time, until content changes or a snippet's time window opens or closes.
    let cache_key: Box<str> = match lookup {
        Lookup::Help => raw_query.into(),
        Lookup::Hotspots => format!("hotspots?{raw_query}").into(),
    };
    let answer = match entry.answers.get(&cache_key) {
        Some(answer) if answer.valid_until.is_none_or(|until| now < until) => answer,
        _ => {
            let query: wire::HelpQuery =
                serde_urlencoded::from_str(raw_query).map_err(|error| ApiError::InvalidQuery(error.to_string()))?;
            let context = context_from_wire(&query)?;
            let (matches, truncated) = match lookup {
                Lookup::Help => {
                    let mut matches = entry.index.resolve(&context, now);
                    let truncated = matches.len() > wire::HelpResponse::CARDS_MAX;
                    matches.truncate(wire::HelpResponse::CARDS_MAX);
                    (matches, truncated)
                }
                // One card per page key at most, and the keys are bounded.
                Lookup::Hotspots => (entry.index.field_help(&context, now), false),
            };
            let answer = compute(entry, &matches, truncated, now);
            entry.answers.insert(cache_key, answer.clone());
            answer
        }
    };
    Ok(super::respond_json_encoded(answer.etag, headers, "public, max-age=30", answer.body, answer.gzip))
}

fn compute(entry: &SiteEntry, matches: &[engine::Match<'_>], truncated: bool, now: engine::Timestamp) -> Answer {
    // The body is a function of the content version and the matches: hash those, not the body.
    let mut hasher = rustc_hash::FxHasher::default();
    (entry.site.content_version, truncated).hash(&mut hasher);
    for found in matches {
        (found.snippet.id, found.reason.kind, found.reason.target, found.reason.role).hash(&mut hasher);
        found.reason.locale.hash(&mut hasher);
    }
    let body = bytes::Bytes::from(write_help_body(&entry.card_prefixes, matches, truncated));
    Answer {
        etag: super::etag(hasher.finish()),
        gzip: super::gzip(&body),
        body,
        valid_until: entry.index.next_change_after(now),
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
    State(state): State<AppState>,
    super::Path(id): super::Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let entry = match site_in_query(&state, uri.query().unwrap_or_default(), &headers) {
        Ok(entry) => entry,
        Err(error) => return cors::grant(error.into_response(), None),
    };
    let response = match entry.index.snippet(id).filter(|snippet| snippet.is_live(unix_now())) {
        Some(snippet) => {
            let body = wire::SnippetBody {
                id: snippet.id,
                title: snippet.title.clone(),
                html: snippet.html.clone(),
                moment: super::convert::moment_to_wire(snippet.moment),
                locale: snippet.locale.to_string(),
            };
            let mut hasher = rustc_hash::FxHasher::default();
            (entry.site.content_version, snippet.id).hash(&mut hasher);
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            respond_json(super::etag(hasher.finish()), &headers, "public, max-age=30", bytes.into())
        }
        None => ApiError::NotFound.into_response(),
    };
    cors::grant(response, headers.get(ORIGIN))
}

/// The site a public request's query string names (`site=pk_…`), checked against the calling
/// origin: the first step of every public endpoint.
pub fn site_in_query(state: &AppState, raw_query: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    site_for_request(state, &site_parameter(raw_query)?, headers)
}

/// The `site` parameter, found without parsing the rest of the query.
/// Only the `site` value is decoded (and only if it is encoded): this runs on every public
/// request, twice with rate limiting, so it allocates nothing in the usual case.
pub fn site_parameter(raw_query: &str) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    let mut found = None;
    for pair in raw_query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "site" {
            if found.is_some() {
                return Err(ApiError::InvalidQuery("duplicate field `site`".into()));
            }
            found = Some(value);
        }
    }
    let raw = found.unwrap_or_default();
    if !raw.contains(['%', '+']) {
        return Ok(std::borrow::Cow::Borrowed(raw));
    }
    let decoded = form_urlencoded::parse(raw.as_bytes()).next().map(|(name, _)| name.into_owned()).unwrap_or_default();
    Ok(std::borrow::Cow::Owned(decoded))
}

/// The site named by a public key, if the calling browser origin (when there is one) may use it.
pub fn site_for_request(state: &AppState, key: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    if key.is_empty() {
        return Err(ApiError::MissingParameter("site"));
    }
    if key.len() > SITE_KEY_MAX_LEN {
        return Err(ApiError::ParameterTooLong { name: "site", max: SITE_KEY_MAX_LEN });
    }
    let entry = state.indexes.get(key).ok_or_else(|| ApiError::UnknownSite(key.to_owned()))?;
    if let Some(origin) = headers.get(ORIGIN)
        && !entry.allows_origin(origin.as_bytes())
    {
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Err(ApiError::OriginNotAllowed(origin));
    }
    Ok(entry)
}

pub fn unix_now() -> engine::Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_parameter_is_found_and_decoded_only_when_encoded() {
        assert_eq!(site_parameter("path=%2Fx&site=pk_a_b&keys=a%2Cb").unwrap(), "pk_a_b");
        assert!(matches!(site_parameter("site=pk_a").unwrap(), std::borrow::Cow::Borrowed(_)));
        assert_eq!(site_parameter("site=pk%5Fa%5Fb").unwrap(), "pk_a_b");
        assert_eq!(site_parameter("site=pk+a").unwrap(), "pk a");
        assert_eq!(site_parameter("path=/x").unwrap(), "");
        assert_eq!(site_parameter("").unwrap(), "");
        assert!(site_parameter("site=pk_a&site=pk_b").is_err());
        assert_eq!(site_parameter("websites=pk_x&site=pk_y").unwrap(), "pk_y");
    }
}
