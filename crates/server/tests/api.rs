//! The router driven in-process, on SQLite and on PostgreSQL: answers, ranking, caching, CORS and every kind of bad input.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::{Locale, Moment, Status, Target};
use http_body_util::BodyExt;
use server::http::{RouterOptions, router};
use server::indexes::SearchReadiness;
use server::{AppState, import};
use std::path::Path;
use std::time::Duration;
use store::testing::{Backend, TestDatabase};
use store::{SiteSpec, SnippetDraft};
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:8081";

// Every test below runs on SQLite and on PostgreSQL: `NAME::sqlite`, `NAME::postgres`.
store::on_both_backends!(
    help_ranks_field_then_ancestor_then_route_then_site_wide,
    hotspots_give_each_page_key_with_help_its_first_snippet,
    roles_locales_and_url_patterns_shape_the_answer,
    search_is_typo_tolerant_and_boosted_by_the_context,
    one_sites_content_never_shows_on_another,
    etag_revalidation_answers_304,
    bad_input_gets_a_clear_json_4xx,
    cors_allows_only_the_sites_origins,
    health_and_readiness_answer,
    widget_assets_are_public_and_cached_by_name,
    the_demo_help_content_imports_and_covers_every_moment_and_two_roles,
    content_changes_replace_cached_answers,
    a_snippet_appears_when_its_window_opens_even_with_answers_cached,
    search_answers_503_until_its_index_is_built,
    widget_events_are_checked_and_appended,
    dot_segments_in_a_path_are_resolved,
    a_help_answer_has_at_most_twenty_cards_and_says_when_more_matched,
    oversized_and_malformed_requests_get_documented_json_errors,
    one_published_snippet_is_served_by_id,
    help_answers_go_gzip_compressed_to_clients_that_accept_it,
    metrics_count_requests_by_template_and_reveal_nothing,
    coverage_counts_templates_and_keys_never_paths,
    a_full_event_queue_answers_503_and_loses_nothing_it_acknowledged,
    concurrent_event_batches_are_each_stored_once_and_acknowledged,
);

struct Harness {
    app: axum::Router,
    state: AppState,
    database: TestDatabase,
    _directory: tempfile::TempDir,
}

fn draft(slug: &str, targets: Vec<Target>) -> SnippetDraft {
    SnippetDraft {
        slug: slug.into(),
        locale: Locale::parse("en").unwrap(),
        title: format!("About {slug}"),
        markdown: format!("Help on *{slug}*."),
        moment: Moment::Apply,
        roles: Vec::new(),
        priority: 0,
        status: Status::Published,
        targets,
        publish_at: None,
        expire_at: None,
        app_versions: None,
    }
}

async fn harness(backend: Backend) -> Harness {
    let directory = tempfile::tempdir().unwrap();
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    for (key, origin) in [("pk_test_acme", ORIGIN), ("pk_test_other", "https://other.example")] {
        let spec = SiteSpec {
            public_key: key.into(),
            name: key.into(),
            origins: vec![origin.into()],
            default_locale: Locale::parse("en").unwrap(),
            locales: Vec::new(),
        };
        store.put_site(&spec).await.unwrap();
    }
    let drafts = vec![
        draft("vat", vec![Target::Key("claim.vat-number".into())]),
        SnippetDraft {
            locale: Locale::parse("fr").unwrap(),
            title: "Le numéro de TVA".into(),
            ..draft("vat", vec![Target::Key("claim.vat-number".into())])
        },
        draft("tax", vec![Target::Key("claim.tax".into())]),
        draft("new-claim", vec![Target::Route("/claims/new".into())]),
        draft("approval", vec![Target::UrlPattern("/approvals/:id".into())]),
        SnippetDraft { roles: vec!["approver".into()], ..draft("limits", vec![Target::Route("/claims/new".into())]) },
        draft("policy", vec![]),
        SnippetDraft { status: Status::Draft, ..draft("secret-draft", vec![Target::Key("claim.vat-number".into())]) },
    ];
    store.import("pk_test_acme", drafts, store::ImportOptions::default()).await.unwrap();
    store
        .import(
            "pk_test_other",
            vec![draft("other-site-only", vec![Target::Route("/claims/new".into())])],
            store::ImportOptions::default(),
        )
        .await
        .unwrap();
    let widget_dir = directory.path().join("widget");
    std::fs::create_dir(&widget_dir).unwrap();
    std::fs::write(widget_dir.join("cuecard.js"), "/* loader */").unwrap();
    std::fs::write(widget_dir.join("cuecard-0123abcd.wasm"), b"\0asm").unwrap();
    let state = AppState::load(store).await.unwrap();
    let options = RouterOptions {
        widget_dir,
        console_dir: directory.path().join("console"),
        session_length: Duration::from_secs(3600),
        request_timeout: Duration::from_secs(5),
        public_limits: None,
        metrics: true,
    };
    Harness { app: router(state.clone(), options), state, database, _directory: directory }
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, headers, json)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn titles(json: &serde_json::Value) -> Vec<String> {
    json["snippets"].as_array().unwrap().iter().map(|card| card["title"].as_str().unwrap().to_owned()).collect()
}

