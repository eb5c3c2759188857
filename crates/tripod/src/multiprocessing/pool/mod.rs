//! [`Pool`]: a pool of worker processes that never hangs (Python's `multiprocessing.Pool`).
//!
//! Tasks are registered `fn`s ([`tripod::task!`](crate::task)), called by name with their
//! arguments encoded as a tuple, as for [`Process`](super::Process). Workers are child
//! processes that run tasks in a loop; each has a duplex connection to the pool, which
//! sends it chunks of calls (many small chunks in flight, bounded by count and bytes, so
//! a worker never waits for the parent between chunks) and reads back each chunk's
//! outcomes. A chunk is one encoding each way: its argument tuples encoded in one pass,
//! its outcomes decoded in bulk.
//!
//! | Python | tripod |
//! |---|---|
//! | `Pool(processes)` | [`Pool::new(processes)`](Pool::new) (0: `cpu_count()`) |
//! | `Pool(processes, initializer, initargs, maxtasksperchild)` | [`Pool::builder()`](Pool::builder)`.processes(n).initializer(f, args).maxtasksperchild(n).build()` |
//! | `pool.apply(f, args)` | [`pool.apply(f, args)`](Pool::apply) |
//! | `pool.apply_async(f, args)` | [`pool.apply_async(f, args)`](Pool::apply_async) |
//! | `pool.apply_async(f, args, callback=cb, error_callback=ecb)` | [`pool.apply_async_with(f, args, AsyncOptions::new().callback(cb).error_callback(ecb))`](Pool::apply_async_with) |
//! | `pool.map(f, iterable, chunksize)` | [`pool.map(f, items, chunksize)`](Pool::map) (`None` or a number) |
//! | `pool.map_async(f, iterable, chunksize, callback, error_callback)` | [`map_async`](Pool::map_async), [`map_async_with`](Pool::map_async_with) |
//! | `pool.starmap(f, iterable)` / `starmap_async` | [`starmap`](Pool::starmap) / [`starmap_async`](Pool::starmap_async), [`starmap_async_with`](Pool::starmap_async_with) |
//! | `pool.imap(f, iterable, chunksize)` / `imap_unordered` | [`imap`](Pool::imap) / [`imap_unordered`](Pool::imap_unordered), giving an [`IMap`] of `Result`s |
//! | `AsyncResult.get/wait/ready/successful` | [`AsyncResult`] (and [`cancel`](AsyncResult::cancel), which Python's lacks) |
//! | `multiprocessing.TimeoutError` | [`PoolErrorKind::Timeout`] |
//! | `pool.close()` / `pool.terminate()` / `pool.join()` | [`close`](Pool::close) / [`terminate`](Pool::terminate) / [`join`](Pool::join) |
//! | `with Pool() as p:` (terminates at the end) | dropping the pool |
//!
//! # Example
//!
//! ```
//! use tripod::multiprocessing::{AsyncOptions, Pool};
//!
//! fn foo(i: u64) -> u64 { i + 100 }
//! tripod::task!(foo);
//!
//! let pool = Pool::new(2).unwrap();
//! let results: Vec<_> = (0..5)
//!     .map(|i| {
//!         let options = AsyncOptions::new().callback(|v: &u64| println!("-->exec done: {v}"));
//!         pool.apply_async_with(foo, (i,), options).unwrap()
//!     })
//!     .collect();
//! pool.close();
//! pool.join().unwrap();
//! let values: Vec<u64> = results.iter().map(|r| r.get().unwrap()).collect();
//! assert_eq!(values, [100, 101, 102, 103, 104]);
//! ```
//!
//! # Nothing hangs
//!
//! Python's `Pool` waits forever for a task whose worker was killed (cpython#96062).
//! tripod's does not:
//!
//! - a worker that dies (SIGKILL, `abort`, a segfault, `exit`) fails only the task it was
//!   running, with [`WorkerLost`](PoolErrorKind::WorkerLost) naming its pid and exit code
//!   or signal, as soon as its connection ends; the chunks it had received but not started
//!   go back to the queue; a new worker takes its place; the pool goes on
//!   ([`max_retries`](PoolBuilder::max_retries) runs the lost task again instead);
//! - a task that panics fails with [`Panicked`](PoolErrorKind::Panicked) and the panic
//!   message; its worker goes on;
//! - a task over its [timeout](AsyncOptions::timeout) has its worker killed and replaced
//!   and fails with [`TaskTimeout`](PoolErrorKind::TaskTimeout);
//! - a task [cancelled](AsyncResult::cancel) while it runs has its worker killed and
//!   replaced too, and fails with [`Cancelled`](PoolErrorKind::Cancelled) (Python's
//!   `AsyncResult` cannot be cancelled);
//! - [`terminate`](Pool::terminate) (and dropping the pool) kills and reaps every worker
//!   and fails what was unfinished with [`Terminated`](PoolErrorKind::Terminated);
//! - an initializer that panics breaks the pool: every task fails with
//!   [`Initializer`](PoolErrorKind::Initializer).
//!
//! Every [`AsyncResult`] completes.
//!
//! # Scheduling
//!
//! Unlike Python's pool, where a busy worker reads no more work, each worker here has the
//! next chunks sent ahead into its connection (up to 64, given to the worker with the
//! fewest in flight), so that many small tasks never wait for the parent. The price: a
//! task given to a worker that is busy with a long one waits for it, even if another
//! worker turns idle (no work is taken back). Keep long and short tasks in separate pools
//! when the short ones must not wait.
//!
//! A worker answers the tasks it runs back to back in batches (sent before it waits for
//! more work, after 16 answers, or within 1 ms), each answer also kept in a shared memory
//! journal until sent, so a worker that dies loses no finished result. One edge follows:
//! a task that finished less than about a millisecond before its timeout or its
//! [`cancel`](AsyncResult::cancel) (its answer not sent yet) is reported timed out or
//! cancelled, as if it were still running; the task its worker was really running then is
//! run again, without counting against its retries.
//!
//! # Callbacks
//!
//! Callbacks run in the parent, on one result thread of the pool, in the order the tasks
//! complete, as in Python; an [`AsyncResult`] is ready once its callback has returned. A
//! panicking callback is reported on stderr and the pool goes on.
//!
//! # Arguments
//!
//! A task's arguments and result travel through tripod's serde codec. Arguments holding OS
//! handles (a [`Connection`](super::connection::Connection), a process-shared
//! [`Lock`](super::Lock) or [`Event`](super::Event), shared memory) cannot be sent with a
//! task, as in Python; give them to every worker through the
//! [initializer](PoolBuilder::initializer) instead.
#![forbid(unsafe_code)]

mod builder;
mod engine;
mod error;
mod executor;
mod imap;
mod job;
mod journal;
#[allow(clippy::module_inception)]
mod pool;
mod progress;
mod protocol;
mod result;
mod worker;

pub use builder::PoolBuilder;
pub use error::{PoolError, PoolErrorKind};
pub use executor::{Call, ProcessPoolExecutor};
pub use imap::IMap;
pub use pool::Pool;
pub use progress::Progress;
pub use result::{AsyncOptions, AsyncResult};
pub(crate) use worker::worker_main;
