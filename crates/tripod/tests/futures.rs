//! Behaviour of `tripod::futures`, after CPython's `test_concurrent_futures` (executor,
//! future, wait, as_completed, thread pool, shutdown and initializer tests), in our own
//! words. Events are ordered with channels and barriers, never with sleeps.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use tripod::futures::{
    AsCompleted, DoneAndNotDone, Executor, Future, FutureError, FutureErrorKind, Map, Promise,
    ReturnWhen, ThreadPoolBuildError, ThreadPoolBuilder, ThreadPoolExecutor, as_completed, wait,
};

/// A task body that says it started, then blocks until released.
fn gated(started: Sender<()>, gate: Receiver<()>) -> impl FnOnce() + Send + 'static {
    move || {
        started.send(()).unwrap();
        gate.recv().unwrap();
    }
}

/// Submits a task that blocks until the returned sender is used (or dropped), and waits
/// until it is running.
fn submit_blocked(pool: &ThreadPoolExecutor) -> (Future<()>, Sender<()>) {
    let (started_tx, started) = channel();
    let (release, gate) = channel();
    let fut = pool.submit(gated(started_tx, gate));
    started.recv().unwrap();
    (fut, release)
}

#[test]
fn submit_and_result() {
    let pool = ThreadPoolExecutor::new(2);
    let fut = pool.submit(|| 2 + 3);
    assert_eq!(fut.result(), Ok(5));
    assert!(fut.done());
    assert!(!fut.running());
    assert!(!fut.cancelled());
    assert!(fut.exception().is_none());
    // A result can be read many times, from any handle.
    assert_eq!(fut.clone().result(), Ok(5));
}

#[test]
fn panicking_task_is_a_typed_error_and_the_worker_survives() {
    let pool = ThreadPoolExecutor::new(1);
    let name_before = pool
        .submit(|| thread::current().name().unwrap().to_owned())
        .result()
        .unwrap();
    let fut = pool.submit(|| -> u32 { panic!("task failed: {}", 7) });
    let err = fut.result().unwrap_err();
    assert_eq!(err.kind(), FutureErrorKind::Panicked);
    assert_eq!(err.panic().unwrap().message(), "task failed: 7");
    assert_eq!(fut.exception(), Some(err.clone()));
    assert!(fut.done());
    // The same (only) worker keeps serving.
    let name_after = pool
        .submit(|| thread::current().name().unwrap().to_owned())
        .result()
        .unwrap();
    assert_eq!(name_before, name_after);
    assert_eq!(pool.submit(|| 10).result(), Ok(10));
}

#[test]
fn result_timeout_on_a_blocked_task() {
    let pool = ThreadPoolExecutor::new(1);
    let (release, gate) = channel::<i32>();
    let fut = pool.submit(move || gate.recv().unwrap());
    let err = fut.result_timeout(Duration::from_millis(20)).unwrap_err();
    assert_eq!(err.kind(), FutureErrorKind::Timeout);
    assert!(!fut.done());
    let err = fut.exception_timeout(Duration::from_millis(1)).unwrap();
    assert!(err.is_timeout());
    release.send(9).unwrap();
    assert_eq!(fut.result_timeout(Duration::from_secs(10)), Ok(9));
}

#[test]
fn cancel_a_queued_task_but_not_a_running_one() {
    let pool = ThreadPoolExecutor::new(1);
    let (running, release) = submit_blocked(&pool);
    assert!(running.running());
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = Arc::clone(&ran);
    let queued = pool.submit(move || {
        ran2.fetch_add(1, Ordering::SeqCst);
    });
    assert!(!queued.running());
    assert!(!queued.done());

    assert!(queued.cancel());
    assert!(queued.cancelled());
    assert!(queued.done());
    assert!(queued.cancel(), "cancelling twice still reports cancelled");
    assert_eq!(
        queued.result().unwrap_err().kind(),
        FutureErrorKind::Cancelled
    );
    assert!(queued.exception().unwrap().is_cancelled());

    assert!(!running.cancel(), "a running task cannot be cancelled");
    assert!(!running.cancelled());
    release.send(()).unwrap();
    assert_eq!(running.result(), Ok(()));
    assert!(!running.cancel(), "a finished task cannot be cancelled");

    // The cancelled task never runs: once the pool is drained, it still ran zero times.
    pool.shutdown(true, false);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn done_callback_added_before_completion_runs_on_the_worker() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("cb")
        .build()
        .unwrap();
    let (release, gate) = channel::<u8>();
    let fut = pool.submit(move || gate.recv().unwrap());
    let (seen_tx, seen) = channel();
    fut.add_done_callback(move |f| {
        let name = thread::current().name().map(str::to_owned);
        seen_tx.send((f.result(), name)).unwrap();
    });
    release.send(4).unwrap();
    let (result, name) = seen.recv().unwrap();
    assert_eq!(result, Ok(4));
    assert_eq!(name.as_deref(), Some("cb_0"));
}

