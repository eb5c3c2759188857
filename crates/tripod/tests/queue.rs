//! Behaviour of `tripod::queue`, after CPython's `Lib/test/test_queue.py`: order, bounds,
//! non-blocking and timed calls, task tracking, 3.13 shutdown, many producers and
//! consumers. Events are ordered with channels, barriers and joins, never with sleeps.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use tripod::queue::{
    GetTimeoutError, LifoQueue, PriorityQueue, PutTimeoutError, Queue, ShutDown, SimpleQueue,
    TaskDoneError, TryGetError, TryPutError,
};

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- order

#[test]
fn fifo_returns_items_in_put_order() {
    let q = Queue::new(0);
    for i in [111, 333, 222] {
        q.put(i).unwrap();
    }
    let got: Vec<_> = (0..3).map(|_| q.get().unwrap()).collect();
    assert_eq!(got, [111, 333, 222]);
}

#[test]
fn lifo_returns_last_put_first() {
    let q = LifoQueue::new(0);
    for i in [111, 333, 222] {
        q.put(i).unwrap();
    }
    let got: Vec<_> = (0..3).map(|_| q.get().unwrap()).collect();
    assert_eq!(got, [222, 333, 111]);
}

#[test]
fn priority_returns_lowest_first() {
    let q = PriorityQueue::new(0);
    for item in [(3, "c"), (1, "a"), (2, "b"), (1, "0")] {
        q.put(item).unwrap();
    }
    let got: Vec<_> = (0..4).map(|_| q.get().unwrap()).collect();
    assert_eq!(got, [(1, "0"), (1, "a"), (2, "b"), (3, "c")]);
}

#[test]
fn simple_queue_is_fifo() {
    let q = SimpleQueue::new();
    for i in [111, 333, 222] {
        q.put(i);
    }
    assert_eq!(q.len(), 3);
    assert_eq!([q.get(), q.get(), q.get()], [111, 333, 222]);
    assert_eq!(q.try_get(), None);
    assert!(q.is_empty());
}

// ---------------------------------------------------------------- size and bounds

#[test]
fn len_empty_full_and_maxsize() {
    let q = Queue::new(2);
    assert_eq!(q.maxsize(), 2);
    assert!(q.is_empty() && !q.is_full());
    q.put(1).unwrap();
    assert_eq!(q.len(), 1);
    q.put(2).unwrap();
    assert!(q.is_full());
    assert_eq!(q.try_put(3), Err(TryPutError::Full(3)));
    q.get().unwrap();
    assert!(!q.is_full());

    let unbounded = Queue::new(0);
    for i in 0..1000 {
        unbounded.put(i).unwrap();
    }
    assert!(!unbounded.is_full());
    assert_eq!(unbounded.len(), 1000);
}

#[test]
fn large_maxsize_is_enforced_without_preallocating() {
    let q = Queue::new(100_000);
    for i in 0..100_000 {
        q.try_put(i).unwrap();
    }
    assert!(q.is_full());
    assert_eq!(q.try_put(7).unwrap_err().into_inner(), 7);
    assert_eq!(q.get(), Ok(0));
    assert!(q.try_put(7).is_ok());
}

#[test]
fn try_put_on_full_hands_item_back_for_every_kind() {
    let fifo = Queue::new(1);
    fifo.put(String::from("a")).unwrap();
    assert_eq!(
        fifo.try_put(String::from("b")).unwrap_err().into_inner(),
        "b"
    );

    let lifo = LifoQueue::new(1);
    lifo.put(1).unwrap();
    assert!(lifo.try_put(2).unwrap_err().is_full());

    let prio = PriorityQueue::new(1);
    prio.put(1).unwrap();
    assert_eq!(prio.try_put(0), Err(TryPutError::Full(0)));
}

#[test]
fn try_get_on_empty_is_empty() {
    assert_eq!(Queue::<u8>::new(0).try_get(), Err(TryGetError::Empty));
    assert_eq!(LifoQueue::<u8>::new(0).try_get(), Err(TryGetError::Empty));
    assert_eq!(
        PriorityQueue::<u8>::new(0).try_get(),
        Err(TryGetError::Empty)
    );
}

