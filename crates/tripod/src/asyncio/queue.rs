//! `Queue`, `LifoQueue`, `PriorityQueue`: Python's `asyncio.Queue` family, with
//! `task_done`/`join` and Python 3.13's `shutdown`.
#![forbid(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use event_listener::{Event, IntoNotification};
use parking_lot::Mutex;

use crate::queue::{
    Discipline, DisciplineStore, Fifo, Lifo, Priority, ShutDown, Store, TaskDoneError, TryGetError,
    TryPutError,
};

/// An async FIFO queue: Python's `asyncio.Queue`.
///
/// ```
/// use tripod::asyncio::{self, Queue};
///
/// asyncio::run(async {
///     let q = Queue::new(0);
///     q.put("a").await.unwrap();
///     assert_eq!(q.get().await, Ok("a"));
/// });
/// ```
pub type Queue<T> = BaseQueue<T, Fifo>;

/// An async LIFO queue (last in, first out): Python's `asyncio.LifoQueue`.
///
/// ```
/// use tripod::asyncio::{self, LifoQueue};
///
/// asyncio::run(async {
///     let q = LifoQueue::new(0);
///     q.put(1).await.unwrap();
///     q.put(2).await.unwrap();
///     assert_eq!(q.get().await, Ok(2));
/// });
/// ```
pub type LifoQueue<T> = BaseQueue<T, Lifo>;

/// An async queue that hands out the smallest item first: Python's `asyncio.PriorityQueue`.
///
/// ```
/// use tripod::asyncio::{self, PriorityQueue};
///
/// asyncio::run(async {
///     let q = PriorityQueue::new(0);
///     for job in [(3, "low"), (1, "urgent"), (2, "normal")] {
///         q.put(job).await.unwrap();
///     }
///     assert_eq!(q.get().await, Ok((1, "urgent")));
/// });
/// ```
pub type PriorityQueue<T> = BaseQueue<T, Priority>;

struct State<S> {
    store: S,
    unfinished: usize,
    shutdown: bool,
}

struct Shared<T, D: Discipline<T>> {
    maxsize: usize,
    state: Mutex<State<<D as DisciplineStore<T>>::Store>>,
    not_empty: Event,
    not_full: Event,
    all_done: Event,
}

/// The one async queue type; [`Queue`], [`LifoQueue`] and [`PriorityQueue`] fix its
/// discipline (as [`tripod::queue::BaseQueue`](crate::queue::BaseQueue) does for threads).
///
/// A handle: cloning it gives another handle to the same queue. `maxsize` 0 means
/// unbounded. The errors are the thread queue's ([`ShutDown`], [`TryPutError`],
/// [`TryGetError`], [`TaskDoneError`]).
///
/// Getters and putters that wait are woken one per item or free slot; a waiter that is
/// cancelled after being woken passes the wake-up on (event-listener does that), so no item
/// and no slot is left with a waiter asleep.
///
/// ```
/// use tripod::asyncio::{self, Queue};
///
/// asyncio::run(async {
///     let q: Queue<u32> = Queue::new(2);
///     assert_eq!(q.maxsize(), 2);
///     assert!(q.is_empty());
/// });
/// ```
pub struct BaseQueue<T, D: Discipline<T>> {
    shared: Arc<Shared<T, D>>,
    _marker: PhantomData<fn(T) -> T>,
}

