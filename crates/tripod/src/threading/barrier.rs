//! [`Barrier`]: Python's `threading.Barrier`, a meeting point for a fixed number of threads.
//!
//! The state machine follows CPython's: a cycle *fills* as threads arrive, *trips* when the
//! last one arrives (running the action, if any), *drains* while the released threads
//! leave, and only then accepts arrivals for the next cycle. A barrier may also be
//! *resetting* (broken for the threads still inside, usable again once they have left) or
//! *broken* (until `reset`).
//!
//! Unlike CPython, the action runs without the barrier's lock held, so it may look at the
//! barrier (`n_waiting`, `is_broken`) or `abort` it without deadlocking.
#![forbid(unsafe_code)]

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

type Action = Box<dyn FnMut() + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Threads are arriving.
    Filling,
    /// The last thread arrived and is running the action.
    Tripping,
    /// The barrier tripped; released threads are leaving.
    Draining,
    /// `reset` was called while threads were inside: they fail, then the barrier refills.
    Resetting,
    /// Broken by a timeout, `abort` or a panicking action, until `reset`.
    Broken,
}

struct State {
    phase: Phase,
    /// Threads inside `wait` (arrived and not yet left).
    count: usize,
}

/// A barrier for a fixed number of threads: Python's `threading.Barrier`.
///
/// Each of `parties` threads calls [`wait`](Barrier::wait); they all block until the last
/// one arrives, then all continue together. Each gets its arrival index, `0` for the first
/// to arrive up to `parties - 1` for the last. The barrier can be used again and again, and
/// an optional action, set with the [`builder`](Barrier::builder), runs once per cycle, on
/// the last thread to arrive, before the others are released.
///
/// Unlike `std::sync::Barrier`, a Python barrier can *break*: when a waiter times out, when
/// someone calls [`abort`](Barrier::abort), or when the action panics, every thread waiting
/// and every thread that arrives later gets [`BrokenBarrierError`], until
/// [`reset`](Barrier::reset).
///
/// ```
/// use std::sync::Arc;
/// use tripod::threading::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = Arc::clone(&barrier);
///         std::thread::spawn(move || barrier.wait().unwrap())
///     })
///     .collect();
/// let mut indexes: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
/// indexes.sort();
/// assert_eq!(indexes, [0, 1, 2]);
/// ```
pub struct Barrier {
    parties: usize,
    timeout: Option<Duration>,
    state: Mutex<State>,
    cond: Condvar,
    /// Run by the last thread of each cycle; only one thread is ever `Tripping` at a time,
    /// so this lock is never contended.
    action: Mutex<Option<Action>>,
}

/// Builds a [`Barrier`] with an action and a default timeout (Python's
/// `Barrier(parties, action=None, timeout=None)`).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tripod::threading::Barrier;
///
/// let trips = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&trips);
/// let barrier = Barrier::builder(1)
///     .action(move || {
///         counter.fetch_add(1, Ordering::SeqCst);
///     })
///     .timeout(Duration::from_secs(10))
///     .build();
/// barrier.wait().unwrap();
/// barrier.wait().unwrap();
/// assert_eq!(trips.load(Ordering::SeqCst), 2);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct BarrierBuilder {
    parties: usize,
    timeout: Option<Duration>,
    action: Option<Action>,
}

/// The error of [`Barrier::wait`]: the barrier is broken, or was reset or aborted while the
/// thread waited (Python's `threading.BrokenBarrierError`).
///
/// ```
/// use tripod::threading::{Barrier, BrokenBarrierError};
///
/// let barrier = Barrier::new(2);
/// barrier.abort();
/// assert_eq!(barrier.wait(), Err(BrokenBarrierError));
/// assert_eq!(BrokenBarrierError.to_string(), "the barrier is broken");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken")
    }
}

impl std::error::Error for BrokenBarrierError {}

