//! [`PoolError`]: why a pool call or one of its tasks failed.
#![forbid(unsafe_code)]

use std::error::Error;
use std::fmt;

use crate::PanicError;

/// What kind of [`PoolError`] happened.
///
/// ```
/// use tripod::multiprocessing::PoolErrorKind;
///
/// assert_ne!(PoolErrorKind::WorkerLost, PoolErrorKind::Panicked);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolErrorKind {
    /// The function was not registered with [`tripod::task!`](crate::task); nothing was
    /// sent to a worker.
    NotRegistered,
    /// The arguments could not be encoded (for example, they hold an OS handle such as a
    /// `Connection` or a process-shared `Lock`, which can only reach workers through the
    /// [initializer](super::PoolBuilder::initializer)); nothing was sent to a worker.
    Encode,
    /// A value could not be decoded: the worker could not decode the arguments, could not
    /// encode the result, or the parent could not decode it.
    Decode,
    /// The worker does not know the task (parent and worker are not the same program).
    UnknownTask,
    /// The task panicked; [`PoolError::panic`] has the message. The worker survives.
    Panicked,
    /// The worker running the task died (killed by a signal, aborted, crashed, or exited);
    /// [`PoolError::pid`] and [`PoolError::exitcode`] say which and how. A replacement
    /// worker was started.
    WorkerLost,
    /// The task ran longer than its timeout; its worker was killed and replaced.
    TaskTimeout,
    /// A wait for a result gave up before the result was ready (Python's
    /// `multiprocessing.TimeoutError`); the task goes on.
    Timeout,
    /// The pool was terminated (or dropped) before the task finished.
    Terminated,
    /// The pool does not take new work: it was closed or terminated (Python's
    /// `ValueError: Pool not running`).
    NotRunning,
    /// [`join`](super::Pool::join) was called before [`close`](super::Pool::close) or
    /// [`terminate`](super::Pool::terminate).
    StillRunning,
    /// A worker process could not be started.
    Start,
    /// The initializer panicked in a worker: the pool is broken and fails every task.
    Initializer,
    /// An argument is out of range (a chunk size of 0).
    InvalidArgument,
    /// The task was cancelled ([`AsyncResult::cancel`](super::AsyncResult::cancel)); if a
    /// worker was running it, that worker was killed and replaced
    /// ([`PoolError::pid`] names it).
    Cancelled,
}

/// Why a [`Pool`](super::Pool) call or one of its tasks failed: a kind, a message that
/// says what happened, and, for a lost worker, its pid and exit status.
///
/// Errors are [`Clone`]: every [`get`](super::AsyncResult::get) of a failed result returns
/// the same error.
///
/// ```
/// use tripod::multiprocessing::{Pool, PoolErrorKind};
///
/// fn not_a_task(x: u32) -> u32 { x }
///
/// let pool = Pool::new(1).unwrap();
/// let err = pool.apply(not_a_task, (1,)).unwrap_err();
/// assert_eq!(err.kind(), PoolErrorKind::NotRegistered);
/// assert!(err.to_string().contains("tripod::task!"), "{err}");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PoolError {
    kind: PoolErrorKind,
    message: String,
    panic: Option<PanicError>,
    pid: Option<u32>,
    exitcode: Option<i32>,
}

impl PoolError {
    pub(crate) fn new(kind: PoolErrorKind, message: impl Into<String>) -> Self {
        PoolError {
            kind,
            message: message.into(),
            panic: None,
            pid: None,
            exitcode: None,
        }
    }

    pub(crate) fn panicked(message: String) -> Self {
        let mut err = PoolError::new(
            PoolErrorKind::Panicked,
            format!("the task panicked: {message}"),
        );
        err.panic = Some(PanicError::new(message));
        err
    }