#[test]
fn blocking_put_on_full_queue_is_released_by_a_get() {
    for maxsize in [1, 100_000] {
        let q = Queue::new(maxsize);
        for i in 0..maxsize {
            q.put(i).unwrap();
        }
        let done = Arc::new(AtomicBool::new(false));
        let putter = {
            let (q, done) = (q.clone(), Arc::clone(&done));
            thread::spawn(move || {
                let result = q.put(usize::MAX);
                done.store(true, Ordering::SeqCst);
                result
            })
        };
        // The queue is full and nobody else gets: the put cannot have finished.
        assert!(!done.load(Ordering::SeqCst));
        assert_eq!(q.get(), Ok(0));
        assert_eq!(putter.join().unwrap(), Ok(()));
        assert_eq!(q.len(), maxsize);
        let mut last = 0;
        for _ in 0..maxsize {
            last = q.get().unwrap();
        }
        assert_eq!(last, usize::MAX);
    }
}

#[test]
fn blocking_get_is_released_by_a_put() {
    let q = LifoQueue::new(0);
    let getter = {
        let q = q.clone();
        thread::spawn(move || q.get())
    };
    q.put("hello").unwrap();
    assert_eq!(getter.join().unwrap(), Ok("hello"));
}

#[test]
fn bounded_priority_queue_blocks_and_releases() {
    let q = PriorityQueue::new(2);
    q.put(5).unwrap();
    q.put(9).unwrap();
    let putter = {
        let q = q.clone();
        thread::spawn(move || q.put(1))
    };
    assert_eq!(q.get(), Ok(5));
    assert_eq!(putter.join().unwrap(), Ok(()));
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get(), Ok(9));
}

// ---------------------------------------------------------------- timeouts

#[test]
fn put_timeout_times_out_after_at_least_the_timeout() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    let start = Instant::now();
    let err = q.put_timeout(2, SHORT).unwrap_err();
    assert!(start.elapsed() >= SHORT);
    assert_eq!(err, PutTimeoutError::Timeout(2));
    assert_eq!(err.into_inner(), 2);
    assert_eq!(q.len(), 1);
}

#[test]
fn get_timeout_times_out_after_at_least_the_timeout() {
    let q: Queue<u8> = Queue::new(0);
    let start = Instant::now();
    assert_eq!(q.get_timeout(SHORT), Err(GetTimeoutError::Timeout));
    assert!(start.elapsed() >= SHORT);

    let s: SimpleQueue<u8> = SimpleQueue::new();
    let start = Instant::now();
    assert_eq!(s.get_timeout(SHORT), None);
    assert!(start.elapsed() >= SHORT);
}

#[test]
fn put_timeout_succeeds_when_space_arrives() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    let putter = {
        let q = q.clone();
        thread::spawn(move || q.put_timeout(2, LONG))
    };
    assert_eq!(q.get(), Ok(1));
    assert_eq!(putter.join().unwrap(), Ok(()));
    assert_eq!(q.get(), Ok(2));
}

#[test]
fn get_timeout_succeeds_when_an_item_arrives() {
    let q = Queue::new(0);
    let s = SimpleQueue::new();
    let getter = {
        let (q, s) = (q.clone(), s.clone());
        thread::spawn(move || (q.get_timeout(LONG), s.get_timeout(LONG)))
    };
    q.put(42).unwrap();
    s.put(43);
    assert_eq!(getter.join().unwrap(), (Ok(42), Some(43)));
}

#[test]
fn deadline_in_the_past_still_takes_an_available_item() {
    let q = Queue::new(1);
    let past = Instant::now();
    assert!(q.put_deadline(1, past).is_ok());
    assert_eq!(q.get_deadline(past), Ok(1));
}

// ---------------------------------------------------------------- task_done / join

#[test]
fn join_returns_only_after_every_task_is_done() {
    let q = Queue::new(0);
    for i in 0..3 {
        q.put(i).unwrap();
    }
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (ack_tx, ack_rx) = mpsc::channel::<()>();
    let worker = {
        let q = q.clone();
        thread::spawn(move || {
            for _ in 0..3 {
                q.get().unwrap();
                release_rx.recv().unwrap();
                q.task_done().unwrap();
                ack_tx.send(()).unwrap();
            }
        })
    };
    for done in 0..3 {
        assert_eq!(q.unfinished_tasks(), 3 - done);
        assert!(
            !q.join_timeout(Duration::from_millis(5)),
            "join returned early"
        );
        release_tx.send(()).unwrap();
        if done < 2 {
            ack_rx.recv().unwrap();
        }
    }
    q.join();
    assert_eq!(q.unfinished_tasks(), 0);
    worker.join().unwrap();
}

