//! Run events at given times: Python's `sched` module.
//!
//! A [`Scheduler`] keeps a queue of events, each an action (a closure) due at a time with
//! a priority. [`Scheduler::run`] runs them in order of time, then priority (lower first),
//! then entry order, waiting between them; [`Scheduler::run_nonblocking`] runs only the due
//! ones and says how long until the next.
//!
//! | Python | tripod |
//! |---|---|
//! | `s = sched.scheduler()` | `let s = Scheduler::new();` |
//! | `sched.scheduler(timefunc, delayfunc)` | [`Scheduler::with_clock`] with a [`Clock`] |
//! | `s.enter(10, 1, f)` | `s.enter(Duration::from_secs(10), 1, f)` |
//! | `s.enterabs(t, 1, f)` | `s.enterabs(instant, 1, f)` |
//! | `s.cancel(event)` (ValueError) | `s.cancel(id)` (`Err(CancelError)`) |
//! | `s.queue` | [`s.queue()`](Scheduler::queue) |
//! | `s.empty()` | [`s.is_empty()`](Scheduler::is_empty) |
//! | `s.run()` / `s.run(blocking=False)` | [`s.run()`](Scheduler::run) / [`s.run_nonblocking()`](Scheduler::run_nonblocking) |
//!
//! Actions take no arguments: capture what they need (Python's `argument` and `kwargs`).
//! Times are [`Instant`](std::time::Instant)s on the scheduler's [`Clock`]; tests use a
//! [`ManualClock`], whose time moves only when the scheduler sleeps on it, so they never
//! wait for real.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use tripod::sched::{ManualClock, Scheduler};
//!
//! let clock = ManualClock::new();
//! let s = Scheduler::with_clock(clock.clone());
//! let log = Arc::new(Mutex::new(Vec::new()));
//! for (secs, priority, name) in [(2, 1, "b"), (1, 2, "a"), (2, 0, "b-urgent")] {
//!     let log = Arc::clone(&log);
//!     s.enter(Duration::from_secs(secs), priority, move || log.lock().unwrap().push(name));
//! }
//! assert_eq!(s.queue().len(), 3);
//! s.run();
//! assert_eq!(*log.lock().unwrap(), ["a", "b-urgent", "b"]);
//! assert_eq!(clock.elapsed(), Duration::from_secs(2));
//! ```
#![forbid(unsafe_code)]

mod clock;
mod error;
mod scheduler;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::CancelError;
pub use scheduler::{EventId, Scheduler};
