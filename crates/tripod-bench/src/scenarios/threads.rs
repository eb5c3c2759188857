//! `threads.*`: thread pools, queues, locks and events between OS threads.
//!
//! Each workload is written once, generic over a small trait ([`Pool`], [`Pipe`],
//! [`CounterLock`], [`Flag`]), and each implementation (tripod, the Rust peers) plugs into
//! it, so that every implementation runs exactly the same loop. The tripod implementations
//! live in `threads_tripod.rs`. Every workload checks its
//! result (a sum) so that it cannot silently measure nothing.
//!
//! Python peers: `python/threads.<name>.py`. Where Python is slow, it runs a smaller
//! workload (the metrics are rates, so they compare across sizes); each script says so.

use crate::scenario::{Ctx, Metric, Scenario};
use crossbeam_channel as cb;
use std::hint::black_box;
use std::sync::{Barrier, Condvar};
use std::thread;
use std::time::{Duration, Instant};

use super::threads_tripod as tripod_impls;

/// The `threads.*` scenarios.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "threads.executor",
        description: "100k submit + result on a 4-worker pool (tasks/s): ThreadPoolExecutor, rayon",
        run: executor,
    },
    Scenario {
        name: "threads.queue",
        description: "1M items, one producer thread -> one consumer thread, unbounded (items/s)",
        run: queue,
    },
    Scenario {
        name: "threads.lock",
        description: "lock acquire+release, uncontended (1 thread) and contended (2 threads) (ops/s)",
        run: lock,
    },
    Scenario {
        name: "threads.event",
        description: "Event ping-pong between two threads (round trips/s)",
        run: event,
    },
];

// ---------------------------------------------------------------------------------------
// threads.executor

const WORKERS: usize = 4;
const TASKS: Metric = Metric::rate("throughput", "tasks/s");

/// A thread pool whose `submit` hands back a handle to the task's result.
pub trait Pool: Sized {
    /// The handle `submit` returns.
    type Handle;
    /// A pool of `workers` threads.
    fn with_workers(workers: usize) -> Self;
    /// Submits a task.
    fn submit(&self, task: impl FnOnce() -> u64 + Send + 'static) -> Self::Handle;
    /// Waits for the task's result.
    fn result(handle: Self::Handle) -> u64;
}

/// Submits `n` tasks, then waits for each result in submission order (Python's
/// `futs = [pool.submit(f, i) for i in ...]; [f.result() for f in futs]`).
fn submit_then_result<P: Pool>(pool: &P, n: u64) -> Duration {
    let start = Instant::now();
    let handles: Vec<P::Handle> = (0..n)
        .map(|i| pool.submit(move || black_box(i) * 2))
        .collect();
    let sum: u64 = handles.into_iter().map(P::result).sum();
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1), "every task ran once");
    elapsed
}

/// rayon's closest equivalent of submit + result: `ThreadPool::spawn` (fire and forget, onto
/// the pool's injector queue) with a one-slot channel per task as the result handle. The
/// per-task channel is what a future is (a shared slot plus a wake-up), so both sides pay
/// for one result slot per task; `scope` or `join` would let rayon batch and skip that.
pub struct RayonPool(rayon::ThreadPool);

impl Pool for RayonPool {
    type Handle = cb::Receiver<u64>;

    fn with_workers(workers: usize) -> Self {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .expect("build a rayon pool");
        RayonPool(pool)
    }

    fn submit(&self, task: impl FnOnce() -> u64 + Send + 'static) -> Self::Handle {
        let (tx, rx) = cb::bounded(1);
        self.0.spawn(move || {
            let _ = tx.send(task());
        });
        rx
    }

    fn result(handle: Self::Handle) -> u64 {
        handle.recv().expect("the task sends its result")
    }
}

fn executor_with<P: Pool>(ctx: &mut Ctx<'_>, name: &str, n: u64) {
    // One pool for the warm-up and the timed runs: the warm-up starts its threads.
    let pool = P::with_workers(WORKERS);
    ctx.rate(name, TASKS, n, || submit_then_result(&pool, n));
}

fn executor(ctx: &mut Ctx<'_>) {
    let n = ctx.size(100_000);
    executor_with::<tripod_impls::Pool>(ctx, "tripod", n);
    executor_with::<RayonPool>(ctx, "rayon", n);
    ctx.python_peers();
}

