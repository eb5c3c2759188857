//! Seed 002, recipe 12-8 "Scheduling events", ported to `tripod::sched`.
//!
//! ```python
//! import sched, time
//! def print_time():
//!     print(time.time())
//! my_sched = sched.scheduler()
//! my_sched.enter(10, 1, print_time)
//! # enterabs() for a fixed time, the `queue` attribute to inspect, run() to wait for all
//! ```
//!
//! The seed's 10 s delay is shortened to 200 ms. Shows `enter` (a delay), `enterabs` (an
//! absolute time), the `queue` snapshot in run order, and `run()` blocking until every
//! event has fired.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tripod::sched::Scheduler;

fn print_time(label: &'static str) -> impl FnOnce() + Send + 'static {
    move || {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        println!("{label:>22}: time.time() = {:.3}", now.as_secs_f64());
    }
}

fn main() {
    let my_sched = Scheduler::new();
    let start = Instant::now();
    println!(
        "start: {:.3}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    );

    // my_sched.enter(10, 1, print_time), with 200 ms instead of 10 s.
    my_sched.enter(
        Duration::from_millis(200),
        1,
        print_time("enter(200 ms, 1)"),
    );
    // Same time, higher priority number: runs after the first one.
    my_sched.enter(
        Duration::from_millis(200),
        2,
        print_time("enter(200 ms, 2)"),
    );
    // enterabs: an absolute time on the scheduler's clock.
    my_sched.enterabs(
        start + Duration::from_millis(100),
        1,
        print_time("enterabs(start+100 ms)"),
    );

    println!("queue (in run order):");
    for event in my_sched.queue() {
        println!(
            "  at +{:>3} ms, priority {}, sequence {}",
            event.time().duration_since(start).as_millis(),
            event.priority(),
            event.sequence()
        );
    }

    my_sched.run();
    println!(
        "run() returned after {} ms; queue empty: {}",
        start.elapsed().as_millis(),
        my_sched.is_empty()
    );
}
