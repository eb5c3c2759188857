//! The gevent seed's 1000 concurrent clients (003), bounded in time, on tripod's loop: each
//! client sends `hello <count>` and reads the echo back, over and over; then the round trips
//! per second and the latency percentiles.
//!
//! ```python
//! def sock_conn():
//!     client = socket.socket()
//!     client.connect(("localhost", 50007))
//!     count = 0
//!     while True:
//!         client.send(("hello %s" % count).encode("utf-8"))
//!         data = client.recv(1024)
//!         count += 1
//!
//! for i in range(1000):
//!     threading.Thread(target=sock_conn).start()
//! ```
//!
//! ```text
//! cargo run --release --example asyncio_echo_client                       # own server, 1000 clients, 2 s
//! cargo run --release --example asyncio_echo_client -- 127.0.0.1:50007    # against a running server
//! cargo run --release --example asyncio_echo_client -- --clients 200 --secs 5
//! ```
//!
//! Without an address it starts the echo server itself, on an ephemeral port of 127.0.0.1,
//! on a loop running in a thread of its own (the seed's loop in another thread), and stops
//! it gracefully at the end.

#[path = "support/echo.rs"]
mod echo;

use std::net::SocketAddr;
use std::time::Duration;

use tripod::asyncio::{self, EventLoop, net};

struct Args {
    addr: Option<SocketAddr>,
    clients: usize,
    secs: f64,
}

fn args() -> Args {
    let usage = |problem: &str| -> ! {
        eprintln!("error: {problem}\nusage: asyncio_echo_client [ADDR] [--clients N] [--secs S]");
        std::process::exit(2)
    };
    let mut parsed = Args {
        addr: None,
        clients: 1000,
        secs: 2.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs {what}")))
        };
        match arg.as_str() {
            "--clients" => {
                parsed.clients = value("N")
                    .parse()
                    .unwrap_or_else(|_| usage("N is a number"));
            }
            "--secs" => {
                parsed.secs = value("S")
                    .parse()
                    .unwrap_or_else(|_| usage("S is a number"));
            }
            addr if parsed.addr.is_none() && !addr.starts_with('-') => {
                parsed.addr = Some(addr.parse().unwrap_or_else(|_| usage("ADDR is IP:PORT")));
            }
            other => usage(&format!("unexpected argument `{other}`")),
        }
    }
    if parsed.clients == 0 || !(parsed.secs.is_finite() && parsed.secs > 0.0) {
        usage("N and S are above 0");
    }
    parsed
}

fn main() -> std::io::Result<()> {
    let args = args();
    // Our own server, unless given an address: a loop in a thread of its own.
    let server = match args.addr {
        Some(_) => None,
        None => {
            let server_loop = EventLoop::new();
            let listener =
                server_loop.run_until_complete(net::listen(("127.0.0.1", 0), echo::BACKLOG))?;
            let addr = listener.local_addr()?;
            let stop = std::sync::Arc::new(asyncio::Event::new());
            let stopped = std::sync::Arc::clone(&stop);
            let runner = server_loop.clone();
            let thread = std::thread::spawn(move || {
                let stats = runner
                    .run_until_complete(echo::serve(listener, async move { stopped.wait().await }));
                runner.close();
                stats
            });
            Some((addr, stop, thread))
        }
    };
    let addr = args
        .addr
        .or(server.as_ref().map(|s| s.0))
        .expect("an address");
    println!(
        "{} clients -> {addr}, {} s of round trips...",
        args.clients, args.secs
    );
    let report = asyncio::run(echo::load(
        addr,
        args.clients,
        Duration::from_secs_f64(args.secs),
    ))?;
    println!(
        "{} round trips in {:.2} s: {:.0} round trips/s",
        report.round_trips,
        report.elapsed.as_secs_f64(),
        report.rate()
    );
    let us = |p: f64| report.percentile(p).as_secs_f64() * 1e6;
    println!(
        "latency: p50 {:.0} us, p90 {:.0} us, p99 {:.0} us, max {:.0} us",
        us(0.50),
        us(0.90),
        us(0.99),
        us(1.0)
    );
    if let Some((_, stop, thread)) = server {
        stop.set();
        let stats = thread.join().expect("the server thread");
        println!(
            "server: {} connections served, {} with an error",
            stats.connections, stats.errors
        );
    }
    Ok(())
}
