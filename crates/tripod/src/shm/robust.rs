//! [`RobustMutex`]: a process-shared, robust pthread mutex placed in shared memory.
//!
//! Robust means the kernel keeps, per thread, a list of the robust mutexes it holds; when
//! the thread (or its whole process) dies, the kernel marks each of them "owner died" and
//! wakes a waiter, whose lock call then succeeds with `EOWNERDEAD`. That is how a process
//! killed while holding a lock does not deadlock everyone else.

use std::cell::UnsafeCell;
use std::io;
use std::time::Instant;

use super::Shared;

/// How a lock call got the mutex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locked {
    /// The usual case.
    Clean,
    /// The previous owner died holding it. The caller now holds it, and the mutex has
    /// already been marked consistent again; the caller repairs the state it protects.
    OwnerDied,
}

/// A robust, process-shared pthread mutex, in place in a [`Segment`](super::Segment).
///
/// The owner is the locking *thread*: it must unlock from the same thread, and if that
/// thread exits holding it, the next locker gets [`Locked::OwnerDied`].
#[repr(C)]
pub(crate) struct RobustMutex {
    inner: UnsafeCell<libc::pthread_mutex_t>,
}

// SAFETY: a pthread mutex is built to be used from many threads at once through a pointer.
unsafe impl Sync for RobustMutex {}
// SAFETY: all zeros is glibc's `PTHREAD_MUTEX_INITIALIZER` (a valid, if not yet robust,
// mutex) and the creator calls `init` before sharing; the mutex is only mutated by the
// pthread functions, which are safe to call concurrently from several processes on a
// `PTHREAD_PROCESS_SHARED` mutex.
unsafe impl Shared for RobustMutex {}