#[test]
fn done_callback_added_after_completion_runs_at_once_on_the_caller() {
    let pool = ThreadPoolExecutor::new(1);
    let fut = pool.submit(|| "x");
    fut.result().unwrap();
    let called_here = Arc::new(AtomicUsize::new(0));
    let me = thread::current().id();
    let flag = Arc::clone(&called_here);
    fut.add_done_callback(move |f| {
        assert_eq!(f.result(), Ok("x"));
        if thread::current().id() == me {
            flag.fetch_add(1, Ordering::SeqCst);
        }
    });
    // Ran synchronously, before add_done_callback returned.
    assert_eq!(called_here.load(Ordering::SeqCst), 1);
}

#[test]
fn callbacks_run_in_order_and_on_cancel() {
    let promise = Promise::<i32>::new();
    let fut = promise.future();
    let (tx, rx) = channel();
    for i in 0..3 {
        let tx = tx.clone();
        fut.add_done_callback(move |f| tx.send((i, f.cancelled())).unwrap());
    }
    assert!(fut.cancel());
    let got: Vec<_> = rx.try_iter().collect();
    assert_eq!(got, [(0, true), (1, true), (2, true)]);
    assert!(!promise.set_running_or_notify_cancel());
}

#[test]
fn a_panicking_callback_breaks_nothing() {
    let pool = ThreadPoolExecutor::new(1);
    let (release, gate) = channel::<()>();
    let fut = pool.submit(move || gate.recv().unwrap());
    let (tx, rx) = channel();
    fut.add_done_callback(|_| panic!("callback exploded"));
    fut.add_done_callback(move |f| tx.send(f.done()).unwrap());
    release.send(()).unwrap();
    // The callback after the panicking one still ran ...
    assert!(rx.recv().unwrap());
    assert_eq!(fut.result(), Ok(()));
    // ... and the worker is still alive.
    assert_eq!(pool.submit(|| 1).result(), Ok(1));
    // A panicking callback on an already done future does not unwind into the caller.
    fut.add_done_callback(|_| panic!("late callback exploded"));
}

fn positions<T>(part: &[Future<T>], all: &[Future<T>]) -> Vec<usize> {
    part.iter()
        .map(|f| all.iter().position(|g| g.ptr_eq(f)).unwrap())
        .collect()
}

#[test]
fn wait_first_completed_returns_while_others_are_blocked() {
    let pool = ThreadPoolExecutor::new(3);
    let (blocked_a, release_a) = submit_blocked(&pool);
    let (blocked_b, release_b) = submit_blocked(&pool);
    let (go, gate) = channel::<()>();
    let quick = pool.submit(move || gate.recv().unwrap());
    let all = vec![blocked_a, quick, blocked_b];
    go.send(()).unwrap();
    let DoneAndNotDone { done, not_done } = wait(&all, None, ReturnWhen::FirstCompleted);
    assert_eq!(positions(&done, &all), [1]);
    assert_eq!(positions(&not_done, &all), [0, 2]);
    drop((release_a, release_b));
}

