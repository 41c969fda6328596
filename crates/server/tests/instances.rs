//! Several `cuecard serve` instances on one PostgreSQL database stay in step: a change written
//! through any instance (admin API or `cuecard import`) is served by every other one as soon as
//! PostgreSQL announces it (they are started with a one-hour refresh interval, so nothing but
//! the announcement can bring it); conditional writes keep their promise across instances; and
//! what they serve agrees with the database after a failed transaction and after a restart.

mod support;

use serde_json::{Value, json};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use store::testing::{Backend, TestDatabase};
use support::{cuecard, request, serve_with};

const SITE: &str = "pk_test_instances";

struct Instances {
    database: TestDatabase,
    auth: [(&'static str, String); 1],
    running: Vec<(Child, String)>,
}

impl Drop for Instances {
    fn drop(&mut self) {
        for (child, _) in &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start(database_url: &str) -> (Child, String) {
    serve_with(database_url, "error", Stdio::null(), &["--public-rate-limit", "0", "--refresh-secs", "3600"])
}

impl Instances {
    async fn start(count: usize) -> Instances {
        let database = TestDatabase::new(Backend::Postgres).await;
        let url = database.url().to_owned();
        let output = cuecard(&url, &["site", "put", SITE, "--name", "Instances", "--origin", "https://a.example"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let output = cuecard(&url, &["keys", "create", "--site", SITE, "--role", "owner", "--label", "test"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        let running = (0..count).map(|_| start(&url)).collect();
        Instances { database, auth: [("Authorization", format!("Bearer {secret}"))], running }
    }

    fn address(&self, instance: usize) -> &str {
        &self.running[instance].1
    }

    fn admin(
        &self,
        instance: usize,
        method: &str,
        path: &str,
        extra: Option<(&str, String)>,
        body: &Value,
    ) -> (u16, Value) {
        let mut headers = self.auth.to_vec();
        headers.extend(extra);
        let path = format!("/admin/v1/sites/{SITE}{path}");
        let (status, text) = request(self.address(instance), method, &path, &headers, &body.to_string()).unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The titles `/v1/help` gives an instance for `route`.
    fn help(&self, instance: usize, route: &str) -> Vec<String> {
        let path = format!("/v1/help?site={SITE}&route={route}");
        let (status, text) = request(self.address(instance), "GET", &path, &[], "").unwrap();
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        answer["snippets"].as_array().unwrap().iter().map(|card| card["title"].as_str().unwrap().to_owned()).collect()
    }

    /// The titles `/v1/search` finds on an instance for `words` (once its index is built: a
    /// freshly started instance says 503 until then).
    fn search(&self, instance: usize, words: &str) -> Vec<String> {
        let path = format!("/v1/search?site={SITE}&q={words}");
        let mut answer = request(self.address(instance), "GET", &path, &[], "").unwrap();
        for _ in 0..200 {
            if answer.0 != 503 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            answer = request(self.address(instance), "GET", &path, &[], "").unwrap();
        }
        let (status, text) = answer;
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        answer["hits"].as_array().unwrap().iter().map(|hit| hit["title"].as_str().unwrap().to_owned()).collect()
    }

    /// How long until every instance serves `title` for `route` (bounded by `patience`).
    async fn until_all_serve(&self, route: &str, title: &str, patience: Duration) -> Duration {
        let started = Instant::now();
        while started.elapsed() < patience {
            if (0..self.running.len()).all(|instance| self.help(instance, route).iter().any(|found| found == title)) {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not every instance serves `{title}` on {route} after {patience:?}");
    }
}

fn snippet(slug: &str, title: &str, route: &str) -> Value {
    json!({"slug": slug, "title": title, "markdown": format!("How to {title}."), "moment": "apply",
           "status": "published", "targets": [{"route": route}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_postgresql_serve_each_others_changes_and_keep_conditional_writes() {
    let instances = Instances::start(3).await;
    // Far below the one-hour polling interval: only PostgreSQL's announcement can do this.
    let patience = Duration::from_secs(10);

    // A change through one instance's admin API is served by all three.
    let (status, created) = instances.admin(0, "POST", "/snippets", None, &snippet("vat", "Enter VAT", "/claims/new"));
    assert_eq!(status, 201, "{created}");
    let through_api = instances.until_all_serve("/claims/new", "Enter VAT", patience).await;

    // So is an import by another process.
    let folder = tempfile::tempdir().unwrap();
    let file =
        "---\ntitle: Approve a claim\nmoment: apply\ntargets:\n  - route: /approvals/:id\n---\nCheck the receipts.\n";
    std::fs::write(folder.path().join("approve.md"), file).unwrap();
    let folder_path = folder.path().to_str().unwrap();
    let output = cuecard(instances.database.url(), &["import", "--site", SITE, folder_path]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let through_import = instances.until_all_serve("/approvals/:id", "Approve a claim", patience).await;
    println!("served by all 3 instances after: admin API write {through_api:?}, import {through_import:?}");

    // 16 writers, one ETag, spread over the 3 instances: exactly one wins.
    let id = created["id"].as_i64().unwrap();
    let etag = format!("\"{}\"", created["version"]);
    let writers: Vec<_> = (0..16)
        .map(|writer| {
            let (address, auth, etag) =
                (instances.address(writer % 3).to_owned(), instances.auth.clone(), etag.clone());
            std::thread::spawn(move || {
                let body = snippet("vat", &format!("Enter VAT ({writer})"), "/claims/new").to_string();
                let headers = [auth[0].clone(), ("If-Match", etag)];
                let path = format!("/admin/v1/sites/{SITE}/snippets/{id}");
                request(&address, "PUT", &path, &headers, &body).unwrap().0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = writers.into_iter().map(|writer| writer.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[200].as_slice(), &[412; 15]].concat(), "exactly one of 16 conditional writes wins");
    let (_, current) = instances.admin(1, "GET", &format!("/snippets/{id}"), None, &Value::Null);
    let winner = current["title"].as_str().unwrap().to_owned();
    assert_eq!(current["version"], created["version"].as_i64().unwrap() + 1);
    instances.until_all_serve("/claims/new", &winner, patience).await;

    // A failed transaction changes nothing anywhere: renaming the snippet onto a slug the site
    // has is refused, and every instance still serves (and finds) what the database holds.
    let (status, _) =
        instances.admin(2, "POST", "/snippets", None, &snippet("mileage", "Claim mileage", "/claims/new"));
    assert_eq!(status, 201);
    instances.until_all_serve("/claims/new", "Claim mileage", patience).await;
    let etag = format!("\"{}\"", current["version"]);
    let clash = snippet("mileage", "Clash", "/claims/new");
    let (status, refused) = instances.admin(0, "PUT", &format!("/snippets/{id}"), Some(("If-Match", etag)), &clash);
    assert_eq!(status, 409, "{refused}");
    for instance in 0..3 {
        let mut served = instances.help(instance, "/claims/new");
        served.sort();
        assert_eq!(served, ["Claim mileage", winner.as_str()], "instance {instance}");
        assert!(instances.search(instance, "mileage").contains(&"Claim mileage".to_owned()), "instance {instance}");
        assert!(!instances.search(instance, "clash").contains(&"Clash".to_owned()), "instance {instance}");
    }

    // An instance killed and started again serves what the others serve.
    let mut instances = instances;
    let (child, _) = &mut instances.running[1];
    child.kill().unwrap();
    child.wait().unwrap();
    instances.running[1] = start(instances.database.url());
    for route in ["/claims/new", "/approvals/:id"] {
        let expected = instances.help(0, route);
        assert_eq!(instances.help(1, route), expected, "{route}");
        assert_eq!(instances.help(2, route), expected, "{route}");
    }
    assert_eq!(instances.search(1, "receipts"), instances.search(0, "receipts"));
}
