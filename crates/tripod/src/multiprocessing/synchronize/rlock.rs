//! [`RLock`]: Python's `multiprocessing.RLock`, a reentrant robust process-shared mutex.
//!
//! Built on a recursive robust pthread mutex: the C library keeps the owner (the thread id
//! in the lock word, which the kernel clears when the owner dies) and the level count, so
//! reentrance is decided exactly, with no owner field of our own that could go stale.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{AcquireTimeoutError, OwnerDied, TryAcquireError};
use super::{Handle, deadline_after};
use crate::shm::sync_cells::{self, NotSend, RecursiveMutex};
use crate::shm::{Locked, RobustMutex};

/// A reentrant lock shared between processes: Python's `multiprocessing.RLock`.
///
/// The thread holding an `RLock` may acquire it again without deadlocking; the lock is
/// free again once every [`RLockGuard`] is gone. Other threads, in this process or
/// another, wait.
///
/// As with [`Lock`](super::Lock): `Clone` gives another handle to the same lock, an `RLock`
/// can be an argument of a child process, and a thread that dies holding it (at any depth)
/// hands the next acquirer [`OwnerDied`], with the lock held at depth one.
///
/// ```
/// use tripod::multiprocessing::RLock;
///
/// let lock = RLock::new().unwrap();
/// let outer = lock.acquire().unwrap();
/// let inner = lock.acquire().unwrap(); // same thread: no deadlock
/// assert!(lock.is_owned());
/// drop(inner);
/// assert!(lock.locked());
/// drop(outer);
/// assert!(!lock.locked());
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct RLock {
    handle: Handle<RobustMutex>,
}

/// Proof that the current thread holds an [`RLock`]; releases one level on drop.
///
/// ```
/// use tripod::multiprocessing::RLock;
///
/// let lock = RLock::new().unwrap();
/// let guard = lock.acquire().unwrap();
/// guard.release();
/// assert!(!lock.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a> {
    mutex: &'a RobustMutex,
    _not_send: NotSend,
}

impl RLock {
    /// Creates an unlocked reentrant lock in a new shared-memory segment.
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::RLock;
    ///
    /// assert!(!RLock::new().unwrap().locked());
    /// ```
    pub fn new() -> io::Result<RLock> {
        let segment = sync_cells::create::<RecursiveMutex>("rlock")?;
        Ok(RLock {
            handle: Handle::new(Arc::new(segment), 0),
        })
    }

    fn mutex(&self) -> &RobustMutex {
        self.handle.get()
    }

    fn guard(&self, locked: Locked) -> Result<RLockGuard<'_>, OwnerDied<RLockGuard<'_>>> {
        let guard = RLockGuard {
            mutex: self.mutex(),
            _not_send: NotSend::default(),
        };
        match locked {
            Locked::Clean => Ok(guard),
            Locked::OwnerDied => Err(OwnerDied::new(guard)),
        }
    }

    /// Acquires the lock, blocking until no other thread holds it; adds a level if the
    /// current thread holds it already (Python's `rlock.acquire()` or `with rlock:`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the previous owner died holding the lock; the lock is acquired all
    /// the same (at depth one), and the error holds the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::RLock;
    ///
    /// let lock = RLock::new().unwrap();
    /// let a = lock.acquire().unwrap();
    /// let b = lock.acquire().unwrap();
    /// drop((a, b));
    /// assert!(!lock.locked());
    /// ```
    pub fn acquire(&self) -> Result<RLockGuard<'_>, OwnerDied<RLockGuard<'_>>> {
        let locked = self.mutex().lock(None).expect("a lock without deadline");
        self.guard(locked)
    }

