//! The coroutine leg: event loop, tasks, waiting, primitives, queues, generators, and the
//! async access to the process leg. Timers run on tokio's paused clock
//! (`tokio::time::pause()` inside the loop), so no test depends on real time passing.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tripod::asyncio::{
    self, AsyncJoinExt, AsyncQueueExt, Barrier, BoundedSemaphore, BrokenBarrierError, Condition,
    Event, EventLoop, Generator, GeneratorError, GeneratorState, LifoQueue, Lock, PriorityQueue,
    Queue, ReturnWhen, Semaphore, Task, TaskError, TaskGroup, TimeoutError,
};
use tripod::futures::{FutureErrorKind, ProcessPoolExecutor, ThreadPoolExecutor};
use tripod::multiprocessing::Process;
use tripod::queue::{TryGetError, TryPutError};

const LONG: Duration = Duration::from_secs(3600);
const WAIT: Duration = Duration::from_secs(10);

/// Runs `f` on a fresh loop with the paused clock.
fn paused<F: Future>(f: F) -> F::Output {
    asyncio::run(async {
        tokio::time::pause();
        f.await
    })
}

/// Sends on `tx` when dropped: shows that a cancelled future ran its destructors.
struct DropSignal(mpsc::Sender<&'static str>, &'static str);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

fn log() -> (
    Arc<Mutex<Vec<String>>>,
    impl Fn(&str) + Clone + Send + Sync + 'static,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    (log, move |s: &str| l.lock().unwrap().push(s.to_owned()))
}

fn entries(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    log.lock().unwrap().clone()
}

// ---- event loop ----

#[test]
fn run_returns_the_value_and_cancels_leftover_tasks() {
    let (tx, rx) = mpsc::channel();
    let value = asyncio::run(async move {
        asyncio::create_task(async move {
            let _guard = DropSignal(tx, "leftover dropped");
            std::future::pending::<()>().await;
        });
        asyncio::sleep(Duration::ZERO).await; // the leftover starts and suspends
        42
    });
    assert_eq!(value, 42);
    assert_eq!(rx.try_recv(), Ok("leftover dropped"));
}

#[test]
fn current_loop_only_inside_a_running_loop() {
    assert!(EventLoop::current().is_none());
    let event_loop = EventLoop::new();
    let inside = event_loop.run_until_complete(async {
        let task = asyncio::create_task(async { EventLoop::current().is_some() });
        task.await.unwrap() && EventLoop::current().unwrap().is_running()
    });
    assert!(inside);
    assert!(EventLoop::current().is_none());
    event_loop.close();
}

#[test]
fn call_soon_runs_callbacks_in_order_and_cancel_skips_one() {
    let event_loop = EventLoop::new();
    let (log, push) = log();
    for name in ["a", "b", "c"] {
        let push = push.clone();
        event_loop.call_soon(move || push(name));
    }
    let skipped = {
        let push = push.clone();
        event_loop.call_soon(move || push("cancelled"))
    };
    skipped.cancel();
    assert!(skipped.cancelled());
    event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
    assert_eq!(entries(&log), ["a", "b", "c"]);
    event_loop.close();
}

#[test]
fn call_later_and_call_at_fire_in_time_order_on_the_paused_clock() {
    let event_loop = EventLoop::new();
    let (log, push) = log();
    let handle = event_loop.clone();
    event_loop.run_until_complete(async move {
        tokio::time::pause();
        let start = handle.time();
        let p = push.clone();
        handle.call_later(Duration::from_millis(1200), move || p("Tom"));
        let p = push.clone();
        handle.call_soon(move || p("Kitty"));
        let p = push.clone();
        let jerry = handle.call_at(start + Duration::from_secs(1), move || p("Jerry"));
        assert_eq!(jerry.when(), start + Duration::from_secs(1));
        let p = push.clone();
        handle
            .call_later(Duration::from_millis(500), move || p("cancelled"))
            .cancel();
        asyncio::sleep(Duration::from_secs(2)).await;
        assert!(handle.time() - start >= Duration::from_secs(2));
    });
    assert_eq!(entries(&log), ["Kitty", "Jerry", "Tom"]);
    event_loop.close();
}

#[test]
fn a_callback_that_panics_does_not_stop_the_loop() {
    let event_loop = EventLoop::new();
    let (log, push) = log();
    event_loop.call_soon(|| panic!("bad callback"));
    event_loop.call_soon(move || push("after"));
    event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
    assert_eq!(entries(&log), ["after"]);
}

#[test]
fn stops_during_one_run_forever_do_not_end_the_next() {
    let event_loop = EventLoop::new();
    let handle = event_loop.clone();
    event_loop.call_soon(move || {
        handle.stop();
        handle.stop();
    });
    event_loop.run_forever();
    // The second run lasts until its own stop, several rounds later, not one round.
    let handle = event_loop.clone();
    let (tx, rx) = mpsc::channel();
    event_loop.create_task(async move {
        for _ in 0..3 {
            asyncio::sleep(Duration::ZERO).await;
        }
        tx.send("ran").unwrap();
        handle.stop();
    });
    event_loop.run_forever();
    assert_eq!(rx.try_recv(), Ok("ran"));
    event_loop.close();
}

#[test]
fn run_forever_returns_on_stop_from_a_task() {
    let event_loop = EventLoop::new();
    let handle = event_loop.clone();
    let task = event_loop.create_task(async move {
        tokio::time::pause();
        asyncio::sleep(Duration::from_secs(1)).await;
        handle.stop();
        "stopped"
    });
    event_loop.run_forever();
    assert_eq!(task.result(), Some(Ok("stopped")));
    // A stop before run_forever makes it return at once.
    event_loop.stop();
    event_loop.run_forever();
    event_loop.close();
    assert!(event_loop.is_closed());
}

#[test]
#[should_panic(expected = "closed")]
fn a_closed_loop_refuses_work() {
    let event_loop = EventLoop::new();
    event_loop.close();
    event_loop.call_soon(|| {});
}

#[test]
fn close_cancels_pending_tasks() {
    let event_loop = EventLoop::new();
    let (tx, rx) = mpsc::channel();
    let task = event_loop.create_task(async move {
        let _guard = DropSignal(tx, "dropped");
        std::future::pending::<()>().await;
    });
    event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
    assert!(!task.done());
    event_loop.close();
    assert!(task.cancelled());
    assert_eq!(rx.try_recv(), Ok("dropped"));
}

