//! The shared-memory layouts of the process-shared synchronisation primitives
//! (`multiprocessing::synchronize`), and the two things they need from a [`RobustMutex`]
//! beyond locking: creating one in a fresh segment, and reading who holds it.
//!
//! Each primitive lives in a segment of its own, its cell at offset 0, except a `Lock`,
//! which may also be a bare [`RobustMutex`] inside another type's segment (the lock of a
//! shared value).

use std::io;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::{RobustMutex, Segment, Shared};

/// A cell that can be created in a fresh segment.
///
/// # Safety
///
/// `init` may only set up the cell's own fields (its mutexes); it is called exactly once,
/// on a zeroed cell nobody else can see yet.
pub(crate) unsafe trait SyncCell: Shared {
    /// Initialises the mutexes of a zeroed cell.
    ///
    /// # Safety
    ///
    /// Exactly once, before the cell is shared with any other thread or process.
    unsafe fn init(&self) -> io::Result<()>;
}

/// Creates a segment (named `name`) holding one zeroed `T` at offset 0, initialised.
pub(crate) fn create<T: SyncCell>(name: &str) -> io::Result<Segment> {
    let segment = Segment::create(name, std::mem::size_of::<T>())?;
    // SAFETY: the segment was created just now and has not been shared: nobody else can
    // use the cell before `init` returns, and it is initialised this once.
    unsafe { segment.at::<T>(0).init()? };
    Ok(segment)
}

/// A [`RobustMutex`] initialised as error-checking (`Lock`, and a `Condition`'s lock).
#[repr(transparent)]
pub(crate) struct PlainMutex(pub(crate) RobustMutex);

// SAFETY: a transparent wrapper of a `Shared` type.
unsafe impl Shared for PlainMutex {}

// SAFETY: `init` initialises only the mutex.
unsafe impl SyncCell for PlainMutex {
    unsafe fn init(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller (once, before sharing).
        unsafe { self.0.init() }
    }
}

/// A [`RobustMutex`] initialised as recursive (`RLock`).
#[repr(transparent)]
pub(crate) struct RecursiveMutex(pub(crate) RobustMutex);

// SAFETY: a transparent wrapper of a `Shared` type.
unsafe impl Shared for RecursiveMutex {}

// SAFETY: `init` initialises only the mutex.
unsafe impl SyncCell for RecursiveMutex {
    unsafe fn init(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller (once, before sharing).
        unsafe { self.0.init_recursive() }
    }
}

/// A semaphore: the counts in one word, so a bounded release can check its bound against
/// both at once.
#[repr(C)]
pub(crate) struct SemaphoreCell {
    /// Low 32 bits: free permits. High 32 bits: permits held by live guards.
    pub(crate) state: AtomicU64,
    /// Bumped by every release; sleepers wait on it.
    pub(crate) seq: AtomicU32,
    /// Threads about to sleep or sleeping on `seq`; a release only calls the kernel when
    /// there are some.
    pub(crate) sleepers: AtomicU32,
    /// The bound of a `BoundedSemaphore` (its initial value); unused otherwise.
    pub(crate) bound: AtomicU32,
    /// 1 for a `BoundedSemaphore`, 0 for a `Semaphore`.
    pub(crate) bounded: AtomicU32,
}

// SAFETY: `#[repr(C)]` of atomics only: valid for every bit pattern, mutated atomically.
unsafe impl Shared for SemaphoreCell {}
// SAFETY: no mutex; nothing to initialise.
unsafe impl SyncCell for SemaphoreCell {
    unsafe fn init(&self) -> io::Result<()> {
        Ok(())
    }
}

/// An event: the flag and a generation in one futex word.
#[repr(C)]
pub(crate) struct EventCell {
    /// Bit 0: the flag. Bits 1..: how many times the flag went from clear to set.
    pub(crate) word: AtomicU32,
    /// Threads about to sleep or sleeping on `word`.
    pub(crate) sleepers: AtomicU32,
}

