//! Tests of tripod's synchronisation primitives, checking the behaviours CPython's
//! `Lib/test/lock_tests.py` checks for `threading` (in our own code and words).
//!
//! Nothing here orders events with sleeps: threads report over channels, and the tests wait
//! for observable state (`locked()`, `n_waiting()`, a counter under a lock) in deadline
//! loops. The only timed waits are the ones under test (a timeout must expire), plus a few
//! short "nothing else arrives" checks whose outcome does not depend on scheduling.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use tripod::threading::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, NotOwnerError, RLock,
    Semaphore, TooManyReleasesError,
};

/// How long a test waits for something that must happen; only reached on failure.
const PATIENCE: Duration = Duration::from_secs(10);
/// A timeout that is meant to expire.
const SHORT: Duration = Duration::from_millis(50);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(30);

/// Spins (yielding) until `condition` holds, failing the test after `PATIENCE`.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::yield_now();
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Lock<Vec<i32>>>();
    send_sync::<RLock<RefCell<i32>>>();
    send_sync::<RLock<Cell<i32>>>();
    send_sync::<Condition<Vec<i32>>>();
    send_sync::<Semaphore>();
    send_sync::<BoundedSemaphore>();
    send_sync::<Event>();
    send_sync::<Barrier>();
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    error::<NotOwnerError>();
    error::<TooManyReleasesError>();
    error::<BrokenBarrierError>();
}

// ---------------------------------------------------------------------------------------
// Lock

#[test]
fn lock_acquire_release() {
    let lock = Lock::new(());
    assert!(!lock.locked());
    let guard = lock.acquire();
    assert!(lock.locked());
    drop(guard);
    assert!(!lock.locked());
    lock.acquire().release();
    assert!(!lock.locked());
}

#[test]
fn lock_try_acquire_fails_while_another_thread_holds_it() {
    let lock = Lock::new(0);
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let lock = &lock;
        s.spawn(move || {
            let mut g = lock.acquire();
            *g = 1;
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        held_rx.recv_timeout(PATIENCE).unwrap();
        assert!(lock.locked());
        assert!(lock.try_acquire().is_none());
        release_tx.send(()).unwrap();
        // Blocking acquire returns once the holder lets go, and sees its write.
        assert_eq!(*lock.acquire(), 1);
    });
    assert!(lock.try_acquire().is_some());
}

#[test]
fn lock_acquire_timeout_waits_at_least_the_timeout() {
    let lock = Lock::new(());
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let lock = &lock;
        s.spawn(move || {
            let _g = lock.acquire();
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        held_rx.recv_timeout(PATIENCE).unwrap();
        let start = Instant::now();
        assert!(lock.acquire_timeout(SHORT).is_none());
        assert!(start.elapsed() >= SHORT);
        assert!(lock.acquire_deadline(Instant::now()).is_none());
        release_tx.send(()).unwrap();
        assert!(lock.acquire_timeout(PATIENCE).is_some());
    });
    // A free lock is taken at once, whatever the timeout.
    assert!(lock.acquire_timeout(Duration::ZERO).is_some());
}

#[test]
fn lock_blocked_acquire_proceeds_after_release() {
    let lock = Lock::new(Vec::new());
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        let mut g = lock.acquire();
        s.spawn(|| {
            let mut g = lock.acquire();
            g.push("waiter");
            tx.send(()).unwrap();
        });
        // The waiter cannot get in while we hold the lock.
        assert_eq!(rx.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
        g.push("holder");
        drop(g);
        rx.recv_timeout(PATIENCE).unwrap();
    });
    assert_eq!(lock.into_inner(), ["holder", "waiter"]);
}

#[test]
fn lock_gives_mutual_exclusion() {
    // Seed 000: change_it(n) adds then subtracts n under the lock; the balance stays 0.
    let balance = Lock::new(0i64);
    let max_seen = AtomicUsize::new(0);
    thread::scope(|s| {
        for n in [5i64, 8, 13, 21] {
            let (balance, max_seen) = (&balance, &max_seen);
            s.spawn(move || {
                for _ in 0..20_000 {
                    let mut b = balance.acquire();
                    *b += n;
                    max_seen.fetch_max(usize::try_from(*b).unwrap(), Ordering::Relaxed);
                    *b -= n;
                }
            });
        }
    });
    assert_eq!(*balance.acquire(), 0);
    // Never two deposits at once: the largest balance seen is one deposit.
    assert!(max_seen.load(Ordering::Relaxed) <= 21);
}