#[test]
fn a_loop_closed_or_dropped_inside_another_loops_task_cancels_its_tasks() {
    asyncio::run(async {
        for close in [true, false] {
            let inner = EventLoop::new();
            let (tx, rx) = mpsc::channel();
            // Never polled (the inner loop never runs), so the guard is captured, not made.
            let guard = DropSignal(tx, "dropped");
            let task = inner.create_task(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            // Tokio panics when a runtime is dropped in an async context and waits for
            // its blocking pool; closing (or dropping the last handle) must not.
            if close {
                inner.close();
                assert!(task.cancelled());
            } else {
                drop(inner);
            }
            assert_eq!(rx.try_recv(), Ok("dropped"));
        }
    });
}

#[test]
fn a_loop_in_its_own_thread_takes_work_from_other_threads() {
    let event_loop = EventLoop::new();
    let runner = event_loop.clone();
    let thread = std::thread::spawn(move || runner.run_forever());

    let (tx, rx) = mpsc::channel();
    for x in [6, 3] {
        let tx = tx.clone();
        event_loop.call_soon_threadsafe(move || tx.send(format!("more work {x}")).unwrap());
    }
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "more work 6");
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "more work 3");

    // run_coroutine_threadsafe: the thread waits on a tripod future with a timeout.
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<&str>();
    let first =
        asyncio::run_coroutine_threadsafe(async move { gate_rx.await.unwrap() }, &event_loop);
    let second = event_loop.run_coroutine_threadsafe(async { "second" });
    assert_eq!(second.result_timeout(WAIT), Ok("second"));
    assert!(!first.done());
    gate_tx.send("first").unwrap();
    assert_eq!(first.result_timeout(WAIT), Ok("first"));

    // A panic comes back as an error; cancelling the future cancels the task.
    let broken = event_loop.run_coroutine_threadsafe(async { panic!("in the loop") });
    assert_eq!(
        broken.result_timeout(WAIT).unwrap_err().kind(),
        FutureErrorKind::Panicked
    );
    let (drop_tx, drop_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let endless = event_loop.run_coroutine_threadsafe(async move {
        let _guard = DropSignal(drop_tx, "cancelled in the loop");
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv_timeout(WAIT).unwrap();
    assert!(endless.cancel());
    assert_eq!(drop_rx.recv_timeout(WAIT), Ok("cancelled in the loop"));

    event_loop.stop();
    thread.join().unwrap();
    event_loop.close();
    let late = event_loop.run_coroutine_threadsafe(async { 1 });
    assert_eq!(
        late.result_timeout(WAIT).unwrap_err().kind(),
        FutureErrorKind::ShutDown
    );
}

#[test]
fn a_multi_thread_loop_runs_tasks() {
    let event_loop = EventLoop::multi_thread(2);
    let sum = event_loop.run_until_complete(async {
        let tasks: Vec<_> = (0..100u64)
            .map(|i| asyncio::create_task(async move { i }))
            .collect();
        let values = asyncio::gather(tasks).await.unwrap();
        assert!(EventLoop::current().is_some());
        values.iter().sum::<u64>()
    });
    assert_eq!(sum, 4950);
    event_loop.close();
}

// ---- the loop's scheduler: its own ready queue, run inside a tokio task ----

#[test]
fn tasks_and_callbacks_share_one_fifo_ready_queue() {
    let (log, push) = log();
    let event_loop = EventLoop::new();
    let (a, b, c) = (push.clone(), push.clone(), push.clone());
    let first = event_loop.create_task(async move { a("task 1") });
    event_loop.call_soon(move || b("callback"));
    let last = event_loop.create_task(async move { c("task 2") });
    event_loop.run_until_complete(async {
        first.await.unwrap();
        last.await.unwrap();
    });
    // As asyncio: a new task's first step is a `call_soon`, queued behind earlier ones.
    assert_eq!(entries(&log), ["task 1", "callback", "task 2"]);
    event_loop.close();
}

#[test]
fn timers_and_sockets_run_while_tasks_keep_yielding() {
    // A real clock: a paused one only moves when the loop has nothing to do.
    asyncio::run(async {
        let fired = Arc::new(AtomicUsize::new(0));
        // Two tasks that are always ready: tokio's timers must still get their turn.
        let spinners: Vec<_> = (0..2)
            .map(|_| {
                let fired = Arc::clone(&fired);
                asyncio::create_task(async move {
                    let mut rounds = 0u64;
                    while fired.load(Ordering::SeqCst) == 0 {
                        asyncio::sleep(Duration::ZERO).await;
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        let timer = {
            let fired = Arc::clone(&fired);
            asyncio::create_task(async move {
                asyncio::sleep(Duration::from_millis(5)).await;
                fired.store(1, Ordering::SeqCst);
            })
        };
        timer.await.unwrap();
        for rounds in asyncio::gather(spinners).await.unwrap() {
            assert!(rounds > 0);
        }
    });
}

#[test]
fn a_multi_thread_loop_runs_two_tasks_at_the_same_time() {
    let event_loop = EventLoop::multi_thread(2);
    let both = event_loop.run_until_complete(async {
        let arrived = Arc::new(AtomicUsize::new(0));
        // Each task blocks its thread until the other one arrived: only two drivers on
        // two threads can finish this.
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let arrived = Arc::clone(&arrived);
                asyncio::create_task(async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let deadline = std::time::Instant::now() + WAIT;
                    while arrived.load(Ordering::SeqCst) < 2 {
                        if std::time::Instant::now() > deadline {
                            return false;
                        }
                        std::hint::spin_loop();
                    }
                    true
                })
            })
            .collect();
        asyncio::gather(tasks).await.unwrap()
    });
    assert_eq!(both, [true, true]);
    event_loop.close();
}

/// Panics when dropped (unless already panicking).
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a destructor that panics");
        }
    }
}

/// A future ready at once with its value, holding what it holds until dropped.
struct ReadyWith<T, H>(T, H);

impl<T: Copy + Unpin, H: Unpin> Future for ReadyWith<T, H> {
    type Output = T;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        std::task::Poll::Ready(self.0)
    }
}

#[test]
fn a_future_that_panics_when_dropped_stops_neither_the_loop_nor_its_task() {
    paused(async {
        // Cancelled: the destructor's panic is reported; the task is still cancelled.
        let cancelled = asyncio::create_task(async {
            let _bomb = PanicOnDrop;
            std::future::pending::<()>().await;
        });
        asyncio::sleep(Duration::ZERO).await;
        assert!(cancelled.cancel());
        assert_eq!(cancelled.await, Err(TaskError::Cancelled));
        // Finished: its value survives the panic of the future dropped after it.
        let finished = asyncio::create_task(ReadyWith(7, PanicOnDrop));
        assert_eq!(finished.await, Ok(7));
        // The loop still runs tasks.
        assert_eq!(asyncio::create_task(async { "after" }).await, Ok("after"));
    });
}

#[test]
fn close_cancels_a_task_woken_later_by_another_thread() {
    let event_loop = EventLoop::new();
    let (tx, rx) = mpsc::channel();
    let (wake, woken) = tokio::sync::oneshot::channel::<()>();
    let task = event_loop.create_task(async move {
        let _guard = DropSignal(tx, "dropped");
        let _ = woken.await;
        "ran on"
    });
    event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
    event_loop.close();
    assert_eq!(rx.try_recv(), Ok("dropped"));
    // Waking what is left of it after the close runs nothing.
    assert!(wake.send(()).is_err());
    assert_eq!(task.result(), Some(Err(TaskError::Cancelled)));
}

/// A tokio runtime that is no tripod loop.
fn plain_tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn tasks_run_in_a_plain_tokio_runtime_and_end_with_it() {
    let runtime = plain_tokio_runtime();
    let (tx, rx) = mpsc::channel();
    let values = runtime.block_on(async {
        assert!(EventLoop::current().is_none());
        let tasks: Vec<_> = (0..3)
            .map(|i| asyncio::create_task(async move { i * 2 }))
            .collect();
        let cancelled = asyncio::create_task(std::future::pending::<()>());
        asyncio::sleep(Duration::ZERO).await;
        assert!(cancelled.cancel());
        assert_eq!(cancelled.await, Err(TaskError::Cancelled));
        let left = asyncio::create_task(async move {
            let _guard = DropSignal(tx, "dropped with the runtime");
            std::future::pending::<()>().await;
        });
        asyncio::sleep(Duration::ZERO).await;
        assert!(!left.done());
        asyncio::gather(tasks).await.unwrap()
    });
    assert_eq!(values, [0, 2, 4]);
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
    drop(runtime);
    assert_eq!(rx.try_recv(), Ok("dropped with the runtime"));
}

/// Runs `f` on a thread of its own and fails if it is not done within [`WAIT`]: a deadlock
/// becomes a failure instead of a hung test.
fn within(what: &str, f: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match finished.recv_timeout(WAIT) {
        Ok(()) => thread.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still blocked after {WAIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(thread.join().unwrap_err())
        }
    }
}

/// Runs the loop until `flag` is set (by a task that reached its await).
fn run_until_set(event_loop: &EventLoop, flag: &Arc<AtomicUsize>) {
    event_loop.run_until_complete(async {
        let deadline = std::time::Instant::now() + WAIT;
        while flag.load(Ordering::SeqCst) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the task never started"
            );
            asyncio::sleep(Duration::ZERO).await;
        }
    });
}

#[test]
fn close_drops_a_group_whose_parent_task_awaits_it() {
    // Dropping the child notifies the group's event, which wakes the parent: the parent
    // must not be dropped inside that notification (it would take the event's lock again).
    within("close", || {
        let event_loop = EventLoop::new();
        let started = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&started);
        // The first task ends before the parent's first step and leaves its registry
        // slot to the child: the close meets the child before its parent.
        let first = event_loop.create_task(async {});
        let parent = event_loop.create_task(async move {
            let group = TaskGroup::new();
            group.create_task(async move {
                flag.store(1, Ordering::SeqCst);
                std::future::pending::<()>().await
            });
            let _ = group.join().await;
        });
        run_until_set(&event_loop, &started);
        assert!(first.done());
        assert!(!parent.done());
        event_loop.close();
        assert!(parent.cancelled());
    });
}