#[test]
fn many_joiners_are_all_released() {
    let q = LifoQueue::new(0);
    q.put(1).unwrap();
    let joiners: Vec<_> = (0..3)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || q.join())
        })
        .collect();
    q.get().unwrap();
    q.task_done().unwrap();
    for j in joiners {
        j.join().unwrap();
    }
}

#[test]
fn join_on_fresh_queue_returns_at_once() {
    let q: PriorityQueue<u8> = PriorityQueue::new(0);
    q.join();
    assert!(q.join_timeout(Duration::ZERO));
}

#[test]
fn task_done_more_times_than_puts_is_an_error() {
    let q = Queue::new(0);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put(1).unwrap();
    q.put(2).unwrap();
    q.get().unwrap();
    q.get().unwrap();
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(
        TaskDoneError.to_string(),
        "task_done() called too many times"
    );
}

#[test]
fn refused_puts_do_not_count_tasks() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    assert!(q.try_put(2).is_err());
    assert!(q.put_timeout(3, Duration::from_millis(1)).is_err());
    assert_eq!(q.unfinished_tasks(), 1);
    q.shutdown(false);
    assert!(q.put(4).is_err());
    assert_eq!(q.unfinished_tasks(), 1);
}

// ---------------------------------------------------------------- shutdown (Python 3.13)

#[test]
fn shutdown_refuses_puts_but_drains_items_first() {
    let q = Queue::new(0);
    q.put(1).unwrap();
    q.put(2).unwrap();
    assert!(!q.is_shutdown());
    q.shutdown(false);
    assert!(q.is_shutdown());
    assert_eq!(q.put(3), Err(ShutDown(3)));
    assert_eq!(q.try_put(3), Err(TryPutError::ShutDown(3)));
    assert_eq!(q.put_timeout(3, SHORT), Err(PutTimeoutError::ShutDown(3)));
    assert_eq!(q.len(), 2);
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.try_get(), Ok(2));
    assert_eq!(q.get(), Err(ShutDown(())));
    assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
    assert_eq!(q.get_timeout(SHORT), Err(GetTimeoutError::ShutDown));
    // Items taken before the shutdown are still tracked.
    assert_eq!(q.unfinished_tasks(), 2);
    q.task_done().unwrap();
    q.task_done().unwrap();
    q.join();
}

#[test]
fn shutdown_on_full_queue_reports_shutdown_not_full() {
    let q = Queue::new(1);
    q.put(1).unwrap();
    q.shutdown(false);
    assert_eq!(q.try_put(2), Err(TryPutError::ShutDown(2)));
}

#[test]
fn shutdown_wakes_blocked_putter_with_its_item() {
    for immediate in [false, true] {
        let q = Queue::new(1);
        q.put(String::from("in")).unwrap();
        let start = Arc::new(Barrier::new(2));
        let putter = {
            let (q, start) = (q.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                q.put(String::from("blocked"))
            })
        };
        start.wait();
        q.shutdown(immediate);
        let err = putter.join().unwrap().unwrap_err();
        assert_eq!(err.into_inner(), "blocked");
    }
}

#[test]
fn shutdown_wakes_blocked_getters() {
    for immediate in [false, true] {
        let q: LifoQueue<u8> = LifoQueue::new(0);
        let start = Arc::new(Barrier::new(4));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let (q, start) = (q.clone(), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    q.get()
                })
            })
            .collect();
        start.wait();
        q.shutdown(immediate);
        for g in getters {
            assert_eq!(g.join().unwrap(), Err(ShutDown(())));
        }
    }
}

#[test]
fn immediate_shutdown_drains_and_releases_join() {
    let q = Queue::new(0);
    for i in 0..5 {
        q.put(i).unwrap();
    }
    assert_eq!(q.get(), Ok(0)); // taken, not yet done
    let joiner = {
        let q = q.clone();
        thread::spawn(move || q.join())
    };
    q.shutdown(true);
    assert_eq!(q.len(), 0);
    assert_eq!(q.get(), Err(ShutDown(())));
    assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
    // The four drained items count as done; the one taken is still ours to finish.
    assert_eq!(q.unfinished_tasks(), 1);
    assert!(!q.join_timeout(Duration::from_millis(5)));
    q.task_done().unwrap();
    joiner.join().unwrap();
    assert!(q.join_timeout(Duration::ZERO));
}

