//! The one engine behind [`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue),
//! [`PriorityQueue`](super::PriorityQueue) and [`SimpleQueue`](super::SimpleQueue),
//! generic over the storage discipline ([`Store`]: FIFO, LIFO or heap).
//!
//! The store holds the items and enforces `maxsize` by refusing a push. The engine adds,
//! without a lock of its own:
//!
//! - blocking with deadlines ([`Signal`]: "not empty", "not full", "all tasks done");
//! - task tracking for `task_done`/`join`;
//! - Python 3.13's `shutdown(immediate)`.
//!
//! # The `puts` word
//!
//! One `AtomicU64` holds the shutdown bit, the number of puts in flight (past the shutdown
//! check, not yet finished pushing) and the number of unfinished tasks:
//!
//! ```text
//! bit 0       SHUTDOWN
//! bits 1..25  puts in flight
//! bits 25..64 unfinished tasks
//! ```
//!
//! A put adds one in-flight mark and one task in a single `fetch_add`, which also tells it
//! whether the queue was shut down; it pushes, then removes its in-flight mark. `shutdown`
//! sets the bit in the same word, then waits for the in-flight count to drain to zero, so
//! once it has set the `SEALED` flag no put can land any more: a get that then finds the
//! store empty can report `ShutDown` truthfully, and an immediate shutdown's drain leaves
//! nothing behind (and `join` returns). Counting the task before the push means a consumer
//! can never `task_done` an item whose task is not counted yet.

use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::error::{ShutDown, TaskDoneError, TryGetError, TryPutError};
use super::signal::Signal;
use super::sync::{AtomicU8, AtomicU64, Ordering, yield_now};

/// A storage discipline: where items wait between put and get.
///
/// `push` refuses the item (hands it back) when `maxsize` items are stored; the store must
/// be safe to use from many threads at once.
///
/// `pub` in a private module, as the stores in `store.rs`: the sealed
/// [`Discipline`](super::Discipline) trait names them, yet no user can.
pub trait Store {
    type Item;

    /// A store that holds at most `maxsize` items (`0`: unbounded).
    fn with_maxsize(maxsize: usize) -> Self;
    fn push(&self, item: Self::Item) -> Result<(), Self::Item>;
    fn pop(&self) -> Option<Self::Item>;
    fn len(&self) -> usize;
}

const SHUTDOWN: u64 = 1;
const IN_FLIGHT: u64 = 1 << 1;
const IN_FLIGHT_MASK: u64 = ((1 << 24) - 1) << 1;
const TASK_SHIFT: u32 = 25;
const TASK: u64 = 1 << TASK_SHIFT;

/// `flags`: set by `shutdown` once no put can land any more.
const SEALED: u8 = 1;

pub(crate) struct Core<S> {
    store: S,
    maxsize: usize,
    /// Whether puts count tasks and check for shutdown (false for `SimpleQueue`).
    tracked: bool,
    puts: CachePadded<AtomicU64>,
    flags: AtomicU8,
    not_empty: Signal,
    not_full: Signal,
    all_done: Signal,
}

