//! The errors of `tripod::futures`: [`FutureError`] (what waiting on a future can end in)
//! and [`ThreadPoolBuildError`].
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use crate::PanicError;
use crate::multiprocessing::{PoolError, PoolErrorKind};

/// Why a [`Future`](super::Future) did not give a value: Python's `CancelledError`,
/// `TimeoutError`, the task's exception (here: its panic), `BrokenThreadPool`, and the
/// `RuntimeError` of a submit after shutdown, in one cloneable type.
///
/// It is `Clone` because a future can be read many times: every reader gets the same error.
/// Ask what happened with [`kind`](FutureError::kind) or the `is_*` helpers; a panic's
/// message is in [`panic`](FutureError::panic).
///
/// ```
/// use tripod::futures::{FutureErrorKind, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(1);
/// let err = pool.submit(|| -> i32 { panic!("bad input") }).result().unwrap_err();
/// assert_eq!(err.kind(), FutureErrorKind::Panicked);
/// assert_eq!(err.panic().unwrap().message(), "bad input");
/// assert_eq!(err.to_string(), "the task panicked: bad input");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FutureError {
    repr: Repr,
}

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Cancelled,
    Timeout,
    Panicked(PanicError),
    ShutDown,
    Broken(Arc<str>),
    Taken,
    /// A process pool's error that none of the above describes.
    Pool(Arc<PoolError>),
}

/// The kind of a [`FutureError`].
///
/// New kinds may be added (for example by the process pool), so match with a `_` arm.
///
/// ```
/// use tripod::futures::{FutureError, FutureErrorKind};
///
/// assert_eq!(FutureError::cancelled().kind(), FutureErrorKind::Cancelled);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutureErrorKind {
    /// The future was cancelled (Python's `CancelledError`): before it started, or, in a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor), while it ran (its worker was
    /// killed and replaced).
    Cancelled,
    /// The future did not finish before the timeout (Python's `TimeoutError`).
    Timeout,
    /// The task panicked (Python: the task raised an exception).
    Panicked,
    /// The executor was shut down before the task was accepted (Python raises
    /// `RuntimeError('cannot schedule new futures after shutdown')` from `submit`).
    ShutDown,
    /// The executor cannot run tasks any more, for example because a worker's initializer
    /// panicked (Python's `BrokenThreadPool`), or the task was dropped without running.
    Broken,
    /// The value was already moved out by [`Future::into_result`](super::Future::into_result)
    /// on another handle to the same future.
    Taken,
    /// The worker process running the task died (killed, crashed, aborted) in a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor); only this task failed and the
    /// executor goes on. [`FutureError::pool_error`] has the pid and exit status.
    WorkerLost,
    /// The task ran past its timeout in a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor); its worker was killed and
    /// replaced.
    TaskTimeout,
}

impl FutureError {
    /// The error of a cancelled future.
    ///
    /// ```
    /// assert!(tripod::futures::FutureError::cancelled().is_cancelled());
    /// ```
    pub fn cancelled() -> Self {
        FutureError {
            repr: Repr::Cancelled,
        }
    }

    /// The error of a wait that timed out.
    ///
    /// ```
    /// assert!(tripod::futures::FutureError::timeout().is_timeout());
    /// ```
    pub fn timeout() -> Self {
        FutureError {
            repr: Repr::Timeout,
        }
    }

    /// The error of a task that panicked.
    ///
    /// ```
    /// use tripod::{PanicError, futures::FutureError};
    ///
    /// let err = FutureError::panicked(PanicError::new("boom"));
    /// assert_eq!(err.panic().unwrap().message(), "boom");
    /// ```
    pub fn panicked(panic: PanicError) -> Self {
        FutureError {
            repr: Repr::Panicked(panic),
        }
    }

    /// The error of a task submitted to an executor that was shut down.
    ///
    /// ```
    /// use tripod::futures::{FutureError, FutureErrorKind};
    ///
    /// assert_eq!(FutureError::shut_down().kind(), FutureErrorKind::ShutDown);
    /// ```
    pub fn shut_down() -> Self {
        FutureError {
            repr: Repr::ShutDown,
        }
    }

    /// The error of an executor that cannot run tasks any more; `reason` says why.
    ///
    /// ```
    /// use tripod::futures::{FutureError, FutureErrorKind};
    ///
    /// let err = FutureError::broken("initializer failed");
    /// assert_eq!(err.kind(), FutureErrorKind::Broken);
    /// assert_eq!(err.to_string(), "the executor is broken: initializer failed");
    /// ```
    pub fn broken(reason: impl Into<String>) -> Self {
        FutureError {
            repr: Repr::Broken(Arc::from(reason.into())),
        }
    }

