//! Nothing acknowledged is lost when an instance dies. Two deployments run side by side: three
//! `cuecard serve` instances sharing one PostgreSQL database, and one on a SQLite file. Creates,
//! edits, publishes and event batches stream in through every instance's HTTP API while the
//! harness `SIGKILL`s a random instance 30 times at random moments and starts it again each
//! time. Afterwards every write that got a 2xx answer is there exactly once, and SQLite's
//! integrity check says `ok`. Writes that got no answer (the instance died first) may or may
//! not have happened; the harness never retries them, so nothing acknowledged can be there
//! twice. Bounded: 30 kills, 20 to 220 ms apart (about ten seconds in all).

mod support;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::testing::{Backend, TestDatabase};
use support::{cuecard, request, serve_with};

const SITE: &str = "pk_test_crash";
const KILLS: usize = 30;

/// Starts the service (no rate limit: the harness is one busy client).
fn start(database_url: &str) -> (Child, String) {
    serve_with(database_url, "error", Stdio::null(), &["--public-rate-limit", "0"])
}

/// A small seeded generator (xorshift): the seed is printed, so a failing run can be repeated.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// What the service acknowledged.
#[derive(Default)]
struct Ledger {
    /// Snippets created, by slug: their id.
    created: HashMap<String, i64>,
    /// Per snippet, every version a 2xx answer named, with the title it had.
    versions: HashMap<i64, Vec<(i64, String)>>,
    /// The queries of the events in acknowledged batches (each unique).
    events: Vec<String>,
    edits: usize,
    publishes: usize,
    unanswered: usize,
}

impl Ledger {
    fn merge(mut self, other: Ledger) -> Ledger {
        self.created.extend(other.created);
        self.versions.extend(other.versions);
        self.events.extend(other.events);
        self.edits += other.edits;
        self.publishes += other.publishes;
        self.unanswered += other.unanswered;
        self
    }
}

