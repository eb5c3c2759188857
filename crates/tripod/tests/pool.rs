//! Tests of `tripod::multiprocessing::Pool`: every method, and the failures Python's pool
//! hangs on (a worker killed mid-task, a task that aborts), which tripod turns into one
//! failed task while the pool goes on.
//!
//! Nothing here orders events with sleeps: a task that must be killed while running says
//! so through a process-shared `Event` (given to the workers by the initializer) and
//! waits; the test then kills the pid the task wrote to shared memory. The only sleeps are
//! in tasks waiting to be killed or timed out.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use tripod::multiprocessing::{
    AsyncOptions, Event, Pool, PoolErrorKind, RawArray, RawValue, getpid, getppid,
};

/// Long enough never to expire on a loaded machine; tests finish long before.
const LONG: Duration = Duration::from_secs(30);

fn square(x: u64) -> u64 {
    x * x
}
tripod::task!(square);

fn add(a: i64, b: i64) -> i64 {
    a + b
}
tripod::task!(add);

fn pid_of_worker() -> u32 {
    getpid()
}
tripod::task!(pid_of_worker);

fn boom(x: u32) -> u32 {
    if x == 3 {
        panic!("boom at {x}");
    }
    x
}
tripod::task!(boom);

fn abort_now() -> u32 {
    std::process::abort()
}
tripod::task!(abort_now);

/// Dies of SIGSEGV, as a crash would (sent by `kill`, so no `unsafe` is needed).
fn segfault() -> u32 {
    let me = getpid().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-SEGV", &me])
        .status();
    sleep_forever()
}
tripod::task!(segfault);

fn sleep_forever() -> u32 {
    loop {
        // Sleeping only until the pool kills this worker.
        std::thread::sleep(Duration::from_secs(60));
    }
}
tripod::task!(sleep_forever);

fn not_registered(x: u64) -> u64 {
    x
}

/// What the tasks of the "signal then wait" kind share with the test, set by the
/// initializer in each worker.
struct Shared {
    started: Event,
    pid: RawValue<u32>,
    attempts: RawValue<u32>,
}
static SHARED: OnceLock<Shared> = OnceLock::new();

fn init_shared(started: Event, pid: RawValue<u32>, attempts: RawValue<u32>) {
    let _ = SHARED.set(Shared {
        started,
        pid,
        attempts,
    });
}
tripod::task!(init_shared);

/// Writes its pid, says it started, then waits to be killed.
fn report_then_hang() -> u32 {
    let shared = SHARED.get().expect("the initializer ran");
    shared.pid.set(getpid());
    shared.started.set();
    sleep_forever()
}
tripod::task!(report_then_hang);

/// As [`report_then_hang`], for a map.
fn report_then_hang_on(_: u32) -> u32 {
    report_then_hang()
}
tripod::task!(report_then_hang_on);

fn shared_builder(
    processes: usize,
) -> (tripod::multiprocessing::PoolBuilder, Event, RawValue<u32>) {
    let started = Event::new().unwrap();
    let pid = RawValue::new(0u32).unwrap();
    let attempts = RawValue::new(0u32).unwrap();
    let builder = Pool::builder()
        .processes(processes)
        .initializer(init_shared, (started.clone(), pid.clone(), attempts));
    (builder, started, pid)
}

fn shared_pool(processes: usize) -> (Pool, Event, RawValue<u32>) {
    let (builder, started, pid) = shared_builder(processes);
    (builder.build().unwrap(), started, pid)
}

/// Dies on its first attempt (as counted across workers), succeeds on the next.
fn die_once() -> u32 {
    let shared = SHARED.get().expect("the initializer ran");
    let attempt = shared.attempts.get() + 1;
    shared.attempts.set(attempt);
    if attempt == 1 {
        std::process::abort();
    }
    attempt
}
tripod::task!(die_once);

fn kill(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn pool_is_send_sync_and_results_are_send() {
    fn check<T: Send + Sync>() {}
    fn check_send<T: Send>() {}
    check::<Pool>();
    check_send::<tripod::multiprocessing::AsyncResult<u64>>();
    check::<tripod::multiprocessing::PoolError>();
}

#[test]
fn apply_and_apply_async() {
    let pool = Pool::new(2).unwrap();
    assert_eq!(pool.processes(), 2);
    assert_eq!(pool.apply(add, (2, 40)).unwrap(), 42);
    let results: Vec<_> = (0..20)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    let values: Vec<u64> = results.iter().map(|r| r.get().unwrap()).collect();
    assert_eq!(values, (0..20).map(|i| i * i).collect::<Vec<_>>());
    let r = &results[5];
    assert!(r.ready());
    assert_eq!(r.successful(), Some(true));
    assert!(r.wait_timeout(Duration::ZERO));
    assert_eq!(r.get_timeout(Duration::ZERO).unwrap(), 25);
}

/// `n` bytes, each its index's low byte plus `seed`: a result whose every byte is checked.
fn bytes_of(n: u32, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_add(seed)).collect()
}
tripod::task!(bytes_of);

#[test]
fn results_larger_than_a_batch_or_the_journal_arrive_whole_and_in_place() {
    let pool = Pool::new(2).unwrap();
    // Small and large results interleaved: small answers are held back in batches, a
    // large one (over the worker's 64 KiB journal) goes out with whatever was held.
    let sizes: Vec<u32> = (0..60u32)
        .map(|i| match i % 6 {
            0 => 3 << 20,
            3 => 100 << 10,
            _ => i,
        })
        .collect();
    let results: Vec<_> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| pool.apply_async(bytes_of, (n, i as u8)).unwrap())
        .collect();
    for ((i, &n), result) in sizes.iter().enumerate().zip(&results) {
        let bytes = result.get().unwrap();
        assert!(
            bytes == bytes_of(n, i as u8),
            "result {i} ({n} bytes) arrived changed"
        );
    }
    let mapped = pool
        .starmap(bytes_of, sizes.iter().map(|&n| (n, 7)), Some(4))
        .unwrap();
    assert!(
        mapped
            .iter()
            .zip(&sizes)
            .all(|(b, &n)| *b == bytes_of(n, 7))
    );
}

