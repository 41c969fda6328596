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

/// The Web Platform Tests' URLPattern cases that use only a pathname (from the copy packaged
/// with the `urlpattern` crate), as `(pattern, path, expected match)`.
fn wpt_pathname_cases() -> Vec<(String, String, bool)> {
    // The crate's sources, where cargo unpacked the version Cargo.lock names.
    let lock = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|package| package.contains("name = \"urlpattern\""))
        .and_then(|package| package.lines().find_map(|line| line.strip_prefix("version = \"")?.strip_suffix('"')))
        .expect("urlpattern in Cargo.lock");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let data = std::fs::read_dir(cargo_home.join("registry/src"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|registry| registry.path().join(format!("urlpattern-{version}/src/testdata/urlpatterntestdata.json")))
        .find(|path| path.is_file())
        .expect("the urlpattern crate's sources, with the WPT data");
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
    let only_pathname = |value: &Value| {
        let list = value.as_array()?;
        let object = list.first()?.as_object()?;
        (list.len() == 1 && object.len() == 1).then(|| object.get("pathname")?.as_str().map(str::to_owned))?
    };
    cases
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|case| {
            let pattern = only_pathname(&case["pattern"])?;
            let path = only_pathname(&case["inputs"])?;
            let expected = !case["expected_match"].is_null() && case["expected_match"] != Value::Bool(false);
            Some((pattern, path, expected))
        })
        .collect()
}

/// Whether a site whose one snippet targets `pattern` shows it at `path`: the whole index
/// (pattern trie and matcher), not the matcher alone.
fn index_shows(pattern: &str, path: &str) -> Result<bool, engine::Error> {
    let snippet = engine::Snippet {
        id: 1,
        slug: "s".into(),
        locale: engine::Locale::parse("en").unwrap(),
        title: "s".into(),
        html: String::new(),
        moment: engine::Moment::Apply,
        roles: Vec::new(),
        priority: 0,
        status: engine::Status::Published,
        targets: vec![engine::Target::UrlPattern(pattern.into())],
        publish_at: None,
        expire_at: None,
        app_versions: None,
        text: String::new(),
    };
    let mut builder =
        engine::SiteIndex::builder(engine::SiteSettings { default_locale: engine::Locale::parse("en").unwrap() });
    builder.add(snippet)?;
    let index = builder.build();
    let context = engine::Context { path: Some(path.into()), ..engine::Context::default() };
    Ok(!index.resolve(&context, 0).is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_platform_tests_pathname_cases_agree_with_chromium() {
    let cases = wpt_pathname_cases();
    assert!(cases.len() > 100, "only {} pathname cases found", cases.len());
    let browser = Browser::start().await;
    browser.goto("about:blank").await;
    let pairs: Vec<Value> = cases.iter().map(|(pattern, path, _)| json!([pattern, path])).collect();
    let chromium = browser
        .client
        .execute(
            r#"return arguments[0].map(function (pair) {
                 try { return new URLPattern({ pathname: pair[0] }).test({ pathname: pair[1] }); }
                 catch (error) { return "invalid"; }
               });"#,
            vec![json!(pairs)],
        )
        .await
        .unwrap();
    let mut agreed = 0;
    let mut refused_relative = 0;
    let mut disagreements = Vec::new();
    for ((pattern, path, expected), verdict) in cases.iter().zip(chromium.as_array().unwrap()) {
        match (index_shows(pattern, path), verdict) {
            // Patterns that do not start with `/` are refused on purpose (the README says so).
            (Err(_), _) if !pattern.starts_with('/') => refused_relative += 1,
            (Err(_), Value::String(invalid)) if invalid == "invalid" => agreed += 1,
            (Ok(shown), Value::Bool(chromium)) if shown == *chromium => {
                agreed += 1;
                if shown != *expected {
                    disagreements.push(format!("{pattern} on {path}: engine and Chromium say {shown}, WPT {expected}"));
                }
            }
            (shown, verdict) => {
                disagreements.push(format!("{pattern} on {path}: engine {shown:?}, Chromium {verdict}"))
            }
        }
    }
    assert!(agreed > 100, "{agreed} agreed");
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
    println!("{agreed} WPT pathname cases agree; {refused_relative} relative patterns refused by design");
}