#[cfg(target_env = "gnu")]
unsafe extern "C" {
    // glibc >= 2.30: like `pthread_mutex_timedlock`, on a clock of the caller's choice.
    fn pthread_mutex_clocklock(
        mutex: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

impl RobustMutex {
    /// Initialises it in place as an error-checking mutex (relocking by the owner is a
    /// detected error, not a silent deadlock).
    ///
    /// # Safety
    ///
    /// Exactly once, by the creator of the segment, before any other thread or process
    /// uses it.
    pub(crate) unsafe fn init(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller.
        unsafe { self.init_kind(libc::PTHREAD_MUTEX_ERRORCHECK) }
    }

    /// Initialises it in place as a recursive mutex: the owning thread may lock it again,
    /// and must unlock it as many times.
    ///
    /// # Safety
    ///
    /// As [`init`](Self::init).
    pub(crate) unsafe fn init_recursive(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller.
        unsafe { self.init_kind(libc::PTHREAD_MUTEX_RECURSIVE) }
    }

    /// # Safety
    ///
    /// As [`init`](Self::init).
    unsafe fn init_kind(&self, kind: libc::c_int) -> io::Result<()> {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        let check = |rc: libc::c_int| match rc {
            0 => Ok(()),
            rc => Err(io::Error::from_raw_os_error(rc)),
        };
        // SAFETY: `attr` is initialised by `pthread_mutexattr_init` before the setters use
        // it and destroyed at the end; `self.inner` is valid memory that nobody else uses
        // yet (the caller's promise), so initialising the mutex there races with nothing.
        unsafe {
            check(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let result = (|| {
                check(libc::pthread_mutexattr_setpshared(
                    attr.as_mut_ptr(),
                    libc::PTHREAD_PROCESS_SHARED,
                ))?;
                check(libc::pthread_mutexattr_setrobust(
                    attr.as_mut_ptr(),
                    libc::PTHREAD_MUTEX_ROBUST,
                ))?;
                check(libc::pthread_mutexattr_settype(attr.as_mut_ptr(), kind))?;
                check(libc::pthread_mutex_init(self.inner.get(), attr.as_ptr()))
            })();
            libc::pthread_mutexattr_destroy(attr.as_mut_ptr());
            result
        }
    }

    /// Locks it, waiting until `deadline` (forever with `None`). `None` means the
    /// deadline passed first.
    ///
    /// # Panics
    ///
    /// If the calling thread already holds this (error-checking) mutex: waiting for
    /// itself would never end.
    pub(crate) fn lock(&self, deadline: Option<Instant>) -> Option<Locked> {
        let rc = match deadline {
            // SAFETY: `inner` is an initialised process-shared mutex (see `init`).
            None => unsafe { libc::pthread_mutex_lock(self.inner.get()) },
            Some(deadline) => self.lock_until(deadline),
        };
        self.outcome(rc, "lock")
    }

    /// Locks it if nobody holds it. `None`: someone does (possibly the caller).
    pub(crate) fn try_lock(&self) -> Option<Locked> {
        // SAFETY: `inner` is an initialised process-shared mutex (see `init`).
        let rc = unsafe { libc::pthread_mutex_trylock(self.inner.get()) };
        if rc == libc::EDEADLK {
            // glibc's answer for an error-checking robust mutex that the caller holds.
            return None;
        }
        self.outcome(rc, "try_lock")
    }

    /// Releases it (one level, for a recursive mutex). `false` if the calling thread does
    /// not hold it; nothing happens then (robust mutexes check their owner).
    pub(crate) fn unlock(&self) -> bool {
        // SAFETY: `inner` is an initialised robust mutex; glibc checks the owner of a
        // robust mutex on unlock and returns EPERM for anyone else.
        unsafe { libc::pthread_mutex_unlock(self.inner.get()) == 0 }
    }

    #[cfg(target_env = "gnu")]
    fn lock_until(&self, deadline: Instant) -> libc::c_int {
        // The monotonic clock is the one `Instant` reads on Linux.
        let left = deadline.saturating_duration_since(Instant::now());
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let abstime = add(now.tv_sec, now.tv_nsec, left);
        // SAFETY: `inner` is an initialised process-shared mutex and `abstime` a valid
        // timespec that outlives the call.
        unsafe { pthread_mutex_clocklock(self.inner.get(), libc::CLOCK_MONOTONIC, &abstime) }
    }

    #[cfg(not(target_env = "gnu"))]
    fn lock_until(&self, deadline: Instant) -> libc::c_int {
        // Without `pthread_mutex_clocklock`, the deadline is turned into wall-clock time;
        // a jump of the wall clock during the wait shifts it.
        let left = deadline.saturating_duration_since(Instant::now());
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        let abstime = add(now.tv_sec, now.tv_nsec, left);
        // SAFETY: as in the gnu version.
        unsafe { libc::pthread_mutex_timedlock(self.inner.get(), &abstime) }
    }

    fn outcome(&self, rc: libc::c_int, call: &str) -> Option<Locked> {
        match rc {
            0 => Some(Locked::Clean),
            libc::EOWNERDEAD => {
                // SAFETY: after EOWNERDEAD the calling thread holds the mutex, which is
                // what `pthread_mutex_consistent` requires.
                let rc = unsafe { libc::pthread_mutex_consistent(self.inner.get()) };
                debug_assert_eq!(rc, 0, "pthread_mutex_consistent");
                Some(Locked::OwnerDied)
            }
            libc::EBUSY | libc::ETIMEDOUT => None,
            libc::EDEADLK => {
                panic!("deadlock: this thread already holds the process-shared lock it waits for")
            }
            rc => panic!(
                "pthread_mutex_{call} on a process-shared mutex failed: {}",
                io::Error::from_raw_os_error(rc)
            ),
        }
    }
}

fn add(sec: i64, nsec: i64, left: std::time::Duration) -> libc::timespec {
    let mut tv_sec = sec.saturating_add(left.as_secs().try_into().unwrap_or(i64::MAX));
    let mut tv_nsec = nsec + i64::from(left.subsec_nanos());
    if tv_nsec >= 1_000_000_000 {
        tv_nsec -= 1_000_000_000;
        tv_sec = tv_sec.saturating_add(1);
    }
    libc::timespec {
        tv_sec: tv_sec as libc::time_t,
        tv_nsec: tv_nsec as _,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::Segment;
    use std::sync::Arc;
    use std::time::Duration;

    fn mutex() -> Arc<Segment> {
        let seg = Segment::create("test", 64).unwrap();
        // SAFETY: a fresh segment, not shared yet.
        unsafe { seg.at::<RobustMutex>(0).init().unwrap() };
        Arc::new(seg)
    }

    #[test]
    fn lock_try_lock_unlock_and_timeouts() {
        let seg = mutex();
        let m = seg.at::<RobustMutex>(0);
        assert_eq!(m.lock(None), Some(Locked::Clean));
        let other = {
            let seg = Arc::clone(&seg);
            std::thread::spawn(move || {
                let m = seg.at::<RobustMutex>(0);
                let busy = m.try_lock();
                let start = Instant::now();
                let timed = m.lock(Some(start + Duration::from_millis(20)));
                (busy, timed, start.elapsed(), m.unlock())
            })
        };
        let (busy, timed, waited, unlocked) = other.join().unwrap();
        assert_eq!((busy, timed, unlocked), (None, None, false));
        assert!(waited >= Duration::from_millis(20));
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.lock(None))).is_err());
        assert_eq!(m.try_lock(), None);
        assert!(m.unlock());
        assert!(!m.unlock());
        assert_eq!(m.try_lock(), Some(Locked::Clean));
        assert!(m.unlock());
    }

    #[test]
    fn a_thread_that_exits_holding_it_leaves_owner_died() {
        let seg = mutex();
        let holder = {
            let seg = Arc::clone(&seg);
            std::thread::spawn(move || seg.at::<RobustMutex>(0).lock(None))
        };
        assert_eq!(holder.join().unwrap(), Some(Locked::Clean));
        let m = seg.at::<RobustMutex>(0);
        assert_eq!(
            m.lock(Some(Instant::now() + Duration::from_secs(10))),
            Some(Locked::OwnerDied)
        );
        assert!(m.unlock());
        assert_eq!(m.lock(None), Some(Locked::Clean));
        assert!(m.unlock());
    }

    #[test]
    fn a_recursive_mutex_counts_its_levels() {
        let seg = Segment::create("test", 64).unwrap();
        let m = seg.at::<RobustMutex>(0);
        // SAFETY: a fresh segment, not shared yet.
        unsafe { m.init_recursive().unwrap() };
        assert_eq!(m.lock(None), Some(Locked::Clean));
        assert_eq!(m.try_lock(), Some(Locked::Clean));
        assert!(m.unlock());
        assert!(m.unlock());
        assert!(!m.unlock());
    }
}