    /// Acquires the lock if no other thread holds it, without blocking.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if another thread holds it;
    /// [`TryAcquireError::OwnerDied`] as for [`acquire`](RLock::acquire).
    ///
    /// ```
    /// use tripod::multiprocessing::{RLock, TryAcquireError};
    ///
    /// let lock = RLock::new().unwrap();
    /// let _held = lock.acquire().unwrap();
    /// assert!(lock.try_acquire().is_ok()); // reentrant
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(matches!(lock.try_acquire(), Err(TryAcquireError::WouldBlock))));
    /// });
    /// ```
    pub fn try_acquire(&self) -> Result<RLockGuard<'_>, TryAcquireError<RLockGuard<'_>>> {
        match self.mutex().try_lock() {
            None => Err(TryAcquireError::WouldBlock),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// Acquires the lock, waiting at most `timeout` for other threads to release it.
    ///
    /// # Errors
    ///
    /// [`AcquireTimeoutError::Timeout`] if another thread still held it;
    /// [`AcquireTimeoutError::OwnerDied`] as for [`acquire`](RLock::acquire).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::RLock;
    ///
    /// let lock = RLock::new().unwrap();
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_ok());
    /// ```
    pub fn acquire_timeout(
        &self,
        timeout: Duration,
    ) -> Result<RLockGuard<'_>, AcquireTimeoutError<RLockGuard<'_>>> {
        match deadline_after(timeout) {
            Some(deadline) => self.acquire_deadline(deadline),
            None => Ok(self.acquire()?),
        }
    }

    /// Acquires the lock, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`acquire_timeout`](RLock::acquire_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::{AcquireTimeoutError, RLock};
    ///
    /// let lock = RLock::new().unwrap();
    /// let _held = lock.acquire().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let deadline = Instant::now() + Duration::from_millis(5);
    ///         assert!(matches!(lock.acquire_deadline(deadline), Err(AcquireTimeoutError::Timeout)));
    ///     });
    /// });
    /// ```
    pub fn acquire_deadline(
        &self,
        deadline: Instant,
    ) -> Result<RLockGuard<'_>, AcquireTimeoutError<RLockGuard<'_>>> {
        match self.mutex().lock(Some(deadline)) {
            None => Err(AcquireTimeoutError::Timeout),
            Some(locked) => Ok(self.guard(locked)?),
        }
    }

    /// Whether some thread (of any process) holds the lock right now (diagnostics and
    /// tests; the answer may be stale).
    ///
    /// ```
    /// use tripod::multiprocessing::RLock;
    ///
    /// let lock = RLock::new().unwrap();
    /// let _g = lock.acquire().unwrap();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        sync_cells::holder(self.mutex()) != 0
    }

    /// Whether the current thread holds the lock (Python's private `_is_owned()`).
    ///
    /// ```
    /// use tripod::multiprocessing::RLock;
    ///
    /// let lock = RLock::new().unwrap();
    /// let _g = lock.acquire().unwrap();
    /// assert!(lock.is_owned());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(!lock.is_owned()));
    /// });
    /// ```
    pub fn is_owned(&self) -> bool {
        sync_cells::holder(self.mutex()) == sync_cells::current_tid()
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holder = sync_cells::holder(self.mutex());
        f.debug_struct("RLock")
            .field("locked", &(holder != 0))
            .field("owner_tid", &(holder != 0).then_some(holder))
            .finish_non_exhaustive()
    }
}

impl RLockGuard<'_> {
    /// Releases this level of the lock now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::RLock;
    ///
    /// let lock = RLock::new().unwrap();
    /// lock.acquire().unwrap().release();
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        let released = self.mutex.unlock();
        debug_assert!(released, "an rlock guard released a mutex it did not hold");
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_dying_at_depth_three_leaves_depth_one_to_the_next() {
        let lock = RLock::new().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..3 {
                    std::mem::forget(lock.acquire().unwrap());
                }
            })
            .join() // a real join: the thread is gone, and the kernel has seen it go
            .unwrap();
        });
        assert!(!lock.locked());
        let died = lock.acquire().unwrap_err().into_guard();
        assert!(lock.is_owned());
        let again = lock.acquire().unwrap();
        drop(again);
        drop(died);
        assert!(!lock.locked());
        assert!(format!("{lock:?}").contains("owner_tid: None"));
    }

    #[test]
    fn other_threads_wait_until_every_level_is_released() {
        let lock = RLock::new().unwrap();
        let a = lock.acquire().unwrap();
        let b = lock.try_acquire().unwrap();
        let c = lock.acquire_timeout(Duration::from_secs(1)).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(!lock.is_owned());
                assert!(matches!(
                    lock.acquire_timeout(Duration::from_millis(5)),
                    Err(AcquireTimeoutError::Timeout)
                ));
            });
        });
        drop((a, b, c));
        std::thread::scope(|s| {
            s.spawn(|| assert!(lock.try_acquire().is_ok()));
        });
    }
}