#[test]
fn close_drops_a_task_whose_destructor_sets_an_event_another_task_awaits() {
    struct SetOnDrop(Arc<Event>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.set();
        }
    }
    within("close", || {
        let event_loop = EventLoop::new();
        let event = Arc::new(Event::new());
        let started = Arc::new(AtomicUsize::new(0));
        let (e, flag) = (Arc::clone(&event), Arc::clone(&started));
        let setter = event_loop.create_task(async move {
            let _set = SetOnDrop(e);
            std::future::pending::<()>().await
        });
        let e = Arc::clone(&event);
        let waiter = event_loop.create_task(async move {
            flag.store(1, Ordering::SeqCst);
            e.wait().await
        });
        run_until_set(&event_loop, &started);
        event_loop.close();
        assert!(setter.cancelled());
        assert!(waiter.cancelled());
    });
}

#[test]
fn a_task_woken_while_the_loop_closes_is_dropped_not_run() {
    const TASKS: usize = 20_000;
    let event_loop = EventLoop::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let (senders, tasks): (Vec<_>, Vec<_>) = (0..TASKS)
        .map(|_| {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let ran = Arc::clone(&ran);
            let task = event_loop.create_task(async move {
                if rx.await.is_ok() {
                    ran.fetch_add(1, Ordering::SeqCst);
                }
            });
            (tx, task)
        })
        .unzip();
    event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
    let go = Arc::new(std::sync::Barrier::new(2));
    let waker = {
        let go = Arc::clone(&go);
        std::thread::spawn(move || {
            go.wait();
            // From the last: the close goes through the registry from the first.
            for tx in senders.into_iter().rev() {
                let _ = tx.send(());
            }
        })
    };
    go.wait();
    event_loop.close();
    waker.join().unwrap();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "no task body runs once close began"
    );
    assert!(tasks.iter().all(Task::cancelled));
}

#[test]
fn tasks_woken_by_other_threads_while_the_loop_closes_end_without_deadlock() {
    // Each thread sets an event (event-listener wakes the waiter holding the event's lock)
    // as the loop closes: the waiter's future, whose listener needs that lock to be
    // dropped, must not be dropped inside the wake.
    const TASKS: usize = 16;
    within("close racing Event::set", || {
        for _ in 0..300 {
            let event_loop = EventLoop::new();
            let events: Vec<Arc<Event>> = (0..TASKS).map(|_| Arc::new(Event::new())).collect();
            let waiting = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<Task<()>> = events
                .iter()
                .map(|event| {
                    let (event, waiting) = (Arc::clone(event), Arc::clone(&waiting));
                    event_loop.create_task(async move {
                        waiting.fetch_add(1, Ordering::SeqCst);
                        event.wait().await
                    })
                })
                .collect();
            event_loop.run_until_complete(async {
                while waiting.load(Ordering::SeqCst) < TASKS {
                    asyncio::sleep(Duration::ZERO).await;
                }
            });
            let go = Arc::new(std::sync::Barrier::new(TASKS + 1));
            let setters: Vec<_> = events
                .iter()
                .map(|event| {
                    let (go, event) = (Arc::clone(&go), Arc::clone(event));
                    std::thread::spawn(move || {
                        go.wait();
                        event.set();
                    })
                })
                .collect();
            go.wait();
            event_loop.close();
            for setter in setters {
                setter.join().unwrap();
            }
            // A task woken at the very moment of the close is dropped right after it.
            let deadline = std::time::Instant::now() + WAIT;
            while !tasks.iter().all(Task::done) {
                assert!(std::time::Instant::now() < deadline, "a task never ended");
                std::thread::yield_now();
            }
            assert!(
                tasks
                    .iter()
                    .all(|task| task.cancelled() || task.result() == Some(Ok(())))
            );
        }
    });
}

#[test]
fn closing_a_multi_thread_loop_mid_flight_drops_every_future_once_before_it_returns() {
    /// Counts its drops.
    struct Count(Arc<AtomicUsize>);
    impl Drop for Count {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    within("close of a busy multi-thread loop", || {
        for round in 0..60u64 {
            let made = Arc::new(AtomicUsize::new(0));
            let dropped = Arc::new(AtomicUsize::new(0));
            let counted = || {
                made.fetch_add(1, Ordering::SeqCst);
                Count(Arc::clone(&dropped))
            };
            let event_loop = EventLoop::multi_thread(2);
            // Tasks that await, cancel and group each other, on both threads, while the
            // loop closes under them.
            let tasks: Vec<Task<usize>> = (0..24usize)
                .map(|i| {
                    let (made, dropped) = (Arc::clone(&made), Arc::clone(&dropped));
                    let count = counted();
                    event_loop.create_task(async move {
                        let _count = count;
                        let counted = || {
                            made.fetch_add(1, Ordering::SeqCst);
                            Count(Arc::clone(&dropped))
                        };
                        for n in 1.. {
                            let group = TaskGroup::new();
                            for j in 0..4usize {
                                let count = counted();
                                group.create_task(async move {
                                    let _count = count;
                                    for _ in 0..(i + j) % 3 {
                                        asyncio::sleep(Duration::ZERO).await;
                                    }
                                });
                            }
                            let count = counted();
                            let victim = asyncio::create_task(async move {
                                let _count = count;
                                std::future::pending::<()>().await
                            });
                            asyncio::sleep(Duration::ZERO).await;
                            victim.cancel();
                            group.join().await.unwrap();
                            assert_eq!(victim.await, Err(TaskError::Cancelled));
                            if i % 5 == 0 && n == 3 {
                                return n;
                            }
                        }
                        unreachable!()
                    })
                })
                .collect();
            event_loop.run_until_complete(asyncio::sleep(Duration::ZERO));
            // The tasks run on in the loop's threads: close at a different point each round.
            for _ in 0..round * 2000 {
                std::hint::spin_loop();
            }
            event_loop.close();
            for task in &tasks {
                assert!(matches!(
                    task.result(),
                    Some(Ok(3) | Err(TaskError::Cancelled))
                ));
            }
            assert_eq!(dropped.load(Ordering::SeqCst), made.load(Ordering::SeqCst));
        }
    });
}

#[test]
fn a_detached_task_whose_value_panics_when_dropped_stops_nothing() {
    asyncio::run(async {
        // The handle is dropped: the value is dropped with the task (the panic reported).
        drop(asyncio::create_task(async { PanicOnDrop }));
        asyncio::sleep(Duration::ZERO).await;
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(asyncio::create_task(async { "after" }).await, Ok("after"));
    });
}

#[test]
fn a_solo_task_whose_driver_never_ran_is_dropped_with_its_runtime() {
    let runtime = plain_tokio_runtime();
    let (tx, rx) = mpsc::channel();
    let guard = DropSignal(tx, "dropped with the runtime");
    // The block returns at once: the task's driver is spawned but never polled.
    let task = runtime.block_on(async move {
        asyncio::create_task(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        })
    });
    drop(runtime);
    assert_eq!(rx.try_recv(), Ok("dropped with the runtime"));
    assert_eq!(task.result(), Some(Err(TaskError::Cancelled)));
}

#[test]
fn a_multi_thread_loop_loses_no_wake_up_from_another_thread() {
    within("multi-thread wake-ups", || {
        let event_loop = EventLoop::multi_thread(2);
        event_loop.run_until_complete(async {
            for round in 0..1000u32 {
                let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
                let (tx2, rx2) = tokio::sync::oneshot::channel::<u32>();
                let a = asyncio::create_task(async move { rx.await.unwrap() });
                let b = asyncio::create_task(async move { rx2.await.unwrap() + 1 });
                let thread = std::thread::spawn(move || {
                    tx.send(round).unwrap();
                    tx2.send(round).unwrap();
                });
                assert_eq!(a.await, Ok(round));
                assert_eq!(b.await, Ok(round + 1));
                thread.join().unwrap();
            }
        });
        event_loop.close();
    });
}

// ---- tasks ----

