//! [`Lock`]: Python's `threading.Lock`, a thin wrapper over `parking_lot::Mutex`.
#![forbid(unsafe_code)]

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

/// A mutual-exclusion lock: Python's `threading.Lock`, owning the data it protects.
///
/// Where Python writes
///
/// ```python
/// with lock:
///     balance = balance + n
/// ```
///
/// tripod puts the data inside the lock, so it cannot be touched without holding it:
/// [`acquire`](Lock::acquire) returns a [`LockGuard`] that dereferences to the data and
/// releases the lock when it goes out of scope (or when [`LockGuard::release`] is called).
/// A `Lock<()>` (the default type) protects a section of code rather than data, exactly like
/// Python's lock.
///
/// The lock is not reentrant: acquiring it again on the thread that holds it deadlocks, as
/// in Python. Use [`RLock`](crate::threading::RLock) for a reentrant lock.
///
/// Python lets any thread release a `Lock`, even one that did not acquire it. tripod's guard
/// releases on the thread that holds it; to hand "permission" from one thread to another,
/// use a [`Semaphore`](crate::threading::Semaphore) with one permit (its `release` may be
/// called from any thread) or an [`Event`](crate::threading::Event).
///
/// The lock is built on `parking_lot::Mutex` and costs the same: an uncontended
/// acquire/release is one atomic compare-and-swap and one atomic store.
///
/// ```
/// use std::sync::Arc;
/// use tripod::threading::Lock;
///
/// let balance = Arc::new(Lock::new(0i64));
/// let handles: Vec<_> = [5, 8]
///     .into_iter()
///     .map(|n| {
///         let balance = Arc::clone(&balance);
///         std::thread::spawn(move || {
///             for _ in 0..1000 {
///                 let mut b = balance.acquire();
///                 *b += n;
///                 *b -= n;
///             }
///         })
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*balance.acquire(), 0);
/// ```
pub struct Lock<T: ?Sized = ()> {
    inner: parking_lot::Mutex<T>,
}

/// Proof that a [`Lock`] is held; gives access to the data and releases the lock on drop.
///
/// ```
/// use tripod::threading::Lock;
///
/// let lock = Lock::new(vec![1, 2]);
/// let mut guard = lock.acquire();
/// guard.push(3);
/// assert!(lock.locked());
/// guard.release();
/// assert!(!lock.locked());
/// assert_eq!(*lock.acquire(), [1, 2, 3]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, T: ?Sized> {
    inner: parking_lot::MutexGuard<'a, T>,
}

impl<T> Lock<T> {
    /// Creates an unlocked lock protecting `value`.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(5);
    /// assert!(!lock.locked());
    /// assert_eq!(*lock.acquire(), 5);
    /// ```
    #[inline]
    pub const fn new(value: T) -> Self {
        Lock {
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(String::from("x"));
    /// lock.acquire().push('y');
    /// assert_eq!(lock.into_inner(), "xy");
    /// ```
    #[inline]
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Lock<T> {
    /// Acquires the lock, blocking until it is free (Python's `lock.acquire()` or
    /// `with lock:`).
    ///
    /// Acquiring a lock the current thread already holds deadlocks.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let counter = Lock::new(0);
    /// *counter.acquire() += 1;
    /// assert_eq!(*counter.acquire(), 1);
    /// ```
    #[inline]
    pub fn acquire(&self) -> LockGuard<'_, T> {
        LockGuard {
            inner: self.inner.lock(),
        }
    }

    /// Acquires the lock if it is free right now, without blocking (Python's
    /// `lock.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(());
    /// let held = lock.try_acquire().expect("the lock is free");
    /// assert!(lock.try_acquire().is_none());
    /// drop(held);
    /// assert!(lock.try_acquire().is_some());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<LockGuard<'_, T>> {
        self.inner.try_lock().map(|inner| LockGuard { inner })
    }

    /// Acquires the lock, waiting at most `timeout` (Python's `lock.acquire(timeout=t)`).
    /// Returns `None` if the lock was still held when the time ran out.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(());
    /// let _held = lock.acquire();
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<LockGuard<'_, T>> {
        self.inner
            .try_lock_for(timeout)
            .map(|inner| LockGuard { inner })
    }

    /// Acquires the lock, waiting until `deadline` at most. Returns `None` if the lock was
    /// still held at the deadline.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(1);
    /// let guard = lock.acquire_deadline(Instant::now() + Duration::from_secs(1));
    /// assert_eq!(guard.as_deref(), Some(&1));
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<LockGuard<'_, T>> {
        self.inner
            .try_lock_until(deadline)
            .map(|inner| LockGuard { inner })
    }

    /// Whether some thread holds the lock right now (Python's `lock.locked()`).
    ///
    /// The answer may be stale by the time it is used; it is meant for diagnostics and tests.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(());
    /// assert!(!lock.locked());
    /// let _held = lock.acquire();
    /// assert!(lock.locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Mutable access to the data without locking: the `&mut` borrow proves that no other
    /// thread can hold the lock.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let mut lock = Lock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(*lock.acquire(), 2);
    /// ```
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for Lock<T> {
    /// An unlocked lock protecting `T::default()`. Python's `threading.Lock()` is
    /// `Lock::new(())`, or `Lock::default()` where the type is known to be `Lock`.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock: Lock = Lock::default();
    /// assert!(!lock.locked());
    /// ```
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    /// Same as [`Lock::new`].
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::from(3);
    /// assert_eq!(*lock.acquire(), 3);
    /// ```
    fn from(value: T) -> Self {
        Lock::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> LockGuard<'_, T> {
    /// Releases the lock now (Python's `lock.release()`); the same as dropping the guard,
    /// spelled out for readers coming from Python.
    ///
    /// ```
    /// use tripod::threading::Lock;
    ///
    /// let lock = Lock::new(());
    /// let guard = lock.acquire();
    /// guard.release();
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl<T: ?Sized> Deref for LockGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
