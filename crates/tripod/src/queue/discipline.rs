//! The orders a [`BaseQueue`](super::BaseQueue) can return its items in: [`Fifo`], [`Lifo`]
//! and [`Priority`], the type parameter that makes it a [`Queue`](super::Queue), a
//! [`LifoQueue`](super::LifoQueue) or a [`PriorityQueue`](super::PriorityQueue).

use super::engine::Store;
use super::store::{FifoStore, HeapStore, LifoStore};

/// The order in which a [`BaseQueue`](super::BaseQueue) returns its items: [`Fifo`],
/// [`Lifo`] or [`Priority`].
///
/// You rarely name it: [`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue) and
/// [`PriorityQueue`](super::PriorityQueue) fix it for you. It is useful for code that works
/// with any of the three. The trait is sealed (the discipline picks the queue's storage), so
/// it cannot be implemented outside tripod.
///
/// ```
/// use tripod::queue::{BaseQueue, Discipline, LifoQueue, PriorityQueue, Queue};
///
/// /// Takes every item waiting now, in the queue's order.
/// fn drain<T, D: Discipline<T>>(q: &BaseQueue<T, D>) -> Vec<T> {
///     std::iter::from_fn(|| q.try_get().ok()).collect()
/// }
///
/// let (fifo, lifo, prio) = (Queue::new(0), LifoQueue::new(0), PriorityQueue::new(0));
/// for n in [2, 3, 1] {
///     fifo.put(n).unwrap();
///     lifo.put(n).unwrap();
///     prio.put(n).unwrap();
/// }
/// assert_eq!(drain(&fifo), [2, 3, 1]);
/// assert_eq!(drain(&lifo), [1, 3, 2]);
/// assert_eq!(drain(&prio), [1, 2, 3]);
/// ```
pub trait Discipline<T>: sealed::Sealed<T> {}

/// First in, first out: `get` returns the oldest item. The discipline of
/// [`Queue`](super::Queue), stored in crossbeam's lock-free queues.
///
/// ```
/// use tripod::queue::{BaseQueue, Fifo, Queue};
///
/// let q: BaseQueue<char, Fifo> = Queue::new(0);
/// q.put('a').unwrap();
/// q.put('b').unwrap();
/// assert_eq!(q.get(), Ok('a'));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Fifo;

/// Last in, first out (a stack): `get` returns the newest item. The discipline of
/// [`LifoQueue`](super::LifoQueue), stored in a `Vec` under a short-held mutex.
///
/// ```
/// use tripod::queue::{BaseQueue, Lifo, LifoQueue};
///
/// let q: BaseQueue<char, Lifo> = LifoQueue::new(0);
/// q.put('a').unwrap();
/// q.put('b').unwrap();
/// assert_eq!(q.get(), Ok('b'));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifo;

/// Lowest first, by `T`'s [`Ord`] (a min-heap, as Python's `heapq`): the discipline of
/// [`PriorityQueue`](super::PriorityQueue), stored in a binary heap under a short-held mutex.
///
/// ```
/// use tripod::queue::{BaseQueue, Priority, PriorityQueue};
///
/// let q: BaseQueue<char, Priority> = PriorityQueue::new(0);
/// q.put('b').unwrap();
/// q.put('a').unwrap();
/// assert_eq!(q.get(), Ok('a'));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Priority;

impl<T> Discipline<T> for Fifo {}
impl<T> Discipline<T> for Lifo {}
impl<T: Ord> Discipline<T> for Priority {}

impl<T> sealed::Sealed<T> for Fifo {
    type Store = FifoStore<T>;
    const NAME: &'static str = "Queue";
}

impl<T> sealed::Sealed<T> for Lifo {
    type Store = LifoStore<T>;
    const NAME: &'static str = "LifoQueue";
}

impl<T: Ord> sealed::Sealed<T> for Priority {
    type Store = HeapStore<T>;
    const NAME: &'static str = "PriorityQueue";
}

pub(crate) mod sealed {
    use super::Store;

    /// What a [`Discipline`](super::Discipline) decides, hidden from users: the storage
    /// behind the queue and the queue's name in `Debug` output.
    pub trait Sealed<T> {
        type Store: Store<Item = T>;
        const NAME: &'static str;
    }
}
