//! Tests for `tripod::threading`'s thread half: Thread/JoinHandle, the thread registry
//! (current_thread, main_thread, enumerate, active_count, get_ident), daemon semantics and
//! `wait_for_non_daemon`/`tripod::main`, Timer, and Local.
//!
//! Ordering is done with channels, barriers and deadlines, never with sleeps. The tests
//! run on libtest's threads, which tripod sees as daemon dummies, so threads that must be
//! non-daemon say so explicitly.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use tripod::PanicError;
use tripod::threading::{
    JoinHandle, Local, Thread, ThreadRef, Timer, TimerHandle, active_count, current_thread,
    enumerate, get_ident, main_thread, wait_for_non_daemon, wait_for_non_daemon_timeout,
};

/// Long enough to never fire on a loaded machine when the thing should happen.
const PATIENCE: Duration = Duration::from_secs(10);
/// Short window for checking that something has *not* happened (a false pass is
/// impossible: if it happened, the assertion fails).
const BRIEFLY: Duration = Duration::from_millis(50);

fn contains(threads: &[ThreadRef], ident: u64) -> bool {
    threads.iter().any(|t| t.ident() == ident)
}

/// The N of "Thread-N".
fn thread_number(name: &str) -> u64 {
    name.strip_prefix("Thread-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name:?} is not of the form Thread-N"))
}

// ---------------------------------------------------------------- Thread, JoinHandle

#[test]
fn join_returns_the_targets_value() {
    let data = [1u64, 2, 3, 4];
    let handle = Thread::new(move || data.iter().sum::<u64>())
        .start()
        .unwrap();
    assert_eq!(handle.join(), Ok(10));
}

#[test]
fn a_panic_reaches_the_joiner_as_panic_error() {
    let handle = Thread::new(|| -> u8 { panic!("target failed: {}", 42) })
        .start()
        .unwrap();
    let err: PanicError = handle.join().unwrap_err();
    assert_eq!(err.message(), "target failed: 42");
    // The panicking thread has been cleaned up like any other.
    let handle = Thread::new(|| -> u8 { panic!("again") }).start().unwrap();
    let ident = handle.ident();
    assert!(handle.join().is_err());
    assert!(!contains(&enumerate(), ident));
}

#[test]
fn join_timeout_does_not_consume_and_reports_finish() {
    let (release, wait) = mpsc::channel::<&str>();
    let handle = Thread::new(move || wait.recv().unwrap()).start().unwrap();
    assert!(!handle.join_timeout(Duration::ZERO));
    assert!(!handle.join_timeout(BRIEFLY));
    assert!(handle.is_alive());
    release.send("released").unwrap();
    assert!(handle.join_timeout(PATIENCE));
    assert!(!handle.is_alive());
    assert!(handle.join_timeout(Duration::ZERO)); // still true, still not consumed
    assert_eq!(handle.join(), Ok("released"));
}

#[test]
fn join_deadline_in_the_past_does_not_block() {
    let (release, wait) = mpsc::channel::<()>();
    let handle = Thread::new(move || wait.recv()).start().unwrap();
    let start = Instant::now();
    assert!(!handle.join_deadline(start));
    assert!(start.elapsed() < PATIENCE);
    release.send(()).unwrap();
    handle.join().unwrap().unwrap();
}

#[test]
fn is_alive_from_start_until_the_target_returns() {
    let (release, wait) = mpsc::channel::<()>();
    let handle = Thread::new(move || wait.recv()).start().unwrap();
    // Alive as soon as start returns, even before the OS thread runs.
    assert!(handle.is_alive());
    assert!(handle.thread().is_alive());
    let info = handle.thread().clone();
    release.send(()).unwrap();
    handle.join().unwrap().unwrap();
    assert!(!info.is_alive());
}

#[test]
fn explicit_name_is_the_os_thread_name() {
    let handle = Thread::new(|| {
        (
            current_thread().name().to_owned(),
            std::thread::current().name().map(str::to_owned),
        )
    })
    .name("LoopThread")
    .start()
    .unwrap();
    assert_eq!(handle.name(), "LoopThread");
    let (tripod_name, os_name) = handle.join().unwrap();
    assert_eq!(tripod_name, "LoopThread");
    assert_eq!(os_name.as_deref(), Some("LoopThread"));
}

