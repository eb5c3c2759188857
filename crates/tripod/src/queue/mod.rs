//! Queues for passing items between threads: Python's `queue` module.
//!
//! | Python | tripod |
//! |---|---|
//! | `queue.Queue(maxsize)` | [`Queue::new(maxsize)`](Queue::new) (first in, first out) |
//! | `queue.LifoQueue(maxsize)` | [`LifoQueue::new(maxsize)`](LifoQueue::new) (last in, first out) |
//! | `queue.PriorityQueue(maxsize)` | [`PriorityQueue::new(maxsize)`](PriorityQueue::new) (lowest first) |
//! | `queue.SimpleQueue()` | [`SimpleQueue::new()`](SimpleQueue::new) (unbounded, no tasks) |
//! | `put(item)` / `put_nowait` / `put(item, timeout=t)` | `put` / `try_put` / `put_timeout` |
//! | `get()` / `get_nowait` / `get(timeout=t)` | `get` / `try_get` / `get_timeout` |
//! | `qsize()`, `empty()`, `full()` | `len()`, `is_empty()`, `is_full()` |
//! | `task_done()`, `join()` | `task_done()`, `join()` (and `join_timeout`) |
//! | `shutdown(immediate=False)` (3.13) | `shutdown(immediate)` |
//! | `Full`, `Empty`, `ShutDown`, `ValueError` | [`TryPutError::Full`], [`TryGetError::Empty`], [`ShutDown`], [`TaskDoneError`] |
//!
//! A queue handle is cheap to clone: each clone is another handle to the same queue, to
//! move into a thread. Every type is `Send + Sync` when `T: Send`.
//!
//! [`Queue`], [`LifoQueue`] and [`PriorityQueue`] are one generic type, [`BaseQueue<T, D>`],
//! with its [`Discipline`] `D` fixed to [`Fifo`], [`Lifo`] or [`Priority`]: they share every
//! method, and code that works with any of them takes a `BaseQueue<T, D>`.
//!
//! # Producers, workers and `join`
//!
//! As in Python, each put counts an unfinished task; a worker calls
//! [`task_done`](Queue::task_done) when it has finished with an item, and
//! [`join`](Queue::join) waits until every item put has been processed.
//! [`shutdown`](Queue::shutdown) then tells the workers to stop: their `get` fails with
//! [`ShutDown`] once the queue is empty.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use std::thread;
//! use tripod::queue::Queue;
//!
//! let q = Queue::new(4); // at most 4 items waiting: the producer blocks when ahead
//! let total = Arc::new(AtomicU64::new(0));
//! let workers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let (q, total) = (q.clone(), Arc::clone(&total));
//!         thread::spawn(move || {
//!             while let Ok(n) = q.get() {
//!                 total.fetch_add(n, Ordering::Relaxed);
//!                 q.task_done().unwrap();
//!             }
//!         })
//!     })
//!     .collect();
//!
//! for n in 1..=100 {
//!     q.put(n).unwrap();
//! }
//! q.join(); // every item has been processed
//! assert_eq!(total.load(Ordering::Relaxed), 5050);
//!
//! q.shutdown(false); // workers' get() now fails with ShutDown
//! for w in workers {
//!     w.join().unwrap();
//! }
//! ```
//!
//! # Errors
//!
//! Each method family has its own error type, so a `match` lists only what can happen, and
//! an error that refused an item hands it back:
//!
//! ```
//! use std::time::Duration;
//! use tripod::queue::{GetTimeoutError, Queue, TryPutError};
//!
//! let q = Queue::new(1);
//! q.put("first").unwrap();
//! match q.try_put("second") {
//!     Err(TryPutError::Full(item)) => assert_eq!(item, "second"),
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(q.get(), Ok("first"));
//! assert_eq!(q.get_timeout(Duration::from_millis(1)), Err(GetTimeoutError::Timeout));
//! ```
//!
//! # Performance
//!
//! [`Queue`] and [`SimpleQueue`] store items in crossbeam's lock-free queues and keep their
//! counters in atomics; a thread only sleeps (after a short spin) when it must wait, and a
//! put or get only pays for a wake-up when someone sleeps. [`LifoQueue`] and
//! [`PriorityQueue`] keep their items under a short-held mutex, as Python does.
#![forbid(unsafe_code)]

mod base;
mod discipline;
mod engine;
mod error;
#[cfg(all(test, tripod_loom))]
mod loom_tests;
mod signal;
mod simple;
mod store;
mod sync;

pub use base::{BaseQueue, LifoQueue, PriorityQueue, Queue};
#[cfg(feature = "asyncio")]
pub(crate) use discipline::sealed::Sealed as DisciplineStore;
pub use discipline::{Discipline, Fifo, Lifo, Priority};
#[cfg(feature = "asyncio")]
pub(crate) use engine::Store;
pub use error::{
    GetTimeoutError, PutTimeoutError, ShutDown, TaskDoneError, TryGetError, TryPutError,
};
pub use simple::SimpleQueue;
