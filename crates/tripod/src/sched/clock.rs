//! The clocks a [`Scheduler`](super::Scheduler) reads and sleeps on.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Where a [`Scheduler`](super::Scheduler) reads the time and how it waits: Python's
/// `scheduler(timefunc, delayfunc)` pair as one trait.
///
/// Times are [`Instant`]s for every clock, so events entered with
/// [`enterabs`](super::Scheduler::enterabs) read the same whichever clock runs them. A clock
/// that does not follow real time (such as [`ManualClock`]) hands out instants that move
/// only when it sleeps or is advanced.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::{Duration, Instant};
/// use tripod::sched::{Clock, Scheduler};
///
/// /// A clock that never waits: each sleep jumps its time forward.
/// struct Jumping(Mutex<Instant>);
///
/// impl Clock for Jumping {
///     fn now(&self) -> Instant {
///         *self.0.lock().unwrap()
///     }
///     fn sleep(&self, duration: Duration) {
///         *self.0.lock().unwrap() += duration;
///     }
/// }
///
/// let start = Instant::now();
/// let s = Scheduler::with_clock(Jumping(Mutex::new(start)));
/// s.enter(Duration::from_secs(3600), 0, || {});
/// s.run(); // returns at once: the hour passes on the clock only
/// assert_eq!(s.now(), start + Duration::from_secs(3600));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time on this clock (Python's `timefunc`).
    fn now(&self) -> Instant;

    /// Waits for `duration` of this clock's time (Python's `delayfunc`). The scheduler
    /// calls it without holding any lock, and checks its queue again afterwards.
    fn sleep(&self, duration: Duration);

    /// Whether [`now`](Clock::now) is real time (`Instant::now()`).
    ///
    /// When `true` the scheduler does not call [`sleep`](Clock::sleep): it waits on its own
    /// condition variable until the next event is due, so that an earlier event entered (or
    /// the next event cancelled) from another thread wakes the runner at once. The default,
    /// `false`, suits virtual clocks.
    ///
    /// ```
    /// use tripod::sched::{Clock, ManualClock, SystemClock};
    ///
    /// assert!(SystemClock.is_real_time());
    /// assert!(!ManualClock::new().is_real_time());
    /// ```
    fn is_real_time(&self) -> bool {
        false
    }
}

/// The real clock: `Instant::now()` and real waiting. [`Scheduler::new`](super::Scheduler::new)
/// uses it.
///
/// ```
/// use std::time::Instant;
/// use tripod::sched::{Clock, SystemClock};
///
/// let before = Instant::now();
/// assert!(SystemClock.now() >= before);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn is_real_time(&self) -> bool {
        true
    }
}

/// A virtual clock for tests: its time moves only when something sleeps on it or calls
/// [`advance`](ManualClock::advance), so a scheduler driven by it never really waits.
///
/// Clones share the same time, so a test keeps one clone and hands another to the
/// scheduler.
///
/// ```
/// use std::time::Duration;
/// use tripod::sched::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let other = clock.clone();
/// other.sleep(Duration::from_secs(5)); // returns at once
/// assert_eq!(clock.elapsed(), Duration::from_secs(5));
/// assert_eq!(clock.now(), clock.epoch() + Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    epoch: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    /// A clock whose time starts at [`epoch`](ManualClock::epoch), the real instant of
    /// this call.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::ManualClock;
    ///
    /// assert_eq!(ManualClock::new().elapsed(), Duration::ZERO);
    /// ```
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(ManualInner {
                epoch: Instant::now(),
                elapsed: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// The instant this clock started at (its time when it was made).
    ///
    /// ```
    /// use tripod::sched::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// assert_eq!(clock.now(), clock.epoch());
    /// ```
    pub fn epoch(&self) -> Instant {
        self.inner.epoch
    }

    /// How far this clock has moved since its [`epoch`](ManualClock::epoch).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::ManualClock;
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.elapsed(), Duration::from_millis(1500));
    /// ```
    pub fn elapsed(&self) -> Duration {
        *self.inner.elapsed.lock()
    }

    /// Moves the time forward by `duration` (what [`sleep`](Clock::sleep) does too).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(clock.now() - clock.epoch(), Duration::from_secs(2));
    /// ```
    pub fn advance(&self, duration: Duration) {
        *self.inner.elapsed.lock() += duration;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.epoch + *self.inner.elapsed.lock()
    }

    fn sleep(&self, duration: Duration) {
        self.advance(duration);
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}