#[test]
fn default_names_count_up_like_python() {
    let first = Thread::new(|| std::thread::current().name().map(str::to_owned))
        .start()
        .unwrap();
    let second = Thread::new(|| ()).start().unwrap();
    let (n1, n2) = (thread_number(first.name()), thread_number(second.name()));
    assert!(n1 >= 1);
    assert!(n2 > n1, "{} then {}", first.name(), second.name());
    let first_name = first.name().to_owned();
    assert_eq!(first.join().unwrap(), Some(first_name));
    second.join().unwrap();
}

#[test]
fn a_nul_in_the_name_is_an_error_not_a_panic() {
    let err = Thread::new(|| ()).name("a\0b").start().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn idents_are_unique_and_match_get_ident_inside() {
    let handles: Vec<JoinHandle<(u64, u64)>> = (0..8)
        .map(|_| {
            Thread::new(|| (get_ident(), current_thread().ident()))
                .start()
                .unwrap()
        })
        .collect();
    let mut seen = HashSet::new();
    seen.insert(get_ident());
    for handle in handles {
        let expected = handle.ident();
        let (via_get_ident, via_current) = handle.join().unwrap();
        assert_eq!(via_get_ident, expected);
        assert_eq!(via_current, expected);
        assert!(seen.insert(expected), "ident {expected} seen twice");
    }
}

#[test]
fn current_thread_inside_is_the_handles_thread() {
    let handle = Thread::new(current_thread).name("me").start().unwrap();
    let info = handle.thread().clone();
    let inside = handle.join().unwrap();
    assert_eq!(inside, info);
    assert_eq!(inside.name(), "me");
}

#[test]
fn stack_size_is_accepted() {
    fn depth(n: u32) -> u32 {
        if n == 0 { 0 } else { 1 + depth(n - 1) }
    }
    let handle = Thread::new(|| depth(1000))
        .stack_size(4 * 1024 * 1024)
        .start()
        .unwrap();
    assert_eq!(handle.join(), Ok(1000));
}

// ---------------------------------------------------------------- registry

#[test]
fn main_thread_is_main_thread_wherever_asked() {
    let main = main_thread();
    assert_eq!(main.name(), "MainThread");
    assert!(!main.is_daemon());
    assert!(main.is_alive());
    // libtest runs tests on its own threads, never on the process's main thread.
    assert_ne!(current_thread(), main);
    let from_a_thread = Thread::new(main_thread).start().unwrap().join().unwrap();
    assert_eq!(from_a_thread, main);
    assert!(enumerate().contains(&main));
}

#[test]
fn enumerate_lists_running_threads_and_forgets_finished_ones() {
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            Thread::new(move || {
                barrier.wait(); // all started
                barrier.wait(); // released by the test
                i
            })
            .start()
            .unwrap()
        })
        .collect();
    barrier.wait();
    let listed = enumerate();
    for handle in &handles {
        assert!(contains(&listed, handle.ident()));
    }
    // The main thread, this test's thread (a dummy) and the three threads at least.
    assert!(active_count() >= 5);
    assert!(contains(&listed, get_ident()));
    let idents: Vec<u64> = handles.iter().map(JoinHandle::ident).collect();
    barrier.wait();
    let results: Vec<i32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, [0, 1, 2]);
    let listed = enumerate();
    for ident in idents {
        assert!(!contains(&listed, ident));
    }
}

#[test]
fn a_std_thread_gets_a_dummy_entry_that_goes_away_with_it() {
    let (release, wait) = mpsc::channel::<()>();
    let (report, reported) = mpsc::channel::<ThreadRef>();
    let std_thread = std::thread::Builder::new()
        .name("std-worker".into())
        .spawn(move || {
            report.send(current_thread()).unwrap();
            wait.recv().unwrap();
            // Stable while the thread lives.
            current_thread()
        })
        .unwrap();
    let dummy = reported.recv().unwrap();
    assert_eq!(dummy.name(), "std-worker");
    assert!(dummy.is_daemon());
    assert!(dummy.is_alive());
    assert!(contains(&enumerate(), dummy.ident()));
    release.send(()).unwrap();
    let later = std_thread.join().unwrap();
    assert_eq!(later, dummy);
    // The thread's exit (its thread-local destructor) removed the entry.
    assert!(!dummy.is_alive());
    assert!(!contains(&enumerate(), dummy.ident()));
}

