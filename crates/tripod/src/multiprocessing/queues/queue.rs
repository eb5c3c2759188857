//! [`Queue`]: Python's `multiprocessing.Queue`, over a shared-memory ring; and its
//! [`QueueBuilder`].
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::error::{GetError, PutError};
use super::{DEFAULT_CAPACITY, JoinableQueue};
use crate::shm::Segment;
use crate::shm::ring::{Fail, GetFail, Ring, RingKind, Wait};
use crate::wire::{self, WireError};

/// The largest encoding buffer a thread keeps between puts.
const KEEP_SCRATCH: usize = 8 << 20;

thread_local! {
    /// The buffer each thread encodes its messages into before copying them into the ring.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's (cleared) encoding buffer; reentrant (a nested call gets a
/// fresh buffer).
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = SCRATCH.take();
    buf.clear();
    let result = f(&mut buf);
    if buf.capacity() <= KEEP_SCRATCH {
        SCRATCH.set(buf);
    }
    result
}

/// A FIFO queue shared between processes: Python's `multiprocessing.Queue`.
///
/// Items are any `T: Serialize + DeserializeOwned`, encoded with tripod's codec into a ring
/// buffer in shared memory (a memfd). A `Queue` is a handle: [`Clone`] gives another handle
/// to the same queue, and a queue can be an argument of a child process
/// (`Process::new(f, (q.clone(),))`), which then shares it. The receiver checks that the
/// queue holds its `T` (by the type's name): a queue of `A` received as a queue of `B` is
/// a decode error, not garbage.
///
/// ```
/// use tripod::multiprocessing::{Process, Queue};
///
/// fn write(q: Queue<String>) {
///     for value in ["A", "B", "C"] {
///         q.put(value.to_owned()).unwrap();
///     }
/// }
/// tripod::task!(write);
///
/// let q = Queue::new().unwrap();
/// let writer = Process::new(write, (q.clone(),)).start().unwrap();
/// writer.join().unwrap();
/// let got: Vec<String> = (0..3).map(|_| q.get().unwrap()).collect();
/// assert_eq!(got, ["A", "B", "C"]);
/// ```
///
/// # No feeder thread
///
/// Python's queue hands items to a background thread that writes them to a pipe, so a put
/// returns before the item is anywhere another process can see, and a process that exits
/// with items still in its feeder can lose them or hang. Here a put copies the encoded item
/// into shared memory itself: when [`put`](Queue::put) returns `Ok`, the item is in the
/// queue, and the process may exit (or be killed) at once without losing it.
///
/// # Bounds
///
/// The ring holds [`capacity`](Queue::capacity) bytes ([`DEFAULT_CAPACITY`] unless set with
/// the [`builder`](Queue::builder)); with a [`maxsize`](Queue::maxsize) above 0 it also
/// holds at most that many items. A put waits while either bound leaves no room. An item
/// whose encoding takes more than half the ring travels in chunks, so any item goes
/// through, however large, as long as some process gets from the queue.
///
/// # Bytes
///
/// serde encodes a `Vec<u8>` element by element. For large byte payloads, wrap them in a
/// type that serializes as bytes (`serde_bytes::ByteBuf`, or a `#[serde(with =
/// "serde_bytes")]` field): they are then copied whole, at memory speed.
///
/// # Crash safety
///
/// The ring's two locks (one for putters, one for getters) are robust: a process killed
/// while holding one does not block the others. An item is published by a single store:
/// a putter killed in the middle of a put leaves either the whole item in the queue or
/// nothing of it (the chunks of a large item it had begun are discarded by the getters). A
/// getter killed in the middle of a get leaves the item to the next getter, except a
/// chunked item it had begun to read, which is lost with it. Every other item is delivered
/// intact, exactly once. The memory is freed by the kernel when the last handle in any
/// process is gone, also after crashes.
///
/// Sleepers wake up at least every 100 ms to look again, so a process killed between
/// publishing an item and waking the getters delays them by that much at most.
///
/// # Timeouts
///
/// [`get_timeout`](Queue::get_timeout) applies to the start of an item (as in Python): once
/// a getter has the first chunk of a chunked item, it waits for the rest as long as its
/// putter lives. A [`put_timeout`](Queue::put_timeout) that runs out in the middle of a
/// chunked item takes back what it wrote (the getters discard it) and returns the item in
/// [`PutError::Full`].
pub struct Queue<T> {
    ring: Arc<Ring>,
    closed: Arc<AtomicBool>,
    items: PhantomData<fn(T) -> T>,
}

