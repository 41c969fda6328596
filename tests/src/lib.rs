//! The demo site's web server: a customer's app on its own origin, as in real life.
//!
//! Serves `demo-site/` as the web root, with the single-page part's deep links (`/approvals/…`)
//! falling back to its `index.html`, and the help sources (`/help/`) hidden. Pages can be
//! pointed at any Cuecard origin and given extra `<head>` content (the browser tests use this
//! to record errors) and a Content-Security-Policy.

mod chrome;
pub use chrome::Chrome;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The origin the demo pages' embed tag names; rewritten to `HostOptions::api_origin`.
pub const DEMO_API_ORIGIN: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Folder served as the web root (`demo-site/`).
    pub root: PathBuf,
    /// Where the Cuecard service runs (`http://127.0.0.1:8080`).
    pub api_origin: String,
    /// Inserted right after `<head>` in every page.
    pub head_prefix: String,
    /// Sent as `Content-Security-Policy` with every page, if set.
    pub content_security_policy: Option<String>,
    /// Serve the pages without their Cuecard script tag (to compare with and without).
    pub without_widget: bool,
}

impl HostOptions {
    pub fn new(root: impl Into<PathBuf>, api_origin: impl Into<String>) -> HostOptions {
        HostOptions {
            root: root.into(),
            api_origin: api_origin.into(),
            head_prefix: String::new(),
            content_security_policy: None,
            without_widget: false,
        }
    }
}

/// The demo site's folder in this repository.
pub fn demo_site_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo-site")
}

pub fn router(options: HostOptions) -> Router {
    Router::new().fallback(serve).with_state(Arc::new(options))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|extension| extension.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Maps a URL path to a file below the root, or `None` when it must not be served.
fn file_for(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = Path::new(url_path.trim_start_matches('/'));
    if relative.components().any(|part| !matches!(part, Component::Normal(_))) {
        return None;
    }
    if relative.starts_with("help") {
        return None;
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    if file.is_file() {
        return Some(file);
    }
    // The single-page part owns every path below it.
    if relative.starts_with("approvals") {
        return Some(root.join("approvals/index.html"));
    }
    None
}

async fn serve(State(options): State<Arc<HostOptions>>, request: Request) -> Response {
    let Some(file) = file_for(&options.root, request.uri().path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let content_type = content_type(&file);
    if !content_type.starts_with("text/html") {
        return ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    }
    let mut page = String::from_utf8_lossy(&bytes).into_owned();
    if options.without_widget {
        page = page.lines().filter(|line| !line.contains("/widget/cuecard.js")).collect::<Vec<_>>().join("\n");
    }
    let page = page.replace(DEMO_API_ORIGIN, &options.api_origin).replacen(
        "<head>",
        &format!("<head>{}", options.head_prefix),
        1,
    );
    let mut response = ([(header::CONTENT_TYPE, content_type)], page).into_response();
    if let Some(policy) = options.content_security_policy.as_deref()
        && let Ok(value) = HeaderValue::from_str(policy)
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files_or_nothing() {
        let root = demo_site_dir();
        assert_eq!(file_for(&root, "/"), Some(root.join("index.html")));
        assert_eq!(file_for(&root, "/claims/"), Some(root.join("claims/index.html")));
        assert_eq!(file_for(&root, "/approvals/CLM-1042/history"), Some(root.join("approvals/index.html")));
        assert_eq!(file_for(&root, "/help/general/expense-policy.md"), None);
        assert_eq!(file_for(&root, "/../Cargo.toml"), None);
        assert_eq!(file_for(&root, "/nothing.html"), None);
    }
}
