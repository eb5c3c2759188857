//! [`Semaphore`] and [`BoundedSemaphore`]: Python's process-shared counting semaphores.
//!
//! Both counts live in one 64-bit word (free permits, and permits held by live guards),
//! changed by compare-and-swap, so a bounded release checks its bound against both at
//! once. Sleepers wait on a separate sequence word that every release bumps; a release
//! calls the kernel only when someone sleeps. A waiter registers as a sleeper *before* its
//! last look at the count, and a releaser changes the count *before* it looks for
//! sleepers (all sequentially consistent), so either the waiter sees the new permits or
//! the releaser sees the waiter: no wake-up is lost.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Handle, deadline_after};
use crate::shm::futex;
use crate::shm::sync_cells::SemaphoreCell;
use crate::threading::TooManyReleasesError;

const VALUE_MASK: u64 = 0xffff_ffff;

fn split(state: u64) -> (u32, u32) {
    ((state & VALUE_MASK) as u32, (state >> 32) as u32)
}

fn join(value: u32, guarded: u32) -> u64 {
    u64::from(value) | (u64::from(guarded) << 32)
}

/// What both semaphores are: a handle to the shared cell.
#[derive(Clone, Serialize, Deserialize)]
struct Core {
    handle: Handle<SemaphoreCell>,
}

impl Core {
    fn create(name: &str, value: usize, bound: Option<u32>) -> io::Result<Core> {
        let value = u32::try_from(value).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a process-shared semaphore's value is at most u32::MAX",
            )
        })?;
        let handle = Handle::<SemaphoreCell>::create(name)?;
        let cell = handle.get();
        cell.state.store(join(value, 0), Relaxed);
        if let Some(bound) = bound {
            cell.bound.store(bound, Relaxed);
            cell.bounded.store(1, Relaxed);
        }
        Ok(Core { handle })
    }

    fn cell(&self) -> &SemaphoreCell {
        self.handle.get()
    }

    fn bound(&self) -> Option<u32> {
        let cell = self.cell();
        (cell.bounded.load(Relaxed) != 0).then(|| cell.bound.load(Relaxed))
    }

    /// Applies `f` to the counts until it sticks; `None` from `f` leaves them alone.
    fn update(&self, mut f: impl FnMut(u32, u32) -> Option<(u32, u32)>) -> bool {
        self.cell()
            .state
            .fetch_update(SeqCst, SeqCst, |state| {
                let (value, guarded) = split(state);
                f(value, guarded).map(|(v, g)| join(v, g))
            })
            .is_ok()
    }

    fn try_take(&self) -> bool {
        // `value + guarded` never exceeds u32::MAX (see `release`), so `guarded + 1` fits.
        self.update(|value, guarded| (value > 0).then(|| (value - 1, guarded + 1)))
    }

    /// Takes one permit, waiting until `deadline` if given; `false` on timeout.
    fn acquire_until(&self, deadline: Option<Instant>) -> bool {
        if self.try_take() {
            return true;
        }
        let cell = self.cell();
        loop {
            let seq = cell.seq.load(SeqCst);
            cell.sleepers.fetch_add(1, SeqCst);
            let mut in_time = true;
            if split(cell.state.load(SeqCst)).0 == 0 {
                in_time = futex::wait(&cell.seq, seq, deadline);
            }
            cell.sleepers.fetch_sub(1, SeqCst);
            // Also after a timeout: a wake-up meant for us may have come with it, and its
            // permit must not be left behind while others sleep.
            if self.try_take() {
                return true;
            }
            if !in_time {
                return false;
            }
        }
    }

    /// Wakes up to `n` sleepers after the count went up.
    fn wake(&self, n: u32) {
        let cell = self.cell();
        cell.seq.fetch_add(1, SeqCst);
        if cell.sleepers.load(SeqCst) > 0 {
            futex::wake(&cell.seq, n);
        }
    }

    /// Adds `n` free permits (the explicit, Python-style release).
    fn release(&self, n: usize) -> Result<(), TooManyReleasesError> {
        let bound = self.bound();
        let mut overflow = false;
        let released = self.update(|value, guarded| {
            let total = u64::from(value) + u64::from(guarded) + n as u64;
            let limit = u64::from(bound.unwrap_or(u32::MAX));
            if total > limit {
                overflow = bound.is_none();
                return None;
            }
            Some((value + n as u32, guarded))
        });
        assert!(!overflow, "process-shared semaphore value overflows u32");
        if !released {
            return Err(TooManyReleasesError);
        }
        if n > 0 {
            self.wake(n.min(u32::MAX as usize) as u32);
        }
        Ok(())
    }

    /// Gives back a guard's permit; cannot exceed the bound (its permit was counted).
    fn release_guarded(&self) {
        self.update(|value, guarded| Some((value + 1, guarded.saturating_sub(1))));
        self.wake(1);
    }

    fn forget_guarded(&self) {
        self.update(|value, guarded| Some((value, guarded.saturating_sub(1))));
    }

    fn value(&self) -> usize {
        split(self.cell().state.load(SeqCst)).0 as usize
    }

    fn guard(&self) -> SemaphoreGuard<'_> {
        SemaphoreGuard { core: self }
    }
}

