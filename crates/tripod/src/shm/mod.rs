//! `shm`: the shared-memory engine under the process leg (Linux).
//!
//! Three pieces, each small and close to the system call:
//!
//! - [`Segment`]: a memfd-backed `MAP_SHARED` mapping. Its size is sealed, it travels to
//!   other processes as a file descriptor (through [`crate::wire::fds`]), and the kernel
//!   frees it when the last descriptor and mapping are gone, also after crashes: there is
//!   no name to leak and no resource tracker to unlink it early (cpython#82300).
//! - [`futex`]: sleep while a shared `AtomicU32` holds a value, and wake sleepers, across
//!   processes.
//! - [`RobustMutex`]: a process-shared robust pthread mutex: when its owner dies, the next
//!   locker gets it with [`Locked::OwnerDied`] instead of waiting forever.
//!
//! The public types of `multiprocessing` (queues, locks, values, shared memory) own a
//! `Segment`, lay out a `#[repr(C)]` header of [`Shared`] fields in it, and build on
//! `futex` and `RobustMutex`. What needs `unsafe` lives here, each block with a
//! `// SAFETY:` comment.
#![cfg(target_os = "linux")]

pub(crate) mod futex;
mod pod;
pub(crate) mod ring;
mod robust;
mod segment;
mod shared;
pub(crate) mod sync_cells;
pub(crate) mod words;

pub(crate) use pod::{Access, PodBlock, PodGuard};
pub(crate) use robust::{Locked, RobustMutex};
pub(crate) use segment::Segment;
pub(crate) use shared::Shared;