#[test]
fn an_unnamed_std_thread_is_dummy_n() {
    let dummy = std::thread::spawn(current_thread).join().unwrap();
    let n: u64 = dummy
        .name()
        .strip_prefix("Dummy-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{:?} is not Dummy-N", dummy.name()));
    assert!(n >= 1);
    assert!(!contains(&enumerate(), dummy.ident()));
}

#[test]
fn get_ident_is_stable_on_a_thread() {
    assert_eq!(get_ident(), get_ident());
    assert_eq!(get_ident(), current_thread().ident());
}

// ---------------------------------------------------------------- daemon

#[test]
fn daemon_defaults_to_the_starting_threads_flag() {
    // From a libtest thread (a daemon dummy): daemon.
    let from_dummy = Thread::new(|| ()).start().unwrap();
    assert!(from_dummy.is_daemon());
    from_dummy.join().unwrap();
    // From a non-daemon thread: non-daemon; explicit flags win.
    let parent = Thread::new(|| {
        let inherited = Thread::new(current_thread).start().unwrap();
        let forced = Thread::new(current_thread).daemon(true).start().unwrap();
        (
            inherited.join().unwrap().is_daemon(),
            forced.join().unwrap().is_daemon(),
        )
    })
    .daemon(false)
    .start()
    .unwrap();
    assert!(!parent.is_daemon());
    assert_eq!(parent.join().unwrap(), (false, true));
}

#[test]
fn wait_for_non_daemon_blocks_until_the_thread_is_released() {
    let (release, wait) = mpsc::channel::<()>();
    let worker = Thread::new(move || wait.recv().unwrap())
        .daemon(false)
        .start()
        .unwrap();
    let (done, finished) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        wait_for_non_daemon();
        done.send(Instant::now()).unwrap();
    });
    assert_eq!(
        finished.recv_timeout(BRIEFLY),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(worker.is_alive());
    let released_at = Instant::now();
    release.send(()).unwrap();
    let returned_at = finished.recv_timeout(PATIENCE).unwrap();
    assert!(returned_at >= released_at);
    assert!(!worker.is_alive());
    waiter.join().unwrap();
    worker.join().unwrap();
}

#[test]
fn wait_for_non_daemon_covers_threads_started_while_waiting() {
    let (release_parent, parent_wait) = mpsc::channel::<()>();
    let (release_child, child_wait) = mpsc::channel::<()>();
    let (child_started, child_is_started) = mpsc::channel::<u64>();
    let parent = Thread::new(move || {
        parent_wait.recv().unwrap();
        // Non-daemon by inheritance; outlives its parent.
        let child = Thread::new(move || child_wait.recv().unwrap())
            .start()
            .unwrap();
        child_started.send(child.ident()).unwrap();
    })
    .daemon(false)
    .start()
    .unwrap();
    let (done, finished) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        wait_for_non_daemon();
        done.send(()).unwrap();
    });
    release_parent.send(()).unwrap();
    let child = child_is_started.recv_timeout(PATIENCE).unwrap();
    parent.join().unwrap();
    assert_eq!(
        finished.recv_timeout(BRIEFLY),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(contains(&enumerate(), child));
    release_child.send(()).unwrap();
    finished.recv_timeout(PATIENCE).unwrap();
    waiter.join().unwrap();
}

#[test]
fn daemon_threads_are_not_waited_for() {
    let (release, wait) = mpsc::channel::<()>();
    let daemon = Thread::new(move || wait.recv().unwrap())
        .daemon(true)
        .start()
        .unwrap();
    // Returns although the daemon thread is blocked (other tests' non-daemon threads are
    // all released promptly, so the deadline is generous).
    assert!(wait_for_non_daemon_timeout(PATIENCE));
    assert!(daemon.is_alive());
    release.send(()).unwrap();
    daemon.join().unwrap();
}

#[test]
fn wait_for_non_daemon_timeout_gives_up() {
    let (release, wait) = mpsc::channel::<()>();
    let worker = Thread::new(move || wait.recv().unwrap())
        .daemon(false)
        .start()
        .unwrap();
    assert!(!wait_for_non_daemon_timeout(BRIEFLY));
    assert!(worker.is_alive());
    release.send(()).unwrap();
    worker.join().unwrap();
}

