//! Process-shared synchronisation: Python's `multiprocessing.synchronize` (`Lock`, `RLock`,
//! `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier`).
//!
//! Each object lives in shared memory (a memfd segment of its own; a [`Lock`] may also sit
//! inside another object's segment, as the lock of a shared value). A handle is cheap to
//! clone (another handle to the same object), and handles travel to child processes as
//! arguments: the segment's descriptor goes beside the encoded arguments, and the child
//! maps the same memory. Waiting and waking go through process-shared futexes; the locks
//! are robust pthread mutexes, so a process killed while holding one hands the next
//! acquirer an [`OwnerDied`] instead of a deadlock.
#![forbid(unsafe_code)]

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod rlock;
mod semaphore;

pub use barrier::Barrier;
pub use condition::{Condition, ConditionGuard};
pub use error::{AcquireTimeoutError, OwnerDied, TryAcquireError};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard};

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::{Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::shm::{Segment, Shared};

/// A handle to a `T` at `offset` in a shared segment: what every primitive holds, and what
/// travels when it is sent to a child (the segment's descriptor and the offset).
pub(crate) struct Handle<T> {
    segment: Arc<Segment>,
    offset: usize,
    cell: PhantomData<fn() -> T>,
}

impl<T: Shared> Handle<T> {
    /// # Panics
    ///
    /// If a `T` does not fit at `offset` or is misaligned there.
    pub(crate) fn new(segment: Arc<Segment>, offset: usize) -> Self {
        let _ = segment.at::<T>(offset);
        Handle {
            segment,
            offset,
            cell: PhantomData,
        }
    }

    /// Creates a fresh segment holding an initialised `T`.
    pub(crate) fn create(name: &str) -> std::io::Result<Self>
    where
        T: crate::shm::sync_cells::SyncCell,
    {
        let segment = crate::shm::sync_cells::create::<T>(name)?;
        Ok(Handle::new(Arc::new(segment), 0))
    }

    #[inline]
    pub(crate) fn get(&self) -> &T {
        self.segment.at(self.offset)
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            segment: Arc::clone(&self.segment),
            offset: self.offset,
            cell: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("segment", &self.segment)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<T> Serialize for Handle<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&*self.segment, self.offset as u64).serialize(serializer)
    }
}

impl<'de, T: Shared> Deserialize<'de> for Handle<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (segment, offset) = <(Segment, u64)>::deserialize(deserializer)?;
        let fits = usize::try_from(offset).ok().filter(|&offset| {
            offset.is_multiple_of(std::mem::align_of::<T>())
                && offset
                    .checked_add(std::mem::size_of::<T>())
                    .is_some_and(|end| end <= segment.len())
        });
        match fits {
            Some(offset) => Ok(Handle::new(Arc::new(segment), offset)),
            None => Err(D::Error::custom(format!(
                "a {} does not fit at offset {offset} of a shared segment of {} bytes",
                std::any::type_name::<T>(),
                segment.len()
            ))),
        }
    }
}

/// `Instant::now() + timeout`, or `None` (no limit) past the end of `Instant`.
fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Sleeps until `deadline`: what waiting for something the calling thread itself would
/// have to do amounts to.
fn sleep_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep(deadline - now);
    }
}