#[test]
fn a_task_reports_its_value_panic_or_cancellation() {
    paused(async {
        let ok = asyncio::create_task(async { 1 });
        assert!(!ok.done());
        assert_eq!(ok.result(), None);
        asyncio::sleep(Duration::ZERO).await;
        assert!(ok.done());
        assert!(!ok.cancelled());
        assert_eq!(ok.result(), Some(Ok(1)));
        assert_eq!(ok.exception(), None);
        assert_eq!(ok.await, Ok(1));

        let bad = asyncio::create_task(async { panic!("boom") });
        let err = bad.await.unwrap_err();
        assert_eq!(err.panic().unwrap().message(), "boom");

        let (tx, rx) = mpsc::channel();
        let long = asyncio::create_task(async move {
            let _guard = DropSignal(tx, "cleaned up");
            asyncio::sleep(LONG).await;
        });
        asyncio::sleep(Duration::ZERO).await;
        assert!(long.cancel());
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty)); // at its next poll
        asyncio::sleep(Duration::ZERO).await;
        assert!(long.cancelled());
        assert!(!long.cancel()); // already done
        assert_eq!(long.exception(), Some(TaskError::Cancelled));
        assert_eq!(rx.try_recv(), Ok("cleaned up"));
        assert_eq!(long.await, Err(TaskError::Cancelled));
    });
}

#[test]
fn done_callbacks_run_in_order_before_the_awaiter_and_at_once_when_done() {
    let (log, push) = log();
    asyncio::run(async move {
        let task = asyncio::create_task(async { 3 });
        for name in ["first", "second"] {
            let push = push.clone();
            task.add_done_callback(move |outcome| {
                push(&format!("{name} {:?}", outcome.as_ref().unwrap()));
            });
        }
        let p = push.clone();
        task.add_done_callback(move |_| {
            p("panicking");
            panic!("a bad callback");
        });
        let waiter = {
            let push = push.clone();
            asyncio::create_task(async move {
                let v = task.await.unwrap();
                push(&format!("awaited {v}"));
                task_after_done(push).await;
            })
        };
        waiter.await.unwrap();
    });
    assert_eq!(
        entries(&log),
        ["first 3", "second 3", "panicking", "awaited 3", "late 4"]
    );
}

#[test]
fn a_watched_task_runs_its_callback_after_its_handle_is_dropped_on_a_multi_thread_loop() {
    let event_loop = EventLoop::multi_thread(2);
    for round in 0..20 {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = mpsc::channel();
        event_loop.run_until_complete(async move {
            let task = asyncio::create_task(async move {
                let _ = released.await;
                round
            });
            task.add_done_callback(move |outcome| tx.send(outcome.clone()).unwrap());
            drop(task);
            release.send(()).unwrap();
        });
        assert_eq!(rx.recv_timeout(WAIT), Ok(Ok(round)));
    }
    event_loop.close();
}

async fn task_after_done(push: impl Fn(&str) + Send + 'static) {
    let done = asyncio::create_task(async { 4 });
    asyncio::sleep(Duration::ZERO).await;
    assert!(done.done());
    // A panicking callback on a done task is reported, as one run at the finish is, and
    // does not unwind into the caller.
    done.add_done_callback(|_| panic!("a bad late callback"));
    done.add_done_callback(move |o| push(&format!("late {}", o.as_ref().unwrap())));
}

#[test]
fn dropping_a_task_handle_does_not_cancel_but_dropping_its_await_does() {
    paused(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let detached = asyncio::create_task(async move {
            asyncio::sleep(Duration::from_secs(1)).await;
            tx.send("still ran").unwrap();
        });
        drop(detached);
        assert_eq!(rx.await, Ok("still ran"));

        let (drop_tx, drop_rx) = mpsc::channel();
        let task = asyncio::create_task(async move {
            let _guard = DropSignal(drop_tx, "cancelled with its await");
            asyncio::sleep(LONG).await;
        });
        asyncio::sleep(Duration::ZERO).await; // the task starts and suspends
        let mut join = task.into_future();
        let polled = futures_poll_once(&mut join).await;
        assert!(polled.is_none());
        drop(join);
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(drop_rx.try_recv(), Ok("cancelled with its await"));
    });
}

/// Polls `fut` once; `Some` if it was ready.
async fn futures_poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut *fut).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

// ---- gather, wait, as_completed, wait_for ----

fn sleeper(ms: u64) -> Task<u64> {
    asyncio::create_task(async move {
        asyncio::sleep(Duration::from_millis(ms)).await;
        ms
    })
}

#[test]
fn gather_keeps_the_order_and_reports_the_first_error() {
    paused(async {
        let values = asyncio::gather([sleeper(30), sleeper(10), sleeper(20)])
            .await
            .unwrap();
        assert_eq!(values, [30, 10, 20]);

        // Plain futures returning Result work too; the first error wins at once.
        let plain = asyncio::gather(vec![
            Box::pin(async {
                asyncio::sleep(LONG).await;
                Ok::<u32, &str>(1)
            }) as std::pin::Pin<Box<dyn Future<Output = _> + Send>>,
            Box::pin(async { Err("broken") }),
        ])
        .await;
        assert_eq!(plain, Err("broken"));

        let outcomes = asyncio::gather_all([
            sleeper(5),
            asyncio::create_task(async { panic!("x") }),
            sleeper(1),
        ])
        .await;
        assert_eq!(outcomes[0], Ok(5));
        assert!(outcomes[1].as_ref().unwrap_err().panic().is_some());
        assert_eq!(outcomes[2], Ok(1));
    });
}

/// Three tasks that sleep for [`LONG`] and say on `tx` when they are dropped.
fn long_sleepers_that_signal_their_drop(tx: &mpsc::Sender<&'static str>) -> Vec<Task<()>> {
    (0..3)
        .map(|_| {
            let tx = tx.clone();
            asyncio::create_task(async move {
                let _guard = DropSignal(tx, "child cancelled");
                asyncio::sleep(LONG).await;
            })
        })
        .collect()
}

#[test]
fn dropping_a_gather_cancels_its_tasks() {
    paused(async {
        let (tx, rx) = mpsc::channel();
        let tasks = long_sleepers_that_signal_their_drop(&tx);
        let timed_out = asyncio::wait_for(asyncio::gather_all(tasks), Duration::from_secs(1)).await;
        assert_eq!(timed_out.unwrap_err(), TimeoutError);
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(rx.try_iter().count(), 3);
    });
}

#[test]
fn dropping_a_failing_gather_cancels_its_tasks_too() {
    paused(async {
        let (tx, rx) = mpsc::channel();
        let tasks = long_sleepers_that_signal_their_drop(&tx);
        let timed_out = asyncio::wait_for(asyncio::gather(tasks), Duration::from_secs(1)).await;
        assert_eq!(timed_out.unwrap_err(), TimeoutError);
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(rx.try_iter().count(), 3);
    });
}

#[test]
fn a_gather_of_tasks_reports_a_later_failure_at_once_and_leaves_the_others_running() {
    paused(async {
        let (tx, rx) = mpsc::channel();
        let start = tokio::time::Instant::now();
        let slow = asyncio::create_task(async move {
            asyncio::sleep(LONG).await;
            tx.send("slow finished").unwrap();
            1
        });
        let failing = asyncio::create_task(async {
            asyncio::sleep(Duration::from_millis(5)).await;
            panic!("second fails")
        });
        let quick = asyncio::create_task(async { 3 });
        let err = asyncio::gather([slow, failing, quick]).await.unwrap_err();
        assert_eq!(err.panic().unwrap().message(), "second fails");
        // Reported when it happened, not after the first task (on the paused clock).
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(5) && elapsed < WAIT,
            "{elapsed:?}"
        );
        // The first task was not cancelled: it goes on and finishes.
        asyncio::sleep(LONG).await;
        assert_eq!(rx.try_recv(), Ok("slow finished"));
    });
}

