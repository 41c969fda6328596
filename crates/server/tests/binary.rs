//! The `cuecard` binary as an operator runs it: site and import commands, then `serve` on a
//! real socket, stopped by a signal like Ctrl-C.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use store::testing::{Backend, TestDatabase};
use support::{cuecard, serve_with};

/// One HTTP/1.1 GET over a plain socket; returns (status line, body).
fn http_get(address: &str, path: &str) -> (String, String) {
    http_request(address, "GET", path, &[], "")
}

/// One HTTP/1.1 request over a plain socket; returns (status line, body).
fn http_request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["import", "--help"],
        &["export", "--help"],
        &["site", "put", "--help"],
        &["keys", "create", "--help"],
        &["keys", "rotate", "--help"],
        &["report", "--help"],
        &["check", "--help"],
        &["seed-demo-traffic", "--help"],
        &["migrate", "--help"],
    ] {
        let output = cuecard("sqlite::memory:", args);
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
    let output = cuecard("sqlite::memory:", &["serve", "--help"]);
    let text = String::from_utf8(output.stdout).unwrap();
    for flag in ["--listen", "CUECARD_LISTEN", "--widget-dir", "CUECARD_DATABASE_URL"] {
        assert!(text.contains(flag), "serve --help names {flag}");
    }
}