    pub(crate) fn taken() -> Self {
        FutureError { repr: Repr::Taken }
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::futures::{FutureError, FutureErrorKind};
    ///
    /// assert_eq!(FutureError::timeout().kind(), FutureErrorKind::Timeout);
    /// ```
    pub fn kind(&self) -> FutureErrorKind {
        match self.repr {
            Repr::Cancelled => FutureErrorKind::Cancelled,
            Repr::Timeout => FutureErrorKind::Timeout,
            Repr::Panicked(_) => FutureErrorKind::Panicked,
            Repr::ShutDown => FutureErrorKind::ShutDown,
            Repr::Broken(_) => FutureErrorKind::Broken,
            Repr::Taken => FutureErrorKind::Taken,
            Repr::Pool(ref e) => match e.kind() {
                PoolErrorKind::WorkerLost => FutureErrorKind::WorkerLost,
                PoolErrorKind::TaskTimeout => FutureErrorKind::TaskTimeout,
                _ => FutureErrorKind::Broken,
            },
        }
    }

    /// The process pool's own error, for a future of a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor) that failed with
    /// [`WorkerLost`](FutureErrorKind::WorkerLost),
    /// [`TaskTimeout`](FutureErrorKind::TaskTimeout) or a pool failure: the pid and exit
    /// status of a lost worker are there.
    ///
    /// ```
    /// use tripod::futures::{FutureErrorKind, ProcessPoolExecutor};
    ///
    /// fn die() -> u8 { std::process::abort() }
    /// tripod::task!(die);
    ///
    /// let executor = ProcessPoolExecutor::new(1).unwrap();
    /// let err = executor.submit(die, ()).result().unwrap_err();
    /// assert_eq!(err.kind(), FutureErrorKind::WorkerLost);
    /// assert_eq!(err.pool_error().unwrap().signal(), Some(6));
    /// ```
    pub fn pool_error(&self) -> Option<&PoolError> {
        match &self.repr {
            Repr::Pool(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the future was cancelled.
    ///
    /// ```
    /// assert!(!tripod::futures::FutureError::timeout().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the wait timed out (the future may still finish later).
    ///
    /// ```
    /// assert!(!tripod::futures::FutureError::cancelled().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self.repr, Repr::Timeout)
    }

    /// The task's panic, if the task panicked.
    ///
    /// ```
    /// use tripod::futures::FutureError;
    ///
    /// assert!(FutureError::cancelled().panic().is_none());
    /// ```
    pub fn panic(&self) -> Option<&PanicError> {
        match &self.repr {
            Repr::Panicked(p) => Some(p),
            _ => None,
        }
    }

    /// The task's panic, by value, if the task panicked.
    ///
    /// ```
    /// use tripod::{PanicError, futures::FutureError};
    ///
    /// let err = FutureError::panicked(PanicError::new("x"));
    /// assert_eq!(err.into_panic(), Some(PanicError::new("x")));
    /// ```
    pub fn into_panic(self) -> Option<PanicError> {
        match self.repr {
            Repr::Panicked(p) => Some(p),
            _ => None,
        }
    }
}

impl From<PoolError> for FutureError {
    /// A task's panic stays a panic, a refused submission after shutdown is
    /// [`ShutDown`](FutureErrorKind::ShutDown); the rest keep the pool's error (see
    /// [`FutureError::pool_error`]).
    fn from(error: PoolError) -> Self {
        match error.kind() {
            PoolErrorKind::Panicked => match error.panic() {
                Some(panic) => FutureError::panicked(panic.clone()),
                None => FutureError::broken(error.to_string()),
            },
            PoolErrorKind::NotRunning => FutureError::shut_down(),
            PoolErrorKind::Cancelled => FutureError::cancelled(),
            _ => FutureError {
                repr: Repr::Pool(Arc::new(error)),
            },
        }
    }
}

impl From<PanicError> for FutureError {
    fn from(panic: PanicError) -> Self {
        FutureError::panicked(panic)
    }
}

impl fmt::Debug for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
            Repr::Broken(reason) => f.debug_tuple("Broken").field(reason).finish(),
            Repr::Pool(e) => f.debug_tuple("Pool").field(e).finish(),
            _ => fmt::Debug::fmt(&self.kind(), f),
        }
    }
}

impl fmt::Display for FutureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("the future was cancelled"),
            Repr::Timeout => f.write_str("timed out waiting for the future"),
            Repr::Panicked(p) => write!(f, "the task panicked: {}", p.message()),
            Repr::ShutDown => f.write_str("cannot schedule new futures after shutdown"),
            Repr::Broken(reason) => write!(f, "the executor is broken: {reason}"),
            Repr::Taken => f.write_str("the result was already taken out of the future"),
            Repr::Pool(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for FutureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Panicked(p) => Some(p),
            Repr::Pool(e) => Some(&**e),
            _ => None,
        }
    }
}

/// The error of [`ThreadPoolBuilder::build`](super::ThreadPoolBuilder::build): the
/// configuration is invalid (Python raises `ValueError`).
///
/// ```
/// use tripod::futures::ThreadPoolExecutor;
///
/// let err = ThreadPoolExecutor::builder().max_workers(0).build().unwrap_err();
/// assert_eq!(err.to_string(), "max_workers must be greater than 0");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ThreadPoolBuildError {
    kind: BuildErrorKind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BuildErrorKind {
    ZeroWorkers,
}

impl ThreadPoolBuildError {
    pub(crate) fn zero_workers() -> Self {
        ThreadPoolBuildError {
            kind: BuildErrorKind::ZeroWorkers,
        }
    }
}

impl fmt::Debug for ThreadPoolBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuildError")
            .field("kind", &self.kind)
            .finish()
    }
}

impl fmt::Display for ThreadPoolBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            BuildErrorKind::ZeroWorkers => f.write_str("max_workers must be greater than 0"),
        }
    }
}

impl std::error::Error for ThreadPoolBuildError {}
