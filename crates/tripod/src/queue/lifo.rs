//! [`LifoQueue`]: the last-in, first-out queue (Python's `queue.LifoQueue`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::Core;
use super::error::{
    GetTimeoutError, PutTimeoutError, ShutDown, TaskDoneError, TryGetError, TryPutError,
};
use super::store::LifoStore;

/// A last-in, first-out queue (a stack) for passing items between threads (Python's
/// `queue.LifoQueue`).
///
/// Everything but the order is as for [`Queue`](super::Queue): `maxsize` (`0`: unbounded),
/// blocking, `try_` and timed puts and gets, `task_done`/`join`, and Python 3.13's
/// `shutdown`. A clone is another handle to the same queue.
///
/// ```
/// use tripod::queue::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// for i in 0..5 {
///     q.put(i).unwrap();
/// }
/// let got: Vec<i32> = (0..5).map(|_| q.get().unwrap()).collect();
/// assert_eq!(got, [4, 3, 2, 1, 0]);
/// ```
pub struct LifoQueue<T> {
    core: Arc<Core<LifoStore<T>>>,
}

impl<T> LifoQueue<T> {
    /// Creates a queue holding at most `maxsize` items; `0` means unbounded (Python's
    /// `maxsize <= 0`).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q: LifoQueue<String> = LifoQueue::new(8);
    /// assert_eq!(q.maxsize(), 8);
    /// assert!(q.is_empty());
    /// ```
    pub fn new(maxsize: usize) -> Self {
        LifoQueue {
            core: Arc::new(Core::new(maxsize, true)),
        }
    }

