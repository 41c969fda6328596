//! Talking to the Cuecard service: every request has a timeout and sends no cookies.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, RequestCredentials};

/// How long a help request may take before the widget gives up on it.
pub const TIMEOUT_MS: i32 = 8_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Network failure, timeout or CORS refusal.
    Unreachable,
    /// The service answered with an error status.
    Status(u16),
    /// The service is busy or down for a while and said how long (`Retry-After`, seconds).
    RetryAfter(u32),
    /// The body was not what the wire format promises.
    Malformed,
}

/// When to ask the service again after failures: after 2, 4, 8… seconds (at most two minutes),
/// or after the service's own `Retry-After`. Until then the widget shows what it has cached.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Backoff {
    failures: u32,
    /// Time (ms since the epoch) before which no request is made.
    until_ms: f64,
}

impl Backoff {
    pub fn ready(&self, now_ms: f64) -> bool {
        now_ms >= self.until_ms
    }

    /// A request failed with `error`; the service's `Retry-After`, if it gave one, wins.
    pub fn failed(&mut self, now_ms: f64, error: &FetchError) {
        let retry_after_secs = if let FetchError::RetryAfter(seconds) = error { Some(*seconds) } else { None };
        self.failures = self.failures.saturating_add(1);
        let doubling = f64::from(1_u32 << self.failures.min(7)).min(120.0);
        let seconds = retry_after_secs.map_or(doubling, |seconds| f64::from(seconds.min(3600)));
        self.until_ms = now_ms + seconds * 1000.0;
    }

    pub fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

/// The last answers per query, newest last, at most `RECENT_MAX`: going back to a field or
/// screen shows its help at once, and an outage shows what was seen before. A plain vector:
/// lookups are rare and short, and a hash map's code would weigh more than the widget gains.
#[derive(Debug)]
pub struct Recent<V> {
    entries: Vec<(wire::HelpQuery, V)>,
}

pub const RECENT_MAX: usize = 32;

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent { entries: Vec::new() }
    }
}

impl<V> Recent<V> {
    pub fn get(&self, query: &wire::HelpQuery) -> Option<&V> {
        self.entries.iter().find(|(known, _)| known == query).map(|(_, value)| value)
    }

    pub fn insert(&mut self, query: wire::HelpQuery, value: V) {
        self.entries.retain(|(known, _)| *known != query);
        if self.entries.len() >= RECENT_MAX {
            self.entries.remove(0);
        }
        self.entries.push((query, value));
    }
}

/// One card endpoint as the widget uses it: its recent answers per query and its backoff after
/// failures. The panel's list (`/v1/help`) and the hotspots (`/v1/hotspots`) each have one.
pub struct Cards {
    api_base: String,
    endpoint: &'static str,
    recent: RefCell<Recent<Vec<wire::Card>>>,
    backoff: RefCell<Backoff>,
}

impl Cards {
    pub fn new(api_base: &str, endpoint: &'static str) -> Rc<Cards> {
        Rc::new(Cards {
            api_base: api_base.to_owned(),
            endpoint,
            recent: RefCell::default(),
            backoff: RefCell::default(),
        })
    }

    /// The last answer for `query`, if there is one.
    pub fn cached(&self, query: &wire::HelpQuery) -> Option<Ref<'_, Vec<wire::Card>>> {
        Ref::filter_map(self.recent.borrow(), |recent| recent.get(query)).ok()
    }

    /// Keeps `cards` as the answer for `query` (the loader's first answer).
    pub fn remember(&self, query: wire::HelpQuery, cards: Vec<wire::Card>) {
        self.recent.borrow_mut().insert(query, cards);
    }

    /// False while backing off after failures: ask again later, show what is cached meanwhile.
    pub fn ready(&self) -> bool {
        self.backoff.borrow().ready(js_sys::Date::now())
    }

    /// Asks for `query`'s cards. The answer is kept (or the failure counted for the backoff)
    /// before `done` hears of it.
    pub fn fetch(
        self: &Rc<Self>,
        query: wire::HelpQuery,
        done: impl FnOnce(Result<Vec<wire::Card>, FetchError>) + 'static,
    ) {
        let cards = self.clone();
        fetch_cards(&self.api_base, self.endpoint, &query.clone(), move |result| {
            match &result {
                Ok(answer) => {
                    cards.backoff.borrow_mut().succeeded();
                    cards.recent.borrow_mut().insert(query, answer.clone());
                }
                Err(error) => cards.backoff.borrow_mut().failed(js_sys::Date::now(), error),
            }
            done(result);
        });
    }
}

