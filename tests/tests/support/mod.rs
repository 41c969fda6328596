//! The test stand: the real service on a real socket with a fresh SQLite file, the demo site on
//! another origin, and headless Chromium driven through ChromeDriver.

#![allow(dead_code)] // each test file uses its own part of the stand

use engine::render::Renderer;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{SiteSpec, SqliteStore, Store};
use tokio::net::TcpListener;

pub const SITE_KEY: &str = "pk_demo_acme";
const WAIT: Duration = Duration::from_secs(15);

/// Served by the demo host before anything else on the page: records what the page would
/// otherwise only print.
const CAPTURE_SCRIPT: &str = r#"
window.__cuecardTest = { errors: [], rejections: [], consoleErrors: [], consoleWarnings: [], cspViolations: [],
  globalsBefore: Object.getOwnPropertyNames(window) };
window.addEventListener("error", function (event) {
  var where = event.target && event.target !== window ? " (" + (event.target.src || event.target.href || event.target.tagName) + ")" : "";
  window.__cuecardTest.errors.push(String(event.message || event.error || "resource failed") + where);
}, true);
window.addEventListener("unhandledrejection", function (event) {
  window.__cuecardTest.rejections.push(String(event.reason));
});
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cuecardTest.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
var originalWarn = console.warn;
console.warn = function () {
  window.__cuecardTest.consoleWarnings.push(Array.prototype.map.call(arguments, String).join(" "));
  return originalWarn.apply(console, arguments);
};
var originalError = console.error;
console.error = function () {
  window.__cuecardTest.consoleErrors.push(Array.prototype.map.call(arguments, String).join(" "));
  return originalError.apply(console, arguments);
};
"#;

pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The axe-core script; `cargo xtask test` installs it and says where.
pub fn axe_source() -> String {
    let path = std::env::var("CUECARD_AXE").unwrap_or_else(|_| {
        repository_root().join("target/tools/node_modules/axe-core/axe.min.js").to_string_lossy().into_owned()
    });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("axe-core not found at {path} ({error}): run `cargo xtask test`"))
}

/// The built console (`cargo xtask console`); only the console's tests need it to be there.
pub fn console_dir() -> PathBuf {
    std::env::var_os("CUECARD_CONSOLE_DIR").map(PathBuf::from).unwrap_or_else(|| repository_root().join("console/dist"))
}