#[test]
fn wait_first_completed_counts_a_cancelled_future_as_done() {
    let a = Promise::<()>::new();
    let b = Promise::<()>::new();
    let all = vec![a.future(), b.future()];
    all[1].cancel();
    let outcome = wait(
        &all,
        Some(Duration::from_secs(10)),
        ReturnWhen::FirstCompleted,
    );
    assert_eq!(positions(&outcome.done, &all), [1]);
    assert_eq!(positions(&outcome.not_done, &all), [0]);
}

#[test]
fn wait_first_exception_returns_on_a_panic() {
    let pool = ThreadPoolExecutor::new(3);
    let (blocked, release) = submit_blocked(&pool);
    let ok = pool.submit(|| ());
    ok.result().unwrap();
    let (go, gate) = channel::<()>();
    let failing = pool.submit(move || {
        gate.recv().unwrap();
        panic!("first exception");
    });
    let all = vec![blocked, ok, failing];
    go.send(()).unwrap();
    let outcome = wait(&all, None, ReturnWhen::FirstException);
    assert_eq!(positions(&outcome.done, &all), [1, 2]);
    assert_eq!(positions(&outcome.not_done, &all), [0]);
    assert_eq!(
        outcome.done[1].exception().unwrap().kind(),
        FutureErrorKind::Panicked
    );
    drop(release);
}

#[test]
fn wait_first_exception_without_failures_waits_for_all() {
    let pool = ThreadPoolExecutor::new(2);
    let (gate_tx, gate) = channel::<()>();
    let gate = Arc::new(parking_lot::Mutex::new(gate));
    let all: Vec<_> = (0..4)
        .map(|i| {
            let gate = Arc::clone(&gate);
            pool.submit(move || {
                gate.lock().recv().unwrap();
                i
            })
        })
        .collect();
    let releaser = thread::spawn(move || {
        for _ in 0..4 {
            gate_tx.send(()).unwrap();
        }
    });
    let outcome = wait(&all, None, ReturnWhen::FirstException);
    assert_eq!(outcome.done.len(), 4);
    assert!(outcome.not_done.is_empty());
    releaser.join().unwrap();
}

#[test]
fn wait_all_completed() {
    let pool = ThreadPoolExecutor::new(4);
    let all: Vec<_> = (0..20).map(|i| pool.submit(move || i * i)).collect();
    let outcome = wait(&all, None, ReturnWhen::AllCompleted);
    assert_eq!(positions(&outcome.done, &all), (0..20).collect::<Vec<_>>());
    assert!(outcome.not_done.is_empty());
    assert_eq!(all[19].result(), Ok(361));
    // Nothing to wait for: returns at once.
    let none: Vec<Future<i32>> = Vec::new();
    assert!(
        wait(&none, None, ReturnWhen::FirstCompleted)
            .done
            .is_empty()
    );
}

#[test]
fn wait_timeout_returns_the_unfinished_ones() {
    let pool = ThreadPoolExecutor::new(2);
    let (blocked, release) = submit_blocked(&pool);
    let finished = pool.submit(|| ());
    finished.result().unwrap();
    let all = vec![finished, blocked];
    let outcome = wait(
        &all,
        Some(Duration::from_millis(30)),
        ReturnWhen::AllCompleted,
    );
    assert_eq!(positions(&outcome.done, &all), [0]);
    assert_eq!(positions(&outcome.not_done, &all), [1]);
    release.send(()).unwrap();
    // The watch left by the timed-out wait does not get in the way of a later one.
    let outcome = wait(&all, None, ReturnWhen::AllCompleted);
    assert_eq!(outcome.done.len(), 2);
}

#[test]
fn as_completed_yields_in_completion_order() {
    let pool = ThreadPoolExecutor::new(4);
    let mut releases = Vec::new();
    let mut all = Vec::new();
    for i in 0..3 {
        let (release, gate) = channel::<()>();
        releases.push(release);
        all.push(pool.submit(move || {
            gate.recv().unwrap();
            i
        }));
    }
    let early = pool.submit(|| 99);
    early.result().unwrap();
    all.push(early);

    let mut completed = as_completed(&all, None);
    // Already finished futures come first.
    assert_eq!(completed.next().unwrap().unwrap().result(), Ok(99));
    for i in [2, 0, 1] {
        releases[i].send(()).unwrap();
        let fut = completed.next().unwrap().unwrap();
        assert_eq!(fut.result(), Ok(i as i32));
    }
    assert!(completed.next().is_none());
}

