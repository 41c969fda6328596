//! Headless Chromium driven through ChromeDriver (fantoccini), for the browser tests and the
//! browser benchmark. Both processes are killed together, however the caller ends.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::time::Duration;

/// ChromeDriver and its Chromium, killed together (process group) when dropped.
pub struct Chrome {
    pub client: Client,
    driver_pid: u32,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // Chromium is ChromeDriver's child; killing the group leaves no orphan browser behind.
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{}", self.driver_pid)]).status();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Chrome {
    /// Starts ChromeDriver (`CUECARD_CHROMEDRIVER`, else `chromedriver`) with a fresh profile and
    /// Chromium (`CUECARD_CHROME`, else ChromeDriver's choice) headless, safe offline and as root.
    pub async fn start() -> Result<Chrome, String> {
        let driver = std::env::var("CUECARD_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        Chrome::start_with(std::env::var("CUECARD_CHROME").ok().as_deref(), &driver).await
    }

    /// Starts `driver_path` and the browser at `chrome` (ChromeDriver's choice for `None`).
    pub async fn start_with(chrome: Option<&str>, driver_path: &str) -> Result<Chrome, String> {
        let port = free_port().map_err(|error| error.to_string())?;
        let driver = tokio::process::Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot start {driver_path}: {error} (cargo xtask test installs it)"))?;
        let driver_pid = driver.id().ok_or("chromedriver exited at once")?;
        let profile = tempfile::tempdir().map_err(|error| error.to_string())?;
        let mut options = json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-default-apps", "--disable-extensions", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        });
        if let Some(chrome) = chrome {
            options["binary"] = json!(chrome);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut last_error = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => return Ok(Chrome { client, driver_pid, _driver: driver, _profile: profile }),
                Err(error) => {
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        Err(format!("ChromeDriver did not start: {last_error:?}"))
    }

    /// One Chrome DevTools Protocol command (`Network.emulateNetworkConditions`, …), which
    /// ChromeDriver forwards (`goog/cdp/execute`).
    pub async fn cdp(&self, command: &str, params: Value) -> Result<Value, String> {
        let command = Cdp { body: json!({ "cmd": command, "params": params }) };
        self.client.issue_cmd(command).await.map_err(|error| error.to_string())
    }
}

#[derive(Debug)]
struct Cdp {
    body: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