#[test]
fn a_gather_of_tasks_sees_failures_that_came_before_it_and_cancellations() {
    paused(async {
        let start = tokio::time::Instant::now();
        let failed = asyncio::create_task(async { panic!("early") });
        asyncio::sleep(Duration::ZERO).await;
        assert!(failed.done());
        let slow = asyncio::create_task(asyncio::sleep(LONG));
        let failed_unit = asyncio::create_task(async move {
            let _ = failed.await;
        });
        let gathered = asyncio::gather([slow, failed_unit]).await;
        assert_eq!(
            gathered,
            Ok(vec![(), ()]),
            "a task that awaited a failure succeeds"
        );
        assert!(start.elapsed() >= LONG);

        let start = tokio::time::Instant::now();
        let done_failing = asyncio::create_task(async { panic!("before the gather") });
        let slow = asyncio::create_task(async {
            asyncio::sleep(LONG).await;
        });
        asyncio::sleep(Duration::ZERO).await;
        let err = asyncio::gather([slow, done_failing]).await.unwrap_err();
        assert_eq!(err.panic().unwrap().message(), "before the gather");
        assert!(start.elapsed() < WAIT, "{:?}", start.elapsed());

        let cancelled = asyncio::create_task(std::future::pending::<u8>());
        let fine = asyncio::create_task(async { 1u8 });
        cancelled.cancel();
        assert_eq!(
            asyncio::gather([fine, cancelled]).await,
            Err(TaskError::Cancelled)
        );
        assert_eq!(asyncio::gather(Vec::<Task<u8>>::new()).await, Ok(vec![]));
        assert!(asyncio::gather_all(Vec::<Task<u8>>::new()).await.is_empty());
    });
}

#[test]
fn a_gather_on_a_multi_thread_loop_reports_a_failure_while_the_first_task_waits() {
    let event_loop = EventLoop::multi_thread(2);
    for round in 0..50 {
        let err = event_loop.run_until_complete(async move {
            let (release, released) = tokio::sync::oneshot::channel::<()>();
            let first = asyncio::create_task(async move {
                let _ = released.await;
                0
            });
            // The others finish on the workers while the gather sets its watch.
            let mut tasks = vec![first];
            tasks.extend((1..200).map(|i| {
                asyncio::create_task(async move {
                    if i == 150 {
                        panic!("round {round}");
                    }
                    i
                })
            }));
            let gathered = asyncio::wait_for(asyncio::gather(tasks), WAIT).await;
            let _ = release.send(());
            gathered.expect("the failure was reported while the first task waited")
        });
        assert_eq!(
            err.unwrap_err().panic().unwrap().message(),
            format!("round {round}")
        );
    }
    event_loop.close();
}

#[test]
fn a_gather_of_many_tasks_keeps_every_value_in_order() {
    let n = 10_000u64;
    let values = asyncio::run(async move {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                asyncio::create_task(async move {
                    // Finish out of order: every third task yields first.
                    if i % 3 == 0 {
                        asyncio::sleep(Duration::ZERO).await;
                    }
                    i * 2
                })
            })
            .collect();
        asyncio::gather(tasks).await.unwrap()
    });
    assert_eq!(values, (0..n).map(|i| i * 2).collect::<Vec<_>>());
    let outcomes = asyncio::run(async move {
        let tasks: Vec<_> = (0..n)
            .map(|i| asyncio::create_task(async move { format!("{i}") }))
            .collect();
        asyncio::gather_all(tasks).await
    });
    assert_eq!(outcomes.len(), n as usize);
    assert!(
        outcomes
            .iter()
            .enumerate()
            .all(|(i, o)| *o == Ok(i.to_string()))
    );
}

#[test]
fn wait_returns_done_and_pending_by_return_when() {
    paused(async {
        let (done, pending) = asyncio::wait(
            [sleeper(10), sleeper(1000), sleeper(20)],
            ReturnWhen::FirstCompleted,
            None,
        )
        .await;
        assert_eq!(asyncio::results(done), [Ok(10)]);
        assert_eq!(pending.len(), 2);

        let (done, pending) = asyncio::wait(pending, ReturnWhen::AllCompleted, None).await;
        assert_eq!(asyncio::results(done), [Ok(1000), Ok(20)]);
        assert!(pending.is_empty());

        let failing = asyncio::create_task(async {
            asyncio::sleep(Duration::from_millis(5)).await;
            panic!("first exception")
        });
        let slow = asyncio::create_task(async {
            asyncio::sleep(LONG).await;
            0u64
        });
        let quick = sleeper(1);
        let (done, pending) =
            asyncio::wait([slow, failing, quick], ReturnWhen::FirstException, None).await;
        assert_eq!(done.len(), 2);
        assert_eq!(pending.len(), 1);
        let panics = done.iter().filter(|t| t.exception().is_some()).count();
        assert_eq!(panics, 1);

        // A timeout returns what is done so far and cancels nothing.
        let start = tokio::time::Instant::now();
        let (done, pending) = asyncio::wait(
            pending,
            ReturnWhen::AllCompleted,
            Some(Duration::from_secs(2)),
        )
        .await;
        assert!(done.is_empty());
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(3));
        assert!(!pending[0].done());
        assert!(pending[0].cancel());

        let (done, pending) =
            asyncio::wait(Vec::<Task<()>>::new(), ReturnWhen::AllCompleted, None).await;
        assert!(done.is_empty() && pending.is_empty());
    });
}

#[test]
fn as_completed_yields_in_finishing_order_and_times_out() {
    paused(async {
        let mut finished = Vec::new();
        let mut completed = asyncio::as_completed([sleeper(40), sleeper(10), sleeper(20)], None);
        assert_eq!(completed.remaining(), 3);
        while let Some(task) = completed.next().await {
            finished.push(task.unwrap().await.unwrap());
        }
        assert_eq!(finished, [10, 20, 40]);

        let never = asyncio::create_task(std::future::pending::<u64>());
        let mut completed =
            asyncio::as_completed([sleeper(5), never], Some(Duration::from_millis(50)));
        assert_eq!(completed.next().await.unwrap().unwrap().await, Ok(5));
        assert_eq!(completed.next().await.unwrap().unwrap_err(), TimeoutError);
        assert!(completed.next().await.is_none());
    });
}

#[test]
fn wait_for_times_out_and_cancels_the_task() {
    paused(async {
        assert_eq!(
            asyncio::wait_for(sleeper(5), Duration::from_millis(10)).await,
            Ok(Ok(5))
        );
        let (tx, rx) = mpsc::channel();
        let slow = asyncio::create_task(async move {
            let _guard = DropSignal(tx, "timed out");
            asyncio::sleep(LONG).await;
        });
        assert_eq!(
            asyncio::wait_for(slow, Duration::from_millis(10)).await,
            Err(TimeoutError)
        );
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(rx.try_recv(), Ok("timed out"));
    });
}

// ---- TaskGroup ----

#[test]
fn a_task_group_waits_for_all_and_the_first_failure_cancels_the_rest() {
    paused(async {
        let group = TaskGroup::new();
        let a = group.create_task(sleeper_fut(10));
        let b = group.create_task(sleeper_fut(20));
        assert_eq!(group.len(), 2);
        group.join().await.unwrap();
        assert!(a.done() && b.done());

        let (tx, rx) = mpsc::channel();
        let group = TaskGroup::new();
        let victim = group.create_task(async move {
            let _guard = DropSignal(tx, "sibling cancelled");
            asyncio::sleep(LONG).await;
        });
        group.create_task(async {
            asyncio::sleep(Duration::from_millis(5)).await;
            panic!("child failed");
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(err.failed(), 1);
        assert_eq!(err.panics()[0].message(), "child failed");
        assert!(victim.cancelled());
        assert_eq!(rx.try_recv(), Ok("sibling cancelled"));

        let group = TaskGroup::new();
        let other = group.create_task(asyncio::sleep(LONG));
        let bad = group.create_fallible_task(async { Err::<(), _>("bad") });
        assert_eq!(group.join().await.unwrap_err().failed(), 1);
        assert_eq!(bad.await, Ok(Err("bad")));
        assert_eq!(other.await, Err(TaskError::Cancelled));

        // Dropping a group that was not joined cancels its tasks.
        let group = TaskGroup::new();
        let orphan = group.create_task(asyncio::sleep(LONG));
        drop(group);
        assert_eq!(orphan.await, Err(TaskError::Cancelled));
    });
}

async fn sleeper_fut(ms: u64) -> u64 {
    asyncio::sleep(Duration::from_millis(ms)).await;
    ms
}

// ---- threads and executors ----

fn cube(x: u64) -> u64 {
    x * x * x
}
tripod::task!(cube);

fn twice(x: u32) -> u32 {
    x * 2
}
tripod::task!(twice);

#[test]
fn to_thread_and_run_in_executor_do_not_block_the_loop() {
    let pool = ThreadPoolExecutor::new(2);
    asyncio::run(async {
        // The blocking job waits for the loop to make progress: it would deadlock if it
        // blocked the loop.
        let event = Arc::new(tripod::threading::Event::new());
        let e = Arc::clone(&event);
        let blocking = asyncio::create_task(asyncio::to_thread(move || e.wait_timeout(WAIT)));
        asyncio::sleep(Duration::ZERO).await;
        event.set();
        assert_eq!(blocking.await.unwrap(), Ok(true));
        assert!(
            asyncio::to_thread(|| panic!("in a thread"))
                .await
                .unwrap_err()
                .panic()
                .is_some()
        );

        assert_eq!(asyncio::run_in_executor(&pool, || 6 * 7).await, Ok(42));
        let err = asyncio::run_in_executor(&pool, || -> u8 { panic!("pool task") })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), FutureErrorKind::Panicked);
    });
}

