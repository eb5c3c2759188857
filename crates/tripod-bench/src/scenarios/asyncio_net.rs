//! `asyncio.echo`, `asyncio.http`: network servers on tripod's loop (issue 6) against
//! gevent, Python's asyncio (and uvloop), aiohttp, and the same servers on plain tokio.
//!
//! The server runs on core 0 and the load on core 1 (`sched_setaffinity`; a thread's
//! affinity is inherited by the processes it starts), over 127.0.0.1 only. Each run is a
//! window of a fixed duration; the metrics are the window's rate and the 99th percentile
//! of its latencies, each the median over the runs (one warm-up window first).
//!
//! - `echo`: the servers run at once and are loaded taking turns (a window each, round
//!   after round); per server 1000 connections (one load process, the harness: a plain tokio
//!   `current_thread` runtime, the same client for every server) each sending
//!   `hello <count>` and reading the echo back, over and over: **round trips/s** and
//!   **p99** (us). Servers: `tripod` (the `asyncio_echo_server` example's `serve`, shared
//!   with `#[path]`: `asyncio::run`, a task per connection), `tokio` (the same loop on plain
//!   tokio: a `current_thread` runtime, `tokio::spawn`), and the Python servers of
//!   `python/asyncio.echo.py`: `gevent` (`StreamServer`), `asyncio` (`start_server`
//!   streams) and `uvloop` (the same on uvloop). Target: tripod >= 2x gevent's round
//!   trips/s with a lower p99.
//! - `http`: `GET /` and `GET /bob` on the aiohttp seed's routes, **requests/s** and **p99**
//!   (us), per path. Servers: `tripod` (the `asyncio_http_server` example's axum app on
//!   tripod's loop), `axum` (the same router on a plain tokio `current_thread` runtime),
//!   `aiohttp` (`python/asyncio.http.py`, the seed's app). Load: `wrk -t1 -c128` (Debian's
//!   `wrk`) when installed, else the harness's own keep-alive HTTP/1.1 client with 128
//!   connections. Targets: >= 3.5x aiohttp, within 10% of axum (ratio >= 0.9).
//!
//! Peers not installed (gevent, uvloop, aiohttp; wrk) are skipped with a note.

// The examples' own servers (and listen backlog), shared whole (each file allows the
// dead code of the parts a user leaves unused); the bench uses part.
#[path = "../../../../examples/support/echo.rs"]
mod echo;
#[path = "../../../../examples/support/hello.rs"]
mod hello;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::peer;
use crate::scenario::{Ctx, Metric, Scenario};

/// The `asyncio.*` network scenarios.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "asyncio.echo",
        description: "echo, 1000 clients, server and client on a core each (round trips/s, p99)",
        run: echo_scenario,
    },
    Scenario {
        name: "asyncio.http",
        description: "HTTP hello (/ and /bob), server and load on a core each (requests/s, p99)",
        run: http_scenario,
    },
];

/// A server and how to start it (`Err`: skipped, and why).
type Starter<'a> = (&'a str, &'a dyn Fn() -> Result<Server, String>);

const SERVER_CPU: usize = 0;
const CLIENT_CPU: usize = 1;
/// A Python server that has not said its port by then is taken to be broken.
const START_LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Cores

/// Pins the calling thread to `cpu` (a process it starts inherits that). `false` if the
/// machine does not let it (fewer than 2 cores, say): the run goes on unpinned.
fn pin(cpu: usize) -> bool {
    let mut set = CpuSet::new();
    set.set(cpu);
    sched_setaffinity(None, &set).is_ok()
}

/// Restores the calling thread's affinity when dropped.
struct Pinned(Option<CpuSet>);

impl Pinned {
    fn to(cpu: usize) -> Pinned {
        let before = sched_getaffinity(None).ok();
        Pinned(if pin(cpu) { before } else { None })
    }

