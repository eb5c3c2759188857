//! The error types of the queue methods, one per method family.
//!
//! Python raises `queue.Full`, `queue.Empty`, `queue.ShutDown` and `ValueError`; here each
//! blocking family has its own enum so that a `match` lists exactly the cases that can
//! happen, and an error that refused an item hands it back with `into_inner()`.

use std::error::Error;
use std::fmt;

/// The queue has been shut down: returned by [`Queue::put`](super::Queue::put) (with the
/// refused item) and by [`Queue::get`](super::Queue::get) (with `()`).
///
/// Python's `queue.ShutDown`. A put fails with it as soon as
/// [`shutdown`](super::Queue::shutdown) was called; a get only once the queue is empty
/// (or at once after an immediate shutdown).
///
/// ```
/// use tripod::queue::{Queue, ShutDown};
///
/// let q = Queue::new(0);
/// q.shutdown(false);
/// let err: ShutDown<&str> = q.put("late").unwrap_err();
/// assert_eq!(err.into_inner(), "late");
/// assert_eq!(q.get(), Err(ShutDown(())));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutDown<T = ()>(pub T);

impl<T> ShutDown<T> {
    /// Returns the item that was refused (or `()` for a get).
    ///
    /// ```
    /// use tripod::queue::ShutDown;
    ///
    /// assert_eq!(ShutDown(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShutDown(..)")
    }
}

impl<T> fmt::Display for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> Error for ShutDown<T> {}

/// The error of [`Queue::try_put`](super::Queue::try_put) (Python's `put_nowait`).
///
/// ```
/// use tripod::queue::{Queue, TryPutError};
///
/// let q = Queue::new(1);
/// q.try_put(1).unwrap();
/// match q.try_put(2) {
///     Err(TryPutError::Full(item)) => assert_eq!(item, 2),
///     other => panic!("expected Full, got {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (Python's `queue.Full`); the item is handed back.
    Full(T),
    /// The queue has been shut down (Python's `queue.ShutDown`); the item is handed back.
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// Returns the item that was refused.
    ///
    /// ```
    /// use tripod::queue::TryPutError;
    ///
    /// assert_eq!(TryPutError::Full("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::ShutDown(item) => item,
        }
    }

    /// Whether the put failed because the queue was full.
    ///
    /// ```
    /// use tripod::queue::TryPutError;
    ///
    /// assert!(TryPutError::Full(1).is_full());
    /// assert!(!TryPutError::ShutDown(1).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the put failed because the queue was shut down.
    ///
    /// ```
    /// use tripod::queue::TryPutError;
    ///
    /// assert!(TryPutError::ShutDown(1).is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> From<ShutDown<T>> for TryPutError<T> {
    fn from(err: ShutDown<T>) -> Self {
        TryPutError::ShutDown(err.0)
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// The error of [`Queue::put_timeout`](super::Queue::put_timeout) and
/// [`Queue::put_deadline`](super::Queue::put_deadline).
///
/// `Timeout` is what Python reports as `queue.Full` after `put(item, timeout=...)`.
///
/// ```
/// use std::time::Duration;
/// use tripod::queue::{PutTimeoutError, Queue};
///
/// let q = Queue::new(1);
/// q.put('a').unwrap();
/// let err = q.put_timeout('b', Duration::from_millis(1)).unwrap_err();
/// assert!(err.is_timeout());
/// assert_eq!(err.into_inner(), 'b');
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutTimeoutError<T> {
    /// No free slot appeared before the deadline; the item is handed back.
    Timeout(T),
    /// The queue was shut down (before or while waiting); the item is handed back.
    ShutDown(T),
}

impl<T> PutTimeoutError<T> {
    /// Returns the item that was refused.
    ///
    /// ```
    /// use tripod::queue::PutTimeoutError;
    ///
    /// assert_eq!(PutTimeoutError::ShutDown(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PutTimeoutError::Timeout(item) | PutTimeoutError::ShutDown(item) => item,
        }
    }

    /// Whether the put gave up because the deadline passed.
    ///
    /// ```
    /// use tripod::queue::PutTimeoutError;
    ///
    /// assert!(PutTimeoutError::Timeout(()).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, PutTimeoutError::Timeout(_))
    }

    /// Whether the put failed because the queue was shut down.
    ///
    /// ```
    /// use tripod::queue::PutTimeoutError;
    ///
    /// assert!(PutTimeoutError::ShutDown(()).is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutTimeoutError::ShutDown(_))
    }
}