#[test]
fn workers_are_children_with_pids() {
    let pool = Pool::new(2).unwrap();
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), 2);
    let pid = pool.apply(pid_of_worker, ()).unwrap();
    assert!(pids.contains(&pid), "{pid} not in {pids:?}");
    assert_ne!(pid, getpid());
    fn parent() -> u32 {
        getppid()
    }
    tripod::task!(parent);
    assert_eq!(pool.apply(parent, ()).unwrap(), getpid());
}

#[test]
fn unregistered_function_is_a_typed_error_at_the_call() {
    let pool = Pool::new(1).unwrap();
    let err = pool.apply_async(not_registered, (1,)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::NotRegistered);
    assert!(err.to_string().contains("not_registered"), "{err}");
    let err = pool.map(not_registered, 0..3, None).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::NotRegistered);
    // The pool is untouched.
    assert_eq!(pool.apply(square, (3,)).unwrap(), 9);
}

#[test]
fn map_starmap_and_async_variants() {
    let pool = Pool::new(2).unwrap();
    assert_eq!(
        pool.map(square, 0..10, None).unwrap(),
        [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    );
    assert_eq!(
        pool.map(square, Vec::<u64>::new(), None).unwrap(),
        Vec::<u64>::new()
    );
    let r = pool.map_async(square, 0..5, 2).unwrap();
    r.wait();
    assert_eq!(r.get().unwrap(), [0, 1, 4, 9, 16]);
    assert_eq!(
        pool.starmap(add, vec![(1, 2), (3, 4), (5, 6)], 1).unwrap(),
        [3, 7, 11]
    );
    let r = pool
        .starmap_async(add, (0..6).map(|i| (i, 10)), None)
        .unwrap();
    assert_eq!(r.into_result().unwrap(), [10, 11, 12, 13, 14, 15]);
    let err = pool.map(square, 0..3, 0).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::InvalidArgument);
}

#[test]
fn map_of_ten_thousand_items_with_chunksize() {
    let pool = Pool::new(2).unwrap();
    let expected: Vec<u64> = (0..10_000).map(|i| i * i).collect();
    assert_eq!(pool.map(square, 0..10_000, 100).unwrap(), expected);
    assert_eq!(pool.map(square, 0..10_000, None).unwrap(), expected);
    assert_eq!(pool.map(square, 0..10_000, 7).unwrap(), expected);
}

/// Yields `0..len` but claims, through an exact `size_hint`, to yield `claim` items.
struct Liar {
    next: u64,
    len: u64,
    claim: usize,
}

impl Iterator for Liar {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        (self.next < self.len).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.claim, Some(self.claim))
    }
}

#[test]
fn map_streams_its_items_and_survives_a_wrong_size_hint() {
    let pool = Pool::new(2).unwrap();
    for (len, claim) in [(1000, 10), (10, 1000), (0, 5), (5, 0), (1000, 1000)] {
        let expected: Vec<u64> = (0..len).map(|i| i * i).collect();
        for chunksize in [None, Some(3), Some(2000)] {
            let items = Liar {
                next: 0,
                len,
                claim,
            };
            assert_eq!(
                pool.map(square, items, chunksize).unwrap(),
                expected,
                "{len} items claiming {claim}, chunksize {chunksize:?}"
            );
        }
    }
    // An iterator without an exact length is collected first, as in Python.
    let odd = (0..100u64).filter(|i| i % 2 == 1);
    let expected: Vec<u64> = (0..100u64).filter(|i| i % 2 == 1).map(|i| i * i).collect();
    assert_eq!(pool.map(square, odd, None).unwrap(), expected);
}

#[test]
fn a_map_argument_holding_a_handle_fails_the_map() {
    fn is_set(event: Event) -> bool {
        event.is_set()
    }
    tripod::task!(is_set);
    let pool = Pool::new(1).unwrap();
    let events = vec![Event::new().unwrap(), Event::new().unwrap()];
    let err = pool.map(is_set, events, None).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Encode);
    assert!(err.to_string().contains("initializer"), "{err}");
    // The pool goes on.
    assert_eq!(pool.map(square, 0..3, None).unwrap(), [0, 1, 4]);
}

#[test]
fn a_panicking_task_fails_alone_and_the_worker_survives() {
    let pool = Pool::new(1).unwrap();
    let before = pool.apply(pid_of_worker, ()).unwrap();
    let err = pool.apply(boom, (3,)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Panicked);
    assert_eq!(err.panic().unwrap().message(), "boom at 3");
    assert!(err.to_string().contains("boom at 3"), "{err}");
    assert_eq!(pool.apply(boom, (4,)).unwrap(), 4);
    assert_eq!(
        pool.apply(pid_of_worker, ()).unwrap(),
        before,
        "the worker survived"
    );
    // In a map, the first error is the map's.
    let err = pool.map(boom, 0..10, 2).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Panicked);
}

#[test]
fn a_task_that_aborts_fails_with_worker_lost_and_the_pool_goes_on() {
    let pool = Pool::new(2).unwrap();
    let err = pool.apply(abort_now, ()).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::WorkerLost);
    assert_eq!(err.signal(), Some(6));
    let pid = err.pid().unwrap();
    let text = err.to_string();
    assert!(
        text.contains(&pid.to_string()) && text.contains("signal 6"),
        "{text}"
    );
    // A replacement worker starts; the pool still has two and serves new work.
    let deadline = Instant::now() + LONG;
    while pool.worker_pids().len() < 2 || pool.worker_pids().contains(&pid) {
        assert!(Instant::now() < deadline, "no replacement worker");
        std::thread::yield_now();
    }
    assert_eq!(pool.map(square, 0..100, None).unwrap()[99], 99 * 99);
}

