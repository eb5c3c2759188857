//! [`PutError`] and [`GetError`]: why a process queue refused a put or a get.
#![forbid(unsafe_code)]

use std::error::Error;
use std::fmt;

use crate::wire::WireError;

/// Why a put on a process queue failed; the item always comes back.
///
/// - [`Full`](PutError::Full): from [`try_put`](super::Queue::try_put) (no room right now)
///   and [`put_timeout`](super::Queue::put_timeout) (no room in time); never from a
///   blocking [`put`](super::Queue::put). Python's `queue.Full`.
/// - [`Closed`](PutError::Closed): this handle was [closed](super::Queue::close).
/// - [`Encode`](PutError::Encode): the item cannot be encoded (for instance, it holds a
///   file descriptor such as a `Connection`, which cannot travel through a queue).
///
/// ```
/// use tripod::multiprocessing::{PutError, Queue};
///
/// let q = Queue::with_maxsize(1).unwrap();
/// q.put(1).unwrap();
/// let err = q.try_put(2).unwrap_err();
/// assert!(err.is_full());
/// assert_eq!(err.into_inner(), 2);
/// ```
pub enum PutError<T> {
    /// No room (the bound on the count, or the ring's bytes) in time.
    Full(T),
    /// This handle is closed.
    Closed(T),
    /// The item cannot be encoded.
    Encode(T, WireError),
}

impl<T> PutError<T> {
    /// Returns the item that was not put.
    ///
    /// ```
    /// use tripod::multiprocessing::PutError;
    ///
    /// assert_eq!(PutError::Closed("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::Closed(item) | PutError::Encode(item, _) => item,
        }
    }

    /// Whether the queue had no room.
    ///
    /// ```
    /// use tripod::multiprocessing::PutError;
    ///
    /// assert!(PutError::Full(1).is_full());
    /// assert!(!PutError::Closed(1).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// Whether the handle was closed.
    ///
    /// ```
    /// use tripod::multiprocessing::PutError;
    ///
    /// assert!(PutError::Closed(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, PutError::Closed(_))
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::Closed(_) => f.write_str("Closed(..)"),
            PutError::Encode(_, err) => f.debug_tuple("Encode").field(&"..").field(err).finish(),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("the queue is full"),
            PutError::Closed(_) => f.write_str("the queue handle is closed"),
            PutError::Encode(_, err) => write!(f, "cannot put the item: {err}"),
        }
    }
}

impl<T> Error for PutError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PutError::Encode(_, err) => Some(err),
            _ => None,
        }
    }
}

/// Why a get on a process queue failed.
///
/// - [`Empty`](GetError::Empty): from [`try_get`](super::Queue::try_get) (nothing there
///   right now) and [`get_timeout`](super::Queue::get_timeout) (nothing in time); never from
///   a blocking [`get`](super::Queue::get). Python's `queue.Empty`.
/// - [`Closed`](GetError::Closed): this handle was [closed](super::Queue::close).
/// - [`Decode`](GetError::Decode): the message could not be decoded as a `T`; it is
///   consumed, and the next get goes on with the next message.
///
/// ```
/// use tripod::multiprocessing::{GetError, Queue};
///
/// let q = Queue::<u32>::new().unwrap();
/// assert!(matches!(q.try_get(), Err(GetError::Empty)));
/// ```
#[derive(Debug)]
pub enum GetError {
    /// No message in time.
    Empty,
    /// This handle is closed.
    Closed,
    /// The message could not be decoded (it is consumed).
    Decode(WireError),
}

impl GetError {
    /// Whether the queue had no message.
    ///
    /// ```
    /// use tripod::multiprocessing::GetError;
    ///
    /// assert!(GetError::Empty.is_empty());
    /// assert!(!GetError::Closed.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, GetError::Empty)
    }

    /// Whether the handle was closed.
    ///
    /// ```
    /// use tripod::multiprocessing::GetError;
    ///
    /// assert!(GetError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, GetError::Closed)
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty => f.write_str("the queue is empty"),
            GetError::Closed => f.write_str("the queue handle is closed"),
            GetError::Decode(err) => write!(f, "cannot get the item: {err}"),
        }
    }
}

impl Error for GetError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            GetError::Decode(err) => Some(err),
            _ => None,
        }
    }
}