async fn help_ranks_field_then_ancestor_then_route_then_site_wide(backend: Backend) {
    let harness = harness(backend).await;
    let (status, headers, json) = get(
        &harness.app,
        "/v1/help?site=pk_test_acme&path=/claims/new&route=/claims/new&keys=claim.vat-number,claim.tax",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(titles(&json), ["About vat", "About tax", "About new-claim", "About policy"]);
    let first = &json["snippets"][0];
    assert_eq!(first["html"], "<p>Help on <em>vat</em>.</p>\n");
    assert_eq!(first["moment"], "apply");
    assert_eq!(first["reason"], serde_json::json!({"kind": "field_key", "target": "claim.vat-number", "locale": "en"}));
    assert_eq!(json["snippets"][1]["reason"]["kind"], "ancestor_key");
    assert_eq!(json["snippets"][2]["reason"]["kind"], "route");
    assert_eq!(json["snippets"][3]["reason"], serde_json::json!({"kind": "site_wide", "locale": "en"}));
    assert!(first["id"].is_i64());
    assert!(headers.contains_key("x-request-id"));
}

async fn hotspots_give_each_page_key_with_help_its_first_snippet(backend: Backend) {
    let harness = harness(backend).await;
    let query =
        "site=pk_test_acme&path=/claims/new&route=/claims/new&keys=claim.vat-number,claim.tax,claim.none&locale=fr";
    let (status, headers, json) = get(&harness.app, &format!("/v1/hotspots?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key(header::ETAG));
    let spots: Vec<(&str, &str, &str)> = json["snippets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| {
            let reason = &card["reason"];
            (card["title"].as_str().unwrap(), reason["kind"].as_str().unwrap(), reason["target"].as_str().unwrap())
        })
        .collect();
    // One per key with help, in the page's order, each as if its field alone had focus;
    // route and site-wide snippets are for the panel, not for hotspots.
    assert_eq!(spots, [("Le numéro de TVA", "field_key", "claim.vat-number"), ("About tax", "field_key", "claim.tax")]);

    // The same query string on /v1/help is its own answer (the two never share a cache entry).
    let (_, _, help) = get(&harness.app, &format!("/v1/help?{query}")).await;
    assert_eq!(help["snippets"][1]["reason"]["kind"], "ancestor_key");
    let (_, _, again) = get(&harness.app, &format!("/v1/hotspots?{query}")).await;
    assert_eq!(again, json);

    let (status, _, error) = get(&harness.app, "/v1/hotspots?site=pk_test_acme&keys=bad%20key").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"]["message"].as_str().unwrap().contains("keys"), "{error}");
    let too_many = (0..65).map(|n| format!("k{n}")).collect::<Vec<_>>().join(",");
    let (status, _, _) = get(&harness.app, &format!("/v1/hotspots?site=pk_test_acme&keys={too_many}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn roles_locales_and_url_patterns_shape_the_answer(backend: Backend) {
    let harness = harness(backend).await;
    let (_, _, json) = get(&harness.app, "/v1/help?site=pk_test_acme&route=/claims/new&roles=approver").await;
    assert_eq!(titles(&json), ["About limits", "About new-claim", "About policy"]);
    assert_eq!(json["snippets"][0]["reason"]["role"], "approver");

    let (_, _, json) = get(&harness.app, "/v1/help?site=pk_test_acme&keys=claim.vat-number&locale=fr-CA").await;
    assert_eq!(titles(&json), ["Le numéro de TVA", "About policy"]);
    assert_eq!(json["snippets"][0]["reason"]["locale"], "fr");

    let (_, _, json) = get(&harness.app, "/v1/help?site=pk_test_acme&path=/approvals/CLM-1042").await;
    assert_eq!(titles(&json), ["About approval", "About policy"]);
    assert_eq!(json["snippets"][0]["reason"]["target"], "/approvals/:id");
}

async fn search_is_typo_tolerant_and_boosted_by_the_context(backend: Backend) {
    let harness = harness(backend).await;
    let (status, headers, json) = get(&harness.app, "/v1/search?site=pk_test_acme&q=hepl").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(headers.contains_key(header::ETAG));
    let hits = json["hits"].as_array().unwrap();
    assert!(hits.len() >= 5, "a typo still finds the snippets: {json}");
    assert!(hits.iter().all(|hit| hit["excerpt"].as_str().unwrap().contains("<mark>Help</mark>")), "{json}");
    assert!(!hits.iter().any(|hit| hit["title"] == "About secret-draft"), "drafts are never found");
    assert!(!hits.iter().any(|hit| hit["title"] == "About other-site-only"), "other sites are never searched");

    let (_, _, json) = get(&harness.app, "/v1/search?site=pk_test_acme&q=help&keys=claim.vat-number&limit=3").await;
    let hits = json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0]["title"], "About vat");
    assert_eq!(hits[0]["reason"]["kind"], "field_key");
    assert!(hits[0]["html"].as_str().unwrap().starts_with("<p>"));
    assert!(hits[0]["score"].as_f64().unwrap() > hits[1]["score"].as_f64().unwrap());

    let (_, _, json) = get(&harness.app, "/v1/search?site=pk_test_acme&q=limits").await;
    assert_eq!(json["hits"].as_array().unwrap().len(), 0, "role-specific snippets need the role: {json}");
    let (_, _, json) = get(&harness.app, "/v1/search?site=pk_test_acme&q=limits&roles=approver").await;
    assert_eq!(json["hits"][0]["title"], "About limits");
}

async fn one_sites_content_never_shows_on_another(backend: Backend) {
    let harness = harness(backend).await;
    let (_, _, json) = get(&harness.app, "/v1/help?site=pk_test_other&route=/claims/new").await;
    assert_eq!(titles(&json), ["About other-site-only"]);
    let (_, _, json) = get(&harness.app, "/v1/help?site=pk_test_acme&route=/claims/new").await;
    assert!(!titles(&json).contains(&"About other-site-only".to_owned()));
}

async fn etag_revalidation_answers_304(backend: Backend) {
    let harness = harness(backend).await;
    let uri = "/v1/help?site=pk_test_acme&route=/claims/new";
    let (_, headers, _) = get(&harness.app, uri).await;
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age"));
    let request = Request::get(uri).header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    let (status, headers, body) = send(&harness.app, request).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert_eq!(body, serde_json::Value::Null);
    let request = Request::get(uri).header(header::IF_NONE_MATCH, "\"stale\"").body(Body::empty()).unwrap();
    assert_eq!(send(&harness.app, request).await.0, StatusCode::OK);
}

async fn bad_input_gets_a_clear_json_4xx(backend: Backend) {
    let harness = harness(backend).await;
    let long_path = format!("/{}", "a".repeat(3000));
    let many_keys = (0..65).map(|n| format!("k{n}")).collect::<Vec<_>>().join(",");
    let long_site = "pk_".to_owned() + &"x".repeat(100);
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("/v1/help".into(), StatusCode::BAD_REQUEST, "missing_parameter"),
        ("/v1/help?site=".into(), StatusCode::BAD_REQUEST, "missing_parameter"),
        ("/v1/help?site=pk_nobody".into(), StatusCode::NOT_FOUND, "unknown_site"),
        (format!("/v1/help?site={long_site}"), StatusCode::BAD_REQUEST, "parameter_too_long"),
        (format!("/v1/help?site=pk_test_acme&path={long_path}"), StatusCode::BAD_REQUEST, "parameter_too_long"),
        (format!("/v1/help?site=pk_test_acme&keys={many_keys}"), StatusCode::BAD_REQUEST, "parameter_too_long"),
        ("/v1/help?site=pk_test_acme&locale=en_US!".into(), StatusCode::BAD_REQUEST, "invalid_locale"),
        ("/v1/help?site=pk_test_acme&locale=xx-toolongsubtag".into(), StatusCode::BAD_REQUEST, "invalid_locale"),
        ("/v1/help?site=pk_test_acme&path=relative".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=pk_test_acme&path=/a%3Fb".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=pk_test_acme&route=no-slash".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=pk_test_acme&keys=has%20space".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=pk_test_acme&roles=%3Cscript%3E".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=a&site=b".into(), StatusCode::BAD_REQUEST, "invalid_query"),
        ("/v1/help?site=pk_test_acme&keys=%FF".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/nothing-here".into(), StatusCode::NOT_FOUND, "not_found"),
        ("/v1/help?site=pk_test_acme&app_version=two".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/help?site=pk_test_acme&path=a/b".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/search?site=pk_test_acme".into(), StatusCode::BAD_REQUEST, "missing_parameter"),
        ("/v1/search?site=pk_test_acme&q=%20".into(), StatusCode::BAD_REQUEST, "missing_parameter"),
        ("/v1/search?q=vat".into(), StatusCode::BAD_REQUEST, "missing_parameter"),
        ("/v1/search?site=pk_nobody&q=vat".into(), StatusCode::NOT_FOUND, "unknown_site"),
        ("/v1/search?site=pk_test_acme&q=vat&limit=0".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/search?site=pk_test_acme&q=vat&limit=51".into(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/v1/search?site=pk_test_acme&q=vat&limit=ten".into(), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("/v1/search?site=pk_test_acme&q={}", "a".repeat(201)), StatusCode::BAD_REQUEST, "parameter_too_long"),
        ("/v1/search?site=pk_test_acme&q=vat&locale=!!".into(), StatusCode::BAD_REQUEST, "invalid_locale"),
    ];
    for (uri, expected_status, expected_code) in cases {
        let (status, headers, json) = get(&harness.app, &uri).await;
        assert_eq!(status, expected_status, "{uri}: {json}");
        assert_eq!(json["error"]["code"], expected_code, "{uri}: {json}");
        assert!(json["error"]["message"].as_str().is_some_and(|message| !message.is_empty()), "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
    }

    let request = Request::post("/v1/help?site=pk_test_acme").body(Body::empty()).unwrap();
    let (status, _, json) = send(&harness.app, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json["error"]["code"], "method_not_allowed");
}

async fn cors_allows_only_the_sites_origins(backend: Backend) {
    let harness = harness(backend).await;
    let uri = "/v1/help?site=pk_test_acme&route=/claims/new";
    let request = Request::get(uri).header(header::ORIGIN, ORIGIN).body(Body::empty()).unwrap();
    let (status, headers, _) = send(&harness.app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);

    // Another site's origin, or a stranger, is refused and gets no CORS grant.
    for origin in ["https://other.example", "https://evil.example", "http://127.0.0.1:8082"] {
        let request = Request::get(uri).header(header::ORIGIN, origin).body(Body::empty()).unwrap();
        let (status, headers, json) = send(&harness.app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(json["error"]["code"], "origin_not_allowed");
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "{origin}");
    }

    let preflight = Request::options(uri)
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&harness.app, preflight).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
}

async fn health_and_readiness_answer(backend: Backend) {
    let harness = harness(backend).await;
    let (status, _, json) = get(&harness.app, "/healthz").await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, _, json) = get(&harness.app, "/readyz").await;
    assert_eq!((status, json), (StatusCode::OK, serde_json::json!({"status": "ready"})), "ready or not, nothing more");
}

async fn widget_assets_are_public_and_cached_by_name(backend: Backend) {
    let harness = harness(backend).await;
    let (status, headers, _) = get(&harness.app, "/widget/cuecard.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"));
    let (status, headers, _) = get(&harness.app, "/widget/cuecard-0123abcd.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    let (status, _, json) = get(&harness.app, "/widget/missing.js").await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, _, _) = get(&harness.app, "/widget/../Cargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_demo_help_content_imports_and_covers_every_moment_and_two_roles(backend: Backend) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-site/help");
    let files = import::read_dir(&dir, &Locale::parse("en").unwrap()).unwrap();
    assert!(files.len() >= 15, "{} snippets", files.len());
    for moment in [Moment::New, Moment::More, Moment::Apply, Moment::Solve, Moment::Change] {
        assert!(files.iter().any(|file| file.draft.moment == moment), "no {moment:?} snippet");
    }
    let mut roles: Vec<&str> = files.iter().flat_map(|file| file.draft.roles.iter().map(String::as_str)).collect();
    roles.sort_unstable();
    roles.dedup();
    assert!(roles.len() >= 2, "{roles:?}");

    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let spec = SiteSpec {
        public_key: "pk_demo_acme".into(),
        name: "Acme".into(),
        origins: vec![],
        default_locale: Locale::parse("en").unwrap(),
        locales: Vec::new(),
    };
    store.put_site(&spec).await.unwrap();
    let count = files.len();
    let report = store
        .import("pk_demo_acme", files.into_iter().map(|file| file.draft).collect(), store::ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.created.len(), count);
}

async fn content_changes_replace_cached_answers(backend: Backend) {
    let harness = harness(backend).await;
    let uri = "/v1/help?site=pk_test_acme&route=/claims/new";
    let (_, before_headers, before) = get(&harness.app, uri).await;
    assert!(titles(&before).contains(&"About new-claim".to_owned()));

    let mut renamed = draft("new-claim", vec![Target::Route("/claims/new".into())]);
    renamed.title = "Starting a claim".into();
    harness.state.store.import("pk_test_acme", vec![renamed], store::ImportOptions::default()).await.unwrap();
    // Until the index is rebuilt, the old answer stands; after, the new one, with a new ETag.
    assert_eq!(get(&harness.app, uri).await.2, before);
    let rebuilt = harness.state.indexes.refresh(harness.state.store.as_ref(), SearchReadiness::Awaited).await.unwrap();
    assert_eq!(rebuilt, 1, "only the changed site is rebuilt");
    let (_, after_headers, after) = get(&harness.app, uri).await;
    assert!(titles(&after).contains(&"Starting a claim".to_owned()), "{after}");
    assert_ne!(before_headers[header::ETAG], after_headers[header::ETAG]);
}

async fn a_snippet_appears_when_its_window_opens_even_with_answers_cached(backend: Backend) {
    let harness = harness(backend).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let soon =
        SnippetDraft { publish_at: Some(now + 2), ..draft("announcement", vec![Target::Route("/claims/new".into())]) };
    harness.state.store.import("pk_test_acme", vec![soon], store::ImportOptions::default()).await.unwrap();
    harness.state.indexes.refresh(harness.state.store.as_ref(), SearchReadiness::Awaited).await.unwrap();
    let uri = "/v1/help?site=pk_test_acme&route=/claims/new";
    assert!(!titles(&get(&harness.app, uri).await.2).contains(&"About announcement".to_owned()));
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(titles(&get(&harness.app, uri).await.2).contains(&"About announcement".to_owned()));
}

async fn search_answers_503_until_its_index_is_built(backend: Backend) {
    let directory = tempfile::tempdir().unwrap();
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let spec = SiteSpec {
        public_key: "pk_test_warm".into(),
        name: "Warm".into(),
        origins: vec![],
        default_locale: Locale::parse("en").unwrap(),
        locales: Vec::new(),
    };
    store.put_site(&spec).await.unwrap();
    let many: Vec<SnippetDraft> = (0..2000).map(|n| draft(&format!("s{n}"), vec![])).collect();
    store.import("pk_test_warm", many, store::ImportOptions::default()).await.unwrap();
    let state = AppState::load_serving_first(store).await.unwrap();
    let options = RouterOptions {
        widget_dir: directory.path().into(),
        console_dir: directory.path().join("console"),
        session_length: Duration::from_secs(3600),
        request_timeout: Duration::from_secs(5),
        public_limits: None,
        metrics: true,
    };
    let app = router(state, options);
    // Help serves at once; search serves as soon as its index is there, and says when to retry
    // until then.
    assert_eq!(get(&app, "/v1/help?site=pk_test_warm").await.0, StatusCode::OK);
    let mut saw_warming = false;
    let status = loop {
        let (status, headers, json) = get(&app, "/v1/search?site=pk_test_warm&q=help").await;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            break status;
        }
        saw_warming = true;
        assert_eq!(json["error"]["code"], "search_warming_up");
        assert_eq!(headers[header::RETRY_AFTER], "1");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, StatusCode::OK);
    assert!(saw_warming, "2000 snippets take longer to index than one request");
}

async fn widget_events_are_checked_and_appended(backend: Backend) {
    let harness = harness(backend).await;
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    let vat = harness
        .state
        .indexes
        .get("pk_test_acme")
        .unwrap()
        .index
        .snippets()
        .iter()
        .find(|s| s.slug == "vat")
        .unwrap()
        .id;
    let post = |body: String, content_type: &str| {
        Request::post("/v1/events?site=pk_test_acme")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let batch = serde_json::json!({"events": [
        {"kind": "panel_open", "path": "/claims/new", "route": "/claims/new", "results": 4, "locale": "en"},
        {"kind": "search", "path": "/claims/new", "query": " receipt  ", "results": 0},
        {"kind": "snippet_view", "path": "/claims/CLM-1042", "key": "claim.vat-number", "snippet": vat},
        {"kind": "feedback", "snippet": vat, "helpful": false, "comment": "I needed the rate"},
    ]});
    let (status, headers, json) = send(&harness.app, post(batch.to_string(), "text/plain;charset=UTF-8")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    assert_eq!(json, serde_json::json!({"accepted": 4}));
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    let stored = harness.state.store.events(site.id, 0, 100).await.unwrap();
    let kinds: Vec<&str> = stored.iter().map(|stored| stored.event.kind.as_str()).collect();
    assert_eq!(kinds, ["panel_open", "search", "snippet_view", "feedback"]);
    assert_eq!(stored[0].event.route.as_deref(), Some("/claims/new"));
    assert_eq!(stored[0].event.results, Some(4));
    assert_eq!(stored[1].event.query.as_deref(), Some("receipt"));
    assert_eq!(stored[2].event.help_key.as_deref(), Some("claim.vat-number"));
    assert_eq!(stored[2].event.route, None, "raw paths are never stored");
    assert_eq!((stored[3].event.helpful, stored[3].event.comment.as_deref()), (Some(false), Some("I needed the rate")));

    // Bad batches are refused whole, with the event named, and nothing is stored.
    let other_site_snippet = harness.state.indexes.get("pk_test_other").unwrap().index.snippets()[0].id;
    let too_many: Vec<_> = (0..51).map(|_| serde_json::json!({"kind": "panel_open"})).collect();
    let bad = [
        (serde_json::json!({"events": [{"kind": "shout"}]}).to_string(), StatusCode::BAD_REQUEST, "invalid_body"),
        ("not json".to_owned(), StatusCode::BAD_REQUEST, "invalid_body"),
        (
            serde_json::json!({"events": [{"kind": "panel_open", "path": "/claims?id=7"}]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            serde_json::json!({"events": [{"kind": "feedback", "snippet": vat}]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            serde_json::json!({"events": [{"kind": "snippet_view", "snippet": other_site_snippet}]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            serde_json::json!({"events": [{"kind": "search", "query": "x".repeat(201)}]}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (serde_json::json!({"events": too_many}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
    ];
    for (body, expected, code) in bad {
        let (status, _, json) = send(&harness.app, post(body.clone(), "application/json")).await;
        assert_eq!((status, json["error"]["code"].as_str()), (expected, Some(code)), "{body}: {json}");
    }
    // Only JSON or text bodies: anything else, or no content type at all, is 415.
    for content_type in ["application/x-www-form-urlencoded", "application/xml", "json", ""] {
        let (status, _, json) = send(&harness.app, post(batch.to_string(), content_type)).await;
        assert_eq!(
            (status, json["error"]["code"].as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")),
            "{content_type:?}"
        );
    }
    let untyped = Request::post("/v1/events?site=pk_test_acme").body(Body::from(batch.to_string())).unwrap();
    assert_eq!(send(&harness.app, untyped).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(harness.state.store.events(site.id, 0, 100).await.unwrap().len(), 4);
}

/// A path with dot segments is read as the browser reads it: `/x/../approvals/7` is `/approvals/7`.
async fn dot_segments_in_a_path_are_resolved(backend: Backend) {
    let harness = harness(backend).await;
    let (status, _, json) = get(&harness.app, "/v1/help?site=pk_test_acme&path=/x/../approvals/7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(titles(&json).contains(&"About approval".to_owned()), "{json}");
}

async fn a_help_answer_has_at_most_twenty_cards_and_says_when_more_matched(backend: Backend) {
    let harness = harness(backend).await;
    let many: Vec<SnippetDraft> = (0..30).map(|n| draft(&format!("site-wide-{n:02}"), vec![])).collect();
    harness.state.store.import("pk_test_other", many, store::ImportOptions::default()).await.unwrap();
    harness.state.indexes.refresh(harness.state.store.as_ref(), SearchReadiness::Awaited).await.unwrap();
    let (status, _, json) = get(&harness.app, "/v1/help?site=pk_test_other").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["snippets"].as_array().unwrap().len(), wire::HelpResponse::CARDS_MAX);
    assert_eq!(json["truncated"], true);
    let (_, _, few) = get(&harness.app, "/v1/help?site=pk_test_acme&keys=claim.vat-number").await;
    assert!(few.get("truncated").is_none(), "{few}");
}

async fn oversized_and_malformed_requests_get_documented_json_errors(backend: Backend) {
    let harness = harness(backend).await;
    let long_uri = format!("/v1/help?site=pk_test_acme&route=/{}", "a".repeat(50 * 1024));
    let (status, _, json) = get(&harness.app, &long_uri).await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::URI_TOO_LONG, Some("uri_too_long")));
    let big_header = Request::get("/healthz").header("x-filler", "b".repeat(20 * 1024)).body(Body::empty()).unwrap();
    let (status, _, json) = send(&harness.app, big_header).await;
    assert_eq!(
        (status, json["error"]["code"].as_str()),
        (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, Some("headers_too_large"))
    );
    let (status, _, json) = get(&harness.app, "/v1/snippets/abc?site=pk_test_acme").await;
    assert_eq!(
        (status, json["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_parameter")),
        "{json}"
    );
    let (status, _, json) = get(&harness.app, "/v1/snippets/99999999999999999999?site=pk_test_acme").await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_parameter")));
}

/// The README's table of error codes is the service's own.
#[test]
fn the_readme_lists_exactly_the_error_codes_the_service_sends() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let mut documented: Vec<(String, u16)> = readme
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| `")?.split(" | ");
            let code = cells.next()?.strip_suffix('`')?.to_owned();
            if !code.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_') {
                return None;
            }
            let status = cells.next()?.trim().parse().ok()?;
            Some((code, status))
        })
        .collect();
    documented.sort();
    let mut actual: Vec<(String, u16)> =
        server::http::ERROR_CODES.iter().map(|(code, status)| ((*code).to_owned(), *status)).collect();
    actual.sort();
    assert_eq!(documented, actual);
}

async fn one_published_snippet_is_served_by_id(backend: Backend) {
    let harness = harness(backend).await;
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    let all = harness.state.store.snippets(site.id, &store::SnippetFilter::default()).await.unwrap();
    let id_of = |slug: &str| all.iter().find(|stored| stored.draft.slug == slug).unwrap().id;
    let uri = format!("/v1/snippets/{}?site=pk_test_acme", id_of("tax"));
    let request = Request::get(&uri).header(header::ORIGIN, ORIGIN).body(Body::empty()).unwrap();
    let (status, headers, json) = send(&harness.app, request).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["title"], "About tax");
    assert_eq!((json["moment"].as_str(), json["locale"].as_str()), (Some("apply"), Some("en")));
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let request = Request::get(&uri).header(header::IF_NONE_MATCH, etag).body(Body::empty()).unwrap();
    assert_eq!(send(&harness.app, request).await.0, StatusCode::NOT_MODIFIED);
    // Drafts, other sites' snippets and unknown ids are all simply not found.
    let other = harness.state.indexes.get("pk_test_other").unwrap().index.snippets()[0].id;
    for id in [id_of("secret-draft"), other, 999_999] {
        let (status, _, json) = get(&harness.app, &format!("/v1/snippets/{id}?site=pk_test_acme")).await;
        assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{id}");
    }
}

async fn help_answers_go_gzip_compressed_to_clients_that_accept_it(backend: Backend) {
    let harness = harness(backend).await;
    let uri = "/v1/help?site=pk_test_acme&path=/claims/new&route=/claims/new&keys=claim.vat-number,claim.tax";
    let with_encoding =
        |encoding: &str| Request::get(uri).header(header::ACCEPT_ENCODING, encoding).body(Body::empty()).unwrap();
    let plain = harness.app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
    let plain_etag = plain.headers()[header::ETAG].clone();
    let plain_body = plain.into_body().collect().await.unwrap().to_bytes();

    let compressed = harness.app.clone().oneshot(with_encoding("gzip, deflate, br, zstd")).await.unwrap();
    assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(compressed.headers().get_all(header::VARY).iter().any(|value| value == "accept-encoding"));
    let gzip_etag = compressed.headers()[header::ETAG].clone();
    assert_ne!(gzip_etag, plain_etag, "each representation has its own strong ETag");
    let bytes = compressed.into_body().collect().await.unwrap().to_bytes();
    assert!(bytes.len() < plain_body.len());
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut decoded).unwrap();
    assert_eq!(decoded, plain_body);

    let revalidated = with_encoding("gzip");
    let (mut parts, body) = revalidated.into_parts();
    parts.headers.insert(header::IF_NONE_MATCH, gzip_etag);
    let (status, headers, _) = send(&harness.app, Request::from_parts(parts, body)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    for refused in ["gzip;q=0", "br", "identity"] {
        let response = harness.app.clone().oneshot(with_encoding(refused)).await.unwrap();
        assert!(!response.headers().contains_key(header::CONTENT_ENCODING), "{refused}");
    }
}

/// `/metrics` speaks Prometheus, counts requests by route template, and never names a site,
/// a path or a worker.
async fn metrics_count_requests_by_template_and_reveal_nothing(backend: Backend) {
    let harness = harness(backend).await;
    for _ in 0..3 {
        get(&harness.app, "/v1/help?site=pk_test_acme&path=/claims/CLM-1042&keys=claim.vat-number").await;
    }
    get(&harness.app, "/admin/v1/sites/pk_test_acme/snippets/7").await;
    let response = harness.app.clone().oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(
        text.lines().any(|line| line.starts_with("cuecard_http_requests_total{")
            && line.contains(r#"route="/v1/help""#)
            && line.contains(r#"status="200""#)),
        "{text}"
    );
    assert!(text.contains(r#"route="/admin/v1/sites/{site}/snippets/{id}""#), "{text}");
    assert!(text.contains(r#"cuecard_answers_total{from="cache"}"#), "{text}");
    assert!(text.contains("cuecard_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("cuecard_index_rebuilds_total"), "{text}");
    for secret in ["pk_test_acme", "CLM-1042", "claim.vat-number"] {
        assert!(!text.contains(secret), "/metrics names {secret}");
    }
}

/// Where help was wanted is counted per place template and key, with whether help existed,
/// and written to the store on flush; the raw path never is.
async fn coverage_counts_templates_and_keys_never_paths(backend: Backend) {
    let harness = harness(backend).await;
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    for _ in 0..2 {
        get(&harness.app, "/v1/help?site=pk_test_acme&route=/claims/new&keys=claim.vat-number").await;
    }
    get(&harness.app, "/v1/help?site=pk_test_acme&path=/approvals/CLM-7").await;
    get(&harness.app, "/v1/help?site=pk_test_acme&path=/nowhere/CLM-8&keys=claim.unknown").await;
    get(&harness.app, "/v1/hotspots?site=pk_test_acme&route=/claims/new&keys=claim.vat-number,claim.tax,claim.nothing")
        .await;
    harness.state.flush_coverage().await;
    let today = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 86_400;
    let rows: Vec<(String, String, u64, u64)> = harness
        .state
        .store
        .coverage(site.id, today - 1, today + 1)
        .await
        .unwrap()
        .into_iter()
        .map(|count| (count.place, count.help_key, count.seen, count.helped))
        .collect();
    let expected: Vec<(String, String, u64, u64)> = [
        ("", "claim.unknown", 1, 0),
        ("/approvals/:id", "", 1, 1),
        ("/claims/new", "claim.nothing", 1, 0),
        ("/claims/new", "claim.tax", 1, 1),
        ("/claims/new", "claim.vat-number", 3, 3),
    ]
    .into_iter()
    .map(|(place, key, seen, helped)| (place.to_owned(), key.to_owned(), seen, helped))
    .collect();
    assert_eq!(rows, expected);
    // Flushed counts are gone from memory; another flush adds to the same rows.
    get(&harness.app, "/v1/help?site=pk_test_acme&path=/approvals/CLM-9").await;
    harness.state.flush_coverage().await;
    let approvals = harness.state.store.coverage(site.id, today, today).await.unwrap();
    let approvals = approvals.iter().find(|count| count.place == "/approvals/:id").unwrap();
    assert_eq!((approvals.seen, approvals.helped), (2, 2));
}

/// Another process holding the events table: SQLite's write lock, PostgreSQL's table lock.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(database: &TestDatabase) -> WriteLock {
        use sqlx::Connection as _;
        match database.backend() {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(database.url()).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE").execute(&mut connection).await.unwrap();
                WriteLock::Sqlite(connection)
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(database.url()).await.unwrap();
                sqlx::query("BEGIN").execute(&mut connection).await.unwrap();
                sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE").execute(&mut connection).await.unwrap();
                WriteLock::Postgres(connection)
            }
        }
    }

    async fn release(self) {
        match self {
            WriteLock::Sqlite(mut connection) => {
                sqlx::query("ROLLBACK").execute(&mut connection).await.unwrap();
            }
            WriteLock::Postgres(mut connection) => {
                sqlx::query("ROLLBACK").execute(&mut connection).await.unwrap();
            }
        }
    }
}

async fn a_full_event_queue_answers_503_and_loses_nothing_it_acknowledged(backend: Backend) {
    let harness = harness(backend).await;
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    // A queue of one event, in front of a database another process holds the write lock of.
    let state = harness.state.clone().with_events_queue(1);
    let options = RouterOptions {
        widget_dir: harness._directory.path().join("widget"),
        console_dir: harness._directory.path().join("console"),
        session_length: Duration::from_secs(3600),
        request_timeout: Duration::from_secs(30),
        public_limits: None,
        metrics: true,
    };
    let app = router(state.clone(), options);
    let lock = WriteLock::take(&harness.database).await;

    let post = |query: &str| {
        let batch = serde_json::json!({"events": [{"kind": "search", "query": query, "results": 1}]});
        Request::post("/v1/events?site=pk_test_acme")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(batch.to_string()))
            .unwrap()
    };
    let first = tokio::spawn({
        let app = app.clone();
        let request = post("waits");
        async move { send(&app, request).await }
    });
    for _ in 0..200 {
        if state.ingest.queued() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.ingest.queued(), 1, "the first batch waits for the database");

    // The queue is full: refused at once, with when to come back.
    let (status, headers, body) = send(&app, post("refused")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(headers[header::RETRY_AFTER], "1");

    // The database frees up: the waiting batch is stored, then acknowledged.
    lock.release().await;
    let (status, _, body) = first.await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 1);
    let stored = harness.state.store.events(site.id, 0, 10).await.unwrap();
    let queries: Vec<_> = stored.iter().map(|event| event.event.query.clone().unwrap_or_default()).collect();
    assert_eq!(queries, ["waits"], "what was acknowledged is there, what was refused is not");
    assert_eq!(state.ingest.queued(), 0);
}

async fn concurrent_event_batches_are_each_stored_once_and_acknowledged(backend: Backend) {
    let harness = harness(backend).await;
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    let requests = (0..40).map(|n| {
        let app = harness.app.clone();
        let events: Vec<_> =
            (0..5).map(|k| serde_json::json!({"kind": "search", "query": format!("q{n}-{k}"), "results": 1})).collect();
        let request = Request::post("/v1/events?site=pk_test_acme")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(serde_json::json!({ "events": events }).to_string()))
            .unwrap();
        tokio::spawn(async move { send(&app, request).await })
    });
    for request in requests.collect::<Vec<_>>() {
        let (status, _, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["accepted"], 5);
    }
    let stored = harness.state.store.events(site.id, 0, 1000).await.unwrap();
    let mut queries: Vec<_> = stored.iter().filter_map(|event| event.event.query.clone()).collect();
    queries.sort();
    queries.dedup();
    assert_eq!(queries.len(), 200, "every acknowledged event once");
    assert_eq!(stored.len(), 200);
}
