//! Threads and the tools around them (Python's `threading`).
//!
//! tripod threads are OS threads with no GIL: CPU-bound code really runs in parallel
//! (see `examples/gil_free_speedup.rs`).
//!
//! # Starting and joining threads
//!
//! [`Thread`] is a builder: give it a target closure (Python's `target=` and `args=`
//! in one), optionally a name and a daemon flag, then [`start`](Thread::start) it. The
//! [`JoinHandle`] it returns waits for the thread, and hands back the target's return
//! value, or its panic as a [`PanicError`](crate::PanicError).
//!
//! ```
//! use std::time::Duration;
//! use tripod::threading::{current_thread, Thread};
//!
//! // Python: t = threading.Thread(target=loop, name='LoopThread'); t.start(); t.join()
//! let t = Thread::new(|| {
//!     let me = current_thread();
//!     (1..=5).map(|n| format!("thread {} >>> {n}", me.name())).collect::<Vec<_>>()
//! })
//! .name("LoopThread")
//! .start()
//! .unwrap();
//! assert!(t.join_timeout(Duration::from_secs(10))); // does not consume the handle
//! let lines = t.join().unwrap();
//! assert_eq!(lines[4], "thread LoopThread >>> 5");
//!
//! // A panic reaches the joiner as a value, not as a crash.
//! let bad = Thread::new(|| -> u32 { panic!("division by zero") }).start().unwrap();
//! assert_eq!(bad.join().unwrap_err().message(), "division by zero");
//! ```
//!
//! Unnamed threads are called `Thread-1`, `Thread-2`, ... as in Python, and the name is
//! also the OS thread's name. [`current_thread`], [`main_thread`] (named `MainThread`),
//! [`enumerate`], [`active_count`] and [`get_ident`] work as in Python, including on
//! threads tripod did not start (they appear as daemon "dummy" entries while they live).
//!
//! # Daemon threads and program exit
//!
//! Python waits for every non-daemon thread before the interpreter exits. **Rust does
//! not: when `main` returns, the process ends and all threads die, daemon or not.** To
//! get Python's behaviour, wrap your `main` in [`tripod::main`](crate::main) (or call
//! [`wait_for_non_daemon`] at its end):
//!
//! ```
//! use std::sync::mpsc;
//! use tripod::threading::Thread;
//!
//! let (tx, rx) = mpsc::channel();
//! tripod::main(|| {
//!     let tx2 = tx.clone();
//!     Thread::new(move || tx2.send("child done").unwrap()).daemon(false).start().unwrap();
//!     // A daemon thread is not waited for: this one may never finish.
//!     Thread::new(|| loop { std::thread::park() }).daemon(true).start().unwrap();
//! });
//! // tripod::main returned only after the non-daemon child finished.
//! assert_eq!(rx.try_recv(), Ok("child done"));
//! ```
//!
//! The daemon flag defaults to the starting thread's, as in Python: threads started from
//! the main thread are non-daemon unless told otherwise, and threads tripod did not start
//! (plain `std::thread`s, test harness threads) count as daemon.
//!
//! # Timers and thread-local data
//!
//! [`Timer`] runs a function once after an interval on its own thread, unless
//! [`cancel`](TimerHandle::cancel)led first. [`Local`] holds one value per thread
//! (Python's `threading.local()`).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tripod::threading::{Local, Thread, Timer};
//!
//! let hello = Timer::new(Duration::from_millis(10), || "hello, world").start().unwrap();
//! assert_eq!(hello.join().unwrap(), Some("hello, world"));
//!
//! let student = Arc::new(Local::new());
//! let s = Arc::clone(&student);
//! let t = Thread::new(move || {
//!     s.set("Alice");
//!     s.get()
//! })
//! .name("Thread-A")
//! .start()
//! .unwrap();
//! assert_eq!(t.join().unwrap(), Some("Alice"));
//! assert_eq!(student.get(), None); // this thread never set it
//! ```
//!
//! # Locks and the other synchronisation primitives
//!
//! [`Lock`], [`RLock`], [`Condition`], [`Semaphore`], [`BoundedSemaphore`], [`Event`]
//! and [`Barrier`] behave as Python's. The locks own the data they protect (Python's
//! protect "a section of code"), and release through guards: Python's `with lock:` is
//! `let guard = lock.acquire();`, and the lock is released when the guard goes out of
//! scope, also on a panic.
//!
//! ```
//! use std::sync::Arc;
//! use tripod::threading::{Event, Lock, Thread};
//!
//! let balance = Arc::new(Lock::new(0i64));
//! let ready = Arc::new(Event::new());
//! let (b, r) = (Arc::clone(&balance), Arc::clone(&ready));
//! let t = Thread::new(move || {
//!     r.wait();
//!     *b.acquire() += 5; // with lock: balance += 5
//! })
//! .start()
//! .unwrap();
//! ready.set();
//! t.join().unwrap();
//! assert_eq!(*balance.acquire(), 5);
//! ```

mod local;
mod thread;
mod timer;

mod barrier;
mod condition;
mod event;
mod lock;
mod rlock;
mod semaphore;

pub use barrier::{Barrier, BarrierBuilder, BrokenBarrierError};
pub use condition::{Condition, ConditionGuard};
pub use event::Event;
pub use local::Local;
pub use lock::{Lock, LockGuard};
pub use rlock::{NotOwnerError, RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard, TooManyReleasesError};
pub use thread::{
    JoinHandle, Thread, ThreadRef, active_count, current_thread, enumerate, get_ident, main_thread,
    wait_for_non_daemon, wait_for_non_daemon_deadline, wait_for_non_daemon_timeout,
};
pub use timer::{Timer, TimerHandle};
