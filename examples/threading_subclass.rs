//! Seeds 003 ("继承式调用") and 004 ("继承Thread类"): a thread defined as a class that
//! overrides `run()`.
//!
//! ```python
//! class Mythreading(threading.Thread):
//!     def __init__(self, num):
//!         threading.Thread.__init__(self)
//!         self.num = num
//!     def run(self):
//!         print('%s is say hi' % self.num)
//!         time.sleep(5)
//! t1 = Mythreading(1); t2 = Mythreading(2)
//! t1.start(); t2.start(); t1.join(); t2.join()
//! print(t1.getName()); print(t2.getName())
//! ```
//!
//! Rust has no subclassing; the equivalent is a struct holding the thread's state with a
//! `run` method, and a `start` that moves the struct into a `Thread`'s target. `run` can
//! return a value, which `join` hands back. The 5 s sleep is 100 ms here.

use std::io;
use std::time::Duration;

use tripod::threading::{JoinHandle, Thread, current_thread};

/// The "subclass": its fields are what `__init__` stored on `self`.
struct MyThreading {
    num: i32,
}

impl MyThreading {
    fn new(num: i32) -> Self {
        MyThreading { num }
    }

    /// What the thread does, as the overridden `run()`.
    fn run(&self) -> i32 {
        println!("{} is say hi (in {})", self.num, current_thread().name());
        std::thread::sleep(Duration::from_millis(100));
        self.num * 10
    }

    /// `Thread.start()`: moves `self` onto a new thread and calls `run` there.
    fn start(self) -> io::Result<JoinHandle<i32>> {
        Thread::new(move || self.run()).start()
    }
}

fn main() {
    let t1 = MyThreading::new(1).start().expect("start t1");
    let t2 = MyThreading::new(2).start().expect("start t2");
    let (name1, name2) = (t1.name().to_owned(), t2.name().to_owned());
    let r1 = t1.join().expect("t1 panicked");
    let r2 = t2.join().expect("t2 panicked");
    println!("{name1} returned {r1}");
    println!("{name2} returned {r2}");
}
