//! The admin API driven in-process on a real database (SQLite and PostgreSQL): keys and roles, the authoring flow,
//! lost updates, tenant isolation, sanitizing, the OpenAPI document and the protections.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::{Locale, Moment, Status, Target};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::AppState;
use server::http::limits::{ClientAddress, PublicLimits, RateLimit};
use server::http::{RouterOptions, router};
use server::indexes::SearchReadiness;
use std::num::NonZeroU32;
use std::time::Duration;
use store::testing::{Backend, TestDatabase};
use store::{ImportOptions, Role, SiteSpec, SnippetDraft, SnippetFilter, Store};
use tower::ServiceExt;

// Every test below runs on SQLite and on PostgreSQL: `NAME::sqlite`, `NAME::postgres`.
store::on_both_backends!(
    an_author_drafts_a_publisher_publishes_and_history_is_kept,
    the_second_of_two_editors_gets_412_and_the_winner_text_stays,
    site_keys_and_bad_keys_can_never_write,
    another_sites_key_sees_nothing_of_this_site,
    the_xss_corpus_comes_out_inert_through_the_api_and_import,
    the_openapi_document_describes_every_route_the_router_has,
    owners_manage_the_site_and_its_keys,
    two_owners_editing_site_settings_never_lose_a_change,
    the_last_owner_key_cannot_be_revoked,
    an_admin_write_is_served_by_the_time_it_is_answered,
    a_spoofed_forwarded_for_does_not_dodge_the_rate_limit,
    bodies_are_limited_and_public_requests_rate_limited,
    reports_count_a_known_week_exactly,
    a_console_session_works_like_its_key_resists_cross_site_requests_and_ends_on_sign_out,
    a_viewer_session_cannot_change_anything_and_a_revoked_key_ends_its_sessions,
    explain_shows_what_workers_get_and_why_the_rest_does_not_show,
);