pub fn widget_dir() -> PathBuf {
    let dir = std::env::var_os("CUECARD_WIDGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository_root().join("widget/dist"));
    assert!(
        dir.join("cuecard.js").is_file(),
        "no built widget in {}: run `cargo xtask widget` first (`cargo xtask test` does)",
        dir.display()
    );
    dir
}

/// The service and the demo site, each on a free port of 127.0.0.1.
pub struct Stack {
    pub api_origin: String,
    pub site_origin: String,
    /// The service's store, to check what reached the database.
    pub store: Arc<dyn store::Store>,
    /// The service's state, to flush what it counts in memory (coverage) when a test needs it.
    pub state: server::AppState,
    /// While set, every `/v1/*` request gets 503 with `Retry-After: 30`, as from a service
    /// that is down for maintenance; `refused` counts the refused `/v1/help` requests.
    pub outage: Arc<std::sync::atomic::AtomicBool>,
    pub refused: Arc<std::sync::atomic::AtomicUsize>,
    /// While `true`, requests for the widget's wasm wait (see `hold_wasm`).
    wasm_held: Arc<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _data: tempfile::TempDir,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Stack {
    pub async fn start() -> Stack {
        Stack::start_with(Vec::new()).await
    }

    /// The demo stack with `extra` snippets imported into the demo site after its own help.
    pub async fn start_with(extra: Vec<store::SnippetDraft>) -> Stack {
        Stack::start_custom(extra, |_| {}).await
    }

    /// The demo stack, with the demo host's options (CSP, extra `<head>` content) adjusted by
    /// `configure`, which sees the service's origin in `api_origin`.
    pub async fn start_custom(
        extra: Vec<store::SnippetDraft>,
        configure: impl FnOnce(&mut cuecard_e2e::HostOptions),
    ) -> Stack {
        let site_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site_origin = format!("http://{}", site_listener.local_addr().unwrap());
        let api_origin = format!("http://{}", api_listener.local_addr().unwrap());

        let data = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", data.path().join("cuecard.db").display());
        let store = SqliteStore::open(&url, Renderer::default()).await.unwrap();
        let default_locale = engine::Locale::parse("en").unwrap();
        let spec = SiteSpec {
            public_key: SITE_KEY.into(),
            name: "Acme Expenses".into(),
            origins: vec![site_origin.clone()],
            default_locale: default_locale.clone(),
            locales: Vec::new(),
        };
        store.put_site(&spec).await.unwrap();
        let files = server::import::read_dir(&repository_root().join("demo-site/help"), &default_locale).unwrap();
        let mut drafts: Vec<_> = files.into_iter().map(|file| file.draft).collect();
        drafts.extend(extra);
        store.import(SITE_KEY, drafts, store::ImportOptions::default()).await.unwrap();
        let store: Arc<dyn store::Store> = Arc::new(store);
        let state = server::AppState::load(store.clone()).await.unwrap();
        let options = server::http::RouterOptions {
            widget_dir: widget_dir(),
            console_dir: console_dir(),
            session_length: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(10),
            public_limits: None,
            metrics: true,
        };
        let outage = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let switch = (outage.clone(), refused.clone());
        let wasm_held = Arc::new(tokio::sync::watch::Sender::new(false));
        let gate = wasm_held.clone();
        let service_state = state.clone();
        let app = server::http::router(state.clone(), options).layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let (outage, refused) = switch.clone();
                let mut held = gate.subscribe();
                async move {
                    if request.uri().path().ends_with(".wasm") {
                        let _ = held.wait_for(|held| !*held).await;
                    }
                    outage_switch(&outage, &refused, request, next).await
                }
            },
        ));
        let api = tokio::spawn(async move {
            let refresher = state.spawn_refresher(Duration::from_secs(1));
            let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let _ = axum::serve(api_listener, service).await;
            refresher.abort();
        });

        let mut host_options = cuecard_e2e::HostOptions::new(cuecard_e2e::demo_site_dir(), api_origin.clone());
        host_options.head_prefix = r#"<script src="/__test/capture.js"></script>"#.into();
        configure(&mut host_options);
        let host = cuecard_e2e::router(host_options).route(
            "/__test/capture.js",
            axum::routing::get(|| async { ([("content-type", "text/javascript")], CAPTURE_SCRIPT) }),
        );
        let site = tokio::spawn(async move {
            let _ = axum::serve(site_listener, host).await;
        });
        Stack {
            api_origin,
            site_origin,
            store,
            state: service_state,
            outage,
            refused,
            wasm_held,
            tasks: vec![api, site],
            _data: data,
        }
    }

    /// Requests for the widget's wasm wait until `release_wasm`: what the worker meets before
    /// the wasm has arrived (on a slow network), held as long as a test needs.
    pub fn hold_wasm(&self) {
        self.wasm_held.send_replace(true);
    }

    pub fn release_wasm(&self) {
        self.wasm_held.send_replace(false);
    }

    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.site_origin)
    }
}

/// The outage switch in front of the service: 503 with `Retry-After` (readable cross-origin, as
/// the service's own answers are) while `outage` is set.
async fn outage_switch(
    outage: &std::sync::atomic::AtomicBool,
    refused: &std::sync::atomic::AtomicUsize,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    if outage.load(Ordering::SeqCst) && request.uri().path().starts_with("/v1/") {
        if request.uri().path() == "/v1/help" {
            refused.fetch_add(1, Ordering::SeqCst);
        }
        let origin = request.headers().get("origin").cloned().unwrap_or(axum::http::HeaderValue::from_static("*"));
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [
                ("retry-after", axum::http::HeaderValue::from_static("30")),
                ("access-control-allow-origin", origin),
                ("access-control-expose-headers", axum::http::HeaderValue::from_static("retry-after")),
            ],
            "down for maintenance",
        )
            .into_response();
    }
    next.run(request).await
}

