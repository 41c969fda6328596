//! Talking to the Cuecard service: every request has a timeout and sends no cookies.

use gloo_net::http::Request;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
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
    let controller = AbortController::new().map_err(|_| FetchError::Unreachable)?;
    let abort = {
        let controller = controller.clone();
        Closure::once(move || controller.abort())
    };
    let timer = web_sys::window().and_then(|window| {
        window.set_timeout_with_callback_and_timeout_and_arguments_0(abort.as_ref().unchecked_ref(), TIMEOUT_MS).ok()
    });
    let url = format!("{}/v1/help", api_base.trim_end_matches('/'));
    let response = Request::get(&url)
        .query(query_pairs(query))
        .credentials(RequestCredentials::Omit)
        .abort_signal(Some(&controller.signal()))
        .send()
        .await;
    if let (Some(window), Some(timer)) = (web_sys::window(), timer) {
        window.clear_timeout_with_handle(timer);
    }
    drop(abort);
    let response = response.map_err(|_| FetchError::Unreachable)?;
    if !response.ok() {
        return Err(FetchError::Status(response.status()));
    }
    // The browser parses the JSON; serde only walks the result (no JSON parser in the wasm).
    let text = response.text().await.map_err(|_| FetchError::Unreachable)?;
    let value = js_sys::JSON::parse(&text).map_err(|_| FetchError::Malformed)?;
    let body: wire::HelpResponse = serde_wasm_bindgen::from_value(value).map_err(|_| FetchError::Malformed)?;
    Ok(body.snippets)
}