/// Streams writes at whatever address the instance has now, until `stop`; `tag` keeps this
/// writer's slugs and event queries apart from the other writers'.
fn write_until(address: &Mutex<String>, secret: &str, stop: &AtomicBool, seed: u64, tag: &str) -> Ledger {
    let mut random = Random(seed | 1);
    let mut ledger = Ledger::default();
    let auth = [("Authorization", format!("Bearer {secret}"))];
    let snippets = format!("/admin/v1/sites/{SITE}/snippets");
    let mut counter = 0_u64;
    while !stop.load(Ordering::SeqCst) {
        counter += 1;
        let at = address.lock().unwrap().clone();
        let ids: Vec<i64> = ledger.created.values().copied().collect();
        let choice = if ids.is_empty() { 0 } else { random.below(4) };
        let answered = match choice {
            0 => {
                let slug = format!("crash-{tag}-{counter}");
                let title = format!("{slug} v1");
                let body =
                    json!({"slug": slug, "title": title, "markdown": "Help.", "moment": "new", "status": "draft"});
                request(&at, "POST", &snippets, &auth, &body.to_string()).map(|(status, text)| {
                    if status == 201 {
                        let snippet: Value = serde_json::from_str(&text).unwrap();
                        let id = snippet["id"].as_i64().unwrap();
                        ledger.created.insert(slug, id);
                        ledger.versions.entry(id).or_default().push((snippet["version"].as_i64().unwrap(), title));
                    }
                })
            }
            1 | 2 => {
                let id = ids[random.below(ids.len() as u64) as usize];
                let path = format!("{snippets}/{id}");
                request(&at, "GET", &path, &auth, "").and_then(|(status, text)| {
                    let current: Value = serde_json::from_str(&text).ok().filter(|_| status == 200)?;
                    let version = current["version"].as_i64()?;
                    let if_match = [auth[0].clone(), ("If-Match", format!("\"{version}\""))];
                    if choice == 1 {
                        let title = format!("{} e{counter}", current["slug"].as_str()?);
                        let mut body = current.clone();
                        body["title"] = json!(title);
                        let input = json!({"slug": body["slug"], "title": body["title"], "markdown": body["markdown"],
                            "moment": body["moment"], "status": body["status"]});
                        let (status, text) = request(&at, "PUT", &path, &if_match, &input.to_string())?;
                        if status == 200 {
                            let saved: Value = serde_json::from_str(&text).unwrap();
                            ledger.versions.entry(id).or_default().push((saved["version"].as_i64().unwrap(), title));
                            ledger.edits += 1;
                        }
                    } else {
                        let (status, text) = request(&at, "POST", &format!("{path}/publish"), &if_match, "")?;
                        if status == 200 {
                            let saved: Value = serde_json::from_str(&text).unwrap();
                            let title = saved["title"].as_str().unwrap().to_owned();
                            ledger.versions.entry(id).or_default().push((saved["version"].as_i64().unwrap(), title));
                            ledger.publishes += 1;
                        }
                    }
                    Some(())
                })
            }
            _ => {
                let queries: Vec<String> = (0..3).map(|n| format!("crash-event-{tag}-{counter}-{n}")).collect();
                let events: Vec<Value> =
                    queries.iter().map(|query| json!({"kind": "search", "query": query, "results": 1})).collect();
                let path = format!("/v1/events?site={SITE}");
                request(&at, "POST", &path, &[], &json!({ "events": events }).to_string()).map(|(status, _)| {
                    if status == 202 {
                        ledger.events.extend(queries);
                    }
                })
            }
        };
        if answered.is_none() {
            ledger.unanswered += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    ledger
}

/// One deployment: its database, its owner key and its running instances.
struct Deployment {
    name: &'static str,
    database: TestDatabase,
    secret: String,
    instances: Vec<(Child, Arc<Mutex<String>>)>,
}

impl Deployment {
    async fn start(name: &'static str, backend: Backend, instances: usize) -> Deployment {
        let database = TestDatabase::new(backend).await;
        let url = database.url().to_owned();
        let output = cuecard(&url, &["site", "put", SITE, "--name", "Crash", "--origin", "https://a.example"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let output = cuecard(&url, &["keys", "create", "--site", SITE, "--role", "owner", "--label", "crash"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        let instances = (0..instances)
            .map(|_| {
                let (child, address) = start(&url);
                (child, Arc::new(Mutex::new(address)))
            })
            .collect();
        Deployment { name, database, secret, instances }
    }

    fn restart(&mut self, instance: usize) {
        let (child, address) = &mut self.instances[instance];
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (next, next_address) = start(self.database.url());
        *child = next;
        *address.lock().unwrap() = next_address;
    }

    fn stop(&mut self) {
        for (child, _) in &mut self.instances {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

/// Every acknowledged write of `ledger` is in the deployment, once: (creates, versions,
/// events) found, read through a fresh instance.
fn verify(deployment: &Deployment, ledger: &Ledger) -> (usize, usize, usize) {
    let (mut child, address) = start(deployment.database.url());
    let auth = [("Authorization", format!("Bearer {}", deployment.secret))];
    let name = deployment.name;
    let mut by_slug: HashMap<String, Vec<i64>> = HashMap::new();
    let mut after = 0;
    loop {
        let path = format!("/admin/v1/sites/{SITE}/snippets?limit=500&after={after}");
        let (status, text) = request(&address, "GET", &path, &auth, "").expect("the service answers");
        assert_eq!(status, 200, "{text}");
        let listed: Value = serde_json::from_str(&text).unwrap();
        for snippet in listed["snippets"].as_array().unwrap() {
            let (slug, id) = (snippet["slug"].as_str().unwrap().to_owned(), snippet["id"].as_i64().unwrap());
            by_slug.entry(slug).or_default().push(id);
        }
        match listed["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let mut creates_found = 0;
    for (slug, id) in &ledger.created {
        assert_eq!(by_slug.get(slug), Some(&vec![*id]), "{name}: created `{slug}` is there exactly once");
        creates_found += 1;
    }
    let mut versions_found = 0;
    for (id, acknowledged) in &ledger.versions {
        let path = format!("/admin/v1/sites/{SITE}/snippets/{id}/revisions");
        let (status, text) = request(&address, "GET", &path, &auth, "").unwrap();
        assert_eq!(status, 200, "{text}");
        let revisions: Value = serde_json::from_str(&text).unwrap();
        let revisions = revisions["revisions"].as_array().unwrap();
        for (version, title) in acknowledged {
            let found: Vec<_> = revisions.iter().filter(|revision| revision["version"] == *version).collect();
            assert_eq!(found.len(), 1, "{name}: snippet {id} version {version} once");
            assert_eq!(found[0]["snippet"]["title"], title.as_str(), "{name}: snippet {id} version {version}");
            versions_found += 1;
        }
    }
    let mut stored: HashMap<String, usize> = HashMap::new();
    let mut after = 0;
    loop {
        let path = format!("/admin/v1/sites/{SITE}/events?format=ndjson&after={after}&limit=10000");
        let (status, text) = request(&address, "GET", &path, &auth, "").unwrap();
        assert_eq!(status, 200, "{text}");
        let events: Vec<Value> =
            text.lines().filter(|line| line.starts_with('{')).map(|line| serde_json::from_str(line).unwrap()).collect();
        let Some(last) = events.last() else {
            break;
        };
        after = last["id"].as_i64().unwrap();
        for event in &events {
            if let Some(query) = event["query"].as_str() {
                *stored.entry(query.to_owned()).or_default() += 1;
            }
        }
    }
    let mut events_found = 0;
    for query in &ledger.events {
        assert_eq!(stored.get(query), Some(&1), "{name}: acknowledged event `{query}` is there exactly once");
        events_found += 1;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (creates_found, versions_found, events_found)
}

#[test]
fn nothing_acknowledged_is_lost_when_instances_are_killed_30_times() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut deployments = runtime.block_on(async {
        vec![
            Deployment::start("postgres", Backend::Postgres, 3).await,
            Deployment::start("sqlite", Backend::Sqlite, 1).await,
        ]
    });
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("seed {seed}");
    let mut random = Random(seed | 1);
    let stop = Arc::new(AtomicBool::new(false));
    // One writer per instance, each through its own instance only.
    let mut writers: Vec<(usize, std::thread::JoinHandle<Ledger>)> = Vec::new();
    for (which, deployment) in deployments.iter().enumerate() {
        for (number, (_, address)) in deployment.instances.iter().enumerate() {
            let (address, stop, secret) = (address.clone(), stop.clone(), deployment.secret.clone());
            let tag = format!("{}{number}", deployment.name);
            let seed = seed.rotate_left(17 + 7 * (writers.len() as u32));
            writers.push((which, std::thread::spawn(move || write_until(&address, &secret, &stop, seed, &tag))));
        }
    }
    let instances: Vec<(usize, usize)> = deployments
        .iter()
        .enumerate()
        .flat_map(|(which, deployment)| (0..deployment.instances.len()).map(move |instance| (which, instance)))
        .collect();
    let mut kills: HashMap<&str, usize> = HashMap::new();
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(20 + random.below(200)));
        let (which, instance) = instances[random.below(instances.len() as u64) as usize];
        deployments[which].restart(instance);
        *kills.entry(deployments[which].name).or_default() += 1;
    }
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    let mut ledgers: Vec<Ledger> = deployments.iter().map(|_| Ledger::default()).collect();
    for (which, writer) in writers {
        let ledger = std::mem::take(&mut ledgers[which]);
        ledgers[which] = ledger.merge(writer.join().unwrap());
    }
    for deployment in &mut deployments {
        deployment.stop();
    }

    // Started once more, each deployment has every acknowledged write, once.
    for (deployment, ledger) in deployments.iter().zip(&ledgers) {
        let (creates, versions, events) = verify(deployment, ledger);
        println!(
            "{}: {} of {KILLS} kills; acknowledged: {} creates, {} edits, {} publishes, {} events; found: {creates} \
             creates, {versions} versions, {events} events; {} writes got no answer",
            deployment.name,
            kills.get(deployment.name).copied().unwrap_or(0),
            ledger.created.len(),
            ledger.edits,
            ledger.publishes,
            ledger.events.len(),
            ledger.unanswered
        );
        let wrote_enough =
            !ledger.created.is_empty() && !ledger.events.is_empty() && ledger.edits + ledger.publishes > 0;
        assert!(wrote_enough, "{}: the run wrote enough to mean something", deployment.name);
    }
    let sqlite_url = deployments[1].database.url().to_owned();
    let integrity = runtime.block_on(async {
        use sqlx::Connection as _;
        let mut connection = sqlx::SqliteConnection::connect(&sqlite_url).await.unwrap();
        let (result,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut connection).await.unwrap();
        result
    });
    assert_eq!(integrity, "ok");
    drop(deployments);
}