// ---------------------------------------------------------------------------------------
// RLock

#[test]
fn rlock_is_reentrant_and_counts_levels() {
    let lock = RLock::new(Cell::new(0));
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let lock = &lock;
        s.spawn(move || {
            let a = lock.acquire();
            let b = lock.acquire();
            let c = lock.try_acquire().expect("reentrant try_acquire");
            c.set(c.get() + 3);
            drop(c);
            drop(a);
            tx.send("one level left").unwrap();
            go_rx.recv().unwrap();
            drop(b);
            tx.send("released").unwrap();
        });
        assert_eq!(rx.recv_timeout(PATIENCE), Ok("one level left"));
        // Still held by the other thread.
        assert!(lock.locked());
        assert!(!lock.is_owned());
        assert!(lock.try_acquire().is_none());
        go_tx.send(()).unwrap();
        assert_eq!(rx.recv_timeout(PATIENCE), Ok("released"));
    });
    assert!(!lock.locked());
    assert_eq!(lock.acquire().get(), 3);
}

#[test]
fn rlock_raw_acquire_release_pairs() {
    let lock = RLock::new(());
    lock.acquire_raw();
    assert!(lock.try_acquire_raw());
    assert!(lock.acquire_raw_timeout(SHORT));
    assert!(lock.is_owned());
    for _ in 0..3 {
        assert_eq!(lock.release(), Ok(()));
    }
    assert!(!lock.locked());
    // One release too many is an error, not a panic.
    assert_eq!(lock.release(), Err(NotOwnerError));
}

#[test]
fn rlock_release_by_non_owner_is_an_error() {
    let lock = RLock::new(());
    let (held_tx, held_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let lock = &lock;
        s.spawn(move || {
            lock.acquire_raw();
            held_tx.send(()).unwrap();
            done_rx.recv().unwrap();
            assert_eq!(lock.release(), Ok(()));
        });
        held_rx.recv_timeout(PATIENCE).unwrap();
        assert_eq!(lock.release(), Err(NotOwnerError));
        assert!(lock.locked(), "a failed release must not unlock");
        assert!(lock.acquire_timeout(SHORT).is_none());
        done_tx.send(()).unwrap();
    });
    assert!(!lock.locked());
}

#[test]
fn rlock_release_never_undoes_a_guard() {
    let lock = RLock::new(RefCell::new(vec![1]));
    let guard = lock.acquire();
    // Held only through a guard: explicit release refuses.
    assert_eq!(lock.release(), Err(NotOwnerError));
    lock.acquire_raw();
    assert_eq!(lock.release(), Ok(()));
    assert_eq!(lock.release(), Err(NotOwnerError));
    assert!(lock.is_owned());
    guard.borrow_mut().push(2);
    thread::scope(|s| {
        s.spawn(|| assert!(lock.try_acquire().is_none()));
    });
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(*lock.acquire().borrow(), [1, 2]);
}

#[test]
fn rlock_acquire_timeout_waits_for_other_owner() {
    let lock = RLock::new(());
    let (held_tx, held_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        let lock = &lock;
        s.spawn(move || {
            let _g = lock.acquire();
            held_tx.send(()).unwrap();
            done_rx.recv().unwrap();
        });
        held_rx.recv_timeout(PATIENCE).unwrap();
        let start = Instant::now();
        assert!(lock.acquire_timeout(SHORT).is_none());
        assert!(start.elapsed() >= SHORT);
        assert!(!lock.acquire_raw_timeout(Duration::ZERO));
        done_tx.send(()).unwrap();
        assert!(lock.acquire_timeout(PATIENCE).is_some());
    });
}