/// For the tests of replies held back: two gates tasks wait at, and how many times each
/// `count_run(i)` ran, in shared memory.
static RUNS: OnceLock<(Event, Event, RawArray<u32>)> = OnceLock::new();

fn init_runs(gate: Event, second_gate: Event, runs: RawArray<u32>) {
    let _ = RUNS.set((gate, second_gate, runs));
}
tripod::task!(init_runs);

fn wait_at_gate() -> u32 {
    let (gate, _, _) = RUNS.get().expect("the initializer ran");
    assert!(gate.wait_timeout(LONG), "the gate never opened");
    0
}
tripod::task!(wait_at_gate);

fn wait_at_second_gate() -> u32 {
    let (_, gate, _) = RUNS.get().expect("the initializer ran");
    assert!(gate.wait_timeout(LONG), "the second gate never opened");
    2
}
tripod::task!(wait_at_second_gate);

/// A pool of one worker with the gates and counters of [`RUNS`].
fn gated_pool() -> (Pool, Event, Event, RawArray<u32>) {
    let gate = Event::new().unwrap();
    let second_gate = Event::new().unwrap();
    let runs = RawArray::<u32>::zeroed(20).unwrap();
    let pool = Pool::builder()
        .processes(1)
        .initializer(init_runs, (gate.clone(), second_gate.clone(), runs.clone()))
        .build()
        .unwrap();
    (pool, gate, second_gate, runs)
}

/// Counts its run (one worker at a time: the pool has one).
fn count_run(i: usize) -> u32 {
    let (_, _, runs) = RUNS.get().expect("the initializer ran");
    let n = runs.get(i).expect("in range") + 1;
    runs.set(i, n);
    n
}
tripod::task!(count_run);

#[test]
fn a_worker_that_dies_with_replies_held_back_loses_none() {
    // One worker, held at a gate while everything below reaches its connection: it then
    // runs the tasks back to back, holding their replies back, and aborts with them held.
    let (pool, gate, _, runs) = gated_pool();
    let first = pool.apply_async(wait_at_gate, ()).unwrap();
    let before: Vec<_> = (0..10)
        .map(|i| pool.apply_async(count_run, (i,)).unwrap())
        .collect();
    let lost = pool.apply_async(abort_now, ()).unwrap();
    let after: Vec<_> = (10..20)
        .map(|i| pool.apply_async(count_run, (i,)).unwrap())
        .collect();
    gate.set();
    assert_eq!(first.get_timeout(LONG).unwrap(), 0);
    // Only the task it ran fails.
    let err = lost.get_timeout(LONG).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::WorkerLost);
    assert_eq!(err.signal(), Some(6));
    // The tasks it had done before are not lost (nor run again), and those behind it
    // run on the replacement, once.
    for (i, result) in before.iter().chain(&after).enumerate() {
        assert_eq!(result.get_timeout(LONG), Ok(1), "task {i}");
    }
    assert_eq!(runs.to_vec(), [1; 20], "each task ran once");
}

/// [`init_runs`], counting the workers started in `inits`.
fn init_runs_counting(gate: Event, second_gate: Event, runs: RawArray<u32>, inits: RawValue<u32>) {
    inits.set(inits.get() + 1);
    init_runs(gate, second_gate, runs);
}
tripod::task!(init_runs_counting);

#[test]
fn a_worker_lost_after_close_with_its_replies_recovered_is_not_replaced() {
    // As above, but the pool is closed: once the lost worker's journal is read back and
    // the task it ran has failed, no work is left, so no replacement is started.
    let gate = Event::new().unwrap();
    let runs = RawArray::<u32>::zeroed(20).unwrap();
    let inits = RawValue::new(0u32).unwrap();
    let args = (
        gate.clone(),
        Event::new().unwrap(),
        runs.clone(),
        inits.clone(),
    );
    let pool = Pool::builder()
        .processes(1)
        .initializer(init_runs_counting, args)
        .build()
        .unwrap();
    let first = pool.apply_async(wait_at_gate, ()).unwrap();
    let before: Vec<_> = (0..10)
        .map(|i| pool.apply_async(count_run, (i,)).unwrap())
        .collect();
    let lost = pool.apply_async(abort_now, ()).unwrap();
    pool.close();
    gate.set();
    pool.join().unwrap();
    assert_eq!(first.get_timeout(LONG), Ok(0));
    assert_eq!(
        lost.get_timeout(LONG).unwrap_err().kind(),
        PoolErrorKind::WorkerLost
    );
    for (i, result) in before.iter().enumerate() {
        assert_eq!(result.get_timeout(LONG), Ok(1), "task {i}");
    }
    assert_eq!(
        inits.get(),
        1,
        "a worker was started after all work was done"
    );
}

#[test]
fn a_reply_held_back_is_not_kept_waiting_by_a_long_task() {
    // The worker, held at the first gate while the rest reach it, runs a quick task and
    // then one that waits at the second gate, which opens only once the quick task's
    // result is in: its reply, held back, must not wait for the long task.
    let (pool, gate, second_gate, runs) = gated_pool();
    let first = pool.apply_async(wait_at_gate, ()).unwrap();
    let quick = pool.apply_async(count_run, (0,)).unwrap();
    let long = pool.apply_async(wait_at_second_gate, ()).unwrap();
    gate.set();
    assert_eq!(first.get_timeout(LONG).unwrap(), 0);
    assert_eq!(quick.get_timeout(LONG), Ok(1), "the quick task's result");
    assert!(!long.ready(), "the long task waits at its gate");
    second_gate.set();
    assert_eq!(long.get_timeout(LONG), Ok(2));
    assert_eq!(runs.get(0), Some(1));
}

