//! [`Client`]: connects to a [`Listener`](super::Listener).

use std::fmt;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::address::Address;
use super::auth;
use super::connection::{Connection, Stream};
use super::error::ConnectionError;
use super::pipe::enlarge_socket_buffers;
use crate::wire;

/// Connects to a [`Listener`](super::Listener): Python's
/// `multiprocessing.connection.Client`.
///
/// [`Client::connect`] covers Python's `Client(address, authkey=...)`;
/// [`Client::builder`] also sets the message size limit and the handshake timeout.
///
/// ```
/// use tripod::multiprocessing::connection::{Client, Listener};
///
/// let listener = Listener::bind("127.0.0.1:0", None)?;
/// let conn = Client::connect(listener.address(), None)?;
/// assert!(conn.readable() && conn.writable());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client {
    _no_instances: (),
}

impl Client {
    /// Connects to `address` and, with a key, runs the handshake (the listener must use
    /// the same key).
    ///
    /// # Errors
    ///
    /// [`AuthenticationFailed`](super::ConnectionErrorKind::AuthenticationFailed) if the
    /// listener does not know the key or refuses ours (or the two sides disagree on using
    /// one, noticed after the handshake timeout); [`Eof`](super::ConnectionErrorKind::Eof)
    /// if it hangs up during the handshake; [`Io`](super::ConnectionErrorKind::Io) if the
    /// connection cannot be made (nobody listening).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Client, ConnectionErrorKind, Listener};
    ///
    /// let listener = Listener::bind("127.0.0.1:0", None)?;
    /// let address = listener.address().clone();
    /// drop(listener);
    /// let err = Client::connect(address, None).unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::Io);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(
        address: impl Into<Address>,
        authkey: Option<&[u8]>,
    ) -> Result<Connection, ConnectionError> {
        let mut builder = Client::builder(address);
        if let Some(key) = authkey {
            builder = builder.authkey(key);
        }
        builder.connect()
    }

    /// A builder for a connection to `address`.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Client, Listener};
    ///
    /// let listener = Listener::bind("127.0.0.1:0", None)?;
    /// let conn = Client::builder(listener.address()).max_message_size(1024).connect()?;
    /// assert_eq!(conn.max_message_size(), 1024);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(address: impl Into<Address>) -> ClientBuilder {
        ClientBuilder {
            address: address.into(),
            authkey: None,
            max_message_size: wire::DEFAULT_MAX_FRAME,
            handshake_timeout: Some(auth::DEFAULT_HANDSHAKE_TIMEOUT),
        }
    }
}

/// Configures a client connection: made by [`Client::builder`], finished by
/// [`connect`](Self::connect).
///
/// ```
/// use std::time::Duration;
/// use tripod::multiprocessing::connection::{Client, Listener};
///
/// let listener = Listener::bind("127.0.0.1:0", Some(b"k"))?;
/// let address = listener.address().clone();
/// let server = std::thread::spawn(move || listener.accept().map(|_| ()));
/// let conn = Client::builder(address)
///     .authkey(b"k")
///     .handshake_timeout(Some(Duration::from_secs(5)))
///     .connect()?;
/// server.join().unwrap()?;
/// assert!(!conn.closed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until .connect() is called"]
pub struct ClientBuilder {
    address: Address,
    authkey: Option<Vec<u8>>,
    max_message_size: usize,
    handshake_timeout: Option<Duration>,
}

impl ClientBuilder {
    /// The shared authentication key. Default: none, no handshake.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Client;
    ///
    /// let builder = Client::builder("127.0.0.1:9").authkey(b"key");
    /// assert!(format!("{builder:?}").contains("authenticated: true"));
    /// ```
    pub fn authkey(mut self, key: &[u8]) -> Self {
        self.authkey = Some(key.to_vec());
        self
    }

    /// The largest message the connection accepts (default 1 GiB); see
    /// [`Connection::set_max_message_size`].
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Client;
    ///
    /// let builder = Client::builder("127.0.0.1:9").max_message_size(64);
    /// assert!(format!("{builder:?}").contains("64"));
    /// ```
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// How long to wait for each of the listener's handshake messages (default 20 s;
    /// `None`: no limit, as Python).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Client;
    ///
    /// let builder = Client::builder("127.0.0.1:9").handshake_timeout(None);
    /// assert!(format!("{builder:?}").contains("None"));
    /// ```
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Connects, and runs the handshake if a key was set.
    ///
    /// # Errors
    ///
    /// As [`Client::connect`].
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{Client, Listener};
    ///
    /// let listener = Listener::bind("127.0.0.1:0", None)?;
    /// assert!(Client::builder(listener.address()).connect().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(self) -> Result<Connection, ConnectionError> {
        let stream = match &self.address {
            Address::Tcp(addr) => {
                let stream = TcpStream::connect(addr).map_err(ConnectionError::io)?;
                let _ = stream.set_nodelay(true);
                Stream::Tcp(stream)
            }
            Address::Unix(path) => {
                Stream::Unix(UnixStream::connect(path).map_err(ConnectionError::io)?)
            }
        };
        enlarge_socket_buffers(stream.fd());
        let conn = Connection::new(stream);
        if let Some(key) = &self.authkey {
            auth::client_handshake(&conn, key, self.handshake_timeout)?;
        }
        Ok(conn.with_max_message_size(self.max_message_size))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("address", &self.address)
            .field("authenticated", &self.authkey.is_some())
            .field("max_message_size", &self.max_message_size)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}
