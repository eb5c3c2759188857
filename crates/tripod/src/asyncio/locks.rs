//! `Lock`, `Event`, `Semaphore`, `BoundedSemaphore`: asyncio's primitives on tokio's
//! fair mutex and semaphore and an `event-listener` event.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use event_listener::Event as Listeners;
use parking_lot::Mutex;
use tokio::sync::{Semaphore as TokioSemaphore, SemaphorePermit};

pub use crate::threading::TooManyReleasesError;

/// An async mutual-exclusion lock that owns the data it protects: Python's `asyncio.Lock`
/// (with `async with lock:` as `let guard = lock.acquire().await;`).
///
/// Fair: waiters get the lock in the order they asked (tokio's `Mutex`). Holding the guard
/// across `.await` is fine; that is what it is for.
///
/// ```
/// use std::sync::Arc;
/// use tripod::asyncio::{self, Lock};
///
/// asyncio::run(async {
///     let list = Arc::new(Lock::new(Vec::new()));
///     let tasks: Vec<_> = ["one", "two"].into_iter().map(|name| {
///         let list = Arc::clone(&list);
///         asyncio::create_task(async move {
///             let mut l = list.acquire().await; // async with lock:
///             if l.contains(&"x") {
///                 return name;
///             }
///             asyncio::sleep(std::time::Duration::ZERO).await; // others run, none gets in
///             l.push("x");
///             name
///         })
///     }).collect();
///     asyncio::gather(tasks).await.unwrap();
///     assert_eq!(*list.acquire().await, ["x"]);
/// });
/// ```
#[derive(Default)]
pub struct Lock<T: ?Sized = ()> {
    inner: tokio::sync::Mutex<T>,
}

/// The guard of a held [`Lock`]; dropping it releases the lock (tokio's `MutexGuard`).
///
/// ```
/// use tripod::asyncio::{self, Lock, LockGuard};
///
/// asyncio::run(async {
///     let lock = Lock::new(1);
///     let guard: LockGuard<'_, i32> = lock.acquire().await;
///     assert_eq!(*guard, 1);
/// });
/// ```
pub type LockGuard<'a, T> = tokio::sync::MutexGuard<'a, T>;

impl<T> Lock<T> {
    /// A lock, not held, around `value`.
    ///
    /// ```
    /// let lock = tripod::asyncio::Lock::new(5);
    /// assert!(!lock.locked());
    /// ```
    pub fn new(value: T) -> Self {
        Lock {
            inner: tokio::sync::Mutex::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Lock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Lock<T> {
    /// Waits for the lock and takes it: Python's `await lock.acquire()`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a waiter dropped before it got the lock gives up its place in the queue
    /// and nothing else; one dropped right after being chosen passes the lock on to the next
    /// waiter.
    ///
    /// ```
    /// use tripod::asyncio::{self, Lock};
    ///
    /// asyncio::run(async {
    ///     let lock = Lock::new(0);
    ///     *lock.acquire().await += 1;
    ///     assert_eq!(*lock.acquire().await, 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> LockGuard<'_, T> {
        self.inner.lock().await
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// ```
    /// let lock = tripod::asyncio::Lock::new(());
    /// let held = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// drop(held);
    /// assert!(lock.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<LockGuard<'_, T>> {
        self.inner.try_lock().ok()
    }

    /// Whether the lock is held: Python's `lock.locked()`.
    ///
    /// ```
    /// let lock = tripod::asyncio::Lock::new(());
    /// let _held = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.inner.try_lock().is_err()
    }

    /// The data, through a unique reference (no locking needed).
    ///
    /// ```
    /// let mut lock = tripod::asyncio::Lock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: ?Sized> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish()
    }
}

/// A flag that tasks can wait for: Python's `asyncio.Event`.
///
/// ```
/// use std::sync::Arc;
/// use tripod::asyncio::{self, Event};
///
/// asyncio::run(async {
///     let event = Arc::new(Event::new());
///     let waiters: Vec<_> = (0..2).map(|_| {
///         let event = Arc::clone(&event);
///         asyncio::create_task(async move { event.wait().await; "triggered" })
///     }).collect();
///     let setter = Arc::clone(&event);
///     tripod::asyncio::EventLoop::current().unwrap()
///         .call_later(std::time::Duration::from_millis(1), move || setter.set());
///     assert_eq!(asyncio::gather(waiters).await.unwrap(), ["triggered"; 2]);
///     assert!(event.is_set());
/// });
/// ```
#[derive(Default)]
pub struct Event {
    flag: AtomicBool,
    listeners: Listeners,
}

