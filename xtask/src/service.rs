//! A `cuecard serve` process the xtasks start, probe and stop (benchmarks, the API fuzz run).

use anyhow::{Context as _, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 GET; the status code, or `None` when nothing answers.
pub fn status_of(address: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `cuecard serve` with `args` on a free port; returns once `probe` answers 200, with
    /// the time that took. The process is killed when the `Server` is dropped.
    pub fn start(binary: &Path, database_url: &str, args: &[&str], probe: &str) -> anyhow::Result<(Server, Duration)> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("CUECARD_DATABASE_URL", database_url)
            .env("CUECARD_LOG", "warn,tower_http=off")
            .stdout(Stdio::piped())
            .spawn()
            .context("starting cuecard serve")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
        let address = line.trim().rsplit("http://").next().unwrap_or_default().to_owned();
        let server = Server { child, address };
        while status_of(&server.address, probe) != Some(200) {
            if started.elapsed() > Duration::from_secs(120) {
                bail!("cuecard did not answer {probe} within two minutes");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok((server, started.elapsed()))
    }
}
