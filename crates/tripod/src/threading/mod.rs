//! `tripod::threading`: Python's `threading` module.
//!
//! Synchronisation primitives: [`Lock`], [`RLock`], [`Condition`], [`Semaphore`],
//! [`BoundedSemaphore`], [`Event`] and [`Barrier`], each owning the data it protects where
//! Python's would protect "a section of code", and releasing through guards.

mod barrier;
mod condition;
mod event;
mod lock;
mod rlock;
mod semaphore;

pub use barrier::{Barrier, BarrierBuilder, BrokenBarrierError};
pub use condition::{Condition, ConditionGuard};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use rlock::{NotOwnerError, RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreGuard, TooManyReleasesError};
