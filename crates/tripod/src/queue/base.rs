//! [`BaseQueue`]: the queue with task tracking and shutdown, generic over its order, and its
//! three faces [`Queue`] (Python's `queue.Queue`), [`LifoQueue`] and [`PriorityQueue`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::discipline::{Discipline, Fifo, Lifo, Priority};
use super::engine::Core;
use super::error::{
    GetTimeoutError, PutTimeoutError, ShutDown, TaskDoneError, TryGetError, TryPutError,
};

/// A first-in, first-out queue for passing items between threads (Python's `queue.Queue`).
///
/// `maxsize` bounds the number of items (`0`: unbounded); a blocking [`put`](BaseQueue::put)
/// waits for room. Every put counts a task that a consumer marks done with
/// [`task_done`](BaseQueue::task_done), and [`join`](BaseQueue::join) waits until all are
/// done. [`shutdown`](BaseQueue::shutdown) ends the queue as in Python 3.13. The methods are
/// those of [`BaseQueue`], shared with [`LifoQueue`] and [`PriorityQueue`].
///
/// The handle is cheap to clone: a clone is another handle to the same queue, and the queue
/// lives until the last handle is dropped (its remaining items are dropped with it).
///
/// ```
/// use std::thread;
/// use tripod::queue::Queue;
///
/// let q = Queue::new(0);
/// let producer = {
///     let q = q.clone();
///     thread::spawn(move || {
///         for i in 0..10 {
///             q.put(i).unwrap();
///         }
///     })
/// };
/// let got: Vec<i32> = (0..10).map(|_| q.get().unwrap()).collect();
/// producer.join().unwrap();
/// assert_eq!(got, (0..10).collect::<Vec<_>>());
/// ```
pub type Queue<T> = BaseQueue<T, Fifo>;

/// A last-in, first-out queue (a stack) for passing items between threads (Python's
/// `queue.LifoQueue`).
///
/// Everything but the order is as for [`Queue`]: `maxsize` (`0`: unbounded), blocking,
/// `try_` and timed puts and gets, `task_done`/`join`, and Python 3.13's `shutdown`; the
/// methods are those of [`BaseQueue`]. A clone is another handle to the same queue.
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
pub type LifoQueue<T> = BaseQueue<T, Lifo>;

/// A queue that returns its lowest item first (Python's `queue.PriorityQueue`, a min-heap).
///
/// The order is `T`'s [`Ord`]: the item returned is the one `sorted(items)[0]` would give in
/// Python. The usual entry is a `(priority, data)` tuple; items of equal priority come out in
/// no particular order, as in Python (add a sequence number to the tuple for FIFO among
/// equals). Everything but the order is as for [`Queue`]; the methods are those of
/// [`BaseQueue`]. A clone is another handle to the same queue.
///
/// ```
/// use tripod::queue::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// q.put((3, "low")).unwrap();
/// q.put((1, "urgent")).unwrap();
/// q.put((2, "normal")).unwrap();
/// assert_eq!(q.get(), Ok((1, "urgent")));
/// assert_eq!(q.get(), Ok((2, "normal")));
/// assert_eq!(q.get(), Ok((3, "low")));
/// ```
pub type PriorityQueue<T> = BaseQueue<T, Priority>;

