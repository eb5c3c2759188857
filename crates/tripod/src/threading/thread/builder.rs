//! [`Thread`]: the builder that configures and starts a thread (Python's
//! `threading.Thread(target=..., name=..., daemon=...)` followed by `start()`).
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::join_handle::JoinHandle;
use super::registry;
use super::thread_ref::{Kind, ThreadRef};
use crate::PanicError;

/// A thread to be started: its target, and optionally a name, a daemon flag and a stack
/// size. [`start`](Thread::start) runs the target on a new OS thread and returns a
/// [`JoinHandle`].
///
/// Python's `args=(...)` are the closure's captures; Python's "subclass `Thread` and
/// override `run()`" is a value with a `run` method moved into the closure.
///
/// ```
/// use tripod::threading::{current_thread, Thread};
///
/// let numbers = vec![1, 2, 3];
/// let handle = Thread::new(move || {
///     (current_thread().name().to_owned(), numbers.iter().sum::<i32>())
/// })
/// .name("adder")
/// .start()
/// .unwrap();
/// assert_eq!(handle.join().unwrap(), ("adder".to_owned(), 6));
/// ```
#[must_use = "a Thread does nothing until it is started with `.start()`"]
pub struct Thread<F> {
    target: F,
    name: Option<String>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
}

impl<F, T> Thread<F>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// A thread that will run `target`; its return value is what
    /// [`JoinHandle::join`] gives back.
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| 6 * 7).start().unwrap();
    /// assert_eq!(handle.join().unwrap(), 42);
    /// ```
    pub fn new(target: F) -> Self {
        Thread {
            target,
            name: None,
            daemon: None,
            stack_size: None,
        }
    }

    /// Names the thread. Without a name it is called `Thread-N`, N counting up from 1
    /// across the process, as in Python. The name is also given to the OS thread, so it
    /// shows in panic messages, debuggers and `std::thread::current().name()`.
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| std::thread::current().name().map(str::to_owned))
    ///     .name("Thread-A")
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(handle.name(), "Thread-A");
    /// assert_eq!(handle.join().unwrap().as_deref(), Some("Thread-A"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes the thread a daemon (`true`) or not (`false`). Daemon threads are not waited
    /// for by [`tripod::main`](crate::main) and
    /// [`wait_for_non_daemon`](super::wait_for_non_daemon); they die when the process
    /// exits. Without this call the thread inherits the flag of the thread that starts it,
    /// as in Python: the main thread is not a daemon, and threads tripod did not start
    /// (std threads, test harness threads) count as daemons.
    ///
    /// ```
    /// use tripod::threading::{current_thread, Thread};
    ///
    /// let handle = Thread::new(|| {
    ///     // A thread started from a daemon thread is a daemon too, unless told otherwise.
    ///     let child = Thread::new(|| current_thread().is_daemon()).start().unwrap();
    ///     child.join().unwrap()
    /// })
    /// .daemon(true)
    /// .start()
    /// .unwrap();
    /// assert!(handle.is_daemon());
    /// assert!(handle.join().unwrap());
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = Some(daemon);
        self
    }

    /// Sets the new thread's stack size in bytes (Python's `threading.stack_size`, per
    /// thread here). Without it, std's default applies.
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| (0..1000u64).sum::<u64>())
    ///     .stack_size(256 * 1024)
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(handle.join().unwrap(), 499_500);
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the thread and returns its handle. The thread is alive (listed by
    /// [`enumerate`](super::enumerate), [`JoinHandle::is_alive`] true) from this moment
    /// until its target returns or panics.
    ///
    /// # Errors
    ///
    /// The OS could not create the thread (`std::thread::Builder::spawn`'s error), or the
    /// name contains a NUL byte (`ErrorKind::InvalidInput`).
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let err = Thread::new(|| ()).name("bad\0name").start().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn start(self) -> io::Result<JoinHandle<T>> {
        if let Some(name) = &self.name
            && name.contains('\0')
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "thread name must not contain a NUL byte",
            ));
        }
        let name = self.name.unwrap_or_else(|| registry::new_name("Thread"));
        let daemon = self
            .daemon
            .unwrap_or_else(|| registry::current_thread().is_daemon());
        let info = ThreadRef::new(name, registry::next_ident(), daemon, Kind::Started);

        let mut os_builder = std::thread::Builder::new().name(info.name().to_owned());
        if let Some(bytes) = self.stack_size {
            os_builder = os_builder.stack_size(bytes);
        }
        let target = self.target;
        let inside = info.clone();
        // Registered before the OS thread exists, so it is alive as soon as start returns.
        registry::register(&info);
        let spawned = os_builder.spawn(move || run(inside, target));
        match spawned {
            Ok(os) => Ok(JoinHandle::new(info, os)),
            Err(err) => {
                registry::unregister(&info);
                Err(err)
            }
        }
    }
}

impl<F> Thread<F> {
    /// The same thread with its target replaced by `wrap(target)`: how a
    /// [`Timer`](crate::threading::Timer), a thread configured like any other, puts the
    /// wait for its interval around its function.
    pub(in crate::threading) fn map_target<G>(self, wrap: impl FnOnce(F) -> G) -> Thread<G> {
        Thread {
            target: wrap(self.target),
            name: self.name,
            daemon: self.daemon,
            stack_size: self.stack_size,
        }
    }

    /// The name given with [`name`](Thread::name), if any.
    pub(in crate::threading) fn name_given(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The daemon flag given with [`daemon`](Thread::daemon), if any.
    pub(in crate::threading) fn daemon_given(&self) -> Option<bool> {
        self.daemon
    }
}

/// The body of every thread tripod starts.
fn run<T>(info: ThreadRef, target: impl FnOnce() -> T) -> Result<T, PanicError> {
    registry::enter(info.clone());
    let outcome = catch_unwind(AssertUnwindSafe(target)).map_err(PanicError::from_payload);
    // Drop this thread's `Local` values before it reports itself finished, so a joiner
    // sees them gone. A panicking destructor there must not skip the unregistering.
    let _ = catch_unwind(crate::threading::local::clear_current_thread);
    registry::unregister(&info);
    outcome
}

impl<F> fmt::Debug for Thread<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread")
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}