/// Configures and creates a [`Queue`] (or a [`JoinableQueue`]).
///
/// ```
/// use tripod::multiprocessing::Queue;
///
/// let q = Queue::<u64>::builder().maxsize(10).capacity(1 << 16).build().unwrap();
/// assert_eq!((q.maxsize(), q.capacity()), (10, 1 << 16));
/// ```
pub struct QueueBuilder<T> {
    maxsize: usize,
    capacity: usize,
    items: PhantomData<fn(T) -> T>,
}

impl<T> QueueBuilder<T> {
    /// The most items the queue holds (Python's `Queue(maxsize)`); 0, the default, is no
    /// bound on the count (the bytes of the ring still bound it).
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::builder().maxsize(2).build().unwrap();
    /// assert_eq!(q.maxsize(), 2);
    /// ```
    pub fn maxsize(mut self, maxsize: usize) -> Self {
        self.maxsize = maxsize;
        self
    }

    /// The bytes of the ring: rounded up to a power of two, at least 4 KiB, at most 1 GiB
    /// ([`build`](QueueBuilder::build) fails above). [`DEFAULT_CAPACITY`] by default. The
    /// first 16 MiB of the ring are committed (and mapped) at once, so that the first items
    /// pay no page faults; the rest as the ring is used.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::builder().capacity(5000).build().unwrap();
    /// assert_eq!(q.capacity(), 8192);
    /// ```
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }
}

impl<T: Serialize + DeserializeOwned> QueueBuilder<T> {
    /// Creates the queue.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a capacity above 1 GiB; an I/O error if the shared memory cannot
    /// be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<String>::builder().build().unwrap();
    /// assert!(q.is_empty());
    /// assert!(Queue::<u8>::builder().capacity(2 << 30).build().is_err());
    /// ```
    pub fn build(self) -> io::Result<Queue<T>> {
        Queue::create(self.capacity, self.maxsize, RingKind::Queue)
    }

    /// Creates a [`JoinableQueue`].
    ///
    /// # Errors
    ///
    /// As [`build`](QueueBuilder::build).
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::builder().maxsize(4).build_joinable().unwrap();
    /// assert_eq!(q.unfinished_tasks(), 0);
    /// ```
    pub fn build_joinable(self) -> io::Result<JoinableQueue<T>> {
        Queue::create(self.capacity, self.maxsize, RingKind::Joinable).map(JoinableQueue::wrap)
    }
}

