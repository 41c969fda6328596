//! The `cuecard` binary as an operator runs it: site and import commands, then `serve` on a
//! real socket, stopped by a signal like Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn cuecard(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cuecard"))
        .args(args)
        .env("CUECARD_DATABASE_URL", database_url)
        .env("CUECARD_LOG", "warn")
        .output()
        .unwrap()
}

/// One HTTP/1.1 GET over a plain socket; returns (status line, body).
fn http_get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["serve", "--help"], &["import", "--help"], &["site", "put", "--help"]] {
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

    let mut child = Command::new(env!("CARGO_BIN_EXE_cuecard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CUECARD_DATABASE_URL", &database_url)
        .env("CUECARD_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line.trim().rsplit("http://").next().unwrap().to_owned();

    let (status, body) = http_get(&address, "/healthz");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("ok"));
    let (status, body) = http_get(&address, "/v1/help?site=pk_demo_acme&route=/claims/new&keys=claim.vat-number");
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("Enter the VAT number"), "{body}");
    assert!(!body.contains("Fine"), "the failed import left nothing behind");

    let signal = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(signal.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "cuecard serve exits cleanly on Ctrl-C: {exit}");
}
