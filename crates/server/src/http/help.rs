//! `GET /v1/help`: the worker's context in, ranked snippets with reasons out.

use super::{ApiError, Query, json_with_etag};
use crate::AppState;
use crate::indexes::SiteEntry;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use axum::response::Response;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SITE_KEY_MAX_LEN: usize = 64;
pub const PATH_MAX_LEN: usize = 2048;
pub const KEYS_MAX: usize = 32;
pub const ROLES_MAX: usize = 16;

pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<wire::HelpQuery>,
) -> Result<Response, ApiError> {
    let entry = site_for_request(&state, &query.site, &headers)?;
    let context = context_from_wire(&query)?;
    let matches = entry.index.resolve(&context, unix_now());
    let body = wire::HelpResponse {
        snippets: matches.iter().map(card_to_wire).collect(),
    };
    Ok(json_with_etag(&body, &headers, "public, max-age=30"))
}

/// The site named by a public key, if the calling browser origin (when there is one) may use it.
pub fn site_for_request(state: &AppState, key: &str, headers: &HeaderMap) -> Result<Arc<SiteEntry>, ApiError> {
    if key.is_empty() {
        return Err(ApiError::MissingParameter("site"));
    }
    if key.len() > SITE_KEY_MAX_LEN {
        return Err(ApiError::ParameterTooLong {
            name: "site",
            max: SITE_KEY_MAX_LEN,
        });
    }
    let entry = state
        .indexes
        .get(key)
        .ok_or_else(|| ApiError::UnknownSite(key.to_owned()))?;
    if let Some(origin) = headers.get(ORIGIN)
        && !entry.allows_origin(origin.as_bytes())
    {
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        return Err(ApiError::OriginNotAllowed(origin));
    }
    Ok(entry)
}

fn unix_now() -> engine::Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

fn invalid(name: &'static str, error: impl ToString) -> ApiError {
    ApiError::InvalidParameter {
        name,
        message: error.to_string(),
    }
}

/// Checks every parameter against its limits and builds the engine's context.
pub fn context_from_wire(query: &wire::HelpQuery) -> Result<engine::Context, ApiError> {
    let path = match query.path.as_deref() {
        None | Some("") => None,
        Some(path) if path.len() > PATH_MAX_LEN => {
            return Err(ApiError::ParameterTooLong {
                name: "path",
                max: PATH_MAX_LEN,
            });
        }
        Some(path) if !path.starts_with('/') || path.contains(['?', '#']) || path.chars().any(char::is_control) => {
            return Err(invalid(
                "path",
                "a path starts with `/` and has no query string or fragment",
            ));
        }
        Some(path) => Some(path.to_owned()),
    };
    let route = match query.route.as_deref() {
        None | Some("") => None,
        Some(route) if route.len() > engine::Target::ROUTE_MAX_LEN => {
            return Err(ApiError::ParameterTooLong {
                name: "route",
                max: engine::Target::ROUTE_MAX_LEN,
            });
        }
        Some(route) => {
            engine::validate_route(route).map_err(|error| invalid("route", error))?;
            Some(route.to_owned())
        }
    };
    let keys = list("keys", query.keys.as_deref(), KEYS_MAX, engine::validate_help_key)?;
    let roles = list("roles", query.roles.as_deref(), ROLES_MAX, engine::validate_role)?;
    let locale = match query.locale.as_deref() {
        None | Some("") => None,
        Some(tag) => Some(engine::Locale::parse(tag).map_err(|error| ApiError::InvalidLocale(error.to_string()))?),
    };
    Ok(engine::Context {
        path,
        route,
        keys,
        roles,
        locale,
    })
}

fn list(
    name: &'static str,
    text: Option<&str>,
    max_items: usize,
    validate: fn(&str) -> Result<(), engine::Error>,
) -> Result<Vec<String>, ApiError> {
    let mut items = Vec::new();
    for item in wire::split_list(text) {
        if items.len() == max_items {
            return Err(ApiError::ParameterTooLong { name, max: max_items });
        }
        validate(item).map_err(|error| invalid(name, error))?;
        items.push(item.to_owned());
    }
    Ok(items)
}

pub fn card_to_wire(found: &engine::Match<'_>) -> wire::Card {
    let snippet = found.snippet;
    wire::Card {
        id: snippet.id,
        title: snippet.title.clone(),
        html: snippet.html.clone(),
        moment: moment_to_wire(snippet.moment),
        reason: wire::Reason {
            kind: match found.reason.kind {
                engine::MatchKind::FieldKey => wire::ReasonKind::FieldKey,
                engine::MatchKind::AncestorKey(_) => wire::ReasonKind::AncestorKey,
                engine::MatchKind::Route => wire::ReasonKind::Route,
                engine::MatchKind::UrlPattern => wire::ReasonKind::UrlPattern,
                engine::MatchKind::SiteWide => wire::ReasonKind::SiteWide,
            },
            target: found.reason.target.map(str::to_owned),
            role: found.reason.role.map(str::to_owned),
            locale: found.reason.locale.to_string(),
        },
    }
}

pub fn moment_to_wire(moment: engine::Moment) -> wire::Moment {
    match moment {
        engine::Moment::New => wire::Moment::New,
        engine::Moment::More => wire::Moment::More,
        engine::Moment::Apply => wire::Moment::Apply,
        engine::Moment::Solve => wire::Moment::Solve,
        engine::Moment::Change => wire::Moment::Change,
    }
}
