//! `Signal`: a condition that threads sleep on ("not empty", "not full", "all tasks done"),
//! with a count of sleepers so that the common case, nobody waiting, costs the notifier one
//! atomic instruction instead of a lock.
//!
//! The protocol (checked by the loom models in `loom_tests.rs`):
//!
//! - A notifier first changes the state (pushes an item, pops one, finishes a task, shuts
//!   down), then reads the sleeper count with a read-modify-write (`fetch_add(0)`,
//!   `AcqRel`), and notifies the event if the count is not zero.
//! - A waiter increments the sleeper count (`fetch_add(1)`, `AcqRel`), registers a
//!   listener, and only then checks the state once more before sleeping.
//!
//! Every write to the count is a read-modify-write, so the notifier's and the waiter's are
//! ordered one after the other. If the notifier's comes second, it sees the sleeper and
//! notifies; the event's lock orders that notification after the listener's registration
//! or the registration after the state change, and either way the waiter does not sleep
//! through it. If the waiter's comes second, it reads from the notifier's release sequence,
//! so its re-check sees the state change. No wake-up is lost.
//!
//! A read-modify-write is also cheaper than a `SeqCst` fence on the hot path (x86 turns the
//! idempotent `fetch_add(0)` into a locked instruction on the stack, not an `mfence`).

use std::time::Instant;

use super::sync::{AtomicUsize, Event, Ordering, Spin};

pub(crate) struct Signal {
    sleepers: AtomicUsize,
    event: Event,
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            sleepers: AtomicUsize::new(0),
            event: Event::new(),
        }
    }

    /// Wakes one sleeper that has not been woken yet, if any sleeps.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.sleepers.fetch_add(0, Ordering::AcqRel) != 0 {
            self.event.notify_one();
        }
    }

    /// Wakes every sleeper.
    pub(crate) fn notify_all(&self) {
        if self.sleepers.fetch_add(0, Ordering::AcqRel) != 0 {
            self.event.notify_all();
        }
    }

    /// Runs `check` until it returns `Some`, sleeping between attempts until notified.
    ///
    /// Spins briefly first (a handoff between two busy threads is much cheaper than a
    /// sleep and a wake-up). Returns `None` if `deadline` passes; `check` has then been run
    /// one last time after the deadline, so an item that arrived just in time is not lost.
    pub(crate) fn wait_until<R>(
        &self,
        deadline: Option<Instant>,
        mut check: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let spin = Spin::new();
        loop {
            if let Some(r) = check() {
                return Some(r);
            }
            if !spin.spin() {
                break;
            }
        }
        loop {
            self.sleepers.fetch_add(1, Ordering::AcqRel);
            let listener = self.event.listen();
            if let Some(r) = check() {
                self.sleepers.fetch_sub(1, Ordering::Relaxed);
                // Dropping a listener that was already notified passes the notification on.
                return Some(r);
            }
            let notified = listener.wait(deadline);
            self.sleepers.fetch_sub(1, Ordering::Relaxed);
            if !notified {
                return check();
            }
        }
    }
}
