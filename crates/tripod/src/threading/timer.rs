//! [`Timer`]: a thread that runs a function once after an interval unless cancelled
//! first (Python's `threading.Timer`).
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{JoinHandle, Thread, ThreadRef};
use crate::PanicError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Cancelled,
    Fired,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// A function to run once on its own thread after `interval`, unless cancelled first.
///
/// A timer is a thread: [`start`](Timer::start) starts one (named `Thread-N` unless
/// named, listed by [`enumerate`](super::enumerate)), which waits out the interval and
/// then calls the function. [`TimerHandle::cancel`] during the wait wakes it at once and
/// the function never runs.
///
/// ```
/// use std::time::Duration;
/// use tripod::threading::Timer;
///
/// let timer = Timer::new(Duration::from_millis(10), || "hello, world").start().unwrap();
/// assert_eq!(timer.join(), Ok(Some("hello, world")));
///
/// let cancelled = Timer::new(Duration::from_secs(3600), || "never").start().unwrap();
/// assert!(cancelled.cancel());
/// assert_eq!(cancelled.join(), Ok(None));
/// ```
#[must_use = "a Timer does nothing until it is started with `.start()`"]
pub struct Timer<F> {
    interval: Duration,
    /// The timer's thread, configured as any other, with the function as its target until
    /// `start` wraps it in the wait.
    thread: Thread<F>,
}

impl<F, T> Timer<F>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// A timer that will call `function` once, `interval` after it is started.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Timer;
    ///
    /// let started = Instant::now();
    /// let timer = Timer::new(Duration::from_millis(20), Instant::now).start().unwrap();
    /// let fired_at = timer.join().unwrap().unwrap();
    /// assert!(fired_at - started >= Duration::from_millis(20));
    /// ```
    pub fn new(interval: Duration, function: F) -> Self {
        Timer {
            interval,
            thread: Thread::new(function),
        }
    }

    /// Names the timer's thread (see [`Thread::name`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::{current_thread, Timer};
    ///
    /// let timer = Timer::new(Duration::ZERO, || current_thread().name().to_owned())
    ///     .name("alarm")
    ///     .start()
    ///     .unwrap();
    /// assert_eq!(timer.join().unwrap().as_deref(), Some("alarm"));
    /// ```
    pub fn name(self, name: impl Into<String>) -> Self {
        Timer {
            thread: self.thread.name(name),
            ..self
        }
    }

    /// Makes the timer's thread a daemon or not (see [`Thread::daemon`]); by default it
    /// inherits the starting thread's flag.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::from_secs(3600), || ()).daemon(true).start().unwrap();
    /// assert!(timer.thread().is_daemon());
    /// timer.cancel();
    /// ```
    pub fn daemon(self, daemon: bool) -> Self {
        Timer {
            thread: self.thread.daemon(daemon),
            ..self
        }
    }

    /// Starts the timer's thread; the interval counts from now.
    ///
    /// # Errors
    ///
    /// As [`Thread::start`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::from_millis(5), || 1 + 1).start().unwrap();
    /// assert_eq!(timer.join(), Ok(Some(2)));
    /// ```
    pub fn start(self) -> io::Result<TimerHandle<T>> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::Waiting),
            changed: Condvar::new(),
        });
        let deadline = Instant::now().checked_add(self.interval);
        let inside = Arc::clone(&shared);
        let thread = self.thread.map_target(|function| {
            move || {
                if inside.wait_to_fire(deadline) {
                    Some(function())
                } else {
                    None
                }
            }
        });
        let handle = thread.start()?;
        Ok(TimerHandle { handle, shared })
    }
}

impl Shared {
    /// Waits for the deadline (or forever when it overflowed) unless cancelled; true when
    /// the function is to run.
    fn wait_to_fire(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        while *state == State::Waiting {
            match deadline {
                Some(deadline) => {
                    if self.changed.wait_until(&mut state, deadline).timed_out() {
                        break;
                    }
                }
                None => self.changed.wait(&mut state),
            }
        }
        if *state == State::Waiting {
            *state = State::Fired;
            true
        } else {
            false
        }
    }
}

impl<F> fmt::Debug for Timer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("interval", &self.interval)
            .field("name", &self.thread.name_given())
            .field("daemon", &self.thread.daemon_given())
            .finish_non_exhaustive()
    }
}

/// The handle of a started [`Timer`]: cancel it, wait for it, ask about its thread.
///
/// Dropping the handle does not cancel the timer.
///
/// ```
/// use std::time::Duration;
/// use tripod::threading::{enumerate, Timer};
///
/// let timer = Timer::new(Duration::from_secs(3600), || ()).start().unwrap();
/// assert!(enumerate().contains(timer.thread()));
/// assert!(timer.cancel());
/// assert!(timer.join_timeout(Duration::from_secs(10)));
/// ```
pub struct TimerHandle<T> {
    handle: JoinHandle<Option<T>>,
    shared: Arc<Shared>,
}

impl<T> TimerHandle<T> {
    /// Stops the timer if it is still waiting: the function will not run, and the timer's
    /// thread wakes and finishes at once. True if this call stopped it; false if the
    /// function had already started (or the timer was already cancelled).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let fired = Timer::new(Duration::ZERO, || ()).start().unwrap();
    /// assert!(fired.join_timeout(Duration::from_secs(10)));
    /// assert!(!fired.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        let mut state = self.shared.state.lock();
        if *state == State::Waiting {
            *state = State::Cancelled;
            self.shared.changed.notify_all();
            true
        } else {
            false
        }
    }

    /// Waits for the timer's thread to finish. `Some(value)` is what the function
    /// returned; `None` means the timer was cancelled before it fired.
    ///
    /// # Errors
    ///
    /// [`PanicError`] if the function panicked.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::ZERO, || -> u8 { panic!("late") }).start().unwrap();
    /// assert_eq!(timer.join().unwrap_err().message(), "late");
    /// ```
    pub fn join(self) -> Result<Option<T>, PanicError> {
        self.handle.join()
    }

    /// Waits at most `timeout` for the timer's thread to finish; true if it has.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::from_secs(3600), || ()).start().unwrap();
    /// assert!(!timer.join_timeout(Duration::from_millis(5)));
    /// timer.cancel();
    /// assert!(timer.join_timeout(Duration::from_secs(10)));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.handle.join_timeout(timeout)
    }

    /// Waits until `deadline` at most for the timer's thread to finish; true if it has.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::ZERO, || ()).start().unwrap();
    /// assert!(timer.join_deadline(Instant::now() + Duration::from_secs(10)));
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> bool {
        self.handle.join_deadline(deadline)
    }

    /// Whether the timer's thread is still running (waiting, or running the function).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::from_secs(3600), || ()).start().unwrap();
    /// assert!(timer.is_alive());
    /// timer.cancel();
    /// timer.join().unwrap();
    /// ```
    pub fn is_alive(&self) -> bool {
        self.handle.is_alive()
    }

    /// The timer thread's [`ThreadRef`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Timer;
    ///
    /// let timer = Timer::new(Duration::ZERO, || ()).name("tick").start().unwrap();
    /// assert_eq!(timer.thread().name(), "tick");
    /// timer.join().unwrap();
    /// ```
    pub fn thread(&self) -> &ThreadRef {
        self.handle.thread()
    }
}

impl<T> fmt::Debug for TimerHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("thread", self.handle.thread())
            .field("state", &*self.shared.state.lock())
            .finish()
    }
}