impl Event {
    /// A new event, not set.
    ///
    /// ```
    /// assert!(!tripod::asyncio::Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Event::default()
    }

    /// Sets the flag and wakes every waiter: Python's `event.set()`. Callable from any
    /// thread.
    ///
    /// ```
    /// let event = tripod::asyncio::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.listeners.notify(usize::MAX);
    }

    /// Clears the flag: Python's `event.clear()`.
    ///
    /// ```
    /// let event = tripod::asyncio::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set: Python's `event.is_set()`.
    ///
    /// ```
    /// assert!(!tripod::asyncio::Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Waits until the flag is set (returns at once if it is): Python's `await event.wait()`.
    /// A waiter woken by a `set` returns even if the flag was cleared again before it ran,
    /// as in Python.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: `set` wakes every waiter, so a dropped waiter takes nothing from others.
    ///
    /// ```
    /// use tripod::asyncio::{self, Event};
    ///
    /// asyncio::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     event.wait().await;
    /// });
    /// ```
    pub async fn wait(&self) {
        if self.is_set() {
            return;
        }
        let listener = self.listeners.listen();
        if self.is_set() {
            return;
        }
        listener.await;
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish()
    }
}

/// A counter of permits: Python's `asyncio.Semaphore`. `acquire` takes a permit (waiting
/// while there is none) and returns a guard that gives it back when dropped.
///
/// Fair: waiters are served in order (tokio's `Semaphore`).
///
/// ```
/// use std::sync::Arc;
/// use tripod::asyncio::{self, Semaphore};
///
/// asyncio::run(async {
///     let sem = Arc::new(Semaphore::new(2));
///     let a = sem.acquire().await;
///     let _b = sem.acquire().await;
///     assert!(sem.try_acquire().is_none());
///     drop(a);
///     assert_eq!(sem.value(), 1);
/// });
/// ```
pub struct Semaphore {
    inner: TokioSemaphore,
}

/// A permit taken from a [`Semaphore`] or [`BoundedSemaphore`]; dropping it releases it.
///
/// ```
/// let sem = tripod::asyncio::Semaphore::new(1);
/// let permit = sem.try_acquire().unwrap();
/// permit.release();
/// assert_eq!(sem.value(), 1);
/// ```
pub struct SemaphoreGuard<'a> {
    permit: SemaphorePermit<'a>,
    // A bounded semaphore's count of forgotten permits, the only ones `release` may return.
    forgotten: Option<&'a AtomicUsize>,
}

impl SemaphoreGuard<'_> {
    /// Releases the permit now (the same as dropping the guard).
    ///
    /// ```
    /// let sem = tripod::asyncio::Semaphore::new(1);
    /// sem.try_acquire().unwrap().release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    pub fn release(self) {}

    /// Keeps the permit taken for good: Python's `acquire()` without a matching `release()`.
    ///
    /// ```
    /// let sem = tripod::asyncio::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.value(), 0);
    /// ```
    pub fn forget(self) {
        if let Some(forgotten) = self.forgotten {
            forgotten.fetch_add(1, Ordering::AcqRel);
        }
        self.permit.forget();
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}

impl Semaphore {
    /// A semaphore with `value` permits.
    ///
    /// # Panics
    ///
    /// If `value` is above tokio's limit, `usize::MAX >> 3` permits (Python has none).
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Semaphore::new(3).value(), 3);
    /// ```
    pub fn new(value: usize) -> Self {
        Semaphore {
            inner: TokioSemaphore::new(value),
        }
    }

    /// Waits for a permit and takes it: Python's `await sem.acquire()` / `async with sem:`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a waiter dropped before it got a permit loses its place in the queue
    /// only; permits assigned to it go back to the semaphore and on to the next waiter.
    ///
    /// ```
    /// use tripod::asyncio::{self, Semaphore};
    ///
    /// asyncio::run(async {
    ///     let sem = Semaphore::new(1);
    ///     let permit = sem.acquire().await;
    ///     assert_eq!(sem.value(), 0);
    ///     drop(permit);
    /// });
    /// ```
    pub async fn acquire(&self) -> SemaphoreGuard<'_> {
        let permit = self
            .inner
            .acquire()
            .await
            .expect("tripod never closes a semaphore");
        SemaphoreGuard {
            permit,
            forgotten: None,
        }
    }

    /// Takes a permit if one is free, without waiting.
    ///
    /// ```
    /// let sem = tripod::asyncio::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.inner.try_acquire().ok().map(|permit| SemaphoreGuard {
            permit,
            forgotten: None,
        })
    }

    /// Adds `n` permits (Python's `sem.release()` is `release(1)`), waking waiters.
    ///
    /// # Panics
    ///
    /// If the count would go above tokio's limit, `usize::MAX >> 3` permits.
    ///
    /// ```
    /// let sem = tripod::asyncio::Semaphore::new(0);
    /// sem.release(2);
    /// assert_eq!(sem.value(), 2);
    /// ```
    pub fn release(&self, n: usize) {
        self.inner.add_permits(n);
    }

    /// The number of free permits.
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Semaphore::new(4).value(), 4);
    /// ```
    pub fn value(&self) -> usize {
        self.inner.available_permits()
    }

    /// Whether no permit is free: Python's `sem.locked()`.
    ///
    /// ```
    /// assert!(tripod::asyncio::Semaphore::new(0).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.value() == 0
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .finish()
    }
}

