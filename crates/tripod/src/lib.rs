//! tripod: Python's concurrency toolkit, rebuilt in Rust.
//!
//! Threads, processes and coroutines with the concepts (and, where they are clear, the
//! names) a Python programmer already knows from `threading`, `queue`,
//! `concurrent.futures`, `sched`, `subprocess`, `multiprocessing` and `asyncio`, without
//! a GIL and without pickle.
//!
//! | Python | tripod |
//! |---|---|
//! | `threading` | [`threading`] |
//! | `queue` | [`queue`] |
//! | `concurrent.futures` | [`futures`] |
//! | `sched` | [`sched`] |
//! | `subprocess` | [`subprocess`] |
//!
#![deny(unsafe_op_in_unsafe_fn)]

mod entry;
mod panic;

pub mod futures;
pub mod queue;
pub mod sched;
pub mod subprocess;
pub mod threading;

pub use entry::main;
pub use panic::PanicError;
