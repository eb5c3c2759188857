//! Tests for `tripod::sched`, checking the behaviours CPython's `test_sched.py` checks
//! (order by time then priority, cancel, queue, non-blocking run, entering from actions
//! and threads) on a virtual clock, plus a few on the real clock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use tripod::sched::{Clock, ManualClock, Scheduler};

type Log<T> = Arc<Mutex<Vec<T>>>;

fn log<T>() -> Log<T> {
    Arc::new(Mutex::new(Vec::new()))
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A scheduler on a fresh manual clock.
fn manual() -> (ManualClock, Arc<Scheduler>) {
    let clock = ManualClock::new();
    let s = Arc::new(Scheduler::with_clock(clock.clone()));
    (clock, s)
}

/// An action that records its name and the clock's elapsed time when it runs.
fn record(
    log: &Log<(&'static str, Duration)>,
    clock: &ManualClock,
    name: &'static str,
) -> impl FnOnce() + Send + 'static {
    let (log, clock) = (Arc::clone(log), clock.clone());
    move || log.lock().unwrap().push((name, clock.elapsed()))
}

#[test]
fn scheduler_is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Scheduler>();
    check::<ManualClock>();
    check::<tripod::sched::EventId>();
    check::<tripod::sched::CancelError>();
}

#[test]
fn events_run_in_time_order_at_their_time() {
    let (clock, s) = manual();
    let l = log();
    for (delay, name) in [(5, "e"), (1, "a"), (3, "c"), (2, "b"), (4, "d")] {
        s.enter(secs(delay), 1, record(&l, &clock, name));
    }
    s.run();
    assert_eq!(
        *l.lock().unwrap(),
        [
            ("a", secs(1)),
            ("b", secs(2)),
            ("c", secs(3)),
            ("d", secs(4)),
            ("e", secs(5))
        ]
    );
    assert!(s.is_empty());
}

#[test]
fn enterabs_runs_at_the_given_time() {
    let (clock, s) = manual();
    let l = log();
    s.enterabs(clock.epoch() + secs(7), 1, record(&l, &clock, "abs"));
    s.enter(secs(3), 1, record(&l, &clock, "rel"));
    s.run();
    assert_eq!(*l.lock().unwrap(), [("rel", secs(3)), ("abs", secs(7))]);
}

#[test]
fn same_time_runs_by_priority_then_entry_order() {
    let (clock, s) = manual();
    let l = log();
    let at = clock.epoch() + secs(1);
    s.enterabs(at, 3, record(&l, &clock, "p3"));
    s.enterabs(at, 1, record(&l, &clock, "p1-first"));
    s.enterabs(at, 2, record(&l, &clock, "p2"));
    s.enterabs(at, 1, record(&l, &clock, "p1-second"));
    s.enterabs(at, -5, record(&l, &clock, "p-5"));
    s.run();
    let names: Vec<_> = l.lock().unwrap().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["p-5", "p1-first", "p1-second", "p2", "p3"]);
}

#[test]
fn past_times_are_due_at_once_without_sleeping() {
    let (clock, s) = manual();
    clock.advance(secs(10));
    let l = log();
    s.enterabs(clock.epoch() + secs(2), 1, record(&l, &clock, "late"));
    s.enter(Duration::ZERO, 0, record(&l, &clock, "now"));
    s.run();
    assert_eq!(*l.lock().unwrap(), [("late", secs(10)), ("now", secs(10))]);
}

#[test]
fn actions_may_enter_events_while_run_runs() {
    let (clock, s) = manual();
    let l = log();
    s.enter(secs(5), 1, record(&l, &clock, "five"));
    let (s2, l2, c2) = (Arc::clone(&s), Arc::clone(&l), clock.clone());
    s.enter(secs(1), 1, move || {
        l2.lock().unwrap().push(("one", c2.elapsed()));
        // Sooner than the queued five-second event: must run before it.
        s2.enter(secs(1), 1, record(&l2, &c2, "one+1"));
        // Later than everything: run() keeps going until it is done.
        s2.enter(secs(10), 1, record(&l2, &c2, "one+10"));
    });
    s.run();
    assert_eq!(
        *l.lock().unwrap(),
        [
            ("one", secs(1)),
            ("one+1", secs(2)),
            ("five", secs(5)),
            ("one+10", secs(11))
        ]
    );
}

#[test]
fn cancel_removes_the_event() {
    let (clock, s) = manual();
    let l = log();
    let a = s.enter(secs(1), 1, record(&l, &clock, "a"));
    let b = s.enter(secs(2), 1, record(&l, &clock, "b"));
    let c = s.enter(secs(3), 1, record(&l, &clock, "c"));
    s.cancel(b).unwrap();
    assert_eq!(s.queue(), [a, c]);
    s.cancel(a).unwrap();
    s.run();
    assert_eq!(*l.lock().unwrap(), [("c", secs(3))]);
}