#[test]
fn rlock_counter_across_threads() {
    // Seed 003: run3 holds the lock and calls run1 and run2, which take it again.
    let lock = RLock::new((Cell::new(0), Cell::new(0)));
    thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..1000 {
                    let outer = lock.acquire();
                    {
                        let g = lock.acquire();
                        g.0.set(g.0.get() + 1);
                    }
                    {
                        let g = lock.acquire();
                        g.1.set(g.1.get() + 1);
                    }
                    drop(outer);
                }
            });
        }
    });
    let g = lock.acquire();
    assert_eq!((g.0.get(), g.1.get()), (8000, 8000));
}

// ---------------------------------------------------------------------------------------
// Condition

#[test]
fn condition_notify_wakes_at_most_n() {
    // Five waiters; notify(1) wakes exactly one, notify(3) three more, notify_all the last.
    let cond = Condition::new(0usize); // how many waiters have woken
    let (ready_tx, ready_rx) = mpsc::channel();
    let (woke_tx, woke_rx) = mpsc::channel();
    thread::scope(|s| {
        for i in 0..5 {
            let (cond, ready_tx, woke_tx) = (&cond, ready_tx.clone(), woke_tx.clone());
            s.spawn(move || {
                let mut g = cond.acquire();
                // Sent with the lock held: once the main thread gets the lock back, this
                // thread is inside `wait`.
                ready_tx.send(()).unwrap();
                g.wait();
                *g += 1;
                woke_tx.send(i).unwrap();
            });
        }
        for _ in 0..5 {
            ready_rx.recv_timeout(PATIENCE).unwrap();
        }

        assert_eq!(cond.acquire().notify(1), 1);
        woke_rx.recv_timeout(PATIENCE).unwrap();
        assert_eq!(woke_rx.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
        assert_eq!(*cond.acquire(), 1);

        assert_eq!(cond.acquire().notify(3), 3);
        for _ in 0..3 {
            woke_rx.recv_timeout(PATIENCE).unwrap();
        }
        assert_eq!(woke_rx.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
        assert_eq!(*cond.acquire(), 4);

        // More than are waiting: only the one left is woken.
        assert_eq!(cond.acquire().notify_all(), 1);
        woke_rx.recv_timeout(PATIENCE).unwrap();
    });
    assert_eq!(cond.into_inner(), 5);
}

#[test]
fn condition_notify_more_than_waiting_reports_the_real_count() {
    let cond = Condition::new(());
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::scope(|s| {
        for _ in 0..2 {
            let (cond, ready_tx) = (&cond, ready_tx.clone());
            s.spawn(move || {
                let mut g = cond.acquire();
                ready_tx.send(()).unwrap();
                g.wait();
            });
        }
        for _ in 0..2 {
            ready_rx.recv_timeout(PATIENCE).unwrap();
        }
        assert_eq!(cond.acquire().notify(10), 2);
    });
    assert_eq!(cond.acquire().notify(10), 0);
}

#[test]
fn condition_wait_timeout() {
    let cond = Condition::new(false);
    // Nobody notifies: false, after at least the timeout.
    let mut g = cond.acquire();
    let start = Instant::now();
    assert!(!g.wait_timeout(SHORT));
    assert!(start.elapsed() >= SHORT);
    drop(g);

    // Notified: true.
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            let mut g = cond.acquire();
            ready_tx.send(()).unwrap();
            let notified = g.wait_timeout(PATIENCE);
            (notified, *g)
        });
        ready_rx.recv_timeout(PATIENCE).unwrap();
        let mut g = cond.acquire();
        *g = true;
        g.notify(1);
        drop(g);
        assert_eq!(waiter.join().unwrap(), (true, true));
    });
}

#[test]
fn condition_wait_for_predicate() {
    let cond = Condition::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..5 {
                let mut g = cond.acquire();
                *g += 1;
                g.notify_all();
            }
        });
        let mut g = cond.acquire();
        g.wait_for(|n| *n == 5);
        assert_eq!(*g, 5);
    });
}

