//! [`Condition`]: Python's `threading.Condition`, a lock plus a condition variable.
#![forbid(unsafe_code)]

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

/// A condition variable with the lock and the data it protects: Python's
/// `threading.Condition`.
///
/// Threads [`acquire`](Condition::acquire) the condition to get a [`ConditionGuard`]. While
/// holding it a thread may [`wait`](ConditionGuard::wait) (release the lock, sleep until
/// notified, take the lock back) or [`notify`](ConditionGuard::notify) other waiters.
/// Python raises `RuntimeError` when `notify` or `wait` is called without holding the
/// lock; here they are methods of the guard, so the mistake does not compile.
///
/// Waiters wake only when notified or when their timeout expires: there are no spurious
/// wake-ups (the condition is built on `parking_lot::Condvar`). Still, the robust pattern
/// is to wait for a *predicate* over the data, which [`wait_for`](ConditionGuard::wait_for)
/// does for you.
///
/// ```
/// use std::sync::Arc;
/// use tripod::threading::Condition;
///
/// let items = Arc::new(Condition::new(Vec::new()));
/// let consumer = {
///     let items = Arc::clone(&items);
///     std::thread::spawn(move || {
///         let mut g = items.acquire();
///         g.wait_for(|v: &Vec<i32>| !v.is_empty());
///         g.pop().unwrap()
///     })
/// };
/// {
///     let mut g = items.acquire();
///     g.push(42);
///     g.notify(1);
/// }
/// assert_eq!(consumer.join().unwrap(), 42);
/// ```
pub struct Condition<T: ?Sized = ()> {
    cond: Condvar,
    lock: Mutex<T>,
}

/// The lock of a [`Condition`], held: gives access to the data and the `wait`/`notify`
/// methods, and releases the lock on drop.
///
/// ```
/// use tripod::threading::Condition;
///
/// let cond = Condition::new(1);
/// let mut g = cond.acquire();
/// *g += 1;
/// assert_eq!(g.notify_all(), 0); // nobody is waiting
/// assert_eq!(*g, 2);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a, T: ?Sized> {
    cond: &'a Condvar,
    guard: MutexGuard<'a, T>,
}

impl<T> Condition<T> {
    /// Creates a condition whose lock protects `value`.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(0u32);
    /// assert_eq!(*cond.acquire(), 0);
    /// ```
    pub const fn new(value: T) -> Self {
        Condition {
            cond: Condvar::new(),
            lock: Mutex::new(value),
        }
    }

    /// Consumes the condition and returns the data.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// assert_eq!(Condition::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.lock.into_inner()
    }
}

impl<T: ?Sized> Condition<T> {
    /// Acquires the condition's lock, blocking until it is free (Python's `with cond:`).
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(String::new());
    /// cond.acquire().push_str("hi");
    /// assert_eq!(*cond.acquire(), "hi");
    /// ```
    #[inline]
    pub fn acquire(&self) -> ConditionGuard<'_, T> {
        ConditionGuard {
            cond: &self.cond,
            guard: self.lock.lock(),
        }
    }

    /// Acquires the lock if it is free right now, without blocking.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// let held = cond.acquire();
    /// assert!(cond.try_acquire().is_none());
    /// drop(held);
    /// assert!(cond.try_acquire().is_some());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<ConditionGuard<'_, T>> {
        let guard = self.lock.try_lock()?;
        Some(ConditionGuard {
            cond: &self.cond,
            guard,
        })
    }

    /// Acquires the lock, waiting at most `timeout`; `None` if it was still held.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// let _held = cond.acquire();
    /// assert!(cond.acquire_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<ConditionGuard<'_, T>> {
        let guard = self.lock.try_lock_for(timeout)?;
        Some(ConditionGuard {
            cond: &self.cond,
            guard,
        })
    }

    /// Acquires the lock, waiting until `deadline` at most; `None` if it was still held.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// assert!(cond.acquire_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<ConditionGuard<'_, T>> {
        let guard = self.lock.try_lock_until(deadline)?;
        Some(ConditionGuard {
            cond: &self.cond,
            guard,
        })
    }

    /// Mutable access to the data without locking: the `&mut` borrow proves nobody holds
    /// the lock.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let mut cond = Condition::new(1);
    /// *cond.get_mut() = 5;
    /// assert_eq!(*cond.acquire(), 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.lock.get_mut()
    }
}

