//! Rate limits on the public API, per site key and client address, so one noisy client cannot
//! starve a site's other workers or the service. Over the limit: 429 with `Retry-After`.
//!
//! The client address is the socket's peer or, behind reverse proxies, the address the trusted
//! proxy added to a forwarding header ([`ClientAddress`]): proxies append, so everything left of
//! what they added was written by the client and is never believed.
//!
//! The budget is sized for an office: thousands of workers behind one NAT address share it, so
//! the defaults allow a busy office (see the simulation below) and stop a single client flooding.

use super::ApiError;
use super::public::site_parameter;
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

impl RateLimit {
    fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute).allow_burst(self.burst)
    }
}

/// Where a request's client address comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAddress {
    /// The socket's peer: the service faces the clients directly.
    Peer,
    /// Behind `proxies` reverse proxies that each append the address they saw to `header`
    /// (`X-Forwarded-For`): the client is the `proxies`-th entry from the right. A request with
    /// fewer entries did not come through them all and counts as its peer.
    ProxyCount { header: HeaderName, proxies: usize },
    /// Behind proxies in `networks`: when the peer is one of them, the client is the right-most
    /// entry of `header` outside them; anyone else is counted as its peer, whatever it sends.
    ProxyNetworks { header: HeaderName, networks: Vec<ipnet::IpNet> },
}

impl ClientAddress {
    /// The address to count `headers` against, for a request from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        // Every value of the header, in order, is one list (RFC 9110 §5.3).
        let entries = |header: &HeaderName| {
            let mut entries: Vec<&str> = Vec::new();
            for value in headers.get_all(header) {
                entries.extend(value.to_str().unwrap_or_default().split(',').map(str::trim));
            }
            entries
        };
        match self {
            ClientAddress::Peer => peer,
            ClientAddress::ProxyCount { header, proxies } => {
                let entries = entries(header);
                let from_right = entries.len().checked_sub(*proxies);
                from_right.and_then(|index| parse_address(entries[index])).unwrap_or(peer)
            }
            ClientAddress::ProxyNetworks { header, networks } => {
                let trusted = |address: &IpAddr| networks.iter().any(|network| network.contains(address));
                if !trusted(&peer) {
                    return peer;
                }
                let mut client = peer;
                for entry in entries(header).iter().rev() {
                    match parse_address(entry) {
                        Some(address) if trusted(&address) => client = address,
                        Some(address) => return address,
                        None => return client,
                    }
                }
                client
            }
        }
    }
}

/// An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]:443` or `192.0.2.1:80`.
fn parse_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .map(|address| address.to_canonical())
}

/// What a request costs against the budget: search runs a query (4), an event batch costs one
/// plus one per KiB, the rest (help, hotspots, a snippet, the widget's config) one.
pub fn cost(request: &Request) -> NonZeroU32 {
    let path = request.uri().path();
    let cost = if path == "/v1/search" {
        4
    } else if path == "/v1/events" {
        let length = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u32>().ok())
            .unwrap_or(0);
        1 + length.div_ceil(1024)
    } else {
        1
    };
    NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN)
}

/// The limiter shared by every public request.
#[derive(Debug, Clone)]
pub struct PublicLimits {
    /// Keyed by a hash of the site key (no allocation per request) and the client address.
    limiter: Arc<DefaultKeyedRateLimiter<(u64, IpAddr)>>,
    limit: RateLimit,
    client_address: ClientAddress,
}

impl PublicLimits {
    pub fn new(limit: RateLimit, client_address: ClientAddress) -> PublicLimits {
        PublicLimits { limiter: Arc::new(DefaultKeyedRateLimiter::keyed(limit.quota())), limit, client_address }
    }

    /// Forgets clients that have been quiet long enough to have their full allowance back.
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    fn client(&self, request: &Request) -> IpAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip().to_canonical());
        self.client_address.client(peer, request.headers())
    }

    /// Whether this request may go on; if not, how many seconds until it may.
    fn check(&self, request: &Request) -> Result<(), u64> {
        let site = site_parameter(request.uri().query().unwrap_or_default()).unwrap_or_default();
        let mut hasher = rustc_hash::FxHasher::default();
        std::hash::Hash::hash(site.as_ref(), &mut hasher);
        let key = (std::hash::Hasher::finish(&hasher), self.client(request));
        // A request dearer than the whole burst is charged the burst, so it can still pass.
        let cost = cost(request).min(self.limit.burst);
        match self.limiter.check_key_n(&key, cost) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
            Err(_) => Err(60),
        }
    }
}