/// A counting semaphore shared between processes: Python's `multiprocessing.Semaphore`.
///
/// The semaphore holds a number of permits. [`acquire`](Semaphore::acquire) takes one,
/// waiting while there are none, and returns a [`SemaphoreGuard`] that gives it back when
/// dropped. [`release`](Semaphore::release) adds permits explicitly and may be called from
/// any thread of any process. `Clone` gives another handle to the same semaphore, and a
/// semaphore can be an argument of a child process.
///
/// A permit held by a process that dies is not given back (as with Python's POSIX
/// semaphores): guards are undone by their drop, which a killed process does not run.
///
/// ```
/// use tripod::multiprocessing::{Process, Semaphore};
///
/// fn take_one(sem: Semaphore) {
///     sem.acquire().forget(); // keep it: the parent counts what is left
/// }
/// tripod::task!(take_one);
///
/// let sem = Semaphore::new(3).unwrap();
/// let child = Process::new(take_one, (sem.clone(),)).start().unwrap();
/// child.join().unwrap();
/// assert_eq!(sem.value(), 2);
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Semaphore {
    core: Core,
}

/// A semaphore that refuses to be released above its initial value: Python's
/// `multiprocessing.BoundedSemaphore`.
///
/// Guards give back exactly what they took. An explicit
/// [`release`](BoundedSemaphore::release) that would push the free permits plus those held
/// by live guards above the initial value is refused with [`TooManyReleasesError`] and
/// changes nothing. (A guard held by a process that died still counts as held.)
///
/// ```
/// use tripod::multiprocessing::BoundedSemaphore;
/// use tripod::threading::TooManyReleasesError;
///
/// let sem = BoundedSemaphore::new(2).unwrap();
/// sem.acquire().forget();
/// assert_eq!(sem.release(1), Ok(()));
/// assert_eq!(sem.release(1), Err(TooManyReleasesError));
/// assert_eq!(sem.value(), 2);
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct BoundedSemaphore {
    core: Core,
}

/// A permit taken from a [`Semaphore`] or [`BoundedSemaphore`]; given back on drop.
///
/// Unlike a lock guard it is `Send`: any thread may give a permit back.
///
/// ```
/// use tripod::multiprocessing::Semaphore;
///
/// let sem = Semaphore::new(1).unwrap();
/// let permit = sem.acquire();
/// assert_eq!(sem.value(), 0);
/// drop(permit);
/// assert_eq!(sem.value(), 1);
/// ```
#[must_use = "the permit is given back as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    core: &'a Core,
}

