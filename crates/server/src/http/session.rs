//! `/admin/v1/session`: the console's sign-in. A secret key, pasted once, is exchanged for a
//! session whose random token only the browser's `HttpOnly; SameSite=Strict` cookie holds (the
//! store keeps its hash); sign-out ends it on the server, so a copied cookie stops working too.

use super::auth::{AdminKey, SESSION_COOKIE, active_key, same_origin, session_cookie};
use super::convert::{key_to_wire, time_to_wire};
use super::{ApiError, Json};
use crate::AppState;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// How long a console session lasts, from sign-in (`--session-hours`).
#[derive(Debug, Clone, Copy)]
pub struct SessionLength(pub Duration);

#[utoipa::path(post, path = "/admin/v1/session", tag = "session",
    request_body = wire::admin::SignIn,
    responses(
        (status = 201, body = wire::admin::SessionInfo, description = "Signed in; the session is in the `cuecard_session` cookie"),
        (status = 401, body = wire::ErrorBody, description = "The key is malformed, unknown, revoked or expired"),
        (status = 403, body = wire::ErrorBody, description = "Not sent from this service's own page"),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    axum::Extension(length): axum::Extension<SessionLength>,
    headers: HeaderMap,
    uri: Uri,
    Json(request): Json<wire::admin::SignIn>,
) -> Result<Response, ApiError> {
    // Signing a browser in is a change too: another site must not sign it in with a key of its own.
    same_origin(&headers, &uri)?;
    let key = active_key(&state, request.key.trim()).await?;
    let token = store::keys::SessionToken::generate().map_err(|error| ApiError::Internal(error.to_string()))?;
    let seconds = i64::try_from(length.0.as_secs()).unwrap_or(i64::MAX);
    let now = super::unix_now();
    let expires_at = now.saturating_add(seconds);
    let session = state.store.start_session(key.id, &token.hash, expires_at).await?;
    let info = info(&state, &key, Some(session.expires_at)).await?;
    let max_age = (session.expires_at - now).max(0);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        token.plaintext,
        secure(&headers)
    );
    tracing::info!(key = key.id, role = %key.role, "console session started");
    let mut response = (StatusCode::CREATED, axum::Json(info)).into_response();
    response.headers_mut().insert(SET_COOKIE, header(&cookie)?);
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(get, path = "/admin/v1/session", tag = "session",
    responses((status = 200, body = wire::admin::SessionInfo)),
    security(("secret_key" = []), ("session" = [])))]
pub async fn show(State(state): State<AppState>, key: AdminKey) -> Result<impl IntoResponse, ApiError> {
    let info = info(&state, &key.0, key.1.or(key.0.expires_at)).await?;
    Ok(([(CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(info)))
}

#[utoipa::path(delete, path = "/admin/v1/session", tag = "session",
    responses((status = 204, description = "Signed out; the session no longer works anywhere")),
    security(("secret_key" = []), ("session" = [])))]
pub async fn sign_out(State(state): State<AppState>, _key: AdminKey, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(hash) = session_cookie(&headers).and_then(store::keys::SessionToken::presented) {
        state.store.end_session(&hash).await?;
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict{}", secure(&headers));
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(SET_COOKIE, header(&cookie)?);
    Ok(response)
}

async fn info(
    state: &AppState,
    key: &store::ApiKey,
    expires_at: Option<i64>,
) -> Result<wire::admin::SessionInfo, ApiError> {
    let sites = state.store.sites().await?;
    let site = sites.into_iter().find(|site| site.id == key.site_id).ok_or(ApiError::NotFound)?;
    Ok(wire::admin::SessionInfo {
        site: site.public_key,
        site_name: site.name,
        key: key_to_wire(key),
        expires_at: expires_at.map(time_to_wire),
    })
}

/// `; Secure` when the browser reached the service over https (directly, or through a proxy
/// that says so), so the cookie never travels in clear; on plain http (a laptop, loopback) a
/// `Secure` cookie would never be sent back.
fn secure(headers: &HeaderMap) -> &'static str {
    let https = |name: &str, prefix: &str| {
        headers.get(name).and_then(|value| value.to_str().ok()).is_some_and(|value| value.starts_with(prefix))
    };
    if https("origin", "https://") || https("x-forwarded-proto", "https") { "; Secure" } else { "" }
}

fn header(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|error| ApiError::Internal(error.to_string()))
}