// SAFETY: `#[repr(C)]` of atomics only.
unsafe impl Shared for EventCell {}
// SAFETY: no mutex; nothing to initialise.
unsafe impl SyncCell for EventCell {
    unsafe fn init(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A condition variable with its lock.
#[repr(C)]
pub(crate) struct ConditionCell {
    /// The condition's lock (error-checking).
    pub(crate) mutex: RobustMutex,
    /// Bumped by every notify; waiters sleep on it.
    pub(crate) seq: AtomicU32,
    /// Waiters not yet notified (changed under `mutex`).
    pub(crate) waiters: AtomicU32,
    /// Notifications handed out and not yet taken by a waiter (changed under `mutex`).
    pub(crate) signals: AtomicU32,
}

// SAFETY: `#[repr(C)]` of a `RobustMutex` and atomics, all `Shared`.
unsafe impl Shared for ConditionCell {}
// SAFETY: `init` initialises only the mutex.
unsafe impl SyncCell for ConditionCell {
    unsafe fn init(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller (once, before sharing).
        unsafe { self.mutex.init() }
    }
}

/// A barrier.
#[repr(C)]
pub(crate) struct BarrierCell {
    /// Guards every field below but `seq`.
    pub(crate) mutex: RobustMutex,
    /// Bumped by every change waiters must see (a trip, a break, a reset); they sleep on it.
    pub(crate) seq: AtomicU32,
    /// The number of parties (set at creation).
    pub(crate) parties: AtomicU32,
    /// Parties arrived in the current generation.
    pub(crate) count: AtomicU32,
    /// The current generation; it moves on when the barrier trips or is reset.
    pub(crate) generation: AtomicU32,
    /// 1 while the barrier is broken.
    pub(crate) broken: AtomicU32,
    /// Bit `g % 64` tells whether generation `g` ended by a reset (its waiters fail) or by
    /// a trip (they pass).
    pub(crate) reset_bits: AtomicU64,
}

// SAFETY: `#[repr(C)]` of a `RobustMutex` and atomics, all `Shared`.
unsafe impl Shared for BarrierCell {}
// SAFETY: `init` initialises only the mutex.
unsafe impl SyncCell for BarrierCell {
    unsafe fn init(&self) -> io::Result<()> {
        // SAFETY: forwarded from the caller (once, before sharing).
        unsafe { self.mutex.init() }
    }
}

/// The bits of a robust futex word that hold the owner's thread id (kernel ABI,
/// `FUTEX_TID_MASK`).
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// The index, in `u32`s, of the lock word inside a `pthread_mutex_t`: glibc's `__lock`
/// is its first field, musl's `_m_lock` its second.
#[cfg(not(target_env = "musl"))]
const LOCK_WORD_INDEX: usize = 0;
#[cfg(target_env = "musl")]
const LOCK_WORD_INDEX: usize = 1;

/// The thread id of the thread holding `mutex`, or 0 if nobody holds it (also when its
/// owner died and nobody has locked it since).
///
/// A robust mutex's lock word is kernel ABI: the kernel walks a dying thread's list of
/// robust mutexes and, in each word holding that thread's id, replaces the id by the
/// `FUTEX_OWNER_DIED` bit. So the word holds the owner's thread id (plus flag bits) while
/// the mutex is held, and no id when it is free. The answer may be stale by the time it is
/// used, except "the calling thread holds it", which only the caller can change.
pub(crate) fn holder(mutex: &RobustMutex) -> u32 {
    lock_word(mutex).load(Ordering::Relaxed) & FUTEX_TID_MASK
}

fn lock_word(mutex: &RobustMutex) -> &AtomicU32 {
    const _: () = assert!(
        std::mem::size_of::<libc::pthread_mutex_t>() >= 4 * (LOCK_WORD_INDEX + 1)
            && std::mem::align_of::<libc::pthread_mutex_t>() >= 4
    );
    // `RobustMutex` is `#[repr(C)]` with one field, an `UnsafeCell<pthread_mutex_t>`, so
    // it starts with the `pthread_mutex_t`.
    let base = std::ptr::from_ref(mutex).cast::<u32>().cast_mut();
    // SAFETY: the lock word is an aligned `u32` inside the mutex (checked above: the
    // mutex is at least that large and 4-aligned), which lives as long as `mutex`. It sits
    // in an `UnsafeCell`, and every other access to it (the C library's, the kernel's) is
    // atomic, so viewing it as an `AtomicU32` and only loading from it races with nothing.
    unsafe { AtomicU32::from_ptr(base.add(LOCK_WORD_INDEX)) }
}

/// The calling thread's id, as the kernel writes it into the lock word of a mutex it holds.
pub(crate) fn current_tid() -> u32 {
    rustix::thread::gettid().as_raw_nonzero().get() as u32
}

/// A zero-sized marker that makes a lock guard `!Send` (a pthread mutex is unlocked by the
/// thread that locked it) while keeping it `Sync`, like `std::sync::MutexGuard`.
pub(crate) type NotSend = PhantomData<std::sync::MutexGuard<'static, ()>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::Locked;

    #[test]
    fn holder_reads_the_owner_of_a_mutex() {
        let segment = create::<PlainMutex>("test").unwrap();
        let mutex = &segment.at::<PlainMutex>(0).0;
        assert_eq!(holder(mutex), 0);
        assert_eq!(mutex.lock(None), Some(Locked::Clean));
        assert_eq!(holder(mutex), current_tid());
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_ne!(current_tid(), holder(mutex));
                assert_eq!(mutex.try_lock(), None);
            });
        });
        assert!(mutex.unlock());
        assert_eq!(holder(mutex), 0);
    }

    #[test]
    fn holder_is_zero_after_the_owner_died() {
        let segment = create::<RecursiveMutex>("test").unwrap();
        let mutex = &segment.at::<RecursiveMutex>(0).0;
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(mutex.lock(None), Some(Locked::Clean));
                assert_eq!(mutex.lock(None), Some(Locked::Clean));
            })
            .join() // a real join: the thread is gone, and the kernel has seen it go
            .unwrap();
        });
        assert_eq!(holder(mutex), 0);
        assert_eq!(mutex.lock(None), Some(Locked::OwnerDied));
        assert_eq!(holder(mutex), current_tid());
        // One unlock frees it: the dead owner's levels are gone.
        assert!(mutex.unlock());
        assert_eq!(holder(mutex), 0);
    }
}
