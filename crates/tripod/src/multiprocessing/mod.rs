//! `multiprocessing`: run Rust functions in child processes (Python's `multiprocessing`).
//!
//! A child process runs a function of the same program: a plain `fn`, registered once
//! with [`tripod::task!`](crate::task), whose arguments (a tuple) and return value travel
//! through tripod's serde codec. [`Process`] is Python's `multiprocessing.Process` as a
//! builder; [`ProcessHandle::join`] returns the function's value, and a panic in the child
//! comes back as an error carrying the panic message.
//!
//! ```
//! use tripod::multiprocessing::{Process, current_process, getpid};
//!
//! fn run_proc(name: String) -> String {
//!     format!("Run child process {name} ({}), called {}", getpid(), current_process().name())
//! }
//! tripod::task!(run_proc);
//!
//! let p = Process::new(run_proc, ("test".to_owned(),)).start().unwrap();
//! let pid = p.pid();
//! let line = p.join().unwrap();
//! assert_eq!(line, format!("Run child process test ({pid}), called Process-1"));
//! ```
//!
//! # No extra line in `main`
//!
//! A child started with [`StartMethod::Spawn`] (the default) runs the program's
//! executable again. tripod's child entry is a constructor (the `ctor` crate) that runs
//! before `main` in every program that links tripod: in an ordinary run it returns at once
//! (one `getenv`); in a child it runs the task and exits, so `main` (or libtest's `main`
//! under `cargo test` and `cargo nextest`, or an example's) never runs in the child, and
//! nothing the program does before the task runs twice. A program cannot start itself
//! recursively by accident.
//!
//! # How the child runs
//!
//! The task of a `Spawn` child (and the fork server's loop) runs inside that constructor,
//! before `main`: Rust's runtime setup in `lang_start` has not happened. What differs:
//!
//! - no stack-overflow handler is installed, so a task that overflows its stack dies of
//!   SIGSEGV (exit code -11) without the "has overflowed its stack" message;
//! - the main thread has no name (`thread::current().name()` is `None`, not `"main"`);
//! - tripod sets SIGPIPE to ignored itself, as `lang_start` would, so a write to a closed
//!   pipe is an error, not death;
//! - the child leaves with `std::process::exit` after flushing stdout (a `Fork` or
//!   `ForkServer` child with `_exit`, since its `atexit` handlers belong to the process it
//!   was forked from), so what a task wants done at exit it does before it returns.
//!
//! Everything else is as in `main`: the allocator, threads, panics (caught and returned
//! to [`ProcessHandle::join`]), stdio, the environment. Running before `main` is what
//! lets the child entry work unchanged in a binary, an example, `cargo test` and
//! `cargo nextest`, with nothing of the program run twice.
//!
//! [`tripod::main`](crate::main) adds Python's exit behaviour on top: when its body
//! returns it terminates daemon children still running and waits for the others, as
//! Python's `multiprocessing` does at interpreter exit.
//!
//! # Pools
//!
//! [`Pool`] runs registered functions on a pool of worker processes (`apply`,
//! `apply_async`, `map`, `imap`, ... as in Python); a worker that dies fails only the task
//! it was running, and the pool goes on. See [`pool`].
//!
//! # Connections
//!
//! [`connection::Pipe`] gives two connected [`connection::Connection`]s that carry typed
//! values (or raw bytes) between processes; a `Connection` can be an argument of a child.
//! [`connection::Listener`] and [`connection::Client`] connect processes over TCP or Unix
//! sockets, with an HMAC challenge-response on an `authkey`.
//!
//! # Queues across processes (Linux)
//!
//! [`Queue`], [`JoinableQueue`] and [`SimpleQueue`] are Python's process queues, for any
//! `T: Serialize + DeserializeOwned`. Each is a ring buffer in shared memory: a put encodes
//! the item and copies it into the ring itself (there is no feeder thread, so once `put`
//! returns the item is in the queue, even if the process exits at once), and a get decodes
//! it straight from the ring. Handles are cheap to [`Clone`] and are arguments of child
//! processes like any other value. Robust locks keep the queue intact when a process is
//! killed in the middle of a put or a get (see [Crash safety](Queue#crash-safety)).
//!
//! ```
//! use tripod::multiprocessing::{Process, Queue};
//!
//! fn square(tasks: Queue<Option<u64>>, results: Queue<u64>) {
//!     while let Some(x) = tasks.get().unwrap() {
//!         results.put(x * x).unwrap();
//!     }
//! }
//! tripod::task!(square);
//!
//! let tasks = Queue::new().unwrap();
//! let results = Queue::new().unwrap();
//! let worker = Process::new(square, (tasks.clone(), results.clone())).start().unwrap();
//! tasks.put_many((1..=4).map(Some).chain([None])).unwrap();
//! let mut got: Vec<u64> = (0..4).map(|_| results.get().unwrap()).collect();
//! got.sort();
//! assert_eq!(got, [1, 4, 9, 16]);
//! worker.join().unwrap();
//! ```
//!
//! # Synchronisation across processes (Linux)
//!
//! [`Lock`], [`RLock`], [`Semaphore`], [`BoundedSemaphore`], [`Event`], [`Condition`] and
//! [`Barrier`] work as their [`threading`](crate::threading) twins, across processes: each
//! lives in shared memory, a handle is cheap to [`Clone`], and handles are arguments of
//! child processes like any other value. The locks are robust: a process killed while
//! holding a [`Lock`] or [`RLock`] does not deadlock the others; the next acquirer gets
//! the lock with an [`OwnerDied`] error holding the guard, and repairs what the lock
//! protects (or just carries on with [`OwnerDied::into_guard`]).
//!
//! ```
//! use tripod::multiprocessing::{Lock, OwnerDied, Process};
//!
//! fn hello(lock: Lock, i: u32) -> String {
//!     let _held = lock.acquire().unwrap_or_else(OwnerDied::into_guard);
//!     format!("Hello world {i}")
//! }
//! tripod::task!(hello);
//!
//! let lock = Lock::new().unwrap();
//! let p = Process::new(hello, (lock.clone(), 7)).start().unwrap();
//! assert_eq!(p.join().unwrap(), "Hello world 7");
//! assert!(!lock.locked());
//! ```
//!
//! # Start methods
//!
//! [`StartMethod::Spawn`] (default), [`StartMethod::ForkServer`] and the `unsafe`
//! [`StartMethod::fork`]; see [`StartMethod`]. Choose one for all processes with
//! [`set_start_method`] or per process with [`Process::start_method`].
//!
//! # Nothing hangs
//!
//! Arguments and results of any size stream through a Unix socket without deadlock (the
//! parent sends all arguments before it reads, the child reads all before it writes). A
//! child that cannot decode its arguments, panics, or is killed ends [`ProcessHandle::join`]
//! with a [`ProcessError`] saying so. Each child is reaped by the parent (on a cached
//! monitor thread), also when its handle is dropped, so no zombie remains.
#![forbid(unsafe_code)]

