//! Talking to the Cuecard service: every request has a timeout and sends no cookies.

use gloo_net::http::Request;
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
    /// The body was not what the wire format promises.
    Malformed,
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

pub async fn fetch_help(api_base: &str, query: &wire::HelpQuery) -> Result<Vec<wire::Card>, FetchError> {
    let body = get_json(api_base, "/v1/help", query_pairs(query)).await?;
    list(&body, "snippets", card_from_js)
}

/// `GET /v1/search` with the words and the worker's context.
pub async fn fetch_search(api_base: &str, context: &wire::HelpQuery, words: &str) -> Result<Vec<Hit>, FetchError> {
    let mut pairs = query_pairs(context);
    pairs.push(("q", words));
    let body = get_json(api_base, "/v1/search", pairs).await?;
    list(&body, "hits", hit_from_js)
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
pub async fn post_events(api_base: &str, site: &str, batch: &wire::EventBatch) -> Result<(), FetchError> {
    let text = String::from(js_sys::JSON::stringify(&batch_to_js(batch)).map_err(|_| FetchError::Malformed)?);
    let url = format!("{}/v1/events", api_base.trim_end_matches('/'));
    let response = with_timeout(|signal| {
        let request = Request::post(&url)
            .query([("site", site)])
            .credentials(RequestCredentials::Omit)
            .header("content-type", "text/plain")
            .abort_signal(Some(signal))
            .body(text);
        async move { request?.send().await }
    })
    .await?;
    if response.ok() { Ok(()) } else { Err(FetchError::Status(response.status())) }
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
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                set(&object, name, JsValue::from_str(value));
            }
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

/// Runs a request that is aborted after [`TIMEOUT_MS`].
async fn with_timeout<F, Fut>(send: F) -> Result<gloo_net::http::Response, FetchError>
where
    F: FnOnce(&web_sys::AbortSignal) -> Fut,
    Fut: std::future::Future<Output = Result<gloo_net::http::Response, gloo_net::Error>>,
{
    let controller = AbortController::new().map_err(|_| FetchError::Unreachable)?;
    let abort = {
        let controller = controller.clone();
        Closure::once(move || controller.abort())
    };
    let timer = web_sys::window().and_then(|window| {
        window.set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), TIMEOUT_MS).ok()
    });
    let response = send(&controller.signal()).await;
    if let (Some(window), Some(timer)) = (web_sys::window(), timer) {
        window.clear_timeout_with_handle(timer);
    }
    drop(abort);
    response.map_err(|_| FetchError::Unreachable)
}

async fn get_json(api_base: &str, endpoint: &str, pairs: Vec<(&'static str, &str)>) -> Result<JsValue, FetchError> {
    let url = format!("{}{endpoint}", api_base.trim_end_matches('/'));
    let response = with_timeout(|signal| {
        Request::get(&url).query(pairs).credentials(RequestCredentials::Omit).abort_signal(Some(signal)).send()
    })
    .await?;
    if !response.ok() {
        return Err(FetchError::Status(response.status()));
    }
    let text = response.text().await.map_err(|_| FetchError::Unreachable)?;
    js_sys::JSON::parse(&text).map_err(|_| FetchError::Malformed)
}
