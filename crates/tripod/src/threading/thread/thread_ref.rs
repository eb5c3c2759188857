//! [`ThreadRef`]: the information handle of one thread (Python's `Thread` object as seen
//! through `current_thread()` or `enumerate()`).
#![forbid(unsafe_code)]

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

/// Where a thread came from; decides how it is registered and waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The process's main thread (`MainThread`).
    Main,
    /// A thread started by [`Thread::start`](super::Thread::start).
    Started,
    /// A thread tripod did not start, seen through `current_thread()` (Python's
    /// `_DummyThread`).
    Dummy,
}

struct Inner {
    name: String,
    ident: u64,
    daemon: bool,
    kind: Kind,
    alive: Mutex<bool>,
    stopped: Condvar,
}

/// A cheap, clonable handle describing one thread: its name, ident, daemon flag and
/// whether it is still running.
///
/// This is what [`current_thread`](super::current_thread),
/// [`main_thread`](super::main_thread) and [`enumerate`](super::enumerate) return, and
/// what [`JoinHandle::thread`](super::JoinHandle::thread) gives for a thread you started.
/// Two `ThreadRef`s are equal when they describe the same thread (same ident).
///
/// ```
/// use tripod::threading::{current_thread, Thread};
///
/// let handle = Thread::new(|| current_thread()).name("worker").start().unwrap();
/// let seen_inside = handle.thread().clone();
/// let returned = handle.join().unwrap();
/// assert_eq!(returned, seen_inside);
/// assert_eq!(returned.name(), "worker");
/// assert!(!returned.is_alive());
/// ```
#[derive(Clone)]
pub struct ThreadRef {
    inner: Arc<Inner>,
}

impl ThreadRef {
    pub(crate) fn new(name: String, ident: u64, daemon: bool, kind: Kind) -> Self {
        ThreadRef {
            inner: Arc::new(Inner {
                name,
                ident,
                daemon,
                kind,
                alive: Mutex::new(true),
                stopped: Condvar::new(),
            }),
        }
    }

    /// The thread's name: the one given to [`Thread::name`](super::Thread::name), else
    /// `Thread-N` as in Python; `MainThread` for the main thread; for a thread tripod did
    /// not start, the name std knows it by, else `Dummy-N`.
    ///
    /// ```
    /// use tripod::threading::main_thread;
    ///
    /// assert_eq!(main_thread().name(), "MainThread");
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The thread's identifier: a number unique to this thread for the life of the
    /// process (tripod's own counter, never reused), equal to
    /// [`get_ident`](super::get_ident) called on that thread.
    ///
    /// ```
    /// use tripod::threading::{get_ident, Thread};
    ///
    /// let handle = Thread::new(get_ident).start().unwrap();
    /// let ident = handle.ident();
    /// assert_eq!(handle.join().unwrap(), ident);
    /// ```
    pub fn ident(&self) -> u64 {
        self.inner.ident
    }

    /// Whether this is a daemon thread: one that [`tripod::main`](crate::main) and
    /// [`wait_for_non_daemon`](super::wait_for_non_daemon) do not wait for.
    ///
    /// ```
    /// use tripod::threading::main_thread;
    ///
    /// assert!(!main_thread().is_daemon());
    /// ```
    pub fn is_daemon(&self) -> bool {
        self.inner.daemon
    }

    /// Whether the thread is still running: true from [`Thread::start`](super::Thread::start)
    /// until its target has returned (or panicked). The main thread is alive for as long
    /// as the process runs; a thread tripod did not start is alive until it exits.
    ///
    /// ```
    /// use tripod::threading::{main_thread, Thread};
    ///
    /// assert!(main_thread().is_alive());
    /// let handle = Thread::new(|| ()).start().unwrap();
    /// let info = handle.thread().clone();
    /// handle.join().unwrap();
    /// assert!(!info.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        *self.inner.alive.lock()
    }

    pub(crate) fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// Marks the thread as finished and wakes everyone waiting for that.
    pub(crate) fn mark_stopped(&self) {
        let mut alive = self.inner.alive.lock();
        *alive = false;
        self.inner.stopped.notify_all();
    }

    /// Waits until the thread has finished or the deadline passes; true if it finished.
    pub(crate) fn wait_stopped(&self, deadline: Option<Instant>) -> bool {
        let mut alive = self.inner.alive.lock();
        while *alive {
            match deadline {
                None => self.inner.stopped.wait(&mut alive),
                Some(deadline) => {
                    if self
                        .inner
                        .stopped
                        .wait_until(&mut alive, deadline)
                        .timed_out()
                    {
                        return !*alive;
                    }
                }
            }
        }
        true
    }
}

impl PartialEq for ThreadRef {
    fn eq(&self, other: &Self) -> bool {
        self.inner.ident == other.inner.ident
    }
}

impl Eq for ThreadRef {}

impl Hash for ThreadRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.ident.hash(state);
    }
}

impl fmt::Debug for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadRef")
            .field("name", &self.inner.name)
            .field("ident", &self.inner.ident)
            .field("daemon", &self.inner.daemon)
            .field("alive", &self.is_alive())
            .finish()
    }
}
