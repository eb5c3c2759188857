//! TCP on the event loop: servers and clients, for Python's asyncio streams and gevent's
//! `StreamServer`.
//!
//! The loop of [`run`](super::run) and [`EventLoop`](super::EventLoop) drives tokio's
//! sockets, so tokio's [`TcpListener`], [`TcpStream`] and [`TcpSocket`] work on it as
//! they are, re-exported here with the read/write extension traits ([`AsyncReadExt`],
//! [`AsyncWriteExt`]); [`listen`] binds a listener with the backlog a busy server needs.
//! Each connection is usually a task of its own ([`create_task`](super::create_task)), as
//! gevent spawns a greenlet and `asyncio.start_server` a coroutine per client.
//!
//! | Python | tripod |
//! |---|---|
//! | `socket.create_server(addr, backlog=n)`, `asyncio.start_server(cb, host, port, backlog=n)` | [`listen(addr, n)`](listen) → [`TcpListener`], then [`TcpListener::accept`] in a loop |
//! | `reader, writer = await asyncio.open_connection(host, port)` | [`TcpStream::connect`] (a [`TcpStream`] reads and writes; [`TcpStream::split`] or [`TcpStream::into_split`] give the two halves) |
//! | `await reader.read(n)`, `await reader.readexactly(n)` | [`AsyncReadExt::read`], [`AsyncReadExt::read_exact`] |
//! | `writer.write(data); await writer.drain()` | [`AsyncWriteExt::write_all`] |
//! | `writer.close()` (after `write_eof()`) | [`AsyncWriteExt::shutdown`], then drop the stream |
//!
//! ```
//! use tripod::asyncio::{self, net};
//! use tripod::asyncio::net::{AsyncReadExt, AsyncWriteExt};
//!
//! let echoed = asyncio::run(async {
//!     let listener = net::listen(("127.0.0.1", 0), 1024).await?;
//!     let addr = listener.local_addr()?;
//!     let server = asyncio::create_task(async move {
//!         let (mut conn, _) = listener.accept().await?;
//!         let mut buf = [0u8; 1024];
//!         loop {
//!             let n = conn.read(&mut buf).await?;
//!             if n == 0 {
//!                 return conn.shutdown().await; // the client closed: close our side too
//!             }
//!             conn.write_all(&buf[..n]).await?;
//!         }
//!     });
//!     let mut client = net::TcpStream::connect(addr).await?;
//!     client.write_all(b"hello 0").await?;
//!     let mut reply = [0u8; 7];
//!     client.read_exact(&mut reply).await?;
//!     client.shutdown().await?;
//!     server.await.expect("the server task ran")?;
//!     std::io::Result::Ok(reply)
//! })
//! .unwrap();
//! assert_eq!(&echoed, b"hello 0");
//! ```
#![forbid(unsafe_code)]

use std::io;

pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub use tokio::net::{TcpListener, TcpSocket, TcpStream, ToSocketAddrs};

/// Binds a TCP listener on `addr` (the first of its addresses that binds), with room for
/// `backlog` connections waiting to be accepted: Python's
/// `socket.create_server(addr, backlog=backlog)`, or the socket that
/// `asyncio.start_server(..., backlog=backlog)` listens on.
///
/// `SO_REUSEADDR` is set on Unix (as Python's servers and tokio's
/// [`TcpListener::bind`] do), so a restarted server can bind the port of one that just
/// stopped. The kernel caps `backlog` (on Linux, at `net.core.somaxconn`, 4096 by default).
/// Call it on a running loop (inside [`run`](super::run) or a task): the listener
/// registers with the loop that creates it.
///
/// # Errors
///
/// The error of the last address that failed to bind or listen (address in use,
/// permission denied, ...), or of resolving `addr`; [`io::ErrorKind::InvalidInput`] if
/// `addr` resolves to no address.
///
/// ```
/// use tripod::asyncio::{self, net};
///
/// asyncio::run(async {
///     let listener = net::listen("127.0.0.1:0", 2048).await.unwrap();
///     assert!(listener.local_addr().unwrap().port() != 0);
///     // the port is taken now, without SO_REUSEPORT a second listener fails to bind
///     let taken = listener.local_addr().unwrap();
///     assert!(net::listen(taken, 16).await.is_err());
/// });
/// ```
pub async fn listen(addr: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let bound = (|| {
            let socket = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            #[cfg(unix)]
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(backlog)
        })();
        match bound {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to no socket address",
        )
    }))
}
