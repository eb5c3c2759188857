//! Seed 003 ("threading模块"): two threads run `sayhi` with an argument each; the main
//! thread joins both and prints their default names.
//!
//! ```python
//! def sayhi(num):
//!     print('%s is say hi' % num)
//!     time.sleep(3)
//! t1 = threading.Thread(target=sayhi, args=[1, ])
//! t2 = threading.Thread(target=sayhi, args=[2, ])
//! t1.start(); t2.start()
//! t1.join()   # join also takes a timeout: stop waiting, not stop the thread
//! t2.join()
//! print(t1.getName())   # Thread-1
//! print(t2.getName())   # Thread-2
//! ```
//!
//! Python's `args=[1]` is the closure's capture; default names are `Thread-1`,
//! `Thread-2`, ... as in Python. `join_timeout` shows the timed join: it gives up waiting
//! and leaves the thread running. The 3 s sleep is 100 ms here.

use std::time::Duration;

use tripod::threading::Thread;

fn sayhi(num: i32) {
    println!("{num} is say hi");
    std::thread::sleep(Duration::from_millis(100));
}

fn main() {
    let t1 = Thread::new(|| sayhi(1)).start().expect("start t1");
    let t2 = Thread::new(|| sayhi(2)).start().expect("start t2");
    let finished = t1.join_timeout(Duration::from_millis(1));
    println!(
        "after a 1 ms join_timeout, {} finished: {finished}",
        t1.name()
    );
    let (name1, name2) = (t1.name().to_owned(), t2.name().to_owned());
    t1.join().expect("t1 panicked");
    t2.join().expect("t2 panicked");
    println!("{name1}");
    println!("{name2}");
}
