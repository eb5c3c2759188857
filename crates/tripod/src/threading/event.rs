//! [`Event`]: Python's `threading.Event`, a flag threads can wait for.
//!
//! The flag is an `AtomicBool`, so `is_set`, `set` on a set event and `wait` on a set event
//! never touch the lock. Waiting and waking use a `parking_lot` mutex and condition
//! variable; the flag only changes to `true` under that mutex (so a waiter cannot miss it),
//! and each `set` bumps a generation counter under the mutex, so a blocked waiter woken by a
//! `set` returns `true` even if the flag was cleared again before it ran (as CPython does).
//!
//! Before blocking, a waiter spins for a few microseconds re-reading the flag (the same
//! check as the `is_set` fast path). That only shortens the path when the `set` comes
//! within a few microseconds, as in a ping-pong between two threads; the decision to block
//! is taken under the mutex, so the wait/wake protocol is plain Mutex + Condvar.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// How long a waiter spins, watching the flag, before it blocks. Measured on a 2-core
/// machine: without spinning an `Event` ping-pong round trip costs about 4 us (two futex
/// wake-ups); with 5 us of spinning about 0.1 us. Yielding instead of spinning was slower
/// than not spinning at all.
const SPIN_FOR: Duration = Duration::from_micros(5);
/// Spin iterations between two looks at the clock.
const SPIN_BATCH: u32 = 32;

/// A flag that threads can set, clear and wait for: Python's `threading.Event`.
///
/// ```
/// use std::sync::Arc;
/// use tripod::threading::Event;
///
/// let ready = Arc::new(Event::new());
/// let waiter = {
///     let ready = Arc::clone(&ready);
///     std::thread::spawn(move || {
///         ready.wait();
///         "go"
///     })
/// };
/// ready.set();
/// assert_eq!(waiter.join().unwrap(), "go");
/// assert!(ready.is_set());
/// ```
pub struct Event {
    flag: AtomicBool,
    state: Mutex<WaitState>,
    cond: Condvar,
}

/// The part of an event's state that lives under its mutex.
struct WaitState {
    /// How many times the flag went from clear to set.
    generation: u64,
    /// Threads blocked in `wait` (for `Debug` and tests).
    waiters: usize,
}

impl Event {
    /// Creates an event whose flag is clear.
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// assert!(!Event::new().is_set());
    /// ```
    pub const fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            state: Mutex::new(WaitState {
                generation: 0,
                waiters: 0,
            }),
            cond: Condvar::new(),
        }
    }

    /// Whether the flag is set (Python's `event.is_set()`).
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Sets the flag and wakes every thread waiting for it (Python's `event.set()`).
    /// Threads that call [`wait`](Event::wait) afterwards return at once, until
    /// [`clear`](Event::clear) is called.
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// ev.set(); // setting a set event does nothing
    /// ev.wait();
    /// assert!(ev.is_set());
    /// ```
    #[inline]
    pub fn set(&self) {
        if self.is_set() {
            return;
        }
        self.set_slow();
    }

    #[cold]
    fn set_slow(&self) {
        let mut state = self.state.lock();
        if self.flag.load(Ordering::Relaxed) {
            return;
        }
        self.flag.store(true, Ordering::Release);
        state.generation = state.generation.wrapping_add(1);
        if state.waiters > 0 {
            self.cond.notify_all();
        }
    }

    /// Clears the flag (Python's `event.clear()`); later waiters block until the next
    /// [`set`](Event::set).
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    #[inline]
    pub fn clear(&self) {
        self.flag.store(false, Ordering::Release);
    }

    /// Blocks until the flag is set (Python's `event.wait()`). Returns at once if it is
    /// set already.
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| ev.set());
    ///     ev.wait();
    /// });
    /// assert!(ev.is_set());
    /// ```
    #[inline]
    pub fn wait(&self) {
        if !self.is_set() {
            self.wait_until(None);
        }
    }

    /// Blocks until the flag is set or `timeout` passes. Returns `true` if the flag was set
    /// (Python's `event.wait(timeout)`), `false` on timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// assert!(!ev.wait_timeout(Duration::from_millis(5)));
    /// ev.set();
    /// assert!(ev.wait_timeout(Duration::from_millis(5)));
    /// ```
    #[inline]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_set() || self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Blocks until the flag is set or `deadline` passes. Returns `true` if the flag was
    /// set, `false` on timeout.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::threading::Event;
    ///
    /// let ev = Event::new();
    /// assert!(!ev.wait_deadline(Instant::now()));
    /// ```
    #[inline]
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        self.is_set() || self.wait_until(Some(deadline))
    }

    /// The slow path: spin a little, then block until the next `set`.
    #[cold]
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        // Spin a little first: in a ping-pong between two threads the `set` is usually a
        // microsecond away, far cheaper to catch this way than by sleeping in the kernel.
        // This only repeats the `is_set` fast path; it decides nothing else.
        let spin_until = Instant::now() + SPIN_FOR;
        let spin_until = deadline.map_or(spin_until, |d| d.min(spin_until));
        loop {
            for _ in 0..SPIN_BATCH {
                if self.is_set() {
                    return true;
                }
                std::hint::spin_loop();
            }
            if Instant::now() >= spin_until {
                break;
            }
        }

        let mut state = self.state.lock();
        if self.flag.load(Ordering::Acquire) {
            return true;
        }
        // The flag is clear and only becomes true under this mutex, together with a new
        // generation: wait for the generation to move on. A `set` followed at once by a
        // `clear` still wakes us, and we report `true` (CPython issue #13502).
        let start = state.generation;
        state.waiters += 1;
        let mut woken = true;
        while state.generation == start {
            match deadline {
                None => self.cond.wait(&mut state),
                Some(deadline) => {
                    if self.cond.wait_until(&mut state, deadline).timed_out() {
                        woken = state.generation != start;
                        break;
                    }
                }
            }
        }
        state.waiters -= 1;
        woken
    }

    /// The number of threads blocked in `wait` (tests).
    #[cfg(test)]
    fn waiters(&self) -> usize {
        self.state.lock().waiters
    }
}

impl Default for Event {
    /// Same as [`Event::new`].
    ///
    /// ```
    /// use tripod::threading::Event;
    ///
    /// assert!(!Event::default().is_set());
    /// ```
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiters = self.state.lock().waiters;
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .field("waiters", &waiters)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// CPython issue #13502: a `set` immediately followed by `clear` still wakes (with
    /// `true`) every thread that was waiting at the time of the `set`.
    #[test]
    fn set_then_clear_wakes_current_waiters() {
        let ev = Event::new();
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            for _ in 0..3 {
                let tx = tx.clone();
                let ev = &ev;
                s.spawn(move || tx.send(ev.wait_timeout(Duration::from_secs(10))).unwrap());
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while ev.waiters() < 3 {
                assert!(Instant::now() < deadline, "waiters never blocked");
                std::thread::yield_now();
            }
            ev.set();
            ev.clear();
            for _ in 0..3 {
                assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true));
            }
        });
        assert!(!ev.is_set());
        assert_eq!(ev.waiters(), 0);
    }

    #[test]
    fn timed_out_waiter_is_no_longer_counted() {
        let ev = Event::new();
        assert!(!ev.wait_timeout(Duration::from_millis(1)));
        assert_eq!(ev.waiters(), 0);
        assert!(format!("{ev:?}").contains("waiters: 0"));
    }
}