impl<T: Default> Default for Condition<T> {
    /// A condition protecting `T::default()`. Python's `threading.Condition()` is
    /// `Condition::new(())`, or `Condition::default()` where the type is known.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond: Condition = Condition::default();
    /// assert!(cond.try_acquire().is_some());
    /// ```
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.lock.is_locked())
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> ConditionGuard<'_, T> {
    /// Releases the lock, sleeps until another thread calls [`notify`](Self::notify) or
    /// [`notify_all`](Self::notify_all), then takes the lock back (Python's `cond.wait()`).
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let ready = Condition::new(false);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let mut g = ready.acquire();
    ///         *g = true;
    ///         g.notify_all();
    ///     });
    ///     let mut g = ready.acquire();
    ///     while !*g {
    ///         g.wait();
    ///     }
    ///     assert!(*g);
    /// });
    /// ```
    #[inline]
    pub fn wait(&mut self) {
        self.cond.wait(&mut self.guard);
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`. Returns `true` if the thread
    /// was notified, `false` if the time ran out (Python's `cond.wait(timeout)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// let mut g = cond.acquire();
    /// assert!(!g.wait_timeout(Duration::from_millis(5)));
    /// ```
    #[inline]
    pub fn wait_timeout(&mut self, timeout: Duration) -> bool {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_deadline(deadline),
            // Past the end of `Instant`: no limit.
            None => {
                self.wait();
                true
            }
        }
    }

    /// Like [`wait`](Self::wait), giving up at `deadline`. Returns `true` if the thread was
    /// notified, `false` if the deadline passed.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// let mut g = cond.acquire();
    /// assert!(!g.wait_deadline(Instant::now()));
    /// ```
    #[inline]
    pub fn wait_deadline(&mut self, deadline: Instant) -> bool {
        !self.cond.wait_until(&mut self.guard, deadline).timed_out()
    }

    /// Waits until `predicate` holds for the protected data (Python's
    /// `cond.wait_for(predicate)`). The predicate is checked first, and again each time the
    /// thread is notified, always with the lock held.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let count = Condition::new(0);
    /// std::thread::scope(|s| {
    ///     for _ in 0..3 {
    ///         s.spawn(|| {
    ///             let mut g = count.acquire();
    ///             *g += 1;
    ///             g.notify_all();
    ///         });
    ///     }
    ///     let mut g = count.acquire();
    ///     g.wait_for(|n| *n == 3);
    ///     assert_eq!(*g, 3);
    /// });
    /// ```
    pub fn wait_for(&mut self, predicate: impl FnMut(&T) -> bool) {
        self.wait_for_until(predicate, None);
    }

    /// Waits until `predicate` holds, giving up after `timeout`. Returns the predicate's
    /// last value: `true` if it became true, `false` if the time ran out first (Python's
    /// `cond.wait_for(predicate, timeout)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(0);
    /// let mut g = cond.acquire();
    /// assert!(!g.wait_for_timeout(|n| *n > 0, Duration::from_millis(5)));
    /// *g = 1;
    /// assert!(g.wait_for_timeout(|n| *n > 0, Duration::from_millis(5)));
    /// ```
    pub fn wait_for_timeout(
        &mut self,
        predicate: impl FnMut(&T) -> bool,
        timeout: Duration,
    ) -> bool {
        self.wait_for_until(predicate, Instant::now().checked_add(timeout))
    }

    /// Waits until `predicate` holds, giving up at `deadline`. Returns the predicate's last
    /// value.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(true);
    /// let mut g = cond.acquire();
    /// assert!(g.wait_for_deadline(|ready| *ready, Instant::now()));
    /// ```
    pub fn wait_for_deadline(
        &mut self,
        predicate: impl FnMut(&T) -> bool,
        deadline: Instant,
    ) -> bool {
        self.wait_for_until(predicate, Some(deadline))
    }

    fn wait_for_until(
        &mut self,
        mut predicate: impl FnMut(&T) -> bool,
        deadline: Option<Instant>,
    ) -> bool {
        loop {
            if predicate(&self.guard) {
                return true;
            }
            match deadline {
                None => self.cond.wait(&mut self.guard),
                Some(deadline) => {
                    if Instant::now() >= deadline {
                        return false;
                    }
                    // Whether it timed out or not, the loop checks the predicate once more.
                    self.cond.wait_until(&mut self.guard, deadline);
                }
            }
        }
    }

    /// Wakes at most `n` of the threads waiting on this condition (Python's
    /// `cond.notify(n)`) and returns how many were woken. Each woken thread runs once this
    /// guard is released.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// assert_eq!(cond.acquire().notify(3), 0); // nobody waiting
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        // parking_lot's notify_one wakes (or moves to the lock's queue) exactly one waiter,
        // and reports whether there was one.
        (0..n).take_while(|_| self.cond.notify_one()).count()
    }

    /// Wakes every thread waiting on this condition (Python's `cond.notify_all()`) and
    /// returns how many were woken.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// assert_eq!(cond.acquire().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.cond.notify_all()
    }

    /// Releases the lock now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::threading::Condition;
    ///
    /// let cond = Condition::new(());
    /// cond.acquire().release();
    /// assert!(cond.try_acquire().is_some());
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }
}

impl<T: ?Sized> Deref for ConditionGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for ConditionGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
