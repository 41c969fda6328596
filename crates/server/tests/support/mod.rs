//! Running the `cuecard` binary as an operator does, for the tests that need the real process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
