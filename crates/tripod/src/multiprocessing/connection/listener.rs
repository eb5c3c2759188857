//! [`Listener`]: accepts authenticated connections on a TCP address or a Unix socket path.

use std::fmt;
use std::io;
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::time::Duration;

use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

use super::address::Address;
use super::auth;
use super::connection::{Connection, Stream};
use super::error::ConnectionError;
use super::pipe::enlarge_socket_buffers;
use crate::wire;

/// A server socket that accepts [`Connection`]s: Python's
/// `multiprocessing.connection.Listener`.
///
/// With an authentication key, [`accept`](Self::accept) runs the HMAC challenge-response
/// handshake in both directions before returning a connection; a client with a wrong key
/// (or one that does not follow the protocol) makes that `accept` return an error of kind
/// [`AuthenticationFailed`](super::ConnectionErrorKind::AuthenticationFailed), nothing it
/// sent is processed, and the listener keeps accepting others. Without a key (on both
/// sides) there is no handshake, as in Python.
///
/// Dropping a listener on a Unix socket path removes the socket file.
///
/// ```
/// use tripod::multiprocessing::connection::{Client, Listener};
///
/// let listener = Listener::bind("127.0.0.1:0", None)?;
/// let client = Client::connect(listener.address(), None)?;
/// let server_side = listener.accept()?;
/// client.send(&[1u8, 2, 3])?;
/// assert_eq!(server_side.recv::<[u8; 3]>()?, [1, 2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Listener {
    socket: Socket,
    address: Address,
    authkey: Option<Vec<u8>>,
    max_message_size: usize,
    handshake_timeout: Option<Duration>,
}