    fn pinned(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(set) = &self.0 {
            let _ = sched_setaffinity(None, set);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Servers

/// A server under test, on core [`SERVER_CPU`], stopped when dropped.
enum Server {
    /// In this process, on a thread of its own.
    Thread {
        addr: SocketAddr,
        stop: Option<oneshot::Sender<()>>,
        thread: Option<JoinHandle<()>>,
    },
    /// A Python server process.
    Process { addr: SocketAddr, child: Child },
}

impl Server {
    fn addr(&self) -> SocketAddr {
        match self {
            Server::Thread { addr, .. } | Server::Process { addr, .. } => *addr,
        }
    }

    /// Starts `serve` on a thread pinned to the server core: `serve` gets a listener's
    /// address channel and the stop signal, binds, says its address, serves until stopped.
    fn thread<F>(serve: F) -> Server
    where
        F: FnOnce(mpsc::Sender<SocketAddr>, oneshot::Receiver<()>) + Send + 'static,
    {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let thread = thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                pin(SERVER_CPU);
                serve(addr_tx, stop_rx);
            })
            .expect("spawn the server thread");
        let addr = addr_rx.recv().expect("the server thread says its address");
        Server::Thread {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Starts `python3 python/<script> <args>` on the server core and reads its first line:
    /// `{"port": N}`, or `{"skip": reason, "impl": name}` (then `Err(reason)`).
    fn python(script: &str, args: &[&str]) -> Result<Server, String> {
        let python = std::env::var(peer::PYTHON_ENV).unwrap_or_else(|_| "python3".to_string());
        let path = peer::python_dir().join(script);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        // Spawned from a thread pinned to the server core: the child inherits the pin.
        let spawned = thread::spawn(move || {
            pin(SERVER_CPU);
            Command::new(&python)
                .arg(&path)
                .args(&args)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot run `{python}` ({e}); set {}", peer::PYTHON_ENV))
        })
        .join()
        .expect("the spawning thread");
        let mut child = spawned?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line: String = rx.recv_timeout(START_LIMIT).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(line.trim()).unwrap_or_default();
        if let Some(port) = value.get("port").and_then(|p| p.as_u64()) {
            let addr = SocketAddr::from(([127, 0, 0, 1], port as u16));
            return Ok(Server::Process { addr, child });
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(match value.get("skip") {
            Some(reason) => reason.as_str().unwrap_or("skipped").to_string(),
            None => format!("{script} did not say its port (got {:?})", line.trim()),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match self {
            Server::Thread { stop, thread, .. } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Server::Process { child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A listener on 127.0.0.1, any port, with the examples' backlog.
async fn listener() -> tokio::net::TcpListener {
    tripod::asyncio::net::listen(("127.0.0.1", 0), echo::BACKLOG)
        .await
        .expect("bind 127.0.0.1")
}

async fn stopped(stop: oneshot::Receiver<()>) {
    let _ = stop.await;
}

/// A plain tokio `current_thread` runtime: the peers' loop and the load clients'.
fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// tripod's echo server: the `asyncio_echo_server` example's `serve` in `asyncio::run`.
fn tripod_echo() -> Server {
    Server::thread(|addr, stop| {
        tripod::asyncio::run(async move {
            let listener = listener().await;
            addr.send(listener.local_addr().unwrap()).unwrap();
            echo::serve(listener, stopped(stop)).await;
        });
    })
}

/// The echo server as one writes it on plain tokio: a `current_thread` runtime, a
/// `tokio::spawn`ed loop per connection.
fn tokio_echo() -> Server {
    Server::thread(|addr, stop| {
        tokio_runtime().block_on(async move {
            let listener = listener().await;
            addr.send(listener.local_addr().unwrap()).unwrap();
            let serve = async {
                loop {
                    let Ok((mut conn, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = conn.set_nodelay(true);
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        loop {
                            match conn.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if conn.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = conn.shutdown().await;
                    });
                }
            };
            tokio::select! {
                () = serve => {}
                () = stopped(stop) => {}
            }
        });
    })
}

/// tripod's HTTP server: the `asyncio_http_server` example's axum app on tripod's loop.
fn tripod_http() -> Server {
    Server::thread(|addr, stop| {
        tripod::asyncio::run(async move {
            let listener = listener().await;
            addr.send(listener.local_addr().unwrap()).unwrap();
            hello::serve(listener, stopped(stop)).await.unwrap();
        });
    })
}

/// The same axum router on a plain tokio `current_thread` runtime.
fn axum_http() -> Server {
    Server::thread(|addr, stop| {
        tokio_runtime().block_on(async move {
            let listener = listener().await;
            addr.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, hello::app())
                .with_graceful_shutdown(stopped(stop))
                .await
                .unwrap();
        });
    })
}

// ---------------------------------------------------------------------------------------
// Measuring: windows of load from this thread, pinned to the client core

/// The length of one run's load window.
fn window(ctx: &Ctx<'_>) -> Duration {
    if ctx.quick() {
        Duration::from_millis(300)
    } else {
        Duration::from_millis(700)
    }
}

/// The value at fraction `p` of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

const CLIENTS: usize = 1000;
const ROUND_TRIPS: Metric = Metric::rate("throughput", "round trips/s");
const P99: Metric = Metric::latency("p99", "us");

fn echo_scenario(ctx: &mut Ctx<'_>) {
    let pinned = Pinned::to(CLIENT_CPU);
    if !pinned.pinned() {
        ctx.note("could not pin to cores 0 and 1: server and client share the cores");
    }
    let window = window(ctx);
    let servers: [Starter<'_>; 5] = [
        ("tripod", &|| Ok(tripod_echo())),
        ("tokio", &|| Ok(tokio_echo())),
        ("gevent", &|| Server::python("asyncio.echo.py", &["gevent"])),
        ("asyncio", &|| {
            Server::python("asyncio.echo.py", &["asyncio"])
        }),
        ("uvloop", &|| Server::python("asyncio.echo.py", &["uvloop"])),
    ];
    // All servers up at once, each with its clients connected, measured taking turns.
    let runtime = tokio_runtime();
    let mut started: Vec<(&str, Server, Option<Vec<TcpStream>>)> = Vec::new();
    for (name, start) in servers {
        match start() {
            Ok(server) => {
                let conns = runtime.block_on(connect_all(server.addr(), CLIENTS));
                started.push((name, server, Some(conns)));
            }
            Err(reason) => ctx.note(format!("{name} skipped: {reason}")),
        }
    }
    let names: Vec<&str> = started.iter().map(|(name, ..)| *name).collect();
    ctx.values_in_turns(&names, [ROUND_TRIPS, P99], |k| {
        let conns = &mut started[k].2;
        let (back, rate, p99) =
            runtime.block_on(echo_window(conns.take().expect("connections"), window));
        *conns = Some(back);
        [rate, p99.as_secs_f64() * 1e6]
    });
    for (_, server, conns) in started {
        runtime.block_on(close_all(conns.unwrap_or_default()));
        drop(server);
    }
    ctx.compare(ROUND_TRIPS.name, "tripod", "gevent", Some(2.0));
    ctx.compare(P99.name, "tripod", "gevent", Some(1.0));
    for peer in ["tokio", "asyncio", "uvloop"] {
        ctx.compare(ROUND_TRIPS.name, "tripod", peer, None);
        ctx.compare(P99.name, "tripod", peer, None);
    }
}

async fn connect_all(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let connects: Vec<_> = (0..n)
        .map(|_| tokio::spawn(TcpStream::connect(addr)))
        .collect();
    let mut conns = Vec::with_capacity(n);
    for connect in connects {
        let conn = connect.await.unwrap().expect("connect to the echo server");
        conn.set_nodelay(true).unwrap();
        conns.push(conn);
    }
    conns
}

async fn close_all(conns: Vec<TcpStream>) {
    for mut conn in conns {
        let _ = conn.shutdown().await;
    }
}

/// One window: every connection makes checked round trips until the deadline. Gives the
/// connections back, the rate (round trips/s) and the p99 latency.
async fn echo_window(conns: Vec<TcpStream>, window: Duration) -> (Vec<TcpStream>, f64, Duration) {
    let start = Instant::now();
    let deadline = start + window;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|conn| tokio::spawn(echo_client(conn, deadline)))
        .collect();
    let mut conns = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::new();
    for task in tasks {
        let (conn, mine) = task.await.expect("an echo client");
        conns.push(conn);
        latencies.extend(mine);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    (conns, rate, percentile(&latencies, 0.99))
}

async fn echo_client(mut conn: TcpStream, deadline: Instant) -> (TcpStream, Vec<Duration>) {
    let mut latencies = Vec::new();
    let mut msg = Vec::with_capacity(32);
    let mut reply = [0u8; 32];
    let mut count = 0u64;
    while Instant::now() < deadline {
        msg.clear();
        std::io::Write::write_fmt(&mut msg, format_args!("hello {count}")).unwrap();
        let sent = Instant::now();
        conn.write_all(&msg).await.expect("send to the echo server");
        let reply = &mut reply[..msg.len()];
        conn.read_exact(reply).await.expect("the echo");
        latencies.push(sent.elapsed());
        assert_eq!(reply, msg.as_slice(), "the echo differs");
        count += 1;
    }
    (conn, latencies)
}

// ---------------------------------------------------------------------------------------
// asyncio.http

const HTTP_CONNECTIONS: usize = 128;
const PATHS: [(&str, &str); 2] = [("/", "Hello, Anonymous"), ("/bob", "Hello, bob")];

fn http_metrics(path: &str) -> [Metric; 2] {
    // Metric names must be 'static: the two paths, spelled out.
    match path {
        "/" => [
            Metric::rate("/ throughput", "req/s"),
            Metric::latency("/ p99", "us"),
        ],
        _ => [
            Metric::rate("/bob throughput", "req/s"),
            Metric::latency("/bob p99", "us"),
        ],
    }
}

fn wrk_installed() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn http_scenario(ctx: &mut Ctx<'_>) {
    let pinned = Pinned::to(CLIENT_CPU);
    if !pinned.pinned() {
        ctx.note("could not pin to cores 0 and 1: server and load share the cores");
    }
    let wrk = wrk_installed();
    if wrk {
        ctx.note(format!(
            "load: wrk -t1 -c{HTTP_CONNECTIONS} on core {CLIENT_CPU}"
        ));
    } else {
        ctx.note(format!(
            "load: the harness's own HTTP/1.1 client, {HTTP_CONNECTIONS} keep-alive connections \
             (wrk is not installed: apt-get install wrk)"
        ));
    }
    // wrk's -d is in whole seconds.
    let window = if wrk {
        Duration::from_secs(1)
    } else {
        window(ctx)
    };
    let servers: [Starter<'_>; 3] = [
        ("tripod", &|| Ok(tripod_http())),
        ("axum", &|| Ok(axum_http())),
        ("aiohttp", &|| Server::python("asyncio.http.py", &[])),
    ];
    // All servers up at once (idle but for the one under load), measured taking turns:
    // "within 10% of axum" must not depend on which of the two ran first.
    let mut started: Vec<(&str, Server)> = Vec::new();
    for (name, start) in servers {
        match start() {
            Ok(server) => started.push((name, server)),
            Err(reason) => ctx.note(format!("{name} skipped: {reason}")),
        }
    }
    let names: Vec<&str> = started.iter().map(|(name, _)| *name).collect();
    let runtime = tokio_runtime();
    for (path, body) in PATHS {
        ctx.values_in_turns(&names, http_metrics(path), |k| {
            let addr = started[k].1.addr();
            let (rate, p99) = if wrk {
                run_wrk(&format!("http://{addr}{path}"), window)
            } else {
                runtime.block_on(http_window(addr, path, body, window))
            };
            [rate, p99.as_secs_f64() * 1e6]
        });
    }
    drop(started);
    for (path, _) in PATHS {
        let [throughput, p99] = http_metrics(path);
        ctx.compare(throughput.name, "tripod", "aiohttp", Some(3.5));
        ctx.compare(throughput.name, "tripod", "axum", Some(0.9));
        ctx.compare(p99.name, "tripod", "aiohttp", None);
        ctx.compare(p99.name, "tripod", "axum", None);
    }
}

/// Runs wrk (inheriting this thread's pin) for `window`: requests/s and p99.
fn run_wrk(url: &str, window: Duration) -> (f64, Duration) {
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{HTTP_CONNECTIONS}")])
        .arg(format!("-d{}s", window.as_secs().max(1)))
        .args(["--latency", url])
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    parse_wrk(&text).unwrap_or_else(|| panic!("unreadable wrk output:\n{text}"))
}

/// Requests/s and the 99% latency from wrk's `--latency` output; `None` if a line is
/// missing, or if wrk saw errors (non-2xx answers, broken connections).
fn parse_wrk(text: &str) -> Option<(f64, Duration)> {
    if text.contains("Non-2xx or 3xx responses") || text.contains("Socket errors") {
        return None;
    }
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| parse_wrk_time(v.trim()))?;
    Some((rate, p99))
}

/// `812.00us`, `1.23ms`, `2.01s` -> a duration.
fn parse_wrk_time(v: &str) -> Option<Duration> {
    let (number, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60.0)
    } else {
        (v.strip_suffix('s')?, 1.0)
    };
    Some(Duration::from_secs_f64(number.parse::<f64>().ok()? * scale))
}

/// The harness's own load (no wrk): [`HTTP_CONNECTIONS`] keep-alive connections, each
/// `GET path` (checking the body) after the other until the deadline.
async fn http_window(
    addr: SocketAddr,
    path: &str,
    body: &str,
    window: Duration,
) -> (f64, Duration) {
    let conns = connect_all(addr, HTTP_CONNECTIONS).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes();
    let start = Instant::now();
    let deadline = start + window;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|conn| {
            tokio::spawn(http_client(
                conn,
                request.clone(),
                body.to_string(),
                deadline,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("an HTTP client"));
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    (
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.99),
    )
}

async fn http_client(
    mut conn: TcpStream,
    request: Vec<u8>,
    body: String,
    deadline: Instant,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut buf = Vec::with_capacity(1024);
    while Instant::now() < deadline {
        let sent = Instant::now();
        conn.write_all(&request).await.expect("send the request");
        let got = read_response(&mut conn, &mut buf).await;
        latencies.push(sent.elapsed());
        assert_eq!(got, body.as_bytes(), "the response body");
    }
    latencies
}

/// Reads one HTTP/1.1 response with a `Content-Length` (status 200) into `buf`; its body.
async fn read_response<'a>(conn: &mut TcpStream, buf: &'a mut Vec<u8>) -> &'a [u8] {
    buf.clear();
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await.expect("read the response");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).expect("an ASCII head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a Content-Length");
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.expect("read the body");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    &buf[head_end..head_end + length]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 1s test @ http://127.0.0.1:1/\n  1 threads and 128 connections\n\
            \x20 Thread Stats   Avg      Stdev     Max   +/- Stdev\n\
            \x20   Latency   812.00us  100.00us   2.00ms   90.00%\n\
            \x20 Latency Distribution\n     50%  800.00us\n     75%  850.00us\n\
            \x20    90%  900.00us\n     99%    1.23ms\n\
            \x20 150000 requests in 1.00s, 20.00MB read\nRequests/sec: 149876.54\n\
            Transfer/sec:     20.00MB\n";
        let (rate, p99) = parse_wrk(text).unwrap();
        assert!((rate - 149876.54).abs() < 1e-6);
        assert_eq!(p99, Duration::from_micros(1230));
        assert_eq!(parse_wrk_time("812.00us"), Some(Duration::from_micros(812)));
        assert_eq!(parse_wrk_time("2.00s"), Some(Duration::from_secs(2)));
        let failed = text.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 3\nRequests/sec",
        );
        assert_eq!(parse_wrk(&failed), None);
        assert_eq!(parse_wrk("nothing"), None);
    }

    #[test]
    fn percentiles_pick_by_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&ms, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&ms, 0.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn own_http_client_reads_the_routes_of_tripods_server() {
        let server = tripod_http();
        let (rate, p99) = tokio_runtime().block_on(http_window(
            server.addr(),
            "/bob",
            "Hello, bob",
            Duration::from_millis(50),
        ));
        assert!(rate > 0.0 && p99 > Duration::ZERO);
    }

    #[test]
    fn echo_window_keeps_the_connections_and_counts_round_trips() {
        let server = tokio_echo();
        let runtime = tokio_runtime();
        let conns = runtime.block_on(connect_all(server.addr(), 20));
        let (conns, rate, p99) = runtime.block_on(echo_window(conns, Duration::from_millis(50)));
        assert_eq!(conns.len(), 20);
        assert!(rate > 0.0 && p99 > Duration::ZERO);
        runtime.block_on(close_all(conns));
    }
}
