//! The tripod side of the `threads.*` scenarios: tripod's types plugged into the workload
//! traits of `threads.rs`.

use super::threads::{CounterLock, Flag};
use super::threads::{Pipe, Pool as PoolWorkload};
use tripod::futures::{Future, ThreadPoolExecutor};

/// `tripod::futures::ThreadPoolExecutor`: `submit` returns a `Future`, `result` waits on it.
pub struct Pool(ThreadPoolExecutor);

impl PoolWorkload for Pool {
    type Handle = Future<u64>;

    fn with_workers(workers: usize) -> Self {
        Pool(ThreadPoolExecutor::new(workers))
    }

    fn submit(&self, task: impl FnOnce() -> u64 + Send + 'static) -> Self::Handle {
        self.0.submit(task)
    }

    fn result(handle: Self::Handle) -> u64 {
        handle.result().expect("the task ran")
    }
}

/// `tripod::queue::Queue::new(0)` (unbounded); both ends are handles to the same queue.
pub struct Queue;

impl Pipe for Queue {
    type Tx = tripod::queue::Queue<u64>;
    type Rx = tripod::queue::Queue<u64>;

    fn pipe() -> (Self::Tx, Self::Rx) {
        let q = tripod::queue::Queue::new(0);
        (q.clone(), q)
    }

    fn send(tx: &Self::Tx, item: u64) {
        tx.put(item).expect("the queue is not shut down");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.get().expect("the queue is not shut down")
    }
}

/// `tripod::threading::Lock<u64>`.
pub type Lock = tripod::threading::Lock<u64>;

impl CounterLock for Lock {
    fn zero() -> Self {
        tripod::threading::Lock::new(0)
    }

    fn increment(&self) {
        *self.acquire() += 1;
    }

    fn value(&self) -> u64 {
        *self.acquire()
    }
}

/// `tripod::threading::Event`.
pub type Event = tripod::threading::Event;

impl Flag for Event {
    fn cleared() -> Self {
        tripod::threading::Event::new()
    }

    fn set(&self) {
        tripod::threading::Event::set(self);
    }

    fn clear(&self) {
        tripod::threading::Event::clear(self);
    }

    fn wait(&self) {
        tripod::threading::Event::wait(self);
    }
}
