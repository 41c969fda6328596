//! HTTP caching for public answers in one place: strong ETags, `If-None-Match` → 304,
//! `Cache-Control`, and gzip made once per answer for the clients that accept it.

use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A JSON answer with a strong ETag derived from `etag`; 304 when the client already has it.
pub fn respond_json(
    etag: HeaderValue,
    request_headers: &HeaderMap,
    cache_control: &'static str,
    body: bytes::Bytes,
) -> Response {
    let cached = request_headers
        .get(IF_NONE_MATCH)
        .is_some_and(|candidates| etag_matches(candidates.as_bytes(), etag.as_bytes()));
    let headers = [(ETAG, etag), (CACHE_CONTROL, HeaderValue::from_static(cache_control))];
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Like [`respond_json`], but sends `gzip` (made once, with the answer) to clients that accept
/// it. The gzip representation has its own strong ETag (`"…-gz"`), as HTTP requires.
pub fn respond_json_encoded(
    etag: HeaderValue,
    request_headers: &HeaderMap,
    cache_control: &'static str,
    body: bytes::Bytes,
    gzip: Option<bytes::Bytes>,
) -> Response {
    let Some(gzip) = gzip.filter(|_| accepts_gzip(request_headers)) else {
        let mut response = respond_json(etag, request_headers, cache_control, body);
        response.headers_mut().append(axum::http::header::VARY, HeaderValue::from_static("accept-encoding"));
        return response;
    };
    let gzip_etag = etag
        .to_str()
        .ok()
        .and_then(|tag| HeaderValue::from_str(&format!("{}-gz\"", tag.trim_end_matches('"'))).ok())
        .unwrap_or(etag);
    let mut response = respond_json(gzip_etag, request_headers, cache_control, gzip);
    let modified = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    if modified {
        headers.insert(axum::http::header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.append(axum::http::header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether `Accept-Encoding` allows gzip (by name or `*`, and not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(axum::http::header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

/// `body` gzip-compressed, if that makes it smaller.
pub fn gzip(body: &[u8]) -> Option<bytes::Bytes> {
    use std::io::Write as _;
    if body.len() < 256 {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::new(6));
    encoder.write_all(body).ok()?;
    let compressed = encoder.finish().ok()?;
    (compressed.len() < body.len()).then(|| compressed.into())
}

/// A strong ETag from a 64-bit hash.
pub fn etag(hash: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hash:016x}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn etag_matches(candidates: &[u8], etag: &[u8]) -> bool {
    candidates.split(|byte| *byte == b',').any(|candidate| {
        let candidate = candidate.trim_ascii();
        candidate == b"*" || candidate.strip_prefix(b"W/").unwrap_or(candidate) == etag
    })
}
