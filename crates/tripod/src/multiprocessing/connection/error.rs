//! [`ConnectionError`]: what went wrong sending, receiving, connecting or authenticating.

use std::fmt;
use std::io;

use crate::wire::{WireError, WireErrorKind};

/// What kind of [`ConnectionError`] happened.
///
/// ```
/// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
///
/// let (a, b) = Pipe(true);
/// drop(b);
/// assert_eq!(a.recv_bytes().unwrap_err().kind(), ConnectionErrorKind::Eof);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionErrorKind {
    /// The peer closed its end (or died) between messages: nothing more will arrive, or
    /// nobody is left to read what is sent.
    Eof,
    /// The peer closed its end (or died) in the middle of a message.
    Truncated,
    /// This end was closed with [`Connection::close`](super::Connection::close).
    Closed,
    /// An earlier error (an oversized or truncated message) left the byte stream out of
    /// step; the connection cannot be used any more.
    Broken,
    /// A send on the receive-only end of a one-way [`pipe`](super::pipe).
    NotWritable,
    /// A receive on the send-only end of a one-way [`pipe`](super::pipe).
    NotReadable,
    /// A message announced more bytes than this connection accepts
    /// (see [`Connection::set_max_message_size`](super::Connection::set_max_message_size)).
    TooLarge,
    /// The bytes received do not decode into the requested type (another type was sent, or
    /// another version of tripod sent it).
    Decode,
    /// The value could not be encoded (for example a value holding an OS handle sent where
    /// handles cannot travel).
    Encode,
    /// The handshake of a [`Listener`](super::Listener) / [`Client`](super::Client) failed:
    /// the peer does not know the authentication key, or did not follow the protocol.
    AuthenticationFailed,
    /// A receive or [`poll`](super::Connection::poll_timeout) with a time limit found no
    /// message in time; the connection stays usable (what part of a message arrived stays
    /// buffered for the next receive).
    Timeout,
    /// The operating system reported an error.
    Io,
}

