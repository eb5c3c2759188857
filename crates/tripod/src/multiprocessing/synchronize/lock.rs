//! [`Lock`]: Python's `multiprocessing.Lock`, a robust process-shared mutex.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{AcquireTimeoutError, OwnerDied, TryAcquireError};
use super::{Handle, deadline_after, sleep_until};
use crate::shm::sync_cells::{self, NotSend, PlainMutex};
use crate::shm::{Locked, RobustMutex, Segment};

/// A lock shared between processes: Python's `multiprocessing.Lock`.
///
/// Like Python's, it protects a section of code rather than data (processes share no
/// memory by default; a shared value carries a lock of this kind for its data).
/// [`acquire`](Lock::acquire) returns a [`LockGuard`] that releases the lock when dropped.
///
/// A `Lock` is a handle: [`Clone`] gives another handle to the same lock, and a `Lock` can
/// be an argument of a child process, which then shares it. It lives in shared memory that
/// the kernel frees once the last handle in any process is gone.
///
/// # Owner death
///
/// The lock is a robust pthread mutex. If the thread holding it dies (its process killed,
/// say), the next acquirer gets the lock together with [`OwnerDied`], within the time the
/// kernel takes to clean up the dead process, instead of waiting forever. The lock then
/// works normally again.
///
/// ```
/// use tripod::multiprocessing::{Lock, Process};
///
/// fn count(lock: Lock, path: std::path::PathBuf) {
///     for _ in 0..100 {
///         let _held = lock.acquire().unwrap();
///         let n: u32 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
///         std::fs::write(&path, (n + 1).to_string()).unwrap();
///     }
/// }
/// tripod::task!(count);
///
/// let path = std::env::temp_dir().join(format!("tripod-lock-doc-{}", std::process::id()));
/// std::fs::write(&path, "0").unwrap();
/// let lock = Lock::new().unwrap();
/// let children: Vec<_> = (0..2)
///     .map(|_| Process::new(count, (lock.clone(), path.clone())).start().unwrap())
///     .collect();
/// for child in children {
///     child.join().unwrap();
/// }
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "200");
/// std::fs::remove_file(&path).unwrap();
/// ```
///
/// The lock is not reentrant: [`acquire`](Lock::acquire) on the thread that already holds
/// it panics (Python's would hang), [`try_acquire`](Lock::try_acquire) reports
/// [`WouldBlock`](TryAcquireError::WouldBlock). Use [`RLock`](super::RLock) for a reentrant
/// lock. The guard is not `Send`: a pthread mutex is released by the thread that took it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Lock {
    handle: Handle<RobustMutex>,
}

/// Proof that a [`Lock`] is held; releases it on drop.
///
/// ```
/// use tripod::multiprocessing::Lock;
///
/// let lock = Lock::new().unwrap();
/// let guard = lock.acquire().unwrap();
/// assert!(lock.locked());
/// guard.release();
/// assert!(!lock.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    mutex: &'a RobustMutex,
    _not_send: NotSend,
}

impl Lock {
    /// Creates an unlocked lock in a new shared-memory segment.
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created (out of memory or descriptors).
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// assert!(!lock.locked());
    /// ```
    pub fn new() -> io::Result<Lock> {
        let segment = sync_cells::create::<PlainMutex>("lock")?;
        Ok(Lock::in_segment(Arc::new(segment), 0))
    }

    /// A lock over the [`RobustMutex`] at `offset` of `segment`, which the caller has
    /// already initialised (`init`, error-checking). The lock travels as the segment and
    /// the offset.
    ///
    /// # Panics
    ///
    /// If a `RobustMutex` does not fit at `offset` or is misaligned there.
    pub(crate) fn in_segment(segment: Arc<Segment>, offset: usize) -> Lock {
        Lock {
            handle: Handle::new(segment, offset),
        }
    }

    fn mutex(&self) -> &RobustMutex {
        self.handle.get()
    }

    fn guard(&self, locked: Locked) -> Result<LockGuard<'_>, OwnerDied<LockGuard<'_>>> {
        let guard = LockGuard {
            mutex: self.mutex(),
            _not_send: NotSend::default(),
        };
        match locked {
            Locked::Clean => Ok(guard),
            Locked::OwnerDied => Err(OwnerDied::new(guard)),
        }
    }

    /// Acquires the lock, blocking until it is free (Python's `lock.acquire()` or
    /// `with lock:`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the previous owner died holding the lock. The lock is acquired all
    /// the same: the error holds the guard.
    ///
    /// # Panics
    ///
    /// If the calling thread already holds the lock (waiting for itself would never end).
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// let guard = lock.acquire().unwrap();
    /// assert!(lock.locked());
    /// drop(guard);
    /// ```
    pub fn acquire(&self) -> Result<LockGuard<'_>, OwnerDied<LockGuard<'_>>> {
        let locked = self.mutex().lock(None).expect("a lock without deadline");
        self.guard(locked)
    }

