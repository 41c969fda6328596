//! `cargo xtask bench --browser`: time to help as a worker on a phone network meets it. Headless
//! Chromium with Slow 4G (150 ms latency, 1.6 Mbit/s down, 750 kbit/s up), the CPU slowed 4× and
//! the cache off, loads the demo's claim form cold and clicks the launcher as soon as it appears;
//! the time is from navigation to the first card painted. The same page with driver.js (from
//! npm) instead of Cuecard — a help button that highlights a field with a popover — is measured
//! in the same run, sample for sample, interleaved. Then, with the wasm loaded, the panel is
//! closed and opened again: the time from that click to the first card.

use crate::{Workspace, cargo, prerequisites, run, widget};
use anyhow::{Context as _, bail};
use axum::response::IntoResponse;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The demo pages' site key.
const SITE: &str = "pk_demo_acme";

/// In every page's `<head>`, before anything else: clicks the launcher (Cuecard's, or the
/// driver.js page's help button) on the first frame it exists, and records when the first card
/// shows; then, once the widget runs, closes the panel and opens it again, timing that too.
const PROBE: &str = r#"(function () {
  var t = window.__bench = {}, first = null, waitUntil = 0;
  function root() { var host = document.querySelector("cuecard-widget"); return host && host.shadowRoot; }
  function launcher() { var r = root(); return r ? r.querySelector(".cc-launcher") : document.getElementById("bench-help"); }
  function card() {
    var r = root(), found = r ? r.querySelector(".cc-context .cc-card") : document.querySelector(".driver-popover");
    return found && found.getBoundingClientRect().height > 0;
  }
  function tick() {
    var now = performance.now(), button = launcher();
    if (!t.launcher) {
      if (button) { t.launcher = now; button.click(); }
    } else if (!t.card) {
      if (card()) { t.card = now; var r = root(); first = r && r.querySelector(".cc-mount"); }
    } else if (!t.ready) {
      // Cuecard: the wasm has taken the loader's markup over; driver.js: nothing more to load.
      if (!first || !first.isConnected) { t.ready = now; waitUntil = now + 500; }
    } else if (!t.closed) {
      if (now > waitUntil) { t.closed = now; button.click(); }
    } else if (!t.reopened) {
      t.reopened = performance.now(); button.click();
    } else if (!t.again) {
      if (card()) t.again = now - t.reopened;
    } else return;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();"#;

/// After driver.js: a help button that highlights the VAT number field with a popover.
const DRIVER_PAGE: &str = r##";(function () {
  function add() {
    var button = document.createElement("button");
    button.id = "bench-help";
    button.textContent = "Help";
    button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:9";
    var tour = null;
    button.addEventListener("click", function () {
      if (tour) { tour.destroy(); tour = null; return; }
      tour = window.driver.js.driver();
      tour.highlight({ element: "#claim-vat-number", popover: { title: "VAT number", description: "The supplier's VAT number, as printed on the receipt." } });
    });
    document.body.appendChild(button);
  }
  if (document.body) add(); else document.addEventListener("DOMContentLoaded", add);
})();"##;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    Cuecard,
    DriverJs,
}

/// One cold page load: what the probe and the resource timings say, in ms from navigation.
#[derive(Debug, Default, Clone)]
struct Sample {
    launcher: f64,
    card: f64,
    again: f64,
    /// Cuecard: loader, first answer, glue, wasm (response ends); driver.js: its bundle.
    loader: f64,
    boot: f64,
    glue: f64,
    wasm: f64,
    /// The loader's own marks: first answer painted into the shadow root, the wasm took over.
    answer_shown: f64,
    taken_over: f64,
    /// The page's DOMContentLoaded (its handlers tell `setContext`; the first answer waits for them).
    dom_content_loaded: f64,
}

