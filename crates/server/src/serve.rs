//! The accept loop: every connection is watched, so slow or silent clients cannot hold the
//! server. A connection is in one of three phases, and each has its own clock:
//!
//! - **reading a request head** (bytes arrived, no request yet): closed after
//!   `header_read_timeout`, however slowly the bytes trickle in;
//! - **idle** (between requests on a keep-alive connection, or opened and silent): closed after
//!   `idle_timeout` without traffic;
//! - **busy** (a request is being handled): the router's request timeout applies.
//!
//! At most `max_connections` are open (lowered to what the open-file limit allows); a new one
//! beyond that closes the connection idle longest, or is refused when none is idle. On shutdown
//! the listener closes, idle connections close, requests in flight get `shutdown_grace` to
//! finish, and whatever is left is dropped.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

/// Largest request head (request line and headers) hyper buffers; beyond it the request is
/// refused before it reaches the router.
pub const HEAD_BUFFER_BYTES: usize = 64 * 1024;

/// File descriptors kept for the database, logs and the widget's files.
const RESERVED_FILES: u64 = 64;

/// How long and how many connections may stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionPolicy {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        ConnectionPolicy {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// `wanted` connections, or fewer if the open-file limit (raised as far as allowed) is lower.
pub fn connections_that_fit(wanted: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(u64::MAX);
    let fit = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(usize::MAX);
    if fit < wanted {
        tracing::warn!(
            wanted,
            fit,
            open_file_limit = limit,
            "the open-file limit allows fewer connections; raise it (`ulimit -n`) to serve more"
        );
    }
    wanted.min(fit)
}

/// What the watchdog knows of one connection. Times are milliseconds since the server started.
struct Watched {
    in_flight: AtomicUsize,
    /// When the current request head started to arrive; 0 while none is.
    head_started: AtomicU64,
    last_activity: AtomicU64,
    close: Notify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    ReadingHead { since: u64 },
    Idle { since: u64 },
    Busy,
}

impl Watched {
    fn phase(&self) -> Phase {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Phase::Busy;
        }
        match self.head_started.load(Ordering::Acquire) {
            0 => Phase::Idle { since: self.last_activity.load(Ordering::Acquire) },
            since => Phase::ReadingHead { since },
        }
    }
}

struct Registry {
    started: Instant,
    policy: ConnectionPolicy,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Watched>>>,
}