/// Query pairs in a stable order, so equal contexts give equal URLs (and HTTP cache hits).
pub fn query_pairs(query: &wire::HelpQuery) -> Vec<(&'static str, &str)> {
    let mut pairs = vec![("site", query.site.as_str())];
    let optional = [
        ("path", &query.path),
        ("route", &query.route),
        ("keys", &query.keys),
        ("roles", &query.roles),
        ("locale", &query.locale),
        ("app_version", &query.app_version),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            pairs.push((name, value.as_str()));
        }
    }
    pairs
}

/// What a request's answer, as the browser parsed it, is handed to.
type Done = Box<dyn FnOnce(Result<JsValue, FetchError>)>;

/// Sends one request and hands the parsed JSON answer (or the failure) to `done`. Every request
/// the widget makes goes through here, so the wasm carries one spawned future instead of one per
/// caller (each costs about a kilobyte of the payload budget).
fn request(request: RequestBuilder, body: Option<String>, done: Done) {
    leptos::task::spawn_local(async move { done(send(request, body).await) });
}

/// The answer read as `T`, the wire type its endpoint promises.
fn decode<T: DeserializeOwned>(body: Result<JsValue, FetchError>) -> Result<T, FetchError> {
    crate::decode::from_js(body?).map_err(|_| FetchError::Malformed)
}

/// The service's `endpoint` (`/v1/help`) under `api_base`.
fn endpoint_url(api_base: &str, endpoint: &str) -> String {
    format!("{}{endpoint}", api_base.trim_end_matches('/'))
}

/// A `GET` of `endpoint` with the query pairs (encoded by the browser).
fn get(api_base: &str, endpoint: &str, pairs: &[(&str, &str)], done: Done) {
    request(Request::get(&endpoint_url(api_base, endpoint)).query(pairs.iter().copied()), None, done);
}

/// `GET /v1/help` (the context's snippets, best first) or `GET /v1/hotspots` (the first snippet of
/// each key on the page): both answer a list of cards.
fn fetch_cards(
    api_base: &str,
    endpoint: &str,
    query: &wire::HelpQuery,
    done: impl FnOnce(Result<Vec<wire::Card>, FetchError>) + 'static,
) {
    get(
        api_base,
        endpoint,
        &query_pairs(query),
        Box::new(move |body| done(decode(body).map(|help: wire::HelpResponse| help.snippets))),
    );
}

/// `GET /v1/snippets/{id}`: one published snippet, for `Cuecard('show', id)`.
pub fn fetch_snippet(api_base: &str, site: &str, id: i64, done: impl FnOnce(wire::SnippetBody) + 'static) {
    let endpoint = format!("/v1/snippets/{id}");
    get(
        api_base,
        &endpoint,
        &[("site", site)],
        Box::new(move |body| {
            if let Ok(snippet) = decode(body) {
                done(snippet);
            }
        }),
    );
}

/// `GET /v1/search` with the words and the worker's context.
pub fn fetch_search(
    api_base: &str,
    context: &wire::HelpQuery,
    words: &str,
    done: impl FnOnce(Result<Vec<wire::SearchHit>, FetchError>) + 'static,
) {
    let mut pairs = query_pairs(context);
    pairs.push(("q", words));
    get(
        api_base,
        "/v1/search",
        &pairs,
        Box::new(move |body| done(decode(body).map(|found: wire::SearchResponse| found.hits))),
    );
}

/// The first answer the loader fetched (`GET /v1/boot`, parsed by the browser): its cards and
/// the site's look. The views rendered on the service stay in the loader.
pub fn boot_from_js(boot: &JsValue) -> (Option<Vec<wire::Card>>, wire::WidgetLook) {
    let part = |name: &str| js_sys::Reflect::get(boot, &JsValue::from_str(name)).map_err(|_| FetchError::Malformed);
    let help: Option<wire::HelpResponse> = decode(part("help")).ok();
    (help.map(|help| help.snippets), decode(part("look")).unwrap_or_default())
}

