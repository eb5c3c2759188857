//! [`Semaphore`] and [`BoundedSemaphore`]: Python's counting semaphores.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// The state both semaphores share.
struct Core {
    state: Mutex<Counts>,
    cond: Condvar,
    /// The initial value of a bounded semaphore; `None` for an unbounded one.
    bound: Option<usize>,
}

struct Counts {
    /// Permits available now.
    value: usize,
    /// Permits taken by live guards. A bounded semaphore counts them as "coming back", so
    /// an explicit `release` can never push the total above the bound and a guard's drop
    /// never has to fail.
    guarded: usize,
}

impl Core {
    const fn new(value: usize, bound: Option<usize>) -> Self {
        Core {
            state: Mutex::new(Counts { value, guarded: 0 }),
            cond: Condvar::new(),
            bound,
        }
    }

    /// Takes one permit, waiting until `deadline` if given; `false` on timeout.
    fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        let mut counts = self.state.lock();
        while counts.value == 0 {
            match deadline {
                None => self.cond.wait(&mut counts),
                Some(deadline) => {
                    if self.cond.wait_until(&mut counts, deadline).timed_out() && counts.value == 0
                    {
                        return false;
                    }
                }
            }
        }
        counts.value -= 1;
        counts.guarded += 1;
        true
    }

    fn try_acquire(&self) -> bool {
        let mut counts = self.state.lock();
        if counts.value == 0 {
            return false;
        }
        counts.value -= 1;
        counts.guarded += 1;
        true
    }

    /// Adds `n` free permits (the explicit, Python-style release).
    fn release(&self, n: usize) -> Result<(), TooManyReleasesError> {
        let mut counts = self.state.lock();
        let value = counts
            .value
            .checked_add(n)
            .expect("semaphore value overflows usize");
        if let Some(bound) = self.bound
            && value.saturating_add(counts.guarded) > bound
        {
            return Err(TooManyReleasesError);
        }
        counts.value = value;
        // Each notify_one wakes exactly one waiter; stop early when nobody is left.
        for _ in 0..n {
            if !self.cond.notify_one() {
                break;
            }
        }
        Ok(())
    }

    /// Gives back a guard's permit; cannot exceed the bound (see `Counts::guarded`).
    fn release_guarded(&self) {
        let mut counts = self.state.lock();
        counts.guarded -= 1;
        counts.value += 1;
        self.cond.notify_one();
    }

    fn forget_guarded(&self) {
        self.state.lock().guarded -= 1;
    }

    fn value(&self) -> usize {
        self.state.lock().value
    }
}

/// A counting semaphore: Python's `threading.Semaphore`.
///
/// The semaphore holds a number of permits. [`acquire`](Semaphore::acquire) takes one,
/// waiting while there are none, and returns a [`SemaphoreGuard`] that gives it back when
/// dropped (Python's `with sem:`). [`release`](Semaphore::release) adds permits explicitly
/// and may be called from any thread, so a semaphore also serves to hand a signal from one
/// thread to another. Releasing more than was acquired simply raises the count; use
/// [`BoundedSemaphore`] to treat that as a bug.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use tripod::threading::Semaphore;
///
/// let sem = Semaphore::new(3);
/// let inside = AtomicUsize::new(0);
/// let most = AtomicUsize::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..9 {
///         s.spawn(|| {
///             let _permit = sem.acquire();
///             let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
///             most.fetch_max(now, Ordering::SeqCst);
///             inside.fetch_sub(1, Ordering::SeqCst);
///         });
///     }
/// });
/// assert!(most.load(Ordering::SeqCst) <= 3);
/// assert_eq!(sem.value(), 3);
/// ```
pub struct Semaphore {
    core: Core,
}

/// A semaphore that refuses to be released above its initial value: Python's
/// `threading.BoundedSemaphore`.
///
/// Guards give back exactly what they took, so guard-based use can never over-release. An
/// explicit [`release`](BoundedSemaphore::release) that would push the count of free
/// permits (plus the permits held by live guards) above the initial value is refused with
/// [`TooManyReleasesError`] and changes nothing.
///
/// ```
/// use tripod::threading::{BoundedSemaphore, TooManyReleasesError};
///
/// let sem = BoundedSemaphore::new(2);
/// sem.acquire().forget(); // take a permit without a guard, Python style
/// assert_eq!(sem.value(), 1);
/// assert_eq!(sem.release(1), Ok(()));
/// assert_eq!(sem.release(1), Err(TooManyReleasesError));
/// assert_eq!(sem.value(), 2);
/// ```
pub struct BoundedSemaphore {
    core: Core,
}

/// A permit taken from a [`Semaphore`] or [`BoundedSemaphore`]; given back on drop.
///
/// ```
/// use tripod::threading::Semaphore;
///
/// let sem = Semaphore::new(1);
/// let permit = sem.acquire();
/// assert_eq!(sem.value(), 0);
/// drop(permit);
/// assert_eq!(sem.value(), 1);
/// ```
#[must_use = "the permit is given back as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    core: &'a Core,
}