/// A [`Semaphore`] that refuses to be released above its initial value: Python's
/// `asyncio.BoundedSemaphore`.
///
/// ```
/// use tripod::asyncio::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release(1).is_err()); // nothing was acquired
/// sem.try_acquire().unwrap().forget();
/// assert!(sem.release(1).is_ok());
/// ```
pub struct BoundedSemaphore {
    inner: Semaphore,
    initial: usize,
    releasing: Mutex<()>,
    // Permits taken and then forgotten: held guards give theirs back when dropped, so only
    // these may be released by hand without going above `initial`.
    forgotten: AtomicUsize,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits, at most.
    ///
    /// # Panics
    ///
    /// As [`Semaphore::new`].
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::BoundedSemaphore::new(2).value(), 2);
    /// ```
    pub fn new(value: usize) -> Self {
        BoundedSemaphore {
            inner: Semaphore::new(value),
            initial: value,
            releasing: Mutex::new(()),
            forgotten: AtomicUsize::new(0),
        }
    }

    /// Waits for a permit and takes it.
    ///
    /// # Cancel safety
    ///
    /// As [`Semaphore::acquire`]: cancel safe.
    ///
    /// ```
    /// use tripod::asyncio::{self, BoundedSemaphore};
    ///
    /// asyncio::run(async {
    ///     let sem = BoundedSemaphore::new(1);
    ///     let _permit = sem.acquire().await;
    ///     assert!(sem.locked());
    /// });
    /// ```
    pub async fn acquire(&self) -> SemaphoreGuard<'_> {
        self.bound(self.inner.acquire().await)
    }

    /// Takes a permit if one is free.
    ///
    /// ```
    /// let sem = tripod::asyncio::BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.inner.try_acquire().map(|guard| self.bound(guard))
    }

    fn bound<'a>(&'a self, guard: SemaphoreGuard<'a>) -> SemaphoreGuard<'a> {
        SemaphoreGuard {
            forgotten: Some(&self.forgotten),
            ..guard
        }
    }

    /// Gives back `n` permits taken with [`SemaphoreGuard::forget`].
    ///
    /// # Errors
    ///
    /// [`TooManyReleasesError`] (Python's `ValueError`) if that would raise the count above
    /// the initial value, now or once the guards still held are dropped: `n` is more than
    /// the permits forgotten and not yet released. Then nothing is released.
    ///
    /// ```
    /// let sem = tripod::asyncio::BoundedSemaphore::new(2);
    /// assert!(sem.release(1).is_err());
    /// let held = sem.try_acquire().unwrap();
    /// assert!(sem.release(1).is_err()); // `held` gives its permit back itself
    /// held.forget();
    /// assert!(sem.release(1).is_ok());
    /// assert_eq!(sem.value(), 2);
    /// ```
    pub fn release(&self, n: usize) -> Result<(), TooManyReleasesError> {
        let _one_at_a_time = self.releasing.lock();
        // Permits still held by guards come back when the guards drop, so a release may
        // return only forgotten ones: otherwise the count would go above `initial` later.
        let forgotten = self.forgotten.load(Ordering::Acquire);
        if n > forgotten || self.inner.value() + n > self.initial {
            return Err(TooManyReleasesError);
        }
        // Only releases (one at a time) lower the count; a concurrent `forget` may raise it.
        self.forgotten.fetch_sub(n, Ordering::AcqRel);
        self.inner.release(n);
        Ok(())
    }

    /// The number of free permits.
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::BoundedSemaphore::new(1).value(), 1);
    /// ```
    pub fn value(&self) -> usize {
        self.inner.value()
    }

    /// Whether no permit is free.
    ///
    /// ```
    /// assert!(!tripod::asyncio::BoundedSemaphore::new(1).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.inner.locked()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("value", &self.value())
            .field("initial", &self.initial)
            .finish()
    }
}