impl BarrierBuilder {
    /// Sets the action: a function run once per cycle by the last thread to arrive, after
    /// every party has arrived and before any is released.
    ///
    /// If the action panics, the barrier breaks (the other waiters get
    /// [`BrokenBarrierError`]) and the panic carries on in the thread that ran it.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use tripod::threading::Barrier;
    ///
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&ran);
    /// let barrier = Barrier::builder(1).action(move || flag.store(true, Ordering::SeqCst)).build();
    /// barrier.wait().unwrap();
    /// assert!(ran.load(Ordering::SeqCst));
    /// ```
    pub fn action(mut self, action: impl FnMut() + Send + 'static) -> Self {
        self.action = Some(Box::new(action));
        self
    }

    /// Sets the default timeout of [`Barrier::wait`]; without one, `wait` waits forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::{Barrier, BrokenBarrierError};
    ///
    /// let barrier = Barrier::builder(2).timeout(Duration::from_millis(5)).build();
    /// assert_eq!(barrier.wait(), Err(BrokenBarrierError)); // nobody else came
    /// assert!(barrier.is_broken());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Builds the barrier.
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::builder(4).build();
    /// assert_eq!(barrier.parties(), 4);
    /// ```
    pub fn build(self) -> Barrier {
        Barrier {
            parties: self.parties,
            timeout: self.timeout,
            state: Mutex::new(State {
                phase: Phase::Filling,
                count: 0,
            }),
            cond: Condvar::new(),
            action: Mutex::new(self.action),
        }
    }
}

impl fmt::Debug for BarrierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierBuilder")
            .field("parties", &self.parties)
            .field("timeout", &self.timeout)
            .field("action", &self.action.is_some())
            .finish()
    }
}

impl Barrier {
    /// Creates a barrier for `parties` threads, with no action and no default timeout
    /// (Python's `Barrier(parties)`).
    ///
    /// # Panics
    ///
    /// If `parties` is zero (Python raises `ValueError`).
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(1);
    /// assert_eq!(barrier.wait(), Ok(0)); // one party: never blocks
    /// ```
    pub fn new(parties: usize) -> Barrier {
        Barrier::builder(parties).build()
    }

    /// Starts building a barrier for `parties` threads, to add an action or a default
    /// timeout.
    ///
    /// # Panics
    ///
    /// If `parties` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::builder(5).timeout(Duration::from_secs(10)).build();
    /// assert_eq!(barrier.parties(), 5);
    /// ```
    pub fn builder(parties: usize) -> BarrierBuilder {
        assert!(parties > 0, "a barrier needs at least one party");
        BarrierBuilder {
            parties,
            timeout: None,
            action: None,
        }
    }

