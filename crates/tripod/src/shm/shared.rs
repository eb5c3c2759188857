//! [`Shared`]: the types that may live in a [`Segment`](super::Segment) and be used
//! through a shared reference by several processes at once.

use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicI64, AtomicU8, AtomicU32, AtomicU64, AtomicUsize,
};

/// A type that can be viewed in place in shared memory.
///
/// # Safety
///
/// An implementor must be valid for any bit pattern its memory may hold (in particular all
/// zeros, the state of a fresh segment), must be `Sync`, and must only be mutated through
/// a shared reference by interior mutability that is sound across threads (atomics, or a
/// primitive such as [`RobustMutex`](super::RobustMutex) that is built for it). Other
/// processes mutate the memory concurrently, so a plain `&T` of a type with ordinary
/// fields would be a data race.
pub(crate) unsafe trait Shared: Sync {}

macro_rules! shared_atomics {
    ($($t:ty),*) => {$(
        // SAFETY: atomics are valid for every bit pattern of their size (`AtomicBool` only
        // for 0 and 1; tripod's segments start zeroed and only store `bool`s into it) and
        // are mutated only atomically.
        unsafe impl Shared for $t {}
    )*};
}
shared_atomics!(
    AtomicBool,
    AtomicU8,
    AtomicU32,
    AtomicU64,
    AtomicI32,
    AtomicI64,
    AtomicUsize
);

// SAFETY: an array of `Shared` elements is `Shared`: each element keeps its own guarantee.
unsafe impl<T: Shared, const N: usize> Shared for [T; N] {}
