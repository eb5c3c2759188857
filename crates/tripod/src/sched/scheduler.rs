//! [`Scheduler`] and [`EventId`]: Python's `sched.scheduler` and its events.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{CancelError, Clock, SystemClock};

type Action = Box<dyn FnOnce() + Send + 'static>;

/// One scheduled event, as returned by [`Scheduler::enter`] and listed by
/// [`Scheduler::queue`]; pass it to [`Scheduler::cancel`] to take the event out.
///
/// Events run in the order of their `(time, priority, sequence)`, which is also the order
/// of `EventId`'s [`Ord`]: earlier time first, then lower priority, then the one entered
/// first. (Python's event named tuple, less the action, which stays in the scheduler.)
///
/// ```
/// use std::time::Duration;
/// use tripod::sched::{ManualClock, Scheduler};
///
/// let clock = ManualClock::new();
/// let s = Scheduler::with_clock(clock.clone());
/// let id = s.enter(Duration::from_secs(5), 2, || {});
/// assert_eq!(id.time(), clock.epoch() + Duration::from_secs(5));
/// assert_eq!(id.priority(), 2);
/// assert_eq!(s.queue(), vec![id]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    // Field order is the run order: the derived `Ord` compares them in this order.
    time: Instant,
    priority: i64,
    sequence: u64,
}

impl EventId {
    /// The time at which the event is due, on the scheduler's clock.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::sched::Scheduler;
    ///
    /// let at = Instant::now() + Duration::from_secs(60);
    /// assert_eq!(Scheduler::new().enterabs(at, 0, || {}).time(), at);
    /// ```
    pub fn time(&self) -> Instant {
        self.time
    }

    /// The event's priority: among events due at the same time, lower runs first.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// assert_eq!(Scheduler::new().enter(Duration::ZERO, -3, || {}).priority(), -3);
    /// ```
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// The event's sequence number in its scheduler: events with equal time and priority
    /// run in the order they were entered.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// let a = s.enter(Duration::ZERO, 0, || {});
    /// let b = s.enter(Duration::ZERO, 0, || {});
    /// assert!(a.sequence() < b.sequence());
    /// ```
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

/// A queue of events run at given times (Python's `sched.scheduler`).
///
/// Enter events with [`enter`](Scheduler::enter) (a delay from now) or
/// [`enterabs`](Scheduler::enterabs) (a time), then [`run`](Scheduler::run) them. The
/// scheduler is `Send + Sync`: share it (for example in an `Arc`) and enter or cancel
/// events from any thread, including from inside the actions while `run` is running them.
///
/// With the real clock ([`Scheduler::new`]) a runner waiting for the next event is woken
/// when another thread enters an earlier event or cancels the one it waits for, so the new
/// event runs on time. (Python's scheduler sleeps on; with a virtual clock tripod does the
/// same: it calls [`Clock::sleep`] and looks at the queue again afterwards.)
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use tripod::sched::Scheduler;
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let s = Scheduler::new();
/// for (delay_ms, name) in [(20, "second"), (10, "first")] {
///     let log = Arc::clone(&log);
///     s.enter(Duration::from_millis(delay_ms), 1, move || log.lock().unwrap().push(name));
/// }
/// s.run();
/// assert_eq!(*log.lock().unwrap(), ["first", "second"]);
/// ```
pub struct Scheduler {
    clock: Box<dyn Clock>,
    state: Mutex<State>,
    /// Signalled when the head of the queue changes (real-time clocks only wait on it).
    head_changed: Condvar,
}

struct State {
    events: BTreeMap<EventId, Action>,
    next_sequence: u64,
}

impl Scheduler {
    /// A scheduler on the real clock ([`SystemClock`]).
    ///
    /// ```
    /// use tripod::sched::Scheduler;
    ///
    /// assert!(Scheduler::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Scheduler::with_clock(SystemClock)
    }

