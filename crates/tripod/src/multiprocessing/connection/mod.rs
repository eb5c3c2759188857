//! `multiprocessing.connection`: message connections between threads and processes.
//!
//! A [`Connection`] sends and receives whole messages: typed values
//! ([`send`](Connection::send) / [`recv`](Connection::recv), encoded with tripod's one wire
//! codec, serde-based) or raw bytes ([`send_bytes`](Connection::send_bytes) /
//! [`recv_bytes`](Connection::recv_bytes)). Get connections from
//!
//! - [`Pipe`] (Python's name) / [`pipe`]: a connected pair in this process, one end of which
//!   usually goes to a child process as an argument;
//! - [`Listener`] and [`Client`]: over TCP or a Unix socket, between unrelated processes,
//!   authenticated with a shared key (HMAC-SHA256 challenge-response in both directions).
//!
//! When the peer goes away, a receive returns an error whose
//! [`kind`](ConnectionError::kind) is [`ConnectionErrorKind::Eof`], it never blocks
//! forever; a message over the receiver's size limit is refused before it is allocated.
//!
//! | Python | tripod |
//! |---|---|
//! | `a, b = Pipe()` | `let (a, b) = Pipe(true);` |
//! | `a.send(obj)` / `b.recv()` | `a.send(&value)?` / `b.recv::<T>()?` |
//! | `a.send_bytes(buf)` / `b.recv_bytes()` | `a.send_bytes(&buf)?` / `b.recv_bytes()?` |
//! | `b.poll(0.5)` / `b.poll(None)` | `b.poll(Some(Duration::from_millis(500)))?` / `b.poll(None)?` |
//! | `EOFError` | `Err(e)` with `e.kind() == ConnectionErrorKind::Eof` |
//! | `Listener(address, authkey=k)` | `Listener::bind(address, Some(k))?` |
//! | `Client(address, authkey=k)` | `Client::connect(address, Some(k))?` |
//! | `AuthenticationError` | `ConnectionErrorKind::AuthenticationFailed` |
//!
//! # Example
//!
//! A server thread and a client, authenticated with a key:
//!
//! ```
//! use tripod::multiprocessing::connection::{Client, Listener};
//!
//! let listener = Listener::bind("127.0.0.1:0", Some(b"secret password"))?;
//! let address = listener.address().clone();
//! let server = std::thread::spawn(move || -> std::io::Result<()> {
//!     let conn = listener.accept()?;
//!     while let Ok(word) = conn.recv::<String>() {
//!         conn.send(&word.to_uppercase())?;
//!     }
//!     Ok(())
//! });
//!
//! let conn = Client::connect(address, Some(b"secret password"))?;
//! conn.send(&"hello")?;
//! assert_eq!(conn.recv::<String>()?, "HELLO");
//! drop(conn); // the server's recv returns Eof, its loop ends
//! server.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod address;
mod auth;
mod client;
#[allow(clippy::module_inception)]
mod connection;
mod error;
mod inbox;
mod listener;
mod pipe;
mod stream;

pub use address::Address;
pub use client::{Client, ClientBuilder};
pub use connection::Connection;
pub use error::{ConnectionError, ConnectionErrorKind};
pub use listener::{Listener, ListenerBuilder};
pub use pipe::{Pipe, pipe};