struct Harness {
    app: axum::Router,
    state: AppState,
    /// Plaintext secret keys of `pk_test_acme` by role, and the owner key of `pk_test_other`.
    keys: std::collections::HashMap<&'static str, String>,
    _database: TestDatabase,
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

async fn harness_with(backend: Backend, public_limits: Option<PublicLimits>) -> Harness {
    let directory = tempfile::tempdir().unwrap();
    let database = TestDatabase::new(backend).await;
    let store = database.open().await;
    let mut keys = std::collections::HashMap::new();
    for site_key in ["pk_test_acme", "pk_test_other"] {
        let spec = SiteSpec {
            public_key: site_key.into(),
            name: site_key.into(),
            origins: vec!["http://127.0.0.1:8081".into()],
            default_locale: Locale::parse("en").unwrap(),
            locales: Vec::new(),
        };
        let site = store.put_site(&spec).await.unwrap();
        let slug = if site_key == "pk_test_acme" { "vat" } else { "other-secret" };
        let drafts = vec![draft(slug, vec![Target::Key("claim.vat-number".into())])];
        store.import(site_key, drafts, ImportOptions::default()).await.unwrap();
        if site_key == "pk_test_acme" {
            for (name, role) in [
                ("viewer", Role::Viewer),
                ("author", Role::Author),
                ("publisher", Role::Publisher),
                ("owner", Role::Owner),
            ] {
                keys.insert(name, store.create_key(site.id, role, name).await.unwrap().plaintext);
            }
        } else {
            keys.insert("other", store.create_key(site.id, Role::Owner, "other").await.unwrap().plaintext);
        }
    }
    let state = AppState::load(store).await.unwrap();
    let options = RouterOptions {
        widget_dir: directory.path().join("widget"),
        console_dir: directory.path().join("console"),
        session_length: Duration::from_secs(3600),
        request_timeout: Duration::from_secs(5),
        public_limits,
        metrics: true,
    };
    Harness { app: router(state.clone(), options), state, keys, _database: database, _directory: directory }
}

async fn harness(backend: Backend) -> Harness {
    harness_with(backend, None).await
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    (status, headers, json)
}

fn request(method: &str, uri: &str, key: Option<&str>, if_match: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    if let Some(etag) = if_match {
        builder = builder.header(header::IF_MATCH, etag);
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

impl Harness {
    fn key(&self, name: &str) -> &str {
        &self.keys[name]
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        key: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        send(&self.app, request(method, uri, Some(self.key(key)), if_match, body.as_ref())).await
    }

    /// Rebuilds changed indexes now, as the background refresher would a moment later.
    async fn refresh(&self) {
        self.state.indexes.refresh(self.state.store.as_ref(), SearchReadiness::Awaited).await.unwrap();
    }

    async fn help_titles(&self, query: &str) -> Vec<String> {
        let uri = format!("/v1/help?site=pk_test_acme&{query}");
        let (_, _, json) = send(&self.app, request("GET", &uri, None, None, None)).await;
        json["snippets"].as_array().unwrap().iter().map(|card| card["title"].as_str().unwrap().to_owned()).collect()
    }
}

const SNIPPETS: &str = "/admin/v1/sites/pk_test_acme/snippets";

fn snippet_body(slug: &str, title: &str) -> Value {
    json!({
        "slug": slug,
        "title": title,
        "markdown": "Use the **four-digit** code.\n",
        "moment": "apply",
        "targets": [{"key": "claim.cost-centre"}, {"route": "/claims/new"}],
    })
}

/// The id of the imported `vat` snippet.
async fn vat_id(harness: &Harness) -> i64 {
    let (_, _, list) = harness.call("GET", SNIPPETS, "viewer", None, None).await;
    list["snippets"].as_array().unwrap().iter().find(|snippet| snippet["slug"] == "vat").unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn an_author_drafts_a_publisher_publishes_and_history_is_kept(backend: Backend) {
    let harness = harness(backend).await;

    // An author creates a draft; it is not served, but the preview shows it with its reason.
    let (status, headers, created) =
        harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("cost-centre", "Cost centre"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(headers[header::ETAG], "\"1\"");
    assert_eq!(headers[header::LOCATION], format!("{SNIPPETS}/{id}").as_str());
    assert_eq!(created["status"], "draft");
    assert_eq!(created["html"], "<p>Use the <strong>four-digit</strong> code.</p>\n");
    harness.refresh().await;
    assert!(!harness.help_titles("keys=claim.cost-centre").await.contains(&"Cost centre".to_owned()));
    let (status, _, preview) =
        harness.call("GET", "/admin/v1/sites/pk_test_acme/preview?keys=claim.cost-centre", "viewer", None, None).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["snippets"][0]["title"], "Cost centre");
    assert_eq!(preview["snippets"][0]["status"], "draft");
    assert_eq!(preview["snippets"][0]["reason"]["kind"], "field_key");

    // Reading gives the ETag; a change without If-Match is refused with 428.
    let uri = format!("{SNIPPETS}/{id}");
    let (status, headers, _) = harness.call("GET", &uri, "viewer", None, None).await;
    assert_eq!((status, headers[header::ETAG].to_str().unwrap()), (StatusCode::OK, "\"1\""));
    let edited = snippet_body("cost-centre", "Cost centre code");
    let (status, _, error) = harness.call("PUT", &uri, "author", None, Some(edited.clone())).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::PRECONDITION_REQUIRED, Some("precondition_required"))
    );
    let (status, headers, updated) = harness.call("PUT", &uri, "author", Some("\"1\""), Some(edited)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!((updated["version"].as_i64(), headers[header::ETAG].to_str().unwrap()), (Some(2), "\"2\""));

    // Viewers cannot write; authors cannot publish; publishers can.
    let publish = format!("{uri}/publish");
    let (status, _, error) =
        harness.call("PUT", &uri, "viewer", Some("\"2\""), Some(snippet_body("cost-centre", "x"))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _, _) = harness.call("POST", &publish, "author", Some("\"2\""), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, published) = harness.call("POST", &publish, "publisher", Some("\"2\""), None).await;
    assert_eq!((status, published["status"].as_str()), (StatusCode::OK, Some("published")));
    harness.refresh().await;
    assert_eq!(harness.help_titles("keys=claim.cost-centre").await[0], "Cost centre code");
    // An author may no longer edit it: it is live.
    let (status, _, _) =
        harness.call("PUT", &uri, "author", Some("\"3\""), Some(snippet_body("cost-centre", "y"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Listing filters by status, target and slug prefix, in pages.
    let (_, _, list) = harness
        .call("GET", &format!("{SNIPPETS}?status=published&target=claim.cost-centre"), "viewer", None, None)
        .await;
    assert_eq!(list["snippets"].as_array().unwrap().len(), 1, "{list}");
    let (_, _, page) = harness.call("GET", &format!("{SNIPPETS}?limit=1"), "viewer", None, None).await;
    assert_eq!(page["snippets"].as_array().unwrap().len(), 1);
    let after = page["next_after"].as_i64().unwrap();
    let (_, _, next) = harness.call("GET", &format!("{SNIPPETS}?limit=1&after={after}"), "viewer", None, None).await;
    assert_eq!(next["snippets"][0]["id"].as_i64(), Some(id));
    assert!(next["next_after"].is_null());
    let (status, _, error) = harness.call("GET", &format!("{SNIPPETS}?status=live"), "viewer", None, None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));

    // Revisions: listed newest first, compared, and an old one restored as a new version.
    let (_, _, revisions) = harness.call("GET", &format!("{uri}/revisions"), "viewer", None, None).await;
    let versions: Vec<i64> =
        revisions["revisions"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(revisions["revisions"][2]["snippet"]["title"], "Cost centre");
    let (_, _, diff) = harness.call("GET", &format!("{uri}/revisions/2/diff"), "viewer", None, None).await;
    assert_eq!(diff["changed"], json!(["title"]));
    let (_, _, diff) = harness.call("GET", &format!("{uri}/revisions/3/diff?against=2"), "viewer", None, None).await;
    assert_eq!(diff["changed"], json!(["status"]));
    let (status, _, restored) =
        harness.call("POST", &format!("{uri}/revisions/1/restore"), "publisher", Some("\"3\""), None).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!((restored["title"].as_str(), restored["status"].as_str()), (Some("Cost centre"), Some("published")));
    assert_eq!(restored["version"], 4);

    // Archiving takes it off the public API.
    let (status, _, archived) = harness.call("DELETE", &uri, "publisher", Some("\"4\""), None).await;
    assert_eq!((status, archived["status"].as_str()), (StatusCode::OK, Some("archived")));
    harness.refresh().await;
    assert!(!harness.help_titles("keys=claim.cost-centre").await.contains(&"Cost centre".to_owned()));

    // Bad bodies are named, and nothing is written.
    let (status, _, error) = harness.call("POST", SNIPPETS, "author", None, Some(json!({"slug": "x"}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{error}");
    let mut bad_target = snippet_body("bad", "Bad");
    bad_target["targets"] = json!([{"url": "/orders/("}]);
    let (status, _, error) = harness.call("POST", SNIPPETS, "author", None, Some(bad_target)).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let (status, _, error) = harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("vat", "Again"))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate")));
    // An archived snippet's slug can be used again: the snippet comes back as a draft, history kept.
    let (status, _, revived) =
        harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("cost-centre", "Again"))).await;
    assert_eq!(status, StatusCode::CREATED, "{revived}");
    assert_eq!((revived["id"].as_i64(), revived["version"].as_i64()), (Some(id), Some(6)));
    assert_eq!(revived["status"], "draft");
}

async fn the_second_of_two_editors_gets_412_and_the_winner_text_stays(backend: Backend) {
    let harness = harness(backend).await;
    let (_, _, created) =
        harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("mileage", "Mileage"))).await;
    let uri = format!("{SNIPPETS}/{}", created["id"]);
    // Both read version 1.
    let (_, alice_headers, _) = harness.call("GET", &uri, "author", None, None).await;
    let (_, bob_headers, _) = harness.call("GET", &uri, "author", None, None).await;
    let alice_etag = alice_headers[header::ETAG].to_str().unwrap().to_owned();
    let bob_etag = bob_headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, _) =
        harness.call("PUT", &uri, "author", Some(&alice_etag), Some(snippet_body("mileage", "Alice's mileage"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, stale) =
        harness.call("PUT", &uri, "author", Some(&bob_etag), Some(snippet_body("mileage", "Bob's mileage"))).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale["error"]["code"], "stale_version");
    assert_eq!(stale["current"]["title"], "Alice's mileage", "the 412 carries the current version");
    assert_eq!(headers[header::ETAG], "\"2\"");
    let (_, _, stored) = harness.call("GET", &uri, "viewer", None, None).await;
    assert_eq!(stored["title"], "Alice's mileage");
    // Weak and foreign tags name no version: they never overwrite.
    for if_match in ["W/\"2\"", "\"nonsense\"", "\"1\", \"3\""] {
        let (status, _, _) =
            harness.call("PUT", &uri, "author", Some(if_match), Some(snippet_body("mileage", "Eve"))).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{if_match}");
    }
}

mod concurrent_updates_with_one_etag_give_exactly_one_success {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::concurrent_updates_with_one_etag_give_exactly_one_success(super::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        super::concurrent_updates_with_one_etag_give_exactly_one_success(super::Backend::Postgres).await;
    }
}

async fn concurrent_updates_with_one_etag_give_exactly_one_success(backend: Backend) {
    let harness = harness(backend).await;
    let (_, _, created) =
        harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("per-diem", "Per diem"))).await;
    let uri = format!("{SNIPPETS}/{}", created["id"]);
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..16 {
        let app = harness.app.clone();
        let request = request(
            "PUT",
            &uri,
            Some(harness.key("author")),
            Some("\"1\""),
            Some(&snippet_body("per-diem", &format!("Per diem by writer {writer}"))),
        );
        writers.spawn(async move { (writer, send(&app, request).await) });
    }
    let mut winners = Vec::new();
    while let Some(result) = writers.join_next().await {
        let (writer, (status, _, body)) = result.unwrap();
        match status {
            StatusCode::OK => winners.push(writer),
            StatusCode::PRECONDITION_FAILED => assert_eq!(body["current"]["version"], 2),
            other => panic!("writer {writer}: unexpected {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    let (_, _, stored) = harness.call("GET", &uri, "viewer", None, None).await;
    assert_eq!(stored["title"], format!("Per diem by writer {}", winners[0]));
    assert_eq!(stored["version"], 2);
}

/// Every admin operation, as (method, path, body).
fn every_admin_operation(snippet_id: i64) -> Vec<(&'static str, String, Option<Value>)> {
    let site = "/admin/v1/sites/pk_test_acme";
    vec![
        ("GET", site.to_owned(), None),
        ("PATCH", site.to_owned(), Some(json!({"name": "Renamed"}))),
        ("GET", format!("{site}/snippets"), None),
        ("POST", format!("{site}/snippets"), Some(snippet_body("new-one", "New"))),
        ("GET", format!("{site}/snippets/{snippet_id}"), None),
        ("PUT", format!("{site}/snippets/{snippet_id}"), Some(snippet_body("vat", "Changed"))),
        ("DELETE", format!("{site}/snippets/{snippet_id}"), None),
        ("POST", format!("{site}/snippets/{snippet_id}/publish"), None),
        ("POST", format!("{site}/snippets/{snippet_id}/unpublish"), None),
        ("GET", format!("{site}/snippets/{snippet_id}/revisions"), None),
        ("GET", format!("{site}/snippets/{snippet_id}/revisions/1/diff?against=1"), None),
        ("POST", format!("{site}/snippets/{snippet_id}/revisions/1/restore"), None),
        ("GET", format!("{site}/keys"), None),
        ("POST", format!("{site}/keys"), Some(json!({"role": "owner", "label": "sneaky"}))),
        ("POST", format!("{site}/keys/1/rotate"), Some(json!({}))),
        ("DELETE", format!("{site}/keys/1"), None),
        ("GET", format!("{site}/preview?route=/claims/new"), None),
        ("GET", format!("{site}/explain?route=/claims/new"), None),
        ("POST", format!("{site}/preview/draft"), Some(json!({"markdown": "**x**"}))),
        ("GET", format!("{site}/reports/snippets"), None),
        ("GET", format!("{site}/events?limit=5"), None),
        ("GET", format!("{site}/reports/coverage"), None),
        ("GET", format!("{site}/reports/stale"), None),
        ("GET", format!("{site}/reports/demand?role=employee"), None),
        ("GET", format!("{site}/reports/gaps?from=2026-01-01&to=2026-12-31"), None),
    ]
}

/// What the database holds for both sites, to prove a request changed nothing.
async fn snapshot(store: &dyn Store) -> String {
    let mut text = String::new();
    for site in store.sites().await.unwrap() {
        text.push_str(&format!("{site:?}\n"));
        for snippet in store.snippets(site.id, &SnippetFilter::default()).await.unwrap() {
            text.push_str(&format!("{snippet:?}\n"));
            text.push_str(&format!("{:?}\n", store.revisions(site.id, snippet.id).await.unwrap()));
        }
        // When a key was last used is bookkeeping, not content.
        let keys: Vec<_> = store
            .keys(site.id)
            .await
            .unwrap()
            .into_iter()
            .map(|key| store::ApiKey { last_used_at: None, ..key })
            .collect();
        text.push_str(&format!("{keys:?}\n"));
    }
    text
}

async fn site_keys_and_bad_keys_can_never_write(backend: Backend) {
    let harness = harness(backend).await;
    let snippet_id = harness.state.store.snippets(1, &SnippetFilter::default()).await.unwrap()[0].id;
    let before = snapshot(harness.state.store.as_ref()).await;
    let valid = harness.key("owner").to_owned();
    let mut typo = valid.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let presented: [(Option<&str>, &str); 5] = [
        (None, "missing_key"),
        (Some("pk_test_acme"), "invalid_key"),
        (Some(&typo), "invalid_key"),
        (Some("sk_0000"), "invalid_key"),
        (
            Some("sk_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd00000000"),
            "invalid_key",
        ),
    ];
    for (method, uri, body) in every_admin_operation(snippet_id) {
        for (key, code) in presented {
            let (status, headers, error) =
                send(&harness.app, request(method, &uri, key, Some("\"1\""), body.as_ref())).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} with {key:?}");
            assert_eq!(error["error"]["code"], code, "{method} {uri} with {key:?}");
            assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
            assert!(headers.contains_key("x-request-id"));
        }
        // A viewer reads (and checks drafts, which writes nothing) but never writes.
        let (status, _, _) =
            send(&harness.app, request(method, &uri, Some(harness.key("viewer")), Some("\"1\""), body.as_ref())).await;
        if method == "GET" || uri.ends_with("/preview/draft") {
            assert_eq!(status, if uri.ends_with("/keys") { StatusCode::FORBIDDEN } else { StatusCode::OK }, "{uri}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "viewer {method} {uri}");
        }
    }
    assert_eq!(snapshot(harness.state.store.as_ref()).await, before, "the database is unchanged");
    // Admin routes never answer preflights for widget origins.
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri(SNIPPETS)
        .header(header::ORIGIN, "http://127.0.0.1:8081")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&harness.app, preflight).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

async fn another_sites_key_sees_nothing_of_this_site(backend: Backend) {
    let harness = harness(backend).await;
    let snippet_id = harness.state.store.snippets(1, &SnippetFilter::default()).await.unwrap()[0].id;
    let before = snapshot(harness.state.store.as_ref()).await;
    for (method, uri, body) in every_admin_operation(snippet_id) {
        let (status, _, error) = harness.call(method, &uri, "other", Some("\"1\""), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {error}");
        assert_eq!(error["error"]["code"], "unknown_site");
    }
    // Its own site, with this site's snippet id: not found either.
    let uri = format!("/admin/v1/sites/pk_test_other/snippets/{snippet_id}");
    let (status, _, error) = harness.call("GET", &uri, "other", None, None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(snapshot(harness.state.store.as_ref()).await, before);
}

mod tenant_isolation_holds_for_any_key_site_and_snippet {
    #[test]
    fn sqlite() {
        super::tenant_isolation_holds_for_any_key_site_and_snippet(super::Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        super::tenant_isolation_holds_for_any_key_site_and_snippet(super::Backend::Postgres);
    }
}

fn tenant_isolation_holds_for_any_key_site_and_snippet(backend: Backend) {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let harness = runtime.block_on(async {
        let harness = harness(backend).await;
        // More snippets on both sites, created through the API.
        for (site, key) in [("pk_test_acme", "author"), ("pk_test_other", "other")] {
            for number in 0..4 {
                let uri = format!("/admin/v1/sites/{site}/snippets");
                let body = snippet_body(&format!("{site}-{number}"), &format!("{site} snippet {number}"));
                let (status, _, _) = harness.call("POST", &uri, key, None, Some(body)).await;
                assert_eq!(status, StatusCode::CREATED);
            }
        }
        harness
    });
    let owners: Vec<(i64, String)> = runtime.block_on(async {
        let mut owners = Vec::new();
        for site in harness.state.store.sites().await.unwrap() {
            for snippet in harness.state.store.snippets(site.id, &SnippetFilter::default()).await.unwrap() {
                owners.push((snippet.id, site.public_key.clone()));
            }
        }
        owners
    });
    let max_id = owners.iter().map(|(id, _)| *id).max().unwrap();
    let config = ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(key in prop::sample::select(vec!["viewer", "author", "owner", "other"]),
                        site in prop::sample::select(vec!["pk_test_acme", "pk_test_other", "pk_test_nope"]),
                        id in 0..=max_id + 2,
                        what in 0..4usize)| {
        let key_site = if key == "other" { "pk_test_other" } else { "pk_test_acme" };
        let uri = match what {
            0 => format!("/admin/v1/sites/{site}/snippets/{id}"),
            1 => format!("/admin/v1/sites/{site}/snippets/{id}/revisions"),
            2 => format!("/admin/v1/sites/{site}/snippets"),
            _ => format!("/admin/v1/sites/{site}/preview?keys=claim.cost-centre,claim.vat-number&route=/claims/new"),
        };
        let (status, _, body) = runtime.block_on(harness.call("GET", &uri, key, None, None));
        let owner = owners.iter().find(|(snippet_id, _)| *snippet_id == id).map(|(_, site)| site.as_str());
        if site != key_site {
            prop_assert_eq!(status, StatusCode::NOT_FOUND);
            prop_assert_eq!(body["error"]["code"].as_str(), Some("unknown_site"));
        } else if what < 2 && owner != Some(site) {
            prop_assert_eq!(status, StatusCode::NOT_FOUND);
        } else {
            prop_assert_eq!(status, StatusCode::OK);
        }
        // Nothing of the other tenant ever appears in an answer.
        let foreign = if key_site == "pk_test_acme" { ["pk_test_other snippet", "About other-secret"] } else { ["pk_test_acme snippet", "About vat"] };
        let text = body.to_string();
        prop_assert!(foreign.iter().all(|marker| !text.contains(marker)), "{}", text);
    });
}

/// Element and attribute names the sanitized HTML may contain, and the URL schemes it may use.
fn assert_inert(html: &str, payload: &str) {
    const TAGS: &[&str] = &[
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "details",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "html",
        "body",
        "head",
    ];
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(element) = node.value().as_element() else { continue };
        let name = element.name();
        assert!(TAGS.contains(&name), "`{payload}` left <{name}> in {html}");
        for (attribute, value) in element.attrs() {
            assert!(
                matches!(attribute, "href" | "title" | "lang" | "rel" | "target"),
                "`{payload}` left {attribute}=\"{value}\" on <{name}> in {html}"
            );
            if attribute == "href" {
                let scheme = value.trim().to_ascii_lowercase();
                assert!(scheme.starts_with("https:") || scheme.starts_with("mailto:"), "`{payload}` left href {value}");
            }
        }
    }
}

fn xss_payloads() -> Vec<String> {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/xss-payloads.txt");
    let payloads: Vec<String> = std::fs::read_to_string(corpus)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with("# "))
        .map(str::to_owned)
        .collect();
    assert!(payloads.len() >= 60, "the corpus has {} payloads", payloads.len());
    payloads
}

async fn the_xss_corpus_comes_out_inert_through_the_api_and_import(backend: Backend) {
    let harness = harness(backend).await;
    let payloads = xss_payloads();
    for (number, payload) in payloads.iter().enumerate() {
        let body = json!({
            "slug": format!("xss/{number}"),
            "title": payload,
            "markdown": format!("{payload}\n\nand inline: {payload}\n"),
            "moment": "solve",
            "status": "published",
        });
        let (status, _, created) = harness.call("POST", SNIPPETS, "publisher", None, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{payload}: {created}");
        assert_inert(created["html"].as_str().unwrap(), payload);
        assert_eq!(created["markdown"], format!("{payload}\n\nand inline: {payload}\n"), "Markdown kept byte for byte");
    }
    // The same payloads as files.
    let directory = tempfile::tempdir().unwrap();
    for (number, payload) in payloads.iter().enumerate() {
        let text = format!("---\ntitle: file {number}\nmoment: solve\n---\n{payload}\n");
        std::fs::write(directory.path().join(format!("xss-file-{number}.md")), text).unwrap();
    }
    let files = server::import::read_dir(directory.path(), &Locale::parse("en").unwrap()).unwrap();
    let drafts = files.into_iter().map(|file| file.draft).collect();
    let report = harness.state.store.import("pk_test_acme", drafts, ImportOptions::default()).await.unwrap();
    assert_eq!(report.created.len(), payloads.len());
    harness.refresh().await;
    let entry = harness.state.indexes.get("pk_test_acme").unwrap();
    let mut checked = 0;
    for snippet in entry.index.snippets() {
        assert_inert(&snippet.html, &snippet.slug);
        checked += 1;
    }
    assert!(checked > 2 * payloads.len());
}

async fn the_openapi_document_describes_every_route_the_router_has(backend: Backend) {
    let harness = harness(backend).await;
    let (status, _, document) = send(&harness.app, request("GET", "/openapi.json", None, None, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(document["components"]["securitySchemes"]["secret_key"]["scheme"], "bearer");
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let uri = path.replace("{site}", "pk_test_acme").replace("{id}", "1").replace("{version}", "1");
            let (status, _, body) =
                send(&harness.app, request(&method.to_uppercase(), &uri, None, None, Some(&json!({})))).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not routed");
            assert_ne!(body["error"]["code"], "not_found", "{method} {path} is documented but not routed");
        }
    }
    assert!(operations >= 21, "{operations} operations documented");
    for schema in ["Snippet", "SnippetInput", "StaleBody", "HelpResponse", "ErrorBody", "CreatedKey", "Preview"] {
        assert!(document["components"]["schemas"].get(schema).is_some(), "schema {schema}");
    }
}

async fn owners_manage_the_site_and_its_keys(backend: Backend) {
    let harness = harness(backend).await;
    let site = "/admin/v1/sites/pk_test_acme";
    let patch = json!({"origins": ["https://app.acme.example"], "locales": ["de", "fr"],
                       "widget": {"position": "bottom-left", "accent_color": "#0b5cad", "launcher_label": "Hilfe",
                                  "hotspots": true}});
    let (status, _, changed) = harness.call("PATCH", site, "owner", Some("*"), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["locales"], json!(["en", "de", "fr"]));
    assert_eq!(changed["widget"]["position"], "bottom-left");
    assert_eq!(changed["widget"]["hotspots"], true);
    let (status, _, error) =
        harness.call("PATCH", site, "owner", Some("*"), Some(json!({"widget": {"accent_color": "red"}}))).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let (status, _, _) = harness.call("PATCH", site, "publisher", None, Some(json!({"name": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The new origin is allowed by the public API at once after the refresh.
    harness.refresh().await;
    let help = Request::get("/v1/help?site=pk_test_acme")
        .header(header::ORIGIN, "https://app.acme.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&harness.app, help).await.0, StatusCode::OK);
    // The widget reads the look, and whether hotspots are on, from the public API.
    let config = Request::get("/v1/widget-config?site=pk_test_acme").body(Body::empty()).unwrap();
    let (status, _, config) = send(&harness.app, config).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        config,
        json!({"position": "bottom-left", "accent_color": "#0b5cad", "launcher_label": "Hilfe", "hotspots": true})
    );

    // A key is shown once, listed without its secret, rotated with an overlap and revoked.
    let (status, _, created) = harness
        .call("POST", &format!("{site}/keys"), "owner", None, Some(json!({"role": "author", "label": "ci"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let key_id = created["key"]["id"].as_i64().unwrap();
    let (_, _, list) = harness.call("GET", &format!("{site}/keys"), "owner", None, None).await;
    assert!(!list.to_string().contains(&secret[3..]), "secrets are never listed");
    assert!(list["keys"].as_array().unwrap().iter().any(|key| key["label"] == "ci"));
    let (status, _, rotated) = harness
        .call("POST", &format!("{site}/keys/{key_id}/rotate"), "owner", None, Some(json!({"overlap_seconds": 0})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let old = send(&harness.app, request("GET", SNIPPETS, Some(&secret), None, None)).await;
    assert_eq!(old.0, StatusCode::UNAUTHORIZED, "rotated out without overlap");
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_eq!(send(&harness.app, request("GET", SNIPPETS, Some(new_secret), None, None)).await.0, StatusCode::OK);
    let new_id = rotated["key"]["id"].as_i64().unwrap();
    let (status, _, revoked) = harness.call("DELETE", &format!("{site}/keys/{new_id}"), "owner", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(
        send(&harness.app, request("GET", SNIPPETS, Some(new_secret), None, None)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn two_owners_editing_site_settings_never_lose_a_change(backend: Backend) {
    let harness = harness(backend).await;
    let site = "/admin/v1/sites/pk_test_acme";
    let (status, headers, read) = harness.call("GET", site, "viewer", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", read["version"]));

    // Without If-Match: 428, nothing changed.
    let look = json!({"widget": {"accent_color": "#0b5cad"}});
    let (status, _, error) = harness.call("PATCH", site, "owner", None, Some(look.clone())).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::PRECONDITION_REQUIRED, Some("precondition_required"))
    );
    // Owner A changes the look from what she read.
    let (status, headers, changed) = harness.call("PATCH", site, "owner", Some(&etag), Some(look)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let new_etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    // Owner B, from the same old read, would replace the origins: 412 with the current settings.
    let origins = json!({"origins": ["https://b.example"]});
    for stale in [etag.as_str(), "\"999\"", "W/\"1\"", "bogus"] {
        let (status, headers, error) = harness.call("PATCH", site, "owner", Some(stale), Some(origins.clone())).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (StatusCode::PRECONDITION_FAILED, Some("stale_version")),
            "{stale}"
        );
        assert_eq!(error["current"]["widget"]["accent_color"], "#0b5cad", "{error}");
        assert_eq!(headers[header::ETAG].to_str().unwrap(), new_etag);
    }
    // A list naming the current version matches (RFC 9110), and so does `*`.
    let list = format!("\"999\", {new_etag}");
    let (status, headers, changed) = harness.call("PATCH", site, "owner", Some(&list), Some(origins)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["widget"]["accent_color"], "#0b5cad", "A's change is kept");
    assert_eq!(changed["origins"], json!(["https://b.example"]));
    let latest = headers[header::ETAG].to_str().unwrap().to_owned();
    // A change that changes nothing keeps the version.
    let (_, headers, _) =
        harness.call("PATCH", site, "owner", Some("*"), Some(json!({"origins": ["https://b.example"]}))).await;
    assert_eq!(headers[header::ETAG].to_str().unwrap(), latest);

    // Snippets honour `*` and lists too.
    let uri = format!("{SNIPPETS}/{}", vat_id(&harness).await);
    let (status, _, body) =
        harness.call("PUT", &uri, "publisher", Some("*"), Some(snippet_body("vat", "VAT (starred)"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tags = format!("\"1\", W/\"{0}\", \"{0}\"", body["version"]);
    let (status, _, body) =
        harness.call("PUT", &uri, "publisher", Some(&tags), Some(snippet_body("vat", "VAT (listed)"))).await;
    assert_eq!((status, body["title"].as_str()), (StatusCode::OK, Some("VAT (listed)")), "{body}");
}

async fn the_last_owner_key_cannot_be_revoked(backend: Backend) {
    let harness = harness(backend).await;
    let keys = "/admin/v1/sites/pk_test_acme/keys";
    let (_, _, list) = harness.call("GET", keys, "owner", None, None).await;
    let owner_id = list["keys"].as_array().unwrap().iter().find(|key| key["role"] == "owner").unwrap()["id"].clone();
    let (status, _, error) = harness.call("DELETE", &format!("{keys}/{owner_id}"), "owner", None, None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("cuecard keys create --role owner"));
    assert_eq!(harness.call("GET", keys, "owner", None, None).await.0, StatusCode::OK, "still usable");
    // With a second owner key, the first can go.
    let (_, _, created) =
        harness.call("POST", keys, "owner", None, Some(json!({"role": "owner", "label": "deputy"}))).await;
    let (status, _, _) = harness.call("DELETE", &format!("{keys}/{owner_id}"), "owner", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let deputy = created["secret"].as_str().unwrap();
    let (status, _, _) =
        send(&harness.app, request("DELETE", &format!("{keys}/{}", created["key"]["id"]), Some(deputy), None, None))
            .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

fn forwarded_by_one_proxy() -> ClientAddress {
    ClientAddress::ProxyCount { header: header::HeaderName::from_static("x-forwarded-for"), proxies: 1 }
}

/// An author who checks right after a write sees it: the write answers once this instance serves it.
async fn an_admin_write_is_served_by_the_time_it_is_answered(backend: Backend) {
    let harness = harness(backend).await;
    let mut body = snippet_body("fresh", "Fresh help");
    body["status"] = json!("draft");
    let (_, headers, created) = harness.call("POST", SNIPPETS, "author", None, Some(body)).await;
    let uri = format!("{SNIPPETS}/{}", created["id"]);
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, headers, _) = harness.call("POST", &format!("{uri}/publish"), "publisher", Some(&etag), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(harness.help_titles("keys=claim.cost-centre").await.contains(&"Fresh help".to_owned()), "published");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, _) = harness.call("DELETE", &uri, "publisher", Some(&etag), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!harness.help_titles("keys=claim.cost-centre").await.contains(&"Fresh help".to_owned()), "archived");
    // Site settings too: a new origin is allowed at once.
    let patch = json!({"origins": ["https://new.acme.example"]});
    assert_eq!(
        harness.call("PATCH", "/admin/v1/sites/pk_test_acme", "owner", Some("*"), Some(patch)).await.0,
        StatusCode::OK
    );
    let help = Request::get("/v1/help?site=pk_test_acme")
        .header(header::ORIGIN, "https://new.acme.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&harness.app, help).await.0, StatusCode::OK);
}

/// A client behind the proxy writes a new first `X-Forwarded-For` entry on every request; the
/// proxy appends its real address. The limit follows the real address.
async fn a_spoofed_forwarded_for_does_not_dodge_the_rate_limit(backend: Backend) {
    let limit = RateLimit { per_minute: NonZeroU32::new(600).unwrap(), burst: NonZeroU32::new(100).unwrap() };
    let harness = harness_with(backend, Some(PublicLimits::new(limit, forwarded_by_one_proxy()))).await;
    let mut statuses = std::collections::BTreeMap::new();
    for attempt in 0..400u32 {
        let spoofed = format!("198.18.{}.{}, 203.0.113.50", attempt / 256, attempt % 256);
        let help =
            Request::get("/v1/help?site=pk_test_acme").header("x-forwarded-for", spoofed).body(Body::empty()).unwrap();
        *statuses.entry(send(&harness.app, help).await.0.as_u16()).or_insert(0) += 1;
    }
    assert!(statuses[&429] >= 290, "{statuses:?}");
    assert!(statuses[&200] <= 110, "{statuses:?}");
}

async fn bodies_are_limited_and_public_requests_rate_limited(backend: Backend) {
    let limit = RateLimit { per_minute: NonZeroU32::new(60).unwrap(), burst: NonZeroU32::new(3).unwrap() };
    let harness = harness_with(backend, Some(PublicLimits::new(limit, forwarded_by_one_proxy()))).await;
    let huge = json!({"slug": "big", "title": "Big", "moment": "apply", "markdown": "x".repeat(200 * 1024)});
    let (status, headers, error) = harness.call("POST", SNIPPETS, "author", None, Some(huge)).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    assert!(headers.contains_key("x-request-id"));

    let help = |client: &str| {
        Request::get("/v1/help?site=pk_test_acme").header("x-forwarded-for", client).body(Body::empty()).unwrap()
    };
    for _ in 0..3 {
        assert_eq!(send(&harness.app, help("203.0.113.7")).await.0, StatusCode::OK);
    }
    let (status, headers, error) = send(&harness.app, help("203.0.113.7")).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    assert!(headers[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(headers.contains_key("x-request-id"));
    // The site's own origin can read the 429 (and its Retry-After), so the widget backs off.
    let from_page = Request::get("/v1/help?site=pk_test_acme")
        .header("x-forwarded-for", "203.0.113.7")
        .header(header::ORIGIN, "http://127.0.0.1:8081")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&harness.app, from_page).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://127.0.0.1:8081");
    // Another client, or the same client on another site, has its own allowance.
    assert_eq!(send(&harness.app, help("203.0.113.8")).await.0, StatusCode::OK);
    let other_site = Request::get("/v1/help?site=pk_test_other")
        .header("x-forwarded-for", "203.0.113.7")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&harness.app, other_site).await.0, StatusCode::OK);
    // The admin API is not limited by the public quota.
    assert_eq!(harness.call("GET", SNIPPETS, "viewer", None, None).await.0, StatusCode::OK);
}

/// A known week of widget traffic, played through the public API, read back through each report
/// with exact numbers.
async fn reports_count_a_known_week_exactly(backend: Backend) {
    let harness = harness(backend).await;
    let vat = vat_id(&harness).await;
    let events = |batch: Value| {
        Request::post("/v1/events?site=pk_test_acme")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(batch.to_string()))
            .unwrap()
    };
    let here = json!({"route": "/claims/new", "roles": "employee"});
    let with = |extra: Value| {
        let mut event = here.clone();
        event.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        event
    };
    let mut batch = Vec::new();
    for _ in 0..3 {
        batch.push(with(json!({"kind": "panel_open", "key": "claim.vat-number"})));
    }
    for _ in 0..2 {
        batch.push(with(json!({"kind": "panel_open", "key": "claim.project"})));
    }
    batch.push(json!({"kind": "panel_open", "path": "/approvals/CLM-1", "roles": "approver"}));
    for via in ["panel", "panel", "hotspot", "search"] {
        let mut view = with(json!({"kind": "snippet_view", "snippet": vat, "key": "claim.vat-number", "via": via}));
        if via == "search" {
            view["query"] = json!("VAT  number");
        }
        batch.push(view);
    }
    for helpful in [true, true, true, false] {
        batch.push(with(json!({"kind": "feedback", "snippet": vat, "helpful": helpful, "comment": if helpful { "" } else { "Which rate for Norway?" }})));
    }
    for (query, results) in [("vat number", 2), ("Per diem", 0), ("per  diem", 0), ("receipt", 3)] {
        batch.push(with(json!({"kind": "search", "query": query, "results": results})));
    }
    let (status, _, body) = send(&harness.app, events(json!({"events": batch}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let reports = "/admin/v1/sites/pk_test_acme/reports";
    let (status, _, report) = harness.call("GET", &format!("{reports}/snippets"), "viewer", None, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let row = &report["snippets"][0];
    assert_eq!(row["id"], vat);
    assert_eq!(row["views"], 4);
    assert_eq!(row["views_by_source"], json!({"panel": 2, "hotspot": 1, "search": 1, "page": 0}));
    assert_eq!((row["helpful"].as_u64(), row["not_helpful"].as_u64()), (Some(3), Some(1)));
    assert_eq!(row["helpful_rate"], 0.75);
    let (low, high) = (row["helpful_rate_low"].as_f64().unwrap(), row["helpful_rate_high"].as_f64().unwrap());
    assert!((low - 0.3006).abs() < 1e-3 && (high - 0.9544).abs() < 1e-3, "{low} {high}");
    assert_eq!(row["comments"][0]["text"], "Which rate for Norway?");
    assert_eq!(report["total"], 1);
    // A filter reads the wide rollup and must agree with the narrow one; one that keeps
    // nothing gives nothing.
    let (_, _, employees) =
        harness.call("GET", &format!("{reports}/snippets?role=employee"), "viewer", None, None).await;
    assert_eq!(employees["snippets"], report["snippets"]);
    let (_, _, french) = harness.call("GET", &format!("{reports}/snippets?locale=fr"), "viewer", None, None).await;
    assert_eq!((french["total"].as_u64(), french["snippets"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let (_, _, demand) = harness.call("GET", &format!("{reports}/demand"), "viewer", None, None).await;
    assert_eq!(
        demand["places"],
        json!([
            {"place": "/claims/new", "key": "claim.vat-number", "roles": "employee", "opens": 3, "views": 4},
            {"place": "/claims/new", "key": "claim.project", "roles": "employee", "opens": 2, "views": 0},
            // No URL pattern of this site matches the approvals page: no place, and never the path.
            {"place": "", "key": "", "roles": "approver", "opens": 1, "views": 0},
        ])
    );
    let days = demand["days"].as_array().unwrap();
    assert_eq!(days.len(), 30, "every day of the default range");
    assert_eq!((&days[29]["day"], &days[29]["opens"], &days[29]["views"]), (&demand["to"], &json!(6), &json!(4)));
    assert!(days[..29].iter().all(|day| day["opens"] == 0 && day["views"] == 0));
    let (_, _, approvers) = harness.call("GET", &format!("{reports}/demand?role=approver"), "viewer", None, None).await;
    assert_eq!(approvers["places"].as_array().unwrap().len(), 1);
    let (_, _, second) = harness.call("GET", &format!("{reports}/demand?limit=1&offset=1"), "viewer", None, None).await;
    assert_eq!((second["total"].as_u64(), &second["places"]), (Some(3), &json!([demand["places"][1]])));
    let (status, _, _) = harness.call("GET", &format!("{reports}/demand?limit=0"), "viewer", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The harness's site has help for the VAT field only: the project field is a gap, and the
    // approvals page has no snippet of its own.
    get_help(&harness, "route=/claims/new&keys=claim.project").await;
    let (_, _, gaps) = harness.call("GET", &format!("{reports}/gaps"), "viewer", None, None).await;
    assert_eq!(
        gaps["opened_without_help"],
        json!([{"place": "/claims/new", "key": "claim.project", "count": 2}, {"place": "", "key": "", "count": 1}])
    );
    assert_eq!(
        gaps["searches"],
        json!([
            {"query": "per diem", "searches": 2, "empty": 2, "without_view": 2},
            {"query": "receipt", "searches": 1, "empty": 0, "without_view": 1},
        ])
    );
    assert_eq!(gaps["fields_without_help"], json!([{"place": "/claims/new", "key": "claim.project", "count": 1}]));
    // Coverage: the one field seen has no help; stale: the VAT snippet's key was never on a page.
    let (_, _, coverage) = harness.call("GET", &format!("{reports}/coverage"), "viewer", None, None).await;
    assert_eq!(
        coverage["places"],
        json!([{"name": "/claims/new", "fields_seen": 1, "fields_with_help": 0, "share": 0.0}])
    );
    assert_eq!(coverage["days"].as_array().unwrap().len(), 1);
    let (_, _, stale) = harness.call("GET", &format!("{reports}/stale"), "viewer", None, None).await;
    assert_eq!(
        stale["snippets"],
        json!([{"id": vat, "slug": "vat", "title": "About vat", "last_seen": null, "last_app_version": null,
            "vanished_in": null}])
    );
    // The VAT field shows on the app's 2.3 pages, not on 2.4's (2.10 sorts after 2.9, as semver).
    get_help(&harness, "route=/claims/new&keys=claim.vat-number&app_version=2.9.0").await;
    get_help(&harness, "route=/claims/new&keys=claim.project&app_version=2.10.0").await;
    let (_, _, stale) = harness.call("GET", &format!("{reports}/stale"), "viewer", None, None).await;
    let today = &stale["to"];
    assert_eq!(
        stale["snippets"],
        json!([{"id": vat, "slug": "vat", "title": "About vat", "last_seen": today, "last_app_version": "2.9.0",
            "vanished_in": "2.10.0"}])
    );
    let (_, _, coverage) =
        harness.call("GET", &format!("{reports}/coverage?app_version=2.9.0"), "viewer", None, None).await;
    assert_eq!(
        coverage["places"],
        json!([{"name": "/claims/new", "fields_seen": 1, "fields_with_help": 1, "share": 1.0}])
    );

    // Another site's key sees none of it.
    let (status, _, _) = harness.call("GET", &format!("{reports}/gaps"), "other", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, error) =
        harness.call("GET", &format!("{reports}/demand?from=2026-13-01"), "viewer", None, None).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_parameter")));
    // The raw events export, as NDJSON and CSV, paged by cursor.
    let export = "/admin/v1/sites/pk_test_acme/events";
    let response =
        harness.app.clone().oneshot(request("GET", export, Some(harness.key("viewer")), None, None)).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/x-ndjson");
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), batch.len());
    assert_eq!(lines[0]["kind"], "panel_open");
    assert_eq!((lines[0]["place"].as_str(), lines[0]["roles"].as_str()), (Some("/claims/new"), Some("employee")));
    let after = lines[4]["id"].as_i64().unwrap();
    let page = format!("{export}?after={after}&limit=3&format=csv");
    let response =
        harness.app.clone().oneshot(request("GET", &page, Some(harness.key("viewer")), None, None)).await.unwrap();
    let csv = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "a header and three events: {csv}");
    assert!(rows[0].starts_with("id,at,kind,place,key,roles"), "{csv}");
    assert!(rows[1].starts_with(&format!("{},", after + 1)), "{csv}");
    let (status, _, _) = harness.call("GET", export, "other", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing stored names a raw path.
    let site = harness.state.store.site("pk_test_acme").await.unwrap().unwrap();
    let stored = harness.state.store.events(site.id, 0, 100).await.unwrap();
    assert!(!format!("{stored:?}").contains("CLM-1"), "a raw path was stored");
}

async fn get_help(harness: &Harness, query: &str) {
    let uri = format!("/v1/help?site=pk_test_acme&{query}");
    assert_eq!(send(&harness.app, request("GET", &uri, None, None, None)).await.0, StatusCode::OK);
}

/// A console request: the session cookie, and the console's `Origin` and header unless left out.
fn console_request(method: &str, uri: &str, cookie: &str, origin: Option<&str>, body: Option<&Value>) -> Request<Body> {
    let mut request = request(method, uri, None, None, body);
    let headers = request.headers_mut();
    headers.insert(header::HOST, "cuecard.test".parse().unwrap());
    headers.insert(header::COOKIE, format!("theme=dark; cuecard_session={cookie}").parse().unwrap());
    if let Some(origin) = origin {
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        headers.insert("x-cuecard-console", "1".parse().unwrap());
    }
    request
}

/// Signs in with `key` from the console's page; returns the session token and the cookie as set.
async fn sign_in(harness: &Harness, key: &str) -> (String, String) {
    let mut request = request("POST", "/admin/v1/session", None, None, Some(&json!({"key": harness.key(key)})));
    request.headers_mut().insert(header::HOST, "cuecard.test".parse().unwrap());
    request.headers_mut().insert(header::ORIGIN, "http://cuecard.test".parse().unwrap());
    request.headers_mut().insert("x-cuecard-console", "1".parse().unwrap());
    let (status, headers, body) = send(&harness.app, request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["site"], "pk_test_acme");
    assert_eq!(body["key"]["role"], key);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let token = cookie.split(';').next().unwrap().strip_prefix("cuecard_session=").unwrap().to_owned();
    (token, cookie)
}

async fn a_console_session_works_like_its_key_resists_cross_site_requests_and_ends_on_sign_out(backend: Backend) {
    let harness = harness(backend).await;
    let (token, cookie) = sign_in(&harness, "publisher").await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=3600"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "plain http: a Secure cookie would never come back");
    assert!(!cookie.contains(harness.key("publisher")), "the key itself is never handed to the browser");
    let stored = harness.state.store.keys(1).await.unwrap();
    assert!(stored.iter().all(|key| key.label != token));

    // Reading with the session needs nothing more.
    let (status, _, who) = send(&harness.app, console_request("GET", "/admin/v1/session", &token, None, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["key"]["role"], "publisher");
    assert!(who["expires_at"].is_string());
    let (status, _, list) = send(&harness.app, console_request("GET", SNIPPETS, &token, None, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list["snippets"].as_array().unwrap().is_empty());

    // A change riding on the cookie must come from the console's own page.
    let body = snippet_body("from-console", "From the console");
    for origin in [None, Some("https://evil.example"), Some("http://cuecard.test.evil.example")] {
        let (status, _, error) =
            send(&harness.app, console_request("POST", SNIPPETS, &token, origin, Some(&body))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "origin {origin:?}");
        assert_eq!(error["error"]["code"], "cross_site_refused");
    }
    let mut without_header = console_request("POST", SNIPPETS, &token, Some("http://cuecard.test"), Some(&body));
    without_header.headers_mut().remove("x-cuecard-console");
    assert_eq!(send(&harness.app, without_header).await.0, StatusCode::FORBIDDEN);
    let (status, _, created) =
        send(&harness.app, console_request("POST", SNIPPETS, &token, Some("http://cuecard.test"), Some(&body))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Behind a proxy that rewrites Host, the host the browser used comes in X-Forwarded-Host.
    let proxied = |forwarded_host: Option<&str>| {
        let body = snippet_body("proxied", "Via a proxy");
        let mut request = console_request("POST", SNIPPETS, &token, Some("https://help.example.com"), Some(&body));
        request.headers_mut().insert(header::HOST, "10.0.0.7:8080".parse().unwrap());
        if let Some(host) = forwarded_host {
            request.headers_mut().insert("x-forwarded-host", host.parse().unwrap());
        }
        request
    };
    assert_eq!(send(&harness.app, proxied(None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&harness.app, proxied(Some("help.example.com"))).await.0, StatusCode::CREATED);
    let (_, _, revisions) =
        harness.call("GET", &format!("{SNIPPETS}/{}/revisions", created["id"]), "viewer", None, None).await;
    assert!(revisions["revisions"][0]["actor"].as_str().unwrap().starts_with("key:"), "{revisions}");

    // A session started from another site's page is refused, as is one without the header.
    let mut cross = request("POST", "/admin/v1/session", None, None, Some(&json!({"key": harness.key("owner")})));
    cross.headers_mut().insert(header::HOST, "cuecard.test".parse().unwrap());
    cross.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    cross.headers_mut().insert("x-cuecard-console", "1".parse().unwrap());
    let (status, headers, _) = send(&harness.app, cross).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::SET_COOKIE).is_none());

    // Sign-out ends the session on the server: the same cookie no longer works anywhere.
    let (status, headers, _) =
        send(&harness.app, console_request("DELETE", "/admin/v1/session", &token, Some("http://cuecard.test"), None))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    for uri in ["/admin/v1/session", SNIPPETS] {
        let (status, _, error) = send(&harness.app, console_request("GET", uri, &token, None, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error["error"]["code"], "session_ended");
    }
}

async fn a_viewer_session_cannot_change_anything_and_a_revoked_key_ends_its_sessions(backend: Backend) {
    let harness = harness(backend).await;
    let (token, _) = sign_in(&harness, "viewer").await;
    let before = snapshot(harness.state.store.as_ref()).await;
    let vat = vat_id(&harness).await;
    for (method, uri, body) in every_admin_operation(vat) {
        if method == "GET" || uri.ends_with("/preview/draft") {
            continue;
        }
        let mut request = console_request(method, &uri, &token, Some("http://cuecard.test"), body.as_ref());
        request.headers_mut().insert(header::IF_MATCH, "*".parse().unwrap());
        let (status, _, error) = send(&harness.app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {error}");
        assert_eq!(error["error"]["code"], "forbidden");
    }
    assert_eq!(snapshot(harness.state.store.as_ref()).await, before, "a viewer's session changed something");

    // Sessions of a revoked key end with it; a malformed cookie is just a missing session.
    let (owner_token, _) = sign_in(&harness, "owner").await;
    let (_, _, keys) = harness.call("GET", "/admin/v1/sites/pk_test_acme/keys", "owner", None, None).await;
    let viewer_id = keys["keys"].as_array().unwrap().iter().find(|key| key["role"] == "viewer").unwrap()["id"].clone();
    let revoke = format!("/admin/v1/sites/pk_test_acme/keys/{viewer_id}");
    let (status, _, _) =
        send(&harness.app, console_request("DELETE", &revoke, &owner_token, Some("http://cuecard.test"), None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&harness.app, console_request("GET", SNIPPETS, &token, None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, error) = send(&harness.app, console_request("GET", SNIPPETS, "not-a-token", None, None)).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_ended")));
}

async fn explain_shows_what_workers_get_and_why_the_rest_does_not_show(backend: Backend) {
    let harness = harness(backend).await;
    let mut body = snippet_body("approvers-only", "For approvers");
    body["roles"] = json!(["approver"]);
    body["status"] = json!("published");
    let (status, _, _) = harness.call("POST", SNIPPETS, "publisher", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) =
        harness.call("POST", SNIPPETS, "author", None, Some(snippet_body("still-draft", "Not yet"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let uri = "/admin/v1/sites/pk_test_acme/explain?route=/claims/new&keys=claim.vat-number&roles=employee";
    let (status, _, explanation) = harness.call("GET", uri, "viewer", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let shown: Vec<&str> =
        explanation["shown"].as_array().unwrap().iter().map(|card| card["slug"].as_str().unwrap()).collect();
    assert_eq!(shown, vec!["vat"]);
    assert_eq!(shown.len(), harness.help_titles("route=/claims/new&keys=claim.vat-number&roles=employee").await.len());
    let near = explanation["near_misses"].as_array().unwrap();
    let why = |slug: &str| near.iter().find(|near| near["slug"] == slug).unwrap()["why_not"].clone();
    assert_eq!(why("approvers-only"), json!([{"code": "role", "needs": ["approver"]}]));
    assert_eq!(why("still-draft"), json!([{"code": "draft"}]));

    // The live preview renders with the store's own renderer, and says what is wrong with a target.
    let check = json!({"markdown": "**Bold** <script>alert(1)</script>", "targets": [
        {"url": "/approvals/:id"}, {"url": "/approvals/(unclosed"}, {"key": "bad key"}]});
    let (status, _, checked) =
        harness.call("POST", "/admin/v1/sites/pk_test_acme/preview/draft", "author", None, Some(check)).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["html"], harness.state.store.render_markdown("**Bold** <script>alert(1)</script>"));
    assert!(!checked["html"].as_str().unwrap().contains("<script"));
    assert!(checked["targets"][0].is_null());
    assert!(checked["targets"][1].as_str().unwrap().contains("URL pattern"), "{checked}");
    assert!(checked["targets"][2].as_str().unwrap().contains("help key"), "{checked}");
}
