//! [`WireError`]: what went wrong encoding, decoding or framing a message.

use std::fmt;
use std::io;

/// What kind of [`WireError`] happened.
///
/// ```
/// use tripod::wire::WireErrorKind;
///
/// assert_ne!(WireErrorKind::Decode, WireErrorKind::Encode);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireErrorKind {
    /// A value could not be serialized.
    Encode,
    /// Bytes could not be deserialized into the expected type (wrong type, truncated or
    /// corrupt data).
    Decode,
    /// The bytes were written by another version of tripod's wire format.
    Version,
    /// A frame announced more bytes than the receiver accepts.
    TooLarge,
    /// The peer closed the stream in the middle of a frame.
    Truncated,
    /// The peer closed the stream between frames: the normal end of a conversation.
    Eof,
    /// The operating system reported an error while reading or writing.
    Io,
    /// A file descriptor could not travel with a value (for example a connection sent
    /// somewhere that cannot carry descriptors).
    Fd,
}

/// An error of tripod's wire layer: encoding, decoding, framing or I/O.
///
/// ```
/// use tripod::wire::{WireError, WireErrorKind};
///
/// let err = WireError::decode("expected a u32");
/// assert_eq!(err.kind(), WireErrorKind::Decode);
/// assert_eq!(err.to_string(), "cannot decode the message: expected a u32");
/// ```
pub struct WireError {
    kind: WireErrorKind,
    detail: String,
    source: Option<io::Error>,
}

impl WireError {
    pub(crate) fn new(kind: WireErrorKind, detail: impl Into<String>) -> Self {
        WireError {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    /// A decoding error with a description, for code that decodes by hand.
    ///
    /// ```
    /// use tripod::wire::{WireError, WireErrorKind};
    ///
    /// assert_eq!(WireError::decode("bad tag").kind(), WireErrorKind::Decode);
    /// ```
    pub fn decode(detail: impl Into<String>) -> Self {
        WireError::new(WireErrorKind::Decode, detail)
    }

    /// Wraps an I/O error; an unexpected end of file becomes [`WireErrorKind::Truncated`].
    ///
    /// ```
    /// use std::io;
    /// use tripod::wire::{WireError, WireErrorKind};
    ///
    /// let err = WireError::io(io::Error::from(io::ErrorKind::BrokenPipe));
    /// assert_eq!(err.kind(), WireErrorKind::Io);
    /// ```
    pub fn io(err: io::Error) -> Self {
        let kind = if err.kind() == io::ErrorKind::UnexpectedEof {
            WireErrorKind::Truncated
        } else {
            WireErrorKind::Io
        };
        WireError {
            kind,
            detail: err.to_string(),
            source: Some(err),
        }
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::wire::{WireError, WireErrorKind};
    ///
    /// assert_eq!(WireError::decode("x").kind(), WireErrorKind::Decode);
    /// ```
    pub fn kind(&self) -> WireErrorKind {
        self.kind
    }

    /// Whether the peer closed the stream cleanly between messages.
    ///
    /// ```
    /// use tripod::wire::WireError;
    ///
    /// assert!(!WireError::decode("x").is_eof());
    /// ```
    pub fn is_eof(&self) -> bool {
        self.kind == WireErrorKind::Eof
    }
}

impl fmt::Debug for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireError")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .finish()
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            WireErrorKind::Encode => "cannot encode the message",
            WireErrorKind::Decode => "cannot decode the message",
            WireErrorKind::Version => "the message uses another wire format version",
            WireErrorKind::TooLarge => "the message is larger than the receiver accepts",
            WireErrorKind::Truncated => "the peer closed the stream in the middle of a message",
            WireErrorKind::Eof => "the peer closed the stream",
            WireErrorKind::Io => "I/O error",
            WireErrorKind::Fd => "cannot pass a file descriptor",
        };
        if self.detail.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

impl std::error::Error for WireError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