    /// A scheduler on the given clock (Python's `scheduler(timefunc, delayfunc)`), for
    /// example a [`ManualClock`](super::ManualClock) in tests.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::{ManualClock, Scheduler};
    ///
    /// let clock = ManualClock::new();
    /// let s = Scheduler::with_clock(clock.clone());
    /// s.enter(Duration::from_secs(10), 1, || {});
    /// s.run(); // no real waiting
    /// assert_eq!(clock.elapsed(), Duration::from_secs(10));
    /// ```
    pub fn with_clock(clock: impl Clock) -> Self {
        Scheduler {
            clock: Box::new(clock),
            state: Mutex::new(State {
                events: BTreeMap::new(),
                next_sequence: 0,
            }),
            head_changed: Condvar::new(),
        }
    }

    /// The current time on the scheduler's clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::{ManualClock, Scheduler};
    ///
    /// let clock = ManualClock::new();
    /// let s = Scheduler::with_clock(clock.clone());
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(s.now(), clock.epoch() + Duration::from_secs(1));
    /// ```
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Schedules `action` to run `delay` from now, with the given priority (lower runs
    /// first among events due at the same time). Returns the event, for
    /// [`cancel`](Scheduler::cancel).
    ///
    /// # Panics
    ///
    /// If now + `delay` does not fit in an [`Instant`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::{ManualClock, Scheduler};
    ///
    /// let clock = ManualClock::new();
    /// let s = Scheduler::with_clock(clock.clone());
    /// let id = s.enter(Duration::from_secs(10), 1, || println!("ten seconds later"));
    /// assert_eq!(id.time() - clock.epoch(), Duration::from_secs(10));
    /// ```
    pub fn enter(
        &self,
        delay: Duration,
        priority: i64,
        action: impl FnOnce() + Send + 'static,
    ) -> EventId {
        let time = self
            .clock
            .now()
            .checked_add(delay)
            .expect("scheduler delay overflows Instant");
        self.enterabs(time, priority, action)
    }

    /// Schedules `action` to run at `time` on the scheduler's clock (a time in the past is
    /// due at once), with the given priority. Returns the event, for
    /// [`cancel`](Scheduler::cancel).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Instant;
    /// use tripod::sched::Scheduler;
    ///
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let s = Scheduler::new();
    /// let flag = Arc::clone(&ran);
    /// s.enterabs(Instant::now(), 1, move || flag.store(true, Ordering::SeqCst));
    /// s.run();
    /// assert!(ran.load(Ordering::SeqCst));
    /// ```
    pub fn enterabs(
        &self,
        time: Instant,
        priority: i64,
        action: impl FnOnce() + Send + 'static,
    ) -> EventId {
        let mut state = self.state.lock();
        let id = EventId {
            time,
            priority,
            sequence: state.next_sequence,
        };
        state.next_sequence += 1;
        state.events.insert(id, Box::new(action));
        let is_head = state.events.first_key_value().map(|(head, _)| *head) == Some(id);
        drop(state);
        if is_head {
            self.head_changed.notify_all();
        }
        id
    }

    /// Removes the event from the queue, so its action never runs.
    ///
    /// # Errors
    ///
    /// [`CancelError`] if the event is not in the queue (it has run, was cancelled already,
    /// or belongs to another scheduler), as Python's `ValueError`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// let id = s.enter(Duration::from_secs(3600), 1, || panic!("never runs"));
    /// assert!(s.cancel(id).is_ok());
    /// assert!(s.is_empty());
    /// s.run(); // nothing left: returns at once
    /// assert!(s.cancel(id).is_err());
    /// ```
    pub fn cancel(&self, id: EventId) -> Result<(), CancelError> {
        let mut state = self.state.lock();
        let was_head = state.events.first_key_value().map(|(head, _)| *head) == Some(id);
        let removed = state.events.remove(&id);
        drop(state);
        match removed {
            Some(_action) => {
                if was_head {
                    self.head_changed.notify_all();
                }
                Ok(())
            }
            None => Err(CancelError { id }),
        }
    }

    /// A snapshot of the upcoming events in the order they will run (Python's `queue`
    /// property).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// let later = s.enter(Duration::from_secs(20), 1, || {});
    /// let sooner = s.enter(Duration::from_secs(10), 1, || {});
    /// assert_eq!(s.queue(), vec![sooner, later]);
    /// ```
    pub fn queue(&self) -> Vec<EventId> {
        self.state.lock().events.keys().copied().collect()
    }

    /// Whether no event is queued (Python's `empty()`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// assert!(s.is_empty());
    /// s.enter(Duration::from_secs(1), 1, || {});
    /// assert!(!s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.state.lock().events.is_empty()
    }