impl Semaphore {
    /// Takes a permit, blocking while there is none (Python's `sem.acquire()` or
    /// `with sem:`).
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(1).unwrap();
    /// let permit = sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// drop(permit);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        self.core.acquire_until(None);
        self.core.guard()
    }

    /// Takes a permit if one is free right now, without blocking (Python's
    /// `sem.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(1).unwrap();
    /// let permit = sem.try_acquire();
    /// assert!(permit.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.core.try_take().then(|| self.core.guard())
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time
    /// (Python's `sem.acquire(timeout=t)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(0).unwrap();
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(deadline_after(timeout))
            .then(|| self.core.guard())
    }

    /// Takes a permit, waiting until `deadline` at most; `None` if none came free
    /// in time.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(1).unwrap();
    /// assert!(sem.acquire_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Some(deadline))
            .then(|| self.core.guard())
    }

    /// The number of permits free right now (Python's `sem.get_value()`); may be
    /// stale by the time it is used.
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(4).unwrap();
    /// let _a = sem.acquire();
    /// assert_eq!(sem.value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.core.value()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Semaphore");
        d.field("value", &self.value());
        if let Some(bound) = self.core.bound() {
            d.field("bound", &bound);
        }
        d.finish()
    }
}
impl BoundedSemaphore {
    /// Takes a permit, blocking while there is none (Python's `sem.acquire()` or
    /// `with sem:`).
    ///
    /// ```
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1).unwrap();
    /// let permit = sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// drop(permit);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        self.core.acquire_until(None);
        self.core.guard()
    }

    /// Takes a permit if one is free right now, without blocking (Python's
    /// `sem.acquire(blocking=False)`).
    ///
    /// ```
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1).unwrap();
    /// let permit = sem.try_acquire();
    /// assert!(permit.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.core.try_take().then(|| self.core.guard())
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time
    /// (Python's `sem.acquire(timeout=t)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(0).unwrap();
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// ```
    #[inline]
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(deadline_after(timeout))
            .then(|| self.core.guard())
    }

    /// Takes a permit, waiting until `deadline` at most; `None` if none came free
    /// in time.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1).unwrap();
    /// assert!(sem.acquire_deadline(Instant::now() + Duration::from_millis(5)).is_some());
    /// ```
    #[inline]
    pub fn acquire_deadline(&self, deadline: Instant) -> Option<SemaphoreGuard<'_>> {
        self.core
            .acquire_until(Some(deadline))
            .then(|| self.core.guard())
    }

    /// The number of permits free right now (Python's `sem.get_value()`); may be
    /// stale by the time it is used.
    ///
    /// ```
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(4).unwrap();
    /// let _a = sem.acquire();
    /// assert_eq!(sem.value(), 3);
    /// ```
    pub fn value(&self) -> usize {
        self.core.value()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BoundedSemaphore");
        d.field("value", &self.value());
        if let Some(bound) = self.core.bound() {
            d.field("bound", &bound);
        }
        d.finish()
    }
}

impl Semaphore {
    /// Creates a semaphore with `value` free permits (Python's `Semaphore(value)`), in a
    /// new shared-memory segment.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `value` exceeds `u32::MAX`; otherwise if the shared memory cannot
    /// be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// assert_eq!(Semaphore::new(3).unwrap().value(), 3);
    /// ```
    pub fn new(value: usize) -> io::Result<Semaphore> {
        Ok(Semaphore {
            core: Core::create("semaphore", value, None)?,
        })
    }

    /// Adds `n` free permits, waking up to `n` waiting threads or processes (Python's
    /// `sem.release(n)`). Anyone may release, whether they acquired or not.
    ///
    /// # Panics
    ///
    /// If the free permits plus those held by guards would exceed `u32::MAX`.
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(0).unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| sem.release(2));
    ///     let _a = sem.acquire();
    ///     let _b = sem.acquire();
    /// });
    /// assert_eq!(sem.value(), 2);
    /// ```
    pub fn release(&self, n: usize) {
        // An unbounded core never refuses; it panics on overflow.
        let _ = self.core.release(n);
    }
}