#[test]
fn condition_wait_for_returns_the_predicates_last_value() {
    let cond = Condition::new(0);
    let mut g = cond.acquire();

    // True at once: one check, no waiting.
    let mut calls = 0;
    assert!(g.wait_for_timeout(
        |_| {
            calls += 1;
            true
        },
        Duration::ZERO
    ));
    assert_eq!(calls, 1);

    // Never true: false, after at least the timeout, and checked again after it expired.
    let mut calls = 0;
    let start = Instant::now();
    assert!(!g.wait_for_timeout(
        |_| {
            calls += 1;
            false
        },
        SHORT
    ));
    assert!(start.elapsed() >= SHORT);
    assert!(calls >= 2, "the predicate is re-checked after the wait");
    drop(g);

    // Becomes true while waiting: true.
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            let mut g = cond.acquire();
            ready_tx.send(()).unwrap();
            g.wait_for_deadline(|n| *n == 7, Instant::now() + PATIENCE)
        });
        ready_rx.recv_timeout(PATIENCE).unwrap();
        let mut g = cond.acquire();
        *g = 7;
        g.notify_all();
        drop(g);
        assert!(waiter.join().unwrap());
    });
}

#[test]
fn condition_ping_pong_alternates() {
    // Seed 004: two threads wake each other in turn.
    let turn = Condition::new((0usize, Vec::new()));
    thread::scope(|s| {
        for me in 0..2 {
            let turn = &turn;
            s.spawn(move || {
                for _ in 0..100 {
                    let mut g = turn.acquire();
                    g.wait_for(|(t, _)| t % 2 == me);
                    g.1.push(me);
                    g.0 += 1;
                    g.notify(1);
                }
            });
        }
    });
    let (count, order) = turn.into_inner();
    assert_eq!(count, 200);
    assert!(order.iter().enumerate().all(|(i, who)| i % 2 == *who));
}

// ---------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore

#[test]
fn semaphore_counts_permits() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire().unwrap();
    let b = sem.try_acquire().unwrap();
    let c = sem.acquire();
    assert_eq!(sem.value(), 0);
    assert!(sem.try_acquire().is_none());
    drop(b);
    assert_eq!(sem.value(), 1);
    let d = sem.try_acquire().unwrap();
    drop((a, c, d));
    assert_eq!(sem.value(), 3);
    // Zero permits is allowed, and release adds permits beyond the initial value.
    let empty = Semaphore::new(0);
    assert!(empty.try_acquire().is_none());
    empty.release(2);
    assert_eq!(empty.value(), 2);
}

#[test]
fn semaphore_release_n_wakes_n_waiters() {
    let sem = Semaphore::new(0);
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for i in 0..3 {
            let (sem, tx) = (&sem, tx.clone());
            s.spawn(move || {
                sem.acquire().forget();
                tx.send(i).unwrap();
            });
        }
        sem.release(2);
        rx.recv_timeout(PATIENCE).unwrap();
        rx.recv_timeout(PATIENCE).unwrap();
        // Two permits, two acquisitions: the third thread is still waiting.
        assert_eq!(rx.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
        assert_eq!(sem.value(), 0);
        sem.release(1);
        rx.recv_timeout(PATIENCE).unwrap();
    });
    assert_eq!(sem.value(), 0);
}

#[test]
fn semaphore_acquire_timeout() {
    let sem = Semaphore::new(1);
    let held = sem.acquire();
    let start = Instant::now();
    assert!(sem.acquire_timeout(SHORT).is_none());
    assert!(start.elapsed() >= SHORT);
    assert!(sem.acquire_deadline(Instant::now()).is_none());
    drop(held);
    assert!(sem.acquire_timeout(Duration::ZERO).is_some());

    // A release from another thread ends a timed wait early.
    let sem = Semaphore::new(0);
    thread::scope(|s| {
        let waiter = s.spawn(|| sem.acquire_timeout(PATIENCE).map(|p| p.forget()).is_some());
        sem.release(1);
        assert!(waiter.join().unwrap());
    });
    assert_eq!(sem.value(), 0);
}