impl<T> fmt::Debug for QueueBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueBuilder")
            .field("maxsize", &self.maxsize)
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl<T: Serialize + DeserializeOwned> Queue<T> {
    /// Creates a queue with no bound on the count and a ring of [`DEFAULT_CAPACITY`] bytes
    /// (Python's `Queue()`).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// q.put((1, "one".to_owned())).unwrap();
    /// assert_eq!(q.get().unwrap(), (1, "one".to_owned()));
    /// ```
    pub fn new() -> io::Result<Queue<T>> {
        Queue::builder().build()
    }

    /// Creates a queue holding at most `maxsize` items (Python's `Queue(maxsize)`; 0 is no
    /// bound).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::with_maxsize(1).unwrap();
    /// q.put('a').unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn with_maxsize(maxsize: usize) -> io::Result<Queue<T>> {
        Queue::builder().maxsize(maxsize).build()
    }

    /// A [`QueueBuilder`] to set the bound and the ring's size.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u32>::builder().capacity(1 << 20).build().unwrap();
    /// assert_eq!(q.capacity(), 1 << 20);
    /// ```
    pub fn builder() -> QueueBuilder<T> {
        QueueBuilder {
            maxsize: 0,
            capacity: DEFAULT_CAPACITY,
            items: PhantomData,
        }
    }

    pub(super) fn create(capacity: usize, maxsize: usize, kind: RingKind) -> io::Result<Self> {
        let ring = Ring::create(capacity, maxsize, std::any::type_name::<T>(), kind)?;
        Ok(Queue::from_ring(ring))
    }

    fn wait(&self, deadline: Option<Instant>, nonblocking: bool) -> Wait<'_> {
        Wait {
            deadline,
            nonblocking,
            closed: &self.closed,
        }
    }

    fn put_with(&self, item: T, wait: Wait<'_>) -> Result<(), PutError<T>> {
        if self.is_closed() {
            return Err(PutError::Closed(item));
        }
        let outcome = with_scratch(|buf| {
            wire::encode_into(&item, buf)?;
            Ok::<_, WireError>(self.ring.put(buf, &wait))
        });
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Fail::Timeout)) => Err(PutError::Full(item)),
            Ok(Err(Fail::Closed)) => Err(PutError::Closed(item)),
            Err(err) => Err(PutError::Encode(item, err)),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full (Python's `put`).
    ///
    /// When it returns `Ok`, the item is in shared memory: this process may exit at once.
    ///
    /// # Errors
    ///
    /// [`PutError::Closed`] if this handle is closed, [`PutError::Encode`] if the item
    /// cannot be encoded; never [`PutError::Full`]. The item comes back in the error.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// q.put(vec![1.5, 2.5]).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_with(item, self.wait(None, false))
    }

    /// Puts `item` if there is room right now (Python's `put_nowait`).
    ///
    /// It may wait for another putter to finish copying its item, but not for room, nor
    /// for a putter in the middle of an item larger than half the ring. An item larger than
    /// the free bytes is `Full`, so one larger than the ring only goes with
    /// [`put`](Queue::put) or [`put_timeout`](Queue::put_timeout).
    ///
    /// # Errors
    ///
    /// [`PutError::Full`] if there is no room, and as [`put`](Queue::put).
    ///
    /// ```
    /// use tripod::multiprocessing::{PutError, Queue};
    ///
    /// let q = Queue::with_maxsize(1).unwrap();
    /// q.try_put('a').unwrap();
    /// assert!(matches!(q.try_put('b'), Err(PutError::Full('b'))));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_with(item, self.wait(Some(Instant::now()), true))
    }

    /// Puts `item`, waiting at most `timeout` for room (Python's `put(item, timeout=t)`).
    ///
    /// # Errors
    ///
    /// [`PutError::Full`] if there was no room in time, and as [`put`](Queue::put).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::with_maxsize(1).unwrap();
    /// q.put(1).unwrap();
    /// let err = q.put_timeout(2, Duration::from_millis(10)).unwrap_err();
    /// assert!(err.is_full());
    /// ```
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_with(item, self.wait(deadline_after(timeout), false))
    }

    /// Puts every item of `items` in order, blocking like [`put`](Queue::put), encoding
    /// them all into one reused buffer. Returns how many were put.
    ///
    /// The putters' lock is held only while an item is copied into the ring, never while
    /// the iterator or an item's encoding runs: an iterator that waits (a channel, a
    /// socket) does not hold up the other putters, and may itself depend on them.
    ///
    /// # Errors
    ///
    /// As [`put`](Queue::put): the failing item comes back in the error, the items before
    /// it were put, and the items after it are not taken from the iterator (pass `&mut
    /// iter` to keep them).
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// assert_eq!(q.put_many(0..100u32).unwrap(), 100);
    /// assert_eq!(q.get_many(1000).unwrap(), (0..100).collect::<Vec<_>>());
    /// ```
    pub fn put_many<I: IntoIterator<Item = T>>(&self, items: I) -> Result<usize, PutError<T>> {
        let wait = self.wait(None, false);
        with_scratch(|buf| {
            let mut put = 0;
            // The iterator and the encoding are the caller's code, which may wait for
            // anything, even for another putter of this queue: they run without the lock.
            for item in items {
                if self.is_closed() {
                    return Err(PutError::Closed(item));
                }
                buf.clear();
                if let Err(err) = wire::encode_into(&item, buf) {
                    return Err(PutError::Encode(item, err));
                }
                if self.ring.put(buf, &wait).is_err() {
                    // No deadline: only a close stops a blocking put.
                    return Err(PutError::Closed(item));
                }
                put += 1;
            }
            Ok(put)
        })
    }

    fn get_with(&self, wait: Wait<'_>) -> Result<T, GetError> {
        if self.is_closed() {
            return Err(GetError::Closed);
        }
        let mut out = None;
        let got = self.ring.get(1, &wait, |bytes, _| {
            out = Some(wire::decode::<T>(bytes)?);
            Ok::<_, WireError>(())
        });
        match got {
            Ok(_) => Ok(out.expect("a get that succeeded decoded an item")),
            Err(fail) => Err(get_error(fail)),
        }
    }

    /// Removes and returns the item at the front, waiting while the queue is empty
    /// (Python's `get`).
    ///
    /// # Errors
    ///
    /// [`GetError::Closed`] if this handle is closed; [`GetError::Decode`] if the item
    /// cannot be decoded as a `T` (it is consumed); never [`GetError::Empty`].
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// q.put("x".to_owned()).unwrap();
    /// assert_eq!(q.get().unwrap(), "x");
    /// ```
    pub fn get(&self) -> Result<T, GetError> {
        self.get_with(self.wait(None, false))
    }

    /// Removes and returns the item at the front if there is one right now (Python's
    /// `get_nowait`). It may wait for another getter to finish reading an item, but not
    /// for one assembling an item larger than half the ring.
    ///
    /// # Errors
    ///
    /// [`GetError::Empty`] if there is none, and as [`get`](Queue::get).
    ///
    /// ```
    /// use tripod::multiprocessing::{GetError, Queue};
    ///
    /// let q = Queue::new().unwrap();
    /// assert!(matches!(q.try_get(), Err(GetError::Empty)));
    /// q.put(5u8).unwrap();
    /// assert_eq!(q.try_get().unwrap(), 5);
    /// ```
    pub fn try_get(&self) -> Result<T, GetError> {
        self.get_with(self.wait(Some(Instant::now()), true))
    }

    /// Removes and returns the item at the front, waiting at most `timeout` for one
    /// (Python's `get(timeout=t)`). The timeout applies to the start of an item: see
    /// [Timeouts](Queue#timeouts).
    ///
    /// # Errors
    ///
    /// [`GetError::Empty`] if none came in time, and as [`get`](Queue::get).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{GetError, Queue};
    ///
    /// let q = Queue::<u8>::new().unwrap();
    /// let err = q.get_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert!(matches!(err, GetError::Empty));
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_with(self.wait(deadline_after(timeout), false))
    }

    /// Waits for an item, then takes it and whatever else is in the queue right now, up to
    /// `max` items, under one lock. A batch does not wait for an item travelling in chunks
    /// (one larger than half the ring) unless it is the first.
    ///
    /// If an item after the first cannot be decoded, the batch ends before it and it stays
    /// at the front (the next get reports it).
    ///
    /// # Errors
    ///
    /// As [`get`](Queue::get), for the first item.
    ///
    /// # Panics
    ///
    /// If `max` is 0.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// q.put_many(['a', 'b', 'c']).unwrap();
    /// assert_eq!(q.get_many(2).unwrap(), ['a', 'b']);
    /// assert_eq!(q.get_many(2).unwrap(), ['c']);
    /// ```
    pub fn get_many(&self, max: usize) -> Result<Vec<T>, GetError> {
        assert!(max > 0, "get_many needs a max of at least 1");
        if self.is_closed() {
            return Err(GetError::Closed);
        }
        let mut out = Vec::new();
        let got = self.ring.get(max, &self.wait(None, false), |bytes, _| {
            out.push(wire::decode::<T>(bytes)?);
            Ok::<_, WireError>(())
        });
        match got {
            Ok(_) => Ok(out),
            Err(fail) => Err(get_error(fail)),
        }
    }
}

