//! [`JoinableQueue`]: a [`Queue`] that counts unfinished tasks (Python's
//! `multiprocessing.JoinableQueue`).
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::ops::Deref;
use std::time::Duration;

use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::Queue;
use super::queue::open_ring;
use crate::queue::TaskDoneError;
use crate::shm::ring::RingKind;

/// A [`Queue`] whose consumers report each item done, so that producers can
/// [`join`](JoinableQueue::join) until all work is finished: Python's
/// `multiprocessing.JoinableQueue`.
///
/// It dereferences to [`Queue`] (Python's is a subclass): every queue method works on it.
/// Every item put counts as an unfinished task, by the same store that publishes it (so a
/// putter killed in the middle of a put never leaves a phantom task);
/// [`task_done`](JoinableQueue::task_done) finishes one. An item lost with a getter killed
/// while reading it (see [Crash safety](Queue#crash-safety)) stays unfinished.
///
/// ```
/// use tripod::multiprocessing::{JoinableQueue, Process};
///
/// fn worker(q: JoinableQueue<u32>, n: usize) {
///     for _ in 0..n {
///         let _item = q.get().unwrap();
///         q.task_done().unwrap();
///     }
/// }
/// tripod::task!(worker);
///
/// let q = JoinableQueue::new().unwrap();
/// q.put_many(0..10).unwrap();
/// let child = Process::new(worker, (q.clone(), 10)).start().unwrap();
/// q.join();
/// assert_eq!(q.unfinished_tasks(), 0);
/// child.join().unwrap();
/// ```
pub struct JoinableQueue<T> {
    queue: Queue<T>,
}

impl<T> JoinableQueue<T> {
    pub(super) fn wrap(queue: Queue<T>) -> Self {
        JoinableQueue { queue }
    }
}

impl<T: Serialize + DeserializeOwned> JoinableQueue<T> {
    /// Creates a joinable queue with no bound on the count and a ring of
    /// [`DEFAULT_CAPACITY`](super::DEFAULT_CAPACITY) bytes (use
    /// [`QueueBuilder::build_joinable`](super::QueueBuilder::build_joinable) for other
    /// sizes).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::JoinableQueue;
    ///
    /// let q = JoinableQueue::new().unwrap();
    /// q.put("job".to_owned()).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn new() -> io::Result<JoinableQueue<T>> {
        Queue::builder().build_joinable()
    }

    /// Creates a joinable queue holding at most `maxsize` items (0 is no bound).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::JoinableQueue;
    ///
    /// let q = JoinableQueue::<u8>::with_maxsize(3).unwrap();
    /// assert_eq!(q.maxsize(), 3);
    /// ```
    pub fn with_maxsize(maxsize: usize) -> io::Result<JoinableQueue<T>> {
        Queue::builder().maxsize(maxsize).build_joinable()
    }

    /// Marks one item as done (Python's `task_done()`): call it once per item got, when its
    /// work is finished. Any handle of any process may call it.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if there is no unfinished task (called more times than items were
    /// put); nothing changes then.
    ///
    /// ```
    /// use tripod::multiprocessing::JoinableQueue;
    /// use tripod::queue::TaskDoneError;
    ///
    /// let q = JoinableQueue::new().unwrap();
    /// q.put(1).unwrap();
    /// q.get().unwrap();
    /// assert_eq!(q.task_done(), Ok(()));
    /// assert_eq!(q.task_done(), Err(TaskDoneError));
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        if self.queue.ring().task_done() {
            Ok(())
        } else {
            Err(TaskDoneError)
        }
    }

    /// Waits until every item put has been marked done (Python's `join()`).
    ///
    /// ```
    /// use tripod::multiprocessing::JoinableQueue;
    ///
    /// let q = JoinableQueue::new().unwrap();
    /// q.put(1).unwrap();
    /// q.get().unwrap();
    /// q.task_done().unwrap();
    /// q.join(); // returns at once: nothing unfinished
    /// ```
    pub fn join(&self) {
        self.queue.ring().join(None);
    }

    /// Waits at most `timeout` until every item put has been marked done; `true` if they
    /// all were.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::JoinableQueue;
    ///
    /// let q = JoinableQueue::new().unwrap();
    /// q.put(1).unwrap();
    /// assert!(!q.join_timeout(Duration::from_millis(10)));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.queue
            .ring()
            .join(std::time::Instant::now().checked_add(timeout))
    }

    /// The number of items put and not yet marked done (a snapshot).
    ///
    /// ```
    /// use tripod::multiprocessing::JoinableQueue;
    ///
    /// let q = JoinableQueue::new().unwrap();
    /// q.put_many([1, 2]).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 2);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.queue.ring().unfinished()
    }
}

impl<T> Deref for JoinableQueue<T> {
    type Target = Queue<T>;

    fn deref(&self) -> &Queue<T> {
        &self.queue
    }
}

impl<T> Clone for JoinableQueue<T> {
    /// Another handle to the same queue, sharing this handle's closed flag.
    fn clone(&self) -> Self {
        JoinableQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinableQueue")
            .field("len", &self.len())
            .field("unfinished_tasks", &self.queue.ring().unfinished())
            .field("maxsize", &self.maxsize())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Serialize for JoinableQueue<T> {
    /// Sends the queue's shared memory (as a descriptor beside the encoding).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.queue.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for JoinableQueue<T> {
    /// Maps the queue's shared memory, checking that it is a joinable queue of `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ring = open_ring::<D, T>(deserializer, RingKind::Joinable, &[RingKind::Joinable])?;
        Ok(JoinableQueue::wrap(Queue::from_ring(ring)))
    }
}
