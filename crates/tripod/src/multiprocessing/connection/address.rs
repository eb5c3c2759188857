//! [`Address`]: where a [`Listener`](super::Listener) listens and a
//! [`Client`](super::Client) connects.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// A TCP address or a Unix socket path: Python's `family` (`'AF_INET'` / `'AF_UNIX'`),
/// chosen by the variant.
///
/// From a string: one containing `/` is a Unix socket path; otherwise `host:port`
/// (`"127.0.0.1:6000"`, `"[::1]:6000"`, `"localhost:6000"`, resolved to its first
/// address); a string that is neither is taken as a relative Unix socket path, as Python
/// takes string addresses.
///
/// ```
/// use std::path::PathBuf;
/// use tripod::multiprocessing::connection::Address;
///
/// assert_eq!(Address::from("127.0.0.1:6000"), Address::Tcp("127.0.0.1:6000".parse().unwrap()));
/// assert_eq!(Address::from("/tmp/app.sock"), Address::Unix(PathBuf::from("/tmp/app.sock")));
/// assert_eq!(Address::from("app.sock"), Address::Unix(PathBuf::from("app.sock")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// A TCP address (Python's `'AF_INET'` family, a `(host, port)` tuple).
    Tcp(SocketAddr),
    /// A Unix domain socket path (Python's `'AF_UNIX'` family, a string).
    Unix(PathBuf),
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Self {
        Address::Tcp(addr)
    }
}

impl From<PathBuf> for Address {
    fn from(path: PathBuf) -> Self {
        Address::Unix(path)
    }
}

impl From<&Path> for Address {
    fn from(path: &Path) -> Self {
        Address::Unix(path.to_owned())
    }
}

impl From<&str> for Address {
    fn from(s: &str) -> Self {
        if !s.contains('/') {
            if let Ok(addr) = s.parse::<SocketAddr>() {
                return Address::Tcp(addr);
            }
            if let Some(addr) = s
                .contains(':')
                .then(|| s.to_socket_addrs().ok()?.next())
                .flatten()
            {
                return Address::Tcp(addr);
            }
        }
        Address::Unix(PathBuf::from(s))
    }
}

impl From<String> for Address {
    fn from(s: String) -> Self {
        Address::from(s.as_str())
    }
}

impl From<&Address> for Address {
    fn from(addr: &Address) -> Self {
        addr.clone()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(addr) => addr.fmt(f),
            Address::Unix(path) => path.display().fmt(f),
        }
    }
}