#[test]
fn immediate_shutdown_after_graceful_one_still_drains() {
    let q = PriorityQueue::new(0);
    q.put(2).unwrap();
    q.put(1).unwrap();
    q.shutdown(false);
    assert_eq!(q.get(), Ok(1));
    q.shutdown(true);
    assert_eq!(q.get(), Err(ShutDown(())));
    assert_eq!(q.unfinished_tasks(), 1);
}

#[test]
fn dropping_queue_drops_remaining_items() {
    let token = Arc::new(());
    let q = Queue::new(0);
    q.put(Arc::clone(&token)).unwrap();
    let q2 = q.clone();
    drop(q);
    assert_eq!(Arc::strong_count(&token), 2);
    drop(q2);
    assert_eq!(Arc::strong_count(&token), 1);

    let q = Queue::new(0);
    q.put(Arc::clone(&token)).unwrap();
    q.shutdown(true);
    assert_eq!(Arc::strong_count(&token), 1);
}

// ---------------------------------------------------------------- many threads

/// `producers` threads put disjoint ranges; `consumers` threads get until ShutDown and mark
/// every item done. Checks that every item arrives exactly once.
fn exchange<Q>(q: Q, put: fn(&Q, u64), get: fn(&Q) -> Option<u64>, done: fn(&Q), finish: fn(&Q))
where
    Q: Clone + Send + 'static,
{
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: u64 = 5_000;
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(item) = get(&q) {
                    got.push(item);
                    done(&q);
                }
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in p * PER_PRODUCER..(p + 1) * PER_PRODUCER {
                    put(&q, i);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    finish(&q);
    let mut all: Vec<u64> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let n = PRODUCERS * PER_PRODUCER;
    assert_eq!(all.len() as u64, n);
    assert_eq!(all.iter().sum::<u64>(), n * (n - 1) / 2);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len() as u64, n, "an item was delivered twice");
}

#[test]
fn many_producers_many_consumers_fifo() {
    for maxsize in [0, 8, 100_000] {
        exchange(
            Queue::new(maxsize),
            |q, i| q.put(i).unwrap(),
            |q| q.get().ok(),
            |q| q.task_done().unwrap(),
            |q| {
                q.join();
                assert!(q.is_empty());
                q.shutdown(false);
            },
        );
    }
}

#[test]
fn many_producers_many_consumers_lifo_and_priority() {
    exchange(
        LifoQueue::new(8),
        |q, i| q.put(i).unwrap(),
        |q| q.get().ok(),
        |q| q.task_done().unwrap(),
        |q| {
            q.join();
            q.shutdown(false);
        },
    );
    exchange(
        PriorityQueue::new(0),
        |q, i| q.put(i).unwrap(),
        |q| q.get().ok(),
        |q| q.task_done().unwrap(),
        |q| {
            q.join();
            q.shutdown(false);
        },
    );
}

#[test]
fn many_producers_many_consumers_simple_queue() {
    // No shutdown on a SimpleQueue: one sentinel per consumer ends them.
    exchange(
        SimpleQueue::new(),
        |q, i| q.put(i),
        |q| Some(q.get()).filter(|&i| i != u64::MAX),
        |_| {},
        |q| (0..4).for_each(|_| q.put(u64::MAX)),
    );
}

#[test]
fn shutdown_during_traffic_loses_nothing() {
    // Producers race with a graceful shutdown: every accepted item is got exactly once,
    // every refused item comes back to its producer.
    let q = Queue::new(4);
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in p * 10_000..(p + 1) * 10_000 {
                    match q.put(i) {
                        Ok(()) => accepted.push(i),
                        Err(ShutDown(back)) => {
                            assert_eq!(back, i);
                            break;
                        }
                    }
                }
                accepted
            })
        })
        .collect();
    let mut got = Vec::new();
    for _ in 0..1000 {
        got.push(q.get().unwrap());
    }
    q.shutdown(false);
    while let Ok(i) = q.get() {
        got.push(i);
    }
    let mut accepted: Vec<u64> = producers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    accepted.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, accepted);
}

