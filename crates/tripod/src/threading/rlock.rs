//! [`RLock`]: Python's `threading.RLock`, a reentrant lock owned by one thread at a time.
//!
//! Built on `parking_lot::ReentrantMutex`. The explicit `acquire_raw`/`release` pair keeps
//! a count of the acquisitions it made (always owned by the lock's current owner), and
//! `release` only undoes one of those, so it can never release an acquisition that a live
//! guard stands for.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A reentrant lock: Python's `threading.RLock`.
///
/// The thread that holds an `RLock` may acquire it again without deadlocking; the lock is
/// free again once every acquisition has been released. This is what nested `with lock:`
/// blocks need when one locked function calls another.
///
/// The lock owns a value. Because the same thread may hold several guards at once, a guard
/// only gives shared access (`&T`); put a [`Cell`](std::cell::Cell) or
/// [`RefCell`](std::cell::RefCell) inside for data that changes (as with
/// `std::sync::ReentrantLock`). `RLock<T>` is `Sync` when `T` is `Send`, so
/// `RLock<RefCell<T>>` can be shared between threads.
///
/// Besides guards there is Python's explicit pair, [`acquire_raw`](RLock::acquire_raw)
/// and [`release`](RLock::release), for code that locks in one function and unlocks in
/// another. Releasing a lock the current thread did not acquire that way is an error
/// ([`NotOwnerError`]), as in Python, never a panic and never undefined behaviour.
///
/// ```
/// use std::cell::Cell;
/// use tripod::threading::RLock;
///
/// let lock = RLock::new(Cell::new(0));
/// let outer = lock.acquire();
/// {
///     let inner = lock.acquire(); // same thread: no deadlock
///     inner.set(inner.get() + 1);
/// }
/// outer.set(outer.get() + 1);
/// drop(outer);
/// assert_eq!(lock.acquire().get(), 2);
/// assert!(!lock.locked());
/// ```
pub struct RLock<T: ?Sized = ()> {
    /// Acquisitions made by `acquire_raw` and not yet released. Only the owner of `inner`
    /// changes it, and it is zero whenever `inner` is unlocked.
    raw_count: AtomicUsize,
    inner: parking_lot::ReentrantMutex<T>,
}

/// Proof that the current thread holds an [`RLock`]; gives `&T` and releases one level of
/// the lock on drop.
///
/// ```
/// use tripod::threading::RLock;
///
/// let lock = RLock::new(7);
/// let guard = lock.acquire();
/// assert_eq!(*guard, 7);
/// guard.release();
/// assert!(!lock.locked());
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a, T: ?Sized> {
    inner: parking_lot::ReentrantMutexGuard<'a, T>,
}

/// The error of [`RLock::release`]: the current thread holds no acquisition made with
/// [`RLock::acquire_raw`] (Python's `RuntimeError: cannot release un-acquired lock`).
///
/// ```
/// use tripod::threading::{NotOwnerError, RLock};
///
/// let lock = RLock::new(());
/// assert_eq!(lock.release(), Err(NotOwnerError));
/// assert_eq!(NotOwnerError.to_string(), "cannot release un-acquired lock");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotOwnerError;

impl fmt::Display for NotOwnerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot release un-acquired lock")
    }
}

impl std::error::Error for NotOwnerError {}

