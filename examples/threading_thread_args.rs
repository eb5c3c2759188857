//! Seed 004 ("直接使用Thread类"): a function with an argument as a thread's target.
//!
//! ```python
//! def func(num):
//!     while True:
//!         print(num)
//!         num += 1
//!         time.sleep(1)
//! t = Thread(target=func, args=(1,))
//! t.start()
//! ```
//!
//! Python's `target=func, args=(1,)` is one closure in tripod: `move || func(1)`. The seed
//! counts forever once a second; here the thread counts five times, 50 ms apart, and
//! returns where it got to, which `join` hands back.

use std::time::Duration;

use tripod::threading::{Thread, current_thread};

fn func(mut num: u32, rounds: u32) -> u32 {
    for _ in 0..rounds {
        println!("{} prints {num}", current_thread().name());
        num += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    num
}

fn main() {
    let t = Thread::new(move || func(1, 5))
        .start()
        .expect("start the thread");
    let reached = t.join().expect("func panicked");
    println!("the thread stopped at {reached}");
    assert_eq!(reached, 6);
}
