//! `Condition<T>`: Python's `asyncio.Condition`, a lock plus a queue of waiters that
//! `notify(n)` wakes in order.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use event_listener::Event;
use parking_lot::Mutex;

use super::locks::{Lock, LockGuard};

struct Waiter {
    notified: AtomicBool,
    event: Event,
}

/// A lock that tasks can wait on until another task notifies them: Python's
/// `asyncio.Condition`.
///
/// The condition owns the data its lock protects. [`acquire`](Condition::acquire) gives a
/// [`ConditionGuard`]; [`wait`](ConditionGuard::wait) releases the lock, waits for a
/// notification and takes the lock again; [`notify`](ConditionGuard::notify) and
/// [`notify_all`](ConditionGuard::notify_all) are called with the lock held, as in Python.
/// Waiters are woken in the order they started waiting.
///
/// ```
/// use std::sync::Arc;
/// use tripod::asyncio::{self, Condition};
///
/// asyncio::run(async {
///     let cond = Arc::new(Condition::new(0u32));
///     let consumer = {
///         let cond = Arc::clone(&cond);
///         asyncio::create_task(async move {
///             let guard = cond.acquire().await;
///             let guard = guard.wait_for(|n| *n > 0).await;
///             *guard
///         })
///     };
///     asyncio::sleep(std::time::Duration::ZERO).await; // the consumer waits
///     let mut guard = cond.acquire().await;
///     *guard = 7;
///     guard.notify_all();
///     drop(guard);
///     assert_eq!(consumer.await, Ok(7));
/// });
/// ```
pub struct Condition<T: ?Sized = ()> {
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
    lock: Lock<T>,
}

/// The lock of a [`Condition`], held; derefs to the data.
///
/// ```
/// use tripod::asyncio::{self, Condition};
///
/// asyncio::run(async {
///     let cond = Condition::new(vec![1]);
///     let mut guard = cond.acquire().await;
///     guard.push(2);
///     assert_eq!(*guard, [1, 2]);
/// });
/// ```
pub struct ConditionGuard<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    guard: LockGuard<'a, T>,
}

impl<T> Condition<T> {
    /// A condition around `value`.
    ///
    /// ```
    /// let cond = tripod::asyncio::Condition::new(());
    /// assert!(!cond.locked());
    /// ```
    pub fn new(value: T) -> Self {
        Condition {
            waiters: Mutex::new(VecDeque::new()),
            lock: Lock::new(value),
        }
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: ?Sized> Condition<T> {
    /// Waits for the lock and takes it: Python's `async with condition:`.
    ///
    /// # Cancel safety
    ///
    /// As [`Lock::acquire`]: cancel safe.
    ///
    /// ```
    /// use tripod::asyncio::{self, Condition};
    ///
    /// asyncio::run(async {
    ///     let cond = Condition::new(1);
    ///     assert_eq!(*cond.acquire().await, 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> ConditionGuard<'_, T> {
        ConditionGuard {
            condition: self,
            guard: self.lock.acquire().await,
        }
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// ```
    /// let cond = tripod::asyncio::Condition::new(());
    /// let held = cond.try_acquire().unwrap();
    /// assert!(cond.try_acquire().is_none());
    /// drop(held);
    /// ```
    pub fn try_acquire(&self) -> Option<ConditionGuard<'_, T>> {
        Some(ConditionGuard {
            condition: self,
            guard: self.lock.try_acquire()?,
        })
    }

    /// Whether the lock is held: Python's `condition.locked()`.
    ///
    /// ```
    /// let cond = tripod::asyncio::Condition::new(());
    /// let _held = cond.try_acquire();
    /// assert!(cond.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Wakes up to `n` waiters, oldest first; returns how many were woken.
    fn wake(&self, n: usize) -> usize {
        let mut waiters = self.waiters.lock();
        let mut woken = 0;
        while woken < n {
            let Some(waiter) = waiters.pop_front() else {
                break;
            };
            waiter.notified.store(true, Ordering::Release);
            waiter.event.notify(1);
            woken += 1;
        }
        woken
    }
}

impl<T: ?Sized> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiters", &self.waiters.lock().len())
            .finish()
    }
}