impl BoundedSemaphore {
    /// Creates a bounded semaphore with `value` free permits, which is also its upper
    /// bound (Python's `BoundedSemaphore(value)`), in a new shared-memory segment.
    ///
    /// # Errors
    ///
    /// As [`Semaphore::new`].
    ///
    /// ```
    /// use tripod::multiprocessing::BoundedSemaphore;
    ///
    /// assert_eq!(BoundedSemaphore::new(5).unwrap().value(), 5);
    /// ```
    pub fn new(value: usize) -> io::Result<BoundedSemaphore> {
        let bound = u32::try_from(value).unwrap_or(u32::MAX);
        Ok(BoundedSemaphore {
            core: Core::create("bounded-semaphore", value, Some(bound))?,
        })
    }

    /// Gives back `n` permits that were taken without a guard (see
    /// [`SemaphoreGuard::forget`]), waking up to `n` waiters.
    ///
    /// # Errors
    ///
    /// [`TooManyReleasesError`] if the free permits plus those held by live guards would
    /// exceed the initial value; nothing is released then.
    ///
    /// ```
    /// use tripod::multiprocessing::BoundedSemaphore;
    /// use tripod::threading::TooManyReleasesError;
    ///
    /// let sem = BoundedSemaphore::new(3).unwrap();
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

impl SemaphoreGuard<'_> {
    /// Gives the permit back now; the same as dropping the guard.
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(1).unwrap();
    /// sem.acquire().release();
    /// assert_eq!(sem.value(), 1);
    /// ```
    #[inline]
    pub fn release(self) {
        drop(self);
    }

    /// Keeps the permit taken without a guard: Python's bare `sem.acquire()`. It comes
    /// back only through an explicit `release`, from any thread or process.
    ///
    /// ```
    /// use tripod::multiprocessing::Semaphore;
    ///
    /// let sem = Semaphore::new(1).unwrap();
    /// sem.acquire().forget();
    /// assert_eq!(sem.value(), 0);
    /// sem.release(1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn at_most_value_holders_at_once_across_threads() {
        let sem = Semaphore::new(2).unwrap();
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let sem = sem.clone();
                let (inside, most) = (&inside, &most);
                s.spawn(move || {
                    for _ in 0..500 {
                        let _permit = sem.acquire();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(sem.value(), 2);
        assert_eq!(sem.core.cell().sleepers.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn release_of_n_wakes_n_sleepers() {
        let sem = Semaphore::new(0).unwrap();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        sem.acquire_timeout(Duration::from_secs(10))
                            .map(|g| g.forget())
                    })
                })
                .collect();
            let deadline = Instant::now() + Duration::from_secs(10);
            while sem.core.cell().sleepers.load(Ordering::SeqCst) < 3 {
                assert!(Instant::now() < deadline, "the waiters never slept");
                std::thread::yield_now();
            }
            sem.release(3);
            for w in waiters {
                assert!(w.join().unwrap().is_some());
            }
        });
        assert_eq!(sem.value(), 0);
    }

    #[test]
    fn bounds_count_guards_and_values_are_limited_to_u32() {
        let sem = BoundedSemaphore::new(1).unwrap();
        let g = sem.acquire();
        assert_eq!(sem.release(1), Err(TooManyReleasesError));
        drop(g);
        assert_eq!(sem.value(), 1);
        assert!(format!("{sem:?}").contains("bound: 1"));
        assert_eq!(
            Semaphore::new(u32::MAX as usize + 1).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let big = Semaphore::new(u32::MAX as usize).unwrap();
        let r = std::panic::catch_unwind(|| big.release(1));
        assert!(r.is_err());
        assert_eq!(big.value(), u32::MAX as usize);
    }
}
