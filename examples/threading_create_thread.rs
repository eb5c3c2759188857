//! Seed 002, recipe 12-1 ("创建线程"): create a thread with a target function, start it,
//! check whether it is still running, and wait for it.
//!
//! ```python
//! import threading
//! def print_sum():
//!     print('The sum of 1 and 2 is 3')
//! my_thread = threading.Thread(target=print_sum)
//! my_thread.start()
//! # "you can check whether it is still running with is_alive(), and wait with join()"
//! ```
//!
//! Shows that a thread does not run before `start()`, `is_alive()` while it runs and
//! after, and `join()` handing back the target's return value (here the sum itself).

use std::sync::mpsc;

use tripod::threading::Thread;

fn print_sum() -> i32 {
    let sum = 1 + 2;
    println!("The sum of 1 and 2 is {sum}");
    sum
}

fn main() {
    // A longer-running target, held until we release it, so is_alive() is seen true.
    let (release, wait) = mpsc::channel::<()>();
    let my_thread = Thread::new(move || {
        wait.recv().expect("main thread went away");
        print_sum()
    });
    println!("built {my_thread:?}; nothing runs until start()");
    let my_thread = my_thread.start().expect("start thread");
    println!("{} is_alive: {}", my_thread.name(), my_thread.is_alive());
    release.send(()).expect("thread is waiting");
    let info = my_thread.thread().clone();
    let sum = my_thread.join().expect("print_sum panicked");
    println!(
        "join() returned {sum}; {} is_alive: {}",
        info.name(),
        info.is_alive()
    );
}
