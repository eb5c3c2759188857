//! [`Condition`]: Python's `multiprocessing.Condition`, a process-shared lock plus a
//! condition variable.
//!
//! The cell holds the lock (a robust mutex), a sequence word that waiters sleep on, and
//! two counts changed only under the lock: `waiters` (registered, not yet notified) and
//! `signals` (notifications handed out, not yet taken). A waiter registers and reads the
//! sequence under the lock, then releases it and sleeps while the sequence is unchanged;
//! `notify(n)`, also under the lock, moves up to `n` registered waiters to `signals`,
//! bumps the sequence and wakes as many sleepers. So a notification cannot fall between a
//! waiter's release of the lock and its sleep (the sequence moved: the sleep returns at
//! once), and a woken waiter returns only by taking a signal: `notify(n)` lets at most `n`
//! waiters return, and a waiter returns without a notification only on timeout.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{AcquireTimeoutError, OwnerDied, TryAcquireError};
use super::lock::{lock_until, try_lock};
use super::{Handle, deadline_after};
use crate::shm::sync_cells::{self, ConditionCell, NotSend};
use crate::shm::{Locked, futex};

/// A condition variable shared between processes, with its own lock: Python's
/// `multiprocessing.Condition`.
///
/// Processes [`acquire`](Condition::acquire) the condition to get a [`ConditionGuard`].
/// While holding it a thread may [`wait`](ConditionGuard::wait) (release the lock, sleep
/// until notified, take the lock back) or [`notify`](ConditionGuard::notify) other waiters.
/// Like Python's, it protects a section of code, not data: the state waited for lives
/// elsewhere in shared memory (a shared value, a file), and is read and changed with the
/// lock held. [`wait_for`](ConditionGuard::wait_for) waits for a predicate over it.
///
/// The lock is not reentrant (Python's default lock here is an `RLock`); it is robust: a
/// process that dies holding it hands the next acquirer [`OwnerDied`], also when the next
/// one is a waiter taking the lock back. `Clone` gives another handle to the same
/// condition, and a condition can be an argument of a child process.
///
/// ```
/// use std::time::Duration;
/// use tripod::multiprocessing::{Condition, Event, Process};
///
/// fn waiter(cond: Condition, ready: Event, done: Event) -> bool {
///     let mut guard = cond.acquire().unwrap();
///     ready.set(); // we hold the lock: a notify cannot come before our wait
///     let notified = guard.wait_timeout(Duration::from_secs(30)).unwrap();
///     done.set();
///     notified
/// }
/// tripod::task!(waiter);
///
/// let (cond, ready, done) = (Condition::new().unwrap(), Event::new().unwrap(), Event::new().unwrap());
/// let child = Process::new(waiter, (cond.clone(), ready.clone(), done.clone())).start().unwrap();
/// ready.wait();
/// // Once the lock is ours, the child is waiting.
/// assert_eq!(cond.acquire().unwrap().notify(1), 1);
/// assert!(child.join().unwrap());
/// assert!(done.is_set());
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Condition {
    handle: Handle<ConditionCell>,
}

/// The lock of a [`Condition`], held: the `wait`/`notify` methods, and the release on drop.
///
/// ```
/// use tripod::multiprocessing::Condition;
///
/// let cond = Condition::new().unwrap();
/// let guard = cond.acquire().unwrap();
/// assert_eq!(guard.notify_all(), 0); // nobody is waiting
/// guard.release();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a> {
    cell: &'a ConditionCell,
    _not_send: NotSend,
}

type Acquired<'a> = Result<ConditionGuard<'a>, OwnerDied<ConditionGuard<'a>>>;

impl Condition {
    /// Creates a condition (with its lock, free) in a new shared-memory segment.
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// assert!(cond.try_acquire().is_ok());
    /// ```
    pub fn new() -> io::Result<Condition> {
        Ok(Condition {
            handle: Handle::create("condition")?,
        })
    }

    fn cell(&self) -> &ConditionCell {
        self.handle.get()
    }