impl<T> From<ShutDown<T>> for PutTimeoutError<T> {
    fn from(err: ShutDown<T>) -> Self {
        PutTimeoutError::ShutDown(err.0)
    }
}

impl<T> fmt::Debug for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            PutTimeoutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutTimeoutError::Timeout(_) => f.write_str("timed out waiting for a free slot"),
            PutTimeoutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> Error for PutTimeoutError<T> {}

/// The error of [`Queue::try_get`](super::Queue::try_get) (Python's `get_nowait`).
///
/// ```
/// use tripod::queue::{Queue, TryGetError};
///
/// let q: Queue<i32> = Queue::new(0);
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// q.shutdown(false);
/// assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// The queue holds no item (Python's `queue.Empty`).
    Empty,
    /// The queue has been shut down and holds no more items (Python's `queue.ShutDown`).
    ShutDown,
}

impl TryGetError {
    /// Whether the get failed because the queue was empty.
    ///
    /// ```
    /// use tripod::queue::TryGetError;
    ///
    /// assert!(TryGetError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryGetError::Empty)
    }

    /// Whether the get failed because the queue was shut down.
    ///
    /// ```
    /// use tripod::queue::TryGetError;
    ///
    /// assert!(TryGetError::ShutDown.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TryGetError::ShutDown)
    }
}

impl From<ShutDown> for TryGetError {
    fn from(_: ShutDown) -> Self {
        TryGetError::ShutDown
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue is shut down"),
        }
    }
}

impl Error for TryGetError {}

/// The error of [`Queue::get_timeout`](super::Queue::get_timeout) and
/// [`Queue::get_deadline`](super::Queue::get_deadline).
///
/// `Timeout` is what Python reports as `queue.Empty` after `get(timeout=...)`.
///
/// ```
/// use std::time::Duration;
/// use tripod::queue::{GetTimeoutError, Queue};
///
/// let q: Queue<u8> = Queue::new(0);
/// assert_eq!(q.get_timeout(Duration::from_millis(1)), Err(GetTimeoutError::Timeout));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GetTimeoutError {
    /// No item arrived before the deadline.
    Timeout,
    /// The queue was shut down and holds no more items.
    ShutDown,
}

impl GetTimeoutError {
    /// Whether the get gave up because the deadline passed.
    ///
    /// ```
    /// use tripod::queue::GetTimeoutError;
    ///
    /// assert!(GetTimeoutError::Timeout.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, GetTimeoutError::Timeout)
    }

    /// Whether the get failed because the queue was shut down.
    ///
    /// ```
    /// use tripod::queue::GetTimeoutError;
    ///
    /// assert!(GetTimeoutError::ShutDown.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, GetTimeoutError::ShutDown)
    }
}

impl From<ShutDown> for GetTimeoutError {
    fn from(_: ShutDown) -> Self {
        GetTimeoutError::ShutDown
    }
}

impl fmt::Display for GetTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout => f.write_str("timed out waiting for an item"),
            GetTimeoutError::ShutDown => f.write_str("the queue is shut down"),
        }
    }
}

impl Error for GetTimeoutError {}

/// [`Queue::task_done`](super::Queue::task_done) was called more times than items were
/// put (Python raises `ValueError` here).
///
/// ```
/// use tripod::queue::{Queue, TaskDoneError};
///
/// let q: Queue<()> = Queue::new(0);
/// assert_eq!(q.task_done(), Err(TaskDoneError));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl Error for TaskDoneError {}
