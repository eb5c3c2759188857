//! [`JoinHandle`]: the owner's handle of a started thread.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::{Duration, Instant};

use super::thread_ref::ThreadRef;
use crate::PanicError;

/// The handle of a thread started with [`Thread::start`](super::Thread::start): wait for
/// it, fetch its result, ask about it.
///
/// Dropping the handle detaches the thread: it keeps running (Python threads do not need
/// their object to live either).
///
/// ```
/// use std::time::Duration;
/// use tripod::threading::Thread;
///
/// let handle = Thread::new(|| "result").start().unwrap();
/// assert!(handle.join_timeout(Duration::from_secs(10)));
/// assert!(!handle.is_alive());
/// assert_eq!(handle.join(), Ok("result"));
/// ```
pub struct JoinHandle<T> {
    thread: ThreadRef,
    os: std::thread::JoinHandle<Result<T, PanicError>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(
        thread: ThreadRef,
        os: std::thread::JoinHandle<Result<T, PanicError>>,
    ) -> Self {
        JoinHandle { thread, os }
    }

    /// Waits for the thread to finish and returns what its target returned.
    ///
    /// # Errors
    ///
    /// [`PanicError`] if the target panicked; its message is the panic's.
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| -> u8 { panic!("boom") }).start().unwrap();
    /// assert_eq!(handle.join().unwrap_err().message(), "boom");
    /// ```
    pub fn join(self) -> Result<T, PanicError> {
        match self.os.join() {
            Ok(outcome) => outcome,
            // `run` catches the target's panic, so this is a panic in tripod's own
            // bookkeeping; still report it rather than lose it.
            Err(payload) => Err(PanicError::from_payload(payload)),
        }
    }

    /// Waits at most `timeout` for the thread to finish; true if it has (Python's
    /// `join(timeout)` followed by `not is_alive()`). The handle is not consumed: call
    /// [`join`](JoinHandle::join) afterwards for the result.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use tripod::threading::Thread;
    ///
    /// let (release, wait) = mpsc::channel::<u32>();
    /// let handle = Thread::new(move || wait.recv().unwrap()).start().unwrap();
    /// assert!(!handle.join_timeout(Duration::from_millis(10)));
    /// release.send(7).unwrap();
    /// assert!(handle.join_timeout(Duration::from_secs(10)));
    /// assert_eq!(handle.join(), Ok(7));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.thread
            .wait_stopped(Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` at most for the thread to finish; true if it has.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| ()).start().unwrap();
    /// assert!(handle.join_deadline(Instant::now() + Duration::from_secs(10)));
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> bool {
        self.thread.wait_stopped(Some(deadline))
    }

    /// Whether the thread is still running its target.
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let (release, wait) = std::sync::mpsc::channel::<()>();
    /// let handle = Thread::new(move || wait.recv().unwrap()).start().unwrap();
    /// assert!(handle.is_alive());
    /// release.send(()).unwrap();
    /// let info = handle.thread().clone();
    /// handle.join().unwrap();
    /// assert!(!info.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.thread.is_alive()
    }

    /// The thread's name (see [`Thread::name`](super::Thread::name)).
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| ()).name("LoopThread").start().unwrap();
    /// assert_eq!(handle.name(), "LoopThread");
    /// handle.join().unwrap();
    /// ```
    pub fn name(&self) -> &str {
        self.thread.name()
    }

    /// The thread's ident (see [`ThreadRef::ident`]).
    ///
    /// ```
    /// use tripod::threading::{get_ident, Thread};
    ///
    /// let handle = Thread::new(get_ident).start().unwrap();
    /// let ident = handle.ident();
    /// assert_eq!(handle.join(), Ok(ident));
    /// ```
    pub fn ident(&self) -> u64 {
        self.thread.ident()
    }

    /// Whether the thread is a daemon (see [`Thread::daemon`](super::Thread::daemon)).
    ///
    /// ```
    /// use tripod::threading::Thread;
    ///
    /// let handle = Thread::new(|| ()).daemon(true).start().unwrap();
    /// assert!(handle.is_daemon());
    /// handle.join().unwrap();
    /// ```
    pub fn is_daemon(&self) -> bool {
        self.thread.is_daemon()
    }

    /// The thread's [`ThreadRef`]: the same value [`current_thread`](super::current_thread)
    /// returns inside it.
    ///
    /// ```
    /// use tripod::threading::{current_thread, Thread};
    ///
    /// let handle = Thread::new(current_thread).start().unwrap();
    /// let info = handle.thread().clone();
    /// assert_eq!(handle.join().unwrap(), info);
    /// ```
    pub fn thread(&self) -> &ThreadRef {
        &self.thread
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}
