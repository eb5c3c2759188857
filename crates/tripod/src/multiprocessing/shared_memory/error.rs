//! [`SharedMemoryError`]: what went wrong creating, attaching, reading or writing shared
//! memory.

use std::fmt;
use std::io;

/// What kind of [`SharedMemoryError`] happened.
///
/// ```
/// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
///
/// let err = SharedMemory::create(0).unwrap_err();
/// assert_eq!(err.kind(), SharedMemoryErrorKind::InvalidSize);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SharedMemoryErrorKind {
    /// [`create`](super::SharedMemory::create) was asked for zero bytes, or for more than
    /// the address space holds (Python's `ValueError`).
    InvalidSize,
    /// No shared memory goes by that name: the name is malformed, its creator has exited
    /// or unlinked it, or it belongs to another block (Python's `FileNotFoundError`).
    NotFound,
    /// The block was [`unlink`](super::SharedMemory::unlink)ed: its name no longer
    /// attaches (also Python's `FileNotFoundError`).
    Unlinked,
    /// A read or write past the end of the block.
    OutOfRange,
    /// The creator of the name is a process whose descriptors this one may not open
    /// (another user, or a process that made itself non-dumpable).
    PermissionDenied,
    /// The operating system refused something else (out of memory, too many open files).
    Io,
}

/// An error of [`SharedMemory`](super::SharedMemory): an opaque struct with a
/// [`kind`](Self::kind) and a message saying what happened; it converts into
/// [`io::Error`] so that `?` works in functions returning `io::Result`.
///
/// ```
/// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
///
/// let err = SharedMemory::attach("no-such-block").unwrap_err();
/// assert_eq!(err.kind(), SharedMemoryErrorKind::NotFound);
/// let io_err: std::io::Error = err.into();
/// assert_eq!(io_err.kind(), std::io::ErrorKind::NotFound);
/// ```
pub struct SharedMemoryError {
    kind: SharedMemoryErrorKind,
    detail: String,
    source: Option<io::Error>,
}

impl SharedMemoryError {
    pub(crate) fn new(kind: SharedMemoryErrorKind, detail: impl Into<String>) -> Self {
        SharedMemoryError {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    /// An operating-system error while doing `what`.
    pub(crate) fn io(what: impl fmt::Display, err: io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::PermissionDenied => SharedMemoryErrorKind::PermissionDenied,
            io::ErrorKind::NotFound => SharedMemoryErrorKind::NotFound,
            _ => SharedMemoryErrorKind::Io,
        };
        SharedMemoryError {
            kind,
            detail: format!("{what}: {err}"),
            source: Some(err),
        }
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
    ///
    /// let shm = SharedMemory::create(4).unwrap();
    /// let err = shm.write(2, b"abc").unwrap_err();
    /// assert_eq!(err.kind(), SharedMemoryErrorKind::OutOfRange);
    /// ```
    pub fn kind(&self) -> SharedMemoryErrorKind {
        self.kind
    }
}

impl fmt::Display for SharedMemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl fmt::Debug for SharedMemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemoryError")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .finish()
    }
}

impl std::error::Error for SharedMemoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<SharedMemoryError> for io::Error {
    fn from(err: SharedMemoryError) -> Self {
        let kind = match err.kind {
            SharedMemoryErrorKind::InvalidSize | SharedMemoryErrorKind::OutOfRange => {
                io::ErrorKind::InvalidInput
            }
            SharedMemoryErrorKind::NotFound | SharedMemoryErrorKind::Unlinked => {
                io::ErrorKind::NotFound
            }
            SharedMemoryErrorKind::PermissionDenied => io::ErrorKind::PermissionDenied,
            SharedMemoryErrorKind::Io => err
                .source
                .as_ref()
                .map_or(io::ErrorKind::Other, io::Error::kind),
        };
        io::Error::new(kind, err)
    }
}