/// Middleware for the public routes; preflights are not counted. The public layer around it
/// grants the site's origins CORS, so the widget sees `Retry-After` and waits that long.
pub async fn enforce(limits: Option<PublicLimits>, request: Request, next: Next) -> Response {
    if let Some(limits) = &limits
        && request.method() != Method::OPTIONS
        && let Err(retry_after) = limits.check(&request)
    {
        metrics::counter!("cuecard_rate_limited_total").increment(1);
        return ApiError::RateLimited(retry_after.max(1)).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};
    use governor::RateLimiter;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_what_the_trusted_proxy_added_never_what_the_client_wrote() {
        let header = HeaderName::from_static("x-forwarded-for");
        let peer = ip("10.0.0.2");
        let one = ClientAddress::ProxyCount { header: header.clone(), proxies: 1 };
        // The client wrote `6.6.6.6`; the proxy appended the address it saw.
        assert_eq!(one.client(peer, &forwarded(&["6.6.6.6, 203.0.113.7"])), ip("203.0.113.7"));
        assert_eq!(one.client(peer, &forwarded(&["6.6.6.6", "203.0.113.7"])), ip("203.0.113.7"));
        assert_eq!(one.client(peer, &forwarded(&["[2001:db8::7]:443"])), ip("2001:db8::7"));
        assert_eq!(one.client(peer, &HeaderMap::new()), peer, "not through the proxy");
        assert_eq!(one.client(peer, &forwarded(&["garbage"])), peer);
        let two = ClientAddress::ProxyCount { header: header.clone(), proxies: 2 };
        assert_eq!(two.client(peer, &forwarded(&["6.6.6.6, 203.0.113.7, 10.0.0.9"])), ip("203.0.113.7"));
        assert_eq!(two.client(peer, &forwarded(&["203.0.113.7"])), peer);

        let networks = ClientAddress::ProxyNetworks {
            header,
            networks: vec!["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()],
        };
        let chain = forwarded(&["6.6.6.6, 203.0.113.7, 10.1.2.3"]);
        assert_eq!(networks.client(peer, &chain), ip("203.0.113.7"));
        assert_eq!(networks.client(ip("198.51.100.1"), &chain), ip("198.51.100.1"), "an untrusted peer is the client");
        assert_eq!(networks.client(peer, &forwarded(&["10.1.1.1"])), ip("10.1.1.1"));
        assert_eq!(networks.client(ip("::ffff:10.0.0.2"), &forwarded(&["203.0.113.9"])), ip("203.0.113.9"));
    }

    /// Two thousand workers behind one office address, through a morning: everyone opens the
    /// app within a minute, then each moves through pages (the widget's config, hotspots and
    /// help for each page), opens help, searches now and then and sends events. With the
    /// default budget nobody is refused; one client flooding from the same kind of address is.
    #[test]
    fn a_busy_office_behind_one_address_fits_the_default_budget_and_a_flood_does_not() {
        let limit = RateLimit {
            per_minute: NonZeroU32::new(crate::config::ServeConfig::DEFAULT_PUBLIC_RATE_LIMIT).unwrap(),
            burst: NonZeroU32::new(crate::config::ServeConfig::DEFAULT_PUBLIC_RATE_BURST).unwrap(),
        };
        let clock = FakeRelativeClock::default();
        let office = RateLimiter::dashmap_with_clock(limit.quota(), clock.clone());
        // (when in ms, cost) of every request, then replayed in time order.
        let mut requests: Vec<(u64, u32)> = Vec::new();
        let mut random = fastrand::Rng::with_seed(20_261_203);
        const WORKERS: u64 = 2_000;
        const MINUTES: u64 = 30;
        for _ in 0..WORKERS {
            // Arrives within the first minute, then a page every 20 to 60 s.
            let mut at = random.u64(0..60_000);
            while at < MINUTES * 60_000 {
                requests.extend([(at, 1), (at + 50, 1), (at + 60, 1)]); // config, hotspots, help
                if random.u8(0..3) == 0 {
                    requests.push((at + random.u64(1_000..15_000), 1)); // help for a focused field
                }
                if random.u8(0..10) == 0 {
                    requests.push((at + random.u64(1_000..15_000), 4)); // a search
                }
                if random.u8(0..2) == 0 {
                    requests.push((at + random.u64(5_000..20_000), 2)); // an event batch
                }
                at += random.u64(20_000..60_000);
            }
        }
        requests.sort_unstable();
        let mut now = 0;
        let mut refused = 0;
        for (at, cost) in &requests {
            clock.advance(Duration::from_millis(at - now));
            now = *at;
            if !matches!(office.check_key_n(&"office", NonZeroU32::new(*cost).unwrap()), Ok(Ok(()))) {
                refused += 1;
            }
        }
        let per_minute = requests.len() as u64 / MINUTES;
        assert!(per_minute > 10_000, "the simulation is busy: {per_minute} requests a minute");
        assert_eq!(refused, 0, "an office of {WORKERS} is never refused ({} requests)", requests.len());

        // One client sending 2,000 requests a second for a minute gets a small share through.
        let flooder = RateLimiter::dashmap_with_clock(limit.quota(), clock.clone());
        let mut allowed = 0;
        for _ in 0..120_000 {
            clock.advance(Duration::from_micros(500));
            allowed += u32::from(matches!(flooder.check_key(&"flood"), Ok(())));
        }
        assert!(allowed < 40_000, "a flood is stopped: {allowed} of 120,000 allowed");
    }
}
