//! Run tasks on a pool of threads and wait for their results: Python's
//! `concurrent.futures`.
//!
//! | Python | tripod |
//! |---|---|
//! | `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`ThreadPoolExecutor::new`], [`ThreadPoolExecutor::builder`] |
//! | `with ThreadPoolExecutor() as pool:` | dropping the pool (= `shutdown(wait=True)`) |
//! | `pool.submit(fn, *args)` | [`pool.submit(move \|\| ...)`](ThreadPoolExecutor::submit) |
//! | `pool.map(fn, items, timeout=)` | [`pool.map(f, items)`](ThreadPoolExecutor::map), [`map_timeout`](ThreadPoolExecutor::map_timeout) |
//! | `pool.shutdown(wait, cancel_futures=)` | [`pool.shutdown(wait, cancel_futures)`](ThreadPoolExecutor::shutdown) |
//! | `ProcessPoolExecutor(max_workers, initializer, max_tasks_per_child)` | [`ProcessPoolExecutor::new`], [`ProcessPoolExecutor::from_builder`] (tasks: registered `fn`s, see [`tripod::task!`](crate::task)) |
//! | `Executor` | [`Executor<Task>`](Executor) |
//! | `Future` (`result`, `exception`, `done`, `running`, `cancel`, `cancelled`, `add_done_callback`) | [`Future`] |
//! | `Future.set_result` / `set_exception` (for executors) | [`Promise`] |
//! | `wait(fs, timeout, return_when)` | [`wait`] with [`ReturnWhen`], giving [`DoneAndNotDone`] |
//! | `as_completed(fs, timeout)` | [`as_completed`] |
//! | `CancelledError`, `TimeoutError`, `BrokenThreadPool`, the task's exception | [`FutureError`] and its [`FutureErrorKind`] |
//!
//! # Tutorial
//!
//! Submit tasks to a pool; each [`submit`](ThreadPoolExecutor::submit) returns a
//! [`Future`], a handle to the result. [`result`](Future::result) blocks until it is ready.
//! A task that panics does not take the pool down: its future holds the panic as an error.
//!
//! ```
//! use tripod::futures::{FutureErrorKind, ThreadPoolExecutor};
//!
//! let pool = ThreadPoolExecutor::new(4);
//! let double = pool.submit(|| "A".repeat(2));
//! let broken = pool.submit(|| -> String { panic!("bad task") });
//! assert_eq!(double.result().as_deref(), Ok("AA"));
//! assert_eq!(broken.result().unwrap_err().kind(), FutureErrorKind::Panicked);
//! ```
//!
//! [`map`](ThreadPoolExecutor::map) runs a function over items and yields the results in
//! the order of the items, even when later items finish first:
//!
//! ```
//! use tripod::futures::ThreadPoolExecutor;
//!
//! let pool = ThreadPoolExecutor::new(3);
//! let squares: Result<Vec<u64>, _> = pool.map(|x: u64| x * x, 0..10).collect();
//! assert_eq!(squares.unwrap(), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
//! ```
//!
//! [`wait`] waits for many futures at once ([`ReturnWhen::FirstCompleted`],
//! [`FirstException`](ReturnWhen::FirstException) or
//! [`AllCompleted`](ReturnWhen::AllCompleted)), and [`as_completed`] yields them as they
//! finish. Both register a waiter on each future instead of polling.
//!
//! ```
//! use tripod::futures::{as_completed, wait, ReturnWhen, ThreadPoolExecutor};
//!
//! let pool = ThreadPoolExecutor::new(4);
//! let tasks: Vec<_> = (0..8).map(|i| pool.submit(move || i + 1)).collect();
//! let outcome = wait(&tasks, None, ReturnWhen::AllCompleted);
//! assert_eq!(outcome.done.len(), 8);
//!
//! let sum: i32 = as_completed(&tasks, None).map(|f| f.unwrap().result().unwrap()).sum();
//! assert_eq!(sum, 36);
//! ```
//!
//! Dropping the pool waits for its tasks, like leaving Python's `with` block; use
//! [`shutdown(false, true)`](ThreadPoolExecutor::shutdown) to cancel the queued ones
//! instead. A submit after shutdown gives a future that already failed with
//! [`FutureErrorKind::ShutDown`].
#![forbid(unsafe_code)]

mod error;
mod executor;
mod future;
mod promise;
mod thread_pool;
mod wait;

pub use crate::multiprocessing::pool::{Call, ProcessPoolExecutor};
pub use error::{FutureError, FutureErrorKind, ThreadPoolBuildError};
pub use executor::{Executor, Map};
pub use future::Future;
pub use promise::Promise;
pub use thread_pool::{ThreadPoolBuilder, ThreadPoolExecutor};
pub use wait::{AsCompleted, DoneAndNotDone, ReturnWhen, as_completed, wait};
