//! Differential test: for generated pathname patterns and paths, the engine's URL-pattern
//! decision equals Chromium's own `new URLPattern({pathname}).test({pathname})`.

mod support;

use engine::UrlPatternMatcher;
use serde_json::{Value, json};
use support::Browser;

/// Deterministic pseudo-random picks (xorshift), so a failure names a reproducible case.
struct Picker(u64);

impl Picker {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        items[(self.0 % items.len() as u64) as usize]
    }

    fn count(&mut self, below: usize) -> usize {
        self.pick(&["0", "1", "2", "3", "4"]).parse::<usize>().unwrap() % below
    }
}

fn patterns(picker: &mut Picker) -> Vec<String> {
    let parts = [
        "orders",
        "approvals",
        "a",
        "b",
        "c-1",
        "x.y",
        "v2",
        ":id",
        ":tab",
        ":rest*",
        ":opt?",
        "*",
        "(\\d+)",
        ":num(\\d+)",
        "{:lang}?",
        "edit",
        "new",
        "history",
        "%20",
        "é",
    ];
    let mut generated: Vec<String> =
        ["/", "/orders", "/orders/:id", "/orders/:id/edit", "/approvals/:id/history", "/*"].map(String::from).to_vec();
    while generated.len() < 80 {
        let length = 1 + picker.count(4);
        let segments: Vec<&str> = (0..length).map(|_| picker.pick(&parts)).collect();
        let mut pattern = format!("/{}", segments.join("/"));
        if picker.count(5) == 0 {
            pattern.push('/');
        }
        generated.push(pattern);
    }
    generated
}

fn paths(picker: &mut Picker) -> Vec<String> {
    let parts = ["orders", "approvals", "a", "b", "42", "7", "c-1", "x.y", "edit", "history", "", "%20", "é", "A"];
    let mut generated: Vec<String> =
        ["/", "/orders", "/orders/42", "/orders/42/edit", "/orders/42/", "/approvals/CLM-1/history"]
            .map(String::from)
            .to_vec();
    while generated.len() < 50 {
        let length = 1 + picker.count(4);
        let segments: Vec<&str> = (0..length).map(|_| picker.pick(&parts)).collect();
        generated.push(format!("/{}", segments.join("/")));
    }
    generated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_url_patterns_agree_with_chromium() {
    let mut picker = Picker(0x5eed_cafe_f00d);
    let patterns = patterns(&mut picker);
    let paths = paths(&mut picker);

    let browser = Browser::start().await;
    browser.goto("about:blank").await;
    let chromium = browser
        .client
        .execute(
            r#"const [patterns, paths] = arguments;
               return patterns.map(function (pattern) {
                 let compiled;
                 try { compiled = new URLPattern({ pathname: pattern }); } catch (error) { return "invalid"; }
                 return paths.map(function (path) { return compiled.test({ pathname: path }); });
               });"#,
            vec![json!(patterns), json!(paths)],
        )
        .await
        .unwrap();

    let mut compared = 0;
    let mut matched = 0;
    let mut refused = 0;
    let mut disagreements = Vec::new();
    for (pattern, verdicts) in patterns.iter().zip(chromium.as_array().unwrap()) {
        match (UrlPatternMatcher::compile(pattern), verdicts) {
            (Err(_), Value::String(invalid)) if invalid == "invalid" => refused += 1,
            (Err(error), _) => disagreements.push(format!("{pattern}: engine refuses ({error}), Chromium accepts")),
            (Ok(_), Value::String(_)) => disagreements.push(format!("{pattern}: engine accepts, Chromium refuses")),
            (Ok(matcher), Value::Array(verdicts)) => {
                for (path, verdict) in paths.iter().zip(verdicts) {
                    compared += 1;
                    matched += usize::from(verdict == &Value::Bool(true));
                    if Some(matcher.matches(path)) != verdict.as_bool() {
                        disagreements
                            .push(format!("{pattern} on {path}: engine {}, Chromium {verdict}", matcher.matches(path)));
                    }
                }
            }
            (Ok(_), other) => disagreements.push(format!("{pattern}: unexpected answer {other}")),
        }
    }
    // The generated cases exercise every outcome: matches, non-matches and invalid patterns.
    assert!(compared > 3000, "only {compared} cases compared");
    assert!(matched > 50 && compared - matched > 50 && refused > 0, "{matched} matches, {refused} invalid");
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}