impl<T> RLock<T> {
    /// Creates an unlocked reentrant lock protecting `value`.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new("data");
    /// assert_eq!(*lock.acquire(), "data");
    /// ```
    pub const fn new(value: T) -> Self {
        RLock {
            raw_count: AtomicUsize::new(0),
            inner: parking_lot::ReentrantMutex::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// assert_eq!(RLock::new(4).into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RLock<T> {
    /// Acquires the lock, blocking until no other thread holds it. If the current thread
    /// already holds it, this returns at once and adds one level.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// let a = lock.acquire();
    /// let b = lock.acquire();
    /// drop(a);
    /// assert!(lock.locked());
    /// drop(b);
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn acquire(&self) -> RLockGuard<'_, T> {
        RLockGuard {
            inner: self.inner.lock(),
        }
    }

    /// Acquires the lock if no other thread holds it, without blocking.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// let _held = lock.acquire();
    /// assert!(lock.try_acquire().is_some()); // reentrant
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(lock.try_acquire().is_none()));
    /// });
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<RLockGuard<'_, T>> {
        self.inner.try_lock().map(|inner| RLockGuard { inner })
    }

    /// Acquires the lock, waiting at most `timeout`; `None` if another thread still held it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_some());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_, T>> {
        self.inner
            .try_lock_for(timeout)
            .map(|inner| RLockGuard { inner })
    }

    /// Acquires the lock, waiting until `deadline` at most; `None` if another thread still
    /// held it.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// assert!(lock.acquire_deadline(Instant::now() + Duration::from_millis(10)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<RLockGuard<'_, T>> {
        self.inner
            .try_lock_until(deadline)
            .map(|inner| RLockGuard { inner })
    }

    /// Acquires the lock without a guard (Python's `rlock.acquire()`); undo it with
    /// [`release`](RLock::release) on the same thread.
    ///
    /// Prefer [`acquire`](RLock::acquire): a guard cannot be forgotten. An acquisition that
    /// is never released keeps the lock held until the program ends.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// lock.acquire_raw();
    /// lock.acquire_raw();
    /// assert!(lock.is_owned());
    /// lock.release().unwrap();
    /// lock.release().unwrap();
    /// assert!(!lock.locked());
    /// ```
    pub fn acquire_raw(&self) {
        self.keep(self.inner.lock());
    }

    /// [`acquire_raw`](RLock::acquire_raw) without blocking; returns whether the lock was
    /// acquired (Python's `rlock.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// assert!(lock.try_acquire_raw());
    /// lock.release().unwrap();
    /// ```
    pub fn try_acquire_raw(&self) -> bool {
        self.inner.try_lock().map(|g| self.keep(g)).is_some()
    }

    /// [`acquire_raw`](RLock::acquire_raw) waiting at most `timeout`; returns whether the
    /// lock was acquired (Python's `rlock.acquire(timeout=t)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// assert!(lock.acquire_raw_timeout(Duration::from_millis(10)));
    /// lock.release().unwrap();
    /// ```
    pub fn acquire_raw_timeout(&self, timeout: Duration) -> bool {
        self.inner
            .try_lock_for(timeout)
            .map(|g| self.keep(g))
            .is_some()
    }

    /// Turns a guard into a counted raw acquisition.
    fn keep(&self, guard: parking_lot::ReentrantMutexGuard<'_, T>) {
        std::mem::forget(guard);
        // Only the owner touches the count, and ownership passes through the mutex, which
        // orders these accesses; Relaxed is enough.
        self.raw_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Releases one acquisition made by [`acquire_raw`](RLock::acquire_raw) on this
    /// thread (Python's `rlock.release()`).
    ///
    /// # Errors
    ///
    /// [`NotOwnerError`] if the current thread does not hold the lock, or holds it only
    /// through guards (a guard releases itself when dropped).
    ///
    /// ```
    /// use tripod::threading::{NotOwnerError, RLock};
    ///
    /// let lock = RLock::new(());
    /// lock.acquire_raw();
    /// std::thread::scope(|s| {
    ///     // Another thread does not own the lock.
    ///     s.spawn(|| assert_eq!(lock.release(), Err(NotOwnerError)));
    /// });
    /// assert_eq!(lock.release(), Ok(()));
    /// assert_eq!(lock.release(), Err(NotOwnerError));
    /// ```
    pub fn release(&self) -> Result<(), NotOwnerError> {
        if !self.inner.is_owned_by_current_thread() {
            return Err(NotOwnerError);
        }
        // We own the lock, so no other thread changes `raw_count` until we release it.
        let raw = self.raw_count.load(Ordering::Relaxed);
        if raw == 0 {
            return Err(NotOwnerError);
        }
        self.raw_count.store(raw - 1, Ordering::Relaxed);
        // SAFETY: the current thread owns the mutex, and `raw_count` (which only the owner
        // changes, and which is zero whenever the mutex is free) says it still holds at
        // least one acquisition whose guard `keep` forgot. Unlocking undoes that one.
        unsafe { self.inner.force_unlock() };
        Ok(())
    }

    /// Whether some thread holds the lock right now (diagnostics and tests).
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// assert!(!lock.locked());
    /// let _g = lock.acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether the current thread holds the lock (Python's private `_is_owned()`).
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// let _g = lock.acquire();
    /// assert!(lock.is_owned());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(!lock.is_owned()));
    /// });
    /// ```
    pub fn is_owned(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    /// Mutable access to the data without locking: the `&mut` borrow proves that no thread
    /// holds the lock.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let mut lock = RLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(*lock.acquire(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for RLock<T> {
    /// An unlocked reentrant lock protecting `T::default()`. Python's `threading.RLock()`
    /// is `RLock::new(())`, or `RLock::default()` where the type is known to be `RLock`.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock: RLock = RLock::default();
    /// assert!(!lock.locked());
    /// ```
    fn default() -> Self {
        RLock::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for RLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> RLockGuard<'_, T> {
    /// Releases this level of the lock now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::threading::RLock;
    ///
    /// let lock = RLock::new(());
    /// lock.acquire().release();
    /// assert!(!lock.locked());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl<T: ?Sized> Deref for RLockGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