#[test]
fn an_action_may_cancel_a_later_event() {
    let (clock, s) = manual();
    let l = log();
    let victim = s.enter(secs(2), 1, record(&l, &clock, "victim"));
    let s2 = Arc::clone(&s);
    let outcome = Arc::new(Mutex::new(None));
    let o2 = Arc::clone(&outcome);
    s.enter(secs(1), 1, move || {
        *o2.lock().unwrap() = Some(s2.cancel(victim))
    });
    s.enter(secs(3), 1, record(&l, &clock, "after"));
    s.run();
    assert_eq!(*outcome.lock().unwrap(), Some(Ok(())));
    assert_eq!(*l.lock().unwrap(), [("after", secs(3))]);
}

#[test]
fn cancel_of_an_event_not_queued_is_an_error() {
    let (_clock, s) = manual();
    let ran = s.enter(Duration::ZERO, 1, || {});
    let cancelled = s.enter(secs(1), 1, || {});
    s.cancel(cancelled).unwrap();
    s.run_nonblocking();
    // Already run.
    let err = s.cancel(ran).unwrap_err();
    assert_eq!(err.id(), ran);
    // Cancelled twice.
    assert_eq!(s.cancel(cancelled).unwrap_err().id(), cancelled);
    // From another scheduler.
    let (_c, other) = manual();
    let foreign = other.enter(secs(100), 1, || {});
    s.enter(secs(100), 1, || {});
    assert!(s.cancel(foreign).is_err());
    assert_eq!(s.len(), 1);
    assert_eq!(other.len(), 1);
    assert_eq!(err.to_string(), "event not in the scheduler's queue");
}

#[test]
fn queue_is_an_ordered_snapshot() {
    let (clock, s) = manual();
    assert!(s.queue().is_empty());
    let e5 = s.enter(secs(5), 1, || {});
    let e1 = s.enter(secs(1), 1, || {});
    let e3_low = s.enter(secs(3), 9, || {});
    let e3_high = s.enter(secs(3), 0, || {});
    let snapshot = s.queue();
    assert_eq!(snapshot, [e1, e3_high, e3_low, e5]);
    assert_eq!(snapshot[0].time(), clock.epoch() + secs(1));
    assert_eq!(snapshot[1].priority(), 0);
    // A snapshot: changing the scheduler does not change it.
    s.cancel(e1).unwrap();
    assert_eq!(snapshot.len(), 4);
    assert_eq!(s.queue(), [e3_high, e3_low, e5]);
    // Events from a snapshot can be cancelled.
    s.cancel(snapshot[3]).unwrap();
    assert_eq!(s.queue(), [e3_high, e3_low]);
}

#[test]
fn is_empty_and_len_follow_the_queue() {
    let (_clock, s) = manual();
    assert!(s.is_empty());
    assert_eq!(s.len(), 0);
    s.enter(secs(1), 1, || {});
    assert!(!s.is_empty());
    assert_eq!(s.len(), 1);
    s.run();
    assert!(s.is_empty());
}

#[test]
fn run_nonblocking_runs_due_events_and_reports_the_next_delay() {
    let (clock, s) = manual();
    let l = log();
    s.enter(secs(10), 1, record(&l, &clock, "ten"));
    s.enter(Duration::ZERO, 1, record(&l, &clock, "now-a"));
    s.enter(Duration::ZERO, 2, record(&l, &clock, "now-b"));
    assert_eq!(s.run_nonblocking(), Some(secs(10)));
    assert_eq!(clock.elapsed(), Duration::ZERO, "must not sleep");
    assert_eq!(
        *l.lock().unwrap(),
        [("now-a", Duration::ZERO), ("now-b", Duration::ZERO)]
    );
    clock.advance(secs(4));
    assert_eq!(s.run_nonblocking(), Some(secs(6)));
    assert_eq!(l.lock().unwrap().len(), 2);
    clock.advance(secs(6));
    assert_eq!(s.run_nonblocking(), None);
    assert_eq!(l.lock().unwrap().last(), Some(&("ten", secs(10))));
    assert_eq!(s.run_nonblocking(), None, "empty queue");
}