/// An error of a [`Connection`](super::Connection), [`Listener`](super::Listener) or
/// [`Client`](super::Client): an opaque struct with a [`kind`](Self::kind), a message and,
/// where there is one, the underlying error as its [`source`](std::error::Error::source).
///
/// It converts into [`io::Error`] so that `?` works in functions returning `io::Result`.
///
/// ```
/// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
///
/// let (a, b) = Pipe(true);
/// a.send(&"not a number").unwrap();
/// let err = b.recv::<u64>().unwrap_err();
/// assert_eq!(err.kind(), ConnectionErrorKind::Decode);
/// let io_err: std::io::Error = err.into();
/// assert_eq!(io_err.kind(), std::io::ErrorKind::InvalidData);
/// ```
pub struct ConnectionError {
    kind: ConnectionErrorKind,
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ConnectionError {
    pub(crate) fn new(kind: ConnectionErrorKind, detail: impl Into<String>) -> Self {
        ConnectionError {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn io(err: io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => ConnectionErrorKind::Eof,
            io::ErrorKind::UnexpectedEof => ConnectionErrorKind::Truncated,
            io::ErrorKind::TimedOut => ConnectionErrorKind::Timeout,
            _ => ConnectionErrorKind::Io,
        };
        ConnectionError {
            kind,
            detail: err.to_string(),
            source: Some(Box::new(err)),
        }
    }

    pub(crate) fn timeout(detail: impl Into<String>) -> Self {
        ConnectionError::new(ConnectionErrorKind::Timeout, detail)
    }

    pub(crate) fn auth(detail: impl Into<String>) -> Self {
        ConnectionError::new(ConnectionErrorKind::AuthenticationFailed, detail)
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (reader, writer) = Pipe(false);
    /// assert_eq!(reader.send(&1).unwrap_err().kind(), ConnectionErrorKind::NotWritable);
    /// assert_eq!(writer.recv::<i32>().unwrap_err().kind(), ConnectionErrorKind::NotReadable);
    /// ```
    pub fn kind(&self) -> ConnectionErrorKind {
        self.kind
    }

    /// Whether the peer is gone: [`Eof`](ConnectionErrorKind::Eof) or
    /// [`Truncated`](ConnectionErrorKind::Truncated).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// drop(a);
    /// assert!(b.recv::<String>().unwrap_err().is_eof());
    /// ```
    pub fn is_eof(&self) -> bool {
        matches!(
            self.kind,
            ConnectionErrorKind::Eof | ConnectionErrorKind::Truncated
        )
    }

    /// Whether the error leaves the byte stream out of step (the rest of a message may
    /// still be in flight), so the connection must not be read again.
    pub(crate) fn breaks_stream(&self) -> bool {
        matches!(
            self.kind,
            ConnectionErrorKind::TooLarge
                | ConnectionErrorKind::Truncated
                | ConnectionErrorKind::Io
        )
    }
}

impl From<WireError> for ConnectionError {
    fn from(err: WireError) -> Self {
        let kind = match err.kind() {
            WireErrorKind::Eof => ConnectionErrorKind::Eof,
            WireErrorKind::Truncated => ConnectionErrorKind::Truncated,
            WireErrorKind::TooLarge => ConnectionErrorKind::TooLarge,
            WireErrorKind::Decode | WireErrorKind::Version => ConnectionErrorKind::Decode,
            WireErrorKind::Encode | WireErrorKind::Fd => ConnectionErrorKind::Encode,
            WireErrorKind::Io => {
                // An I/O error in the wire layer keeps its own classification (a broken pipe
                // is the peer going away).
                let io_kind = std::error::Error::source(&err)
                    .and_then(|s| s.downcast_ref::<io::Error>())
                    .map(io::Error::kind);
                match io_kind {
                    Some(io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) => {
                        ConnectionErrorKind::Eof
                    }
                    _ => ConnectionErrorKind::Io,
                }
            }
        };
        ConnectionError {
            kind,
            detail: String::new(),
            source: Some(Box::new(err)),
        }
    }
}

impl From<ConnectionError> for io::Error {
    fn from(err: ConnectionError) -> Self {
        let kind = match err.kind {
            ConnectionErrorKind::Eof | ConnectionErrorKind::Truncated => {
                io::ErrorKind::UnexpectedEof
            }
            ConnectionErrorKind::Closed | ConnectionErrorKind::Broken => {
                io::ErrorKind::NotConnected
            }
            ConnectionErrorKind::NotWritable | ConnectionErrorKind::NotReadable => {
                io::ErrorKind::Unsupported
            }
            ConnectionErrorKind::TooLarge
            | ConnectionErrorKind::Decode
            | ConnectionErrorKind::Encode => io::ErrorKind::InvalidData,
            ConnectionErrorKind::AuthenticationFailed => io::ErrorKind::PermissionDenied,
            ConnectionErrorKind::Timeout => io::ErrorKind::TimedOut,
            ConnectionErrorKind::Io => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

impl fmt::Debug for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionError")
            .field("kind", &self.kind)
            .field("message", &self.to_string())
            .finish()
    }
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ConnectionErrorKind::Eof => "the peer closed the connection",
            ConnectionErrorKind::Truncated => {
                "the peer closed the connection in the middle of a message"
            }
            ConnectionErrorKind::Closed => "the connection is closed",
            ConnectionErrorKind::Broken => {
                "the connection is broken by an earlier error and cannot be used"
            }
            ConnectionErrorKind::NotWritable => "the connection is read-only",
            ConnectionErrorKind::NotReadable => "the connection is write-only",
            ConnectionErrorKind::TooLarge => "the message is larger than this connection accepts",
            ConnectionErrorKind::Decode => "cannot decode the message",
            ConnectionErrorKind::Encode => "cannot encode the message",
            ConnectionErrorKind::AuthenticationFailed => "authentication failed",
            ConnectionErrorKind::Timeout => "timed out",
            ConnectionErrorKind::Io => "I/O error",
        };
        match &self.source {
            // An error of the wire layer already says what happened, in the same words.
            Some(source) if self.detail.is_empty() => source.fmt(f),
            _ if self.detail.is_empty() => f.write_str(what),
            _ => write!(f, "{what}: {}", self.detail),
        }
    }
}

impl std::error::Error for ConnectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