#[test]
fn a_worker_killed_mid_task_fails_only_that_task() {
    let (pool, started, pid) = shared_pool(2);
    let victim = pool.apply_async(report_then_hang, ()).unwrap();
    let others: Vec<_> = (0..50)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    assert!(started.wait_timeout(LONG), "the task did not start");
    let worker = pid.get();
    assert!(pool.worker_pids().contains(&worker));
    let killed_at = Instant::now();
    kill(worker);
    let err = victim.get_timeout(LONG).unwrap_err();
    let latency = killed_at.elapsed();
    assert_eq!(err.kind(), PoolErrorKind::WorkerLost);
    assert_eq!(err.pid(), Some(worker));
    assert_eq!(err.signal(), Some(9));
    assert!(err.to_string().contains("signal 9"), "{err}");
    // Generous for a loaded machine; on an idle one this is about a millisecond.
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    for (i, r) in others.iter().enumerate() {
        assert_eq!(r.get_timeout(LONG).unwrap(), (i * i) as u64);
    }
    // The pool serves new work, on a replacement worker.
    assert_eq!(pool.apply(square, (9,)).unwrap(), 81);
    assert!(!pool.worker_pids().contains(&worker));
}

#[test]
fn callbacks_run_on_one_thread_in_completion_order() {
    let pool = Pool::new(2).unwrap();
    let seen: Arc<Mutex<Vec<(u64, ThreadId)>>> = Arc::default();
    let results: Vec<_> = (0..20)
        .map(|i| {
            let seen = Arc::clone(&seen);
            let options = AsyncOptions::new().callback(move |v: &u64| {
                seen.lock().unwrap().push((*v, std::thread::current().id()));
            });
            pool.apply_async_with(square, (i,), options).unwrap()
        })
        .collect();
    // A result is ready only after its callback ran.
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.get().unwrap(), (i * i) as u64);
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 20);
    let threads: HashSet<ThreadId> = seen.iter().map(|(_, t)| *t).collect();
    assert_eq!(threads.len(), 1, "one result thread");
    assert!(!threads.contains(&std::thread::current().id()));
    let mut values: Vec<u64> = seen.iter().map(|(v, _)| *v).collect();
    values.sort();
    assert_eq!(values, (0..20).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn callbacks_follow_completion_order_not_submission_order() {
    // One worker: tasks complete in submission order, so the callbacks must too.
    let pool = Pool::new(1).unwrap();
    let (tx, rx) = mpsc::channel();
    for i in 0..10u64 {
        let tx = tx.clone();
        let options = AsyncOptions::new().callback(move |v: &u64| tx.send(*v).unwrap());
        pool.apply_async_with(square, (i,), options).unwrap();
    }
    pool.close();
    pool.join().unwrap();
    let order: Vec<u64> = rx.try_iter().collect();
    assert_eq!(order, (0..10).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn error_callback_and_a_panicking_callback() {
    let pool = Pool::new(1).unwrap();
    let (tx, rx) = mpsc::channel();
    let options = AsyncOptions::new().error_callback(move |e| tx.send(e.kind()).unwrap());
    let r = pool.apply_async_with(boom, (3,), options).unwrap();
    assert_eq!(r.get().unwrap_err().kind(), PoolErrorKind::Panicked);
    assert_eq!(rx.recv_timeout(LONG).unwrap(), PoolErrorKind::Panicked);
    // A callback that panics is reported, and neither the result nor the pool suffers.
    let options = AsyncOptions::new().callback(|_: &u32| panic!("bad callback"));
    let r = pool.apply_async_with(boom, (1,), options).unwrap();
    assert_eq!(r.get().unwrap(), 1);
    let (tx, rx) = mpsc::channel();
    let options = AsyncOptions::new().callback(move |v: &u32| tx.send(*v).unwrap());
    pool.apply_async_with(boom, (2,), options).unwrap().wait();
    assert_eq!(rx.recv_timeout(LONG).unwrap(), 2);
}

#[test]
fn close_then_join_finishes_the_work_and_refuses_more() {
    let pool = Pool::new(2).unwrap();
    assert_eq!(pool.join().unwrap_err().kind(), PoolErrorKind::StillRunning);
    let results: Vec<_> = (0..30)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    pool.close();
    let err = pool.apply_async(square, (1,)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::NotRunning);
    assert_eq!(
        pool.map(square, 0..3, None).unwrap_err().kind(),
        PoolErrorKind::NotRunning
    );
    pool.join().unwrap();
    assert!(pool.worker_pids().is_empty());
    for (i, r) in results.iter().enumerate() {
        assert!(r.ready(), "join returns after all the work");
        assert_eq!(r.get().unwrap(), (i * i) as u64);
    }
}

#[test]
fn terminate_while_tasks_run() {
    let (pool, started, pid) = shared_pool(1);
    let running = pool.apply_async(report_then_hang, ()).unwrap();
    let queued: Vec<_> = (0..5)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    assert!(started.wait_timeout(LONG));
    let worker = pid.get();
    pool.terminate();
    assert!(pool.worker_pids().is_empty());
    assert_eq!(running.get().unwrap_err().kind(), PoolErrorKind::Terminated);
    for r in &queued {
        assert_eq!(r.get().unwrap_err().kind(), PoolErrorKind::Terminated);
    }
    assert_reaped(worker);
    assert_eq!(
        pool.apply_async(square, (1,)).unwrap_err().kind(),
        PoolErrorKind::NotRunning
    );
    pool.join().unwrap();
}

/// The pid is gone: no process, not even a zombie.
fn assert_reaped(pid: u32) {
    let path = format!("/proc/{pid}/stat");
    let deadline = Instant::now() + LONG;
    while let Ok(stat) = std::fs::read_to_string(&path) {
        // A recycled pid would belong to some other process: not ours as a zombie.
        assert!(Instant::now() < deadline, "{pid} still there: {stat}");
        std::thread::yield_now();
    }
}

#[test]
fn drop_without_close_kills_and_reaps_every_worker() {
    let pool = Pool::new(2).unwrap();
    let pids = pool.worker_pids();
    let pending = pool.apply_async(sleep_forever, ()).unwrap();
    drop(pool);
    assert_eq!(pending.get().unwrap_err().kind(), PoolErrorKind::Terminated);
    for pid in pids {
        assert_reaped(pid);
    }
}

#[test]
fn results_complete_even_if_nobody_waits() {
    let pool = Pool::new(2).unwrap();
    for i in 0..10 {
        drop(pool.apply_async(square, (i,)).unwrap());
    }
    pool.close();
    pool.join().unwrap();
}

#[test]
fn handles_cannot_travel_with_a_task() {
    fn set_it(event: Event) {
        event.set();
    }
    tripod::task!(set_it);
    let pool = Pool::new(1).unwrap();
    let err = pool
        .apply_async(set_it, (Event::new().unwrap(),))
        .unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Encode);
    assert!(err.to_string().contains("initializer"), "{err}");
}

#[test]
fn imap_is_ordered_and_imap_unordered_yields_everything() {
    let pool = Pool::new(2).unwrap();
    let ordered: Vec<u64> = pool
        .imap(square, 0..200, 3)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ordered, (0..200).map(|i| i * i).collect::<Vec<_>>());
    let mut unordered: Vec<u64> = pool
        .imap_unordered(square, 0..200, None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    unordered.sort();
    assert_eq!(unordered, (0..200).map(|i| i * i).collect::<Vec<_>>());
    // One bad item is that item's error; the others still come.
    let results: Vec<_> = pool.imap(boom, 0..6, 2).unwrap().collect();
    assert_eq!(results.len(), 6);
    assert_eq!(
        results[3].as_ref().unwrap_err().kind(),
        PoolErrorKind::Panicked
    );
    assert_eq!(*results[5].as_ref().unwrap(), 5);
    assert_eq!(
        pool.imap(square, Vec::<u64>::new(), None).unwrap().count(),
        0
    );
}

#[test]
fn imap_is_lazy_on_an_endless_input() {
    let pool = Pool::new(2).unwrap();
    let taken = std::cell::Cell::new(0u64);
    let input = (0u64..).inspect(|_| taken.set(taken.get() + 1));
    let mut results = pool.imap(square, input, 4).unwrap();
    for i in 0..1000u64 {
        assert_eq!(results.next().unwrap().unwrap(), i * i);
        // Bounded look-ahead: (2 workers x 2 chunks in flight + 1) x 4 items, rounded
        // up to a whole chunk.
        assert!(
            taken.get() <= i + 1 + 24,
            "took {} for {} results",
            taken.get(),
            i + 1
        );
    }
    drop(results);
    let after = taken.get();
    assert!(after <= 1024, "{after}");
}

#[test]
fn chunksize_edge_cases() {
    let pool = Pool::new(2).unwrap();
    for chunksize in [None, Some(1), Some(3), Some(1000)] {
        assert_eq!(pool.map(square, [7u64], chunksize).unwrap(), [49]);
        assert!(
            pool.map(square, Vec::<u64>::new(), chunksize)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            pool.map(square, 0..10, chunksize).unwrap(),
            (0..10).map(|i| i * i).collect::<Vec<_>>()
        );
        let imap: Vec<u64> = pool
            .imap(square, 0..10, chunksize)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(imap, (0..10).map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(
            pool.imap_unordered(square, Vec::<u64>::new(), chunksize)
                .unwrap()
                .count(),
            0
        );
        assert_eq!(
            pool.starmap(add, [(1, 2)], chunksize).unwrap(),
            [3],
            "{chunksize:?}"
        );
    }
    assert_eq!(
        pool.imap(square, 0..3, 0).unwrap_err().kind(),
        PoolErrorKind::InvalidArgument
    );
    assert_eq!(
        pool.starmap(add, [(1, 2)], 0).unwrap_err().kind(),
        PoolErrorKind::InvalidArgument
    );
}

#[test]
fn terminate_during_an_endless_imap_ends_it() {
    let pool = Pool::new(2).unwrap();
    let mut results = pool.imap(square, 0u64.., 2).unwrap();
    for i in 0..10 {
        assert_eq!(results.next().unwrap().unwrap(), i * i);
    }
    pool.terminate();
    // What was in flight fails (or had finished); the endless input is dropped.
    let rest: Vec<_> = results.by_ref().take(100).collect();
    assert!(rest.len() < 100, "the imap goes on after terminate");
    for r in &rest {
        if let Err(e) = r {
            assert!(
                matches!(
                    e.kind(),
                    PoolErrorKind::Terminated | PoolErrorKind::NotRunning
                ),
                "{e}"
            );
        }
    }
    assert!(results.next().is_none());
    pool.join().unwrap();
}

#[test]
fn empty_map_with_callback_completes_even_with_the_pool_gone() {
    let pool = Pool::new(1).unwrap();
    let (tx, rx) = mpsc::channel();
    let options = AsyncOptions::new().callback(move |v: &Vec<u64>| tx.send(v.len()).unwrap());
    let r = pool
        .map_async_with(square, Vec::<u64>::new(), None, options)
        .unwrap();
    drop(pool);
    assert!(r.wait_timeout(LONG));
    assert_eq!(r.get().unwrap(), Vec::<u64>::new());
    assert_eq!(rx.recv_timeout(LONG).unwrap(), 0);
}

#[test]
fn imap_after_close_goes_on_until_join() {
    let pool = Pool::new(2).unwrap();
    let results = pool.imap(square, 0..50, 1).unwrap();
    pool.close();
    assert_eq!(
        pool.imap(square, 0..3, None).unwrap_err().kind(),
        PoolErrorKind::NotRunning
    );
    let all: Vec<u64> = results.map(Result::unwrap).collect();
    assert_eq!(all.len(), 50);
    pool.join().unwrap();
}

#[test]
fn maxtasksperchild_recycles_workers() {
    let pool = Pool::builder()
        .processes(1)
        .maxtasksperchild(2)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..6)
        .map(|_| pool.apply(pid_of_worker, ()).unwrap())
        .collect();
    assert_eq!(pids[0], pids[1]);
    assert_eq!(pids[2], pids[3]);
    assert_eq!(pids[4], pids[5]);
    let distinct: HashSet<u32> = pids.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{pids:?}");
    // Pipelined work is not lost at a retirement.
    let values = pool.map(square, 0..40, 3).unwrap();
    assert_eq!(values, (0..40).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn initializer_state_is_visible_to_tasks() {
    static PREFIX: OnceLock<String> = OnceLock::new();
    fn set_prefix(prefix: String) {
        PREFIX.set(prefix).unwrap();
    }
    fn with_prefix(x: u32) -> String {
        format!("{}{x}", PREFIX.get().map_or("unset", String::as_str))
    }
    tripod::task!(set_prefix);
    tripod::task!(with_prefix);
    let pool = Pool::builder()
        .processes(2)
        .initializer(set_prefix, ("item-".to_owned(),))
        .build()
        .unwrap();
    assert_eq!(
        pool.map(with_prefix, 0..4, 1).unwrap(),
        ["item-0", "item-1", "item-2", "item-3"]
    );
    // In this (parent) process the initializer never ran.
    assert!(PREFIX.get().is_none());
}

#[test]
fn a_panicking_initializer_breaks_the_pool_without_hanging() {
    fn bad_init() {
        panic!("no database");
    }
    tripod::task!(bad_init);
    let pool = Pool::builder()
        .processes(1)
        .initializer(bad_init, ())
        .build()
        .unwrap();
    let err = pool.apply(square, (2,)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Initializer);
    assert!(err.to_string().contains("no database"), "{err}");
    let err = pool.apply_async(square, (2,)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Initializer);
}

#[test]
fn a_task_over_its_timeout_is_killed_and_fails_alone() {
    let pool = Pool::new(2).unwrap();
    let options = AsyncOptions::new().timeout(Duration::from_millis(100));
    let slow = pool.apply_async_with(sleep_forever, (), options).unwrap();
    let fine: Vec<_> = (0..10)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    let err = slow.get_timeout(LONG).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::TaskTimeout);
    assert_eq!(err.signal(), Some(9));
    let pid = err.pid().unwrap();
    assert!(err.to_string().contains("timeout"), "{err}");
    for (i, r) in fine.iter().enumerate() {
        assert_eq!(r.get_timeout(LONG).unwrap(), (i * i) as u64);
    }
    assert_reaped(pid);
    assert_eq!(pool.apply(square, (5,)).unwrap(), 25);
    // A pool-wide timeout (long enough for a trivial task on a loaded machine).
    let pool = Pool::builder()
        .processes(1)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert_eq!(
        pool.apply(sleep_forever, ()).unwrap_err().kind(),
        PoolErrorKind::TaskTimeout
    );
    assert_eq!(pool.apply(square, (3,)).unwrap(), 9);
}

#[test]
fn max_retries_runs_a_lost_task_again() {
    let (builder, _, _) = shared_builder(1);
    let pool = builder.max_retries(1).build().unwrap();
    assert_eq!(pool.apply(die_once, ()).unwrap(), 2);
    // Without retries the same task fails.
    let (builder, _, _) = shared_builder(1);
    let pool = builder.build().unwrap();
    assert_eq!(
        pool.apply(die_once, ()).unwrap_err().kind(),
        PoolErrorKind::WorkerLost
    );
    assert_eq!(pool.apply(die_once, ()).unwrap(), 2);
}

#[test]
fn cancelling_a_running_task_kills_its_worker_and_the_pool_goes_on() {
    let (pool, started, pid) = shared_pool(1);
    let running = pool.apply_async(report_then_hang, ()).unwrap();
    // One worker, two chunks in flight: this one is in its socket, not started.
    let sent = pool.apply_async(sleep_forever, ()).unwrap();
    let queued = pool.apply_async(sleep_forever, ()).unwrap();
    let after = pool.apply_async(pid_of_worker, ()).unwrap();
    assert!(started.wait_timeout(LONG), "the task did not start");
    let worker = pid.get();
    // Cancelling what has not started kills nobody.
    assert!(queued.cancel());
    assert!(sent.cancel());
    for r in [&queued, &sent] {
        let err = r.get_timeout(LONG).unwrap_err();
        assert_eq!((err.kind(), err.pid()), (PoolErrorKind::Cancelled, None));
    }
    assert_eq!(pool.worker_pids(), [worker]);
    assert!(!running.ready());
    // Cancelling the running task kills its worker; the error says so.
    assert!(running.cancel());
    let err = running.get_timeout(LONG).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Cancelled);
    assert_eq!((err.pid(), err.signal()), (Some(worker), Some(9)));
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(running.cancel(), "still cancelled");
    // The cancelled tasks never run again (else `after` would wait behind a sleeper), and
    // the pool serves on a replacement worker.
    let ran_on = after.get_timeout(LONG).unwrap();
    assert_ne!(ran_on, worker);
    assert_reaped(worker);
    assert_eq!(pool.apply(square, (8,)).unwrap(), 64);
    // A complete result cannot be cancelled.
    let done = pool.apply_async(square, (2,)).unwrap();
    assert_eq!(done.get_timeout(LONG).unwrap(), 4);
    assert!(!done.cancel());
    assert_eq!(done.get().unwrap(), 4);
}

#[test]
fn cancelling_a_map_stops_all_its_chunks() {
    let (pool, started, pid) = shared_pool(2);
    let (tx, rx) = mpsc::channel();
    let options = AsyncOptions::new().error_callback(move |e| tx.send(e.kind()).unwrap());
    let map = pool
        .map_async_with(report_then_hang_on, 0..6, 1, options)
        .unwrap();
    assert!(started.wait_timeout(LONG));
    let worker = pid.get();
    assert!(map.cancel());
    assert_eq!(rx.recv_timeout(LONG).unwrap(), PoolErrorKind::Cancelled);
    assert_eq!(
        map.get_timeout(LONG).unwrap_err().kind(),
        PoolErrorKind::Cancelled
    );
    assert_reaped(worker);
    // Nothing of the map is left running: the pool has its two workers for new work.
    assert_eq!(
        pool.map(square, 0..20, 1).unwrap(),
        (0..20).map(|i| i * i).collect::<Vec<_>>()
    );
    let deadline = Instant::now() + LONG;
    while pool.worker_pids().len() != 2 {
        assert!(Instant::now() < deadline, "{:?}", pool.worker_pids());
        std::thread::yield_now();
    }
    pool.close();
    pool.join().unwrap();
}

#[test]
fn a_task_that_exits_fails_with_its_exit_code() {
    fn leave() -> u32 {
        std::process::exit(7)
    }
    tripod::task!(leave);
    let pool = Pool::new(1).unwrap();
    let err = pool.apply(leave, ()).unwrap_err();
    assert_eq!(
        (err.kind(), err.exitcode()),
        (PoolErrorKind::WorkerLost, Some(7))
    );
    assert!(err.to_string().contains("code 7"), "{err}");
}

#[test]
fn fork_server_workers() {
    let pool = Pool::builder()
        .processes(2)
        .start_method(tripod::multiprocessing::StartMethod::ForkServer)
        .build()
        .unwrap();
    assert_eq!(pool.map(square, 0..100, None).unwrap()[10], 100);
    let err = pool.apply(abort_now, ()).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::WorkerLost);
    assert_eq!(pool.apply(square, (4,)).unwrap(), 16);
}

mod executor {
    use super::*;
    use tripod::futures::{
        Call, Executor, FutureErrorKind, ProcessPoolExecutor, ReturnWhen, as_completed, wait,
    };

    #[test]
    fn submit_map_wait_and_as_completed() {
        let executor = ProcessPoolExecutor::new(2).unwrap();
        assert_eq!(executor.max_workers(), 2);
        let futures: Vec<_> = (0..10).map(|i| executor.submit(square, (i,))).collect();
        let outcome = wait(&futures, Some(LONG), ReturnWhen::AllCompleted);
        assert_eq!(outcome.done.len(), 10);
        assert!(outcome.not_done.is_empty());
        let sum: u64 = as_completed(&futures, Some(LONG))
            .map(|f| f.unwrap().result().unwrap())
            .sum();
        assert_eq!(sum, (0..10).map(|i| i * i).sum());
        let squares: Result<Vec<u64>, _> = executor.map(square, 0..6).collect();
        assert_eq!(squares.unwrap(), [0, 1, 4, 9, 16, 25]);
        let all: Vec<_> = executor.map_timeout(add_one, 0..3, LONG).collect();
        assert_eq!(all, [Ok(1), Ok(2), Ok(3)]);
        // Through the trait, with the task as a Call.
        let fut = Executor::submit(&executor, Call::new(add, (20, 22)));
        assert_eq!(fut.result(), Ok(42));
    }

    fn add_one(x: u64) -> u64 {
        x + 1
    }
    tripod::task!(add_one);

    #[test]
    fn a_lost_worker_fails_only_its_future() {
        let executor = ProcessPoolExecutor::new(2).unwrap();
        let fine: Vec<_> = (0..20).map(|i| executor.submit(square, (i,))).collect();
        let lost = executor.submit(abort_now, ());
        let err = lost.result().unwrap_err();
        assert_eq!(err.kind(), FutureErrorKind::WorkerLost);
        assert_eq!(err.pool_error().unwrap().signal(), Some(6));
        for (i, f) in fine.iter().enumerate() {
            assert_eq!(f.result().unwrap(), (i * i) as u64);
        }
        // The executor is not broken (Python's would be).
        assert_eq!(executor.submit(square, (7,)).result(), Ok(49));
        let err = executor.submit(boom, (3,)).result().unwrap_err();
        assert_eq!(err.kind(), FutureErrorKind::Panicked);
        assert_eq!(err.panic().unwrap().message(), "boom at 3");
    }

    #[test]
    fn first_exception_and_running_state() {
        let (builder, started, pid) = shared_builder(1);
        let executor = ProcessPoolExecutor::from_builder(builder).unwrap();
        let hang = executor.submit(report_then_hang, ());
        assert!(started.wait_timeout(LONG));
        // The worker said it began the call.
        let deadline = Instant::now() + LONG;
        while !hang.running() {
            assert!(Instant::now() < deadline, "never running");
            std::thread::yield_now();
        }
        let queued = executor.submit(square, (2,));
        assert!(queued.cancel(), "a queued one can");
        kill(pid.get());
        let outcome = wait(
            std::slice::from_ref(&hang),
            Some(LONG),
            ReturnWhen::FirstException,
        );
        assert_eq!(outcome.done.len(), 1);
        assert_eq!(
            hang.result().unwrap_err().kind(),
            FutureErrorKind::WorkerLost
        );
        assert_eq!(
            queued.result().unwrap_err().kind(),
            FutureErrorKind::Cancelled
        );
        assert_eq!(executor.submit(square, (3,)).result(), Ok(9));
    }

    #[test]
    fn cancelling_a_running_future_kills_its_worker() {
        let (builder, started, pid) = shared_builder(1);
        let executor = ProcessPoolExecutor::from_builder(builder).unwrap();
        let hang = executor.submit(report_then_hang, ());
        let next = executor.submit(pid_of_worker, ());
        assert!(started.wait_timeout(LONG));
        let worker = pid.get();
        let deadline = Instant::now() + LONG;
        while !hang.running() {
            assert!(Instant::now() < deadline, "never running");
            std::thread::yield_now();
        }
        // Python's cancel() returns False here; tripod's kills the worker.
        assert!(hang.cancel());
        assert!(hang.cancelled() && hang.done());
        assert_eq!(
            hang.result().unwrap_err().kind(),
            FutureErrorKind::Cancelled
        );
        assert!(hang.cancel(), "cancelled stays cancelled");
        // The call sent behind it runs on the replacement worker.
        let ran_on = next.result_timeout(LONG).unwrap();
        assert_ne!(ran_on, worker);
        assert_reaped(worker);
        assert_eq!(executor.submit(square, (5,)).result(), Ok(25));
        // A finished future cannot be cancelled.
        let done = executor.submit(square, (3,));
        assert_eq!(done.result(), Ok(9));
        assert!(!done.cancel());
    }

    #[test]
    fn shutdown_semantics() {
        let executor = ProcessPoolExecutor::new(1).unwrap();
        let before: Vec<_> = (0..5).map(|i| executor.submit(square, (i,))).collect();
        executor.shutdown(true, false);
        for (i, f) in before.iter().enumerate() {
            assert_eq!(f.result().unwrap(), (i * i) as u64);
        }
        let err = executor.submit(square, (1,)).result().unwrap_err();
        assert_eq!(err.kind(), FutureErrorKind::ShutDown);
        executor.shutdown(true, true);

        // cancel_futures cancels what no worker has begun.
        let (builder, started, pid) = shared_builder(1);
        let executor = ProcessPoolExecutor::from_builder(builder).unwrap();
        let running = executor.submit(report_then_hang, ());
        let queued: Vec<_> = (0..5).map(|i| executor.submit(square, (i,))).collect();
        assert!(started.wait_timeout(LONG));
        // The pool has heard from the worker that it began the call.
        let deadline = Instant::now() + LONG;
        while !running.running() {
            assert!(Instant::now() < deadline, "never running");
            std::thread::yield_now();
        }
        executor.shutdown(false, true);
        for f in &queued {
            assert_eq!(f.result().unwrap_err().kind(), FutureErrorKind::Cancelled);
        }
        assert!(!running.done());
        kill(pid.get());
        drop(executor); // waits for the running task, which the kill ended
        assert_eq!(
            running.result().unwrap_err().kind(),
            FutureErrorKind::WorkerLost
        );
    }

    #[test]
    fn unregistered_and_unencodable_calls_fail_in_the_future() {
        let executor = ProcessPoolExecutor::new(1).unwrap();
        let err = executor.submit(not_registered, (1,)).result().unwrap_err();
        assert_eq!(err.kind(), FutureErrorKind::Broken);
        assert_eq!(
            err.pool_error().unwrap().kind(),
            PoolErrorKind::NotRegistered
        );
    }
}

#[test]
fn progress_callbacks_for_map_and_imap() {
    use tripod::multiprocessing::Progress;
    let pool = Pool::new(2).unwrap();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let record = Arc::clone(&seen);
    let options = AsyncOptions::new().progress(move |p: Progress| record.lock().unwrap().push(p));
    let squares = pool.map_async_with(square, 0..100, 10, options).unwrap();
    assert_eq!(squares.into_result().unwrap().len(), 100);
    let seen = seen.lock().unwrap();
    // One report per chunk, counting up to the total, the last one before the result.
    assert_eq!(seen.len(), 10);
    let done: Vec<usize> = seen.iter().map(Progress::done).collect();
    assert_eq!(done, (1..=10).map(|i| i * 10).collect::<Vec<_>>());
    assert!(seen.iter().all(|p| p.total() == Some(100)));
    assert_eq!(seen.last().unwrap().fraction(), Some(1.0));
    assert!(seen.windows(2).all(|w| w[0].elapsed() <= w[1].elapsed()));

    // imap over an input of unknown length: no total.
    let (tx, rx) = mpsc::channel();
    let results = pool
        .imap(square, (0..5u64).filter(|_| true), 2)
        .unwrap()
        .progress(move |p: Progress| tx.send((p.done(), p.total())).unwrap());
    assert_eq!(results.count(), 5);
    let reports: Vec<_> = rx.try_iter().collect();
    assert_eq!(reports, (1..=5).map(|i| (i, None)).collect::<Vec<_>>());

    // A progress bar (not drawn: stderr is not a terminal here) changes no result.
    let options = AsyncOptions::new().progress_bar();
    let r = pool
        .starmap_async_with(add, (0..50).map(|i| (i, 1)), 5, options)
        .unwrap();
    assert_eq!(r.into_result().unwrap(), (1..=50).collect::<Vec<i64>>());
    let sum: u64 = pool
        .imap_unordered(square, 0..50, 5)
        .unwrap()
        .progress_bar()
        .map(Result::unwrap)
        .sum();
    assert_eq!(sum, (0..50).map(|i| i * i).sum());
}

#[test]
fn work_sent_to_a_dead_worker_but_not_started_runs_on_its_replacement() {
    // One worker: the second call is in its socket (pipelined) when it is killed.
    let (pool, started, pid) = shared_pool(1);
    let victim = pool.apply_async(report_then_hang, ()).unwrap();
    let queued = pool.apply_async(pid_of_worker, ()).unwrap();
    assert!(started.wait_timeout(LONG));
    let dead = pid.get();
    kill(dead);
    assert_eq!(
        victim.get_timeout(LONG).unwrap_err().kind(),
        PoolErrorKind::WorkerLost
    );
    let ran_on = queued.get_timeout(LONG).unwrap();
    assert_ne!(ran_on, dead, "it ran on the replacement");
    assert_eq!(pool.worker_pids(), [ran_on]);
}

#[test]
fn a_segfaulting_task_fails_with_worker_lost() {
    let pool = Pool::new(2).unwrap();
    let others: Vec<_> = (0..10)
        .map(|i| pool.apply_async(square, (i,)).unwrap())
        .collect();
    let err = pool.apply(segfault, ()).unwrap_err();
    assert_eq!(
        (err.kind(), err.signal()),
        (PoolErrorKind::WorkerLost, Some(11))
    );
    assert!(err.to_string().contains("SIGSEGV"), "{err}");
    for (i, r) in others.iter().enumerate() {
        assert_eq!(r.get_timeout(LONG).unwrap(), (i * i) as u64);
    }
    assert_eq!(pool.apply(square, (6,)).unwrap(), 36);
}
