//! Seeds 003 and 004 ("Timer"): run a function once after an interval, on its own thread.
//!
//! ```python
//! from threading import Timer
//! def hello():
//!     print("hello, world")
//! t = Timer(1, hello)
//! t.start()   # after 1 seconds, "hello, world" will be printed
//!
//! # seed 004: wait for the timer, then carry on
//! t = Timer(5, fun); t.start(); t.join(); print('*******')
//! ```
//!
//! Plus a timer cancelled before it fires: `cancel()` wakes its thread at once, the
//! function never runs, and `join()` says so with `None`. Intervals: 1 s -> 50 ms,
//! 5 s -> 100 ms.

use std::time::{Duration, Instant};

use tripod::threading::{Timer, enumerate};

fn hello() {
    println!("hello, world");
}

fn main() {
    let start = Instant::now();
    let t = Timer::new(Duration::from_millis(50), hello)
        .start()
        .expect("start timer");
    println!("timer started as {}; waiting", t.thread().name());
    let ran = t.join().expect("hello panicked");
    println!("joined after {:?}; ran: {}", start.elapsed(), ran.is_some());

    let t = Timer::new(Duration::from_millis(100), || println!("--------"))
        .start()
        .expect("start timer");
    t.join().expect("timer panicked");
    println!("*******");

    let start = Instant::now();
    let never = Timer::new(Duration::from_secs(3600), || println!("this never prints"))
        .name("hour-timer")
        .start()
        .expect("start timer");
    let listed = enumerate().iter().any(|th| th == never.thread());
    println!(
        "{} is a thread listed by enumerate(): {listed}",
        never.thread().name()
    );
    println!("cancel() stopped it: {}", never.cancel());
    let outcome = never.join().expect("cannot panic");
    println!(
        "joined {:?} after cancel; ran: {}",
        start.elapsed(),
        outcome.is_some()
    );
}