#[test]
fn a_non_daemon_thread_does_not_wait_for_itself() {
    let handle = Thread::new(|| wait_for_non_daemon_timeout(PATIENCE))
        .daemon(false)
        .start()
        .unwrap();
    assert_eq!(handle.join(), Ok(true));
}

#[test]
fn tripod_main_waits_for_non_daemon_threads_then_returns_the_value() {
    let (release, wait) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let value = tripod::main(move || {
            Thread::new(move || wait.recv().unwrap())
                .daemon(false)
                .start()
                .unwrap();
            42
        });
        done.send(value).unwrap();
    });
    assert_eq!(
        finished.recv_timeout(BRIEFLY),
        Err(RecvTimeoutError::Timeout)
    );
    release.send(()).unwrap();
    assert_eq!(finished.recv_timeout(PATIENCE), Ok(42));
    runner.join().unwrap();
}

#[test]
fn tripod_main_resumes_the_bodys_panic_after_waiting() {
    let (tx, rx) = mpsc::channel();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        tripod::main(|| {
            Thread::new(move || tx.send("child ran").unwrap())
                .daemon(false)
                .start()
                .unwrap();
            panic!("body failed");
        })
    }))
    .unwrap_err();
    assert_eq!(PanicError::from_payload(caught).message(), "body failed");
    // The non-daemon child had finished before the panic continued.
    assert_eq!(rx.try_recv(), Ok("child ran"));
}

// ---------------------------------------------------------------- Timer

#[test]
fn timer_runs_once_after_the_interval() {
    let interval = Duration::from_millis(30);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let started = Instant::now();
    let timer = Timer::new(interval, move || {
        c.fetch_add(1, Ordering::SeqCst);
        Instant::now()
    })
    .start()
    .unwrap();
    let fired_at = timer.join().unwrap().expect("not cancelled");
    assert!(fired_at.duration_since(started) >= interval);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn cancel_wakes_the_timer_at_once_and_the_function_never_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let timer: TimerHandle<()> = Timer::new(Duration::from_secs(3600), move || {
        r.fetch_add(1, Ordering::SeqCst);
    })
    .start()
    .unwrap();
    assert!(timer.is_alive());
    assert!(contains(&enumerate(), timer.thread().ident()));
    assert!(timer.cancel());
    assert!(!timer.cancel()); // already cancelled
    // Far less than the hour: cancel woke the thread.
    assert!(timer.join_timeout(PATIENCE));
    assert!(!contains(&enumerate(), timer.thread().ident()));
    assert_eq!(timer.join(), Ok(None));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn cancel_after_firing_returns_false() {
    let (entered, has_entered) = mpsc::channel::<()>();
    let (release, wait) = mpsc::channel::<()>();
    let timer = Timer::new(Duration::ZERO, move || {
        entered.send(()).unwrap();
        wait.recv().unwrap();
        "ran"
    })
    .start()
    .unwrap();
    has_entered.recv_timeout(PATIENCE).unwrap();
    assert!(!timer.cancel()); // too late: the function is running
    release.send(()).unwrap();
    assert_eq!(timer.join(), Ok(Some("ran")));
}

#[test]
fn a_timer_is_a_thread_with_a_name() {
    let named = Timer::new(Duration::ZERO, || current_thread().name().to_owned())
        .name("alarm")
        .daemon(false)
        .start()
        .unwrap();
    assert!(!named.thread().is_daemon());
    assert_eq!(named.join(), Ok(Some("alarm".to_owned())));
    let unnamed = Timer::new(Duration::from_secs(3600), || ())
        .start()
        .unwrap();
    thread_number(unnamed.thread().name());
    unnamed.cancel();
    unnamed.join().unwrap();
}

#[test]
fn a_panicking_timer_function_is_a_panic_error() {
    let timer = Timer::new(Duration::ZERO, || -> u8 { panic!("timer boom") })
        .start()
        .unwrap();
    assert_eq!(timer.join().unwrap_err().message(), "timer boom");
}

// ---------------------------------------------------------------- Local

/// Counts drops, to check when Local values die.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn each_thread_sees_its_own_value() {
    let local = Arc::new(Local::new());
    local.set(String::from("test thread"));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["Alice", "Bob"]
        .into_iter()
        .map(|name| {
            let local = Arc::clone(&local);
            let barrier = Arc::clone(&barrier);
            Thread::new(move || {
                assert_eq!(local.get(), None);
                local.set(name.to_owned());
                barrier.wait(); // both have set before either reads
                local.get()
            })
            .start()
            .unwrap()
        })
        .collect();
    let seen: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(seen, [Some("Alice".to_owned()), Some("Bob".to_owned())]);
    assert_eq!(local.get().as_deref(), Some("test thread"));
}

