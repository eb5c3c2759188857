//! The errors of the process-shared locks: [`OwnerDied`] (the lock was acquired, but its
//! previous owner died holding it) and the error enums of the non-blocking and timed
//! acquire calls.
#![forbid(unsafe_code)]

use std::fmt;

/// The lock was acquired, but its previous owner (a thread, or a whole process) died while
/// holding it: the state the lock protects may be half-updated. Mirrors
/// [`std::sync::PoisonError`].
///
/// The guard inside is a real guard: the lock is held, and it is released when the guard
/// (or this error) is dropped. The lock itself is usable again at once; the signal is
/// given only to the first acquirer after the death. Check and repair the protected state,
/// then carry on with [`into_guard`](OwnerDied::into_guard), or, when there is nothing to
/// repair, write `lock.acquire().unwrap_or_else(OwnerDied::into_guard)`.
///
/// For the `wait` family of a [`Condition`](super::Condition), the payload is what the
/// wait would have returned (the lock is taken again on the way out of every wait).
///
/// ```
/// use tripod::multiprocessing::{Lock, OwnerDied};
///
/// let lock = Lock::new().unwrap();
/// // No owner died here, so `acquire` gives the guard directly; the same line also
/// // carries on when it did.
/// let guard = lock.acquire().unwrap_or_else(OwnerDied::into_guard);
/// assert!(lock.locked());
/// drop(guard);
/// ```
pub struct OwnerDied<G> {
    guard: G,
}

impl<G> OwnerDied<G> {
    pub(crate) fn new(guard: G) -> Self {
        OwnerDied { guard }
    }

    /// The guard (or, for a condition's wait, the wait's result): the lock is held.
    ///
    /// ```
    /// use tripod::multiprocessing::{Lock, OwnerDied};
    ///
    /// let lock = Lock::new().unwrap();
    /// let guard = lock.acquire().unwrap_or_else(OwnerDied::into_guard);
    /// guard.release();
    /// assert!(!lock.locked());
    /// ```
    pub fn into_guard(self) -> G {
        self.guard
    }

    /// A reference to the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// // A thread that ends while holding the lock, as a killed process would.
    /// std::thread::scope(|s| {
    ///     s.spawn(|| std::mem::forget(lock.acquire().unwrap())).join().unwrap();
    /// });
    /// let died = lock.acquire().unwrap_err();
    /// let _guard: &tripod::multiprocessing::LockGuard<'_> = died.get_ref();
    /// assert!(lock.locked());
    /// drop(died); // releases the lock
    /// assert!(!lock.locked());
    /// ```
    pub fn get_ref(&self) -> &G {
        &self.guard
    }

    /// A mutable reference to the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::{Lock, LockGuard};
    ///
    /// let lock = Lock::new().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| std::mem::forget(lock.acquire().unwrap())).join().unwrap();
    /// });
    /// let mut died = lock.acquire().unwrap_err();
    /// let _guard: &mut LockGuard<'_> = died.get_mut();
    /// assert!(lock.locked());
    /// ```
    pub fn get_mut(&mut self) -> &mut G {
        &mut self.guard
    }

    /// Applies `f` to the payload, keeping the signal.
    pub(crate) fn map<H>(self, f: impl FnOnce(G) -> H) -> OwnerDied<H> {
        OwnerDied::new(f(self.guard))
    }
}

impl<G> fmt::Debug for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerDied").finish_non_exhaustive()
    }
}

impl<G> fmt::Display for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the previous owner of the lock died while holding it")
    }
}

impl<G> std::error::Error for OwnerDied<G> {}

/// The error of a `try_acquire`: the lock is held by someone else, or it was acquired but
/// its previous owner had died.
///
/// ```
/// use tripod::multiprocessing::{Lock, TryAcquireError};
///
/// let lock = Lock::new().unwrap();
/// let _held = lock.acquire().unwrap();
/// assert!(matches!(lock.try_acquire(), Err(TryAcquireError::WouldBlock)));
/// ```
pub enum TryAcquireError<G> {
    /// Someone holds the lock (possibly the calling thread); nothing was acquired.
    WouldBlock,
    /// The lock was acquired; its previous owner died holding it.
    OwnerDied(OwnerDied<G>),
}