#[test]
fn semaphore_bounds_concurrency() {
    // Seed 004: Semaphore(3) and 9 threads; never more than 3 inside.
    let sem = Semaphore::new(3);
    let inside = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..9 {
            s.spawn(|| {
                for _ in 0..200 {
                    let _permit = sem.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), 9);
    assert!(most.load(Ordering::SeqCst) <= 3);
    assert_eq!(sem.value(), 3);
}

#[test]
fn bounded_semaphore_refuses_over_release() {
    let sem = BoundedSemaphore::new(2);
    assert_eq!(sem.release(1), Err(TooManyReleasesError));
    assert_eq!(sem.value(), 2);

    // A live guard's permit counts as coming back: releasing it explicitly is refused,
    // so the guard's own release can never overflow.
    let guard = sem.acquire();
    assert_eq!(sem.release(1), Err(TooManyReleasesError));
    drop(guard);
    assert_eq!(sem.value(), 2);

    // Permits taken without a guard can be given back, once each, from any thread.
    sem.acquire().forget();
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.value(), 0);
    assert_eq!(sem.release(3), Err(TooManyReleasesError));
    assert_eq!(sem.value(), 0, "a refused release changes nothing");
    thread::scope(|s| {
        s.spawn(|| assert_eq!(sem.release(1), Ok(())));
    });
    assert_eq!(sem.release(1), Ok(()));
    assert_eq!(sem.release(1), Err(TooManyReleasesError));
    assert_eq!(sem.value(), 2);
}

#[test]
fn bounded_semaphore_with_many_threads() {
    // Seed 003: BoundedSemaphore(5) and 20 threads.
    let sem = BoundedSemaphore::new(5);
    let inside = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..20 {
            s.spawn(|| {
                let _permit = sem.acquire();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                thread::yield_now();
                inside.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    assert!(most.load(Ordering::SeqCst) <= 5);
    assert_eq!(sem.value(), 5);
    assert_eq!(sem.release(1), Err(TooManyReleasesError));
}

// ---------------------------------------------------------------------------------------
// Event

#[test]
fn event_set_clear_is_set() {
    let ev = Event::new();
    assert!(!ev.is_set());
    ev.set();
    assert!(ev.is_set());
    ev.set();
    assert!(ev.is_set());
    ev.clear();
    assert!(!ev.is_set());
    ev.clear();
    assert!(!ev.is_set());
}

#[test]
fn event_wait_returns_at_once_when_set() {
    let ev = Event::new();
    ev.set();
    ev.wait();
    assert!(ev.wait_timeout(Duration::ZERO));
    assert!(ev.wait_deadline(Instant::now()));
}

#[test]
fn event_wait_timeout_expires_when_not_set() {
    let ev = Event::new();
    let start = Instant::now();
    assert!(!ev.wait_timeout(SHORT));
    assert!(start.elapsed() >= SHORT);
    assert!(!ev.wait_deadline(Instant::now()));
    assert!(!ev.is_set());
}

#[test]
fn event_set_wakes_every_waiter() {
    let ev = Event::new();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for i in 0..5 {
            let (ev, tx) = (&ev, tx.clone());
            s.spawn(move || {
                if i % 2 == 0 {
                    ev.wait();
                    tx.send(true).unwrap();
                } else {
                    tx.send(ev.wait_timeout(PATIENCE)).unwrap();
                }
            });
        }
        assert_eq!(rx.recv_timeout(QUIET), Err(RecvTimeoutError::Timeout));
        ev.set();
        for _ in 0..5 {
            assert_eq!(rx.recv_timeout(PATIENCE), Ok(true));
        }
    });
}

#[test]
fn event_ping_pong() {
    // Seed 004 shape: wait, act, clear, and the other side sets again.
    let ping = Event::new();
    let pong = Event::new();
    let rounds = AtomicUsize::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..1000 {
                ping.wait();
                ping.clear();
                rounds.fetch_add(1, Ordering::SeqCst);
                pong.set();
            }
        });
        for i in 0..1000 {
            ping.set();
            pong.wait();
            pong.clear();
            assert_eq!(rounds.load(Ordering::SeqCst), i + 1);
        }
    });
}

// ---------------------------------------------------------------------------------------
// Barrier

#[test]
fn barrier_single_party_never_blocks() {
    let b = Barrier::new(1);
    assert_eq!(b.parties(), 1);
    for _ in 0..3 {
        assert_eq!(b.wait(), Ok(0));
    }
    assert_eq!(b.n_waiting(), 0);
}

#[test]
#[should_panic(expected = "at least one party")]
fn barrier_needs_a_party() {
    let _ = Barrier::new(0);
}

