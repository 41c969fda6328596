//! Talking to the Cuecard service: every request has a timeout and sends no cookies.

use std::cell::{Ref, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestCredentials, RequestInit};

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

/// What a request's answer, parsed, is handed to.
type Done = Box<dyn FnOnce(Result<JsValue, FetchError>)>;

/// Sends one request and hands the parsed JSON answer (or the failure) to `done`. Every request
/// the widget makes goes through here, so the wasm carries one spawned future instead of one per
/// caller (each costs about a kilobyte of the payload budget).
fn request(method: &'static str, url: Result<String, FetchError>, body: Option<String>, done: Done) {
    leptos::task::spawn_local(async move {
        let answer = match url {
            Ok(url) => send(method, &url, body.as_deref()).await,
            Err(error) => Err(error),
        };
        done(answer.and_then(|text| js_sys::JSON::parse(&text).map_err(|_| FetchError::Malformed)));
    });
}

fn get(api_base: &str, endpoint: &str, pairs: &[(&str, &str)], done: Done) {
    request("GET", url(api_base, endpoint, pairs), None, done);
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
        Box::new(move |body| done(body.and_then(|body| list(&body, "snippets", card_from_js)))),
    );
}

/// `GET /v1/snippets/{id}`: one published snippet, for `Cuecard('show', id)`.
pub fn fetch_snippet(api_base: &str, site: &str, id: i64, done: impl FnOnce(crate::app::Viewed) + 'static) {
    let viewed = |body: &JsValue| {
        Some(crate::app::Viewed {
            id: field(body, "id").as_f64()? as i64,
            title: text(body, "title")?,
            html: text(body, "html")?,
            moment: wire::Moment::parse(&text(body, "moment")?)?,
        })
    };
    let endpoint = format!("/v1/snippets/{id}");
    get(
        api_base,
        &endpoint,
        &[("site", site)],
        Box::new(move |body| {
            if let Some(viewed) = body.ok().as_ref().and_then(viewed) {
                done(viewed);
            }
        }),
    );
}

/// `GET /v1/search` with the words and the worker's context.
pub fn fetch_search(
    api_base: &str,
    context: &wire::HelpQuery,
    words: &str,
    done: impl FnOnce(Result<Vec<Hit>, FetchError>) + 'static,
) {
    let mut pairs = query_pairs(context);
    pairs.push(("q", words));
    get(
        api_base,
        "/v1/search",
        &pairs,
        Box::new(move |body| done(body.and_then(|body| list(&body, "hits", hit_from_js)))),
    );
}

// The browser parses the JSON and these read the few fields the widget uses, so the wasm carries
// no JSON parser and no serde deserializers (measured: several kilobytes of the payload budget).

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string()
}

fn list<T>(body: &JsValue, name: &str, item: fn(&JsValue) -> Option<T>) -> Result<Vec<T>, FetchError> {
    let array = field(body, name).dyn_into::<js_sys::Array>().map_err(|_| FetchError::Malformed)?;
    array.iter().map(|value| item(&value).ok_or(FetchError::Malformed)).collect()
}

/// The cards of a help answer (`{ snippets: [...] }`) the browser parsed.
pub fn cards_from_js(help: &JsValue) -> Option<Vec<wire::Card>> {
    list(help, "snippets", card_from_js).ok()
}

/// The site's look from a boot answer.
pub fn look_from_js(look: &JsValue) -> wire::WidgetLook {
    wire::WidgetLook {
        left: field(look, "left").is_truthy(),
        label: text(look, "label"),
        theme: String::new(),
        hotspots: field(look, "hotspots").is_truthy(),
    }
}

fn reason_from_js(value: &JsValue) -> Option<wire::Reason> {
    Some(wire::Reason {
        kind: wire::ReasonKind::parse(&text(value, "kind")?)?,
        target: text(value, "target"),
        role: text(value, "role"),
        locale: text(value, "locale")?,
    })
}

fn card_from_js(value: &JsValue) -> Option<wire::Card> {
    Some(wire::Card {
        id: field(value, "id").as_f64()? as i64,
        title: text(value, "title")?,
        html: text(value, "html")?,
        moment: wire::Moment::parse(&text(value, "moment")?)?,
        reason: reason_from_js(&field(value, "reason"))?,
    })
}

/// What the widget shows of a search hit (the answer also carries its score and reason).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub title: String,
    pub html: String,
    /// Escaped text with `<mark>` around the matched words.
    pub excerpt: String,
    pub moment: wire::Moment,
}

