//! [`SimpleQueue`]: Python's `multiprocessing.SimpleQueue`.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;

use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::queue::open_ring;
use super::{DEFAULT_CAPACITY, GetError, PutError, Queue};
use crate::shm::ring::RingKind;

/// An unbounded FIFO queue shared between processes, with only `put`, `get`, `is_empty`
/// and `close`: Python's `multiprocessing.SimpleQueue`.
///
/// It is the same shared-memory ring as [`Queue`] (with the same
/// [crash safety](Queue#crash-safety)), without a bound on the count and without timeouts.
/// A handle: [`Clone`], and an argument of child processes.
///
/// ```
/// use tripod::multiprocessing::{Process, SimpleQueue};
///
/// fn square(q: SimpleQueue<u64>, x: u64) {
///     q.put(x * x).unwrap();
/// }
/// tripod::task!(square);
///
/// let q = SimpleQueue::new().unwrap();
/// Process::new(square, (q.clone(), 12)).start().unwrap().join().unwrap();
/// assert_eq!(q.get().unwrap(), 144);
/// assert!(q.is_empty());
/// ```
pub struct SimpleQueue<T> {
    queue: Queue<T>,
}

impl<T: Serialize + DeserializeOwned> SimpleQueue<T> {
    /// Creates a queue with a ring of [`DEFAULT_CAPACITY`] bytes.
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::SimpleQueue;
    ///
    /// let q = SimpleQueue::<String>::new().unwrap();
    /// assert!(q.is_empty());
    /// ```
    pub fn new() -> io::Result<SimpleQueue<T>> {
        Ok(SimpleQueue {
            queue: Queue::create(DEFAULT_CAPACITY, 0, RingKind::Simple)?,
        })
    }

    /// Puts `item` at the back, waiting while the ring's bytes are all taken.
    ///
    /// # Errors
    ///
    /// As [`Queue::put`].
    ///
    /// ```
    /// use tripod::multiprocessing::SimpleQueue;
    ///
    /// let q = SimpleQueue::new().unwrap();
    /// q.put([1u8, 2, 3]).unwrap();
    /// assert!(!q.is_empty());
    /// ```
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.queue.put(item)
    }

    /// Removes and returns the item at the front, waiting while the queue is empty.
    ///
    /// # Errors
    ///
    /// As [`Queue::get`].
    ///
    /// ```
    /// use tripod::multiprocessing::SimpleQueue;
    ///
    /// let q = SimpleQueue::new().unwrap();
    /// q.put('z').unwrap();
    /// assert_eq!(q.get().unwrap(), 'z');
    /// ```
    pub fn get(&self) -> Result<T, GetError> {
        self.queue.get()
    }
}

impl<T> SimpleQueue<T> {
    /// Whether the queue holds no item (a snapshot).
    ///
    /// ```
    /// use tripod::multiprocessing::SimpleQueue;
    ///
    /// assert!(SimpleQueue::<u8>::new().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Closes this handle and its clones in this process, as [`Queue::close`].
    ///
    /// ```
    /// use tripod::multiprocessing::{PutError, SimpleQueue};
    ///
    /// let q = SimpleQueue::new().unwrap();
    /// q.close();
    /// assert!(matches!(q.put(1), Err(PutError::Closed(1))));
    /// ```
    pub fn close(&self) {
        self.queue.close();
    }
}

impl<T> Clone for SimpleQueue<T> {
    /// Another handle to the same queue, sharing this handle's closed flag.
    fn clone(&self) -> Self {
        SimpleQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("len", &self.queue.len())
            .field("closed", &self.queue.is_closed())
            .finish()
    }
}

impl<T> Serialize for SimpleQueue<T> {
    /// Sends the queue's shared memory (as a descriptor beside the encoding).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.queue.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for SimpleQueue<T> {
    /// Maps the queue's shared memory, checking that it is a simple queue of `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ring = open_ring::<D, T>(deserializer, RingKind::Simple, &[RingKind::Simple])?;
        Ok(SimpleQueue {
            queue: Queue::from_ring(ring),
        })
    }
}