#[test]
fn a_panicking_action_propagates_and_leaves_the_rest_queued() {
    let (clock, s) = manual();
    let l = log();
    s.enter(secs(1), 1, record(&l, &clock, "before"));
    s.enter(secs(2), 1, || panic!("action failed"));
    let after = s.enter(secs(3), 1, record(&l, &clock, "after"));
    let caught = catch_unwind(AssertUnwindSafe(|| s.run())).unwrap_err();
    assert_eq!(
        tripod::PanicError::from_payload(caught).message(),
        "action failed"
    );
    assert_eq!(*l.lock().unwrap(), [("before", secs(1))]);
    assert_eq!(s.queue(), [after]);
    assert_eq!(clock.elapsed(), secs(2));
    // The scheduler is still usable: a later run goes on.
    s.run();
    assert_eq!(l.lock().unwrap().last(), Some(&("after", secs(3))));
}

#[test]
fn a_panic_in_run_nonblocking_propagates_too() {
    let (_clock, s) = manual();
    s.enter(Duration::ZERO, 1, || panic!("now"));
    let next = s.enter(secs(1), 1, || {});
    assert!(catch_unwind(AssertUnwindSafe(|| s.run_nonblocking())).is_err());
    assert_eq!(s.queue(), [next]);
}

#[test]
fn threads_may_enter_concurrently() {
    let (_clock, s) = manual();
    let count = Arc::new(Mutex::new(0));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (s, count) = (Arc::clone(&s), Arc::clone(&count));
            thread::spawn(move || {
                for i in 0..100 {
                    let count = Arc::clone(&count);
                    s.enter(secs(i % 7), t, move || *count.lock().unwrap() += 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.len(), 400);
    let q = s.queue();
    assert!(q.windows(2).all(|w| w[0] < w[1]), "queue is sorted");
    s.run();
    assert_eq!(*count.lock().unwrap(), 400);
}

#[test]
fn real_clock_runs_in_order_after_the_delay() {
    let s = Scheduler::new();
    let l = log();
    let start = Instant::now();
    // Times from one base: three `enter`s read the clock three times, and a preempted test
    // thread could then queue "a" (5 ms after a late now) behind "c".
    let base = s.now();
    for (ms, name) in [(15u64, "c"), (5, "a"), (10, "b")] {
        let l = Arc::clone(&l);
        s.enterabs(base + Duration::from_millis(ms), 1, move || {
            l.lock().unwrap().push((name, start.elapsed()))
        });
    }
    s.run();
    let l = l.lock().unwrap();
    let names: Vec<_> = l.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["a", "b", "c"]);
    for ((_, elapsed), ms) in l.iter().zip([5, 10, 15]) {
        assert!(
            *elapsed >= Duration::from_millis(ms),
            "{elapsed:?} < {ms} ms"
        );
    }
    assert!(s.now() >= start + Duration::from_millis(15));
}

#[test]
fn real_clock_runner_wakes_for_an_earlier_event_from_another_thread() {
    let s = Arc::new(Scheduler::new());
    let far = s.enter(secs(30), 1, || panic!("cancelled before it is due"));
    let (ran_tx, ran_rx) = bounded(1);
    let runner = {
        let s = Arc::clone(&s);
        thread::spawn(move || s.run())
    };
    // Whether or not the runner already waits for `far`, this event is due first and
    // must run now, not after 30 s.
    let s2 = Arc::clone(&s);
    s.enter(Duration::ZERO, 1, move || {
        // Cancelling the event the runner waits for lets run() return.
        s2.cancel(far).unwrap();
        ran_tx.send(()).unwrap();
    });
    ran_rx
        .recv_timeout(secs(10))
        .expect("the earlier event ran before the 30 s one");
    let deadline = Instant::now() + secs(10);
    while !runner.is_finished() {
        assert!(Instant::now() < deadline, "run() did not return");
        thread::yield_now();
    }
    runner.join().unwrap();
    assert!(s.is_empty());
}

#[test]
fn custom_clock_sleeps_are_used_between_events() {
    /// Counts the sleeps and advances like a manual clock.
    struct Counting(ManualClock, Mutex<Vec<Duration>>);
    impl Clock for Counting {
        fn now(&self) -> Instant {
            self.0.now()
        }
        fn sleep(&self, d: Duration) {
            self.1.lock().unwrap().push(d);
            self.0.sleep(d);
        }
    }
    let clock = ManualClock::new();
    let counting = Arc::new(Counting(clock.clone(), Mutex::new(Vec::new())));
    struct Shared(Arc<Counting>);
    impl Clock for Shared {
        fn now(&self) -> Instant {
            self.0.now()
        }
        fn sleep(&self, d: Duration) {
            self.0.sleep(d)
        }
    }
    let s = Scheduler::with_clock(Shared(Arc::clone(&counting)));
    s.enter(secs(2), 1, || {});
    s.enter(secs(5), 1, || {});
    s.run();
    assert_eq!(*counting.1.lock().unwrap(), [secs(2), secs(3)]);
    assert_eq!(clock.elapsed(), secs(5));
}