#[test]
fn barrier_indexes_are_a_permutation_each_cycle() {
    const PARTIES: usize = 5;
    const CYCLES: usize = 4;
    let b = Barrier::new(PARTIES);
    let per_thread: Vec<Vec<usize>> = thread::scope(|s| {
        let handles: Vec<_> = (0..PARTIES)
            .map(|_| s.spawn(|| (0..CYCLES).map(|_| b.wait().unwrap()).collect()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for cycle in 0..CYCLES {
        let mut got: Vec<usize> = per_thread.iter().map(|v| v[cycle]).collect();
        got.sort_unstable();
        assert_eq!(got, (0..PARTIES).collect::<Vec<_>>(), "cycle {cycle}");
    }
    assert!(!b.is_broken());
}

#[test]
fn barrier_action_runs_once_per_cycle_on_the_last_arrival() {
    const PARTIES: usize = 3;
    const CYCLES: usize = 5;
    let trips = Arc::new(AtomicUsize::new(0));
    let runner = Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = {
        let (trips, runner) = (Arc::clone(&trips), Arc::clone(&runner));
        Barrier::builder(PARTIES)
            .action(move || {
                trips.fetch_add(1, Ordering::SeqCst);
                runner.lock().unwrap().push(thread::current().id());
            })
            .build()
    };
    thread::scope(|s| {
        for _ in 0..PARTIES {
            s.spawn(|| {
                for cycle in 0..CYCLES {
                    let index = b.wait().unwrap();
                    // The action of this cycle ran before anyone was released.
                    assert!(trips.load(Ordering::SeqCst) > cycle);
                    if index == PARTIES - 1 {
                        let ran_on = runner.lock().unwrap()[cycle];
                        assert_eq!(ran_on, thread::current().id());
                    }
                }
            });
        }
    });
    assert_eq!(trips.load(Ordering::SeqCst), CYCLES);
    assert_eq!(runner.lock().unwrap().len(), CYCLES);
}

#[test]
fn barrier_timeout_breaks_it_for_everyone() {
    let b = Barrier::new(3);
    thread::scope(|s| {
        let patient = s.spawn(|| b.wait());
        let start = Instant::now();
        assert_eq!(b.wait_timeout(SHORT), Err(BrokenBarrierError));
        assert!(start.elapsed() >= SHORT);
        assert_eq!(patient.join().unwrap(), Err(BrokenBarrierError));
    });
    assert!(b.is_broken());
    assert_eq!(b.n_waiting(), 0);
    // Still broken for later arrivals, at once.
    assert_eq!(b.wait(), Err(BrokenBarrierError));
}

#[test]
fn barrier_default_timeout() {
    let b = Barrier::builder(2).timeout(SHORT).build();
    let start = Instant::now();
    assert_eq!(b.wait(), Err(BrokenBarrierError));
    assert!(start.elapsed() >= SHORT);
    assert!(b.is_broken());

    // With enough parties the default timeout does not get in the way.
    let b = Barrier::builder(2).timeout(PATIENCE).build();
    thread::scope(|s| {
        let other = s.spawn(|| b.wait());
        let mine = b.wait().unwrap();
        assert_eq!(mine + other.join().unwrap().unwrap(), 1);
    });
}

#[test]
fn barrier_abort_breaks_waiters() {
    let b = Barrier::new(3);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| b.wait())).collect();
        wait_until("two threads wait", || b.n_waiting() == 2);
        b.abort();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Err(BrokenBarrierError));
        }
    });
    assert!(b.is_broken());
    assert_eq!(b.wait(), Err(BrokenBarrierError));
}

#[test]
fn barrier_reset_fails_waiters_then_works_again() {
    let b = Barrier::new(3);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| b.wait())).collect();
        wait_until("two threads wait", || b.n_waiting() == 2);
        b.reset();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Err(BrokenBarrierError));
        }
    });
    assert!(!b.is_broken());
    assert_eq!(b.n_waiting(), 0);
    let mut indexes: Vec<usize> = thread::scope(|s| {
        let hs: Vec<_> = (0..3).map(|_| s.spawn(|| b.wait().unwrap())).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2]);
}