#[test]
fn as_completed_timeout_yields_a_timeout_error_then_stops() {
    let pool = ThreadPoolExecutor::new(2);
    let (blocked, release) = submit_blocked(&pool);
    let finished = pool.submit(|| ());
    finished.result().unwrap();
    let all = vec![blocked, finished];
    let mut completed: AsCompleted<()> = as_completed(&all, Some(Duration::from_millis(30)));
    assert!(completed.next().unwrap().unwrap().ptr_eq(&all[1]));
    let err = completed.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), FutureErrorKind::Timeout);
    assert!(completed.next().is_none());
    drop(completed);
    release.send(()).unwrap();
    assert_eq!(all[0].result(), Ok(()));
}

#[test]
fn map_keeps_input_order_when_later_items_finish_first() {
    let pool = ThreadPoolExecutor::new(4);
    let (finished_tx, finished) = channel::<usize>();
    let mut releases = Vec::new();
    let mut gates = Vec::new();
    for _ in 0..4 {
        let (release, gate) = channel::<()>();
        releases.push(release);
        gates.push(parking_lot::Mutex::new(Some(gate)));
    }
    let gates = Arc::new(gates);
    let results: Map<String> = {
        let gates = Arc::clone(&gates);
        pool.map(
            move |(i, name): (usize, &str)| {
                let gate = gates[i].lock().take().unwrap();
                gate.recv().unwrap();
                finished_tx.send(i).unwrap();
                name.repeat(2)
            },
            ["A", "B", "C", "D"].into_iter().enumerate(),
        )
    };
    // Let the items finish last to first.
    for i in (0..4).rev() {
        releases[i].send(()).unwrap();
        assert_eq!(finished.recv().unwrap(), i);
    }
    let out: Vec<String> = results.map(Result::unwrap).collect();
    assert_eq!(out, ["AA", "BB", "CC", "DD"]);
}

#[test]
fn map_yields_each_error_and_goes_on() {
    let pool = ThreadPoolExecutor::new(2);
    let out: Vec<_> = pool
        .map(
            |x: i32| {
                assert!(x != 2, "two is not allowed");
                x
            },
            1..=3,
        )
        .collect();
    assert_eq!(out[0], Ok(1));
    assert_eq!(
        out[1].as_ref().unwrap_err().kind(),
        FutureErrorKind::Panicked
    );
    assert_eq!(out[2], Ok(3));
}

