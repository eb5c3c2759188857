//! The echo server of the gevent seed (003), on tripod's loop: one task per client.
//!
//! ```python
//! def server(port):
//!     s = socket.socket()
//!     s.bind(('0.0.0.0', port))
//!     s.listen(500)
//!     while True:
//!         cli, addr = s.accept()
//!         gevent.spawn(handle_request, cli)
//!
//! def handle_request(conn):
//!     try:
//!         while True:
//!             data = conn.recv(1024)
//!             conn.send(data)
//!             if not data:
//!                 conn.shutdown(socket.SHUT_WR)
//!     finally:
//!         conn.close()
//!
//! server(50007)
//! ```
//!
//! ```text
//! cargo run --release --example asyncio_echo_server                    # port 50007, until Ctrl-C
//! cargo run --release --example asyncio_echo_server -- 6000 --serve-for 10
//! TRIPOD_ECHO_PORT=6000 cargo run --release --example asyncio_echo_server
//! ```
//!
//! The port is the first argument, else `$TRIPOD_ECHO_PORT`, else 50007 (0: any free
//! port). The listen backlog is 4096 (the kernel caps it at `net.core.somaxconn`), so a
//! thousand clients connecting at once are not refused. Ctrl-C, or the end of
//! `--serve-for SECS`, stops it gracefully: it stops accepting, each connection finishes
//! its current echo and is closed, and the server waits for them. Load it with
//! `cargo run --release --example asyncio_echo_client -- 127.0.0.1:50007`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/echo.rs"]
mod echo;

use tripod::asyncio::{self, net};

fn main() {
    let args = cli::server_args("TRIPOD_ECHO_PORT", echo::DEFAULT_PORT);
    let result = asyncio::run(async {
        let listener = net::listen(("0.0.0.0", args.port), echo::BACKLOG).await?;
        println!(
            "echo server on {} (backlog {}); Ctrl-C stops it",
            listener.local_addr()?,
            echo::BACKLOG
        );
        let stats = echo::serve(listener, cli::stop_signal(args.serve_for)).await;
        std::io::Result::Ok(stats)
    });
    match result {
        Ok(stats) => println!(
            "stopped: {} connections served, {} ended with an error",
            stats.connections, stats.errors
        ),
        Err(e) => {
            eprintln!("error: cannot listen on port {}: {e}", args.port);
            std::process::exit(1);
        }
    }
}
