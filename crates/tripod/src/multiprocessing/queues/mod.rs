//! Process queues: Python's `multiprocessing.Queue`, `JoinableQueue` and `SimpleQueue`,
//! each a handle to a byte ring in shared memory (`shm::ring`) carrying items encoded by
//! `wire`.
#![forbid(unsafe_code)]

mod error;
mod joinable;
mod queue;
mod simple;

pub use error::{GetError, PutError};
pub use joinable::JoinableQueue;
pub use queue::{Queue, QueueBuilder};
pub use simple::SimpleQueue;

/// The bytes of a queue's ring unless set with [`QueueBuilder::capacity`]: 4 MiB (memory is
/// committed only as the ring is used).
///
/// ```
/// use tripod::multiprocessing::{DEFAULT_CAPACITY, Queue};
///
/// assert_eq!(DEFAULT_CAPACITY, 4 << 20);
/// assert_eq!(Queue::<u8>::new().unwrap().capacity(), DEFAULT_CAPACITY);
/// ```
pub const DEFAULT_CAPACITY: usize = 4 << 20;