    /// Waits until all parties have arrived, then returns this thread's arrival index,
    /// `0..parties` (Python's `barrier.wait()`). Uses the default timeout if the barrier
    /// was built with one.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken or breaks while waiting: a timeout
    /// (which breaks it for everyone), [`abort`](Barrier::abort),
    /// [`reset`](Barrier::reset), or a panicking action.
    ///
    /// # Panics
    ///
    /// If this thread runs the action and the action panics, the panic continues here,
    /// after the barrier has been broken.
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().unwrap());
    ///     let mine = barrier.wait().unwrap();
    ///     assert_eq!(mine + other.join().unwrap(), 1); // indexes 0 and 1
    /// });
    /// ```
    pub fn wait(&self) -> Result<usize, BrokenBarrierError> {
        self.wait_until(self.timeout.and_then(|t| Instant::now().checked_add(t)))
    }

    /// Like [`wait`](Barrier::wait) with its own `timeout` instead of the default one
    /// (Python's `barrier.wait(timeout)`). Timing out breaks the barrier.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Barrier::wait).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::{Barrier, BrokenBarrierError};
    ///
    /// let barrier = Barrier::new(2);
    /// assert_eq!(barrier.wait_timeout(Duration::from_millis(5)), Err(BrokenBarrierError));
    /// assert!(barrier.is_broken());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Like [`wait`](Barrier::wait), giving up (and breaking the barrier) at `deadline`.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Barrier::wait).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(1);
    /// assert_eq!(barrier.wait_deadline(Instant::now()), Ok(0));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BrokenBarrierError> {
        let mut state = self.state.lock();
        // Wait for the previous cycle to finish leaving.
        while matches!(
            state.phase,
            Phase::Tripping | Phase::Draining | Phase::Resetting
        ) {
            self.cond.wait(&mut state);
        }
        if state.phase == Phase::Broken {
            return Err(BrokenBarrierError);
        }
        let index = state.count;
        state.count += 1;

        let result = if index + 1 == self.parties {
            // Last to arrive: trip the barrier.
            state.phase = Phase::Tripping;
            drop(state);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.run_action()));
            state = self.state.lock();
            match outcome {
                Ok(()) if state.phase == Phase::Tripping => {
                    state.phase = Phase::Draining;
                    self.cond.notify_all();
                    Ok(index)
                }
                // Aborted or reset while the action ran.
                Ok(()) => Err(BrokenBarrierError),
                Err(payload) => {
                    state.phase = Phase::Broken;
                    self.cond.notify_all();
                    self.leave(&mut state);
                    drop(state);
                    panic::resume_unwind(payload);
                }
            }
        } else {
            self.wait_for_trip(&mut state, deadline).map(|()| index)
        };
        self.leave(&mut state);
        result
    }

    /// Waits, as one of the first `parties - 1` arrivals, for the barrier to trip.
    fn wait_for_trip(
        &self,
        state: &mut parking_lot::MutexGuard<'_, State>,
        deadline: Option<Instant>,
    ) -> Result<(), BrokenBarrierError> {
        loop {
            match (state.phase, deadline) {
                (Phase::Draining, _) => return Ok(()),
                (Phase::Resetting | Phase::Broken, _) => return Err(BrokenBarrierError),
                // Once the last party has arrived the timeout no longer applies: CPython
                // runs the action under the lock, where no waiter can time out either.
                (Phase::Tripping, _) | (Phase::Filling, None) => self.cond.wait(state),
                (Phase::Filling, Some(deadline)) => {
                    if self.cond.wait_until(state, deadline).timed_out()
                        && state.phase == Phase::Filling
                    {
                        state.phase = Phase::Broken;
                        self.cond.notify_all();
                        return Err(BrokenBarrierError);
                    }
                }
            }
        }
    }

    fn run_action(&self) {
        if let Some(action) = self.action.lock().as_mut() {
            action();
        }
    }

    /// A thread leaves `wait`; the last one out of a tripped or reset cycle opens the
    /// barrier for the next.
    fn leave(&self, state: &mut State) {
        state.count -= 1;
        if state.count == 0 && matches!(state.phase, Phase::Draining | Phase::Resetting) {
            state.phase = Phase::Filling;
            self.cond.notify_all();
        }
    }

    /// Returns the barrier to its initial, empty state (Python's `barrier.reset()`). Threads
    /// waiting on it get [`BrokenBarrierError`]; once they have left, the barrier works
    /// again. A broken barrier is repaired.
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(1);
    /// barrier.abort();
    /// assert!(barrier.wait().is_err());
    /// barrier.reset();
    /// assert!(!barrier.is_broken());
    /// assert_eq!(barrier.wait(), Ok(0));
    /// ```
    pub fn reset(&self) {
        let mut state = self.state.lock();
        if state.count > 0 {
            match state.phase {
                // Fail the current waiters; the last to leave reopens the barrier.
                Phase::Filling | Phase::Tripping | Phase::Broken => state.phase = Phase::Resetting,
                // Already on their way out, or already resetting.
                Phase::Draining | Phase::Resetting => {}
            }
        } else {
            state.phase = Phase::Filling;
        }
        self.cond.notify_all();
    }

    /// Breaks the barrier (Python's `barrier.abort()`): threads waiting now and threads
    /// arriving later get [`BrokenBarrierError`] until [`reset`](Barrier::reset). Useful
    /// when one party cannot come, so the others do not wait forever.
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(3);
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// assert!(barrier.wait().is_err());
    /// ```
    pub fn abort(&self) {
        let mut state = self.state.lock();
        state.phase = Phase::Broken;
        self.cond.notify_all();
    }

    /// The number of threads the barrier waits for (Python's `barrier.parties`).
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// assert_eq!(Barrier::new(3).parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of threads waiting in the current cycle (Python's
    /// `barrier.n_waiting`); `0` while the barrier is not filling.
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     while barrier.n_waiting() < 1 {
    ///         std::thread::yield_now();
    ///     }
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     barrier.wait().unwrap();
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        let state = self.state.lock();
        if state.phase == Phase::Filling {
            state.count
        } else {
            0
        }
    }

    /// Whether the barrier is broken (Python's `barrier.broken`).
    ///
    /// ```
    /// use tripod::threading::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// assert!(!barrier.is_broken());
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.state.lock().phase == Phase::Broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.count)
            .field("phase", &state.phase)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
