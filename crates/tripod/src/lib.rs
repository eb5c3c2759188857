//! tripod: Python's concurrency toolkit, rebuilt in Rust.
//!
//! Threads, processes and coroutines with the concepts (and, where they are clear, the
//! names) a Python programmer already knows from `threading`, `queue`,
//! `concurrent.futures`, `sched`, `subprocess`, `multiprocessing` and `asyncio`, without
//! a GIL and without pickle.
//!
//! | Python | tripod |
//! |---|---|
//! | `threading` | [`threading`] |
//! | `queue` | [`queue`] |
//! | `concurrent.futures` | [`futures`] |
//! | `sched` | [`sched`] |
//! | `subprocess` | [`subprocess`] |
//! | `multiprocessing` | [`multiprocessing`] |
//! | `asyncio` | [`asyncio`] (cargo feature `asyncio`, on by default) |
//!
//! # A first program
//!
//! Python's bank-balance example, with a thread pool and a queue around it: the lock owns
//! the balance, the pool returns each task's value through a [`futures::Future`], and
//! [`main`] waits for non-daemon threads before returning, as the Python interpreter does
//! at exit.
//!
//! ```
//! use std::sync::Arc;
//! use tripod::futures::ThreadPoolExecutor;
//! use tripod::queue::Queue;
//! use tripod::threading::Lock;
//!
//! tripod::main(|| {
//!     let balance = Arc::new(Lock::new(0i64));
//!     let log: Queue<String> = Queue::new(0);
//!     let pool = ThreadPoolExecutor::new(4);
//!     let futures: Vec<_> = [5i64, 8]
//!         .into_iter()
//!         .map(|n| {
//!             let (balance, log) = (Arc::clone(&balance), log.clone());
//!             pool.submit(move || {
//!                 for _ in 0..10_000 {
//!                     let mut b = balance.acquire(); // with lock:
//!                     *b += n;
//!                     *b -= n;
//!                 }
//!                 log.put(format!("changed by {n}")).unwrap();
//!                 n
//!             })
//!         })
//!         .collect();
//!     let total: i64 = futures.iter().map(|f| f.result().unwrap()).sum();
//!     assert_eq!(total, 13);
//!     assert_eq!(*balance.acquire(), 0);
//!     assert_eq!(log.len(), 2);
//! });
//! ```
#![deny(unsafe_op_in_unsafe_fn)]

mod entry;
mod panic;

#[cfg(target_os = "linux")]
mod shm;
#[cfg(unix)]
mod spawn;
#[cfg(unix)]
mod sys;

#[cfg(feature = "asyncio")]
pub mod asyncio;
pub mod futures;
#[cfg(unix)]
pub mod multiprocessing;
pub mod queue;
pub mod sched;
pub mod subprocess;
pub mod threading;
pub mod wire;

pub use entry::main;
pub use panic::PanicError;

/// What `tripod::task!` expands to; not public API.
#[cfg(unix)]
#[doc(hidden)]
pub mod __private {
    pub use crate::spawn::{Outcome, TaskEntry, register, run_chunk, run_task, type_id_of};
    pub use ctor;
}