pub fn run_browser_bench(workspace: &Workspace, samples: usize) -> anyhow::Result<()> {
    widget::build(workspace)?;
    run(workspace, &cargo(), &["build", "--release", "--package", "server", "--bin", "cuecard"])?;
    let (chrome, driver) = prerequisites::chromium()?;
    let driver_js = prerequisites::driver_js(workspace)?;
    let binary = workspace.target_dir.join("release/cuecard");
    let scratch = workspace.target_dir.join("bench-browser");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let database_url = format!("sqlite://{}", scratch.join("cuecard.db").display());

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listeners = [
            tokio::net::TcpListener::bind("127.0.0.1:0").await?,
            tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        ];
        let origins: Vec<String> =
            listeners.iter().map(|listener| Ok(format!("http://{}", listener.local_addr()?))).collect::<anyhow::Result<_>>()?;
        let cuecard = |arguments: &[&str]| -> anyhow::Result<()> {
            let status = Command::new(&binary)
                .args(arguments)
                .env("CUECARD_DATABASE_URL", &database_url)
                .env("CUECARD_LOG", "warn")
                .current_dir(&workspace.root)
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("cuecard {} failed", arguments.join(" "));
            }
            Ok(())
        };
        cuecard(&["site", "put", SITE, "--name", "Bench", "--origin", &origins[0], "--origin", &origins[1]])?;
        cuecard(&["import", "demo-site/help", "--site", SITE])?;
        let (service, _) = crate::service::Server::start(
            &binary,
            &database_url,
            &["--widget-dir", &workspace.dist_dir().to_string_lossy()],
            "/readyz",
        )?;
        let api_origin = format!("http://{}", service.address);

        let [cuecard_listener, driver_listener] = listeners;
        let mut with_cuecard = cuecard_e2e::HostOptions::new(workspace.root.join("demo-site"), api_origin.clone());
        // Inline, so the probe costs the page no request.
        with_cuecard.head_prefix = format!("<script>{PROBE}</script>");
        let mut with_driver = with_cuecard.clone();
        with_driver.without_widget = true;
        with_driver.head_prefix.push_str(
            r#"<link rel="stylesheet" href="/__bench/driver.css"><script async src="/__bench/driver.js"></script>"#,
        );
        let bundle = std::fs::read_to_string(&driver_js.0)? + DRIVER_PAGE;
        let css = std::fs::read_to_string(&driver_js.1)?;
        let serve = |options: cuecard_e2e::HostOptions, listener: tokio::net::TcpListener| {
            let (bundle, css) = (bundle.clone(), css.clone());
            let host = cuecard_e2e::router(options)
                .route("/__bench/driver.js", axum::routing::get(move || async move { script(bundle) }))
                .route(
                    "/__bench/driver.css",
                    axum::routing::get(move || async move { ([("content-type", "text/css")], css).into_response() }),
                );
            tokio::spawn(async move {
                let _ = axum::serve(listener, host).await;
            })
        };
        let hosts = [serve(with_cuecard, cuecard_listener), serve(with_driver, driver_listener)];

        let chrome = chrome.to_string_lossy().into_owned();
        let driver = driver.to_string_lossy().into_owned();
        let mut results: Vec<(Contender, Sample)> = Vec::new();
        for round in 0..samples {
            // Interleaved, and each goes first every other round.
            let order = if round % 2 == 0 {
                [Contender::Cuecard, Contender::DriverJs]
            } else {
                [Contender::DriverJs, Contender::Cuecard]
            };
            for contender in order {
                let origin = if contender == Contender::Cuecard { &origins[0] } else { &origins[1] };
                let url = format!("{origin}/claims/new.html?sample={round}");
                let sample = measure(&chrome, &driver, &url).await.with_context(|| format!("{contender:?}, sample {round}"))?;
                eprintln!(
                    "sample {round:>2} {contender:<8?}: first card {:>6.0} ms (launcher {:>5.0} ms), again after load {:>4.0} ms",
                    sample.card, sample.launcher, sample.again
                );
                results.push((contender, sample));
            }
        }
        for host in hosts {
            host.abort();
        }
        drop(service);
        report(&results);
        Ok(())
    })
}

fn script(source: String) -> axum::response::Response {
    ([("content-type", "text/javascript")], source).into_response()
}