/// A queue for passing items between threads, with Python's task tracking and shutdown,
/// generic over the order its items come out in.
///
/// You use it through its three aliases, which fix the [`Discipline`] `D` (and so let
/// `Queue::new(0)` infer everything but `T`):
///
/// | Alias | `D` | [`get`](BaseQueue::get) returns | Python |
/// |---|---|---|---|
/// | [`Queue<T>`](Queue) | [`Fifo`] | the oldest item | `queue.Queue` |
/// | [`LifoQueue<T>`](LifoQueue) | [`Lifo`] | the newest item | `queue.LifoQueue` |
/// | [`PriorityQueue<T>`](PriorityQueue) | [`Priority`] | the lowest item (`T: Ord`) | `queue.PriorityQueue` |
///
/// Everything but the order is the same for the three. `maxsize` bounds the number of items
/// (`0`: unbounded); a blocking [`put`](BaseQueue::put) waits for room. Every put counts a
/// task that a consumer marks done with [`task_done`](BaseQueue::task_done), and
/// [`join`](BaseQueue::join) waits until all are done. [`shutdown`](BaseQueue::shutdown) ends
/// the queue as in Python 3.13.
///
/// The handle is cheap to clone: a clone is another handle to the same queue, and the queue
/// lives until the last handle is dropped (its remaining items are dropped with it).
///
/// # First in, first out: [`Queue`]
///
/// ```
/// use tripod::queue::Queue;
///
/// let q = Queue::new(0);
/// for n in [2, 3, 1] {
///     q.put(n).unwrap();
/// }
/// let got: Vec<i32> = (0..3).map(|_| q.get().unwrap()).collect();
/// assert_eq!(got, [2, 3, 1]);
/// ```
///
/// # Last in, first out: [`LifoQueue`]
///
/// ```
/// use tripod::queue::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// for n in [2, 3, 1] {
///     q.put(n).unwrap();
/// }
/// let got: Vec<i32> = (0..3).map(|_| q.get().unwrap()).collect();
/// assert_eq!(got, [1, 3, 2]);
/// ```
///
/// # Lowest first: [`PriorityQueue`]
///
/// ```
/// use tripod::queue::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// for n in [2, 3, 1] {
///     q.put(n).unwrap();
/// }
/// let got: Vec<i32> = (0..3).map(|_| q.get().unwrap()).collect();
/// assert_eq!(got, [1, 2, 3]);
/// ```
pub struct BaseQueue<T, D: Discipline<T>> {
    core: Arc<Core<D::Store>>,
}

impl<T, D: Discipline<T>> BaseQueue<T, D> {
    /// Creates a queue holding at most `maxsize` items; `0` means unbounded (Python's
    /// `maxsize <= 0`).
    ///
    /// A bounded [`Queue`] of up to 65 536 items preallocates its slots.
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q: Queue<String> = Queue::new(8);
    /// assert_eq!(q.maxsize(), 8);
    /// assert!(q.is_empty());
    /// ```
    pub fn new(maxsize: usize) -> Self {
        BaseQueue {
            core: Arc::new(Core::new(maxsize, true)),
        }
    }