#[test]
fn map_timeout_yields_timeout_and_cancels_the_rest() {
    let pool = ThreadPoolExecutor::new(1);
    let (release, gate) = channel::<()>();
    let (started_tx, started) = channel::<()>();
    let gate = Arc::new(parking_lot::Mutex::new((started_tx, gate)));
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = Arc::clone(&ran);
    let mut results = pool.map_timeout(
        move |i: usize| {
            ran2.fetch_add(1, Ordering::SeqCst);
            if i == 0 {
                let gate = gate.lock();
                gate.0.send(()).unwrap();
                gate.1.recv().unwrap();
            }
            i
        },
        0..3,
        Duration::from_millis(30),
    );
    started.recv().unwrap();
    let err = results.next().unwrap().unwrap_err();
    assert!(err.is_timeout());
    assert!(results.next().is_none());
    release.send(()).unwrap();
    pool.shutdown(true, false);
    // Only the first item ever started; the queued ones were cancelled.
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn shutdown_without_wait_cancels_queued_work() {
    let pool = ThreadPoolExecutor::new(1);
    let (running, release) = submit_blocked(&pool);
    let queued: Vec<_> = (0..3).map(|i| pool.submit(move || i)).collect();
    pool.shutdown(false, true);
    for fut in &queued {
        assert!(fut.cancelled());
        assert_eq!(fut.result().unwrap_err().kind(), FutureErrorKind::Cancelled);
    }
    assert!(running.running());
    release.send(()).unwrap();
    assert_eq!(running.result(), Ok(()));
    let late = pool.submit(|| 1);
    assert_eq!(late.result().unwrap_err().kind(), FutureErrorKind::ShutDown);
}

#[test]
fn shutdown_with_wait_runs_queued_work_to_the_end() {
    let pool = ThreadPoolExecutor::new(2);
    let futs: Vec<_> = (0..50).map(|i| pool.submit(move || i)).collect();
    pool.shutdown(true, false);
    assert!(futs.iter().all(Future::done));
    assert_eq!(futs[49].result(), Ok(49));
    pool.shutdown(true, true); // again: harmless
}

#[test]
fn submit_after_shutdown_gives_a_failed_future() {
    let pool = ThreadPoolExecutor::new(2);
    pool.shutdown(true, false);
    let fut = pool.submit(|| 1);
    assert!(fut.done());
    let err = fut.result().unwrap_err();
    assert_eq!(err.kind(), FutureErrorKind::ShutDown);
    assert_eq!(
        err.to_string(),
        "cannot schedule new futures after shutdown"
    );
}

#[test]
fn dropping_the_pool_waits_for_queued_tasks() {
    let counter = Arc::new(AtomicUsize::new(0));
    let futs: Vec<_> = {
        let pool = ThreadPoolExecutor::new(2);
        (0..20)
            .map(|_| {
                let counter = Arc::clone(&counter);
                pool.submit(move || counter.fetch_add(1, Ordering::SeqCst))
            })
            .collect()
    };
    assert_eq!(counter.load(Ordering::SeqCst), 20);
    assert!(futs.iter().all(Future::done));
}

thread_local! {
    static INITIALIZED: Cell<bool> = const { Cell::new(false) };
}

#[test]
fn initializer_runs_once_per_worker() {
    let inits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&inits);
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            INITIALIZED.with(|i| i.set(true));
        })
        .build()
        .unwrap();
    // Two tasks that meet at a barrier force two workers.
    let barrier = Arc::new(Barrier::new(3));
    let futs: Vec<_> = (0..2)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.submit(move || {
                barrier.wait();
                INITIALIZED.with(Cell::get)
            })
        })
        .collect();
    barrier.wait();
    for fut in &futs {
        assert_eq!(fut.result(), Ok(true));
    }
    for _ in 0..10 {
        assert_eq!(
            pool.submit(|| INITIALIZED.with(Cell::get)).result(),
            Ok(true)
        );
    }
    assert_eq!(inits.load(Ordering::SeqCst), 2);
}

#[test]
fn panicking_initializer_breaks_the_pool() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(|| panic!("cannot initialize"))
        .build()
        .unwrap();
    let first = pool.submit(|| 1);
    let err = first.result().unwrap_err();
    assert_eq!(err.kind(), FutureErrorKind::Broken);
    assert!(err.to_string().contains("cannot initialize"), "{err}");
    // Every later submit fails the same way.
    for _ in 0..3 {
        assert_eq!(
            pool.submit(|| 2).result().unwrap_err().kind(),
            FutureErrorKind::Broken
        );
    }
}

#[test]
fn worker_threads_are_named_after_the_prefix() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("io")
        .build()
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let names: Vec<_> = (0..2)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            pool.submit(move || {
                barrier.wait();
                thread::current().name().unwrap().to_owned()
            })
        })
        .collect();
    let mut names: Vec<String> = names.iter().map(|f| f.result().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["io_0", "io_1"]);

    let default = ThreadPoolExecutor::new(1);
    let prefix = default.thread_name_prefix().to_owned();
    let n: usize = prefix
        .strip_prefix("ThreadPoolExecutor-")
        .unwrap()
        .parse()
        .unwrap();
    let name = default
        .submit(|| thread::current().name().unwrap().to_owned())
        .result()
        .unwrap();
    assert_eq!(name, format!("ThreadPoolExecutor-{n}_0"));
    // Each pool gets its own number.
    let other = ThreadPoolExecutor::new(1);
    assert_ne!(other.thread_name_prefix(), prefix);
}