pub mod connection;
pub mod pool;
mod process;
#[cfg(target_os = "linux")]
mod queues;
#[cfg(target_os = "linux")]
pub mod shared_memory;
#[cfg(target_os = "linux")]
pub mod sharedctypes;
#[cfg(target_os = "linux")]
mod synchronize;

pub use crate::spawn::{StartMethod, Target, get_start_method, set_start_method};
pub use crate::sys::ForkPermit;
pub(crate) use pool::worker_main as pool_worker_main;
pub use pool::{
    AsyncOptions, AsyncResult, IMap, Pool, PoolBuilder, PoolError, PoolErrorKind, Progress,
};
pub use process::{
    CurrentProcess, ParentProcess, Process, ProcessError, ProcessErrorKind, ProcessHandle,
    cpu_count, current_process, getpid, getppid, parent_process,
};
#[cfg(target_os = "linux")]
pub use queues::{
    DEFAULT_CAPACITY, GetError, JoinableQueue, PutError, Queue, QueueBuilder, SimpleQueue,
};
#[cfg(target_os = "linux")]
pub use sharedctypes::{Array, ArrayGuard, RawArray, RawValue, Value, ValueGuard};
#[cfg(target_os = "linux")]
pub use synchronize::{
    AcquireTimeoutError, Barrier, BoundedSemaphore, Condition, ConditionGuard, Event, Lock,
    LockGuard, OwnerDied, RLock, RLockGuard, Semaphore, SemaphoreGuard, TryAcquireError,
};