impl<S: Store> Core<S> {
    /// A queue holding at most `maxsize` items (`0`: unbounded); `tracked` enables task
    /// counting and shutdown checks on put.
    pub(crate) fn new(maxsize: usize, tracked: bool) -> Self {
        Core {
            store: S::with_maxsize(maxsize),
            maxsize,
            tracked,
            puts: CachePadded::new(AtomicU64::new(0)),
            flags: AtomicU8::new(0),
            not_empty: Signal::new(),
            not_full: Signal::new(),
            all_done: Signal::new(),
        }
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn len(&self) -> usize {
        self.store.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.maxsize > 0 && self.store.len() >= self.maxsize
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.puts.load(Ordering::Acquire) & SHUTDOWN != 0
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        (self.puts.load(Ordering::Acquire) >> TASK_SHIFT) as usize
    }

    pub(crate) fn try_put(&self, item: S::Item) -> Result<(), TryPutError<S::Item>> {
        if !self.tracked {
            // SimpleQueue: unbounded, never shut down, no tasks.
            if let Err(item) = self.store.push(item) {
                return Err(TryPutError::Full(item));
            }
            self.not_empty.notify_one();
            return Ok(());
        }
        let before = self.puts.fetch_add(IN_FLIGHT + TASK, Ordering::AcqRel);
        if before & SHUTDOWN != 0 {
            self.undo_put();
            return Err(TryPutError::ShutDown(item));
        }
        // The push runs user code (a heap store calls `T::cmp`); if that panics, the
        // guard still ends this put's flight, or `shutdown` would wait for it forever.
        let landing = Landing { core: self };
        let pushed = self.store.push(item);
        std::mem::forget(landing);
        match pushed {
            Ok(()) => {
                self.puts.fetch_sub(IN_FLIGHT, Ordering::Release);
                self.not_empty.notify_one();
                Ok(())
            }
            Err(item) => {
                self.undo_put();
                Err(TryPutError::Full(item))
            }
        }
    }

    /// Removes the in-flight mark and the task of a put that did not push.
    ///
    /// The task count does not go below zero: a `task_done` racing with this put may have
    /// consumed the task it briefly counted. That `task_done` was one too many, which this
    /// race hides; the count stays right.
    fn undo_put(&self) {
        let mut current = self.puts.load(Ordering::Relaxed);
        loop {
            let has_task = current >> TASK_SHIFT != 0;
            let new = current - IN_FLIGHT - if has_task { TASK } else { 0 };
            match self
                .puts
                .compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    if has_task && new >> TASK_SHIFT == 0 {
                        self.all_done.notify_all();
                    }
                    return;
                }
                Err(actual) => current = actual,
            }
        }
    }

    pub(crate) fn put_deadline(
        &self,
        item: S::Item,
        deadline: Option<Instant>,
    ) -> Result<(), TryPutError<S::Item>> {
        let mut slot = Some(item);
        let outcome = self.not_full.wait_until(deadline, || {
            let item = slot
                .take()
                .expect("the item is back in its slot after a full put");
            match self.try_put(item) {
                Ok(()) => Some(Ok(())),
                Err(TryPutError::ShutDown(item)) => Some(Err(ShutDown(item))),
                Err(TryPutError::Full(item)) => {
                    slot = Some(item);
                    None
                }
            }
        });
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(ShutDown(item))) => Err(TryPutError::ShutDown(item)),
            None => Err(TryPutError::Full(
                slot.take().expect("a timed-out put keeps its item"),
            )),
        }
    }

    pub(crate) fn try_get(&self) -> Result<S::Item, TryGetError> {
        if let Some(item) = self.store.pop() {
            if self.maxsize > 0 {
                self.not_full.notify_one();
            }
            return Ok(item);
        }
        if self.flags.load(Ordering::Acquire) & SEALED == 0 {
            return Err(TryGetError::Empty);
        }
        // Sealed: no put can land any more, but one may have landed between our pop and
        // the seal. Only an empty store after the seal means ShutDown.
        self.store.pop().ok_or(TryGetError::ShutDown)
    }

    pub(crate) fn get_deadline(&self, deadline: Option<Instant>) -> Result<S::Item, TryGetError> {
        let outcome = self
            .not_empty
            .wait_until(deadline, || match self.try_get() {
                Err(TryGetError::Empty) => None,
                other => Some(other),
            });
        outcome.unwrap_or(Err(TryGetError::Empty))
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut current = self.puts.load(Ordering::Acquire);
        loop {
            if current >> TASK_SHIFT == 0 {
                return Err(TaskDoneError);
            }
            match self.puts.compare_exchange_weak(
                current,
                current - TASK,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        if (current - TASK) >> TASK_SHIFT == 0 {
            self.all_done.notify_all();
        }
        Ok(())
    }

    /// Waits until every task is done; false if `deadline` passed first.
    pub(crate) fn join_deadline(&self, deadline: Option<Instant>) -> bool {
        self.all_done
            .wait_until(deadline, || (self.unfinished_tasks() == 0).then_some(()))
            .is_some()
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        self.puts.fetch_or(SHUTDOWN, Ordering::AcqRel);
        // Puts that passed the check before the bit was set are pushing right now (a few
        // instructions, not a wait): let them land.
        while self.puts.load(Ordering::Acquire) & IN_FLIGHT_MASK != 0 {
            yield_now();
        }
        if immediate {
            while let Some(item) = self.store.pop() {
                drop(item);
                self.finish_drained_task();
            }
        }
        self.flags.fetch_or(SEALED, Ordering::AcqRel);
        self.not_empty.notify_all();
        self.not_full.notify_all();
        if immediate {
            self.all_done.notify_all();
        }
    }

    /// Marks the task of an item removed by an immediate shutdown as done, if any task is
    /// still counted (Python: `if self.unfinished_tasks > 0: self.unfinished_tasks -= 1`).
    fn finish_drained_task(&self) {
        let mut current = self.puts.load(Ordering::Acquire);
        while current >> TASK_SHIFT != 0 {
            match self.puts.compare_exchange_weak(
                current,
                current - TASK,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Ends a put's flight if the store's push unwinds. A heap store's push keeps the item
/// when `T::cmp` panics (`BinaryHeap` fills its hole on unwind), so the item and its task
/// stay counted and a getter is told.
struct Landing<'a, S: Store> {
    core: &'a Core<S>,
}

impl<S: Store> Drop for Landing<'_, S> {
    fn drop(&mut self) {
        self.core.puts.fetch_sub(IN_FLIGHT, Ordering::Release);
        self.core.not_empty.notify_one();
    }
}
