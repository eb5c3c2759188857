//! [`Event`]: Python's `multiprocessing.Event`, a flag processes can wait for.
//!
//! One futex word holds the flag (bit 0) and a generation (the other bits) that every
//! clear-to-set change moves on. A waiter that saw the flag clear sleeps on the word as it
//! saw it; any change of the word from there means a `set` happened (a `clear` only
//! changes a set word), so the waiter returns `true` even if the flag was cleared again
//! before it ran (CPython issue #13502). A waiter counts itself in `sleepers` before it
//! sleeps, and `set` looks at `sleepers` after it changed the word (both sequentially
//! consistent), so `set` calls the kernel only when someone sleeps and never misses one.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Handle, deadline_after};
use crate::shm::futex;
use crate::shm::sync_cells::EventCell;

/// How long a waiter spins, watching the flag, before it sleeps in the kernel (as
/// `threading::Event` does): a `set` from another process a few microseconds away is far
/// cheaper to catch this way.
const SPIN_FOR: Duration = Duration::from_micros(5);
/// Spin iterations between two looks at the clock.
const SPIN_BATCH: u32 = 32;

/// A flag that processes can set, clear and wait for: Python's `multiprocessing.Event`.
///
/// `Clone` gives another handle to the same event, and an event can be an argument of a
/// child process.
///
/// ```
/// use std::time::Duration;
/// use tripod::multiprocessing::{Event, Process};
///
/// fn wait_for_go(go: Event) -> bool {
///     go.wait_timeout(Duration::from_secs(30))
/// }
/// tripod::task!(wait_for_go);
///
/// let go = Event::new().unwrap();
/// let child = Process::new(wait_for_go, (go.clone(),)).start().unwrap();
/// go.set();
/// assert!(child.join().unwrap());
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Event {
    handle: Handle<EventCell>,
}

impl Event {
    /// Creates an event whose flag is clear, in a new shared-memory segment.
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Event;
    ///
    /// assert!(!Event::new().unwrap().is_set());
    /// ```
    pub fn new() -> io::Result<Event> {
        Ok(Event {
            handle: Handle::create("event")?,
        })
    }

    fn cell(&self) -> &EventCell {
        self.handle.get()
    }

    /// Whether the flag is set (Python's `event.is_set()`).
    ///
    /// ```
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.cell().word.load(SeqCst) & 1 == 1
    }

    /// Sets the flag and wakes every thread and process waiting for it (Python's
    /// `event.set()`). Later waiters return at once, until [`clear`](Event::clear).
    ///
    /// ```
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// ev.set();
    /// ev.set(); // setting a set event does nothing
    /// ev.wait();
    /// assert!(ev.is_set());
    /// ```
    pub fn set(&self) {
        let cell = self.cell();
        // Clear to set: flag on, generation + 1 (`+ 3` on a word whose bit 0 is clear).
        let changed = cell
            .word
            .fetch_update(SeqCst, SeqCst, |w| (w & 1 == 0).then(|| w.wrapping_add(3)))
            .is_ok();
        if changed && cell.sleepers.load(SeqCst) > 0 {
            futex::wake_all(&cell.word);
        }
    }

    /// Clears the flag (Python's `event.clear()`); later waiters block until the next
    /// [`set`](Event::set).
    ///
    /// ```
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        self.cell().word.fetch_and(!1, SeqCst);
    }

    /// Blocks until the flag is set (Python's `event.wait()`); returns at once if it is.
    ///
    /// ```
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| ev.set());
    ///     ev.wait();
    /// });
    /// assert!(ev.is_set());
    /// ```
    pub fn wait(&self) {
        self.wait_until(None);
    }

    /// Blocks until the flag is set or `timeout` passes. Returns `true` if the flag was set
    /// (Python's `event.wait(timeout)`), `false` on timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// assert!(!ev.wait_timeout(Duration::from_millis(5)));
    /// ev.set();
    /// assert!(ev.wait_timeout(Duration::from_millis(5)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(deadline_after(timeout))
    }

    /// Blocks until the flag is set or `deadline` passes. Returns `true` if the flag was
    /// set, `false` on timeout.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::multiprocessing::Event;
    ///
    /// let ev = Event::new().unwrap();
    /// assert!(!ev.wait_deadline(Instant::now()));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let cell = self.cell();
        let seen = cell.word.load(SeqCst);
        if seen & 1 == 1 {
            return true;
        }
        // Spin a little first; this only repeats the look at the word.
        let spin_until = Instant::now() + SPIN_FOR;
        let spin_until = deadline.map_or(spin_until, |d| d.min(spin_until));
        loop {
            for _ in 0..SPIN_BATCH {
                if cell.word.load(SeqCst) != seen {
                    return true;
                }
                std::hint::spin_loop();
            }
            if Instant::now() >= spin_until {
                break;
            }
        }
        loop {
            cell.sleepers.fetch_add(1, SeqCst);
            let in_time = futex::wait(&cell.word, seen, deadline);
            cell.sleepers.fetch_sub(1, SeqCst);
            // From a clear word, only a `set` changes it.
            if cell.word.load(SeqCst) != seen {
                return true;
            }
            if !in_time {
                return false;
            }
        }
    }

    #[cfg(test)]
    fn sleepers(&self) -> u32 {
        self.cell().sleepers.load(SeqCst)
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// CPython issue #13502: a `set` immediately followed by `clear` still wakes (with
    /// `true`) every waiter that was waiting at the time of the `set`.
    #[test]
    fn set_then_clear_wakes_current_waiters() {
        let ev = Event::new().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            for _ in 0..3 {
                let tx = tx.clone();
                let ev = ev.clone();
                s.spawn(move || tx.send(ev.wait_timeout(Duration::from_secs(10))).unwrap());
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while ev.sleepers() < 3 {
                assert!(Instant::now() < deadline, "waiters never slept");
                std::thread::yield_now();
            }
            ev.set();
            ev.clear();
            for _ in 0..3 {
                assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true));
            }
        });
        assert!(!ev.is_set());
        assert_eq!(ev.sleepers(), 0);
        assert!(format!("{ev:?}").contains("is_set: false"));
    }

    #[test]
    fn the_generation_wraps_around() {
        let ev = Event::new().unwrap();
        ev.cell().word.store(u32::MAX - 1, SeqCst);
        ev.set();
        assert!(ev.is_set());
        ev.clear();
        assert!(!ev.is_set());
        assert!(!ev.wait_timeout(Duration::from_millis(1)));
    }
}