#[test]
fn max_workers_default_and_zero() {
    let cpus = thread::available_parallelism().unwrap().get();
    assert_eq!(
        ThreadPoolExecutor::default_max_workers(),
        (cpus + 4).min(32)
    );
    assert_eq!(
        ThreadPoolExecutor::builder().build().unwrap().max_workers(),
        (cpus + 4).min(32)
    );
    let err: ThreadPoolBuildError = ThreadPoolExecutor::builder()
        .max_workers(0)
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "max_workers must be greater than 0");
}

#[test]
fn workers_start_lazily_and_are_reused() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(8)
        .thread_name_prefix("lazy")
        .build()
        .unwrap();
    // One task at a time: the idle worker is reused, no second one starts.
    for _ in 0..10 {
        let name = pool
            .submit(|| thread::current().name().unwrap().to_owned())
            .result()
            .unwrap();
        assert_eq!(name, "lazy_0");
    }
}

#[test]
fn into_result_moves_the_value_out() {
    struct NotClone(Vec<u8>);
    let pool = ThreadPoolExecutor::new(1);
    let fut = pool.submit(|| NotClone(vec![1, 2]));
    let other = fut.clone();
    assert_eq!(fut.into_result().unwrap().0, [1, 2]);
    assert!(other.done());
    assert!(other.exception().is_none());
    assert_eq!(
        other.into_result().err().unwrap().kind(),
        FutureErrorKind::Taken
    );
}

#[test]
fn a_dropped_promise_fails_its_future() {
    let promise = Promise::<u8>::new();
    let fut = promise.future();
    let waiter = thread::spawn(move || fut.result());
    drop(promise);
    assert_eq!(
        waiter.join().unwrap().unwrap_err().kind(),
        FutureErrorKind::Broken
    );
}

#[test]
fn executor_trait_object() {
    type Job = Box<dyn FnOnce() -> i32 + Send>;
    let pool = ThreadPoolExecutor::new(2);
    let exec: &dyn Executor<Job, Output = i32> = &pool;
    let fut = exec.submit(Box::new(|| 40 + 2));
    assert_eq!(fut.result(), Ok(42));
    exec.shutdown(true, false);
    assert_eq!(
        exec.submit(Box::new(|| 0)).result().unwrap_err().kind(),
        FutureErrorKind::ShutDown
    );
}

#[test]
fn many_submitters_many_tasks() {
    let pool = ThreadPoolExecutor::new(4);
    thread::scope(|s| {
        for t in 0..4u64 {
            let pool = &pool;
            s.spawn(move || {
                let futs: Vec<_> = (0..2000u64).map(|i| pool.submit(move || i * t)).collect();
                let sum: u64 = futs.iter().map(|f| f.result().unwrap()).sum();
                assert_eq!(sum, t * 1999 * 2000 / 2);
            });
        }
    });
}

#[test]
fn concurrent_waiters_all_wake() {
    let promise = Promise::<u32>::new();
    let fut = promise.future();
    let barrier = Arc::new(Barrier::new(5));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let fut = fut.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                let all = [fut.clone()];
                let outcome = wait(&all, None, ReturnWhen::AllCompleted);
                (fut.result(), outcome.done.len())
            })
        })
        .collect();
    barrier.wait();
    promise.set_result(8);
    for w in waiters {
        assert_eq!(w.join().unwrap(), (Ok(8), 1));
    }
}

#[test]
fn error_type_is_clone_and_comparable() {
    let err = FutureError::panicked(tripod::PanicError::new("p"));
    let copy = err.clone();
    assert_eq!(err, copy);
    assert_eq!(
        format!("{err:?}"),
        r#"Panicked(PanicError { message: "p" })"#
    );
    assert!(std::error::Error::source(&err).is_some());
    assert_ne!(FutureError::cancelled(), FutureError::timeout());
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    struct NotSync(Cell<u8>);
    send_sync::<ThreadPoolExecutor>();
    send_sync::<ThreadPoolBuilder>();
    send_sync::<Future<u8>>();
    // A future only needs a Send value to be shared: the value is read under a lock.
    send_sync::<Future<NotSync>>();
    send_sync::<Promise<u8>>();
    send_sync::<Map<u8>>();
    send_sync::<DoneAndNotDone<u8>>();
    send_sync::<FutureError>();
    send_sync::<ThreadPoolBuildError>();
    send_sync::<ReturnWhen>();
    fn send<T: Send>() {}
    send::<AsCompleted<u8>>();
    let _ = NotSync(Cell::new(0)).0.get();
}