#[test]
fn a_threads_value_is_dropped_when_it_finishes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    let (l, d) = (Arc::clone(&local), Arc::clone(&drops));
    let handle = Thread::new(move || l.set(Tracked(d))).start().unwrap();
    // Dropped before the thread counts as finished.
    assert!(handle.join_timeout(PATIENCE));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    handle.join().unwrap();

    // On a std thread, at the thread's exit.
    let (l, d) = (Arc::clone(&local), Arc::clone(&drops));
    std::thread::spawn(move || l.set(Tracked(d)))
        .join()
        .unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(local);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn dropping_the_local_drops_every_threads_value() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    local.set(Tracked(Arc::clone(&drops)));
    let (has_set, set_done) = mpsc::channel::<()>();
    let (release, wait) = mpsc::channel::<()>();
    let (l, d) = (Arc::clone(&local), Arc::clone(&drops));
    let holder = Thread::new(move || {
        l.set(Tracked(d));
        drop(l); // the test now holds the last reference
        has_set.send(()).unwrap();
        wait.recv().unwrap();
    })
    .start()
    .unwrap();
    set_done.recv_timeout(PATIENCE).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(local); // the holder thread is still alive
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    release.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn a_new_thread_never_sees_a_dead_threads_value() {
    let local: Arc<Local<u32>> = Arc::new(Local::new());
    for round in 0..20 {
        let l = Arc::clone(&local);
        let seen = Thread::new(move || {
            let before = l.get();
            l.set(round);
            before
        })
        .start()
        .unwrap()
        .join()
        .unwrap();
        assert_eq!(seen, None, "round {round}");
    }
}

#[test]
fn set_replace_take_get_or_with_mut() {
    let local: Local<Vec<u32>> = Local::default();
    assert!(!local.is_set());
    assert!(local.with(|v| v.is_none()));
    assert_eq!(local.get_or(|| vec![1]), [1]);
    assert_eq!(local.get_or(|| vec![9]), [1]);
    assert_eq!(local.replace(vec![2]), Some(vec![1]));
    local.with_mut(|v| v.as_mut().unwrap().push(3));
    assert_eq!(local.with(|v| v.map(|v| v.len())), Some(2));
    assert_eq!(local.take(), Some(vec![2, 3]));
    assert!(!local.is_set());
    local.with_mut(|v| *v = Some(vec![7]));
    assert_eq!(local.get(), Some(vec![7]));
}

#[test]
fn with_can_use_other_locals_but_not_itself() {
    let a: Local<u32> = Local::new();
    let b: Local<u32> = Local::new();
    a.set(1);
    a.with(|va| b.set(*va.unwrap() + 1));
    assert_eq!(b.get(), Some(2));
    let reentrant = catch_unwind(AssertUnwindSafe(|| a.with(|_| a.set(5))));
    assert!(reentrant.is_err());
    // The failed call left the value as it was and the Local usable.
    assert_eq!(a.get(), Some(1));
}

#[test]
fn a_local_counter_per_thread() {
    // Seed 004: each thread counts to N in its own local; no interference.
    const N: u64 = 100_000;
    let local: Arc<Local<u64>> = Arc::new(Local::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let local = Arc::clone(&local);
            Thread::new(move || {
                local.set(0);
                for _ in 0..N {
                    local.with_mut(|n| *n.as_mut().unwrap() += 1);
                }
                local.get().unwrap()
            })
            .start()
            .unwrap()
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join(), Ok(N));
    }
    assert_eq!(local.get(), None);
}

// ---------------------------------------------------------------- Send/Sync

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ThreadRef>();
    send_sync::<JoinHandle<u32>>();
    send_sync::<TimerHandle<u32>>();
    send_sync::<Local<std::cell::Cell<u32>>>();
    send_sync::<Thread<fn() -> u32>>();
    send_sync::<Timer<fn() -> u32>>();
}