#[test]
fn run_in_executor_with_a_process_pool() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let value = asyncio::run(async {
        asyncio::run_in_executor(&pool, tripod::futures::Call::new(cube, (3u64,))).await
    });
    assert_eq!(value, Ok(27));
}

#[test]
fn process_queue_and_join_are_awaitable() {
    let q = tripod::multiprocessing::Queue::<u32>::new().unwrap();
    let child = Process::new(twice, (21u32,)).start().unwrap();
    let (got, joined) = asyncio::run(async {
        let writer = q.clone();
        let reader = asyncio::create_task({
            let q = q.clone();
            async move { q.get_async().await.unwrap() }
        });
        asyncio::sleep(Duration::ZERO).await; // the reader waits off the loop
        writer.put_async(5).await.unwrap();
        (reader.await.unwrap(), child.join_async().await.unwrap())
    });
    assert_eq!(got, 5);
    assert_eq!(joined, 42);
}

#[test]
fn a_cancelled_process_queue_get_loses_no_item() {
    let q = tripod::multiprocessing::Queue::<u32>::new().unwrap();
    asyncio::run(async {
        let getter = {
            let q = q.clone();
            asyncio::create_task(async move { q.get_async().await.unwrap() })
        };
        asyncio::sleep(Duration::ZERO).await;
        assert!(getter.cancel());
        asyncio::sleep(Duration::ZERO).await;
        q.put(9).unwrap();
    });
    // Whether the abandoned blocking get took the item or not, it is in the queue.
    assert_eq!(q.get_timeout(WAIT).unwrap(), 9);
}

// ---- primitives ----

#[test]
fn lock_excludes_and_a_cancelled_waiter_passes_it_on() {
    paused(async {
        let list = Arc::new(Lock::new(Vec::new()));
        let tasks: Vec<_> = ["one", "two"]
            .into_iter()
            .map(|name| {
                let list = Arc::clone(&list);
                asyncio::create_task(async move {
                    let mut l = list.acquire().await;
                    l.push(format!("{name} start"));
                    asyncio::sleep(Duration::ZERO).await;
                    l.push(format!("{name} end"));
                })
            })
            .collect();
        asyncio::gather(tasks).await.unwrap();
        assert_eq!(
            *list.acquire().await,
            ["one start", "one end", "two start", "two end"]
        );

        let lock = Arc::new(Lock::new(()));
        let held = lock.acquire().await;
        let waiter = |lock: Arc<Lock<()>>| {
            asyncio::create_task(async move {
                let _g = lock.acquire().await;
            })
        };
        let first = waiter(Arc::clone(&lock));
        let second = waiter(Arc::clone(&lock));
        asyncio::sleep(Duration::ZERO).await;
        assert!(lock.locked());
        first.cancel();
        drop(held);
        assert_eq!(asyncio::wait_for(second, WAIT).await, Ok(Ok(())));
        assert!(!lock.locked());
    });
}

#[test]
fn event_wakes_every_waiter() {
    paused(async {
        let event = Arc::new(Event::new());
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let event = Arc::clone(&event);
                asyncio::create_task(async move {
                    event.wait().await;
                    i
                })
            })
            .collect();
        asyncio::sleep(Duration::ZERO).await;
        assert!(waiters.iter().all(|w| !w.done()));
        let setter = Arc::clone(&event);
        EventLoop::current()
            .unwrap()
            .call_later(Duration::from_millis(100), move || setter.set());
        assert_eq!(asyncio::gather(waiters).await.unwrap(), [0, 1, 2]);
        assert!(event.is_set());
        event.clear();
        assert!(!event.is_set());
        assert!(
            asyncio::wait_for(event.wait(), Duration::from_secs(1))
                .await
                .is_err()
        );
    });
}

fn condition_consumer(cond: Arc<Condition<Vec<usize>>>, n: usize) -> Task<usize> {
    asyncio::create_task(async move {
        let guard = cond.acquire().await;
        let mut guard = guard.wait().await;
        guard.push(n);
        n
    })
}