/// The error of an `acquire_timeout` / `acquire_deadline`: the time ran out, or the lock
/// was acquired but its previous owner had died.
///
/// ```
/// use std::time::Duration;
/// use tripod::multiprocessing::{AcquireTimeoutError, Lock};
///
/// let lock = Lock::new().unwrap();
/// let held = lock.acquire().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let err = lock.acquire_timeout(Duration::from_millis(5)).unwrap_err();
///         assert!(matches!(err, AcquireTimeoutError::Timeout));
///     });
/// });
/// drop(held);
/// ```
pub enum AcquireTimeoutError<G> {
    /// The lock was still held when the time ran out; nothing was acquired.
    Timeout,
    /// The lock was acquired; its previous owner died holding it.
    OwnerDied(OwnerDied<G>),
}

impl<G> TryAcquireError<G> {
    /// The guard if the lock was acquired (owner died), `None` if it would have blocked.
    ///
    /// ```
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// let held = lock.acquire().unwrap();
    /// assert!(lock.try_acquire().unwrap_err().into_guard().is_none());
    /// drop(held);
    /// ```
    pub fn into_guard(self) -> Option<G> {
        match self {
            TryAcquireError::WouldBlock => None,
            TryAcquireError::OwnerDied(died) => Some(died.into_guard()),
        }
    }
}

impl<G> AcquireTimeoutError<G> {
    /// The guard if the lock was acquired (owner died), `None` on timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Lock;
    ///
    /// let lock = Lock::new().unwrap();
    /// let held = lock.acquire().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let err = lock.acquire_timeout(Duration::from_millis(1)).unwrap_err();
    ///         assert!(err.into_guard().is_none());
    ///     });
    /// });
    /// drop(held);
    /// ```
    pub fn into_guard(self) -> Option<G> {
        match self {
            AcquireTimeoutError::Timeout => None,
            AcquireTimeoutError::OwnerDied(died) => Some(died.into_guard()),
        }
    }
}

impl<G> From<OwnerDied<G>> for TryAcquireError<G> {
    fn from(died: OwnerDied<G>) -> Self {
        TryAcquireError::OwnerDied(died)
    }
}

impl<G> From<OwnerDied<G>> for AcquireTimeoutError<G> {
    fn from(died: OwnerDied<G>) -> Self {
        AcquireTimeoutError::OwnerDied(died)
    }
}

impl<G> fmt::Debug for TryAcquireError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::WouldBlock => f.write_str("WouldBlock"),
            TryAcquireError::OwnerDied(died) => f.debug_tuple("OwnerDied").field(died).finish(),
        }
    }
}

impl<G> fmt::Debug for AcquireTimeoutError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireTimeoutError::Timeout => f.write_str("Timeout"),
            AcquireTimeoutError::OwnerDied(died) => f.debug_tuple("OwnerDied").field(died).finish(),
        }
    }
}

impl<G> fmt::Display for TryAcquireError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::WouldBlock => f.write_str("the lock is held"),
            TryAcquireError::OwnerDied(died) => fmt::Display::fmt(died, f),
        }
    }
}

impl<G> fmt::Display for AcquireTimeoutError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireTimeoutError::Timeout => f.write_str("timed out waiting for the lock"),
            AcquireTimeoutError::OwnerDied(died) => fmt::Display::fmt(died, f),
        }
    }
}

impl<G> std::error::Error for TryAcquireError<G> {}

impl<G> std::error::Error for AcquireTimeoutError<G> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_died_hands_back_its_payload_and_formats_without_it() {
        struct NoDebug(u8);
        let mut died = OwnerDied::new(NoDebug(1));
        died.get_mut().0 += 1;
        assert_eq!(died.get_ref().0, 2);
        assert_eq!(format!("{died:?}"), "OwnerDied { .. }");
        assert!(died.to_string().contains("died"));
        let err: TryAcquireError<NoDebug> = died.into();
        assert_eq!(format!("{err:?}"), "OwnerDied(OwnerDied { .. })");
        assert_eq!(err.into_guard().map(|g| g.0), Some(2));
        let timeout = AcquireTimeoutError::<NoDebug>::Timeout;
        assert_eq!(timeout.to_string(), "timed out waiting for the lock");
        assert!(timeout.into_guard().is_none());
        let died = OwnerDied::new(3u8).map(u32::from);
        let err: AcquireTimeoutError<u32> = died.into();
        assert_eq!(err.into_guard(), Some(3));
    }
}