// ---------------------------------------------------------------------------------------
// threads.queue

const ITEMS: Metric = Metric::rate("throughput", "items/s");

/// An unbounded channel between two threads.
pub trait Pipe {
    /// The producer's end.
    type Tx: Send + 'static;
    /// The consumer's end.
    type Rx;
    /// A new, empty channel.
    fn pipe() -> (Self::Tx, Self::Rx);
    /// Puts an item.
    fn send(tx: &Self::Tx, item: u64);
    /// Takes an item, blocking while there is none.
    fn recv(rx: &Self::Rx) -> u64;
}

/// crossbeam-channel `unbounded`.
pub struct Crossbeam;

impl Pipe for Crossbeam {
    type Tx = cb::Sender<u64>;
    type Rx = cb::Receiver<u64>;

    fn pipe() -> (Self::Tx, Self::Rx) {
        cb::unbounded()
    }

    fn send(tx: &Self::Tx, item: u64) {
        tx.send(item).expect("the receiver is alive");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("the sender is alive")
    }
}

/// Sends `n` items from a new producer thread to this thread; timed from the spawn to the
/// last item received.
fn transfer<P: Pipe>(n: u64) -> Duration {
    let (tx, rx) = P::pipe();
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..n {
            P::send(&tx, i);
        }
        tx
    });
    let mut sum = 0u64;
    for _ in 0..n {
        sum += P::recv(&rx);
    }
    let elapsed = start.elapsed();
    drop(producer.join().expect("the producer does not panic"));
    assert_eq!(sum, n * (n - 1) / 2, "every item arrived once");
    elapsed
}

fn queue(ctx: &mut Ctx<'_>) {
    let n = ctx.size(1_000_000);
    ctx.rate("tripod", ITEMS, n, || transfer::<tripod_impls::Queue>(n));
    ctx.rate("crossbeam", ITEMS, n, || transfer::<Crossbeam>(n));
    ctx.python_peers();
}

// ---------------------------------------------------------------------------------------
// threads.lock

const UNCONTENDED: Metric = Metric::rate("uncontended", "ops/s");
const CONTENDED: Metric = Metric::rate("contended", "ops/s");

/// A counter behind a lock: `increment` is one acquire, `+= 1`, release.
pub trait CounterLock: Send + Sync {
    /// A counter at zero.
    fn zero() -> Self;
    /// Acquires the lock, increments the counter, releases the lock.
    fn increment(&self);
    /// The counter's value.
    fn value(&self) -> u64;
}

impl CounterLock for parking_lot::Mutex<u64> {
    fn zero() -> Self {
        parking_lot::Mutex::new(0)
    }

    fn increment(&self) {
        *self.lock() += 1;
    }

    fn value(&self) -> u64 {
        *self.lock()
    }
}

impl CounterLock for std::sync::Mutex<u64> {
    fn zero() -> Self {
        std::sync::Mutex::new(0)
    }

    fn increment(&self) {
        *self.lock().expect("not poisoned") += 1;
    }

    fn value(&self) -> u64 {
        *self.lock().expect("not poisoned")
    }
}

/// `n` increments on this thread.
fn uncontended<L: CounterLock>(n: u64) -> Duration {
    let lock = L::zero();
    let start = Instant::now();
    for _ in 0..n {
        black_box(&lock).increment();
    }
    let elapsed = start.elapsed();
    assert_eq!(lock.value(), n);
    elapsed
}