/// `POST /v1/events`, as `text/plain` so the browser sends it without a preflight. Best effort:
/// a batch that fails is dropped, never retried into a pile.
pub fn post_events(api_base: &str, site: &str, batch: &wire::EventBatch) {
    let Ok(text) = serde_json::to_string(batch) else {
        return;
    };
    request(Request::post(&endpoint_url(api_base, "/v1/events")).query([("site", site)]), Some(text), Box::new(drop));
}

/// One request without cookies, aborted after [`TIMEOUT_MS`]; the parsed body of a 2xx answer.
async fn send(request: RequestBuilder, body: Option<String>) -> Result<JsValue, FetchError> {
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let controller = AbortController::new().map_err(|_| FetchError::Unreachable)?;
    let request = request.credentials(RequestCredentials::Omit).abort_signal(Some(&controller.signal()));
    let request = match body {
        // A string body goes as `text/plain`, which needs no CORS preflight. `keepalive` lets a
        // batch sent as the worker leaves the page outlive the page (gloo-net has no setter for
        // it: the request is copied once with it).
        Some(body) => {
            let request = request.body(body).map_err(|_| FetchError::Unreachable)?;
            let init = web_sys::RequestInit::new();
            let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
            web_sys::Request::new_with_request_and_init(&request.into(), &init).map(Request::from).ok()
        }
        None => request.build().ok(),
    }
    .ok_or(FetchError::Unreachable)?;
    let abort = {
        let controller = controller.clone();
        Closure::once(move || controller.abort())
    };
    let timer =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), TIMEOUT_MS).ok();
    let answer = answer(request).await;
    if let Some(timer) = timer {
        window.clear_timeout_with_handle(timer);
    }
    drop(abort);
    answer
}

/// Sends `request`; the parsed body of a 2xx answer, else why not.
async fn answer(request: Request) -> Result<JsValue, FetchError> {
    let response = request.send().await.map_err(|_| FetchError::Unreachable)?;
    if response.ok() {
        let text = response.text().await.map_err(|_| FetchError::Unreachable)?;
        return js_sys::JSON::parse(&text).map_err(|_| FetchError::Malformed);
    }
    // A context the service refuses (a role with a space, a version that is not semver): the
    // developer learns which value and why, in the service's own words, in the console.
    if response.status() == 400
        && let Ok(text) = response.text().await
    {
        web_sys::console::warn_2(
            &JsValue::from_str("Cuecard: the service refused the context:"),
            &JsValue::from_str(&text),
        );
    }
    Err(response
        .headers()
        .get("retry-after")
        .and_then(|seconds| seconds.trim().parse().ok())
        .map_or(FetchError::Status(response.status()), FetchError::RetryAfter))
}

#[cfg(test)]
mod tests {
    use super::{Backoff, FetchError, RECENT_MAX, Recent};

    #[test]
    fn recent_answers_keep_the_newest_and_replace_repeats() {
        let query = |n: usize| wire::HelpQuery { site: format!("pk_{n}"), ..wire::HelpQuery::default() };
        let mut recent = Recent::default();
        for n in 0..=RECENT_MAX {
            recent.insert(query(n), n);
        }
        assert_eq!(recent.get(&query(0)), None, "the oldest went");
        assert_eq!(recent.get(&query(1)), Some(&1));
        recent.insert(query(1), 100);
        assert_eq!(recent.get(&query(1)), Some(&100));
        assert_eq!(recent.entries.len(), RECENT_MAX);
    }

    #[test]
    fn failures_back_off_doubling_or_as_the_service_says() {
        let mut backoff = Backoff::default();
        assert!(backoff.ready(0.0));
        backoff.failed(0.0, &FetchError::Unreachable);
        assert!(!backoff.ready(1_999.0) && backoff.ready(2_000.0));
        backoff.failed(2_000.0, &FetchError::Status(500));
        assert!(!backoff.ready(5_999.0) && backoff.ready(6_000.0));
        for _ in 0..20 {
            backoff.failed(0.0, &FetchError::Unreachable);
        }
        assert!(backoff.ready(120_000.0), "at most two minutes");
        backoff.failed(0.0, &FetchError::RetryAfter(30));
        assert!(!backoff.ready(29_999.0) && backoff.ready(30_000.0), "Retry-After wins");
        backoff.succeeded();
        assert!(backoff.ready(0.0));
    }
}
