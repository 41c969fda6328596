//! The XSS corpus, written by an author, shown by the real widget in real Chromium: titles in the
//! list and bodies in the snippet view. Had any payload run, the global `__xss` would be set.

mod support;

use engine::{Locale, Moment, Status, Target};
use store::SnippetDraft;
use support::{Browser, Stack, eventually, repository_root};

/// The SPA's deep links all serve the same page; these exist only for the corpus, a slice of it
/// on each, as a help answer carries at most 20 cards.
fn lab_path(slice: usize) -> String {
    format!("/approvals/xss-lab-{slice}")
}

/// Payloads per lab page, leaving room in the answer for the demo's own cards there.
const PER_PAGE: usize = 12;

fn payloads() -> Vec<String> {
    let corpus = std::fs::read_to_string(repository_root().join("tests/fixtures/xss-payloads.txt")).unwrap();
    corpus.lines().filter(|line| !line.is_empty() && !line.starts_with("# ")).map(str::to_owned).collect()
}

fn snippet(slug: String, title: String, markdown: String, targets: Vec<Target>) -> SnippetDraft {
    SnippetDraft {
        slug,
        locale: Locale::parse("en").unwrap(),
        title,
        markdown,
        moment: Moment::Solve,
        roles: Vec::new(),
        priority: 0,
        status: Status::Published,
        targets,
        publish_at: None,
        expire_at: None,
        app_versions: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xss_corpus_runs_nothing_inside_the_widget() {
    let payloads = payloads();
    assert!(payloads.len() >= 60);
    // One snippet holding the whole corpus (priority puts it first), and one per payload with the
    // payload as both title and body.
    let slices = payloads.len().div_ceil(PER_PAGE);
    let every_lab = (0..slices).map(|slice| Target::UrlPattern(lab_path(slice))).collect();
    let mut drafts = vec![SnippetDraft {
        priority: 100,
        ..snippet("xss/all".into(), "Every payload".into(), payloads.join("\n\n"), every_lab)
    }];
    for (number, payload) in payloads.iter().enumerate() {
        let lab = vec![Target::UrlPattern(lab_path(number / PER_PAGE))];
        drafts.push(snippet(format!("xss/{number}"), payload.clone(), format!("{payload}\n"), lab));
    }
    let stack = Stack::start_with(drafts).await;
    let browser = Browser::start().await;
    // Every title is shown as text, exactly as written, a slice per page.
    for (slice, expected) in payloads.chunks(PER_PAGE).enumerate().rev() {
        browser.goto(&stack.page(&lab_path(slice))).await;
        browser.click_in_widget(".cc-launcher").await;
        browser
            .wait_for_cards("the corpus snippets", |titles| expected.iter().all(|payload| titles.contains(payload)))
            .await;
    }
    let shown = |titles: &[String]| titles.iter().any(|title| title == "Every payload") && titles.len() > PER_PAGE;

    // Open the snippet with every payload in its body, then a few single ones.
    for position in 1..=4 {
        browser.click_in_widget(&format!(".cc-item:nth-child({position}) .cc-card")).await;
        eventually("the snippet's body", || async {
            let shown = browser
                .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
                       return !!root.querySelector(".cc-body");"#)
                .await;
            shown.as_bool().filter(|shown| *shown)
        })
        .await;
        // Let anything that would load or fire (onerror, onload, autofocus) have its chance.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        browser.click_in_widget(".cc-back").await;
        browser.wait_for_cards("the list again", shown).await;
    }

    let marker = browser
        .js(r#"var root = document.querySelector("cuecard-widget").shadowRoot;
               return [typeof window.__xss, root.querySelectorAll("script, iframe, object, embed, svg, math, style, form:not(.cc-search), [style], [onerror], [onload], [onclick]").length];"#)
        .await;
    assert_eq!(marker, serde_json::json!(["undefined", 0]), "no payload ran and nothing dangerous was inserted");
    browser.assert_page_clean().await;
}
