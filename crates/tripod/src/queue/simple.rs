//! [`SimpleQueue`]: the unbounded FIFO queue without task tracking (Python's
//! `queue.SimpleQueue`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::Core;
use super::store::FifoStore;

/// An unbounded first-in, first-out queue without task tracking or shutdown (Python's
/// `queue.SimpleQueue`).
///
/// A put never blocks and never fails, so [`put`](SimpleQueue::put) returns nothing; a get
/// that finds nothing returns `None` (Python raises `queue.Empty`). It is the same lock-free
/// engine as [`Queue`](super::Queue) minus the bookkeeping. A clone is another handle to the
/// same queue.
///
/// ```
/// use std::thread;
/// use tripod::queue::SimpleQueue;
///
/// let q = SimpleQueue::new();
/// let producer = {
///     let q = q.clone();
///     thread::spawn(move || (0..3).for_each(|i| q.put(i)))
/// };
/// let got: Vec<i32> = (0..3).map(|_| q.get()).collect();
/// producer.join().unwrap();
/// assert_eq!(got, [0, 1, 2]);
/// ```
pub struct SimpleQueue<T> {
    core: Arc<Core<FifoStore<T>>>,
}

impl<T> SimpleQueue<T> {
    /// Creates an empty queue.
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q: SimpleQueue<u32> = SimpleQueue::new();
    /// assert!(q.is_empty());
    /// ```
    pub fn new() -> Self {
        SimpleQueue {
            core: Arc::new(Core::new(0, false)),
        }
    }

    /// The number of items in the queue (Python's `qsize()`); a snapshot, since other
    /// threads may change it at any moment.
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(1);
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether the queue holds no item (Python's `empty()`); a snapshot.
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q: SimpleQueue<()> = SimpleQueue::new();
    /// assert!(q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Puts `item` at the back; never blocks (Python's `put` and `put_nowait`).
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put("a");
    /// assert_eq!(q.try_get(), Some("a"));
    /// ```
    pub fn put(&self, item: T) {
        // An unbounded store never refuses an item.
        let _ = self.core.try_put(item);
    }

    /// Removes and returns the front item, waiting as long as it takes for one (Python's
    /// `get()`). With no other handle left to put, this waits forever.
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(1);
    /// q.put(2);
    /// assert_eq!(q.get(), 1);
    /// ```
    pub fn get(&self) -> T {
        loop {
            if let Ok(item) = self.core.get_deadline(None) {
                return item;
            }
        }
    }

    /// Removes and returns the front item if there is one now (Python's `get_nowait`;
    /// `None` where Python raises `queue.Empty`).
    ///
    /// ```
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q: SimpleQueue<i32> = SimpleQueue::new();
    /// assert_eq!(q.try_get(), None);
    /// ```
    pub fn try_get(&self) -> Option<T> {
        self.core.try_get().ok()
    }

    /// Removes and returns the front item, waiting at most `timeout` for one (Python's
    /// `get(timeout=...)`); `None` if none arrived in time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q: SimpleQueue<i32> = SimpleQueue::new();
    /// assert_eq!(q.get_timeout(Duration::from_millis(5)), None);
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Option<T> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.get_deadline(deadline),
            None => Some(self.get()),
        }
    }

    /// Removes and returns the front item, waiting until `deadline` at most; `None` if none
    /// arrived in time.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::queue::SimpleQueue;
    ///
    /// let q = SimpleQueue::new();
    /// q.put(3);
    /// assert_eq!(q.get_deadline(Instant::now()), Some(3));
    /// ```
    pub fn get_deadline(&self, deadline: Instant) -> Option<T> {
        self.core.get_deadline(Some(deadline)).ok()
    }
}

impl<T> Clone for SimpleQueue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        SimpleQueue {
            core: Arc::clone(&self.core),
        }
    }
}

impl<T> Default for SimpleQueue<T> {
    fn default() -> Self {
        SimpleQueue::new()
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("len", &self.len())
            .finish()
    }
}