/// The error of [`BoundedSemaphore::release`]: the release would raise the semaphore above
/// its initial value (Python's `ValueError: Semaphore released too many times`).
///
/// ```
/// use tripod::threading::{BoundedSemaphore, TooManyReleasesError};
///
/// let err = BoundedSemaphore::new(1).release(1).unwrap_err();
/// assert_eq!(err, TooManyReleasesError);
/// assert_eq!(err.to_string(), "semaphore released too many times");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TooManyReleasesError;

impl fmt::Display for TooManyReleasesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore released too many times")
    }
}

impl std::error::Error for TooManyReleasesError {}

impl Semaphore {
    /// Creates a semaphore with `value` free permits (Python's `Semaphore(value)`).
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// assert_eq!(Semaphore::new(3).value(), 3);
    /// ```
    pub const fn new(value: usize) -> Self {
        Semaphore {
            core: Core::new(value, None),
        }
    }

    /// Takes a permit, blocking while there is none (Python's `sem.acquire()` or
    /// `with sem:`).
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let permit = sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// drop(permit);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        self.core.acquire_until(None);
        SemaphoreGuard { core: &self.core }
    }

    /// Takes a permit if one is free right now, without blocking (Python's
    /// `sem.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let permit = sem.try_acquire();
    /// assert!(permit.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.core
            .try_acquire()
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time
    /// (Python's `sem.acquire(timeout=t)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(0);
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Instant::now().checked_add(timeout))
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// Takes a permit, waiting until `deadline` at most; `None` if none came free in
    /// time.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// assert!(sem.acquire_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Some(deadline))
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// The number of permits free right now (Python's private `_value`); may be stale
    /// by the time it is used.
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(4);
    /// let _a = sem.acquire();
    /// assert_eq!(sem.value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// Adds `n` free permits, waking up to `n` waiting threads (Python 3.9's
    /// `sem.release(n)`). Any thread may release, whether it acquired or not.
    ///
    /// # Panics
    ///
    /// If the count of free permits would overflow `usize`.
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(0);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| sem.release(2));
    ///     let _a = sem.acquire();
    ///     let _b = sem.acquire();
    /// });
    /// assert_eq!(sem.value(), 2);
    /// ```
    pub fn release(&self, n: usize) {
        // An unbounded core never refuses.
        let _ = self.core.release(n);
    }
}

impl BoundedSemaphore {
    /// Creates a bounded semaphore with `value` free permits, which is also its upper
    /// bound (Python's `BoundedSemaphore(value)`).
    ///
    /// ```
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// assert_eq!(BoundedSemaphore::new(5).value(), 5);
    /// ```
    pub const fn new(value: usize) -> Self {
        BoundedSemaphore {
            core: Core::new(value, Some(value)),
        }
    }

    /// Takes a permit, blocking while there is none (Python's `sem.acquire()` or
    /// `with sem:`).
    ///
    /// ```
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let permit = sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// drop(permit);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        self.core.acquire_until(None);
        SemaphoreGuard { core: &self.core }
    }

    /// Takes a permit if one is free right now, without blocking (Python's
    /// `sem.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let permit = sem.try_acquire();
    /// assert!(permit.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.core
            .try_acquire()
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time
    /// (Python's `sem.acquire(timeout=t)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(0);
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Instant::now().checked_add(timeout))
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// Takes a permit, waiting until `deadline` at most; `None` if none came free in
    /// time.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.acquire_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Some(deadline))
            .then(|| SemaphoreGuard { core: &self.core })
    }

    /// The number of permits free right now (Python's private `_value`); may be stale
    /// by the time it is used.
    ///
    /// ```
    /// use tripod::threading::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(4);
    /// let _a = sem.acquire();
    /// assert_eq!(sem.value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// Gives back `n` permits that were taken without a guard (see
    /// [`SemaphoreGuard::forget`]), waking up to `n` waiting threads.
    ///
    /// # Errors
    ///
    /// [`TooManyReleasesError`] if the free permits plus those held by live guards would
    /// exceed the initial value; nothing is released then.
    ///
    /// ```
    /// use tripod::threading::{BoundedSemaphore, TooManyReleasesError};
    ///
    /// let sem = BoundedSemaphore::new(3);
    /// sem.acquire().forget();
    /// sem.acquire().forget();
    /// assert_eq!(sem.release(3), Err(TooManyReleasesError)); // only 2 were taken
    /// assert_eq!(sem.release(2), Ok(()));
    /// assert_eq!(sem.value(), 3);
    /// ```
    pub fn release(&self, n: usize) -> Result<(), TooManyReleasesError> {
        self.core.release(n)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .finish()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("value", &self.value())
            .field("bound", &self.core.bound.unwrap_or(0))
            .finish()
    }
}

impl SemaphoreGuard<'_> {
    /// Gives the permit back now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// sem.acquire().release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }

    /// Keeps the permit taken without a guard: Python's bare `sem.acquire()`. The permit
    /// comes back only through an explicit `release`, from this or any other thread.
    ///
    /// ```
    /// use tripod::threading::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// sem.acquire().forget();
    /// assert_eq!(sem.value(), 0);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| sem.release(1));
    /// });
    /// assert_eq!(sem.value(), 1);
    /// ```
    pub fn forget(self) {
        self.core.forget_guarded();
        std::mem::forget(self);
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.core.release_guarded();
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}