/// Two threads, `n` increments each, released together by a barrier; timed from the
/// release to the end of the slower thread, and `2 * n` operations.
fn contended<L: CounterLock>(n: u64) -> Duration {
    let lock = L::zero();
    let barrier = Barrier::new(3);
    // The scope joins the two threads before it returns the start time.
    let start = thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..n {
                    lock.increment();
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    let elapsed = start.elapsed();
    assert_eq!(lock.value(), 2 * n);
    elapsed
}

fn lock_with<L: CounterLock>(ctx: &mut Ctx<'_>, name: &str) {
    let n = ctx.size(10_000_000);
    ctx.rate(name, UNCONTENDED, n, || uncontended::<L>(n));
    let n = ctx.size(1_000_000);
    ctx.rate(name, CONTENDED, 2 * n, || contended::<L>(n));
}

fn lock(ctx: &mut Ctx<'_>) {
    lock_with::<tripod_impls::Lock>(ctx, "tripod");
    lock_with::<parking_lot::Mutex<u64>>(ctx, "parking_lot");
    lock_with::<std::sync::Mutex<u64>>(ctx, "std");
    ctx.python_peers();
}

// ---------------------------------------------------------------------------------------
// threads.event

const ROUND_TRIPS: Metric = Metric::rate("ping_pong", "round trips/s");

/// A Python-style event: a flag that threads can wait to be set.
pub trait Flag: Send + Sync {
    /// A cleared flag.
    fn cleared() -> Self;
    /// Sets the flag, waking every waiter.
    fn set(&self);
    /// Clears the flag.
    fn clear(&self);
    /// Blocks until the flag is set.
    fn wait(&self);
}

/// The textbook event (and CPython's `threading.Event`): a flag under a std `Mutex` with a
/// `Condvar`.
pub struct CondvarEvent {
    flag: std::sync::Mutex<bool>,
    changed: Condvar,
}

impl Flag for CondvarEvent {
    fn cleared() -> Self {
        CondvarEvent {
            flag: std::sync::Mutex::new(false),
            changed: Condvar::new(),
        }
    }

    fn set(&self) {
        *self.flag.lock().expect("not poisoned") = true;
        self.changed.notify_all();
    }

    fn clear(&self) {
        *self.flag.lock().expect("not poisoned") = false;
    }

    fn wait(&self) {
        let flag = self.flag.lock().expect("not poisoned");
        drop(
            self.changed
                .wait_while(flag, |set| !*set)
                .expect("not poisoned"),
        );
    }
}

/// `n` round trips: this thread sets `ping` and waits for `pong`; the other waits for
/// `ping`, clears it and sets `pong`.
fn ping_pong<F: Flag>(n: u64) -> Duration {
    let (ping, pong) = (F::cleared(), F::cleared());
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..n {
                ping.wait();
                ping.clear();
                pong.set();
            }
        });
        let start = Instant::now();
        for _ in 0..n {
            ping.set();
            pong.wait();
            pong.clear();
        }
        start.elapsed()
    })
}

/// The same round trips through two crossbeam rendezvous channels (`bounded(0)`).
fn rendezvous(n: u64) -> Duration {
    let (ping_tx, ping_rx) = cb::bounded::<u64>(0);
    let (pong_tx, pong_rx) = cb::bounded::<u64>(0);
    thread::scope(|s| {
        s.spawn(move || {
            for _ in 0..n {
                let i = ping_rx.recv().expect("ping");
                pong_tx.send(i).expect("pong");
            }
        });
        let start = Instant::now();
        for i in 0..n {
            ping_tx.send(i).expect("ping");
            assert_eq!(pong_rx.recv().expect("pong"), i);
        }
        start.elapsed()
    })
}

fn event(ctx: &mut Ctx<'_>) {
    let n = ctx.size(20_000);
    ctx.rate("tripod", ROUND_TRIPS, n, || {
        ping_pong::<tripod_impls::Event>(n)
    });
    ctx.rate("std-condvar", ROUND_TRIPS, n, || {
        ping_pong::<CondvarEvent>(n)
    });
    ctx.rate("crossbeam-rendezvous", ROUND_TRIPS, n, || rendezvous(n));
    ctx.python_peers();
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tiny sizes: these check that each workload runs and verifies itself, not speed.

    #[test]
    fn executor_workload_runs() {
        let pool = RayonPool::with_workers(2);
        assert!(submit_then_result(&pool, 100) > Duration::ZERO);
        let pool = tripod_impls::Pool::with_workers(2);
        assert!(submit_then_result(&pool, 100) > Duration::ZERO);
    }

    #[test]
    fn queue_workload_runs() {
        assert!(transfer::<Crossbeam>(1000) > Duration::ZERO);
        assert!(transfer::<tripod_impls::Queue>(1000) > Duration::ZERO);
    }

    #[test]
    fn lock_workloads_run() {
        uncontended::<parking_lot::Mutex<u64>>(1000);
        uncontended::<std::sync::Mutex<u64>>(1000);
        contended::<parking_lot::Mutex<u64>>(1000);
        contended::<std::sync::Mutex<u64>>(1000);
    }

    #[test]
    fn event_workloads_run() {
        assert!(ping_pong::<CondvarEvent>(100) > Duration::ZERO);
        assert!(rendezvous(100) > Duration::ZERO);
    }
}