    /// The bound given to [`new`](Self::new) (`0`: unbounded).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// assert_eq!(Queue::<u8>::new(0).maxsize(), 0);
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
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// q.put('a').unwrap();
    /// q.put('b').unwrap();
    /// assert_eq!(q.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether the queue holds no item (Python's `empty()`); a snapshot, as [`len`](Self::len).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// assert!(q.is_empty());
    /// q.put(1).unwrap();
    /// assert!(!q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds `maxsize` items (Python's `full()`); never true for an
    /// unbounded queue. A snapshot, as [`len`](Self::len).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(1);
    /// q.put(1).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.core.is_full()
    }

    /// Puts `item`, waiting for a free slot if the queue is full (Python's `put(item)`).
    ///
    /// # Errors
    ///
    /// [`ShutDown`] with the item if the queue is shut down, before or while waiting.
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// q.put("job").unwrap();
    /// assert_eq!(q.get(), Ok("job"));
    /// ```
    pub fn put(&self, item: T) -> Result<(), ShutDown<T>> {
        self.core
            .put_deadline(item, None)
            .map_err(|err| ShutDown(err.into_inner()))
    }

    /// Puts `item` if there is a free slot now (Python's `put_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] if the queue is full, [`TryPutError::ShutDown`] if it is shut
    /// down (checked first, as Python does); both hand the item back.
    ///
    /// ```
    /// use tripod::queue::{Queue, TryPutError};
    ///
    /// let q = Queue::new(1);
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
    /// use tripod::queue::{PutTimeoutError, Queue};
    ///
    /// let q = Queue::new(1);
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
    /// As [`put_timeout`](Self::put_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(1);
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

    /// Removes and returns the next item, waiting for one if the queue is empty (Python's
    /// `get()`).
    ///
    /// The next item is the oldest in a [`Queue`], the newest in a [`LifoQueue`] and the
    /// lowest in a [`PriorityQueue`].
    ///
    /// # Errors
    ///
    /// [`ShutDown`] once the queue is shut down and empty (at once after an immediate
    /// shutdown, which empties it).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
    /// q.put(1).unwrap();
    /// q.put(2).unwrap();
    /// assert_eq!(q.get(), Ok(1));
    /// assert_eq!(q.get(), Ok(2));
    /// ```
    pub fn get(&self) -> Result<T, ShutDown> {
        self.core.get_deadline(None).map_err(|_| ShutDown(()))
    }

    /// Removes and returns the next item if there is one now (Python's `get_nowait`).
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if there is no item, [`TryGetError::ShutDown`] if the queue
    /// is shut down and empty.
    ///
    /// ```
    /// use tripod::queue::{Queue, TryGetError};
    ///
    /// let q = Queue::new(0);
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// q.put(5).unwrap();
    /// assert_eq!(q.try_get(), Ok(5));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.core.try_get()
    }

    /// Removes and returns the next item, waiting at most `timeout` for one (Python's
    /// `get(timeout=...)`).
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] (Python's `Empty`) if no item arrived in time,
    /// [`GetTimeoutError::ShutDown`] if the queue is shut down and empty.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::queue::{GetTimeoutError, Queue};
    ///
    /// let q: Queue<i32> = Queue::new(0);
    /// assert_eq!(q.get_timeout(Duration::from_millis(5)), Err(GetTimeoutError::Timeout));
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetTimeoutError> {
        self.get_until(Instant::now().checked_add(timeout))
    }

    /// Removes and returns the next item, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`get_timeout`](Self::get_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
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
    /// [`join`](Self::join) returns.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if there is no unfinished task (called more times than items were
    /// put; Python's `ValueError`).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
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
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
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

    /// Waits until every item put has been marked done with [`task_done`](Self::task_done)
    /// (Python's `join()`). Returns at once if no task is unfinished.
    ///
    /// ```
    /// use std::thread;
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
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
    /// use tripod::queue::Queue;
    ///
    /// let q = Queue::new(0);
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
    /// use tripod::queue::Queue;
    ///
    /// let q: Queue<()> = Queue::new(0);
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
    /// dropped at once, each counted as a [`task_done`](Self::task_done) (so `join`
    /// returns once the items already taken are done), and every get fails with `ShutDown`.
    /// Blocked getters wake up in both cases. Calling it again is harmless (and an
    /// immediate call after a non-immediate one still drains).
    ///
    /// ```
    /// use tripod::queue::{Queue, ShutDown};
    ///
    /// let q = Queue::new(0);
    /// q.put(1).unwrap();
    /// q.shutdown(false);
    /// assert_eq!(q.put(2), Err(ShutDown(2)));
    /// assert_eq!(q.get(), Ok(1));
    /// assert_eq!(q.get(), Err(ShutDown(())));
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        self.core.shutdown(immediate);
    }

    /// Whether [`shutdown`](Self::shutdown) has been called (Python's `is_shutdown`).
    ///
    /// ```
    /// use tripod::queue::Queue;
    ///
    /// let q: Queue<()> = Queue::new(0);
    /// assert!(!q.is_shutdown());
    /// q.shutdown(true);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.core.is_shutdown()
    }
}

impl<T, D: Discipline<T>> Clone for BaseQueue<T, D> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        BaseQueue {
            core: Arc::clone(&self.core),
        }
    }
}

impl<T, D: Discipline<T>> Default for BaseQueue<T, D> {
    /// An unbounded queue, as Python's `Queue()`.
    fn default() -> Self {
        BaseQueue::new(0)
    }
}

impl<T, D: Discipline<T>> fmt::Debug for BaseQueue<T, D> {
    /// Named after the alias (`Queue`, `LifoQueue` or `PriorityQueue`); `T` need not be
    /// `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(D::NAME)
            .field("len", &self.len())
            .field("maxsize", &self.maxsize())
            .field("unfinished_tasks", &self.unfinished_tasks())
            .field("is_shutdown", &self.is_shutdown())
            .finish()
    }
}