fn hit_from_js(value: &JsValue) -> Option<Hit> {
    Some(Hit {
        id: field(value, "id").as_f64()? as i64,
        title: text(value, "title")?,
        html: text(value, "html")?,
        excerpt: text(value, "excerpt")?,
        moment: wire::Moment::parse(&text(value, "moment")?)?,
    })
}

/// `POST /v1/events`, as `text/plain` so the browser sends it without a preflight. Best effort:
/// a batch that fails is dropped, never retried into a pile.
pub fn post_events(api_base: &str, site: &str, batch: &wire::EventBatch) {
    let Ok(text) = js_sys::JSON::stringify(&batch_to_js(batch)) else {
        return;
    };
    // A string body goes as `text/plain`, which needs no CORS preflight.
    request("POST", url(api_base, "/v1/events", &[("site", site)]), Some(text.into()), Box::new(drop));
}

/// The batch as a plain JS object for `JSON.stringify`: the browser writes the JSON, so the wasm
/// carries no serializer (serde's would cost kilobytes for one small shape).
fn batch_to_js(batch: &wire::EventBatch) -> JsValue {
    let set = |object: &js_sys::Object, name: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(object, &JsValue::from_str(name), &value);
    };
    let events = js_sys::Array::new();
    for event in &batch.events {
        let object = js_sys::Object::new();
        set(&object, "kind", JsValue::from_str(event.kind.as_str()));
        let texts = [
            ("path", &event.path),
            ("route", &event.route),
            ("key", &event.key),
            ("locale", &event.locale),
            ("query", &event.query),
            ("comment", &event.comment),
            ("roles", &event.roles),
            ("app_version", &event.app_version),
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                set(&object, name, JsValue::from_str(value));
            }
        }
        if let Some(via) = event.via {
            set(&object, "via", JsValue::from_str(via.as_str()));
        }
        if let Some(snippet) = event.snippet {
            // Snippet ids are far below 2^53, so a JS number holds them exactly.
            set(&object, "snippet", JsValue::from_f64(snippet as f64));
        }
        if let Some(results) = event.results {
            set(&object, "results", JsValue::from(results));
        }
        if let Some(helpful) = event.helpful {
            set(&object, "helpful", JsValue::from_bool(helpful));
        }
        events.push(&object);
    }
    let batch = js_sys::Object::new();
    set(&batch, "events", events.into());
    batch.into()
}

/// `api_base` + `endpoint` with the query pairs, encoded by the browser.
fn url(api_base: &str, endpoint: &str, pairs: &[(&str, &str)]) -> Result<String, FetchError> {
    let url = web_sys::Url::new(&format!("{}{endpoint}", api_base.trim_end_matches('/')))
        .map_err(|_| FetchError::Unreachable)?;
    let search = url.search_params();
    for (name, value) in pairs {
        search.append(name, value);
    }
    Ok(url.href())
}

/// One request without cookies, aborted after [`TIMEOUT_MS`]; the body text of a 2xx answer.
async fn send(method: &str, url: &str, body: Option<&str>) -> Result<String, FetchError> {
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let controller = AbortController::new().map_err(|_| FetchError::Unreachable)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(&controller.signal()));
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
        // Lets a batch sent as the worker leaves the page outlive the page.
        // (`keepalive` is not in web-sys's stable API; the dictionary takes it as a plain field.)
        let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    }
    let abort = {
        let controller = controller.clone();
        Closure::once(move || controller.abort())
    };
    let timer =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), TIMEOUT_MS).ok();
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
    let response: web_sys::Response =
        response.map_err(|_| FetchError::Unreachable)?.dyn_into().map_err(|_| FetchError::Unreachable)?;
    let text = if response.ok() || response.status() == 400 {
        let promise = response.text().map_err(|_| FetchError::Unreachable)?;
        Some(JsFuture::from(promise).await.map_err(|_| FetchError::Unreachable)?)
    } else {
        None
    };
    // A context the service refuses (a role with a space, a version that is not semver): the
    // developer learns which value and why, in the service's own words, in the console.
    let text = text.filter(|body| {
        if response.ok() {
            return true;
        }
        web_sys::console::warn_2(&JsValue::from_str("Cuecard: the service refused the context:"), body);
        false
    });
    if let Some(timer) = timer {
        window.clear_timeout_with_handle(timer);
    }
    drop(abort);
    match text {
        Some(text) => text.as_string().ok_or(FetchError::Malformed),
        None => Err(response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|seconds| seconds.trim().parse().ok())
            .map_or(FetchError::Status(response.status()), FetchError::RetryAfter)),
    }
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