    /// The bound given to [`new`](LifoQueue::new) (`0`: unbounded).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// assert_eq!(LifoQueue::<u8>::new(0).maxsize(), 0);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.core.maxsize()
    }

    /// The number of items in the queue (Python's `qsize()`).
    ///
    /// Other threads may change it at any moment, so it is a snapshot: a put may still
    /// block after `len() < maxsize`, and a get may still block after `len() > 0`.
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put('a').unwrap();
    /// q.put('b').unwrap();
    /// assert_eq!(q.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether the queue holds no item (Python's `empty()`); a snapshot, as [`len`](LifoQueue::len).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// assert!(q.is_empty());
    /// q.put(1).unwrap();
    /// assert!(!q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds `maxsize` items (Python's `full()`); never true for an
    /// unbounded queue. A snapshot, as [`len`](LifoQueue::len).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(1);
    /// q.put(1).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.core.is_full()
    }

    /// Puts `item` on top, waiting for a free slot if the queue is full (Python's
    /// `put(item)`).
    ///
    /// # Errors
    ///
    /// [`ShutDown`] with the item if the queue is shut down, before or while waiting.
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put("job").unwrap();
    /// assert_eq!(q.get(), Ok("job"));
    /// ```
    pub fn put(&self, item: T) -> Result<(), ShutDown<T>> {
        self.core
            .put_deadline(item, None)
            .map_err(|err| ShutDown(err.into_inner()))
    }

    /// Puts `item` on top if there is a free slot now (Python's `put_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] if the queue is full, [`TryPutError::ShutDown`] if it is shut
    /// down (checked first, as Python does); both hand the item back.
    ///
    /// ```
    /// use tripod::queue::{LifoQueue, TryPutError};
    ///
    /// let q = LifoQueue::new(1);
    /// assert!(q.try_put(1).is_ok());
    /// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.core.try_put(item)
    }

    /// Puts `item`, waiting at most `timeout` for a free slot (Python's
    /// `put(item, timeout=...)`).
    ///
    /// # Errors
    ///
    /// [`PutTimeoutError::Timeout`] (Python's `Full`) if no slot freed up in time,
    /// [`PutTimeoutError::ShutDown`] if the queue is shut down; both hand the item back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::queue::{PutTimeoutError, LifoQueue};
    ///
    /// let q = LifoQueue::new(1);
    /// q.put(1).unwrap();
    /// let err = q.put_timeout(2, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err, PutTimeoutError::Timeout(2));
    /// ```
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutTimeoutError<T>> {
        self.put_until(item, Instant::now().checked_add(timeout))
    }

    /// Puts `item`, waiting until `deadline` at most for a free slot.
    ///
    /// # Errors
    ///
    /// As [`put_timeout`](LifoQueue::put_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(1);
    /// assert!(q.put_deadline(1, Instant::now()).is_ok());
    /// assert!(q.put_deadline(2, Instant::now()).unwrap_err().is_timeout());
    /// ```
    pub fn put_deadline(&self, item: T, deadline: Instant) -> Result<(), PutTimeoutError<T>> {
        self.put_until(item, Some(deadline))
    }

    fn put_until(&self, item: T, deadline: Option<Instant>) -> Result<(), PutTimeoutError<T>> {
        self.core
            .put_deadline(item, deadline)
            .map_err(|err| match err {
                TryPutError::Full(item) => PutTimeoutError::Timeout(item),
                TryPutError::ShutDown(item) => PutTimeoutError::ShutDown(item),
            })
    }

    /// Removes and returns the top item (the one put last), waiting for one if the queue is empty
    /// (Python's `get()`).
    ///
    /// # Errors
    ///
    /// [`ShutDown`] once the queue is shut down and empty (at once after an immediate
    /// shutdown, which empties it).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// q.put(2).unwrap();
    /// assert_eq!(q.get(), Ok(2));
    /// assert_eq!(q.get(), Ok(1));
    /// ```
    pub fn get(&self) -> Result<T, ShutDown> {
        self.core.get_deadline(None).map_err(|_| ShutDown(()))
    }

    /// Removes and returns the top item (the one put last) if there is one now (Python's `get_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if there is no item, [`TryGetError::ShutDown`] if the queue
    /// is shut down and empty.
    ///
    /// ```
    /// use tripod::queue::{LifoQueue, TryGetError};
    ///
    /// let q = LifoQueue::new(0);
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// q.put(5).unwrap();
    /// assert_eq!(q.try_get(), Ok(5));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.core.try_get()
    }

    /// Removes and returns the top item (the one put last), waiting at most `timeout` for one (Python's
    /// `get(timeout=...)`).
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] (Python's `Empty`) if no item arrived in time,
    /// [`GetTimeoutError::ShutDown`] if the queue is shut down and empty.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::queue::{GetTimeoutError, LifoQueue};
    ///
    /// let q: LifoQueue<i32> = LifoQueue::new(0);
    /// assert_eq!(q.get_timeout(Duration::from_millis(5)), Err(GetTimeoutError::Timeout));
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetTimeoutError> {
        self.get_until(Instant::now().checked_add(timeout))
    }

    /// Removes and returns the top item (the one put last), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`get_timeout`](LifoQueue::get_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// assert_eq!(q.get_deadline(Instant::now()), Ok(1));
    /// ```
    pub fn get_deadline(&self, deadline: Instant) -> Result<T, GetTimeoutError> {
        self.get_until(Some(deadline))
    }

    fn get_until(&self, deadline: Option<Instant>) -> Result<T, GetTimeoutError> {
        self.core.get_deadline(deadline).map_err(|err| match err {
            TryGetError::Empty => GetTimeoutError::Timeout,
            TryGetError::ShutDown => GetTimeoutError::ShutDown,
        })
    }

    /// Marks one item taken with a get as processed (Python's `task_done()`).
    ///
    /// Each put counts one unfinished task; when the count reaches zero, every
    /// [`join`](LifoQueue::join) returns.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if there is no unfinished task (called more times than items were
    /// put; Python's `ValueError`).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// q.get().unwrap();
    /// assert!(q.task_done().is_ok());
    /// assert!(q.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.core.task_done()
    }

    /// The number of items put and not yet marked done (Python's `unfinished_tasks`).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// q.get().unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// q.task_done().unwrap();
    /// assert_eq!(q.unfinished_tasks(), 0);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.core.unfinished_tasks()
    }

    /// Waits until every item put has been marked done with [`task_done`](LifoQueue::task_done)
    /// (Python's `join()`). Returns at once if no task is unfinished.
    ///
    /// ```
    /// use std::thread;
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// let worker = {
    ///     let q = q.clone();
    ///     thread::spawn(move || {
    ///         while let Ok(n) = q.get() {
    ///             let _ = n * 2;
    ///             q.task_done().unwrap();
    ///         }
    ///     })
    /// };
    /// for n in 0..5 {
    ///     q.put(n).unwrap();
    /// }
    /// q.join();
    /// assert_eq!(q.unfinished_tasks(), 0);
    /// q.shutdown(false);
    /// worker.join().unwrap();
    /// ```
    pub fn join(&self) {
        self.core.join_deadline(None);
    }

    /// Waits at most `timeout` for every task to be done; returns whether they all are.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::queue::LifoQueue;
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// assert!(!q.join_timeout(Duration::from_millis(5)));
    /// q.get().unwrap();
    /// q.task_done().unwrap();
    /// assert!(q.join_timeout(Duration::from_millis(5)));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.core.join_deadline(Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` at most for every task to be done; returns whether they all
    /// are.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::LifoQueue;
    ///
    /// let q: LifoQueue<()> = LifoQueue::new(0);
    /// assert!(q.join_deadline(Instant::now()));
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> bool {
        self.core.join_deadline(Some(deadline))
    }

    /// Shuts the queue down (Python 3.13's `shutdown(immediate)`).
    ///
    /// From now on every put fails with [`ShutDown`], and blocked putters wake up with it.
    /// With `immediate == false`, gets still return the items left and fail with
    /// `ShutDown` once the queue is empty. With `immediate == true`, the items left are
    /// dropped at once, each counted as a [`task_done`](LifoQueue::task_done) (so `join`
    /// returns once the items already taken are done), and every get fails with `ShutDown`.
    /// Blocked getters wake up in both cases. Calling it again is harmless (and an
    /// immediate call after a non-immediate one still drains).
    ///
    /// ```
    /// use tripod::queue::{LifoQueue, ShutDown};
    ///
    /// let q = LifoQueue::new(0);
    /// q.put(1).unwrap();
    /// q.shutdown(false);
    /// assert_eq!(q.put(2), Err(ShutDown(2)));
    /// assert_eq!(q.get(), Ok(1));
    /// assert_eq!(q.get(), Err(ShutDown(())));
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        self.core.shutdown(immediate);
    }

    /// Whether [`shutdown`](LifoQueue::shutdown) has been called (Python's `is_shutdown`).
    ///
    /// ```
    /// use tripod::queue::LifoQueue;
    ///
    /// let q: LifoQueue<()> = LifoQueue::new(0);
    /// assert!(!q.is_shutdown());
    /// q.shutdown(true);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.core.is_shutdown()
    }
}

impl<T> Clone for LifoQueue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        LifoQueue {
            core: Arc::clone(&self.core),
        }
    }
}

impl<T> Default for LifoQueue<T> {
    /// An unbounded queue, as Python's `LifoQueue()`.
    fn default() -> Self {
        LifoQueue::new(0)
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifoQueue")
            .field("len", &self.len())
            .field("maxsize", &self.maxsize())
            .field("unfinished_tasks", &self.unfinished_tasks())
            .field("is_shutdown", &self.is_shutdown())
            .finish()
    }
}
