//! The gevent seed's echo server and its load client, on tripod's loop: shared by
//! `asyncio_echo_server`, `asyncio_echo_client` and `tests/network_examples.rs`
//! (each includes this file with `#[path]`; each uses part of it).
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tripod::asyncio::net::{AsyncReadExt, AsyncWriteExt, TcpListener, TcpStream};
use tripod::asyncio::{self, Event};

/// The seed's port.
pub const DEFAULT_PORT: u16 = 50007;

/// Room for connections waiting to be accepted (the seed's `listen(500)`, raised for 1000
/// clients connecting at once; the kernel caps it at `net.core.somaxconn`).
pub const BACKLOG: u32 = 4096;

/// How long a graceful stop waits for the connections to finish their current echo.
pub const GRACE: Duration = Duration::from_secs(2);

/// What a server did, returned when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections that ended with an I/O error (a client that reset it, say).
    pub errors: u64,
}

/// Echoes what `conn` sends until the client closes its side (or `closing` is set), then
/// closes ours (the seed's `conn.shutdown(SHUT_WR)`). Returns the bytes echoed.
///
/// `read` is cancel safe, so a stop that comes while waiting for data loses nothing; a
/// message that was read is always written back in full before the stop is seen.
pub async fn handle(mut conn: TcpStream, closing: Arc<Event>) -> io::Result<u64> {
    let mut buf = [0u8; 1024]; // the seed's recv(1024)
    let mut echoed = 0;
    // One waiter for the whole conversation (not one per read).
    let closed = closing.wait();
    tokio::pin!(closed);
    loop {
        let n = tokio::select! {
            biased;
            read = conn.read(&mut buf) => read?,
            () = &mut closed => break,
        };
        if n == 0 {
            break;
        }
        conn.write_all(&buf[..n]).await?;
        echoed += n as u64;
    }
    conn.shutdown().await?;
    Ok(echoed)
}

/// Accepts connections on `listener`, each echoed by a task of its own, until `stop`
/// completes; then stops accepting, asks every connection to close after its current echo,
/// and waits for them (at most [`GRACE`]; `asyncio::run` cancels any left after that).
pub async fn serve(listener: TcpListener, stop: impl Future<Output = ()>) -> ServeStats {
    let closing = Arc::new(Event::new());
    // Each connection's task holds a sender; `recv` returns `None` once all are dropped.
    let (alive, mut all_closed) = mpsc::channel::<()>(1);
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut stats = ServeStats::default();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((conn, _peer)) => {
                stats.connections += 1;
                let _ = conn.set_nodelay(true);
                let (closing, alive, errors) =
                    (Arc::clone(&closing), alive.clone(), Arc::clone(&errors));
                // The handle is dropped: the task runs on, detached, as a spawned greenlet.
                asyncio::create_task(async move {
                    if handle(conn, closing).await.is_err() {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    drop(alive);
                });
            }
            // Out of descriptors, or a connection reset before it was accepted: the server
            // goes on; a short pause keeps a persistent error from spinning the loop.
            Err(e) => {
                eprintln!("echo server: accept failed: {e}");
                asyncio::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    drop(listener);
    closing.set();
    drop(alive);
    let _ = asyncio::wait_for(all_closed.recv(), GRACE).await;
    stats.errors = errors.load(std::sync::atomic::Ordering::Relaxed);
    stats
}

/// What a load run measured.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Clients connected.
    pub clients: usize,
    /// Round trips completed (and checked) by all clients.
    pub round_trips: u64,
    /// From the start signal until the last client finished.
    pub elapsed: Duration,
    /// Every round trip's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    /// Round trips per second.
    pub fn rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency below which a fraction `p` (0..=1) of the round trips were.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies.len() as f64) * p).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// The seed's client loop, bounded: `clients` connections to `addr` (all connected before
/// any starts), each sending `hello <count>` and reading the echo back (checked) until
/// `duration` has passed.
///
/// # Errors
///
/// The first connection that fails to connect, or a round trip that fails or echoes wrong
/// bytes ([`io::ErrorKind::InvalidData`]).
pub async fn load(addr: SocketAddr, clients: usize, duration: Duration) -> io::Result<LoadReport> {
    let connects: Vec<_> = (0..clients)
        .map(|_| asyncio::create_task(TcpStream::connect(addr)))
        .collect();
    let mut conns = Vec::with_capacity(clients);
    for connect in connects {
        let conn = connect.await.map_err(io::Error::other)??;
        conn.set_nodelay(true)?;
        conns.push(conn);
    }
    let start = Instant::now();
    let deadline = start + duration;
    let runs: Vec<_> = conns
        .into_iter()
        .map(|conn| asyncio::create_task(round_trips(conn, deadline)))
        .collect();
    let per_client = asyncio::gather(
        runs.into_iter()
            .map(|task| async { task.await.map_err(io::Error::other)? }),
    )
    .await?;
    let elapsed = start.elapsed();
    let mut latencies: Vec<Duration> = per_client.into_iter().flatten().collect();
    latencies.sort_unstable();
    Ok(LoadReport {
        clients,
        round_trips: latencies.len() as u64,
        elapsed,
        latencies,
    })
}

/// One client: round trips until `deadline`, then a clean close. The latency of each.
async fn round_trips(mut conn: TcpStream, deadline: Instant) -> io::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut msg = Vec::with_capacity(32);
    let mut reply = [0u8; 32];
    let mut count = 0u64;
    while Instant::now() < deadline {
        msg.clear();
        io::Write::write_fmt(&mut msg, format_args!("hello {count}"))?;
        let sent = Instant::now();
        conn.write_all(&msg).await?;
        let reply = &mut reply[..msg.len()];
        conn.read_exact(reply).await?;
        latencies.push(sent.elapsed());
        if reply != msg.as_slice() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the echo differs",
            ));
        }
        count += 1;
    }
    conn.shutdown().await?;
    // The server closes its side in turn: its EOF ends the conversation cleanly.
    let mut rest = [0u8; 1];
    if conn.read(&mut rest).await? != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bytes after the last echo",
        ));
    }
    Ok(latencies)
}
