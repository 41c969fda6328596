//! The server on a real socket against clients that misbehave: slow or silent ones, too many at
//! once, and a shutdown with a request still open.

use engine::Locale;
use engine::render::Renderer;
use server::http::RouterOptions;
use server::serve::ConnectionPolicy;
use server::{AppState, Background};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{SiteSpec, SqliteStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _directory: tempfile::TempDir,
}

async fn start(policy: ConnectionPolicy) -> Server {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("connections.db").display());
    let store = SqliteStore::open(&url, Renderer::default()).await.unwrap();
    store
        .put_site(&SiteSpec {
            public_key: "pk_test_acme".into(),
            name: "Acme".into(),
            origins: Vec::new(),
            default_locale: Locale::parse("en").unwrap(),
            locales: Vec::new(),
        })
        .await
        .unwrap();
    let state = AppState::load(Arc::new(store)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = RouterOptions {
        widget_dir: directory.path().join("widget"),
        console_dir: directory.path().join("console"),
        session_length: Duration::from_secs(3600),
        request_timeout: Duration::from_secs(30),
        public_limits: None,
        metrics: true,
    };
    let background =
        Background { refresh_every: Duration::from_secs(60), events_retention: Duration::from_secs(86_400) };
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = tokio::spawn(server::run(listener, state, options, policy, background, shutdown));
    Server { address, stop: Some(stop), task, _directory: directory }
}

fn policy() -> ConnectionPolicy {
    ConnectionPolicy {
        header_read_timeout: Duration::from_millis(800),
        idle_timeout: Duration::from_millis(1500),
        max_connections: 64,
        shutdown_grace: Duration::from_secs(2),
    }
}

/// Reads until the peer closes or `limit` passes; returns what came and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), false),
        }
    }
}

/// One request on a new connection; the status line.
async fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let (response, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    response.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_one_header_line_a_second_is_dropped_while_others_are_served() {
    let server = start(policy()).await;
    let mut slow = TcpStream::connect(server.address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let mut dropped = false;
    for line in 0..20 {
        // Meanwhile, everyone else is served.
        assert!(get(server.address, "/healthz").await.contains("200"));
        tokio::time::sleep(Duration::from_millis(250)).await;
        if slow.write_all(format!("X-Slow-{line}: 1\r\n").as_bytes()).await.is_err() {
            dropped = true;
            break;
        }
        let mut probe = [0_u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(10), slow.read(&mut probe)).await {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the slow client still held its connection after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(4), "dropped after {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_keep_alive_connections_are_closed() {
    let server = start(policy()).await;
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(closed, "a connection that says nothing is closed");

    // A keep-alive connection is served twice, then closed once idle.
    let mut keep_alive = TcpStream::connect(server.address).await.unwrap();
    for _ in 0..2 {
        keep_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
        let mut buffer = [0_u8; 1024];
        let read = keep_alive.read(&mut buffer).await.unwrap();
        assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, closed) = read_until_closed(&mut keep_alive, Duration::from_secs(5)).await;
    assert!(closed, "an idle keep-alive connection is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_silent_connections_does_not_lock_others_out() {
    let server = start(ConnectionPolicy {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        max_connections: 16,
        ..policy()
    })
    .await;
    let mut crowd = Vec::new();
    for _ in 0..200 {
        crowd.push(TcpStream::connect(server.address).await.unwrap());
    }
    // The cap closes the connections waiting longest to make room: health checks still answer.
    for _ in 0..5 {
        assert!(get(server.address, "/healthz").await.contains("200"));
    }
    let mut still_open = 0;
    for stream in &mut crowd {
        let (_, closed) = read_until_closed(stream, Duration::from_millis(20)).await;
        still_open += usize::from(!closed);
    }
    assert!(still_open <= 16, "{still_open} silent connections stayed open beyond the cap");
}

/// A request whose body arrives slowly is busy, not idle: it is finished within the grace
/// period, and the server exits; one that would take longer is dropped when the grace is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_and_gives_up_after_the_grace_period() {
    let mut server = start(policy()).await;
    let body = r#"{"events":[{"kind":"panel_open"}]}"#;
    let head = format!(
        "POST /v1/events?site=pk_test_acme HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut finishing = TcpStream::connect(server.address).await.unwrap();
    finishing.write_all(head.as_bytes()).await.unwrap();
    finishing.write_all(&body.as_bytes()[..5]).await.unwrap();
    let mut stuck = TcpStream::connect(server.address).await.unwrap();
    stuck.write_all(head.as_bytes()).await.unwrap();
    stuck.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopping = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(TcpStream::connect(server.address).await.is_err(), "no new connections once stopping");
    finishing.write_all(&body.as_bytes()[5..]).await.unwrap();
    let (response, _) = read_until_closed(&mut finishing, Duration::from_secs(3)).await;
    assert!(response.starts_with("HTTP/1.1 202"), "the request in flight is finished: {response}");

    let result = tokio::time::timeout(Duration::from_secs(5), &mut server.task).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "the server exits after the grace period: {result:?}");
    let waited = stopping.elapsed();
    assert!(waited < Duration::from_secs(4), "exited after {waited:?}");
    let (_, closed) = read_until_closed(&mut stuck, Duration::from_secs(1)).await;
    assert!(closed, "the request that never finished was dropped");
}

/// A POST answered before its body was needed (401 without a key) leaves the connection usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_survives_an_early_refusal_of_a_post() {
    let server = start(policy()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let body = r#"{"slug":"x","title":"X","moment":"apply","markdown":"x"}"#;
    let post = format!(
        "POST /admin/v1/sites/pk_test_acme/snippets HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(post.as_bytes()).await.unwrap();
    let mut buffer = vec![0_u8; 4096];
    let read = stream.read(&mut buffer).await.unwrap();
    let first = String::from_utf8_lossy(&buffer[..read]).into_owned();
    assert!(first.starts_with("HTTP/1.1 401"), "{first}");
    assert!(!first.to_ascii_lowercase().contains("connection: close"), "{first}");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
    let (second, _) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(second.starts_with("HTTP/1.1 200"), "the next request on the connection is served: {second:?}");
}

/// What the HTTP parser refuses gets a bare status (documented in the README), and the server
/// goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_parser_refuses_do_not_disturb_the_server() {
    let server = start(policy()).await;
    let huge_query = format!("GET /v1/help?site=pk_test_acme&q={} HTTP/1.1\r\nHost: test\r\n\r\n", "q".repeat(1 << 20));
    let long_header = format!("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Filler: {}\r\n\r\n", "h".repeat(100 * 1024));
    for (request, expected) in [
        (huge_query.into_bytes(), ["414", "431"].as_slice()),
        (long_header.into_bytes(), ["431"].as_slice()),
        (b"GET /v1/help?site=a b HTTP/1.1\r\nHost: test\r\n\r\n".to_vec(), ["400"].as_slice()),
        (b"\x16\x03\x01garbage\r\n\r\n".to_vec(), ["400"].as_slice()),
        (b"GET /\xff\xfe HTTP/1.1\r\nHost: test\r\n\r\n".to_vec(), ["400"].as_slice()),
    ] {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        let _ = stream.write_all(&request).await;
        let (response, _) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
        let status = response.split(' ').nth(1).unwrap_or_default().to_owned();
        assert!(expected.contains(&status.as_str()), "{:?}: {response:?}", String::from_utf8_lossy(&request[..40]));
    }
    assert!(get(server.address, "/healthz").await.contains("200"));
}
