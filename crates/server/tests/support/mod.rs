//! Running the `cuecard` binary as an operator does, for the tests that need the real process.

// Each test file uses some of these.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs one `cuecard` command against `database_url` and waits for it.
pub fn cuecard(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cuecard"))
        .args(args)
        .env("CUECARD_DATABASE_URL", database_url)
        .env("CUECARD_LOG", "warn")
        .output()
        .unwrap()
}

/// Starts `cuecard serve` on a free loopback port with `extra` flags; returns it and its
/// address once it listens.
pub fn serve_with(database_url: &str, log: &str, stderr: Stdio, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuecard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("CUECARD_DATABASE_URL", database_url)
        .env("CUECARD_LOG", log)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line.trim().rsplit("http://").next().unwrap().to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{line}");
    (child, address)
}

/// One HTTP/1.1 request; `None` when the connection failed or broke (the service died).
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}
