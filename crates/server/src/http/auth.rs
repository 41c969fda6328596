//! Who is calling the admin API: a secret key (`Authorization: Bearer sk_…`), checked for shape
//! and checksum before any lookup, found by its public part, compared in constant time.
//!
//! A key belongs to one site. Naming another site, or another site's snippet, answers 404 as if it
//! did not exist: a key never learns what other tenants have.

use super::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use store::Role;

/// The authenticated key of an admin request.
#[derive(Debug, Clone)]
pub struct AdminKey(pub store::ApiKey);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or(ApiError::MissingKey)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|text| text.strip_prefix("Bearer ").or_else(|| text.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiError::InvalidKey("use `Authorization: Bearer sk_…`".into()))?;
        let presented = store::keys::check(token).map_err(|error| ApiError::InvalidKey(error.to_string()))?;
        let key = state
            .store
            .authenticate(&presented)
            .await?
            .ok_or_else(|| ApiError::InvalidKey("this key is unknown, revoked or expired".into()))?;
        Ok(AdminKey(key))
    }
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