    /// Acquires the lock if it is free right now, without blocking (Python's
    /// `lock.acquire(blocking=False)`).
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if someone holds the lock (the calling thread
    /// included); [`TryAcquireError::OwnerDied`] if it was acquired but its previous owner
    /// had died.
    ///
    /// ```
    /// use tripod::multiprocessing::{Lock, TryAcquireError};
    ///
    /// let lock = Lock::new().unwrap();
    /// let held = lock.try_acquire().unwrap();
    /// assert!(matches!(lock.try_acquire(), Err(TryAcquireError::WouldBlock)));
    /// drop(held);
    /// assert!(lock.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<LockGuard<'_>, TryAcquireError<LockGuard<'_>>> {
        match try_lock(self.mutex()) {
            None => Err(TryAcquireError::WouldBlock),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// Acquires the lock, waiting at most `timeout` (Python's `lock.acquire(timeout=t)`).
    ///
    /// # Errors
    ///
    /// [`AcquireTimeoutError::Timeout`] if the lock was still held when the time ran out
    /// (if the calling thread holds it, that is after sleeping the whole `timeout`, as in
    /// Python); [`AcquireTimeoutError::OwnerDied`] if it was acquired but its previous
    /// owner had died.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{AcquireTimeoutError, Lock};
    ///
    /// let lock = Lock::new().unwrap();
    /// let _held = lock.acquire().unwrap();
    /// let err = lock.acquire_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(err, AcquireTimeoutError::Timeout));
    /// ```
    pub fn acquire_timeout(
        &self,
        timeout: Duration,
    ) -> Result<LockGuard<'_>, AcquireTimeoutError<LockGuard<'_>>> {
        match deadline_after(timeout) {
            Some(deadline) => self.acquire_deadline(deadline),
            None => Ok(self.acquire()?),
        }
    }

    /// Acquires the lock, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`acquire_timeout`](Lock::acquire_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// assert!(lock.acquire_deadline(Instant::now() + Duration::from_secs(1)).is_ok());
    /// ```
    pub fn acquire_deadline(
        &self,
        deadline: Instant,
    ) -> Result<LockGuard<'_>, AcquireTimeoutError<LockGuard<'_>>> {
        match lock_until(self.mutex(), deadline) {
            None => Err(AcquireTimeoutError::Timeout),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// Whether some thread (of any process) holds the lock right now. The answer may be
    /// stale by the time it is used; it is meant for diagnostics and tests. A lock whose
    /// owner died, and which nobody has acquired since, is not locked.
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// assert!(!lock.locked());
    /// let _held = lock.acquire().unwrap();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        sync_cells::holder(self.mutex()) != 0
    }
}

/// `try_lock` of an error-checking mutex, answering `None` also when the calling thread
/// holds it (the pthread call would report a deadlock then).
pub(super) fn try_lock(mutex: &RobustMutex) -> Option<Locked> {
    if sync_cells::holder(mutex) != 0 {
        return None;
    }
    // Free a moment ago; if someone took it since, it is not us.
    mutex.try_lock()
}

/// `lock` of an error-checking mutex with a deadline; if the calling thread holds it, waits
/// out the deadline and answers `None` (Python's behaviour) instead of reporting a
/// deadlock.
pub(super) fn lock_until(mutex: &RobustMutex, deadline: Instant) -> Option<Locked> {
    if let Some(locked) = try_lock(mutex) {
        return Some(locked);
    }
    // Only the calling thread can make itself the holder, so this answer is stable.
    if sync_cells::holder(mutex) == sync_cells::current_tid() {
        sleep_until(deadline);
        return None;
    }
    mutex.lock(Some(deadline))
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl LockGuard<'_> {
    /// Releases the lock now (Python's `lock.release()`); the same as dropping the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// lock.acquire().unwrap().release();
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        let released = self.mutex.unlock();
        debug_assert!(released, "a lock guard released a mutex it did not hold");
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_and_timed_acquire_by_the_holder_do_not_panic() {
        let lock = Lock::new().unwrap();
        let held = lock.acquire().unwrap();
        assert!(matches!(
            lock.try_acquire(),
            Err(TryAcquireError::WouldBlock)
        ));
        let start = Instant::now();
        assert!(matches!(
            lock.acquire_timeout(Duration::from_millis(20)),
            Err(AcquireTimeoutError::Timeout)
        ));
        assert!(start.elapsed() >= Duration::from_millis(20));
        drop(held);
        assert!(lock.try_acquire().is_ok());
    }

    #[test]
    fn a_thread_that_dies_holding_it_hands_over_owner_died_once() {
        let lock = Lock::new().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| std::mem::forget(lock.acquire().unwrap()))
                .join()
                .unwrap();
        });
        assert!(!lock.locked());
        let died = lock.try_acquire().unwrap_err();
        assert!(matches!(died, TryAcquireError::OwnerDied(_)));
        assert!(lock.locked());
        drop(died);
        assert!(!lock.locked());
        let guard = lock
            .acquire_timeout(Duration::from_secs(10))
            .expect("the lock is clean again");
        drop(guard);
    }

    #[test]
    fn clones_share_the_lock_and_contend_across_threads() {
        let lock = Lock::new().unwrap();
        let counter = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let lock = lock.clone();
                let counter = &counter;
                s.spawn(move || {
                    for _ in 0..1000 {
                        let _g = lock.acquire().unwrap();
                        // A non-atomic read-modify-write, made safe by the lock.
                        let n = counter.load(std::sync::atomic::Ordering::Relaxed);
                        counter.store(n + 1, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), 4000);
        assert!(format!("{lock:?}").contains("locked: false"));
    }
}