enum Socket {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    /// Listens on `address` (Python's `Listener(address, authkey=authkey)`), with the
    /// defaults of [`builder`](Self::builder).
    ///
    /// # Errors
    ///
    /// The operating system's error if the address cannot be bound (in use, no
    /// permission, a Unix socket file that already exists).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Address, Listener};
    ///
    /// let listener = Listener::bind("127.0.0.1:0", Some(b"key"))?;
    /// let Address::Tcp(addr) = listener.address() else { unreachable!() };
    /// assert_ne!(addr.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(address: impl Into<Address>, authkey: Option<&[u8]>) -> io::Result<Listener> {
        let mut builder = Listener::builder(address);
        if let Some(key) = authkey {
            builder = builder.authkey(key);
        }
        builder.bind()
    }

    /// A builder for a listener on `address`, to set the key, the backlog, the message
    /// size limit and the handshake timeout.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Client, Listener};
    ///
    /// let listener = Listener::builder("127.0.0.1:0")
    ///     .authkey(b"key")
    ///     .backlog(16)
    ///     .max_message_size(1 << 20)
    ///     .bind()?;
    /// let address = listener.address().clone();
    /// let client = std::thread::spawn(move || Client::connect(address, Some(b"key")));
    /// let server_side = listener.accept()?;
    /// assert_eq!(server_side.max_message_size(), 1 << 20);
    /// assert!(client.join().unwrap().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(address: impl Into<Address>) -> ListenerBuilder {
        ListenerBuilder {
            address: address.into(),
            authkey: None,
            backlog: 128,
            max_message_size: wire::DEFAULT_MAX_FRAME,
            handshake_timeout: Some(auth::DEFAULT_HANDSHAKE_TIMEOUT),
        }
    }

    /// Waits for a client, runs the handshake if the listener has a key, and returns the
    /// connection (Python's `accept()`).
    ///
    /// # Errors
    ///
    /// [`AuthenticationFailed`](super::ConnectionErrorKind::AuthenticationFailed) if the
    /// client does not prove it knows the key (or sends anything but the handshake, or
    /// stays silent longer than the handshake timeout);
    /// [`Eof`](super::ConnectionErrorKind::Eof) if it hangs up during the handshake;
    /// [`Io`](super::ConnectionErrorKind::Io) if accepting fails. The connection is closed
    /// and the listener can accept the next client.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Client, ConnectionErrorKind, Listener};
    ///
    /// let listener = Listener::bind("127.0.0.1:0", Some(b"right"))?;
    /// let address = listener.address().clone();
    /// let client = std::thread::spawn(move || Client::connect(address, Some(b"wrong")));
    /// let err = listener.accept().unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::AuthenticationFailed);
    /// let err = client.join().unwrap().unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::AuthenticationFailed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept(&self) -> Result<Connection, ConnectionError> {
        let stream = match &self.socket {
            Socket::Tcp(listener) => {
                let (stream, _) = listener.accept().map_err(ConnectionError::io)?;
                let _ = stream.set_nodelay(true);
                Stream::Tcp(stream)
            }
            Socket::Unix(listener) => {
                let (stream, _) = listener.accept().map_err(ConnectionError::io)?;
                Stream::Unix(stream)
            }
        };
        enlarge_socket_buffers(stream.fd());
        let conn = Connection::new(stream);
        if let Some(key) = &self.authkey {
            auth::server_handshake(&conn, key, self.handshake_timeout)?;
        }
        Ok(conn.with_max_message_size(self.max_message_size))
    }

    /// The address the listener is bound to (Python's `address`); for a TCP address with
    /// port 0, the port the system chose.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Address, Listener};
    ///
    /// let dir = std::env::temp_dir().join(format!("tripod-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("listener.sock");
    /// let listener = Listener::bind(path.as_path(), None)?;
    /// assert_eq!(listener.address(), &Address::Unix(path.clone()));
    /// assert!(path.exists());
    /// drop(listener);
    /// assert!(!path.exists(), "the socket file is removed");
    /// # std::fs::remove_dir(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn address(&self) -> &Address {
        &self.address
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Address::Unix(path) = &self.address {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("address", &self.address)
            .field("authenticated", &self.authkey.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Listener`]: made by [`Listener::builder`], finished by
/// [`bind`](Self::bind).
///
/// ```
/// use tripod::multiprocessing::connection::Listener;
///
/// let listener = Listener::builder("127.0.0.1:0").backlog(1).bind()?;
/// assert!(listener.address().to_string().starts_with("127.0.0.1:"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until .bind() is called"]
pub struct ListenerBuilder {
    address: Address,
    authkey: Option<Vec<u8>>,
    backlog: i32,
    max_message_size: usize,
    handshake_timeout: Option<Duration>,
}

impl ListenerBuilder {
    /// The shared authentication key: clients must prove they know it (and the listener
    /// proves it to them) before any message is exchanged. Default: none, no handshake.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Listener;
    ///
    /// let listener = Listener::builder("127.0.0.1:0").authkey(b"key").bind()?;
    /// assert!(format!("{listener:?}").contains("authenticated: true"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn authkey(mut self, key: &[u8]) -> Self {
        self.authkey = Some(key.to_vec());
        self
    }

    /// How many connections may wait to be accepted. Default 128 (Python's default of 1
    /// makes a third simultaneous TCP client wait for a retransmission).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Listener;
    ///
    /// assert!(Listener::builder("127.0.0.1:0").backlog(1).bind().is_ok());
    /// ```
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self
    }

    /// The largest message the accepted connections accept (default 1 GiB); see
    /// [`Connection::set_max_message_size`].
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Listener;
    ///
    /// assert!(Listener::builder("127.0.0.1:0").max_message_size(4096).bind().is_ok());
    /// ```
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// How long [`Listener::accept`] waits for a client's handshake messages before it
    /// gives up on that client (default 20 s; `None`: no limit, as Python).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::connection::Listener;
    ///
    /// let builder = Listener::builder("127.0.0.1:0").handshake_timeout(Some(Duration::from_secs(5)));
    /// assert!(builder.bind().is_ok());
    /// ```
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Binds the address and starts listening.
    ///
    /// # Errors
    ///
    /// The operating system's error if the address cannot be bound (in use, no
    /// permission, a Unix socket file that already exists).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Listener;
    ///
    /// let first = Listener::builder("127.0.0.1:0").bind()?;
    /// assert!(Listener::builder(first.address()).bind().is_err(), "address in use");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(self) -> io::Result<Listener> {
        let (socket, address) = match &self.address {
            Address::Tcp(addr) => {
                let family = if addr.is_ipv4() {
                    AddressFamily::INET
                } else {
                    AddressFamily::INET6
                };
                let fd = new_socket(family)?;
                rustix::net::sockopt::set_socket_reuseaddr(&fd, true)?;
                rustix::net::bind(&fd, addr)?;
                rustix::net::listen(&fd, self.backlog)?;
                let listener = TcpListener::from(fd);
                let bound = listener.local_addr()?;
                (Socket::Tcp(listener), Address::Tcp(bound))
            }
            Address::Unix(path) => {
                let fd = new_socket(AddressFamily::UNIX)?;
                rustix::net::bind(&fd, &SocketAddrUnix::new(path.as_path())?)?;
                rustix::net::listen(&fd, self.backlog)?;
                (
                    Socket::Unix(UnixListener::from(fd)),
                    Address::Unix(path.clone()),
                )
            }
        };
        Ok(Listener {
            socket,
            address,
            authkey: self.authkey,
            max_message_size: self.max_message_size,
            handshake_timeout: self.handshake_timeout,
        })
    }
}

impl fmt::Debug for ListenerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenerBuilder")
            .field("address", &self.address)
            .field("authenticated", &self.authkey.is_some())
            .field("backlog", &self.backlog)
            .field("max_message_size", &self.max_message_size)
            .finish_non_exhaustive()
    }
}

fn new_socket(family: AddressFamily) -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(
        family,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?)
}
