//! Who is calling the admin API: a secret key (`Authorization: Bearer sk_…`), checked for shape
//! and checksum before any lookup, found by its public part, compared in constant time; or a
//! console session, which a browser got by exchanging a key once (`http/session.rs`) and presents
//! as an `HttpOnly; SameSite=Strict` cookie.
//!
//! A browser sends cookies on its own, so a request riding on a session that could change
//! something must prove it comes from the console's own page: its `Origin` is this service's, and
//! it carries [`CSRF_HEADER`], which another site's page cannot send without a CORS preflight that
//! the admin API never grants.
//!
//! A key belongs to one site. Naming another site, or another site's snippet, answers 404 as if it
//! did not exist: a key never learns what other tenants have.

use super::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri};
use store::Role;

/// The console session's cookie.
pub const SESSION_COOKIE: &str = "cuecard_session";
/// The header the console sends with every request; cross-site pages cannot.
pub const CSRF_HEADER: &str = "x-cuecard-console";

/// The authenticated key of an admin request, and when the console session it came with ends
/// (`None` for a bearer key).
#[derive(Debug, Clone)]
pub struct AdminKey(pub store::ApiKey, pub Option<i64>);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let token = header
                .to_str()
                .ok()
                .and_then(|text| text.strip_prefix("Bearer ").or_else(|| text.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or_else(|| ApiError::InvalidKey("use `Authorization: Bearer sk_…`".into()))?;
            return Ok(AdminKey(active_key(state, token).await?, None));
        }
        let token = session_cookie(&parts.headers).ok_or(ApiError::MissingKey)?;
        let hash = store::keys::SessionToken::presented(token).ok_or(ApiError::SessionEnded)?;
        let session = state.store.session(&hash).await?.ok_or(ApiError::SessionEnded)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            same_origin(&parts.headers, &parts.uri)?;
        }
        Ok(AdminKey(session.key, Some(session.expires_at)))
    }
}

/// The active key a presented secret is, checked for shape and checksum before any lookup.
pub async fn active_key(state: &AppState, secret: &str) -> Result<store::ApiKey, ApiError> {
    let presented = store::keys::check(secret).map_err(|error| ApiError::InvalidKey(error.to_string()))?;
    state
        .store
        .authenticate(&presented)
        .await?
        .ok_or_else(|| ApiError::InvalidKey("this key is unknown, revoked or expired".into()))
}

/// The session token the browser sent, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
}

/// Refuses a browser request that does not come from a page of this service (see the module
/// comment): `Origin` must name this host, and the console's header must be there. Behind a
/// reverse proxy that rewrites `Host`, the host the browser used is in `X-Forwarded-Host`; a page
/// of another site cannot set that header on a browser's request (it is not CORS-safelisted),
/// so it is as trustworthy here as `Host`.
pub fn same_origin(headers: &HeaderMap, uri: &Uri) -> Result<(), ApiError> {
    let text = |name| headers.get(name).and_then(|value: &axum::http::HeaderValue| value.to_str().ok());
    let forwarded = text("x-forwarded-host").and_then(|hosts| hosts.split(',').next()).map(str::trim);
    let hosts = [text(HOST.as_str()), forwarded, uri.authority().map(|authority| authority.as_str())];
    let origin = text(ORIGIN.as_str());
    let origin_host = origin.and_then(|origin| origin.split_once("://")).map(|(_, authority)| authority);
    if !origin_host.is_some_and(|origin_host| hosts.contains(&Some(origin_host))) {
        return Err(ApiError::CrossSite(format!(
            "a change with a console session must come from this service's own page (Origin {})",
            origin.unwrap_or("missing")
        )));
    }
    if headers.get(CSRF_HEADER).is_none_or(|value| value.as_bytes() != b"1") {
        return Err(ApiError::CrossSite(format!(
            "a change with a console session needs the `{CSRF_HEADER}: 1` header"
        )));
    }
    Ok(())
}

impl AdminKey {
    /// The site with public key `site_key`, if this key belongs to it and has at least `needed`.
    pub async fn site(&self, state: &AppState, site_key: &str, needed: Role) -> Result<store::Site, ApiError> {
        let site = state
            .store
            .site(site_key)
            .await?
            .filter(|site| site.id == self.0.site_id)
            .ok_or_else(|| ApiError::UnknownSite(site_key.to_owned()))?;
        self.require(needed)?;
        Ok(site)
    }

    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.0.role < needed {
            return Err(ApiError::Forbidden(needed));
        }
        Ok(())
    }

    /// How revisions name this key.
    pub fn actor(&self) -> String {
        format!("key:{}", self.0.id)
    }
}