/// One cold load of `url` in a fresh browser on the throttled profile.
async fn measure(chrome: &str, driver: &str, url: &str) -> anyhow::Result<Sample> {
    let browser = cuecard_e2e::Chrome::start_with(Some(chrome), driver).await.map_err(anyhow::Error::msg)?;
    let cdp = |command: &'static str, params: serde_json::Value| browser.cdp(command, params);
    cdp("Network.enable", serde_json::json!({})).await.map_err(anyhow::Error::msg)?;
    cdp("Network.setCacheDisabled", serde_json::json!({ "cacheDisabled": true })).await.map_err(anyhow::Error::msg)?;
    cdp(
        "Network.emulateNetworkConditions",
        serde_json::json!({ "offline": false, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8 }),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    cdp("Emulation.setCPUThrottlingRate", serde_json::json!({ "rate": 4 })).await.map_err(anyhow::Error::msg)?;
    browser.client.goto(url).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let value = browser
            .client
            .execute(
                r#"var t = window.__bench || {};
                   if (!t.again) return null;
                   var ends = function (pattern) {
                     var entry = performance.getEntriesByType("resource").filter(function (e) { return pattern.test(e.name); })[0];
                     return entry ? entry.responseEnd : 0;
                   };
                   var mark = function (name) { var entry = performance.getEntriesByName("cuecard:" + name)[0]; return entry ? entry.startTime : 0; };
                   return [t.launcher, t.card, t.again, ends(/\/(cuecard\.js|__bench\/driver\.js)$/), ends(/\/v1\/boot\?/),
                           ends(/\/cuecard-[0-9a-f]+\.js$/), ends(/\.wasm$/), mark("first-answer"), mark("ready"),
                           performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd];"#,
                Vec::new(),
            )
            .await?;
        if let Some(values) = value.as_array() {
            let at = |index: usize| values.get(index).and_then(serde_json::Value::as_f64).unwrap_or_default();
            return Ok(Sample {
                launcher: at(0),
                card: at(1),
                again: at(2),
                loader: at(3),
                boot: at(4),
                glue: at(5),
                wasm: at(6),
                answer_shown: at(7),
                taken_over: at(8),
                dom_content_loaded: at(9),
            });
        }
        if tokio::time::Instant::now() > deadline {
            let seen = browser.client.execute("return JSON.stringify(window.__bench);", Vec::new()).await?;
            bail!("no first card and second open within a minute at {url} (seen: {seen})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// A line of the breakdown: its name and where a sample keeps its time.
type Step = (&'static str, fn(&Sample) -> f64);

fn report(results: &[(Contender, Sample)]) {
    let of = |contender: Contender, field: fn(&Sample) -> f64| {
        median(results.iter().filter(|(who, _)| *who == contender).map(|(_, sample)| field(sample)).collect())
    };
    let count = results.iter().filter(|(who, _)| *who == Contender::Cuecard).count();
    let cuecard = of(Contender::Cuecard, |sample| sample.card);
    let driver = of(Contender::DriverJs, |sample| sample.card);
    println!();
    println!(
        "time to help, Slow 4G + 4x CPU, cache off, cold, {count} interleaved samples each (medians, ms from navigation)"
    );
    println!(
        "  Cuecard   first card {cuecard:>6.0}   opened again once loaded: {:>4.0} after the click",
        of(Contender::Cuecard, |sample| sample.again)
    );
    println!(
        "  driver.js first card {driver:>6.0}   opened again: {:>4.0} after the click",
        of(Contender::DriverJs, |sample| sample.again)
    );
    println!("  Cuecard / driver.js: {:.2}", cuecard / driver);
    println!("where Cuecard's time goes (medians, ms from navigation):");
    let steps: [Step; 9] = [
        ("loader fetched", |sample| sample.loader),
        ("launcher shown (clicked)", |sample| sample.launcher),
        ("the page's DOMContentLoaded", |sample| sample.dom_content_loaded),
        ("first answer fetched (/v1/boot)", |sample| sample.boot),
        ("first answer put in the panel", |sample| sample.answer_shown),
        ("first card painted", |sample| sample.card),
        ("glue fetched", |sample| sample.glue),
        ("wasm fetched", |sample| sample.wasm),
        ("the widget took over", |sample| sample.taken_over),
    ];
    for (name, field) in steps {
        println!("  {name:<34} {:>6.0}", of(Contender::Cuecard, field));
    }
    println!(
        "driver.js: bundle fetched {:.0}, help button shown {:.0}",
        of(Contender::DriverJs, |sample| sample.loader),
        of(Contender::DriverJs, |sample| sample.launcher)
    );
}