/// Headless Chromium for one test; killed (with its ChromeDriver) however the test ends.
pub struct Browser {
    pub client: Client,
    chrome: cuecard_e2e::Chrome,
}

impl Browser {
    pub async fn start() -> Browser {
        let chrome = cuecard_e2e::Chrome::start().await.unwrap_or_else(|error| panic!("{error}"));
        Browser { client: chrome.client.clone(), chrome }
    }

    /// A Chrome DevTools Protocol command.
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        self.chrome.cdp(command, params).await.unwrap()
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, Vec::new()).await.unwrap()
    }

    /// Waits until the widget has loaded and shows its launcher.
    pub async fn wait_for_launcher(&self) {
        eventually("the widget's launcher", || async {
            let found = self
                .js(r#"var host = document.querySelector("cuecard-widget");
                       return !!(host && host.shadowRoot && host.shadowRoot.querySelector(".cc-launcher"));"#)
                .await;
            found.as_bool().filter(|found| *found)
        })
        .await;
    }

    /// Waits until the wasm has taken over from the loader (the `cuecard:ready` mark).
    pub async fn wait_for_takeover(&self) {
        eventually("the widget to take over", || async {
            self.js("return performance.getEntriesByName('cuecard:ready').length;").await.as_u64().filter(|n| *n > 0)
        })
        .await;
    }

    /// Clicks an element inside the widget's shadow root, waiting for it to exist.
    pub async fn click_in_widget(&self, selector: &str) {
        let selector = selector.to_owned();
        eventually(&format!("widget element {selector}"), || async {
            let host = self.client.find(Locator::Css("cuecard-widget")).await.ok()?;
            let root = host.shadow_root().await.ok()?;
            let element = root.find(Locator::Css(&selector)).await.ok()?;
            element.click().await.ok()
        })
        .await;
    }

    pub async fn click(&self, selector: &str) {
        let element = self.client.find(Locator::Css(selector)).await.unwrap();
        element.click().await.unwrap();
    }

    /// Titles of the cards in the open panel, in order.
    pub async fn card_titles(&self) -> Vec<String> {
        let value = self
            .js(
                r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                   return Array.from(root.querySelectorAll(".cc-context .cc-card-title")).map(function (e) { return e.textContent; });"#,
            )
            .await;
        serde_json::from_value(value).unwrap_or_default()
    }

    /// Waits until the panel lists cards and `check` accepts them; returns them.
    pub async fn wait_for_cards(&self, what: &str, check: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut last = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let titles = self.card_titles().await;
                if !titles.is_empty() && check(&titles) {
                    return titles;
                }
                last = titles;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("timed out waiting for {what}; the panel showed {last:?}"))
    }

    /// What the page recorded: errors, unhandled rejections, console errors, CSP violations.
    pub async fn page_problems(&self) -> Value {
        self.js("return window.__cuecardTest;").await
    }

    pub async fn assert_page_clean(&self) {
        let problems = self.page_problems().await;
        for list in ["errors", "rejections", "consoleErrors", "cspViolations"] {
            assert_eq!(problems[list], json!([]), "the page recorded {list}: {problems}");
        }
    }

    /// Window properties that appeared after the page's first script ran, except the test's
    /// own recorder and what ChromeDriver's script runner leaves behind.
    pub async fn new_globals(&self) -> Vec<String> {
        let value = self
            .js(r#"var before = window.__cuecardTest.globalsBefore;
                   var ours = ["__cuecardTest", "ret_nodes", "se_exportedFunctionSymbol"];
                   return Object.getOwnPropertyNames(window).filter(function (name) {
                     return before.indexOf(name) < 0 && ours.indexOf(name) < 0;
                   });"#)
            .await;
        serde_json::from_value(value).unwrap()
    }
}

/// Polls `attempt` until it gives a value, or fails the test naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let found = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(value) = attempt().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