fn get_error(fail: GetFail<WireError>) -> GetError {
    match fail {
        GetFail::Item(err) => GetError::Decode(err),
        GetFail::Ring(Fail::Timeout) => GetError::Empty,
        GetFail::Ring(Fail::Closed) => GetError::Closed,
    }
}

impl<T> Queue<T> {
    pub(super) fn from_ring(ring: Ring) -> Self {
        Queue {
            ring: Arc::new(ring),
            closed: Arc::new(AtomicBool::new(false)),
            items: PhantomData,
        }
    }

    pub(super) fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The number of items in the queue (Python's `qsize()`): a snapshot, which other
    /// processes may change at once.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::new().unwrap();
    /// q.put(1).unwrap();
    /// q.put(2).unwrap();
    /// assert_eq!(q.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether the queue holds no item (Python's `empty()`; a snapshot).
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::new().unwrap();
    /// assert!(q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds [`maxsize`](Queue::maxsize) items (Python's `full()`; a
    /// snapshot). Always `false` without a bound: it is about the count, not the bytes.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::with_maxsize(1).unwrap();
    /// assert!(!q.is_full());
    /// q.put(0).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// The bound on the number of items; 0 is no bound.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// assert_eq!(Queue::<u8>::new().unwrap().maxsize(), 0);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.ring.maxsize()
    }