    /// The worker `pid` died while running the task; `exitcode` as Python's (minus the
    /// signal number for a signal), `None` if unknown.
    pub(crate) fn worker_lost(pid: u32, exitcode: Option<i32>) -> Self {
        let how = match exitcode {
            Some(code) if code < 0 => format!(
                "was killed by signal {} ({})",
                -code,
                crate::sys::signal_name(-code).unwrap_or("a signal")
            ),
            Some(code) => format!("exited with code {code}"),
            None => "ended (exit status unknown)".to_owned(),
        };
        let mut err = PoolError::new(
            PoolErrorKind::WorkerLost,
            format!("the pool worker (pid {pid}) running the task {how}"),
        );
        err.pid = Some(pid);
        err.exitcode = exitcode;
        err
    }

    pub(crate) fn task_timeout(pid: u32, timeout: std::time::Duration) -> Self {
        let mut err = PoolError::new(
            PoolErrorKind::TaskTimeout,
            format!(
                "the task ran longer than its timeout of {timeout:?}; its worker (pid {pid}) \
                 was killed and replaced"
            ),
        );
        err.pid = Some(pid);
        err.exitcode = Some(-libc::SIGKILL);
        err
    }

    /// The task was cancelled before a worker ran it.
    pub(crate) fn cancelled() -> Self {
        PoolError::new(PoolErrorKind::Cancelled, "the task was cancelled")
    }

    /// The task was cancelled while the worker `pid` ran it.
    pub(crate) fn cancelled_running(pid: u32) -> Self {
        let mut err = PoolError::new(
            PoolErrorKind::Cancelled,
            format!(
                "the task was cancelled while it ran; its worker (pid {pid}) was killed and \
                 replaced"
            ),
        );
        err.pid = Some(pid);
        err.exitcode = Some(-libc::SIGKILL);
        err
    }

    pub(crate) fn timeout() -> Self {
        PoolError::new(
            PoolErrorKind::Timeout,
            "timed out waiting for the result (the task goes on)",
        )
    }

    pub(crate) fn terminated() -> Self {
        PoolError::new(
            PoolErrorKind::Terminated,
            "the pool was terminated before the task finished",
        )
    }

    pub(crate) fn not_running() -> Self {
        PoolError::new(
            PoolErrorKind::NotRunning,
            "the pool is not running: it was closed or terminated",
        )
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// let pool = Pool::new(1).unwrap();
    /// pool.close();
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    /// assert_eq!(pool.apply_async(one, ()).unwrap_err().kind(), PoolErrorKind::NotRunning);
    /// ```
    pub fn kind(&self) -> PoolErrorKind {
        self.kind
    }

    /// The task's panic, for [`PoolErrorKind::Panicked`].
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn fails(x: u32) -> u32 { panic!("bad input {x}") }
    /// tripod::task!(fails);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let err = pool.apply(fails, (7,)).unwrap_err();
    /// assert_eq!(err.panic().unwrap().message(), "bad input 7");
    /// ```
    pub fn panic(&self) -> Option<&PanicError> {
        self.panic.as_ref()
    }

    /// The pid of the worker that was lost or killed, for [`PoolErrorKind::WorkerLost`],
    /// [`PoolErrorKind::TaskTimeout`] and a [`PoolErrorKind::Cancelled`] task that was
    /// running.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn die() -> u8 { std::process::abort() }
    /// tripod::task!(die);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let err = pool.apply(die, ()).unwrap_err();
    /// assert_eq!(err.kind(), PoolErrorKind::WorkerLost);
    /// assert!(err.pid().is_some());
    /// ```
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The lost worker's exit status when known: its exit code, or minus the number of the
    /// signal that killed it (Python's `exitcode`).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn leave() -> u8 { std::process::exit(3) }
    /// tripod::task!(leave);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// assert_eq!(pool.apply(leave, ()).unwrap_err().exitcode(), Some(3));
    /// ```
    pub fn exitcode(&self) -> Option<i32> {
        self.exitcode
    }

    /// The signal that killed the worker, if a signal did.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn die() -> u8 { std::process::abort() }
    /// tripod::task!(die);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// assert_eq!(pool.apply(die, ()).unwrap_err().signal(), Some(6));
    /// ```
    pub fn signal(&self) -> Option<i32> {
        self.exitcode.filter(|&c| c < 0).map(|c| -c)
    }
}

impl fmt::Debug for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("pid", &self.pid)
            .field("exitcode", &self.exitcode)
            .finish()
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for PoolError {}