#[test]
fn import_then_serve_then_stop_on_signal() {
    let directory = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", directory.path().join("cuecard.db").display());
    let help_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-site/help");

    let output =
        cuecard(&database_url, &["site", "put", "pk_demo_acme", "--name", "Acme", "--origin", "http://127.0.0.1:8081"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = cuecard(&database_url, &["import", help_dir.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("created"));
    // A second import of the same files changes nothing.
    let output = cuecard(&database_url, &["import", help_dir.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(" 0 created, 0 updated"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // A bad file names itself and its line, and nothing is imported.
    let broken = directory.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("ok.md"), "---\ntitle: Fine\nmoment: new\n---\nBody\n").unwrap();
    std::fs::write(broken.join("bad.md"), "---\ntitle: Bad\nmoment: someday\n---\nBody\n").unwrap();
    let output = cuecard(&database_url, &["import", broken.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.md:3"), "{stderr}");

    let (mut child, address) = serve(&database_url, "warn", Stdio::inherit());

    let (status, body) = http_get(&address, "/healthz");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("ok"));
    let (status, body) = http_get(&address, "/v1/help?site=pk_demo_acme&route=/claims/new&keys=claim.vat-number");
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("Enter the VAT number"), "{body}");
    assert!(!body.contains("Fine"), "the failed import left nothing behind");
    // A field without help, and events: counted, and written before the process exits.
    let (status, _) = http_get(&address, "/v1/help?site=pk_demo_acme&route=/claims/new&keys=claim.unknown-field");
    assert!(status.contains("200"), "{status}");
    let events = r#"{"events":[{"kind":"panel_open","route":"/claims/new","key":"claim.vat-number","roles":"employee"},
        {"kind":"search","route":"/claims/new","query":"Per diem","results":0}]}"#;
    let (status, body) =
        http_request(&address, "POST", "/v1/events?site=pk_demo_acme", &[("Content-Type", "application/json")], events);
    assert!(status.contains("202"), "{status} {body}");

    let signal = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(signal.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "cuecard serve exits cleanly on Ctrl-C: {exit}");

    // The reports read what the server wrote, the coverage it held included.
    let output = cuecard(&database_url, &["report", "gaps", "--site", "pk_demo_acme", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let gaps: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(gaps["fields_without_help"][0]["key"], "claim.unknown-field", "{gaps}");
    assert_eq!(gaps["searches"][0]["query"], "per diem", "{gaps}");
    let output = cuecard(&database_url, &["report", "demand", "--site", "pk_demo_acme"]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.lines().any(|line| line == "1\t0\t/claims/new\tclaim.vat-number\temployee"), "{table}");
    let output = cuecard(&database_url, &["report", "snippets", "--site", "pk_demo_acme", "--from", "2026-99-01"]);
    assert!(!output.status.success(), "a bad date is refused");

    // Before a release: the demo app has one field without help and one snippet for a field
    // it dropped, on purpose.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-site");
    let output = cuecard(&database_url, &["check", demo.to_str().unwrap(), "--site", "pk_demo_acme"]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.starts_with("20 help keys in"), "{report}");
    let findings: Vec<&str> = report.lines().filter(|line| line.starts_with("  ")).collect();
    assert_eq!(findings.len(), 2, "{report}");
    assert!(findings[0].starts_with("  no help   claim.notes\t(claims/new.html)"), "{report}");
    assert!(findings[1].starts_with("  orphaned  claim.gl-code\t"), "{report}");

    // A synthetic month for the demo, marked as such: the reports show its gap at once.
    let output = cuecard(&database_url, &["seed-demo-traffic", "--site", "pk_demo_acme", "--days", "30"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = cuecard(&database_url, &["report", "gaps", "--site", "pk_demo_acme", "--json"]);
    let gaps: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(gaps["opened_without_help"][0]["key"], "claim.notes", "{gaps}");
    let output = cuecard(&database_url, &["report", "stale", "--site", "pk_demo_acme", "--json"]);
    let stale: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(stale["snippets"].as_array().unwrap().iter().any(|row| row["slug"] == "claim-form/gl-code"), "{stale}");
    let output =
        cuecard(&database_url, &["report", "snippets", "--site", "pk_demo_acme", "--app-version", "0.0.0-synthetic"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).lines().count() > 5,
        "the synthetic traffic is there, by its version"
    );

    // The next version adds a field and drops another (here: a React rewrite of the form).
    let next = directory.path().join("next-release");
    std::fs::create_dir_all(next.join("src")).unwrap();
    std::fs::write(
        next.join("src/ClaimForm.tsx"),
        r#"export const ClaimForm = () => (<form data-help-key="claim.form">
             <input data-help-key={"claim.vat-number"} /> <input data-help-key="claim.notes" />
             <input :data-help-key="dynamic" /></form>);"#,
    )
    .unwrap();
    let output = cuecard(&database_url, &["check", next.to_str().unwrap(), "--site", "pk_demo_acme"]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("no help   claim.notes\t(src/ClaimForm.tsx)"), "{report}");
    assert!(report.contains("orphaned  claim.tax\t"), "{report}");
    assert!(!report.contains("orphaned  claim.vat-number"), "{report}");
}

/// Starts `cuecard serve` on a free port; returns the child and its address.
fn serve(database_url: &str, log: &str, stderr: Stdio) -> (std::process::Child, String) {
    serve_with(database_url, log, stderr, &[])
}

fn stop(mut child: std::process::Child) {
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_secret_key_is_shown_once_and_stored_nowhere_in_plain_text() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("cuecard.db");
    let database_url = format!("sqlite://{}", database.display());
    let output =
        cuecard(&database_url, &["site", "put", "pk_test_keys", "--name", "Keys", "--origin", "https://a.example"]);
    assert!(output.status.success());
    let output =
        cuecard(&database_url, &["keys", "create", "--site", "pk_test_keys", "--role", "owner", "--label", "ops"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("sk_") && secret.len() == 87, "{secret}");
    let output =
        cuecard(&database_url, &["keys", "create", "--site", "pk_test_keys", "--role", "boss", "--label", "x"]);
    assert!(!output.status.success(), "unknown roles are refused");

    // The key works against the running service, with verbose logs captured.
    let log_path = directory.path().join("serve.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let (child, address) = serve(&database_url, "debug", Stdio::from(log_file));
    let bearer = format!("Bearer {secret}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, body) = http_request(&address, "GET", "/admin/v1/sites/pk_test_keys", &auth, "");
    assert!(status.contains("200"), "{status} {body}");
    let snippet = r#"{"slug":"hello","title":"Hello","markdown":"Hi","moment":"new","status":"published"}"#;
    let (status, body) = http_request(&address, "POST", "/admin/v1/sites/pk_test_keys/snippets", &auth, snippet);
    assert!(status.contains("201"), "{status} {body}");
    let (status, _) =
        http_request(&address, "GET", "/admin/v1/sites/pk_test_keys", &[("Authorization", "Bearer pk_test_keys")], "");
    assert!(status.contains("401"), "{status}");
    // A worker's request carries where they are; the logs must not keep it.
    let (status, _) = http_get(&address, "/v1/help?site=pk_test_keys&path=/claims/CLM-SECRET-42&keys=claim.vat-number");
    assert!(status.contains("200"), "{status}");
    let event = r#"{"events":[{"kind":"panel_open","path":"/claims/CLM-SECRET-43"}]}"#;
    let (status, _) = http_request(
        &address,
        "POST",
        "/v1/events?site=pk_test_keys",
        &[("Content-Type", "application/json"), ("X-Forwarded-For", "198.51.100.77")],
        event,
    );
    assert!(status.contains("202"), "{status}");
    // While the service runs, its database has a write-ahead log: neither holds the secret.
    let secret_part = &secret[15..79];
    let wal = directory.path().join("cuecard.db-wal");
    assert!(wal.is_file(), "the WAL exists while serving");
    for path in [&database, &wal] {
        let bytes = std::fs::read(path).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(secret_part), "{} holds the secret", path.display());
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret[..15]), "{} holds the key", path.display());
    }
    stop(child);

    // `keys list` shows the key's start, never its secret; revoking stops it.
    let output = cuecard(&database_url, &["keys", "list", "--site", "pk_test_keys"]);
    let listing = String::from_utf8(output.stdout).unwrap();
    assert!(listing.contains(&secret[..15]) && !listing.contains(&secret[15..]), "{listing}");
    let id = listing.split('\t').next().unwrap().to_owned();

    // Nor do the database files and the logs afterwards.
    for path in
        [database.clone(), directory.path().join("cuecard.db-wal"), directory.path().join("cuecard.db-shm"), log_path]
    {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret_part), "{} holds the secret", path.display());
    }
    let log = std::fs::read_to_string(directory.path().join("serve.log")).unwrap();
    assert!(log.contains("/admin/v1/sites/pk_test_keys"), "the requests were logged: {log}");
    assert!(log.contains("/v1/help"), "public requests too: {log}");
    for private in ["CLM-SECRET", "site=pk_test_keys", "198.51.100.77"] {
        assert!(!log.contains(private), "the logs hold `{private}`");
    }
    // Nor the database: no raw path, no address.
    for path in [database.clone(), directory.path().join("cuecard.db-wal")] {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("CLM-SECRET") && !text.contains("198.51.100.77"),
            "{} holds a path or address",
            path.display()
        );
    }

    // The last owner key is not revoked (the site would be locked out) until there is another.
    let output = cuecard(&database_url, &["keys", "revoke", "--site", "pk_test_keys", &id]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("last owner key"), "{output:?}");
    let spare =
        cuecard(&database_url, &["keys", "create", "--site", "pk_test_keys", "--role", "owner", "--label", "spare"]);
    assert!(spare.status.success());
    let output = cuecard(&database_url, &["keys", "revoke", "--site", "pk_test_keys", &id]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("revoked"));
    let (child, address) = serve(&database_url, "warn", Stdio::null());
    let (status, _) = http_request(&address, "GET", "/admin/v1/sites/pk_test_keys", &auth, "");
    assert!(status.contains("401"), "{status}");
    stop(child);
}

/// A test database (SQLite file or PostgreSQL schema) for tests that drive the binary.
fn database(backend: Backend) -> TestDatabase {
    tokio::runtime::Runtime::new().unwrap().block_on(TestDatabase::new(backend))
}

mod export_then_import_gives_back_the_same_content {
    use super::*;

    #[test]
    fn sqlite() {
        export_then_import_gives_back_the_same_content(&database(Backend::Sqlite));
    }

    #[test]
    fn postgres() {
        export_then_import_gives_back_the_same_content(&database(Backend::Postgres));
    }
}

fn export_then_import_gives_back_the_same_content(database: &TestDatabase) {
    let directory = tempfile::tempdir().unwrap();
    let database_url = database.url();
    let help_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-site/help");
    for key in ["pk_demo_acme", "pk_copy_acme"] {
        let output = cuecard(database_url, &["site", "put", key, "--name", "Acme", "--locale", "de"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let output = cuecard(database_url, &["import", help_dir.to_str().unwrap(), "--site", "pk_demo_acme"]);
    let imported = String::from_utf8(output.stdout).unwrap();
    let created = imported.lines().filter(|line| line.starts_with("  + ")).count();
    assert!(created > 5, "{imported}");

    let exported = directory.path().join("exported");
    let output = cuecard(database_url, &["export", exported.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Into the same site: nothing changes. Into another: the same snippets.
    let output = cuecard(database_url, &["import", exported.to_str().unwrap(), "--site", "pk_demo_acme"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("0 created, 0 updated, {created} unchanged, 0 conflicts")), "{text}");
    let output = cuecard(database_url, &["import", exported.to_str().unwrap(), "--site", "pk_copy_acme"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("{created} created")), "{text}");
    let second = directory.path().join("second");
    cuecard(database_url, &["export", second.to_str().unwrap(), "--site", "pk_copy_acme"]);
    for entry in walk(&exported) {
        let relative = entry.strip_prefix(&exported).unwrap();
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            std::fs::read(second.join(relative)).unwrap(),
            "{}",
            relative.display()
        );
    }

    // A dry run prints the plan and writes nothing.
    let first = walk(&exported).into_iter().next().unwrap();
    let text = std::fs::read_to_string(&first).unwrap().replacen("title: ", "title: Changed ", 1);
    std::fs::write(&first, text).unwrap();
    let output = cuecard(database_url, &["import", exported.to_str().unwrap(), "--site", "pk_demo_acme", "--dry-run"]);
    let plan = String::from_utf8(output.stdout).unwrap();
    assert!(plan.contains("dry run") && plan.contains("1 updated") && plan.contains("  ~ "), "{plan}");
    let output = cuecard(database_url, &["import", exported.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(String::from_utf8(output.stdout).unwrap().contains("0 created, 1 updated"), "the dry run wrote nothing");
}

#[test]
fn a_team_moves_from_sqlite_to_postgresql_and_back_with_two_commands() {
    let (sqlite, postgres) = (database(Backend::Sqlite), database(Backend::Postgres));
    let directory = tempfile::tempdir().unwrap();
    let help_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-site/help");
    for url in [sqlite.url(), postgres.url()] {
        let output = cuecard(url, &["site", "put", "pk_demo_acme", "--name", "Acme", "--locale", "de"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let output = cuecard(sqlite.url(), &["import", help_dir.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // The two commands: export from SQLite, import into PostgreSQL.
    let from_sqlite = directory.path().join("from-sqlite");
    let output = cuecard(sqlite.url(), &["export", from_sqlite.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = cuecard(postgres.url(), &["import", from_sqlite.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let files = walk(&from_sqlite);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("{} created", files.len())), "{text}");

    // PostgreSQL now exports the very same files, and they go back into SQLite unchanged.
    let from_postgres = directory.path().join("from-postgres");
    let output = cuecard(postgres.url(), &["export", from_postgres.to_str().unwrap(), "--site", "pk_demo_acme"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(walk(&from_postgres).len(), files.len());
    for file in &files {
        let relative = file.strip_prefix(&from_sqlite).unwrap();
        let copied = std::fs::read(from_postgres.join(relative)).unwrap();
        assert_eq!(std::fs::read(file).unwrap(), copied, "{}", relative.display());
    }
    let output = cuecard(sqlite.url(), &["import", from_postgres.to_str().unwrap(), "--site", "pk_demo_acme"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("0 created, 0 updated, {} unchanged", files.len())), "{text}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

mod migrate_brings_the_schema_up_and_says_to_which_migration {
    use super::*;

    #[test]
    fn sqlite() {
        migrate_brings_the_schema_up_and_says_to_which_migration(&database(Backend::Sqlite));
    }

    #[test]
    fn postgres() {
        migrate_brings_the_schema_up_and_says_to_which_migration(&database(Backend::Postgres));
    }
}

fn migrate_brings_the_schema_up_and_says_to_which_migration(database: &TestDatabase) {
    let url = database.url();
    let output = cuecard(url, &["migrate"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let version: i64 = text.trim().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(text.starts_with("database schema at migration ") && version >= 10, "{text}");
    // Again: nothing to do, the same answer.
    assert_eq!(String::from_utf8(cuecard(url, &["migrate"]).stdout).unwrap(), text);
}