    fn guard(&self, locked: Locked) -> Acquired<'_> {
        let guard = ConditionGuard {
            cell: self.cell(),
            _not_send: NotSend::default(),
        };
        match locked {
            Locked::Clean => Ok(guard),
            Locked::OwnerDied => Err(OwnerDied::new(guard)),
        }
    }

    /// Acquires the condition's lock, blocking until it is free (Python's `with cond:`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the previous owner died holding the lock; the lock is acquired all
    /// the same, and the error holds the guard.
    ///
    /// # Panics
    ///
    /// If the calling thread already holds the lock.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let guard = cond.acquire().unwrap();
    /// drop(guard);
    /// ```
    pub fn acquire(&self) -> Acquired<'_> {
        let locked = self
            .cell()
            .mutex
            .lock(None)
            .expect("a lock without deadline");
        self.guard(locked)
    }

    /// Acquires the lock if it is free right now, without blocking.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if someone holds it (the calling thread included);
    /// [`TryAcquireError::OwnerDied`] as for [`acquire`](Condition::acquire).
    ///
    /// ```
    /// use tripod::multiprocessing::{Condition, TryAcquireError};
    ///
    /// let cond = Condition::new().unwrap();
    /// let held = cond.acquire().unwrap();
    /// assert!(matches!(cond.try_acquire(), Err(TryAcquireError::WouldBlock)));
    /// drop(held);
    /// ```
    pub fn try_acquire(&self) -> Result<ConditionGuard<'_>, TryAcquireError<ConditionGuard<'_>>> {
        match try_lock(&self.cell().mutex) {
            None => Err(TryAcquireError::WouldBlock),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// Acquires the lock, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`AcquireTimeoutError::Timeout`] if it was still held (by the calling thread: after
    /// sleeping the whole `timeout`); [`AcquireTimeoutError::OwnerDied`] as for
    /// [`acquire`](Condition::acquire).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// assert!(cond.acquire_timeout(Duration::from_millis(5)).is_ok());
    /// ```
    pub fn acquire_timeout(
        &self,
        timeout: Duration,
    ) -> Result<ConditionGuard<'_>, AcquireTimeoutError<ConditionGuard<'_>>> {
        match deadline_after(timeout) {
            Some(deadline) => self.acquire_deadline(deadline),
            None => Ok(self.acquire()?),
        }
    }

    /// Acquires the lock, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`acquire_timeout`](Condition::acquire_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::{AcquireTimeoutError, Condition};
    ///
    /// let cond = Condition::new().unwrap();
    /// let _held = cond.acquire().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let late = cond.acquire_deadline(Instant::now() + Duration::from_millis(5));
    ///         assert!(matches!(late, Err(AcquireTimeoutError::Timeout)));
    ///     });
    /// });
    /// ```
    pub fn acquire_deadline(
        &self,
        deadline: Instant,
    ) -> Result<ConditionGuard<'_>, AcquireTimeoutError<ConditionGuard<'_>>> {
        match lock_until(&self.cell().mutex, deadline) {
            None => Err(AcquireTimeoutError::Timeout),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// The number of waiters registered and not yet notified (diagnostics and tests).
    #[cfg(test)]
    fn waiters(&self) -> u32 {
        self.cell().waiters.load(SeqCst)
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &(sync_cells::holder(&self.cell().mutex) != 0))
            .finish_non_exhaustive()
    }
}

/// The result of a wait: its value, and whether taking the lock back found its owner dead.
fn outcome<T>(value: T, owner_died: bool) -> Result<T, OwnerDied<T>> {
    if owner_died {
        Err(OwnerDied::new(value))
    } else {
        Ok(value)
    }
}

impl ConditionGuard<'_> {
    /// Releases the lock, sleeps until notified by [`notify`](Self::notify) or
    /// [`notify_all`](Self::notify_all) from any process, then takes the lock back
    /// (Python's `cond.wait()`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if, while this thread slept, another holder of the lock died holding
    /// it: the lock is held again all the same, and the state it protects may need repair.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// std::thread::scope(|s| {
    ///     let mut g = cond.acquire().unwrap();
    ///     s.spawn(|| cond.acquire().unwrap().notify(1));
    ///     g.wait().unwrap(); // releases the lock, so the notifier can take it
    /// });
    /// ```
    pub fn wait(&mut self) -> Result<(), OwnerDied<()>> {
        self.wait_until(None).map(drop).map_err(|e| e.map(drop))
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`. `Ok(true)` if notified,
    /// `Ok(false)` if the time ran out (Python's `cond.wait(timeout)`).
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait); the error holds the same `bool`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let mut g = cond.acquire().unwrap();
    /// assert_eq!(g.wait_timeout(Duration::from_millis(5)).unwrap(), false);
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<bool, OwnerDied<bool>> {
        self.wait_until(deadline_after(timeout))
    }

    /// Like [`wait`](Self::wait), giving up at `deadline`. `Ok(true)` if notified,
    /// `Ok(false)` if the deadline passed.
    ///
    /// # Errors
    ///
    /// As [`wait_timeout`](Self::wait_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let mut g = cond.acquire().unwrap();
    /// assert_eq!(g.wait_deadline(Instant::now()).unwrap(), false);
    /// ```
    pub fn wait_deadline(&mut self, deadline: Instant) -> Result<bool, OwnerDied<bool>> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&mut self, deadline: Option<Instant>) -> Result<bool, OwnerDied<bool>> {
        let cell = self.cell;
        cell.waiters.fetch_add(1, Relaxed);
        let mut owner_died = false;
        loop {
            let seq = cell.seq.load(SeqCst);
            let released = cell.mutex.unlock();
            debug_assert!(released, "a condition guard without the lock");
            let in_time = futex::wait(&cell.seq, seq, deadline);
            let locked = cell.mutex.lock(None).expect("a lock without deadline");
            owner_died |= locked == Locked::OwnerDied;
            // Under the lock again: take a notification if there is one, also after a
            // timeout (ours may have come with it).
            let signals = cell.signals.load(Relaxed);
            if signals > 0 {
                cell.signals.store(signals - 1, Relaxed);
                return outcome(true, owner_died);
            }
            if !in_time {
                // Not notified: still counted among the waiters (saturating, in case a
                // holder died in the middle of a notify).
                let waiters = cell.waiters.load(Relaxed);
                cell.waiters.store(waiters.saturating_sub(1), Relaxed);
                return outcome(false, owner_died);
            }
        }
    }

    /// Waits until `predicate` returns `true` (Python's `cond.wait_for(predicate)`). The
    /// predicate is called first, and again after each notification, always with the lock
    /// held; it reads the shared state the condition is about.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if taking the lock back after one of the waits found its owner dead
    /// (the wait carried on until the predicate held).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let count = AtomicU32::new(0);
    /// std::thread::scope(|s| {
    ///     let mut g = cond.acquire().unwrap();
    ///     for _ in 0..3 {
    ///         s.spawn(|| {
    ///             let g = cond.acquire().unwrap();
    ///             count.fetch_add(1, Ordering::SeqCst);
    ///             g.notify_all();
    ///         });
    ///     }
    ///     g.wait_for(|| count.load(Ordering::SeqCst) == 3).unwrap();
    /// });
    /// ```
    pub fn wait_for(&mut self, predicate: impl FnMut() -> bool) -> Result<(), OwnerDied<()>> {
        self.wait_for_until(predicate, None)
            .map(drop)
            .map_err(|e| e.map(drop))
    }

    /// Waits until `predicate` returns `true`, giving up after `timeout`. Returns the
    /// predicate's last value (Python's `cond.wait_for(predicate, timeout)`).
    ///
    /// # Errors
    ///
    /// As [`wait_for`](Self::wait_for); the error holds the predicate's last value.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let mut g = cond.acquire().unwrap();
    /// assert_eq!(g.wait_for_timeout(|| false, Duration::from_millis(5)).unwrap(), false);
    /// assert_eq!(g.wait_for_timeout(|| true, Duration::from_millis(5)).unwrap(), true);
    /// ```
    pub fn wait_for_timeout(
        &mut self,
        predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, OwnerDied<bool>> {
        self.wait_for_until(predicate, deadline_after(timeout))
    }

    /// Waits until `predicate` returns `true`, giving up at `deadline`. Returns the
    /// predicate's last value.
    ///
    /// # Errors
    ///
    /// As [`wait_for_timeout`](Self::wait_for_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// let mut g = cond.acquire().unwrap();
    /// assert_eq!(g.wait_for_deadline(|| true, Instant::now()).unwrap(), true);
    /// ```
    pub fn wait_for_deadline(
        &mut self,
        predicate: impl FnMut() -> bool,
        deadline: Instant,
    ) -> Result<bool, OwnerDied<bool>> {
        self.wait_for_until(predicate, Some(deadline))
    }

    fn wait_for_until(
        &mut self,
        mut predicate: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Result<bool, OwnerDied<bool>> {
        let mut owner_died = false;
        loop {
            if predicate() {
                return outcome(true, owner_died);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return outcome(false, owner_died);
            }
            // Whether notified or timed out, the loop calls the predicate once more.
            owner_died |= self.wait_until(deadline).is_err();
        }
    }

    /// Wakes at most `n` of the threads and processes waiting on this condition (Python's
    /// `cond.notify(n)`) and returns how many were notified. They return from their wait
    /// once they get the lock, after this guard is released.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// assert_eq!(cond.acquire().unwrap().notify(3), 0); // nobody waiting
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        let cell = self.cell;
        let waiters = cell.waiters.load(Relaxed);
        let k = waiters.min(u32::try_from(n).unwrap_or(u32::MAX));
        if k == 0 {
            return 0;
        }
        cell.waiters.store(waiters - k, Relaxed);
        let signals = cell.signals.load(Relaxed);
        cell.signals.store(signals.saturating_add(k), Relaxed);
        cell.seq.fetch_add(1, SeqCst);
        futex::wake(&cell.seq, k);
        k as usize
    }

    /// Wakes every thread and process waiting on this condition (Python's
    /// `cond.notify_all()`) and returns how many were notified.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// assert_eq!(cond.acquire().unwrap().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }

    /// Releases the lock now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::Condition;
    ///
    /// let cond = Condition::new().unwrap();
    /// cond.acquire().unwrap().release();
    /// assert!(cond.try_acquire().is_ok());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        let released = self.cell.mutex.unlock();
        debug_assert!(
            released,
            "a condition guard released a lock it did not hold"
        );
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn wait_for_waiters(cond: &Condition, n: u32) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Registered under the lock, so once we hold it they are past their unlock.
            if cond.acquire().unwrap().cell.waiters.load(SeqCst) >= n {
                return;
            }
            assert!(Instant::now() < deadline, "the waiters never waited");
            std::thread::yield_now();
        }
    }

    #[test]
    fn notify_one_lets_exactly_one_waiter_return() {
        let cond = Condition::new().unwrap();
        let returned = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    let mut g = cond.acquire().unwrap();
                    if g.wait_timeout(Duration::from_secs(10)).unwrap() {
                        returned.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            wait_for_waiters(&cond, 3);
            assert_eq!(cond.acquire().unwrap().notify(1), 1);
            let deadline = Instant::now() + Duration::from_secs(10);
            while returned.load(Ordering::SeqCst) < 1 {
                assert!(Instant::now() < deadline);
                std::thread::yield_now();
            }
            // The other two are still registered.
            assert_eq!(cond.waiters(), 2);
            assert_eq!(returned.load(Ordering::SeqCst), 1);
            assert_eq!(cond.acquire().unwrap().notify_all(), 2);
        });
        assert_eq!(returned.load(Ordering::SeqCst), 3);
        assert_eq!(cond.waiters(), 0);
        assert_eq!(cond.cell().signals.load(SeqCst), 0);
    }

    #[test]
    fn a_timed_out_waiter_unregisters() {
        let cond = Condition::new().unwrap();
        let mut g = cond.acquire().unwrap();
        assert!(!g.wait_timeout(Duration::from_millis(2)).unwrap());
        assert_eq!(cond.waiters(), 0);
        assert_eq!(g.notify_all(), 0);
        assert!(format!("{cond:?}").contains("locked: true"));
    }

    #[test]
    fn a_waiter_taking_the_lock_back_from_a_dead_owner_is_told() {
        let cond = Condition::new().unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let mut g = cond.acquire().unwrap();
                let notified = g.wait_timeout(Duration::from_secs(10));
                matches!(notified, Err(ref e) if *e.get_ref())
            });
            wait_for_waiters(&cond, 1);
            s.spawn(|| {
                let g = cond.acquire().unwrap();
                g.notify(1);
                std::mem::forget(g); // this thread ends holding the lock
            })
            .join()
            .unwrap();
            assert!(waiter.join().unwrap());
        });
    }
}