// ---------------------------------------------------------------- handles and traits

#[test]
fn clones_share_one_queue() {
    let a = Queue::new(2);
    let b = a.clone();
    a.put(1).unwrap();
    assert_eq!(b.len(), 1);
    b.put(2).unwrap();
    assert!(a.is_full());
    assert_eq!(a.get(), Ok(1));
    assert_eq!(b.get(), Ok(2));
    b.shutdown(false);
    assert!(a.is_shutdown());

    let s = SimpleQueue::new();
    s.clone().put(5);
    assert_eq!(s.get(), 5);
}

#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<Queue<std::cell::Cell<u8>>>();
    send_sync::<LifoQueue<std::cell::Cell<u8>>>();
    send_sync::<PriorityQueue<u8>>();
    send_sync::<SimpleQueue<std::cell::Cell<u8>>>();
    error::<ShutDown<u8>>();
    error::<ShutDown>();
    error::<TryPutError<u8>>();
    error::<PutTimeoutError<u8>>();
    error::<TryGetError>();
    error::<GetTimeoutError>();
    error::<TaskDoneError>();
}

#[test]
fn debug_does_not_need_item_debug() {
    struct Opaque;
    let q = Queue::new(3);
    q.put(Opaque).unwrap();
    let text = format!("{q:?}");
    assert!(
        text.contains("len: 1") && text.contains("maxsize: 3"),
        "{text}"
    );
    assert_eq!(format!("{:?}", TryPutError::Full(Opaque)), "Full(..)");
    assert_eq!(
        format!("{:?}", PutTimeoutError::Timeout(Opaque)),
        "Timeout(..)"
    );
    assert_eq!(format!("{:?}", ShutDown(Opaque)), "ShutDown(..)");
    assert!(format!("{:?}", LifoQueue::<Opaque>::new(0)).starts_with("LifoQueue"));
    assert!(format!("{:?}", SimpleQueue::<Opaque>::new()).starts_with("SimpleQueue"));
}

#[test]
fn errors_display_and_convert() {
    assert_eq!(TryPutError::Full(1).to_string(), "the queue is full");
    assert_eq!(TryGetError::Empty.to_string(), "the queue is empty");
    assert_eq!(ShutDown(()).to_string(), "the queue is shut down");
    assert_eq!(TryPutError::from(ShutDown(1)), TryPutError::ShutDown(1));
    assert_eq!(TryGetError::from(ShutDown(())), TryGetError::ShutDown);
    assert_eq!(
        GetTimeoutError::from(ShutDown(())),
        GetTimeoutError::ShutDown
    );
    let seen: HashSet<_> = [TryGetError::Empty, TryGetError::ShutDown]
        .into_iter()
        .collect();
    assert_eq!(seen.len(), 2);
}

// ---------------------------------------------------------------- panics in user code

/// An item whose comparison panics when asked to.
#[derive(Debug, PartialEq, Eq)]
struct Touchy {
    value: i32,
    panic_on_compare: bool,
}

impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Touchy {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        assert!(
            !self.panic_on_compare && !other.panic_on_compare,
            "comparison refused"
        );
        self.value.cmp(&other.value)
    }
}

/// A put whose `Ord` panics unwinds out of `put`, but leaves the queue usable: `shutdown`
/// does not wait forever for that put to "finish landing", and the item that did land is
/// still counted and can be got.
#[test]
fn panicking_ord_in_put_does_not_wedge_shutdown() {
    let q = Arc::new(PriorityQueue::new(0));
    q.put(Touchy {
        value: 1,
        panic_on_compare: false,
    })
    .unwrap();
    let put = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        q.put(Touchy {
            value: 0,
            panic_on_compare: true,
        })
    }));
    assert!(put.is_err(), "the comparison should have panicked");

    let (tx, rx) = mpsc::channel();
    let shutter = Arc::clone(&q);
    thread::spawn(move || {
        shutter.shutdown(false);
        tx.send(()).unwrap();
    });
    assert_eq!(rx.recv_timeout(LONG), Ok(()), "shutdown hung");
    assert!(q.is_shutdown());
    assert_eq!(q.unfinished_tasks(), q.len());
}
