//! The widget does not hold up the host page: its script is async and its wasm is fetched after
//! the page's load event. Load times with and without the widget are printed for the record
//! (`cargo test -p cuecard-e2e --test page_load -- --nocapture`), never asserted.

mod support;

use support::{Browser, Stack, eventually};

/// (load event start in ms, when the wasm fetch started in ms or -1 if not yet).
async fn timings(browser: &Browser) -> (f64, f64) {
    let value = eventually("the load event", || async {
        let value = browser
            .js(r#"var navigation = performance.getEntriesByType("navigation")[0];
                   if (!navigation || navigation.loadEventEnd === 0) return null;
                   var wasm = performance.getEntriesByType("resource").filter(function (entry) { return /\.wasm$/.test(entry.name); })[0];
                   return [navigation.loadEventStart, wasm ? wasm.startTime : -1];"#)
            .await;
        (!value.is_null()).then_some(value)
    })
    .await;
    (value[0].as_f64().unwrap(), value[1].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_before_the_widget_fetches_its_wasm() {
    let with = Stack::start().await;
    let without = Stack::start_custom(Vec::new(), |options| options.without_widget = true).await;
    let browser = Browser::start().await;
    let mut loads = (Vec::new(), Vec::new());
    for round in 0..3 {
        browser.goto(&with.page(&format!("/claims/new.html?round={round}"))).await;
        let (load, _) = timings(&browser).await;
        // The launcher shows at once; the wasm (this form asks for hotspots) comes at idle.
        browser.wait_for_launcher().await;
        let wasm_start = eventually("the wasm fetched", || async {
            let (_, wasm_start) = timings(&browser).await;
            (wasm_start >= 0.0).then_some(wasm_start)
        })
        .await;
        assert!(
            wasm_start >= load,
            "round {round}: the wasm was fetched at {wasm_start} ms, before the load event at {load} ms"
        );
        loads.0.push(load);
        browser.goto(&without.page(&format!("/claims/new.html?round={round}"))).await;
        loads.1.push(timings(&browser).await.0);
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    eprintln!(
        "load event (median of 3): {:.1} ms with the widget, {:.1} ms without",
        median(&mut loads.0),
        median(&mut loads.1)
    );
}