/// Removes a waiter that gives up, or passes on a notification it got but did not use.
struct WaitGuard<'a, T: ?Sized> {
    condition: &'a Condition<T>,
    waiter: Arc<Waiter>,
    done: bool,
}

impl<T: ?Sized> Drop for WaitGuard<'_, T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut waiters = self.condition.waiters.lock();
        if let Some(at) = waiters.iter().position(|w| Arc::ptr_eq(w, &self.waiter)) {
            waiters.remove(at);
        } else if self.waiter.notified.load(Ordering::Acquire) {
            drop(waiters);
            self.condition.wake(1);
        }
    }
}

impl<'a, T: ?Sized> ConditionGuard<'a, T> {
    /// Releases the lock, waits until notified, takes the lock again and returns it:
    /// Python's `await condition.wait()`.
    ///
    /// # Cancel safety
    ///
    /// If dropped before it returns, the lock is not held (the guard was given up when the
    /// wait began) and no notification is lost: a waiter that was notified but dropped
    /// before it could take the lock again passes its notification on to the next waiter.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tripod::asyncio::{self, Condition};
    ///
    /// asyncio::run(async {
    ///     let cond = Arc::new(Condition::new(false));
    ///     let waiter = {
    ///         let cond = Arc::clone(&cond);
    ///         asyncio::create_task(async move {
    ///             let mut guard = cond.acquire().await;
    ///             while !*guard {
    ///                 guard = guard.wait().await;
    ///             }
    ///         })
    ///     };
    ///     asyncio::sleep(std::time::Duration::ZERO).await;
    ///     let mut guard = cond.acquire().await;
    ///     *guard = true;
    ///     assert_eq!(guard.notify(1), 1);
    ///     drop(guard);
    ///     waiter.await.unwrap();
    /// });
    /// ```
    pub async fn wait(self) -> ConditionGuard<'a, T> {
        let condition = self.condition;
        let waiter = Arc::new(Waiter {
            notified: AtomicBool::new(false),
            event: Event::new(),
        });
        condition.waiters.lock().push_back(Arc::clone(&waiter));
        let mut guard = WaitGuard {
            condition,
            waiter,
            done: false,
        };
        drop(self);
        while !guard.waiter.notified.load(Ordering::Acquire) {
            let listener = guard.waiter.event.listen();
            if guard.waiter.notified.load(Ordering::Acquire) {
                break;
            }
            listener.await;
        }
        let reacquired = condition.acquire().await;
        guard.done = true;
        reacquired
    }

    /// Waits until `predicate` holds for the data, checking it first and after each
    /// notification: Python's `await condition.wait_for(predicate)`.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](ConditionGuard::wait).
    ///
    /// ```
    /// use tripod::asyncio::{self, Condition};
    ///
    /// asyncio::run(async {
    ///     let cond = Condition::new(3);
    ///     let guard = cond.acquire().await.wait_for(|n| *n == 3).await; // true at once
    ///     assert_eq!(*guard, 3);
    /// });
    /// ```
    pub async fn wait_for(self, mut predicate: impl FnMut(&T) -> bool) -> ConditionGuard<'a, T> {
        let mut guard = self;
        while !predicate(&guard) {
            guard = guard.wait().await;
        }
        guard
    }

    /// Wakes up to `n` waiters, oldest first: Python's `condition.notify(n)`. Returns how
    /// many were woken. They run once this guard is dropped (they need the lock).
    ///
    /// ```
    /// use tripod::asyncio::{self, Condition};
    ///
    /// asyncio::run(async {
    ///     let cond = Condition::new(());
    ///     assert_eq!(cond.acquire().await.notify(2), 0); // nobody waits
    /// });
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.condition.wake(n)
    }

    /// Wakes every waiter: Python's `condition.notify_all()`. Returns how many were woken.
    ///
    /// ```
    /// use tripod::asyncio::{self, Condition};
    ///
    /// asyncio::run(async {
    ///     let cond = Condition::new(());
    ///     assert_eq!(cond.acquire().await.notify_all(), 0);
    /// });
    /// ```
    pub fn notify_all(&self) -> usize {
        self.condition.wake(usize::MAX)
    }
}

impl<T: ?Sized> Deref for ConditionGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for ConditionGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConditionGuard")
            .field(&&*self.guard)
            .finish()
    }
}
