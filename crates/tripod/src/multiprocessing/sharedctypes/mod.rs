//! `multiprocessing.sharedctypes`: plain values and arrays in shared memory.
//!
//! | Python | tripod |
//! |---|---|
//! | `Value('i', 0)` (with its lock) | [`Value::<i32>::new(0)`](Value::new) |
//! | `Array('d', 10)`, `Array('i', [1, 2])` | [`Array::<f64>::zeroed(10)`](Array::zeroed), [`Array::new(&[1, 2])`](Array::new) |
//! | `RawValue`, `Value(..., lock=False)` | [`RawValue`] |
//! | `RawArray`, `Array(..., lock=False)` | [`RawArray`] |
//! | `v.value`, `v.value = x` | [`get`](Value::get), [`set`](Value::set) |
//! | `with v.get_lock(): v.value += 1` | `*v.lock()? += 1` ([`Value::lock`]) |
//!
//! The element type is any [`bytemuck::Pod`] type: integers, floats, arrays of them, and
//! `#[repr(C)]` structs of them that derive `Pod` and `Zeroable` (add `bytemuck` with its
//! `derive` feature to your crate). `Pod` types are valid for every bit pattern, which is
//! what memory written by other processes (maybe killed half-way) needs.
//!
//! Each of these types is a handle: cloning gives another handle to the same memory, and
//! a handle can be an argument of a child process (the memory's descriptor travels with
//! it, so it is also freed by the kernel once the last process holding it has gone, even
//! after crashes).
//!
//! # Locked or raw
//!
//! [`Value`] and [`Array`] carry a process-shared [`Lock`] in their memory. Every access
//! takes it: [`get`](Value::get) and [`set`](Value::set) for one step, the guard of
//! [`lock`](Value::lock) for several (`*v.lock()? += 1` is a race-free increment). The
//! guard dereferences to the value (or the slice) in shared memory itself, without
//! copying. A process that dies holding the lock leaves it to the next one with an
//! [`OwnerDied`] signal (from `lock`; `get` and `set` carry on silently).
//!
//! [`RawValue`] and [`RawArray`] have no lock and never block. Their copies go through
//! the memory's aligned 8-byte words, each read or written atomically, so concurrent use
//! is well defined (never a data race): an element that lies within one aligned word
//! (every integer or float type, whose size equals its alignment) is read and written
//! whole, while a wider element may *tear* when a read races with a write, showing some
//! words old and some new. A write is a release and a read an acquire.
//!
//! ```
//! use tripod::multiprocessing::{Process, Value};
//!
//! fn add(counter: Value<u64>, times: u32) {
//!     for _ in 0..times {
//!         *counter.lock().unwrap() += 1;
//!     }
//! }
//! tripod::task!(add);
//!
//! let counter = Value::new(0u64).unwrap();
//! let children: Vec<_> = (0..2)
//!     .map(|_| Process::new(add, (counter.clone(), 500)).start().unwrap())
//!     .collect();
//! add(counter.clone(), 500);
//! for child in children {
//!     child.join().unwrap();
//! }
//! assert_eq!(counter.get(), 1500);
//! ```
#![forbid(unsafe_code)]

mod array;
mod value;

pub use array::{Array, ArrayGuard, RawArray};
pub use value::{RawValue, Value, ValueGuard};

use std::time::{Duration, Instant};

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

#[cfg(doc)]
use crate::multiprocessing::Lock;
use crate::multiprocessing::{AcquireTimeoutError, OwnerDied, TryAcquireError};
use crate::shm::{Access, PodBlock, Segment};
use crate::wire;

/// Sends a block as its segment (the descriptor goes through [`wire::fds`]).
fn serialize_block<T, S: Serializer>(
    block: &PodBlock<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    (**block.segment()).serialize(serializer)
}

/// Maps a received segment as a block of `access` with elements of `T`.
fn deserialize_block<'de, T: bytemuck::Pod, D: Deserializer<'de>>(
    deserializer: D,
    access: Access,
) -> Result<PodBlock<T>, D::Error> {
    use serde::de::Error;
    let segment = Segment::deserialize(deserializer)?;
    PodBlock::open(segment, access).map_err(|err| {
        wire::note_custom_error(&err);
        D::Error::custom(err)
    })
}

fn map_died<G, H>(
    result: Result<G, OwnerDied<G>>,
    f: impl FnOnce(G) -> H,
) -> Result<H, OwnerDied<H>> {
    match result {
        Ok(guard) => Ok(f(guard)),
        Err(died) => Err(OwnerDied::new(f(died.into_guard()))),
    }
}

fn map_try<G, H>(
    result: Result<G, TryAcquireError<G>>,
    f: impl FnOnce(G) -> H,
) -> Result<H, TryAcquireError<H>> {
    match result {
        Ok(guard) => Ok(f(guard)),
        Err(TryAcquireError::WouldBlock) => Err(TryAcquireError::WouldBlock),
        Err(TryAcquireError::OwnerDied(died)) => Err(TryAcquireError::OwnerDied(OwnerDied::new(
            f(died.into_guard()),
        ))),
    }
}

fn map_timeout<G, H>(
    result: Result<G, AcquireTimeoutError<G>>,
    f: impl FnOnce(G) -> H,
) -> Result<H, AcquireTimeoutError<H>> {
    match result {
        Ok(guard) => Ok(f(guard)),
        Err(AcquireTimeoutError::Timeout) => Err(AcquireTimeoutError::Timeout),
        Err(AcquireTimeoutError::OwnerDied(died)) => Err(AcquireTimeoutError::OwnerDied(
            OwnerDied::new(f(died.into_guard())),
        )),
    }
}

/// `now + timeout`, or `None` when that is too far to represent (wait forever).
fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
