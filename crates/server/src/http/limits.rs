//! Rate limits on the public API, per site key and client address, so one noisy client cannot
//! starve a site's other workers or the service. Over the limit: 429 with `Retry-After`.
//!
//! The client address is the socket's peer, or — behind a reverse proxy that sets it — the first
//! address in the header named by `--client-ip-header`.

use super::ApiError;
use super::help::site_parameter;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// How many requests a client may make per site: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

/// The limiter shared by every public request.
#[derive(Debug, Clone)]
pub struct PublicLimits {
    /// Keyed by a hash of the site key (no allocation per request) and the client address.
    limiter: Arc<DefaultKeyedRateLimiter<(u64, IpAddr)>>,
    client_ip_header: Option<HeaderName>,
}

impl PublicLimits {
    pub fn new(limit: RateLimit, client_ip_header: Option<HeaderName>) -> PublicLimits {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        PublicLimits { limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)), client_ip_header }
    }

    /// Forgets clients that have been quiet long enough to have their full allowance back.
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    fn client(&self, request: &Request) -> IpAddr {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let value = request.headers().get(name)?.to_str().ok()?;
            value.split(',').next()?.trim().parse::<IpAddr>().ok()
        });
        from_header
            .or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip()))
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }

    /// Whether this request may go on; if not, how many seconds until it may.
    fn check(&self, request: &Request) -> Result<(), u64> {
        let site = site_parameter(request.uri().query().unwrap_or_default()).unwrap_or_default();
        let mut hasher = rustc_hash::FxHasher::default();
        std::hash::Hash::hash(site.as_ref(), &mut hasher);
        let key = (std::hash::Hasher::finish(&hasher), self.client(request));
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Middleware for the public routes; preflights are not counted. A 429 is readable by the
/// site's own origins (CORS), so the widget sees `Retry-After` and waits that long.
pub async fn enforce(
    limits: Option<PublicLimits>,
    indexes: Arc<crate::indexes::Indexes>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limits) = &limits
        && request.method() != Method::OPTIONS
        && let Err(retry_after) = limits.check(&request)
    {
        let response = ApiError::RateLimited(retry_after.max(1)).into_response();
        let origin = request.headers().get(axum::http::header::ORIGIN).filter(|origin| {
            let site = site_parameter(request.uri().query().unwrap_or_default()).unwrap_or_default();
            indexes.get(&site).is_some_and(|entry| entry.allows_origin(origin.as_bytes()))
        });
        return super::cors::grant(response, origin);
    }
    next.run(request).await
}