#[test]
fn barrier_reset_repairs_a_broken_barrier() {
    let b = Barrier::new(2);
    b.abort();
    assert_eq!(b.wait(), Err(BrokenBarrierError));
    b.reset();
    assert!(!b.is_broken());
    thread::scope(|s| {
        let other = s.spawn(|| b.wait());
        assert!(b.wait().is_ok());
        assert!(other.join().unwrap().is_ok());
    });
}

#[test]
fn barrier_panicking_action_breaks_it_and_reaches_its_thread() {
    let first = Arc::new(AtomicBool::new(true));
    let b = {
        let first = Arc::clone(&first);
        Barrier::builder(2)
            .action(move || {
                if first.swap(false, Ordering::SeqCst) {
                    panic!("action failed");
                }
            })
            .build()
    };
    thread::scope(|s| {
        let early = s.spawn(|| b.wait());
        wait_until("one thread waits", || b.n_waiting() == 1);
        // This thread arrives last, so it runs the action and gets its panic.
        let last = s.spawn(|| b.wait());
        let panic = last.join().unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"action failed"));
        assert_eq!(early.join().unwrap(), Err(BrokenBarrierError));
    });
    assert!(b.is_broken());
    // After a reset the barrier (and its action, which no longer panics) work again.
    b.reset();
    thread::scope(|s| {
        let other = s.spawn(|| b.wait());
        assert!(b.wait().is_ok());
        assert!(other.join().unwrap().is_ok());
    });
}

#[test]
fn barrier_action_may_use_the_barrier() {
    // The action runs without the barrier's lock, so it can abort the barrier.
    let slot: Arc<OnceLock<Weak<Barrier>>> = Arc::new(OnceLock::new());
    let b = {
        let slot = Arc::clone(&slot);
        Arc::new(
            Barrier::builder(2)
                .action(move || {
                    let b = slot.get().and_then(Weak::upgrade).unwrap();
                    assert_eq!(b.n_waiting(), 0); // not filling while the action runs
                    b.abort();
                })
                .build(),
        )
    };
    slot.set(Arc::downgrade(&b)).unwrap();
    thread::scope(|s| {
        let other = s.spawn(|| b.wait());
        assert_eq!(b.wait(), Err(BrokenBarrierError));
        assert_eq!(other.join().unwrap(), Err(BrokenBarrierError));
    });
    assert!(b.is_broken());
}

#[test]
fn barrier_many_threads_in_waves() {
    // Seed 004: Barrier(3) with 9 threads, released three at a time.
    let b = Barrier::new(3);
    let released = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..9 {
            s.spawn(|| {
                b.wait().unwrap();
                released.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(released.load(Ordering::SeqCst), 9);
    assert_eq!(b.n_waiting(), 0);
}

/// `Duration::MAX` (or any timeout past the end of `Instant`) means "wait without a
/// limit", as it does for the queue, futures and thread joins; it must never panic on
/// `Instant + Duration` overflow.
#[test]
fn huge_timeouts_mean_no_limit() {
    let lock = Lock::new(());
    assert!(lock.acquire_timeout(Duration::MAX).is_some());
    let rlock = RLock::new(());
    assert!(rlock.acquire_timeout(Duration::MAX).is_some());

    let sem = Semaphore::new(1);
    assert!(sem.acquire_timeout(Duration::MAX).is_some());
    let bounded = BoundedSemaphore::new(1);
    assert!(bounded.acquire_timeout(Duration::MAX).is_some());

    assert_eq!(Barrier::new(1).wait_timeout(Duration::MAX), Ok(0));
    let barrier = Barrier::builder(1).timeout(Duration::MAX).build();
    assert_eq!(barrier.wait(), Ok(0));

    let cond = Condition::new(true);
    assert!(
        cond.acquire()
            .wait_for_timeout(|ready| *ready, Duration::MAX)
    );

    // The blocking cases: another thread makes the wait end.
    let event = Event::new();
    let cond = Condition::new(false);
    thread::scope(|s| {
        s.spawn(|| event.set());
        s.spawn(|| {
            let mut g = cond.acquire();
            *g = true;
            g.notify_all();
        });
        assert!(event.wait_timeout(Duration::MAX));
        let mut g = cond.acquire();
        while !*g {
            g.wait_timeout(Duration::MAX);
        }
    });
}