impl Registry {
    fn now(&self) -> u64 {
        // At least 1, so 0 can mean "none".
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Watched>>> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes room for one more connection: true if there is (or now will be) a free slot.
    fn make_room(&self) -> bool {
        let mut open = self.open();
        if open.len() < self.policy.max_connections {
            return true;
        }
        let longest_waiting = open
            .iter()
            .filter_map(|(id, watched)| match watched.phase() {
                Phase::Idle { since } | Phase::ReadingHead { since } => Some((since, *id)),
                Phase::Busy => None,
            })
            .min_by_key(|(since, _)| *since);
        // Out of the registry at once, so the next accept picks another one.
        match longest_waiting.and_then(|(_, id)| open.remove(&id)) {
            Some(watched) => {
                metrics::counter!("cuecard_connections_closed_total", "reason" => "evicted").increment(1);
                watched.close.notify_one();
                true
            }
            None => {
                metrics::counter!("cuecard_connections_closed_total", "reason" => "refused").increment(1);
                false
            }
        }
    }

    /// Closes connections past their phase's deadline.
    fn sweep(&self) {
        let now = self.now();
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let (head, idle) = (millis(self.policy.header_read_timeout), millis(self.policy.idle_timeout));
        for watched in self.open().values() {
            let expired = match watched.phase() {
                Phase::ReadingHead { since } => (now.saturating_sub(since) > head).then_some("slow_head"),
                Phase::Idle { since } => (now.saturating_sub(since) > idle).then_some("idle"),
                Phase::Busy => None,
            };
            if let Some(reason) = expired {
                metrics::counter!("cuecard_connections_closed_total", "reason" => reason).increment(1);
                watched.close.notify_one();
            }
        }
    }
}

/// A socket that tells the watchdog when bytes move.
struct TrackedStream {
    stream: TcpStream,
    watched: Arc<Watched>,
    registry: Arc<Registry>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buffer.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(context, buffer);
        if matches!(result, Poll::Ready(Ok(()))) && buffer.filled().len() > before {
            let now = self.registry.now();
            self.watched.last_activity.store(now, Ordering::Release);
            if self.watched.in_flight.load(Ordering::Acquire) == 0 {
                // The first bytes of a new request head start its clock; more bytes do not reset it.
                let _ = self.watched.head_started.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire);
            }
        }
        result
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(context, data);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            let now = self.registry.now();
            self.watched.last_activity.store(now, Ordering::Release);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains as the policy says.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    policy: ConnectionPolicy,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry {
        started: Instant::now(),
        policy,
        next_id: AtomicU64::new(1),
        open: Mutex::new(HashMap::new()),
    });
    let sweeper = {
        let registry = registry.clone();
        tokio::spawn(async move {
            let every = policy.header_read_timeout.min(policy.idle_timeout).div_f32(4.0).max(Duration::from_millis(50));
            let mut ticker = tokio::time::interval(every.min(Duration::from_secs(1)));
            loop {
                ticker.tick().await;
                registry.sweep();
            }
        })
    };
    let (stopping, stop_signal) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors or a connection reset before accept: wait, go on.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // Reap finished connections as we go, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        if !registry.make_room() {
            // No address in logs: it would say who the worker is.
            tracing::warn!("every connection is busy; refusing a new one");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let id = registry.next_id.fetch_add(1, Ordering::Relaxed);
        let watched = Arc::new(Watched {
            in_flight: AtomicUsize::new(0),
            head_started: AtomicU64::new(0),
            last_activity: AtomicU64::new(registry.now()),
            close: Notify::new(),
        });
        registry.open().insert(id, watched.clone());
        metrics::gauge!("cuecard_connections_open").increment(1.0);
        let io = TrackedStream { stream, watched: watched.clone(), registry: registry.clone() };
        connections.spawn(connection(io, peer, router.clone(), registry.clone(), id, stop_signal.clone()));
    }
    drop(listener);
    let _ = stopping.send(true);
    let in_flight = connections.len();
    tracing::info!(connections = in_flight, grace = ?policy.shutdown_grace, "shutting down: finishing requests in flight");
    let drained =
        tokio::time::timeout(policy.shutdown_grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(left = connections.len(), "shutdown grace over; dropping the requests still open");
        connections.shutdown().await;
    }
    sweeper.abort();
    Ok(())
}

/// One connection, from accept to close.
async fn connection(
    io: TrackedStream,
    peer: SocketAddr,
    router: Router,
    registry: Arc<Registry>,
    id: u64,
    mut stop_signal: watch::Receiver<bool>,
) {
    let watched = io.watched.clone();
    let service = {
        let watched = watched.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            watched.in_flight.fetch_add(1, Ordering::AcqRel);
            watched.head_started.store(0, Ordering::Release);
            request.extensions_mut().insert(ConnectInfo(peer));
            let call = tower::ServiceExt::oneshot(router.clone(), request.map(axum::body::Body::new));
            let watched = watched.clone();
            async move {
                let response = call.await;
                watched.in_flight.fetch_sub(1, Ordering::AcqRel);
                response
            }
        })
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().max_buf_size(HEAD_BUFFER_BYTES);
    let serving = builder.serve_connection(TokioIo::new(io), service);
    let mut serving = std::pin::pin!(serving);
    let stopping = async move {
        while !*stop_signal.borrow_and_update() {
            if stop_signal.changed().await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        result = serving.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = watched.close.notified() => {
            tracing::debug!("closing a slow or idle connection");
        }
        () = stopping => {
            // Finish what is in flight; idle keep-alive connections close at once.
            serving.as_mut().graceful_shutdown();
            tokio::select! {
                _ = serving.as_mut() => {}
                () = watched.close.notified() => {}
            }
        }
    }
    registry.open().remove(&id);
    metrics::gauge!("cuecard_connections_open").decrement(1.0);
}