#[test]
fn condition_notify_wakes_n_in_order_and_notify_all_the_rest() {
    paused(async {
        let cond = Arc::new(Condition::new(Vec::new()));
        let consumers: Vec<_> = (0..5)
            .map(|n| condition_consumer(Arc::clone(&cond), n))
            .collect();
        asyncio::sleep(Duration::ZERO).await;
        for i in 1..3 {
            let guard = cond.acquire().await;
            assert_eq!(guard.notify(i), i);
            drop(guard);
            asyncio::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(*cond.acquire().await, [0, 1, 2]);
        assert_eq!(cond.acquire().await.notify_all(), 2);
        assert_eq!(asyncio::gather(consumers).await.unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(*cond.acquire().await, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_cancelled_notified_condition_waiter_passes_the_notification_on() {
    paused(async {
        let cond = Arc::new(Condition::new(Vec::new()));
        let first = condition_consumer(Arc::clone(&cond), 1);
        let second = condition_consumer(Arc::clone(&cond), 2);
        asyncio::sleep(Duration::ZERO).await;
        let guard = cond.acquire().await;
        assert_eq!(guard.notify(1), 1); // wakes `first`...
        first.cancel(); // ...which is cancelled before it could run
        drop(guard);
        assert_eq!(asyncio::wait_for(second, WAIT).await, Ok(Ok(2)));
        assert_eq!(first.await, Err(TaskError::Cancelled));
        assert_eq!(*cond.acquire().await, [2]);
    });
}

#[test]
fn condition_wait_for_checks_the_predicate() {
    paused(async {
        let cond = Arc::new(Condition::new(0u32));
        let waiter = {
            let cond = Arc::clone(&cond);
            asyncio::create_task(async move { *cond.acquire().await.wait_for(|n| *n >= 3).await })
        };
        for _ in 0..3 {
            asyncio::sleep(Duration::ZERO).await;
            let mut guard = cond.acquire().await;
            *guard += 1;
            guard.notify_all();
        }
        assert_eq!(waiter.await, Ok(3));
    });
}

#[test]
fn semaphores_count_and_the_bounded_one_refuses_extra_releases() {
    paused(async {
        let sem = Arc::new(Semaphore::new(2));
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (sem, active, peak) =
                    (Arc::clone(&sem), Arc::clone(&active), Arc::clone(&peak));
                asyncio::create_task(async move {
                    let _permit = sem.acquire().await;
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    asyncio::sleep(Duration::from_millis(10)).await;
                    active.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        asyncio::gather(tasks).await.unwrap();
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(sem.value(), 2);
        sem.release(1);
        assert_eq!(sem.value(), 3);

        let bounded = BoundedSemaphore::new(1);
        bounded.acquire().await.forget();
        assert!(bounded.locked());
        assert!(bounded.release(1).is_ok());
        assert!(bounded.release(1).is_err());
        assert_eq!(bounded.value(), 1);
    });
}

#[test]
fn a_bounded_semaphore_refuses_a_release_for_a_permit_a_guard_still_holds() {
    paused(async {
        let bounded = BoundedSemaphore::new(1);
        let held = bounded.acquire().await;
        // The guard gives its permit back when dropped: a release by hand now would leave
        // the count at 2, above the bound, once it is.
        assert!(bounded.release(1).is_err());
        drop(held);
        assert_eq!(bounded.value(), 1);
        // Two guards forgotten, released one by one, up to the bound and no further.
        let two = BoundedSemaphore::new(2);
        two.try_acquire().unwrap().forget();
        two.acquire().await.forget();
        assert!(two.release(2).is_ok());
        assert!(two.release(1).is_err());
        assert_eq!(two.value(), 2);
    });
}

#[test]
fn barrier_trips_reuses_and_a_cancelled_waiter_withdraws() {
    paused(async {
        let barrier = Arc::new(Barrier::new(3));
        for _round in 0..2 {
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let b = Arc::clone(&barrier);
                    asyncio::create_task(async move { b.wait().await.unwrap() })
                })
                .collect();
            let mut indexes = asyncio::gather(tasks).await.unwrap();
            indexes.sort();
            assert_eq!(indexes, [0, 1, 2]);
        }

        let barrier = Arc::new(Barrier::new(2));
        let b = Arc::clone(&barrier);
        let quitter = asyncio::create_task(async move { b.wait().await });
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(barrier.n_waiting(), 1);
        quitter.cancel();
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(barrier.n_waiting(), 0);
        // One waiter alone does not pass: the quitter's arrival was withdrawn.
        assert!(
            asyncio::wait_for(barrier.wait(), Duration::from_secs(1))
                .await
                .is_err()
        );

        let b = Arc::clone(&barrier);
        let stuck = asyncio::create_task(async move { b.wait().await });
        asyncio::sleep(Duration::ZERO).await;
        barrier.abort();
        assert_eq!(stuck.await, Ok(Err(BrokenBarrierError)));
        assert!(barrier.is_broken());
        barrier.reset();
        assert!(!barrier.is_broken());
    });
}

// ---- queues ----

#[test]
fn queues_keep_their_discipline_and_bound() {
    paused(async {
        let fifo = Queue::new(0);
        let lifo = LifoQueue::new(0);
        let prio = PriorityQueue::new(0);
        for x in [2, 3, 1] {
            fifo.put(x).await.unwrap();
            lifo.put(x).await.unwrap();
            prio.put(x).await.unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push((
                fifo.get().await.unwrap(),
                lifo.get().await.unwrap(),
                prio.get().await.unwrap(),
            ));
        }
        assert_eq!(got, [(2, 1, 1), (3, 3, 2), (1, 2, 3)]);

        let bounded = Queue::new(1);
        bounded.put(1).await.unwrap();
        assert!(bounded.is_full());
        assert_eq!(bounded.try_put(2), Err(TryPutError::Full(2)));
        let putter = {
            let q = bounded.clone();
            asyncio::create_task(async move { q.put(2).await })
        };
        asyncio::sleep(Duration::ZERO).await;
        assert!(!putter.done());
        assert_eq!(bounded.get().await, Ok(1));
        assert_eq!(putter.await, Ok(Ok(())));
        assert_eq!(bounded.try_get(), Ok(2));
        assert_eq!(bounded.try_get(), Err(TryGetError::Empty));
    });
}

#[test]
fn queue_task_done_and_join_with_workers() {
    paused(async {
        let queue = Queue::new(0);
        let total = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, total) = (queue.clone(), Arc::clone(&total));
                asyncio::create_task(async move {
                    while let Ok(ms) = q.get().await {
                        asyncio::sleep(Duration::from_millis(ms)).await;
                        total.fetch_add(ms as usize, Ordering::SeqCst);
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        for ms in 1..=20u64 {
            queue.put(ms).await.unwrap();
        }
        queue.join().await;
        assert_eq!(total.load(Ordering::SeqCst), 210);
        assert_eq!(queue.unfinished_tasks(), 0);
        assert!(queue.task_done().is_err());
        for w in &workers {
            w.cancel();
        }
    });
}

#[test]
fn queue_shutdown_wakes_everybody() {
    paused(async {
        let q: Queue<u32> = Queue::new(1);
        let getter = {
            let q = q.clone();
            asyncio::create_task(async move { q.get().await })
        };
        asyncio::sleep(Duration::ZERO).await;
        q.shutdown(false);
        assert!(getter.await.unwrap().is_err());
        assert_eq!(q.put(1).await.unwrap_err().into_inner(), 1);

        // Graceful: items left are still handed out; immediate: dropped, join returns.
        let q = Queue::new(2);
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
        let putter = {
            let q = q.clone();
            asyncio::create_task(async move { q.put(3).await })
        };
        asyncio::sleep(Duration::ZERO).await;
        q.shutdown(false);
        assert_eq!(putter.await.unwrap().unwrap_err().into_inner(), 3);
        assert_eq!(q.get().await, Ok(1));
        q.shutdown(true);
        assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
        assert_eq!(q.unfinished_tasks(), 1); // the item got but not marked done
        q.task_done().unwrap();
        q.join().await;
    });
}

#[test]
fn a_cancelled_queue_getter_passes_the_item_on() {
    paused(async {
        let q: Queue<&str> = Queue::new(0);
        let getter = |q: Queue<&'static str>| asyncio::create_task(async move { q.get().await });
        let first = getter(q.clone());
        let second = getter(q.clone());
        asyncio::sleep(Duration::ZERO).await;
        q.put("item").await.unwrap(); // wakes `first`...
        first.cancel(); // ...which is cancelled before it runs
        assert_eq!(asyncio::wait_for(second, WAIT).await, Ok(Ok(Ok("item"))));
        assert_eq!(first.await, Err(TaskError::Cancelled));
    });
}

#[test]
fn a_cancelled_queue_putter_passes_the_slot_on() {
    paused(async {
        let q: Queue<u8> = Queue::new(1);
        q.put(0).await.unwrap();
        let putter = |q: Queue<u8>, x| asyncio::create_task(async move { q.put(x).await });
        let first = putter(q.clone(), 1);
        let second = putter(q.clone(), 2);
        asyncio::sleep(Duration::ZERO).await;
        assert_eq!(q.get().await, Ok(0)); // frees a slot, wakes `first`...
        first.cancel(); // ...which is cancelled before it runs
        assert_eq!(asyncio::wait_for(second, WAIT).await, Ok(Ok(Ok(()))));
        assert_eq!(q.get().await, Ok(2));
    });
}

// ---- generators ----

#[test]
fn the_send_based_producer_consumer() {
    let (log, push) = log();
    let mut consumer = Generator::new(|co| {
        let push = push.clone();
        async move {
            let mut r = String::new();
            loop {
                let n: Option<u32> = co.yield_(r.clone()).await;
                let Some(n) = n else { return "closed" };
                push(&format!("[CONSUMER] Consuming {n}..."));
                r = "200 OK".to_owned();
            }
        }
    });
    assert_eq!(consumer.send(Some(1)), Err(GeneratorError::NotStarted));
    assert_eq!(consumer.start(), GeneratorState::Yielded(String::new()));
    for n in 1..=5 {
        push(&format!("[PRODUCER] Producing {n}..."));
        let r = consumer.send(Some(n)).unwrap();
        assert_eq!(r, GeneratorState::Yielded("200 OK".to_owned()));
    }
    assert_eq!(consumer.send(None), Ok(GeneratorState::Complete("closed")));
    assert!(consumer.is_finished());
    assert_eq!(consumer.send(None), Err(GeneratorError::Finished));
    let lines = entries(&log);
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], "[PRODUCER] Producing 1...");
    assert_eq!(lines[1], "[CONSUMER] Consuming 1...");
    assert_eq!(lines[9], "[CONSUMER] Consuming 5...");
}

#[test]
fn dropping_a_generator_closes_it() {
    let (tx, rx) = mpsc::channel();
    let mut g = Generator::new(|co| async move {
        let _guard = DropSignal(tx, "closed");
        loop {
            co.yield_(()).await;
        }
    });
    assert_eq!(g.start(), GeneratorState::Yielded(()));
    assert_eq!(g.send(()), Ok(GeneratorState::Yielded(())));
    let _: &Generator<(), (), ()> = &g;
    drop(g);
    assert_eq!(rx.try_recv(), Ok("closed"));
}

#[test]
#[should_panic(expected = "co.yield_")]
fn a_generator_awaiting_something_else_is_a_clear_panic() {
    let mut g: Generator<(), (), ()> = Generator::new(|_co| async {
        std::future::pending::<()>().await;
    });
    g.start();
}

#[test]
fn a_generator_whose_body_panicked_is_finished() {
    let mut g: Generator<u32, u32, ()> = Generator::new(|co| async move {
        let sent = co.yield_(1).await;
        assert!(sent < 10, "too big");
        co.yield_(2).await;
    });
    assert_eq!(g.start(), GeneratorState::Yielded(1));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.send(99)));
    assert!(panicked.is_err());
    // As a Python generator that raised: finished, not resumed into a panicked body.
    assert!(g.is_finished());
    assert_eq!(g.send(1), Err(GeneratorError::Finished));
}

// ---- Send/Sync contract ----

#[allow(dead_code)]
fn send_sync_contract() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<EventLoop>();
    send_sync::<asyncio::Handle>();
    send_sync::<asyncio::TimerHandle>();
    send_sync::<Task<u8>>();
    send_sync::<asyncio::TaskJoin<u8>>();
    send_sync::<TaskError>();
    send_sync::<TaskGroup>();
    send_sync::<asyncio::TaskGroupError>();
    send_sync::<Lock<u8>>();
    send_sync::<asyncio::LockGuard<'static, u8>>();
    send_sync::<Event>();
    send_sync::<Condition<u8>>();
    send_sync::<asyncio::ConditionGuard<'static, u8>>();
    send_sync::<Semaphore>();
    send_sync::<BoundedSemaphore>();
    send_sync::<asyncio::SemaphoreGuard<'static>>();
    send_sync::<Barrier>();
    send_sync::<Queue<u8>>();
    send_sync::<LifoQueue<u8>>();
    send_sync::<PriorityQueue<u8>>();
    send_sync::<asyncio::AsCompleted<u8>>();
    send_sync::<asyncio::Gather<Task<u8>>>();
    send_sync::<asyncio::GatherAll<Task<u8>>>();
    send_sync::<asyncio::WrapFuture<u8>>();
    send_sync::<TimeoutError>();
    send::<Generator<u8, u8, u8>>();
    send_sync::<asyncio::Co<u8, u8>>();
    // The futures of the async methods are Send, so they can run inside tasks.
    fn send_future<F: Future + Send>(_: F) {}
    let (lock, event, q) = (Lock::new(0u8), Event::new(), Queue::<u8>::new(0));
    let cond = Condition::new(0u8);
    send_future(lock.acquire());
    send_future(event.wait());
    send_future(q.get());
    send_future(q.put(1));
    send_future(q.join());
    send_future(cond.acquire());
    send_future(asyncio::sleep(Duration::ZERO));
    send_future(asyncio::wait(
        Vec::<Task<u8>>::new(),
        ReturnWhen::AllCompleted,
        None,
    ));
    send_future(TaskGroup::new().join());
    send_future(asyncio::gather(Vec::<Task<u8>>::new()));
    send_future(asyncio::gather_all(Vec::<Task<u8>>::new()));
    send_future(Barrier::new(1).wait());
}

/// Runs `f` on a thread of its own and fails if it does not return within `WAIT` (a
/// deadlock shows as a failure, not a hung test).
fn within_wait<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(WAIT)
        .expect("deadlocked: did not return in time")
}

#[test]
fn a_done_callback_on_a_done_task_may_use_the_task() {
    let seen = within_wait(|| {
        asyncio::run(async {
            let (tx, rx) = mpsc::channel();
            // Done and never watched, then done after it was watched.
            let plain = Arc::new(asyncio::create_task(async { 1 }));
            let watched = Arc::new(asyncio::create_task(async { 2 }));
            watched.add_done_callback(|_| ());
            asyncio::sleep(Duration::ZERO).await;
            for task in [plain, watched] {
                assert!(task.done());
                let (me, tx) = (Arc::clone(&task), tx.clone());
                task.add_done_callback(move |outcome| {
                    let again = tx.clone();
                    // Python's callbacks look at their task: done, result, more callbacks.
                    tx.send((me.done(), me.result(), outcome.clone())).unwrap();
                    me.add_done_callback(move |outcome| {
                        again.send((true, None, outcome.clone())).unwrap();
                    });
                    me.cancel();
                });
            }
            drop(tx);
            rx.iter().collect::<Vec<_>>()
        })
    });
    assert_eq!(
        seen,
        [
            (true, Some(Ok(1)), Ok(1)),
            (true, None, Ok(1)),
            (true, Some(Ok(2)), Ok(2)),
            (true, None, Ok(2)),
        ]
    );
}

#[test]
fn a_gather_whose_first_task_waits_goes_idle() {
    for event_loop in [EventLoop::new(), EventLoop::multi_thread(2)] {
        let polls = event_loop.run_until_complete(async {
            let (release, released) = tokio::sync::oneshot::channel::<()>();
            let mut tasks = vec![asyncio::create_task(async move {
                let _ = released.await;
                0
            })];
            let finished = Arc::new(AtomicUsize::new(0));
            tasks.extend((1..100).map(|i| {
                let finished = Arc::clone(&finished);
                asyncio::create_task(async move {
                    finished.fetch_add(1, Ordering::SeqCst);
                    i
                })
            }));
            let polls = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&polls);
            let mut gather = asyncio::gather(tasks);
            let gathering = asyncio::create_task(std::future::poll_fn(move |cx| {
                counted.fetch_add(1, Ordering::SeqCst);
                std::pin::Pin::new(&mut gather).poll(cx)
            }));
            let deadline = std::time::Instant::now() + WAIT;
            while finished.load(Ordering::SeqCst) < 99 || polls.load(Ordering::SeqCst) < 2 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the gather never waited"
                );
                asyncio::sleep(Duration::ZERO).await;
            }
            // Every other task is done and the gather has waited: over many turns of the
            // loop (and a window of real time, for the workers of a multi-thread loop) it
            // is not polled again and again.
            let window = std::time::Instant::now() + Duration::from_millis(50);
            let mut turns = 0;
            while turns < 200 || std::time::Instant::now() < window {
                asyncio::sleep(Duration::ZERO).await;
                turns += 1;
            }
            let idle = polls.load(Ordering::SeqCst);
            release.send(()).unwrap();
            assert_eq!(gathering.await.unwrap(), Ok((0..100).collect::<Vec<_>>()));
            idle
        });
        assert!(polls <= 4, "polled {polls} times while waiting");
        event_loop.close();
    }
}

