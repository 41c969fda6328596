//! One error table at the edge: each case maps to a status and a stable snake_case code.
//! 4xx say exactly what was wrong; 5xx are logged with the request id and say nothing internal.

use axum::extract::Request;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Every code an error answer can carry, with its status: the README's table is this one (a
/// test holds them equal), and every code the service sends is in it.
pub const ERROR_CODES: &[(&str, u16)] = &[
    ("bad_request", 400),
    ("missing_parameter", 400),
    ("parameter_too_long", 400),
    ("invalid_parameter", 400),
    ("invalid_locale", 400),
    ("invalid_query", 400),
    ("invalid_body", 400),
    ("missing_key", 401),
    ("invalid_key", 401),
    ("session_ended", 401),
    ("origin_not_allowed", 403),
    ("forbidden", 403),
    ("cross_site_refused", 403),
    ("unknown_site", 404),
    ("not_found", 404),
    ("method_not_allowed", 405),
    ("request_timeout", 408),
    ("duplicate", 409),
    ("conflict", 409),
    ("stale_version", 412),
    ("payload_too_large", 413),
    ("uri_too_long", 414),
    ("unsupported_media_type", 415),
    ("validation_failed", 422),
    ("precondition_required", 428),
    ("rate_limited", 429),
    ("headers_too_large", 431),
    ("internal", 500),
    ("search_warming_up", 503),
    ("busy", 503),
];

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("the `{0}` parameter is required")]
    MissingParameter(&'static str),
    #[error("the `{name}` parameter is too long (at most {max})")]
    ParameterTooLong { name: &'static str, max: usize },
    #[error("the `{name}` parameter is invalid: {message}")]
    InvalidParameter { name: &'static str, message: String },
    #[error("{0}")]
    InvalidLocale(String),
    #[error("the query string is invalid: {0}")]
    InvalidQuery(String),
    #[error("no site has the key `{0}`")]
    UnknownSite(String),
    #[error("this site does not allow requests from origin `{0}`")]
    OriginNotAllowed(String),
    #[error("no such resource")]
    NotFound,
    #[error("search is starting up; retry in a moment")]
    SearchWarmingUp,
    #[error("this endpoint needs a secret key (`Authorization: Bearer sk_…`) or a console session")]
    MissingKey,
    #[error("{0}")]
    InvalidKey(String),
    #[error("the console session ended or expired; sign in again")]
    SessionEnded,
    #[error("{0}")]
    CrossSite(String),
    #[error("this needs a key with the `{0}` role or higher")]
    Forbidden(store::Role),
    #[error("changes need `If-Match` with the resource's ETag (from GET or the last change), or `*`")]
    PreconditionRequired,
    #[error("the snippet changed since you read it (now version {})", .0.version)]
    StaleVersion(Box<wire::admin::Snippet>),
    #[error("the site's settings changed since you read them (now version {})", .0.version)]
    StaleSite(Box<wire::admin::Site>),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is invalid: {0}")]
    InvalidBody(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("the request body is larger than {} bytes", super::BODY_LIMIT_BYTES)]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the URL is longer than {} bytes", super::URI_LIMIT_BYTES)]
    UriTooLong,
    #[error("the request headers are larger than {} bytes", super::HEADERS_LIMIT_BYTES)]
    HeadersTooLarge,
    #[error("too many requests; retry in {0} s")]
    RateLimited(u64),
    #[error("the service is storing a burst of events; try again in a moment")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::MissingParameter(_) => (StatusCode::BAD_REQUEST, "missing_parameter"),
            ApiError::ParameterTooLong { .. } => (StatusCode::BAD_REQUEST, "parameter_too_long"),
            ApiError::InvalidParameter { .. } => (StatusCode::BAD_REQUEST, "invalid_parameter"),
            ApiError::InvalidLocale(_) => (StatusCode::BAD_REQUEST, "invalid_locale"),
            ApiError::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            ApiError::UnknownSite(_) => (StatusCode::NOT_FOUND, "unknown_site"),
            ApiError::OriginNotAllowed(_) => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::SearchWarmingUp => (StatusCode::SERVICE_UNAVAILABLE, "search_warming_up"),
            ApiError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::MissingKey => (StatusCode::UNAUTHORIZED, "missing_key"),
            ApiError::InvalidKey(_) => (StatusCode::UNAUTHORIZED, "invalid_key"),
            ApiError::SessionEnded => (StatusCode::UNAUTHORIZED, "session_ended"),
            ApiError::CrossSite(_) => (StatusCode::FORBIDDEN, "cross_site_refused"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PreconditionRequired => (StatusCode::PRECONDITION_REQUIRED, "precondition_required"),
            ApiError::StaleVersion(_) | ApiError::StaleSite(_) => (StatusCode::PRECONDITION_FAILED, "stale_version"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            ApiError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::Duplicate(_) => (StatusCode::CONFLICT, "duplicate"),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::UriTooLong => (StatusCode::URI_TOO_LONG, "uri_too_long"),
            ApiError::HeadersTooLarge => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = wire::ErrorBody { error: wire::ErrorDetail { code: code.to_owned(), message } };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            // The request id is on the surrounding span (TraceLayer), so the log line carries it.
            tracing::error!(%detail, "internal error");
        }
        let message = self.to_string();
        match self {
            ApiError::StaleVersion(current) => {
                let body = wire::admin::StaleBody {
                    error: wire::ErrorDetail { code: code.to_owned(), message },
                    current: *current,
                };
                let etag = super::version_etag(body.current.version);
                (status, [(axum::http::header::ETAG, etag)], axum::Json(body)).into_response()
            }
            ApiError::StaleSite(current) => {
                let body = wire::admin::StaleSiteBody {
                    error: wire::ErrorDetail { code: code.to_owned(), message },
                    current: *current,
                };
                let etag = super::version_etag(body.current.version);
                (status, [(axum::http::header::ETAG, etag)], axum::Json(body)).into_response()
            }
            ApiError::SearchWarmingUp | ApiError::Busy => {
                let mut response = error_response(status, code, message);
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            ApiError::RateLimited(seconds) => {
                let mut response = error_response(status, code, message);
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
                response
            }
            ApiError::MissingKey | ApiError::InvalidKey(_) => {
                let mut response = error_response(status, code, message);
                response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            _ => error_response(status, code, message),
        }
    }
}

impl From<store::Error> for ApiError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::Invalid(message) => ApiError::Validation(message),
            store::Error::NotFound => ApiError::NotFound,
            store::Error::UnknownSite(site) => ApiError::UnknownSite(site),
            store::Error::Duplicate(message) => ApiError::Duplicate(message),
            store::Error::Conflict(message) => ApiError::Conflict(message),
            store::Error::StaleSite(current) => ApiError::StaleSite(Box::new(super::convert::site_to_wire(&current))),
            store::Error::Stale(current) => ApiError::StaleVersion(Box::new(super::convert::snippet_to_wire(&current))),
            other => {
                if matches!(other, store::Error::Database(_) | store::Error::Migration(_)) {
                    metrics::counter!("cuecard_database_errors_total").increment(1);
                }
                ApiError::Internal(other.to_string())
            }
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Gives error responses made by layers (timeout, body limit, unknown method) the same JSON
/// shape as handler errors.
pub async fn json_error_bodies(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        status if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut replaced = error_response(status, code, message);
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_documented_code_and_status() {
        let every = [
            ApiError::MissingParameter("site"),
            ApiError::ParameterTooLong { name: "q", max: 1 },
            ApiError::InvalidParameter { name: "path", message: String::new() },
            ApiError::InvalidLocale(String::new()),
            ApiError::InvalidQuery(String::new()),
            ApiError::UnknownSite(String::new()),
            ApiError::OriginNotAllowed(String::new()),
            ApiError::NotFound,
            ApiError::SearchWarmingUp,
            ApiError::Busy,
            ApiError::MissingKey,
            ApiError::InvalidKey(String::new()),
            ApiError::Forbidden(store::Role::Owner),
            ApiError::PreconditionRequired,
            ApiError::Conflict(String::new()),
            ApiError::InvalidBody(String::new()),
            ApiError::Validation(String::new()),
            ApiError::Duplicate(String::new()),
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::UriTooLong,
            ApiError::HeadersTooLarge,
            ApiError::RateLimited(1),
            ApiError::Internal(String::new()),
        ];
        for error in every {
            let (status, code) = error.status_and_code();
            assert!(ERROR_CODES.contains(&(code, status.as_u16())), "{code} ({status}) is not in ERROR_CODES");
        }
        assert!(ERROR_CODES.contains(&("stale_version", 412)));
    }
}