    /// The bytes of the ring.
    ///
    /// ```
    /// use tripod::multiprocessing::{DEFAULT_CAPACITY, Queue};
    ///
    /// assert_eq!(Queue::<u8>::new().unwrap().capacity(), DEFAULT_CAPACITY);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Closes this handle and its clones in this process (Python's `close()`): their puts
    /// and gets fail with `Closed` from now on, including those waiting right now. Other
    /// processes' handles are unaffected, and the items in the queue stay there for them.
    ///
    /// ```
    /// use tripod::multiprocessing::{GetError, Queue};
    ///
    /// let q = Queue::new().unwrap();
    /// q.put(1).unwrap();
    /// let other = q.clone();
    /// q.close();
    /// assert!(other.is_closed());
    /// assert!(matches!(other.get(), Err(GetError::Closed)));
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.ring.wake_everyone();
        }
    }

    /// Whether this handle is closed.
    ///
    /// ```
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::new().unwrap();
    /// assert!(!q.is_closed());
    /// q.close();
    /// assert!(q.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

impl<T> Clone for Queue<T> {
    /// Another handle to the same queue, sharing this handle's closed flag.
    fn clone(&self) -> Self {
        Queue {
            ring: Arc::clone(&self.ring),
            closed: Arc::clone(&self.closed),
            items: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("maxsize", &self.maxsize())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Serialize for Queue<T> {
    /// Sends the queue's shared memory (as a descriptor beside the encoding).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.ring.segment().serialize(serializer)
    }
}

/// Maps a received segment as a ring for `T`, of a kind in `accept`.
pub(super) fn open_ring<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    want: RingKind,
    accept: &[RingKind],
) -> Result<Ring, D::Error> {
    let segment = Segment::deserialize(deserializer)?;
    Ring::open(segment, std::any::type_name::<T>(), want, accept).map_err(|detail| {
        wire::note_custom_error(&detail);
        D::Error::custom(detail)
    })
}

impl<'de, T> Deserialize<'de> for Queue<T> {
    /// Maps the queue's shared memory, checking that it is a queue of `T` (a
    /// [`JoinableQueue`] is accepted: it is a queue too). The handle is open.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ring = open_ring::<D, T>(
            deserializer,
            RingKind::Queue,
            &[RingKind::Queue, RingKind::Joinable],
        )?;
        Ok(Queue::from_ring(ring))
    }
}