/// A worker running a done-callback is busy, as in Python (whose worker counts itself
/// idle only after `run()`, callbacks included): a callback that submits a follow-up
/// task and waits for it gets a second worker instead of waiting for itself.
#[test]
fn a_worker_running_callbacks_is_not_idle() {
    let pool = Arc::new(ThreadPoolExecutor::new(2));
    let (fut, release) = submit_blocked(&pool);
    let (tx, rx) = channel();
    let inner = Arc::clone(&pool);
    fut.add_done_callback(move |_| {
        let follow_up = inner.submit(|| 7);
        tx.send(follow_up.result_timeout(Duration::from_secs(10)))
            .unwrap();
    });
    // The callback is registered before the task ends, so the worker runs it.
    release.send(()).unwrap();
    assert_eq!(rx.recv().unwrap(), Ok(7));
}

#[test]
fn a_future_given_twice_counts_once() {
    let (a, b) = (Promise::new(), Promise::<i32>::new());
    let (fa, fb) = (a.future(), b.future());
    let futures = [fa.clone(), fb.clone(), fa.clone()];
    a.set_result(1);
    let outcome = wait(&futures, Some(Duration::ZERO), ReturnWhen::AllCompleted);
    assert_eq!(outcome.done.len(), 1);
    assert_eq!(outcome.not_done.len(), 1);
    assert!(outcome.done[0].ptr_eq(&fa));

    let mut completed = as_completed(&futures, None);
    assert!(completed.next().unwrap().unwrap().ptr_eq(&fa));
    b.set_result(2);
    assert!(completed.next().unwrap().unwrap().ptr_eq(&fb));
    assert!(completed.next().is_none(), "each future is yielded once");
}

#[test]
fn dropping_map_part_way_cancels_the_rest_but_an_unstarted_map_cancels_nothing() {
    let pool = ThreadPoolExecutor::new(1);
    let (started_tx, started) = channel();
    let (release, gate) = channel::<()>();
    let gate = Arc::new(parking_lot::Mutex::new(gate));
    let ran = Arc::new(AtomicUsize::new(0));
    let task = {
        let (ran, gate) = (Arc::clone(&ran), Arc::clone(&gate));
        move |i: usize| {
            if i == 1 {
                started_tx.send(()).unwrap();
                gate.lock().recv().unwrap();
            }
            ran.fetch_add(1, Ordering::SeqCst);
            i
        }
    };
    // Started: the first result is read, then the iterator is dropped while item 1 runs
    // and items 2 and 3 wait in the queue; those two are cancelled.
    let mut results = pool.map(task.clone(), 0..4);
    assert_eq!(results.next(), Some(Ok(0)));
    started.recv().unwrap();
    drop(results);
    release.send(()).unwrap();
    pool.submit(|| ()).result().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 2);

    // Never started (Python's `e.map(func, items)` for its side effects): all run.
    ran.store(0, Ordering::SeqCst);
    drop(pool.map(move |i: usize| task(i + 10), 0..3));
    pool.submit(|| ()).result().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 3);
}

#[test]
fn workers_are_daemon_tripod_threads_listed_by_enumerate() {
    use tripod::threading::enumerate;
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("listed")
        .build()
        .unwrap();
    // The task does not touch tripod's thread registry: the worker is listed because
    // tripod started it.
    pool.submit(|| ()).result().unwrap();
    let worker = enumerate()
        .into_iter()
        .find(|t| t.name() == "listed_0")
        .expect("the worker is a tripod thread");
    assert!(worker.is_alive());
    assert!(
        worker.is_daemon(),
        "an idle pool must not hold tripod::main's exit"
    );
    drop(pool);
    assert!(!worker.is_alive(), "dropping the pool joins its workers");
}