impl<T, D: Discipline<T>> BaseQueue<T, D> {
    /// A queue holding at most `maxsize` items (0: unbounded).
    ///
    /// ```
    /// let q: tripod::asyncio::Queue<i32> = tripod::asyncio::Queue::new(0);
    /// assert_eq!(q.maxsize(), 0);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        BaseQueue {
            shared: Arc::new(Shared {
                maxsize,
                state: Mutex::new(State {
                    store: <D as DisciplineStore<T>>::Store::with_maxsize(maxsize),
                    unfinished: 0,
                    shutdown: false,
                }),
                not_empty: Event::new(),
                not_full: Event::new(),
                all_done: Event::new(),
            }),
            _marker: PhantomData,
        }
    }

    /// The bound given to [`new`](BaseQueue::new) (0: unbounded).
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Queue::<u8>::new(5).maxsize(), 5);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }

    /// The number of items in the queue: Python's `qsize()`.
    ///
    /// ```
    /// let q = tripod::asyncio::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.state.lock().store.len()
    }

    /// Whether the queue holds no item: Python's `empty()`.
    ///
    /// ```
    /// assert!(tripod::asyncio::Queue::<u8>::new(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds `maxsize` items: Python's `full()` (never for unbounded).
    ///
    /// ```
    /// let q = tripod::asyncio::Queue::new(1);
    /// q.try_put(()).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.shared.maxsize > 0 && self.len() >= self.shared.maxsize
    }

    /// Puts `item` in the queue, waiting while it is full: Python's `await queue.put(item)`.
    ///
    /// # Errors
    ///
    /// [`ShutDown`] with the item if the queue is (or, while waiting, gets) shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped before it returns, the item was not put (it is dropped with
    /// the future), and a free slot it was woken for passes to the next waiting putter.
    ///
    /// ```
    /// use tripod::asyncio::{self, Queue};
    ///
    /// asyncio::run(async {
    ///     let q = Queue::new(1);
    ///     q.put('a').await.unwrap();
    ///     assert_eq!(q.len(), 1);
    /// });
    /// ```
    pub async fn put(&self, item: T) -> Result<(), ShutDown<T>> {
        let mut item = item;
        loop {
            match self.try_put(item) {
                Ok(()) => return Ok(()),
                Err(TryPutError::ShutDown(item)) => return Err(ShutDown(item)),
                Err(TryPutError::Full(back)) => item = back,
            }
            let listener = self.shared.not_full.listen();
            match self.try_put(item) {
                Ok(()) => return Ok(()),
                Err(TryPutError::ShutDown(item)) => return Err(ShutDown(item)),
                Err(TryPutError::Full(back)) => item = back,
            }
            listener.await;
        }
    }

    /// Puts `item` if there is room, without waiting: Python's `put_nowait`.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] or [`TryPutError::ShutDown`], with the item.
    ///
    /// ```
    /// use tripod::queue::TryPutError;
    ///
    /// let q = tripod::asyncio::Queue::new(1);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        {
            let mut state = self.shared.state.lock();
            if state.shutdown {
                return Err(TryPutError::ShutDown(item));
            }
            if self.shared.maxsize > 0 && state.store.len() >= self.shared.maxsize {
                return Err(TryPutError::Full(item));
            }
            if let Err(item) = state.store.push(item) {
                return Err(TryPutError::Full(item));
            }
            state.unfinished += 1;
        }
        self.shared.not_empty.notify(1.additional());
        Ok(())
    }

    /// Takes an item, waiting while the queue is empty: Python's `await queue.get()`.
    ///
    /// # Errors
    ///
    /// [`ShutDown`] once the queue is shut down and empty (at once after
    /// `shutdown(true)`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped before it returns, no item was taken, and a wake-up it got
    /// for an item passes to the next waiting getter.
    ///
    /// ```
    /// use tripod::asyncio::{self, Queue};
    ///
    /// asyncio::run(async {
    ///     let q = Queue::new(0);
    ///     q.try_put(9).unwrap();
    ///     assert_eq!(q.get().await, Ok(9));
    /// });
    /// ```
    pub async fn get(&self) -> Result<T, ShutDown> {
        loop {
            match self.try_get() {
                Ok(item) => return Ok(item),
                Err(TryGetError::ShutDown) => return Err(ShutDown(())),
                Err(TryGetError::Empty) => {}
            }
            let listener = self.shared.not_empty.listen();
            match self.try_get() {
                Ok(item) => return Ok(item),
                Err(TryGetError::ShutDown) => return Err(ShutDown(())),
                Err(TryGetError::Empty) => {}
            }
            listener.await;
        }
    }

    /// Takes an item if there is one, without waiting: Python's `get_nowait`.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`], or [`TryGetError::ShutDown`] once shut down and empty.
    ///
    /// ```
    /// use tripod::queue::TryGetError;
    ///
    /// let q: tripod::asyncio::Queue<u8> = tripod::asyncio::Queue::new(0);
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let item = {
            let state = self.shared.state.lock();
            match state.store.pop() {
                Some(item) => item,
                None if state.shutdown => return Err(TryGetError::ShutDown),
                None => return Err(TryGetError::Empty),
            }
        };
        self.shared.not_full.notify(1.additional());
        Ok(item)
    }

    /// Marks one item taken earlier as processed: Python's `queue.task_done()`.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if called more times than items were put (Python's `ValueError`).
    ///
    /// ```
    /// let q = tripod::asyncio::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// q.try_get().unwrap();
    /// assert!(q.task_done().is_ok());
    /// assert!(q.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let all_done = {
            let mut state = self.shared.state.lock();
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            state.unfinished == 0
        };
        if all_done {
            self.shared.all_done.notify(usize::MAX);
        }
        Ok(())
    }

    /// The number of items put and not yet marked done.
    ///
    /// ```
    /// let q = tripod::asyncio::Queue::new(0);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.shared.state.lock().unfinished
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](BaseQueue::task_done): Python's `await queue.join()`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (it takes nothing from the queue).
    ///
    /// ```
    /// use tripod::asyncio::{self, Queue};
    ///
    /// asyncio::run(async {
    ///     let q = Queue::new(0);
    ///     q.join().await; // nothing put: returns at once
    ///     q.put(1).await.unwrap();
    ///     q.get().await.unwrap();
    ///     q.task_done().unwrap();
    ///     q.join().await;
    /// });
    /// ```
    pub async fn join(&self) {
        loop {
            if self.unfinished_tasks() == 0 {
                return;
            }
            let listener = self.shared.all_done.listen();
            if self.unfinished_tasks() == 0 {
                return;
            }
            listener.await;
        }
    }

    /// Shuts the queue down: Python 3.13's `queue.shutdown(immediate)`. Later puts fail
    /// with [`ShutDown`]; gets drain what is left, then fail. With `immediate`, the items
    /// left are dropped (and counted as done, so [`join`](BaseQueue::join) returns) and gets
    /// fail at once. Waiting putters and getters are woken to see it.
    ///
    /// ```
    /// use tripod::asyncio::{self, Queue};
    ///
    /// asyncio::run(async {
    ///     let q = Queue::new(0);
    ///     q.put(1).await.unwrap();
    ///     q.shutdown(false);
    ///     assert!(q.put(2).await.is_err());
    ///     assert_eq!(q.get().await, Ok(1));
    ///     assert!(q.get().await.is_err());
    /// });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        let dropped = {
            let mut state = self.shared.state.lock();
            state.shutdown = true;
            let mut dropped = Vec::new();
            if immediate {
                while let Some(item) = state.store.pop() {
                    dropped.push(item);
                    state.unfinished = state.unfinished.saturating_sub(1);
                }
            }
            dropped
        };
        drop(dropped);
        self.shared.not_empty.notify(usize::MAX);
        self.shared.not_full.notify(usize::MAX);
        if self.unfinished_tasks() == 0 {
            self.shared.all_done.notify(usize::MAX);
        }
    }

    /// Whether [`shutdown`](BaseQueue::shutdown) was called.
    ///
    /// ```
    /// let q = tripod::asyncio::Queue::<u8>::new(0);
    /// q.shutdown(true);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shared.state.lock().shutdown
    }
}

impl<T, D: Discipline<T>> Clone for BaseQueue<T, D> {
    fn clone(&self) -> Self {
        BaseQueue {
            shared: Arc::clone(&self.shared),
            _marker: PhantomData,
        }
    }
}

impl<T, D: Discipline<T>> Default for BaseQueue<T, D> {
    fn default() -> Self {
        BaseQueue::new(0)
    }
}

impl<T, D: Discipline<T>> fmt::Debug for BaseQueue<T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(<D as DisciplineStore<T>>::NAME)
            .field("len", &self.len())
            .field("maxsize", &self.shared.maxsize)
            .finish()
    }
}