    /// How many events are queued.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// s.enter(Duration::from_secs(1), 1, || {});
    /// s.enter(Duration::from_secs(1), 1, || {});
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.state.lock().events.len()
    }

    /// Runs every event in order, waiting for each one's time, until the queue is empty
    /// (Python's `run()`).
    ///
    /// Actions run on the calling thread, with no lock held, so they may enter and cancel
    /// events (an event entered while `run` runs is run too when it is due). Other threads
    /// may enter and cancel events meanwhile as well.
    ///
    /// # Panics
    ///
    /// A panicking action is not caught: the panic unwinds out of `run`, as Python's
    /// exception propagates out of `run()`. That event is gone; the rest stay queued, and a
    /// later `run` goes on with them. (To catch it, wrap the call in
    /// `std::panic::catch_unwind(AssertUnwindSafe(|| s.run()))`: the scheduler stays
    /// consistent, since no lock is held while an action runs.)
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use tripod::sched::{ManualClock, Scheduler};
    ///
    /// let clock = ManualClock::new();
    /// let s = Arc::new(Scheduler::with_clock(clock.clone()));
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let (s2, log2) = (Arc::clone(&s), Arc::clone(&log));
    /// s.enter(Duration::from_secs(1), 1, move || {
    ///     log2.lock().unwrap().push("first");
    ///     // an action may schedule more work
    ///     let log3 = Arc::clone(&log2);
    ///     s2.enter(Duration::from_secs(1), 1, move || log3.lock().unwrap().push("follow-up"));
    /// });
    /// s.run();
    /// assert_eq!(*log.lock().unwrap(), ["first", "follow-up"]);
    /// assert_eq!(clock.elapsed(), Duration::from_secs(2));
    /// ```
    pub fn run(&self) {
        let left = self.run_events(true);
        debug_assert!(left.is_none());
    }

    /// Runs the events that are due now and returns without waiting (Python's
    /// `run(blocking=False)`): `Some(delay)` until the next event is due, or `None` when
    /// the queue is empty.
    ///
    /// # Panics
    ///
    /// A panicking action unwinds out of this call, as with [`run`](Scheduler::run).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::{ManualClock, Scheduler};
    ///
    /// let clock = ManualClock::new();
    /// let s = Scheduler::with_clock(clock.clone());
    /// s.enter(Duration::ZERO, 1, || {});
    /// s.enter(Duration::from_secs(5), 1, || {});
    /// assert_eq!(s.run_nonblocking(), Some(Duration::from_secs(5)));
    /// assert_eq!(s.len(), 1);
    /// assert_eq!(clock.elapsed(), Duration::ZERO); // did not sleep
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(s.run_nonblocking(), None);
    /// ```
    pub fn run_nonblocking(&self) -> Option<Duration> {
        self.run_events(false)
    }

    /// The loop behind `run` and `run_nonblocking` (Python's `run(blocking)`).
    fn run_events(&self, blocking: bool) -> Option<Duration> {
        loop {
            let mut state = self.state.lock();
            let head = *state.events.first_key_value()?.0;
            let now = self.clock.now();
            if head.time > now {
                let delay = head.time - now;
                if !blocking {
                    return Some(delay);
                }
                if self.clock.is_real_time() {
                    // Woken early when the head changes; either way, look again.
                    self.head_changed.wait_until(&mut state, head.time);
                } else {
                    drop(state);
                    self.clock.sleep(delay);
                }
            } else {
                let (_, action) = state.events.pop_first().expect("the head is queued");
                drop(state);
                action();
            }
        }
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new()
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("queue", &self.queue())
            .finish_non_exhaustive()
    }
}