#[test]
fn callbacks_added_from_another_thread_while_the_task_completes_run_once() {
    let event_loop = EventLoop::multi_thread(2);
    for round in 0..200u32 {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let task = Arc::new(event_loop.create_task(async move {
            let _ = released.await;
            round
        }));
        let (tx, rx) = mpsc::channel();
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let adder = {
            let (task, tx, barrier) = (Arc::clone(&task), tx.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                for n in 0..3 {
                    let tx = tx.clone();
                    task.add_done_callback(move |outcome| tx.send((n, outcome.clone())).unwrap());
                    // Done means the outcome is there to read.
                    if task.done() {
                        assert_eq!(task.result(), Some(Ok(round)));
                    }
                }
            })
        };
        barrier.wait();
        release.send(()).unwrap();
        adder.join().unwrap();
        drop(tx);
        let seen: Vec<_> = rx.iter().collect();
        assert_eq!(seen, [(0, Ok(round)), (1, Ok(round)), (2, Ok(round))]);
        assert!(task.done());
        assert_eq!(task.result(), Some(Ok(round)));
    }
    event_loop.close();
}

#[test]
fn a_done_callback_sees_its_task_done() {
    let seen = within_wait(|| {
        asyncio::run(async {
            let (tx, rx) = mpsc::channel();
            let task = Arc::new(asyncio::create_task(async { 3 }));
            let me = Arc::clone(&task);
            task.add_done_callback(move |_| tx.send((me.done(), me.result())).unwrap());
            while !task.done() {
                asyncio::sleep(Duration::ZERO).await;
            }
            rx.try_recv()
        })
    });
    assert_eq!(seen, Ok((true, Some(Ok(3)))));
}
