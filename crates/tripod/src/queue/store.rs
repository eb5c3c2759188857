//! The storage disciplines the engine is generic over: FIFO (lock-free), LIFO and heap
//! (a short critical section under a mutex, as Python's `_put`/`_get` under its lock).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::engine::Store;
use super::sync::Mutex;

#[cfg(not(tripod_loom))]
pub(crate) use lock_free::FifoStore;

/// Under loom the FIFO store is a locked `VecDeque`: crossbeam's queues are not
/// loom-instrumented, and the model checks the engine, not crossbeam.
#[cfg(tripod_loom)]
pub type FifoStore<T> = Locked<VecDeque<T>>;

#[cfg(not(tripod_loom))]
mod lock_free {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crossbeam_queue::{ArrayQueue, SegQueue};

    use super::Store;

    /// Above this `maxsize` a bounded FIFO does not preallocate its slots (a `maxsize` of
    /// a billion is a legitimate "practically unbounded" in Python) and counts instead.
    const PREALLOCATE_UP_TO: usize = 1 << 16;

    /// FIFO storage on crossbeam's lock-free queues.
    pub enum FifoStore<T> {
        Unbounded(SegQueue<T>),
        Array(ArrayQueue<T>),
        Counted {
            items: SegQueue<T>,
            len: AtomicUsize,
            maxsize: usize,
        },
    }

    impl<T> Store for FifoStore<T> {
        type Item = T;

        fn with_maxsize(maxsize: usize) -> Self {
            match maxsize {
                0 => FifoStore::Unbounded(SegQueue::new()),
                1..=PREALLOCATE_UP_TO => FifoStore::Array(ArrayQueue::new(maxsize)),
                _ => FifoStore::Counted {
                    items: SegQueue::new(),
                    len: AtomicUsize::new(0),
                    maxsize,
                },
            }
        }

        #[inline]
        fn push(&self, item: T) -> Result<(), T> {
            match self {
                FifoStore::Unbounded(items) => {
                    items.push(item);
                    Ok(())
                }
                FifoStore::Array(items) => items.push(item),
                FifoStore::Counted {
                    items,
                    len,
                    maxsize,
                } => {
                    let reserved = len.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                        (n < *maxsize).then_some(n + 1)
                    });
                    if reserved.is_err() {
                        return Err(item);
                    }
                    items.push(item);
                    Ok(())
                }
            }
        }

        #[inline]
        fn pop(&self) -> Option<T> {
            match self {
                FifoStore::Unbounded(items) => items.pop(),
                FifoStore::Array(items) => items.pop(),
                FifoStore::Counted { items, len, .. } => {
                    let item = items.pop()?;
                    len.fetch_sub(1, Ordering::AcqRel);
                    Some(item)
                }
            }
        }

        fn len(&self) -> usize {
            match self {
                FifoStore::Unbounded(items) => items.len(),
                FifoStore::Array(items) => items.len(),
                FifoStore::Counted { len, .. } => len.load(Ordering::Acquire),
            }
        }
    }
}

/// A plain collection that a [`Locked`] store keeps under its mutex.
pub trait Collection: Default {
    type Item;
    fn insert(&mut self, item: Self::Item);
    fn remove(&mut self) -> Option<Self::Item>;
    fn count(&self) -> usize;
}

/// A collection under a mutex, refusing pushes at `maxsize` (0: unbounded).
pub struct Locked<C> {
    items: Mutex<C>,
    maxsize: usize,
}

impl<C: Collection> Store for Locked<C> {
    type Item = C::Item;

    fn with_maxsize(maxsize: usize) -> Self {
        Locked {
            items: Mutex::new(C::default()),
            maxsize,
        }
    }

    fn push(&self, item: C::Item) -> Result<(), C::Item> {
        let mut items = self.items.lock();
        if self.maxsize > 0 && items.count() >= self.maxsize {
            return Err(item);
        }
        items.insert(item);
        Ok(())
    }

    fn pop(&self) -> Option<C::Item> {
        self.items.lock().remove()
    }

    fn len(&self) -> usize {
        self.items.lock().count()
    }
}

/// Last in, first out.
pub type LifoStore<T> = Locked<Vec<T>>;

/// Lowest first (a min-heap, as Python's `heapq`).
pub type HeapStore<T> = Locked<BinaryHeap<Reverse<T>>>;

impl<T> Collection for Vec<T> {
    type Item = T;
    fn insert(&mut self, item: T) {
        self.push(item);
    }
    fn remove(&mut self) -> Option<T> {
        self.pop()
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl<T> Collection for VecDeque<T> {
    type Item = T;
    fn insert(&mut self, item: T) {
        self.push_back(item);
    }
    fn remove(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl<T: Ord> Collection for BinaryHeap<Reverse<T>> {
    type Item = T;
    fn insert(&mut self, item: T) {
        self.push(Reverse(item));
    }
    fn remove(&mut self) -> Option<T> {
        self.pop().map(|Reverse(item)| item)
    }
    fn count(&self) -> usize {
        self.len()
    }
}
